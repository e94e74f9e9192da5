"""Key risk indicators (KRIs): a tolerance metric linked to risks of the register (by risk ID) or to risk
categories. From the readings of a period: each metric's state against its tolerance and its trend, the risks
whose rating to revisit because a linked metric is outside tolerance, and the escalations that tolerance breach
calls for: to the catalogue's escalation (the guide: senior management), with the methodology's authority above
tolerance approving only a position outside tolerance that cannot be avoided.

A metric with no reading for the period is "missing", never "within". Risk IDs and categories are compared
case-insensitively (spaces collapsed); a link that finds no risk is reported as a warning, never dropped silently.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Self

import numpy as np
import pandas as pd
from pydantic import BeforeValidator, Field, StringConstraints, ValidationError, model_validator

from workbook_lib.assessments.monitoring.catalogue import UNIT_OF, Catalogue
from workbook_lib.assessments.monitoring.readings import Readings, unknown_metric
from workbook_lib.assessments.monitoring.tolerance import with_unit
from workbook_lib.core.datafiles import Strict, normalise_label
from workbook_lib.core.errors import InputError, Problem

NO_ESCALATION = "(no escalation rule in the methodology)"
NO_ESCALATE_TO = "(not named by the metrics catalogue)"
STATE_COLUMNS = ["metric", "name", "risk_type", "unit", "tolerance", "tolerance_words", "favourable", "latest",
                 "state", "better", "trend", "trend_words"]
REVISIT_COLUMNS = ["metric", "name", "latest", "tolerance_words", "risk_id", "category", "residual_level",
                   "decision_maker", "linked_by", "revisit", "reason"]
ESCALATION_COLUMNS = ["metric", "name", "latest", "tolerance_words", "risk_ids", "escalate_to", "approver", "action"]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _as_list(value: Any) -> Any:
    """A single risk ID or category written on its own is a list of one."""
    return [value] if isinstance(value, str) else value


class Kri(Strict):
    """A key risk indicator: a catalogue metric (id or name) and the risks (IDs) or categories it informs."""

    metric: Text
    risks: Annotated[list[Text], BeforeValidator(_as_list)] = Field(default_factory=list)
    categories: Annotated[list[Text], BeforeValidator(_as_list)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _linked(self) -> Self:
        if not self.risks and not self.categories:
            raise ValueError("a KRI links at least one risk ID (risks) or category (categories)")
        return self


def _kri_problems(source: str, number: int, exc: ValidationError) -> list[Problem]:
    """Pydantic's errors for one entry, as problems in the user's words."""
    problems = []
    for error in exc.errors():
        column = str(error["loc"][0]) if error["loc"] else None
        value = "" if error["type"] == "missing" else str(error.get("input", ""))[:60]
        if error["type"] == "extra_forbidden":
            expected = "only the fields metric, risks and categories"
        elif error["type"] == "missing":
            expected = "a metric id or name"
        elif column is None:
            expected, value = "at least one risk ID or risk category it informs", ""
        elif column == "metric":
            expected = "a metric id or name"
        else:
            expected = f"a list of {'risk IDs' if column == 'risks' else 'risk categories'}, none blank"
        problems.append(Problem(source, number, column, value, expected))
    return problems


def load_kris(data: list[dict], catalogue: Catalogue, source: str = "key risk indicators") -> list[Kri]:
    """Every entry checked (fields, links, the metric in the catalogue); InputError with every problem, where a
    problem's row is the entry's place in the list (the first is 1). The KRIs returned name their metric by id."""
    if not isinstance(data, list):
        raise InputError([Problem(source, None, None, type(data).__name__, "a list of KRIs")])
    kris, problems = [], []
    for number, entry in enumerate(data, start=1):
        if not isinstance(entry, dict):
            problems.append(Problem(source, number, None, str(entry)[:60], "a KRI: metric with risks or categories"))
            continue
        try:
            kri = Kri.model_validate(entry)
        except ValidationError as exc:
            problems += _kri_problems(source, number, exc)
            continue
        try:
            kris.append(kri.model_copy(update={"metric": catalogue.find(kri.metric).id}))
        except KeyError:
            problems.append(Problem(source, number, "metric", kri.metric, unknown_metric(catalogue, kri.metric)))
    if problems:
        raise InputError(problems)
    return kris


# --- the metrics' states ------------------------------------------------------------------------------------------

def value_words(value: float | None, unit: str) -> str:
    """A value as people write it in the catalogue unit ("14%", "1.7 : 1", "75 days", "2"); "no reading" if none."""
    if value is None or math.isnan(value):
        return "no reading"
    return with_unit(float(value), UNIT_OF[unit])  # a plain float: numpy's repr is not a number


def trend_words(trend: list[float | None]) -> str:
    """"rising", "falling" or "steady" from the last two known values; "" with fewer than two."""
    known = [v for v in trend if v is not None]
    if len(known) < 2:
        return ""
    before, last = known[-2:]
    if math.isclose(before, last, rel_tol=1e-9, abs_tol=1e-12):
        return "steady"
    return "rising" if last > before else "falling"


def _periods(period: str, periods: list[str] | None) -> list[str]:
    """The periods of the trend, oldest first (the period alone when none are given); the period must be one."""
    order = [period] if periods is None else list(periods)
    keys = [normalise_label(p) for p in order]
    if len(set(keys)) != len(keys):
        raise ValueError(f"the periods of a trend are each given once: {order}")
    if normalise_label(period) not in keys:
        raise ValueError(f"period {period!r} is not among the periods of the trend: {order}")
    return keys


def metric_states(catalogue: Catalogue, readings: Readings | pd.DataFrame, period: str,
                  periods: list[str] | None = None, *, warning: float | None = None) -> pd.DataFrame:
    """One row per catalogue metric: its tolerance, its favourable direction, its reading for ``period`` (NaN if
    none), its state (a metric with no reading is "missing"; one beyond the range on the favourable side is "within"
    with ``better`` True) and its trend over ``periods`` (oldest first; None where no reading).

    ``warning`` (a fraction 0-1) sets a warning zone for every metric instead of the catalogue's own."""
    frame = readings.frame if isinstance(readings, Readings) else readings
    keys = _periods(period, periods)
    values = {(m, normalise_label(p)): float(v) for m, p, v in zip(frame["metric"], frame["period"], frame["value"],
                                                                    strict=True)}
    rows = []
    for metric in catalogue.metrics:
        trend = [values.get((metric.id, k)) for k in keys]
        latest = values.get((metric.id, normalise_label(period)), math.nan)
        tolerance = metric.range
        state = metric.state(latest) if warning is None else tolerance.state(latest, warning)
        rows.append({"metric": metric.id, "name": metric.name, "risk_type": metric.risk_type, "unit": metric.unit,
                     "tolerance": metric.tolerance, "tolerance_words": tolerance.describe(),
                     "favourable": tolerance.favourable, "latest": latest, "state": state,
                     "better": tolerance.better(latest), "trend": trend, "trend_words": trend_words(trend)})
    return pd.DataFrame(rows, columns=STATE_COLUMNS)


