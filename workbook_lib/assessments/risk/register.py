"""Risk registers: read, map to canonical columns, validate lazily with pandera.

The result of validation is a register frame whose ratings are level values (numbers), dates are
parsed and every risk knows its row in the user's file. A register that fails raises InputError with
every problem at once; an unrated risk is a warning, never an error and never a zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from workbook_lib.assessments.risk.dates import (
    parse_date,  # noqa: F401  (read from here before dates.py)
    read_column,
    read_text,
    readable,
    spoken,
)
from workbook_lib.assessments.risk.headings import fold, plain
from workbook_lib.assessments.risk.interpret import ReadOptions, interpret_file, label
from workbook_lib.assessments.risk.methodology import Methodology
from workbook_lib.assessments.risk.quantities import as_numbers, quantity_problems
from workbook_lib.assessments.risk.vocabulary import column_spec
from workbook_lib.core.datafiles import normalise_label
from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.tables import ROW, ColumnReading, SkippedRow, Table, header_key

RATINGS = ["inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact"]
# columns the suite computes; a register column with one of these names is kept as "<name> (register)"
RESERVED = {"row", "rated", "complete", "closed", "control_factor", "inherent_score", "inherent_level",
            "residual_score", "residual_level", "appetite", "above_appetite", "decision_maker", "register_destination",
            "required_action", "arithmetic", "action_overdue", "review_overdue", "inherent_likelihood_label",
            "inherent_impact_label", "_band", "appetite_applied", "appetite_from", "residual_basis", "decision_basis",
            "inherent_rating", "residual_rating"}
# a direct methodology's ratings (High / Medium / Low): the file's own level (or score) columns hold them
DIRECT = {"inherent_rating": ("stated_inherent_level", "stated_inherent_score"),
          "residual_rating": ("stated_residual_level", "stated_residual_score")}
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%?\s*$")
_SIGNED = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*%?\s*$")  # a percentage, a negative one too (refused)


@dataclass
class Register:
    """A validated register: canonical columns plus numeric ratings and parsed dates."""

    file: str
    frame: pd.DataFrame
    extra_columns: list[str]
    warnings: list[str] = field(default_factory=list)
    readings: list[ColumnReading] = field(default_factory=list)  # how each column of the file was read
    skipped: list[SkippedRow] = field(default_factory=list)  # rows under the header that are not risks
    headings: dict[str, str] = field(default_factory=dict)  # canonical column -> the user's heading
    notes: list[str] = field(default_factory=list)  # what the reading decided for the whole file (the sheet read)
    level_words: dict[str, str] = field(default_factory=dict)  # the file's own level words -> band names

    @property
    def rated(self) -> pd.Series:
        return self.frame["rated"]


def _read_dates(table: Table, options: ReadOptions) -> tuple[list[Problem], list[ColumnReading]]:
    """Each date column read in one order (date_order, else the order its values allow): the problems of a column
    whose values do not say which, and the readings with how each date column was read."""
    problems, readings = [], list(table.readings)
    rows = table.frame[ROW]
    for name in column_spec().dates:
        if name not in table.frame:
            continue
        values = table.frame[name]
        read = read_column(values.unique(), options.date_order)
        where = name  # named as every problem is, by _named: 'Review date (column F)'
        if read.conflict:
            found = {order: rows[values.isin(texts)].tolist() for order, texts in read.conflict.items()}
            problems.append(Problem(table.file, None, where, "", "dates in one order, but " + " and ".join(
                f"{_listed(found[order])} can only be {order} (e.g. {texts[0]!r})"
                for order, texts in read.conflict.items())))
        if read.ambiguous:
            said = {text: "a date that reads one way: {!r} could be {} or {}: say which with date_order: day-first "
                    "or date_order: month-first".format(text, *map(spoken, read_text(text)[:2]))
                    for text in read.ambiguous}
            unsure = values.isin(list(said))
            problems += [Problem(table.file, int(row), where, text, said[text], fix="date_order: day-first")
                         for row, text in zip(rows[unsure], values[unsure], strict=True)]
        if note := read.note():
            readings = [replace(r, style="; ".join(x for x in (r.style, note) if x)) if r.meaning == name else r
                        for r in readings]
    return [_named(p, table) for p in problems], readings


def _listed(rows: list[int], shown: int = 10) -> str:
    more = f" and {len(rows) - shown:,} more" if len(rows) > shown else ""
    return ("row " if len(rows) == 1 else "rows ") + ", ".join(map(str, rows[:shown])) + more


def _distinct(series: pd.Series, fn) -> pd.Series:
    """``series.map(fn)`` with ``fn`` called once per distinct value (a register repeats its words and dates)."""
    values = series.unique()
    return series.map(dict(zip(values, map(fn, values), strict=True)))


def _level_map(series: pd.Series, lookup: dict[str, int]) -> pd.Series:
    distinct = pd.Series(series.unique())  # each distinct rating read once, not once per risk
    keys = distinct.str.split().str.join(" ").str.casefold().str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return series.map(dict(zip(distinct, keys.map(lookup), strict=True)))


def _expected_levels(m: Methodology, axis: str) -> str:
    levels = getattr(m, axis)
    article = "an" if axis[0] in "aeiou" else "a"
    return f"{article} {axis} rating 1-{len(levels)} or one of: " + ", ".join(lv.label for lv in levels)


def build_schema(m: Methodology, columns: list[str], partner_roles: list[str],
                 options: ReadOptions | None = None) -> pa.DataFrameSchema:
    """A pandera schema for a register in canonical columns, with checks that say what they expect."""
    spec = column_spec()
    options = options or ReadOptions()
    checks: dict[str, pa.Column] = {}
    for name in spec.columns:
        col_checks: list[pa.Check] = []
        if name in spec.required:
            col_checks.append(pa.Check(lambda s: s != "", error="a value (this column is required)",
                                       element_wise=False))
        if name in RATINGS and m.direct:
            pass  # rated directly: a likelihood or impact column is kept as written (the reading says so)
        elif name in RATINGS:
            axis = name.split("_", 1)[1]
            lookup = m.scale_lookup(axis)
            col_checks.append(pa.Check(lambda s, lk=lookup: (s == "") | _level_map(s, lk).notna(),
                                       error=_expected_levels(m, axis)))
        elif m.direct and any(name in held for held in DIRECT.values()):
            lookup = m.level_lookup()
            col_checks.append(pa.Check(lambda s, lk=lookup: (s == "") | _level_map(s, lk).notna(),
                                       error=f"a rating: {m.levels_in_words()}"))
        elif name == "control_effectiveness" and m.control_effectiveness:
            # without a scale (re-rated residual) the column is free text kept for the record
            labels = m.control_lookup()
            expected = "one of: " + ", ".join(c.label for c in m.control_effectiveness)
            col_checks.append(pa.Check(lambda s, lk=labels: (s == "") | _distinct(s, normalise_label).isin(lk),
                                       error=expected))
        elif name == "response":
            lookup = spec.responses_for(options)
            col_checks.append(pa.Check(lambda s, lk=lookup: (s == "") | _distinct(s, normalise_label).isin(lk),
                                       error="a response: " + ", ".join(spec.responses)
                                       + " (or add your word under response_words: in the parameters)"))
        elif name == "status":
            lookup = spec.statuses_for(options)
            col_checks.append(pa.Check(lambda s, lk=lookup: (s == "") | _distinct(s, fold).isin(lk),
                                       error="a risk status: " + ", ".join(spec.statuses)
                                       + " (or add your word under status_words: in the parameters)"))
        elif name in spec.dates:
            order = options.date_order
            example = "06/30/2025" if order == "month-first" else "30/06/2025"
            col_checks.append(pa.Check(lambda s, o=order: _distinct(s, lambda v: readable(v, o)),
                                       error=f"a date such as 2025-06-30 or {example}"
                                       + (f" ({order}, as date_order: says)" if order else "")))
        elif name == "progress":  # a percentage, a progress word or any other text (kept as written)
            col_checks.append(pa.Check(lambda s: _distinct(s, _progress_ok),
                                       error="a percentage from 0 to 100 (words such as in progress or done, and "
                                       "any other text, are kept as written)"))
        checks[name] = pa.Column(None, checks=col_checks, required=name in spec.required,
                                 unique=name == "risk_id", nullable=False)
    for role in partner_roles:
        checks[role] = pa.Column(None, required=True, nullable=False)
    statuses = spec.statuses_for(options)
    pair_checks = [
        pa.Check(lambda df, a=a, b=b: _pair_ok(df, a, b, statuses), error=f"pair:{a}:{b}")
        for a, b in spec.rating_pairs if a in columns or b in columns
    ]
    return pa.DataFrameSchema(checks, checks=pair_checks, strict=False, coerce=False)


def _pair_ok(df: pd.DataFrame, a: str, b: str, statuses: dict[str, str]) -> pd.Series:
    """Both ratings of a pair or neither (a column that is absent counts as empty); a closed or eliminated
    risk is not scored, so half a pair is kept as written."""
    empty_a = df[a] == "" if a in df else pd.Series(True, index=df.index)
    empty_b = df[b] == "" if b in df else pd.Series(True, index=df.index)
    closed = (_distinct(df["status"], lambda v: statuses.get(fold(v)) in ("closed", "eliminated"))
              if "status" in df else pd.Series(False, index=df.index))
    return (empty_a == empty_b) | closed


def _progress_ok(value: str) -> bool:
    """A percentage must lie in 0-100 (with or without %); words and other text are progress as written."""
    match = _SIGNED.match(value)
    return not match or 0 <= float(match.group(1)) <= 100


def _problems_from(exc: pa.errors.SchemaErrors, table: Table) -> list[Problem]:
    problems = [_named(p, table) for p in _raw_problems(exc, table)]
    # one problem per (row, column, expected): pandera may report a pair check once per column
    return list(dict.fromkeys(problems))


def _named(p: Problem, table: Table) -> Problem:
    """Name a column by the user's heading first (and its meaning second)."""
    if p.column is None or p.column not in column_spec().columns:
        return p
    reading = next((r for r in table.readings if r.meaning == p.column), None)
    heading, letter = (reading.heading, reading.letter) if reading else (table.heading_for(p.column), "")
    return Problem(p.file, p.row, label(heading, p.column, letter), p.value, _name_in(p.expected, table), p.fix)


