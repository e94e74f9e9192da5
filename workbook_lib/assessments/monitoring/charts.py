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
from workbook_lib.assessments.monitoring.scoring import STATE_ORDER
from workbook_lib.core.charts import altair, label_axis, legend, title, wrap

if TYPE_CHECKING:
    import altair as alt

    from workbook_lib.assessments.monitoring.scoring import MonitoringResult

PANEL_WIDTH, PANEL_HEIGHT, COLUMNS = 190, 100, 3
HEADER_SIZE = 11


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


def trend_frame(result: MonitoringResult) -> tuple[pd.DataFrame, list[str]]:
    """Every panel's rows in one frame (readings, its band and its limits, by ``kind``) and the panels' headings in
    order; a heading is the metric's name and its tolerance, wrapped to the panel's width ("|" between lines)."""
    parts, headings = [], []
    for metric, trend in zip(result.states["metric"], result.states["trend"], strict=True):
        if not any(v is not None and not math.isnan(v) for v in trend):
            continue
        frame, info = trend_data(result, metric)
        lines = wrap(info["name"], PANEL_WIDTH, HEADER_SIZE) + wrap(f"Tolerance: {info['tolerance']}", PANEL_WIDTH,
                                                                     HEADER_SIZE)
        heading = "|".join(lines)
        headings.append(heading)
        parts += [frame.assign(kind="reading", panel=heading),
                  pd.DataFrame([{**info["band"], "kind": "band", "panel": heading}]),
                  pd.DataFrame({"y": info["limits"], "kind": "limit", "panel": heading}),
                  pd.DataFrame({"y": info["domain"], "kind": "edge", "panel": heading})]
    return (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()), headings


def trends(result: MonitoringResult) -> alt.FacetChart | None:
    """A panel per metric with a reading in any period: the readings, the tolerance band shaded and its limits
    dashed (a zero tolerance is a dashed line at 0). One faceted chart (each panel its own scale), not a chart per
    panel: a tenth of the work to build and draw for the same picture."""
    alt = altair()
    data, headings = trend_frame(result)
    if not headings:
        return None
    scale = alt.Scale(nice=False, zero=False)
    axis = alt.Axis(title=None, tickCount=4, labelLimit=0, minExtent=30)  # panels aligned whatever their labels
    x = alt.X("period:O", sort=result.periods, scale=alt.Scale(domain=result.periods), title=None,
              axis=label_axis(result.periods, labelAngle=0))
    size = {"width": PANEL_WIDTH, "height": PANEL_HEIGHT}

    def of(kind: str) -> alt.Chart:
        return alt.Chart().transform_filter(alt.datum.kind == kind).properties(**size)

    band = of("band").mark_rect(color=states().band_colour, opacity=0.8).encode(
        y=alt.Y("y:Q", scale=scale, axis=axis), y2="y2:Q")
    limits = of("limit").mark_rule(color="#2e7d32", strokeDash=[4, 3]).encode(y=alt.Y("y:Q", scale=scale))
    edges = of("edge").mark_point(opacity=0).encode(y=alt.Y("y:Q", scale=scale))  # each panel's padded range
    line = of("reading").mark_line(color="#546e7a").encode(x=x, y=alt.Y("value:Q", scale=scale))
    dots = of("reading").mark_point(filled=True, size=70, opacity=1).encode(
        x=x, y=alt.Y("value:Q", scale=scale),
        color=alt.Color("state:N", scale=_state_scale(),
                        legend=legend([s.label for s in states().states.values()], title="Reading", orient="bottom")),
        tooltip=[alt.Tooltip("period:N", title="Period"), alt.Tooltip("reading:N", title="Reading"),
                 alt.Tooltip("state:N", title="State")])
    header = alt.Header(title=None, labelExpr="split(datum.value, '|')", labelLimit=0, labelFontSize=HEADER_SIZE,
                        labelFontWeight="bold", labelAlign="center")
    heading = (f"Readings per period against each metric's tolerance (shaded band), {result.periods[0]} to "
               f"{result.periods[-1]}" if len(result.periods) > 1 else f"Readings for {result.period} against each "
               "metric's tolerance (shaded band)")
    width = COLUMNS * (PANEL_WIDTH + 60)
    return (alt.layer(band, edges, limits, line, dots, data=data)
            .facet(facet=alt.Facet("panel:N", sort=headings, header=header), columns=COLUMNS)
            .resolve_scale(y="independent").properties(title=title(heading, width)))


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

