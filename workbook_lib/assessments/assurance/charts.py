"""Altair charts for the combined-assurance analysis, drawn from aggregated data.

Colours come from the framework file (lines, frequencies, coverage levels). Per-risk charts show at most
``MAX_RISKS`` risks (the highest residual first) and say so in their title; the coverage matrix
aggregates, so it stays small for any register size. An organisation's own list of hundreds of providers is drawn
in part (core.charts): at most ``MAX_PROVIDERS`` in the grid (those assuring the most controls of its risks first)
and in the workload (the most controls assured first), each chart saying how many it shows of how many.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbook_lib.assessments.assurance.scoring import CLOSED, CombinedAssurance, risk_state
from workbook_lib.core.charts import (
    LABEL_SIZE,
    altair,
    label_axis,
    legend,
    shown_note,
    text_colour,
    text_width,
    title,
    tooltips,
)

if TYPE_CHECKING:
    import altair as alt

MAX_RISKS = 40
MAX_IDS_IN_CELL = 6
MAX_PROVIDERS = 30  # providers in the grid and the workload (the shipped framework has 8)


def risk_label(r: Any) -> str:
    """A risk's label on an axis: ID, residual level and score, and GAP or out of scope."""
    score = "" if pd.isna(r.residual_score) else f" {int(r.residual_score)}"
    closed = getattr(r, "status", None) in CLOSED  # listed, never scored: its status says why it is not in scope
    flag = " · GAP" if r.gap else ("" if r.in_scope or closed else " · out of scope")
    return f"{r.risk_id} · {risk_state(r)}{score}{flag}"


def grid_risks(result: CombinedAssurance, max_risks: int = MAX_RISKS) -> tuple[pd.DataFrame, int]:
    """The risks the grid shows: in scope or in the map, highest residual first; and how many were left off."""
    mapped = set(result.map.frame["risk_id"])
    shown = result.risks[result.risks["in_scope"] | result.risks["risk_id"].isin(mapped)]
    return shown.head(max_risks), max(len(shown) - max_risks, 0)


def grid_providers(result: CombinedAssurance, risks: pd.DataFrame) -> list:
    """The providers the grid shows, in the framework's order: every one, or the ``MAX_PROVIDERS`` assuring the most
    controls of ``risks``."""
    if len(result.providers) <= MAX_PROVIDERS:
        return list(result.providers)
    m = result.map.frame
    controls = m.loc[m["risk_id"].isin(set(risks["risk_id"])), "provider"].value_counts()
    ranked = sorted(range(len(result.providers)), key=lambda k: -int(controls.get(result.providers[k].id, 0)))
    keep = set(ranked[:MAX_PROVIDERS])
    return [p for k, p in enumerate(result.providers) if k in keep]


def grid_cells(result: CombinedAssurance, max_risks: int = MAX_RISKS) -> pd.DataFrame:
    """One row per (risk, provider) shown: frequency codes of its controls, the most frequent first."""
    fw = result.framework.framework
    risks, _ = grid_risks(result, max_risks)
    labels = {r.risk_id: risk_label(r) for r in risks.itertuples(index=False)}
    freq = {f.code: f for f in fw.frequencies}
    m = result.map.frame[result.map.frame["risk_id"].isin(labels)]
    by_cell = {key: part for key, part in m.groupby(["risk_id", "provider"], sort=False)} if len(m) else {}
    none = m.iloc[0:0]
    providers = grid_providers(result, risks)
    rows = []
    for r in risks.itertuples(index=False):
        for p in providers:
            cell = by_cell.get((r.risk_id, p.id), none).sort_values("per_year", ascending=False, kind="stable")
            codes = [c for c in cell["frequency"] if c]
            best = freq[codes[0]] if codes else None
            blank = len(cell) - len(codes)
            text = "/".join(dict.fromkeys(codes)) + (" (-)" if blank and codes else "-" if blank else "")
            colour = best.colour if best else ("#eeeeee" if not blank else "#f7f7f7")
            rows.append({"risk": labels[r.risk_id], "risk_id": r.risk_id, "provider": p.name, "provider_id": p.id,
                         "line": f"Line {p.line}: {fw.line(p.line).assurance}", "code": text,
                         "frequency": best.name if best else ("listed, no activity" if blank else "none"),
                         "controls": int(len(cell)), "colour": colour, "text_colour": text_colour(colour)})
    return pd.DataFrame(rows, columns=["risk", "risk_id", "provider", "provider_id", "line", "code", "frequency",
                                       "controls", "colour", "text_colour"])


