"""Risk-management maturity scoring and the capacity, skills and budget assessment.

The maturity matrix is data (``workbook_lib/data/maturity-matrix.yaml``): assessments A (risk governance),
B (risk systems) and C (risk processes), their groups and elements with one description per status,
the status bands, the five-level maturity index, the toolkit versions, the roadmap timelines and the
capacity items. Marks (1 fragmented, 2 integrated, 3 risk intelligent) and capacity answers (yes/no per
line of assurance) are read from the user's files and validated with every problem at once.

Other assessments read the maturity status through :func:`maturity_status`, never from a report.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workbook_lib.core.datafiles import Note, load_data_file, normalise_label
from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.outputs import esc, write_excel, write_json
from workbook_lib.core.params import CommonParams, ParameterError
from workbook_lib.core.tables import ROW, Table, read_table

SHIPPED_DIR = Path(__file__).parent / "data"
DEFAULT_MATRIX = "maturity-matrix"
ASSESSMENT_NAME = "maturity-scoring"

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


class MatrixError(ValueError):
    """A maturity matrix file is missing, unreadable or inconsistent."""


# ---- the matrix as data -------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Status(_Strict):
    mark: int = Field(ge=1)
    name: str = Field(min_length=1)
    label: str = Field(min_length=1)
    aliases: list[str] = []
    index_levels: list[str] = Field(min_length=1)
    toolkit: str = Field(min_length=1)
    toolkit_note: str = ""
    colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")


class IndexLevel(_Strict):
    level: int = Field(ge=1)
    name: str = Field(min_length=1)
    label: str = Field(min_length=1)
    status: str
    description: str = Field(min_length=1)


class MatrixBand(_Strict):
    status: str
    min: int
    max: int

    @model_validator(mode="after")
    def _ordered(self) -> MatrixBand:
        if self.min > self.max:
            raise ValueError(f"band {self.status!r}: min {self.min} is above max {self.max}")
        return self


class Banding(_Strict):
    basis_elements: int = Field(ge=1, description="the element count the published bands are totals for")
    rule: Literal["proportional", "as_published"] = "proportional"
    bands: list[MatrixBand] = Field(min_length=1)


class Element(_Strict):
    id: str = Field(pattern=r"^[A-Z]+[1-9][0-9]*$")
    name: str = Field(min_length=1)
    descriptions: list[str] = Field(min_length=1, description="one per status, in mark order")


class Group(_Strict):
    name: str = Field(min_length=1)
    elements: list[Element] = Field(min_length=1)


class Assessment(_Strict):
    id: str = Field(pattern=r"^[A-Z]+$")
    name: str = Field(min_length=1)
    source: str = ""
    description: str = ""
    groups: list[Group] = Field(min_length=1)

    @property
    def elements(self) -> list[Element]:
        return [e for g in self.groups for e in g.elements]


class PlanningYears(_Strict):
    min: int = Field(ge=0)
    max: int = Field(ge=1)


class RoadmapStep(_Strict):
    from_status: str
    to_status: str
    years_min: int = Field(ge=0)
    years_max: int = Field(ge=0)
    condition: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> RoadmapStep:
        if self.years_min > self.years_max:
            raise ValueError(f"roadmap step {self.from_status} -> {self.to_status}: years_min is above years_max")
        return self


class Roadmap(_Strict):
    planning_years: PlanningYears
    steps: list[RoadmapStep] = []


class Line(_Strict):
    line: int = Field(ge=1)
    name: str = Field(min_length=1)
    description: str = ""


class CapacityItem(_Strict):
    id: int = Field(ge=1)
    section: str
    seed_ref: str = ""
    text: str = Field(min_length=1)


class CapacityTemplate(_Strict):
    lines: list[Line] = Field(min_length=1)
    sections: list[str] = Field(min_length=1)
    items: list[CapacityItem] = Field(min_length=1)


@dataclass(frozen=True)
class AppliedBand:
    """A status band applied to the actual number of elements."""

    status: str
    label: str
    min: int
    max: int
    colour: str
    published_min: int
    published_max: int


class Matrix(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    version: str
    title: str
    source: str = ""
    statuses: list[Status] = Field(min_length=2)
    index: list[IndexLevel] = []
    banding: Banding
    assessments: list[Assessment] = Field(min_length=1)
    roadmap: Roadmap
    capacity: CapacityTemplate
    notes: list[Note] = []

    # ---- validation -------------------------------------------------------------------------------
    @model_validator(mode="after")
    def _consistent(self) -> Matrix:
        marks = [s.mark for s in self.statuses]
        if marks != list(range(1, len(marks) + 1)):
            raise ValueError(f"status marks must be 1..{len(marks)} in order, got {marks}")
        _unique([k for s in self.statuses for k in (s.name, *s.aliases, str(s.mark))], "status name or alias")
        names = [s.name for s in self.statuses]
        levels = [lv.level for lv in self.index]
        if levels != list(range(1, len(levels) + 1)):
            raise ValueError(f"index levels must be 1..{len(levels)} in order, got {levels}")
        for lv in self.index:
            if lv.status not in names:
                raise ValueError(f"index level {lv.name!r}: status {lv.status!r} is not one of {names}")
        _unique([a.id for a in self.assessments], "assessment id")
        _unique([e.id for a in self.assessments for e in a.elements], "element id")
        for a in self.assessments:
            for e in a.elements:
                if not e.id.startswith(a.id) or not e.id[len(a.id):].isdigit():
                    raise ValueError(f"element {e.id!r} is in assessment {a.id!r}: its id must be {a.id}<number>")
                if len(e.descriptions) != len(self.statuses) or any(not d.strip() for d in e.descriptions):
                    raise ValueError(f"element {e.id!r}: needs {len(self.statuses)} non-empty descriptions "
                                     f"(one per status: {', '.join(names)}), got {len(e.descriptions)}")
        if [b.status for b in self.banding.bands] != names:
            raise ValueError(f"banding: one band per status in mark order ({', '.join(names)}), got "
                             f"{[b.status for b in self.banding.bands]}")
        basis = self.banding.basis_elements
        published = [(b.min, b.max) for b in self.banding.bands]
        problems = band_gaps(published, basis * marks[0], basis * marks[-1])
        if problems:
            raise ValueError("published bands: " + "; ".join(problems))
        problems = band_gaps([(b.min, b.max) for b in self.bands], self.min_total, self.max_total)
        if problems:
            raise ValueError(f"bands applied to {self.element_count} elements: " + "; ".join(problems))
        for step in self.roadmap.steps:
            for s in (step.from_status, step.to_status):
                if s not in names:
                    raise ValueError(f"roadmap step: status {s!r} is not one of {names}")
            if names.index(step.to_status) != names.index(step.from_status) + 1:
                raise ValueError(f"roadmap step {step.from_status} -> {step.to_status}: steps go one status up")
        if self.roadmap.planning_years.min > self.roadmap.planning_years.max:
            raise ValueError("roadmap planning_years: min is above max")
        cap = self.capacity
        if [ln.line for ln in cap.lines] != list(range(1, len(cap.lines) + 1)):
            raise ValueError(f"capacity lines must be 1..{len(cap.lines)} in order")
        ids = [i.id for i in cap.items]
        if ids != list(range(1, len(ids) + 1)):
            raise ValueError(f"capacity items must be numbered 1..{len(ids)} in order, got {ids}")
        _unique(cap.sections, "capacity section")
        for item in cap.items:
            if item.section not in cap.sections:
                raise ValueError(f"capacity item {item.id}: section {item.section!r} is not one of {cap.sections}")
        return self

    # ---- derived facts ----------------------------------------------------------------------------
    @cached_property
    def elements(self) -> list[tuple[Assessment, Group, Element]]:
        return [(a, g, e) for a in self.assessments for g in a.groups for e in g.elements]

    @property
    def element_count(self) -> int:
        return len(self.elements)

    @property
    def element_ids(self) -> list[str]:
        return [e.id for _, _, e in self.elements]

    @property
    def status_names(self) -> list[str]:
        return [s.name for s in self.statuses]

    @property
    def max_mark(self) -> int:
        return self.statuses[-1].mark

    @property
    def min_total(self) -> int:
        return self.element_count * self.statuses[0].mark

    @property
    def max_total(self) -> int:
        return self.element_count * self.max_mark

    @cached_property
    def bands(self) -> list[AppliedBand]:
        """The status bands for the actual element count (see the 'status bands' note)."""
        return applied_bands(self.banding, self.statuses, self.element_count)

    def status(self, name_or_mark: str | int) -> Status:
        lookup = self.status_lookup()
        key = normalise_label(str(name_or_mark)).replace("-", " ").replace("_", " ")
        if key not in lookup:
            raise KeyError(name_or_mark)
        return self.statuses[lookup[key] - 1]

    def status_lookup(self) -> dict[str, int]:
        """Accepted spellings of a status (mark, name, label, aliases; case-folded) -> mark."""
        out: dict[str, int] = {}
        for s in self.statuses:
            for key in (str(s.mark), s.name, s.label, *s.aliases):
                out[normalise_label(key).replace("-", " ").replace("_", " ")] = s.mark
        return out

    def band_for_total(self, total: int) -> AppliedBand:
        for band in self.bands:
            if band.min <= total <= band.max:
                return band
        raise MatrixError(f"total {total} is outside every band ({self.min_total}-{self.max_total})")

    def element(self, element_id: str) -> tuple[Assessment, Group, Element]:
        for a, g, e in self.elements:
            if e.id == element_id:
                return a, g, e
        raise KeyError(element_id)

    def capacity_item(self, item_id: int) -> CapacityItem:
        return self.capacity.items[item_id - 1]


def _unique(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        key = normalise_label(name).replace("-", " ").replace("_", " ")
        if key in seen:
            raise ValueError(f"{what} {name!r} is used twice")
        seen.add(key)


def band_gaps(bands: list[tuple[int, int]], low: int, high: int) -> list[str]:
    """Problems with bands meant to cover low..high contiguously in order, as sentences."""
    problems: list[str] = []
    if any(lo > hi for lo, hi in bands):
        problems.append("a band is empty (" + ", ".join(f"{lo}-{hi}" for lo, hi in bands) + ")")
        return problems
    if bands[0][0] != low:
        problems.append(f"the lowest band starts at {bands[0][0]}, not at the lowest possible total {low}")
    if bands[-1][1] != high:
        problems.append(f"the highest band ends at {bands[-1][1]}, not at the highest possible total {high}")
    for (_, a_hi), (b_lo, _) in zip(bands, bands[1:], strict=False):
        if b_lo != a_hi + 1:
            problems.append(f"bands ending at {a_hi} and starting at {b_lo} "
                            + ("overlap" if b_lo <= a_hi else "leave a gap"))
    return problems


def applied_bands(banding: Banding, statuses: list[Status], n: int) -> list[AppliedBand]:
    """Scale the published bands to ``n`` elements.

    proportional: each band's upper bound x n / basis, rounded down (exact integer arithmetic), so a
    total is in a band exactly when its mean mark is at most the published upper bound / basis; the
    lowest band starts at n x lowest mark, the highest ends at n x highest mark.
    as_published: the bands as printed (valid only when they cover the reachable totals).
    """
    published = banding.bands
    if banding.rule == "as_published":
        bounds = [(b.min, b.max) for b in published]
    else:
        uppers = [b.max * n // banding.basis_elements for b in published[:-1]] + [n * statuses[-1].mark]
        lowers = [n * statuses[0].mark] + [u + 1 for u in uppers[:-1]]
        bounds = list(zip(lowers, uppers, strict=True))
    return [AppliedBand(status=s.name, label=s.label, min=lo, max=hi, colour=s.colour,
                        published_min=b.min, published_max=b.max)
            for s, b, (lo, hi) in zip(statuses, published, bounds, strict=True)]


class LoadedMatrix(BaseModel):
    """A matrix with the provenance every output records."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    matrix: Matrix
    path: Path
    sha256: str

    def provenance(self) -> dict[str, str]:
        m = self.matrix
        return {"name": m.name, "version": m.version, "sha256": self.sha256}


