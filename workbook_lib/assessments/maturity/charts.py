"""Altair charts for the maturity scoring: marks per element against the target, scores per assessment,
the trend over periods. Colours come from the matrix's statuses; charts render as static SVG (use
``charts.use_static_renderer()``), so reports need no network. The data are small (one row per element,
assessment or period), so no chart embeds a user's file; an organisation's own matrix of hundreds of elements, or a
history of many periods, is drawn in part (core.charts): at most ``MAX_ELEMENTS`` elements (below the target and
not rated first), ``MAX_BARS`` assessments (the lowest share of their maximum first), the latest ``MAX_PERIODS``
periods and ``MAX_SERIES`` assessments besides the total in the trend, each chart saying what it leaves out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from workbook_lib.core.charts import altair, label_axis, legend, shown_note, text_width, title, tooltips

if TYPE_CHECKING:
    import altair as alt

    from workbook_lib.assessments.maturity.scoring import MaturityResult

NOT_RATED = "not rated"
NOT_RATED_COLOUR = "#bdbdbd"
MAX_ELEMENTS = 60  # elements drawn (the shipped matrix has 23)
MAX_BARS = 30  # assessments drawn (the shipped matrix has 3)
MAX_PERIODS = 40  # the latest periods of the trend
MAX_SERIES = 12  # assessments in the trend besides the total


def _status_scale(result: MaturityResult, with_unrated: bool = False):
    alt = altair()
    statuses = result.matrix.matrix.statuses
    domain = [s.name for s in statuses] + ([NOT_RATED] if with_unrated else [])
    colours = [s.colour for s in statuses] + ([NOT_RATED_COLOUR] if with_unrated else [])
    return alt.Scale(domain=domain, range=colours)


def element_marks_data(result: MaturityResult) -> pd.DataFrame:
    """One row per element: its mark (0 drawn as a stub when not rated), level and the target mark."""
    m = result.matrix.matrix
    target = m.status(result.target_status).mark
    el = result.elements
    return pd.DataFrame({
        "element_id": el["element_id"], "assessment": el["assessment"] + " " + el["assessment_name"],
        "name": el["name"], "group": el["group"],
        "mark": el["mark"].astype("float").fillna(0.08).to_numpy(),
        "shown_mark": el["mark"].astype("object").where(el["mark"].notna(), NOT_RATED).astype(str).to_numpy(),
        "level": el["level"].fillna(NOT_RATED).to_numpy(),
        "target": float(target),
        "below_target": (el["mark"].notna() & (el["mark"] < target)).fillna(False).to_numpy(dtype=bool),
    })


def element_marks(result: MaturityResult) -> alt.HConcatChart:
    """Marks per element against the target status, one panel per assessment."""
    alt = altair()
    m = result.matrix.matrix
    data = element_marks_data(result)
    total = len(data)
    if total > MAX_ELEMENTS:  # below the target first, then not rated, then the rest; drawn in the matrix's order
        rank = (~data["below_target"]).astype(int) * 2 + (data["level"] != NOT_RATED).astype(int)
        data = data.loc[data.index.isin(rank.sort_values(kind="stable").index[:MAX_ELEMENTS])]
    levels = [s.name for s in m.statuses] + [NOT_RATED]
    colour = alt.Color("level:N", scale=_status_scale(result, with_unrated=True), legend=legend(levels, title="Level"))
    marks = [f"{s.mark} {s.label}" for s in m.statuses]
    y_axis = label_axis(marks, values=[s.mark for s in m.statuses], title="Mark",
                        labelExpr=" + ".join(["''"] + [f"(datum.value == {s.mark} ? '{s.mark} {s.label}' : '')"
                                                       for s in m.statuses]))
    panels = []
    for a in m.assessments:
        part = data[data["element_id"].isin([e.id for e in a.elements])]
        if part.empty:  # none of its elements drawn
            continue
        i = len(panels)
        order = [e.id for e in a.elements]
        base = alt.Chart(part)
        bars = base.mark_bar().encode(
            x=alt.X("element_id:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("mark:Q", scale=alt.Scale(domain=[0, m.max_mark]), axis=y_axis if i == 0 else None),
            color=colour,
            stroke=alt.condition("datum.below_target", alt.value("#000000"), alt.value(None)),
            tooltip=tooltips("element_id", "name", "group", "shown_mark", "level"))
        target = base.mark_rule(color="#b2182b", strokeDash=[5, 3], strokeWidth=2).encode(
            y=alt.Y("mean(target):Q"))
        width = max(34 * len(part), 120)
        panels.append((bars + target).properties(width=width, height=200, title=title(f"{a.id} {a.name}", width)))
    heading = (f"Marks per element against the target ({result.target_status}, dashed line); "
               f"outlined bars are below it")
    note = shown_note(len(data), total, "element", order="below the target and not rated first",
                      where="the Excel workbook, sheet \"Elements\"")
    return alt.hconcat(*panels).properties(title=title(heading, 600, note)).resolve_scale(color="shared")


def assessment_bars(result: MaturityResult) -> alt.LayerChart:
    """Score per assessment against its maximum and the score the target status would give."""
    alt = altair()
    m = result.matrix.matrix
    target = m.status(result.target_status).mark
    ba = result.by_assessment
    note = ""
    if len(ba) > MAX_BARS:  # the lowest share of their maximum first, drawn in the matrix's order
        share = (ba["score"] / ba["max_score"].where(ba["max_score"] > 0)).fillna(0)
        kept = ba.loc[ba.index.isin(share.sort_values(kind="stable").index[:MAX_BARS])]
        note = shown_note(len(kept), len(ba), "assessment", order="the lowest share of their maximum first",
                          where="the Excel workbook, sheet \"Assessments\"")
        ba = kept
    data = pd.DataFrame({
        "assessment": ba["assessment"] + " " + ba["name"], "score": ba["score"], "max_score": ba["max_score"],
        "target_score": ba["total"] * target, "rated": ba["rated"], "total": ba["total"],
        "label": [f"{s} of {mx}" + (f" ({r} of {t} rated)" if r < t else "")
                  for s, mx, r, t in zip(ba["score"], ba["max_score"], ba["rated"], ba["total"], strict=True)],
    })
    base = alt.Chart(data).encode(y=alt.Y("assessment:N", title=None, sort=None, axis=label_axis(data["assessment"])))
    width = 360 + text_width(data["label"], 11) + 10  # the bars, then their labels
    top = float(data["max_score"].max()) if len(data) else 1.0
    full = base.mark_bar(color="#eeeeee").encode(
        x=alt.X("max_score:Q", title="Score", scale=alt.Scale(domain=[0, top * width / 360], nice=False)))
    score = base.mark_bar(color=m.status(result.status).colour if result.status else "#6a6a6a").encode(
        x=alt.X("score:Q"), tooltip=tooltips("assessment", "score", "max_score", "target_score", "rated", "total"))
    tick = base.mark_tick(color="#b2182b", thickness=3, size=26).encode(x=alt.X("target_score:Q"))
    text = base.mark_text(align="left", dx=6).encode(x=alt.X("max_score:Q"), text=alt.Text("label:N"))
    return (full + score + tick + text).properties(
        width=width, height=40 * len(data),
        title=title(f"Score per assessment (red tick: every element at {result.target_status})", width, note))


def trend_data(result: MaturityResult) -> pd.DataFrame:
    t = result.trend
    if t.empty:
        return pd.DataFrame(columns=["period", "assessment", "mean_mark", "score", "rated", "total", "status"])
    data = t.copy()
    data["assessment"] = [a if a == "Total" else f"{a} {n}" for a, n in zip(t["assessment"], t["name"], strict=True)]
    data["mean_mark"] = pd.to_numeric(data["mean_mark"])
    data["status"] = data["status"].fillna("")
    return data[["period", "assessment", "mean_mark", "score", "rated", "total", "status"]]


def trend_shown(data: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The trend's lines as drawn: the latest ``MAX_PERIODS`` periods, the total and the first ``MAX_SERIES``
    assessments; and a note saying what is left out ("" when nothing is)."""
    periods = list(dict.fromkeys(data["period"]))
    series = [a for a in dict.fromkeys(data["assessment"]) if a != "Total"]
    notes = []
    if len(periods) > MAX_PERIODS:
        notes.append(f"The latest {MAX_PERIODS} of {len(periods):,} periods are drawn.")
        data = data[data["period"].isin(periods[-MAX_PERIODS:])]
    if len(series) > MAX_SERIES:
        notes.append(f"The total and {MAX_SERIES} of {len(series):,} assessments are drawn.")
        data = data[data["assessment"].isin(["Total", *series[:MAX_SERIES]])]
    if notes:
        notes.append("Every period and assessment is in the Excel workbook, sheet \"Trend\".")
    return data, " ".join(notes)


