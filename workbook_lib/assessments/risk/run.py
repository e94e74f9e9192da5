"""Running the risk evaluation: load and check the inputs the parameters name, then evaluate."""

from __future__ import annotations

from workbook_lib.assessments.risk.methodology import LoadedMethodology, load_methodology
from workbook_lib.assessments.risk.params import RiskEvaluationParams
from workbook_lib.assessments.risk.records import RISK
from workbook_lib.assessments.risk.register import Register, load_register, validate_register
from workbook_lib.assessments.risk.scoring import Appetite, RiskEvaluation, evaluate
from workbook_lib.core.params import ParameterError
from workbook_lib.core.records import methods_in_store, table_from_store


def load_risk_inputs(params: RiskEvaluationParams) -> tuple[LoadedMethodology, Register, Appetite]:
    """Load and check everything the parameters name (methodology, banding, appetite, register).

    Raises MethodologyError or InputError; evaluates nothing, so ``workbook run`` can fail fast.
    """
    loaded = with_tolerance(load_methodology(params.methodology_ref()), params.tolerance)
    loaded.methodology.banding(params.banding)
    appetite = Appetite.resolve(params.appetite_spec(), loaded.methodology, params.banding)
    if params.source == "store":
        register = register_from_store(params, loaded)
    else:
        register = load_register(params.resolve(params.register_file), loaded.methodology, sheet=params.sheet,
                                 partner_roles=params.partner_roles, options=params.read_options())
    return loaded, register, appetite


def with_tolerance(loaded: LoadedMethodology, tolerance: int | str | None) -> LoadedMethodology:
    """The methodology with the organisation's own tolerance (a score or band name) in its escalation rule."""
    if tolerance in (None, ""):
        return loaded
    m = loaded.methodology
    if m.escalation is None:
        raise ParameterError(f"tolerance {tolerance!r}: {m.title} has no escalation rule saying who acts above "
                             "tolerance; leave the tolerance blank or choose a methodology with one")
    m = m.model_copy(update={"escalation": m.escalation.model_copy(update={"tolerance": tolerance})})
    try:
        m.threshold("tolerance")
    except ValueError:
        bands = ", ".join(b.name for b in m.bandings[m.default_banding].bands)
        raise ParameterError(f"tolerance {tolerance!r}: expected a score or one of the bands {bands}") from None
    return loaded.model_copy(update={"methodology": m})


def register_from_store(params: RiskEvaluationParams, loaded: LoadedMethodology) -> Register:
    """The organisation's register for the period, as saved in the store, validated like a file."""
    from workbook_lib.core.store import Store  # lazy: SQLAlchemy (0.12 s), only for a run that reads the store

    with Store(params.store_url, create=False) as store:
        table = table_from_store(store, params.organisation, params.period, RISK)
        methods = methods_in_store(store, params.organisation, params.period, RISK)
    register = validate_register(table, loaded.methodology, params.partner_roles, params.read_options())
    other = sorted({f"{m.name} {m.version or ''}".strip() for m in methods
                    if (m.name, m.sha256) != (loaded.methodology.name, loaded.sha256)})
    if other:
        register.warnings.append(f"Some risks were saved under another methodology version ({', '.join(other)}); "
                                 f"they are scored here under {loaded.methodology.name} "
                                 f"{loaded.methodology.version}.")
    return register


def run_risk_evaluation(params: RiskEvaluationParams) -> RiskEvaluation:
    """Load the methodology and register named by the parameters and evaluate the register."""
    loaded, register, appetite = load_risk_inputs(params)
    ev = evaluate(register, loaded, params.as_of, appetite=appetite, banding=params.banding,
                  partner_roles=params.partner_roles)
    ev.organisation, ev.period = params.organisation, params.period
    return ev
