"""What the risk monitoring reports: its JSON summary, its Excel sheets, and the tables and narrative the notebook
and the form show (headings in words; values as people write them, "14%", "1.6 : 1", "92 days")."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from workbook_lib.assessments.monitoring.catalogue import Catalogue, load_catalogue, tolerance_origin
from workbook_lib.assessments.monitoring.inputs import states
from workbook_lib.assessments.monitoring.kri import NO_ESCALATE_TO, NO_ESCALATION, value_words
from workbook_lib.assessments.monitoring.scoring import STATE_ORDER, MonitoringResult
from workbook_lib.assessments.monitoring.tolerance import FAVOURABLE_WORDS, ToleranceError, parse_tolerance
from workbook_lib.core.outputs import Md, md, md_list

ASSESSMENT_NAME = "risk-monitoring"


def _number(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _trend(result: MonitoringResult, row: pd.Series) -> list[dict[str, Any]]:
    return [{"period": p, "value": _number(v)} for p, v in zip(result.periods, row["trend"], strict=True)]


def summary(result: MonitoringResult, organisation: str, period: str) -> dict[str, Any]:
    """The JSON contract of the risk monitoring (docs/assessments.md)."""
    st = result.states
    return {
        "assessment": ASSESSMENT_NAME,
        "organisation": organisation,
        "period": period,
        "as_of": result.as_of.isoformat(),
        "periods": list(result.periods),
        "metrics": [{"metric": r["metric"], "name": r["name"], "risk_type": r["risk_type"], "unit": r["unit"],
                     "tolerance": r["tolerance"], "tolerance_words": r["tolerance_words"],
                     "favourable": r["favourable"], "latest": _number(r["latest"]), "state": r["state"],
                     "better_than_range": bool(r["better"]), "trend": _trend(result, r),
                     "direction": r["trend_words"] or None} for _, r in st.iterrows()],
        "counts": {s: result.count(s) for s in STATE_ORDER},
        "missing": list(result.missing["metric"]),
        "risks_to_revisit": [{"metric": r["metric"], "name": r["name"], "risk_id": r["risk_id"],
                              "category": r["category"] or None, "residual_level": r["residual_level"] or None,
                              "decision_maker": r["decision_maker"] or None, "linked_by": r["linked_by"],
                              "revisit": bool(r["revisit"]), "reason": r["reason"]}
                             for _, r in result.revisit.iterrows()],
        "escalations": [{"metric": r["metric"], "name": r["name"], "latest": _number(r["latest"]),
                         "tolerance": r["tolerance_words"], "risk_ids": list(r["risk_ids"]),
                         "escalate_to": result.catalogue.catalogue.escalate_to,
                         "approval_if_unavoidable": result.authority, "action": r["action"]}
                        for _, r in result.escalations.iterrows()],
        "kris": [k.model_dump() for k in result.kris],
        "register": result.register.label if result.register else None,
        "methodology": result.methodology,
        "warning_zone": result.warning,
        "tolerances": _origin_json(result.catalogue.catalogue),
        "notes": list(result.notes),
        "catalogue": result.catalogue.provenance() | {"title": result.catalogue.catalogue.title},
    }


def key_figures(result: MonitoringResult) -> str:
    """One stable line of the figures a committee looks at first (checked by the notebook tests)."""
    revisit = int(result.revisit["revisit"].sum()) if len(result.revisit) else 0
    return (f"metrics {len(result.states)} | outside {result.count('outside')} | near {result.count('near')} | "
            f"within {result.count('within')} | no reading {result.count('missing')} | periods "
            f"{', '.join(result.periods)} | risks linked outside tolerance {result.revisit['risk_id'].nunique()} | "
            f"ratings to revisit {revisit} | escalations {len(result.escalations)}")


# ---- tables in words ---------------------------------------------------------------------------------------
def _value(row: pd.Series, column: str = "latest") -> str:
    return value_words(_number(row[column]), row["unit"])


def _state_words(row: pd.Series) -> str:
    """The state's label; a reading beyond its range on the favourable side says so."""
    label = states().label(row["state"])
    return f"{label} (better than the range)" if row["better"] else label


