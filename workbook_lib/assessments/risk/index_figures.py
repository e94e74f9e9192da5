"""The risk evaluation's key figures, from its JSON summary (shown in the batch index)."""

from __future__ import annotations

from typing import Any

from workbook_lib.core.index_figures import IndexColumn, counts_by_level


def key_figures(summary: dict[str, Any]) -> dict[str, Any]:
    """Risks, rated risks, residual levels (worst first; "current" levels for a methodology that gives one current
    rating per risk), rated risks above appetite and, with an earlier period, how many risks got worse since it."""
    counts = summary.get("counts")
    if isinstance(counts, dict) and summary.get("risks") is None:  # a register too long to list risk by risk
        residual = counts.get("residual") or {}
        figures = {"risks": counts.get("risks", 0), "rated": counts.get("rated", 0),
                   "residual": [(level, n) for level, n in reversed(list(residual.items())) if n],
                   "above appetite": counts.get("above_appetite", 0)}
    else:
        risks = summary.get("risks") or []
        rated = [r for r in risks if r.get("rated")]
        figures = {"risks": len(risks), "rated": len(rated),
                   "residual": counts_by_level(((r.get("residual_level"), r.get("residual_score")) for r in rated),
                                               True),
                   "above appetite": sum(r.get("above_appetite") is True for r in rated)}
    if summary.get("rating_stage") == "current":  # MOPAC's register: current ratings, never called residual
        figures = {("current" if k == "residual" else k): v for k, v in figures.items()}
    movement = summary.get("movement")
    if isinstance(movement, dict):
        figures |= {"worse": movement.get("counts", {}).get("worse", 0), "since": movement.get("from_period")}
    return figures | _losses(summary.get("quantification"))


def _losses(quantified: Any) -> dict[str, Any]:
    """A risk-intelligent register's simulated annual losses: expected, and at 95 % confidence (with currency)."""
    if not isinstance(quantified, dict):
        return {}
    currency = quantified.get("currency") or ""
    q95 = (quantified.get("quantiles") or {}).get("0.95")
    return {"expected loss": _money(quantified.get("expected_loss"), currency), "loss at 95%": _money(q95, currency)}


def _money(amount: Any, currency: str) -> str | None:
    return None if amount is None else f"{currency} {amount:,.0f}".strip()


def _worse(figures: dict[str, Any]) -> str:
    return f"{figures['worse']} since {figures['since']}" if "worse" in figures else "no earlier period"


# the batch index's cross-organisation columns
INDEX_COLUMNS: tuple[IndexColumn, ...] = (
    ("Rated risks", lambda f: f"{f['rated']}/{f['risks']}"),
    ("Residual levels", lambda f: f.get("residual")),
    ("Current levels", lambda f: f.get("current")),  # a methodology with one current rating per risk (MOPAC's)
    ("Above appetite", lambda f: f.get("above appetite")),
    ("Risks worse", _worse),
    ("Expected annual loss", lambda f: f.get("expected loss")),  # a risk-intelligent register's simulated losses
    ("Annual loss at 95 % confidence", lambda f: f.get("loss at 95%")),
)
