"""COSO parameters and responses: one rating per item and line of assurance, read from CSV, .xlsx or the
store and checked against the questionnaire with every problem reported at once."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import Field, field_validator

from workbook_lib.assessments.coso.model import (
    DEFAULT_QUESTIONNAIRE,
    MATURITY_STATUSES,
    Questionnaire,
    normalise_maturity,
    shipped,
)
from workbook_lib.core.datafiles import normalise_label
from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.params import CommonParams
from workbook_lib.core.records import blank
from workbook_lib.core.tables import ROW, Table, header_key, read_table

# canonical response columns and the headings accepted for them (compared ignoring case and punctuation)
RESPONSE_COLUMNS: dict[str, list[str]] = {
    "item_id": ["Item", "Item ID", "Item no", "Item number", "Item ref", "Guideline", "Question", "Question ID",
                "Ref", "Reference"],
    "line": ["Line of assurance", "Line", "LOA", "Line of defence", "Line of defense", "LOD", "Assurance line",
             "Assurance provider"],
    "rating": ["Score", "Rating 1-5", "Maturity", "Maturity rating", "Assessment", "Rating (1-5)"],
    "respondent": ["Rated by", "Assessor", "Respondent name", "Name", "Completed by"],
    "comment": ["Comments", "Evidence", "Evidence reference", "Evidence ref", "Notes", "Remarks"],
}
REQUIRED_COLUMNS = ("item_id", "line", "rating")
_WHOLE = re.compile(r"^\s*([+-]?\d+)(?:\.0+)?\s*$")
_LINE_WORDS = re.compile(r"(lineofassurance|lineofdefence|lineofdefense|line|loa|lod)")


# ---- parameters --------------------------------------------------------------------------------------
class CosoParams(CommonParams):
    """The parameters of a COSO assessment run."""

    questionnaire: str = Field(default=DEFAULT_QUESTIONNAIRE, min_length=1,
                               description="shipped questionnaire name or path to the organisation's YAML file")
    responses: str | None = Field(default=None, description="responses, CSV or .xlsx; none = nothing rated yet")
    sheet: str | None = None
    divergence_threshold: int | None = Field(default=None, ge=1,
                                             description="spread that flags an item; none = the questionnaire's")
    maturity_status: str | None = Field(default=None, description="fragmented, integrated or risk intelligent")
    # the organisation's maturity marks for the period: when maturity_status is not given, the status is
    # read from them through the maturity library (the same key a shared parameters file gives maturity-scoring)
    marks: str | None = Field(default=None, description="maturity marks, CSV or .xlsx, for the applicability note")

    @field_validator("maturity_status")
    @classmethod
    def _maturity(cls, value: str | None) -> str | None:
        if value is None:
            return None
        key = normalise_maturity(value)
        if key is None:
            raise ValueError(f"expected one of: {', '.join(MATURITY_STATUSES)}")
        return key

    def questionnaire_ref(self) -> str | Path:
        return self.questionnaire if self.questionnaire in shipped() else self.resolve(self.questionnaire)


# ---- responses ---------------------------------------------------------------------------------------
@dataclass
class Responses:
    """Validated responses: one row per item and line, rating None where the row leaves it blank."""

    file: str
    frame: pd.DataFrame  # row, item_id, line, rating (Int64), respondent, comment

    @classmethod
    def empty(cls, file: str = "(no responses file)") -> Responses:
        frame = pd.DataFrame({"row": pd.Series(dtype="int64"), "item_id": pd.Series(dtype=object),
                              "line": pd.Series(dtype="int64"), "rating": pd.Series(dtype="Int64"),
                              "respondent": pd.Series(dtype=object), "comment": pd.Series(dtype=object)})
        return cls(file=file, frame=frame)


def _expected_line(q: Questionnaire) -> str:
    nums = q.line_numbers
    names = ", ".join(f"{ln.line} = {ln.label}" for ln in q.lines)
    return f"a line of assurance {nums[0]}-{nums[-1]} ({names})"


def _expected_rating(q: Questionnaire) -> str:
    return (f"a whole-number rating 1-{q.max_rating} (1 = {q.scale[0].label}, {q.max_rating} = "
            f"{q.scale[-1].label}) or empty when not rated")


def _text(value: Any) -> str:
    """A cell as text: None and NaN (a table built by another store) are empty; 3.0 is 3."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return blank(value).strip()


def _missing_columns(table: Table) -> list[Problem]:
    """A problem at the header row for each required column the table lacks."""
    problems = []
    for col in REQUIRED_COLUMNS:
        if col not in table.frame.columns:
            aliases = ", ".join(repr(a) for a in RESPONSE_COLUMNS[col][:4])
            problems.append(Problem(table.file, table.header_row, col, "(missing)",
                                    f"a column {col!r} (or {aliases})"))
    return problems


