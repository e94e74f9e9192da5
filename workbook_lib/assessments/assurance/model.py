"""The combined-assurance framework as data: lines, providers, frequency codes, coverage levels, required
coverage, scope and duplication defaults, maturity statuses and plan roles.

The framework is ``data/combined-assurance.yaml`` (or an organisation's own file), validated on load like a
methodology: an inconsistent file is refused with every problem named.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from workbook_lib.assessments.risk.methodology import MethodologyError
from workbook_lib.core.datafiles import Loaded, Note, Strict, normalise_label, shipped_files
from workbook_lib.core.errors import Problem
from workbook_lib.core.params import ParameterError
from workbook_lib.core.tables import header_key

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_FRAMEWORK = "combined-assurance"
MAP_COLUMNS = ("risk_id", "control", "provider", "frequency", "notes")
MAP_REQUIRED = ("risk_id", "provider", "frequency")
DELIVERY_COLUMNS = ("quarter", "risk_id", "control", "provider", "status", "finding", "date", "action", "action_due")
DELIVERY_REQUIRED = ("quarter", "risk_id", "provider", "status")
APPETITE_SCOPE = "appetite"
WHOLE_RISK = "(risk as a whole)"  # shown for a map row that names no control


class FrameworkError(MethodologyError):
    """An assurance framework file is missing, unreadable or inconsistent."""


# ---- the framework as data -------------------------------------------------------------------------
class Line(Strict):
    line: int = Field(ge=1)
    name: str = Field(min_length=1)
    assurance: str = Field(min_length=1)
    holders: str = ""
    independence: Literal["partial", "semi", "full", "none"]
    provides_assurance: bool
    colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")


class ProviderSpec(Strict):
    """An assurance provider as written in the framework, a providers file or the parameters."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$", description="stable id, lower case, e.g. auditor_general")
    name: str = Field(min_length=1)
    line: int = Field(ge=1)
    independent: bool | None = Field(None, description="default: true on a fully independent line")
    description: str = ""


class Frequency(Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9]{0,3}$")
    name: str = Field(min_length=1)
    aliases: list[str] = []
    per_year: float = Field(gt=0, description="activities a year, for workload and comparisons")
    colour: str = Field("#9ecae1", pattern=r"^#[0-9a-fA-F]{6}$")

    @property
    def label(self) -> str:
        return f"{self.code} ({self.name})"


class Condition(Strict):
    min_lines: int = Field(1, ge=1, description="distinct lines among the counted providers")
    independent: bool = False
    min_frequency: str | None = None


class CoverageLevel(Strict):
    name: str = Field(pattern=r"^[a-z][a-z -]*$")
    colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    description: str = ""
    target: bool = Field(True, description="false: never the coverage a risk is required to have")
    any_of: list[Condition] = []


class AppetiteRequired(Strict):
    above: str
    within: str


class RequiredSpec(Strict):
    residual_level: dict[str, str] = {}
    by_rank: list[str] = Field(min_length=1)
    appetite: AppetiteRequired


class ScopeSpec(Strict):
    default: int | str = APPETITE_SCOPE


class DuplicationSpec(Strict):
    max_providers: int = Field(ge=1)
    min_frequency: str


class MaturitySpec(Strict):
    statuses: dict[str, list[str]] = Field(min_length=1)
    independent_only: list[str] = []


class RegisterControls(Strict):
    """How a register's controls cell is split, and the entries that mean no control."""

    separators: list[str] = Field([";", "\n"], min_length=1)
    none_words: list[str] = []


class DeliveryStatus(Strict):
    name: Literal["planned", "delivered", "not delivered"]
    aliases: list[str] = []
    description: str = ""


class DeliverySpec(Strict):
    """Assurance delivered per quarter against the plan."""

    quarters: list[str] = Field(min_length=1)
    every_quarter: str = Field(description="a frequency code: activities this frequent are expected each quarter")
    statuses: list[DeliveryStatus] = Field(min_length=3, max_length=3)
    columns: dict[str, list[str]]

    def status_lookup(self) -> dict[str, str]:
        """Accepted spellings (case-folded) -> status name."""
        return {normalise_label(k): s.name for s in self.statuses for k in (s.name, *s.aliases)}

    def quarter_lookup(self) -> dict[str, str]:
        """Accepted spellings of a quarter ("Q1", "q1", "1", "quarter 1") -> its name."""
        found: dict[str, str] = {}
        for i, q in enumerate(self.quarters, start=1):
            for key in (q, str(i), f"quarter {i}", f"Q{i}"):
                found.setdefault(normalise_label(key), q)
        return found


