"""The maturity scoring's key figures, from its JSON summary (shown in the batch index)."""

from __future__ import annotations

from typing import Any

from workbook_lib.core.index_figures import IndexColumn


def key_figures(summary: dict[str, Any]) -> dict[str, Any]:
    """Status, total score and elements rated of the total."""
    return {"status": summary.get("status"), "score": summary.get("total_score"),
            "rated": f"{summary.get('elements_rated')}/{summary.get('elements_total')}"}


# the batch index's cross-organisation columns
INDEX_COLUMNS: tuple[IndexColumn, ...] = (
    ("Maturity status (score)", lambda f: f"{f.get('status')} ({f.get('score')})"),
)
