"""Who a request, decision or sign-off step is recorded as: the role typed (one user on one machine), or, once the
store holds access records, what the user's grants say (core/access.py: a decider's position, "Municipal Manager";
a champion submits and reopens)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbook_lib.assessments.decisions.model import DecisionError, same_role
from workbook_lib.assessments.decisions.records import DECISION
from workbook_lib.core import access

if TYPE_CHECKING:
    from workbook_lib.core.store import Author, Store

def acting_role(store: Store, organisation: str, period: str, author: Author, typed: str,
                action: str | None = None) -> str:
    """The role a request, decision or sign-off step is recorded in. With no access record (one user on one
    machine): as typed. With access records the user's grants decide: ``action`` ("decide": approve, reject, revoke,
    sign off; "submit": submit or reopen a period) must be allowed (refused with an audit row otherwise), and the
    role recorded is the position the grant names ("Municipal Manager"; a typed role must be one of them), else the
    typed role, else the role held in words ("Risk champion")."""
    typed = " ".join(typed.split())
    if not store.access_enforced():
        return typed
    user = access.acting_user(store.user, author)
    if action:
        store.require(user, organisation, action, period=period, kind=DECISION.kind)
    positions = store.access_positions(user, organisation, "decider" if action == "decide" else "champion"
                                       if action == "submit" else "decider")
    if positions and typed:
        matching = [p for p in positions if same_role(p, typed)]
        if not matching and action:
            raise DecisionError(f"your access to {organisation} names you as {' or '.join(positions)}, not as "
                                f"{typed}: leave the role blank, or ask its administrator")
        return matching[0] if matching else typed
    if positions:
        if len(positions) > 1 and action:
            raise DecisionError(f"you hold this role in {organisation} as {' and as '.join(positions)}: say which "
                                "(--role)")
        return positions[0]
    if typed:
        return typed
    order = ("champion", "owner", "decider", "admin", "line1", "line2", "line3")  # the role a request is made in
    held = [access.ROLE_WORDS[r] for r in order if r in store.access_roles(user, organisation)]
    return held[0] if held else ""
