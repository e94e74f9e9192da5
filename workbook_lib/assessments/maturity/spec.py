"""Risk-management maturity scoring, as the registry knows it."""

from pathlib import Path

from workbook_lib.assessments.maturity import figures
from workbook_lib.assessments.maturity.records import CAPACITY, MARK
from workbook_lib.assessments.maturity.scoring import (
    ASSESSMENT_NAME,
    MaturityParams,
    MaturityResult,
    absolute_inputs,
    load_maturity_inputs,
    maturity_summary,
    result_tables,
    run_maturity_scoring,
    shipped,
)
from workbook_lib.core.assessment import AssessmentSpec, DataFileRole
from workbook_lib.core.outputs import write_outputs


def outputs(result: MaturityResult, params: MaturityParams) -> list[Path]:
    return write_outputs(maturity_summary(result, params.organisation, params.period), result_tables(result),
                         params.output_dir, ASSESSMENT_NAME)


SPEC = AssessmentSpec(
    ASSESSMENT_NAME, "maturity_scoring.ipynb", MaturityParams,
    "Rate risk-management maturity (fragmented, integrated, risk intelligent), the gaps to a target, a "
    "roadmap, the capacity of the three lines of assurance, and the trend over periods.",
    check=load_maturity_inputs, run=run_maturity_scoring, write_outputs=outputs,
    form="workbook_lib.assessments.maturity.form:MaturityForm",
    file_inputs=("marks", "capacity"), resolve_methodology=absolute_inputs, requires=("marks",),
    record_kinds=(MARK, CAPACITY), data_files=(DataFileRole("matrix", "matrix_ref", shipped),),
    key_figures=figures.key_figures)
