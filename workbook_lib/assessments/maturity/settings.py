"""The setting maturity scoring declares: the organisation's maturity status (a status, or "marks": scored from
the maturity marks saved for the period), which COSO and combined assurance read. Labels and help:
``data/settings.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbook_lib.assessments.maturity.model import load_matrix
from workbook_lib.core.settings import declared_in

FROM_MARKS = "marks"  # maturity_status: scored from the maturity marks saved for the period


def _as_parameter(value: Any) -> Any:
    """"marks" is no status: the parameter is left unset, and the run scores the marks saved for the period."""
    return None if str(value).strip().casefold() == FROM_MARKS else value


SETTINGS = declared_in(Path(__file__).parent / "data" / "settings.yaml", {"maturity_status": str},
                       as_parameter={"maturity_status": _as_parameter})


def statuses() -> tuple[str, ...]:
    """The maturity statuses of the shipped matrix, lowest first."""
    return tuple(load_matrix().matrix.status_names)


def problems(values: Any) -> list[tuple[str, str]]:
    """(setting, what is wrong) for the maturity status."""
    status = values.maturity_status
    if status and status.strip().casefold() not in {FROM_MARKS, *statuses()}:
        return [("maturity_status", f"{status!r}; expected {FROM_MARKS!r} or one of {', '.join(statuses())}")]
    return []
