"""Readings of the tolerance metrics: one value per metric and period, read from the user's CSV or .xlsx file
(``core.tables.read_table(path, READINGS_COLUMNS)``) and checked against the metrics catalogue.

A value is read as people write it: ``12%``, ``12 %``, ``1,5`` (a decimal comma), ``1.7 : 1``, ``75 days``,
``24 hours`` or a bare number in the metric's unit. A percentage stays in percent (12% is 12.0). A unit that
contradicts the metric's is refused, and so is a blank value: a reading not taken is left out of the file, not
entered as a blank row.
Every problem is collected with the row the user sees, and raised once as an InputError.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from dataclasses import dataclass, field

import pandas as pd

from workbook_lib.assessments.monitoring.catalogue import Catalogue, Metric
from workbook_lib.core.datafiles import normalise_label
from workbook_lib.core.errors import InputError, Problem, cut, quote
from workbook_lib.core.tables import ROW, Table

READINGS_COLUMNS: dict[str, list[str]] = {
    "metric": ["Metric", "Metric name", "Metric ID", "Tolerance metric", "Indicator", "Key risk indicator", "KRI"],
    "period": ["Period", "Reporting period", "Period name", "Quarter", "Month"],
    "value": ["Value", "Reading", "Actual", "Actual value", "Measured value", "Measurement", "Result"],
    "date": ["Date", "Reading date", "Date measured", "Measured on", "As at", "As at date"],
    "source": ["Source", "Data source", "Source of the data", "Evidence"],
    "note": ["Note", "Notes", "Comment", "Comments", "Remarks"],
    "recorded_by": ["Recorded by", "Captured by", "Entered by", "Reported by"],
}
REQUIRED = ("metric", "period", "value")
COLUMNS = ["metric", "metric_name", "period", "value", "date", "source", "note", "recorded_by", "row"]

# unicode spellings a spreadsheet or a keyboard puts in a number: minus signs, odd spaces, full-width percent
_FOLD = str.maketrans({"−": "-", "–": "-", "\u00a0": " ", "\u202f": " ", "％": "%"})
_NUMBER = r"[-+]?(?:\d+(?:[.,]\d+)?|[.,]\d+)"
_VALUE = re.compile(rf"(?P<number>{_NUMBER})\s*(?P<unit>%|days?|hours?|hrs?|:\s*(?P<against>{_NUMBER}))?")
_THOUSANDS = re.compile(r"[-+]?[1-9]\d{0,2},\d{3}")  # "1,500": a thousands separator or a decimal comma?
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
EXAMPLES = {"%": "12% or 12", "days": "75 days or 75", "hours": "24 hours or 24", "ratio": "1.7 : 1 or 1.7",
            "count": "a whole number such as 2"}
_UNIT_WORDS = {"%": "percent", "days": "days", "hours": "hours", "ratio": "a ratio to 1", "count": "a count"}


@dataclass
class Readings:
    """Validated readings: one row per (metric, period) with canonical columns (see ``COLUMNS``); ``metric`` is
    the catalogue's id, ``value`` a float in the metric's unit, ``row`` the row in the user's file."""

    file: str
    frame: pd.DataFrame
    warnings: list[str] = field(default_factory=list)  # values read as written that may not be what was meant

    @property
    def periods(self) -> list[str]:
        """The periods in the order they first appear in the file."""
        return list(dict.fromkeys(self.frame["period"]))


def close_metrics(catalogue: Catalogue, text: str, n: int = 3) -> list[str]:
    """The names of up to ``n`` metrics whose name or id is close to ``text`` (difflib), closest first."""
    keys: dict[str, str] = {}
    for metric in catalogue.metrics:
        keys.setdefault(normalise_label(metric.name), metric.name)
        keys.setdefault(normalise_label(metric.id), metric.name)
    matches = difflib.get_close_matches(normalise_label(text), list(keys), n=2 * n, cutoff=0.6)
    return list(dict.fromkeys(keys[m] for m in matches))[:n]


def unknown_metric(catalogue: Catalogue, text: str) -> str:
    """What was expected instead of an unknown metric: close matches, else a few of the catalogue's names."""
    close = close_metrics(catalogue, text)
    if close:
        return f"a metric of the catalogue by id or name; did you mean {' or '.join(map(repr, close))}?"
    some = ", ".join(repr(m.name) for m in catalogue.metrics[:3])
    return f"a metric of the catalogue by id or name (one of its {len(catalogue.metrics)} metrics, such as {some})"


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _unit_of(raw: str | None) -> str | None:
    """A written unit as the catalogue names it: "%", "days", "hours", "ratio" or None (none written)."""
    if raw is None:
        return None
    if raw == "%":
        return "%"
    if raw.startswith("h"):
        return "hours"
    return "days" if raw.startswith("day") else "ratio"


def read_value(text: str, metric: Metric | None) -> tuple[float | None, str]:
    """A written value as a float in the metric's unit, or (None, what was expected instead).

    ``metric`` None (an unknown metric): the value is read, its unit not checked."""
    expected = (f"a number in {_UNIT_WORDS[metric.unit]} (the unit of {metric.name}), such as "
                f"{EXAMPLES[metric.unit]}" if metric else "a number such as 12%, 1,5, 1.7 : 1 or 75 days")
    folded = " ".join(text.translate(_FOLD).casefold().split())
    m = _VALUE.fullmatch(folded)
    if m is None:
        return None, f"{expected}; a decimal point or comma, no thousands separators"
    if _THOUSANDS.fullmatch(m["number"]):
        return None, f"{expected}; {quote(m['number'])} could be a decimal comma or a thousands separator: write it " \
                     "without the comma, or with a decimal point"
    if m["against"] is not None and _number(m["against"]) != 1:
        return None, f"{expected}; a ratio is written against 1 (e.g. 1.5 : 1)"
    value, unit = _number(m["number"]), _unit_of(m["unit"])
    if not math.isfinite(value):  # 1 followed by 400 zeros reads as infinity
        return None, f"{expected}; {cut(m['number'], 40)} is too large a number to be a reading"
    if metric is None:
        return value, ""
    declared = None if metric.unit == "count" else metric.unit
    if unit is not None and unit != declared:
        return None, f"{expected}; {unit} contradicts the metric's unit"
    if metric.unit == "count" and not value.is_integer():
        return None, expected
    if value < 0 and metric.unit in ("count", "days", "hours", "ratio"):
        return None, f"{expected}, not below 0"
    return value, ""


