"""What the maturity scoring reports: the JSON summary, the key figures, the Excel tables, the views and the
narratives the notebook shows."""

from __future__ import annotations

from typing import Any

import pandas as pd

from workbook_lib.assessments.maturity.model import ASSESSMENT_NAME, LoadedMatrix, Matrix, as_matrix
from workbook_lib.assessments.maturity.scoring import CapacityResult, MaturityResult, percent
from workbook_lib.core.outputs import esc, notes_markdown, plain


# ---- outputs -----------------------------------------------------------------------------------------
def capacity_summary(cap: CapacityResult, matrix: Matrix | LoadedMatrix) -> dict[str, Any]:
    """The capacity part of the JSON summary (documented in the module and the README)."""
    m = as_matrix(matrix)

    def figures(r: Any) -> dict[str, Any]:
        return {"answered": int(r.answered), "yes": int(r.yes), "percent_yes": plain(r.percent_yes)}

    by_section: dict[str, Any] = {}
    for section in m.capacity.sections:
        part = cap.by_section[cap.by_section["section"] == section]
        overall = part[part["line"] == 0].iloc[0]
        by_section[section] = {**figures(overall), "by_line": {str(int(r.line)): figures(r)
                                                              for r in part[part["line"] != 0].itertuples()}}
    return {
        "provided": cap.provided,
        "items_total": len(m.capacity.items),
        "answers_expected": len(cap.answers),
        "answers_given": cap.answers_given,
        "by_line": {str(int(r.line)): {"name": r.name, **figures(r)} for r in cap.by_line.itertuples()},
        "by_section": by_section,
        "disagreements": [
            {"item_id": int(r["item_id"]), "seed_ref": r["seed_ref"], "section": r["section"],
             "answers": {str(ln.line): plain(r[f"line {ln.line}"]) for ln in m.capacity.lines}}
            for r in cap.disagreements.to_dict("records")],
        "not_answered": [{"item_id": int(r.item_id), "line": int(r.line)} for r in cap.not_answered.itertuples()],
    }


def maturity_summary(result: MaturityResult, organisation: str, period: str) -> dict[str, Any]:
    """The JSON contract of the maturity scoring (see README)."""
    el = result.elements
    return {
        "assessment": ASSESSMENT_NAME,
        "organisation": organisation,
        "period": period,
        "elements": [{"element_id": r.element_id, "assessment": r.assessment, "group": r.group, "name": r.name,
                      "mark": plain(r.mark)} for r in el.itertuples(index=False)],
        "elements_total": result.score.elements_total,
        "elements_rated": result.score.elements_rated,
        "total_score": result.total_score,
        "status": result.status,
        "by_assessment": {r.assessment: {"score": int(r.score), "rated": int(r.rated), "total": int(r.total)}
                          for r in result.by_assessment.itertuples(index=False)},
        "capacity": capacity_summary(result.capacity, result.matrix),
        "warnings": list(result.warnings),
        "matrix": result.matrix.provenance(),
    }


def _pct(value: Any) -> str:
    value = plain(value)
    return "n/a" if value is None else f"{value:.0f}%"


def key_figures(result: MaturityResult) -> str:
    """One stable line of the figures a committee looks at first (checked by the notebook tests)."""
    sc = result.score
    m = result.matrix.matrix
    parts = ", ".join(f"{r.assessment} {r.score}/{r.max_score}" + (f" ({r.rated} of {r.total} rated)"
                                                                    if r.rated < r.total else "")
                      for r in sc.by_assessment.itertuples(index=False))
    cap = result.capacity
    lines = ", ".join(f"line {int(r.line)} {_pct(r.percent_yes)}" for r in cap.by_line.itertuples())
    capacity = (f"capacity yes: {lines} | lines disagree on {len(cap.disagreements)} item(s)"
                if cap.provided else "capacity not given")
    return (f"elements {sc.elements_total} | rated {sc.elements_rated} | total {sc.total_score} of {m.max_total} | "
            f"status {sc.status or 'not classified'} | {parts} | below {result.target_status} "
            f"{len(result.gaps)} | {capacity}")


