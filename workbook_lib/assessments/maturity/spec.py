"""Risk-management maturity scoring, as the registry knows it."""

from pathlib import Path

from workbook_lib.assessments.maturity import index_figures, settings
from workbook_lib.assessments.maturity.inputs import MaturityParams, absolute_inputs, more_inputs
from workbook_lib.assessments.maturity.model import ASSESSMENT_NAME, shipped
from workbook_lib.assessments.maturity.records import CAPACITY, MARK
from workbook_lib.assessments.maturity.report import maturity_summary, result_tables
from workbook_lib.assessments.maturity.run import load_maturity_inputs, run_maturity_scoring
from workbook_lib.core.assessment import AssessmentSpec, DataFileRole

DATA = Path(__file__).parent / "data"

SPEC = AssessmentSpec(
    ASSESSMENT_NAME, "maturity_scoring.ipynb", MaturityParams,
    "Rate risk-management maturity (fragmented, integrated, risk intelligent), the gaps to a target, a "
    "roadmap, the capacity of the three lines of assurance, and the trend over periods.",
    check=load_maturity_inputs, run=run_maturity_scoring, summary=maturity_summary,
    tables=result_tables,
    form="workbook_lib.assessments.maturity.form:MaturityForm",
    file_inputs=("marks", "capacity"), resolve_methodology=absolute_inputs, requires=("marks",),
    record_kinds=(MARK, CAPACITY), data_files=(DataFileRole("matrix", "matrix_ref", shipped),),
    key_figures=index_figures.key_figures,
    index_columns=index_figures.INDEX_COLUMNS,
    step=3, heading="Risk-management maturity", settings=settings.SETTINGS,
    more_inputs=more_inputs, settings_problems=settings.problems,
    settings_section="workbook_lib.assessments.maturity.settings_form:MaturitySettings", labels=DATA / "labels.yaml",
    pack="workbook_lib.assessments.maturity.pack:pack_section")
