"""The decisions combined assurance says are due, read from its JSON summary: each risk in scope whose assurance
coverage is below what it needs (a gap) is closed or accepted by the accounting officer, who decides finally which
provider assures each risk. Reads the summary only."""

from __future__ import annotations

from typing import Any

from workbook_lib.core.due import Due, number


def decisions_due(summary: dict[str, Any]) -> list[Due]:
    organisation, period = str(summary.get("organisation", "")), str(summary.get("period", ""))
    who = str((summary.get("roles") or {}).get("accounting_officer") or summary.get("accounting_officer") or "")
    due = []
    for risk in summary.get("risks") or []:
        if not risk.get("gap") or not risk.get("in_scope", True):
            continue
        why = (f"assurance coverage is {risk.get('coverage') or 'none'} where {risk.get('required_coverage')} is "
               "needed: close the gap or accept it")
        due.append(Due("assurance_gap", str(risk.get("risk_id", "")), organisation, period, why, who,
                       "combined-assurance", number(risk.get("residual_score")), str(risk.get("residual_level") or "")))
    return due