def shipped() -> dict[str, Path]:
    """Shipped maturity matrix names -> files."""
    return {p.stem: p for p in sorted(SHIPPED_DIR.glob("maturity-*.yaml"))}


def load_matrix(name_or_path: str | Path = DEFAULT_MATRIX, base_dir: Path | None = None) -> LoadedMatrix:
    """Load a shipped matrix by name, or the user's own YAML file by path."""
    matrix, path, sha256 = load_data_file(name_or_path, shipped(), Matrix, MatrixError, "maturity matrix",
                                          base_dir)
    return LoadedMatrix(matrix=matrix, path=path, sha256=sha256)


def _matrix(matrix: Matrix | LoadedMatrix) -> Matrix:
    return matrix.matrix if isinstance(matrix, LoadedMatrix) else matrix


# ---- parameters -------------------------------------------------------------------------------------
class HistoryEntry(BaseModel):
    """An earlier period's marks file, for the trend."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)
    period: str = Field(min_length=1)
    marks: str = Field(min_length=1)
    sheet: str | None = None


class MaturityParams(CommonParams):
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
    """A cell as text: None and NaN (a table built by another store) are empty."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


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


def _mark_value(text: str, lookup: dict[str, int]) -> int | None:
    key = normalise_label(text).replace("-", " ").replace("_", " ")
    key = re.sub(r"^(\d+)\.0+$", r"\1", key)
    return lookup.get(key)


