"""An assessment's part of the committee pack (``workbook pack``): content in words, not in any one format.

Each assessment declares (``AssessmentSpec.pack``) a function ``pack_section(summary, out_dir) -> PackSection`` that
reads its own JSON summary; the shell (batch/pack.py) collects the sections in the order of work, adds an executive
summary and the decisions due, and writes the pack as a Word document and a PDF. Everything here is what a committee
member reads: sentences, small tables with headings in words, static chart images, and where the figures come from.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class PackTable:
    heading: str  # in words, e.g. "Risks above appetite"
    frame: pd.DataFrame  # a few rows; column headings in words; values as :func:`cell_text` shows them
    note: str = ""  # e.g. "Showing 10 of 15 risks, highest residual score first."


@dataclass(frozen=True)
class PackImage:
    caption: str
    png: bytes  # a static chart (``png_chart``)


@dataclass(frozen=True)
class DueItem:
    """A decision the committee should see is due: what, why, and who decides."""

    subject: str  # e.g. "Risk KV-005"
    reason: str  # e.g. "residual High (15), above the appetite of 4"
    decided_by: str  # e.g. "Municipal Manager"


@dataclass
class PackSection:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[PackTable] = field(default_factory=list)
    images: list[PackImage] = field(default_factory=list)
    provenance: list[str] = field(default_factory=list)  # where the figures come from, one line each
    key_figures: list[str] = field(default_factory=list)  # sentences for the executive summary
    due: list[DueItem] = field(default_factory=list)  # decisions due that this assessment shows


# ---- values in words ---------------------------------------------------------------------------------------------
def cell_text(value: Any) -> str:
    """A value as a committee reads it: Yes/No, no "None" or "nan", lists joined, whole numbers without ".0"."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    if isinstance(value, (list, tuple, set)):
        return ", ".join(cell_text(v) for v in value)
    if hasattr(value, "item"):  # numpy scalars
        return cell_text(value.item())
    return str(value)


def counted(n: int, noun: str, plural: str = "") -> str:
    """ "1 risk", "3 risks", "no risk"."""
    if n == 0:
        return f"no {noun}"
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def listed_words(items: list[str], limit: int = 8) -> str:
    """ "A, B and C"; a long list ends with "and 4 more"."""
    items = [str(i) for i in items]
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def shown(frame: pd.DataFrame, limit: int, noun: str, order: str) -> tuple[pd.DataFrame, str]:
    """The first ``limit`` rows and a note saying so ("" when every row is shown)."""
    if len(frame) <= limit:
        return frame, ""
    return frame.head(limit), (f"Showing {limit} of {len(frame)} {noun} ({order}); every one is in the "
                               "assessment's own report and workbook.")


# ---- charts ------------------------------------------------------------------------------------------------------
def png_chart(spec: dict[str, Any], scale: float = 2.0) -> bytes:
    """A Vega-Lite chart (a plain dict) as a PNG image, for a pack that must hold its images inside it."""
    import vl_convert  # lazy: the chart renderer starts a JavaScript engine

    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json",
            "config": {"font": "DejaVu Sans", "view": {"stroke": None}, "background": "white"}, **spec}
    return vl_convert.vegalite_to_png(spec, scale=scale)


def bar_chart(rows: list[dict[str, Any]], category: str, value: str, title: str, colour: str = "",
              colours: dict[str, str] | None = None, sort: list[str] | None = None, width: int = 420) -> bytes:
    """A horizontal bar chart of ``rows`` (each a dict with ``category`` and ``value``; ``colour`` a field)."""
    encoding: dict[str, Any] = {
        "y": {"field": category, "type": "nominal", "title": None, "sort": sort or None,
              "axis": {"labelLimit": 0, "labelFontSize": 11}},
        "x": {"field": value, "type": "quantitative", "title": value, "axis": {"tickMinStep": 1}},
    }
    if colour:
        scale = {"domain": list(colours), "range": list(colours.values())} if colours else {}
        encoding["color"] = {"field": colour, "type": "nominal", "title": colour, "scale": scale,
                             "legend": {"orient": "bottom", "labelLimit": 0, "titleLimit": 0}}
    else:
        encoding["color"] = {"value": "#4c78a8"}
    return png_chart({"title": {"text": title, "fontSize": 13, "anchor": "start"}, "width": width,
                      "height": {"step": 22}, "data": {"values": rows}, "mark": "bar", "encoding": encoding})


# ---- provenance --------------------------------------------------------------------------------------------------
def provenance_lines(summary: dict[str, Any]) -> list[str]:
    """Where an assessment's figures come from, in words: its inputs (file name and a short fingerprint), where they
    were read from, and when the run started."""
    prov = summary.get("provenance")
    if not isinstance(prov, dict):
        return ["This assessment's results do not say which inputs they were made from."]
    lines = []
    for item in prov.get("inputs") or []:
        if not isinstance(item, dict):
            continue
        role = str(item.get("role") or "input").replace("_", " ")
        name = Path(str(item.get("path") or item.get("given") or "")).name
        digest = str(item.get("sha256") or "")[:12]
        lines.append(f"{role[:1].upper()}{role[1:]}: {name}" + (f" (fingerprint {digest})" if digest else ""))
    if prov.get("source") == "store":
        lines.append("Read from the records kept through the web forms.")
    started = prov.get("started_utc")
    if started:
        try:
            when = dt.datetime.fromisoformat(str(started)).strftime("%d %B %Y at %H:%M UTC")
        except ValueError:
            when = str(started)
        lines.append(f"Run on {when}" + (f", version {prov['package'].get('version')} of the workbooks."
                                         if isinstance(prov.get("package"), dict) and prov["package"].get("version")
                                         else "."))
    return lines
