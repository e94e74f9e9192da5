"""Combined-assurance gap analysis, as the registry knows it."""

from pathlib import Path

from workbook_lib.assessments.assurance import figures
from workbook_lib.assessments.assurance.analysis import (
    CombinedAssurance,
    CombinedAssuranceParams,
    load_assurance_inputs,
    result_tables,
    run_combined_assurance,
    shipped_frameworks,
    summary,
)
from workbook_lib.assessments.assurance.records import ENTRY
from workbook_lib.assessments.risk.methodology import shipped
from workbook_lib.assessments.risk.params import methodology_path
from workbook_lib.core.assessment import AssessmentSpec, DataFileRole
from workbook_lib.core.outputs import write_outputs

NAME = "combined-assurance"


def outputs(result: CombinedAssurance, params: CombinedAssuranceParams) -> list[Path]:
    return write_outputs(summary(result, params.organisation, params.period), result_tables(result),
                         params.output_dir, NAME)


SPEC = AssessmentSpec(
    NAME, "combined_assurance.ipynb", CombinedAssuranceParams,
    "Combined-assurance gap analysis: coverage by line per risk against its residual level, gaps, duplicated "
    "controls, provider workload and a draft assurance plan.",
    check=load_assurance_inputs, run=run_combined_assurance, write_outputs=outputs,
    form="workbook_lib.assessments.assurance.form:AssuranceForm",
    file_inputs=("register", "assurance_map"), resolve_methodology=methodology_path,
    requires=("methodology", "register", "assurance_map"), record_kinds=(ENTRY,),
    data_files=(DataFileRole("methodology", "methodology_ref", shipped),
                DataFileRole("framework", "framework_ref", shipped_frameworks)), key_figures=figures.key_figures)
