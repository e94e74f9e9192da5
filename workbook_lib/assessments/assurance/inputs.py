"""What combined assurance reads: its parameters, the assurance map and the assurance delivered per quarter.

The map is a table of (risk, control, provider, frequency) rows (or Template 2's wide layout, one column per
provider), validated like a register: every problem is collected and raised once as ``InputError``, each with
its row. A row with a key control and no provider records a control nobody assures.
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
    DELIVERY_COLUMNS,
    DELIVERY_REQUIRED,
    MAP_COLUMNS,
    MAP_REQUIRED,
    WHOLE_RISK,
    AssuranceFramework,
    DeliverySpec,
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

    assurance_map: str | None = Field(None, description="assurance map, CSV or .xlsx (long or Template 2 layout)")
    map_sheet: str | None = None
    assurance_delivery: str | None = Field(None, description="assurance delivered per quarter, CSV or .xlsx")
    delivery_sheet: str | None = None
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

    Problems: a missing column, a blank risk_id, a blank provider without a control, an unknown provider (by id
    or name), an unknown frequency (by code or name; blank means none), a frequency without a provider, a
    (risk_id, control, provider) row repeated.
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
        pv, fv = text["provider"][i], text["frequency"][i]
        if pv == "" and text["control"][i] == "":
            problems.append(Problem(file, row, "provider", "", "an assurance provider, or a key control to record "
                                                              "without one"))
        elif pv == "" and fv != "":
            problems.append(Problem(file, row, "frequency", fv, "blank: a key control without a provider has no "
                                                                "frequency (or name the provider)"))
        elif pv != "" and provider[i] is None:
            problems.append(Problem(file, row, "provider", pv, f"a provider id or name: {known_providers}"))
        if fv != "" and frequency[i] is None:
            problems.append(Problem(file, row, "frequency", fv,
                                    f"a frequency code ({known_freq}) or blank for none"))
    return problems


def _repeated_rows(file: str, rows: pd.Series, text: dict[str, pd.Series], provider: pd.Series) -> list[Problem]:
    """A (risk, control as compared, provider) that an earlier row already holds."""
    control_key = text["control"].map(normalise_label)
    ok = (text["risk_id"] != "") & (provider.notna() | (text["provider"] == ""))
    keys = pd.DataFrame({"risk": text["risk_id"], "control": control_key,
                         "provider": provider.map(lambda p: p.id if p is not None else "")})[ok]
    problems: list[Problem] = []
    first_row: dict[tuple, int] = {}
    for i, key in zip(keys.index, keys.itertuples(index=False, name=None), strict=True):
        if key in first_row:
            control = text["control"][i] or WHOLE_RISK
            problems.append(Problem(file, int(rows[i]), "provider", text["provider"][i],
                                    f"one row per risk, control and provider ({key[0]} / {control} / "
                                    f"{key[2] or 'no provider'} is already on row {first_row[key]})"))
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
        "provider": provider.map(lambda p: p.id if p is not None else "").to_numpy(),
        "provider_name": provider.map(lambda p: p.name if p is not None else "").to_numpy(),
        "line": provider.map(lambda p: p.line if p is not None else 0).astype(int).to_numpy(),  # 0: no provider
        "independent": provider.map(lambda p: p is not None and p.independent).astype(bool).to_numpy(),
        "frequency": frequency.map(lambda f: f.code if f is not None else "").to_numpy(),
        "frequency_name": frequency.map(lambda f: f.name if f is not None else "").to_numpy(),
        "per_year": frequency.map(lambda f: f.per_year if f is not None else 0.0).astype(float).to_numpy(),
        "notes": text["notes"].to_numpy(),
    })


def read_map_table(path: str | Path, columns: dict[str, list[str]], providers: list[Provider],
                   sheet: str | None = None) -> Table:
    """Read an assurance map file as the long table the validation takes; Template 2's wide layout (no provider
    column, one column per provider headed by its id or name, frequency codes in the cells) is turned long."""
    table = read_table(path, columns, sheet=sheet)
    return long_map(table, providers)


def long_map(table: Table, providers: list[Provider]) -> Table:
    """Template 2's wide layout as long rows: one per filled provider cell, and one without a provider for a
    row whose provider cells are all blank. A table with a provider column is returned unchanged."""
    frame = table.frame
    if "provider" in frame.columns:
        return table
    by_key = {header_key(k): p for p in providers for k in (p.id, p.name)}
    wide = {c: by_key[header_key(c)] for c in frame.columns if c != ROW and header_key(c) in by_key}
    if not wide:
        return table  # no provider column at all: the validation names it
    keep = [c for c in (ROW, "risk_id", "control", "notes") if c in frame.columns]
    rows: list[dict[str, object]] = []
    for record in frame.to_dict("records"):
        base = {c: record[c] for c in keep}
        filled = [(p, str(record[c] or "").strip()) for c, p in wide.items() if str(record[c] or "").strip()]
        rows += [{**base, "provider": p.id, "frequency": code} for p, code in filled] or [
            {**base, "provider": "", "frequency": ""}]
    long = pd.DataFrame(rows, columns=[*keep, "provider", "frequency"], dtype=object)
    return Table(table.file, long, table.header_row, renamed=dict(table.renamed))


def load_assurance_map(path: str | Path, providers: list[Provider], frequencies: Iterable[Frequency],
                       sheet: str | None = None, columns: dict[str, list[str]] | None = None) -> AssuranceMap:
    """Read and validate an assurance map (CSV or .xlsx, long or wide); ``columns``: canonical name -> headings."""
    if columns is None:
        columns = load_assurance_framework().framework.map_columns
    return validate_assurance_map(read_map_table(path, columns, providers, sheet), providers, frequencies)


# ---- assurance delivered per quarter ---------------------------------------------------------------
@dataclass
class Delivery:
    """Validated delivery records: one row per (quarter, risk, control, provider), row numbers kept."""

    file: str
    frame: pd.DataFrame


DELIVERY_FRAME_COLUMNS = ["row", *DELIVERY_COLUMNS, "control_key", "date_value", "action_due_value"]


def validate_delivery(table: Table, spec: DeliverySpec, providers: list[Provider]) -> Delivery:
    """Validate a table of delivery records; InputError with every problem, each with its row.

    Problems: a missing column, a blank or unknown quarter, risk_id, provider or status, a date that is not
    YYYY-MM-DD, a (quarter, risk, control, provider) repeated.
    """
    frame, file = table.frame, table.file
    problems = [Problem(file, table.header_row, c, "(missing)", f"a column {c!r}")
                for c in DELIVERY_REQUIRED if c not in frame.columns]
    if problems:
        raise InputError(problems)
    text = {c: (frame[c].fillna("").astype(str).str.strip() if c in frame else pd.Series("", index=frame.index))
            for c in DELIVERY_COLUMNS}
    quarters, statuses = spec.quarter_lookup(), spec.status_lookup()
    by_key = {header_key(k): p.id for p in providers for k in (p.id, p.name)}
    out: list[dict[str, object]] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for i in frame.index:
        row = int(frame.at[i, ROW])
        t = {c: text[c][i] for c in DELIVERY_COLUMNS}
        quarter = quarters.get(normalise_label(t["quarter"]))
        status = statuses.get(normalise_label(t["status"]))
        provider = by_key.get(header_key(t["provider"])) if t["provider"] else None
        if quarter is None:
            problems.append(Problem(file, row, "quarter", t["quarter"], f"a quarter: {', '.join(spec.quarters)}"))
        if t["risk_id"] == "":
            problems.append(Problem(file, row, "risk_id", "", "a risk ID (this column is required)"))
        if provider is None:
            problems.append(Problem(file, row, "provider", t["provider"], "a provider id or name of the map"))
        if status is None:
            problems.append(Problem(file, row, "status", t["status"],
                                    "a status: " + ", ".join(s.name for s in spec.statuses)))
        dates = {c: _iso_date(t[c]) for c in ("date", "action_due")}
        problems += [Problem(file, row, c, t[c], "a date as YYYY-MM-DD, or blank") for c, d in dates.items()
                     if t[c] and d is None]
        key = (str(quarter), t["risk_id"], normalise_label(t["control"]), str(provider))
        if key in seen:
            problems.append(Problem(file, row, "provider", t["provider"], f"one record per quarter, risk, control "
                                                                          f"and provider (already on row {seen[key]})"))
        seen.setdefault(key, row)
        out.append({"row": row, **t, "quarter": quarter, "provider": provider, "status": status,
                    "control_key": normalise_label(t["control"]), "date_value": dates["date"],
                    "action_due_value": dates["action_due"]})
    if problems:
        raise InputError(problems)
    return Delivery(file, pd.DataFrame(out, columns=DELIVERY_FRAME_COLUMNS))


def _iso_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def load_delivery(path: str | Path, fw: AssuranceFramework, providers: list[Provider],
                  sheet: str | None = None) -> Delivery:
    """Read and validate a delivery file (CSV or .xlsx)."""
    return validate_delivery(read_table(path, fw.delivery.columns, sheet=sheet), fw.delivery, providers)

