"""What the maturity scoring reports: the JSON summary, the key figures, the Excel tables, the views and the
narratives the notebook shows."""

from __future__ import annotations

from typing import Any

import pandas as pd

from workbook_lib.assessments.maturity.model import ASSESSMENT_NAME, LoadedMatrix, Matrix, as_matrix
from workbook_lib.assessments.maturity.scoring import CapacityResult, MaturityResult, percent
from workbook_lib.core.outputs import Md, md, md_list, notes_markdown, plain


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


def opening_narrative(result: MaturityResult, organisation: str, period: str) -> Md:
    m = result.matrix.matrix
    sc = result.score
    lines = [md("## {}: risk-management maturity, {}", organisation, period)]
    rated = md("**{} of {}** elements are rated{}", sc.elements_rated, sc.elements_total,
               md(".") if sc.complete else md("; **{} are not rated yet**.", sc.elements_total - sc.elements_rated))
    lines.append(md("As of **{:%d %B %Y}**, {}", result.as_of, rated))
    if sc.status:
        band = m.band_for_total(sc.total_score)
        st = m.status(sc.status)
        levels = Md(" and ").join(md("*{}* (level {})", lv.label, lv.level) for lv in result.index_levels)
        lines.append(md("The marks add up to **{total}** out of a possible {low}-{high}, in the band {band_min}-"
                        "{band_max}: the municipality's risk management is **{status}**. On the five-level maturity "
                        "index this status covers {levels}. The **{toolkit}** version of the toolkit applies{note}.",
                        total=sc.total_score, low=m.min_total, high=m.max_total, band_min=band.min,
                        band_max=band.max, status=st.label.lower(), levels=levels, toolkit=st.toolkit,
                        note=md(" ({})", st.toolkit_note) if st.toolkit_note else Md()))
    else:
        possible = sc.possible_statuses
        span = md("{}", possible[0]) if len(possible) == 1 else md("{} to {}", possible[0], possible[-1])
        lines.append(md("**No maturity status is given**: the guide adds the marks up only once every element is "
                        "rated. The marks so far total {}; provisionally the status can still be **{}**, depending on "
                        "the marks still to come.", sc.total_score, span))
    parts = Md("; ").join(md("{} ({}) {} of {}", r.name, r.assessment, r.score, r.max_score)
                          + (md(", {} of {} rated", r.rated, r.total) if r.rated < r.total else Md())
                          for r in sc.by_assessment.itertuples(index=False))
    lines.append(md("By assessment: {}.", parts))
    n_gaps = len(result.gaps)
    lines.append(md("**{}** rated element(s) sit below the target status *{}*{}", n_gaps, result.target_status,
                    md(": {}.", ", ".join(result.gaps["element_id"])) if n_gaps else md(".")))
    cap = result.capacity
    if cap.provided:
        by_line = Md("; ").join(md("{} {}", r.name, _pct(r.percent_yes)) for r in cap.by_line.itertuples(index=False))
        lines.append(md("Capacity, skills and budget: share of *yes* answers per line of assurance: {}. The lines "
                        "disagree on **{}** item(s).", by_line, len(cap.disagreements)))
    if len(result.trend):
        lines.append(trend_narrative(result))
    if result.warnings:
        lines.append(md("**Warnings**\n\n") + md_list(result.warnings))
    return Md("\n\n").join(lines)


def index_context(result: MaturityResult) -> Md:
    """The five-level maturity index as context, with the condensed status each level belongs to."""
    m = result.matrix.matrix
    rows = []
    for lv in m.index:
        here = md(" **(this municipality)**") if result.status and lv.status == result.status else Md()
        rows.append(md("| {} | {}{} | {} | {} | {} |", lv.level, lv.label, here, lv.status,
                       m.status(lv.status).toolkit, lv.description))
    return md("## The maturity index\n"
              "The guide describes maturity on five levels and condenses them into three statuses for rating; "
              "each status has its toolkit version.\n\n"
              "| Level | Name | Status | Toolkit | What it looks like |\n|---|---|---|---|---|\n") + Md("\n").join(rows)


def roadmap_narrative(result: MaturityResult) -> Md:
    rm = result.roadmap
    if result.status is None:
        return md("## Roadmap\n*The roadmap starts from the maturity status, which is given only once every "
                  "element is rated.*")
    if rm.empty:
        return md("## Roadmap\nThe municipality is at the highest status (*{}*): the task is to sustain it.",
                  result.status)
    m = result.matrix.matrix
    reached = m.status(result.status).mark >= m.status(result.target_status).mark
    lines = [md("## Roadmap\nIndicative, from the as-of date, at the guide's pace; horizon **{} years**.{}",
                result.horizon_years,
                md(" The target status (*{}*) is already reached overall; the elements still below it are listed "
                   "above.", result.target_status) if reached else Md()), Md()]
    for r in rm.itertuples(index=False):
        when = {"yes": "within the horizon", "possibly": "within the horizon only at the faster pace",
                "no": "beyond the horizon"}[r.within_horizon]
        lines.append(md("- Step {step}: **{start} to {end}** in {years} years, between {earliest:%B %Y} and "
                        "{latest:%B %Y} ({when}){condition}{reaches}", step=r.step, start=r.from_status,
                        end=r.to_status, years=r.years, earliest=r.earliest_by, latest=r.latest_by, when=when,
                        condition=md("; {}", r.condition) if r.condition else Md(),
                        reaches=md(" - this reaches the target status.") if r.reaches_target else md(".")))
    return Md("\n").join(lines)


