"""COSO 17-principle control assessment, rated independently by the three lines of assurance.

A questionnaire (YAML, validated with pydantic) lists the five components, the 17 principles and the
guideline items that test them, the 1-5 rating scale, the three lines and their key questions, the bands
of the combined score, the divergence threshold and the rule for "present and functioning". Responses
(CSV or .xlsx: item, line, rating, respondent, comment) are validated with every problem reported at
once. Each item's combined score is the sum of the three lines' ratings; an item a line has not rated is
incomplete: listed, never summed. Items roll up to principles and components.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workbook_lib.core.datafiles import Note, band_problems, load_data_file, normalise_label
from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.outputs import esc, write_excel, write_json
from workbook_lib.core.params import CommonParams
from workbook_lib.core.tables import ROW, Table, header_key, read_table

ASSESSMENT = "coso-assessment"
SHIPPED_DIR = Path(__file__).parent / "data"
SHIPPED_PATTERN = "coso-*.yaml"
DEFAULT_QUESTIONNAIRE = "coso-17-western-cape"
MATURITY_STATUSES = ("fragmented", "integrated", "risk intelligent")

# principle statuses (the overall picture counts principles in each)
PRESENT = "present and functioning"
NOT_PRESENT = "not present and functioning"
INCOMPLETE = "incomplete"
NOT_ASSESSED = "not assessed"
STATUSES = (PRESENT, NOT_PRESENT, INCOMPLETE, NOT_ASSESSED)
NO_SINGLE_LINE = "no single line stands apart"

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
_ORDINALS = {1: ("1", "1st", "first", "one"), 2: ("2", "2nd", "second", "two"), 3: ("3", "3rd", "third", "three"),
             4: ("4", "4th", "fourth", "four"), 5: ("5", "5th", "fifth", "five")}
_LINE_WORDS = re.compile(r"(lineofassurance|lineofdefence|lineofdefense|line|loa|lod)")


class QuestionnaireError(ValueError):
    """A questionnaire file is missing, unreadable or inconsistent."""


# ---- the questionnaire as data ---------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_COLOUR = r"^#[0-9a-fA-F]{6}$"


class ScaleLevel(_Strict):
    value: int = Field(ge=1)
    label: str = Field(min_length=1)
    description: str = ""
    colour: str = Field(default="#bdbdbd", pattern=_COLOUR)


class AssuranceLine(_Strict):
    line: int = Field(ge=1)
    name: str = Field(min_length=1)
    short: str = ""
    role: str = ""
    key_question: str = Field(min_length=1)
    aliases: list[str] = []
    colour: str = Field(default="#555555", pattern=_COLOUR)

    @property
    def label(self) -> str:
        return self.short or self.name


class CombinedBand(_Strict):
    name: str = Field(min_length=1)
    min: int
    max: int
    colour: str = Field(pattern=_COLOUR)
    meaning: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> CombinedBand:
        if self.min > self.max:
            raise ValueError(f"band {self.name!r}: min {self.min} is above max {self.max}")
        return self


class Combined(_Strict):
    rule: str = "sum of the lines' ratings"
    red_band: str = Field(min_length=1, description="the band whose items count as red (management must improve)")
    bands: list[CombinedBand] = Field(min_length=1)


class Divergence(_Strict):
    threshold: int = Field(default=2, ge=1, description="spread of the lines' ratings that flags an item")


class PresentRule(_Strict):
    require_all_complete: bool = True
    max_red_items: int = Field(default=0, ge=0)
    min_mean_combined: float
    description: str = ""


class Applicability(_Strict):
    suitable: list[str] = []
    not_suitable: list[str] = []
    warning: str = Field(min_length=1)

    @field_validator("suitable", "not_suitable")
    @classmethod
    def _known(cls, values: list[str]) -> list[str]:
        out = []
        for v in values:
            key = normalise_maturity(v)
            if key is None:
                raise ValueError(f"maturity status {v!r} is not one of {', '.join(MATURITY_STATUSES)}")
            out.append(key)
        return out


class Component(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    name: str = Field(min_length=1)


class Principle(_Strict):
    number: int = Field(ge=1)
    component: str
    name: str = Field(min_length=1)


class Item(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    principle: int
    text: str = Field(min_length=1)
    seed_ref: str = ""


class Questionnaire(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    version: str
    title: str
    source: str = ""
    applicability: Applicability | None = None
    scale: list[ScaleLevel] = Field(min_length=2)
    lines: list[AssuranceLine] = Field(min_length=2)
    combined: Combined
    divergence: Divergence = Divergence()
    present_and_functioning: PresentRule
    components: list[Component] = Field(min_length=1)
    principles: list[Principle] = Field(min_length=1)
    items: list[Item] = Field(min_length=1)
    notes: list[Note] = []

    @field_validator("scale")
    @classmethod
    def _scale_contiguous(cls, levels: list[ScaleLevel]) -> list[ScaleLevel]:
        values = [lv.value for lv in levels]
        if values != list(range(1, len(values) + 1)):
            raise ValueError(f"scale values must be 1..{len(values)} in order, got {values}")
        _unique([lv.label for lv in levels], "scale label")
        return levels

    @field_validator("lines")
    @classmethod
    def _lines_contiguous(cls, lines: list[AssuranceLine]) -> list[AssuranceLine]:
        numbers = [ln.line for ln in lines]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"lines must be numbered 1..{len(numbers)} in order, got {numbers}")
        _unique([a for ln in lines for a in (ln.name, *ln.aliases)], "line name or alias")
        return lines

    @model_validator(mode="after")
    def _consistent(self) -> Questionnaire:
        _unique([c.id for c in self.components], "component id")
        _unique([c.name for c in self.components], "component name")
        components = {c.id for c in self.components}
        numbers = [p.number for p in self.principles]
        dupes = sorted({n for n in numbers if numbers.count(n) > 1})
        if dupes:
            raise ValueError(f"principle number(s) {dupes} listed more than once")
        for p in self.principles:
            if p.component not in components:
                raise ValueError(f"principle {p.number}: component {p.component!r} is not one of "
                                 f"{sorted(components)}")
        empty = [c.id for c in self.components if not any(p.component == c.id for p in self.principles)]
        if empty:
            raise ValueError(f"component(s) {empty} have no principle")
        _unique([i.id for i in self.items], "item id")
        known = set(numbers)
        for item in self.items:
            if item.principle not in known:
                raise ValueError(f"item {item.id!r}: principle {item.principle} is not listed under principles")
        bands = self.combined.bands
        _unique([b.name for b in bands], "band name")
        if self.combined.red_band not in {b.name for b in bands}:
            raise ValueError(f"combined.red_band {self.combined.red_band!r} is not one of the band names "
                             f"{[b.name for b in bands]}")
        problems = band_problems(bands, self.reachable_scores)  # type: ignore[arg-type]  # same min/max/name
        if problems:
            raise ValueError("combined bands: " + "; ".join(problems))
        return self

    # ---- derived facts ----------------------------------------------------------------------------
    @property
    def max_rating(self) -> int:
        return len(self.scale)

    @property
    def line_numbers(self) -> list[int]:
        return [ln.line for ln in self.lines]

    @property
    def reachable_scores(self) -> list[int]:
        n = len(self.lines)
        return list(range(n, n * self.max_rating + 1))

    def band_for(self, score: float) -> CombinedBand:
        """The band a combined score (or a mean of scores) falls in: the highest band starting at or below it."""
        ordered = sorted(self.combined.bands, key=lambda b: b.min)
        chosen = ordered[0]
        for band in ordered:
            if score >= band.min:
                chosen = band
        return chosen

    def line(self, number: int) -> AssuranceLine:
        return self.lines[number - 1]

    def principle(self, number: int) -> Principle:
        return next(p for p in self.principles if p.number == number)

    def component(self, cid: str) -> Component:
        return next(c for c in self.components if c.id == cid)

    def line_lookup(self) -> dict[str, int]:
        """Accepted spellings of a line (number, ordinal, name, aliases), compared as header keys."""
        lookup: dict[str, int] = {}
        for ln in self.lines:
            for key in (*_ORDINALS.get(ln.line, (str(ln.line),)), ln.name, ln.short, *ln.aliases):
                if key:
                    lookup[header_key(key)] = ln.line
        return lookup

    def rating_lookup(self) -> dict[str, int]:
        """Scale labels accepted in place of the number."""
        return {normalise_label(lv.label): lv.value for lv in self.scale}

    def item_lookup(self) -> dict[str, str]:
        return {header_key(i.id): i.id for i in self.items}


def _unique(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        key = normalise_label(name)
        if key in seen:
            raise ValueError(f"{what} {name!r} is used twice")
        seen.add(key)


def normalise_maturity(value: str | None) -> str | None:
    """'Risk-Intelligent' -> 'risk intelligent'; None for anything that is not a known status."""
    if value is None:
        return None
    key = " ".join(str(value).replace("-", " ").replace("_", " ").split()).casefold()
    return key if key in MATURITY_STATUSES else None


class LoadedQuestionnaire(BaseModel):
    """A questionnaire with the provenance every output records."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    questionnaire: Questionnaire
    path: Path
    sha256: str

    def provenance(self) -> dict[str, str]:
        q = self.questionnaire
        return {"name": q.name, "version": q.version, "sha256": self.sha256}


