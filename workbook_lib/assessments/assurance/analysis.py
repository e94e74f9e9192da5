"""Combined-assurance gap analysis: who assures which risk, how well, where the gaps and overlaps are.

The framework (lines, providers, frequency codes, the coverage rule, required coverage, scope and
duplication defaults) is data: ``workbook_lib/data/combined-assurance.yaml``, validated on load like a
methodology. The assurance map is a table of (risk, control, provider, frequency) rows, validated like a
register: every problem is collected and raised once as ``InputError``. The analysis takes a risk
evaluation (or a frame with its columns) and never scores risks itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from workbook_lib.assessments.coso.scoring import maturity_of
from workbook_lib.assessments.risk.methodology import MethodologyError
from workbook_lib.assessments.risk.params import RiskEvaluationParams
from workbook_lib.core.datafiles import Note, load_data_file, normalise_label
from workbook_lib.core.datafiles import Strict as _Strict
from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.params import ParameterError
from workbook_lib.core.tables import ROW, Table, header_key, read_table

if TYPE_CHECKING:
    from workbook_lib.assessments.risk.methodology import Band
    from workbook_lib.assessments.risk.scoring import RiskEvaluation

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_FRAMEWORK = "combined-assurance"
MAP_COLUMNS = ("risk_id", "control", "provider", "frequency", "notes")
MAP_REQUIRED = ("risk_id", "provider", "frequency")
APPETITE_SCOPE = "appetite"
WHOLE_RISK = "(risk as a whole)"  # shown for a map row that names no control


class FrameworkError(MethodologyError):
    """An assurance framework file is missing, unreadable or inconsistent."""


# ---- the framework as data -------------------------------------------------------------------------
class Line(_Strict):
    line: int = Field(ge=1)
    name: str = Field(min_length=1)
    assurance: str = Field(min_length=1)
    holders: str = ""
    independence: Literal["partial", "semi", "full", "none"]
    provides_assurance: bool
    colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")


class ProviderSpec(_Strict):
    """An assurance provider as written in the framework, a providers file or the parameters."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$", description="stable id, lower case, e.g. auditor_general")
    name: str = Field(min_length=1)
    line: int = Field(ge=1)
    independent: bool | None = Field(None, description="default: true on a fully independent line")
    description: str = ""


class Frequency(_Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9]{0,3}$")
    name: str = Field(min_length=1)
    aliases: list[str] = []
    per_year: float = Field(gt=0, description="activities a year, for workload and comparisons")
    colour: str = Field("#9ecae1", pattern=r"^#[0-9a-fA-F]{6}$")

    @property
    def label(self) -> str:
        return f"{self.code} ({self.name})"


class Condition(_Strict):
    min_lines: int = Field(1, ge=1, description="distinct lines among the counted providers")
    independent: bool = False
    min_frequency: str | None = None


class CoverageLevel(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z -]*$")
    colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    description: str = ""
    any_of: list[Condition] = []


class AppetiteRequired(_Strict):
    above: str
    within: str


class RequiredSpec(_Strict):
    residual_level: dict[str, str] = {}
    by_rank: list[str] = Field(min_length=1)
    appetite: AppetiteRequired


class ScopeSpec(_Strict):
    default: int | str = APPETITE_SCOPE


class DuplicationSpec(_Strict):
    max_providers: int = Field(ge=1)
    min_frequency: str


class MaturitySpec(_Strict):
    statuses: dict[str, list[str]] = Field(min_length=1)
    independent_only: list[str] = []


class PlanRoles(_Strict):
    plan_owner: str
    accounting_officer: str
    oversight_committee: str
    coordinator: str


class AssuranceFramework(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    version: str
    title: str
    source: str = ""
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


class LoadedFramework(BaseModel):
    """A framework with the provenance every output records."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    framework: AssuranceFramework
    path: Path
    sha256: str

    def provenance(self) -> dict[str, str]:
        f = self.framework
        return {"name": f.name, "version": f.version, "sha256": self.sha256}


def shipped_frameworks() -> dict[str, Path]:
    """Shipped assurance framework names -> files."""
    return {p.stem: p for p in sorted(DATA_DIR.glob("combined-assurance*.yaml"))}


def load_assurance_framework(name_or_path: str | Path = DEFAULT_FRAMEWORK,
                             base_dir: Path | None = None) -> LoadedFramework:
    """Load the shipped framework by name, or an organisation's own YAML file by path."""
    framework, path, sha256 = load_data_file(name_or_path, shipped_frameworks(), AssuranceFramework,
                                             FrameworkError, "assurance framework", base_dir, fields="framework")
    return LoadedFramework(framework=framework, path=path, sha256=sha256)


def frequency_lookup(frequencies: Iterable[Frequency]) -> dict[str, Frequency]:
    """Accepted spellings (code, name, aliases; case-folded) -> frequency."""
    return {normalise_label(key): f for f in frequencies for key in (f.code, f.name, *f.aliases)}


# ---- providers -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    line: int
    independent: bool
    description: str = ""
    source: str = "framework"


def provider_problems(specs: list[ProviderSpec], lines: list[Line], taken: dict[str, str],
                      source: str) -> list[Problem]:
    """Problems of providers added to ``taken`` (normalised id or name -> id already used)."""
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


def _as_provider(spec: ProviderSpec, lines: list[Line], source: str) -> Provider:
    full = {ln.line for ln in lines if ln.independence == "full"}
    independent = spec.independent if spec.independent is not None else spec.line in full
    return Provider(spec.id, spec.name, spec.line, bool(independent), spec.description, source)


def merge_providers(framework: AssuranceFramework, extra: list[ProviderSpec] | list[dict] | str | Path | None,
                    base: Path | None = None) -> list[Provider]:
    """The framework's providers plus an organisation's own (a list, or a YAML file of them).

    A clash of ids (or of names, since the map may name a provider either way), a line that does not
    assure, or an independent flag off the third line is an InputError listing every problem.
    """
    providers = [_as_provider(s, framework.lines, "framework") for s in framework.providers]
    if extra is None or (isinstance(extra, list) and not extra):
        return providers
    if isinstance(extra, (str, Path)):
        path = Path(extra)
        if not path.is_absolute() and base is not None:
            path = base / path
        source = str(path)
        specs = _read_provider_file(path)
    else:
        source = "parameters: providers"
        specs = _validate_specs(list(extra), source)
    taken: dict[str, str] = {}
    for p in providers:
        taken[header_key(p.id)] = p.id
        taken[header_key(p.name)] = p.id
    problems = provider_problems(specs, framework.lines, taken, source)
    if problems:
        raise InputError(problems)
    return providers + [_as_provider(s, framework.lines, source) for s in specs]


def _validate_specs(items: list[Any], source: str) -> list[ProviderSpec]:
    specs, problems = [], []
    for i, item in enumerate(items):
        if isinstance(item, ProviderSpec):
            specs.append(item)
            continue
        try:
            specs.append(ProviderSpec.model_validate(item))
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"])
                value = err.get("input")
                problems.append(Problem(source, None, f"providers[{i}]" + (f".{loc}" if loc else ""),
                                        "" if isinstance(value, dict) or value is None else str(value),
                                        _spec_expected(err)))
    if problems:
        raise InputError(problems)
    return specs


def _spec_expected(err: dict) -> str:
    if err["type"] == "missing":
        return "a value (required: id, name, line)"
    if err["type"] == "extra_forbidden":
        return "no such field (known: id, name, line, independent, description)"
    if err["loc"] and err["loc"][0] == "id":
        return "an id of lower-case letters, digits and underscores, e.g. auditor_general"
    return str(err["msg"])


def _read_provider_file(path: Path) -> list[ProviderSpec]:
    source = str(path)
    if not path.is_file():
        raise InputError([Problem(source, None, None, "", "an existing YAML file of providers")])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError([Problem(source, None, None, "", f"readable YAML ({exc})")]) from None
    if isinstance(data, dict) and set(data) == {"providers"}:
        data = data["providers"]
    if not isinstance(data, list):
        raise InputError([Problem(source, None, None, "", "a list of providers (or a mapping 'providers:' "
                                                          "holding one), each with id, name, line")])
    return _validate_specs(data, source)


# ---- the assurance map -----------------------------------------------------------------------------
@dataclass
class AssuranceMap:
    """A validated map: one row per (risk, control, provider), frequency resolved, row numbers kept."""

    file: str
    frame: pd.DataFrame

    @property
    def assuring(self) -> pd.DataFrame:
        """Rows with a frequency (a blank frequency lists a provider without any activity)."""
        return self.frame[self.frame["per_year"] > 0]


MAP_FRAME_COLUMNS = ["row", "risk_id", "control", "provider", "provider_name", "line", "independent",
                     "frequency", "frequency_name", "per_year", "notes"]


def empty_map(file: str = "(no assurance map)") -> AssuranceMap:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in MAP_FRAME_COLUMNS})
    frame["per_year"] = frame["per_year"].astype(float)
    return AssuranceMap(file, frame)


