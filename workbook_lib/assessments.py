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


def load_risk_inputs(params: RiskEvaluationParams):
    """Load and check everything the parameters name (methodology, banding, appetite, register).

    Raises MethodologyError or InputError; evaluates nothing, so ``workbook run`` can fail fast.
    """
    from .methodology import load_methodology
    from .register import load_register
    from .risk import Appetite

    loaded = load_methodology(params.methodology_ref())
    loaded.methodology.banding(params.banding)
    appetite = Appetite.resolve(params.appetite_spec(), loaded.methodology, params.banding)
    register = load_register(params.resolve(params.register_file), loaded.methodology, sheet=params.sheet,
                             partner_roles=params.partner_roles)
    return loaded, register, appetite


def run_risk_evaluation(params: RiskEvaluationParams):
    """Load the methodology and register named by the parameters and evaluate the register."""
    from .risk import evaluate

    loaded, register, appetite = load_risk_inputs(params)
    return evaluate(register, loaded, params.as_of, appetite=appetite, banding=params.banding,
                    partner_roles=params.partner_roles)
