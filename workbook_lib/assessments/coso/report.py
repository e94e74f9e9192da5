"""What the COSO assessment reports: the JSON summary, the key figures line, the Excel tables, and the
narratives and tables the notebook shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from workbook_lib.assessments.coso.model import (
    ASSESSMENT,
    INCOMPLETE,
    MET,
    NO_SINGLE_LINE,
    NOT_ASSESSED,
    NOT_MET,
    STATUSES,
    Questionnaire,
)
from workbook_lib.assessments.coso.scoring import CosoResult, rating_column
from workbook_lib.core.outputs import Md, md, md_list, notes_markdown, plain


# ---- outputs -----------------------------------------------------------------------------------------
def summary(result: CosoResult, organisation: str, period: str) -> dict[str, Any]:
    """The JSON contract of the COSO assessment (see README)."""
    lines = result.q.line_numbers
    items = [
        {"item_id": r["item_id"], "principle": int(r["principle"]), "component": r["component"],
         "ratings": {str(ln): plain(r[rating_column(ln)]) for ln in lines},
         "combined_score": plain(r["combined_score"]), "band": plain(r["band"]),
         "complete": bool(r["complete"]), "divergent": bool(r["divergent"])}
        for r in result.items.to_dict("records")
    ]
    principles = [
        {"principle": int(p["principle"]), "name": p["name"], "component": p["component"],
         "assessed": bool(p["assessed"]), "mean_combined": plain(p["mean_combined"]),
         "present_and_functioning": plain(p["present_and_functioning"])}
        for p in result.principles.to_dict("records")
    ]
    return {"assessment": ASSESSMENT, "organisation": organisation, "period": period,
            "questionnaire": result.questionnaire.provenance(), "items": items, "principles": principles,
            "warnings": list(result.warnings)}


def key_figures(result: CosoResult) -> str:
    """One stable line of the figures a committee looks at first (checked by the notebook tests)."""
    items = result.items
    bands = items["band"].value_counts()
    levels = ", ".join(f"{b.name} {int(bands.get(b.name, 0))}" for b in result.q.combined.bands)
    o, names = result.overall, result.q.status_names
    statuses = ", ".join(f"{names[s]} {o[s]}" for s in STATUSES)
    return (f"items {len(items)} | complete {int(items['complete'].sum())} | "
            f"incomplete {int((~items['complete']).sum())} | combined: {levels} | "
            f"divergent {int(items['divergent'].sum())} | principles {o['principles']}: {statuses}")


ITEM_COLUMNS_HEAD = ["item_id", "component", "principle", "principle_name", "seed_ref", "text"]
ITEM_COLUMNS_TAIL = ["combined_score", "band", "complete", "missing_lines", "spread", "divergent", "stands_apart",
                     "comments"]
PRINCIPLE_COLUMNS = ["principle", "name", "component", "items", "complete_items", "completeness", "mean_combined",
                     "min_combined", "band_of_mean", "red_items", "divergent_items", "assessed",
                     "present_and_functioning", "status", "reason"]
COMPONENT_COLUMNS = ["component_id", "component", "principles", "items", "complete_items", "completeness",
                     "mean_combined", "min_combined", "band_of_mean", "red_items", "divergent_items",
                     *("principles_" + s.replace(" ", "_") for s in STATUSES)]


def items_table(result: CosoResult) -> pd.DataFrame:
    """Every item with each line's rating, in the column order of the exports."""
    ratings = [rating_column(ln) for ln in result.q.line_numbers]
    return result.items[ITEM_COLUMNS_HEAD + ratings + ITEM_COLUMNS_TAIL]


