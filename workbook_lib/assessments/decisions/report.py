"""Decisions as a person reads them and as JSON: what is due, requested, taken and expired for an organisation and
period, the treatment actions overdue or without an owner, and the sign-off state of each assessment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from workbook_lib.assessments.decisions.due import NEEDS_DECISION, Standing
from workbook_lib.assessments.decisions.model import (
    APPROVED,
    DECISION_COLUMNS,
    REJECTED,
    REQUESTED,
    REVOKED,
    WITHDRAWN,
    Action,
    Decision,
    SignOff,
    subject_words,
)

TAKEN = (APPROVED, REJECTED, WITHDRAWN, REVOKED)


def decision_dict(d: Decision) -> dict[str, Any]:
    return {"period": d.period, "version": d.version, **{c: (d.data.get(c) or None) for c in DECISION_COLUMNS}}


def decisions_summary(found: list[Standing], decisions: list[Decision], as_of: dt.date,
                      actions: list[Action] | None = None, signoffs: list[SignOff] | None = None) -> dict[str, Any]:
    """The ``decisions`` part of a JSON summary: due (with why and who may decide), requested, taken, expired (an
    approval that no longer holds, and why), flagged (decided by another role than the one named)."""
    out: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "due": [s.as_dict() for s in found if s.state in NEEDS_DECISION],
        "requested": [s.as_dict() for s in found if s.state == REQUESTED],
        "taken": [decision_dict(d) for d in decisions if d.status in TAKEN],
        "expired": [s.as_dict() for s in found if s.expired],
        "flagged": [decision_dict(d) for d in decisions if d.role_flag],
    }
    if actions is not None:
        out["treatment"] = {"actions": len(actions), "overdue": [a.data for a in actions if a.overdue(as_of)],
                            "unowned": [a.data for a in actions if a.unowned]}
    if signoffs is not None:
        out["signoff"] = [{"assessment": s.assessment, "state": s.state, "version": s.version, **s.data}
                          for s in signoffs]
    return out


def standing_lines(found: list[Standing]) -> list[str]:
    """One line per subject, for the command line."""
    lines = []
    for s in found:
        who = f" [decides: {s.who_may_decide}]" if s.who_may_decide else ""
        flag = f"  FLAGGED: {s.flag}" if s.flag else ""
        lines.append(f"{s.state:14} {subject_words(s.subject_kind, s.subject_id, s.name)}{who}: {s.reason}{flag}")
    return lines


def decision_lines(decisions: list[Decision]) -> list[str]:
    lines = []
    for d in decisions:
        when = f" on {d.decided_on}" if d.decided_on else ""
        by = f" by {d.decided_by} ({d.decided_role}){when}" if d.decided_by else \
            f", requested by {d.requested_by} ({d.requested_role}) on {d.requested_on}"
        carried = "" if not d.period else f" [{d.period}]"
        flag = f"  FLAGGED: {d.role_flag}" if d.role_flag else ""
        named = subject_words(*d.subject, d.subject_name)
        lines.append(f"{d.decision_id}{carried} {named}: {d.status}{by}; expires {d.expiry}"
                     + (f", review {d.review_date}" if d.review_date else "") + flag)
    return lines


def action_lines(found: list[Action], as_of: dt.date) -> list[str]:
    lines = []
    for a in found:
        marks = [m for m, on in (("OVERDUE", a.overdue(as_of)), ("NO OWNER", a.unowned)) if on]
        lines.append(f"{a.key:12} {a.status:12} due {a.due_date or '-':10} owner {a.owner or '-'}: {a.action}"
                     + (f" [{a.progress}]" if a.progress else "") + (f"  {', '.join(marks)}" if marks else ""))
    return lines