def trend_narrative(result: MaturityResult) -> Md:
    t = result.trend
    if t.empty:
        return md("*No earlier period was given: there is no trend yet.*")
    periods = list(dict.fromkeys(t["period"]))
    first, last = periods[0], periods[-1]
    sentences = []
    for code in list(dict.fromkeys(t["assessment"])):
        a = t[(t["assessment"] == code) & (t["period"] == first)].iloc[0]
        b = t[(t["assessment"] == code) & (t["period"] == last)].iloc[0]
        if plain(a["mean_mark"]) is None or plain(b["mean_mark"]) is None:
            continue
        label = md("total") if code == "Total" else md("{} {}", code, b["name"])
        if a["rated"] == a["total"] and b["rated"] == b["total"]:
            sentences.append(md("{} {} to {}", label, a["score"], b["score"]))
        else:
            sentences.append(md("{} mean mark {:.2f} to {:.2f}", label, a["mean_mark"], b["mean_mark"]))
    first_status = t[(t["assessment"] == "Total") & (t["period"] == first)].iloc[0]["status"]
    last_status = t[(t["assessment"] == "Total") & (t["period"] == last)].iloc[0]["status"]
    return md("Trend from {} to {}: {}. Status: {} to {}.", first, last, Md("; ").join(sentences),
              first_status or "not classified", last_status or "not classified")


def method_note(result: MaturityResult) -> Md:
    m = result.matrix.matrix
    bands = Md("\n").join(md("| {} | {}-{} | {}-{} | {:.2f} |", b.label, b.published_min, b.published_max, b.min,
                             b.max, b.published_max / m.banding.basis_elements) for b in m.bands)
    counts = Md(", ").join(md("{} {}", a.id, len(a.elements)) for a in m.assessments)
    marks = Md(", ").join(md("{} = {}", s.mark, s.label.lower()) for s in m.statuses)
    notes = notes_markdown(m.notes)
    return md("## Method and provenance\n"
              "Maturity matrix **{name}**, version {version}, SHA-256 `{sha}`.\n\n"
              "Each of the **{n}** elements ({counts}) is marked {marks}; the total decides the status. The guide "
              "publishes its bands for {basis} elements; they are applied {how} to the {n} elements of the tables:\n\n"
              "| Status | Published totals ({basis} elements) | Applied totals ({n} elements) | Mean mark up to |\n"
              "|---|---|---|---|\n{bands}\n\n"
              "**Decisions recorded in the matrix file** (where the guide is silent or inconsistent):\n\n{notes}",
              name=m.name, version=m.version, sha=result.matrix.sha256, n=m.element_count, counts=counts, marks=marks,
              basis=m.banding.basis_elements,
              how="proportionally" if m.banding.rule == "proportional" else "as published", bands=bands, notes=notes)


def capacity_narrative(result: MaturityResult) -> Md:
    cap = result.capacity
    m = result.matrix.matrix
    if not cap.provided:
        return md("## Capacity, skills and budget\n*No capacity answers were given. The guide asks the first three "
                  "lines of assurance to complete this assessment whatever the maturity status.*")
    overall = cap.by_section[cap.by_section["line"] == 0]
    weakest = overall.dropna(subset=["percent_yes"]).sort_values("percent_yes", kind="stable").head(1)
    lines = [md("## Capacity, skills and budget\n**{}** of {} answers given ({} items x {} lines of assurance).",
                cap.answers_given, len(cap.answers), len(m.capacity.items), len(m.capacity.lines))]
    if len(weakest):
        w = weakest.iloc[0]
        lines.append(md("The weakest section is **{}**: {} of the answers given are *yes* ({} of {}).", w["section"],
                        _pct(w["percent_yes"]), int(w["yes"]), int(w["answered"])))
    if len(cap.disagreements):
        items = Md("; ").join(md("item {} (guide's no. {})", int(r["item_id"]), r["seed_ref"].split()[0])
                              for r in cap.disagreements.to_dict("records"))
        lines.append(md("The lines of assurance **disagree** on {} item(s): {}. These are worth discussing before the "
                        "municipal manager relies on the results.", len(cap.disagreements), items))
    else:
        lines.append(md("The lines of assurance agree on every item that more than one of them answered."))
    return Md("\n\n").join(lines)
