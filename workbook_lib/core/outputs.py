"""Report outputs: the JSON summary (a contract), the Excel workbook, the self-contained HTML.

Text written to Excel never becomes a formula; text written to HTML is escaped; the HTML report
carries its charts inline and loads nothing from the network.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

_FORMULA_START = re.compile(r"^[=+\-@\t\r]")


def neutralise(value: Any) -> Any:
    """Make a text cell inert in a spreadsheet: a leading = + - @ tab or CR gets an apostrophe."""
    if isinstance(value, str) and _FORMULA_START.match(value):
        return "'" + value
    return value


def slug(text: str) -> str:
    """A safe file or folder name: letters, digits, dot, dash, underscore; never '..' or empty."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-.")
    return s or "unnamed"


# ---- JSON ------------------------------------------------------------------------------------------
def plain(value: Any) -> Any:
    """A value as JSON takes it: missing -> None, numpy scalars -> Python ones."""
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


# ---- Excel -----------------------------------------------------------------------------------------
def write_excel(tables: dict[str, pd.DataFrame], path: Path | BinaryIO) -> Path | BinaryIO:
    """One sheet per table, its header in bold; every text cell neutralised so it can never run as a formula.

    Written row by row in openpyxl's write-only mode: 1.4-1.8x faster than pandas' writer on 100k rows
    (most of a large register's run was writing its workbook)."""
    # lazy: openpyxl (0.2 s) only when a workbook is written
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, frame in tables.items():
        sheet = book.create_sheet(name[:31])
        header = []
        for column in frame.columns:
            cell = WriteOnlyCell(sheet, value=neutralise(str(column)))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in _excel_rows(frame):
            sheet.append(row)
    book.save(path)
    return path


def _excel_rows(frame: pd.DataFrame):
    """The frame's rows as plain values: missing ones empty, text neutralised, numbers as numbers."""
    columns = []
    for name in frame.columns:
        values = frame[name]
        text = values.dtype == object or pd.api.types.is_string_dtype(values)
        values = values.astype(object).where(values.notna(), None)
        columns.append((values.map(neutralise) if text else values).tolist())
    return zip(*columns, strict=True)


def write_json(summary: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=_json_default), encoding="utf-8")
    return path


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# ---- HTML ------------------------------------------------------------------------------------------
_EXPORTING = threading.Lock()  # one conversion at a time per process (the exporter is shared)


@functools.lru_cache(maxsize=1)
def _html_exporter():
    """nbconvert's lab-template HTML exporter without code or prompts (built once per process: its
    import and template set-up take most of a second)."""
    from nbconvert import HTMLExporter  # lazy: 0.5 s, only for HTML reports

    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    exporter.mathjax_url = ""
    return exporter


def warm_html_exporter() -> None:
    """Import nbconvert and render its templates once, e.g. in a thread while a kernel runs the notebook."""
    import nbformat  # lazy: only for HTML reports

    with _EXPORTING:
        _html_exporter().from_notebook_node(nbformat.v4.new_notebook(), resources={"metadata": {"name": "warm-up"}})


def notebook_to_html(notebook: Path, html: Path, title: str) -> Path:
    """Executed notebook -> HTML without code, without any script or stylesheet from the network."""
    import nbformat  # lazy: only for HTML reports

    nb = nbformat.read(notebook, as_version=4)
    with _EXPORTING:
        body, _ = _html_exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = _strip_external(body)
    html.write_text(body, encoding="utf-8")
    return html


_SCRIPT = re.compile(r"<script\b.*?</script>", re.I | re.S)
_EXTERNAL_LINK = re.compile(r"<link[^>]*\bhref=[\"']https?://[^>]*>", re.I)


def _strip_external(html: str) -> str:
    """The report is static (SVG charts, HTML tables): drop every script (the template's MathJax and
    Mermaid loaders fetch from a CDN) and any stylesheet link to the network."""
    html = _SCRIPT.sub("", html)
    return _EXTERNAL_LINK.sub("", html)


# ---- what the notebook shows -----------------------------------------------------------------------
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;",
                         "*": "&#42;", "_": "&#95;", "`": "&#96;", "[": "&#91;", "]": "&#93;"})


def notes_markdown(notes: Iterable[Any]) -> str:
    """A data file's recorded decisions (``Note``: topic, decision) as a Markdown list for a method note."""
    return "\n".join(f"- **{esc(n.topic)}**: {esc(n.decision)}" for n in notes)


def esc(text: Any) -> str:
    """User text made safe for Markdown/HTML output (no markup, no emphasis, no links)."""
    return str(text).translate(_ESCAPE)


def html_table(frame: pd.DataFrame, empty: str = "Nothing to show.", limit: int | None = None,
               worst_first: tuple[str, bool] | None = None, sheet: str | None = None):
    """An escaped HTML table (user text never becomes markup).

    With ``limit``, a longer table shows only ``limit`` rows: the worst first when ``worst_first`` is given as
    (column, ascending), and a note says how many rows there are and that every row is in the Excel workbook's
    ``sheet``; so a report stays readable (and small) for registers of any size.
    """
    from IPython.display import HTML  # lazy: outside a notebook (the CLI) IPython is not needed

    if frame is None or frame.empty:
        return HTML(f"<p><em>{esc(empty)}</em></p>")
    note = ""
    if limit is not None and len(frame) > limit:
        if worst_first is not None:
            column, ascending = worst_first
            frame = frame.sort_values(column, ascending=ascending, kind="stable", na_position="last")
        where = f"the Excel workbook, sheet \"{sheet}\"" if sheet else "the Excel workbook"
        order = "" if worst_first is None else (f", ordered by {worst_first[0].replace('_', ' ')} "
                                                f"({'earliest' if worst_first[1] else 'highest'} first)")
        note = (f'<p class="workbook-table-note"><em>Showing {limit:,} of {len(frame):,} rows{esc(order)}; '
                f"every row is in {esc(where)}.</em></p>")
        frame = frame.head(limit)
    shown = frame.copy()
    for col in shown.columns:
        shown[col] = shown[col].map(lambda v: "" if v is None or (not isinstance(v, (str, list)) and pd.isna(v))
                                    else v)
    return HTML(note + shown.to_html(index=False, escape=True, classes="workbook-table", border=0))


def write_outputs(summary: dict[str, Any], tables: dict[str, pd.DataFrame], output_dir: str | Path,
                  stem: str) -> list[Path]:
    """An assessment's JSON summary and its Excel workbook in ``output_dir``; returns [json path, xlsx path]."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [write_json(summary, out / f"{stem}.json"), write_excel(tables, out / f"{stem}.xlsx")]