def method_table(result: CosoResult) -> pd.DataFrame:
    """The questionnaire's provenance, rules, scale, lines, bands and notes as item-value rows."""
    q = result.q
    rule = q.present_and_functioning
    rows = [("questionnaire", q.name), ("version", q.version), ("sha256", result.questionnaire.sha256),
            ("title", q.title), ("source", q.source), ("responses", result.responses_file or "(none)"),
            ("maturity status", result.maturity_status or "(not stated)"),
            ("combined score", q.combined.rule), ("divergence threshold", str(result.divergence_threshold)),
            (f"rule: {rule.met}", rule.description or
             f"all complete {rule.require_all_complete}, red items at most {rule.max_red_items}, "
             f"mean at least {rule.min_mean_combined:g}")]
    rows += [(f"rating {lv.value}: {lv.label}", lv.description) for lv in q.scale]
    rows += [(f"line {ln.line}: {ln.name}", ln.key_question) for ln in q.lines]
    rows += [(f"band {b.name} ({b.min}-{b.max})", b.meaning) for b in q.combined.bands]
    rows += [(f"note: {n.topic}", n.decision) for n in q.notes]
    return pd.DataFrame(rows, columns=["item", "value"])


def result_tables(result: CosoResult) -> dict[str, pd.DataFrame]:
    """The Excel workbook: one sheet per table."""
    items = items_table(result)
    return {
        "Items": items,
        "Principles": result.principles[PRINCIPLE_COLUMNS],
        "Components": result.components[COMPONENT_COLUMNS],
        "Divergent": items[result.items["divergent"]],
        "Incomplete": items[~result.items["complete"]],
        "Respondents": result.respondents,
        "Method": method_table(result),
        "Warnings": pd.DataFrame({"warning": result.warnings}, dtype=object),
    }



# ---- what the notebook shows -------------------------------------------------------------------------
def _ids(frame: pd.DataFrame, limit: int = 12) -> Md:
    """The first item IDs of ``frame``, escaped, and how many more."""
    ids = frame["item_id"].tolist()
    more = len(ids) - limit
    return md("{}", ", ".join(ids[:limit]) + (f" and {more} more" if more > 0 else ""))


def _are(n: int) -> str:
    """"is" for one, "are" for any other number."""
    return "is" if n == 1 else "are"


def _principle_list(frame: pd.DataFrame) -> Md:
    """The principle numbers of ``frame``, escaped."""
    return md("{}", ", ".join(str(p) for p in frame["principle"]))


def opening_narrative(result: CosoResult, organisation: str, period: str, as_of: dt.date | None = None) -> Md:
    """The headline an audit committee reads first; the applicability warning, if any, comes first of all."""
    q = result.q
    items, p, o = result.items, result.principles, result.overall
    lines = [md("## {}: COSO control assessment, {}", organisation, period)]
    applicability = [w for w in result.warnings if w.startswith("Maturity status")]
    if applicability:
        lines.append(md("> **Applicability warning.** {}", applicability[0]))
    when = md("As of **{:%d %B %Y}**, the", as_of) if as_of else md("The")
    lines.append(md("{when} questionnaire holds **{items} items** testing **{principles} principles** in {components} "
                    "components. **{complete}** items have been rated by all {lines} lines of assurance{incomplete}.",
                    when=when, items=len(items), principles=len(p), components=len(q.components),
                    complete=len(result.complete), lines=len(q.lines),
                    incomplete=md("; **{} are incomplete** and are listed, never scored", len(result.incomplete))
                    if len(result.incomplete) else Md()))
    bands = result.complete["band"].value_counts()
    red = next(b for b in q.combined.bands if b.name == q.combined.red_band)
    lines.append(md("Combined scores: {}.{}", Md(", ").join(
        md("**{}** {} ({}-{})", int(bands.get(b.name, 0)), b.name, b.min, b.max) for b in q.combined.bands),
        md(" {} items: {}.{}", red.name, _ids(result.red), md(" {}", red.meaning) if red.meaning else Md())
        if len(result.red) else md(" No item is {}.", red.name.lower())))
    names = q.status_names
    pf = p[p["status"] == names[MET]]
    not_pf = p[p["status"] == names[NOT_MET]]

    def listed(frame: pd.DataFrame) -> Md:
        return md(" ({})", _principle_list(frame)) if len(frame) else Md()

    lines.append(md("**{present} of {total} principles** are {met}{pf}; **{not_present}** {are_not} "
                    "{not_met}{not_pf}; {incomplete} cannot be judged yet because ratings are missing{inc}; "
                    "{not_assessed} {are_na} not assessed{na}.", present=o[MET], total=o["principles"],
                    met=names[MET], pf=listed(pf), not_present=o[NOT_MET], are_not=_are(o[NOT_MET]),
                    not_met=names[NOT_MET], not_pf=listed(not_pf),
                    incomplete=o[INCOMPLETE], inc=listed(p[p["status"] == INCOMPLETE]) if o[INCOMPLETE] else Md(),
                    not_assessed=o[NOT_ASSESSED], are_na=_are(o[NOT_ASSESSED]),
                    na=listed(p[p["status"] == NOT_ASSESSED]) if o[NOT_ASSESSED] else Md()))
    if len(result.divergent):
        lines.append(md("The lines disagree by {} or more points on **{}** item(s): {}.", result.divergence_threshold,
                        len(result.divergent), _ids(result.divergent)))
    maturity = result.maturity_status or "not stated"
    lines.append(md("Questionnaire: *{}* (version {}); maturity status: {}.", q.title, q.version, maturity))
    others = [w for w in result.warnings if w not in applicability]
    if others:
        lines.append(md("**Warnings**\n\n") + md_list(others))
    return Md("\n\n").join(lines)


