"""What a decision, a treatment action and a sign-off are, as read from their records (all text, as the store keeps
them), and the words and dates they share."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from workbook_lib.core.due import SUBJECT_KINDS

# ---- decisions -------------------------------------------------------------------------------------------------
REQUESTED, APPROVED, REJECTED, WITHDRAWN, REVOKED = "requested", "approved", "rejected", "withdrawn", "revoked"
OUTCOMES = (APPROVED, REJECTED, WITHDRAWN, REVOKED)
# what each outcome may follow: a request is approved, rejected or withdrawn; an approval is revoked
ALLOWED_FROM = {APPROVED: (REQUESTED,), REJECTED: (REQUESTED,), WITHDRAWN: (REQUESTED,), REVOKED: (APPROVED,)}

DECISION_COLUMNS = ["decision_id", "subject_kind", "subject_id", "subject_name", "assessment", "why_due",
                    "who_may_decide",
                    "score_at_request", "level_at_request", "requested_by", "requested_role", "requested_on",
                    "reason", "conditions", "review_date", "expiry", "status", "decided_by", "decided_role",
                    "decided_on", "note", "score_at_decision", "level_at_decision", "role_flag"]

# ---- treatment actions (Template 3) ------------------------------------------------------------------------------
ACTION_STATUSES = ("not started", "in progress", "done", "cancelled")
CLOSED_ACTIONS = ("done", "cancelled")
ACTION_COLUMNS = ["risk_id", "action_no", "action", "owner", "due_date", "resources", "cost", "status", "progress",
                  "response"]

# ---- sign-off ----------------------------------------------------------------------------------------------------
SUBMITTED, SIGNED_OFF, REOPENED = "submitted", "approved", "reopened"
SIGNOFF_COLUMNS = ["assessment", "state", "round", "submitted_by", "submitted_role", "submitted_on", "approved_by",
                   "approved_role", "approved_on", "role_flag", "reopened_by", "reopened_on", "reason"]


class DecisionError(ValueError):
    """A request, decision, action or sign-off that cannot be recorded as asked (said in one line)."""


def parse_date(value: Any, what: str) -> dt.date | None:
    """A date as typed (YYYY-MM-DD), None when blank; anything else is refused naming the field."""
    if isinstance(value, dt.date):
        return value
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise DecisionError(f"{what} {text!r} is not a date: write it as YYYY-MM-DD") from None


def same_role(a: str, b: str) -> bool:
    """Two roles as people type them: case, spaces and a leading "the" do not matter."""
    def norm(s: str) -> str:
        return re.sub(r"^the ", "", re.sub(r"\s+", " ", s.strip().casefold()))
    return norm(a) == norm(b)


def subject_words(kind: str, subject_id: str, name: str = "") -> str:
    """A subject as a person reads it: "risk KV-002", "metric outside tolerance: Vacancy rate" (``name``: what it is
    called in words, where its ID is a code)."""
    if kind == "appetite":
        return SUBJECT_KINDS["appetite"]
    if name and name != subject_id:
        return f"{SUBJECT_KINDS.get(kind, kind)}: {name}"
    return f"{SUBJECT_KINDS.get(kind, kind)} {subject_id}"


def _score(text: str) -> float | None:
    try:
        return float(text) if str(text).strip() else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Decision:
    """One request and what was decided on it (a record of kind ``decision``); ``period``: where it is kept."""

    data: dict[str, str]
    period: str
    version: int = 1

    def __getattr__(self, name: str) -> str:
        if name in DECISION_COLUMNS:
            return str(self.data.get(name, "") or "")
        raise AttributeError(name)

    @property
    def number(self) -> int:
        digits = re.sub(r"\D", "", self.decision_id)
        return int(digits) if digits else 0

    @property
    def subject(self) -> tuple[str, str]:
        return self.subject_kind, self.subject_id

    @property
    def score_when_decided(self) -> float | None:
        """The subject's score when the decision was taken (else when it was requested)."""
        score = _score(self.score_at_decision)
        return score if score is not None else _score(self.score_at_request)

    @property
    def expiry_date(self) -> dt.date | None:
        return parse_date(self.expiry, "the expiry")

    @property
    def review(self) -> dt.date | None:
        return parse_date(self.review_date, "the review date")


@dataclass(frozen=True)
class Action:
    """One treatment action of a risk (a record of kind ``treatment_action``)."""

    data: dict[str, str]

    def __getattr__(self, name: str) -> str:
        if name in ACTION_COLUMNS:
            return str(self.data.get(name, "") or "")
        raise AttributeError(name)

    @property
    def key(self) -> str:
        return f"{self.risk_id}|{self.action_no}"

    def overdue(self, as_of: dt.date) -> bool:
        """Open, and its due date before ``as_of`` (an unreadable due date is not judged)."""
        if self.status in CLOSED_ACTIONS:
            return False
        try:
            due = parse_date(self.due_date, "the due date")
        except DecisionError:
            return False
        return due is not None and due < as_of

    @property
    def unowned(self) -> bool:
        return self.status not in CLOSED_ACTIONS and not self.owner.strip()


@dataclass(frozen=True)
class SignOff:
    """The sign-off state of one assessment for an organisation and period (a record of kind ``signoff``):
    ``version`` increases with every submission, approval and reopening."""

    organisation: str
    period: str
    data: dict[str, str]
    version: int
    at: dt.datetime | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    def __getattr__(self, name: str) -> str:
        if name in SIGNOFF_COLUMNS:
            return str(self.data.get(name, "") or "")
        raise AttributeError(name)

    @property
    def signed_off(self) -> bool:
        return self.state == SIGNED_OFF