class PlanRoles(Strict):
    plan_owner: str
    accounting_officer: str
    oversight_committee: str
    coordinator: str


class AssuranceFramework(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    version: str
    title: str
    source: str = ""
    source_called: str = "the source"  # how reports name the source document, e.g. "not in the guide"
    added_by: str = "this organisation"
    lines: list[Line] = Field(min_length=1)
    providers: list[ProviderSpec] = Field(min_length=1)
    frequencies: list[Frequency] = Field(min_length=1)
    coverage: list[CoverageLevel] = Field(min_length=2)
    required: RequiredSpec
    scope: ScopeSpec = ScopeSpec()
    duplication: DuplicationSpec
    maturity: MaturitySpec
    plan_roles: PlanRoles
    map_columns: dict[str, list[str]]
    register_controls: RegisterControls = RegisterControls()
    delivery: DeliverySpec
    not_in_source: list[str] = []  # what this file sets that its source does not give
    notes: list[Note] = []

    @model_validator(mode="after")
    def _consistent(self) -> AssuranceFramework:
        problems: list[str] = []
        numbers = [ln.line for ln in self.lines]
        if len(set(numbers)) != len(numbers):
            problems.append(f"line numbers must be unique, got {numbers}")
        problems += [p.expected for p in provider_problems(self.providers, self.lines, {}, "framework")]
        keys: dict[str, str] = {}
        for f in self.frequencies:
            for key in (f.code, f.name, *f.aliases):
                k = normalise_label(key)
                if k in keys and keys[k] != f.code:
                    problems.append(f"frequency spelling {key!r} is used by both {keys[k]} and {f.code}")
                keys[k] = f.code
        per_year = [f.per_year for f in self.frequencies]
        if per_year != sorted(per_year):
            problems.append("frequencies must be listed from least to most frequent (per_year ascending)")
        codes = {f.code for f in self.frequencies}
        names = [lv.name for lv in self.coverage]
        if len(set(names)) != len(names):
            problems.append(f"coverage level names must be unique, got {names}")
        for lv in self.coverage[:-1]:
            if not lv.any_of:
                problems.append(f"coverage level {lv.name!r} has no condition; only the last level may have none")
        if self.coverage[-1].any_of:
            problems.append(f"the last coverage level ({self.coverage[-1].name!r}) is the fallback: no conditions")
        for lv in self.coverage:
            for c in lv.any_of:
                if c.min_frequency is not None and c.min_frequency not in codes:
                    problems.append(f"coverage {lv.name!r}: min_frequency {c.min_frequency!r} is not a code")
        targets = list(self.required.residual_level.values()) + self.required.by_rank + [
            self.required.appetite.above, self.required.appetite.within]
        problems += [f"required coverage {t!r} is not a coverage level ({', '.join(names)})"
                     for t in dict.fromkeys(targets) if t not in names]
        never = {lv.name for lv in self.coverage if not lv.target}
        problems += [f"required coverage {t!r} is never a target (target: false): a risk in scope with that "
                     f"coverage is a gap" for t in dict.fromkeys(targets) if t in never]
        if self.delivery.every_quarter not in codes:
            problems.append(f"delivery.every_quarter {self.delivery.every_quarter!r} is not a frequency code")
        if sorted(s.name for s in self.delivery.statuses) != ["delivered", "not delivered", "planned"]:
            problems.append("delivery.statuses must list planned, delivered and not delivered once each")
        missing_delivery = [c for c in DELIVERY_COLUMNS if c not in self.delivery.columns]
        if missing_delivery:
            problems.append(f"delivery.columns must list {', '.join(missing_delivery)}")
        if self.duplication.min_frequency not in codes:
            problems.append(f"duplication.min_frequency {self.duplication.min_frequency!r} is not a frequency code")
        unknown = set(self.maturity.independent_only) - set(self.maturity.statuses)
        if unknown:
            problems.append(f"maturity.independent_only names unknown statuses {sorted(unknown)}")
        missing = [c for c in MAP_COLUMNS if c not in self.map_columns]
        if missing:
            problems.append(f"map_columns must list {', '.join(missing)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # ---- derived facts ----------------------------------------------------------------------
    def line(self, number: int) -> Line:
        return next(ln for ln in self.lines if ln.line == number)

    def frequency(self, code: str) -> Frequency:
        return next(f for f in self.frequencies if f.code == code)

    def frequency_lookup(self) -> dict[str, Frequency]:
        return frequency_lookup(self.frequencies)

    def rank(self, level: str) -> int:
        """0 for the weakest coverage level, rising to the strongest."""
        names = [lv.name for lv in self.coverage]
        return len(names) - 1 - names.index(level)

    def level(self, name: str) -> CoverageLevel:
        return next(lv for lv in self.coverage if lv.name == name)

    def targets(self) -> list[str]:
        """The coverage levels a risk may be required to have."""
        return [lv.name for lv in self.coverage if lv.target]

    def register_controls_of(self, cell: object) -> list[str]:
        """A register's controls cell as separate controls (entries meaning "no control" dropped)."""
        text = "" if cell is None or (isinstance(cell, float) and cell != cell) else str(cell)
        for sep in self.register_controls.separators[1:]:
            text = text.replace(sep, self.register_controls.separators[0])
        none = {normalise_label(w) for w in self.register_controls.none_words}
        parts = (p.strip() for p in text.split(self.register_controls.separators[0]))
        return [p for p in parts if p and normalise_label(p) not in none]

    def maturity_status(self, value: str | None) -> str | None:
        """Canonical maturity status for a spelling or alias; ParameterError when unknown."""
        if value is None or str(value).strip() == "":
            return None
        key = normalise_label(str(value).replace("_", " "))
        for status, aliases in self.maturity.statuses.items():
            if key in {normalise_label(s) for s in (status, *aliases)}:
                return status
        raise ParameterError(f"maturity_status {value!r}: expected one of {', '.join(self.maturity.statuses)} "
                             f"(or leave it empty)")


class LoadedFramework(Loaded):
    """A framework with the provenance every output records."""

    framework: AssuranceFramework


def shipped_frameworks() -> dict[str, Path]:
    """Shipped assurance framework names -> files."""
    return shipped_files(DATA_DIR, "combined-assurance*.yaml")


def load_assurance_framework(name_or_path: str | Path = DEFAULT_FRAMEWORK,
                             base_dir: Path | None = None) -> LoadedFramework:
    """Load the shipped framework by name, or an organisation's own YAML file by path."""
    return LoadedFramework.load(name_or_path, shipped_frameworks(), FrameworkError, "assurance framework", base_dir,
                                fields="framework")


def frequency_lookup(frequencies: Iterable[Frequency]) -> dict[str, Frequency]:
    """Accepted spellings (code, name, aliases; case-folded) -> frequency."""
    return {normalise_label(key): f for f in frequencies for key in (f.code, f.name, *f.aliases)}


def provider_problems(specs: list[ProviderSpec], lines: list[Line], taken: dict[str, str],
                      source: str) -> list[Problem]:
    """Problems of providers added to ``taken`` (normalised id or name -> id already used).

    Here rather than in ``providers`` because the framework's own validation uses it.
    """
    by_number = {ln.line: ln for ln in lines}
    assuring = [ln.line for ln in lines if ln.provides_assurance]
    taken = dict(taken)
    problems: list[Problem] = []
    for i, spec in enumerate(specs):
        where = f"providers[{i}]"
        for key_text, column in ((spec.id, "id"), (spec.name, "name")):
            key = header_key(key_text)
            owner = taken.get(key)
            if owner is not None and not (column == "name" and owner == spec.id):
                problems.append(Problem(source, None, f"{where}.{column}", key_text,
                                        f"a provider {column} not already used (provider {owner!r} has it)"))
        taken.setdefault(header_key(spec.id), spec.id)
        taken.setdefault(header_key(spec.name), spec.id)
        line = by_number.get(spec.line)
        if line is None or not line.provides_assurance:
            problems.append(Problem(source, None, f"{where}.line", str(spec.line),
                                    f"a line that provides assurance: {', '.join(map(str, assuring))} "
                                    f"(lines 4 and 5 oversee, they do not assure)"))
        elif spec.independent and line.independence != "full":
            problems.append(Problem(source, None, f"{where}.independent", "true",
                                    f"false: only a provider on a fully independent line "
                                    f"({', '.join(str(n.line) for n in lines if n.independence == 'full')}) "
                                    f"is independent"))
    return problems
