"""Sign-off of an assessment for a period: the risk champion submits it, the accounting officer approves it (signs
it off), and a change after that reopens it with a reason. Each step writes the next version of the assessment's
``signoff`` record, so the audit trail is the sign-off's history. ``signed_off`` tells a form whether to show the
period read-only."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from workbook_lib.assessments.decisions.model import REOPENED, SIGNED_OFF, SUBMITTED, DecisionError, SignOff, same_role
from workbook_lib.assessments.decisions.records import SIGNOFF
from workbook_lib.assessments.decisions.roles import acting_role

if TYPE_CHECKING:
    from workbook_lib.core.store import Author, Store


def state(store: Store, organisation: str, period: str, assessment: str) -> SignOff | None:
    """The assessment's sign-off record for the period as it stands (None: never submitted)."""
    for r in store.current(organisation, period, SIGNOFF.kind):
        if r.key == assessment:
            return SignOff(organisation, period, r.data, r.version, r.at)
    return None


def signed_off(store: Store, organisation: str, period: str, assessment: str) -> SignOff | None:
    """The sign-off, when the assessment is signed off for the period (a form then shows it read-only); else None."""
    current = state(store, organisation, period, assessment)
    return current if current is not None and current.signed_off else None


def read_only_line(store: Store, organisation: str, period: str, assessment: str) -> str:
    """The line a form shows above itself when the assessment is signed off for the period (blank: it is not)."""
    done = signed_off(store, organisation, period, assessment)
    if done is None:
        return ""
    try:
        when = f"{dt.date.fromisoformat(done.approved_on):%d %B %Y}"
    except (TypeError, ValueError):
        when = done.approved_on or "an unknown date"
    return (f"Signed off by {done.approved_by or 'someone'} on {when}: read-only. To change it, ask the risk "
            "champion or the accounting officer to reopen the period, with the reason")


def history(store: Store, organisation: str, period: str, assessment: str) -> list[dict[str, Any]]:
    """Every step of the sign-off, oldest first (the store's audit rows)."""
    return store.history(organisation, period, SIGNOFF.kind, assessment)


def _save(store: Store, organisation: str, period: str, assessment: str, data: dict[str, str],
          author: Author) -> SignOff:
    store.save(organisation, period, SIGNOFF.kind, {assessment: data}, author, source="cli")
    found = state(store, organisation, period, assessment)
    assert found is not None
    return found


def submit(store: Store, organisation: str, period: str, assessment: str, author: Author, role: str,
           on: dt.date | None = None) -> SignOff:
    """The risk champion submits the assessment for sign-off."""
    on = on or dt.date.today()
    role = acting_role(store, organisation, period, author, role, "submit")
    if not role.strip():
        raise DecisionError("a submission needs the role of the person submitting (--role), e.g. Risk champion")
    current = state(store, organisation, period, assessment)
    if current is not None and current.state == SUBMITTED:
        raise DecisionError(f"{assessment} for {organisation}, {period} is already submitted and waits for approval")
    if current is not None and current.state == SIGNED_OFF:
        raise DecisionError(f"{assessment} for {organisation}, {period} is signed off: reopen it with a reason first")
    rounds = int(current.round) + 1 if current is not None and current.round.isdigit() else 1
    data = {**(current.data if current else {}), "assessment": assessment, "state": SUBMITTED, "round": str(rounds),
            "submitted_by": author.name.strip(), "submitted_role": role.strip(), "submitted_on": on.isoformat(),
            "approved_by": "", "approved_role": "", "approved_on": "", "role_flag": ""}
    return _save(store, organisation, period, assessment, data, author)


def approve(store: Store, organisation: str, period: str, assessment: str, author: Author, role: str,
            accounting_officer: str = "", on: dt.date | None = None) -> SignOff:
    """The accounting officer signs the submitted assessment off. An approval by another role is recorded and
    flagged (``accounting_officer``: the role the organisation's settings name; blank: not checked)."""
    on = on or dt.date.today()
    role = acting_role(store, organisation, period, author, role, "decide")
    if not role.strip():
        raise DecisionError("an approval needs the role of the person approving (--role), e.g. Municipal Manager")
    current = state(store, organisation, period, assessment)
    if current is None or current.state != SUBMITTED:
        now = "never submitted" if current is None else current.state
        raise DecisionError(f"{assessment} for {organisation}, {period} is {now}: only a submitted assessment can "
                            "be signed off")
    flag = "" if not accounting_officer or same_role(accounting_officer, role) else \
        f"signed off by the {role.strip()}; the accounting officer is the {accounting_officer}"
    data = {**current.data, "state": SIGNED_OFF, "approved_by": author.name.strip(), "approved_role": role.strip(),
            "approved_on": on.isoformat(), "role_flag": flag}
    return _save(store, organisation, period, assessment, data, author)


def reopen(store: Store, organisation: str, period: str, assessment: str, author: Author, reason: str,
           on: dt.date | None = None) -> SignOff:
    """A change after sign-off (or after submission) reopens the assessment, with the reason; it is then submitted
    and signed off again as a new version."""
    on = on or dt.date.today()
    if not reason.strip():
        raise DecisionError("reopening needs the reason (--reason): what changed after the sign-off")
    acting_role(store, organisation, period, author, "", "reopen")  # with access records: champion or decider
    current = state(store, organisation, period, assessment)
    if current is None or current.state not in (SUBMITTED, SIGNED_OFF):
        now = "never submitted" if current is None else current.state
        raise DecisionError(f"{assessment} for {organisation}, {period} is {now}: there is nothing to reopen")
    data = {**current.data, "state": REOPENED, "reopened_by": author.name.strip(), "reopened_on": on.isoformat(),
            "reason": reason.strip()}
    return _save(store, organisation, period, assessment, data, author)


def changed_after(store: Store, organisation: str, period: str, kinds: list[str], since: SignOff) -> list[dict]:
    """The changes to the assessment's records (``kinds``) saved after it was signed off: each one is a reason to
    reopen it."""
    if since.at is None:
        return []
    return [h for k in kinds for h in store.history(organisation, period, k) if h["at"] > since.at]
