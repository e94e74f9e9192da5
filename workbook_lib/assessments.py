"""The assessments the suite runs: their notebooks, parameters and the library call behind each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from .params import RiskEvaluationParams

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@dataclass(frozen=True)
class Assessment:
    name: str
    notebook: str
    params: type[BaseModel]
    purpose: str

    @property
    def path(self) -> Path:
        return NOTEBOOKS / self.notebook


ASSESSMENTS: dict[str, Assessment] = {
    "risk-evaluation": Assessment(
        "risk-evaluation", "risk_evaluation.ipynb", RiskEvaluationParams,
        "Score a risk register: inherent and residual levels, appetite, decision makers, treatments."),
}


def run_risk_evaluation(params: RiskEvaluationParams):
    """Load the methodology and register named by the parameters and evaluate the register."""
    from .methodology import load_methodology
    from .register import load_register
    from .risk import evaluate

    loaded = load_methodology(params.methodology_ref())
    register = load_register(params.resolve(params.register_file), loaded.methodology, sheet=params.sheet,
                             partner_roles=params.partner_roles)
    return evaluate(register, loaded, params.as_of, appetite=params.appetite_spec(), banding=params.banding,
                    partner_roles=params.partner_roles)
