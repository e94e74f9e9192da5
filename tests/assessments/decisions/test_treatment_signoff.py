"""Treatment actions (Template 3): from a register's action columns and by hand, overdue against as_of and without
an owner; sign-off submitted, approved, reopened with a reason (the version and the audit rows exact)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.assessments.decisions.conftest import ORG, PERIOD, author
from workbook_lib.assessments.decisions import signoff, treatment
from workbook_lib.assessments.decisions.model import DecisionError

REGISTER = [
    {"risk_id": "KV-002", "actions": "Drill two boreholes", "treatment_owner": "Director Water",
     "due_date": "2025-09-30", "progress": "40%", "response": "treat"},
    {"risk_id": "KV-005", "actions": "Appoint a debt collector", "treatment_owner": "",
     "due_date": "2026-03-31", "progress": "", "response": "treat"},
    {"risk_id": "KV-009", "actions": "Train the bid committees", "treatment_owner": "SCM manager",
     "due_date": "2025-06-30", "progress": "Completed", "response": "treat"},
    {"risk_id": "KV-012", "actions": "", "treatment_owner": "", "due_date": "", "progress": ""},
]


def test_a_registers_action_columns_import_and_overdue_and_unowned_are_listed(store):
    result = treatment.import_register(store, ORG, PERIOD, REGISTER, author("Risk Officer"))
    assert sorted(result.created) == ["KV-002|1", "KV-005|1", "KV-009|1"]
    found = treatment.actions(store, ORG, PERIOD)
    by = {a.key: a for a in found}
    assert (by["KV-002|1"].status, by["KV-005|1"].status, by["KV-009|1"].status) == ("in progress", "not started",
                                                                                      "done")
    as_of = dt.date(2025, 11, 30)
    assert [a.key for a in treatment.overdue(found, as_of)] == ["KV-002|1"]  # KV-009's is done, KV-005's not yet due
    assert [a.key for a in treatment.unowned(found)] == ["KV-005|1"]
    # importing the same register again changes nothing
    again = treatment.import_register(store, ORG, PERIOD, REGISTER, author("Risk Officer"))
    assert again.created == [] and again.updated == [] and len(again.unchanged) == 3


def test_actions_by_hand_are_numbered_and_updated(store):
    treatment.import_register(store, ORG, PERIOD, REGISTER, author("Risk Officer"))
    a = treatment.add(store, ORG, PERIOD, author("Risk Officer"), "KV-002", "Water restriction campaign",
                      due_date="2025-10-31", resources="R 50 000, two officials", cost="50000")
    assert a.key == "KV-002|2" and a.owner == "" and a.resources == "R 50 000, two officials"
    b = treatment.update(store, ORG, PERIOD, author("Risk Officer"), "KV-002|2", owner="Communications",
                         status="done", progress="100%")
    assert (b.owner, b.status, b.action) == ("Communications", "done", "Water restriction campaign")
    found = treatment.actions(store, ORG, PERIOD)
    assert "KV-002|2" not in [x.key for x in treatment.overdue(found, dt.date(2025, 11, 30))]
    trail = store.history(ORG, PERIOD, "treatment_action", "KV-002|2")
    assert [h["version"] for h in trail] == [1, 2] and trail[1]["changed"] == "owner, status, progress"
    with pytest.raises(DecisionError, match="status is one of"):
        treatment.update(store, ORG, PERIOD, author("X"), "KV-002|2", status="finished")
    with pytest.raises(DecisionError, match="not a date"):
        treatment.add(store, ORG, PERIOD, author("X"), "KV-002", "x", due_date="next week")
    with pytest.raises(DecisionError, match="no treatment action"):
        treatment.update(store, ORG, PERIOD, author("X"), "KV-999|1", owner="x")


def test_sign_off_submitted_approved_reopened(store):
    assert signoff.signed_off(store, ORG, PERIOD, "risk-evaluation") is None
    s = signoff.submit(store, ORG, PERIOD, "risk-evaluation", author("Lindiwe Champion"), "Risk champion",
                       on=dt.date(2025, 12, 1))
    assert (s.state, s.version, s.round) == ("submitted", 1, "1")
    assert signoff.signed_off(store, ORG, PERIOD, "risk-evaluation") is None
    with pytest.raises(DecisionError, match="already submitted"):
        signoff.submit(store, ORG, PERIOD, "risk-evaluation", author("Lindiwe Champion"), "Risk champion")
    s = signoff.approve(store, ORG, PERIOD, "risk-evaluation", author("Sipho Mokoena"), "Municipal Manager",
                        accounting_officer="Municipal Manager", on=dt.date(2025, 12, 5))
    assert (s.state, s.version, s.role_flag) == ("approved", 2, "")
    done = signoff.signed_off(store, ORG, PERIOD, "risk-evaluation")
    assert done is not None and done.approved_by == "Sipho Mokoena" and done.approved_on == "2025-12-05"
    assert signoff.signed_off(store, ORG, PERIOD, "coso-assessment") is None  # per assessment
    with pytest.raises(DecisionError, match="signed off: reopen it"):
        signoff.submit(store, ORG, PERIOD, "risk-evaluation", author("Lindiwe Champion"), "Risk champion")
    with pytest.raises(DecisionError, match="needs the reason"):
        signoff.reopen(store, ORG, PERIOD, "risk-evaluation", author("Lindiwe Champion"), " ")
    s = signoff.reopen(store, ORG, PERIOD, "risk-evaluation", author("Lindiwe Champion"),
                       "KV-002 re-rated after the drought", on=dt.date(2026, 1, 15))
    assert (s.state, s.version, s.reason) == ("reopened", 3, "KV-002 re-rated after the drought")
    assert signoff.signed_off(store, ORG, PERIOD, "risk-evaluation") is None
    s = signoff.submit(store, ORG, PERIOD, "risk-evaluation", author("Lindiwe Champion"), "Risk champion")
    assert (s.state, s.version, s.round) == ("submitted", 4, "2")
    trail = signoff.history(store, ORG, PERIOD, "risk-evaluation")
    assert [(h["version"], h["who"], h["before"] and h["before"]["state"], h["after"]["state"]) for h in trail] == [
        (1, "Lindiwe Champion", None, "submitted"),
        (2, "Sipho Mokoena", "submitted", "approved"),
        (3, "Lindiwe Champion", "approved", "reopened"),
        (4, "Lindiwe Champion", "reopened", "submitted")]
    assert trail[2]["after"]["reason"] == "KV-002 re-rated after the drought"
    assert trail[2]["changed"] == "state, reopened_by, reopened_on, reason"


def test_sign_off_by_another_role_is_flagged_and_approval_needs_a_submission(store):
    with pytest.raises(DecisionError, match="never submitted"):
        signoff.approve(store, ORG, PERIOD, "risk-evaluation", author("X"), "Municipal Manager")
    signoff.submit(store, ORG, PERIOD, "risk-evaluation", author("Lindiwe Champion"), "Risk champion")
    s = signoff.approve(store, ORG, PERIOD, "risk-evaluation", author("P. Naidoo"), "Chief Financial Officer",
                        accounting_officer="Municipal Manager")
    assert s.signed_off and s.role_flag == ("signed off by the Chief Financial Officer; the accounting officer is "
                                            "the Municipal Manager")