def shipped() -> dict[str, Path]:
    """Shipped questionnaire names -> files."""
    return {p.stem: p for p in sorted(SHIPPED_DIR.glob(SHIPPED_PATTERN))}


def load_questionnaire(name_or_path: str | Path = DEFAULT_QUESTIONNAIRE,
                       base_dir: Path | None = None) -> LoadedQuestionnaire:
    """Load a shipped questionnaire by name, or an organisation's own YAML file by path."""
    questionnaire, path, sha256 = load_data_file(name_or_path, shipped(), Questionnaire, QuestionnaireError,
                                                 "questionnaire", base_dir)
    return LoadedQuestionnaire(questionnaire=questionnaire, path=path, sha256=sha256)


# ---- parameters --------------------------------------------------------------------------------------
class CosoParams(CommonParams):
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
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def validate_responses(table: Table, questionnaire: Questionnaire) -> Responses:
    """Check a table of responses against a questionnaire; raise InputError listing every problem."""
    q = questionnaire
    frame = table.frame
    file = table.file
    problems: list[Problem] = []
    for col in REQUIRED_COLUMNS:
        if col not in frame.columns:
            aliases = ", ".join(repr(a) for a in RESPONSE_COLUMNS[col][:4])
            problems.append(Problem(file, table.header_row, col, "(missing)", f"a column {col!r} (or {aliases})"))
    if frame.empty:  # a header and nothing else: valid, everything is incomplete
        if problems:
            raise InputError(problems)
        return Responses.empty(file)

    frame = frame.copy()
    for col in (c for c in RESPONSE_COLUMNS if c in frame.columns):
        frame[col] = frame[col].map(_text).astype(object)
    rows = frame[ROW].astype(int)
    blank = pd.Series("", index=frame.index, dtype=object)
    items_raw = frame["item_id"] if "item_id" in frame else blank
    lines_raw = frame["line"] if "line" in frame else blank
    ratings_raw = frame["rating"] if "rating" in frame else blank

    # item IDs, matched ignoring case and punctuation ("p01 01" is P01-01)
    item_lookup = q.item_lookup()
    item_ids = items_raw.map(lambda v: item_lookup.get(header_key(v)))
    if "item_id" in frame:
        ids = [i.id for i in q.items]
        for idx in items_raw.index[item_ids.isna()]:
            value = items_raw[idx]
            if value == "":
                expected = "an item ID (this column is required)"
            else:
                close = difflib.get_close_matches(value.upper(), ids, n=1)
                expected = (f"an item ID of questionnaire {q.name} ({ids[0]} ... {ids[-1]})"
                            + (f"; did you mean {close[0]!r}?" if close else ""))
            problems.append(Problem(file, int(rows[idx]), "item_id", value, expected))

    # lines: 1, "1st", "first line", "LOA 2", "Internal audit" ...
    line_lookup = q.line_lookup()
    line_keys = lines_raw.map(header_key)
    stripped = line_keys.str.replace(_LINE_WORDS, "", regex=True)
    line_nums = line_keys.map(line_lookup).fillna(stripped.map(line_lookup))
    if "line" in frame:
        for idx in lines_raw.index[line_nums.isna()]:
            value = lines_raw[idx]
            expected = _expected_line(q) + (" (this column is required)" if value == "" else "")
            problems.append(Problem(file, int(rows[idx]), "line", value, expected))

    # ratings: whole numbers on the scale, or the scale's labels; empty = not rated by that line
    labels = q.rating_lookup()
    whole = ratings_raw.str.extract(_WHOLE, expand=False)
    numbers = pd.to_numeric(whole, errors="coerce")
    by_label = pd.to_numeric(ratings_raw.map(lambda v: labels.get(normalise_label(v))), errors="coerce")
    rating = numbers.fillna(by_label)
    bad = (ratings_raw != "") & (rating.isna() | (rating < 1) | (rating > q.max_rating))
    for idx in ratings_raw.index[bad]:
        problems.append(Problem(file, int(rows[idx]), "rating", ratings_raw[idx], _expected_rating(q)))

    # one rating per item and line
    keyed = pd.DataFrame({"item": item_ids, "line": line_nums, "row": rows}).dropna(subset=["item", "line"])
    dupes = keyed[keyed.duplicated(["item", "line"], keep=False)]
    for (item, line), group in dupes.groupby(["item", "line"], sort=False):
        where = ", ".join(map(str, group["row"].tolist()))
        for idx in group.index:
            problems.append(Problem(file, int(rows[idx]), "item_id", str(items_raw[idx]),
                                    f"one rating per item and line: rows {where} all give {item} "
                                    f"for line {int(line)}"))
    if problems:
        raise InputError(problems)

    out = pd.DataFrame({
        "row": rows.to_numpy(),
        "item_id": item_ids.astype(object).to_numpy(),
        "line": line_nums.astype(int).to_numpy(),
        "rating": pd.array(rating.where(ratings_raw != ""), dtype="Int64"),
        "respondent": (frame["respondent"] if "respondent" in frame else blank).astype(object).to_numpy(),
        "comment": (frame["comment"] if "comment" in frame else blank).astype(object).to_numpy(),
    })
    return Responses(file=file, frame=out)


