"""The risk evaluation's report: JSON contract, Excel tables, narratives and views for the notebook."""

from __future__ import annotations

from typing import Any

import pandas as pd

from workbook_lib.assessments.risk.acceptance import who_acts
from workbook_lib.assessments.risk.aggregate import aggregate, aggregate_summary, aggregate_table, has_objectives
from workbook_lib.assessments.risk.changes import (
    BETTER,
    CLOSED,
    GONE,
    NEW,
    SAME,
    UNRATED,
    WORSE,
    Changes,
    Movement,
)
from workbook_lib.assessments.risk.interpret import readings_frame, skipped_lines
from workbook_lib.assessments.risk.quantify_report import quantification_summary, quantification_tables
from workbook_lib.assessments.risk.scoring import RiskEvaluation, some_ids, worst_case_by_category
from workbook_lib.assessments.risk.tier_report import tier_summary
from workbook_lib.core.outputs import Md, md, md_list, notes_markdown, plain

SCORING_WORDS = {"product": "the two multiplied", "grid": "read from the methodology's grid"}
JSON_RISKS = 100_000  # per-row lists in the JSON summary, in full up to this many entries (docs/assessments.md)
WHERE = {"risks": "the Excel workbook, sheet \"Risks\"",
         "disagreements": "the Excel workbook, sheet \"Own figures differing\"",
         "skipped_rows": "the Excel workbook, sheet \"Rows skipped\"",
         "warnings": "the Excel workbook, sheet \"Warnings\"",
         "movement.risks": "the Excel workbook, sheet \"Movement\""}
RISK_KEYS = ["risk_id", "group", "inherent_score", "inherent_level", "residual_score", "residual_level",
             "above_appetite", "appetite_applied", "decision_maker", "rated", "status", "residual_basis"]


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON takes them (missing -> None, numpy and pandas scalars -> Python ones), built
    column-wise; each value as ``plain`` gives it."""
    part = frame[columns].astype(object)
    part = part.where(part.notna(), None)
    return [{k: plain(v) for k, v in row.items()} for row in part.to_dict("records")] if len(part) else []


def listed(summary: dict[str, Any], key: str, count: int, build: Any) -> Any:
    """``build()`` (a per-row list) when it has at most ``JSON_RISKS`` entries; else None, with its count and where
    every entry is recorded under ``summary["not_listed"]``."""
    if count <= JSON_RISKS:
        return build()
    summary["not_listed"][key] = {"count": count, "where": WHERE[key]}
    return None


def counts(ev: RiskEvaluation) -> dict[str, Any]:
    """The register's counts, whatever its size (the batch index reads them): risks, rated, not rated, closed,
    above appetite, and rated risks per residual level (lowest band first)."""
    bands = [b.name for b in sorted(ev.methodology.methodology.banding(ev.banding).bands, key=lambda b: b.min)]
    levels = ev.rated["residual_level"].value_counts()
    return {"risks": len(ev.risks), "rated": len(ev.rated), "not_rated": len(ev.unrated), "closed": len(ev.closed),
            "above_appetite": int((ev.risks["above_appetite"] == True).sum()),  # noqa: E712 - object column
            "residual": {b: int(levels.get(b, 0)) for b in bands}}


def risk_summary(ev: RiskEvaluation, organisation: str, period: str) -> dict[str, Any]:
    """The JSON contract of the risk evaluation (see README; its per-row lists: docs/assessments.md)."""
    summary: dict[str, Any] = {"not_listed": {}}
    # the integrated register's fields, when the register gives them; rated directly, no scores
    keys = [k for k in RISK_KEYS if k not in _not_shown(ev)] + integrated_held(ev)
    risks = listed(summary, "risks", len(ev.risks), lambda: [
        {**r, "rated": bool(r["rated"])} for r in _records(ev.risks, keys)])
    groups = [
        {"group": g.group, "residual_score": plain(g.residual_score), "residual_level": plain(g.residual_level),
         "decision_maker": plain(g.decision_maker)}
        for g in ev.groups.itertuples(index=False)
    ]
    disagreements = listed(summary, "disagreements", len(ev.disagreements), lambda: [
        {"risk_id": d["Risk"], "row": int(d["Row"]), "column": d["Your column"],
         "file_value": d["The file says"], "computed": d["Computed"], "arithmetic": d["Arithmetic"]}
        for d in ev.disagreements.to_dict("records")])
    skipped = listed(summary, "skipped_rows", len(ev.skipped), lambda: [
        {"row": s.row, "reason": s.reason, "text": s.text} for s in ev.skipped])
    warnings = listed(summary, "warnings", len(ev.warnings), lambda: list(ev.warnings))
    return {"assessment": "risk-evaluation", "organisation": organisation, "period": period,
            "as_of": ev.as_of.isoformat(), "methodology": ev.methodology.provenance(),
            "banding": ev.banding, "rating_stage": ev.methodology.methodology.rating_stage,
            "appetite_approval": {"approved_by": ev.appetite_approved_by or None,
                                  "approved_on": ev.appetite_approved_on.isoformat() if ev.appetite_approved_on
                                  else None},
            "risks": risks, "groups": groups, "warnings": warnings,
            "disagreements": disagreements,
            "columns_read": [{"column": r.letter, "heading": r.heading, "read_as": r.meaning, "how": r.how,
                              "values": r.style} for r in ev.readings],
            "skipped_rows": skipped, "reading_notes": list(ev.reading_notes),
            "movement": movement_summary(ev, summary), "counts": counts(ev), **aggregate_summary(ev),
            **worst_case_summary(ev), **tier_summary(ev),
            **quantification_summary(ev), **summary}


def key_figures(ev: RiskEvaluation) -> str:
    """One stable line of the figures a committee looks at first (checked by the notebook tests)."""
    bands = [b.name for b in ev.methodology.methodology.banding(ev.banding).bands]
    res = ev.rated["residual_level"].value_counts()
    levels = ", ".join(f"{b} {int(res.get(b, 0))}" for b in bands)
    above = int((ev.risks["above_appetite"] == True).sum())  # noqa: E712 - object column with None
    return (f"risks {len(ev.risks)} | rated {len(ev.rated)} | not rated {len(ev.unrated)} | "
            f"closed {len(ev.closed)} | residual: {levels} | above appetite {above} | "
            f"own figures differing {ev.disagreements['Risk'].nunique() if len(ev.disagreements) else 0} | "
            f"overdue actions "
            f"{int(ev.risks['action_overdue'].sum())} | overdue reviews {int(ev.risks['review_overdue'].sum())}"
            + _movement_figures(ev) + _loss_figures(ev))


def _loss_figures(ev: RiskEvaluation) -> str:
    """A risk-intelligent register's simulated losses a year after controls, for the key-figures line."""
    if not ev.quantification:
        return ""
    q = ev.quantification["residual"]
    return (f" | expected loss a year {q.currency} {q.expected_loss:,.0f} | at 95 % {q.currency} "
            f"{q.quantiles[0.95]:,.0f}").replace("  ", " ")


