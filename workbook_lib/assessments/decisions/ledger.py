"""Requests and decisions in the store: a request becomes decision ``Dn`` of the organisation and period; deciding
it (approve, reject, withdraw, or later revoke) writes the next version of the same record, so the audit trail
holds the whole history of each decision. A decision by someone whose role is not the one the methodology names
is recorded, and flagged in the record itself."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from workbook_lib.assessments.decisions.model import (
    ALLOWED_FROM,
    APPROVED,
    OUTCOMES,
    REQUESTED,
    REVOKED,
    WITHDRAWN,
    Decision,
    DecisionError,
    parse_date,
    same_role,
    subject_words,
)
from workbook_lib.assessments.decisions.records import DECISION
from workbook_lib.assessments.decisions.roles import acting_role
from workbook_lib.core.due import SUBJECT_KINDS, Due

if TYPE_CHECKING:
    from workbook_lib.core.store import Author, Store


def _text(value: object) -> str:
    return "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def decisions(store: Store, organisation: str, period: str) -> list[Decision]:
    """The decisions kept for the organisation and period, in the order they were requested."""
    found = [Decision(r.data, period, r.version) for r in store.current(organisation, period, DECISION.kind)]
    return sorted(found, key=lambda d: d.number)


def on_record(store: Store, organisation: str, period: str) -> list[Decision]:
    """The decisions that bear on the period: its own, then those of earlier periods (an approval given last year
    still holds until it expires), oldest period first."""
    earlier = sorted(p for p in store.periods(organisation) if p < period)
    return [d for p in [*earlier, period] for d in decisions(store, organisation, p)]


def find(store: Store, organisation: str, period: str, decision_id: str) -> Decision:
    for d in decisions(store, organisation, period):
        if d.decision_id.casefold() == decision_id.strip().casefold():
            return d
    raise DecisionError(f"there is no decision {decision_id!r} for {organisation}, {period} "
                        "(`workbook decisions list` shows them)")


def request(store: Store, due: Due, author: Author, role: str, reason: str, expiry: str | dt.date,
            review_date: str | dt.date | None = None, conditions: str = "", on: dt.date | None = None) -> Decision:
    """Record a request for a decision on something due; refused while an earlier request on the same subject is
    still open, or an approval of it still holds."""
    on = on or dt.date.today()
    if due.subject_kind not in SUBJECT_KINDS:
        raise DecisionError(f"a decision is about one of {', '.join(SUBJECT_KINDS)}, not {due.subject_kind!r}")
    if not reason.strip():
        raise DecisionError("a request needs its reason (--why): why the risk should be accepted or approved")
    role = acting_role(store, due.organisation, due.period, author, role)
    if not role:
        raise DecisionError("a request needs the role of the person making it (--role)")
    ends = parse_date(expiry, "the expiry")
    if ends is None:
        raise DecisionError("a request needs an expiry date (--expiry YYYY-MM-DD): an approval holds until then")
    review = parse_date(review_date, "the review date")
    if ends <= on:
        raise DecisionError(f"the expiry {ends} is not after the request's date {on}")
    if review is not None and not on < review <= ends:
        raise DecisionError(f"the review date {review} must fall after {on} and no later than the expiry {ends}")
    existing = decisions(store, due.organisation, due.period)
    for d in reversed(existing):
        if d.subject == (due.subject_kind, due.subject_id) and d.status in (REQUESTED, APPROVED):
            raise DecisionError(f"{subject_words(*d.subject, d.subject_name)} already has {d.decision_id} "
                                f"({d.status}): decide, withdraw or revoke it first")
    number = max((d.number for d in existing), default=0) + 1
    data = {"decision_id": f"D{number}", "subject_kind": due.subject_kind, "subject_id": due.subject_id,
            "subject_name": due.name,
            "assessment": due.assessment, "why_due": due.why, "who_may_decide": due.who_may_decide,
            "score_at_request": _text(due.score), "level_at_request": due.level, "requested_by": author.name.strip(),
            "requested_role": role.strip(), "requested_on": on.isoformat(), "reason": reason.strip(),
            "conditions": conditions.strip(), "review_date": review.isoformat() if review else "",
            "expiry": ends.isoformat(), "status": REQUESTED}
    store.save(due.organisation, due.period, DECISION.kind, {data["decision_id"]: data}, author, source="cli")
    return Decision(data, due.period, 1)


def role_flag(decision: Decision, role: str) -> str:
    """Why a decision by ``role`` is flagged (blank: the role is the one the methodology names, or none is named)."""
    named = decision.who_may_decide
    if not named or same_role(named, role):
        return ""
    return f"decided by the {role.strip()}; the methodology names the {named}"


def decide(store: Store, organisation: str, period: str, decision_id: str, outcome: str, author: Author, role: str,
           note: str = "", on: dt.date | None = None, now: Due | None = None) -> Decision:
    """Record what was decided on a request (approved, rejected, withdrawn) or an approval revoked. ``now``: the
    subject as due today (its score then is kept, to notice a risk getting worse later)."""
    on = on or dt.date.today()
    if outcome not in OUTCOMES:
        raise DecisionError(f"a decision is one of {', '.join(OUTCOMES)}, not {outcome!r}")
    role = acting_role(store, organisation, period, author, role, None if outcome == WITHDRAWN else "decide")
    if not role:
        raise DecisionError("a decision needs the role of the person taking it (--role)")
    d = find(store, organisation, period, decision_id)
    if d.status not in ALLOWED_FROM[outcome]:
        allowed = " or ".join(ALLOWED_FROM[outcome])
        raise DecisionError(f"{d.decision_id} is {d.status}: only a decision that is {allowed} can be {outcome}")
    if outcome == REVOKED and not note.strip():
        raise DecisionError("revoking an approval needs a note saying why (--note)")
    data = dict(d.data)
    data.update({"status": outcome, "decided_by": author.name.strip(), "decided_role": role.strip(),
                 "decided_on": on.isoformat(), "note": note.strip(),
                 "role_flag": "" if outcome == WITHDRAWN else role_flag(d, role)})
    if outcome == APPROVED:
        data["score_at_decision"] = _text(now.score) if now is not None and now.score is not None \
            else d.score_at_request
        data["level_at_decision"] = now.level if now is not None and now.level else d.level_at_request
    store.save(organisation, period, DECISION.kind, {d.decision_id: data}, author, source="cli")
    return Decision(data, period, d.version + 1)
