"""The risk evaluation's parameters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from workbook_lib.assessments.risk.interpret import IGNORE, ReadOptions
from workbook_lib.assessments.risk.methodology import ImpactMoney, shipped
from workbook_lib.assessments.risk.register import column_spec
from workbook_lib.core.params import CommonParams, ParameterError


class AppetiteSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default: int | str | None = None
    categories: dict[str, int | str] = {}


class EarlierPeriod(BaseModel):
    """An earlier period given as a file: its register (read and evaluated with the current settings) or the JSON
    summary an earlier run wrote (risk-evaluation.json)."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, populate_by_name=True)
    period: str = Field(min_length=1)
    # "register" is the parameter's name; the attribute avoids shadowing ABCMeta.register
    register_file: str | None = Field(None, min_length=1, alias="register")
    report: str | None = Field(None, min_length=1)
    sheet: str | None = None

    @model_validator(mode="after")
    def _one_file(self) -> EarlierPeriod:
        if (self.register_file is None) == (self.report is None):
            raise PydanticCustomError("earlier", "earlier period {period}: give either its register (register: "
                                      "the register file) or its report (report: the risk-evaluation.json an "
                                      "earlier run wrote), one of the two", {"period": self.period})
        return self

    @property
    def file(self) -> str:
        return self.register_file or self.report or ""


def _key(period: str) -> str:
    return period.strip().casefold()


