"""The COSO control assessment, as the registry knows it."""

from pathlib import Path

from workbook_lib.assessments.coso import figures
from workbook_lib.assessments.coso.records import RESPONSE
from workbook_lib.assessments.coso.scoring import (
    ASSESSMENT,
    CosoParams,
    CosoResult,
    coso_summary,
    load_coso_inputs,
    result_tables,
    run_coso_assessment,
    shipped,
)
from workbook_lib.core.assessment import AssessmentSpec, DataFileRole
from workbook_lib.core.outputs import write_outputs


def outputs(result: CosoResult, params: CosoParams) -> list[Path]:
    return write_outputs(coso_summary(result, params.organisation, params.period), result_tables(result),
                         params.output_dir, ASSESSMENT)


SPEC = AssessmentSpec(
    ASSESSMENT, "coso_assessment.ipynb", CosoParams,
    "Rate the COSO 17 principles by the three lines of assurance: combined scores, red items, divergence, "
    "present and functioning.",
    check=load_coso_inputs, run=run_coso_assessment, write_outputs=outputs,
    form="workbook_lib.assessments.coso.form:CosoAssessmentForm",
    file_inputs=("responses",), requires=("responses",), record_kinds=(RESPONSE,),
    data_files=(DataFileRole("questionnaire", "questionnaire_ref", shipped),), key_figures=figures.key_figures)