def assurance_grid(result: CombinedAssurance, max_risks: int = MAX_RISKS) -> alt.HConcatChart:
    """The assurance map as a heat grid: risks down, providers across grouped by line, frequency in the cell."""
    alt = altair()
    cells = grid_cells(result, max_risks)
    _, left_off = grid_risks(result, max_risks)
    risk_order = list(dict.fromkeys(cells["risk"]))
    charts = []
    # provider names slant at 35 degrees: room below the grid for the longest
    slant = text_width(cells["provider"]) * math.sin(math.radians(35)) + LABEL_SIZE
    for line, part in cells.groupby("line", sort=True):
        providers = list(dict.fromkeys(part["provider"]))
        base = alt.Chart(part).encode(
            x=alt.X("provider:N", sort=providers, title=None,
                    axis=alt.Axis(labelAngle=-35, labelLimit=0, minExtent=slant)),
            y=alt.Y("risk:N", sort=risk_order, title=None,
                    axis=alt.Axis(labels=False) if charts else label_axis(risk_order)))
        rect = base.mark_rect(stroke="white", strokeWidth=1.5).encode(
            color=alt.Color("colour:N", scale=None),
            tooltip=tooltips("risk_id", "provider", "frequency", "code", "controls"))
        text = base.mark_text(fontSize=11, fontWeight="bold").encode(
            text=alt.Text("code:N"), color=alt.Color("text_colour:N", scale=None))
        width = 62 * len(providers)
        charts.append((rect + text).properties(title=title(line, width), width=width,
                                               height=max(18 * len(risk_order), 40)))
    heading = "Assurance map: frequency code per risk and provider"
    if left_off:
        heading += f" (top {len(risk_order)} risks by residual; {left_off} more in the tables)"
    shown = cells["provider_id"].nunique()
    note = shown_note(shown, len(result.providers), "provider", order="those assuring the most controls of these "
                      "risks first", where="the Excel workbook, sheet \"Assurance map\"")
    if not charts:
        return alt.hconcat(alt.Chart(pd.DataFrame({"x": []})).mark_point()).properties(title=title(heading, 400))
    return alt.hconcat(*charts, spacing=6).properties(title=title(heading, 62 * len(cells["provider"].unique()),
                                                                  note))


def coverage_matrix_cells(result: CombinedAssurance) -> pd.DataFrame:
    """Risks in scope counted by residual level and coverage, with IDs; 'short' where the cell is a gap."""
    fw = result.framework.framework
    scoped = result.in_scope
    rows = []
    for level in result.level_names:
        part = scoped[scoped["residual_level"] == level]
        for cov in fw.coverage:
            inside = part[part["coverage"] == cov.name]
            ids = list(inside["risk_id"])
            more = len(ids) - MAX_IDS_IN_CELL
            rows.append({"residual_level": level, "coverage": cov.name, "colour": cov.colour, "risks": len(ids),
                         "gaps": int(inside["gap"].sum()),
                         "ids": ", ".join(ids[:MAX_IDS_IN_CELL]) + (f" +{more}" if more > 0 else ""),
                         "label": str(len(ids)) if ids else ""})
    return pd.DataFrame(rows, columns=["residual_level", "coverage", "colour", "risks", "gaps", "ids", "label"])


def coverage_matrix(result: CombinedAssurance) -> alt.LayerChart:
    """Risks in scope by residual level (across) and coverage (down); a red border marks gaps."""
    alt = altair()
    fw = result.framework.framework
    cells = coverage_matrix_cells(result)
    cov_order = [lv.name for lv in fw.coverage]
    base = alt.Chart(cells).encode(
        x=alt.X("residual_level:N", sort=result.level_names, title="Residual level",
                axis=alt.Axis(labelAngle=0, labelLimit=0)),
        y=alt.Y("coverage:N", sort=cov_order, title="Coverage", axis=label_axis(cov_order)))
    rect = base.mark_rect(strokeWidth=3).encode(
        color=alt.Color("colour:N", scale=None),
        opacity=alt.condition(alt.datum.risks > 0, alt.value(1.0), alt.value(0.18)),
        stroke=alt.condition(alt.datum.gaps > 0, alt.value("#b2182b"), alt.value("white")),
        tooltip=tooltips("residual_level", "coverage", "risks", "gaps", "ids"))
    count = base.mark_text(fontSize=13, fontWeight="bold", dy=-7).encode(text=alt.Text("label:N"))
    ids = base.mark_text(fontSize=8, dy=8).encode(text=alt.Text("ids:N"))
    width = max(110, text_width(cells["ids"], 8) + 8) * max(len(result.level_names), 1)
    heading = f"Coverage against residual level ({len(result.in_scope)} risks in scope; red border: gaps)"
    return (rect + count + ids).properties(title=title(heading, width), width=width, height=46 * len(cov_order))


