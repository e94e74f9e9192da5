"""The settings the risk evaluation declares (an organisation's methodology, banding, appetite, tolerance and
control-effectiveness factors) and what makes one unusable. Their labels and help are data (``data/settings.yaml``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from workbook_lib.assessments.risk.methodology import (
    load_methodology,
    shipped,
    with_control_factors,
    with_tolerance,
)
from workbook_lib.assessments.risk.scoring import Appetite
from workbook_lib.core.settings import declared_in

SETTINGS = declared_in(Path(__file__).parent / "data" / "settings.yaml", {
    "methodology": str, "banding": str, "appetite": int | str | dict[str, Any], "tolerance": int | str,
    "control_factors": dict[str, float], "appetite_approved_by": str, "appetite_approved_on": dt.date,
    "tolerable_loss": float})


def suite_default() -> str:
    """The methodology an organisation's settings are checked against until it chooses one."""
    return next(s.suite_default for s in SETTINGS if s.name == "methodology")


def _positive(amount: float | None) -> None:
    if amount is not None and amount <= 0:
        raise ValueError(f"{amount:g}: a tolerable annual loss is an amount of money above 0")


def problems(values: Any) -> list[tuple[str, str]]:
    """(setting, what is wrong) for each of these settings the risk evaluation could not use."""
    methods = shipped()
    if values.methodology and values.methodology not in methods:
        return [("methodology", f"{values.methodology!r} is not a shipped methodology; choose one of "
                                f"{', '.join(methods)}")]
    loaded = load_methodology(values.methodology or suite_default())
    m = loaded.methodology
    checks = [("banding", lambda: m.banding(values.banding)),
              ("appetite", lambda: Appetite.resolve(values.appetite, m, values.banding)),
              ("tolerance", lambda: with_tolerance(loaded, values.tolerance)),
              ("control_factors", lambda: with_control_factors(loaded, values.control_factors, "the organisation")),
              ("tolerable_loss", lambda: _positive(values.tolerable_loss))]
    found = []
    for name, check in checks:
        try:
            check()
        except ValueError as exc:
            found.append((name, str(exc).splitlines()[0]))
    return found
