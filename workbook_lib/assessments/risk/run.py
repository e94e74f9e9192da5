"""Running the risk evaluation: load and check the inputs the parameters name (the register and any earlier
periods), evaluate the register, and how its risks moved since the earlier periods (risk.changes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from workbook_lib.assessments.risk.changes import Movement, changes_across
from workbook_lib.assessments.risk.earlier_report import read_report
from workbook_lib.assessments.risk.inputs import EarlierPeriod, RiskEvaluationParams
from workbook_lib.assessments.risk.methodology import (
    LoadedMethodology,
    Methodology,
    load_methodology,
    with_control_factors,
    with_tolerance,
)
from workbook_lib.assessments.risk.quantify import Quantification, quantify
from workbook_lib.assessments.risk.quantify_inputs import risk_inputs as quantify_inputs
from workbook_lib.assessments.risk.records import RISK
from workbook_lib.assessments.risk.register import Register, load_register, validate_register
from workbook_lib.assessments.risk.scoring import Appetite, RiskEvaluation, evaluate
from workbook_lib.assessments.risk.tiers import AppliedTier, applied
from workbook_lib.core.errors import InputError
from workbook_lib.core.params import ParameterError
from workbook_lib.core.records import earlier_periods, methods_in_store, table_from_store
from workbook_lib.core.source import source_of

STORE = "the store"
# the register's chance columns as the quantification names them ("Probability" alone is a likelihood heading)
QUANTIFY_NAMES = {"annual_probability": "probability", "annual_probability_low": "probability_low",
                  "annual_probability_high": "probability_high", "residual_annual_probability": "residual_probability"}


@dataclass
class Earlier:
    """An earlier period to compare with: where it came from, and its register or the risks of its report."""

    period: str
    source: str  # the file's name, or the store
    register: Register | None = None
    report: pd.DataFrame | None = None  # risk_id, residual_score, residual_level, status, closed, description


@dataclass
class RiskInputs:
    """Everything a risk evaluation reads, checked: the current register and the earlier periods, oldest first."""

    loaded: LoadedMethodology
    register: Register
    appetite: Appetite
    earlier: list[Earlier] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the earlier periods were read (shown with the movement)
    warnings: list[str] = field(default_factory=list)  # earlier periods in the store left out
    tier: AppliedTier | None = None  # the tier of the maturity status, once found (the marks are read once)


def _settings(params: RiskEvaluationParams) -> tuple[LoadedMethodology, Appetite]:
    loaded = with_tolerance(load_methodology(params.methodology_ref()), params.tolerance)
    loaded = with_control_factors(loaded, params.control_factors, params.organisation)
    loaded.methodology.banding(params.banding)
    return loaded, Appetite.resolve(params.appetite_spec(), loaded.methodology, params.banding)


def _current_register(params: RiskEvaluationParams, loaded: LoadedMethodology) -> Register:
    if source_of(params).from_store:
        return register_from_store(params, loaded)
    return load_register(params.resolve(params.register_file), loaded.methodology, sheet=params.sheet,
                         partner_roles=params.partner_roles, options=params.read_options())


def load_risk_inputs(params: RiskEvaluationParams) -> tuple[LoadedMethodology, Register, Appetite]:
    """Load and check the methodology, banding, appetite and register the parameters name (not earlier periods).

    Raises MethodologyError or InputError; evaluates nothing (combined assurance reads the register this way).
    """
    loaded, appetite = _settings(params)
    return loaded, _current_register(params, loaded), appetite


def check_risk_inputs(params: RiskEvaluationParams) -> RiskInputs:
    """Load and check everything a risk evaluation reads, so ``workbook run`` can fail fast: the register and the
    earlier periods, with every problem in any of their files at once (InputError); renamed IDs that match no risk
    raise ParameterError. Earlier periods given as files win over the same periods in the store."""
    loaded, appetite = _settings(params)
    failed: list[InputError] = []
    register = _attempt(failed, _current_register, params, loaded)
    inputs = RiskInputs(loaded, register, appetite)  # type: ignore[arg-type]  # checked below
    for entry in params.earlier:
        found = _attempt(failed, _earlier_file, params, entry, loaded, inputs.notes)
        if found is not None:
            inputs.earlier.append(found)
    if source_of(params).from_store:
        _earlier_in_store(params, loaded, inputs)
    if failed:
        first = failed[0]
        raise InputError([p for exc in failed for p in exc.problems], first.readings, first.skipped)
    inputs.earlier.sort(key=lambda e: e.period.strip().casefold())
    _check_renames(params, inputs)
    inputs.tier = applied_tier(params, register)
    if inputs.tier.tier.quantify:  # the tier's report needs money ranges: checked before a run
        quantify_inputs(register.frame.rename(columns=QUANTIFY_NAMES), _with_money(params, loaded), "residual")
    return inputs


def _attempt(failed: list[InputError], fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``, or None with its InputError kept (every file's problems are reported together)."""
    try:
        return fn(*args)
    except InputError as exc:
        failed.append(exc)
        return None