def load_responses(path: str | Path, questionnaire: Questionnaire, sheet: str | None = None) -> Responses:
    """Read and validate a responses file (CSV or .xlsx)."""
    return validate_responses(read_table(path, RESPONSE_COLUMNS, sheet=sheet), questionnaire)


# ---- the assessment ----------------------------------------------------------------------------------
@dataclass
class CosoResult:
    questionnaire: LoadedQuestionnaire
    items: pd.DataFrame
    principles: pd.DataFrame
    components: pd.DataFrame
    respondents: pd.DataFrame
    overall: dict[str, int]
    divergence_threshold: int
    maturity_status: str | None
    responses_file: str | None
    warnings: list[str] = field(default_factory=list)
    organisation: str = ""  # whose assessment: set by run_coso_assessment from the parameters (the form's choice)
    period: str = ""

    @property
    def q(self) -> Questionnaire:
        return self.questionnaire.questionnaire

    @cached_property
    def complete(self) -> pd.DataFrame:
        return self.items[self.items["complete"]]

    @cached_property
    def incomplete(self) -> pd.DataFrame:
        return self.items[~self.items["complete"]]

    @cached_property
    def divergent(self) -> pd.DataFrame:
        return self.items[self.items["divergent"]]

    @property
    def red(self) -> pd.DataFrame:
        return self.items[self.items["band"] == self.q.combined.red_band]


def rating_column(line: int) -> str:
    return f"rating_{line}"