def bands_table(matrix: Matrix | LoadedMatrix) -> pd.DataFrame:
    m = as_matrix(matrix)
    return pd.DataFrame([{"status": b.status, "published_totals": f"{b.published_min}-{b.published_max}",
                          f"applied_totals ({m.element_count} elements)": f"{b.min}-{b.max}",
                          "mean_mark_up_to": round(b.published_max / m.banding.basis_elements, 3)} for b in m.bands])


def result_tables(result: MaturityResult) -> dict[str, pd.DataFrame]:
    """The Excel workbook: one sheet per table."""
    m = result.matrix.matrix
    cap = result.capacity
    tables = {
        "Elements": result.elements,
        "Assessments": result.by_assessment,
        "Below target": result.gaps,
        "Roadmap": result.roadmap,
        "Capacity answers": cap.answers,
        "Capacity by line": cap.by_line,
        "Capacity by section": cap.by_section,
        "Lines disagree": cap.disagreements,
        "Trend": result.trend,
        "Maturity index": pd.DataFrame([lv.model_dump() for lv in m.index]),
        "Bands": bands_table(m),
        "Warnings": pd.DataFrame({"warning": result.warnings}),
    }
    tables["Method"] = pd.DataFrame(
        [("matrix", m.name), ("version", m.version), ("sha256", result.matrix.sha256),
         ("as of", result.as_of.isoformat()), ("target status", result.target_status),
         ("horizon (years)", str(result.horizon_years)), ("marks file", result.marks_file or "(not given)"),
         ("capacity file", result.capacity_file or "(not given)")]
        + [(f"note: {n.topic}", n.decision) for n in m.notes], columns=["item", "value"])
    return tables




# ---- what the notebook shows ------------------------------------------------------------------------
def elements_view(result: MaturityResult) -> pd.DataFrame:
    view = result.elements[["element_id", "assessment_name", "group", "name", "mark", "level", "description",
                            "respondent", "comment"]].copy()
    view["level"] = view["level"].fillna("NOT RATED")
    return view


def gaps_view(result: MaturityResult) -> pd.DataFrame:
    return result.gaps[["element_id", "group", "name", "level", "next_level", "action"]]


def capacity_view(result: MaturityResult) -> pd.DataFrame:
    """Items by line: yes / no / blank, with the guide's own number beside the clean one."""
    cap = result.capacity
    wide = cap.answers.pivot(index="item_id", columns="line", values="answer")
    items = cap.answers.drop_duplicates("item_id").set_index("item_id")
    view = pd.DataFrame({"item": wide.index, "guide's no.": items.loc[wide.index, "seed_ref"].to_numpy(),
                         "section": items.loc[wide.index, "section"].to_numpy(),
                         "question": items.loc[wide.index, "text"].to_numpy()})
    for ln in result.matrix.matrix.capacity.lines:
        view[f"{ln.line} {ln.name}"] = wide[ln.line].fillna("").to_numpy()
    return view


def capacity_percentages(result: MaturityResult) -> pd.DataFrame:
    """Percentage yes per section (rows) and line (columns), with answers given in brackets."""
    cap = result.capacity
    rows = []
    for section, part in cap.by_section.groupby("section", sort=False):
        row = {"section": section}
        for r in part.itertuples(index=False):
            row[r.line_name] = f"{_pct(r.percent_yes)} ({r.yes} of {r.answered})"
        rows.append(row)
    total = {"section": "All sections"}
    for r in cap.by_line.itertuples(index=False):
        total[r.name] = f"{_pct(r.percent_yes)} ({r.yes} of {r.answered})"
    answered = int(cap.by_line["answered"].sum())
    total["All lines"] = f"{_pct(percent(int(cap.by_line['yes'].sum()), answered))} " \
                         f"({int(cap.by_line['yes'].sum())} of {answered})"
    rows.append(total)
    return pd.DataFrame(rows)


