"""The COSO assessment's key figures, from its JSON summary (shown in the batch index)."""

from __future__ import annotations

from typing import Any

from workbook_lib.core.index_figures import IndexColumn, counts_by_level

MET = "rated in place and working on average"  # principles meeting the questionnaire's rule (not a COSO evaluation)


def key_figures(summary: dict[str, Any]) -> dict[str, Any]:
    """Principles assessed, those meeting the questionnaire's rule, item bands (worst first), divergent items."""
    principles = summary.get("principles", [])
    assessed = [p for p in principles if p.get("assessed")]
    items = summary.get("items", [])
    return {"principles assessed": len(assessed),
            MET: sum(p.get("present_and_functioning") is True for p in assessed),
            "bands": counts_by_level(((i.get("band"), i.get("combined_score")) for i in items), False),
            "divergent items": sum(i.get("divergent") is True for i in items)}


# the batch index's cross-organisation columns
INDEX_COLUMNS: tuple[IndexColumn, ...] = (
    (f"COSO principles {MET}", lambda f: f"{f[MET]}/{f['principles assessed']}"),
    ("COSO item bands", lambda f: f.get("bands")),
)
