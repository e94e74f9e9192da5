"""What is due for a decision, as each assessment reads it from its own JSON summary (its ``due`` module, named by
``AssessmentSpec.decisions_due``): a risk above the appetite or tolerance, a metric outside tolerance, an assurance
gap, the appetite and tolerance not yet approved. Kept in the core so that an assessment declares what is due without
knowing the decisions package that records what was decided."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

# what a decision can be about (the subject's kind), in words for a person
SUBJECT_KINDS = {
    "risk": "risk",
    "metric": "metric outside tolerance",
    "assurance_gap": "assurance gap",
    "appetite": "appetite and tolerance",
}


@dataclass(frozen=True)
class Due:
    """One subject that needs a decision: what it is, for whom, why (in words) and who may decide it (the
    methodology's decision maker or escalation authority, as the summary gives it; blank: the summary names no one).
    ``score`` and ``level``: the subject's residual score and level now, where it has one (a worse score after an
    approval brings the decision back)."""

    subject_kind: str
    subject_id: str
    organisation: str
    period: str
    why: str
    who_may_decide: str = ""
    assessment: str = ""
    score: float | None = None
    level: str = ""

    @property
    def subject(self) -> str:
        """The subject as typed on the command line: ``risk:KV-002``."""
        return f"{self.subject_kind}:{self.subject_id}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


DueFunction = Callable[[dict[str, Any]], list[Due]]


def load_function(ref: str) -> DueFunction:
    """The function a ``"module:function"`` reference names (imported on first use)."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def number(value: Any) -> float | None:
    """A score from a JSON summary (None when missing or not a number)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
