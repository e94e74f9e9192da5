"""The decisions the risk evaluation says are due, read from its JSON summary: each open, rated risk whose residual
is above the appetite (or the tolerance) goes to the decision maker the methodology names for it, and the appetite
and tolerance themselves until someone has approved them. Reads the summary only, so the decisions package needs
nothing of the risk evaluation."""

from __future__ import annotations

from typing import Any

from workbook_lib.core.due import Due, number


def _score(value: Any) -> str:
    n = number(value)
    return "no score" if n is None else (f"{n:g}")


def decisions_due(summary: dict[str, Any]) -> list[Due]:
    organisation, period = str(summary.get("organisation", "")), str(summary.get("period", ""))
    due = []
    for risk in summary.get("risks") or []:
        if risk.get("above_appetite") is not True or risk.get("status", "open") not in ("open", None):
            continue
        level = risk.get("residual_level") or ""
        applied = risk.get("appetite_applied")
        why = (f"residual risk {_score(risk.get('residual_score'))}" + (f" ({level})" if level else "")
               + " is above the appetite" + (f" of {applied}" if applied else "")
               + ": accepting it needs a decision, or it must be treated")
        due.append(Due("risk", str(risk.get("risk_id", "")), organisation, period, why,
                       str(risk.get("decision_maker") or ""), "risk-evaluation",
                       number(risk.get("residual_score")), str(level)))
    approval = summary.get("appetite_approval") or {}
    if summary.get("risks") is not None and not approval.get("approved_by"):
        due.append(Due("appetite", "appetite and tolerance", organisation, period,
                       "the risk appetite and tolerance have not been approved",
                       str(approval.get("approver") or ""), "risk-evaluation"))
    return due