def _movement_figures(ev: RiskEvaluation) -> str:
    """The movement's counts for the key-figures line (nothing without an earlier period)."""
    if ev.movement is None:
        return ""
    c = ev.movement.latest
    return f" | since {c.before}: " + ", ".join(f"{k} {c.count(k)}" for k in (WORSE, BETTER, NEW, CLOSED, GONE))


RISK_COLUMNS = ["risk_id", "group", "description", "category", "owner", "inherent_likelihood", "inherent_impact",
                "inherent_score", "inherent_level", "controls", "control_effectiveness", "control_factor",
                "residual_likelihood", "residual_impact", "residual_score", "residual_level", "residual_basis",
                "appetite", "appetite_statement", "appetite_applied", "above_appetite", "decision_maker",
                "decision_basis", "register_destination",
                "required_action", "arithmetic", "response", "treatment_owner", "actions", "due_date", "review_date",
                "progress", "action_overdue", "review_overdue", "rated", "status"]


# the integrated register's fields (the guide's Tables 22 and 23): shown where the register gives them
INTEGRATED = ["objective", "root_causes_internal", "root_causes_external", "root_causes", "consequence", "kpi",
              "monitoring"]


def integrated_held(ev: RiskEvaluation) -> list[str]:
    """The integrated fields the register gives for at least one risk, in the guide's order."""
    return [c for c in INTEGRATED if c in ev.risks and (ev.risks[c].fillna("").astype(str).str.strip() != "").any()]


def result_tables(ev: RiskEvaluation) -> dict[str, pd.DataFrame]:
    extra = [c for c in ev.risks.columns if c not in RISK_COLUMNS and not c.endswith("_label")
             and c not in {"row", "complete", "closed", *INTEGRATED}]
    columns = [c for c in RISK_COLUMNS if c in ev.risks]
    at = columns.index("category") + 1 if "category" in columns else len(columns)
    columns[at:at] = integrated_held(ev)
    tables = {
        "Risks": ev.risks[columns + extra],  # a register may state no appetite
        "Groups": ev.groups,
        "Treatments": ev.treatments,
    }
    if ev.roles is not None:
        tables["Partner roles"] = ev.roles
    if ev.movement is not None:
        tables["Movement"] = movement_frame(ev.movement.latest)
        if len(ev.movement.steps) > 1:
            tables["Movement by period"] = movement_series(ev)
    tables["Warnings"] = pd.DataFrame({"warning": ev.warnings})
    tables["Own figures differing"] = ev.disagreements
    tables["By objective and category"] = aggregate_table(ev)
    tables.update(quantification_tables(ev))  # a risk-intelligent register's simulated losses
    if ev.methodology.methodology.direct:  # rated High / Medium / Low: no likelihood, impact or score
        tables["Risks"] = tables["Risks"].drop(columns=_not_shown(ev))
        tables["Worst case per category"] = worst_case_view(ev)
    tables["Columns read"] = readings_frame(ev.readings)
    tables["Rows skipped"] = pd.DataFrame([(s.row, s.reason, s.text) for s in ev.skipped],
                                          columns=["Row", "Why", "What it says"])
    m = ev.methodology.methodology
    tables["Method"] = pd.DataFrame(
        [("methodology", m.name), ("version", m.version), ("sha256", ev.methodology.sha256),
         ("banding", ev.banding), ("residual", m.residual_in_words()), ("as of", ev.as_of.isoformat())]
        + [(f"note: {n.topic}", n.decision) for n in m.notes], columns=["item", "value"])
    return tables



