"""The decisions risk monitoring says are due, read from its JSON summary: each tolerance metric outside its
tolerance is escalated, and staying outside it is approved only if unavoidable, by the authority the methodology
names (``approval_if_unavoidable``). Reads the summary only."""

from __future__ import annotations

from typing import Any

from workbook_lib.core.due import Due


def decisions_due(summary: dict[str, Any]) -> list[Due]:
    organisation, period = str(summary.get("organisation", "")), str(summary.get("period", ""))
    due = []
    for e in summary.get("escalations") or []:
        name = e.get("name") or e.get("metric")
        latest = e.get("latest")
        reading = "" if latest is None else f" reads {latest:g}" if isinstance(latest, int | float) else \
            f" reads {latest}"
        risks = ", ".join(e.get("risk_ids") or [])
        why = (f"{name}{reading}, outside its tolerance ({e.get('tolerance') or 'as the catalogue sets it'})"
               + (f"; it informs {risks}" if risks else "")
               + ": staying outside tolerance needs approval, or the deviation must be acted on")
        who = e.get("approval_if_unavoidable") or e.get("escalate_to") or ""
        due.append(Due("metric", str(e.get("metric", "")), organisation, period, why, str(who), "risk-monitoring",
                       name=str(e.get("name") or "")))
    return due