def _name_in(expected: str, table: Table) -> str:
    for canon in column_spec().columns:
        if f"since {canon} is" in expected:
            return expected.replace(f"since {canon} is", f"since {table.heading_for(canon)!r} is")
    return expected


def _raw_problems(exc: pa.errors.SchemaErrors, table: Table) -> list[Problem]:
    spec = column_spec()
    rows = table.frame[ROW]
    problems: list[Problem] = []
    cases = exc.failure_cases
    for case in cases.itertuples(index=False):
        check, column, value, index = str(case.check), case.column, case.failure_case, case.index
        if check == "column_in_dataframe":
            aliases = spec.columns.get(str(value), [])
            expected = f"a column for the {plain(str(value))}, but no column holds it" + (
                f": headings such as {', '.join(aliases[:6])} are read as it, or name yours in the parameters "
                f"(columns: {{'your heading': {value}}})" if aliases else "")
            named = str(value) not in spec.columns  # a partner role: the organisation's own name for it
            problems.append(Problem(table.file, table.header_row, str(value) if named else None, "",
                                    f"a column headed {value!r}" if named else expected))
            continue
        row = int(rows.iloc[int(index)]) if index is not None and not pd.isna(index) else None
        if check == "field_uniqueness":
            dupes = rows[table.frame[column] == value].tolist()
            expected = f"a unique {plain(str(column))} (it appears on rows {', '.join(map(str, dupes))})"
            problems.append(Problem(table.file, row, column, str(value), expected))
        elif check.startswith("pair:"):
            _, a, b = check.split(":")
            present_cols = [c for c in (a, b) if c in table.frame]
            if column != present_cols[0]:
                continue  # a frame-wide check reports every column of the row; keep one
            if a not in table.frame or b not in table.frame:
                continue  # a whole column is missing: the reader reports it once, for the column
            missing = a if table.frame.at[int(index), a] == "" else b
            present = b if missing == a else a
            problems.append(Problem(table.file, row, missing, "",
                                    f"a rating, since {present} is "
                                    f"{table.frame.at[int(index), present]!r} (rate both or neither)"))
        elif "column" in str(case.schema_context).lower() and column is not None:
            problems.append(Problem(table.file, row, str(column), str(value), check))
        else:
            problems.append(Problem(table.file, row, None if column is None else str(column),
                                    str(value), check))
    return problems


