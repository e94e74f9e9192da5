"""Report outputs: the JSON summary (a contract), the Excel workbook, the self-contained HTML.

Text written to Excel never becomes a formula; text written to HTML is escaped; the HTML report
carries its charts inline and loads nothing from the network.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import json
import os
import re
import string
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from workbook_lib.core import datafiles, xlsx_writer
from workbook_lib.core.errors import not_finite

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


NO_SPACE = (errno.ENOSPC, errno.EDQUOT)  # a full disk, a used-up quota


class NotWritten(OSError):
    """An output that could not be written for want of space; the file as it was (or its absence) is kept. Its
    message is one line: which file, why, and that nothing was changed."""

    def __str__(self) -> str:
        return str(self.strerror)


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary name beside ``path``; renamed to ``path`` when the block completes, removed if it fails.

    So a reader (or a crash) never meets a half-written output, and a failed write keeps the previous file. A full
    disk or quota ends in NotWritten (one line), not in the writer's traceback."""
    tmp = path.with_name(f".{path.name[:200]}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, NotWritten) and exc.errno in NO_SPACE:
            raise NotWritten(exc.errno, f"{path} could not be written ({os.strerror(exc.errno)}); nothing was "
                                        "changed") from None
        raise


def write_text(path: Path, text: str) -> Path:
    """A text file written whole or not at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


# ---- JSON ------------------------------------------------------------------------------------------
def plain(value: Any) -> Any:
    """A value as JSON takes it: missing -> None, numpy scalars -> Python ones."""
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


# ---- CSV and Excel: one way for every table the suite writes ------------------------------------------
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # a lone surrogate cannot be encoded as UTF-8
# what an Excel cell cannot hold: openpyxl's ILLEGAL_CHARACTERS_RE (control characters but tab, LF, CR)
# plus lone surrogates; kept here so the module loads without openpyxl (a test checks it matches)
_EXCEL_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_SHEET_ILLEGAL = re.compile(r"[\[\]:*?/\\\x00-\x1f\ud800-\udfff]")  # not allowed in an Excel sheet name


def write_table(frame: pd.DataFrame, path: Path, sheet: str | None = None) -> Path:
    """One table as .csv (UTF-8 with BOM, so Excel reads it as UTF-8) or .xlsx, by the file name's suffix.

    Headings and values are neutralised (never a formula); characters a file cannot hold never crash the write
    (in CSV a NUL is dropped, in Excel each control character becomes U+FFFD). ``sheet`` names the Excel sheet
    (default: the file name's stem). Any other suffix: ValueError, and nothing is written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":  # data to import again: its column names as they are
        return write_excel({sheet or path.stem: frame}, path, for_reader=False)
    if suffix != ".csv":
        raise ValueError(f"{path}: choose a .xlsx or .csv file name")
    safe = frame.set_axis([_csv_cell(str(c)) for c in frame.columns], axis=1).map(_csv_cell)
    with replacing(path) as tmp:
        safe.to_csv(tmp, index=False, encoding="utf-8-sig")
    return path


def _csv_cell(value: Any) -> Any:
    """A CSV cell: text without NUL (CSV readers reject it) or lone surrogates (not UTF-8), then neutralised."""
    if isinstance(value, str):
        return neutralise(_SURROGATE.sub("\ufffd", value.replace("\x00", "")))
    return value


def write_excel(tables: dict[str, pd.DataFrame], path: Path | BinaryIO, for_reader: bool = True) -> Path | BinaryIO:
    """One sheet per table, its header in bold; every heading and text cell neutralised so it can never run as
    a formula, and each character Excel cannot hold shown as U+FFFD; sheet names made valid and unique.

    ``for_reader`` (a report's workbook, a form's download): headings in words as the HTML report shows them,
    yes/no in words, and a last sheet "About" saying what each sheet holds. Without it (an export to import
    again) the column names stay as they are.

    Written row by row in openpyxl's write-only mode: 1.4-1.8x faster than pandas' writer on 100k rows
    (most of a large register's run was writing its workbook). A workbook of more than
    ``xlsx_writer.LARGE_CELLS`` cells is written by ``core.xlsx_writer`` (a column at a time, read back the same):
    openpyxl took minutes over the 11 million cells of 250,000 risks."""
    if for_reader:
        tables = for_a_reader(tables)
    if sum(frame.size for frame in tables.values()) > xlsx_writer.LARGE_CELLS:
        try:
            return _write_large(tables, path)
        except xlsx_writer.Unsupported:
            pass  # a value of a type only openpyxl judges (it writes it, or says why not)
    # lazy: openpyxl (0.2 s) only when a workbook is written
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, frame in zip(sheet_names(tables), tables.values(), strict=True):
        sheet = book.create_sheet(name)
        header = []
        for column in frame.columns:
            cell = WriteOnlyCell(sheet, value=_excel_cell(str(column)))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in _excel_rows(frame):
            sheet.append(row)
    if isinstance(path, (str, os.PathLike)):
        with replacing(Path(path)) as tmp:
            book.save(tmp)
    else:
        book.save(path)  # a file object (the forms' download): the caller owns it
    return path


def for_a_reader(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables as a person reads them: headings in words, yes/no instead of true/false, and a last sheet "About"
    (each sheet, what it holds, its rows)."""
    described = sheet_descriptions()
    about = pd.DataFrame({"Sheet": list(tables), "What it holds": [described.get(n) for n in tables],
                          "Rows": [len(f) for f in tables.values()]}, dtype=object)
    about.loc[len(about)] = [None, "Headings are in words; Yes and No answer yes-or-no columns; an empty cell has no "
                             "value. The same figures are in the report (HTML) and its JSON summary.", None]
    # "About" goes last: a person opens the workbook on its first table, and the tables are written before it
    return {**{name: _in_words(frame) for name, frame in tables.items()}, "About": about}


def _in_words(frame: pd.DataFrame) -> pd.DataFrame:
    headings = [column_heading(c) for c in frame.columns]
    seen: dict[str, int] = {}
    for i, h in enumerate(headings):  # two names may read the same in words: keep each heading distinct
        seen[h] = seen.get(h, 0) + 1
        if seen[h] > 1:
            headings[i] = f"{h} ({seen[h]})"
    out = frame.set_axis(headings, axis=1)
    for i in range(out.shape[1]):
        values = out.iloc[:, i]
        # one C pass per column (a 250k-row workbook has many text columns): booleans, missing ones aside
        kind = _kind(values)
        if pd.api.types.is_bool_dtype(values) or kind == "boolean":
            out.isetitem(i, values.map(lambda v: "" if v is None or v is pd.NA else ("Yes" if v else "No")))
        elif kind in ("string", "mixed"):
            out.isetitem(i, _values_in_words(frame.columns[i], values, texts=kind == "string"))
    return out


_ISO_DATE = r"\d{4}-\d{2}-\d{2}"


def _kind(values: pd.Series) -> str | None:
    """What a column of objects or text holds ("string", "boolean", "mixed", ...; pandas' infer_dtype), None for a
    typed column (numbers, dates) or one with nothing in it."""
    if (values.dtype == object or pd.api.types.is_string_dtype(values)) and values.notna().any():
        return pd.api.types.infer_dtype(values, skipna=True)
    return None


def _values_in_words(column: Any, values: pd.Series, texts: bool = False) -> pd.Series:
    """A column as a person reads it: each code the suite writes in words (the ``values:`` of data/labels.yaml for
    this column; a data file's name as its title); ``texts`` (texts only, missing ones aside): a column of ISO dates
    ("2025-09-30", some perhaps empty) as dates."""
    words = {**datafiles.TITLES, **value_words().get(str(column), {})}
    values = values.astype(object)  # pandas' text type holds no date
    if texts:
        present = values[values.notna() & (values != "")]
        if len(present) and present.str.fullmatch(_ISO_DATE).all():
            days = pd.to_datetime(values.where(values != ""), format="%Y-%m-%d", errors="coerce")
            return pd.Series([d.date() if not pd.isna(d) else None for d in days], index=values.index, dtype=object)
    if not words:
        return values
    if not texts:  # text among other values (numbers, perhaps a list): only the texts are looked up
        return values.map(lambda v: words.get(v, v) if isinstance(v, str) else v)
    shown = values.map(words)  # a column of texts: one lookup in C
    return shown.where(shown.notna(), values)


@functools.lru_cache(maxsize=1)
def value_words() -> dict[str, dict[str, str]]:
    """Column name -> {code: words}: how a workbook or table a person reads shows the codes the suite writes in that
    column (the ``values:`` of data/labels.yaml, the core's and each loaded assessment's, merged per column)."""
    import yaml  # lazy: only when a table is shown

    words: dict[str, dict[str, str]] = {}
    for path in _LABEL_FILES:
        for column, mapping in (yaml.safe_load(path.read_text(encoding="utf-8")).get("values") or {}).items():
            words.setdefault(str(column), {}).update({str(k): str(v) for k, v in mapping.items()})
    return words


@functools.lru_cache(maxsize=1)
def sheet_descriptions() -> dict[str, str]:
    """Sheet name -> what it holds (the ``sheets:`` of data/labels.yaml, the core's and each loaded assessment's)."""
    import yaml  # lazy: only when a workbook is written

    described: dict[str, str] = {}
    for path in _LABEL_FILES:
        described.update(yaml.safe_load(path.read_text(encoding="utf-8")).get("sheets") or {})
    return described


def _write_large(tables: dict[str, pd.DataFrame], path: Path | BinaryIO) -> Path | BinaryIO:
    names = sheet_names(tables)
    if isinstance(path, (str, os.PathLike)):
        with replacing(Path(path)) as tmp:
            xlsx_writer.write(tables, names, tmp, _excel_cell, _EXCEL_CHANGED)
    else:
        xlsx_writer.write(tables, names, path, _excel_cell, _EXCEL_CHANGED)  # a file object: the caller owns it
    return path


def sheet_names(names: Iterable[str]) -> list[str]:
    """Valid Excel sheet names: no []:*?/\\ or control character, no apostrophe at either end, at most 31
    characters, not empty, and unique (Excel compares them ignoring case): "Risks", "Risks (2)", ..."""
    seen: set[str] = set()
    out = []
    for name in names:
        base = _SHEET_ILLEGAL.sub("_", str(name)).strip(" '")[:31].rstrip(" '") or "Sheet"
        candidate, n = base, 1
        while candidate.lower() in seen:
            n += 1
            suffix = f" ({n})"
            candidate = base[:31 - len(suffix)].rstrip(" '") + suffix
        seen.add(candidate.lower())
        out.append(candidate)
    return out


_EXCEL_CHANGED = re.compile(f"{_FORMULA_START.pattern}|{_EXCEL_ILLEGAL.pattern}")  # in every text _excel_cell changes


def _excel_cell(value: Any) -> Any:
    """A text cell Excel can hold and never runs: control characters -> U+FFFD, then neutralised."""
    if isinstance(value, str):
        return neutralise(_EXCEL_ILLEGAL.sub("\ufffd", value))
    return value


def _excel_rows(frame: pd.DataFrame):
    """The frame's rows as plain values: missing ones empty, text made safe, numbers as numbers."""
    columns = []
    for i in range(frame.shape[1]):  # by position: a heading may be repeated
        values = frame.iloc[:, i]
        typed = not isinstance(values.dtype, pd.CategoricalDtype) and (
            pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values))
        values = values.astype(object).where(values.notna(), None)
        # anything not numeric or a date may hold text (object, string, categorical columns): make it safe
        columns.append((values if typed else values.map(_excel_cell)).tolist())
    return zip(*columns, strict=True)


def write_json(summary: dict[str, Any], path: Path) -> Path:
    """The summary as UTF-8 JSON (control characters and NUL come out as \\u escapes), written whole or not at all.
    A number that is not finite is refused, naming where it is: JSON has no NaN or Infinity (parsers reject them)."""
    try:
        text = json.dumps(summary, indent=2, ensure_ascii=False, default=_json_default, allow_nan=False)
    except ValueError as exc:
        raise ValueError(f"{path.name}: {not_finite(summary) or exc}; nothing was written") from exc
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
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
    for cell in nb.cells:  # the key-figures line is for the tests and the JSON; the reader has the narrative
        if cell.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in cell.source:
            cell.outputs = []
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
# HTML's specials; Markdown's emphasis, code, link, heading, strikethrough and escape characters; nbconvert's
# math delimiter ($, whose content it escapes again); '@' so no e-mail address is linked
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;",
                         "*": "&#42;", "_": "&#95;", "`": "&#96;", "[": "&#91;", "]": "&#93;", "#": "&#35;",
                         "~": "&#126;", "\\": "&#92;", "$": "&#36;", "@": "&#64;"})
# what Markdown renderers link without brackets: a scheme's "://" (nbconvert's mistune: http(s)://; GitHub
# Markdown and JupyterLab also ftp://) and "www."; an entity in place of ':' or '.' leaves nothing to link
_BARE_LINK = re.compile(r":(?=//)|(?<=www)\.", re.I)


def esc(text: Any) -> str:
    """User text made safe for Markdown/HTML output (no markup, no emphasis, no links: a bare URL, "www." or
    e-mail address stays visible text). Escape once: each character becomes one entity, which the renderer
    shows as that character. Markdown is built with :func:`md`, which escapes every value it is given."""
    return _BARE_LINK.sub(lambda m: "&#58;" if m.group() == ":" else "&#46;", str(text).translate(_ESCAPE))


# Markdown the suite writes. The one place where text becomes Markdown: a template the suite wrote is trusted,
# every value put into it goes through _md_text (esc, on one line, nothing that starts a block); a plain str
# shown as Markdown is escaped whole. So user text can only ever be visible text, never markup or a link.
_LINE_BREAK = re.compile(r"[ \t]*(?:\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029])\s*")
_LEADING_SPACE = re.compile(r"^[ \t]+")
# what starts a block at the start of a line: a list item (- + or 1. 1)) and a setext underline or rule (= -)
_BLOCK_START = re.compile(r"^( ?)(?:([-+=])|(\d{1,9})([.)])(?=\s|$))")
_BLOCK_ENTITY = {"-": "&#45;", "+": "&#43;", "=": "&#61;", ".": "&#46;", ")": "&#41;"}


def _block_start(m: re.Match[str]) -> str:
    if m.group(2):
        return m.group(1) + _BLOCK_ENTITY[m.group(2)]
    return m.group(1) + m.group(3) + _BLOCK_ENTITY[m.group(4)]


def _md_text(value: Any) -> str:
    """A value as text inside Markdown: escaped (:func:`esc`), on one line (a line break becomes a space), a '|'
    that cannot end a table cell, and nothing at its start that would begin a list, a heading or a code block."""
    text = _LEADING_SPACE.sub(" ", _LINE_BREAK.sub(" ", str(value)))
    return _BLOCK_START.sub(_block_start, esc(text).replace("|", "\\|"), count=1)


class Md(str):
    """Markdown written by the suite: shown as Markdown. Build it with :func:`md` (a template the suite wrote, every
    value escaped); ``Md + x``, ``x + Md`` and ``Md(sep).join(xs)`` escape each part that is not an ``Md``. Any other
    str method gives a plain str, which :func:`markdown` shows escaped: never markup by mistake."""

    __slots__ = ()

    def __add__(self, other: Any) -> Md:
        return Md(str.__add__(self, _md_part(other)))

    def __radd__(self, other: Any) -> Md:
        return Md(str.__add__(_md_part(other), self))

    def join(self, parts: Iterable[Any]) -> Md:  # type: ignore[override]
        return Md(str.join(self, [_md_part(p) for p in parts]))

    def format(self, *args: Any, **values: Any) -> Md:  # type: ignore[override]
        return md(self, *args, **values)


def _md_part(value: Any) -> str:
    return value if isinstance(value, Md) else _md_text(value)


class _MdFormatter(string.Formatter):
    """str.format, with every replacement field escaped unless it is an ``Md`` (a format spec applies first)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Md) and not format_spec:
            return value
        return _md_text(format(value, format_spec))


_MD_FORMATTER = _MdFormatter()


def md(template: str, /, *args: Any, **values: Any) -> Md:
    """Markdown from a template the suite wrote (``str.format`` fields) and values, each escaped unless it is an
    ``Md`` itself: ``md("**{org}**, {period}", org=org, period=period)``. Never pass user text as the template."""
    return Md(_MD_FORMATTER.vformat(template, args, values))


def md_list(items: Iterable[Any]) -> Md:
    """A Markdown bullet list, one item per value (each escaped unless it is an ``Md``)."""
    return Md("\n").join(Md("- ") + item for item in items)


def markdown(text: Any):
    """What a notebook or form shows as Markdown: an ``Md`` as it is, anything else escaped whole (a plain str
    shows as text, never as markup). Every report section's Markdown is shown through here."""
    from IPython.display import Markdown  # lazy: outside a notebook (the CLI) IPython is not needed

    shown = Markdown("")  # never Markdown(text): IPython fetches a text that starts with "http", or reads a path
    shown.data = str(text) if isinstance(text, Md) else _md_text(text)
    return shown


def notes_markdown(notes: Iterable[Any]) -> Md:
    """A data file's recorded decisions (``Note``: topic, decision) as a Markdown list for a method note."""
    return md_list(md("**{}**: {}", n.topic, n.decision) for n in notes)


def section(name: str, shown: Any) -> Any:
    """A report section's HTML wrapped in ``<div class="wb-section-<name>">`` so a form's page (and its tests) can
    find it; anything but HTML (text) is escaped."""
    import html as html_text

    from IPython.display import HTML  # lazy: outside a notebook (the CLI) IPython is not needed

    body = shown.data if hasattr(shown, "data") else html_text.escape(str(shown))
    return HTML(f'<div class="wb-section-{html_text.escape(name)}">{body}</div>')


def html_table(frame: pd.DataFrame, empty: str = "Nothing to show.", limit: int | None = None,
               worst_first: tuple[str, bool] | None = None, sheet: str | None = None):
    """An escaped HTML table (user text never becomes markup), in words a reader uses: each column headed by
    ``column_heading`` (data/labels.yaml), True/False shown as Yes/No, missing values empty.

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
    for i, col in enumerate(shown.columns):
        values = shown.iloc[:, i]
        if _kind(values) in ("string", "mixed"):  # codes in words, as in the Excel workbook
            values = _values_in_words(col, values.astype(object))
        shown.isetitem(i, values.map(_shown_value))
    shown.columns = [column_heading(c) for c in shown.columns]
    return HTML(note + frame_table(shown, numbers=[number_column(frame.iloc[:, i]) for i in range(frame.shape[1])]))


_NUMBER_KINDS = {"integer", "floating", "mixed-integer-float", "decimal"}
_UNBROKEN = re.compile(r"\S{1,24}")  # one word of at most 24 characters: an ID, a code, a date, a number


def number_column(values: pd.Series) -> bool:
    """Whether a column holds numbers (missing ones aside): shown right-aligned. Yes/no is not a number."""
    if pd.api.types.is_bool_dtype(values):
        return False
    if pd.api.types.is_numeric_dtype(values):
        return True
    return bool(values.dtype == object and values.notna().any()
                and pd.api.types.infer_dtype(values, skipna=True) in _NUMBER_KINDS)


def unbroken_column(values: pd.Series) -> bool:
    """Whether every value shown in a column is one short word (an ID, a code, a date): never broken across lines."""
    shown = [str(v).strip() for v in values if str(v).strip()]
    return bool(shown) and all(_UNBROKEN.fullmatch(v) for v in shown)


def frame_table(frame: pd.DataFrame, classes: str = "workbook-table", numbers: list[bool] | None = None) -> str:
    """``frame`` (values as shown) as an escaped HTML table a reader reads whatever the page's style (JupyterLab's and
    the HTML report's right-align every cell): text left, numbers right, and a column of IDs, codes or dates never
    broken across lines ("KV-005", never "KV-" over "005"). ``numbers``: whether each column holds numbers (by
    default, read from ``frame``). The alignment is a small style block for this table (its cells stay plain)."""
    import hashlib

    if numbers is None:
        numbers = [number_column(frame.iloc[:, i]) for i in range(frame.shape[1])]
    body = frame.to_html(index=False, escape=True, classes=classes, border=0)
    table_id = "wb-t" + hashlib.sha1(body.encode("utf-8")).hexdigest()[:12]
    rules = []
    for i, number in enumerate(numbers, start=1):
        rules.append(f"#{table_id} th:nth-child({i}), #{table_id} td:nth-child({i}) "
                     f"{{text-align: {'right' if number else 'left'}}}")
        if number or unbroken_column(frame.iloc[:, i - 1]):
            rules.append(f"#{table_id} td:nth-child({i}) {{white-space: nowrap}}")
    return f"<style>{' '.join(rules)}</style>" + body.replace("<table ", f'<table id="{table_id}" ', 1)


LABELS_FILE = Path(__file__).parent / "data" / "labels.yaml"  # the headings every assessment may show
_LABEL_FILES: list[Path] = [LABELS_FILE]  # and each loaded assessment's own (its spec's ``labels``)


def add_labels(path: Path) -> None:
    """Add an assessment's column headings (the registry calls this when it loads the assessment)."""
    if path not in _LABEL_FILES:
        _LABEL_FILES.append(path)
        column_labels.cache_clear()
        sheet_descriptions.cache_clear()
        value_words.cache_clear()


@functools.lru_cache(maxsize=1)
def column_labels() -> dict[str, str]:
    """Column name -> the heading a reader sees (data/labels.yaml of the core and of each assessment loaded)."""
    import yaml  # lazy: only when a table is shown

    labels: dict[str, str] = {}
    for path in _LABEL_FILES:
        labels.update(yaml.safe_load(path.read_text(encoding="utf-8"))["labels"])
    return labels


def column_heading(name: Any) -> str:
    """The heading a report or form shows for a column: its label; else a heading that already reads as words
    (a space or a capital, no underscore) as it is; else the name in words ("in_scope" -> "In scope")."""
    text = str(name)
    label = column_labels().get(text)
    if label is not None:
        return label
    if "_" not in text and (" " in text or text != text.lower()):
        return text
    words = text.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _shown_value(value: Any) -> Any:
    """A cell as a reader sees it: missing -> empty, a boolean -> Yes / No, anything else as it is."""
    if value is None or (not isinstance(value, (str, list)) and pd.isna(value)):
        return ""
    if pd.api.types.is_bool(value):
        return "Yes" if value else "No"
    return value


def write_outputs(summary: dict[str, Any], tables: dict[str, pd.DataFrame], output_dir: str | Path,
                  stem: str) -> list[Path]:
    """An assessment's JSON summary and its Excel workbook in ``output_dir``; returns [json path, xlsx path].

    Each is written under a temporary name and renamed when complete: never a half-written file."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [write_json(summary, out / f"{stem}.json"), write_excel(tables, out / f"{stem}.xlsx")]
