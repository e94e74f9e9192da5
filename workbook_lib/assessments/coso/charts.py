"""Altair charts for the COSO assessment, drawn from small, aggregated tables.

The questionnaire bounds the data (one row per item and line, per principle, per component), so no chart
grows with the number of responses; an organisation's own questionnaire of thousands of items is drawn in part
(core.charts): at most ``MAX_ITEMS`` items in the grid (the lowest combined scores first), ``MAX_BARS`` principles
or components (the lowest means first), ``MAX_DIVERGENT`` divergent items (the widest spread first), each chart
saying how many it shows of how many; every row is in the Excel workbook. Colours come from the questionnaire:
the rating scale's colours for the lines' ratings, the combined bands' colours for combined scores and means, the
lines' own colours for the divergence chart. Render with ``charts.use_static_renderer()`` for self-contained SVG.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from workbook_lib.assessments.coso.model import NOT_ASSESSED
from workbook_lib.assessments.coso.scoring import CosoResult, rating_column
from workbook_lib.core.charts import ROW_BUDGET, altair, label_axis, legend, shown_note, text_width, title, tooltips

if TYPE_CHECKING:
    import altair as alt

NOT_RATED_COLOUR = "#eeeeee"
NOT_JUDGED_COLOUR = "#bdbdbd"
MAX_LABEL = 80  # longer than any shipped principle name
MAX_ITEMS = 150  # items in the grid (the shipped questionnaire has 76)
MAX_BARS = 60  # principles or components in a bar chart (the shipped questionnaire has 17 and 5)
MAX_DIVERGENT = 40  # divergent items drawn


def _short(text: str, limit: int = MAX_LABEL) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def shown_items(result: CosoResult) -> pd.DataFrame:
    """The items the grid shows, in the questionnaire's order: every item, or the ``MAX_ITEMS`` (fewer with many
    lines: the grid's data stays under ``ROW_BUDGET``) with the lowest combined scores, incomplete items last."""
    items = result.items
    most = min(MAX_ITEMS, ROW_BUDGET // (len(result.q.lines) + 1))
    if len(items) <= most:
        return items
    score = items["combined_score"].astype("Float64").where(items["complete"])
    keep = score.sort_values(kind="stable", na_position="last").index[:most]
    return items.loc[items.index.isin(keep)]


def grid_cells(result: CosoResult, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per item (``items``, default every item) and column (each line's rating, then the combined score)
    with its colour and text."""
    q = result.q
    scale = {lv.value: lv for lv in q.scale}
    items = result.items if items is None else items
    frames = []
    for order, ln in enumerate(q.lines):
        ratings = items[rating_column(ln.line)]
        rated = ratings.notna()
        values = ratings.astype("Float64").fillna(0).astype(int)
        frames.append(pd.DataFrame({
            "item_id": items["item_id"], "principle": items["principle"], "column": ln.label, "order": order,
            "text": values.astype(str).where(rated, "-"),
            "colour": values.map(lambda v: scale[v].colour if v in scale else NOT_RATED_COLOUR),
            "meaning": values.map(lambda v: scale[v].label if v in scale else "not rated"),
        }))
    combined = items["combined_score"]
    frames.append(pd.DataFrame({
        "item_id": items["item_id"], "principle": items["principle"], "column": "Combined", "order": len(q.lines),
        "text": combined.astype("Float64").fillna(0).astype(int).astype(str).where(items["complete"], "-"),
        "colour": items["band_colour"].where(items["complete"], NOT_RATED_COLOUR),
        "meaning": items["band"].where(items["complete"], "incomplete"),
    }))
    cells = pd.concat(frames, ignore_index=True)
    cells["colour"] = cells["colour"].astype(object).fillna(NOT_RATED_COLOUR)
    cells["meaning"] = cells["meaning"].astype(object).fillna("incomplete")
    return cells


def item_grid(result: CosoResult) -> alt.Chart:
    """Items x lines: every line's rating in the scale's colours, the combined score in the band's colour."""
    alt = altair()
    items = shown_items(result)
    cells = grid_cells(result, items)
    columns = [ln.label for ln in result.q.lines] + ["Combined"]
    order = items["item_id"].tolist()
    base = alt.Chart(cells).encode(
        x=alt.X("column:N", sort=columns, title=None, axis=alt.Axis(orient="top", labelAngle=0, labelLimit=0)),
        y=alt.Y("item_id:N", sort=order, title=None, axis=label_axis(order)))
    rect = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("colour:N", scale=None),
        tooltip=[alt.Tooltip("item_id:N", title="Item"), alt.Tooltip("principle:Q", title="Principle"),
                 alt.Tooltip("column:N", title="Line"), alt.Tooltip("text:N", title="Rating"),
                 alt.Tooltip("meaning:N", title="Meaning")])
    text = base.mark_text(fontSize=9).encode(text=alt.Text("text:N"))
    width = max(80, text_width(columns) + 8) * len(columns)
    note = shown_note(len(items), len(result.items), "item", order="the lowest combined scores first",
                      where="the Excel workbook, sheet \"Items\"")
    return (rect + text).properties(width=width, height=13 * len(order),
                                    title=title("Ratings by line and combined score, per item", width, note))


def _bar_data(frame: pd.DataFrame, label: pd.Series) -> pd.DataFrame:
    """Bars of the mean combined score; ``frame`` has mean_combined, band_of_mean, status and item counts."""
    judged = frame["mean_combined"].notna()
    return pd.DataFrame({
        "label": label,
        "mean": frame["mean_combined"].fillna(0.0),
        "band": frame["band_of_mean"].where(judged, "no complete item").astype(object),
        "status": frame["status"],
        "text": [(f"{m:.2f}" + (f"  ({s})" if s else "")) if pd.notna(m) else (s or "no complete item")
                 for m, s in zip(frame["mean_combined"], frame["status"], strict=True)],
        "complete": frame["complete_items"].astype(str) + " of " + frame["items"].astype(str),
    })


def _fewest(data: pd.DataFrame, noun: str, plural: str, sheet: str) -> tuple[pd.DataFrame, str]:
    """At most ``MAX_BARS`` bars, those with the lowest mean first (none judged last), in their order; and the note
    saying so ("" when every bar is drawn)."""
    if len(data) <= MAX_BARS:
        return data, ""
    judged = data["band"] != "no complete item"
    keep = data["mean"].where(judged).sort_values(kind="stable", na_position="last").index[:MAX_BARS]
    return data.loc[data.index.isin(keep)], shown_note(MAX_BARS, len(data), noun, plural, "the lowest means first",
                                                       f"the Excel workbook, sheet \"{sheet}\"")


def _bars(data: pd.DataFrame, result: CosoResult, heading: str, note: str = "") -> alt.LayerChart:
    """Horizontal bars of the mean in band colours, labelled, with dashed rules where the bands begin."""
    alt = altair()
    q = result.q
    bands = q.combined.bands
    top = max(q.reachable_scores)
    names = [b.name for b in bands] + ["no complete item"]
    colour = alt.Color("band:N", scale=alt.Scale(domain=names, range=[b.colour for b in bands] + [NOT_JUDGED_COLOUR]),
                       legend=legend(names, title="Band of the mean"))
    order = data["label"].tolist()
    base = alt.Chart(data).encode(y=alt.Y("label:N", sort=order, title=None, axis=label_axis(order)))
    bars = base.mark_bar().encode(
        x=alt.X("mean:Q", scale=alt.Scale(domain=[0, top], nice=False), title="Mean combined score (complete items)"),
        color=colour, tooltip=tooltips("label", "mean", "band", "status", "complete"))
    text = base.mark_text(align="left", dx=3, fontSize=10).encode(x=alt.X("mean:Q"), text=alt.Text("text:N"))
    edges = pd.DataFrame({"edge": [b.min for b in bands[1:]]})
    rules = alt.Chart(edges).mark_rule(strokeDash=[3, 3], color="#777777").encode(x=alt.X("edge:Q"))
    return (bars + text + rules).properties(width=420, height=20 * len(data), title=title(heading, 420, note))


def principle_bars(result: CosoResult) -> alt.LayerChart:
    """Mean combined score per principle in band colours; not-assessed and incomplete principles labelled."""
    p = result.principles
    label = "P" + p["principle"].astype(str).str.zfill(2) + " " + p["name"].map(_short)
    data = _bar_data(p, label)
    data.loc[p["status"].eq(NOT_ASSESSED).to_numpy(), "text"] = NOT_ASSESSED
    data, note = _fewest(data, "principle", "principles", "Principles")
    return _bars(data, result, "Principles: mean combined score", note)


def component_bars(result: CosoResult) -> alt.LayerChart:
    """Mean combined score per component in band colours."""
    c = result.components
    data, note = _fewest(_bar_data(c.assign(status=""), c["component"]), "component", "components", "Components")
    return _bars(data, result, "Components: mean combined score", note)


def shown_divergent(result: CosoResult) -> pd.DataFrame:
    """The divergent items drawn: at most ``MAX_DIVERGENT`` (fewer with many lines), the widest spread first."""
    most = min(MAX_DIVERGENT, ROW_BUDGET // max(len(result.q.lines), 1))
    d = result.divergent
    return d if len(d) <= most else d.sort_values(["spread", "item_id"], ascending=[False, True]).head(most)


def divergence_points(result: CosoResult) -> pd.DataFrame:
    """One row per divergent item drawn and line: the rating, the line's colour, whether that line stands apart."""
    q = result.q
    d = shown_divergent(result)
    rows = []
    for r in d.itertuples(index=False):
        for ln in q.lines:
            rows.append({"item_id": r.item_id, "line": ln.label, "rating": int(getattr(r, rating_column(ln.line))),
                         "apart": bool(pd.notna(r.stands_apart_line) and r.stands_apart_line == ln.line),
                         "stands_apart": r.stands_apart, "spread": int(r.spread)})
    return pd.DataFrame(rows, columns=["item_id", "line", "rating", "apart", "stands_apart", "spread"])


def divergence_chart(result: CosoResult) -> alt.LayerChart | alt.Chart:
    """Each divergent item's three ratings on the scale, the range between them, and the line standing apart."""
    alt = altair()
    q = result.q
    points = divergence_points(result)
    if points.empty:
        return alt.Chart(pd.DataFrame({"text": ["No divergent items"]})).mark_text(fontSize=13).encode(
            text=alt.Text("text:N")).properties(width=300, height=40)
    shown = shown_divergent(result)
    order = shown.sort_values(["spread", "item_id"], ascending=[False, True])["item_id"].tolist()
    span = points.groupby("item_id")["rating"].agg(["min", "max"]).reset_index()
    y = alt.Y("item_id:N", sort=order, title="Divergent item", axis=label_axis(order))
    x_scale = alt.Scale(domain=[0.5, q.max_rating + 0.5])
    x_axis = alt.Axis(values=list(range(1, q.max_rating + 1)), format="d")
    labels = [ln.label for ln in q.lines]
    rule = alt.Chart(span).mark_rule(color="#999999", strokeWidth=2).encode(
        y=y, x=alt.X("min:Q", scale=x_scale, axis=x_axis, title="Rating"), x2=alt.X2("max:Q"))
    dots = alt.Chart(points).mark_point(filled=True, opacity=0.9).encode(
        y=y, x=alt.X("rating:Q", scale=x_scale, axis=x_axis), yOffset=alt.YOffset("line:N", sort=labels),
        color=alt.Color("line:N", scale=alt.Scale(domain=labels,
                                                  range=[ln.colour for ln in q.lines]),
                        legend=legend(labels, title="Line")),
        size=alt.Size("apart:N", scale=alt.Scale(domain=[False, True], range=[80, 220]),
                      legend=legend(["false", "true"], title="Stands apart")),
        tooltip=tooltips("item_id", "line", "rating", "stands_apart", "spread"))
    heading = f"Items where the lines differ by {result.divergence_threshold} or more"
    note = shown_note(len(shown), len(result.divergent), "divergent item", order="the widest spread first",
                      where="the Excel workbook, sheet \"Divergent\"")
    return (rule + dots).properties(width=360, height=30 * len(order), title=title(heading, 360, note))