def _earlier_file(params: RiskEvaluationParams, entry: EarlierPeriod, loaded: LoadedMethodology,
                  notes: list[str]) -> Earlier:
    """An earlier period given as a file: its register read as the current one is (partner roles aside), or the
    risks of its report."""
    path = params.resolve(entry.file)
    if entry.register_file is not None:
        register = load_register(path, loaded.methodology, sheet=entry.sheet, options=params.read_options())
        return Earlier(entry.period, path.name, register=register)
    risks, said = read_report(path, entry.period, params.organisation, loaded, params.banding)
    notes.extend([f"{entry.period} is taken from its report: the levels and scores reported then.", *said])
    return Earlier(entry.period, path.name, report=risks)


def _earlier_in_store(params: RiskEvaluationParams, loaded: LoadedMethodology, inputs: RiskInputs) -> None:
    """The earlier periods saved in the store, read under the current methodology; a period given as a file is
    taken from the file, and a period that cannot be read under the current settings is left out, with a warning."""
    given = {e.period.strip().casefold() for e in params.earlier}
    for period, table in earlier_periods(params, RISK):
        if period.strip().casefold() in given:
            inputs.notes.append(f"{period} is both in the store and given as a file: the file was used.")
            continue
        try:
            register = validate_register(table, loaded.methodology, [], params.read_options())
        except InputError as exc:
            n = len(exc.problems)
            inputs.warnings.append(
                f"The register saved for {period} cannot be read under {loaded.methodology.name} ({n} problem"
                f"{'s' if n != 1 else ''}, first: {exc.problems[0].line()}); it is left out of the movement.")
            continue
        inputs.earlier.append(Earlier(period, STORE, register=register))


# ---- renamed risk IDs -----------------------------------------------------------------------------------
def _ids(earlier: Earlier) -> set[str]:
    frame = earlier.register.frame if earlier.register is not None else earlier.report
    return set(frame["risk_id"].astype(str)) if frame is not None else set()


def _check_renames(params: RiskEvaluationParams, inputs: RiskInputs) -> None:
    """Every renamed ID names a risk of the period before and a risk of the period it is renamed into
    (ParameterError naming each that does not): a mapping is never dropped silently."""
    if not params.renamed_ids:
        return
    if not inputs.earlier:
        raise ParameterError("renamed_ids: there is no earlier period to compare with; name one under earlier: (or "
                             "save it in the store and set source: store), or leave renamed_ids out")
    periods = [*((e.period, e.source, _ids(e)) for e in inputs.earlier),
               (params.period, "the current register", set(inputs.register.frame["risk_id"].astype(str)))]
    renames = params.renames([p for p, _s, _i in periods])
    problems = []
    for (before, source, old), (now, _s, new) in zip(periods, periods[1:], strict=False):
        mapping = renames.get(now, {})
        for k, v in mapping.items():
            if k not in old:
                problems.append(f"{k} -> {v}: {k} is not a risk of {before} ({source})")
            elif v not in new:
                problems.append(f"{k} -> {v}: {v} is not a risk of {now}")
            elif v in old and v not in mapping:
                problems.append(f"{k} -> {v}: {v} was already a risk of {before}; map its old ID too")
        twice = sorted({v for v in mapping.values() if list(mapping.values()).count(v) > 1})
        problems += [f"{', '.join(k for k, x in mapping.items() if x == v)} -> {v}: one current ID for two risks"
                     for v in twice]
    if problems:
        raise ParameterError("renamed_ids: " + "; ".join(problems))