def trend(result: MaturityResult) -> alt.LayerChart | None:
    """Mean mark per assessment and in total over the periods given (None without earlier periods).

    The mean mark (1-3) is compared rather than the score, so a period that was not fully rated still
    sits on the same scale; the score, rated count and status are in the tooltip and the table.
    """
    alt = altair()
    data = trend_data(result)
    if data.empty:
        return None
    data, note = trend_shown(data)
    m = result.matrix.matrix
    periods = list(dict.fromkeys(data["period"]))
    y_scale = alt.Scale(domain=[m.statuses[0].mark, m.max_mark], zero=False)
    lines = alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("period:N", sort=periods, title="Period", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("mean_mark:Q", scale=y_scale, title="Mean mark"),
        color=alt.Color("assessment:N", legend=legend(data["assessment"].unique(), title="Assessment")),
        strokeDash=alt.condition("datum.assessment == 'Total'", alt.value([1, 0]), alt.value([4, 2])),
        tooltip=tooltips("period", "assessment", "mean_mark", "score", "rated", "total", "status"))
    # the mean marks at which the status changes (published upper bound / published element count)
    basis = m.banding.basis_elements
    bounds = pd.DataFrame([{"mean_mark": b.published_max / basis, "label": f"{b.label} up to "
                            f"{b.published_max / basis:.2f}"} for b in m.bands[:-1]])
    rules = alt.Chart(bounds).mark_rule(color="#999999", strokeDash=[2, 2]).encode(
        y=alt.Y("mean_mark:Q", scale=y_scale))
    labels = alt.Chart(bounds).mark_text(align="left", dx=3, dy=-6, color="#666666", fontSize=10).encode(
        y=alt.Y("mean_mark:Q", scale=y_scale), x=alt.XValue(0), text=alt.Text("label:N"))
    width = 60 + 90 * len(periods)
    return (rules + labels + lines).properties(width=width, height=220,
                                               title=title("Trend: mean mark per assessment (1-3)", width, note))
