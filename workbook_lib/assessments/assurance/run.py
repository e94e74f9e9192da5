"""Running combined assurance from parameters: load and check every input, evaluate the register, analyse the
map, write the outputs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbook_lib.assessments.assurance.inputs import (
    AssuranceMap,
    CombinedAssuranceParams,
    Delivery,
    load_assurance_map,
    load_delivery,
    long_map,
    validate_assurance_map,
    validate_delivery,
)
from workbook_lib.assessments.assurance.model import LoadedFramework, load_assurance_framework
from workbook_lib.assessments.assurance.providers import Provider, merge_providers
from workbook_lib.assessments.assurance.records import DELIVERY, ENTRY
from workbook_lib.assessments.assurance.rules import resolve_required, resolve_scope
from workbook_lib.assessments.assurance.scoring import CombinedAssurance, analyse
from workbook_lib.assessments.maturity.run import maturity_of
from workbook_lib.assessments.risk.methodology import LoadedMethodology
from workbook_lib.assessments.risk.register import Register
from workbook_lib.assessments.risk.run import load_risk_inputs
from workbook_lib.assessments.risk.scoring import Appetite, evaluate
from workbook_lib.core.datafiles import normalise_label
from workbook_lib.core.params import ParameterError
from workbook_lib.core.records import table_for
from workbook_lib.core.source import source_of


@dataclass
class AssuranceInputs:
    """Everything the parameters name, loaded and checked."""

    loaded: LoadedMethodology
    register: Register
    appetite: Appetite
    framework: LoadedFramework
    providers: list[Provider]
    assurance_map: AssuranceMap | None
    delivery: Delivery | None = None


def framework_and_providers(params: CombinedAssuranceParams) -> tuple[LoadedFramework, list[Provider]]:
    """The framework the parameters name and its providers with the organisation's own (as the run uses)."""
    framework = load_assurance_framework(params.framework_ref())
    return framework, providers_for(framework, params)


def providers_for(framework: LoadedFramework, params: CombinedAssuranceParams) -> list[Provider]:
    """The framework's providers with the organisation's own the parameters give (a list, or a YAML file)."""
    base = Path(params.parameters_dir) if params.parameters_dir else None
    extra = params.providers
    if isinstance(extra, str):
        extra = params.resolve(extra)
    return merge_providers(framework.framework, extra, base)


def load_assurance_inputs(params: CombinedAssuranceParams) -> AssuranceInputs:
    """Load and check everything the parameters name; evaluates nothing (``workbook run`` fails fast).

    Raises MethodologyError (FrameworkError), ParameterError or InputError.
    """
    loaded, register, appetite = load_risk_inputs(params)
    framework, providers = framework_and_providers(params)
    fw = framework.framework
    amap, delivery = None, None
    if source_of(params).from_store:  # the entries and deliveries saved through the form
        table = table_for(params, ENTRY)
        if len(table.frame):
            amap = validate_assurance_map(long_map(table, providers), providers, fw.frequencies)
        table = table_for(params, DELIVERY)
        if len(table.frame):
            delivery = validate_delivery(table, fw.delivery, providers)
    else:
        if params.assurance_map:
            amap = load_assurance_map(params.resolve(params.assurance_map), providers, fw.frequencies,
                                      sheet=params.map_sheet, columns=fw.map_columns)
        if params.assurance_delivery:
            delivery = load_delivery(params.resolve(params.assurance_delivery), fw, providers,
                                     sheet=params.delivery_sheet)
    # parameter values that depend on the framework and the banding, checked before any evaluation
    bands = list(loaded.methodology.banding(params.banding).bands)
    fw.maturity_status(maturity_of(params))
    resolve_scope(params.scope_min_residual, fw, bands)
    resolve_required(fw, params.required_by, [b.name for b in sorted(bands, key=lambda b: b.min)],
                     params.required_coverage)
    if params.duplication_frequency is not None and \
            normalise_label(params.duplication_frequency) not in fw.frequency_lookup():
        raise ParameterError(f"duplication_frequency {params.duplication_frequency!r}: expected one of "
                             + ", ".join(f.label for f in fw.frequencies))
    return AssuranceInputs(loaded, register, appetite, framework, providers, amap, delivery)


def run_combined_assurance(params: CombinedAssuranceParams) -> CombinedAssurance:
    """Evaluate the register named by the parameters and analyse its assurance map."""
    inputs = load_assurance_inputs(params)
    ev = evaluate(inputs.register, inputs.loaded, params.as_of, appetite=inputs.appetite, banding=params.banding,
                  partner_roles=params.partner_roles)
    result = analyse(ev, inputs.assurance_map, inputs.framework, inputs.providers,
                     scope_min_residual=params.scope_min_residual, required_by=params.required_by,
                     required_coverage=params.required_coverage, duplication_threshold=params.duplication_threshold,
                     duplication_frequency=params.duplication_frequency, maturity_status=maturity_of(params),
                     delivery=inputs.delivery)
    result.plan = params.plan_settings()
    return result
