"""Risks aggregated per operational objective and per risk category (the provincial guide's Table 20: at integrated
maturity risks are aggregated for key performance objectives and risk universe categories).

Per objective or category: how many risks the register lists (closed ones too), how many are rated, the worst
residual among its rated threats (an opportunity's score is its upside, never the worst) with that score's level,
and how many are above appetite (None when no risk is measured against an appetite).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbook_lib.assessments.risk.scoring import RiskEvaluation

# how a risk without an objective or a category is grouped (shown as is in the report, the JSON and the Excel)
NONE_GIVEN = {"objective": "(no objective given)", "category": "(no category given)"}
COLUMNS = ["risks", "rated", "worst_residual_score", "worst_residual_level", "above_appetite"]


def _groups(ev: RiskEvaluation, by: str) -> tuple[np.ndarray, list[str]]:
    """Each risk's group number and the groups' names: its objective or category as written, "" where none (each
    distinct value read once; a register repeats them on every row)."""
    if by not in ev.risks:
        return np.zeros(len(ev.risks), dtype=int), [""]
    codes, distinct = pd.factorize(ev.risks[by])
    stripped = [str(v).strip() for v in distinct]
    number = {name: i for i, name in enumerate(dict.fromkeys([*stripped, ""]))}
    remap = np.array([number[name] for name in stripped] + [number[""]])  # code -1 (missing): the last, ""
    return remap[codes], list(number)


def has_objectives(ev: RiskEvaluation) -> bool:
    """Whether the register gives an objective for any risk."""
    codes, names = _groups(ev, "objective")
    return bool(np.isin(codes, [i for i, name in enumerate(names) if name]).any())


def _whole(value: Any) -> Any:
    """A score as a person reads it: a whole number as an int, missing as None."""
    if value is None or pd.isna(value):
        return None
    return int(value) if float(value).is_integer() else float(value)


def aggregate(ev: RiskEvaluation, by: str) -> pd.DataFrame:
    """One row per objective or category (``by``), the worst residual first (then in the order they first appear),
    with the counts and the worst residual of the module's docstring."""
    risks = ev.risks
    codes, names = _groups(ev, by)
    rated = risks["rated"].astype(bool).to_numpy()
    size = np.bincount(codes, minlength=len(names))
    n_rated = np.bincount(codes, weights=rated, minlength=len(names))
    above = np.bincount(codes, weights=risks["above_appetite"].eq(True).to_numpy(), minlength=len(names))
    measured = bool(risks["appetite"].notna().any())
    # the worst rated threat of each (the first in register order on a tie): its score and that score's level
    scores = pd.to_numeric(risks["residual_score"], errors="coerce").astype(float)
    threat = rated & (risks["status"] != "opportunity").to_numpy() & scores.notna().to_numpy()
    worst = scores[threat].groupby(codes[threat], sort=False).idxmax()
    rows = [{by: name or NONE_GIVEN[by], "risks": int(size[i]), "rated": int(n_rated[i]),
             "worst_residual_score": _whole(scores[worst[i]]) if i in worst.index else None,
             "worst_residual_level": risks.at[worst[i], "residual_level"] if i in worst.index else None,
             "above_appetite": int(above[i]) if measured else None}
            for i, name in enumerate(names) if size[i]]
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
