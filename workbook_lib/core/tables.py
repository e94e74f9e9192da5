"""Reading tabular inputs (CSV or .xlsx) the way users actually save them.

CSV: UTF-8 with or without BOM, UTF-16 with BOM, or cp1252; comma or semicolon. XLSX: first or named sheet (the
name matched ignoring case and surrounding spaces when no sheet has it exactly); a number shown as a percentage
reads as shown ("40%"). The header row is found even below a title row, and every data row keeps the row number
the user sees in a spreadsheet (a CSV cell holding line breaks is one row). ``sheet_names`` and
``sheet_overview`` list a workbook's sheets, under the same checks.

Hostile or oversized files are refused with one line each, before calamine or the csv module sees them, and
no message quotes the file's content (read_table's "no header row" shows at most 60 characters of text).
Limits, each a whole number set in the environment:

- ``WORKBOOK_MAX_XLSX_BYTES`` (default 200_000_000): the most a .xlsx may inflate to, all parts together.
  Read from the zip directory, nothing decompressed (an 11 MB zip bomb inflates to 1.6 GB).
- ``WORKBOOK_MAX_XLSX_RATIO`` (default 100): the most any part over 1 MB may inflate relative to its
  compressed size (real workbooks compress 5-20 to 1).
- ``WORKBOOK_MAX_ROWS`` (default 250_000): the most data rows (non-empty rows after the first), counted
  while reading, so an oversized CSV or sheet is refused without being loaded.
- ``WORKBOOK_MAX_COLUMNS`` (default 1_000) and ``WORKBOOK_MAX_CELLS`` (default 5_000_000, rows x columns): a
  CSV's rows are counted as they are read (a line holding more separators than four times the column limit is
  refused before the csv module splits it); a .xlsx sheet's used range (its cells' references) is read with a
  streaming XML parser before calamine lays the sheet out (one cell at XFD1048576 makes it ask for 512 GiB).
- ``WORKBOOK_MAX_FILE_MB`` (default 100): the most text a table may hold: a CSV file's size, or a sheet's text
  with each shared string counted in every cell that uses it (a small workbook can repeat one long string in
  thousands of cells).

The limits are declared, with every other limit of the suite, in core/limits.py.

Also refused: a link instead of a file; XML entity declarations (DOCTYPE) in a workbook part; an Excel
97-2003 or password-protected workbook (OLE2); a .xlsx that is not a zip archive; UTF-16 without a BOM;
binary data named .csv; and every cell holding a control character a spreadsheet cannot hold (U+0000-U+001F
but tab, newline and carriage return, and U+007F), named by row and column letter.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io
import math
import re
import zipfile
import zlib
from array import array
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any

import pandas as pd

from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.limits import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_FILE_MB,
    MAX_ROWS,
    MAX_XLSX_BYTES,
    MAX_XLSX_RATIO,
    Limit,
    LimitSettingError,
)

ROW = "_row"  # column holding the row number as the user sees it
HEADER_SCAN_ROWS = 30
# a text cell that a spreadsheet would run as a formula, once neutralised by a leading apostrophe
_NEUTRALISED = re.compile(r"^'(?=[=+\-@\t\r])")

_RATIO_FLOOR = 1_000_000  # parts smaller than this inflate too little to matter, whatever their ratio
_SNIFF_BYTES = 65_536  # the start of a file, read to tell its kind, encoding and delimiter
_PROLOG_BYTES = 4_096  # the start of each XML part, where a DOCTYPE would be
_OLE2 = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 .xls, and any password-protected workbook
_DOCTYPE = tuple(mark.encode(enc) for mark in ("<!DOCTYPE", "<!ENTITY") for enc in ("ascii", "utf-16-le", "utf-16-be"))
# what an .xlsx cell cannot hold (openpyxl raises IllegalCharacterError); tab, newline and CR are text
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NUL = "\ufdd0"  # stands in for U+0000 while the csv module (before Python 3.13) reads a line
_LISTED = 50  # control-character cells named one by one; the rest are counted


def header_key(text: object) -> str:
    """Compare headings ignoring case, spacing and punctuation: 'Risk No.' == 'risk_no'."""
    return re.sub(r"[^0-9a-z]", "", str(text).casefold())


@dataclass(frozen=True)
class ColumnReading:
    """How one column of the user's file was understood (shown before any problem, and in the report)."""

    heading: str  # the user's heading ("Residual risk / Likelihood" under a group heading)
    letter: str  # the spreadsheet column letter(s), e.g. "C" or "C-G" for an X-mark group
    meaning: str  # the canonical column, or "" when kept as written or ignored
    how: str  # in plain words: why this meaning, or why none
    style: str = ""  # for a rating column: how its values were read


@dataclass(frozen=True)
class SkippedRow:
    row: int
    reason: str
    text: str


