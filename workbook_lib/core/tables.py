"""Reading tabular inputs (CSV or .xlsx) the way users actually save them.

CSV: UTF-8 with or without BOM, UTF-16 with BOM, or cp1252; comma or semicolon. XLSX: first or named sheet.
The header row is found even below a title row, and every data row keeps the row number the user sees in the
file.

Hostile or oversized files are refused with one line each, before calamine or the csv module sees them, and
no message quotes the file's content (read_table's "no header row" shows at most 60 characters of text).
Limits, each a whole number set in the environment:

- ``WORKBOOK_MAX_XLSX_BYTES`` (default 200_000_000): the most a .xlsx may inflate to, all parts together.
  Read from the zip directory, nothing decompressed (an 11 MB zip bomb inflates to 1.6 GB).
- ``WORKBOOK_MAX_XLSX_RATIO`` (default 100): the most any part over 1 MB may inflate relative to its
  compressed size (real workbooks compress 5-20 to 1).
- ``WORKBOOK_MAX_ROWS`` (default 250_000): the most data rows (non-empty rows after the first), counted
  while reading, so an oversized CSV or sheet is refused without being loaded.

Also refused: a link instead of a file; XML entity declarations (DOCTYPE) in a workbook part; an Excel
97-2003 or password-protected workbook (OLE2); a .xlsx that is not a zip archive; UTF-16 without a BOM;
binary data named .csv; and every cell holding a control character a spreadsheet cannot hold (U+0000-U+001F
but tab, newline and carriage return, and U+007F), named by row and column letter.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from workbook_lib.core.errors import InputError, Problem

ROW = "_row"  # column holding the row number as the user sees it
HEADER_SCAN_ROWS = 30
# a text cell that a spreadsheet would run as a formula, once neutralised by a leading apostrophe
_NEUTRALISED = re.compile(r"^'(?=[=+\-@\t\r])")

MAX_XLSX_BYTES, MAX_XLSX_RATIO, MAX_ROWS = "WORKBOOK_MAX_XLSX_BYTES", "WORKBOOK_MAX_XLSX_RATIO", "WORKBOOK_MAX_ROWS"
_DEFAULTS = {MAX_XLSX_BYTES: 200_000_000, MAX_XLSX_RATIO: 100, MAX_ROWS: 250_000}
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
    if suffix in {".xlsx", ".xlsm"}:
        _check_xlsx(path, head)
        return _collect(name, _xlsx_rows(path, sheet))
    if suffix in {".csv", ".txt"}:
        return _read_csv(path, head)
    raise InputError([Problem(name, None, None, path.suffix, "a .csv or .xlsx file")])


def _refused(name: str, why: str) -> InputError:
    """A whole file refused, in one line: what it is and what to do."""
    return InputError([Problem(name, None, None, "", f"a readable .xlsx or CSV file; {why}")])


def _limit(name: str, variable: str) -> int:
    """A limit from the environment (a whole number such as 500000 or 500_000), else its default."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return _DEFAULTS[variable]
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise InputError([Problem(name, None, None, raw, f"{variable} (in the environment) to be a whole "
                                                         "number above 0")])
    return value


