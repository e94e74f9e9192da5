"""The risk evaluation's parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workbook_lib.assessments.risk.interpret import IGNORE, ReadOptions
from workbook_lib.assessments.risk.methodology import ImpactMoney, shipped
from workbook_lib.assessments.risk.register import column_spec
from workbook_lib.core.params import CommonParams, ParameterError


class AppetiteSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default: int | str | None = None
    categories: dict[str, int | str] = {}


class RiskEvaluationParams(CommonParams):
    # required for a file run; with source: store it may come from the organisation's settings (core/settings.py)
    methodology: str | None = Field(None, min_length=1, description="shipped methodology name or path to a YAML file")
    # "register" is the parameter's name; the attribute avoids shadowing ABCMeta.register
    register_file: str | None = Field(None, min_length=1, alias="register",
                                      description="risk register, CSV or .xlsx (source: file)")
    sheet: str | None = None
    banding: str | None = None
    appetite: int | str | AppetiteSpec | None = None
    # the highest residual score (or band) within tolerance; None: the methodology's escalation.tolerance
    tolerance: int | str | None = None
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
                           dict(self.status_words))

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
    """The kernel gets the methodology as an absolute path (it runs in notebooks/)."""
    if params.methodology:
        injected["methodology"] = str(params.methodology_ref())
    return injected
