"""The combined assurance's key figures, from its JSON summary (shown in the batch index)."""

from __future__ import annotations

from typing import Any

from workbook_lib.core.index_figures import IndexColumn


def key_figures(summary: dict[str, Any]) -> dict[str, Any]:
    """Risks in scope, assurance gaps among them, duplicated controls."""
    risks = summary.get("risks", [])
    return {"in scope": sum(r.get("in_scope") is True for r in risks),
            "gaps": sum(r.get("gap") is True for r in risks),
            "duplications": len(summary.get("duplications", []))}


# the batch index's cross-organisation columns
INDEX_COLUMNS: tuple[IndexColumn, ...] = (
    ("Assurance gaps (of risks in scope)", lambda f: f"{f['gaps']} of {f['in scope']}"),
    ("Duplicated controls", lambda f: f.get("duplications")),
)
