"""The record kinds of decisions, treatment actions and sign-offs, on the store's own tables (versioned and audited
like every record): a decision keyed by its number (``D1``, ``D2``, ... per organisation and period), an action by
its risk and number (``KV-002|1``), a sign-off by the assessment it signs off."""

from __future__ import annotations

from workbook_lib.assessments.decisions.model import ACTION_COLUMNS, DECISION_COLUMNS, SIGNOFF_COLUMNS
from workbook_lib.core.records import RecordKind, register_kind


def _headings(columns: list[str]) -> dict[str, list[str]]:
    return {c: [c.replace("_", " ").capitalize()] for c in columns}


DECISION = register_kind(RecordKind("decision", ("decision_id",), lambda: _headings(DECISION_COLUMNS)))
TREATMENT_ACTION = register_kind(RecordKind(
    "treatment_action", ("risk_id", "action_no"),
    lambda: {**_headings(ACTION_COLUMNS), "risk_id": ["Risk ID", "Risk No.", "Risk"],
             "action": ["Action", "Actions", "Treatment action", "Treatment actions"],
             "owner": ["Owner", "Action owner", "Treatment owner", "treatment_owner"],
             "due_date": ["Due date", "Due", "Target date"], "resources": ["Resources", "Resources needed"]},
    owned_via=("risk", "risk_id")))  # an owner changes the actions of the risks they own
SIGNOFF = register_kind(RecordKind("signoff", ("assessment",), lambda: _headings(SIGNOFF_COLUMNS)))