def opening_narrative(result: MaturityResult, organisation: str, period: str) -> str:
    m = result.matrix.matrix
    sc = result.score
    lines = [f"## {esc(organisation)}: risk-management maturity, {esc(period)}"]
    rated = (f"**{sc.elements_rated} of {sc.elements_total}** elements are rated"
             + ("." if sc.complete else f"; **{sc.elements_total - sc.elements_rated} are not rated yet**."))
    lines.append(f"As of **{result.as_of:%d %B %Y}**, {rated}")
    if sc.status:
        band = m.band_for_total(sc.total_score)
        st = m.status(sc.status)
        levels = " and ".join(f"*{esc(lv.label)}* (level {lv.level})" for lv in result.index_levels)
        lines.append(f"The marks add up to **{sc.total_score}** out of a possible {m.min_total}-{m.max_total}, "
                     f"in the band {band.min}-{band.max}: the municipality's risk management is "
                     f"**{esc(st.label.lower())}**. On the five-level maturity index this status covers {levels}. "
                     f"The **{esc(st.toolkit)}** version of the toolkit applies"
                     + (f" ({esc(st.toolkit_note)})" if st.toolkit_note else "") + ".")
    else:
        possible = sc.possible_statuses
        span = esc(possible[0]) if len(possible) == 1 else f"{esc(possible[0])} to {esc(possible[-1])}"
        lines.append(f"**No maturity status is given**: the guide adds the marks up only once every element is "
                     f"rated. The marks so far total {sc.total_score}; provisionally the status can still be "
                     f"**{span}**, depending on the marks still to come.")
    parts = "; ".join(f"{esc(r.name)} ({esc(r.assessment)}) {r.score} of {r.max_score}"
                      + (f", {r.rated} of {r.total} rated" if r.rated < r.total else "")
                      for r in sc.by_assessment.itertuples(index=False))
    lines.append(f"By assessment: {parts}.")
    n_gaps = len(result.gaps)
    lines.append(f"**{n_gaps}** rated element(s) sit below the target status *{esc(result.target_status)}*"
                 + (": " + esc(", ".join(result.gaps["element_id"])) + "." if n_gaps else "."))
    cap = result.capacity
    if cap.provided:
        by_line = "; ".join(f"{esc(r.name)} {_pct(r.percent_yes)}" for r in cap.by_line.itertuples(index=False))
        lines.append(f"Capacity, skills and budget: share of *yes* answers per line of assurance: {by_line}. "
                     f"The lines disagree on **{len(cap.disagreements)}** item(s).")
    if len(result.trend):
        lines.append(trend_narrative(result))
    if result.warnings:
        lines.append("**Warnings**\n\n" + "\n".join(f"- {esc(w)}" for w in result.warnings))
    return "\n\n".join(lines)


def index_context(result: MaturityResult) -> str:
    """The five-level maturity index as context, with the condensed status each level belongs to."""
    m = result.matrix.matrix
    rows = []
    for lv in m.index:
        here = " **(this municipality)**" if result.status and lv.status == result.status else ""
        rows.append(f"| {lv.level} | {esc(lv.label)}{here} | {esc(lv.status)} | {esc(m.status(lv.status).toolkit)} "
                    f"| {esc(lv.description)} |")
    return ("## The maturity index\n"
            "The guide describes maturity on five levels and condenses them into three statuses for rating; "
            "each status has its toolkit version.\n\n"
            "| Level | Name | Status | Toolkit | What it looks like |\n|---|---|---|---|---|\n" + "\n".join(rows))


def roadmap_narrative(result: MaturityResult) -> str:
    rm = result.roadmap
    if result.status is None:
        return ("## Roadmap\n*The roadmap starts from the maturity status, which is given only once every "
                "element is rated.*")
    if rm.empty:
        return (f"## Roadmap\nThe municipality is at the highest status (*{esc(result.status)}*): the task is to "
                f"sustain it.")
    m = result.matrix.matrix
    reached = m.status(result.status).mark >= m.status(result.target_status).mark
    lines = [f"## Roadmap\nIndicative, from the as-of date, at the guide's pace; horizon "
             f"**{result.horizon_years} years**."
             + (f" The target status (*{esc(result.target_status)}*) is already reached overall; the elements "
                f"still below it are listed above." if reached else ""), ""]
    for r in rm.itertuples(index=False):
        when = {"yes": "within the horizon", "possibly": "within the horizon only at the faster pace",
                "no": "beyond the horizon"}[r.within_horizon]
        lines.append(f"- Step {r.step}: **{esc(r.from_status)} to {esc(r.to_status)}** in {esc(r.years)} years, "
                     f"between {r.earliest_by:%B %Y} and {r.latest_by:%B %Y} ({when})"
                     + (f"; {esc(r.condition)}" if r.condition else "")
                     + (" - this reaches the target status." if r.reaches_target else "."))
    return "\n".join(lines)


