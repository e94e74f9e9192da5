"""The assessments the suite runs: their notebooks, parameters and the library call behind each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .assurance import CombinedAssuranceParams, load_assurance_inputs
from .coso import CosoParams, load_coso_inputs
from .maturity import MaturityParams, absolute_inputs, load_maturity_inputs
from .params import NOTEBOOKS, RiskEvaluationParams


@dataclass(frozen=True)
class Assessment:
    name: str
    notebook: str
    params: type[BaseModel]
    purpose: str
    check: Callable[[Any], Any]  # loads and validates every input the parameters name; raises on a problem
    file_inputs: tuple[str, ...] = ()  # parameters naming input files (made absolute for the kernel)
    resolve_methodology: Callable[[Any, dict], dict] | None = None
    requires: tuple[str, ...] = ()  # a parameters file provides the inputs when it sets all of these

    def provided_by(self, data: dict[str, Any]) -> bool:
        """Whether a parameters file's values give this assessment its inputs (files, or the store)."""
        if data.get("source") == "store":
            return all(k in data for k in self.requires if k not in self.file_inputs)
        return all(data.get(k) not in (None, "") for k in self.requires)

    @property
    def path(self) -> Path:
        return NOTEBOOKS / self.notebook


def _methodology_path(params: RiskEvaluationParams, injected: dict) -> dict:
    injected["methodology"] = str(params.methodology_ref())
    return injected


def _check_risk(params: RiskEvaluationParams):
    return load_risk_inputs(params)


ASSESSMENTS: dict[str, Assessment] = {
    "risk-evaluation": Assessment(
        "risk-evaluation", "risk_evaluation.ipynb", RiskEvaluationParams,
        "Score a risk register: inherent and residual levels, appetite, decision makers, treatments.",
        check=_check_risk, file_inputs=("register",), resolve_methodology=_methodology_path,
        requires=("methodology", "register")),
    "coso-assessment": Assessment(
        "coso-assessment", "coso_assessment.ipynb", CosoParams,
        "Rate the COSO 17 principles by the three lines of assurance: combined scores, red items, divergence, "
        "present and functioning.",
        check=load_coso_inputs, file_inputs=("responses",), requires=("responses",)),
    "maturity-scoring": Assessment(
        "maturity-scoring", "maturity_scoring.ipynb", MaturityParams,
        "Rate risk-management maturity (fragmented, integrated, risk intelligent), the gaps to a target, a "
        "roadmap, the capacity of the three lines of assurance, and the trend over periods.",
        check=load_maturity_inputs, file_inputs=("marks", "capacity"), resolve_methodology=absolute_inputs,
        requires=("marks",)),
    "combined-assurance": Assessment(
        "combined-assurance", "combined_assurance.ipynb", CombinedAssuranceParams,
        "Combined-assurance gap analysis: coverage by line per risk against its residual level, gaps, duplicated "
        "controls, provider workload and a draft assurance plan.",
        check=load_assurance_inputs, file_inputs=("register", "assurance_map"),
        resolve_methodology=_methodology_path, requires=("methodology", "register", "assurance_map")),
}
SHARED_FIELDS = frozenset({f.alias or n for a in ASSESSMENTS.values() for n, f in a.params.model_fields.items()})


def assessments_for(data: dict[str, Any]) -> list[str]:
    """The assessments a parameters file runs: those it lists under ``assessments:``, else every one
    whose inputs it provides."""
    listed = data.get("assessments")
    if listed:
        unknown = [a for a in listed if a not in ASSESSMENTS]
        if unknown:
            from .params import ParameterError

            raise ParameterError(f"assessments: unknown {', '.join(map(str, unknown))}; "
                                 f"choose from {', '.join(ASSESSMENTS)}")
        return list(listed)
    return [name for name, a in ASSESSMENTS.items() if a.provided_by(data)]


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
    if params.source == "store":
        register = register_from_store(params, loaded)
    else:
        register = load_register(params.resolve(params.register_file), loaded.methodology, sheet=params.sheet,
                                 partner_roles=params.partner_roles)
    return loaded, register, appetite


def register_from_store(params: RiskEvaluationParams, loaded):
    """The organisation's register for the period, as saved in the store, validated like a file."""
    from .records import methods_in_store, table_from_store
    from .register import validate_register
    from .store import Store

    with Store(params.store_url) as store:
        table = table_from_store(store, params.organisation, params.period, "risk")
        methods = methods_in_store(store, params.organisation, params.period, "risk")
    register = validate_register(table, loaded.methodology, params.partner_roles)
    other = sorted({f"{m.name} {m.version or ''}".strip() for m in methods
                    if (m.name, m.sha256) != (loaded.methodology.name, loaded.sha256)})
    if other:
        register.warnings.append(f"Some risks were saved under another methodology version ({', '.join(other)}); "
                                 f"they are scored here under {loaded.methodology.name} "
                                 f"{loaded.methodology.version}.")
    return register


def run_risk_evaluation(params: RiskEvaluationParams):
    """Load the methodology and register named by the parameters and evaluate the register."""
    from .risk import evaluate

    loaded, register, appetite = load_risk_inputs(params)
    ev = evaluate(register, loaded, params.as_of, appetite=appetite, banding=params.banding,
                  partner_roles=params.partner_roles)
    ev.organisation, ev.period = params.organisation, params.period
    return ev


def landing_page(organisation: str = "", period: str = "") -> str:
    """HTML listing every assessment, what it is for, and a link to its form."""
    import html
    from urllib.parse import urlencode

    query = urlencode({k: v for k, v in (("organisation", organisation), ("period", period)) if v})
    rows = "".join(
        f'<tr><td><a class="wb-app-link" href="{html.escape(a.notebook)}{"?" + query if query else ""}">'
        f"{html.escape(a.name.replace('-', ' ').capitalize())}</a></td><td>{html.escape(a.purpose)}</td></tr>"
        for a in ASSESSMENTS.values())
    return f"<table><thead><tr><th>Assessment</th><th>What it is for</th></tr></thead><tbody>{rows}</tbody></table>"