def score_items(q: Questionnaire, responses: Responses, threshold: int) -> pd.DataFrame:
    """One row per questionnaire item: the lines' ratings, combined score, band, completeness, divergence."""
    lines = q.line_numbers
    principles = {p.number: p for p in q.principles}
    items = pd.DataFrame({
        "item_id": [i.id for i in q.items],
        "principle": [i.principle for i in q.items],
        "principle_name": [principles[i.principle].name for i in q.items],
        "component_id": [principles[i.principle].component for i in q.items],
        "component": [q.component(principles[i.principle].component).name for i in q.items],
        "text": [i.text for i in q.items],
        "seed_ref": [i.seed_ref for i in q.items],
    })
    rated = responses.frame.dropna(subset=["rating"])
    grid = (rated.pivot(index="item_id", columns="line", values="rating") if len(rated)
            else pd.DataFrame(index=pd.Index([], name="item_id"), columns=lines))
    grid = grid.reindex(index=items["item_id"], columns=lines).astype("Float64")
    values = grid.to_numpy(dtype=float, na_value=np.nan)
    for k, line in enumerate(lines):
        items[rating_column(line)] = pd.array(values[:, k], dtype="Float64").astype("Int64")

    complete = ~np.isnan(values).any(axis=1)
    combined = np.where(complete, np.nansum(values, axis=1), np.nan)
    items["combined_score"] = pd.array(combined, dtype="Float64").astype("Int64")
    score_band = {s: q.band_for(s) for s in q.reachable_scores}
    items["band"] = pd.Series([score_band[int(s)].name if c else None for s, c in zip(combined, complete,
                                                                                         strict=True)], dtype=object)
    items["band_colour"] = pd.Series([score_band[int(s)].colour if c else None
                                      for s, c in zip(combined, complete, strict=True)], dtype=object)
    items["complete"] = complete
    items["missing_lines"] = [", ".join(str(ln) for ln, v in zip(lines, row, strict=True) if np.isnan(v))
                              for row in values]

    # divergence, judged on complete items: spread of the lines' ratings, and the line that stands apart
    safe = np.where(complete[:, None], values, 0.0)
    spread = np.where(complete, safe.max(axis=1) - safe.min(axis=1), np.nan)
    items["spread"] = pd.array(spread, dtype="Float64").astype("Int64")
    divergent = complete & (np.nan_to_num(spread, nan=-1) >= threshold)
    items["divergent"] = divergent
    median = np.median(safe, axis=1)
    distance = np.abs(safe - median[:, None])
    furthest = distance.max(axis=1)
    n_furthest = (distance == furthest[:, None]).sum(axis=1)
    apart = distance.argmax(axis=1)
    items["stands_apart"] = pd.Series(
        [(q.line(lines[a]).label + f" (line {lines[a]})" if n == 1 else NO_SINGLE_LINE) if d else None
         for a, n, d in zip(apart, n_furthest, divergent, strict=True)], dtype=object)
    items["stands_apart_line"] = pd.array([lines[a] if d and n == 1 else None
                                           for a, n, d in zip(apart, n_furthest, divergent, strict=True)],
                                          dtype="Int64")

    # comments and respondents, per item, labelled by line
    noted = responses.frame[responses.frame["comment"].astype(str).str.strip() != ""]
    if len(noted):
        labelled = noted.sort_values("line").assign(
            text=lambda f: f["line"].map(lambda n: q.line(int(n)).label) + ": " + f["comment"].astype(str))
        comments = labelled.groupby("item_id")["text"].agg("; ".join)
    else:
        comments = pd.Series(dtype=object)
    items["comments"] = pd.Series([comments.get(i, "") for i in items["item_id"]], dtype=object)
    return items


def _rollup(items: pd.DataFrame, key: str, red_band: str) -> pd.DataFrame:
    """Counts, completeness, mean and minimum combined score (complete items only), red and divergent items."""
    g = items.assign(_red=items["band"] == red_band, _score=items["combined_score"].astype("Float64"))
    grouped = g.groupby(key, sort=False)
    out = pd.DataFrame({
        "items": grouped.size(),
        "complete_items": grouped["complete"].sum(),
        "mean_combined": grouped["_score"].mean(),
        "min_combined": grouped["_score"].min(),
        "red_items": grouped["_red"].sum(),
        "divergent_items": grouped["divergent"].sum(),
    })
    return out


def _present(row: pd.Series, rule: PresentRule) -> tuple[bool | None, str, str]:
    """(judgement, status, reason) for one principle under the questionnaire's rule."""
    if row["items"] == 0:
        return None, NOT_ASSESSED, "no items in the questionnaire"
    missing = int(row["items"] - row["complete_items"])
    if row["complete_items"] == 0 or (rule.require_all_complete and missing):
        return None, INCOMPLETE, f"{missing} of {int(row['items'])} item(s) not rated by every line"
    reasons = []
    if row["red_items"] > rule.max_red_items:
        reasons.append(f"{int(row['red_items'])} red item(s)")
    if row["mean_combined"] < rule.min_mean_combined:
        reasons.append(f"mean {row['mean_combined']:.2f} below {rule.min_mean_combined:g}")
    if reasons:
        return False, NOT_PRESENT, "; ".join(reasons)
    return True, PRESENT, (f"mean {row['mean_combined']:.2f}, at least {rule.min_mean_combined:g}; "
                           f"{int(row['red_items'])} red item(s)")


