"""What is due for a decision, as each assessment reads it from its own JSON summary (its ``due`` module, named by
``AssessmentSpec.decisions_due``): a risk above the appetite or tolerance, a metric outside tolerance, an assurance
gap, the appetite and tolerance not yet approved. Kept in the core so that an assessment declares what is due without
knowing the decisions package that records what was decided."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbook_lib.core.store import Store

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
    name: str = ""  # what the subject is called in words ("Vacancy rate"); blank: its ID is how people name it

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


# ---- a signed-off period is read-only in the forms -----------------------------------------------------------------
# How a form asks whether its organisation and period are signed off: (store, organisation, period, the form's
# "module:Class") -> the line to show ("" when not signed off). Installed by the registry, which knows which
# assessment a form belongs to and the package that keeps sign-offs; the core knows neither.
ReadOnlyCheck = Callable[["Store", str, str, str], str]
_read_only: list[ReadOnlyCheck] = []


def install_read_only_check(check: ReadOnlyCheck) -> None:
    _read_only[:] = [check]


def read_only_line(store: Store, organisation: str, period: str, form: str) -> str:
    """Why the form's organisation and period are read-only, in one line ("" when they are not, or no check is
    installed)."""
    if not organisation or not period or not _read_only:
        return ""
    return _read_only[0](store, organisation, period, form)


# ---- panels another package adds to a form -------------------------------------------------------------------------
# A form shows what a package above the assessments keeps on its records (the decisions package's treatment actions
# in the risk form) through a panel the registry installs here by name: factory(form) -> an object with ``widget``.
PanelFactory = Callable[[Any], Any]
_panels: dict[str, PanelFactory] = {}


def install_panel(name: str, factory: PanelFactory) -> None:
    _panels[name] = factory


def panel(name: str, form: Any) -> Any | None:
    """The panel installed as ``name``, built for ``form`` (None: none installed, e.g. without the registry)."""
    factory = _panels.get(name)
    return factory(form) if factory is not None else None
