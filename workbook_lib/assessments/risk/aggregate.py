"""Risks aggregated per operational objective and per risk category (the provincial guide's Table 20: at integrated
maturity risks are aggregated for key performance objectives and risk universe categories).

Per objective or category: how many risks the register lists (closed ones too), how many are rated, the worst
residual among its rated threats (an opportunity's score is its upside, never the worst) with that score's level,
and how many are above appetite (None when no risk is measured against an appetite).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from workbook_lib.assessments.risk.scoring import RiskEvaluation

# how a risk without an objective or a category is grouped (shown as is in the report, the JSON and the Excel)
NONE_GIVEN = {"objective": "(no objective given)", "category": "(no category given)"}
COLUMNS = ["risks", "rated", "worst_residual_score", "worst_residual_level", "above_appetite"]


def _named(ev: RiskEvaluation, by: str) -> pd.Series:
    values = ev.risks[by] if by in ev.risks else pd.Series("", index=ev.risks.index)
    return values.fillna("").astype(str).str.strip()


def has_objectives(ev: RiskEvaluation) -> bool:
    """Whether the register gives an objective for any risk."""
    return bool((_named(ev, "objective") != "").any())


def _whole(value: Any) -> Any:
    """A score as a person reads it: a whole number as an int, missing as None."""
    if value is None or pd.isna(value):
        return None
    return int(value) if float(value).is_integer() else float(value)


def aggregate(ev: RiskEvaluation, by: str) -> pd.DataFrame:
    """One row per objective or category (``by``), the worst residual first (then in the order they first appear),
    with the counts and the worst residual of the module's docstring."""
    risks = ev.risks
    key = _named(ev, by).replace("", NONE_GIVEN[by])
    rated = risks["rated"].astype(bool)
    size = key.groupby(key, sort=False).size()
    n_rated = rated.groupby(key, sort=False).sum()
    threats = risks[rated & (risks["status"] != "opportunity")]
    # the worst rated threat of each: its score and the level that score has
    worst = (threats.assign(_key=key[threats.index])
             .sort_values("residual_score", ascending=False, kind="stable")
             .drop_duplicates("_key").set_index("_key"))
    measured = bool(risks["appetite"].notna().any())
    above = (risks["above_appetite"] == True).groupby(key, sort=False).sum()  # noqa: E712 - object column
    rows = [{by: name, "risks": int(n), "rated": int(n_rated[name]),
             "worst_residual_score": _whole(worst.at[name, "residual_score"]) if name in worst.index else None,
             "worst_residual_level": worst.at[name, "residual_level"] if name in worst.index else None,
             "above_appetite": int(above[name]) if measured else None}
            for name, n in size.items()]
    frame = pd.DataFrame(rows, columns=[by, *COLUMNS])
    order = frame["worst_residual_score"].astype(float).fillna(-1)
    return frame.loc[order.sort_values(ascending=False, kind="stable").index].reset_index(drop=True)


def aggregate_summary(ev: RiskEvaluation) -> dict[str, Any]:
    """The JSON's ``by_objective`` (None when the register gives no objectives) and ``by_category``."""
    def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
        return [{k: (None if v is None or (isinstance(v, float) and pd.isna(v)) else v) for k, v in row.items()}
                for row in frame.astype(object).to_dict("records")]

    return {"by_objective": records(aggregate(ev, "objective")) if has_objectives(ev) else None,
            "by_category": records(aggregate(ev, "category"))}


def aggregate_table(ev: RiskEvaluation) -> pd.DataFrame:
    """Both aggregations as one table (the Excel sheet): objectives first, when the register gives them."""
    parts = [("Objective", "objective")] * has_objectives(ev) + [("Category", "category")]
    return pd.concat([aggregate(ev, by).rename(columns={by: "objective_or_category"}).assign(grouped_by=label)
                      for label, by in parts], ignore_index=True)[["grouped_by", "objective_or_category", *COLUMNS]]
