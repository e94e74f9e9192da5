"""The maturity scoring's inputs: its parameters, and the marks (1 fragmented, 2 integrated, 3 risk intelligent)
and capacity answers (yes/no per line of assurance) read from the user's files or the store, validated against
the matrix with every problem at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workbook_lib.assessments.maturity.model import DEFAULT_MATRIX, LoadedMatrix, Matrix, as_matrix, shipped, status_key
from workbook_lib.core.datafiles import normalise_label
from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.params import CommonParams
from workbook_lib.core.records import blank
from workbook_lib.core.source import source_of
from workbook_lib.core.tables import ROW, Table, read_table

# canonical input columns -> accepted headings (compared ignoring case, spacing and punctuation)
MARKS_COLUMNS: dict[str, list[str]] = {
    "element_id": ["Element", "Element ID", "Element ref", "Element no", "Ref", "ID"],
    "mark": ["Mark", "Marks", "Rating", "Maturity rating", "Score"],
    "respondent": ["Respondent", "Rated by", "Assessor", "Completed by"],
    "comment": ["Comment", "Comments", "Notes", "Evidence"],
}
CAPACITY_COLUMNS: dict[str, list[str]] = {
    "item_id": ["Item", "Item ID", "Item no", "Item number", "No.", "Number", "Question"],
    "line": ["Line", "Line of assurance", "LOA", "Assurance line"],
    "answer": ["Answer", "Yes/No", "Yes or no", "Response"],
    "respondent": ["Respondent", "Answered by", "Completed by"],
    "comment": ["Comment", "Comments", "Notes", "Evidence"],
}
_YES = {"yes", "y"}
_NO = {"no", "n"}
_ELEMENT_ID = re.compile(r"^([A-Z]+)0*(\d+)$")
_ITEM_ID = re.compile(r"^(?:item|no|nr|q)?\s*[.#:]?\s*0*(\d+)$")
_LINE = re.compile(r"^(?:loa|line)?\s*([0-9])\s*(?:st|nd|rd|th)?\s*(?:loa|line)?(?:\s*of\s*assurance)?$")
_LINE_WORDS = {"first": 1, "second": 2, "third": 3}


# ---- parameters -------------------------------------------------------------------------------------
class HistoryEntry(BaseModel):
    """An earlier period's marks file, for the trend."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)
    period: str = Field(min_length=1)
    marks: str = Field(min_length=1)
    sheet: str | None = None


class MaturityParams(CommonParams):
    """The maturity scoring's parameters: matrix, input files, target status, horizon and earlier periods."""

    matrix: str = Field(default=DEFAULT_MATRIX, min_length=1,
                        description="shipped maturity matrix name or path to a YAML file")
    marks: str | None = Field(default=None, description="marks per element, CSV or .xlsx")
    capacity: str | None = Field(default=None, description="capacity answers per item and line, CSV or .xlsx")
    sheet: str | None = None
    target_status: str = Field(default="integrated", min_length=1)
    horizon_years: int = Field(default=5, ge=1, le=30)
    history: list[HistoryEntry] = []

    @field_validator("history", mode="before")
    @classmethod
    def _history_list(cls, value: Any) -> Any:
        return [] if value is None else value

    @model_validator(mode="after")
    def _distinct_periods(self) -> MaturityParams:
        seen = {self.period.strip().casefold()}
        for entry in self.history:
            key = entry.period.strip().casefold()
            if key in seen:
                raise ValueError(f"history period {entry.period!r} is repeated or equals the current period")
            seen.add(key)
        return self

    def matrix_ref(self) -> str | Path:
        return self.matrix if self.matrix in shipped() else self.resolve(self.matrix)



def absolute_inputs(params: MaturityParams, injected: dict[str, Any]) -> dict[str, Any]:
    """Parameters to inject into the notebook with every input file made absolute (the kernel runs in
    notebooks/): marks, capacity, each history entry's marks, and the matrix when it is a file."""
    out = dict(injected)
    for name in ("marks", "capacity"):
        if out.get(name):
            out[name] = str(params.resolve(out[name]))
    out["history"] = [{**entry, "marks": str(params.resolve(entry["marks"]))} for entry in out.get("history") or []]
    out["matrix"] = str(params.matrix_ref())
    return out