def coverage_by_risk(result: CombinedAssurance, max_risks: int = MAX_RISKS) -> alt.LayerChart:
    """Each risk in scope (highest residual first): coverage found (dot) against coverage required (ring)."""
    alt = altair()
    fw = result.framework.framework
    cov_order = list(reversed([lv.name for lv in fw.coverage]))  # weakest on the left
    colours = {lv.name: lv.colour for lv in fw.coverage}
    scoped = result.in_scope.head(max_risks)
    data = pd.DataFrame([{"risk": risk_label(r), "risk_id": r.risk_id, "coverage": r.coverage,
                          "required": r.required_coverage or cov_order[0], "gap": bool(r.gap),
                          "residual_level": r.residual_level, "needed": r.needed}
                         for r in scoped.itertuples(index=False)],
                        columns=["risk", "risk_id", "coverage", "required", "gap", "residual_level", "needed"])
    order = list(data["risk"])
    x = alt.X("coverage:N", sort=cov_order, scale=alt.Scale(domain=cov_order), title="Coverage",
              axis=alt.Axis(labelAngle=0, labelLimit=0))
    y = alt.Y("risk:N", sort=order, title=None, axis=label_axis(order))
    rule = alt.Chart(data[data["gap"]]).mark_rule(color="#b2182b", strokeWidth=2).encode(
        x=x, x2=alt.X2("required:N"), y=y)
    found = alt.Chart(data).mark_circle(size=180, opacity=1).encode(
        x=x, y=y, color=alt.Color("coverage:N", scale=alt.Scale(domain=list(colours), range=list(colours.values())),
                                  legend=legend(colours, title="Coverage found")),
        tooltip=tooltips("risk_id", "residual_level", "coverage", "required", "needed"))
    required = alt.Chart(data).mark_point(size=320, shape="circle", filled=False, color="#222222",
                                          strokeWidth=1.5).encode(
        x=alt.X("required:N", sort=cov_order, scale=alt.Scale(domain=cov_order)), y=y,
        tooltip=tooltips("risk_id", "required"))
    left_off = max(len(result.in_scope) - max_risks, 0)
    heading = "Coverage found (dot) against coverage required (ring), risks in scope"
    if left_off:
        heading += f" (top {max_risks}; {left_off} more in the tables)"
    return (rule + required + found).properties(title=title(heading, 360), width=360, height=max(22 * len(order), 40))


def workload(result: CombinedAssurance) -> alt.Chart:
    """Controls assured per provider, coloured by line; the label gives assurance events a year."""
    alt = altair()
    fw = result.framework.framework
    data = result.workload
    note = ""
    if len(data) > MAX_PROVIDERS:  # the most controls assured first; drawn in the framework's order
        kept = data.loc[data.index.isin(data["controls_assured"].sort_values(ascending=False, kind="stable")
                                        .index[:MAX_PROVIDERS])]
        note = shown_note(len(kept), len(data), "provider", order="the most controls assured first",
                          where="the Excel workbook, sheet \"Provider workload\"")
        data = kept
    data = data.sort_values("line", kind="stable").assign(
        line_name=lambda d: d["line"].map(lambda n: f"Line {n}: {fw.line(n).assurance}"),
        events=lambda d: d["events_per_year"].map(lambda v: f"{v:,.0f} a year"))
    order = list(data["name"])
    top = max(int(data["controls_assured"].max()) if len(data) else 0, 1)
    lines = [ln for ln in fw.lines if ln.line in set(data["line"])]
    line_names = [f"Line {ln.line}: {ln.assurance}" for ln in lines]
    base = alt.Chart(data).encode(
        y=alt.Y("name:N", sort=order, title=None, axis=label_axis(order)),
        x=alt.X("controls_assured:Q", title="Controls assured", scale=alt.Scale(domain=[0, top * 1.3]),
                axis=alt.Axis(tickMinStep=1, format="d")))  # a count: whole numbers on its axis
    bars = base.mark_bar().encode(
        color=alt.Color("line_name:N", legend=legend(line_names, title="Line", orient="bottom"),
                        scale=alt.Scale(domain=line_names, range=[ln.colour for ln in lines])),
        tooltip=tooltips("provider", "name", "line", "controls_assured", "risks_covered", "in_scope_risks_covered",
                         "events_per_year"))
    text = base.mark_text(align="left", dx=4, fontSize=10).encode(text=alt.Text("events:N"))
    heading = "Provider workload: controls assured (label: assurance events a year)"
    return (bars + text).properties(title=title(heading, 380, note), width=380, height=22 * max(len(order), 1))
