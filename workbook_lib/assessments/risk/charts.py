"""Altair charts for the risk evaluation, always drawn from aggregated data.

Every chart aggregates before plotting (cells of the matrix, band pairs, top categories), so a register
of 100,000 risks neither hits Altair's row limit nor embeds every row in the report. Charts render as
static SVG (vl-convert), so reports need no network; core.charts keeps their text whole and inside.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pandas as pd

from workbook_lib.assessments.risk.changes import BETTER, WORSE
from workbook_lib.assessments.risk.scoring import RiskEvaluation
from workbook_lib.core.charts import altair as _altair
from workbook_lib.core.charts import label_axis, legend, text_colour, text_width, title, tooltips
from workbook_lib.core.outputs import Md, md

if TYPE_CHECKING:
    import altair as alt

MAX_IDS_IN_CELL = 6
IDS_PER_LINE = 2
MAX_BARS = 15
ID_SIZE, COUNT_SIZE, LINE = 8, 13, 10  # font sizes and the IDs' line height, px


def _n(count: int, noun: str = "risk", plural: str = "") -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _id_lines(ids: list[str], count: int) -> list[str]:
    """The first ``MAX_IDS_IN_CELL`` of ``count`` IDs, ``IDS_PER_LINE`` a line, and how many more."""
    shown = ids[:MAX_IDS_IN_CELL]
    lines = [", ".join(shown[k:k + IDS_PER_LINE]) for k in range(0, len(shown), IDS_PER_LINE)]
    return lines + ([f"+{count - len(shown)} more"] if count > len(shown) else [])


def _positions(ev: RiskEvaluation, stage: str) -> pd.DataFrame:
    """(l, i, id) of the scored risks in a matrix cell: inherent; or residual, by each risk's basis
    (its re-rated cell; its inherent cell without re-rating; none when its residual came from a factor)."""
    rated = ev.rated
    if stage == "residual":
        rated = rated[rated["residual_basis"].isin(["rerated", "none"])]
    rerated = (rated["residual_basis"] == "rerated") & (stage == "residual")
    return pd.DataFrame({"l": rated["residual_likelihood"].where(rerated, rated["inherent_likelihood"]).astype(int),
                         "i": rated["residual_impact"].where(rerated, rated["inherent_impact"]).astype(int),
                         "id": rated["risk_id"].astype(str)})


def _grouped(keys: list[str], frame: pd.DataFrame) -> dict[tuple, tuple[int, list[str]]]:
    """{key tuple: (count, the first IDs)} for the rows of ``frame`` grouped by ``keys``."""
    if frame.empty:
        return {}
    return {k if isinstance(k, tuple) else (k,): (len(ids), ids.iloc[:MAX_IDS_IN_CELL].tolist())
            for k, ids in frame.groupby(keys)["id"]}


def matrix_cells(ev: RiskEvaluation, stage: str) -> pd.DataFrame:
    """One row per likelihood x impact cell: score, band, colour, count and the risk IDs in it.

    The residual matrix holds re-rated risks at their residual cell and risks without re-rating at their
    inherent cell; a residual from a control-effectiveness factor has no cell (see ``factor_bands``)."""
    m = ev.methodology.methodology
    grouped = _grouped(["l", "i"], _positions(ev, stage))
    rows = []
    for lv in m.likelihood:
        for iv in m.impact:
            s = m.score_grid[lv.value - 1][iv.value - 1]
            band = m.band_for(s, ev.banding)
            n, ids = grouped.get((lv.value, iv.value), (0, []))
            more = n - MAX_IDS_IN_CELL
            rows.append({"likelihood": f"{lv.value} {lv.label}", "impact": f"{iv.value} {iv.label}",
                         "l": lv.value, "i": iv.value, "score": s, "band": band.name, "colour": band.colour,
                         "text_colour": text_colour(band.colour), "count": int(n),
                         "ids": ", ".join(ids) + (f" +{more}" if more > 0 else ""),
                         "id_lines": _id_lines(ids, n), "label": f"{s}" + (f" · {int(n)}" if n else "")})
    return pd.DataFrame(rows)


SCORE_ONLY = ("control_factor", "stated")  # a residual with a score but no cell: a factor's, or the register's own


def factor_bands(ev: RiskEvaluation) -> pd.DataFrame:
    """One row per band: the scored risks whose residual is a score only (a control-effectiveness factor's, or the
    register's own residual score)."""
    m = ev.methodology.methodology
    rated = ev.rated[ev.rated["residual_basis"].isin(SCORE_ONLY)]
    grouped = _grouped(["band"], pd.DataFrame({"band": rated["residual_level"], "id": rated["risk_id"].astype(str)}))
    rows = []
    for b in reversed(m.banding(ev.banding).bands):
        n, ids = grouped.get((b.name,), (0, []))
        rows.append({"range": f"{b.name} ({b.min}-{b.max})", "band": b.name, "colour": b.colour,
                     "text_colour": text_colour(b.colour), "count": n, "ids": ", ".join(ids),
                     "id_lines": _id_lines(ids, n), "label": str(n) if n else "", "column": "Residual score"})
    return pd.DataFrame(rows)


def _cell_size(cells: pd.DataFrame, labels: list[str]) -> tuple[int, int]:
    """Width and height of a cell that holds its count, ID lines and (x axis) label words."""
    words = [w for label in labels for w in label.split(" ")]
    width = max(64, text_width(words) + 8, text_width([x for ls in cells["id_lines"] for x in ls], ID_SIZE) + 8)
    return width, max(42, COUNT_SIZE + 10 + LINE * max((len(ls) for ls in cells["id_lines"]), default=0))


def _cell_marks(base: alt.Chart, data: pd.DataFrame, colour: alt.Color, height: float, tooltip: list[str],
                **place) -> alt.LayerChart:
    """A coloured cell (placed by ``place``, else by ``base``) with its count or score on top, its IDs below; the
    data is given once, to the layer (a chart copied with its data for each mark cost most of the build)."""
    alt = _altair()
    rect = base.mark_rect(stroke="white", strokeWidth=2).encode(color=colour, tooltip=tooltips(*tooltip), **place)
    text_colour_ = alt.Color("text_colour:N", scale=None)
    count = base.mark_text(fontSize=COUNT_SIZE, fontWeight="bold", baseline="top", dy=-height / 2 + 3).encode(
        text=alt.Text("label:N"), color=text_colour_)
    ids = base.mark_text(fontSize=ID_SIZE, baseline="top", lineHeight=LINE, dy=-height / 2 + COUNT_SIZE + 6).encode(
        text=alt.Text("id_lines:N"), color=text_colour_)
    return alt.layer(rect, count, ids, data=data)


def _band_colour(ev: RiskEvaluation) -> alt.Color:
    bands = ev.methodology.methodology.banding(ev.banding).bands
    names = [b.name for b in bands]
    return _altair().Color("band:N", scale=_altair().Scale(domain=names, range=[b.colour for b in bands]),
                           legend=legend(names, title="Band"))


def _heatmap(ev: RiskEvaluation, stage: str) -> alt.LayerChart:
    alt = _altair()
    m = ev.methodology.methodology
    cells = matrix_cells(ev, stage)
    l_order = [f"{lv.value} {lv.label}" for lv in reversed(m.likelihood)]
    i_order = [f"{iv.value} {iv.label}" for iv in m.impact]
    width, height = _cell_size(cells, i_order)
    split = "[slice(datum.label, 0, indexof(datum.label, ' ')), slice(datum.label, indexof(datum.label, ' ') + 1)]"
    base = alt.Chart().encode(
        x=alt.X("impact:N", sort=i_order, title="Impact", axis=alt.Axis(labelAngle=0, labelExpr=split, labelLimit=0)),
        y=alt.Y("likelihood:N", sort=l_order, title="Likelihood", axis=label_axis(l_order)))
    layers = _cell_marks(base, cells, _band_colour(ev), height,
                         ["likelihood", "impact", "score", "band", "count", "ids"])
    w = width * len(m.impact)
    if stage == "residual" and m.rating_stage == "current":  # one current rating per risk: no before/after
        head = title(f"Current risk: {_n(int(cells['count'].sum()), 'rated risk')}", w,
                     "the register's current ratings, after the controls in place; the source gives no "
                     "inherent rating")
    elif stage == "residual":
        basis = ev.rated["residual_basis"].value_counts()
        rerated, same = (int(basis.get(k, 0)) for k in ("rerated", "none"))
        factored = sum(int(basis.get(k, 0)) for k in SCORE_ONLY)
        parts = ([f"{_n(rerated, 're-rated risk')} in their cell"] if rerated else []) + (
            [f"{same} without re-rating at their inherent cell"] if same else [])
        caption = " ".join(
            (["Without re-rating, a risk's residual equals its inherent score, so it stays at its inherent cell."]
             if same else []) + ([f"{_n(factored)} with a residual score only (from control effectiveness or "
                                  f"the register's own) {'has' if factored == 1 else 'have'} no cell: see beside."]
                                 if factored else []))
        head = title(f"Residual risk: {', '.join(parts) or 'no risk in a cell'}", w, caption)
    else:
        head = title(f"Inherent risk: {_n(int(cells['count'].sum()), 'rated risk')}", w)
    return layers.properties(width=w, height=height * len(m.likelihood), title=head)


def _factor_chart(ev: RiskEvaluation, height: int) -> alt.LayerChart:
    """The residual bands of risks whose residual is a score only: a control-effectiveness factor's or the
    register's own (no cell)."""
    alt = _altair()
    cells = factor_bands(ev)
    width, need = _cell_size(cells, [])
    width, height = max(width, 200), max(height, need * len(cells))
    order = cells["range"].tolist()
    base = alt.Chart().encode(
        x=alt.X("column:N", title=None, axis=alt.Axis(labelAngle=0, labelLimit=0, ticks=False)),
        y=alt.Y("range:N", sort=order, title="Residual score band", axis=label_axis(order)))
    layers = _cell_marks(base, cells, _band_colour(ev), height / len(cells), ["range", "count", "ids"])
    stated = (ev.rated["residual_basis"] == "stated").any()
    head = title(f"Residual {'score only' if stated else 'from control effectiveness'}: "
                 f"{_n(int(cells['count'].sum()))}", width, "no cell: score only")
    return layers.properties(width=width, height=height, title=head)


def band_counts(ev: RiskEvaluation) -> pd.DataFrame:
    """One row per stage (inherent, residual) and band, highest band first: how many rated risks sit at that level,
    with their IDs (a methodology rating risks directly has no matrix to place them in)."""
    m = ev.methodology.methodology
    rows = []
    for stage in ("inherent", "residual"):
        grouped = _grouped(["band"], pd.DataFrame({"band": ev.rated[f"{stage}_level"],
                                                   "id": ev.rated["risk_id"].astype(str)}))
        for b in reversed(m.banding(ev.banding).bands):
            n, ids = grouped.get((b.name,), (0, []))
            rows.append({"stage": m.stage(stage).capitalize(), "band": b.name, "colour": b.colour,
                         "text_colour": text_colour(b.colour), "count": int(n), "ids": ", ".join(ids),
                         "id_lines": _id_lines(ids, n), "label": str(n)})
    return pd.DataFrame(rows)


def _band_chart(ev: RiskEvaluation) -> alt.LayerChart:
    """Risks per level before and after controls, each cell in its band's colour with the count and IDs."""
    alt = _altair()
    cells = band_counts(ev)
    stages, order = list(dict.fromkeys(cells["stage"])), list(dict.fromkeys(cells["band"]))
    width, height = _cell_size(cells, stages)
    base = alt.Chart().encode(
        x=alt.X("stage:N", sort=stages, title=None, axis=alt.Axis(labelAngle=0, labelLimit=0, orient="top")),
        y=alt.Y("band:N", sort=order, title="Level", axis=label_axis(order)))
    layers = _cell_marks(base, cells, _band_colour(ev), height, ["stage", "band", "count", "ids"])
    w = max(width, 120) * len(stages)
    head = title(f"Risks per level: {_n(len(ev.rated), 'rated risk')}", w,
                 "Risks are rated straight onto these levels, with no likelihood or impact, so each is counted at "
                 "its level before and after controls.")
    return layers.properties(width=w, height=height * len(order), title=head)


def heatmaps(ev: RiskEvaluation) -> alt.HConcatChart:
    """Inherent and residual matrices side by side, cells in band colours with count and IDs; beside them,
    when any risk's residual came from a control-effectiveness factor, those risks by residual band. A methodology
    rating risks directly (High / Medium / Low) has no matrix: its risks are counted per level instead."""
    if ev.methodology.methodology.direct:
        return _altair().hconcat(_band_chart(ev))
    residual = _heatmap(ev, "residual")
    if ev.methodology.methodology.rating_stage == "current":
        return _altair().hconcat(residual)
    charts = [_heatmap(ev, "inherent"), residual]
    if ev.rated["residual_basis"].isin(SCORE_ONLY).any():
        charts.append(_factor_chart(ev, residual.height))
    return _altair().hconcat(*charts).resolve_scale(color="shared")


def movement(ev: RiskEvaluation) -> alt.LayerChart | None:
    """How many risks moved from each inherent level to each residual level (None for current ratings only)."""
    if ev.methodology.methodology.rating_stage == "current":
        return None
    alt = _altair()
    bands = [b.name for b in ev.methodology.methodology.banding(ev.banding).bands]
    pairs = (ev.rated.groupby(["inherent_level", "residual_level"]).size().rename("risks").reset_index()
             if len(ev.rated) else pd.DataFrame(columns=["inherent_level", "residual_level", "risks"]))
    base = alt.Chart(pairs).encode(
        x=alt.X("residual_level:N", sort=bands, title="Residual level", axis=alt.Axis(labelAngle=0, labelLimit=0)),
        y=alt.Y("inherent_level:N", sort=list(reversed(bands)), title="Inherent level", axis=label_axis(bands)))
    width = max(70, text_width(bands) + 10) * len(bands)
    colour = alt.Color("risks:Q", scale=alt.Scale(scheme="blues"), legend=legend([], title="Risks"))
    text = base.mark_text(fontWeight="bold").encode(text=alt.Text("risks:Q"))
    return (base.mark_rect().encode(color=colour) + text).properties(
        title=title("Movement: inherent level -> residual level", width), width=width, height=40 * len(bands))


MAX_MOVES = 15  # risks drawn in the movement since an earlier period (the largest moves; the rest are counted)
MOVE_COLOURS = {WORSE: "#b2182b", BETTER: "#1a7837"}
ROW = 24  # px per risk


def moves(ev: RiskEvaluation) -> pd.DataFrame:
    """The risks whose score rose or fell since the latest earlier period, worse first, the largest moves first (at
    most ``MAX_MOVES``): label (the ID, with its earlier ID when renamed), scores before and now, change and colour."""
    frame = ev.movement.latest.frame
    moved = frame[frame["change"].isin([WORSE, BETTER]) & frame["by"].fillna(0).ne(0)]
    moved = moved.assign(_worse=moved["change"] == WORSE, _bands=moved["bands"].abs(), _by=moved["by"].abs())
    moved = moved.sort_values(["_worse", "_bands", "_by", "risk_id"], ascending=[False, False, False, True],
                              kind="stable").head(MAX_MOVES)
    renamed = moved["earlier_id"].notna()
    label = moved["risk_id"].astype(str).where(~renamed, moved["risk_id"].astype(str) + " (was "
                                               + moved["earlier_id"].astype(str) + ")")
    return pd.DataFrame({"label": label, "before": moved["score_before"], "now": moved["score_now"],
                         "change": moved["change"], "colour": moved["change"].map(MOVE_COLOURS),
                         "levels": moved["level_before"].astype(str) + " -> " + moved["level_now"].astype(str),
                         "shape": moved["change"].map({WORSE: "triangle-right", BETTER: "triangle-left"})
                         }).reset_index(drop=True)


def movement_since(ev: RiskEvaluation) -> alt.LayerChart | None:
    """Each risk whose score moved since the latest earlier period: a line from its score then (a circle) to its
    score now (an arrow head), over the methodology's bands; None without an earlier period or a move."""
    if ev.movement is None:
        return None
    data = moves(ev)
    if data.empty:
        return None
    alt = _altair()
    c = ev.movement.latest
    m = ev.methodology.methodology
    bands = sorted(m.banding(ev.banding).bands, key=lambda b: b.min)
    names = [b.name for b in bands]
    scale = alt.Scale(domain=[bands[0].min - 0.5, bands[-1].max + 0.5], nice=False, zero=False)

    stage = "Current" if m.rating_stage == "current" else "Residual"
    kind = "Level" if m.direct else "Band"
    # a direct (High / Medium / Low) register has levels, not scores: the axis names each level at its place
    axis = alt.Axis(values=[b.min for b in bands], labelExpr=" : ".join(
        f"datum.value == {b.min} ? {json.dumps(b.name)}" for b in bands) + ' : ""') if m.direct else alt.Axis()

    def x(name: str) -> alt.X:
        return alt.X(f"{name}:Q", scale=scale, title=f"{stage} {'level' if m.direct else 'score'}", axis=axis)

    shade = alt.Chart(pd.DataFrame([{"x": b.min - 0.5, "x2": b.max + 0.5, "band": b.name} for b in bands])).mark_rect(
        opacity=0.25).encode(x=x("x"), x2=alt.X2("x2:Q"), color=alt.Color("band:N", scale=alt.Scale(
            domain=names, range=[b.colour for b in bands]), legend=legend(names, title=kind)))
    order = data["label"].tolist()
    y = alt.Y("label:N", sort=order, title=None, axis=label_axis(order))
    marks = {"color": alt.Color("colour:N", scale=None), "y": y,
             "tooltip": tooltips("label", "levels", "before", "now")}
    base = alt.Chart(data)
    line = base.mark_rule(strokeWidth=2).encode(x=x("before"), x2=alt.X2("now:Q"), **marks)
    was = base.mark_point(filled=False, size=50, strokeWidth=1.5).encode(x=x("before"), **marks)
    now = base.mark_point(filled=True, size=90, opacity=1).encode(
        x=x("now"), shape=alt.Shape("shape:N", scale=None), **marks)
    worse, better = c.count(WORSE), c.count(BETTER)
    shown = len(data)
    width = 420
    what = "level" if m.direct else "score"
    caption = (f"Each line runs from the risk's {c.before} {what} (circle) to its {c.now} {what} (arrow head): red "
               f"worse, green better; the shading shows the {'levels' if m.direct else 'bands'}."
               + (f" The {shown} largest moves are shown; every risk is in the table below." if shown < worse + better
                  else ""))
    head = title(f"Since {c.before}: {worse} worse, {better} better", width, caption)
    return (shade + line + was + now).properties(width=width, height=ROW * len(data), title=head)


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
    names = [b.name for b in bands]
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y(f"{column}:N", sort="-x", title=column.replace("_", " ").capitalize(),
                axis=label_axis(data[column].unique())),
        x=alt.X("sum(risks):Q", title="Rated risks", axis=alt.Axis(tickMinStep=1, format="d")),  # whole risks
        color=alt.Color("level:N", scale=alt.Scale(domain=names, range=[b.colour for b in bands]),
                        legend=legend(names, title="Residual level")),
        order=alt.Order("level:N"),
        tooltip=tooltips(column, "level", "risks"),
    ).properties(title=title(f"Residual level by {column.replace('_', ' ')}", 420), width=420)