# ---- evaluating -----------------------------------------------------------------------------------------
def register_from_store(params: RiskEvaluationParams, loaded: LoadedMethodology) -> Register:
    """The organisation's register for the period, as saved in the store, validated like a file."""
    store = source_of(params).store()
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


def _evaluated(params: RiskEvaluationParams, inputs: RiskInputs, earlier: Earlier) -> RiskEvaluation:
    """An earlier period evaluated with the current settings (a report's risks as they were scored then)."""
    if earlier.register is not None:
        ev = evaluate(earlier.register, inputs.loaded, params.as_of, appetite=inputs.appetite,
                      banding=params.banding)
    else:
        ev = RiskEvaluation(inputs.loaded, params.banding or inputs.loaded.methodology.default_banding,
                            params.as_of, earlier.report, pd.DataFrame(), pd.DataFrame(), None, [])
    ev.organisation, ev.period = params.organisation, earlier.period
    return ev


def movement(params: RiskEvaluationParams, inputs: RiskInputs, ev: RiskEvaluation) -> Movement:
    """How the risks moved from each earlier period to the next, into the current evaluation ``ev``."""
    evaluations = [(e.period, _evaluated(params, inputs, e)) for e in inputs.earlier] + [(params.period, ev)]
    steps = changes_across(evaluations, params.renames([p for p, _ev in evaluations]))
    return Movement(steps, {e.period: e.source for e in inputs.earlier}, list(inputs.notes))


def run_risk_evaluation(params: RiskEvaluationParams, earlier: bool = True) -> RiskEvaluation:
    """Load the methodology and register named by the parameters and evaluate the register; with earlier periods
    (files, or the store), how the risks moved since (``earlier=False``: the register alone, for an assessment that
    needs only its evaluated risks)."""
    inputs = check_risk_inputs(params) if earlier else RiskInputs(*load_risk_inputs(params))
    ev = evaluate(inputs.register, inputs.loaded, params.as_of, appetite=inputs.appetite, banding=params.banding,
                  partner_roles=params.partner_roles)
    ev.organisation, ev.period = params.organisation, params.period
    ev.appetite_approved_by, ev.appetite_approved_on = params.appetite_approved_by or "", params.appetite_approved_on
    ev.warnings.extend(inputs.warnings)
    ev.tier = inputs.tier or applied_tier(params, inputs.register)
    if ev.tier.tier.quantify:
        ev.quantification = quantified(params, inputs.loaded, ev.risks)
        spread = ev.quantification["residual"].value_map.set_index("risk_id")["volatility"]
        ev.risks["spread"] = ev.risks["risk_id"].map(spread).round(2)  # ranks risks of equal score (report)
    if inputs.earlier:
        ev.movement = movement(params, inputs, ev)
    return ev


def applied_tier(params: RiskEvaluationParams, register: Register) -> AppliedTier:
    """The tier of the organisation's maturity status for the period (the parameter or setting, else scored from
    the maturity marks), with what the register lacks of it."""
    status = params.maturity_status
    if not status:
        from workbook_lib.assessments.maturity.run import maturity_of  # only when the status is not given

        status = maturity_of(params)
    frame = register.frame  # a column the file lacks is there, empty
    filled = {c for c in frame.columns if frame[c].astype("string").str.strip().fillna("").ne("").any()}
    return applied(status, filled)


def _with_money(params: RiskEvaluationParams, loaded: LoadedMethodology) -> Methodology:
    """The methodology with the organisation's money per impact level (``impact_money``), when it gives one."""
    m = loaded.methodology
    return m.model_copy(update={"impact_money": params.impact_money}) if params.impact_money else m


def quantified(params: RiskEvaluationParams, loaded: LoadedMethodology,
               risks: pd.DataFrame) -> dict[str, Quantification]:
    """A risk-intelligent register's simulated annual losses, inherent and residual, with the same seed and trials
    (ParameterError when no risk has a chance a year and a money impact)."""
    m = _with_money(params, loaded)
    risks = risks.rename(columns=QUANTIFY_NAMES)
    return {stage: quantify(quantify_inputs(risks, m, stage), trials=params.simulation_trials,
                            seed=params.simulation_seed, tolerable_loss=params.tolerable_loss)
            for stage in ("inherent", "residual")}