def validate_assurance_map(table: Table, providers: list[Provider],
                           frequencies: Iterable[Frequency]) -> AssuranceMap:
    """Validate a table as an assurance map; raise InputError with every problem, each with its row.

    Problems: a missing column, blank risk_id or provider, an unknown provider (by id or name), an
    unknown frequency (by code or name; blank means none), a (risk_id, control, provider) row repeated.
    """
    frame = table.frame
    file = table.file
    problems: list[Problem] = []
    missing = [c for c in MAP_REQUIRED if c not in frame.columns]
    for col in missing:
        problems.append(Problem(file, table.header_row, col, "(missing)", f"a column {col!r}"))
    if frame.empty:
        problems.append(Problem(file, table.header_row + 1, None, "", "at least one row below the header"))
    if problems:
        raise InputError(problems)

    rows = frame[ROW].astype(int)
    text = {c: (frame[c].fillna("").astype(str).str.strip() if c in frame else pd.Series("", index=frame.index))
            for c in MAP_COLUMNS}
    by_key = {}
    for p in providers:
        by_key[header_key(p.id)] = p
        by_key.setdefault(header_key(p.name), p)
    freq_lookup = frequency_lookup(frequencies)
    known_providers = ", ".join(p.id for p in providers)
    known_freq = ", ".join(f.label for f in frequencies)

    provider = text["provider"].map(lambda v: by_key.get(header_key(v)) if v else None)
    frequency = text["frequency"].map(lambda v: freq_lookup.get(normalise_label(v)) if v else None)
    for i in frame.index:
        row = int(rows[i])
        if text["risk_id"][i] == "":
            problems.append(Problem(file, row, "risk_id", "", "a risk ID (this column is required)"))
        pv = text["provider"][i]
        if pv == "":
            problems.append(Problem(file, row, "provider", "", "an assurance provider (this column is required)"))
        elif provider[i] is None:
            problems.append(Problem(file, row, "provider", pv, f"a provider id or name: {known_providers}"))
        fv = text["frequency"][i]
        if fv != "" and frequency[i] is None:
            problems.append(Problem(file, row, "frequency", fv,
                                    f"a frequency code ({known_freq}) or blank for none"))

    control_key = text["control"].map(normalise_label)
    ok = (text["risk_id"] != "") & provider.notna()
    keys = pd.DataFrame({"risk": text["risk_id"], "control": control_key,
                         "provider": provider.map(lambda p: p.id if p is not None else None)})[ok]
    first_row: dict[tuple, int] = {}
    for i, key in zip(keys.index, keys.itertuples(index=False, name=None), strict=True):
        if key in first_row:
            control = text["control"][i] or WHOLE_RISK
            problems.append(Problem(file, int(rows[i]), "provider", text["provider"][i],
                                    f"one row per risk, control and provider ({key[0]} / {control} / "
                                    f"{key[2]} is already on row {first_row[key]})"))
        else:
            first_row[key] = int(rows[i])
    if problems:
        raise InputError(problems)

    out = pd.DataFrame({
        "row": rows.to_numpy(),
        "risk_id": text["risk_id"].to_numpy(),
        "control": text["control"].to_numpy(),
        "provider": provider.map(lambda p: p.id).to_numpy(),
        "provider_name": provider.map(lambda p: p.name).to_numpy(),
        "line": provider.map(lambda p: p.line).astype(int).to_numpy(),
        "independent": provider.map(lambda p: p.independent).astype(bool).to_numpy(),
        "frequency": frequency.map(lambda f: f.code if f is not None else "").to_numpy(),
        "frequency_name": frequency.map(lambda f: f.name if f is not None else "").to_numpy(),
        "per_year": frequency.map(lambda f: f.per_year if f is not None else 0.0).astype(float).to_numpy(),
        "notes": text["notes"].to_numpy(),
    })
    return AssuranceMap(file, out)


def load_assurance_map(path: str | Path, providers: list[Provider], frequencies: Iterable[Frequency],
                       sheet: str | None = None, columns: dict[str, list[str]] | None = None) -> AssuranceMap:
    """Read and validate an assurance map (CSV or .xlsx); ``columns``: canonical name -> accepted headings."""
    if columns is None:
        columns = load_assurance_framework().framework.map_columns
    table = read_table(path, columns, sheet=sheet)
    return validate_assurance_map(table, providers, frequencies)


# ---- scope, required coverage, coverage --------------------------------------------------------------
@dataclass(frozen=True)
class ScopeRule:
    kind: Literal["appetite", "score", "all"]
    min_score: int | None
    label: str


