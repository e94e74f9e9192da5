"""What a report says of a risk-intelligent register's simulated losses (risk.quantify): the JSON's
``quantification``, its Excel sheets, the narrative and the table of each risk's share."""

from __future__ import annotations

from typing import Any

import pandas as pd

from workbook_lib.assessments.risk.scoring import RiskEvaluation
from workbook_lib.core.outputs import Md, md

STAGE_WORDS = {"inherent": "before controls", "residual": "after controls"}
OWN = {"register": "the register's own figure"}  # a source as risk.quantify_inputs names it, in words


def quantification_summary(ev: RiskEvaluation) -> dict[str, Any]:
    """The JSON's ``quantification``: the residual simulation in full, with the inherent one's figures under
    ``inherent``; None for a register that is not quantified."""
    if not ev.quantification:
        return {"quantification": None}
    residual, inherent = (ev.quantification[s].to_json() for s in ("residual", "inherent"))
    keys = ("expected_loss", "standard_error", "quantiles", "exceedance", "chance_above_tolerable", "net_value",
            "per_category", "per_risk_contribution")
    return {"quantification": {**residual, "inherent": {k: inherent[k] for k in keys}}}


def _money(amount: float, currency: str) -> str:
    return f"{currency} {amount:,.0f}".strip()


def _net(amount: float, currency: str) -> str:
    """Gains less losses in words: "a net loss of ZAR 3,171,029", "a net gain of ...", never a minus sign."""
    return f"a net {'loss' if amount < 0 else 'gain'} of {_money(abs(amount), currency)}"


def losses_narrative(ev: RiskEvaluation) -> Md | None:
    """The simulated losses in words: expected, at each confidence, against the tolerable annual loss."""
    if not ev.quantification:
        return None
    q, before = ev.quantification["residual"], ev.quantification["inherent"]
    c = q.currency
    levels = ", ".join(f"{_money(v, c)} at {k * 100:g} %" for k, v in q.quantiles.items())
    parts = [md("Over {} simulated years (seed {}), the register's expected loss in a year is **{}** after controls "
                "({} before). A year's loss stays below: {}.", f"{q.trials:,}", q.seed, _money(q.expected_loss, c),
                _money(before.expected_loss, c), levels)]
    if q.tolerable_loss is not None:
        parts.append(md("The tolerable annual loss is {}: after controls {} of years lose more ({} before "
                        "controls).", _money(q.tolerable_loss, c), f"{q.chance_above_tolerable:.1%}",
                        f"{before.chance_above_tolerable:.1%}"))
    else:
        parts.append(md("No tolerable annual loss is set (the Settings page, or tolerable_loss in the parameters), "
                        "so the losses are not compared with one."))
    net = q.net_value
    keys = sorted(k for k in net if k.startswith("q"))
    parts.append(md("Opportunities against threats: on average a year brings {}; in nine years out of ten, between {} "
                    "and {}.", _net(net["expected"], c), _net(net[keys[0]], c), _net(net[keys[-1]], c)))
    if len(q.not_quantified):
        listed = "; ".join(f"{r.risk_id}: {r.reason}" for r in q.not_quantified.itertuples())
        parts.append(md("Not in the simulation: {}.", listed))
    return md(" ".join(["{}"] * len(parts)), *parts)


def contributions_view(ev: RiskEvaluation) -> pd.DataFrame | None:
    """Each threat's expected loss after controls and its share, the largest first, with its spread (the width
    of its range: risks of equal score ranked by it) and where its inputs came from."""
    if not ev.quantification:
        return None
    q = ev.quantification["residual"]
    shares = q.per_risk_contribution.set_index("risk_id")
    inputs = q.value_map.set_index("risk_id")
    scores = ev.risks.set_index("risk_id")["residual_score"] if "residual_score" in ev.risks else None
    rows = pd.DataFrame({
        "Risk": shares.index,
        "Residual score": scores.reindex(shares.index).to_numpy() if scores is not None else None,
        "Expected loss a year": shares["expected_loss"].round(0).to_numpy(),
        "Share of the expected loss": (shares["share"] * 100).round(1).astype(str).to_numpy(),
        "Spread (range width)": shares["volatility"].round(2).to_numpy(),
        "Chance a year from": inputs["probability_source"].replace(OWN).reindex(shares.index).to_numpy(),
        "Impact from": inputs["impact_source"].replace(OWN).reindex(shares.index).to_numpy(),
    })
    rows["Share of the expected loss"] = rows["Share of the expected loss"] + " %"
    return rows.sort_values(["Expected loss a year", "Spread (range width)"], ascending=False, ignore_index=True)


def quantification_tables(ev: RiskEvaluation) -> dict[str, pd.DataFrame]:
    """The Excel sheets: the loss curve's points (both stages), each risk's contribution and its range."""
    if not ev.quantification:
        return {}
    curve = pd.DataFrame([{"stage": STAGE_WORDS[s], "loss": x, "chance_above": p}
                          for s, q in ev.quantification.items() for x, p in q.exceedance])
    vm = ev.quantification["residual"].value_map
    ranges = pd.DataFrame({
        "risk_id": vm["risk_id"], "category": vm["category"], "objective": vm["objective"],
        "Threat or opportunity": vm["side"].str.capitalize(), "Chance a year": vm["probability"],
        "Chance a year from": vm["probability_source"].replace(OWN), "Impact low (5 %)": vm["impact_low"],
        "Impact high (95 %)": vm["impact_high"], "Impact from": vm["impact_source"].replace(OWN),
        "Size when it occurs: middle": vm["impact_q50"].round(0), "Expected a year": vm["expected"].round(0),
        "A year: 95 % of years at most": vm["annual_q95"].round(0)})
    return {"Loss curve": curve, "Loss by risk": contributions_view(ev), "Value map ranges": ranges}


def losses_heading(ev: RiskEvaluation) -> Md | None:
    """The section's heading and introduction, only for a quantified (risk-intelligent) register."""
    if not ev.quantification:
        return None
    return md("## Losses in money\nAt risk-intelligent maturity each risk's chance a year and money impact are "
              "estimated as ranges, so the register's losses can be added up at any level of confidence "
              "(docs/quantification.md states the method and its assumptions).")