def _read_date(text: str) -> tuple[dt.date | None, bool]:
    """An ISO date (YYYY-MM-DD) or None for a blank; the flag says whether it was read."""
    if not text:
        return None, True
    if not _ISO_DATE.fullmatch(text):
        return None, False
    try:
        return dt.date.fromisoformat(text), True
    except ValueError:
        return None, False


def _missing_columns(table: Table) -> list[Problem]:
    return [Problem(table.file, table.header_row, column, "",
                    f"a column headed {READINGS_COLUMNS[column][0]!r} (or one of: "
                    f"{', '.join(READINGS_COLUMNS[column][1:4])})")
            for column in REQUIRED if column not in table.frame.columns]


def _cell(record: dict, column: str) -> str:
    value = record.get(column)
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()


@dataclass
class _Row:
    """One row as read: its reading (None if it has a problem), its problems, a warning ("" for none) and, when its
    metric and period are known, what it is a reading of (to find repeats even among rows with a bad value)."""

    reading: dict | None
    problems: list[Problem]
    warning: str = ""
    key: tuple[Metric, str, int] | None = None


def _read_row(table: Table, record: dict, catalogue: Catalogue) -> _Row:
    row, problems = int(record[ROW]), []

    def problem(column: str, value: str, expected: str) -> None:
        problems.append(Problem(table.file, row, table.heading_for(column), value, expected))

    name, period, text = (_cell(record, c) for c in REQUIRED)
    metric = None
    if not name:
        problem("metric", "", "a metric id or name")
    else:
        try:
            metric = catalogue.find(name)
        except KeyError:
            problem("metric", name, unknown_metric(catalogue, name))
    if not period:
        problem("period", "", "the period the reading is for (e.g. 2025 Q1)")
    value = None
    if not text:
        problem("value", "", "a number (a reading not taken is left out of the file, not entered as a blank row)")
    else:
        value, expected = read_value(text, metric)
        if value is None:
            problem("value", text, expected)
    date, read = _read_date(_cell(record, "date"))
    if not read:
        problem("date", _cell(record, "date"), "a date as YYYY-MM-DD (e.g. 2025-03-31), or blank")
    key = (metric, " ".join(period.split()), row) if metric is not None and period else None
    if problems or metric is None or value is None:
        return _Row(None, problems, key=key)
    warning = ""
    if metric.unit == "%" and 0 < abs(value) < 1 and "%" not in text:
        warning = (f"row {row}: {metric.name} {text} is read as {value:g}%; if the cell is a spreadsheet "
                   f"percentage ({value * 100:g}%), write {value * 100:g} or {value * 100:g}%")
    reading = {"metric": metric.id, "metric_name": metric.name, "period": " ".join(period.split()), "value": value,
               "date": date, **{c: _cell(record, c) for c in ("source", "note", "recorded_by")}, "row": row}
    return _Row(reading, problems, warning, key)


def _rows_words(rows: list[int]) -> str:
    return ", ".join(map(str, rows[:-1])) + f" and {rows[-1]}"


def _duplicates(table: Table, keys: list[tuple[Metric, str, int]]) -> list[Problem]:
    """One problem per (metric, period) given more than once, at its first repeat, naming every row."""
    seen: dict[tuple[str, str], list[tuple[Metric, str, int]]] = {}
    for key in keys:
        seen.setdefault((key[0].id, normalise_label(key[1])), []).append(key)
    problems = []
    for same in (s for s in seen.values() if len(s) > 1):
        (metric, period, _), rows = same[0], [row for *_, row in same]
        verb = "both give" if len(rows) == 2 else "all give"
        problems.append(Problem(table.file, rows[1], table.heading_for("period"), same[1][1],
                                f"one reading per metric and period; rows {_rows_words(rows)} {verb} "
                                f"{metric.name} for {period}"))
    return problems


def validate_readings(table: Table, catalogue: Catalogue) -> Readings:
    """Check every row of a readings table against the catalogue; raise InputError with every problem (those
    found while reading the file too), else the readings with canonical columns."""
    problems = list(table.problems) + _missing_columns(table)
    if not problems and table.frame.empty:
        problems.append(Problem(table.file, table.header_row + 1, None, "", "at least one reading below the header"))
    if problems:
        raise InputError(problems, table.readings, table.skipped)
    rows = [_read_row(table, record, catalogue) for record in table.frame.to_dict("records")]
    problems += [p for r in rows for p in r.problems]
    problems += _duplicates(table, [r.key for r in rows if r.key is not None])
    if problems:
        raise InputError(problems, table.readings, table.skipped)
    frame = pd.DataFrame([r.reading for r in rows], columns=COLUMNS)
    frame["value"] = frame["value"].astype(float)
    return Readings(file=table.file, frame=frame, warnings=[r.warning for r in rows if r.warning])
