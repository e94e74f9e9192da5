"""The risk evaluation's part of the committee pack: top risks and how they moved, those above appetite (each a
decision due, with its decision maker), from the JSON summary alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from workbook_lib.assessments.risk.methodology import load_methodology, shipped
from workbook_lib.core.pack import (
    DueItem,
    PackImage,
    PackSection,
    PackTable,
    bar_chart,
    counted,
    provenance_lines,
    shown,
)

TOP = 10  # risks in the table of top risks
CHANGE_WORDS = {"worse": "worse", "better": "better", "new": "new", "closed": "closed",
                "no longer listed": "no longer listed", "unchanged": "unchanged", "not comparable": "not comparable"}


def _method_words(method: dict[str, Any]) -> str:
    """ "the method Provincial municipal ERM 5 x 5 risk rating" (a shipped one's title), else "its own method"."""
    name = str(method.get("name"))
    title = load_methodology(name).methodology.title if name in shipped() else None
    return f"the method {title}" if title else "the organisation's own method"


def _levels(rated: list[dict[str, Any]], stage: str) -> list[tuple[str, int, int]]:
    """(level, risks, highest score) worst first."""
    found: dict[str, list[int]] = {}
    for r in rated:
        level = r.get(f"{stage}_level")
        if level:
            found.setdefault(str(level), []).append(int(r.get(f"{stage}_score") or 0))
    return sorted(((k, len(v), max(v)) for k, v in found.items()), key=lambda t: -t[2])


def _above(r: dict[str, Any]) -> bool:
    return r.get("above_appetite") is True or r.get("above_tolerance") is True


def pack_section(summary: dict[str, Any], out_dir: Path) -> PackSection:
    stage = "current" if summary.get("rating_stage") == "current" else "residual"
    risks = summary.get("risks")
    counts = summary.get("counts") or {}
    section = PackSection("Top risks and their movement", provenance=provenance_lines(summary))
    method = summary.get("methodology") or {}
    if risks is None:  # a register too long to list risk by risk: the counts only
        total, rated_n = counts.get("risks", 0), counts.get("rated", 0)
        above_n = counts.get("above_appetite", 0)
        levels = [(k, v, 0) for k, v in reversed(list((counts.get(stage) or {}).items())) if v]
        rated: list[dict[str, Any]] = []
    else:
        rated = [r for r in risks if r.get("rated")]
        total, rated_n = len(risks), len(rated)
        above_n = sum(_above(r) for r in rated)
        levels = _levels(rated, stage)
    level_words = ", ".join(f"{k} {n}" for k, n, _ in levels) or "none"
    section.paragraphs.append(
        f"The register holds {counted(total, 'risk')}, of which {rated_n} {'is' if rated_n == 1 else 'are'} rated"
        f" with {_method_words(method)}. {stage.capitalize()} levels: {level_words}. "
        f"{counted(above_n, 'rated risk').capitalize()} {'is' if above_n == 1 else 'are'} above the risk appetite.")
    section.key_figures.append(f"Risk register: {counted(total, 'risk')}, {rated_n} rated; {above_n} above the "
                               f"risk appetite ({stage} levels: {level_words}).")
    approval = summary.get("appetite_approval") or {}
    if approval.get("approved_by"):
        section.paragraphs.append(f"The risk appetite and tolerance were approved by {approval['approved_by']}"
                                  + (f" on {approval['approved_on']}." if approval.get("approved_on") else "."))
    else:
        section.paragraphs.append("The risk appetite and tolerance are not recorded as approved.")
        section.due.append(DueItem("The risk appetite and tolerance", "not recorded as approved",
                                   "The governing body (for a municipality, the Council)"))

    movement = summary.get("movement") if isinstance(summary.get("movement"), dict) else None
    moved: dict[str, dict[str, Any]] = {}
    if movement:
        c = movement.get("counts") or {}
        since = movement.get("from_period")
        parts = [f"{c.get(k, 0)} {w}" for k, w in (("worse", "worse"), ("better", "better"), ("new", "new"),
                                                    ("closed", "closed"), ("no longer listed", "no longer listed"))]
        section.paragraphs.append(f"Since {since}: " + ", ".join(parts) + ".")
        section.key_figures.append(f"Since {since}, {counted(c.get('worse', 0), 'risk')} got worse and "
                                   f"{c.get('better', 0)} improved.")
        moved = {str(m.get("risk_id")): m for m in movement.get("risks") or []}
    else:
        section.paragraphs.append("There is no earlier period to compare with, so no movement is shown.")

    if rated:
        top = sorted(rated, key=lambda r: (-(r.get(f"{stage}_score") or 0), str(r.get("risk_id"))))
        frame = pd.DataFrame([{
            "Risk": r.get("risk_id"), **({"Description": r.get("description")} if "description" in r else {}),
            "Group": r.get("group") or "", f"{stage.capitalize()} level": r.get(f"{stage}_level"),
            f"{stage.capitalize()} score": r.get(f"{stage}_score"), "Above appetite": _above(r),
            "Decision maker": r.get("decision_maker") or "",
            **({"Since " + str(movement.get("from_period")): CHANGE_WORDS.get(
                str(moved.get(str(r.get("risk_id")), {}).get("change")), "")} if movement else {}),
        } for r in top])
        if not frame["Group"].astype(bool).any():
            frame = frame.drop(columns="Group")
        frame, note = shown(frame, TOP, "rated risks", f"highest {stage} score first")
        section.tables.append(PackTable("Top risks", frame, note))
        rows = [{f"{stage.capitalize()} level": k, "Risks": sum(1 for r in rated if r.get(f"{stage}_level") == k
                                                                 and _above(r) == above),
                 "Above appetite": "Yes" if above else "No"}
                for k, _, _ in levels for above in (True, False)]
        section.images.append(PackImage(
            f"Rated risks by {stage} level, above the risk appetite or not.",
            bar_chart([r for r in rows if r["Risks"]], f"{stage.capitalize()} level", "Risks",
                      f"Rated risks by {stage} level", colour="Above appetite",
                      colours={"Yes": "#c0392b", "No": "#95b8d1"}, sort=[k for k, _, _ in levels])))
        for r in top:
            if _above(r):
                why = (f"{stage} {r.get(f'{stage}_level')} ({r.get(f'{stage}_score')}), above the appetite of "
                       f"{r.get('appetite_applied') or 'the organisation'}"
                       + (", and above the tolerance" if r.get("above_tolerance") is True else ""))
                section.due.append(DueItem(f"Risk {r.get('risk_id')}", why, r.get("decision_maker") or "not stated"))
    if movement:
        changes = [m for m in movement.get("risks") or [] if m.get("change") not in ("unchanged", None)]
        if changes:
            section.tables.append(PackTable(f"How risks moved since {movement.get('from_period')}", pd.DataFrame([{
                "Risk": m.get("risk_id"), "Change": CHANGE_WORDS.get(str(m.get("change")), str(m.get("change"))),
                "Level before": m.get("level_before") or "", "Level now": m.get("level_now") or "",
                "Score before": m.get("score_before"), "Score now": m.get("score_now")} for m in changes])))
    return section
