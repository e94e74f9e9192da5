"""The combined assurance's part of the committee pack: the assurance gaps among the risks in scope (each a
decision due for the accounting officer), duplicated assurance and the plan's delivery, from the JSON summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from workbook_lib.core.pack import (
    DueItem,
    PackImage,
    PackSection,
    PackTable,
    bar_chart,
    counted,
    listed_words,
    provenance_lines,
    shown,
)

COVERAGE_ORDER = ["none", "inadequate", "limited", "moderate", "extensive"]  # weakest first (the framework's words)
STATUS_WORDS = {"planned": "still planned", "not delivered": "not delivered", "delivered": "delivered",
                "no report": "not reported"}


def _lines(lines: Any) -> str:
    return ", ".join(str(n) for n in lines or []) or "none"


def pack_section(summary: dict[str, Any], out_dir: Path) -> PackSection:
    section = PackSection("Assurance gaps and the plan's delivery", provenance=provenance_lines(summary))
    params = (summary.get("provenance") or {}).get("parameters") or {}
    decider = str(params.get("accounting_officer") or "The accounting officer")
    risks = summary.get("risks") or []
    scope = [r for r in risks if r.get("in_scope") is True]
    gaps = [r for r in scope if r.get("gap") is True]
    duplications = summary.get("duplications") or []
    are = "is" if len(scope) == 1 else "are"
    section.paragraphs.append(
        f"{counted(len(scope), 'risk').capitalize()} of {len(risks)} {are} in the scope of combined assurance; "
        + (f"{len(gaps)} of them {'has' if len(gaps) == 1 else 'have'} less assurance than the residual level "
           "requires (an assurance gap)." if gaps else "none has an assurance gap."))
    section.key_figures.append(f"Combined assurance: {len(gaps)} of {len(scope)} risks in scope have an assurance gap"
                               + (f" ({listed_words([str(r.get('risk_id')) for r in gaps])})" if gaps else "")
                               + f"; {counted(len(duplications), 'control')} assured more than needed.")
    if gaps:
        frame = pd.DataFrame([{"Risk": r.get("risk_id"), "Residual level": r.get("residual_level"),
                               "Coverage": r.get("coverage"), "Required": r.get("required_coverage"),
                               "Lines giving assurance": _lines(r.get("lines"))} for r in gaps])
        frame, note = shown(frame, 15, "gaps", "highest residual score first")
        section.tables.append(PackTable("Assurance gaps", frame, note))
        for r in gaps:
            section.due.append(DueItem(
                f"Assurance of risk {r.get('risk_id')}",
                f"coverage {r.get('coverage')}, {r.get('required_coverage')} required for a "
                f"{r.get('residual_level')} residual risk", decider))
    if scope:
        seen = [c for c in COVERAGE_ORDER if any(r.get("coverage") == c for r in scope)]
        seen += sorted({str(r.get("coverage")) for r in scope} - set(seen))
        rows = [{"Coverage": c, "Risks": sum(1 for r in scope if r.get("coverage") == c and (r.get("gap") is True)
                                             == gap), "Assurance gap": "Yes" if gap else "No"}
                for c in seen for gap in (True, False)]
        section.images.append(PackImage(
            "Risks in scope by the coverage of their weakest key control, and whether that is less than required.",
            bar_chart([r for r in rows if r["Risks"]], "Coverage", "Risks", "Risks in scope by assurance coverage",
                      colour="Assurance gap", colours={"Yes": "#c0392b", "No": "#1a9641"}, sort=seen)))
    if duplications:
        section.tables.append(PackTable("Controls assured more than needed", pd.DataFrame([{
            "Risk": d.get("risk_id"), "Control": d.get("control"),
            "Providers of assurance": len(d.get("providers") or [])} for d in duplications])))
    delivery = summary.get("delivery") if isinstance(summary.get("delivery"), dict) else None
    if delivery:
        quarters = delivery.get("quarters") or {}
        if quarters:
            section.tables.append(PackTable("Delivery of the assurance plan", pd.DataFrame([{
                "Quarter": q, **{STATUS_WORDS.get(k, str(k)).capitalize(): v for k, v in counts.items()}}
                for q, counts in quarters.items()])))
        left = delivery.get("left_without") or []
        if left:
            section.paragraphs.append("Risks left without the assurance planned: " + listed_words(
                [f"{x.get('risk_id')} ({x.get('quarter')})" for x in left]) + ".")
        actions = delivery.get("actions") or []
        if actions:
            frame = pd.DataFrame([{"Quarter": a.get("quarter"), "Risk": a.get("risk_id"), "Control": a.get("control"),
                                   "Delivery": STATUS_WORDS.get(str(a.get("status")), str(a.get("status"))),
                                   "Corrective action": a.get("corrective_action") or "",
                                   "Due": a.get("action_due") or "", "Overdue": a.get("overdue") is True}
                                  for a in actions])
            section.tables.append(PackTable("Corrective actions", frame))
            overdue = sum(a.get("overdue") is True for a in actions)
            if overdue:
                section.key_figures.append(f"Assurance plan: {counted(overdue, 'corrective action')} overdue.")
    else:
        section.paragraphs.append("No delivery of the assurance plan was reported for this period.")
    return section