def rating_guide(result: CosoResult) -> Md:
    """How the lines rated: the scale, each line's key question, and what the combined bands mean."""
    q = result.q
    scale = Md("\n").join(md("| {} | {} | {} |", lv.value, lv.label, lv.description) for lv in q.scale)
    lines = Md("\n").join(md("| {} | {} | {} |", ln.line, ln.name, ln.key_question) for ln in q.lines)
    bands = Md("\n").join(md("| {} | {}-{} | {} |", b.name, b.min, b.max, b.meaning) for b in q.combined.bands)
    return md("## How the items were rated\n"
              "Each line of assurance rated every item on its own, from 1 to {max}:\n\n"
              "| Rating | Level | Meaning |\n|---|---|---|\n{scale}\n\n"
              "Each line answered its own key question:\n\n| Line | Who | Key question |\n|---|---|---|\n{lines}\n\n"
              "The combined score is the {rule} ({low}-{high}), read against the heat map:\n\n"
              "| Band | Combined | Meaning |\n|---|---|---|\n{bands}", max=q.max_rating, scale=scale, lines=lines,
              rule=q.combined.rule, low=min(q.reachable_scores), high=max(q.reachable_scores), bands=bands)


def principles_narrative(result: CosoResult) -> Md:
    """Which principles meet the questionnaire's rule, and why the others do not (or are not yet judged)."""
    rule = result.q.present_and_functioning
    p = result.principles
    parts = [md("## Principles\n{}", rule.description)]
    for status, title in ((rule.not_met, rule.not_met[:1].upper() + rule.not_met[1:]),
                          (INCOMPLETE, "Not judged: incomplete"), (NOT_ASSESSED, "Not assessed")):
        chosen = p[p["status"] == status]
        if len(chosen):
            parts.append(md("**{}**\n\n", title) + md_list(
                md("Principle {} ({}): {}", r.principle, r.name, r.reason) for r in chosen.itertuples(index=False)))
    return Md("\n\n").join(parts)


