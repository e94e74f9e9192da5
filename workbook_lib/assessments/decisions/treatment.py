"""Treatment plans (the provincial guide's Template 3, "Treatment of risk"): per risk, actions with an owner, a due
date, the resources or cost needed, a status and progress. Overdue actions (judged against ``as_of``) and actions
without an owner are listed. A register's action columns (``actions``, ``treatment_owner``, ``due_date``,
``progress``, ``response``) import as action 1 of each risk; actions added by hand are numbered from 2 on."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from workbook_lib.assessments.decisions.model import ACTION_STATUSES, Action, DecisionError, parse_date
from workbook_lib.assessments.decisions.records import TREATMENT_ACTION

if TYPE_CHECKING:
    from workbook_lib.core.store import Author, SaveResult, Store

DONE_WORDS = re.compile(r"^\s*(100\s*%|done|complete(d)?|implemented|closed|finished)\b", re.IGNORECASE)


def actions(store: Store, organisation: str, period: str) -> list[Action]:
    """The treatment actions of the period, by risk and number."""
    found = [Action(r.data) for r in store.current(organisation, period, TREATMENT_ACTION.kind)]
    return sorted(found, key=lambda a: (a.risk_id, int(a.action_no) if a.action_no.isdigit() else 0))


def overdue(found: Iterable[Action], as_of: dt.date) -> list[Action]:
    return [a for a in found if a.overdue(as_of)]


def unowned(found: Iterable[Action]) -> list[Action]:
    return [a for a in found if a.unowned]


def status_from_progress(progress: str) -> str:
    """A register's progress in words or a share: complete -> done; anything written -> in progress."""
    if DONE_WORDS.match(progress or ""):
        return "done"
    return "in progress" if (progress or "").strip() and not re.fullmatch(r"\s*0\s*%?\s*", progress) else "not started"


def _checked(data: dict[str, str]) -> dict[str, str]:
    if not data.get("risk_id", "").strip():
        raise DecisionError("an action needs the risk it treats (--risk)")
    if not data.get("action", "").strip():
        raise DecisionError(f"an action of {data['risk_id']} needs its text (--action)")
    if data.get("status") and data["status"] not in ACTION_STATUSES:
        raise DecisionError(f"an action's status is one of {', '.join(ACTION_STATUSES)}, not {data['status']!r}")
    parse_date(data.get("due_date"), f"the due date of {data['risk_id']}'s action")
    return data


def add(store: Store, organisation: str, period: str, author: Author, risk_id: str, action: str, owner: str = "",
        due_date: str = "", resources: str = "", cost: str = "", status: str = "not started",
        progress: str = "", source: str = "cli") -> Action:
    """A new action for a risk, numbered after its others (``source``: where it was entered, kept in the trail)."""
    taken = [int(a.action_no) for a in actions(store, organisation, period)
             if a.risk_id == risk_id.strip() and a.action_no.isdigit()]
    data = _checked({"risk_id": risk_id.strip(), "action_no": str(max([1, *taken]) + 1 if taken else 2),
                     "action": action.strip(), "owner": owner.strip(), "due_date": due_date.strip(),
                     "resources": resources.strip(), "cost": cost.strip(), "status": status or "not started",
                     "progress": progress.strip(), "response": ""})
    store.save(organisation, period, TREATMENT_ACTION.kind, {Action(data).key: data}, author, source=source)
    return Action(data)


def update(store: Store, organisation: str, period: str, author: Author, key: str, source: str = "cli",
           **changes: str) -> Action:
    """Change an action (its key ``RISK|N``): only the fields given change."""
    current = {a.key: a for a in actions(store, organisation, period)}
    if key not in current:
        raise DecisionError(f"there is no treatment action {key!r} for {organisation}, {period} "
                            "(`workbook treatment list` shows them, as RISK|N)")
    data = _checked({**current[key].data, **{k: v.strip() for k, v in changes.items() if v is not None}})
    store.save(organisation, period, TREATMENT_ACTION.kind, {key: data}, author, source=source)
    return Action(data)


def from_register(rows: Iterable[dict[str, str]]) -> dict[str, dict[str, str]]:
    """Action 1 of each risk of a register (canonical columns) that names actions or a treatment owner."""
    found: dict[str, dict[str, str]] = {}
    for row in rows:
        risk_id = str(row.get("risk_id", "") or "").strip()
        text = str(row.get("actions", "") or row.get("action", "") or "").strip()
        if not risk_id or not text:
            continue
        progress = str(row.get("progress", "") or "").strip()
        data = {"risk_id": risk_id, "action_no": "1", "action": text,
                "owner": str(row.get("treatment_owner", "") or row.get("owner", "") or "").strip(),
                "due_date": str(row.get("due_date", "") or "").strip(),
                "resources": str(row.get("resources", "") or ""),
                "cost": str(row.get("cost", "") or ""), "status": status_from_progress(progress), "progress": progress,
                "response": str(row.get("response", "") or "").strip()}
        found[f"{risk_id}|1"] = data
    return found


def import_register(store: Store, organisation: str, period: str, rows: Iterable[dict[str, str]],
                    author: Author) -> SaveResult:
    """Save a register's action columns as action 1 of each risk (unchanged ones are not written again); every
    action is checked before anything is saved."""
    found = from_register(rows)
    problems = []
    for data in found.values():
        try:
            _checked(data)
        except DecisionError as exc:
            problems.append(str(exc))
    if problems:
        raise DecisionError(f"{len(problems)} action(s) cannot be imported, nothing was saved: " + "; ".join(problems))
    if not found:
        raise DecisionError("the register names no treatment actions (columns actions, treatment_owner, due_date, "
                            "progress): nothing was saved")
    return store.save(organisation, period, TREATMENT_ACTION.kind, found, author, source="import")
