"""Altair charts for the risk monitoring: a small multiple per metric (its readings over the periods, the tolerance
band shaded, each reading coloured by its state) and the metrics' states per risk type. Colours and state names are
data (``data/states.yaml``); charts render as static SVG, so reports need no network.

Bounded for any catalogue and any number of periods (core.charts): at most ``MAX_PANELS`` panels, the metrics outside
tolerance first; at most ``MAX_POINTS`` dots a panel, earlier periods grouped into spans beyond it (each dot the
mean of its span, a line from its lowest to its highest reading); at most ``MAX_TYPES`` risk types in the overview.
Each chart says what it leaves out; every metric and reading is in the Excel workbook.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from workbook_lib.assessments.monitoring.inputs import states
from workbook_lib.assessments.monitoring.kri import value_words
from workbook_lib.assessments.monitoring.scoring import STATE_ORDER
from workbook_lib.core.charts import altair, label_axis, legend, shown_note, text_width, title, wrap

if TYPE_CHECKING:
    import altair as alt

    from workbook_lib.assessments.monitoring.scoring import MonitoringResult

PANEL_WIDTH, PANEL_HEIGHT, COLUMNS = 190, 100, 3
HEADER_SIZE = 11
MAX_PANELS = 40  # metrics drawn in the trend panels (worst state first); every metric is in the Excel workbook
MAX_POINTS = 60  # dots in a panel: beyond it the periods before the report's are grouped into spans
MAX_TYPES = 30  # risk types in the overview (those with the worst states first); the rest counted as one row


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
    # the band runs on to the panel's edge on the favourable side (beyond the range is better, not outside); the
    # limits drawn are the bounds a reading must not cross
    higher, lower = band.favourable == "higher", band.favourable == "lower"
    shade = {"y": band.low if band.low is not None and not lower else lo,
             "y2": band.high if band.high is not None and not higher else hi}
    limits = list(band.guarded)
    return frame, {"domain": [lo, hi], "band": shade, "limits": limits, "unit": spec.unit, "name": spec.name,
                   "tolerance": band.describe()}


def _has_reading(trend: list) -> bool:
    return any(v is not None and not math.isnan(v) for v in trend)


def panel_metrics(result: MonitoringResult) -> tuple[list[str], int]:
    """The metrics the trend panels show: those with a reading in any period, worst state first (the order of
    ``result.states``), at most ``MAX_PANELS``; and how many metrics have a reading."""
    read = [m for m, trend in zip(result.states["metric"], result.states["trend"], strict=True) if _has_reading(trend)]
    return read[:MAX_PANELS], len(read)


def spans(periods: list[str]) -> list[list[str]]:
    """The periods each dot of a panel stands for: one period each up to ``MAX_POINTS`` periods; beyond it the
    report's period alone (its reading is the one judged) and the earlier periods in consecutive spans of equal
    length, counted back from it (the oldest span may be shorter), ``MAX_POINTS`` dots in all."""
    if len(periods) <= MAX_POINTS:
        return [[p] for p in periods]
    earlier = periods[:-1]
    size = math.ceil(len(earlier) / (MAX_POINTS - 1))
    ends = range(len(earlier), 0, -size)
    return [earlier[max(end - size, 0):end] for end in reversed(ends)] + [[periods[-1]]]


def _spanned(frame: pd.DataFrame, groups: list[list[str]], result: MonitoringResult, metric: str) -> pd.DataFrame:
    """One metric's readings grouped by span: the mean as the dot (its state judged on the mean), the lowest and
    highest readings, and words for the tooltip (how many readings of the span were outside tolerance)."""
    spec = result.catalogue.catalogue.find(metric)
    warn = result.warning if result.warning is not None else spec.warning
    span_of = {p: k for k, group in enumerate(groups) for p in group}
    frame = frame.assign(_span=frame["period"].map(span_of), _outside=frame["state"] == states().label("outside"))
    rows = []
    for k, part in frame.groupby("_span", sort=True):
        group = groups[int(k)]
        mean, low, high = float(part["value"].mean()), float(part["value"].min()), float(part["value"].max())
        n, out = len(part), int(part["_outside"].sum())
        words = (value_words(mean, spec.unit) if n == 1 else
                 f"mean {value_words(mean, spec.unit)} of {n} readings (lowest {value_words(low, spec.unit)}, "
                 f"highest {value_words(high, spec.unit)}; {out} outside tolerance)")
        rows.append({"period": group[-1], "span": group[0] if len(group) == 1 else f"{group[0]} to {group[-1]}",
                     "value": mean, "low": low, "high": high, "reading": words,
                     "state": states().label(spec.range.state(mean, warn))})
    return pd.DataFrame(rows, columns=["period", "span", "value", "low", "high", "reading", "state"])


def trend_frame(result: MonitoringResult) -> tuple[pd.DataFrame, list[str]]:
    """Every panel's rows in one frame (readings, its band and its limits, by ``kind``) and the panels' headings in
    order; a heading is the metric's name and its tolerance, wrapped to the panel's width ("|" between lines). At most
    ``MAX_PANELS`` panels (``panel_metrics``); over ``MAX_POINTS`` periods, a reading row stands for a span of periods
    (``spans``: its mean, lowest and highest)."""
    parts, headings = [], []
    groups = spans(result.periods)
    grouped = len(groups) < len(result.periods)
    for metric in panel_metrics(result)[0]:
        frame, info = trend_data(result, metric)
        if grouped:
            frame = _spanned(frame, groups, result, metric)
        lines = wrap(info["name"], PANEL_WIDTH, HEADER_SIZE) + wrap(f"Tolerance: {info['tolerance']}", PANEL_WIDTH,
                                                                     HEADER_SIZE)
        heading = "|".join(lines)
        headings.append(heading)
        parts += [frame.assign(kind="reading", panel=heading),
                  pd.DataFrame([{**info["band"], "kind": "band", "panel": heading}]),
                  pd.DataFrame({"y": info["limits"], "kind": "limit", "panel": heading}),
                  pd.DataFrame({"y": info["domain"], "kind": "edge", "panel": heading})]
    return (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()), headings


def trend_note(result: MonitoringResult) -> str:
    """What the trend panels leave out or group, in words ("" when they show every metric and period)."""
    shown, read = panel_metrics(result)
    notes = [shown_note(len(shown), read, "metric", "metrics with a reading",
                        "outside tolerance first", "the Excel workbook, sheet \"Metrics\"")]
    groups = spans(result.periods)
    if len(groups) < len(result.periods):
        size = max(len(g) for g in groups)
        notes.append(f"{len(result.periods):,} periods: before {result.period}, each dot is the mean of up to {size} "
                     "periods' readings, labelled by the last of them, its state judged on the mean; the line through "
                     "it runs from the lowest reading to the highest. Every reading is in the Excel workbook, sheet "
                     "\"Readings\".")
    return " ".join(n for n in notes if n)


def _x_labels(labels: list[str]) -> dict:
    """The x axis of a panel: every period's label when they fit side by side, else every k-th (from the first)."""
    fit = max(PANEL_WIDTH // (text_width(labels) + 8), 1)
    step = math.ceil(len(labels) / fit)
    return {} if step <= 1 else {"values": labels[::step]}


def trends(result: MonitoringResult) -> alt.FacetChart | None:
    """A panel per metric with a reading in any period: the readings, the tolerance band shaded and its limits
    dashed (a zero tolerance is a dashed line at 0). One faceted chart (each panel its own scale), not a chart per
    panel: a tenth of the work to build and draw for the same picture. Bounded (see the module's docstring): the
    title's caption says what is left out or grouped."""
    alt = altair()
    data, headings = trend_frame(result)
    if not headings:
        return None
    groups = spans(result.periods)
    grouped = len(groups) < len(result.periods)
    labels = [g[-1] for g in groups]
    scale = alt.Scale(nice=False, zero=False)
    axis = alt.Axis(title=None, tickCount=4, labelLimit=0, minExtent=30)  # panels aligned whatever their labels
    x = alt.X("period:O", sort=labels, scale=alt.Scale(domain=labels), title=None,
              axis=label_axis(labels, labelAngle=0, **_x_labels(labels)))
    size = {"width": PANEL_WIDTH, "height": PANEL_HEIGHT}

    def of(kind: str) -> alt.Chart:
        return alt.Chart().transform_filter(alt.datum.kind == kind).properties(**size)

    band = of("band").mark_rect(color=states().band_colour, opacity=0.8).encode(
        y=alt.Y("y:Q", scale=scale, axis=axis), y2=alt.Y2("y2:Q"))
    limits = of("limit").mark_rule(color="#2e7d32", strokeDash=[4, 3]).encode(y=alt.Y("y:Q", scale=scale))
    edges = of("edge").mark_point(opacity=0).encode(y=alt.Y("y:Q", scale=scale))  # each panel's padded range
    line = of("reading").mark_line(color="#546e7a").encode(x=x, y=alt.Y("value:Q", scale=scale))
    dots = of("reading").mark_point(filled=True, size=70 if not grouped else 30, opacity=1).encode(
        x=x, y=alt.Y("value:Q", scale=scale),
        color=alt.Color("state:N", scale=_state_scale(),
                        legend=legend([s.label for s in states().states.values()], title="Reading", orient="bottom")),
        tooltip=[alt.Tooltip("span:N" if grouped else "period:N", title="Period"),
                 alt.Tooltip("reading:N", title="Reading"), alt.Tooltip("state:N", title="State")])
    layers = [band, edges, limits, line, dots]
    if grouped:  # each span's lowest to highest reading
        layers.insert(3, of("reading").mark_rule(color="#90a4ae").encode(
            x=x, y=alt.Y("low:Q", scale=scale), y2=alt.Y2("high:Q")))
    header = alt.Header(title=None, labelExpr="split(datum.value, '|')", labelLimit=0, labelFontSize=HEADER_SIZE,
                        labelFontWeight="bold", labelAlign="center")
    heading = (f"Readings per period against each metric's tolerance (shaded band), {result.periods[0]} to "
               f"{result.periods[-1]}" if len(result.periods) > 1 else f"Readings for {result.period} against each "
               "metric's tolerance (shaded band)")
    width = COLUMNS * (PANEL_WIDTH + 60)
    return (alt.layer(*layers, data=data)
            .facet(facet=alt.Facet("panel:N", sort=headings, header=header), columns=COLUMNS)
            .resolve_scale(y="independent")
            .properties(title=title(heading, width, trend_note(result), COLUMNS * PANEL_WIDTH)))


def state_overview(result: MonitoringResult) -> alt.Chart:
    """How many metrics of each risk type are outside, near, within tolerance or without a reading; at most
    ``MAX_TYPES`` risk types (in the order of their worst metric), the rest counted together as one row."""
    alt = altair()
    look = states()
    types = list(dict.fromkeys(result.states["risk_type"]))
    kinds = result.states["risk_type"]
    note = ""
    if len(types) > MAX_TYPES:
        kept = types[:MAX_TYPES - 1]
        other = f"{len(types) - len(kept):,} other risk types"
        kinds = kinds.where(kinds.isin(kept), other)
        note = shown_note(len(kept), len(types), "risk type", order="those with the worst states first",
                          where="the Excel workbook, sheet \"Metrics\"") + f" The rest are counted as \"{other}\"."
        types = [*kept, other]
    data = (result.states.assign(state=result.states["state"].map(look.label), risk_type=kinds)
            .groupby(["risk_type", "state"], as_index=False).size().rename(columns={"size": "metrics"}))
    order = [look.label(s) for s in STATE_ORDER]
    data["order"] = data["state"].map(order.index)
    width = 360
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("risk_type:N", sort=types, title=None, axis=label_axis(types)),
        x=alt.X("metrics:Q", title="Metrics", axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("state:N", scale=_state_scale(), legend=legend(order, title="State")),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("risk_type:N", title="Risk type"), alt.Tooltip("state:N", title="State"),
                 alt.Tooltip("metrics:Q", title="Metrics")],
    ).properties(width=width, height=22 * len(types), title=title("Metrics by state and risk type", width, note))
