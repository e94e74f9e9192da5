"""The metrics catalogue as data: each metric's risk type, its tolerance as written, its unit, its favourable
direction (higher is better, lower is better or on target) and, where the text leaves them open, its direction and
target (with the decision taken and what the source says). Also who deviations are escalated to and what the source
says of its tolerances. Loaded from the shipped YAML file
(``workbook_lib/assessments/monitoring/data/table-25-metrics.yaml``) or the user's own.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import Literal, Self

from pydantic import ConfigDict, Field, model_validator

from workbook_lib.assessments.monitoring.tolerance import (
    Direction,
    Favourable,
    State,
    Tolerance,
    ToleranceError,
    parse_tolerance,
)
from workbook_lib.core.datafiles import Loaded, Strict, load_data_file, normalise_label, shipped_files
from workbook_lib.core.errors import cut, listed, quote

SHIPPED_DIR = Path(__file__).parent / "data"
DEFAULT_CATALOGUE = "table-25-metrics"
SNAKE_CASE = r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$"
# a metric's unit as the catalogue declares it -> the tolerance's unit (None: a count)
UNIT_OF = {"%": "%", "days": "days", "hours": "hours", "ratio": "ratio", "count": None}


class CatalogueError(ValueError):
    """A metrics catalogue file is missing, unreadable or inconsistent."""


class Metric(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=SNAKE_CASE)
    name: str = Field(min_length=1)
    risk_type: str = Field(min_length=1)
    tolerance: str = Field(description="the tolerance range as the source writes it")
    unit: Literal["%", "days", "hours", "ratio", "count"]
    favourable: Favourable | None = Field(default=None, description="higher or lower is better, or on_target (both "
                                          "sides deviate); absent: a one-sided tolerance's own side, else on_target")
    source_says: str | None = Field(default=None, min_length=1, description="the source's words behind the "
                                    "favourable direction; absent: not in the source")
    direction: Direction | None = None
    target: float | None = None
    warning: float | None = Field(default=None, ge=0, le=1, description="warning zone, a fraction of a bound")
    decision: str | None = None
    description: str = Field(min_length=1)

    @property
    def range(self) -> Tolerance:
        """The tolerance read as a range; a text without a unit takes the metric's (a bare 0 of a % metric is 0%)."""
        parsed = parse_tolerance(self.tolerance, self.direction, self.target, self.favourable)
        if parsed.unit is None and UNIT_OF[self.unit] is not None:
            parsed = dataclasses.replace(parsed, unit=UNIT_OF[self.unit])
        return parsed

    def state(self, value: object) -> State:
        """A measured value against the metric's tolerance and warning zone."""
        return self.range.state(value, self.warning)


def _metric_problems(metric: Metric) -> list[str]:
    """What is wrong with one metric's tolerance (unreadable, or in another unit than declared)."""
    try:
        unit = parse_tolerance(metric.tolerance, metric.direction, metric.target, metric.favourable).unit
    except ToleranceError as exc:
        return [f"metric {quote(metric.id, 60)}: {exc}"]
    if unit is not None and unit != UNIT_OF[metric.unit]:
        return [f"metric {quote(metric.id, 60)}: tolerance {quote(metric.tolerance)} is in {unit}, but its unit is "
                f"{metric.unit}"]
    return []


class Catalogue(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1)
    source: str = Field(min_length=1)
    source_name: str = Field("the source", min_length=1, description='the source in a sentence ("the guide")')
    metrics: list[Metric] = Field(min_length=1)
    decisions: list[str] = []
    escalate_to: str | None = Field(None, min_length=1, description="who a metric outside tolerance is escalated to")
    about_tolerances: str | None = Field(None, min_length=1, description="what the source says of its tolerances "
                                         "(examples to adapt, who sets and endorses them)")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        """Every problem at once: ids used twice, names used twice (case-insensitively), unreadable tolerances."""
        problems = [f"metric id {quote(i, 60)} is used {n} times"
                    for i, n in Counter(m.id for m in self.metrics).items() if n > 1]
        by_name: dict[str, list[Metric]] = {}
        for m in self.metrics:
            by_name.setdefault(normalise_label(m.name), []).append(m)
        problems += [f"metric name {quote(same[0].name, 60)} is used {len(same)} times (ids "
                     f"{cut(', '.join(m.id for m in same))})"
                     for same in by_name.values() if len(same) > 1]
        for metric in self.metrics:
            problems += _metric_problems(metric)
        if problems:
            raise ValueError(f"{len(problems):,} problem(s):\n    - " + "\n    - ".join(listed(problems)))
        return self

    @property
    def risk_types(self) -> list[str]:
        """The risk types in the order they first appear."""
        return list(dict.fromkeys(m.risk_type for m in self.metrics))

    def find(self, name_or_id: str) -> Metric:
        """The metric whose id or name matches (case-insensitively, spaces collapsed); KeyError if none."""
        key = normalise_label(name_or_id)
        for metric in self.metrics:
            if key in (normalise_label(metric.id), normalise_label(metric.name)):
                return metric
        raise KeyError(f"no metric with id or name {quote(name_or_id)} in catalogue {quote(self.title)}")


def tolerance_origin(catalogue: Catalogue) -> tuple[list[Metric], list[Metric]]:
    """The metrics whose tolerance is the shipped catalogue's (the source's illustration, adopted unchanged: the
    same metric, by id or name, and the same range) and those whose tolerance is the organisation's own."""
    reference = {normalise_label(key): m for m in load_catalogue().metrics for key in (m.id, m.name)}
    adopted, own = [], []
    for metric in catalogue.metrics:
        same = reference.get(normalise_label(metric.id)) or reference.get(normalise_label(metric.name))
        keep = same is not None and _bounds(same.range) == _bounds(metric.range)
        (adopted if keep else own).append(metric)
    return adopted, own


def _bounds(t: Tolerance) -> tuple:
    return t.low, t.high, t.low_inclusive, t.high_inclusive, t.unit


def shipped() -> dict[str, Path]:
    """Shipped catalogue names -> files."""
    return shipped_files(SHIPPED_DIR, "*-metrics.yaml")


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The shipped catalogue (``table-25-metrics``), or a catalogue file by shipped name or path."""
    catalogue, _path, _sha256 = load_data_file(DEFAULT_CATALOGUE if path is None else path, shipped(), Catalogue,
                                               CatalogueError, "metrics catalogue")
    return catalogue


class LoadedCatalogue(Loaded):
    """A catalogue with the provenance every output records (its file's name stands for its name; no version)."""

    catalogue: Catalogue

    def provenance(self) -> dict[str, str]:
        return {"name": self.path.stem, "version": "", "sha256": self.sha256}


def load_loaded_catalogue(name_or_path: str | Path = DEFAULT_CATALOGUE) -> LoadedCatalogue:
    return LoadedCatalogue.load(name_or_path, shipped(), CatalogueError, "metrics catalogue")