def _principles(q: Questionnaire, items: pd.DataFrame) -> pd.DataFrame:
    red = q.combined.red_band
    rolled = _rollup(items, "principle", red)
    frame = pd.DataFrame({
        "principle": [p.number for p in q.principles],
        "name": [p.name for p in q.principles],
        "component_id": [p.component for p in q.principles],
        "component": [q.component(p.component).name for p in q.principles],
    })
    frame = frame.join(rolled, on="principle")
    for col in ("items", "complete_items", "red_items", "divergent_items"):
        frame[col] = frame[col].fillna(0).astype(int)
    frame["completeness"] = (frame["complete_items"] / frame["items"].where(frame["items"] > 0)).round(4)
    frame["mean_combined"] = frame["mean_combined"].astype(float).round(2)
    frame["min_combined"] = frame["min_combined"].astype("Float64").astype("Int64")
    frame["assessed"] = frame["items"] > 0
    judged = [_present(row, q.present_and_functioning) for _, row in frame.iterrows()]
    frame["present_and_functioning"] = pd.Series([j[0] for j in judged], dtype=object)
    frame["status"] = [j[1] for j in judged]
    frame["reason"] = [j[2] for j in judged]
    frame["band_of_mean"] = [q.band_for(m).name if pd.notna(m) else None for m in frame["mean_combined"]]
    frame["band_colour"] = [q.band_for(m).colour if pd.notna(m) else None for m in frame["mean_combined"]]
    return frame


def _components(q: Questionnaire, items: pd.DataFrame, principles: pd.DataFrame) -> pd.DataFrame:
    rolled = _rollup(items, "component_id", q.combined.red_band)
    frame = pd.DataFrame({"component_id": [c.id for c in q.components], "component": [c.name for c in q.components]})
    frame = frame.join(rolled, on="component_id")
    for col in ("items", "complete_items", "red_items", "divergent_items"):
        frame[col] = frame[col].fillna(0).astype(int)
    frame["completeness"] = (frame["complete_items"] / frame["items"].where(frame["items"] > 0)).round(4)
    frame["mean_combined"] = frame["mean_combined"].astype(float).round(2)
    frame["min_combined"] = frame["min_combined"].astype("Float64").astype("Int64")
    counts = principles.groupby(["component_id", "status"]).size().unstack(fill_value=0)
    frame["principles"] = frame["component_id"].map(principles.groupby("component_id").size()).fillna(0).astype(int)
    for status in STATUSES:
        col = "principles_" + status.replace(" ", "_")
        frame[col] = (frame["component_id"].map(counts[status]) if status in counts else 0)
        frame[col] = frame[col].fillna(0).astype(int)
    frame["band_of_mean"] = [q.band_for(m).name if pd.notna(m) else None for m in frame["mean_combined"]]
    frame["band_colour"] = [q.band_for(m).colour if pd.notna(m) else None for m in frame["mean_combined"]]
    return frame


def _respondents(q: Questionnaire, responses: Responses, items: pd.DataFrame) -> pd.DataFrame:
    f = responses.frame
    rows = []
    for ln in q.lines:
        mine = f[f["line"] == ln.line]
        names = sorted({str(n) for n in mine["respondent"] if str(n).strip()})
        rated = int(items[rating_column(ln.line)].notna().sum())
        rows.append({"line": ln.line, "name": ln.name, "key_question": ln.key_question,
                     "respondents": ", ".join(names), "items_rated": rated, "items_not_rated": len(items) - rated})
    return pd.DataFrame(rows)


def assess(loaded: LoadedQuestionnaire, responses: Responses | None = None, divergence_threshold: int | None = None,
           maturity_status: str | None = None) -> CosoResult:
    """Score every item, roll up to principles and components, and judge each principle.

    ``responses`` None means no responses file: every item is incomplete. ``maturity_status`` (fragmented,
    integrated, risk intelligent) adds the questionnaire's applicability warning when it is not suitable.
    """
    q = loaded.questionnaire
    threshold = q.divergence.threshold if divergence_threshold is None else int(divergence_threshold)
    if threshold < 1:
        raise ValueError(f"divergence threshold {threshold}: expected 1 or more")
    status = normalise_maturity(maturity_status)
    if maturity_status is not None and status is None:
        raise ValueError(f"maturity status {maturity_status!r}: expected one of {', '.join(MATURITY_STATUSES)}")
    warnings: list[str] = []
    if status is not None and q.applicability is not None and status in q.applicability.not_suitable:
        warnings.append(f"Maturity status {status}: {q.applicability.warning}")
    if responses is None:
        warnings.append("No responses file was given: every item is incomplete and nothing is scored.")
        responses = Responses.empty()

    items = score_items(q, responses, threshold)
    principles = _principles(q, items)
    components = _components(q, items, principles)
    respondents = _respondents(q, responses, items)
    overall = {"principles": len(principles)} | {s: int((principles["status"] == s).sum()) for s in STATUSES}

    for p in principles[~principles["assessed"]].itertuples(index=False):
        warnings.append(f"Principle {p.principle} ({p.name}) has no items in questionnaire {q.name}: "
                        f"not assessed.")
    n_incomplete = int((~items["complete"]).sum())
    if n_incomplete and len(responses.frame):
        missing = ", ".join(f"{q.line(r.line).label} {r.items_not_rated}" for r in respondents.itertuples(index=False)
                            if r.items_not_rated)
        warnings.append(f"{n_incomplete} of {len(items)} items are incomplete (ratings missing: {missing}); "
                        f"they are listed, never scored.")
    for r in respondents.itertuples(index=False):
        if len(responses.frame) and r.items_rated == 0:
            warnings.append(f"{r.name} has rated no item.")
    return CosoResult(questionnaire=loaded, items=items, principles=principles, components=components,
                      respondents=respondents, overall=overall, divergence_threshold=threshold,
                      maturity_status=status, responses_file=responses.file if len(responses.frame) else None,
                      warnings=warnings)


