"""Altair charts for the risk monitoring: a small multiple per metric (its readings over the periods, the tolerance
band shaded, each reading coloured by its state) and the metrics' states per risk type. Colours and state names are
data (``data/states.yaml``); charts render as static SVG, so reports need no network.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from workbook_lib.assessments.monitoring.inputs import states
from workbook_lib.assessments.monitoring.kri import value_words
from workbook_lib.assessments.monitoring.monitor import STATE_ORDER
from workbook_lib.core.charts import altair, label_axis, legend, title

if TYPE_CHECKING:
    import altair as alt

    from workbook_lib.assessments.monitoring.monitor import MonitoringResult

PANEL_WIDTH, PANEL_HEIGHT, COLUMNS = 190, 100, 3
AXIS_TITLE = {"%": "percent", "days": "days", "ratio": "ratio to 1", "count": "count"}


def _state_scale() -> alt.Scale:
    look = states().states
    return altair().Scale(domain=[look[s].label for s in STATE_ORDER], range=[look[s].colour for s in STATE_ORDER])


def _domain(values: list[float], low: float | None, high: float | None, unit: str) -> tuple[float, float]:
    """The y range of a panel: every reading and bound, padded; never below 0 for a count, days or ratio."""
    points = [v for v in [*values, low, high] if v is not None]
    lo, hi = min(points), max(points)
    pad = (hi - lo) * 0.15 or max(abs(hi) * 0.2, 1.0)
    lo, hi = lo - pad, hi + pad
    if unit != "%" or min(points) >= 0:
        lo = max(lo, 0.0)
    return lo, hi


def trend_data(result: MonitoringResult, metric: str) -> tuple[pd.DataFrame, dict]:
    """One metric's readings over the periods (with each reading's state) and its band and y range."""
    row = result.states[result.states["metric"] == metric].iloc[0]
    spec = result.catalogue.catalogue.find(metric)
    band = spec.range
    warn = result.warning if result.warning is not None else spec.warning
    points = [(p, float(v)) for p, v in zip(result.periods, row["trend"], strict=True)
              if v is not None and not math.isnan(v)]
    frame = pd.DataFrame({"period": [p for p, _ in points], "value": [v for _, v in points],
                          "reading": [value_words(v, spec.unit) for _, v in points],
                          "state": [states().label(band.state(v, warn)) for _, v in points]})
    lo, hi = _domain(list(frame["value"]), band.low, band.high, spec.unit)
    shade = {"y": band.low if band.low is not None else lo, "y2": band.high if band.high is not None else hi}
    limits = [b for b in (band.low, band.high) if b is not None]
    return frame, {"domain": [lo, hi], "band": shade, "limits": limits, "unit": spec.unit, "name": spec.name,
                   "tolerance": band.describe()}


def _panel(result: MonitoringResult, metric: str, first: bool) -> alt.LayerChart:
    alt = altair()
    frame, info = trend_data(result, metric)
    x = alt.X("period:O", sort=result.periods, scale=alt.Scale(domain=result.periods), title=None,
              axis=label_axis(result.periods, labelAngle=0))
    y = alt.Y("value:Q", scale=alt.Scale(domain=info["domain"], nice=False, zero=False),
              axis=alt.Axis(title=AXIS_TITLE[info["unit"]], tickCount=4, labelLimit=0, titleLimit=0,
                            **({"tickMinStep": 1, "format": "d"} if info["unit"] == "count" else {})))
    band = alt.Chart(pd.DataFrame([info["band"]])).mark_rect(color=states().band_colour, opacity=0.8).encode(
        y=alt.Y("y:Q", scale=alt.Scale(domain=info["domain"], nice=False, zero=False)), y2="y2:Q")
    limits = alt.Chart(pd.DataFrame({"limit": info["limits"]})).mark_rule(color="#2e7d32", strokeDash=[4, 3]).encode(
        y=alt.Y("limit:Q", scale=alt.Scale(domain=info["domain"], nice=False, zero=False)))
    base = alt.Chart(frame).encode(x=x, y=y)
    line = base.mark_line(color="#546e7a")
    colour = alt.Color("state:N", scale=_state_scale(),
                       legend=legend([s.label for s in states().states.values()], title="Reading",
                                     orient="bottom") if first else None)
    dots = base.mark_point(filled=True, size=70, opacity=1).encode(
        color=colour, tooltip=[alt.Tooltip("period:N", title="Period"), alt.Tooltip("reading:N", title="Reading"),
                               alt.Tooltip("state:N", title="State")])
    heading = title(info["name"], PANEL_WIDTH, subtitle=f"Tolerance: {info['tolerance']}")
    return (band + limits + line + dots).properties(width=PANEL_WIDTH, height=PANEL_HEIGHT, title=heading)


def trends(result: MonitoringResult) -> alt.ConcatChart | None:
    """A panel per metric with a reading in any period: the readings, the tolerance band shaded and its limits
    dashed (a zero tolerance is a dashed line at 0)."""
    alt = altair()
    read = [m for m, t in zip(result.states["metric"], result.states["trend"], strict=True)
            if any(v is not None and not math.isnan(v) for v in t)]
    if not read:
        return None
    panels = [_panel(result, m, i == 0) for i, m in enumerate(read)]
    heading = (f"Readings per period against each metric's tolerance (shaded band), {result.periods[0]} to "
               f"{result.periods[-1]}" if len(result.periods) > 1 else f"Readings for {result.period} against each "
               "metric's tolerance (shaded band)")
    width = COLUMNS * (PANEL_WIDTH + 80)
    return (alt.concat(*panels, columns=COLUMNS).properties(title=title(heading, width))
            .resolve_scale(color="shared", y="independent", x="independent"))


def state_overview(result: MonitoringResult) -> alt.Chart:
    """How many metrics of each risk type are outside, near, within tolerance or without a reading."""
    alt = altair()
    look = states()
    data = (result.states.assign(state=result.states["state"].map(look.label))
            .groupby(["risk_type", "state"], as_index=False).size().rename(columns={"size": "metrics"}))
    order = [look.label(s) for s in STATE_ORDER]
    data["order"] = data["state"].map(order.index)
    types = list(dict.fromkeys(result.states["risk_type"]))
    width = 360
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("risk_type:N", sort=types, title=None, axis=label_axis(types)),
        x=alt.X("metrics:Q", title="Metrics", axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("state:N", scale=_state_scale(), legend=legend(order, title="State")),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("risk_type:N", title="Risk type"), alt.Tooltip("state:N", title="State"),
                 alt.Tooltip("metrics:Q", title="Metrics")],
    ).properties(width=width, height=22 * len(types), title=title("Metrics by state and risk type", width))

