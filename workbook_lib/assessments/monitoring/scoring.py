"""One period's monitoring: every metric's latest reading against its tolerance with its trend, the risks whose
key risk indicators are outside tolerance (a Low-rated one flagged as a rating to revisit), the escalations, and
the metrics without a reading (listed, never taken as within tolerance)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from workbook_lib.assessments.monitoring.catalogue import LoadedCatalogue
from workbook_lib.assessments.monitoring.kri import Kri, escalations, metric_states, risks_to_revisit
from workbook_lib.assessments.monitoring.readings import COLUMNS, Readings
from workbook_lib.core.datafiles import normalise_label

STATE_ORDER = ("outside", "near", "within", "missing")  # worst first


@dataclass
class EvaluatedRegister:
    """What the monitoring takes from the evaluated register: its risks (risk_id, category, residual_level,
    decision_maker) and the lowest band's name (a rating to revisit)."""

    risks: pd.DataFrame
    lowest_band: str
    label: str  # the register as the user knows it (a file name, or the store)


@dataclass
class MonitoringResult:
    organisation: str
    period: str
    as_of: dt.date
    catalogue: LoadedCatalogue
    periods: list[str]  # the trend's periods, oldest first, ending with ``period``
    readings: pd.DataFrame  # every reading of those periods (readings.COLUMNS)
    states: pd.DataFrame  # one row per metric (kri.STATE_COLUMNS)
    revisit: pd.DataFrame  # kri.REVISIT_COLUMNS
    escalations: pd.DataFrame  # kri.ESCALATION_COLUMNS
    kris: list[Kri]
    register: EvaluatedRegister | None
    authority: str | None  # approves an unavoidable position above tolerance (the methodology's); None: no rule
    methodology: str | None  # the methodology's title, when one is set
    readings_label: str  # where the readings came from, as the user knows it
    warning: float | None = None  # the run's own warning zone, if any
    notes: list[str] = field(default_factory=list)  # what was read as written, links that found nothing, ...

    def count(self, state: str) -> int:
        return int((self.states["state"] == state).sum())

    @property
    def missing(self) -> pd.DataFrame:
        return self.states[self.states["state"] == "missing"]


def trend_periods(readings: pd.DataFrame, period: str) -> tuple[list[str], list[str]]:
    """The periods up to ``period`` (compared as text, as the store orders periods) and those after it."""
    given = {normalise_label(p): p for p in readings["period"]}
    given.setdefault(normalise_label(period), period)
    current = normalise_label(period)
    ordered = sorted(given)
    return [given[k] for k in ordered if k <= current], [given[k] for k in ordered if k > current]


def later_notes(readings: pd.DataFrame, later: list[str], period: str) -> list[str]:
    keys = readings["period"].map(normalise_label)
    return [f"{int((keys == normalise_label(p)).sum())} reading(s) for {p}, after {period}, are not used here."
            for p in later]


def assess(catalogue: LoadedCatalogue, readings: Readings | pd.DataFrame, period: str, as_of: dt.date,
           kris: list[Kri], register: EvaluatedRegister | None, authority: str | None, *, organisation: str = "",
           methodology: str | None = None, warning: float | None = None,
           notes: list[str] | None = None) -> MonitoringResult:
    """Monitor one period from readings of it and of earlier periods (later ones are set aside, with a note)."""
    frame = readings.frame if isinstance(readings, Readings) else readings
    frame = frame if len(frame) else pd.DataFrame(columns=COLUMNS)
    label = readings.file if isinstance(readings, Readings) else "the readings given"
    notes = list(notes or []) + (list(readings.warnings) if isinstance(readings, Readings) else [])
    periods, later = trend_periods(frame, period)
    notes += later_notes(frame, later, period)
    used = frame[frame["period"].map(normalise_label).isin({normalise_label(p) for p in periods})]
    states = metric_states(catalogue.catalogue, used, period, periods, warning=warning)
    states = states.assign(_o=states["state"].map(STATE_ORDER.index)).sort_values("_o", kind="stable")
    states = states.drop(columns="_o").reset_index(drop=True)
    if register is not None:
        revisit, link_notes = risks_to_revisit(states, kris, register.risks, register.lowest_band)
        notes += link_notes
    else:
        revisit = risks_to_revisit(states, [], pd.DataFrame(columns=["risk_id"]), "")[0]
    found = escalations(states, kris, None if register is None else register.risks, authority,
                        catalogue.catalogue.escalate_to)
    return MonitoringResult(organisation, period, as_of, catalogue, periods, used.reset_index(drop=True), states,
                            revisit, found, kris, register, authority, methodology, label, warning, notes)
