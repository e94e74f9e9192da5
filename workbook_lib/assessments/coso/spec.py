"""The COSO control assessment, as the registry knows it."""

from pathlib import Path

from workbook_lib.assessments.coso import index_figures
from workbook_lib.assessments.coso.inputs import CosoParams
from workbook_lib.assessments.coso.model import ASSESSMENT, shipped
from workbook_lib.assessments.coso.records import RESPONSE
from workbook_lib.assessments.coso.report import result_tables, summary
from workbook_lib.assessments.coso.run import load_coso_inputs, run_coso_assessment
from workbook_lib.assessments.maturity.inputs import marks_inputs
from workbook_lib.core.assessment import AssessmentSpec, DataFileRole

DATA = Path(__file__).parent / "data"

SPEC = AssessmentSpec(
    ASSESSMENT, "coso_assessment.ipynb", CosoParams,
    "Rate the COSO 17 principles by the three lines of assurance: combined scores, red items, divergence, "
    "each principle rated in place and working on average (or not) by the questionnaire's rule.",
    check=load_coso_inputs, run=run_coso_assessment, summary=summary, tables=result_tables,
    form="workbook_lib.assessments.coso.form:CosoAssessmentForm",
    file_inputs=("responses",), requires=("responses",), record_kinds=(RESPONSE,),
    data_files=(DataFileRole("questionnaire", "questionnaire_ref", shipped),), key_figures=index_figures.key_figures,
    index_columns=index_figures.INDEX_COLUMNS,
    after="the maturity marks, where the maturity status is scored from them",
    step=4, heading="COSO control assessment", builds_on=("maturity-scoring",),
    more_inputs=marks_inputs, labels=DATA / "labels.yaml",
    pack="workbook_lib.assessments.coso.pack:pack_section")
