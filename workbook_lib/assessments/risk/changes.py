"""How risks moved between two evaluations of the same register (issue 18's "movement between periods"): new
risks, risks closed or no longer listed, and risks whose residual level rose or fell, and by how much. Risks are
matched by risk ID; an ID renamed since the earlier period is mapped with ``renamed`` (earlier ID -> current ID).

Levels are compared by their place in the methodology's banding (lowest band first), scores by their difference.
``Movement`` is what a run keeps (risk.run): every step from one period to the next, shown by risk.report and
risk.charts.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from workbook_lib.assessments.risk.scoring import RiskEvaluation

NEW, GONE, CLOSED = "new", "no longer listed", "closed"
WORSE, BETTER, SAME, UNRATED = "worse", "better", "unchanged", "not comparable"
COLUMNS = ["risk_id", "earlier_id", "change", "level_before", "level_now", "bands", "score_before", "score_now",
           "by", "description"]


@dataclass(frozen=True)
class Changes:
    """Changes from ``before`` (period) to ``now`` (period): one row per risk in either, worst change first."""

    before: str
    now: str
    frame: pd.DataFrame

    def count(self, change: str) -> int:
        return int((self.frame["change"] == change).sum())

    def summary(self) -> dict[str, int]:
        return {c: self.count(c) for c in (NEW, CLOSED, GONE, WORSE, BETTER, SAME, UNRATED)}


@dataclass(frozen=True)
class Movement:
    """The changes from each earlier period to the next, oldest first (the last into the current period), where
    each earlier period came from (a file, or the store) and notes on how they were read."""

    steps: list[Changes]
    sources: dict[str, str]
    notes: list[str]

    @property
    def latest(self) -> Changes:
        return self.steps[-1]


def _rank(ev: RiskEvaluation) -> dict[str, int]:
    """Each band's place in the banding the evaluation used, lowest first."""
    bands = ev.methodology.methodology.banding(ev.banding).bands
    return {b.name: i for i, b in enumerate(sorted(bands, key=lambda b: b.min))}


def _rows(ev: RiskEvaluation) -> dict[str, dict]:
    return {str(r["risk_id"]): r for r in ev.risks.to_dict("records")}


def _closed(row: dict) -> bool:
    return bool(row.get("closed")) or str(row.get("status", "")).strip().lower() in {"closed", "eliminated"}


def _score(row: dict) -> float | None:
    value = row.get("residual_score")
    return None if value is None or pd.isna(value) else float(value)


def _level(row: dict) -> str | None:
    value = row.get("residual_level")
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _compare(old: dict, new: dict, rank: dict[str, int]) -> tuple[str, int | None, float | None]:
    """(change, bands moved, score difference) for a risk in both evaluations."""
    if _closed(new) and not _closed(old):
        return CLOSED, None, None
    before, now = _level(old), _level(new)
    if before not in rank or now not in rank or _score(old) is None or _score(new) is None:
        return UNRATED, None, None
    bands = rank[now] - rank[before]
    by = _score(new) - _score(old)
    change = WORSE if bands > 0 or (bands == 0 and by > 0) else BETTER if bands < 0 or by < 0 else SAME
    return change, bands, by


def changes_between(earlier: RiskEvaluation, current: RiskEvaluation, renamed: dict[str, str] | None = None,
                    before: str = "", now: str = "") -> Changes:
    """The changes from ``earlier`` to ``current``; ``renamed`` maps an earlier risk ID to its current one.

    A renamed ID that is not in the earlier register, or whose new ID is not in the current one, raises
    ValueError naming it (a mapping is never dropped silently)."""
    renamed = {str(k): str(v) for k, v in (renamed or {}).items()}
    old_rows, new_rows = _rows(earlier), _rows(current)
    unknown = [f"{k} -> {v}" for k, v in renamed.items() if k not in old_rows or v not in new_rows]
    if unknown:
        raise ValueError(f"renamed risk IDs not found (earlier ID not in {before or 'the earlier register'}, or "
                         f"current ID not in {now or 'the current register'}): {', '.join(unknown)}")
    rank = _rank(current)
    matched = {renamed.get(k, k): k for k in old_rows}  # current ID -> earlier ID
    rows = []
    for risk_id, new in new_rows.items():
        earlier_id = matched.get(risk_id)
        if earlier_id is None:
            change, bands, by, old = NEW, None, None, {}
        else:
            old = old_rows[earlier_id]
            change, bands, by = _compare(old, new, rank)
        rows.append({"risk_id": risk_id, "earlier_id": earlier_id if earlier_id != risk_id else None,
                     "change": change, "level_before": _level(old), "level_now": _level(new), "bands": bands,
                     "score_before": _score(old), "score_now": _score(new), "by": by,
                     "description": new.get("description", "")})
    for current_id, earlier_id in matched.items():
        if current_id not in new_rows:
            old = old_rows[earlier_id]
            rows.append({"risk_id": earlier_id, "earlier_id": None, "change": GONE, "level_before": _level(old),
                         "level_now": None, "bands": None, "score_before": _score(old), "score_now": None,
                         "by": None, "description": old.get("description", "")})
    order = {WORSE: 0, NEW: 1, CLOSED: 2, GONE: 3, BETTER: 4, UNRATED: 5, SAME: 6}
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if len(frame):
        frame = frame.assign(_o=frame["change"].map(order), _b=-frame["bands"].fillna(0), _s=-frame["by"].fillna(0))
        frame = frame.sort_values(["_o", "_b", "_s", "risk_id"], kind="stable").drop(columns=["_o", "_b", "_s"])
    return Changes(before or earlier.period, now or current.period, frame.reset_index(drop=True))


def changes_across(evaluations: list[tuple[str, RiskEvaluation]],
                   renamed: dict[str, dict[str, str]] | None = None) -> list[Changes]:
    """The changes between each period and the next, oldest first; ``renamed`` per later period."""
    renamed = renamed or {}
    return [changes_between(a, b, renamed.get(pb), pa, pb)
            for (pa, a), (pb, b) in zip(evaluations, evaluations[1:], strict=False)]