@dataclass
class Table:
    file: str
    frame: pd.DataFrame  # all cells as stripped strings, canonical column names where recognised
    header_row: int
    renamed: dict[str, str] = field(default_factory=dict)  # original heading -> canonical name
    readings: list[ColumnReading] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # found while reading, reported with validation's
    notes: list[str] = field(default_factory=list)  # what the reading decided for the whole file (the sheet read)

    def heading_for(self, column: str) -> str:
        """The user's heading for a canonical column (the column itself when it was not renamed)."""
        for heading, canon in self.renamed.items():
            if canon == column:
                return heading
        return column


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_table(path: str | Path, columns: dict[str, list[str]], sheet: str | None = None) -> Table:
    """Read a CSV or .xlsx file into a string frame with canonical column names.

    ``columns`` maps canonical names to accepted aliases. Unknown columns are kept unchanged.
    Raises InputError for an unreadable or empty file, a missing header or duplicated columns.
    """
    name = str(path)
    rows = read_rows(path, sheet)
    lookup = {header_key(alias): canon for canon, aliases in columns.items() for alias in (canon, *aliases)}
    header_at = _find_header(rows, lookup)
    if header_at is None:
        # as a person would head them: each column's first accepted heading, not its internal name
        sample = ", ".join((aliases[0] if aliases else canon) for canon, aliases in list(columns.items())[:6])
        raise InputError([Problem(name, rows[0][0], None, echo_row(rows[0][1]),
                                  f"a header row naming columns such as {sample}")])
    header_row, header = rows[header_at]
    problems: list[Problem] = []
    names: list[str] = []
    renamed: dict[str, str] = {}
    width = len(header)
    for i, heading in enumerate(header):
        heading = _NEUTRALISED.sub("", heading.strip()) or f"column_{i + 1}"  # an export's apostrophe goes
        canon = lookup.get(header_key(heading), heading)
        if canon in names:
            problems.append(Problem(name, header_row, heading, heading,
                                    f"one column for {canon!r}; another heading already maps to it"))
            canon = f"{heading} (duplicate)"
        if canon != heading:
            renamed[heading] = canon
        names.append(canon)
    if problems:
        raise InputError(problems)
    data = [cells[:width] + [""] * (width - len(cells)) for _, cells in rows[header_at + 1:]]
    frame = pd.DataFrame(data, columns=names, dtype=object)
    frame = unneutralise(frame)
    frame.insert(0, ROW, [n for n, _ in rows[header_at + 1:]])
    return Table(file=name, frame=frame.reset_index(drop=True), header_row=header_row, renamed=renamed)


def read_rows(path: str | Path, sheet: str | None = None) -> list[tuple[int, list[str]]]:
    """The file's non-empty rows as (row number the user sees, cells as stripped text)."""
    path, head, is_xlsx = _opened(path)
    name = str(path)
    if is_xlsx:
        percent = _check_xlsx(path, head, sheet)
        book = _open_book(path)
        return _collect(name, _xlsx_rows(name, _book_sheet(name, book, sheet), percent))
    max_mb = limit_value(name, MAX_FILE_MB)
    size = path.stat().st_size
    if size > max_mb * 1_000_000:
        raise _refused(name, MAX_FILE_MB.over(f"this file is {_mb(size)}", max_mb))
    return _read_csv(path, head)


OVERVIEW_ROWS = 10_000  # sheet_overview counts a sheet's non-empty rows up to this many
_GLANCE = 80  # characters of a sheet's first row in its overview


@dataclass(frozen=True)
class SheetSummary:
    """One sheet of a workbook at a glance: to pick the sheet holding a table, or to list the sheets."""

    name: str
    rows: int  # non-empty rows, counted up to OVERVIEW_ROWS
    first_text: str  # the first non-empty row's non-empty cells joined " | ", at most 80 characters
    problem: str = ""  # why the sheet was not read (over a limit, unreadable): then rows is 0 and first_text ""


def sheet_names(path: str | Path) -> list[str]:
    """A workbook's worksheets in their order (chart sheets left out); [] for a CSV. Refuses a hostile file as
    read_rows does, without reading any sheet."""
    path, head, is_xlsx = _opened(path)
    if not is_xlsx:
        return []
    with _checked_archive(path, head):
        pass
    return _worksheets(str(path), _open_book(path))


def sheet_overview(path: str | Path, max_sheets: int = 20) -> list[SheetSummary]:
    """The first ``max_sheets`` worksheets summarised; [] for a CSV. A hostile file is refused as read_rows
    refuses it; a sheet over a limit (or unreadable) is summarised with that problem, not read."""
    path, head, is_xlsx = _opened(path)
    if not is_xlsx:
        return []
    name = str(path)
    summaries: list[SheetSummary] = []
    with _checked_archive(path, head) as archive:
        book = _open_book(path)
        for label in _worksheets(name, book)[:max_sheets]:
            try:
                percent = _check_sheets(name, archive, label)
                rows, first = 0, ""
                for _, cells in _xlsx_rows(name, _book_sheet(name, book, label), percent):
                    if any(cells):
                        first = first or _glance(cells)
                        rows += 1
                        if rows >= OVERVIEW_ROWS:
                            break
                summaries.append(SheetSummary(label, rows, first))
            except InputError as exc:
                summaries.append(SheetSummary(label, 0, "", exc.problems[0].expected))
    return summaries


def _glance(cells: list[str]) -> str:
    """A row's non-empty cells on one line, cut to _GLANCE characters."""
    text = " | ".join(" ".join(c.split()) for c in cells if c)
    text = "".join(ch for ch in text if ch.isprintable())
    return text if len(text) <= _GLANCE else text[:_GLANCE - 1] + "\u2026"