def validate_register(table: Table, m: Methodology, partner_roles: list[str] | None = None,
                      options: ReadOptions | None = None) -> Register:
    """Validate a table as a risk register under a methodology; raise InputError with every problem
    (those found while reading the file too), with how the file was read."""
    partner_roles = list(partner_roles or [])
    options = options or ReadOptions()
    frame = table.frame
    problems = list(table.problems)
    if frame.empty:
        problems.append(Problem(table.file, table.header_row + 1, None, "", "at least one risk below the header row"))
        raise InputError(problems, table.readings, table.skipped, notes=table.notes)
    role_keys = {header_key(r): r for r in partner_roles}
    frame = frame.rename(columns={c: role_keys[header_key(c)] for c in frame.columns
                                  if header_key(c) in role_keys and c not in partner_roles})
    table = Table(table.file, frame, table.header_row, table.renamed, table.readings, table.skipped,
                  notes=table.notes)
    schema = build_schema(m, list(frame.columns), partner_roles, options)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        # a value the reader already reported (or a column it refused) is not reported twice
        seen = {(p.row, p.column) for p in problems} | {(None, p.column) for p in problems}
        problems += [p for p in _problems_from(exc, table)
                     if (p.row, p.column) not in seen and (None, p.column) not in seen]
    dated, readings = _read_dates(table, options)  # the order of a date column's numbers, decided or asked for
    problems += dated
    rows = frame[ROW]
    problems += [_named(Problem(table.file, int(rows[i]), column, value, expected), table)
                 for i, column, value, expected in quantity_problems(frame, _currency(m, options))]
    table = replace(table, readings=readings)
    if problems:
        raise InputError(problems, table.readings, table.skipped, notes=table.notes)
    return _normalise(table, m, options)