# --- links from KRIs to risks ---------------------------------------------------------------------------------------

def _text(value: object) -> str:
    """A cell as text; "" for a missing one (None, NaN, pd.NA)."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _state_of(states: pd.DataFrame, metric: str) -> pd.Series | None:
    """The states' row of a metric given by id or name (case-insensitively), or None."""
    key = normalise_label(metric)
    found = states[(states["metric"].map(normalise_label) == key) | (states["name"].map(normalise_label) == key)]
    return None if found.empty else found.iloc[0]


def _links(kri: Kri, name: str, risks: pd.DataFrame | None) -> tuple[list[tuple[Any, str]], list[str]]:
    """The risks a KRI links, as (index in ``risks``, how it is linked), and a warning for every link that finds
    none. Without a register, nothing is checked and nothing found."""
    if risks is None:
        return [], []
    ids = risks["risk_id"].map(lambda v: normalise_label(_text(v)))
    categories = risks["category"].map(lambda v: normalise_label(_text(v))) if "category" in risks else None
    found: dict[Any, str] = {}
    warnings = []
    for rid in kri.risks:
        matches = risks.index[ids == normalise_label(rid)]
        if matches.empty:
            warnings.append(f"KRI {name}: risk ID {rid!r} is not in the risk register; check the ID or the link.")
        found.update({i: "risk ID" for i in matches if i not in found})
    for category in kri.categories:
        matches = risks.index[categories == normalise_label(category)] if categories is not None else []
        if len(matches) == 0:
            warnings.append(f"KRI {name}: no risk of the register is in category {category!r}.")
        found.update({i: f"category {category}" for i in matches if i not in found})
    return list(found.items()), warnings


def _inactive(risk: pd.Series) -> str:
    """"closed" or "an opportunity" for a risk whose rating is not to revisit for a tolerance breach, else ""."""
    closed = risk.get("closed")
    if (isinstance(closed, bool | np.bool_) and closed) or _text(risk.get("status")).casefold() == "closed":
        return "closed"
    return "an opportunity" if _text(risk.get("status")).casefold() == "opportunity" else ""