def validate_marks(table: Table, matrix: Matrix | LoadedMatrix) -> Marks:
    """Validate a marks table against the matrix; raise InputError with every problem."""
    m = _matrix(matrix)
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
            mark = _mark_value(raw_mark, lookup)
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
    m = _matrix(matrix)
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


# ---- scoring -----------------------------------------------------------------------------------------
@dataclass
class Score:
    """Marks placed on the matrix: per element, per assessment, total, status."""

    elements: pd.DataFrame
    by_assessment: pd.DataFrame
    total_score: int
    elements_rated: int
    elements_total: int
    status: str | None
    possible_statuses: list[str]

    @property
    def complete(self) -> bool:
        return self.elements_rated == self.elements_total


def score_marks(marks: Marks | dict[str, int] | None, matrix: Matrix | LoadedMatrix) -> Score:
    """Place marks on the matrix. The status is given only when every element is rated."""
    m = _matrix(matrix)
    if isinstance(marks, Marks):
        mark_of, info = marks.mark_of(), marks.frame.set_index("element_id")
    else:
        mark_of, info = dict(marks or {}), pd.DataFrame()
    names = m.status_names
    rows = []
    for a, g, e in m.elements:
        mark = mark_of.get(e.id)
        extra = info.loc[e.id] if e.id in info.index else None
        rows.append({
            "element_id": e.id, "assessment": a.id, "assessment_name": a.name, "group": g.name, "name": e.name,
            "mark": mark, "level": names[mark - 1] if mark else None,
            "description": e.descriptions[mark - 1] if mark else "",
            "respondent": "" if extra is None else extra["respondent"],
            "comment": "" if extra is None else extra["comment"],
            "row": None if extra is None else int(extra["row"]),
        })
    elements = pd.DataFrame(rows)
    elements["mark"] = pd.array(elements["mark"].tolist(), dtype="Int64")
    elements["row"] = pd.array(elements["row"].tolist(), dtype="Int64")
    per = []
    for a in m.assessments:
        part = elements[elements["assessment"] == a.id]
        rated = int(part["mark"].notna().sum())
        score = int(part["mark"].sum())
        per.append({"assessment": a.id, "name": a.name, "score": score, "rated": rated, "total": len(part),
                    "max_score": len(part) * m.max_mark,
                    "mean_mark": round(score / rated, 2) if rated else None})
    by_assessment = pd.DataFrame(per)
    total = int(elements["mark"].sum())
    rated = int(elements["mark"].notna().sum())
    n = len(elements)
    missing = n - rated
    low, high = total + missing * m.statuses[0].mark, total + missing * m.max_mark
    possible = [b.status for b in m.bands if b.min <= high and b.max >= low]
    status = m.band_for_total(total).status if missing == 0 else None
    return Score(elements=elements, by_assessment=by_assessment, total_score=total, elements_rated=rated,
                 elements_total=n, status=status, possible_statuses=possible)


def maturity_status(marks: str | Path | Table | Marks | MaturityResult | None,
                    matrix: str | Path | Matrix | LoadedMatrix = DEFAULT_MATRIX,
                    sheet: str | None = None) -> str | None:
    """The maturity status of a marks file or table: one of the matrix's status names (for the shipped
    matrix exactly "fragmented", "integrated" or "risk intelligent"), or None when it cannot be
    classified (no marks, or not every element rated). Invalid marks raise InputError.
    """
    if isinstance(marks, MaturityResult):
        return marks.status
    if marks is None:
        return None
    m = matrix if isinstance(matrix, (Matrix, LoadedMatrix)) else load_matrix(matrix)
    if isinstance(marks, Table):
        validated = validate_marks(marks, m)
    elif isinstance(marks, Marks):
        validated = marks
    else:
        validated = load_marks(marks, m, sheet=sheet)
    return score_marks(validated, m).status


# ---- capacity ---------------------------------------------------------------------------------------
@dataclass
class CapacityResult:
    provided: bool
    answers: pd.DataFrame  # item x line: item_id, seed_ref, section, text, line, line_name, answer
    by_line: pd.DataFrame
    by_section: pd.DataFrame  # section x line (line 0 = all lines)
    disagreements: pd.DataFrame
    not_answered: pd.DataFrame

    @property
    def answers_given(self) -> int:
        return int(self.answers["answer"].notna().sum())


def _percent(yes: int, answered: int) -> float | None:
    return round(100 * yes / answered, 1) if answered else None