def _opened(path: str | Path) -> tuple[Path, bytes, bool]:
    """The file, its first bytes and whether it is a workbook; refuses a link, a missing file, an Excel 97-2003 or
    protected workbook and any kind but .csv/.txt/.xlsx/.xlsm."""
    path = Path(path)
    name = str(path)
    if path.is_symlink():  # checked first: nothing of the file it points to is read
        raise _refused(name, "this is a link to another file; give the file itself")
    if not path.is_file():
        raise InputError([Problem(name, None, None, "", "an existing CSV or .xlsx file")])
    try:
        with path.open("rb") as f:
            head = f.read(_SNIFF_BYTES)
    except OSError as exc:
        raise InputError([Problem(name, None, None, "", f"a file that can be read ({exc.strerror})")]) from None
    suffix = path.suffix.lower()
    if head.startswith(_OLE2):
        raise _refused(name, "this is an Excel 97-2003 (.xls) or password-protected workbook; "
                             "save it as .xlsx without a password")
    if suffix not in {".xlsx", ".xlsm", ".csv", ".txt"}:
        raise InputError([Problem(name, None, None, path.suffix, "a .csv or .xlsx file")])
    return path, head, suffix in {".xlsx", ".xlsm"}


def _refused(name: str, why: str) -> InputError:
    """A whole file refused, in one line: what it is and what to do."""
    return InputError([Problem(name, None, None, "", f"a readable .xlsx or CSV file; {why}")])


def _mb(size: float) -> str:
    """A size in bytes (or characters) as MB for a message: 268435456 -> "268 MB"."""
    return f"{size / 1e6:,.0f} MB" if size >= 1e6 else f"{size / 1e6:.1f} MB"


def _too_wide(name: str, row: int | None, found: str, limit: int) -> InputError:
    return InputError([Problem(name, row, None, "", MAX_COLUMNS.over(f"at most {limit:,} columns; {found}", limit))])


def _too_many_cells(name: str, rows: int, width: int, limit: int) -> InputError:
    found = (f"at most {limit:,} cells (data rows x columns); this file has more: {rows:,} data rows of up to "
             f"{width:,} columns")
    return InputError([Problem(name, None, None, "", MAX_CELLS.over(found, limit))])


def limit_value(name: str, limit: Limit) -> int:
    """A limit from the environment (a whole number such as 500000 or 500_000), else its default."""
    try:
        return limit.value()
    except LimitSettingError as exc:
        raise InputError([Problem(name, None, None, exc.raw, f"{exc.variable} (in the environment) to be a whole "
                                                             "number above 0")]) from None


