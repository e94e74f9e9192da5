"""The record kind the COSO assessment keeps in the store: one line's answer to one item."""

from __future__ import annotations

from typing import Any

from workbook_lib.assessments.coso.inputs import RESPONSE_COLUMNS, validate_responses
from workbook_lib.assessments.coso.model import (
    DEFAULT_QUESTIONNAIRE,
    LoadedQuestionnaire,
    Questionnaire,
    load_questionnaire,
)
from workbook_lib.core.records import RecordKind, blank, line_column, register_kind
from workbook_lib.core.tables import Table


def _canonical(table: Table, questionnaire: Questionnaire) -> dict[str, dict[str, str]]:
    """Keys ``P01-01|2`` (item and line); values as the store keeps them."""
    rows: dict[str, dict[str, str]] = {}
    for r in validate_responses(table, questionnaire).frame.to_dict("records"):
        rows[f"{r['item_id']}|{int(r['line'])}"] = {
            "item_id": r["item_id"], "line": str(int(r["line"])), "rating": blank(r["rating"]),
            "respondent": blank(r["respondent"]), "comment": blank(r["comment"])}
    return rows


def _context(name: str | None, params: Any, **_options: Any) -> tuple[LoadedQuestionnaire, Questionnaire]:
    """The questionnaire responses are checked against: the name given, else the parameters', else the default."""
    loaded = load_questionnaire(name or (params.questionnaire_ref() if params else DEFAULT_QUESTIONNAIRE))
    return loaded, loaded.questionnaire


RESPONSE = register_kind(RecordKind("coso_response", ("item_id", "line"), lambda: RESPONSE_COLUMNS, _canonical,
                                    _context, line_of=line_column("line")))

# The round of ratings (Table 13: "each line of assurance needs to complete their rating separately"): while it is
# open, a line sees only its own ratings once access records are kept; the champion closes it, and then everyone
# with access sees the combined results. One record, key "round": {"state": "open" | "closed", "note": ...}.
ROUND = register_kind(RecordKind("coso_round", ("round",), lambda: {"round": ["Round"], "state": ["State"],
                                                                     "note": ["Note"]}))
ROUND_KEY = "round"
