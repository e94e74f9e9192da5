"""What a report says of the risk assessment's tier: which maturity status it follows, what the guide's register
of that status keeps, and what this register lacks of it (never an error: a register may hold less or more)."""

from __future__ import annotations

from typing import Any

from workbook_lib.assessments.risk.scoring import RiskEvaluation
from workbook_lib.assessments.risk.tiers import tiers
from workbook_lib.core.outputs import Md, column_heading, md


def tier_summary(ev: RiskEvaluation) -> dict[str, Any]:
    """The JSON's ``tier``: the tier applied, from which status, and the fields the register lacks."""
    return {"tier": ev.tier.as_json() if ev.tier is not None else None}


def tier_note(ev: RiskEvaluation) -> Md:
    """The tier applied, in words, for the report's method section."""
    applied = ev.tier
    if applied is None:
        return md("")
    tier = applied.tier
    if applied.status:
        origin = md("The organisation's maturity status for the period is *{}*, so the risk assessment follows the "
                    "provincial ERM guide's register for that status ({}).", tier.label, tier.register_table)
    else:
        origin = md("No maturity status is set for the period (neither a setting nor maturity marks), so the risk "
                    "assessment follows the provincial ERM guide's *{}* register ({}); this default is the "
                    "suite's, not the guide's.", tier.label, tier.register_table)
    parts = [origin, md("{} {}", tier.measurement, tier.aggregation)]
    if applied.missing:
        names = ", ".join(column_heading(f).lower() for f in applied.missing)
        parts.append(md("That register also keeps {}; this register has no column for {}.", names,
                        "it" if len(applied.missing) == 1 else "them"))
    return md(" ".join(["{}"] * len(parts)), *parts)


def tier_names() -> list[str]:
    """The maturity statuses with a tier, lowest first (for forms and messages)."""
    return [t.status for t in tiers().tiers]
