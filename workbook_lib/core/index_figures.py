"""Helpers for an assessment's key figures (the few numbers a committee reads first, shown in the batch index)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

# a column of the batch index's cross-organisation table: its heading, and its cell from the key figures
IndexColumn = tuple[str, Callable[[dict[str, Any]], Any]]


def counts_by_level(pairs: Iterable[tuple[Any, float | None]], worst_first_high: bool) -> list[tuple[str, int]]:
    """Counts per level, ordered by the mean score seen at that level (worst first).

    ``pairs`` are (level, score); a missing level is skipped. ``worst_first_high``: a high score is worse
    (e.g. a residual risk score), else a low one is (e.g. a control's combined score)."""
    count: Counter[str] = Counter()
    score: dict[str, list[float]] = {}
    for level, s in pairs:
        if level is None:
            continue
        count[str(level)] += 1
        if s is not None:
            score.setdefault(str(level), []).append(float(s))
    mean = {k: sum(v) / len(v) for k, v in score.items()}
    order = sorted(count, key=lambda k: mean.get(k, 0.0), reverse=worst_first_high)
    return [(k, count[k]) for k in order]


def figure_text(value: Any) -> str:
    """A key figure as text: counts per level as "High 2 · Low 5" ("none" when empty), a missing one empty."""
    if isinstance(value, list):
        return " · ".join(f"{k} {n}" for k, n in value) or "none"
    return "" if value is None else str(value)