def assess_capacity(answers: CapacityAnswers | None, matrix: Matrix | LoadedMatrix) -> CapacityResult:
    m = _matrix(matrix)
    cap = m.capacity
    given = {} if answers is None else {(r.item_id, r.line): r for r in answers.frame.itertuples(index=False)}
    rows = []
    for item in cap.items:
        for ln in cap.lines:
            rec = given.get((item.id, ln.line))
            rows.append({"item_id": item.id, "seed_ref": item.seed_ref, "section": item.section, "text": item.text,
                         "line": ln.line, "line_name": ln.name, "answer": None if rec is None else rec.answer,
                         "respondent": "" if rec is None else rec.respondent,
                         "comment": "" if rec is None else rec.comment})
    table = pd.DataFrame(rows)
    answered = table["answer"].notna()
    yes = table["answer"] == "yes"

    def counts(mask: pd.Series) -> dict[str, Any]:
        a, y = int((answered & mask).sum()), int((yes & mask).sum())
        return {"answered": a, "yes": y, "no": a - y, "percent_yes": _percent(y, a)}

    by_line = pd.DataFrame([{"line": ln.line, "name": ln.name, "items": len(cap.items),
                             **counts(table["line"] == ln.line)} for ln in cap.lines])
    sec_rows = []
    for section in cap.sections:
        in_section = table["section"] == section
        for ln in cap.lines:
            sec_rows.append({"section": section, "line": ln.line, "line_name": ln.name,
                             **counts(in_section & (table["line"] == ln.line))})
        sec_rows.append({"section": section, "line": 0, "line_name": "All lines", **counts(in_section)})
    by_section = pd.DataFrame(sec_rows)
    dis = []
    for item in cap.items:
        part = table[(table["item_id"] == item.id) & answered]
        if part["answer"].nunique() > 1:
            dis.append({"item_id": item.id, "seed_ref": item.seed_ref, "section": item.section, "text": item.text,
                        **{f"line {ln.line}": (part.loc[part["line"] == ln.line, "answer"].tolist() or [None])[0]
                           for ln in cap.lines}})
    disagreements = pd.DataFrame(dis, columns=["item_id", "seed_ref", "section", "text",
                                               *(f"line {ln.line}" for ln in cap.lines)])
    not_answered = table.loc[~answered, ["item_id", "seed_ref", "section", "line", "line_name"]].reset_index(drop=True)
    return CapacityResult(provided=answers is not None, answers=table, by_line=by_line, by_section=by_section,
                          disagreements=disagreements, not_answered=not_answered)


# ---- the result a report needs ------------------------------------------------------------------------
@dataclass
class MaturityResult:
    matrix: LoadedMatrix
    as_of: dt.date
    period: str
    score: Score
    target_status: str
    horizon_years: int
    gaps: pd.DataFrame
    roadmap: pd.DataFrame
    capacity: CapacityResult
    trend: pd.DataFrame
    history_periods: list[str]
    marks_file: str | None
    capacity_file: str | None
    warnings: list[str] = field(default_factory=list)
    organisation: str = ""  # set by run_maturity_scoring; a report heading names it

    # conveniences used by reports, notebooks and other assessments
    @property
    def status(self) -> str | None:
        return self.score.status

    @property
    def elements(self) -> pd.DataFrame:
        return self.score.elements

    @property
    def by_assessment(self) -> pd.DataFrame:
        return self.score.by_assessment

    @property
    def total_score(self) -> int:
        return self.score.total_score

    @property
    def toolkit(self) -> str | None:
        return self.matrix.matrix.status(self.status).toolkit if self.status else None

    @property
    def index_levels(self) -> list[IndexLevel]:
        """The five-level index levels the status stands for (empty while not classified)."""
        if not self.status:
            return []
        return [lv for lv in self.matrix.matrix.index if lv.status == self.status]


def resolve_status(value: str, matrix: Matrix | LoadedMatrix) -> str:
    """A status name from a status, alias, mark or five-level index level name; ParameterError otherwise."""
    m = _matrix(matrix)
    try:
        return m.status(value).name
    except KeyError:
        pass
    key = normalise_label(value).replace("-", " ").replace("_", " ")
    for lv in m.index:
        if key in {normalise_label(lv.name), normalise_label(lv.label)}:
            return lv.status
    choices = ", ".join(m.status_names)
    raise ParameterError(f"target_status {value!r}: expected one of {choices} (or a maturity index level "
                         f"such as {', '.join(lv.name for lv in m.index)})")


def gaps_below(score: Score, matrix: Matrix | LoadedMatrix, target_status: str) -> pd.DataFrame:
    """Rated elements whose mark is below the target status, with the next level's description as the action."""
    m = _matrix(matrix)
    target = m.status(target_status)
    names = m.status_names
    el = score.elements
    below = el[el["mark"].notna() & (el["mark"] < target.mark)]
    rows = []
    for r in below.itertuples(index=False):
        _, _, e = m.element(r.element_id)
        mark = int(r.mark)
        rows.append({"element_id": r.element_id, "assessment": r.assessment, "group": r.group, "name": r.name,
                     "mark": mark, "level": names[mark - 1], "target": target.name,
                     "steps_to_target": target.mark - mark, "next_level": names[mark],
                     "action": e.descriptions[mark]})
    return pd.DataFrame(rows, columns=["element_id", "assessment", "group", "name", "mark", "level", "target",
                                       "steps_to_target", "next_level", "action"])


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def roadmap(status: str | None, matrix: Matrix | LoadedMatrix, as_of: dt.date, horizon_years: int,
            target_status: str) -> pd.DataFrame:
    """The guide's steps from the current status to the highest, with cumulative years from the as-of date.

    within_horizon: "yes" when even the slowest pace finishes the step within the horizon, "possibly" when
    only a faster pace does, "no" when even the fastest pace does not.
    """
    m = _matrix(matrix)
    cols = ["step", "from_status", "to_status", "years", "earliest_year", "latest_year", "earliest_by",
            "latest_by", "within_horizon", "reaches_target", "condition"]
    if status is None:
        return pd.DataFrame(columns=cols)
    names = m.status_names
    target_mark = m.status(target_status).mark
    steps = {s.from_status: s for s in m.roadmap.steps}
    rows, current, low, high = [], status, 0, 0
    while current in steps:
        s = steps[current]
        low, high = low + s.years_min, high + s.years_max
        within = "yes" if high <= horizon_years else "possibly" if low <= horizon_years else "no"
        years = f"{s.years_min}" if s.years_min == s.years_max else f"{s.years_min}-{s.years_max}"
        rows.append({"step": len(rows) + 1, "from_status": s.from_status, "to_status": s.to_status, "years": years,
                     "earliest_year": low, "latest_year": high, "earliest_by": _add_years(as_of, low),
                     "latest_by": _add_years(as_of, high), "within_horizon": within,
                     "reaches_target": names.index(s.to_status) + 1 == target_mark, "condition": s.condition})
        current = s.to_status
    return pd.DataFrame(rows, columns=cols)