def load_coso_inputs(params: CosoParams, responses_table: Table | None = None
                     ) -> tuple[LoadedQuestionnaire, Responses | None]:
    """Load and check the questionnaire and responses the parameters name; scores nothing.

    Raises QuestionnaireError or InputError, so ``workbook run`` can fail fast.
    """
    loaded = load_questionnaire(params.questionnaire_ref())
    if responses_table is None and params.source == "store":  # the answers saved through the form
        from workbook_lib.core.records import table_for

        responses_table = table_for(params, "coso_response")
    if responses_table is not None:
        return loaded, validate_responses(responses_table, loaded.questionnaire)
    if params.responses is None:
        return loaded, None
    return loaded, load_responses(params.resolve(params.responses), loaded.questionnaire, sheet=params.sheet)


def run_coso_assessment(params: CosoParams, responses_table: Table | None = None) -> CosoResult:
    """Load the questionnaire and responses named by the parameters (or use ``responses_table``) and assess."""
    loaded, responses = load_coso_inputs(params, responses_table)
    result = assess(loaded, responses, divergence_threshold=params.divergence_threshold,
                    maturity_status=maturity_of(params))
    result.organisation, result.period = params.organisation, params.period
    return result


def maturity_of(params: Any) -> str | None:
    """The maturity status for the applicability note: stated in the parameters, else scored from the marks
    (the file named by ``marks``, or with ``source: store`` the marks saved for the organisation and period)."""
    if params.maturity_status:
        return params.maturity_status
    from workbook_lib.assessments.maturity.scoring import maturity_status

    if getattr(params, "source", "file") == "store":
        from workbook_lib.core.records import table_for

        table = table_for(params, "maturity_mark")
        return maturity_status(table) if len(table.frame) else None
    if not getattr(params, "marks", None):
        return None
    return maturity_status(params.resolve(params.marks))