# ---- validated inputs ---------------------------------------------------------------------------------
@dataclass
class Marks:
    """Validated marks: one row per listed element, mark Int64 (NA where not yet rated)."""

    file: str
    frame: pd.DataFrame  # row, element_id, mark, respondent, comment

    def mark_of(self) -> dict[str, int]:
        rated = self.frame[self.frame["mark"].notna()]
        return {str(e): int(m) for e, m in zip(rated["element_id"], rated["mark"], strict=True)}


@dataclass
class CapacityAnswers:
    """Validated capacity answers: one row per (item, line) answered or listed."""

    file: str
    frame: pd.DataFrame  # row, item_id, line, answer ("yes"/"no"/None), respondent, comment



def _text(value: Any) -> str:
    """A cell as text, stripped: missing values are empty."""
    return blank(value).strip()


def _column_problems(table: Table, required: list[str], columns: dict[str, list[str]]) -> list[Problem]:
    out = []
    for name in required:
        if name not in table.frame:
            aliases = columns.get(name, [])[:4]
            expected = f"a column {name!r}" + (f" (or {', '.join(repr(a) for a in aliases)})" if aliases else "")
            out.append(Problem(table.file, table.header_row, name, "(missing)", expected))
    return out


def normalise_element_id(text: str) -> str:
    """'a-1', 'A 01', 'A1' -> 'A1'."""
    key = re.sub(r"[^0-9A-Za-z]", "", str(text)).upper()
    match = _ELEMENT_ID.match(key)
    return f"{match.group(1)}{match.group(2)}" if match else key


def _id_ranges(m: Matrix) -> str:
    parts = []
    for a in m.assessments:
        ids = [e.id for e in a.elements]
        parts.append(ids[0] if len(ids) == 1 else f"{ids[0]}-{ids[-1]}")
    return ", ".join(parts)


def mark_value(text: str, lookup: dict[str, int]) -> int | None:
    """The mark a spelling stands for ("2", "2.0", "Integrated", an alias), None if it is none of them."""
    key = status_key(text)
    key = re.sub(r"^(\d+)\.0+$", r"\1", key)
    return lookup.get(key)


def validate_marks(table: Table, matrix: Matrix | LoadedMatrix) -> Marks:
    """Validate a marks table against the matrix; raise InputError with every problem."""
    m = as_matrix(matrix)
    problems = _column_problems(table, ["element_id", "mark"], MARKS_COLUMNS)
    if problems:
        raise InputError(problems)
    frame = table.frame
    known = set(m.element_ids)
    lookup = m.status_lookup()
    marks_text = ", ".join(f"{s.mark} {s.name}" for s in m.statuses)
    expected_id = f"an element ID of the matrix ({_id_ranges(m)})"
    expected_mark = f"a mark {', '.join(str(s.mark) for s in m.statuses)} ({marks_text}), or empty if not yet rated"
    seen: dict[str, int] = {}
    rows = []
    for rec in frame.to_dict("records"):
        row = int(rec[ROW])
        raw_id, raw_mark = _text(rec.get("element_id")), _text(rec.get("mark"))
        element_id = normalise_element_id(raw_id)
        ok = True
        if raw_id.strip() == "":
            problems.append(Problem(table.file, row, "element_id", "", expected_id))
            ok = False
        elif element_id not in known:
            problems.append(Problem(table.file, row, "element_id", raw_id, expected_id))
            ok = False
        elif element_id in seen:
            problems.append(Problem(table.file, row, "element_id", raw_id,
                                    f"one row per element ({element_id} is already on row {seen[element_id]})"))
            ok = False
        else:
            seen[element_id] = row
        mark = None
        if raw_mark.strip() != "":
            mark = mark_value(raw_mark, lookup)
            if mark is None:
                problems.append(Problem(table.file, row, "mark", raw_mark, expected_mark))
                ok = False
        if ok:
            rows.append({"row": row, "element_id": element_id, "mark": mark,
                         "respondent": _text(rec.get("respondent")), "comment": _text(rec.get("comment"))})
    if problems:
        raise InputError(problems)
    out = pd.DataFrame(rows, columns=["row", "element_id", "mark", "respondent", "comment"])
    out["mark"] = pd.array(out["mark"].tolist(), dtype="Int64")
    out["row"] = out["row"].astype(int)
    return Marks(file=table.file, frame=out)


def _item_value(text: str) -> int | None:
    match = _ITEM_ID.match(normalise_label(text))
    return int(match.group(1)) if match else None


def _line_value(text: str) -> int | None:
    key = normalise_label(text).replace("-", " ")
    for word, n in _LINE_WORDS.items():
        if key.startswith(word):
            return n
    match = _LINE.match(key)
    return int(match.group(1)) if match else None