# a methodology whose register gives one current rating per risk (rating_stage: current) is reported in its words
CURRENT = {"inherent_likelihood": "Current likelihood", "inherent_impact": "Current impact",
           "residual_score": "Current score", "residual_level": "Current level"}


# what a methodology rating risks directly (High / Medium / Low) has none of: no report, table or JSON shows them
NOT_DIRECT = ["inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact", "inherent_score",
              "residual_score", "control_factor"]


def _not_shown(ev: RiskEvaluation) -> list[str]:
    """The columns of ``ev.risks`` a report leaves out (likelihood, impact and scores when rated directly)."""
    return [c for c in NOT_DIRECT if c in ev.risks] if ev.methodology.methodology.direct else []


def in_stage_words(ev: RiskEvaluation, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as a report shows it, in the methodology's stage words: with current ratings only, no inherent
    score or level (the source gives none) and the ratings headed "Current"; with its own words for the two
    stages (``stages:``, e.g. "initial" and "final"), the ratings headed so. Rated directly (High / Medium / Low):
    no likelihood, impact or score, and the levels ordered lowest to highest (so that "worst first" sorts them)."""
    m = ev.methodology.methodology
    if m.direct:
        order = pd.CategoricalDtype([b.name for b in m.banding(ev.banding).bands], ordered=True)
        frame = frame.drop(columns=NOT_DIRECT, errors="ignore")
        return frame.astype({c: order for c in ("inherent_level", "residual_level") if c in frame})
    if m.rating_stage == "current":
        return frame.drop(columns=["inherent_score", "inherent_level"], errors="ignore").rename(columns=CURRENT)
    if (m.stage("inherent"), m.stage("residual")) == ("inherent", "residual"):
        return frame
    return frame.rename(columns={f"{stage}_{what}": f"{m.stage(stage).capitalize()} {what}"
                                 for stage in ("inherent", "residual")
                                 for what in ("likelihood", "impact", "score", "level")})


def score_column(ev: RiskEvaluation) -> str:
    """The column a report table of risks is ordered by, worst first (its residual or current score; rated
    directly, its residual level)."""
    if ev.methodology.methodology.direct:
        return "residual_level"
    return in_stage_words(ev, pd.DataFrame(columns=["residual_score"])).columns[0]


def appetite_given(ev: RiskEvaluation) -> bool:
    """Whether any risk is measured against an appetite (the organisation's, or its register row's)."""
    return bool(ev.risks["appetite"].notna().any())


def attention(ev: RiskEvaluation) -> pd.DataFrame:
    """The risks that need a decision, highest first: those above the appetite; with no appetite at all (a method
    without one, such as Torbay's), every rated threat with its band's decision maker."""
    if appetite_given(ev):
        chosen = ev.risks[ev.risks["above_appetite"] == True]  # noqa: E712
    else:
        chosen = ev.rated[ev.rated["status"] != "opportunity"]
    cols = ["risk_id", "group", "category", "owner", "residual_score", "residual_level", "appetite_applied",
            "appetite_statement", "decision_maker", "decision_basis", "register_destination", "arithmetic"]
    said = chosen.get("appetite_statement", pd.Series(dtype=object)).fillna("")
    drop = {"appetite_applied"} if not appetite_given(ev) else set()
    drop |= {"appetite_statement"} if not (said != "").any() else set()
    if "spread" in chosen:  # risk intelligent: of equal scores, the wider money range (the more volatile) first
        cols.insert(cols.index("residual_level") + 1, "spread")
    order = ["residual_score", "spread"] if "spread" in chosen else ["residual_score"]
    view = chosen.sort_values(order, ascending=False, kind="stable")[[c for c in cols if c not in drop]]
    return in_stage_words(ev, view)


# the notebook's fixed headings, in the methodology's stage words ({Stage}: "Residual", "Final" or "Current")
HEADINGS = {
    "decisions": ("Risks that need a decision", "{Stage} risks above appetite, highest first, with who decides on "
                  "them (above the tolerance: who must act) and the arithmetic behind each score."),
    "decisions without appetite": ("Risks that need a decision", "No risk appetite was given, so each {stage} risk "
                                   "is listed with the decision maker of its band, highest first, with the "
                                   "arithmetic behind each score."),
    "groups": ("Groups (proposals, programmes, activities)", "A group's overall {stage} risk is the highest {stage} "
               "risk among its risks; that level decides who decides on the group as a whole."),
    "by category": ("{Stage} risk by category and owner", ""),
    "all risks": ("All risks", "In register order; a long register shows its highest {stage} scores here, and "
                  "every risk is in the Excel workbook."),
}


def heading(ev: RiskEvaluation, key: str) -> Md:
    """A section heading of the notebook, with its introduction, in the methodology's words. Rated directly (the
    guide's fragmented register), the category section opens with the worst case per category."""
    if key == "by category" and ev.methodology.methodology.direct:
        return worst_case_markdown(ev) + md("\n\n") + _heading(ev, key)
    return _heading(ev, key)


def _heading(ev: RiskEvaluation, key: str) -> Md:
    """A section heading of the notebook, with its introduction, in the methodology's words."""
    if key == "decisions" and not appetite_given(ev):
        key = "decisions without appetite"
    stage = ev.methodology.methodology.stage("residual")
    title, text = (s.format(stage=stage, Stage=stage.capitalize()) for s in HEADINGS[key])
    return md("## {}", title) + (md("\n{}", text) if text else Md())


def decisions_empty(ev: RiskEvaluation) -> str:
    """What the table of risks that need a decision says when it is empty."""
    stage = ev.methodology.methodology.stage("residual")
    return f"No {stage} risk is above appetite." if appetite_given(ev) else f"No {stage} risk is rated."


def overdue(ev: RiskEvaluation) -> pd.DataFrame:
    t = ev.treatments
    return in_stage_words(ev, t[t["action_overdue"] | t["review_overdue"]])


def groups_view(ev: RiskEvaluation) -> pd.DataFrame:
    """The groups in the methodology's words."""
    return in_stage_words(ev, ev.groups)


def integrated_view(ev: RiskEvaluation) -> pd.DataFrame | None:
    """Each risk's objective, root causes, consequence, key performance indicator and monitoring, as the register
    gives them (only the fields it gives; None when it gives none of them)."""
    held = integrated_held(ev)
    return ev.risks[["risk_id", *held]] if held else None


def integrated_heading(ev: RiskEvaluation) -> Md | None:
    """The heading of the risk detail: what the register says of each risk's objective, causes and consequence."""
    if not integrated_held(ev):
        return None
    return md("## Risk detail: objectives, causes and consequences\nAs the register states them for each risk, in "
              "register order.")


def by_objective_and_category(ev: RiskEvaluation) -> Md:
    """The heading and introduction of the aggregation section (the guide's Table 20, integrated maturity)."""
    stage = ev.methodology.methodology.stage("residual")
    objectives = (md("each operational objective and each risk category") if has_objectives(ev) else
                  md("each risk category (the register gives no operational objectives)"))
    appetite = (md(", and how many are above appetite") if appetite_given(ev) else
                md("; no risk is measured against an appetite, so none is counted above it"))
    return md("## Risks by objective and category\nFor {}: the risks listed, how many are rated, the worst {} risk "
              "among the rated threats (an opportunity's score is its upside, never the worst){}. Closed and "
              "eliminated risks are listed but never rated. The worst comes first.", objectives, stage, appetite)


def aggregate_view(ev: RiskEvaluation, by: str) -> pd.DataFrame | None:
    """The risks per objective or per category (``by``) as the report shows them (None for objectives when the
    register gives none): the worst residual headed in the methodology's words, the appetite count left out when no
    appetite applies."""
    if by == "objective" and not has_objectives(ev):
        return None
    stage = ev.methodology.methodology.stage("residual")
    drop = [] if appetite_given(ev) else ["above_appetite"]
    words = {"worst_residual_score": f"Worst {stage} score", "worst_residual_level": f"Worst {stage} level"}
    return aggregate(ev, by).drop(columns=drop).rename(columns=words if stage != "residual" else {})


def register_view(ev: RiskEvaluation) -> pd.DataFrame:
    cols = ["risk_id", "group", "description", "category", "owner", "inherent_score", "inherent_level",
            "control_effectiveness", "residual_score", "residual_level", "above_appetite", "decision_maker",
            "arithmetic"]
    view = ev.risks[cols].copy()
    # a risk that is not scored says why: its status (closed, eliminated), or that it carries no rating
    status = ev.risks["status"].map(lambda v: f"{str(v).capitalize()}: listed, not scored" if v in (
        "closed", "eliminated") else "Not rated: listed, not scored")
    view.loc[~ev.risks["rated"], "arithmetic"] = status[~ev.risks["rated"]]
    return in_stage_words(ev, view)


def opening_narrative(ev: RiskEvaluation, organisation: str, period: str) -> Md:
    m = ev.methodology.methodology
    rated, unrated = ev.rated, ev.unrated
    above = rated.loc[rated["above_appetite"] == True, ["risk_id"]]  # noqa: E712
    # the risk a full sort of the rated risks by residual score puts first, without sorting every column
    top = rated.loc[rated["residual_score"].sort_values(ascending=False).index[:1]]
    bands = m.banding(ev.banding).bands
    worst = bands[-1].name
    n_worst = int((rated["residual_level"] == worst).sum())
    current = m.rating_stage == "current"
    stage = m.stage("residual")
    lines = [
        md("## {}: risk evaluation, {}", organisation, period),
        md("As of **{as_of:%d %B %Y}**, the register holds **{n} risks**; **{rated}** are rated{unrated}.",
           as_of=ev.as_of, n=len(ev.risks), rated=len(rated),
           unrated=md(" and **{} are not rated** ({}); unrated risks are listed, never scored", len(unrated),
                      some_ids(unrated["risk_id"])) if len(unrated) else Md()),
        *([md("**{}** closed or eliminated risk(s) are listed, not scored or escalated ({}).", len(ev.closed),
              some_ids(ev.closed["risk_id"]))] if len(ev.closed) else []),
        md("{after}, **{n_worst}** risk(s) {are} in the highest band (*{worst}*), and **{above}** sit above the risk "
           "appetite{which}", after="On their current ratings" if current else "After controls", n_worst=n_worst,
           are="are" if current else "remain", worst=worst, above=len(above),
           which=md(": {}.", some_ids(above["risk_id"])) if len(above) else md(".")),
        approval(ev),
    ]
    basis = rated["residual_basis"].value_counts()
    if current:
        lines.append(md("Each risk has one current rating (after the controls in place); the source gives no "
                        "separate inherent rating, so none is shown."))
    elif len(rated):
        parts = [md("{} {}", int(basis.get(k, 0)), words) for k, words in (
            ("rerated", "re-rated after controls"), ("stated", "as the register states them"),
            ("control_factor", "from their control-effectiveness factor"),
            ("derived", "from the methodology's table (inherent level and control effectiveness)"),
            ("none", "equal to the inherent level (no residual or effectiveness rating)" if m.direct else
             "equal to the inherent score (no re-rating or effectiveness rating)")) if basis.get(k, 0)]
        lines.append(md("{} {}: {}.", stage.capitalize(), "levels" if m.direct else "scores", Md("; ").join(parts)))
    if len(top):
        t = top.iloc[0]
        who = (md("the decision maker this organisation set for its band (not in the source): {}", t.decision_maker)
               if _added(m, "decision maker") else md("{}", who_acts(t.residual_score, t.decision_maker, m,
                                                                      ev.banding)))
        lines.append(md("The highest {stage} risk is **{rid}** ({level}{score}); {who}.", stage=stage, rid=t.risk_id,
                        level=t.residual_level, score=md("") if m.direct else md(", score {}", t.residual_score),
                        who=who))
    if len(ev.disagreements):
        lines.append(md("**The register's own score or level differs from the computed one for {} risk(s)**: see "
                        "*Where the register's own figures differ*.", ev.disagreements["Risk"].nunique()))
    od = overdue(ev)
    if len(od):
        lines.append(md("**{}** treatment action(s) and **{}** review(s) are overdue.", int(od["action_overdue"].sum()),
                        int(od["review_overdue"].sum())))
    banding = m.banding(ev.banding).title
    lines.append(md("Method: *{}*, version {}, banding *{}*.", m.title, m.version, banding))
    if ev.warnings:
        lines.append(md("**Warnings**\n\n") + md_list(shown_warnings(ev.warnings)))
    return Md("\n\n").join(lines)


MAX_WARNINGS = 20  # warnings the report lists; the rest are counted (every one is in the Excel workbook)


def shown_warnings(warnings: list[str]) -> list[str]:
    """The first ``MAX_WARNINGS`` warnings, and how many more there are and where they all are."""
    more = len(warnings) - MAX_WARNINGS
    return list(warnings[:MAX_WARNINGS]) + ([f"... and {more:,} more warnings: every warning is in the Excel "
                                              "workbook, sheet \"Warnings\"."] if more > 0 else [])


def approval(ev: RiskEvaluation) -> Md:
    """Who approved the risk appetite and tolerance, and when (the organisation's settings), or that they are not
    yet approved, with who approves them in the methodology's source."""
    m = ev.methodology.methodology
    by, on = ev.appetite_approved_by, ev.appetite_approved_on
    if by or on:
        return md("Risk appetite and tolerance approved by **{}** on **{}**.", by or "(not recorded)",
                  f"{on.day} {on:%B %Y}" if on else "(date not recorded)")
    who = m.escalation.appetite_approver if m.escalation else None
    return md("Risk appetite and tolerance: **not yet approved**{}.",
              md(" (in {} the {} approves them)", m.source_called, who) if who else Md())


def _added(m: Any, what: str) -> bool:
    """Whether the methodology says it added ``what`` (not in its source)."""
    return any(what in item for item in m.not_in_source)


def matrix_note(ev: RiskEvaluation) -> Md:
    """What the matrices show, in words that fit the methodology (current ratings, or before and after)."""
    m = ev.methodology.methodology
    if m.direct:
        return md("Risks are rated High, Medium or Low with no likelihood or impact, so there is no matrix: each "
                  "rated risk is counted at its inherent level and at its residual level, with its ID, in the colour "
                  "of its level.")
    cells = md("Each cell shows its score and, after the dot, how many risks fall in it, with their IDs. Colours "
               "are the methodology's bands.")
    if m.rating_stage == "current":
        return cells + md(" The register gives one current rating per risk, after the controls in place.")
    return cells + md(" The left matrix is inherent risk; the right one residual risk: a re-rated risk in its "
                      "residual cell, a risk without re-rating at its inherent cell. A residual that comes from a "
                      "control-effectiveness factor has a score but no cell: those risks are counted by band beside "
                      "the matrices.")


def _row(values: Any) -> Md:
    """One Markdown table row; each value escaped as a cell (a '|' in it does not end the cell)."""
    return md("| {} |", Md(" | ").join(values))


def closed_view(ev: RiskEvaluation) -> pd.DataFrame:
    ratings = (["stated_inherent_level", "stated_residual_level"] if ev.methodology.methodology.direct
               else ["inherent_likelihood", "inherent_impact"])  # the ratings as the register gives them
    return in_stage_words(ev, ev.closed[["risk_id", "description", "status", "owner",
                                         *(c for c in ratings if c in ev.closed)]])


def worst_case_view(ev: RiskEvaluation) -> pd.DataFrame:
    """The worst case per category as a report and the Excel workbook show it (the risks at the worst level named,
    the first twenty and how many more)."""
    table = worst_case_by_category(ev)
    stage = ev.methodology.methodology.stage("residual")
    return table.assign(worst_risks=table["worst_risks"].map(some_ids)).rename(columns={
        "category": "Category", "risks": "Rated risks", "worst_residual_level": f"Worst {stage} level",
        "worst_risks": "Risks at the worst level"})


def worst_case_markdown(ev: RiskEvaluation) -> Md:
    """The section "Worst case per category" (the guide's fragmented aggregation): heading, introduction, table."""
    stage = ev.methodology.methodology.stage("residual")
    view = worst_case_view(ev)
    intro = md("## Worst case per category\nAt fragmented maturity the guide aggregates risks on the worst case only: "
               "for each risk category, the worst {} level among its rated risks and how many risks sit at each "
               "level. Closed and unrated risks are left out.", stage)
    if view.empty:
        return intro + md("\n\n*No rated risk to aggregate.*")
    head = _row(view.columns) + md("\n|") + Md("---|" * len(view.columns))
    return intro + md("\n\n{}\n{}", head, Md("\n").join(_row(r) for r in view.itertuples(index=False)))


def worst_case_summary(ev: RiskEvaluation) -> dict[str, Any]:
    """The JSON's ``worst_case_by_category`` when risks are rated directly (the fragmented register); else nothing."""
    if not ev.methodology.methodology.direct:
        return {}
    table = worst_case_by_category(ev)
    levels = [c for c in table.columns if c not in {"category", "risks", "worst_residual_level", "worst_risks"}]
    return {"rated_directly": True, "worst_case_by_category": [
        {"category": r["category"], "risks": int(r["risks"]), "worst_residual_level": r["worst_residual_level"],
         "levels": {k: int(r[k]) for k in levels}, "worst_risks": [str(x) for x in r["worst_risks"]]}
        for r in table.to_dict("records")]}


def roles_narrative(ev: RiskEvaluation) -> Md:
    if ev.roles is None:
        return md("*This register records no partner roles.*")
    roles = [c for c in ev.roles.columns if c not in {"risk_id", "roles", "covered"}]
    counts = Md(", ").join(md("{} {}", r, int(ev.roles[r].sum())) for r in roles)
    uncovered = ev.roles.loc[~ev.roles["covered"], "risk_id"].tolist()
    return md("## Partner alignment\nRisks each partner role contributes to: {}. {}", counts,
              md("**No partner role covers {}**: alignment there rests on the owner alone.", some_ids(uncovered))
              if uncovered else md("Every risk has at least one partner role."))


def method_note(ev: RiskEvaluation) -> Md:
    m = ev.methodology.methodology
    bands = m.banding(ev.banding).bands
    rows = Md("\n").join(_row([b.name, ", ".join(b.aliases) if m.direct else f"{b.min}-{b.max}", b.decision_maker,
                               b.register_destination]) for b in bands)
    register = md("Register (not in {})", m.source_called) if _added(m, "register") else md("Register")
    said = m.banding(ev.banding).note
    banding_note = md("*About this banding:* {}\n\n", said) if said else Md()
    notes = notes_markdown(m.notes)
    read = Md()
    if ev.readings:
        rows_read = Md("\n").join(_row(r.values()) for r in readings_frame(ev.readings).to_dict("records"))
        skipped = Md().join(md("\n- Skipped {}", line) for line in skipped_lines(ev.skipped[:MAX_WARNINGS]))
        if len(ev.skipped) > MAX_WARNINGS:
            skipped += md("\n- ... and {:,} more rows skipped: every one is in the Excel workbook, sheet \"Rows "
                          "skipped\"", len(ev.skipped) - MAX_WARNINGS)
        sheet = Md().join(md("{}\n\n", note[0].upper() + note[1:] + ".") for note in ev.reading_notes)
        read = md("**How the register was read** (your heading and what the suite took it to hold):\n\n{}"
                  "| Column | Your heading | Read as | How |\n|---|---|---|---|\n{}\n{}\n\n", sheet, rows_read, skipped)
    added = Md()
    if m.not_in_source:
        added = md("**Not in {}; set by {}:** {}.\n\n", m.source_called, m.added_by, Md("; ").join(m.not_in_source))
    if m.uses_factor and m.control_effectiveness:
        added += md("**Control-effectiveness factors** ({}): {}.\n\n", m.factors_in_words(), m.factors_provenance())
    escalation = Md()
    if m.escalation:
        e = m.escalation
        tol, acc = m.threshold("tolerance", ev.banding), m.threshold("acceptance", ev.banding)
        steps = [(md("above appetite: {}", e.above_appetite), e.above_appetite),
                 (md("above tolerance (score over {}): {}", tol, e.above_tolerance), e.above_tolerance and tol),
                 (md("above the acceptance level (score over {}): {}", acc, e.above_acceptance),
                  e.above_acceptance and acc)]
        escalation = md("**Who decides on a risk:** the highest of its band's decision maker and, where it applies, "
                        "{}. Above the tolerance that decision maker must act to bring the risk back{}. {}\n\n",
                        Md("; ").join(text for text, on in steps if on),
                        md("; only a position that cannot be avoided may be approved, by the {}",
                           e.unavoidable_approver) if e.unavoidable_approver else Md(), e.note)
    stage = (md("Ratings are **current** (after the controls in place); the source gives no inherent rating.\n\n")
             if m.rating_stage == "current" else
             md("Ratings are called **{}** (before controls) and **{}** (after them), as {} calls them.\n\n",
                m.stage("inherent"), m.stage("residual"), m.source_called)
             if (m.stage("inherent"), m.stage("residual")) != ("inherent", "residual") else Md())
    stage += approval(ev) + md("\n\n")
    return md("## Method and provenance\n"
              "Methodology **{title}**, version {version} (file {name}, SHA-256 `{sha}`).\n\n"
              "{rule}; residual = {residual}.\n\n{stage}{added}"
              "| Band | {scores} | Decision maker | {register} |\n|---|---|---|---|\n{rows}\n\n{banding_notes}"
              "{escalation}{read}"
              "**Decisions recorded in the methodology file** (where the source document is silent or "
              "inconsistent):\n\n{notes}", title=m.title, name=m.name, version=m.version, sha=ev.methodology.sha256,
              rule=md("Risks are rated directly, {}: nothing is multiplied", m.levels_in_words())
              if m.direct else md("Score = likelihood x impact ({})", SCORING_WORDS[m.scoring.rule]),
              scores="Also written as" if m.direct else "Scores", residual=m.residual_in_words(), stage=stage,
              added=added, rows=rows,
              register=register, banding_notes=banding_note, escalation=escalation, read=read,
              notes=notes)


# ---- movement since earlier periods (risk.changes) ------------------------------------------------------
COUNTED = (WORSE, BETTER, NEW, CLOSED, GONE, SAME, UNRATED)
MAX_IDS = 5  # risk IDs named in a sentence; the rest are counted
_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def _whole(value: Any) -> Any:
    """A score or difference as JSON and the Excel workbook take it: a whole number as an int, missing as None."""
    value = plain(value)
    return int(value) if isinstance(value, float) and value.is_integer() else value


def movement_frame(changes: Changes) -> pd.DataFrame:
    """One row per risk of either period, worst change first (the Excel sheet "Movement")."""
    frame = changes.frame.astype(object).where(changes.frame.notna(), None)
    for column in ("bands", "score_before", "score_now", "by"):
        frame[column] = pd.Series([_whole(v) for v in frame[column]], index=frame.index, dtype=object)
    return frame


def movement_summary(ev: RiskEvaluation, summary: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The JSON's ``movement``: from the latest earlier period into this one; None without an earlier period. Its
    ``risks`` are listed up to ``JSON_RISKS`` (``listed``; the count goes in ``summary``)."""
    if ev.movement is None:
        return None
    mv = ev.movement
    c = mv.latest
    risks = listed(summary if summary is not None else {"not_listed": {}}, "movement.risks", len(c.frame), lambda: [
        {k: _whole(v) if k in {"bands", "score_before", "score_now", "by"} else plain(v)
         for k, v in r.items() if k != "description"} for r in c.frame.to_dict("records")])
    return {"from_period": c.before, "to_period": c.now, "counts": c.summary(), "risks": risks,
            "earlier": [{"period": p, "source": s} for p, s in mv.sources.items()],
            "series": [{"from_period": s.before, "to_period": s.now, "counts": s.summary()} for s in mv.steps],
            "notes": list(mv.notes)}


def movement_series(ev: RiskEvaluation) -> pd.DataFrame:
    """The counts of each change from each period to the next, oldest first."""
    return pd.DataFrame([{"From": s.before, "To": s.now, **{k.capitalize(): s.count(k) for k in COUNTED}}
                         for s in ev.movement.steps])


def movement_view(ev: RiskEvaluation) -> pd.DataFrame:
    """The risks that moved (or were renamed) since the latest earlier period, worst first, as the report shows
    them: levels and scores before and now, how many bands and points they moved (unchanged risks are in the Excel
    workbook)."""
    frame = movement_frame(ev.movement.latest)
    frame = frame[(frame["change"] != SAME) | frame["earlier_id"].notna()]  # a renamed risk is shown too
    view = frame.assign(change=frame["change"].str.capitalize(), bands=frame["bands"].map(_signed),
                        by=frame["by"].map(_signed))
    if ev.methodology.methodology.direct:  # levels, not scores: the level columns say it all
        view = view.drop(columns=["score_before", "score_now", "by"])
    return view if view["earlier_id"].notna().any() else view.drop(columns=["earlier_id"])


def _signed(value: Any) -> Any:
    """A move as a reader writes it: +2, -4 or 0."""
    return f"{value:+g}" if isinstance(value, int | float) and value else value


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _ids(frame: pd.DataFrame) -> Md:
    ids = [str(x) for x in frame["risk_id"].head(MAX_IDS)]
    more = len(frame) - MAX_IDS
    return md("{}", ", ".join(ids[:MAX_IDS]) + (f" and {more} more" if more > 0 else ""))


def _moved(part: pd.DataFrame, up: bool, scored: bool = True) -> Md:
    """How the risk that moved most moved, e.g. "KV-004 rose two bands, from Medium to High, score 9 to 16"; with
    more than one risk, "most of all KV-004, which rose ..."."""
    row = part.sort_values(["bands", "by", "risk_id"], ascending=[not up, not up, True], kind="stable").iloc[0]
    bands = abs(int(row["bands"]))
    before, now = _whole(row["score_before"]), _whole(row["score_now"])
    verb = "rose" if up else "fell"
    who = row["risk_id"]
    if bands and not scored:  # a direct (High / Medium / Low) register: levels only
        what = md("{} {} level{}, from {} to {}", verb, _NUMBERS.get(bands, bands), "s" if bands > 1 else "",
                  row["level_before"], row["level_now"])
        return md("most of all {}, which {}", who, what) if len(part) > 1 else md("{} {}", who, what)
    if bands:
        what = md("{} {} band{}, from {} to {}, score {} to {}", verb, _NUMBERS.get(bands, bands),
                  "s" if bands > 1 else "", row["level_before"], row["level_now"], before, now)
        return md("most of all {}, which {}", who, what) if len(part) > 1 else md("{} {}", who, what)
    what = md("score {} from {} to {}, still {}", verb, before, now, row["level_now"])
    return md("most of all {}, whose {}", who, what) if len(part) > 1 else md("{}'s {}", who, what)


def _movement_parts(c: Changes, scored: bool = True) -> list[Md]:
    """The sentence's parts: each change with how many risks, the largest moves and the IDs new or gone
    (``scored``: the methodology has scores; a direct one has levels only)."""
    f = c.frame
    parts = []
    for change, one, many, detail in (
            (WORSE, "risk got worse", "risks got worse", lambda part: _moved(part, True, scored)),
            (NEW, "is new", "are new", _ids), (CLOSED, "was closed", "were closed", _ids),
            (GONE, "is no longer listed", "are no longer listed", _ids),
            (BETTER, "improved", "improved", lambda part: _moved(part, False, scored)),
            (SAME, "is unchanged", "are unchanged", None)):
        part = f[f["change"] == change]
        if len(part):
            text = md("{}", _n(len(part), one, many))
            text = md("**{}**", text) if change in (WORSE, NEW) else text
            parts.append(text + (md(" ({})", detail(part)) if detail else Md()))
    return parts


def movement_since(ev: RiskEvaluation) -> Md:
    """The movement section's heading and what a committee reads first: how many risks are new, closed, worse or
    better since the latest earlier period, and by how much; without an earlier period, how to give one."""
    if ev.movement is None:
        return md("## Movement since an earlier period\n\nThere is no earlier period to compare with: save an earlier "
                  "period's register in the store, or name it (or its report) under *earlier* in the parameters, to "
                  "see which risks are new, closed, worse or better since then.")
    mv, c = ev.movement, ev.movement.latest
    parts = _movement_parts(c, scored=not ev.methodology.methodology.direct)
    said = (Md(", ").join(parts[:-1]) + md(" and ") + parts[-1] if len(parts) > 1 else parts[0] if parts else Md())
    text = md("Since {}, {}.", c.before, said) if said else md("Since {}, no risk can be compared.", c.before)
    unrated = c.count(UNRATED)
    if unrated:
        text += md(" {} could not be compared (not rated, or closed, in one of the two periods).",
                   _n(unrated, "risk", "risks"))
    lines = [md("## Movement since {}", c.before), text, _renamed(c),
             md("{} {}", _sources(mv), Md(" ").join(mv.notes)),
             md("Risks are matched by risk ID. The table of risks below the chart lists every risk that is new, "
                "closed, no longer listed, worse or better (and any renamed), the worst first; unchanged risks are in "
                "the Excel workbook, sheet \"Movement\".")]
    if len(mv.steps) > 1:
        lines.append(_series_markdown(ev))
    return Md("\n\n").join(Md(line.strip()) for line in lines if line)


def _renamed(c: Changes) -> Md:
    """The risks matched under a new ID, e.g. "W-4 is now FL-4" (none: nothing)."""
    renamed = c.frame[c.frame["earlier_id"].notna()]
    if not len(renamed):
        return Md()
    pairs = [md("{} is now {}", r.earlier_id, r.risk_id) for r in renamed.head(MAX_IDS).itertuples()]
    more = len(renamed) - MAX_IDS
    return md("Renamed risks are matched under their new IDs: {}{}.", Md("; ").join(pairs),
              md("; and {} more", more) if more > 0 else Md())


def _sources(mv: Movement) -> Md:
    """Where each earlier period's figures come from, in words."""
    said = Md(", ").join(md("{} ({})", p, s) for p, s in mv.sources.items())
    return md("Earlier registers are rated with this report's methodology, banding and appetite. Read from: {}.",
              said)


def _series_markdown(ev: RiskEvaluation) -> Md:
    series = movement_series(ev)
    head = _row(series.columns) + md("\n|") + Md("---|" * len(series.columns))
    rows = Md("\n").join(_row(r) for r in series.itertuples(index=False))
    return md("**Across the periods** (each period against the one before):\n\n{}\n{}", head, rows)