# ---- outputs -----------------------------------------------------------------------------------------
def _value(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def coso_summary(result: CosoResult, organisation: str, period: str) -> dict[str, Any]:
    """The JSON contract of the COSO assessment (see README)."""
    lines = result.q.line_numbers
    items = [
        {"item_id": r["item_id"], "principle": int(r["principle"]), "component": r["component"],
         "ratings": {str(ln): _value(r[rating_column(ln)]) for ln in lines},
         "combined_score": _value(r["combined_score"]), "band": _value(r["band"]),
         "complete": bool(r["complete"]), "divergent": bool(r["divergent"])}
        for r in result.items.to_dict("records")
    ]
    principles = [
        {"principle": int(p["principle"]), "name": p["name"], "component": p["component"],
         "assessed": bool(p["assessed"]), "mean_combined": _value(p["mean_combined"]),
         "present_and_functioning": _value(p["present_and_functioning"])}
        for p in result.principles.to_dict("records")
    ]
    return {"assessment": ASSESSMENT, "organisation": organisation, "period": period,
            "questionnaire": result.questionnaire.provenance(), "items": items, "principles": principles,
            "warnings": list(result.warnings)}


def key_figures(result: CosoResult) -> str:
    """One stable line of the figures a committee looks at first (checked by the notebook tests)."""
    items = result.items
    bands = items["band"].value_counts()
    levels = ", ".join(f"{b.name} {int(bands.get(b.name, 0))}" for b in result.q.combined.bands)
    o = result.overall
    return (f"items {len(items)} | complete {int(items['complete'].sum())} | "
            f"incomplete {int((~items['complete']).sum())} | combined: {levels} | "
            f"divergent {int(items['divergent'].sum())} | principles {o['principles']}: "
            f"present and functioning {o[PRESENT]}, not present and functioning {o[NOT_PRESENT]}, "
            f"incomplete {o[INCOMPLETE]}, not assessed {o[NOT_ASSESSED]}")


ITEM_COLUMNS_HEAD = ["item_id", "component", "principle", "principle_name", "seed_ref", "text"]
ITEM_COLUMNS_TAIL = ["combined_score", "band", "complete", "missing_lines", "spread", "divergent", "stands_apart",
                     "comments"]
PRINCIPLE_COLUMNS = ["principle", "name", "component", "items", "complete_items", "completeness", "mean_combined",
                     "min_combined", "band_of_mean", "red_items", "divergent_items", "assessed",
                     "present_and_functioning", "status", "reason"]
COMPONENT_COLUMNS = ["component_id", "component", "principles", "items", "complete_items", "completeness",
                     "mean_combined", "min_combined", "band_of_mean", "red_items", "divergent_items",
                     *("principles_" + s.replace(" ", "_") for s in STATUSES)]


def items_table(result: CosoResult) -> pd.DataFrame:
    ratings = [rating_column(ln) for ln in result.q.line_numbers]
    return result.items[ITEM_COLUMNS_HEAD + ratings + ITEM_COLUMNS_TAIL]


def method_table(result: CosoResult) -> pd.DataFrame:
    q = result.q
    rule = q.present_and_functioning
    rows = [("questionnaire", q.name), ("version", q.version), ("sha256", result.questionnaire.sha256),
            ("title", q.title), ("source", q.source), ("responses", result.responses_file or "(none)"),
            ("maturity status", result.maturity_status or "(not stated)"),
            ("combined score", q.combined.rule), ("divergence threshold", str(result.divergence_threshold)),
            ("present and functioning", rule.description or
             f"all complete {rule.require_all_complete}, red items at most {rule.max_red_items}, "
             f"mean at least {rule.min_mean_combined:g}")]
    rows += [(f"rating {lv.value}: {lv.label}", lv.description) for lv in q.scale]
    rows += [(f"line {ln.line}: {ln.name}", ln.key_question) for ln in q.lines]
    rows += [(f"band {b.name} ({b.min}-{b.max})", b.meaning) for b in q.combined.bands]
    rows += [(f"note: {n.topic}", n.decision) for n in q.notes]
    return pd.DataFrame(rows, columns=["item", "value"])


def result_tables(result: CosoResult) -> dict[str, pd.DataFrame]:
    """The Excel workbook: one sheet per table."""
    items = items_table(result)
    return {
        "Items": items,
        "Principles": result.principles[PRINCIPLE_COLUMNS],
        "Components": result.components[COMPONENT_COLUMNS],
        "Divergent": items[result.items["divergent"]],
        "Incomplete": items[~result.items["complete"]],
        "Respondents": result.respondents,
        "Method": method_table(result),
        "Warnings": pd.DataFrame({"warning": result.warnings}, dtype=object),
    }


def write_outputs(result: CosoResult, organisation: str, period: str, output_dir: str | Path,
                  stem: str = ASSESSMENT) -> list[Path]:
    """The JSON summary and the Excel tables; returns [json path, xlsx path]."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [write_json(coso_summary(result, organisation, period), out / f"{stem}.json"),
            write_excel(result_tables(result), out / f"{stem}.xlsx")]


# ---- what the notebook shows -------------------------------------------------------------------------
def _ids(frame: pd.DataFrame, limit: int = 12) -> str:
    ids = frame["item_id"].tolist()
    more = len(ids) - limit
    return esc(", ".join(ids[:limit]) + (f" and {more} more" if more > 0 else ""))


def _are(n: int) -> str:
    return "is" if n == 1 else "are"


def _principle_list(frame: pd.DataFrame) -> str:
    return esc(", ".join(str(p) for p in frame["principle"]))


def opening_narrative(result: CosoResult, organisation: str, period: str, as_of: dt.date | None = None) -> str:
    """The headline an audit committee reads first; the applicability warning, if any, comes first of all."""
    q = result.q
    items, p, o = result.items, result.principles, result.overall
    lines = [f"## {esc(organisation)}: COSO control assessment, {esc(period)}"]
    applicability = [w for w in result.warnings if w.startswith("Maturity status")]
    if applicability:
        lines.append("> **Applicability warning.** " + esc(applicability[0]))
    when = f"As of **{as_of:%d %B %Y}**, the" if as_of else "The"
    lines.append(
        f"{when} questionnaire holds **{len(items)} items** testing **{len(p)} principles** in "
        f"{len(q.components)} components. **{len(result.complete)}** items have been rated by all "
        f"{len(q.lines)} lines of assurance"
        + (f"; **{len(result.incomplete)} are incomplete** and are listed, never scored" if len(result.incomplete)
           else "") + ".")
    bands = result.complete["band"].value_counts()
    lines.append("Combined scores: " + ", ".join(
        f"**{int(bands.get(b.name, 0))}** {esc(b.name)} ({b.min}-{b.max})" for b in q.combined.bands) + "."
        + (f" Red items, where management must improve the control environment first: {_ids(result.red)}."
           if len(result.red) else " No item is red."))
    pf = p[p["status"] == PRESENT]
    not_pf = p[p["status"] == NOT_PRESENT]
    lines.append(
        f"**{o[PRESENT]} of {o['principles']} principles** are judged present and functioning"
        + (f" ({_principle_list(pf)})" if len(pf) else "")
        + f"; **{o[NOT_PRESENT]}** {_are(o[NOT_PRESENT])} not" + (f" ({_principle_list(not_pf)})" if len(not_pf)
                                                                  else "")
        + f"; {o[INCOMPLETE]} cannot be judged yet because ratings are missing"
        + (f" ({_principle_list(p[p['status'] == INCOMPLETE])})" if o[INCOMPLETE] else "")
        + f"; {o[NOT_ASSESSED]} {_are(o[NOT_ASSESSED])} not assessed"
        + (f" ({_principle_list(p[p['status'] == NOT_ASSESSED])})" if o[NOT_ASSESSED] else "") + ".")
    if len(result.divergent):
        lines.append(f"The lines disagree by {result.divergence_threshold} or more points on "
                     f"**{len(result.divergent)}** item(s): {_ids(result.divergent)}.")
    maturity = result.maturity_status or "not stated"
    lines.append(f"Questionnaire: *{esc(q.title)}* ({esc(q.name)} {esc(q.version)}); maturity status: "
                 f"{esc(maturity)}.")
    others = [w for w in result.warnings if w not in applicability]
    if others:
        lines.append("**Warnings**\n\n" + "\n".join(f"- {esc(w)}" for w in others))
    return "\n\n".join(lines)


def rating_guide(result: CosoResult) -> str:
    """How the lines rated: the scale, each line's key question, and what the combined bands mean."""
    q = result.q
    scale = "\n".join(f"| {lv.value} | {esc(lv.label)} | {esc(lv.description)} |" for lv in q.scale)
    lines = "\n".join(f"| {ln.line} | {esc(ln.name)} | {esc(ln.key_question)} |" for ln in q.lines)
    bands = "\n".join(f"| {esc(b.name)} | {b.min}-{b.max} | {esc(b.meaning)} |" for b in q.combined.bands)
    return ("## How the items were rated\n"
            f"Each line of assurance rated every item on its own, from 1 to {q.max_rating}:\n\n"
            f"| Rating | Level | Meaning |\n|---|---|---|\n{scale}\n\n"
            f"Each line answered its own key question:\n\n| Line | Who | Key question |\n|---|---|---|\n{lines}\n\n"
            f"The combined score is the {esc(q.combined.rule)} ({min(q.reachable_scores)}-{max(q.reachable_scores)}),"
            f" read against the heat map:\n\n| Band | Combined | Meaning |\n|---|---|---|\n{bands}")


def principles_narrative(result: CosoResult) -> str:
    """Which principles are present and functioning, and why the others are not (or not yet) judged so."""
    rule = result.q.present_and_functioning
    p = result.principles
    parts = [f"## Principles\n{esc(rule.description)}"]
    for status, title in ((NOT_PRESENT, "Not present and functioning"), (INCOMPLETE, "Not judged: incomplete"),
                          (NOT_ASSESSED, "Not assessed")):
        chosen = p[p["status"] == status]
        if len(chosen):
            parts.append(f"**{title}**\n\n" + "\n".join(
                f"- Principle {r.principle} ({esc(r.name)}): {esc(r.reason)}" for r in chosen.itertuples(index=False)))
    return "\n\n".join(parts)


def divergence_narrative(result: CosoResult) -> str:
    d = result.divergent
    head = (f"## Where the lines disagree\nAn item is divergent when its three ratings differ by "
            f"{result.divergence_threshold} or more points (judged on complete items). The line that stands apart "
            f"is the one furthest from the middle rating; when two lines are equally far, no single line stands "
            f"apart.")
    if not len(d):
        return head + "\n\nNo complete item is divergent."
    counts = d["stands_apart"].value_counts()
    single = counts.drop(NO_SINGLE_LINE, errors="ignore")
    text = "; ".join(f"{esc(name)} on {int(n)}" for name, n in single.items())
    none = int(counts.get(NO_SINGLE_LINE, 0))
    return (head + f"\n\n**{len(d)}** divergent item(s). The line standing apart: "
            + (text or "none") + (f"; no single line stands apart on {none}." if none else "."))


def _line_headings(frame: pd.DataFrame, q: Questionnaire) -> pd.DataFrame:
    """rating_1 -> 'Management (1)' for what the notebook shows; exports keep the canonical names."""
    return frame.rename(columns={rating_column(ln.line): f"{ln.label} ({ln.line})" for ln in q.lines})


def principle_view(result: CosoResult) -> pd.DataFrame:
    cols = ["principle", "name", "component", "items", "complete_items", "mean_combined", "min_combined",
            "band_of_mean", "red_items", "divergent_items", "status", "reason"]
    return result.principles[cols]


def component_view(result: CosoResult) -> pd.DataFrame:
    return result.components[COMPONENT_COLUMNS[1:]]


def divergent_view(result: CosoResult) -> pd.DataFrame:
    ratings = [rating_column(ln) for ln in result.q.line_numbers]
    cols = ["item_id", "principle", *ratings, "combined_score", "band", "spread", "stands_apart", "comments"]
    return _line_headings(result.divergent.sort_values(["spread", "item_id"], ascending=[False, True])[cols],
                          result.q)


def incomplete_view(result: CosoResult) -> pd.DataFrame:
    ratings = [rating_column(ln) for ln in result.q.line_numbers]
    return _line_headings(result.incomplete[["item_id", "principle", *ratings, "missing_lines", "comments"]],
                          result.q)


def red_view(result: CosoResult) -> pd.DataFrame:
    ratings = [rating_column(ln) for ln in result.q.line_numbers]
    return _line_headings(result.red[["item_id", "principle", "text", *ratings, "combined_score", "comments"]],
                          result.q)


def method_note(result: CosoResult) -> str:
    """Provenance, the rules applied and every decision the questionnaire records about its source."""
    q = result.q
    rule = q.present_and_functioning
    bands = "\n".join(f"| {esc(b.name)} | {b.min}-{b.max} | {esc(b.colour)} |" for b in q.combined.bands)
    notes = "\n".join(f"- **{esc(n.topic)}**: {esc(n.decision)}" for n in q.notes)
    return (f"## Method and provenance\n"
            f"Questionnaire **{esc(q.name)}**, version {esc(q.version)}, SHA-256 `{result.questionnaire.sha256}`"
            + (f"; source: {esc(q.source)}" if q.source else "") + ".\n\n"
            f"Combined score = {esc(q.combined.rule)}; an item missing any line's rating is incomplete and is "
            f"never summed. Means and minimums count complete items only. Red band: {esc(q.combined.red_band)}. "
            f"Divergence threshold: {result.divergence_threshold}. Present and functioning: all items complete "
            f"{'required' if rule.require_all_complete else 'not required'}, at most {rule.max_red_items} red "
            f"item(s), mean combined at least {rule.min_mean_combined:g}.\n\n"
            f"| Band | Combined | Colour |\n|---|---|---|\n{bands}\n\n"
            f"**Decisions recorded in the questionnaire file** (where the source document is silent or "
            f"inconsistent):\n\n{notes or '- none recorded'}")