def metrics_view(result: MonitoringResult) -> pd.DataFrame:
    """Every metric, worst state first: its reading against its tolerance and its movement."""
    rows = [{"Metric": r["name"], "Risk type": r["risk_type"], "Tolerance": f"{r['tolerance_words']} "
             f"(written {r['tolerance']})", "Better": FAVOURABLE_WORDS[r["favourable"]].split(":")[0],
             "Latest reading": _value(r), "State": _state_words(r),
             "Trend": " → ".join(value_words(_number(v), r["unit"]) if _number(v) is not None else "–"
                                 for v in r["trend"]),
             "Movement": r["trend_words"] if r["state"] != "missing" else ""} for _, r in result.states.iterrows()]
    return pd.DataFrame(rows)


def revisit_view(result: MonitoringResult) -> pd.DataFrame:
    units = _units(result)
    rows = [{"Risk": r["risk_id"], "Metric": r["name"],
             "Reading": value_words(_number(r["latest"]), units[r["metric"]]), "Tolerance": r["tolerance_words"],
             "Residual level": r["residual_level"] or "not rated", "Decision maker": r["decision_maker"] or "",
             "Linked by": r["linked_by"], "Revisit the rating": "Yes" if r["revisit"] else "No", "Why": r["reason"]}
            for _, r in result.revisit.iterrows()]
    return pd.DataFrame(rows)


def escalations_view(result: MonitoringResult) -> pd.DataFrame:
    units = _units(result)
    rows = [{"Metric": r["name"], "Reading": value_words(_number(r["latest"]), units[r["metric"]]),
             "Tolerance": r["tolerance_words"], "Risks": ", ".join(r["risk_ids"]) or "none linked",
             "Escalate to": r["escalate_to"] if r["escalate_to"] != NO_ESCALATE_TO else "not named by the catalogue",
             "Approves staying outside, if unavoidable": (r["approver"] if r["approver"] != NO_ESCALATION else
                                                          "not named by the methodology"),
             "Action": "Analyse the deviation and act on it; only a position that cannot be avoided stays outside "
                       "tolerance, with approval, and the metric is monitored every period until it is back within "
                       "tolerance"}
            for _, r in result.escalations.iterrows()]
    return pd.DataFrame(rows)


def missing_view(result: MonitoringResult) -> pd.DataFrame:
    rows = [{"Metric": r["name"], "Risk type": r["risk_type"], "Tolerance": r["tolerance_words"],
             "Last reading": _last_known(result, r)} for _, r in result.missing.iterrows()]
    return pd.DataFrame(rows)


def _last_known(result: MonitoringResult, row: pd.Series) -> str:
    known = [(p, v) for p, v in zip(result.periods, row["trend"], strict=True) if _number(v) is not None]
    if not known:
        return "none in the periods given"
    period, value = known[-1]
    return f"{value_words(value, row['unit'])} in {period}"


def _units(result: MonitoringResult) -> dict[str, str]:
    """Each metric's unit, by its id."""
    return dict(zip(result.states["metric"], result.states["unit"], strict=True))


def readings_view(result: MonitoringResult) -> pd.DataFrame:
    units = _units(result)
    rows = [{"Metric": r["metric_name"], "Period": r["period"], "Reading": value_words(r["value"], units[r["metric"]]),
             "Date": r["date"].isoformat() if hasattr(r["date"], "isoformat") else "", "Source": r["source"],
             "Note": r["note"], "Recorded by": r["recorded_by"]} for _, r in result.readings.iterrows()]
    return pd.DataFrame(rows)