def _match_items(raw: pd.Series, q: Questionnaire, file: str, rows: pd.Series,
                 given: bool) -> tuple[pd.Series, list[Problem]]:
    """Item IDs, matched ignoring case and punctuation ("p01 01" is P01-01); a close ID is suggested."""
    item_lookup = q.item_lookup()
    item_ids = raw.map(lambda v: item_lookup.get(header_key(v)))
    problems = []
    if given:
        ids = [i.id for i in q.items]
        for idx in raw.index[item_ids.isna()]:
            value = raw[idx]
            if value == "":
                expected = "an item ID (this column is required)"
            else:
                close = difflib.get_close_matches(value.upper(), ids, n=1)
                expected = (f"an item ID of questionnaire {q.name} ({ids[0]} ... {ids[-1]})"
                            + (f"; did you mean {close[0]!r}?" if close else ""))
            problems.append(Problem(file, int(rows[idx]), "item_id", value, expected))
    return item_ids, problems


def _match_lines(raw: pd.Series, q: Questionnaire, file: str, rows: pd.Series,
                 given: bool) -> tuple[pd.Series, list[Problem]]:
    """Line numbers from 1, "1st", "first line", "LOA 2", "Internal audit" ..."""
    line_lookup = q.line_lookup()
    line_keys = raw.map(header_key)
    stripped = line_keys.str.replace(_LINE_WORDS, "", regex=True)
    line_nums = line_keys.map(line_lookup).fillna(stripped.map(line_lookup))
    problems = []
    if given:
        for idx in raw.index[line_nums.isna()]:
            value = raw[idx]
            expected = _expected_line(q) + (" (this column is required)" if value == "" else "")
            problems.append(Problem(file, int(rows[idx]), "line", value, expected))
    return line_nums, problems


def _match_ratings(raw: pd.Series, q: Questionnaire, file: str,
                   rows: pd.Series) -> tuple[pd.Series, list[Problem]]:
    """Whole numbers on the scale, or the scale's labels; empty = not rated by that line."""
    labels = q.rating_lookup()
    whole = raw.str.extract(_WHOLE, expand=False)
    numbers = pd.to_numeric(whole, errors="coerce")
    by_label = pd.to_numeric(raw.map(lambda v: labels.get(normalise_label(v))), errors="coerce")
    rating = numbers.fillna(by_label)
    bad = (raw != "") & (rating.isna() | (rating < 1) | (rating > q.max_rating))
    problems = [Problem(file, int(rows[idx]), "rating", raw[idx], _expected_rating(q)) for idx in raw.index[bad]]
    return rating, problems


def _duplicates(items_raw: pd.Series, item_ids: pd.Series, line_nums: pd.Series, file: str,
                rows: pd.Series) -> list[Problem]:
    """One rating per item and line: every row of a repeated pair is a problem."""
    keyed = pd.DataFrame({"item": item_ids, "line": line_nums, "row": rows}).dropna(subset=["item", "line"])
    dupes = keyed[keyed.duplicated(["item", "line"], keep=False)]
    problems = []
    for (item, line), group in dupes.groupby(["item", "line"], sort=False):
        where = ", ".join(map(str, group["row"].tolist()))
        for idx in group.index:
            problems.append(Problem(file, int(rows[idx]), "item_id", str(items_raw[idx]),
                                    f"one rating per item and line: rows {where} all give {item} "
                                    f"for line {int(line)}"))
    return problems


def validate_responses(table: Table, questionnaire: Questionnaire) -> Responses:
    """Check a table of responses against a questionnaire; raise InputError listing every problem."""
    q = questionnaire
    file = table.file
    problems = _missing_columns(table)
    if table.frame.empty:  # a header and nothing else: valid, everything is incomplete
        if problems:
            raise InputError(problems)
        return Responses.empty(file)

    frame = table.frame.copy()
    for col in (c for c in RESPONSE_COLUMNS if c in frame.columns):
        frame[col] = frame[col].map(_text).astype(object)
    rows = frame[ROW].astype(int)
    empty = pd.Series("", index=frame.index, dtype=object)
    raw = {col: frame[col] if col in frame else empty for col in RESPONSE_COLUMNS}
    item_ids, item_problems = _match_items(raw["item_id"], q, file, rows, "item_id" in frame)
    line_nums, line_problems = _match_lines(raw["line"], q, file, rows, "line" in frame)
    rating, rating_problems = _match_ratings(raw["rating"], q, file, rows)
    problems += (item_problems + line_problems + rating_problems
                 + _duplicates(raw["item_id"], item_ids, line_nums, file, rows))
    if problems:
        raise InputError(problems)

    out = pd.DataFrame({
        "row": rows.to_numpy(),
        "item_id": item_ids.astype(object).to_numpy(),
        "line": line_nums.astype(int).to_numpy(),
        "rating": pd.array(rating.where(raw["rating"] != ""), dtype="Int64"),
        "respondent": raw["respondent"].astype(object).to_numpy(),
        "comment": raw["comment"].astype(object).to_numpy(),
    })
    return Responses(file=file, frame=out)


def load_responses(path: str | Path, questionnaire: Questionnaire, sheet: str | None = None) -> Responses:
    """Read and validate a responses file (CSV or .xlsx)."""
    return validate_responses(read_table(path, RESPONSE_COLUMNS, sheet=sheet), questionnaire)