def resolve_scope(value: int | str | None, framework: AssuranceFramework,
                  bands: list[Band] | None = None) -> ScopeRule:
    """'appetite', a band name (that band and above) or a residual score (that score and above)."""
    source = "scope_min_residual"
    if value is None or (isinstance(value, str) and value.strip() == ""):
        value, source = framework.scope.default, "framework scope.default"
    if isinstance(value, bool):
        raise ParameterError(f"{source} {value!r}: expected 'appetite', a level name or a residual score")
    text = str(value).strip()
    if text.casefold() == APPETITE_SCOPE:
        return ScopeRule("appetite", None, "residual risk above appetite")
    if isinstance(value, int) or text.isdigit():
        score = int(text)
        top = max(b.max for b in bands) if bands else None
        if score < 1 or (top is not None and score > top):
            raise ParameterError(f"{source} {value!r}: expected a residual score 1-{top or '...'}, "
                                 f"a level name or 'appetite'")
        return ScopeRule("score", score, f"residual score {score} or above")
    names = {b.name.casefold(): b for b in bands or []}
    band = names.get(text.casefold())
    if band is None:
        options = ", ".join(b.name for b in bands or []) or "(no banding known)"
        raise ParameterError(f"{source} {value!r}: expected 'appetite', a residual score or one of the "
                             f"level names {options}")
    return ScopeRule("score", band.min, f"residual level {band.name} or above (score {band.min}+)")


@dataclass(frozen=True)
class RequiredRule:
    by: Literal["residual_level", "appetite"]
    mapping: dict[str, str]  # level name -> coverage, or "above"/"within" -> coverage
    label: str


def resolve_required(framework: AssuranceFramework, required_by: str = "residual_level",
                     level_names: list[str] | None = None,
                     override: dict[str, str] | None = None) -> tuple[RequiredRule, list[str]]:
    """The required coverage mapping, checked; warnings say when a banding was mapped by rank."""
    names = [lv.name for lv in framework.coverage]
    warnings: list[str] = []
    if required_by not in ("residual_level", "appetite"):
        raise ParameterError(f"required_by {required_by!r}: expected residual_level or appetite")
    if override:
        bad = {k: v for k, v in override.items() if v not in names}
        if bad:
            raise ParameterError(f"required_coverage {bad}: values must be coverage levels ({', '.join(names)})")
    if required_by == "appetite":
        mapping = {"above": framework.required.appetite.above, "within": framework.required.appetite.within}
        if override:
            unknown = set(override) - {"above", "within"}
            if unknown:
                raise ParameterError(f"required_coverage keys {sorted(unknown)}: with required_by: appetite "
                                     f"use 'above' and 'within'")
            mapping.update(override)
        return RequiredRule("appetite", mapping, f"above appetite: {mapping['above']}; "
                                                 f"within appetite: {mapping['within']}"), warnings
    levels = list(level_names or [])
    if override:
        folded = {k.casefold(): v for k, v in override.items()}
        unknown = sorted(set(folded) - {n.casefold() for n in levels}) if levels else []
        if unknown:
            raise ParameterError(f"required_coverage names levels {unknown} that the banding does not have "
                                 f"({', '.join(levels)})")
        missing = [n for n in levels if n.casefold() not in folded]
        if missing:
            raise ParameterError(f"required_coverage must map every residual level; missing {', '.join(missing)}")
        mapping = {n: folded[n.casefold()] for n in levels} if levels else dict(override)
    elif not levels or all(n in framework.required.residual_level for n in levels):
        mapping = dict(framework.required.residual_level) if not levels else {
            n: framework.required.residual_level[n] for n in levels}
    else:
        ranked = framework.required.by_rank
        mapping = {n: ranked[min(i, len(ranked) - 1)] for i, n in enumerate(reversed(levels))}
        warnings.append("The framework's required coverage names the levels "
                        f"{', '.join(framework.required.residual_level)}; this banding's levels were mapped by "
                        f"rank instead: " + ", ".join(f"{k} {v}" for k, v in mapping.items()) + ".")
    label = "; ".join(f"{k}: {v}" for k, v in mapping.items())
    return RequiredRule("residual_level", mapping, label), warnings


def coverage_level(assurances: Iterable[tuple[int, bool, float]], framework: AssuranceFramework) -> str:
    """Coverage of one risk from (line, independent, activities a year) of each activity that assures it.

    Every activity counts on its own, so a provider with several controls on the risk counts at its most
    frequent one; activities a year of 0 (blank frequency) count for nothing.
    """
    given = [(int(line), bool(ind), float(per_year)) for line, ind, per_year in assurances]
    for level in framework.coverage:
        if not level.any_of or any(_meets(c, given, framework) for c in level.any_of):
            return level.name
    return framework.coverage[-1].name  # pragma: no cover - the last level has no conditions


def _meets(cond: Condition, given: list[tuple[int, bool, float]], framework: AssuranceFramework) -> bool:
    floor = framework.frequency(cond.min_frequency).per_year if cond.min_frequency else 0.0
    counted = [(line, ind) for line, ind, per_year in given if per_year > 0 and per_year >= floor]
    if cond.independent and not any(ind for _, ind in counted):
        return False
    return len({line for line, _ in counted}) >= cond.min_lines


def _coverage_vector(assuring: pd.DataFrame, risk_ids: pd.Index, framework: AssuranceFramework) -> pd.Series:
    """Coverage per risk for many risks at once (the vectorised form of coverage_level)."""
    result = pd.Series(framework.coverage[-1].name, index=risk_ids, dtype=object)
    decided = pd.Series(False, index=risk_ids)
    for level in framework.coverage[:-1]:
        ok = pd.Series(False, index=risk_ids)
        for cond in level.any_of:
            floor = framework.frequency(cond.min_frequency).per_year if cond.min_frequency else 0.0
            rows = assuring[assuring["per_year"] >= floor]
            lines = rows.groupby("risk_id")["line"].nunique().reindex(risk_ids, fill_value=0)
            meets = lines >= cond.min_lines
            if cond.independent:
                ind = rows.groupby("risk_id")["independent"].any().reindex(risk_ids, fill_value=False)
                meets &= ind.astype(bool)
            ok |= meets
        take = ok & ~decided
        result[take] = level.name
        decided |= ok
    return result


def _some(values: Iterable[Any], limit: int = 20) -> str:
    """Values for a warning: all of them, or the first ``limit`` and how many more."""
    items = [str(v) for v in values]
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f" and {more} more" if more > 0 else "")


def _needed(required: str, lines: list[int], independent: bool, framework: AssuranceFramework) -> str:
    """What is missing for the required coverage, in words (from the level's first condition)."""
    level = framework.level(required)
    if not level.any_of:
        return ""
    cond = level.any_of[0]
    parts = []
    add_line = 0
    if cond.independent and not independent:
        parts.append("an independent third-line provider")
        add_line = 1 if not any(framework.line(n).independence == "full" for n in lines) else 0
    more = cond.min_lines - len(lines) - add_line
    if more > 0:
        parts.append(f"assurance from {more}{' more' if lines else ''} line{'s' if more > 1 else ''}")
    text = " and ".join(parts) or "more frequent assurance"
    if cond.min_frequency:
        text += f", at least {framework.frequency(cond.min_frequency).name}"
    return f"add {text}"


# ---- the analysis ----------------------------------------------------------------------------------
@dataclass
class PlanSettings:
    """What the generated assurance plan says about whom (roles default to the framework's titles)."""

    organisation: str
    period: str
    as_of: dt.date | None = None
    plan_owner: str | None = None
    accounting_officer: str | None = None
    oversight_committee: str | None = None
    coordinator: str | None = None