def _collect(name: str, source: Iterable[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """The non-empty rows, refusing a file over the row limit as soon as it is passed and every cell holding
    a control character (the first ``_LISTED`` named, the rest counted)."""
    limit = _limit(name, MAX_ROWS)
    rows: list[tuple[int, list[str]]] = []
    problems: list[Problem] = []
    more, first_more = 0, (0, "")
    for number, cells in source:
        if not any(cells):
            continue
        if len(rows) > limit:  # a first (header) row and `limit` data rows are already read
            raise InputError([Problem(name, None, None, "", f"at most {limit:,} data rows; this file has more, "
                                                            f"over the limit of {limit:,}; set {MAX_ROWS} to "
                                                            "raise it")])
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
    """Undo the apostrophe an export put before formula-like text."""
    return frame.apply(lambda col: col.str.replace(_NEUTRALISED, "", regex=True)) if len(frame) else frame


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


def _check_xlsx(path: Path, head: bytes) -> None:
    """Refuse a .xlsx calamine should not parse: not a zip, too big or too compressed once inflated, or holding
    XML entity declarations (billion laughs). Reads the zip directory and the first bytes of each XML part."""
    name = str(path)
    max_bytes, max_ratio = _limit(name, MAX_XLSX_BYTES), _limit(name, MAX_XLSX_RATIO)
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            total = sum(p.file_size for p in parts)
            if total > max_bytes:
                raise _refused(name, f"this workbook inflates to {total / 1e6:,.0f} MB, over the limit of "
                                     f"{max_bytes / 1e6:,.0f} MB; set {MAX_XLSX_BYTES} (in bytes) to raise it")
            for p in parts:
                if p.file_size > _RATIO_FLOOR and p.file_size > max_ratio * p.compress_size:
                    ratio = p.file_size // max(p.compress_size, 1)
                    raise _refused(name, f"a part of this workbook inflates with ratio {ratio:,} to 1, over the "
                                         f"limit of {max_ratio:,}; set {MAX_XLSX_RATIO} to raise it")
            for p in parts:
                if p.filename.lower().endswith((".xml", ".rels")):
                    with archive.open(p) as part:
                        prolog = part.read(_PROLOG_BYTES)
                    if any(mark in prolog for mark in _DOCTYPE):
                        raise _refused(name, "this is not a readable Excel workbook: it contains XML entity "
                                             "declarations (DOCTYPE), which are refused")
    except zipfile.BadZipFile:
        if head.startswith(b"PK"):  # a zip's start without its end: cut short in a download or a copy
            raise _refused(name, "this is a damaged .xlsx workbook (its zip archive is incomplete); save it again "
                                 "from Excel") from None
        raise _refused(name, "this is not an .xlsx workbook (it is not a zip archive); save it from Excel as .xlsx "
                             "or as CSV") from None
    except (RuntimeError, EOFError, zlib.error):  # encrypted or unsupported entries, a broken stream
        raise _refused(name, "this is not a readable Excel workbook (its zip archive is damaged or uses "
                             "unsupported features); save it again from Excel as .xlsx") from None


def _xlsx_rows(path: Path, sheet: str | None) -> Iterator[tuple[int, list[str]]]:
    from python_calamine import CalamineWorkbook  # lazy: only for .xlsx files

    try:
        book = CalamineWorkbook.from_path(str(path))
        names = book.sheet_names
        data = None if sheet is not None and sheet not in names else (
            book.get_sheet_by_name(sheet) if sheet else book.get_sheet_by_index(0))
        start = data.start if data is not None else None
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file; its text may quote the file
        raise _refused(str(path), f"this is not a readable Excel workbook ({type(exc).__name__}); save it again "
                                  "from Excel as .xlsx") from None
    if data is None:
        raise InputError([Problem(str(path), None, None, sheet or "", f"a sheet named one of {', '.join(names)}")])
    if start is None:  # an empty sheet
        return
    # iter_rows converts one row at a time; it yields the empty rows above the data, not the columns to its left
    pad = [""] * start[1]
    for i, cells in enumerate(data.iter_rows()):
        row = [_cell_text(c) for c in cells]
        yield i + 1, pad + row if pad else row


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

    def lines(text: io.TextIOWrapper) -> Iterator[str]:
        nonlocal seen_nul
        for line in text:
            if "\x00" in line:  # the csv module (before Python 3.13) stops at a NUL; keep it to report it
                seen_nul, line = True, line.replace("\x00", _NUL)
            yield line

    with path.open("rb") as raw:
        raw.seek(skip)
        text = io.TextIOWrapper(raw, encoding=encoding, errors="strict" if encoding == "utf-8" else "replace",
                                newline="")
        reader = csv.reader(lines(text), delimiter=delimiter)
        start = 1
        try:
            for cells in reader:
                row = [c.strip() for c in cells]
                yield start, [c.replace(_NUL, "\x00") for c in row] if seen_nul else row
                start = reader.line_num + 1
        except csv.Error as exc:
            raise InputError([Problem(name, start, None, "", f"well-formed CSV ({exc})")]) from None