def _currency(m: Methodology, options: ReadOptions) -> str:
    money = options.impact_money or m.impact_money
    return money.currency if money else ""


def _normalise(table: Table, m: Methodology, options: ReadOptions) -> Register:
    spec = column_spec()
    src = table.frame
    out = pd.DataFrame({"row": src[ROW].astype(int)})
    for name in spec.columns:
        out[name] = src[name] if name in src else pd.Series("", index=out.index, dtype=object)
    for name in RATINGS:
        axis = name.split("_", 1)[1]
        out[name] = _level_map(out[name], m.scale_lookup(axis)).astype("Int64")
    if m.control_effectiveness:  # a scale: keep its canonical label and factor
        lookup = m.control_lookup()
        keys = _distinct(out["control_effectiveness"], normalise_label)
        out["control_effectiveness"] = keys.map(lambda k: lookup[k].label if k in lookup else "")
        out["control_factor"] = keys.map(lambda k: lookup[k].factor if k in lookup and lookup[k].factor is not None
                                         else np.nan).astype(float)
    else:
        out["control_factor"] = np.nan
    statuses = spec.statuses_for(options)
    out["status"] = _distinct(out["status"], lambda v: statuses.get(fold(v), "open") if v else "open")
    responses = spec.responses_for(options)
    out["response"] = _distinct(out["response"], lambda v: responses.get(normalise_label(v), "") if v else "")
    for name in spec.dates:
        out[name] = _distinct(out[name], read_column(out[name].unique(), options.date_order).date)
    out = as_numbers(out, _currency(m, options))  # a risk-intelligent register's chances and amounts
    done = {normalise_label(x) for x in spec.complete_progress}
    out["complete"] = _distinct(out["progress"], lambda v: _is_complete(v, done))
    out["rated"] = out["inherent_likelihood"].notna() & out["inherent_impact"].notna()
    if m.direct:  # rated High / Medium / Low in the file's own level (or score) columns: the level's value
        for name, columns in DIRECT.items():
            values = [_level_map(out[c], m.level_lookup()) for c in columns]
            out[name] = values[0].fillna(values[1]).astype("Int64")
        out["rated"] = out["inherent_rating"].notna()
    known = set(spec.columns) | {ROW}
    extra = []
    for c in (c for c in src.columns if c not in known):
        name = f"{c} (register)" if c in RESERVED else c  # never overwrite a computed column
        out[name] = src[c]
        extra.append(name)
    unrated = ~out["rated"] & out["status"].isin(["open", "opportunity"])
    warnings = [f"{rid} (row {row}) is not rated: listed as not rated, not scored."
                for rid, row in zip(out.loc[unrated, "risk_id"], out.loc[unrated, "row"], strict=True)]
    headings = {c: table.heading_for(c) for c in spec.columns}
    return Register(file=table.file, frame=out, extra_columns=extra, warnings=warnings, readings=table.readings,
                    skipped=table.skipped, headings=headings, notes=table.notes,
                    level_words=dict(options.level_words))


def _is_complete(value: str, done: set[str]) -> bool:
    match = _NUMBER.match(value or "")
    if match:
        return float(match.group(1)) >= 100
    return normalise_label(value or "") in done


def read_register(path: str | Path, m: Methodology, sheet: str | None = None,
                  options: ReadOptions | None = None) -> Table:
    """A register file read into canonical columns (problems found while reading travel in the Table)."""
    return interpret_file(path, m, column_spec(), options, sheet)


def load_register(path: str | Path, m: Methodology, sheet: str | None = None,
                  partner_roles: list[str] | None = None, options: ReadOptions | None = None) -> Register:
    """Read and validate a register file (CSV or .xlsx)."""
    return validate_register(read_register(path, m, sheet, options), m, partner_roles, options)