@dataclass
class CombinedAssurance:
    framework: LoadedFramework
    providers: list[Provider]
    risks: pd.DataFrame  # one row per register risk, highest residual first
    map: AssuranceMap
    controls: pd.DataFrame  # one row per (risk, control) in the map
    duplications: pd.DataFrame
    workload: pd.DataFrame  # one row per provider
    not_in_register: pd.DataFrame  # map rows whose risk the register does not hold
    not_mapped: pd.DataFrame  # risks in scope with no row in the map
    scope: ScopeRule
    required: RequiredRule
    duplication_threshold: int
    duplication_frequency: str
    maturity_status: str | None
    warnings: list[str]
    level_names: list[str] = field(default_factory=list)  # residual levels, lowest first
    evaluation: RiskEvaluation | None = None
    plan: PlanSettings | None = None

    @property
    def in_scope(self) -> pd.DataFrame:
        return self.risks[self.risks["in_scope"]]

    @property
    def gaps(self) -> pd.DataFrame:
        return self.risks[self.risks["gap"]]


RISK_VIEW = ["risk_id", "residual_score", "residual_level", "above_appetite", "in_scope", "lines", "providers",
             "controls", "coverage", "required_coverage", "gap", "needed"]


def analyse(risks: RiskEvaluation | pd.DataFrame, assurance_map: AssuranceMap | None,
            framework: LoadedFramework | None = None, providers: list[Provider] | None = None, *,
            scope_min_residual: int | str | None = None, required_by: str = "residual_level",
            required_coverage: dict[str, str] | None = None, duplication_threshold: int | None = None,
            duplication_frequency: str | None = None, maturity_status: str | None = None,
            bands: list[Band] | None = None) -> CombinedAssurance:
    """Coverage, required coverage and gaps per risk, duplication per control, workload per provider.

    ``risks``: a RiskEvaluation, or a frame with risk_id, residual_score, residual_level and
    above_appetite (then ``bands`` gives the banding, needed for level names in scope and mapping).
    """
    loaded = framework or load_assurance_framework()
    fw = loaded.framework
    providers = providers if providers is not None else merge_providers(fw, None)
    evaluation = None
    if isinstance(risks, pd.DataFrame):
        frame = risks
    else:
        evaluation = risks
        frame = risks.risks
        m = risks.methodology.methodology
        bands = list(m.banding(risks.banding).bands)
    missing = [c for c in ("risk_id", "residual_score", "residual_level", "above_appetite") if c not in frame]
    if missing:
        raise ValueError(f"the risks frame lacks {', '.join(missing)}")
    if frame["risk_id"].duplicated().any():
        raise ValueError("the risks frame repeats risk IDs: " + _some(frame.loc[frame["risk_id"].duplicated(),
                                                                                 "risk_id"].unique()))
    level_names = [b.name for b in sorted(bands, key=lambda b: b.min)] if bands else sorted(
        {str(v) for v in frame["residual_level"].dropna()})
    warnings: list[str] = list(evaluation.warnings) if evaluation is not None else []

    status = fw.maturity_status(maturity_status)
    if status in fw.maturity.independent_only:
        warnings.append(f"Maturity status {status}: the guide applies combined assurance to integrated and "
                        f"risk-intelligent municipalities; at this status it expects reliance on independent "
                        f"assurance (internal and external audit) only. Read the coverage below with that in mind.")
    scope = resolve_scope(scope_min_residual, fw, bands)
    required, req_warnings = resolve_required(fw, required_by, level_names if bands else None, required_coverage)
    warnings += req_warnings
    dup_n = fw.duplication.max_providers if duplication_threshold is None else int(duplication_threshold)
    if dup_n < 1:
        raise ParameterError(f"duplication_threshold {duplication_threshold!r}: expected a whole number of 1 or more")
    dup_code = fw.duplication.min_frequency
    if duplication_frequency is not None:
        found = fw.frequency_lookup().get(normalise_label(str(duplication_frequency)))
        if found is None:
            raise ParameterError(f"duplication_frequency {duplication_frequency!r}: expected one of "
                                 + ", ".join(f.label for f in fw.frequencies))
        dup_code = found.code

    amap = assurance_map if assurance_map is not None else empty_map()
    if assurance_map is None:
        warnings.append("No assurance map was given: every risk shows no assurance.")
    mframe = amap.frame

    # ---- per risk --------------------------------------------------------------------------------
    base = pd.DataFrame({
        "risk_id": frame["risk_id"].astype(str).to_numpy(),
        "residual_score": pd.array(pd.to_numeric(frame["residual_score"], errors="coerce"), dtype="Int64"),
        "residual_level": pd.Series(frame["residual_level"].to_numpy(dtype=object), dtype=object),
        "above_appetite": pd.Series(frame["above_appetite"].to_numpy(dtype=object), dtype=object),
    })
    for extra in ("description", "category", "owner"):
        if extra in frame:
            base[extra] = frame[extra].to_numpy(dtype=object)
    score = base["residual_score"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    rated = ~np.isnan(score)
    above = base["above_appetite"].map(lambda v: v is True or v is np.True_)
    appetite_known = base["above_appetite"].map(lambda v: v is not None and not pd.isna(v))
    if scope.kind == "appetite":
        if rated.any() and not appetite_known[rated].any():
            scope = ScopeRule("all", None, "every rated risk (no risk appetite was given)")
            warnings.append("Scope is 'above appetite' but no risk appetite was given: every rated risk is in "
                            "scope.")
            in_scope = pd.Series(rated, index=base.index)
        else:
            in_scope = above & rated
    else:
        in_scope = pd.Series(rated & (np.nan_to_num(score, nan=-1) >= (scope.min_score or 0)), index=base.index)
    base["in_scope"] = in_scope.astype(bool)
    unrated = base.loc[~rated, "risk_id"].tolist()
    if unrated:
        warnings.append(f"{len(unrated)} risk(s) are not rated and cannot be placed in or out of scope: "
                        f"{_some(unrated)}.")

    register_ids = set(base["risk_id"])
    in_register = mframe["risk_id"].isin(register_ids)
    assuring = mframe[(mframe["per_year"] > 0) & in_register]
    ids = pd.Index(base["risk_id"])
    coverage = _coverage_vector(assuring, ids, fw)
    base["coverage"] = coverage.to_numpy()
    order = {p.id: i for i, p in enumerate(providers)}
    ordered = assuring.assign(_o=assuring["provider"].map(order)).sort_values(["line", "_o"], kind="stable")
    lines: dict[str, set[int]] = {}
    provs: dict[str, dict[str, None]] = {}
    for rid, line, pid in zip(ordered["risk_id"].tolist(), ordered["line"].tolist(), ordered["provider"].tolist(),
                              strict=True):
        lines.setdefault(rid, set()).add(int(line))
        provs.setdefault(rid, {})[pid] = None
    independent = ordered.groupby("risk_id")["independent"].any()
    controls = mframe[in_register].assign(_c=mframe["control"].map(normalise_label)).groupby("risk_id")["_c"]
    base["lines"] = [sorted(lines.get(r, ())) for r in base["risk_id"].tolist()]
    base["providers"] = [list(provs.get(r, {})) for r in base["risk_id"].tolist()]
    base["controls"] = base["risk_id"].map(controls.nunique()).fillna(0).astype(int)

    if required.by == "appetite":
        unknown = base["in_scope"] & ~appetite_known
        if unknown.any():
            warnings.append("No appetite applies to " + _some(base.loc[unknown, "risk_id"]) +
                            "; their required coverage is taken as within appetite.")
        req = np.where(above, required.mapping["above"], required.mapping["within"])
    else:
        req = base["residual_level"].map(lambda v: required.mapping.get(v) if isinstance(v, str) else None)
        req = req.to_numpy(dtype=object)
    base["required_coverage"] = pd.Series(np.where(base["in_scope"], req, None), index=base.index, dtype=object)
    unmapped_level = base["in_scope"] & base["required_coverage"].isna()
    if unmapped_level.any():
        warnings.append("No required coverage is set for the residual level of "
                        + _some(base.loc[unmapped_level, "risk_id"]) + "; no gap can be judged for them.")
    rank = {lv.name: fw.rank(lv.name) for lv in fw.coverage}
    base["gap"] = [bool(s and r is not None and rank[c] < rank[r]) for s, c, r in
                   zip(base["in_scope"], base["coverage"], base["required_coverage"], strict=True)]
    base["needed"] = [
        _needed(r, ln, bool(independent.get(rid, False)), fw) if g else ""
        for rid, g, r, ln in zip(base["risk_id"], base["gap"], base["required_coverage"], base["lines"], strict=True)]
    base["_score"] = np.where(rated, score, -np.inf)
    base = base.sort_values("_score", ascending=False, kind="stable").drop(columns="_score").reset_index(drop=True)
    cols = RISK_VIEW + [c for c in ("description", "category", "owner") if c in base]
    base = base[[c for c in cols if c in base]]

    # ---- per control: duplication ------------------------------------------------------------------
    floor = fw.frequency(dup_code).per_year
    scope_of = dict(zip(base["risk_id"], base["in_scope"], strict=True))
    keys = ["risk_id", "control_key"]
    ctl = mframe.assign(control_key=mframe["control"].map(normalise_label), in_register=in_register.to_numpy())
    controls_frame = ctl.groupby(keys, sort=False).agg(control=("control", "first"),
                                                        in_register=("in_register", "first")).reset_index()
    act = ctl[ctl["per_year"] > 0].sort_values("per_year", ascending=False, kind="stable")
    found: dict[tuple[str, str], dict[str, list]] = {}
    columns = ("risk_id", "control_key", "provider", "frequency", "line", "per_year")
    for rid, key, pid, code, line, per_year in zip(*(act[c].tolist() for c in columns), strict=True):
        entry = found.setdefault((rid, key), {"providers": [], "frequencies": [], "lines": set(), "strong": []})
        entry["providers"].append(pid)
        entry["frequencies"].append(code)
        entry["lines"].add(int(line))
        if per_year >= floor:
            entry["strong"].append(pid)
    blank = {"providers": [], "frequencies": [], "lines": set(), "strong": []}
    entries = [found.get((rid, key), blank) for rid, key in
               zip(controls_frame["risk_id"].tolist(), controls_frame["control_key"].tolist(), strict=True)]
    controls_frame["providers"] = [e["providers"] for e in entries]
    controls_frame["frequencies"] = [e["frequencies"] for e in entries]
    controls_frame["lines"] = [sorted(e["lines"]) for e in entries]
    controls_frame["assured_by"] = [len(e["providers"]) for e in entries]
    controls_frame["at_or_above_threshold"] = [len(e["strong"]) for e in entries]
    controls_frame["strong_providers"] = [e["strong"] for e in entries]
    controls_frame["control"] = controls_frame["control"].map(lambda v: v or WHOLE_RISK)
    controls_frame["in_scope"] = controls_frame["risk_id"].map(scope_of).fillna(False).astype(bool)
    controls_frame["duplicated"] = controls_frame["at_or_above_threshold"] > dup_n
    controls_frame["duplicating"] = [v if d else [] for v, d in
                                     zip(controls_frame["strong_providers"], controls_frame["duplicated"], strict=True)]
    controls_frame = controls_frame[["risk_id", "control", "in_register", "in_scope", "providers", "frequencies",
                                     "lines", "assured_by", "at_or_above_threshold", "duplicated", "duplicating"]]
    duplications = controls_frame[controls_frame["duplicated"]].reset_index(drop=True)

    # ---- per provider: workload ----------------------------------------------------------------------
    active = mframe[mframe["per_year"] > 0].assign(control_key=lambda d: d["control"].map(normalise_label))
    in_scope_ids = set(base.loc[base["in_scope"], "risk_id"])
    work = []
    for p in providers:
        rows = active[active["provider"] == p.id]
        work.append({
            "provider": p.id, "name": p.name, "line": p.line, "independent": p.independent, "source": p.source,
            "controls_assured": int(rows[["risk_id", "control_key"]].drop_duplicates().shape[0]),
            "risks_covered": int(rows["risk_id"].nunique()),
            "in_scope_risks_covered": int(rows.loc[rows["risk_id"].isin(in_scope_ids), "risk_id"].nunique()),
            "events_per_year": float(rows["per_year"].sum()),
        })
    workload = pd.DataFrame(work, columns=["provider", "name", "line", "independent", "source", "controls_assured",
                                           "risks_covered", "in_scope_risks_covered", "events_per_year"])

    # ---- reconciliation: never drop a row or a risk silently -------------------------------------
    not_in_register = mframe[~in_register].reset_index(drop=True)
    if len(not_in_register):
        ids_missing = list(dict.fromkeys(not_in_register["risk_id"]))
        warnings.append(f"{len(not_in_register)} map row(s) name risks the register does not hold: "
                        f"{_some(ids_missing)}; they count for workload and duplication, not for coverage.")
    mapped_ids = set(mframe["risk_id"])
    not_mapped = base[base["in_scope"] & ~base["risk_id"].isin(mapped_ids)][
        ["risk_id", "residual_score", "residual_level", "required_coverage"]].reset_index(drop=True)
    if len(not_mapped):
        warnings.append(f"{len(not_mapped)} risk(s) in scope have no row in the assurance map: "
                        f"{_some(not_mapped['risk_id'])}.")
    blank = mframe[mframe["per_year"] == 0]
    if len(blank):
        warnings.append(f"{len(blank)} map row(s) list a provider without a frequency (no activity): row(s) "
                        f"{_some(blank['row'])}.")

    return CombinedAssurance(
        framework=loaded, providers=providers, risks=base, map=amap, controls=controls_frame,
        duplications=duplications, workload=workload, not_in_register=not_in_register, not_mapped=not_mapped,
        scope=scope, required=required, duplication_threshold=dup_n, duplication_frequency=dup_code,
        maturity_status=status, warnings=warnings, level_names=level_names, evaluation=evaluation)


# ---- parameters and the run ----------------------------------------------------------------------
class CombinedAssuranceParams(RiskEvaluationParams):
    """Risk-evaluation parameters plus the assurance map, framework, scope and plan settings."""

    assurance_map: str | None = Field(None, description="assurance map, CSV or .xlsx")
    map_sheet: str | None = None
    framework: str = Field(DEFAULT_FRAMEWORK, min_length=1, description="shipped framework name or YAML path")
    providers: list[ProviderSpec] | str | None = Field(
        None, description="the organisation's own providers: a list, or a YAML file of them")
    scope_min_residual: int | str | None = Field(
        None, description="'appetite', a residual level name or score; None: the framework's default")
    required_by: Literal["residual_level", "appetite"] = "residual_level"
    required_coverage: dict[str, str] | None = Field(
        None, description="level name (or above/within) -> required coverage; None: the framework's")
    duplication_threshold: int | None = Field(None, ge=1, description="duplicated above this many providers")
    duplication_frequency: str | None = None
    maturity_status: str | None = None
    marks: str | None = Field(None, description="maturity marks, CSV or .xlsx: status for the applicability note")
    plan_owner: str | None = None
    accounting_officer: str | None = None
    oversight_committee: str | None = None

    def framework_ref(self) -> str | Path:
        return self.framework if self.framework in shipped_frameworks() else self.resolve(self.framework)

    def plan_settings(self) -> PlanSettings:
        return PlanSettings(self.organisation, self.period, self.as_of, self.plan_owner, self.accounting_officer,
                            self.oversight_committee)


@dataclass
class AssuranceInputs:
    loaded: Any  # LoadedMethodology
    register: Any  # Register
    appetite: Any  # Appetite
    framework: LoadedFramework
    providers: list[Provider]
    assurance_map: AssuranceMap | None


def framework_and_providers(params: CombinedAssuranceParams) -> tuple[LoadedFramework, list[Provider]]:
    """The framework the parameters name and its providers with the organisation's own (as the run uses)."""
    framework = load_assurance_framework(params.framework_ref())
    base = Path(params.parameters_dir) if params.parameters_dir else None
    extra = params.providers
    if isinstance(extra, str):
        extra = params.resolve(extra)
    return framework, merge_providers(framework.framework, extra, base)


def load_assurance_inputs(params: CombinedAssuranceParams) -> AssuranceInputs:
    """Load and check everything the parameters name; evaluates nothing (``workbook run`` fails fast).

    Raises MethodologyError (FrameworkError), ParameterError or InputError.
    """
    from workbook_lib.assessments.risk.run import load_risk_inputs

    loaded, register, appetite = load_risk_inputs(params)
    framework, providers = framework_and_providers(params)
    fw = framework.framework
    amap = None
    if params.source == "store":  # the entries risk owners and providers saved through the form
        from workbook_lib.core.records import table_for

        table = table_for(params, "assurance_entry")
        if len(table.frame):
            amap = validate_assurance_map(table, providers, fw.frequencies)
    elif params.assurance_map:
        amap = load_assurance_map(params.resolve(params.assurance_map), providers, fw.frequencies,
                                  sheet=params.map_sheet, columns=fw.map_columns)
    # parameter values that depend on the framework and the banding, checked before any evaluation
    bands = list(loaded.methodology.banding(params.banding).bands)
    fw.maturity_status(maturity_of(params))
    resolve_scope(params.scope_min_residual, fw, bands)
    resolve_required(fw, params.required_by, [b.name for b in sorted(bands, key=lambda b: b.min)],
                     params.required_coverage)
    if params.duplication_frequency is not None and \
            normalise_label(params.duplication_frequency) not in fw.frequency_lookup():
        raise ParameterError(f"duplication_frequency {params.duplication_frequency!r}: expected one of "
                             + ", ".join(f.label for f in fw.frequencies))
    return AssuranceInputs(loaded, register, appetite, framework, providers, amap)


def run_combined_assurance(params: CombinedAssuranceParams) -> CombinedAssurance:
    """Evaluate the register named by the parameters and analyse its assurance map."""
    from workbook_lib.assessments.risk.scoring import evaluate

    inputs = load_assurance_inputs(params)
    ev = evaluate(inputs.register, inputs.loaded, params.as_of, appetite=inputs.appetite, banding=params.banding,
                  partner_roles=params.partner_roles)
    result = analyse(ev, inputs.assurance_map, inputs.framework, inputs.providers,
                     scope_min_residual=params.scope_min_residual, required_by=params.required_by,
                     required_coverage=params.required_coverage, duplication_threshold=params.duplication_threshold,
                     duplication_frequency=params.duplication_frequency, maturity_status=maturity_of(params))
    result.plan = params.plan_settings()
    return result


# ---- figures, JSON, Excel ------------------------------------------------------------------------
def _none(value: Any) -> Any:
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def key_figures(result: CombinedAssurance) -> str:
    """One stable line of the figures a committee reads first (checked by the notebook tests)."""
    scoped = result.in_scope
    counts = scoped["coverage"].value_counts()
    levels = ", ".join(f"{lv.name} {int(counts.get(lv.name, 0))}" for lv in result.framework.framework.coverage)
    used = int((result.workload["controls_assured"] > 0).sum())
    mframe = result.map.frame
    events = float(result.workload["events_per_year"].sum())
    return (f"risks {len(result.risks)} | in scope {len(scoped)} | coverage: {levels} | gaps {len(result.gaps)} | "
            f"duplicated controls {len(result.duplications)} | map rows {len(mframe)} (not in register "
            f"{len(result.not_in_register)}, no frequency {int((mframe['per_year'] == 0).sum())}) | providers used "
            f"{used} of {len(result.providers)} | assurance events a year {events:,.0f}")


def summary(result: CombinedAssurance, organisation: str, period: str) -> dict[str, Any]:
    """The JSON contract of the combined-assurance analysis."""
    risks = [
        {"risk_id": r.risk_id, "residual_score": _none(r.residual_score), "residual_level": _none(r.residual_level),
         "above_appetite": _none(r.above_appetite), "in_scope": bool(r.in_scope),
         "lines": [int(x) for x in r.lines], "providers": list(r.providers), "coverage": r.coverage,
         "required_coverage": _none(r.required_coverage), "gap": bool(r.gap)}
        for r in result.risks.itertuples(index=False)
    ]
    duplications = [
        {"risk_id": d.risk_id, "control": d.control, "providers": list(d.duplicating),
         "frequencies": [f for p, f in zip(d.providers, d.frequencies, strict=True) if p in d.duplicating],
         "in_scope": bool(d.in_scope)}
        for d in result.duplications.itertuples(index=False)
    ]
    providers = [{"provider": w.provider, "line": int(w.line), "controls_assured": int(w.controls_assured)}
                 for w in result.workload.itertuples(index=False)]
    return {"assessment": "combined-assurance", "organisation": organisation, "period": period,
            "risks": risks, "duplications": duplications, "providers": providers,
            "warnings": list(result.warnings)}


def _join(values: Iterable[Any]) -> str:
    return ", ".join(str(v) for v in values)


def risks_view(result: CombinedAssurance) -> pd.DataFrame:
    view = result.risks.copy()
    view["lines"] = view["lines"].map(_join)
    view["providers"] = view["providers"].map(_join)
    return view


def gaps_view(result: CombinedAssurance) -> pd.DataFrame:
    cols = ["risk_id", "residual_score", "residual_level", "above_appetite", "lines", "providers", "coverage",
            "required_coverage", "needed"]
    return risks_view(result).loc[result.risks["gap"].to_numpy(), [c for c in cols if c in result.risks]]


def duplications_view(result: CombinedAssurance) -> pd.DataFrame:
    d = result.duplications
    names = {p.id: p.name for p in result.providers}
    rows = [{"risk_id": r.risk_id, "control": r.control, "in_scope": r.in_scope,
             "providers at or above threshold": _join(f"{names.get(p, p)} ({f})" for p, f in
                                                      zip(r.providers, r.frequencies, strict=True)
                                                      if p in r.duplicating),
             "count": r.at_or_above_threshold, "threshold": f"more than {result.duplication_threshold} at "
                                                            f"{result.duplication_frequency} or more often"}
            for r in d.itertuples(index=False)]
    return pd.DataFrame(rows, columns=["risk_id", "control", "in_scope", "providers at or above threshold",
                                       "count", "threshold"])


def controls_view(result: CombinedAssurance) -> pd.DataFrame:
    view = result.controls.copy()
    for col in ("providers", "frequencies", "lines", "duplicating"):
        view[col] = view[col].map(_join)
    return view


def workload_view(result: CombinedAssurance) -> pd.DataFrame:
    return result.workload.copy()


def map_view(result: CombinedAssurance) -> pd.DataFrame:
    m = result.map.frame.copy()
    registered = set(result.risks["risk_id"])
    scoped = set(result.in_scope["risk_id"])
    m["in_register"] = m["risk_id"].isin(registered)
    m["in_scope"] = m["risk_id"].isin(scoped)
    return m


def plan_roles(result: CombinedAssurance) -> dict[str, str]:
    roles = result.framework.framework.plan_roles.model_dump()
    plan = result.plan
    if plan is not None:
        for key in roles:
            value = getattr(plan, key, None)
            if value:
                roles[key] = value
    return roles


def plan_table(result: CombinedAssurance) -> pd.DataFrame:
    """The plan's table: per risk in scope (highest residual first), each control, provider and frequency;
    risks without assurance and gaps carry the proposed addition."""
    columns = ["risk_id", "description", "residual", "control", "provider", "line", "frequency", "coverage",
               "required_coverage", "status"]
    names = {p.id: p.name for p in result.providers}
    scoped = result.in_scope.reset_index(drop=True)
    risk = pd.DataFrame({
        "risk_id": scoped["risk_id"], "_order": range(len(scoped)),
        "description": scoped["description"] if "description" in scoped else "",
        "residual": scoped["residual_level"].astype(str) + " (" + scoped["residual_score"].astype(str) + ")",
        "coverage": scoped["coverage"], "required_coverage": scoped["required_coverage"],
        "gap": scoped["gap"], "needed": scoped["needed"]})
    m = result.map.frame
    planned = risk.merge(m[["risk_id", "control", "provider", "line", "frequency", "frequency_name"]],
                         on="risk_id", how="inner")
    planned = planned.assign(
        _sub=0, control=planned["control"].map(lambda v: v or WHOLE_RISK),
        provider=planned["provider"].map(lambda v: names.get(v, v)),
        status=np.where(planned["frequency"] != "", "planned", "no activity agreed"),
        frequency=np.where(planned["frequency"] != "", planned["frequency_name"], "none listed"))
    mapped = risk["risk_id"].isin(set(m["risk_id"]))
    extra = risk[risk["gap"] | ~mapped]
    extra = extra.assign(
        _sub=1, control=np.where(extra["risk_id"].isin(set(m["risk_id"])), "(additional assurance)",
                                 "(to be agreed)"),
        provider="", line=None, frequency="",
        status=np.where(extra["gap"], "gap: " + extra["needed"], "no assurance mapped"))
    table = pd.concat([planned, extra], ignore_index=True).sort_values(["_order", "_sub"], kind="stable")
    table = table[columns].reset_index(drop=True)
    table["line"] = table["line"].astype("Int64")
    return table


def plan_sections(result: CombinedAssurance) -> list[tuple[str, str]]:
    """The Combined Assurance Plan's text (plain text), generated from the parameters and the analysis."""
    plan = result.plan or PlanSettings("the organisation", "the period")
    roles = plan_roles(result)
    fw = result.framework.framework
    scoped = result.in_scope
    as_of = f" as at {plan.as_of:%d %B %Y}" if plan.as_of else ""
    gaps, dups = len(result.gaps), len(result.duplications)
    lines_text = ", ".join(f"line {ln.line} ({ln.assurance.lower()})" for ln in fw.lines if ln.provides_assurance)
    coverage_text = "; ".join(f"{lv.name} ({lv.description.rstrip('.').lower()})" if lv.description else lv.name
                              for lv in fw.coverage)
    sections = [
        ("Introduction",
         f"This plan sets out how {plan.organisation} will obtain assurance over its key risks for {plan.period}. "
         f"It starts from the evaluated risk register{as_of}: {len(scoped)} of {len(result.risks)} risks fall "
         f"within its scope ({result.scope.label}). For each of them it names the key controls, the provider "
         f"that assures each control and how often, so that assurance effort follows the size of the exposure "
         f"and every key risk has someone answerable for confirming that its controls work."),
        ("Objectives",
         "The plan aims to:\n"
         "- name, for each key risk in scope, where its assurance comes from;\n"
         f"- give the risk committee, the {roles['accounting_officer']} and executive management a single view "
         f"of every assurance provider across the lines of assurance;\n"
         f"- tie risk management to assurance work, so the {roles['accounting_officer']} can judge whether "
         f"the risk management system is working;\n"
         "- show where assurance is missing or too thin (gaps) and where providers repeat one another's work "
         "(duplication)."),
        ("Approach",
         f"Providers are grouped by line: {lines_text}. Each row of the assurance map links a risk and one of "
         f"its controls to a provider and a frequency code. Coverage of a risk falls in one of "
         f"{len(fw.coverage)} levels: {coverage_text}. The coverage each risk should have follows its "
         f"{'residual level' if result.required.by == 'residual_level' else 'position against the appetite'} "
         f"({result.required.label}). A control is treated as duplicated when more than "
         f"{result.duplication_threshold} providers each assure it "
         f"{fw.frequency(result.duplication_frequency).name} or more often. On this basis the analysis finds "
         f"{gaps} risk(s) with less coverage than required and {dups} duplicated control(s). The plan was built "
         f"from the evaluated register and from what each provider has agreed to assure and when."),
        ("Roles and responsibilities",
         f"- {roles['plan_owner']}: keeps the plan current as the risk profile changes, coordinates the "
         f"providers, and takes up every gap with the {roles['accounting_officer']}.\n"
         f"- {roles['accounting_officer']}: decides finally which provider assures each risk, and confirms with "
         f"the external auditor before relying on its work.\n"
         f"- {roles['coordinator']} (internal audit): shares plans and results with the other providers, "
         f"checks their independence and competence before relying on their work, reports any provider that "
         f"does not deliver, follows up their recommendations, and carries the activities assigned to internal "
         f"audit into the internal audit plan.\n"
         f"- {roles['oversight_committee']}: adopts the plan, checks that it follows the risk assessment and "
         f"includes every high risk, compares quarterly reports of assurance actually given with the plan, and "
         f"reviews the corrective action taken where a risk is left without assurance.\n"
         "- Risk owners: choose the assurance activities for their own risks and keep the listed controls "
         "working."),
    ]
    if gaps:
        items = "\n".join(f"- {r.risk_id} ({r.residual_level}; coverage {r.coverage}, {r.required_coverage} "
                           f"required): {r.needed}"
                          for r in result.gaps.itertuples(index=False))
        sections.append(("Gaps to close", f"The following risks need more assurance than they receive:\n{items}"))
    return sections


def plan_markdown(result: CombinedAssurance) -> str:
    from workbook_lib.core.outputs import esc

    plan = result.plan or PlanSettings("the organisation", "the period")
    parts = [f"## Combined Assurance Plan: {esc(plan.organisation)}, {esc(plan.period)}"]
    for heading, text in plan_sections(result):
        body = "\n".join(("- " + esc(line[2:])) if line.startswith("- ") else esc(line) for line in text.split("\n"))
        parts.append(f"### {esc(heading)}\n\n{body}")
    parts.append("### The plan\n\nEvery risk in scope, highest residual first: its key controls, who assures "
                 "each and how often. Rows marked *gap* are the additions the analysis proposes.")
    return "\n\n".join(parts)


def result_tables(result: CombinedAssurance) -> dict[str, pd.DataFrame]:
    fw = result.framework
    tables = {
        "Coverage by risk": risks_view(result),
        "Gaps": gaps_view(result),
        "Duplications": duplications_view(result),
        "Controls": controls_view(result),
        "Provider workload": workload_view(result),
        "Assurance map": map_view(result),
        "Not in register": result.not_in_register,
        "In scope not mapped": result.not_mapped,
        "Assurance plan": plan_table(result),
        "Plan text": pd.DataFrame(plan_sections(result), columns=["section", "text"]),
        "Warnings": pd.DataFrame({"warning": result.warnings}),
    }
    method = [("framework", fw.framework.name), ("framework version", fw.framework.version),
              ("framework sha256", fw.sha256), ("scope", result.scope.label),
              ("required coverage by", result.required.by), ("required coverage", result.required.label),
              ("duplication", f"more than {result.duplication_threshold} providers at "
                              f"{result.duplication_frequency} or more often"),
              ("maturity status", result.maturity_status or "")]
    if result.evaluation is not None:
        ev = result.evaluation
        method += [("methodology", ev.methodology.methodology.name),
                   ("methodology version", ev.methodology.methodology.version),
                   ("methodology sha256", ev.methodology.sha256), ("banding", ev.banding),
                   ("as of", ev.as_of.isoformat())]
    method += [(f"note: {n.topic}", n.decision) for n in fw.framework.notes]
    tables["Method"] = pd.DataFrame(method, columns=["item", "value"])
    return tables


def write_outputs(result: CombinedAssurance, organisation: str, period: str, output_dir: str | Path,
                  stem: str = "combined-assurance") -> list[Path]:
    """The JSON summary and the Excel workbook (one sheet per table, the plan included)."""
    from workbook_lib.core.outputs import write_excel, write_json

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [write_json(summary(result, organisation, period), out / f"{stem}.json"),
            write_excel(result_tables(result), out / f"{stem}.xlsx")]


# ---- what the notebook says ----------------------------------------------------------------------
def opening_narrative(result: CombinedAssurance, organisation: str, period: str) -> str:
    from workbook_lib.core.outputs import esc

    fw = result.framework.framework
    scoped = result.in_scope
    counts = scoped["coverage"].value_counts()
    spread = ", ".join(f"**{int(counts.get(lv.name, 0))}** {lv.name}" for lv in fw.coverage)
    lines = [
        f"## {esc(organisation)}: combined assurance, {esc(period)}",
        f"The register holds **{len(result.risks)} risks**; **{len(scoped)}** are in scope "
        f"({esc(result.scope.label)}). Their assurance coverage: {spread}.",
    ]
    gaps = result.gaps
    if len(gaps):
        lines.append(f"**{len(gaps)} risk(s) have less coverage than they need**: "
                     + "; ".join(f"{esc(r.risk_id)} ({esc(r.residual_level)}, {esc(r.coverage)} against "
                                 f"{esc(r.required_coverage)} required)" for r in gaps.itertuples(index=False))
                     + ".")
    else:
        lines.append("Every risk in scope has at least the coverage it needs.")
    if len(result.duplications):
        often = result.framework.framework.frequency(result.duplication_frequency).name
        listed = ", ".join(f"{esc(d.risk_id)} / {esc(d.control)}" for d in result.duplications.itertuples(index=False))
        lines.append(f"**{len(result.duplications)} control(s)** are assured by more than "
                     f"{result.duplication_threshold} providers, each {esc(often)} or more often: {listed}.")
    if result.maturity_status:
        lines.append(f"Maturity status: *{esc(result.maturity_status)}*.")
    if result.warnings:
        lines.append("**Warnings**\n\n" + "\n".join(f"- {esc(w)}" for w in result.warnings))
    return "\n\n".join(lines)


def method_note(result: CombinedAssurance) -> str:
    from workbook_lib.core.outputs import esc

    lf = result.framework
    fw = lf.framework
    freq = ", ".join(f"{esc(f.code)} {esc(f.name)} ({f.per_year:g} a year)" for f in fw.frequencies)
    cov = "\n".join(f"| {esc(lv.name)} | {esc(lv.description)} |" for lv in fw.coverage)
    providers = "\n".join(f"| {p.line} | {esc(p.id)} | {esc(p.name)} | {'yes' if p.independent else 'no'} | "
                          f"{esc(p.source)} |" for p in sorted(result.providers, key=lambda p: p.line))
    notes = "\n".join(f"- **{esc(n.topic)}**: {esc(n.decision)}" for n in fw.notes)
    return (f"## Method and provenance\n"
            f"Framework **{esc(fw.name)}**, version {esc(fw.version)}, SHA-256 `{lf.sha256}`.\n\n"
            f"Scope: {esc(result.scope.label)}. Required coverage by {esc(result.required.by.replace('_', ' '))}: "
            f"{esc(result.required.label)}. Duplication: more than {result.duplication_threshold} providers at "
            f"{esc(result.duplication_frequency)} or more often. Frequency codes: {freq}; blank means none.\n\n"
            f"| Coverage | Rule |\n|---|---|\n{cov}\n\n"
            f"| Line | Provider | Name | Independent | Defined in |\n|---|---|---|---|---|\n{providers}\n\n"
            f"**Decisions recorded in the framework file** (where the guide is silent or leaves the choice to "
            f"the organisation):\n\n{notes}")
