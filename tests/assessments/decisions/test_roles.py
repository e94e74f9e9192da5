"""Roles from access records (issue 27 with issue 28): once the store holds access records, who may request, decide
and sign off, and the role a decision is recorded in, come from the user's grants - a decider's position ("Municipal
Manager"), never a role typed to match; without access records the role typed is recorded, as before."""

from __future__ import annotations

import pytest

from tests.assessments.decisions.conftest import ORG, PERIOD
from workbook_lib.assessments import decisions_due
from workbook_lib.assessments.decisions import ledger, signoff
from workbook_lib.assessments.decisions.model import REOPENED, SIGNED_OFF, DecisionError
from workbook_lib.core import access
from workbook_lib.core.access import AccessRefused
from workbook_lib.core.store import Author, Store

ADMIN = Author("Ayanda", identity="cli")


@pytest.fixture(autouse=True)
def outside_the_app(monkeypatch):
    for name in ("WORKBOOK_APP", "SERVER_SOFTWARE", access.USER_HEADER_ENV, access.REQUIRE_USER_ENV,
                 access.CLI_USER_ENV):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def granted(store):
    """Karoo Vale with its people: a champion, a risk owner, a reader, the Municipal Manager as decider and a
    director who decides as Chief Financial Officer or as acting Municipal Manager."""
    store.grant(ORG, "Ayanda", "admin", ADMIN, first_admin=True)
    for user, role, position in (("Lindiwe", "champion", ""), ("Thandi", "owner", ""), ("Rea", "reader", ""),
                                 ("Sipho", "decider", "Municipal Manager"),
                                 ("Pravin", "decider", "Chief Financial Officer"),
                                 ("Pravin", "owner", "")):
        store.grant(ORG, user, role, ADMIN, position=position)
    return store


def _as(store: Store, user: str) -> Store:
    return Store(store.url, user=user)


def _kv002(risk_summary):
    return next(d for d in decisions_due([risk_summary]) if d.subject == "risk:KV-002")


def test_without_access_records_the_typed_role_is_recorded(store, risk_summary):
    d = ledger.request(store, _kv002(risk_summary), Author("Thandi"), "Risk owner", "no second source", "2030-06-30")
    d = ledger.decide(store, ORG, PERIOD, d.decision_id, "approved", Author("Anyone"), "Council")
    assert d.decided_role == "Council" and "the methodology names the Municipal Manager" in d.role_flag


def test_a_deciders_position_is_the_role_recorded(granted, risk_summary):
    d = ledger.request(_as(granted, "Thandi"), _kv002(risk_summary), Author("Thandi"), "", "no second source",
                       "2030-06-30")
    assert d.requested_role == "Risk owner"  # nothing typed: the role held, in words
    d = ledger.decide(_as(granted, "Sipho"), ORG, PERIOD, d.decision_id, "approved", Author("Sipho"), "")
    assert (d.decided_role, d.role_flag) == ("Municipal Manager", "")
    assert [h["who"] for h in _as(granted, "Ayanda").history(ORG, PERIOD, "decision")][-1] == "Sipho"


def test_a_role_typed_against_the_grant_is_refused(granted, risk_summary):
    d = ledger.request(_as(granted, "Thandi"), _kv002(risk_summary), Author("Thandi"), "Risk owner", "why",
                       "2030-06-30")
    with pytest.raises(DecisionError, match="names you as Municipal Manager, not as Council"):
        ledger.decide(_as(granted, "Sipho"), ORG, PERIOD, d.decision_id, "approved", Author("Sipho"), "Council")
    d = ledger.decide(_as(granted, "Pravin"), ORG, PERIOD, d.decision_id, "approved", Author("Pravin"), "")
    assert d.decided_role == "Chief Financial Officer"  # the grant's position: a decision by another role, flagged
    assert "the methodology names the Municipal Manager" in d.role_flag


@pytest.mark.parametrize("user", ["Thandi", "Rea", "Lindiwe", "Stranger"])
def test_only_a_decider_decides_and_every_refusal_is_kept(granted, risk_summary, user):
    d = ledger.request(_as(granted, "Thandi"), _kv002(risk_summary), Author("Thandi"), "Risk owner", "why",
                       "2030-06-30")
    with pytest.raises(AccessRefused):
        ledger.decide(_as(granted, user), ORG, PERIOD, d.decision_id, "approved", Author(user), "Municipal Manager")
    refused = granted.refused(ORG)
    assert refused[-1]["who"] == user and refused[-1]["action"] == "decide" and refused[-1]["kind"] == "decision"
    assert ledger.find(_as(granted, "Rea"), ORG, PERIOD, d.decision_id).status == "requested"  # nothing changed


def test_the_champion_submits_a_decider_signs_off_either_reopens(granted):
    with pytest.raises(AccessRefused, match="Only the risk champion"):
        signoff.submit(_as(granted, "Thandi"), ORG, PERIOD, "risk-evaluation", Author("Thandi"), "Risk champion")
    s = signoff.submit(_as(granted, "Lindiwe"), ORG, PERIOD, "risk-evaluation", Author("Lindiwe"), "")
    assert s.data["submitted_role"] == "Risk champion"
    with pytest.raises(AccessRefused, match="Only a decision maker"):
        signoff.approve(_as(granted, "Lindiwe"), ORG, PERIOD, "risk-evaluation", Author("Lindiwe"),
                        "Municipal Manager")
    s = signoff.approve(_as(granted, "Sipho"), ORG, PERIOD, "risk-evaluation", Author("Sipho"), "",
                        accounting_officer="Municipal Manager")
    assert (s.state, s.data["approved_role"], s.data["role_flag"]) == (SIGNED_OFF, "Municipal Manager", "")
    with pytest.raises(AccessRefused, match="Only the risk champion or a decision maker"):
        signoff.reopen(_as(granted, "Thandi"), ORG, PERIOD, "risk-evaluation", Author("Thandi"), "late audit finding")
    assert signoff.reopen(_as(granted, "Sipho"), ORG, PERIOD, "risk-evaluation", Author("Sipho"),
                          "late audit finding").state == REOPENED


def test_the_position_is_kept_with_the_grant_and_listed(granted):
    rows = {(r["user"], r["role"]): r["position"] for r in granted.access_list(ORG)}  # no check: the caller reads
    assert rows[("Sipho", "decider")] == "Municipal Manager" and rows[("Thandi", "owner")] == ""
    assert granted.access_positions("sipho", ORG) == ["Municipal Manager"]  # names without regard to case
