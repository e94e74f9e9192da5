"""The risk monitoring's key figures, from its JSON summary (shown in the batch index)."""

from __future__ import annotations

from typing import Any

from workbook_lib.core.index_figures import IndexColumn


def key_figures(summary: dict[str, Any]) -> dict[str, Any]:
    """Metrics, those outside tolerance or without a reading, and ratings to revisit."""
    counts = summary.get("counts", {})
    return {"metrics": len(summary.get("metrics", [])), "outside": counts.get("outside"),
            "near": counts.get("near"), "missing": counts.get("missing"),
            "revisit": len({r["risk_id"] for r in summary.get("risks_to_revisit", []) if r.get("revisit")})}


# the batch index's cross-organisation columns
INDEX_COLUMNS: tuple[IndexColumn, ...] = (
    ("Metrics outside tolerance", lambda f: f"{f.get('outside')} of {f.get('metrics')}"),
    ("Readings missing", lambda f: f.get("missing")),
    ("Ratings to revisit", lambda f: f.get("revisit")),
)
