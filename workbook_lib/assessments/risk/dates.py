"""Dates as people write them in a register.

ISO dates and spreadsheet date cells ("2025-03-01", "2025-03-01 00:00:00") always read. A month and year
("June 2017", "Dec-2017", "2017-06", "06/2017", "juin 2017") reads as the month's last day. Month names may be
English, French, German, Italian or Spanish. Numbers such as 03/04/2025 are read in one order per column:
``date_order`` when the parameters give it, else the order a value that only one order can read shows
(31/12/2025 is day-first, 12/31/2025 month-first). A column with no such value and a value both orders read
differently is refused, and so is a column with values of both kinds (see ``read_column``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from workbook_lib.assessments.risk.vocabulary import fold

DAY_FIRST, MONTH_FIRST = "day-first", "month-first"

_MONTHS = {
    1: "january jan janvier janv gennaio gen enero ene januar janner",
    2: "february feb fevrier fevr febbraio febrero februar",
    3: "march mar mars marzo marz maerz",
    4: "april apr avril avr aprile abril abr",
    5: "may mai maggio mag mayo",
    6: "june jun juin giugno giu junio juni",
    7: "july jul juillet juil luglio lug julio juli",
    8: "august aug aout agosto ago",
    9: "september sep sept septembre settembre set septiembre setiembre",
    10: "october oct octobre ottobre ott octubre oktober okt",
    11: "november nov novembre noviembre",
    12: "december dec decembre dicembre dic diciembre dezember dez",
}
MONTH_WORDS = {word: month for month, words in _MONTHS.items() for word in words.split()}

_YMD = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{4})$")  # day and month in either order
_YEAR_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
# on folded text (lower case, no accents, punctuation as spaces): "30 june 2025", "june 30 2025", "june 2017"
_DAY_NAMED = re.compile(r"^(\d{1,2})(?:st|nd|rd|th|er)? ([a-z]+) (\d{4})$")
_NAMED_DAY = re.compile(r"^([a-z]+) (\d{1,2})(?:st|nd|rd|th)? (\d{4})$")
_NAMED_YEAR = re.compile(r"^([a-z]+) (\d{4})$")


class Reading(NamedTuple):
    """A text's date read day-first and month-first (the same date when the order does not matter)."""

    day_first: dt.date | None
    month_first: dt.date | None
    month_year: bool = False  # a month and year, read as the month's last day

    @property
    def ambiguous(self) -> bool:
        return None not in (self.day_first, self.month_first) and self.day_first != self.month_first

    @property
    def only(self) -> str | None:
        """The order that alone reads it (31/12/2025: day-first), else None."""
        if self.month_first is None:
            return DAY_FIRST
        return MONTH_FIRST if self.day_first is None else None


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _month_end(year: int, month: int) -> Reading | None:
    if not 1 <= month <= 12 or year < 1:
        return None
    end = dt.date(year, month, calendar.monthrange(year, month)[1])
    return Reading(end, end, True)


def _same(date: dt.date | None) -> Reading | None:
    return None if date is None else Reading(date, date)


@functools.lru_cache(maxsize=1 << 16)  # a register repeats its dates: each distinct text is read once
def read_text(text: str) -> Reading | None:
    """How ``text`` reads as a date in each order, or None when it is no date (or empty)."""
    text = text.strip()
    if not text:
        return None
    if match := _NUMERIC.match(text):
        a, b, year = int(match[1]), int(match[3]), int(match[4])
        found = Reading(_date(year, b, a), _date(year, a, b))
        return None if found.day_first is found.month_first is None else found
    if match := _YMD.match(text):
        return _same(_date(int(match[1]), int(match[3]), int(match[4])))
    if match := _YEAR_MONTH.match(text):
        return _month_end(int(match[1]), int(match[2]))
    if match := _MONTH_YEAR.match(text):
        return _month_end(int(match[2]), int(match[1]))
    if text[:4].isdigit():
        try:  # ISO dates and date-times written by spreadsheets ("2025-03-01 00:00:00")
            return _same(dt.datetime.fromisoformat(text).date())
        except ValueError:
            return None
    words = re.sub(r"\b(?:de|del)\b ?", "", fold(text)).strip()  # Spanish "junio de 2017"
    if match := _DAY_NAMED.match(words):
        month = MONTH_WORDS.get(match[2])
        return _same(_date(int(match[3]), month, int(match[1]))) if month else None
    if match := _NAMED_DAY.match(words):
        month = MONTH_WORDS.get(match[1])
        return _same(_date(int(match[3]), month, int(match[2]))) if month else None
    if (match := _NAMED_YEAR.match(words)) and match[1] in MONTH_WORDS:
        return _month_end(int(match[2]), MONTH_WORDS[match[1]])
    return None


def parse_date(text: str, order: str | None = None) -> dt.date | None:
    """``text`` as a date in ``order`` ("day-first" or "month-first"); without one, the date it can only be
    (None for 03/04/2025, which both orders read, differently)."""
    found = read_text(text)
    if found is None:
        return None
    if order == DAY_FIRST:
        return found.day_first
    if order == MONTH_FIRST:
        return found.month_first
    return None if found.ambiguous else found.day_first or found.month_first


def readable(text: str, order: str | None = None) -> bool:
    """Empty, or a date in ``order`` (without one: in either order)."""
    return not text.strip() or (read_text(text) is not None if order is None else parse_date(text, order) is not None)


def spoken(date: dt.date) -> str:
    """3 April 2025."""
    return f"{date.day} {calendar.month_name[date.month]} {date.year}"


@dataclass
class DateColumn:
    """How one column's dates read: in one order, decided by ``date_order`` or by its values."""

    order: str | None = None  # the order its numbers are read in; None when they do not say (or none needs one)
    decided_by: str = ""  # the value that decided the order, or "date_order"
    ambiguous: list[str] = field(default_factory=list)  # values both orders read differently, order undecided
    conflict: dict[str, list[str]] = field(default_factory=dict)  # order -> values only it reads (both present)
    month_year: str = ""  # the first month-and-year value

    def date(self, text: str) -> dt.date | None:
        return parse_date(text, self.order)

    def note(self) -> str:
        """How the column's dates were read, for its reading ("" when as anyone would expect)."""
        notes = []
        if self.order:
            numbers = "day/month/year" if self.order == DAY_FIRST else "month/day/year"
            notes.append(f"{numbers} (date_order: {self.order})" if self.decided_by == "date_order"
                         else f"{numbers}, as {self.decided_by!r} can only be")
        if self.month_year:
            end = parse_date(self.month_year)
            notes.append(f"month and year read as the month's last day ({self.month_year} -> {end})")
        return "; ".join(notes)


def read_column(values: Iterable[str], order: str | None = None) -> DateColumn:
    """A column's distinct values read in one order: ``order`` when given, else the one its values allow."""
    readings = {text: found for text in values if (found := read_text(text)) is not None}
    column = DateColumn(order=order, decided_by="date_order" if order else "")
    only: dict[str, list[str]] = {}
    for text, found in readings.items():
        if found.month_year and not column.month_year:
            column.month_year = text
        if found.only:
            only.setdefault(found.only, []).append(text)
    ambiguous = [text for text, found in readings.items() if found.ambiguous]
    if order:
        if not ambiguous and not only:
            column.order, column.decided_by = None, ""  # no number needed it: say nothing of an order
    elif len(only) == 2:
        column.conflict = only
    elif only:
        column.order, texts = next(iter(only.items()))
        column.decided_by = texts[0]
    else:
        column.ambiguous = ambiguous
    return column
