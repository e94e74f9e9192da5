"""A full cycle in a throw-away store: an escalated risk of Karoo Vale requested, approved by the Municipal Manager,
expiring and due again; a rejection; a decision by the wrong role flagged; a risk worse since its approval due
again; what each assessment says is due."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from tests.assessments.decisions.conftest import ORG, PERIOD, assurance_summary, author, monitoring_summary
from workbook_lib.assessments import decisions_due
from workbook_lib.assessments.decisions import due as standing
from workbook_lib.assessments.decisions import ledger, report
from workbook_lib.assessments.decisions.model import DecisionError

D = dt.date.fromisoformat
ON = D("2025-11-01")


def _due(summaries, subject):
    return next(d for d in decisions_due(summaries) if d.subject == subject)


def _state(store, summaries, as_of, subject):
    found = standing.standings(decisions_due(summaries), ledger.on_record(store, ORG, PERIOD), D(as_of))
    return next(s for s in found if f"{s.subject_kind}:{s.subject_id}" == subject)


def test_each_assessment_says_what_is_due(risk_summary):
    due = decisions_due([risk_summary, monitoring_summary(), assurance_summary()])
    risks = {d.subject_id: d for d in due if d.subject_kind == "risk"}
    above = {r["risk_id"] for r in risk_summary["risks"] if r["above_appetite"] is True}
    assert set(risks) == above and "KV-004" not in risks
    kv002 = risks["KV-002"]
    assert (kv002.who_may_decide, kv002.score, kv002.level) == ("Municipal Manager", 18, "High")
    assert "above the appetite" in kv002.why and kv002.organisation == ORG and kv002.period == PERIOD
    metric = next(d for d in due if d.subject_kind == "metric")
    assert (metric.subject_id, metric.who_may_decide) == ("vacancy_rate", "Municipal Manager")
    assert "outside its tolerance" in metric.why and "KV-020" in metric.why
    gaps = [d for d in due if d.subject_kind == "assurance_gap"]
    assert [g.subject_id for g in gaps] == ["KV-002"] and "extensive" in gaps[0].why
    appetite = [d for d in due if d.subject_kind == "appetite"]
    assert len(appetite) == 1 and "not been approved" in appetite[0].why


def test_request_approve_expire_due_again(store, risk_summary):
    kv002 = _due([risk_summary], "risk:KV-002")
    d1 = ledger.request(store, kv002, author("Thandi Dlamini"), "Risk owner", "No second water source until 2027",
                        "2026-06-30", "2026-03-31", "monthly borehole readings to the committee", on=D("2025-11-01"))
    assert (d1.decision_id, d1.status, d1.who_may_decide) == ("D1", "requested", "Municipal Manager")
    assert _state(store, [risk_summary], "2025-11-30", "risk:KV-002").state == "requested"
    with pytest.raises(DecisionError, match="already has D1"):
        ledger.request(store, kv002, author("X"), "Risk owner", "again", "2026-06-30", on=ON)
    d1 = ledger.decide(store, ORG, PERIOD, "D1", "approved", author("Sipho Mokoena"), "Municipal Manager",
                       "accepted while the pipeline is built", on=D("2025-11-10"), now=kv002)
    assert (d1.status, d1.decided_role, d1.role_flag, d1.score_at_decision) == ("approved", "Municipal Manager", "",
                                                                                 "18")
    held = _state(store, [risk_summary], "2025-11-30", "risk:KV-002")
    assert held.state == "approved" and held.flag == ""
    # the review date passed
    late = _state(store, [risk_summary], "2026-04-01", "risk:KV-002")
    assert late.state == "due again" and "to be reviewed by 2026-03-31" in late.reason and late.expired
    # the expiry passed
    gone = _state(store, [risk_summary], "2026-07-01", "risk:KV-002")
    assert gone.state == "due again"
    assert gone.reason == ("D1, approved by Sipho Mokoena on 2025-11-10, expired on 2026-06-30 (as of 2026-07-01)")
    summary = report.decisions_summary([gone], ledger.on_record(store, ORG, PERIOD), D("2026-07-01"))
    assert [e["subject_id"] for e in summary["expired"]] == ["KV-002"]
    assert [t["decision_id"] for t in summary["taken"]] == ["D1"]
    # the audit trail: the request and the approval, two versions of one record
    trail = store.history(ORG, PERIOD, "decision", "D1")
    assert [(h["version"], h["who"], h["after"]["status"]) for h in trail] == [
        (1, "Thandi Dlamini", "requested"), (2, "Sipho Mokoena", "approved")]
    assert trail[1]["before"]["status"] == "requested" and trail[1]["source"] == "cli"


def test_rejection(store, risk_summary):
    kv005 = _due([risk_summary], "risk:KV-005")
    ledger.request(store, kv005, author("A. Owner"), "Risk owner", "collection is improving", "2026-06-30", on=ON)
    d = ledger.decide(store, ORG, PERIOD, "D1", "rejected", author("Sipho Mokoena"), "Municipal Manager",
                      "treat it: appoint the debt collector")
    assert d.status == "rejected"
    s = _state(store, [risk_summary], "2025-11-30", "risk:KV-005")
    assert s.state == "rejected" and "treat the risk" in s.reason
    with pytest.raises(DecisionError, match="D1 is rejected"):
        ledger.decide(store, ORG, PERIOD, "D1", "approved", author("Sipho Mokoena"), "Municipal Manager")
    again = ledger.request(store, kv005, author("A. Owner"), "Risk owner", "new plan", "2026-06-30", on=ON)
    assert again.decision_id == "D2"


def test_a_decision_by_the_wrong_role_is_recorded_and_flagged(store, risk_summary):
    kv009 = _due([risk_summary], "risk:KV-009")
    ledger.request(store, kv009, author("A. Owner"), "Risk owner", "tender backlog", "2026-06-30", on=ON)
    d = ledger.decide(store, ORG, PERIOD, "D1", "approved", author("P. Naidoo"), "Chief Financial Officer")
    assert d.status == "approved"
    assert d.role_flag == "decided by the Chief Financial Officer; the methodology names the Municipal Manager"
    s = _state(store, [risk_summary], "2025-11-30", "risk:KV-009")
    assert s.state == "approved" and s.flag == d.role_flag
    summary = report.decisions_summary([s], ledger.on_record(store, ORG, PERIOD), D("2025-11-30"))
    assert [f["decision_id"] for f in summary["flagged"]] == ["D1"]
    # the same role typed otherwise is no flag
    assert ledger.role_flag(d, "the municipal  manager") == ""


def test_a_risk_worse_since_its_approval_is_due_again(store, risk_summary):
    kv001 = _due([risk_summary], "risk:KV-001")
    assert kv001.score == 12
    ledger.request(store, kv001, author("A. Owner"), "Risk owner", "pipes being replaced", "2026-06-30", on=ON)
    ledger.decide(store, ORG, PERIOD, "D1", "approved", author("Sipho Mokoena"), "Municipal Manager", now=kv001)
    assert _state(store, [risk_summary], "2025-11-30", "risk:KV-001").state == "approved"
    worse = copy.deepcopy(risk_summary)
    row = next(r for r in worse["risks"] if r["risk_id"] == "KV-001")
    row.update(residual_score=16, residual_level="High")
    s = _state(store, [worse], "2025-11-30", "risk:KV-001")
    assert s.state == "due again"
    assert "got worse since, score 16 (High) now against 12 (Medium) when approved" in s.reason


def test_withdrawn_and_revoked(store, risk_summary):
    kv014 = _due([risk_summary], "risk:KV-014")
    ledger.request(store, kv014, author("A. Owner"), "Risk owner", "r", "2026-06-30", on=ON)
    ledger.decide(store, ORG, PERIOD, "D1", "withdrawn", author("A. Owner"), "Risk owner")
    assert _state(store, [risk_summary], "2025-11-30", "risk:KV-014").state == "due"
    ledger.request(store, kv014, author("A. Owner"), "Risk owner", "r", "2026-06-30", on=ON)
    ledger.decide(store, ORG, PERIOD, "D2", "approved", author("Sipho Mokoena"), "Municipal Manager")
    with pytest.raises(DecisionError, match="needs a note"):
        ledger.decide(store, ORG, PERIOD, "D2", "revoked", author("Sipho Mokoena"), "Municipal Manager")
    ledger.decide(store, ORG, PERIOD, "D2", "revoked", author("Sipho Mokoena"), "Municipal Manager", "audit finding")
    s = _state(store, [risk_summary], "2025-11-30", "risk:KV-014")
    assert s.state == "due again" and "revoked" in s.reason and "audit finding" in s.reason


def test_an_approval_carries_into_the_next_period_until_it_expires(store, risk_summary):
    kv002 = _due([risk_summary], "risk:KV-002")
    ledger.request(store, kv002, author("A. Owner"), "Risk owner", "r", "2026-09-30", on=D("2025-11-01"))
    ledger.decide(store, ORG, PERIOD, "D1", "approved", author("Sipho Mokoena"), "Municipal Manager", now=kv002)
    nxt = copy.deepcopy(risk_summary) | {"period": "2026-27", "as_of": "2026-08-31"}
    found = standing.standings(decisions_due([nxt]), ledger.on_record(store, ORG, "2026-27"), D("2026-08-31"))
    s = next(x for x in found if x.subject_id == "KV-002")
    assert s.state == "approved" and s.decision.period == PERIOD
    found = standing.standings(decisions_due([nxt]), ledger.on_record(store, ORG, "2026-27"), D("2026-10-01"))
    assert next(x for x in found if x.subject_id == "KV-002").state == "due again"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"reason": " "}, "needs its reason"),
    ({"expiry": ""}, "needs an expiry"),
    ({"expiry": "30/06/2026"}, "is not a date"),
    ({"expiry": "2025-10-01"}, "is not after"),
    ({"review_date": "2027-01-01"}, "review date"),
    ({"role": ""}, "role"),
])
def test_a_request_is_refused_in_one_line(store, risk_summary, kwargs, message):
    args = {"reason": "r", "expiry": "2026-06-30", "review_date": None, "role": "Risk owner"} | kwargs
    with pytest.raises(DecisionError, match=message):
        ledger.request(store, _due([risk_summary], "risk:KV-002"), author("A"), args["role"], args["reason"],
                       args["expiry"], args["review_date"], on=D("2025-11-01"))
    assert store.current(ORG, PERIOD, "decision") == []
