"""Reading tabular inputs (CSV or .xlsx) the way users actually save them.

CSV: UTF-8 with or without BOM, or cp1252; comma or semicolon. XLSX: first or named sheet. The header
row is found even below a title row, and every data row keeps the row number the user sees in the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from workbook_lib.core.errors import InputError, Problem

ROW = "_row"  # column holding the row number as the user sees it
HEADER_SCAN_ROWS = 30
# a text cell that a spreadsheet would run as a formula, once neutralised by a leading apostrophe
_NEUTRALISED = re.compile(r"^'(?=[=+\-@\t\r])")


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
        raise InputError([Problem(name, rows[0][0], None, " | ".join(rows[0][1][:6]),
                                  f"a header row naming columns such as {sample}")])
    header_row, header = rows[header_at]
    problems: list[Problem] = []
    names: list[str] = []
    renamed: dict[str, str] = {}
    width = len(header)
    for i, heading in enumerate(header):
        heading = heading.strip() or f"column_{i + 1}"
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
    if not path.is_file():
        raise InputError([Problem(name, None, None, "", "an existing CSV or .xlsx file")])
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        rows = _xlsx_rows(path, sheet)
    elif suffix in {".csv", ".txt"}:
        rows = _csv_rows(path)
    else:
        raise InputError([Problem(name, None, None, path.suffix, "a .csv or .xlsx file")])
    rows = [(n, cells) for n, cells in rows if any(c != "" for c in cells)]
    if not rows:
        raise InputError([Problem(name, None, None, "", "a header row and data rows (the file is empty)")])
    return rows


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


def _xlsx_rows(path: Path, sheet: str | None) -> list[tuple[int, list[str]]]:
    from python_calamine import CalamineWorkbook  # lazy: only for .xlsx files

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file to the user
        raise InputError([Problem(str(path), None, None, "", f"a readable .xlsx workbook ({exc})")]) from exc
    if sheet is not None and sheet not in book.sheet_names:
        raise InputError([Problem(str(path), None, None, sheet,
                                  f"a sheet named one of {', '.join(book.sheet_names)}")])
    data = book.get_sheet_by_name(sheet) if sheet else book.get_sheet_by_index(0)
    rows = data.to_python(skip_empty_area=False)
    return [(i + 1, [_cell_text(c) for c in cells]) for i, cells in enumerate(rows)]


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


def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    raw = path.read_bytes()
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:  # Windows "ANSI" exports (a stray BOM does not make the rest UTF-8)
        text = body.decode("cp1252", errors="replace")
    delimiter = _guess_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, [c.strip() for c in cells]))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError([Problem(str(path), start, None, "", f"well-formed CSV ({exc})")]) from exc
    return rows