def trend_narrative(result: MaturityResult) -> str:
    t = result.trend
    if t.empty:
        return "*No earlier period was given: there is no trend yet.*"
    periods = list(dict.fromkeys(t["period"]))
    first, last = periods[0], periods[-1]
    sentences = []
    for code in list(dict.fromkeys(t["assessment"])):
        a = t[(t["assessment"] == code) & (t["period"] == first)].iloc[0]
        b = t[(t["assessment"] == code) & (t["period"] == last)].iloc[0]
        if plain(a["mean_mark"]) is None or plain(b["mean_mark"]) is None:
            continue
        label = "total" if code == "Total" else f"{esc(code)} {esc(b['name'])}"
        if a["rated"] == a["total"] and b["rated"] == b["total"]:
            sentences.append(f"{label} {a['score']} to {b['score']}")
        else:
            sentences.append(f"{label} mean mark {a['mean_mark']:.2f} to {b['mean_mark']:.2f}")
    first_status = t[(t["assessment"] == "Total") & (t["period"] == first)].iloc[0]["status"]
    last_status = t[(t["assessment"] == "Total") & (t["period"] == last)].iloc[0]["status"]
    status = (f" Status: {esc(first_status or 'not classified')} to {esc(last_status or 'not classified')}.")
    return f"Trend from {esc(first)} to {esc(last)}: " + "; ".join(sentences) + "." + status


def method_note(result: MaturityResult) -> str:
    m = result.matrix.matrix
    bands = "\n".join(f"| {esc(b.label)} | {b.published_min}-{b.published_max} | {b.min}-{b.max} | "
                      f"{b.published_max / m.banding.basis_elements:.2f} |" for b in m.bands)
    counts = ", ".join(f"{esc(a.id)} {len(a.elements)}" for a in m.assessments)
    marks = ", ".join(f"{s.mark} = {esc(s.label.lower())}" for s in m.statuses)
    notes = notes_markdown(m.notes)
    return (f"## Method and provenance\n"
            f"Maturity matrix **{esc(m.name)}**, version {esc(m.version)}, SHA-256 `{result.matrix.sha256}`.\n\n"
            f"Each of the **{m.element_count}** elements ({counts}) is marked {marks}; the total decides the "
            f"status. The guide publishes its bands for {m.banding.basis_elements} elements; they are applied "
            f"{'proportionally' if m.banding.rule == 'proportional' else 'as published'} to the "
            f"{m.element_count} elements of the tables:\n\n"
            f"| Status | Published totals ({m.banding.basis_elements} elements) | Applied totals "
            f"({m.element_count} elements) | Mean mark up to |\n|---|---|---|---|\n{bands}\n\n"
            f"**Decisions recorded in the matrix file** (where the guide is silent or inconsistent):\n\n{notes}")


def capacity_narrative(result: MaturityResult) -> str:
    cap = result.capacity
    m = result.matrix.matrix
    if not cap.provided:
        return ("## Capacity, skills and budget\n*No capacity answers were given. The guide asks the first three "
                "lines of assurance to complete this assessment whatever the maturity status.*")
    overall = cap.by_section[cap.by_section["line"] == 0]
    weakest = overall.dropna(subset=["percent_yes"]).sort_values("percent_yes", kind="stable").head(1)
    lines = [f"## Capacity, skills and budget\n**{cap.answers_given}** of {len(cap.answers)} answers given "
             f"({len(m.capacity.items)} items x {len(m.capacity.lines)} lines of assurance)."]
    if len(weakest):
        w = weakest.iloc[0]
        lines.append(f"The weakest section is **{esc(w['section'])}**: {_pct(w['percent_yes'])} of the answers "
                     f"given are *yes* ({int(w['yes'])} of {int(w['answered'])}).")
    if len(cap.disagreements):
        items = "; ".join(f"item {int(r['item_id'])} (guide's no. {esc(r['seed_ref'].split()[0])})"
                          for r in cap.disagreements.to_dict("records"))
        lines.append(f"The lines of assurance **disagree** on {len(cap.disagreements)} item(s): {items}. "
                     f"These are worth discussing before the municipal manager relies on the results.")
    else:
        lines.append("The lines of assurance agree on every item that more than one of them answered.")
    return "\n\n".join(lines)
