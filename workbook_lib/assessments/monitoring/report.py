"""What the risk monitoring reports: its JSON summary, its Excel sheets, and the tables and narrative the notebook
and the form show (headings in words; values as people write them, "14%", "1.6 : 1", "92 days")."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from workbook_lib.assessments.monitoring.inputs import states
from workbook_lib.assessments.monitoring.kri import value_words
from workbook_lib.assessments.monitoring.scoring import STATE_ORDER, MonitoringResult
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
                     "latest": _number(r["latest"]), "state": r["state"], "trend": _trend(result, r),
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
                         "who": result.authority, "action": r["action"]} for _, r in result.escalations.iterrows()],
        "kris": [k.model_dump() for k in result.kris],
        "register": result.register.label if result.register else None,
        "methodology": result.methodology,
        "warning_zone": result.warning,
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


def metrics_view(result: MonitoringResult) -> pd.DataFrame:
    """Every metric, worst state first: its reading against its tolerance and its movement."""
    look = states()
    rows = [{"Metric": r["name"], "Risk type": r["risk_type"], "Tolerance": f"{r['tolerance_words']} "
             f"(written {r['tolerance']})", "Latest reading": _value(r), "State": look.label(r["state"]),
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
             "Who must act": result.authority or "not named by the methodology",
             "Action": "Approve staying outside tolerance only where it cannot be avoided; monitor the metric every "
                       "period until it is back within tolerance"}
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
    esc = result.escalations.drop(columns="who").assign(authority=result.authority)
    esc["risk_ids"] = esc["risk_ids"].map(", ".join)
    cat = result.catalogue
    method = [("catalogue", cat.catalogue.title), ("catalogue file", cat.path.name), ("sha256", cat.sha256),
              ("as of", result.as_of.isoformat()), ("periods", ", ".join(result.periods)),
              ("readings", result.readings_label), ("register", result.register.label if result.register else
                                                    "(not given)"),
              ("methodology", result.methodology or "(not given)"),
              ("warning zone", "each metric's own" if result.warning is None else f"{result.warning:.0%} of a limit")]
    method += [("decision", d) for d in cat.catalogue.decisions]
    return {"Metrics": st, "Ratings to revisit": revisit, "Escalations": esc, "Missing readings":
            missing_view(result), "Readings": result.readings.assign(
                date=result.readings["date"].map(lambda d: d.isoformat() if hasattr(d, "isoformat") else "")),
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
        who = (md("the {}", result.authority) if result.authority else
               md("the authority the organisation names (the methodology names none)"))
        parts.append(md("{} metric(s) outside tolerance call for escalation to {}.", len(result.escalations), who))
    return Md(" ").join(parts)


def method_note(result: MonitoringResult) -> Md:
    cat = result.catalogue.catalogue
    zone = (md("Each metric's own warning zone applies (the catalogue sets none, so no metric is near).")
            if result.warning is None else
            md("A reading inside its tolerance but within {:.0%} of a limit is near the limit.", result.warning))
    lines = [md("**Method.** Metrics and tolerances: {title} ({file}; source: {source}). Readings: {readings}. "
                "Periods are ordered as text, oldest first; readings of later periods than {period} are not used. "
                "{zone} Ranges are read as written: \"< 10%\" leaves 10% itself outside, a range such as "
                "\"80-90%\" includes its ends.", title=cat.title, file=result.catalogue.path.name, source=cat.source,
                readings=result.readings_label, period=result.period, zone=zone)]
    if cat.decisions:
        lines.append(md("Decisions taken where the source leaves a reading open:\n") + md_list(cat.decisions))
    if result.notes:
        lines.append(md("Notes on the inputs:\n") + md_list(result.notes))
    return Md("\n\n").join(lines)
