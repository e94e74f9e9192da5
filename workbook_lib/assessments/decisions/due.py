"""Where each subject stands: what the assessments say is due now, joined to the latest decision on it. An approval
past its expiry or review date (judged against the run's ``as_of``), or whose subject's score is worse than when it
was approved, is due again, with the reason in words; so is one revoked, or a request withdrawn."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from workbook_lib.assessments.decisions.model import (
    APPROVED,
    REJECTED,
    REQUESTED,
    REVOKED,
    WITHDRAWN,
    Decision,
    DecisionError,
    subject_words,
)
from workbook_lib.core.due import Due

DUE, DUE_AGAIN, NO_LONGER_DUE = "due", "due again", "no longer due"
NEEDS_DECISION = (DUE, DUE_AGAIN)


@dataclass(frozen=True)
class Standing:
    """One subject: ``state`` (due, due again, requested, approved, rejected, no longer due), why in words, who may
    decide, the latest decision on it (if any), and a flag when that decision was taken by another role."""

    subject_kind: str
    subject_id: str
    state: str
    reason: str
    who_may_decide: str
    due: Due | None
    decision: Decision | None

    @property
    def name(self) -> str:
        """What the subject is called in words, where its ID is a code ("Vacancy rate"); blank: its ID."""
        return (self.due.name if self.due is not None else "") or (self.decision.subject_name if self.decision
                                                                   else "")

    @property
    def flag(self) -> str:
        return self.decision.role_flag if self.decision is not None else ""

    @property
    def expired(self) -> bool:
        """An approval that no longer holds (expired, past review, or the subject got worse)."""
        return self.state == DUE_AGAIN and self.decision is not None and self.decision.status == APPROVED

    def as_dict(self) -> dict[str, Any]:
        d = self.decision
        return {"subject_kind": self.subject_kind, "subject_id": self.subject_id, "name": self.name or None,
                "state": self.state,
                "reason": self.reason, "who_may_decide": self.who_may_decide or None,
                "assessment": (self.due.assessment if self.due else d.assessment if d else None) or None,
                "score": self.due.score if self.due else None,
                "decision_id": d.decision_id if d else None, "decision_period": d.period if d else None,
                "decision_status": d.status if d else None, "flag": self.flag or None}


def latest(decisions: list[Decision]) -> dict[tuple[str, str], Decision]:
    """The latest decision on each subject (``decisions`` oldest first, as ``ledger.on_record`` gives them)."""
    return {d.subject: d for d in decisions}


def _approval_lapsed(d: Decision, due: Due | None, as_of: dt.date) -> str:
    """Why an approval no longer holds, in words (blank: it holds)."""
    try:
        expiry, review = d.expiry_date, d.review
    except DecisionError as exc:
        return f"its dates cannot be read ({exc})"
    by = f"{d.decision_id}, approved by {d.decided_by or 'someone'} on {d.decided_on or 'an unknown date'}"
    if expiry is not None and as_of > expiry:
        return f"{by}, expired on {expiry.isoformat()} (as of {as_of.isoformat()})"
    if review is not None and as_of > review:
        return f"{by}, was to be reviewed by {review.isoformat()} (as of {as_of.isoformat()}) and has not been"
    then = d.score_when_decided
    if due is not None and due.score is not None and then is not None and due.score > then:
        level = f" ({due.level})" if due.level else ""
        was = f" ({d.level_at_decision or d.level_at_request})" if (d.level_at_decision or d.level_at_request) else ""
        return f"{by}: the risk got worse since, score {due.score:g}{level} now against {then:g}{was} when approved"
    return ""


def standings(due: list[Due], decisions: list[Decision], as_of: dt.date,
              judged: set[str] | None = None) -> list[Standing]:
    """Every subject due now or with a decision on record, due ones first. ``judged``: the assessments whose
    summaries were read (a decision on a subject of another assessment is judged by its dates only, never called
    no longer due)."""
    judged = {d.assessment for d in due} if judged is None else judged
    last = latest(decisions)
    now = {(d.subject_kind, d.subject_id): d for d in due}
    out: list[Standing] = []
    for subject in [*now, *(s for s in last if s not in now)]:
        item, dec = now.get(subject), last.get(subject)
        who = item.who_may_decide if item is not None else (dec.who_may_decide if dec else "")
        out.append(Standing(*subject, *_state(item, dec, as_of, judged), who, item, dec))
    order = {DUE_AGAIN: 0, DUE: 1, REQUESTED: 2, REJECTED: 3, APPROVED: 4, WITHDRAWN: 5, NO_LONGER_DUE: 6}
    return sorted(out, key=lambda s: order.get(s.state, 9))


def _state(item: Due | None, dec: Decision | None, as_of: dt.date, judged: set[str]) -> tuple[str, str]:
    if dec is None:
        return DUE, item.why if item is not None else ""
    if item is None and dec.assessment in judged:
        named = subject_words(*dec.subject, dec.subject_name)
        return NO_LONGER_DUE, f"{named} no longer needs a decision ({dec.decision_id} {dec.status})"
    if dec.status == REQUESTED:
        return REQUESTED, (f"{dec.decision_id} requested by {dec.requested_by} on {dec.requested_on}, waiting for "
                           f"the {dec.who_may_decide or 'decision maker'}")
    if dec.status == APPROVED:
        lapsed = _approval_lapsed(dec, item, as_of)
        if lapsed:
            return DUE_AGAIN, lapsed
        return APPROVED, (f"{dec.decision_id} approved by {dec.decided_by} ({dec.decided_role}) on {dec.decided_on}"
                          f", until {dec.expiry}" + (f", review by {dec.review_date}" if dec.review_date else ""))
    if dec.status == REJECTED:
        return REJECTED, (f"{dec.decision_id} rejected by {dec.decided_by} ({dec.decided_role}) on {dec.decided_on}:"
                          " treat the risk, or request again with a new reason")
    if dec.status == REVOKED:
        return DUE_AGAIN, f"{dec.decision_id} was revoked by {dec.decided_by} on {dec.decided_on}: {dec.note}"
    if dec.status == WITHDRAWN:
        return (DUE if item is not None else WITHDRAWN), f"{dec.decision_id} was withdrawn on {dec.decided_on}" + (
            f"; {item.why}" if item is not None else "")
    return DUE, item.why if item is not None else ""