def validate_capacity(table: Table, matrix: Matrix | LoadedMatrix) -> CapacityAnswers:
    """Validate capacity answers (item, line, yes/no) against the matrix; raise InputError with every problem."""
    m = as_matrix(matrix)
    cap = m.capacity
    problems = _column_problems(table, ["item_id", "line", "answer"], CAPACITY_COLUMNS)
    if problems:
        raise InputError(problems)
    n_items, n_lines = len(cap.items), len(cap.lines)
    renumbered = [i for i in cap.items if i.seed_ref and i.seed_ref.split()[0] != str(i.id)]
    hint = ("; the guide's own numbers differ for " + ", ".join(f"its {i.seed_ref.split()[0]} (item {i.id})"
                                                                 for i in renumbered)) if renumbered else ""
    expected_item = f"an item number 1-{n_items}{hint}"
    expected_line = "a line of assurance " + ", ".join(f"{ln.line} ({ln.name})" for ln in cap.lines)
    expected_answer = "yes or no (Y/N accepted, any case), or empty if not answered"
    seen: dict[tuple[int, int], int] = {}
    rows = []
    for rec in table.frame.to_dict("records"):
        row = int(rec[ROW])
        raw_item, raw_line, raw_answer = (_text(rec.get(k)) for k in ("item_id", "line", "answer"))
        ok = True
        item = _item_value(raw_item)
        if item is None or not 1 <= item <= n_items:
            problems.append(Problem(table.file, row, "item_id", raw_item, expected_item))
            ok = False
        line = _line_value(raw_line)
        if line is None or not 1 <= line <= n_lines:
            problems.append(Problem(table.file, row, "line", raw_line, expected_line))
            ok = False
        key = normalise_label(raw_answer)
        answer = "yes" if key in _YES else "no" if key in _NO else None
        if key != "" and answer is None:
            problems.append(Problem(table.file, row, "answer", raw_answer, expected_answer))
            ok = False
        if item is not None and line is not None and 1 <= item <= n_items and 1 <= line <= n_lines:
            if (item, line) in seen:
                problems.append(Problem(table.file, row, "item_id", raw_item,
                                        f"one answer per item and line (item {item}, line {line} is already "
                                        f"on row {seen[(item, line)]})"))
                ok = False
            else:
                seen[(item, line)] = row
        if ok:
            rows.append({"row": row, "item_id": item, "line": line, "answer": answer,
                         "respondent": _text(rec.get("respondent")), "comment": _text(rec.get("comment"))})
    if problems:
        raise InputError(problems)
    out = pd.DataFrame(rows, columns=["row", "item_id", "line", "answer", "respondent", "comment"])
    for col in ("row", "item_id", "line"):
        out[col] = out[col].astype(int)
    out["answer"] = out["answer"].astype(object).where(out["answer"].notna(), None)
    return CapacityAnswers(file=table.file, frame=out)


def read_marks(path: str | Path, sheet: str | None = None) -> Table:
    return read_table(path, MARKS_COLUMNS, sheet=sheet)


def read_capacity(path: str | Path, sheet: str | None = None) -> Table:
    return read_table(path, CAPACITY_COLUMNS, sheet=sheet)


def load_marks(path: str | Path, matrix: Matrix | LoadedMatrix, sheet: str | None = None) -> Marks:
    """Read and validate a marks file (CSV or .xlsx)."""
    return validate_marks(read_marks(path, sheet), matrix)


def load_capacity(path: str | Path, matrix: Matrix | LoadedMatrix, sheet: str | None = None) -> CapacityAnswers:
    """Read and validate a capacity answers file (CSV or .xlsx)."""
    return validate_capacity(read_capacity(path, sheet), matrix)


def marks_inputs(params: Any) -> list[tuple[str, str]]:
    """The maturity marks file a run reads besides its own inputs (COSO and combined assurance score the
    organisation's status from it), for provenance: (role, as given); none when the run reads the store."""
    marks = getattr(params, "marks", None)
    return [("marks", marks)] if marks and not source_of(params).from_store else []


def more_inputs(params: Any) -> list[tuple[str, str]]:
    """Each earlier period's marks file (``history``), for provenance; none when the run reads the store."""
    if source_of(params).from_store:
        return []
    return [(f"history {h.period} marks", h.marks) for h in params.history if h.marks]