def _collect(name: str, source: Iterable[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """The non-empty rows, refusing a file over the row, column or cell limit as soon as it is passed and every
    cell holding a control character (the first ``_LISTED`` named, the rest counted)."""
    limit = limit_value(name, MAX_ROWS)
    max_columns, max_cells = limit_value(name, MAX_COLUMNS), limit_value(name, MAX_CELLS)
    rows: list[tuple[int, list[str]]] = []
    problems: list[Problem] = []
    more, first_more = 0, (0, "")
    width = 0
    for number, cells in source:
        if not any(cells):
            continue
        if len(rows) > limit:  # a first (header) row and `limit` data rows are already read
            raise InputError([Problem(name, None, None, "", f"at most {limit:,} data rows; this file has more, "
                                                            f"over the limit of {limit:,}; set {MAX_ROWS.variable} to "
                                                            "raise it")])
        if len(cells) > width:
            width = len(cells)
            if width > max_columns:
                raise _too_wide(name, number, f"row {number} has {width:,}", max_columns)
        if len(rows) * width > max_cells:  # the data rows (all but the first) with this one, as wide as the widest
            raise _too_many_cells(name, len(rows), width, max_cells)
        rows.append((number, cells))
        if not _CONTROL.search("\t".join(cells)):  # tab is text: one search per row
            continue
        for i, cell in enumerate(cells):
            found = _CONTROL.search(cell)
            if found is None:
                continue
            if len(problems) < _LISTED:
                code = f"U+{ord(found.group()):04X}"
                problems.append(Problem(name, number, column_letter(i), "", f"text only; the cell holds a control "
                                        f"character ({code}) that a spreadsheet cannot hold; remove it"))
            else:
                more, first_more = more + 1, first_more if more else (number, column_letter(i))
    if more:
        problems.append(Problem(name, first_more[0], first_more[1], "",
                                f"text only; and {more} more from this cell on hold a control character that a "
                                "spreadsheet cannot hold; remove them"))
    if problems:
        raise InputError(problems)
    if not rows:
        raise InputError([Problem(name, None, None, "", "a header row and data rows (the file is empty)")])
    return rows


def echo_row(cells: list[str]) -> str:
    """At most 60 characters of a row for a message; nothing unless it is plain decoded text."""
    text = " | ".join(cells[:6])
    if not text.isprintable() or "\ufffd" in text:  # U+FFFD: bytes that did not decode
        return ""
    return text if len(text) <= 60 else text[:59] + "\u2026"


def unneutralise_text(text: str) -> str:
    """Undo the apostrophe an export put before formula-like text (one heading or cell)."""
    return _NEUTRALISED.sub("", text)


def unneutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo the apostrophe an export put before formula-like text (each distinct text looked at once)."""
    def column(col: pd.Series) -> pd.Series:
        starts = col.unique()
        quoted = [v for v in starts if isinstance(v, str) and _NEUTRALISED.match(v)]
        return col.replace({v: _NEUTRALISED.sub("", v) for v in quoted}) if quoted else col

    return frame.apply(column) if len(frame) else frame


def _find_header(rows: list[tuple[int, list[str]]], lookup: dict[str, str]) -> int | None:
    best, best_hits = None, 1
    for i, (_, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits = len({lookup[k] for k in map(header_key, cells) if k in lookup})
        if hits > best_hits:
            best, best_hits = i, hits
    return best


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _check_xlsx(path: Path, head: bytes, sheet: str | None = None) -> array[int]:
    """Refuse a .xlsx calamine should not parse: not a zip, too big or too compressed once inflated, holding
    XML entity declarations (billion laughs), or a sheet whose used range or text is over the limits. Reads the
    zip directory, the first bytes of each XML part, then streams the sheet to read (and its shared strings).
    Returns the sheet's cells shown as percentages (see _PercentStyles)."""
    with _checked_archive(path, head) as archive:
        return _check_sheets(str(path), archive, sheet)


@contextmanager
def _checked_archive(path: Path, head: bytes) -> Iterator[zipfile.ZipFile]:
    """The workbook's zip archive, once the whole-file checks of _check_xlsx pass (every sheet left unread); a
    damaged archive met inside the block is refused too."""
    name = str(path)
    max_bytes, max_ratio = limit_value(name, MAX_XLSX_BYTES), limit_value(name, MAX_XLSX_RATIO)
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            total = sum(p.file_size for p in parts)
            if total > max_bytes:
                raise _refused(name, f"this workbook inflates to {total / 1e6:,.0f} MB, over the limit of "
                                     f"{max_bytes / 1e6:,.0f} MB; set {MAX_XLSX_BYTES.variable} (in bytes) to raise it")
            for p in parts:
                if p.file_size > _RATIO_FLOOR and p.file_size > max_ratio * p.compress_size:
                    ratio = p.file_size // max(p.compress_size, 1)
                    raise _refused(name, f"a part of this workbook inflates with ratio {ratio:,} to 1, over the "
                                         f"limit of {max_ratio:,}; set {MAX_XLSX_RATIO.variable} to raise it")
            for p in parts:
                if p.filename.lower().endswith((".xml", ".rels")):
                    with archive.open(p) as part:
                        prolog = part.read(_PROLOG_BYTES)
                    if any(mark in prolog for mark in _DOCTYPE):
                        raise _refused(name, "this is not a readable Excel workbook: it contains XML entity "
                                             "declarations (DOCTYPE), which are refused")
            yield archive
    except zipfile.BadZipFile:
        if head.startswith(b"PK"):  # a zip's start without its end: cut short in a download or a copy
            raise _refused(name, "this is a damaged .xlsx workbook (its zip archive is incomplete); save it again "
                                 "from Excel") from None
        raise _refused(name, "this is not an .xlsx workbook (it is not a zip archive); save it from Excel as .xlsx "
                             "or as CSV") from None
    except (RuntimeError, EOFError, zlib.error, zipfile.LargeZipFile):  # encrypted, unsupported, a broken stream
        raise _refused(name, "this is not a readable Excel workbook (its zip archive is damaged or uses "
                             "unsupported features); save it again from Excel as .xlsx") from None


_MAIN = "xl/workbook.xml"
_RELS = "xl/_rels/workbook.xml.rels"
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_CHUNK = 1 << 20  # bytes of a part fed to the XML parser at a time


class _SheetTooBig(Exception):
    """Raised from inside the XML parser's handlers to stop reading a sheet over a limit."""

    def __init__(self, error: InputError):
        self.error = error


def _local(tag: str) -> str:
    """An element's name without its namespace prefix ("x:c" -> "c")."""
    return tag.rpartition(":")[2]


def _feed(archive: zipfile.ZipFile, part: str, parser: Any) -> None:
    with archive.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _match_sheet(names: list[str], sheet: str | None) -> str | None:
    """The sheet named ``sheet``: exactly, else ignoring case and surrounding spaces; None when none is."""
    if sheet is None or sheet in names:
        return sheet
    key = sheet.strip().casefold()
    return next((n for n in names if n.strip().casefold() == key), None)


def _sheet_parts(archive: zipfile.ZipFile, sheet: str | None) -> list[tuple[str, str]]:
    """(sheet name, part) of the sheet calamine will read: the named one, else the first; every worksheet part when
    the workbook's own parts do not say (an unknown sheet name: none, calamine names the sheets there are)."""
    import xml.etree.ElementTree as ET  # lazy: only for .xlsx files; both parts are small and free of DOCTYPE

    names = {info.filename.casefold(): info.filename for info in archive.infolist()}
    every = [(info.filename, info.filename) for info in archive.infolist()
             if info.filename.casefold().startswith("xl/worksheets/") and info.filename.casefold().endswith(".xml")]
    try:
        sheets = [(el.get("name") or "", next((v for k, v in el.attrib.items() if _local(k.rpartition("}")[2]) ==
                                               "id"), ""))
                  for el in ET.fromstring(archive.read(names[_MAIN.casefold()])).iter()
                  if _local(el.tag.rpartition("}")[2]) == "sheet"]
        targets = {el.get("Id"): el.get("Target") or "" for el in
                   ET.fromstring(archive.read(names[_RELS.casefold()])).iter()
                   if _local(el.tag.rpartition("}")[2]) == "Relationship"}
    except (KeyError, ET.ParseError):
        return every
    found = _match_sheet([label for label, _ in sheets], sheet)
    chosen = [s for s in sheets if s[0] == found][:1] if sheet is not None else sheets[:1]
    if sheet is not None and not chosen:
        return []
    parts = []
    for label, rid in chosen:
        target = targets.get(rid, "")
        target = target[1:] if target.startswith("/") else f"xl/{target}"
        if target.casefold() not in names:
            return every
        parts.append((label, names[target.casefold()]))
    return parts or every


# where each shared string starts (<si>, <si/>, <x:si>): from one start to the next is an upper bound of its text
_SI = re.compile(rb"<si[\s>/]")
_SI_PREFIXED = re.compile(rb"<[A-Za-z_][\w.-]*:si[\s>/]")
# The fast reading of a sheet takes each cell as Excel, LibreOffice and openpyxl write it: <c r="B7" s="2" t="s">,
# its reference first, every attribute in double quotes after one space. A sheet written otherwise (a namespace
# prefix, spaces around "=", single quotes, a cell without a reference) is read by the XML parser instead.
_VALUE_CELL = re.compile(rb"<c(?:\s[^>]*)?(?<!/)>")  # a cell that can hold a value (not self-closing)
_CELL_REF = re.compile(rb'<c r="([A-Za-z]{1,3})([0-9]{1,7})"(?: [A-Za-z_][\w.:-]*="[^"<>&]*")*>')  # such a cell
_SHARED_INDEX = re.compile(rb' t="s"(?: [A-Za-z_][\w.:-]*="[^"<>&]*")*><v>([0-9]{1,12})</v>')
_PREFIXED = re.compile(rb":c[\s>/]")
_LOOSE = 16 << 20  # a buffer this long without an element's end is cut at its last tag


def _pieces(archive: zipfile.ZipFile, part: str, element: bytes) -> Iterator[bytes]:
    """A part's bytes in pieces of about _CHUNK, each cut just after an end tag of ``element`` (``</c>``, ``</x:c>``)
    so that no element of that name is split between two pieces."""
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            buf = tail + chunk
            cut = _after_last_end(buf, element)
            if cut == 0 and len(buf) > _LOOSE:
                cut = buf.rfind(b">") + 1
            tail = buf[cut:]
            if cut:
                yield buf[:cut]
    if tail:
        yield tail


def _after_last_end(buf: bytes, element: bytes) -> int:
    """The offset just after the last end tag ``</element>`` or ``</prefix:element>`` in buf, or 0."""
    mark = element + b">"
    end = len(buf)
    while (i := buf.rfind(mark, 0, end)) >= 0:
        j = buf.rfind(b"<", 0, i)
        if j >= 0 and buf[j + 1:j + 2] == b"/" and (j + 2 == i or buf[i - 1:i] == b":"):
            return i + len(mark)
        end = i
    return 0


def _shared_lengths(archive: zipfile.ZipFile) -> Any:
    """An upper bound of the length of each shared string (its text and markup), in the shared-strings part's
    order, read a piece at a time."""
    import numpy as np  # lazy: with pandas, already imported

    lengths = array("q")
    part = next((i.filename for i in archive.infolist() if i.filename.casefold().endswith("sharedstrings.xml")), None)
    if part is not None:
        for piece in _pieces(archive, part, b"si"):
            starts = (_SI_PREFIXED if b":si" in piece else _SI).split(piece)
            if lengths:  # what comes before the piece's first start is the end of the last string
                lengths[-1] += len(starts[0])
            lengths.extend(map(len, starts[1:]))
    return np.frombuffer(lengths, dtype=np.int64) if lengths else np.zeros(0, dtype=np.int64)


def _scan_sheet(name: str, label: str, archive: zipfile.ZipFile, part: str, shared: Any,
                limits: tuple[int, int, int], percent: _PercentStyles | None = None) -> bool:
    """The fast reading of a sheet (each cell as a spreadsheet program writes it, see _CELL_REF): regular
    expressions over each piece of the part for the references of the cells that can hold a value, the shared
    strings they use and the cells shown as percentages. False when the part is written otherwise: the XML parser
    reads it instead."""
    import numpy as np  # lazy: with pandas, already imported

    scan = _SheetScan(name, label, shared, *limits)
    for piece in _pieces(archive, part, b"c"):
        refs = _CELL_REF.findall(piece)
        if len(refs) != len(_VALUE_CELL.findall(piece)) or _PREFIXED.search(piece):
            return False
        if refs:
            columns = [_column_number(x.decode()) for x in {x.upper() for x in set(map(itemgetter(0), refs))}]
            rows = list(map(int, map(itemgetter(1), refs)))
            scan.extend(min(rows), max(rows), min(columns), max(columns))
            if percent is not None:
                percent.scan(piece)
        shared_cells = piece.count(b' t="s"')
        if shared_cells:
            indices = _SHARED_INDEX.findall(piece)
            if len(indices) != shared_cells:
                return False
            found = np.array(list(map(int, indices)), dtype=np.int64)
            scan.add_text(int(shared[found[found < len(shared)]].sum()))
    return True


class _SheetScan:
    """One worksheet part streamed: its used range (the cells calamine keeps: those with a value) against the
    column and cell limits, and its shared-string cells' text against the text limit, stopping at the first
    passed."""

    def __init__(self, name: str, label: str, shared: Any, max_columns: int, max_cells: int, max_text: int,
                 percent: _PercentStyles | None = None):
        self.name, self.label, self.shared, self.percent = name, label, shared, percent
        self.max_columns, self.max_cells, self.max_text = max_columns, max_cells, max_text
        self.top = self.left = 1 << 62
        self.bottom = self.right = 0
        self.row = self.column = 0  # of the last row and cell seen (for those without a reference)
        self.cell: tuple[int, int, bool, int] | None = None  # the open <c>: row, column, holds a shared string, style
        self.counted = False
        self.index: list[str] | None = None  # the text of an open <v> of a shared-string cell
        self.text = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "c":
            ref = _REF.fullmatch(attrs.get("r", ""))
            if ref:
                row, column = int(ref.group(2)), _column_number(ref.group(1))
            else:
                row, column = self.row, self.column + 1
            self.column = column
            self.cell, self.counted = (row, column, attrs.get("t") == "s", _whole(attrs.get("s", ""))), False
        elif local == "row":
            r = attrs.get("r", "")
            self.row, self.column = (int(r) if r.isdigit() else self.row + 1), 0
        elif local in ("v", "is") and self.cell is not None:
            if not self.counted:
                self._count(*self.cell[:2])
                if self.percent is not None:
                    self.percent.add(*self.cell[:2], self.cell[3])
            if local == "v" and self.cell[2]:
                self.index = []

    def end(self, tag: str) -> None:
        local = _local(tag)
        if local == "v" and self.index is not None:
            text = "".join(self.index).strip()
            self.index = None
            if text.isdigit() and int(text) < len(self.shared):
                self.add_text(int(self.shared[int(text)]))
        elif local == "c":
            self.cell = None

    def chars(self, data: str) -> None:
        if self.index is not None:
            self.index.append(data)

    def _count(self, row: int, column: int) -> None:
        self.counted = True
        self.extend(row, row, column, column)

    def extend(self, top: int, bottom: int, left: int, right: int) -> None:
        """Widen the used range to these rows and columns; refuse it past the column or cell limit."""
        self.top, self.bottom = min(self.top, top), max(self.bottom, bottom)
        self.left, self.right = min(self.left, left), max(self.right, right)
        width, height = self.right - self.left + 1, self.bottom - self.top + 1
        span = f"{column_letter(self.left - 1)}{self.top}:{column_letter(self.right - 1)}{self.bottom}"
        if width > self.max_columns:
            found = f"the sheet {self.label!r} spans {width:,} columns ({span})"
            raise _SheetTooBig(_too_wide(self.name, None, found, self.max_columns))
        if width * height > self.max_cells:
            found = (f"at most {self.max_cells:,} cells (rows x columns); the sheet {self.label!r} spans {span}, "
                     f"{height:,} rows of {width:,} columns")
            raise _SheetTooBig(InputError([Problem(self.name, None, None, "", MAX_CELLS.over(found,
                                                                                             self.max_cells))]))

    def add_text(self, length: int) -> None:
        """Count the text of cells; refuse it past the text limit."""
        self.text += length
        if self.text > self.max_text:
            found = (f"the sheet {self.label!r} holds more than {_mb(self.max_text)} of text (each shared string "
                     "counted in every cell that uses it)")
            raise _SheetTooBig(_refused(self.name, MAX_FILE_MB.over(found, self.max_text // 1_000_000)))


def _column_number(letters: str) -> int:
    """A -> 1, Z -> 26, AA -> 27."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _check_sheets(name: str, archive: zipfile.ZipFile, sheet: str | None) -> array[int]:
    """Stream the sheet to read (and the shared strings) before calamine lays it out as a dense grid: refuse a used
    range over the column or cell limit, and text over the text limit. A part the XML parser cannot read is refused
    as calamine would refuse it. Returns the sheet's cells shown as percentages (see _PercentStyles)."""
    from xml.parsers import expat  # lazy: only for .xlsx files

    limits = (limit_value(name, MAX_COLUMNS), limit_value(name, MAX_CELLS), limit_value(name, MAX_FILE_MB) * 1_000_000)
    parts = _sheet_parts(archive, sheet)
    if not parts:
        return array("q")
    try:
        shared = _shared_lengths(archive)
        # several parts: the one calamine reads is not known, so no cell is shown as a percentage
        styles = _percent_styles(archive) if len(parts) == 1 else {}
        percent = _PercentStyles(styles) if styles else None
        for label, part in parts:
            if _scan_sheet(name, label, archive, part, shared, limits, percent):
                continue
            if percent is not None:
                percent.found = array("q")  # read again below
            scan = _SheetScan(name, label, shared, *limits, percent)  # cells without plain references: the parser
            parser = expat.ParserCreate()
            parser.buffer_text = True
            parser.StartElementHandler, parser.EndElementHandler = scan.start, scan.end
            parser.CharacterDataHandler = scan.chars
            _feed(archive, part, parser)
    except _SheetTooBig as stop:
        raise stop.error from None
    except (expat.ExpatError, ValueError, zipfile.BadZipFile):
        raise _refused(name, "this is not a readable Excel workbook (XmlError); save it again from Excel as "
                             ".xlsx") from None
    return percent.in_order() if percent is not None else array("q")


def _whole(text: str) -> int:
    """A whole number written in ASCII digits, else -1."""
    return int(text) if text.isascii() and text.isdigit() else -1


_BUILTIN_PERCENT = {9: 0, 10: 2}  # Excel's built-in number formats "0%" and "0.00%": id -> decimals
_MAX_PERCENT_STYLES = 10_000  # percent formats and styles kept from one styles part; the rest read as numbers
# what a number format shows as written: "quoted text", an escaped, spacing or fill character, [Red] or [>=1]
_FORMAT_LITERAL = re.compile(r'"[^"]*"|\\.|[_*].|\[[^\]]*\]')


def _percent_decimals(code: str) -> int | None:
    """The decimals a number format shows a percentage with ("0.0%" -> 1), None when it is no percentage ('0.0" %"'
    shows the number as it is, followed by a percent sign)."""
    section = next((s for s in _FORMAT_LITERAL.sub("", code).split(";") if "%" in s), None)
    if section is None:
        return None
    found = re.search(r"\.([0#?]*)", section)
    return min(len(found.group(1)), 30) if found else 0


@functools.lru_cache(maxsize=4096)  # a register repeats its percentages
def _percent_text(value: float, decimals: int) -> str:
    """A number as a spreadsheet shows it as a percentage with ``decimals``, never hiding a digit the value has (to
    the 15 significant digits a spreadsheet keeps): 0.4 -> "40%", 0.155 with 1 -> "15.5%", 0.125 with 0 -> "12.5%"."""
    if not math.isfinite(value):
        return _cell_text(value)
    shown = Decimal(f"{value:.15g}").scaleb(2)
    places = max(decimals, len(f"{shown.normalize():f}".partition(".")[2]))
    return f"{shown:.{places}f}%"


def _percent_styles(archive: zipfile.ZipFile) -> dict[int, int]:
    """Each cell style (the index in a cell's s attribute) that shows numbers as percentages -> its decimals, from
    the styles part streamed: its number formats, then the cell formats using them."""
    from xml.parsers import expat  # lazy: only for .xlsx files

    part = next((i.filename for i in archive.infolist() if i.filename.casefold() == "xl/styles.xml"), None)
    formats, styles = dict(_BUILTIN_PERCENT), {}
    if part is None:
        return styles
    in_xfs, index = False, 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal in_xfs, index
        local = _local(tag)
        if local == "numFmt":
            fid, places = _whole(attrs.get("numFmtId", "")), _percent_decimals(attrs.get("formatCode", ""))
            if places is None:
                formats.pop(fid, None)
            elif len(formats) < _MAX_PERCENT_STYLES:
                formats[fid] = places
        elif local == "cellXfs":
            in_xfs, index = True, 0
        elif local == "xf" and in_xfs:
            places = formats.get(_whole(attrs.get("numFmtId", "0")))
            if places is not None and len(styles) < _MAX_PERCENT_STYLES:
                styles[index] = places
            index += 1

    def end(tag: str) -> None:
        nonlocal in_xfs
        if _local(tag) == "cellXfs":
            in_xfs = False

    parser = expat.ParserCreate()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    _feed(archive, part, parser)
    return styles


class _PercentStyles:
    """The cell styles showing numbers as percentages (style index -> decimals) and the cells of one sheet using
    them, each as one number in the sheet's order: row << 24 | column from 0 << 8 | decimals."""

    def __init__(self, decimals: dict[int, int]):
        self.decimals = decimals
        self.found: array[int] = array("q")
        styles = b"|".join(b"%d" % s for s in decimals) if len(decimals) <= 256 else rb"[0-9]{1,9}"
        self.mark = re.compile(rb' s="(?:' + styles + rb')"')  # any element using one of them
        # a cell that can hold a value (as _CELL_REF) with one of them: its style right after its reference (as
        # Excel and openpyxl write it, twice as fast to find), else anywhere among its attributes
        attrs = rb'(?: [A-Za-z_][\w.:-]*="[^"<>&]*")*'
        self.first = re.compile(rb'<c r="([A-Za-z]{1,3})([0-9]{1,7})" s="(' + styles + rb')"' + attrs + rb'>')
        self.cell = re.compile(rb'<c r="([A-Za-z]{1,3})([0-9]{1,7})"' + attrs + rb'? s="(' + styles + rb')"'
                               + attrs + rb'>')
        self.columns: dict[bytes, int] = {}

    def scan(self, piece: bytes) -> None:
        marks = len(self.mark.findall(piece))
        if not marks:
            return
        cells = self.first.findall(piece)
        if len(cells) != marks:  # a style elsewhere in a cell, on a row, or on a cell without a value
            cells = self.cell.findall(piece)
        for letters, row, style in cells:
            column = self.columns.get(letters) or self.columns.setdefault(letters, _column_number(letters.decode()))
            self.add(int(row), column, int(style))

    def add(self, row: int, column: int, style: int) -> None:
        places = self.decimals.get(style)
        if places is not None and 0 < column <= 1 << 15 and 0 < row < 1 << 32:
            self.found.append(row << 24 | (column - 1) << 8 | places)

    def in_order(self) -> array[int]:
        """The cells found, by row then column (a sheet written out of order is sorted)."""
        import numpy as np  # lazy: with pandas, already imported

        keys = np.frombuffer(self.found, dtype=np.int64)
        if len(keys) > 1 and (np.diff(keys) < 0).any():
            return array("q", np.sort(keys).tobytes())
        return self.found


def _unreadable(name: str, exc: Exception) -> InputError:
    return _refused(name, f"this is not a readable Excel workbook ({type(exc).__name__}); save it again from Excel "
                          "as .xlsx")


def _open_book(path: Path) -> Any:
    """The workbook opened with calamine (after _check_xlsx or _checked_archive)."""
    from python_calamine import CalamineWorkbook  # lazy: only for .xlsx files

    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file; its text may quote the file
        raise _unreadable(str(path), exc) from None


def _worksheets(name: str, book: Any) -> list[str]:
    """The names of a workbook's worksheets (not its chart or macro sheets)."""
    from python_calamine import SheetTypeEnum  # lazy: only for .xlsx files

    try:
        return [m.name for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    except Exception as exc:  # noqa: BLE001 - as in _open_book
        raise _unreadable(name, exc) from None


def _book_sheet(name: str, book: Any, sheet: str | None) -> Any:
    """The named sheet (see _match_sheet), else the first; a name no sheet has is a problem listing the sheets."""
    try:
        if sheet is None:
            return book.get_sheet_by_index(0)
        names: list[str] = book.sheet_names
        found = _match_sheet(names, sheet)
        if found is not None:
            return book.get_sheet_by_name(found)
    except Exception as exc:  # noqa: BLE001 - as in _open_book
        raise _unreadable(name, exc) from None
    shown = ", ".join(repr(n) for n in names[:_LISTED_SHEETS])
    more = f" (and {len(names) - _LISTED_SHEETS:,} more)" if len(names) > _LISTED_SHEETS else ""
    raise InputError([Problem(name, None, None, sheet, f"a sheet named one of {shown}{more}")])


_LISTED_SHEETS = 30  # sheet names listed in the problem of a sheet no sheet is named


def _xlsx_rows(name: str, data: Any, percent: array[int]) -> Iterator[tuple[int, list[str]]]:
    """A sheet's rows; ``percent`` (from _check_xlsx) the cells shown as percentages."""
    try:
        start = data.start
    except Exception as exc:  # noqa: BLE001 - as in _open_book
        raise _unreadable(name, exc) from None
    if start is None:  # an empty sheet
        return
    marks = iter(percent)
    mark = next(marks, None)
    # iter_rows converts one row at a time; it yields the empty rows above the data, not the columns to its left
    pad = [""] * start[1]
    for number, cells in enumerate(data.iter_rows(), 1):
        row = [_cell_text(c) for c in cells]
        while mark is not None and mark >> 24 <= number:
            i = (mark >> 8 & 0xFFFF) - start[1]
            if mark >> 24 == number and 0 <= i < len(cells) and type(cells[i]) in (float, int):
                row[i] = _percent_text(cells[i], mark & 0xFF)
            mark = next(marks, None)
        yield number, pad + row if pad else row


def _guess_delimiter(text: str) -> str:
    """Comma or semicolon: whichever splits the first lines into the most consistent width."""
    sample = "\n".join(text.splitlines()[:25])
    best, best_score = ",", (0, 0)
    for delimiter in (",", ";"):
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not widths:
            continue
        mode = max(set(widths), key=widths.count)
        score = (widths.count(mode) if mode > 1 else 0, mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(path: Path, head: bytes) -> list[tuple[int, list[str]]]:
    name = str(path)
    encoding, skip, sample = _csv_encoding(name, head)
    delimiter = _guess_delimiter(sample)
    if encoding == "utf-8":
        try:
            return _collect(name, _csv_rows(path, encoding, skip, delimiter))
        except UnicodeDecodeError:  # Windows "ANSI" exports (a stray BOM does not make the rest UTF-8)
            encoding = "cp1252"
    return _collect(name, _csv_rows(path, encoding, skip, delimiter))


def _csv_encoding(name: str, head: bytes) -> tuple[str, int, str]:
    """The encoding to read with, the BOM bytes to skip and the decoded start of the file; or refuse UTF-16
    without a BOM and binary data."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding, skip = "utf-16", 0  # the codec reads the BOM and its byte order
    else:
        skip = 3 if head.startswith(codecs.BOM_UTF8) else 0
        half = len(head) // 2
        nuls = sorted((head[0::2].count(0), head[1::2].count(0)))
        if half >= 2 and nuls[1] > 0.3 * half and nuls[0] < 0.05 * half:  # every other byte NUL: UTF-16 text
            raise _refused(name, "UTF-16 without a byte-order mark is not supported; save as CSV UTF-8")
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head[skip:])  # a character cut at the end is fine
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"
    sample = head[skip:].decode(encoding, errors="replace")
    odd = len(_CONTROL.findall(sample)) + sample.count("\ufffd")
    if odd > max(8, len(sample) // 20):  # over 5% control characters or undecodable bytes: not text
        raise _refused(name, "this is not a text CSV file; save it from Excel as CSV UTF-8")
    return encoding, skip, sample


def _csv_rows(path: Path, encoding: str, skip: int, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """The rows as read, one line at a time (a UnicodeDecodeError means: not UTF-8 after all)."""
    name = str(path)
    seen_nul = False
    max_columns = limit_value(name, MAX_COLUMNS)
    separators = 4 * max_columns  # in one line, quoted ones too: more is refused before the csv module splits it

    def lines(text: io.TextIOWrapper) -> Iterator[str]:
        nonlocal seen_nul
        for number, line in enumerate(text, 1):
            if "\x00" in line:  # the csv module (before Python 3.13) stops at a NUL; keep it to report it
                seen_nul, line = True, line.replace("\x00", _NUL)
            if len(line) > separators and line.count(delimiter) > separators:
                raise _too_wide(name, number, f"line {number} has {line.count(delimiter) + 1:,}", max_columns)
            yield line

    with path.open("rb") as raw:
        raw.seek(skip)
        text = io.TextIOWrapper(raw, encoding=encoding, errors="strict" if encoding == "utf-8" else "replace",
                                newline="")
        reader = csv.reader(lines(text), delimiter=delimiter)
        start = 1  # the row a spreadsheet shows: records counted, an empty line one too (not reader.line_num)
        kept: dict[str, str] = {}  # each text seen lately kept once: a register repeats its words in every row
        try:
            for cells in reader:
                if len(kept) > 100_000:  # bounded: unique texts (IDs, descriptions) are not worth keeping
                    kept.clear()
                row = [kept.setdefault(c, c) for c in map(str.strip, cells)]
                yield start, [c.replace(_NUL, "\x00") for c in row] if seen_nul else row
                start += 1
        except csv.Error as exc:
            raise InputError([Problem(name, start, None, "", f"well-formed CSV ({exc})")]) from None