THREAT, OPPORTUNITY, EMPTY = "#f4a582", "#a6d96a", "#f4f4f4"


def value_cells(ev: RiskEvaluation) -> pd.DataFrame:
    """One row per cell of the value map: x is the impact level, negative for threats and positive for
    opportunities; y the likelihood; with the count and IDs of the scored risks at that position (the
    residual cell where re-rated, else the inherent cell)."""
    m = ev.methodology.methodology
    rated = ev.rated
    rerated = rated["residual_basis"] == "rerated"
    impact = rated["residual_impact"].where(rerated, rated["inherent_impact"]).astype(int)
    side = (rated["status"] == "opportunity").map({True: 1, False: -1})
    grouped = _grouped(["x", "l"], pd.DataFrame({
        "x": impact * side, "l": rated["residual_likelihood"].where(rerated, rated["inherent_likelihood"]).astype(int),
        "id": rated["risk_id"].astype(str)}))
    rows = []
    for x in [-iv.value for iv in reversed(m.impact)] + [iv.value for iv in m.impact]:
        mid = x - 0.5 if x > 0 else x + 0.5  # cells side by side, the zero line between -1 and +1
        for lv in m.likelihood:
            n, ids = grouped.get((x, lv.value), (0, []))
            colour = EMPTY if not n else OPPORTUNITY if x > 0 else THREAT
            rows.append({"x": x, "mid": mid, "x0": mid - 0.5, "x1": mid + 0.5, "l": lv.value,
                         "likelihood": f"{lv.value} {lv.label}",
                         "side": "opportunity" if x > 0 else "threat", "impact": m.impact[abs(x) - 1].label,
                         "count": n, "ids": ", ".join(ids), "id_lines": _id_lines(ids, n), "colour": colour,
                         "text_colour": "#222222", "label": str(n) if n else ""})
    return pd.DataFrame(rows)


