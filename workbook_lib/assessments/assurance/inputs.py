"""What combined assurance reads: its parameters and the assurance map.

The map is a table of (risk, control, provider, frequency) rows, validated like a register: every problem is
collected and raised once as ``InputError``, each with its row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import Field

from workbook_lib.assessments.assurance.model import (
    DEFAULT_FRAMEWORK,
    MAP_COLUMNS,
    MAP_REQUIRED,
    WHOLE_RISK,
    Frequency,
    ProviderSpec,
    frequency_lookup,
    load_assurance_framework,
    shipped_frameworks,
)
from workbook_lib.assessments.assurance.providers import Provider
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.core.datafiles import normalise_label
from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.tables import ROW, Table, header_key, read_table


# ---- parameters ------------------------------------------------------------------------------------
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
        """The shipped framework's name, or the organisation's framework file resolved."""
        return self.framework if self.framework in shipped_frameworks() else self.resolve(self.framework)

    def plan_settings(self) -> PlanSettings:
        """Whom the generated plan names."""
        return PlanSettings(self.organisation, self.period, self.as_of, self.plan_owner, self.accounting_officer,
                            self.oversight_committee)


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
    """A map without rows (every risk then shows no assurance)."""
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
    provider = text["provider"].map(lambda v: by_key.get(header_key(v)) if v else None)
    frequency = text["frequency"].map(lambda v: freq_lookup.get(normalise_label(v)) if v else None)
    problems = (_cell_problems(file, rows, text, provider, frequency, providers, frequencies)
                + _repeated_rows(file, rows, text, provider))
    if problems:
        raise InputError(problems)
    return AssuranceMap(file, _map_frame(rows, text, provider, frequency))


def _cell_problems(file: str, rows: pd.Series, text: dict[str, pd.Series], provider: pd.Series,
                   frequency: pd.Series, providers: list[Provider], frequencies: Iterable[Frequency]) -> list[Problem]:
    """Blank risk IDs and providers, unknown providers and unknown frequencies, row by row."""
    known_providers = ", ".join(p.id for p in providers)
    known_freq = ", ".join(f.label for f in frequencies)
    problems: list[Problem] = []
    for i in rows.index:
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
    return problems


def _repeated_rows(file: str, rows: pd.Series, text: dict[str, pd.Series], provider: pd.Series) -> list[Problem]:
    """A (risk, control as compared, provider) that an earlier row already holds."""
    control_key = text["control"].map(normalise_label)
    ok = (text["risk_id"] != "") & provider.notna()
    keys = pd.DataFrame({"risk": text["risk_id"], "control": control_key,
                         "provider": provider.map(lambda p: p.id if p is not None else None)})[ok]
    problems: list[Problem] = []
    first_row: dict[tuple, int] = {}
    for i, key in zip(keys.index, keys.itertuples(index=False, name=None), strict=True):
        if key in first_row:
            control = text["control"][i] or WHOLE_RISK
            problems.append(Problem(file, int(rows[i]), "provider", text["provider"][i],
                                    f"one row per risk, control and provider ({key[0]} / {control} / "
                                    f"{key[2]} is already on row {first_row[key]})"))
        else:
            first_row[key] = int(rows[i])
    return problems


def _map_frame(rows: pd.Series, text: dict[str, pd.Series], provider: pd.Series,
               frequency: pd.Series) -> pd.DataFrame:
    """The validated map: providers and frequencies resolved, row numbers kept."""
    return pd.DataFrame({
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


def load_assurance_map(path: str | Path, providers: list[Provider], frequencies: Iterable[Frequency],
                       sheet: str | None = None, columns: dict[str, list[str]] | None = None) -> AssuranceMap:
    """Read and validate an assurance map (CSV or .xlsx); ``columns``: canonical name -> accepted headings."""
    if columns is None:
        columns = load_assurance_framework().framework.map_columns
    table = read_table(path, columns, sheet=sheet)
    return validate_assurance_map(table, providers, frequencies)