def result_tables(result: MonitoringResult) -> dict[str, pd.DataFrame]:
    """The Excel workbook: one sheet per table (values as numbers where they are numbers)."""
    st = result.states.copy()
    st["trend"] = st["trend"].map(lambda t: ", ".join("" if _number(v) is None else f"{v:g}" for v in t))
    st["state"] = st["state"].map(states().label)
    revisit = result.revisit.copy()
    revisit["revisit"] = revisit["revisit"].map({True: "Yes", False: "No"})
    esc = result.escalations.copy()
    esc["risk_ids"] = esc["risk_ids"].map(", ".join)
    cat = result.catalogue
    method = [("catalogue", cat.catalogue.title), ("catalogue file", cat.path.name), ("sha256", cat.sha256),
              ("as of", result.as_of.isoformat()), ("periods", ", ".join(result.periods)),
              ("readings", result.readings_label), ("register", result.register.label if result.register else
                                                    "(not given)"),
              ("methodology", result.methodology or "(not given)"),
              ("warning zone", "each metric's own" if result.warning is None else f"{result.warning:.0%} of a limit"),
              ("tolerances", origin_words(cat.catalogue)),
              ("escalated to", cat.catalogue.escalate_to or NO_ESCALATE_TO),
              ("approves an unavoidable position outside tolerance", result.authority or NO_ESCALATION)]
    method += [("decision", d) for d in cat.catalogue.decisions]
    method += [("favourable direction", str(line)) for line in direction_lines(cat.catalogue)]
    # each metric by its name (its id is the catalogue's code)
    return {"Metrics": st.drop(columns="metric"), "Ratings to revisit": revisit.drop(columns="metric"),
            "Escalations": esc.drop(columns="metric"), "Missing readings": missing_view(result),
            "Readings": result.readings.assign(
                date=result.readings["date"].map(lambda d: d if hasattr(d, "isoformat") else None)).drop(
                columns="metric"),
            "Notes": pd.DataFrame({"note": result.notes}), "Method": pd.DataFrame(method, columns=["item", "value"])}


# ---- narrative (Markdown built with core.outputs.md: every value escaped there) ----------------------------
def _names(frame: pd.DataFrame, column: str = "name", limit: int = 6) -> Md:
    names = list(dict.fromkeys(frame[column]))
    more = md(" and {} more", len(names) - limit) if len(names) > limit else Md()
    return Md(", ").join(names[:limit]) + more


def opening_narrative(result: MonitoringResult) -> Md:
    n = len(result.states)
    out, near, within, missing = (result.count(s) for s in STATE_ORDER)
    since = (md(" over {} periods ({} to {})", len(result.periods), result.periods[0], result.periods[-1])
             if len(result.periods) > 1 else Md())
    parts = [md("**{org}, {period}.** Of {n} tolerance metrics{since}, **{out} {verb} outside tolerance**, {near} "
                "near a limit, {within} within tolerance and {missing} without a reading for {period}.",
                org=result.organisation, period=result.period, n=n, since=since, out=out,
                verb="is" if out == 1 else "are", near=near, within=within, missing=missing)]
    if out:
        parts.append(md("Outside tolerance: {}.", _names(result.states[result.states["state"] == "outside"])))
    if missing:
        parts.append(md("No reading for {}: {}; a missing reading is not taken as within tolerance.", result.period,
                        _names(result.missing)))
    revisit = result.revisit[result.revisit["revisit"]]
    if len(revisit):
        parts.append(md("**{} risk(s) rated Low have a key risk indicator outside tolerance** ({}): their ratings are "
                        "to be revisited.", revisit["risk_id"].nunique(), _names(revisit, "risk_id")))
    if len(result.escalations):
        to = result.catalogue.catalogue.escalate_to
        parts.append(md("{n} metric(s) outside tolerance call for analysis and action, escalated to {to}.",
                        n=len(result.escalations), to=to or md("the level the organisation names (the catalogue "
                                                               "names none)")))
        parts.append(md("Staying outside tolerance is for a position that cannot be avoided, approved by {who}.",
                        who=md("the {}", result.authority) if result.authority else
                        md("the authority the organisation names (the methodology names none)")))
    return Md(" ").join(parts)