def _reason(state: pd.Series, level: str, revisit: bool, inactive: str = "") -> str:
    base = (f"{state['name']} {value_words(state['latest'], state['unit'])} is outside tolerance "
            f"({state['tolerance_words']})")
    if inactive:
        return f"{base}; the risk is {inactive}"
    if revisit:
        return f"{base} but the risk is rated {level}"
    return f"{base}; the risk is rated {level}" if level else f"{base}; the risk is not rated"


def risks_to_revisit(states: pd.DataFrame, kris: list[Kri], risks: pd.DataFrame,
                     lowest_band: str) -> tuple[pd.DataFrame, list[str]]:
    """For every KRI whose metric is outside tolerance, the risks it links (by ID or category) with their rating
    and decision maker; ``revisit`` is True for a risk rated in ``lowest_band``: its metric says otherwise (never for
    a closed risk or an opportunity, whose reason says so).
    Also the warnings: every link (of any KRI) that finds no risk, and every KRI whose metric has no state."""
    risks = risks.reset_index(drop=True)  # one row per label, whatever index the register came with
    rows, warnings = [], []
    for kri in kris:
        state = _state_of(states, kri.metric)
        if state is None:
            warnings.append(f"KRI {kri.metric!r}: the metric is not among the states; it is not checked.")
            continue
        linked, missed = _links(kri, state["name"], risks)
        warnings += missed
        if state["state"] != "outside":
            continue
        for index, how in linked:
            risk = risks.loc[index]
            level = _text(risk.get("residual_level"))
            inactive = _inactive(risk)  # a closed risk or an opportunity is listed, never a rating to revisit
            revisit = not inactive and bool(level) and normalise_label(level) == normalise_label(lowest_band)
            rows.append({"metric": state["metric"], "name": state["name"], "latest": state["latest"],
                         "tolerance_words": state["tolerance_words"], "risk_id": _text(risk["risk_id"]),
                         "category": _text(risk.get("category")), "residual_level": level,
                         "decision_maker": _text(risk.get("decision_maker")), "linked_by": how, "revisit": revisit,
                         "reason": _reason(state, level, revisit, inactive)})
    frame = pd.DataFrame(rows, columns=REVISIT_COLUMNS).drop_duplicates(["metric", "risk_id"], ignore_index=True)
    return frame.astype({"revisit": bool}), list(dict.fromkeys(warnings))


# --- escalation ---------------------------------------------------------------------------------------------------

def _action(name: str, authority: str | None, escalate_to: str | None) -> str:
    to = escalate_to or "the level of management the organisation names (the metrics catalogue names none)"
    who = f"the {authority}" if authority else ("the authority the organisation names for risks above tolerance "
                                                "(the methodology sets none)")
    return (f"{name} is outside its tolerance: analyse the deviation, act on it and escalate it to {to}. Only if "
            f"the position cannot be avoided is staying outside tolerance approved, by {who}, and the metric is then "
            "monitored every period until it is back within tolerance.")


def escalations(states: pd.DataFrame, kris: list[Kri], risks: pd.DataFrame | None, authority: str | None,
                escalate_to: str | None = None) -> pd.DataFrame:
    """One row per metric outside tolerance (a reading better than its range never is): its reading, its tolerance,
    the risk IDs its KRIs link (as the register writes them; without a register, as the KRIs do), who it is
    escalated to (``escalate_to``, the catalogue's; else a note that it names no one) and who approves staying
    outside tolerance where that cannot be avoided: ``authority`` (the methodology's escalation above tolerance),
    or a note that the methodology has no rule."""
    authority = (authority or "").strip() or None
    escalate_to = (escalate_to or "").strip() or None
    risks = None if risks is None else risks.reset_index(drop=True)
    rows = []
    of_kri = [(kri, _state_of(states, kri.metric)) for kri in kris]
    for _, state in states[states["state"] == "outside"].iterrows():
        ids: list[str] = []
        for kri in (k for k, s in of_kri if s is not None and s["metric"] == state["metric"]):
            linked, _warnings = _links(kri, state["name"], risks)  # warned of by risks_to_revisit
            ids += [_text(risks.loc[i, "risk_id"]) for i, _how in linked] if risks is not None else kri.risks
        rows.append({"metric": state["metric"], "name": state["name"], "latest": state["latest"],
                     "tolerance_words": state["tolerance_words"], "risk_ids": list(dict.fromkeys(ids)),
                     "escalate_to": escalate_to or NO_ESCALATE_TO, "approver": authority or NO_ESCALATION,
                     "action": _action(state["name"], authority, escalate_to)})
    return pd.DataFrame(rows, columns=ESCALATION_COLUMNS)
