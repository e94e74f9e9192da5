"""The risk evaluation's parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workbook_lib.assessments.risk.methodology import shipped
from workbook_lib.core.params import CommonParams


class AppetiteSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default: int | str | None = None
    categories: dict[str, int | str] = {}


class RiskEvaluationParams(CommonParams):
    methodology: str = Field(min_length=1, description="shipped methodology name or path to a YAML file")
    # "register" is the parameter's name; the attribute avoids shadowing ABCMeta.register
    register_file: str | None = Field(None, min_length=1, alias="register",
                                      description="risk register, CSV or .xlsx (source: file)")
    sheet: str | None = None
    banding: str | None = None
    appetite: int | str | AppetiteSpec | None = None
    partner_roles: list[str] = []
    # the most rows a report table shows (the worst first); every row stays in the Excel workbook
    report_rows: int = Field(500, ge=1, description="rows shown per report table; the rest are in the .xlsx")

    @classmethod
    def cross_field_problems(cls, data: dict[str, Any]) -> list[str]:
        """Problems between fields, reported together with the per-field ones."""
        if data.get("source", "file") == "file" and not data.get("register"):
            return ["register: missing; name the register file, or set source: store"]
        return []

    @field_validator("appetite", mode="before")
    @classmethod
    def _appetite(cls, value: Any) -> Any:
        return AppetiteSpec.model_validate(value) if isinstance(value, dict) else value

    def appetite_spec(self) -> int | str | dict | None:
        return self.appetite.model_dump() if isinstance(self.appetite, AppetiteSpec) else self.appetite

    def methodology_ref(self) -> str | Path:
        return self.methodology if self.methodology in shipped() else self.resolve(self.methodology)


def methodology_path(params: RiskEvaluationParams, injected: dict) -> dict:
    """The kernel gets the methodology as an absolute path (it runs in notebooks/)."""
    injected["methodology"] = str(params.methodology_ref())
    return injected