def method_note(result: MonitoringResult) -> Md:
    cat = result.catalogue.catalogue
    zone = (md("Each metric's own warning zone applies (the catalogue sets none, so no metric is near).")
            if result.warning is None else
            md("A reading inside its tolerance but within {:.0%} of a limit on the unfavourable side is near the "
               "limit.", result.warning))
    lines = [md("**Method.** Metrics and tolerances: {title} ({file}; source: {source}). Readings: {readings}. "
                "Periods are ordered as text, oldest first; readings of later periods than {period} are not used. "
                "{zone} Ranges are read as written: \"< 10%\" leaves 10% itself outside, a range such as "
                "\"80-90%\" includes its ends.", title=cat.title, file=result.catalogue.path.name, source=cat.source,
                readings=result.readings_label, period=result.period, zone=zone),
             md("**Tolerances.** {}", origin_words(cat)),
             md("**Favourable directions.** A reading beyond its tolerance on the favourable side is within tolerance "
                "(better than the range) and never escalated. The tolerance's own sign (<, >, zero tolerance) gives "
                "the side of {k} metric(s); the others, as decided:\n", k=len(cat.metrics) - len(_decided(cat)))
             + md_list(direction_lines(cat)),
             md("**Escalation.** A metric outside tolerance is analysed, acted on and escalated to {to}; staying "
                "outside tolerance is for a position that cannot be avoided, approved by {who} and monitored every "
                "period.", to=cat.escalate_to or md("the level the organisation names (the catalogue names none)"),
                who=md("the {}", result.authority) if result.authority else
                md("the authority the organisation names (the methodology names none)"))]
    if cat.decisions:
        lines.append(md("Decisions taken where the source leaves a reading open:\n") + md_list(cat.decisions))
    if result.notes:
        lines.append(md("Notes on the inputs:\n") + md_list(result.notes))
    return Md("\n\n").join(lines)


# ---- what the tolerances are and which side of each is good news --------------------------------------------
def _names_of(metrics: list) -> str:
    return ", ".join(m.name for m in metrics[:6]) + (f" and {len(metrics) - 6} more" if len(metrics) > 6 else "")


def origin_words(cat: Catalogue) -> str:
    """Whether the tolerances in use are the organisation's own or the shipped source's illustrations adopted
    unchanged (with what the source says of them)."""
    reference = load_catalogue()
    adopted, own = tolerance_origin(cat)
    guide, n = f"{reference.source_name}'s", len(cat.metrics)
    about = f" {reference.about_tolerances}" if adopted and reference.about_tolerances else ""
    every = f"All {n} tolerances in use are" if n > 1 else "The one tolerance in use is"
    if not own:
        return f"{every} {guide} illustrations adopted unchanged, not tolerances the organisation has set.{about}"
    if not adopted:
        return f"{every} the organisation's own (none is one of {guide} illustrations)."
    verb = "is" if len(own) == 1 else "are"
    return (f"{len(own)} of the {n} tolerances in use {verb} the organisation's own ({_names_of(own)}); the other "
            f"{len(adopted)} are {guide} illustrations adopted unchanged.{about}")


def _origin_json(cat: Catalogue) -> dict[str, Any]:
    adopted, own = tolerance_origin(cat)
    return {"adopted_unchanged": [m.id for m in adopted], "own": [m.id for m in own], "words": origin_words(cat)}


def _own_side(text: str) -> str | None:
    """The favourable side a tolerance's text gives by itself (a sign, zero tolerance); None for a range or a bare
    value."""
    try:
        parsed = parse_tolerance(text)
    except ToleranceError:
        return None
    return parsed.favourable if parsed.low is None or parsed.high is None else None


def _decided(cat: Catalogue) -> list:
    """The metrics whose favourable side is a decision: their text does not give it, or a note records one."""
    return [m for m in cat.metrics if _own_side(m.tolerance) is None or m.decision or m.source_says]


def direction_lines(cat: Catalogue) -> list[Md]:
    """One line per decided favourable direction: the metric, its tolerance, the side, the decision and what the
    source says (or that it is not in the source)."""
    lines = []
    for m in _decided(cat):
        side = m.range.favourable or "on_target"
        declared = "" if m.favourable or side != "on_target" else " (no favourable direction declared)"
        says = m.source_says or f"Not in {cat.source_name}."
        lines.append(md("{name} ({tolerance}): {side}{declared}. {decision}{says}", name=m.name,
                        tolerance=m.tolerance, side=FAVOURABLE_WORDS[side], declared=declared,
                        decision=f"{m.decision} " if m.decision else "", says=says))
    return lines
