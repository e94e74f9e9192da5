"""Risk monitoring, as the registry knows it."""

from pathlib import Path

from workbook_lib.assessments.monitoring import index_figures, settings
from workbook_lib.assessments.monitoring.catalogue import shipped
from workbook_lib.assessments.monitoring.inputs import MonitoringParams, absolute_inputs
from workbook_lib.assessments.monitoring.records import KRI_LINK, READING
from workbook_lib.assessments.monitoring.report import result_tables, summary
from workbook_lib.assessments.monitoring.run import load_monitoring_inputs, run_monitoring
from workbook_lib.assessments.risk.methodology import shipped as shipped_methodologies
from workbook_lib.core.assessment import AssessmentSpec, DataFileRole

SPEC = AssessmentSpec(
    "risk-monitoring", "risk_monitoring.ipynb", MonitoringParams,
    "Risk monitoring: tolerance metrics and key risk indicators against their tolerance ranges over the periods, "
    "the ratings to revisit, the escalations, and the readings still missing.",
    check=load_monitoring_inputs, run=run_monitoring, summary=summary, tables=result_tables,
    form="workbook_lib.assessments.monitoring.form:MonitoringForm",
    file_inputs=("readings", "register"), resolve_methodology=absolute_inputs, requires=("readings",),
    record_kinds=(READING, KRI_LINK),
    data_files=(DataFileRole("metrics", "catalogue_ref", shipped),
                DataFileRole("methodology", "methodology_or_none", shipped_methodologies)),
    key_figures=index_figures.key_figures, index_columns=index_figures.INDEX_COLUMNS,
    after="the risk register: its key risk indicators point at its risks",
    step=6, heading="Risk monitoring", builds_on=("risk-evaluation",), settings=settings.SETTINGS,
    settings_section="workbook_lib.assessments.monitoring.settings_form:MonitoringSettings",
    labels=Path(__file__).parent / "data" / "labels.yaml",
    decisions_due="workbook_lib.assessments.monitoring.due:decisions_due",
    pack="workbook_lib.assessments.monitoring.pack:pack_section")
