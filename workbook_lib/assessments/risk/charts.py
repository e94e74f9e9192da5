"""Altair charts for the risk evaluation, always drawn from aggregated data.

Every chart aggregates before plotting (cells of the matrix, band pairs, top categories), so a register
of 100,000 risks neither hits Altair's row limit nor embeds every row in the report. Charts render as
static SVG (vl-convert), so reports need no network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from workbook_lib.assessments.risk.scoring import RiskEvaluation
from workbook_lib.core.charts import altair as _altair

if TYPE_CHECKING:
    import altair as alt

MAX_IDS_IN_CELL = 6
MAX_BARS = 15


def matrix_cells(ev: RiskEvaluation, stage: str) -> pd.DataFrame:
    """One row per likelihood x impact cell: score, band, colour, count and the risk IDs in it."""
    m = ev.methodology.methodology
    lk, ik = ("inherent_likelihood", "inherent_impact")
    rated = ev.rated
    if stage == "residual" and m.residual.rule == "rerated":
        lk_vals = rated["residual_likelihood"].fillna(rated[lk])
        ik_vals = rated["residual_impact"].fillna(rated[ik])
    else:
        lk_vals, ik_vals = rated[lk], rated[ik]
    counts = pd.DataFrame({"l": lk_vals.astype(int), "i": ik_vals.astype(int), "id": rated["risk_id"]})
    grouped = counts.groupby(["l", "i"])["id"].agg(["count", list]) if len(counts) else None
    rows = []
    for lv in m.likelihood:
        for iv in m.impact:
            s = m.score_grid[lv.value - 1][iv.value - 1]
            band = m.band_for(s, ev.banding)
            n, ids = 0, []
            if grouped is not None and (lv.value, iv.value) in grouped.index:
                n, ids = grouped.loc[(lv.value, iv.value)]
            more = len(ids) - MAX_IDS_IN_CELL
            shown = ", ".join(ids[:MAX_IDS_IN_CELL]) + (f" +{more}" if more > 0 else "")
            rows.append({"likelihood": f"{lv.value} {lv.label}", "impact": f"{iv.value} {iv.label}",
                         "l": lv.value, "i": iv.value, "score": s, "band": band.name, "colour": band.colour,
                         "count": int(n), "ids": shown, "label": f"{s}" + (f" · {int(n)}" if n else "")})
    return pd.DataFrame(rows)


def _heatmap(ev: RiskEvaluation, stage: str) -> alt.Chart:
    alt = _altair()
    m = ev.methodology.methodology
    cells = matrix_cells(ev, stage)
    bands = m.banding(ev.banding).bands
    colour = alt.Color("band:N", scale=alt.Scale(domain=[b.name for b in bands], range=[b.colour for b in bands]),
                       legend=alt.Legend(title="Band"))
    l_order = [f"{lv.value} {lv.label}" for lv in reversed(m.likelihood)]
    i_order = [f"{iv.value} {iv.label}" for iv in m.impact]
    base = alt.Chart(cells).encode(
        x=alt.X("impact:N", sort=i_order, title="Impact"),
        y=alt.Y("likelihood:N", sort=l_order, title="Likelihood"))
    rect = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=colour, tooltip=["likelihood", "impact", "score", "band", "count", "ids"])
    count = base.mark_text(fontSize=13, fontWeight="bold", dy=-7).encode(text="label:N")
    ids = base.mark_text(fontSize=8, dy=8).encode(text="ids:N")
    title = f"{stage.capitalize()} risk ({int(cells['count'].sum())} rated risks)"
    return (rect + count + ids).properties(width=60 * len(m.impact), height=42 * len(m.likelihood),
                                           title=title)


def heatmaps(ev: RiskEvaluation) -> alt.HConcatChart:
    """Inherent and residual matrices side by side, cells in band colours with count and IDs."""
    return _altair().hconcat(_heatmap(ev, "inherent"), _heatmap(ev, "residual")).resolve_scale(color="shared")


def movement(ev: RiskEvaluation) -> alt.Chart:
    """How many risks moved from each inherent level to each residual level."""
    alt = _altair()
    bands = [b.name for b in ev.methodology.methodology.banding(ev.banding).bands]
    pairs = (ev.rated.groupby(["inherent_level", "residual_level"]).size().rename("risks").reset_index()
             if len(ev.rated) else pd.DataFrame(columns=["inherent_level", "residual_level", "risks"]))
    base = alt.Chart(pairs).encode(
        x=alt.X("residual_level:N", sort=bands, title="Residual level"),
        y=alt.Y("inherent_level:N", sort=list(reversed(bands)), title="Inherent level"))
    return (base.mark_rect().encode(color=alt.Color("risks:Q", scale=alt.Scale(scheme="blues"), title="Risks"))
            + base.mark_text(fontWeight="bold").encode(text="risks:Q")).properties(
        title="Movement: inherent level -> residual level", width=70 * len(bands), height=40 * len(bands))


def residual_by(ev: RiskEvaluation, column: str) -> alt.Chart:
    """Stacked counts of residual levels per category or owner (largest first, the rest as 'Other')."""
    alt = _altair()
    bands = ev.methodology.methodology.banding(ev.banding).bands
    rated = ev.rated
    keys = rated[column].replace("", "(none)")
    top = keys.value_counts().index[:MAX_BARS]
    keys = keys.where(keys.isin(top), "Other")
    data = (pd.DataFrame({column: keys, "level": rated["residual_level"]})
            .groupby([column, "level"]).size().rename("risks").reset_index())
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y(f"{column}:N", sort="-x", title=column.replace("_", " ").capitalize()),
        x=alt.X("sum(risks):Q", title="Rated risks"),
        color=alt.Color("level:N", scale=alt.Scale(domain=[b.name for b in bands], range=[b.colour for b in bands]),
                        title="Residual level"),
        order=alt.Order("level:N"),
        tooltip=[column, "level", "risks"],
    ).properties(title=f"Residual level by {column.replace('_', ' ')}", width=420)