def trend(periods: list[tuple[str, Score]]) -> pd.DataFrame:
    """Per period (in the order given, oldest first) and assessment: score, rated, mean mark; plus totals."""
    rows = []
    for period, sc in periods:
        for r in sc.by_assessment.itertuples(index=False):
            rows.append({"period": period, "assessment": r.assessment, "name": r.name, "score": r.score,
                         "rated": r.rated, "total": r.total, "max_score": r.max_score, "mean_mark": r.mean_mark,
                         "status": None})
        rows.append({"period": period, "assessment": "Total", "name": "All assessments", "score": sc.total_score,
                     "rated": sc.elements_rated, "total": sc.elements_total,
                     "max_score": int(sc.by_assessment["max_score"].sum()),
                     "mean_mark": round(sc.total_score / sc.elements_rated, 2) if sc.elements_rated else None,
                     "status": sc.status})
    return pd.DataFrame(rows, columns=["period", "assessment", "name", "score", "rated", "total", "max_score",
                                       "mean_mark", "status"])


def assess(loaded: LoadedMatrix, as_of: dt.date, period: str, marks: Marks | None = None,
           capacity: CapacityAnswers | None = None, history: list[tuple[str, Marks]] | None = None,
           target_status: str = "integrated", horizon_years: int = 5) -> MaturityResult:
    """Score validated inputs: status, gaps to the target, roadmap, capacity and trend."""
    m = loaded.matrix
    target = resolve_status(target_status, m)
    sc = score_marks(marks, m)
    warnings: list[str] = []
    if marks is None:
        warnings.append("No marks file was given: no element is rated and no maturity status is given.")
    elif not sc.complete:
        unrated = sc.elements.loc[sc.elements["mark"].isna(), "element_id"].tolist()
        possible = sc.possible_statuses
        span = possible[0] if len(possible) == 1 else f"{possible[0]} to {possible[-1]}"
        warnings.append(f"{len(unrated)} of {sc.elements_total} elements are not rated ({', '.join(unrated)}): "
                        f"no maturity status is given until every element is rated. Provisionally, with the "
                        f"marks given so far, the status can still be {span}.")
    if capacity is None:
        warnings.append("No capacity answers were given: the capacity, skills and budget assessment is empty.")
    cap = assess_capacity(capacity, m)
    if capacity is not None and len(cap.not_answered):
        warnings.append(f"{len(cap.not_answered)} of {len(cap.answers)} capacity answers (item x line) are not "
                        f"given; percentages are of the answers given.")
    planning = m.roadmap.planning_years
    if horizon_years > planning.max:
        warnings.append(f"The horizon of {horizon_years} years is beyond the guide's planning period of "
                        f"{planning.min} to {planning.max} years.")
    periods = [(p, score_marks(h, m)) for p, h in (history or [])]
    trend_frame = trend([*periods, (period, sc)]) if periods else trend([])
    partial = [p for p, s in periods if not s.complete]
    if partial:
        warnings.append(f"Earlier period(s) not fully rated: {', '.join(partial)}; compare their mean marks, "
                        f"not their scores.")
    return MaturityResult(
        matrix=loaded, as_of=as_of, period=period, score=sc, target_status=target, horizon_years=horizon_years,
        gaps=gaps_below(sc, m, target), roadmap=roadmap(sc.status, m, as_of, horizon_years, target),
        capacity=cap, trend=trend_frame, history_periods=[p for p, _ in periods],
        marks_file=None if marks is None else marks.file, capacity_file=None if capacity is None else capacity.file,
        warnings=warnings)


