"""What to propose when no row of a file names a register's columns: the row that looks like a header, and the
``columns:`` entry that reads it, guessed from the values under each heading (a proposal, never applied)."""

from __future__ import annotations

import re

from workbook_lib.core.errors import Problem
from workbook_lib.core.tables import HEADER_SCAN_ROWS, echo_row

Rows = list[tuple[int, list[str]]]
_LEVEL = re.compile(r"^\d(?:\.0+)?$")
_ID = re.compile(r"^[A-Za-z]{0,6}[-_ ./]?\d{1,5}[A-Za-z]?$")
EXPECTED = "a header row naming columns such as Risk ID, Description, Likelihood, Impact, Owner"
_SAMPLE = 200  # rows under a heading looked at to guess what it holds


def _texts(cells: list[str]) -> list[str]:
    return [c for c in cells if c and not re.fullmatch(r"[-\d.,%\s]+", c)]


def likely_header(rows: Rows) -> int | None:
    """The index of the row that looks most like a header: the most short text cells, with a row under it at
    least half as wide."""
    best, best_count = None, 1
    for i in range(min(HEADER_SCAN_ROWS, len(rows) - 1)):
        cells = rows[i][1]
        texts = [c for c in _texts(cells) if len(c) <= 60]
        below = sum(1 for c in rows[i + 1][1] if c)
        if len(texts) > best_count and below * 2 >= len(texts):
            best, best_count = i, len(texts)
    return best


def _guess(values: list[str], taken: set[str]) -> str:
    filled = [v for v in values if v]
    if not filled:
        return ""
    if "risk_id" not in taken and all(_ID.match(v) for v in filled) and len(set(filled)) == len(filled):
        return "risk_id"
    if all(_LEVEL.match(v) for v in filled):
        for meaning in ("inherent_likelihood", "inherent_impact"):
            if meaning not in taken:
                return meaning
        return ""
    if "description" not in taken and sum(len(v.split()) >= 3 for v in filled) * 2 > len(filled):
        return "description"
    return ""


def columns_entry(rows: Rows, at: int) -> str:
    """The columns: entry guessed for the header at index ``at`` ("" when nothing can be guessed)."""
    header = rows[at][1]
    below = rows[at + 1:at + 1 + _SAMPLE]
    taken: set[str] = set()
    entry = {}
    for j, heading in enumerate(header):
        if not heading:
            continue
        meaning = _guess([cells[j] if j < len(cells) else "" for _, cells in below], taken)
        if meaning:
            entry[heading] = meaning
            taken.add(meaning)
    if not entry:
        return ""
    return "columns: {" + ", ".join(f"{h!r}: {m}" for h, m in entry.items()) + "}"


def header_proposal(file: str, rows: Rows, header_row: int | None) -> Problem:
    """The problem for a file without a recognisable header, with the entry that would read it."""
    if not rows:
        return Problem(file, None, None, "", "a register: the file has no rows")
    if header_row is not None:
        if not any(number == header_row for number, _ in rows):
            return Problem(file, header_row, None, "", f"a header on row {header_row} (your header_row: entry), "
                                                       "but that row is empty or past the end of the file")
    at = likely_header(rows)
    if at is None:
        first = rows[0]
        return Problem(file, first[0], None, echo_row(first[1]), EXPECTED)
    number, cells = rows[at]
    entry = columns_entry(rows, at)
    names = ", ".join(_texts(cells)[:8])
    advice = (f"; row {number} looks like a header ({names}) whose headings the suite does not know: say what "
              f"they hold in the parameters, e.g. {entry or 'columns: {' + repr(_texts(cells)[0]) + ': risk_id}'}")
    return Problem(file, number, None, echo_row(cells), EXPECTED + advice, fix=entry)
