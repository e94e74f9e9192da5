"""Combined-assurance gap analysis, as the registry knows it."""

from pathlib import Path

from workbook_lib.assessments.assurance import index_figures, settings
from workbook_lib.assessments.assurance.inputs import CombinedAssuranceParams
from workbook_lib.assessments.assurance.model import shipped_frameworks
from workbook_lib.assessments.assurance.records import DELIVERY, ENTRY
from workbook_lib.assessments.assurance.report import result_tables, summary
from workbook_lib.assessments.assurance.run import load_assurance_inputs, run_combined_assurance
from workbook_lib.assessments.maturity.inputs import marks_inputs
from workbook_lib.assessments.risk.inputs import methodology_path
from workbook_lib.assessments.risk.methodology import shipped
from workbook_lib.core.assessment import AssessmentSpec, DataFileRole
from workbook_lib.core.source import source_of


def more_inputs(params) -> list[tuple[str, str]]:
    """The maturity marks and a providers file, for provenance (none when the run reads the store)."""
    own_file = isinstance(params.providers, str) and not source_of(params).from_store
    return marks_inputs(params) + ([("providers", params.providers)] if own_file else [])


DATA = Path(__file__).parent / "data"

SPEC = AssessmentSpec(
    "combined-assurance", "combined_assurance.ipynb", CombinedAssuranceParams,
    "Combined-assurance gap analysis: coverage by line per key control and risk against its residual level, gaps, "
    "the register's controls against the map, duplicated controls, provider workload, a draft assurance plan and "
    "each quarter's delivery against it.",
    check=load_assurance_inputs, run=run_combined_assurance, summary=summary,
    tables=result_tables,
    form="workbook_lib.assessments.assurance.form:AssuranceForm",
    file_inputs=("register", "assurance_map", "assurance_delivery"), resolve_methodology=methodology_path,
    requires=("methodology", "register", "assurance_map"), record_kinds=(ENTRY, DELIVERY),
    data_files=(DataFileRole("methodology", "methodology_ref", shipped),
                DataFileRole("framework", "framework_ref", shipped_frameworks)), key_figures=index_figures.key_figures,
    index_columns=index_figures.INDEX_COLUMNS,
    after="the risk register: combined assurance maps who assures its risks",
    step=5, heading="Combined assurance", builds_on=("risk-evaluation", "maturity-scoring"),
    settings=settings.SETTINGS,
    more_inputs=more_inputs, settings_problems=settings.problems,
    settings_section="workbook_lib.assessments.assurance.settings_form:AssuranceSettings", labels=DATA / "labels.yaml",
    decisions_due="workbook_lib.assessments.assurance.due:decisions_due",
    pack="workbook_lib.assessments.assurance.pack:pack_section")
