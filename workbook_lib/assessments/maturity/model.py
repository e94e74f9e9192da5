"""The maturity matrix as data: statuses, the five-level index, status bands, assessments A (risk governance),
B (risk systems) and C (risk processes) with their groups and elements (one description per status), the
roadmap timelines and the capacity items; loaded from a shipped YAML file
(``workbook_lib/assessments/maturity/data/maturity-matrix.yaml``) or the user's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from workbook_lib.core.datafiles import (
    Loaded,
    Note,
    ScoreRange,
    Strict,
    normalise_label,
    shipped_files,
    unique_names,
)

SHIPPED_DIR = Path(__file__).parent / "data"
DEFAULT_MATRIX = "maturity-matrix"
ASSESSMENT_NAME = "maturity-scoring"


class MatrixError(ValueError):
    """A maturity matrix file is missing, unreadable or inconsistent."""


def status_key(text: str) -> str:
    """A status spelling as compared: case folded, spaces collapsed, hyphens and underscores as spaces."""
    return normalise_label(text).replace("-", " ").replace("_", " ")


def _spaced(names: list[str]) -> list[str]:
    """Names with hyphens and underscores as spaces, so uniqueness is checked as status spellings compare."""
    return [n.replace("-", " ").replace("_", " ") for n in names]


class Status(Strict):
    mark: int = Field(ge=1)
    name: str = Field(min_length=1)
    label: str = Field(min_length=1)
    aliases: list[str] = []
    index_levels: list[str] = Field(min_length=1)
    toolkit: str = Field(min_length=1)
    toolkit_note: str = ""
    colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")


class IndexLevel(Strict):
    level: int = Field(ge=1)
    name: str = Field(min_length=1)
    label: str = Field(min_length=1)
    status: str
    description: str = Field(min_length=1)


class MatrixBand(ScoreRange):
    status: str

    @property
    def label(self) -> str:
        return self.status


class Banding(Strict):
    basis_elements: int = Field(ge=1, description="the element count the published bands are totals for")
    rule: Literal["proportional", "as_published"] = "proportional"
    bands: list[MatrixBand] = Field(min_length=1)


class Element(Strict):
    id: str = Field(pattern=r"^[A-Z]+[1-9][0-9]*$")
    name: str = Field(min_length=1)
    descriptions: list[str] = Field(min_length=1, description="one per status, in mark order")


class Group(Strict):
    name: str = Field(min_length=1)
    elements: list[Element] = Field(min_length=1)


class Assessment(Strict):
    id: str = Field(pattern=r"^[A-Z]+$")
    name: str = Field(min_length=1)
    source: str = ""
    description: str = ""
    groups: list[Group] = Field(min_length=1)

    @property
    def elements(self) -> list[Element]:
        return [e for g in self.groups for e in g.elements]


class PlanningYears(Strict):
    min: int = Field(ge=0)
    max: int = Field(ge=1)


class RoadmapStep(Strict):
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


class Roadmap(Strict):
    planning_years: PlanningYears
    steps: list[RoadmapStep] = []


class Line(Strict):
    line: int = Field(ge=1)
    name: str = Field(min_length=1)
    description: str = ""


class CapacityItem(Strict):
    id: int = Field(ge=1)
    section: str
    seed_ref: str = ""
    text: str = Field(min_length=1)


class CapacityTemplate(Strict):
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


class Matrix(Strict):
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
        self._check_statuses()
        self._check_elements()
        self._check_bands()
        self._check_roadmap()
        self._check_capacity()
        return self

    def _check_statuses(self) -> None:
        marks = [s.mark for s in self.statuses]
        if marks != list(range(1, len(marks) + 1)):
            raise ValueError(f"status marks must be 1..{len(marks)} in order, got {marks}")
        unique_names(_spaced([k for s in self.statuses for k in (s.name, *s.aliases, str(s.mark))]),
                     "status name or alias")
        names = self.status_names
        levels = [lv.level for lv in self.index]
        if levels != list(range(1, len(levels) + 1)):
            raise ValueError(f"index levels must be 1..{len(levels)} in order, got {levels}")
        for lv in self.index:
            if lv.status not in names:
                raise ValueError(f"index level {lv.name!r}: status {lv.status!r} is not one of {names}")

    def _check_elements(self) -> None:
        unique_names([a.id for a in self.assessments], "assessment id")
        unique_names([e.id for a in self.assessments for e in a.elements], "element id")
        for a in self.assessments:
            for e in a.elements:
                if not e.id.startswith(a.id) or not e.id[len(a.id):].isdigit():
                    raise ValueError(f"element {e.id!r} is in assessment {a.id!r}: its id must be {a.id}<number>")
                if len(e.descriptions) != len(self.statuses) or any(not d.strip() for d in e.descriptions):
                    raise ValueError(f"element {e.id!r}: needs {len(self.statuses)} non-empty descriptions "
                                     f"(one per status: {', '.join(self.status_names)}), got {len(e.descriptions)}")

    def _check_bands(self) -> None:
        names = self.status_names
        if [b.status for b in self.banding.bands] != names:
            raise ValueError(f"banding: one band per status in mark order ({', '.join(names)}), got "
                             f"{[b.status for b in self.banding.bands]}")
        basis = self.banding.basis_elements
        published = [(b.min, b.max) for b in self.banding.bands]
        problems = band_gaps(published, basis * self.statuses[0].mark, basis * self.max_mark)
        if problems:
            raise ValueError("published bands: " + "; ".join(problems))
        problems = band_gaps([(b.min, b.max) for b in self.bands], self.min_total, self.max_total)
        if problems:
            raise ValueError(f"bands applied to {self.element_count} elements: " + "; ".join(problems))

    def _check_roadmap(self) -> None:
        names = self.status_names
        for step in self.roadmap.steps:
            for s in (step.from_status, step.to_status):
                if s not in names:
                    raise ValueError(f"roadmap step: status {s!r} is not one of {names}")
            if names.index(step.to_status) != names.index(step.from_status) + 1:
                raise ValueError(f"roadmap step {step.from_status} -> {step.to_status}: steps go one status up")
        if self.roadmap.planning_years.min > self.roadmap.planning_years.max:
            raise ValueError("roadmap planning_years: min is above max")

    def _check_capacity(self) -> None:
        cap = self.capacity
        if [ln.line for ln in cap.lines] != list(range(1, len(cap.lines) + 1)):
            raise ValueError(f"capacity lines must be 1..{len(cap.lines)} in order")
        ids = [i.id for i in cap.items]
        if ids != list(range(1, len(ids) + 1)):
            raise ValueError(f"capacity items must be numbered 1..{len(ids)} in order, got {ids}")
        unique_names(_spaced(cap.sections), "capacity section")
        for item in cap.items:
            if item.section not in cap.sections:
                raise ValueError(f"capacity item {item.id}: section {item.section!r} is not one of {cap.sections}")

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
        key = status_key(str(name_or_mark))
        if key not in lookup:
            raise KeyError(name_or_mark)
        return self.statuses[lookup[key] - 1]

    def status_lookup(self) -> dict[str, int]:
        """Accepted spellings of a status (mark, name, label, aliases; case-folded) -> mark."""
        out: dict[str, int] = {}
        for s in self.statuses:
            for key in (str(s.mark), s.name, s.label, *s.aliases):
                out[status_key(key)] = s.mark
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



class LoadedMatrix(Loaded):
    """A matrix with the provenance every output records."""

    matrix: Matrix


def shipped() -> dict[str, Path]:
    """Shipped maturity matrix names -> files."""
    return shipped_files(SHIPPED_DIR, "maturity-*.yaml")


def load_matrix(name_or_path: str | Path = DEFAULT_MATRIX, base_dir: Path | None = None) -> LoadedMatrix:
    """Load a shipped matrix by name, or the user's own YAML file by path."""
    return LoadedMatrix.load(name_or_path, shipped(), MatrixError, "maturity matrix", base_dir)



def as_matrix(matrix: Matrix | LoadedMatrix) -> Matrix:
    """The matrix itself, whether given bare or loaded."""
    return matrix.matrix if isinstance(matrix, LoadedMatrix) else matrix