def value_map(ev: RiskEvaluation) -> alt.LayerChart | Md:
    """Threats on the left, opportunities on the right, likelihood up (the provincial ERM guide's value map):
    scored risks counted per cell with their IDs; rated directly (no likelihood or impact), a note saying why
    there is no map."""
    if ev.methodology.methodology.direct:
        return md("*Risks are rated High, Medium or Low with no likelihood or impact, so there is no value map; "
                  "the risks per level are shown above.*")
    alt = _altair()
    m = ev.methodology.methodology
    cells = value_cells(ev)
    n = len(m.impact)
    width, height = _cell_size(cells, [])
    l_order = [f"{lv.value} {lv.label}" for lv in reversed(m.likelihood)]
    x_scale = alt.Scale(domain=[-n, n], nice=False, zero=False)
    x_axis = alt.Axis(values=sorted(set(cells["mid"])), labelExpr="abs(datum.value) + 0.5", grid=False)
    base = alt.Chart().encode(
        x=alt.X("mid:Q", scale=x_scale, title="Impact (threat: left, opportunity: right)", axis=x_axis),
        y=alt.Y("likelihood:N", sort=l_order, title="Likelihood", axis=label_axis(l_order)))
    marks = _cell_marks(base, cells, alt.Color("colour:N", scale=None), height,
                        ["side", "likelihood", "impact", "count", "ids"], x=alt.X("x0:Q"), x2=alt.X2("x1:Q"))
    sides = pd.DataFrame({"x": [-n / 2, n / 2], "text": ["Threats", "Opportunities"]})
    words = alt.Chart(sides).mark_text(fontSize=12, fontWeight="bold", baseline="bottom", dy=-4).encode(
        x=alt.X("x:Q", scale=x_scale), y=alt.YValue(0), text=alt.Text("text:N"))
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#222222", strokeWidth=2).encode(
        x=alt.X("x:Q", scale=x_scale))
    threats, opportunities = (int(cells.loc[cells["side"] == s, "count"].sum()) for s in ("threat", "opportunity"))
    head = title(f"Value map: {_n(threats, 'threat')}, " + (_n(opportunities, "opportunity", "opportunities")
                                                             if opportunities else "no opportunities recorded"),
                 width * 2 * n, "Position: the residual cell where re-rated, else the inherent cell.")
    return (marks + zero + words).properties(width=width * 2 * n, height=height * len(m.likelihood), title=head)