def load_maturity_inputs(params: MaturityParams, marks_table: Table | None = None,
                         capacity_table: Table | None = None):
    """Load and check everything the parameters name; every input problem is raised as one InputError.

    Returns (loaded matrix, marks or None, capacity answers or None, [(period, marks), ...]) and scores
    nothing, so ``workbook run`` can fail fast. Raises MatrixError, ParameterError or InputError.
    """
    loaded = load_matrix(params.matrix_ref())
    resolve_status(params.target_status, loaded.matrix)
    stored_history: list[tuple[str, Table]] = []
    if params.source == "store":  # what the form saved; earlier periods in the store give the trend
        from workbook_lib.core.records import earlier_periods, table_for

        marks_table = marks_table if marks_table is not None else table_for(params, "maturity_mark")
        capacity_table = capacity_table if capacity_table is not None else table_for(params, "capacity_answer")
        listed = {e.period.strip().casefold() for e in params.history}
        stored_history = [(p, t) for p, t in earlier_periods(params, "maturity_mark")
                          if p.strip().casefold() not in listed]
    problems: list[Problem] = []

    def attempt(fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except InputError as exc:
            problems.extend(exc.problems)
            return None

    marks = None
    if marks_table is not None:
        marks = attempt(validate_marks, marks_table, loaded)
    elif params.marks is not None:
        marks = attempt(load_marks, params.resolve(params.marks), loaded, sheet=params.sheet)
    capacity = None
    if capacity_table is not None:
        capacity = attempt(validate_capacity, capacity_table, loaded)
    elif params.capacity is not None:
        capacity = attempt(load_capacity, params.resolve(params.capacity), loaded, sheet=params.sheet)
    history = []
    for entry in params.history:
        hist = attempt(load_marks, params.resolve(entry.marks), loaded, sheet=entry.sheet)
        history.append((entry.period, hist))
    for period, table in stored_history:
        history.append((period, attempt(validate_marks, table, loaded)))
    history.sort(key=lambda pair: pair[0])
    if problems:
        raise InputError(problems)
    return loaded, marks, capacity, history


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


def run_maturity_scoring(params: MaturityParams, marks_table: Table | None = None,
                         capacity_table: Table | None = None) -> MaturityResult:
    """Load the matrix and the files named by the parameters (or the tables given) and score them."""
    loaded, marks, capacity, history = load_maturity_inputs(params, marks_table, capacity_table)
    result = assess(loaded, params.as_of, params.period, marks=marks, capacity=capacity, history=history,
                    target_status=params.target_status, horizon_years=params.horizon_years)
    result.organisation = params.organisation
    return result


# ---- outputs -----------------------------------------------------------------------------------------
def _none(value: Any) -> Any:
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def capacity_summary(cap: CapacityResult, matrix: Matrix | LoadedMatrix) -> dict[str, Any]:
    """The capacity part of the JSON summary (documented in the module and the README)."""
    m = _matrix(matrix)

    def figures(r: Any) -> dict[str, Any]:
        return {"answered": int(r.answered), "yes": int(r.yes), "percent_yes": _none(r.percent_yes)}

    by_section: dict[str, Any] = {}
    for section in m.capacity.sections:
        part = cap.by_section[cap.by_section["section"] == section]
        overall = part[part["line"] == 0].iloc[0]
        by_section[section] = {**figures(overall), "by_line": {str(int(r.line)): figures(r)
                                                              for r in part[part["line"] != 0].itertuples()}}
    return {
        "provided": cap.provided,
        "items_total": len(m.capacity.items),
        "answers_expected": len(cap.answers),
        "answers_given": cap.answers_given,
        "by_line": {str(int(r.line)): {"name": r.name, **figures(r)} for r in cap.by_line.itertuples()},
        "by_section": by_section,
        "disagreements": [
            {"item_id": int(r["item_id"]), "seed_ref": r["seed_ref"], "section": r["section"],
             "answers": {str(ln.line): _none(r[f"line {ln.line}"]) for ln in m.capacity.lines}}
            for r in cap.disagreements.to_dict("records")],
        "not_answered": [{"item_id": int(r.item_id), "line": int(r.line)} for r in cap.not_answered.itertuples()],
    }


def maturity_summary(result: MaturityResult, organisation: str, period: str) -> dict[str, Any]:
    """The JSON contract of the maturity scoring (see README)."""
    el = result.elements
    return {
        "assessment": ASSESSMENT_NAME,
        "organisation": organisation,
        "period": period,
        "elements": [{"element_id": r.element_id, "assessment": r.assessment, "group": r.group, "name": r.name,
                      "mark": _none(r.mark)} for r in el.itertuples(index=False)],
        "elements_total": result.score.elements_total,
        "elements_rated": result.score.elements_rated,
        "total_score": result.total_score,
        "status": result.status,
        "by_assessment": {r.assessment: {"score": int(r.score), "rated": int(r.rated), "total": int(r.total)}
                          for r in result.by_assessment.itertuples(index=False)},
        "capacity": capacity_summary(result.capacity, result.matrix),
        "warnings": list(result.warnings),
        "matrix": result.matrix.provenance(),
    }


def _pct(value: Any) -> str:
    value = _none(value)
    return "n/a" if value is None else f"{value:.0f}%"


def key_figures(result: MaturityResult) -> str:
    """One stable line of the figures a committee looks at first (checked by the notebook tests)."""
    sc = result.score
    m = result.matrix.matrix
    parts = ", ".join(f"{r.assessment} {r.score}/{r.max_score}" + (f" ({r.rated} of {r.total} rated)"
                                                                    if r.rated < r.total else "")
                      for r in sc.by_assessment.itertuples(index=False))
    cap = result.capacity
    lines = ", ".join(f"line {int(r.line)} {_pct(r.percent_yes)}" for r in cap.by_line.itertuples())
    capacity = (f"capacity yes: {lines} | lines disagree on {len(cap.disagreements)} item(s)"
                if cap.provided else "capacity not given")
    return (f"elements {sc.elements_total} | rated {sc.elements_rated} | total {sc.total_score} of {m.max_total} | "
            f"status {sc.status or 'not classified'} | {parts} | below {result.target_status} "
            f"{len(result.gaps)} | {capacity}")


def bands_table(matrix: Matrix | LoadedMatrix) -> pd.DataFrame:
    m = _matrix(matrix)
    return pd.DataFrame([{"status": b.status, "published_totals": f"{b.published_min}-{b.published_max}",
                          f"applied_totals ({m.element_count} elements)": f"{b.min}-{b.max}",
                          "mean_mark_up_to": round(b.published_max / m.banding.basis_elements, 3)} for b in m.bands])


def result_tables(result: MaturityResult) -> dict[str, pd.DataFrame]:
    """The Excel workbook: one sheet per table."""
    m = result.matrix.matrix
    cap = result.capacity
    tables = {
        "Elements": result.elements,
        "Assessments": result.by_assessment,
        "Below target": result.gaps,
        "Roadmap": result.roadmap,
        "Capacity answers": cap.answers,
        "Capacity by line": cap.by_line,
        "Capacity by section": cap.by_section,
        "Lines disagree": cap.disagreements,
        "Trend": result.trend,
        "Maturity index": pd.DataFrame([lv.model_dump() for lv in m.index]),
        "Bands": bands_table(m),
        "Warnings": pd.DataFrame({"warning": result.warnings}),
    }
    tables["Method"] = pd.DataFrame(
        [("matrix", m.name), ("version", m.version), ("sha256", result.matrix.sha256),
         ("as of", result.as_of.isoformat()), ("target status", result.target_status),
         ("horizon (years)", str(result.horizon_years)), ("marks file", result.marks_file or "(not given)"),
         ("capacity file", result.capacity_file or "(not given)")]
        + [(f"note: {n.topic}", n.decision) for n in m.notes], columns=["item", "value"])
    return tables


def write_outputs(result: MaturityResult, organisation: str, period: str, output_dir: str | Path,
                  stem: str = ASSESSMENT_NAME) -> list[Path]:
    """Write the JSON summary and the Excel workbook; returns their two paths."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [write_json(maturity_summary(result, organisation, period), out / f"{stem}.json"),
            write_excel(result_tables(result), out / f"{stem}.xlsx")]


# ---- what the notebook shows ------------------------------------------------------------------------
def elements_view(result: MaturityResult) -> pd.DataFrame:
    view = result.elements[["element_id", "assessment_name", "group", "name", "mark", "level", "description",
                            "respondent", "comment"]].copy()
    view["level"] = view["level"].fillna("NOT RATED")
    return view


def gaps_view(result: MaturityResult) -> pd.DataFrame:
    return result.gaps[["element_id", "group", "name", "level", "next_level", "action"]]


def capacity_view(result: MaturityResult) -> pd.DataFrame:
    """Items by line: yes / no / blank, with the guide's own number beside the clean one."""
    cap = result.capacity
    wide = cap.answers.pivot(index="item_id", columns="line", values="answer")
    items = cap.answers.drop_duplicates("item_id").set_index("item_id")
    view = pd.DataFrame({"item": wide.index, "guide's no.": items.loc[wide.index, "seed_ref"].to_numpy(),
                         "section": items.loc[wide.index, "section"].to_numpy(),
                         "question": items.loc[wide.index, "text"].to_numpy()})
    for ln in result.matrix.matrix.capacity.lines:
        view[f"{ln.line} {ln.name}"] = wide[ln.line].fillna("").to_numpy()
    return view


def capacity_percentages(result: MaturityResult) -> pd.DataFrame:
    """Percentage yes per section (rows) and line (columns), with answers given in brackets."""
    cap = result.capacity
    rows = []
    for section, part in cap.by_section.groupby("section", sort=False):
        row = {"section": section}
        for r in part.itertuples(index=False):
            row[r.line_name] = f"{_pct(r.percent_yes)} ({r.yes} of {r.answered})"
        rows.append(row)
    total = {"section": "All sections"}
    for r in cap.by_line.itertuples(index=False):
        total[r.name] = f"{_pct(r.percent_yes)} ({r.yes} of {r.answered})"
    answered = int(cap.by_line["answered"].sum())
    total["All lines"] = f"{_pct(_percent(int(cap.by_line['yes'].sum()), answered))} " \
                         f"({int(cap.by_line['yes'].sum())} of {answered})"
    rows.append(total)
    return pd.DataFrame(rows)


def opening_narrative(result: MaturityResult, organisation: str, period: str) -> str:
    m = result.matrix.matrix
    sc = result.score
    lines = [f"## {esc(organisation)}: risk-management maturity, {esc(period)}"]
    rated = (f"**{sc.elements_rated} of {sc.elements_total}** elements are rated"
             + ("." if sc.complete else f"; **{sc.elements_total - sc.elements_rated} are not rated yet**."))
    lines.append(f"As of **{result.as_of:%d %B %Y}**, {rated}")
    if sc.status:
        band = m.band_for_total(sc.total_score)
        st = m.status(sc.status)
        levels = " and ".join(f"*{esc(lv.label)}* (level {lv.level})" for lv in result.index_levels)
        lines.append(f"The marks add up to **{sc.total_score}** out of a possible {m.min_total}-{m.max_total}, "
                     f"in the band {band.min}-{band.max}: the municipality's risk management is "
                     f"**{esc(st.label.lower())}**. On the five-level maturity index this status covers {levels}. "
                     f"The **{esc(st.toolkit)}** version of the toolkit applies"
                     + (f" ({esc(st.toolkit_note)})" if st.toolkit_note else "") + ".")
    else:
        possible = sc.possible_statuses
        span = esc(possible[0]) if len(possible) == 1 else f"{esc(possible[0])} to {esc(possible[-1])}"
        lines.append(f"**No maturity status is given**: the guide adds the marks up only once every element is "
                     f"rated. The marks so far total {sc.total_score}; provisionally the status can still be "
                     f"**{span}**, depending on the marks still to come.")
    parts = "; ".join(f"{esc(r.name)} ({esc(r.assessment)}) {r.score} of {r.max_score}"
                      + (f", {r.rated} of {r.total} rated" if r.rated < r.total else "")
                      for r in sc.by_assessment.itertuples(index=False))
    lines.append(f"By assessment: {parts}.")
    n_gaps = len(result.gaps)
    lines.append(f"**{n_gaps}** rated element(s) sit below the target status *{esc(result.target_status)}*"
                 + (": " + esc(", ".join(result.gaps["element_id"])) + "." if n_gaps else "."))
    cap = result.capacity
    if cap.provided:
        by_line = "; ".join(f"{esc(r.name)} {_pct(r.percent_yes)}" for r in cap.by_line.itertuples(index=False))
        lines.append(f"Capacity, skills and budget: share of *yes* answers per line of assurance: {by_line}. "
                     f"The lines disagree on **{len(cap.disagreements)}** item(s).")
    if len(result.trend):
        lines.append(trend_narrative(result))
    if result.warnings:
        lines.append("**Warnings**\n\n" + "\n".join(f"- {esc(w)}" for w in result.warnings))
    return "\n\n".join(lines)


def index_context(result: MaturityResult) -> str:
    """The five-level maturity index as context, with the condensed status each level belongs to."""
    m = result.matrix.matrix
    rows = []
    for lv in m.index:
        here = " **(this municipality)**" if result.status and lv.status == result.status else ""
        rows.append(f"| {lv.level} | {esc(lv.label)}{here} | {esc(lv.status)} | {esc(m.status(lv.status).toolkit)} "
                    f"| {esc(lv.description)} |")
    return ("## The maturity index\n"
            "The guide describes maturity on five levels and condenses them into three statuses for rating; "
            "each status has its toolkit version.\n\n"
            "| Level | Name | Status | Toolkit | What it looks like |\n|---|---|---|---|---|\n" + "\n".join(rows))


def roadmap_narrative(result: MaturityResult) -> str:
    rm = result.roadmap
    if result.status is None:
        return ("## Roadmap\n*The roadmap starts from the maturity status, which is given only once every "
                "element is rated.*")
    if rm.empty:
        return (f"## Roadmap\nThe municipality is at the highest status (*{esc(result.status)}*): the task is to "
                f"sustain it.")
    m = result.matrix.matrix
    reached = m.status(result.status).mark >= m.status(result.target_status).mark
    lines = [f"## Roadmap\nIndicative, from the as-of date, at the guide's pace; horizon "
             f"**{result.horizon_years} years**."
             + (f" The target status (*{esc(result.target_status)}*) is already reached overall; the elements "
                f"still below it are listed above." if reached else ""), ""]
    for r in rm.itertuples(index=False):
        when = {"yes": "within the horizon", "possibly": "within the horizon only at the faster pace",
                "no": "beyond the horizon"}[r.within_horizon]
        lines.append(f"- Step {r.step}: **{esc(r.from_status)} to {esc(r.to_status)}** in {esc(r.years)} years, "
                     f"between {r.earliest_by:%B %Y} and {r.latest_by:%B %Y} ({when})"
                     + (f"; {esc(r.condition)}" if r.condition else "")
                     + (" - this reaches the target status." if r.reaches_target else "."))
    return "\n".join(lines)


def trend_narrative(result: MaturityResult) -> str:
    t = result.trend
    if t.empty:
        return "*No earlier period was given: there is no trend yet.*"
    periods = list(dict.fromkeys(t["period"]))
    first, last = periods[0], periods[-1]
    sentences = []
    for code in list(dict.fromkeys(t["assessment"])):
        a = t[(t["assessment"] == code) & (t["period"] == first)].iloc[0]
        b = t[(t["assessment"] == code) & (t["period"] == last)].iloc[0]
        if _none(a["mean_mark"]) is None or _none(b["mean_mark"]) is None:
            continue
        label = "total" if code == "Total" else f"{esc(code)} {esc(b['name'])}"
        if a["rated"] == a["total"] and b["rated"] == b["total"]:
            sentences.append(f"{label} {a['score']} to {b['score']}")
        else:
            sentences.append(f"{label} mean mark {a['mean_mark']:.2f} to {b['mean_mark']:.2f}")
    first_status = t[(t["assessment"] == "Total") & (t["period"] == first)].iloc[0]["status"]
    last_status = t[(t["assessment"] == "Total") & (t["period"] == last)].iloc[0]["status"]
    status = (f" Status: {esc(first_status or 'not classified')} to {esc(last_status or 'not classified')}.")
    return f"Trend from {esc(first)} to {esc(last)}: " + "; ".join(sentences) + "." + status


def method_note(result: MaturityResult) -> str:
    m = result.matrix.matrix
    bands = "\n".join(f"| {esc(b.label)} | {b.published_min}-{b.published_max} | {b.min}-{b.max} | "
                      f"{b.published_max / m.banding.basis_elements:.2f} |" for b in m.bands)
    counts = ", ".join(f"{esc(a.id)} {len(a.elements)}" for a in m.assessments)
    marks = ", ".join(f"{s.mark} = {esc(s.label.lower())}" for s in m.statuses)
    notes = "\n".join(f"- **{esc(n.topic)}**: {esc(n.decision)}" for n in m.notes)
    return (f"## Method and provenance\n"
            f"Maturity matrix **{esc(m.name)}**, version {esc(m.version)}, SHA-256 `{result.matrix.sha256}`.\n\n"
            f"Each of the **{m.element_count}** elements ({counts}) is marked {marks}; the total decides the "
            f"status. The guide publishes its bands for {m.banding.basis_elements} elements; they are applied "
            f"{'proportionally' if m.banding.rule == 'proportional' else 'as published'} to the "
            f"{m.element_count} elements of the tables:\n\n"
            f"| Status | Published totals ({m.banding.basis_elements} elements) | Applied totals "
            f"({m.element_count} elements) | Mean mark up to |\n|---|---|---|---|\n{bands}\n\n"
            f"**Decisions recorded in the matrix file** (where the guide is silent or inconsistent):\n\n{notes}")


def capacity_narrative(result: MaturityResult) -> str:
    cap = result.capacity
    m = result.matrix.matrix
    if not cap.provided:
        return ("## Capacity, skills and budget\n*No capacity answers were given. The guide asks the first three "
                "lines of assurance to complete this assessment whatever the maturity status.*")
    overall = cap.by_section[cap.by_section["line"] == 0]
    weakest = overall.dropna(subset=["percent_yes"]).sort_values("percent_yes", kind="stable").head(1)
    lines = [f"## Capacity, skills and budget\n**{cap.answers_given}** of {len(cap.answers)} answers given "
             f"({len(m.capacity.items)} items x {len(m.capacity.lines)} lines of assurance)."]
    if len(weakest):
        w = weakest.iloc[0]
        lines.append(f"The weakest section is **{esc(w['section'])}**: {_pct(w['percent_yes'])} of the answers "
                     f"given are *yes* ({int(w['yes'])} of {int(w['answered'])}).")
    if len(cap.disagreements):
        items = "; ".join(f"item {int(r['item_id'])} (guide's no. {esc(r['seed_ref'].split()[0])})"
                          for r in cap.disagreements.to_dict("records"))
        lines.append(f"The lines of assurance **disagree** on {len(cap.disagreements)} item(s): {items}. "
                     f"These are worth discussing before the municipal manager relies on the results.")
    else:
        lines.append("The lines of assurance agree on every item that more than one of them answered.")
    return "\n\n".join(lines)
