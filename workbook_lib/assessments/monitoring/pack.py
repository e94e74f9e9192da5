"""The risk monitoring's part of the committee pack: the key risk indicators and tolerance metrics outside
tolerance, what must be escalated (each a decision due if the position cannot be avoided), the ratings to revisit
and the readings missing, from the JSON summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from workbook_lib.assessments.monitoring.inputs import states
from workbook_lib.core.pack import (
    DueItem,
    PackImage,
    PackSection,
    PackTable,
    bar_chart,
    counted,
    listed_words,
    provenance_lines,
)


def _value(metric: dict[str, Any]) -> str:
    latest, unit = metric.get("latest"), str(metric.get("unit") or "")
    if latest is None:
        return "no reading"
    text = f"{latest:g}" if isinstance(latest, float) else str(latest)
    if unit in ("%",):
        return text + " %"
    return text if unit in ("", "count", "ratio") else f"{text} {unit}"


def _linked(kri: dict[str, Any]) -> str:
    parts = [*map(str, kri.get("risks") or [])]
    parts += [f"every {c} risk" for c in kri.get("categories") or []]
    return listed_words(parts) or "no risk"


def pack_section(summary: dict[str, Any], out_dir: Path) -> PackSection:
    section = PackSection("Key risk indicators and escalations", provenance=provenance_lines(summary))
    metrics = summary.get("metrics") or []
    by_key = {str(m.get("metric")): m for m in metrics}
    counts = summary.get("counts") or {}
    state_words = {k: v.label.lower() for k, v in states().states.items()} | {"missing": "without a reading"}
    section.paragraphs.append(
        f"{counted(len(metrics), 'tolerance metric').capitalize()} for {summary.get('period')}: "
        + ", ".join(f"{counts.get(k, 0)} {state_words.get(k, k)}" for k in ("outside", "near", "within", "missing"))
        + ".")
    kris = summary.get("kris") or []
    kri_out = [k for k in kris if by_key.get(str(k.get("metric")), {}).get("state") == "outside"]
    section.key_figures.append(
        f"Risk monitoring: {len(kri_out)} of {len(kris)} key risk indicators and {counts.get('outside', 0)} of "
        f"{len(metrics)} tolerance metrics are outside tolerance; {counts.get('missing', 0)} without a reading.")
    if kris:
        frame = pd.DataFrame([{
            "Key risk indicator": by_key.get(str(k.get("metric")), {}).get("name") or str(k.get("metric")),
            "Latest": _value(by_key.get(str(k.get("metric")), {})),
            "Tolerance": by_key.get(str(k.get("metric")), {}).get("tolerance_words") or "",
            "State": state_words.get(str(by_key.get(str(k.get("metric")), {}).get("state")), "not found").capitalize(),
            "Direction": by_key.get(str(k.get("metric")), {}).get("direction") or "",
            "Risks it informs": _linked(k)} for k in kri_out])
        if len(frame):
            section.tables.append(PackTable("Key risk indicators outside tolerance", frame))
        else:
            section.paragraphs.append("No key risk indicator is outside tolerance.")
    escalations = summary.get("escalations") or []
    if escalations:
        section.tables.append(PackTable("Metrics outside tolerance, to escalate", pd.DataFrame([{
            "Metric": e.get("name"), "Latest": _value(by_key.get(str(e.get("metric")), {"latest": e.get("latest")})),
            "Tolerance": e.get("tolerance") or "",
            "Direction": by_key.get(str(e.get("metric")), {}).get("direction") or "",
            "Risks": listed_words([str(r) for r in e.get("risk_ids") or []]) or "none linked",
            "Escalate to": e.get("escalate_to") or "",
            "Approval if it cannot be avoided": e.get("approval_if_unavoidable") or ""} for e in escalations])))
        for e in escalations:
            section.due.append(DueItem(
                f"{e.get('name')} outside tolerance",
                f"latest {_value(by_key.get(str(e.get('metric')), {'latest': e.get('latest')}))} against "
                f"{e.get('tolerance')}; staying outside tolerance needs approval if it cannot be avoided",
                str(e.get("approval_if_unavoidable") or "not stated")))
    revisit = [r for r in summary.get("risks_to_revisit") or [] if r.get("revisit") is True]
    if revisit:
        section.tables.append(PackTable("Risk ratings to revisit", pd.DataFrame([{
            "Risk": r.get("risk_id"), "Rated": r.get("residual_level") or "", "Metric": r.get("name"),
            "Why": r.get("reason") or ""} for r in revisit])))
    missing = [by_key.get(str(k), {}).get("name") or str(k) for k in summary.get("missing") or []]
    if missing:
        section.paragraphs.append(f"No reading for this period: {listed_words(missing)}.")
    if metrics:
        looks = states().states
        rows = [{"State": looks[k].label, "Metrics": counts.get(k, 0)} for k in looks if counts.get(k)]
        section.images.append(PackImage(
            "Tolerance metrics by their state against the tolerance for the period.",
            bar_chart(rows, "State", "Metrics", "Tolerance metrics by state", colour="State",
                      colours={looks[k].label: looks[k].colour for k in looks if counts.get(k)},
                      sort=[r["State"] for r in rows])))
    return section
