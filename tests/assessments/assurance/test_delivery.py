"""Issue 25, point 5: assurance delivered per quarter against the plan, read from a file or the store, and the
report's plan-against-delivery section (risks left without the assurance planned, corrective actions due)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.assessments.assurance.kit import _bands, _map, _risks
from tests.conftest import write_csv
from workbook_lib.assessments.assurance.inputs import load_delivery
from workbook_lib.assessments.assurance.records import DELIVERY
from workbook_lib.assessments.assurance.report import (
    actions_view,
    delivery_markdown,
    key_figures,
    left_without_view,
    opening_narrative,
    plan_sections,
    summary,
)
from workbook_lib.assessments.assurance.scoring import analyse
from workbook_lib.core import records
from workbook_lib.core.errors import InputError
from workbook_lib.core.store import Author, Store

ROWS = [("R1", "Bank reconciliation", "internal_controls", "M"), ("R1", "Bank reconciliation", "internal_audit", "Q"),
        ("R2", "Tender checks", "compliance", "Q"), ("R2", "Tender checks", "external_audit", "A")]
DELIVERY_CSV = (
    "Quarter,Risk ID,Key control,Provider,Status,Finding,Date,Corrective action,Due date\n"
    "Q1,R1,Bank reconciliation,internal_controls,delivered,No exceptions,2025-09-30,,\n"
    "q1,R1,bank reconciliation,Internal audit,Not delivered,,,Move to Q2 with a co-sourced auditor,2025-10-31\n"
    "1,R2,Tender checks,external_audit,planned,,,,\n"
    "Q1,R2,Supplier vetting,compliance,done,Ad hoc,2025-08-01,,\n")


def _result(fw, providers, western_cape, delivery):
    risks = _risks(("R1", 16, "High", True), ("R2", 10, "Medium", True))
    return analyse(risks, _map(ROWS, providers, fw), fw, providers, bands=_bands(western_cape), delivery=delivery)


def _check(result) -> None:
    d = result.delivery
    assert d.quarters == ["Q1"]
    status = {(a.risk_id, a.control, a.provider): a.status for a in d.activities.itertuples(index=False)}
    assert status == {("R1", "Bank reconciliation", "Internal controls implemented"): "delivered",
                      ("R1", "Bank reconciliation", "Internal audit"): "not delivered",
                      ("R2", "Tender checks", "Compliance"): "no report",  # quarterly, expected, nothing reported
                      ("R2", "Tender checks", "External audit"): "planned",  # annual: expected where scheduled
                      ("R2", "Supplier vetting", "Compliance"): "delivered"}  # reported, not in the plan
    assert d.counts("Q1") == {"planned": 1, "delivered": 1, "not delivered": 1, "no report": 1}
    left = left_without_view(result)
    assert left[["quarter", "risk_id", "not_delivered", "not_reported"]].values.tolist() == [
        ["Q1", "R1", 1, 0], ["Q1", "R2", 0, 1]]
    actions = actions_view(result)
    assert actions[["risk_id", "corrective_action", "action_due", "overdue"]].values.tolist() == [
        ["R1", "Move to Q2 with a co-sourced auditor", "2025-10-31", False]]  # no as-of date: overdue unknown
    assert any(w.startswith("Q1: 1 planned assurance activity not delivered and 1 not reported") for w in
               result.warnings)
    assert any("the map does not plan: Q1 R2 / Supplier vetting" in w for w in result.warnings)


def test_a_quarter_with_assurance_not_delivered_from_a_file(fw, providers, western_cape, tmp_path):
    delivery = load_delivery(write_csv(tmp_path / "d.csv", DELIVERY_CSV), fw.framework, providers)
    result = _result(fw, providers, western_cape, delivery)
    _check(result)
    figures = key_figures(result)
    assert figures.endswith("| Q1: expected 4, delivered 1, not delivered 1, no report 1, planned 1")
    text = str(delivery_markdown(result))
    assert "| Q1 | 4 | 1 | 1 | 1 | 1 |" in text and "2 risk-quarter(s) left without the assurance planned" in text
    assert "**Q1** against the plan: 1 of 4 expected activities delivered" in str(opening_narrative(result, "O", "P"))
    plan = dict(plan_sections(result))
    assert "Q1 R1: Bank reconciliation / Internal audit (not delivered)" in plan["Assurance not delivered as planned"]
    out = summary(result, "O", "P")["delivery"]
    assert out["left_without"] == [{"quarter": "Q1", "risk_id": "R1", "not_delivered": 1, "not_reported": 0},
                                   {"quarter": "Q1", "risk_id": "R2", "not_delivered": 0, "not_reported": 1}]


def test_a_quarter_round_trips_through_the_store(fw, providers, western_cape, tmp_path):
    path = write_csv(tmp_path / "d.csv", DELIVERY_CSV)
    loaded, context = DELIVERY.context(None, None)
    rows = records.canonical_rows(DELIVERY, records.read_for_kind(path, DELIVERY, None, context), context)
    assert "Q1|R1|bank reconciliation|internal_audit" in rows
    assert rows["Q1|R1|bank reconciliation|internal_audit"]["status"] == "not delivered"
    with Store(str(tmp_path / "store.db")) as store:
        store.save("Org", "2025-26", DELIVERY.kind, rows, Author("Chief Audit Executive"), source="import")
        table = records.table_from_store(store, "Org", "2025-26", DELIVERY)
    from workbook_lib.assessments.assurance.inputs import validate_delivery
    result = _result(fw, providers, western_cape, validate_delivery(table, fw.framework.delivery, providers))
    _check(result)


def test_overdue_actions_follow_the_evaluations_as_of_date(fw, providers, western_cape, tmp_path):
    from workbook_lib.assessments.assurance.scoring import review_delivery
    delivery = load_delivery(write_csv(tmp_path / "d.csv", DELIVERY_CSV), fw.framework, providers)
    result = _result(fw, providers, western_cape, delivery)
    review = review_delivery(delivery, result.map.frame, result.risks, fw.framework, providers, dt.date(2025, 11, 30))
    assert review.actions["overdue"].tolist() == [True]
    assert any("1 corrective action(s) overdue at 2025-11-30" in w for w in review.warnings)


def test_delivery_problems_are_collected_with_their_rows(fw, providers, tmp_path):
    path = write_csv(tmp_path / "d.csv", (
        "quarter,risk_id,control,provider,status,date\n"
        "Q5,R1,c,internal_audit,delivered,2025-09-30\n"
        "Q1,,c,auditor_general,finished,30/09/2025\n"
        "Q1,R1,c,internal_audit,delivered,\n"
        "Q1,R1,C,Internal audit,delivered,\n"))
    with pytest.raises(InputError) as err:
        load_delivery(path, fw.framework, providers)
    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {(2, "quarter"), (3, "risk_id"), (3, "provider"), (3, "status"), (3, "date"), (5, "provider")}


def test_the_karoo_example_reports_its_first_quarter(karoo):
    d = karoo.delivery
    assert d.quarters == ["Q1"] and list(d.left_without["risk_id"]) == ["KV-005", "KV-001", "KV-009"]
    overdue = d.actions[d.actions["overdue"]]
    assert list(overdue["risk_id"]) == ["KV-005", "KV-021"]  # due before the as-of date, 30 November 2025