# ---- risk intelligent: simulated losses (risk.quantify) -------------------------------------------------------------
LOSS_COLOURS = {"Before controls": "#9e9e9e", "After controls": "#b2182b"}


def _money_format(currency: str) -> str:
    return f"{currency} " if currency else ""


def loss_curve(ev: RiskEvaluation) -> alt.LayerChart | None:
    """The loss exceedance curves (before and after controls): the chance that a year's loss is above each amount,
    with the tolerable annual loss drawn as a line."""
    if not ev.quantification:
        return None
    alt = _altair()
    stages = {"Before controls": ev.quantification["inherent"], "After controls": ev.quantification["residual"]}
    data = pd.DataFrame([{"stage": name, "loss": x, "chance": p} for name, q in stages.items()
                         for x, p in q.exceedance if x > 0])
    residual = stages["After controls"]
    currency = _money_format(residual.currency)
    wide = len(data) and data["loss"].max() > 100 * max(data["loss"].min(), 1)  # spans two orders of magnitude
    domain = [float(data["loss"].min()), float(data["loss"].max())] if len(data) else None
    scale = alt.Scale(type="log", domain=domain, nice=False) if wide else alt.Scale()
    line = alt.Chart(data).mark_line(interpolate="step-after").encode(
        x=alt.X("loss:Q", scale=scale, title=f"Loss in a year ({residual.currency or 'money'})",
                axis=alt.Axis(format="~s")),
        y=alt.Y("chance:Q", title="Chance the year's loss is above it", axis=alt.Axis(format="%")),
        color=alt.Color("stage:N", scale=alt.Scale(domain=list(LOSS_COLOURS), range=list(LOSS_COLOURS.values())),
                        legend=legend(list(LOSS_COLOURS), title="")),
        tooltip=tooltips("stage", alt.Tooltip("loss:Q", format=",.0f"), alt.Tooltip("chance:Q", format=".1%")))
    layers = [line]
    subtitle = "Simulated years: each risk occurs at most once a year with its chance, its size drawn from its range."
    if residual.tolerable_loss:
        limit = pd.DataFrame({"loss": [residual.tolerable_loss],
                              "text": [f"Tolerable annual loss {currency}{residual.tolerable_loss:,.0f}"]})
        layers += [alt.Chart(limit).mark_rule(color="#222222", strokeDash=[4, 3]).encode(x=alt.X("loss:Q")),
                   alt.Chart(limit).mark_text(align="left", dx=4, dy=-6, fontSize=11).encode(
                       x=alt.X("loss:Q"), y=alt.YValue(12), text=alt.Text("text:N"))]
        subtitle += (f" After controls, {residual.chance_above_tolerable:.1%} of years lose more than the "
                     "tolerable amount.")
    head = title("How likely a year's losses are to exceed each amount", 460, subtitle)
    return alt.layer(*layers).properties(width=460, height=260, title=head)


