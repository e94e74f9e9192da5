"""Who decides on a residual risk: its band's decision maker, raised by its position against the appetite, the
tolerance and the acceptance level when the methodology declares an escalation (data, per methodology). Above the
tolerance a risk is not simply accepted: its decision maker must act, and only a position that cannot be avoided
may be approved (by the escalation's ``unavoidable_approver``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbook_lib.assessments.risk.methodology import Methodology


def decision_makers(risks: pd.DataFrame, m: Methodology, banding: str | None) -> tuple[pd.Series, pd.Series]:
    """Per risk: the decision maker, and why (e.g. "High band; above appetite (12 > 4)")."""
    bands = m.banding(banding).bands
    band = risks["_band"].to_numpy(dtype=np.intp)
    scored = band >= 0
    names = np.array([b.name for b in bands] + [""], dtype=object)
    why = pd.Series(np.where(scored, names[band] + " band", None), index=risks.index, dtype=object)
    e = m.escalation
    if e is None:
        makers = np.array([b.decision_maker for b in bands] + [None], dtype=object)
        return pd.Series(makers[band], index=risks.index, dtype=object), why
    rank = np.array([e.rank(b.decision_maker) for b in bands] + [-1])[band]
    residual = pd.to_numeric(risks["residual_score"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    threat = (risks["status"] != "opportunity").to_numpy() if "status" in risks else np.ones(len(risks), bool)
    appetite = pd.to_numeric(risks["appetite"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    steps = [(risks["above_appetite"].to_numpy() == True, appetite, e.above_appetite, "above appetite"),  # noqa: E712
             (None, m.threshold("tolerance", banding), e.above_tolerance, "above tolerance"),
             (None, m.threshold("acceptance", banding), e.above_acceptance, "above the acceptance level")]
    for mask, limit, authority, words in steps:
        if authority is None or limit is None:
            continue
        limit = np.full(len(risks), float(limit)) if np.isscalar(limit) else limit
        mask = (residual > limit) & threat & scored if mask is None else mask & scored
        rank = np.where(mask, np.maximum(rank, e.rank(authority)), rank)
        shown = _g(limit[mask])
        if words == "above appetite":
            shown = np.where(limit[mask] == 0, "0, zero tolerance", shown)
        why[mask] = why[mask] + f"; {words} (" + _g(residual[mask]) + " > " + shown + ")"
    authorities = np.array([*e.authorities, None], dtype=object)
    return pd.Series(authorities[rank], index=risks.index, dtype=object), why


def _g(values: np.ndarray) -> np.ndarray:
    """Numbers as text ("12", "4.5"), each distinct value formatted once."""
    unique, inverse = np.unique(values, return_inverse=True)
    return np.array([f"{v:g}" for v in unique], dtype=object)[inverse]


def who_acts(score: Any, maker: str, m: Methodology, banding: str | None) -> str:
    """What a report says of a rated risk's decision maker: above the acceptance level or the tolerance, who must
    act to bring it back and who alone may approve a position that cannot be avoided; otherwise who decides."""
    e = m.escalation
    if e is None:
        return f"its band's decision maker: {maker}"
    unavoidable = (f"; only a position that cannot be avoided may be approved, by the {e.unavoidable_approver}"
                   if e.unavoidable_approver else "")
    for key, what, within in (("acceptance", "the risk acceptance level", "the acceptable level"),
                              ("tolerance", "the tolerance", "tolerance")):
        limit = m.threshold(key, banding)  # type: ignore[arg-type]
        if limit is not None and score > limit:
            return f"it exceeds {what} (score over {limit}): {maker} must act to bring it within {within}" \
                   + unavoidable
    return f"it is within tolerance; its decision maker: {maker}"


def highest(makers: pd.Series, m: Methodology) -> str | None:
    """The highest authority of the methodology's escalation among some risks' decision makers."""
    present = [x for x in makers if isinstance(x, str)]
    return max(present, key=m.escalation.rank) if present and m.escalation else None
