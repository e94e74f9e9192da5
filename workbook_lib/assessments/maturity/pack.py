"""The maturity scoring's part of the committee pack: the maturity status, the score by assessment, the elements
rated lowest and the capacity of the three lines, from the JSON summary (names and colours from the matrix)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from workbook_lib.assessments.maturity.model import Matrix, load_matrix, shipped
from workbook_lib.core.pack import PackImage, PackSection, PackTable, bar_chart, provenance_lines, shown


def _matrix(summary: dict[str, Any]) -> Matrix | None:
    """The shipped matrix the summary names (for its names and colours), or None for the organisation's own."""
    name = str((summary.get("matrix") or {}).get("name") or "")
    if name not in shipped():
        return None
    try:
        return load_matrix(name).matrix
    except Exception:  # a matrix that no longer loads: the pack falls back to the summary's own words
        return None


def status_words(status: Any, matrix: Matrix | None) -> str:
    """ "Integrated" (the matrix's label for a status name)."""
    for s in matrix.statuses if matrix else []:
        if s.name == status:
            return s.label
    return str(status or "not scored").replace("_", " ").capitalize()


def pack_section(summary: dict[str, Any], out_dir: Path) -> PackSection:
    matrix = _matrix(summary)
    status = status_words(summary.get("status"), matrix)
    rated, total = summary.get("elements_rated", 0), summary.get("elements_total", 0)
    section = PackSection("Risk-management maturity", provenance=provenance_lines(summary))
    section.paragraphs.append(f"The maturity status is {status}: a total score of {summary.get('total_score')} from "
                              f"{rated} of {total} elements rated.")
    section.key_figures.append(f"Risk-management maturity: {status} (score {summary.get('total_score')}, "
                               f"{rated} of {total} elements rated).")
    params = (summary.get("provenance") or {}).get("parameters") or {}
    if params.get("target_status"):
        years = params.get("horizon_years")
        section.paragraphs.append(f"The target is {status_words(params['target_status'], matrix)}"
                                  + (f" within {years} years." if years else "."))
    names = {a.id: a.name for a in matrix.assessments} if matrix else {}
    by = summary.get("by_assessment") or {}
    if by:
        section.tables.append(PackTable("Score by part of the matrix", pd.DataFrame([{
            "Part": names.get(k, f"Part {k}"), "Score": v.get("score"), "Elements rated": v.get("rated"),
            "Elements": v.get("total")} for k, v in by.items()])))
    elements = [e for e in summary.get("elements") or [] if e.get("mark") is not None]
    labels = {s.mark: s.label for s in matrix.statuses} if matrix else {}
    if elements:
        lowest = min(e["mark"] for e in elements)
        low = pd.DataFrame([{"Element": e.get("name"), "Group": e.get("group"),
                             "Rated": labels.get(e["mark"], e["mark"])}
                            for e in elements if e["mark"] == lowest])
        low, note = shown(low, 12, "elements", "in the matrix's order")
        section.tables.append(PackTable("Elements rated lowest", low, note))
        colours = {s.label: s.colour for s in matrix.statuses} if matrix else None
        counts = [{"Rated": labels.get(m, str(m)), "Elements": sum(e["mark"] == m for e in elements)}
                  for m in sorted({e["mark"] for e in elements})]
        section.images.append(PackImage("Elements of the matrix by the status they are rated at.", bar_chart(
            counts, "Rated", "Elements", "Elements by status rated", colour="Rated" if colours else "",
            colours=colours, sort=[c["Rated"] for c in counts])))
    capacity = summary.get("capacity") or {}
    if capacity.get("provided") and capacity.get("by_line"):
        section.tables.append(PackTable("Capacity of the three lines", pd.DataFrame([{
            "Line": f"{k}: {v.get('name')}", "Questions answered": v.get("answered"), "Answered yes": v.get("yes"),
            "Share answered yes": f"{v.get('percent_yes')} %"} for k, v in capacity["by_line"].items()])))
    for warning in summary.get("warnings") or []:
        section.paragraphs.append(str(warning))
    return section
