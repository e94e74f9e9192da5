"""The risk evaluation, as the registry knows it."""

from pathlib import Path

from workbook_lib.assessments.risk import index_figures, settings
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams, earlier_inputs, methodology_path
from workbook_lib.assessments.risk.methodology import shipped
from workbook_lib.assessments.risk.records import RISK
from workbook_lib.assessments.risk.report import result_tables, risk_summary
from workbook_lib.assessments.risk.run import check_risk_inputs, run_risk_evaluation
from workbook_lib.core.assessment import AssessmentSpec, DataFileRole

DATA = Path(__file__).parent / "data"

SPEC = AssessmentSpec(
    "risk-evaluation", "risk_evaluation.ipynb", RiskEvaluationParams,
    "Score a risk register: inherent and residual levels, appetite, decision makers, treatments.",
    check=check_risk_inputs, run=run_risk_evaluation, summary=risk_summary,
    tables=result_tables,
    form="workbook_lib.assessments.risk.form:RiskRegisterForm",
    file_inputs=("register",), resolve_methodology=methodology_path, requires=("methodology", "register"),
    record_kinds=(RISK,), data_files=(DataFileRole("methodology", "methodology_ref", shipped),),
    key_figures=index_figures.key_figures,
    index_columns=index_figures.INDEX_COLUMNS,
    step=2, heading="Risk register", more_inputs=earlier_inputs, builds_on=("maturity-scoring",),
    settings=settings.SETTINGS, settings_problems=settings.problems,
    settings_section="workbook_lib.assessments.risk.settings_form:RiskSettings", labels=DATA / "labels.yaml",
    decisions_due="workbook_lib.assessments.risk.due:decisions_due",
    pack="workbook_lib.assessments.risk.pack:pack_section")
