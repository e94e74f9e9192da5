"""The risk monitoring's parameters, and how its states are named and coloured (data: ``data/states.yaml``).

The monitoring builds on the risk evaluation's parameters (methodology, register, appetite and how a register is
read), so one parameters file serves both; here the register is optional (it gives the links from key risk
indicators to risks) and the readings file is what a file run needs.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from pydantic import Field

from workbook_lib.assessments.monitoring.catalogue import DEFAULT_CATALOGUE, SHIPPED_DIR, shipped
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.assessments.risk.methodology import shipped as shipped_methodologies
from workbook_lib.core.datafiles import Strict, load_data_file


class MonitoringParams(RiskEvaluationParams):
    """Parameters of the risk monitoring: the metrics catalogue, the readings, the KRIs and an optional register."""

    metrics: str = Field(DEFAULT_CATALOGUE, min_length=1,
                         description="shipped metrics catalogue name or path to a YAML file")
    readings: str | None = Field(None, min_length=1, description="readings per metric and period, CSV or .xlsx")
    kris: list[dict[str, Any]] = Field([], description="key risk indicators: {metric, risks: [IDs], categories: [...]}")
    warning: float | None = Field(None, ge=0, le=1, description="a warning zone for every metric, a fraction of a "
                                                                  "bound (0.1: within 10% of the limit is 'near')")

    @classmethod
    def cross_field_problems(cls, data: dict[str, Any]) -> list[str]:
        """A file run needs the readings; a register needs the methodology it is rated on."""
        problems = []
        if data.get("source", "file") == "file":
            if not data.get("readings"):
                problems.append("readings: missing; name the readings file (CSV or .xlsx), or set source: store")
            if data.get("register") and not data.get("methodology"):
                problems.append("methodology: missing; the register's ratings are read with a methodology")
        return problems

    def catalogue_ref(self) -> str | Path:
        return self.metrics if self.metrics in shipped() else self.resolve(self.metrics)

    def methodology_or_none(self) -> str | Path | None:
        """The methodology when one is set (it names who acts above tolerance), else None."""
        return self.methodology_ref() if self.methodology else None


def absolute_inputs(params: MonitoringParams, injected: dict[str, Any]) -> dict[str, Any]:
    """The kernel runs in notebooks/: a catalogue or methodology given as a path is made absolute."""
    if params.metrics not in shipped():
        injected["metrics"] = str(params.catalogue_ref())
    if params.methodology and params.methodology not in shipped_methodologies():
        injected["methodology"] = str(params.methodology_ref())
    return injected


# ---- the states as the report names and colours them ---------------------------------------------------------
class StateLook(Strict):
    label: str = Field(min_length=1)
    colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")


class States(Strict):
    states: dict[str, StateLook]
    band_colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")

    def label(self, state: str) -> str:
        return self.states[state].label


@functools.cache
def states() -> States:
    """The shipped names and colours of the four states (worst first)."""
    value, _path, _sha = load_data_file("states", {"states": SHIPPED_DIR / "states.yaml"}, States, ValueError,
                                        "monitoring states")
    return value