def value_ranges(ev: RiskEvaluation) -> alt.LayerChart | None:
    """The value map as ranges: each threat (left) and opportunity (right) as the range of its size when it occurs
    (5 % to 95 %, its middle marked), after controls, and the net value of a year with its own interval."""
    if not ev.quantification:
        return None
    alt = _altair()
    q = ev.quantification["residual"]
    vm = q.value_map
    sign = vm["side"].map({"threat": -1, "opportunity": 1})
    rows = pd.DataFrame({"risk": vm["risk_id"].astype(str), "side": vm["side"].str.capitalize(),
                         "low": vm["impact_q5"] * sign, "middle": vm["impact_q50"] * sign,
                         "high": vm["impact_q95"] * sign})
    net = q.net_value
    keys = sorted(k for k in net if k.startswith("q"))
    rows = pd.concat([rows.sort_values("middle"), pd.DataFrame([{
        "risk": "Net value of a year", "side": "Net", "low": net[keys[0]], "middle": net["expected"],
        "high": net[keys[-1]]}])], ignore_index=True)
    order = rows["risk"].tolist()
    colours = alt.Scale(domain=["Threat", "Opportunity", "Net"], range=[THREAT, OPPORTUNITY, "#4d4d4d"])
    base = alt.Chart(rows).encode(y=alt.Y("risk:N", sort=order, title=None, axis=label_axis(order)))
    money = f"Money ({q.currency})" if q.currency else "Money"
    bars = base.mark_bar(height=10).encode(
        x=alt.X("low:Q", title=f"{money}: losses left, gains right", axis=alt.Axis(format="~s")), x2=alt.X2("high:Q"),
        color=alt.Color("side:N", scale=colours, legend=legend(["Threat", "Opportunity", "Net"], title="")),
        tooltip=tooltips("risk", "side", alt.Tooltip("low:Q", format=",.0f"), alt.Tooltip("middle:Q", format=",.0f"),
                         alt.Tooltip("high:Q", format=",.0f")))
    ticks = base.mark_tick(color="#222222", thickness=2, size=14).encode(x=alt.X("middle:Q"))
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#222222").encode(x=alt.X("x:Q"))
    head = title("Value map: the range of each threat and opportunity after controls", 460,
                 "Bars run from 5 % to 95 % of the size when it occurs (the tick: the middle); the last bar is a "
                 "year's gains less losses, from 5 % to 95 % (the tick: the expected value).")
    return (bars + ticks + zero).properties(width=460, height=max(120, 18 * len(rows)), title=head)
