"""Running the risk monitoring from parameters: the catalogue, the readings (a file, or the store's periods), the
KRIs and, when there is one, the evaluated register; every input problem is raised at once."""

from __future__ import annotations

import pandas as pd

from workbook_lib.assessments.monitoring.catalogue import LoadedCatalogue, load_loaded_catalogue
from workbook_lib.assessments.monitoring.inputs import MonitoringParams
from workbook_lib.assessments.monitoring.kri import Kri, load_kris
from workbook_lib.assessments.monitoring.readings import COLUMNS, READINGS_COLUMNS, Readings, validate_readings
from workbook_lib.assessments.monitoring.records import KRI_LINK, READING, kris_of
from workbook_lib.assessments.monitoring.scoring import EvaluatedRegister, MonitoringResult, assess
from workbook_lib.assessments.risk.methodology import Methodology, load_methodology
from workbook_lib.assessments.risk.records import RISK
from workbook_lib.assessments.risk.run import run_risk_evaluation
from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.records import earlier_periods, table_for, table_from_store
from workbook_lib.core.source import source_of
from workbook_lib.core.tables import Table, read_table


def _store_readings(params: MonitoringParams, catalogue: LoadedCatalogue, current: Table | None) -> Readings:
    """The readings saved for the period and every earlier one; each record's period is the one it is saved
    under."""
    tables = [*earlier_periods(params, READING), (params.period, current or table_for(params, READING))]
    frames, problems, warnings = [], [], []
    for period, table in tables:
        try:
            readings = validate_readings(table, catalogue.catalogue) if len(table.frame) else None
        except InputError as exc:
            problems += exc.problems
            continue
        if readings is not None:
            frames.append(readings.frame.assign(period=period))
            warnings += readings.warnings
    if problems:
        raise InputError(problems)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    return Readings(f"the readings saved for {params.organisation}", frame, warnings)


def _file_readings(params: MonitoringParams, catalogue: LoadedCatalogue, table: Table | None) -> Readings:
    if table is None:
        table = read_table(params.resolve(params.readings), READINGS_COLUMNS, sheet=params.sheet)
    return validate_readings(table, catalogue.catalogue)


def _register(params: MonitoringParams) -> tuple[EvaluatedRegister | None, Methodology | None, list[str]]:
    """The evaluated register when the parameters name one (a file) or the store holds risks for the period, the
    methodology it was rated on (else the one the parameters name, if any), and notes."""
    if source_of(params).from_store:
        if not params.methodology or not len(table_for(params, RISK).frame):
            return None, _methodology(params), [f"No risks are saved for {params.organisation} in {params.period}, "
                                                "so the key risk indicators' links to risks are not checked."]
    elif not params.register_file:
        return None, _methodology(params), ["No risk register is given, so the key risk indicators' links to risks "
                                            "are not checked."]
    ev = run_risk_evaluation(params, earlier=False)  # the register's ratings now; its movement is not needed
    m = ev.methodology.methodology
    lowest = min(m.banding(ev.banding).bands, key=lambda b: b.min).name
    label = params.register_file or f"the risks saved for {params.organisation}"
    return EvaluatedRegister(ev.risks, lowest, str(label)), m, list(ev.warnings)


def _methodology(params: MonitoringParams) -> Methodology | None:
    return load_methodology(params.methodology_ref()).methodology if params.methodology else None


def stored_kris(params: MonitoringParams, catalogue: LoadedCatalogue) -> tuple[list[Kri], str | None]:
    """The KRI links saved for the period, else for the latest earlier period that has some (and that period);
    ([], None) when the store holds none."""
    store = source_of(params).store()
    for period in sorted((p for p in store.periods(params.organisation) if p <= params.period), reverse=True):
        if store.current(params.organisation, period, KRI_LINK.kind):
            table = table_from_store(store, params.organisation, period, KRI_LINK)
            return kris_of(table, catalogue.catalogue), period
    return [], None


def _kris(params: MonitoringParams, catalogue: LoadedCatalogue) -> tuple[list[Kri], str]:
    """The KRIs and where they come from: with ``source: store`` those saved (if any), else the parameters'."""
    if source_of(params).from_store:
        kris, period = stored_kris(params, catalogue)
        if period is not None:
            where = "saved for this period" if period == params.period else f"saved for {period}, carried over"
            return kris, f"Key risk indicators: {len(kris)}, {where}."
    kris = load_kris(params.kris, catalogue.catalogue, source="kris (key risk indicators) in the parameters")
    return kris, (f"Key risk indicators: {len(kris)}, from the parameters." if kris else
                  "No key risk indicators are set, so no risk is linked to a metric.")


def load_monitoring_inputs(params: MonitoringParams, readings_table: Table | None = None
                           ) -> tuple[LoadedCatalogue, Readings, list[Kri], str]:
    """Load and check the catalogue, the readings and the KRIs; raise one InputError with every problem."""
    catalogue = load_loaded_catalogue(params.catalogue_ref())
    problems: list[Problem] = []
    readings = kris = None
    kris_note = ""
    try:
        readings = (_store_readings(params, catalogue, readings_table) if source_of(params).from_store
                    else _file_readings(params, catalogue, readings_table))
    except InputError as exc:
        problems += exc.problems
    try:
        kris, kris_note = _kris(params, catalogue)
    except InputError as exc:
        problems += exc.problems
    if problems:
        raise InputError(problems)
    return catalogue, readings, kris, kris_note


def run_monitoring(params: MonitoringParams, readings_table: Table | None = None) -> MonitoringResult:
    """Monitor the period the parameters name."""
    catalogue, readings, kris, kris_note = load_monitoring_inputs(params, readings_table)
    register, m, notes = _register(params)
    authority = m.escalation.above_tolerance if m is not None and m.escalation else None
    return assess(catalogue, readings, params.period, params.as_of, kris, register, authority,
                  organisation=params.organisation, methodology=m.title if m is not None else None,
                  warning=params.warning, notes=[kris_note, *notes])