class RiskEvaluationParams(CommonParams):
    # required for a file run; with source: store it may come from the organisation's settings (core/settings.py)
    methodology: str | None = Field(None, min_length=1, description="shipped methodology name or path to a YAML file")
    # "register" is the parameter's name; the attribute avoids shadowing ABCMeta.register
    register_file: str | None = Field(None, min_length=1, alias="register",
                                      description="risk register, CSV or .xlsx (source: file)")
    sheet: str | None = None
    banding: str | None = None
    appetite: int | str | AppetiteSpec | None = None
    # who approved the appetite and tolerance, and when (the guide: the Council, on the Municipal Manager's setting)
    appetite_approved_by: str | None = Field(None, description="who approved the risk appetite and tolerance")
    appetite_approved_on: dt.date | None = Field(None, description="when they were approved")
    # the highest residual score (or band) within tolerance; None: the methodology's escalation.tolerance
    tolerance: int | str | None = None
    # the organisation's control-effectiveness factors, rating -> % of the inherent score that remains; {}: the
    # methodology's (a setting: risk/settings.py)
    control_factors: dict[str, float] = Field({}, description="your factors in percent, e.g. {Fully effective: 45}")
    partner_roles: list[str] = []
    # the most rows a report table shows (the worst first); every row stays in the Excel workbook
    report_rows: int = Field(500, ge=1, description="rows shown per report table; the rest are in the .xlsx")
    # how this organisation's register is read (docs/registers.md)
    columns: dict[str, str] = Field({}, description="your heading -> what it holds (a column name) or ignore")
    ratings: dict[str, int | dict[str, int]] = Field(
        {}, description="your rating words -> level, e.g. {H: 4, M: 3, L: 2}; or per likelihood/impact")
    impact_money: ImpactMoney | None = None
    # (not "responses": in a shared parameters file that names the COSO questionnaire's answers)
    response_words: dict[str, list[str]] = Field({}, description="your words for a response: {mitigate: [Contain]}")
    status_words: dict[str, list[str]] = Field({}, description="your words for a status: {closed: [Gesloten]}")
    header_row: int | None = Field(None, ge=1, description="the header's row number, as the spreadsheet shows it")
    skip_rows: list[int] = Field([], description="row numbers (as the spreadsheet shows them) that are not risks")
    keep_rows: list[int] = Field([], description="row numbers the reader skipped that are risks")
    rounding: Literal["up", "nearest"] | None = Field(
        None, description="fractional ratings such as 3.33 (a mean): round up, or to the nearest level")
    date_order: Literal["day-first", "month-first"] | None = Field(
        None, description="dates such as 03/04/2025: day-first (3 April) or month-first (4 March)")
    level_words: dict[str, str] = Field({}, description="your register's level words -> the methodology's band "
                                        "names, e.g. {Alto: High, Crítico: High}")
    # the risk assessment's tier (the guide's Table 20): the maturity status; None: the maturity assessment's
    maturity_status: str | None = Field(None, description="fragmented, integrated or risk intelligent")
    marks: str | None = Field(None, description="maturity marks, CSV or .xlsx: the status when it is not given")
    # risk intelligent: quantified losses (risk/quantify.py); the tolerable annual loss is an appetite in money
    tolerable_loss: float | None = Field(None, gt=0, description="a tolerable level of annual loss, in money")
    simulation_trials: int | None = Field(None, ge=1000, le=1_000_000, description="simulated years; None: 100,000")
    simulation_seed: int | None = Field(None, ge=0, description="the random seed, so a report can be reproduced")
    # how the risks moved since earlier periods (docs/registers.md); with source: store, the store's too
    earlier: list[EarlierPeriod] = Field([], description="earlier periods: [{period, register or report}]")
    renamed_ids: dict[str, str | dict[str, str]] = Field(
        {}, description="earlier risk ID -> current ID, e.g. {KV-003: KV-003A}; or per period: {2024-25: {...}}")

    @field_validator("earlier", "renamed_ids", "control_factors", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any, info: Any) -> Any:
        return ([] if info.field_name == "earlier" else {}) if value is None else value

    @field_validator("renamed_ids")
    @classmethod
    def _one_shape(cls, value: dict[str, str | dict[str, str]]) -> dict[str, str | dict[str, str]]:
        if len({isinstance(v, dict) for v in value.values()}) > 1:
            raise PydanticCustomError("renamed_ids", "either earlier ID -> current ID (e.g. KV-003: KV-003A), or "
                                      "per period, the period the new IDs first appear in -> its renamed IDs "
                                      "(e.g. 2024-25: {W-4: FL-4}); not both in one mapping")
        return value

    @field_validator("earlier")
    @classmethod
    def _distinct_periods(cls, value: list[EarlierPeriod], info: Any) -> list[EarlierPeriod]:
        current = str(info.data.get("period") or "")
        seen: set[str] = set()
        for entry in value:
            if _key(entry.period) == _key(current):
                raise PydanticCustomError("earlier", "period {period} is the current period; an earlier period "
                                          "comes before it", {"period": entry.period})
            if _key(entry.period) in seen:
                raise PydanticCustomError("earlier", "period {period} is given twice; give each earlier period "
                                          "once", {"period": entry.period})
            if current and _key(entry.period) > _key(current):
                raise PydanticCustomError("earlier", "period {period} comes after the current period {current} "
                                          "(periods are compared as text: 2024-25 before 2025-26)",
                                          {"period": entry.period, "current": current})
            seen.add(_key(entry.period))
        return value

    def renames(self, periods: list[str]) -> dict[str, dict[str, str]]:
        """The renamed IDs per period the new IDs first appear in; a flat mapping is the current period's."""
        if self.renamed_ids and all(isinstance(v, str) for v in self.renamed_ids.values()):
            return {self.period: dict(self.renamed_ids)}  # type: ignore[arg-type]
        unknown = [p for p in self.renamed_ids if p not in periods[1:]]
        if unknown:
            raise ParameterError(f"renamed_ids: {', '.join(unknown)} is not a period the risks are compared into "
                                 f"(here: {', '.join(periods[1:]) or 'none'}); key each mapping by the period the "
                                 "new IDs first appear in")
        return {p: dict(m) for p, m in self.renamed_ids.items()}  # type: ignore[arg-type]

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, str]) -> dict[str, str]:
        known = [*column_spec().columns, IGNORE]
        bad = {h: c for h, c in value.items() if c not in known}
        if bad:
            raise ValueError(f"{', '.join(f'{h!r}: {c!r}' for h, c in bad.items())} - each heading must map to "
                             f"one of: {', '.join(known)}")
        return value

    @field_validator("response_words", "status_words")
    @classmethod
    def _known_keys(cls, value: dict[str, list[str]], info: Any) -> dict[str, list[str]]:
        known = getattr(column_spec(), {"response_words": "responses", "status_words": "statuses"}[info.field_name])
        bad = [k for k in value if k not in known]
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))}: expected one of {', '.join(known)}")
        return value

    def read_options(self) -> ReadOptions:
        return ReadOptions(dict(self.columns), dict(self.ratings), self.impact_money, dict(self.response_words),
                           dict(self.status_words), self.header_row, tuple(self.skip_rows), tuple(self.keep_rows),
                           self.rounding, self.date_order, dict(self.level_words))

    @classmethod
    def cross_field_problems(cls, data: dict[str, Any]) -> list[str]:
        """Problems between fields, reported together with the per-field ones."""
        problems = []
        if data.get("source", "file") == "file" and not data.get("register"):
            problems.append("register: missing; name the register file, or set source: store")
        if data.get("source", "file") == "file" and not data.get("methodology"):
            problems.append("methodology: missing; name a shipped methodology or a methodology file")
        return problems

    @field_validator("appetite", mode="before")
    @classmethod
    def _appetite(cls, value: Any) -> Any:
        return AppetiteSpec.model_validate(value) if isinstance(value, dict) else value

    def appetite_spec(self) -> int | str | dict | None:
        return self.appetite.model_dump() if isinstance(self.appetite, AppetiteSpec) else self.appetite

    def methodology_ref(self) -> str | Path:
        if not self.methodology:
            raise ParameterError(f"methodology: not set for {self.organisation}; choose one on the app's Settings "
                                 "page (or `workbook settings import`), or name it in the parameters file")
        return self.methodology if self.methodology in shipped() else self.resolve(self.methodology)


def methodology_path(params: RiskEvaluationParams, injected: dict) -> dict:
    """The kernel gets the methodology and the earlier periods' files as absolute paths (it runs in notebooks/)."""
    if params.methodology:
        injected["methodology"] = str(params.methodology_ref())
    for entry in injected.get("earlier") or []:
        for key in ("register", "report"):
            if entry.get(key):
                entry[key] = str(params.resolve(entry[key]))
    return injected


def earlier_inputs(params: RiskEvaluationParams) -> list[tuple[str, str]]:
    """The earlier periods' registers and reports a run reads (with ``source: store`` too), and the maturity marks
    its tier is scored from, for provenance."""
    read = params.marks and not params.maturity_status and params.source == "file"
    return [("marks", params.marks)] * bool(read) + [
        (f"earlier {e.period} {key}", given) for e in params.earlier
        for key, given in (("register", e.register_file), ("report", e.report)) if given]