def divergence_narrative(result: CosoResult) -> Md:
    """How many items the lines disagree on, and which line stands apart how often."""
    d = result.divergent
    head = md("## Where the lines disagree\nAn item is divergent when its three ratings differ by {} or more points "
              "(judged on complete items). The line that stands apart is the one furthest from the middle rating; "
              "when two lines are equally far, no single line stands apart.", result.divergence_threshold)
    if not len(d):
        return head + md("\n\nNo complete item is divergent.")
    counts = d["stands_apart"].value_counts()
    single = counts.drop(NO_SINGLE_LINE, errors="ignore")
    text = Md("; ").join(md("{} on {}", name, int(n)) for name, n in single.items())
    none = int(counts.get(NO_SINGLE_LINE, 0))
    return head + md("\n\n**{}** divergent item(s). The line standing apart: {}{}", len(d), text or md("none"),
                     md("; no single line stands apart on {}.", none) if none else md("."))


def _line_headings(frame: pd.DataFrame, q: Questionnaire) -> pd.DataFrame:
    """rating_1 -> 'Management (1)' for what the notebook shows; exports keep the canonical names."""
    return frame.rename(columns={rating_column(ln.line): f"{ln.label} ({ln.line})" for ln in q.lines})


def principle_view(result: CosoResult) -> pd.DataFrame:
    """The principles table the notebook shows."""
    cols = ["principle", "name", "component", "items", "complete_items", "mean_combined", "min_combined",
            "band_of_mean", "red_items", "divergent_items", "status", "reason"]
    return result.principles[cols]


def component_view(result: CosoResult) -> pd.DataFrame:
    """The components table the notebook shows."""
    return result.components[COMPONENT_COLUMNS[1:]]


def divergent_view(result: CosoResult) -> pd.DataFrame:
    """Divergent items, widest spread first, with the lines named."""
    ratings = [rating_column(ln) for ln in result.q.line_numbers]
    cols = ["item_id", "principle", *ratings, "combined_score", "band", "spread", "stands_apart", "comments"]
    return _line_headings(result.divergent.sort_values(["spread", "item_id"], ascending=[False, True])[cols],
                          result.q)


def incomplete_view(result: CosoResult) -> pd.DataFrame:
    """Incomplete items and the lines still missing."""
    ratings = [rating_column(ln) for ln in result.q.line_numbers]
    return _line_headings(result.incomplete[["item_id", "principle", *ratings, "missing_lines", "comments"]],
                          result.q)


def red_view(result: CosoResult) -> pd.DataFrame:
    """Items in the red band, with each line's rating."""
    ratings = [rating_column(ln) for ln in result.q.line_numbers]
    return _line_headings(result.red[["item_id", "principle", "text", *ratings, "combined_score", "comments"]],
                          result.q)


def method_note(result: CosoResult) -> Md:
    """Provenance, the rules applied and every decision the questionnaire records about its source."""
    q = result.q
    rule = q.present_and_functioning
    bands = Md("\n").join(md("| {} | {}-{} | {} |", b.name, b.min, b.max, b.colour) for b in q.combined.bands)
    notes = notes_markdown(q.notes)
    return md("## Method and provenance\n"
              "Questionnaire **{name}**, version {version}, SHA-256 `{sha}`{source}.\n\n"
              "Combined score = {rule}; an item missing any line's rating is incomplete and is never summed. Means and "
              "minimums count complete items only. Red band: {red}. Divergence threshold: {threshold}. A principle "
              "is {met} when all items complete {required}, at most {max_red} red item(s), mean combined at least "
              "{min_mean:g}; otherwise {not_met}.\n\n"
              "| Band | Combined | Colour |\n|---|---|---|\n{bands}\n\n"
              "**Decisions recorded in the questionnaire file** (where the source document is silent or "
              "inconsistent):\n\n{notes}", name=q.name, version=q.version, sha=result.questionnaire.sha256,
              source=md("; source: {}", q.source) if q.source else Md(), rule=q.combined.rule,
              red=q.combined.red_band, threshold=result.divergence_threshold,
              required="required" if rule.require_all_complete else "not required", max_red=rule.max_red_items,
              met=rule.met, not_met=rule.not_met,
              min_mean=rule.min_mean_combined, bands=bands, notes=notes or md("- none recorded"))
