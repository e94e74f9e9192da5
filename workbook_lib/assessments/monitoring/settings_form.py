"""Risk monitoring's part of the Settings page: the tolerance warning zone, typed as a share (10%)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from workbook_lib.core.forms import SettingsSection, tag
from workbook_lib.core.settings import in_words, label


def percent(value: str) -> float | None:
    """A share typed as 10% or 10 (percent) as a fraction; None when blank; NaN when not a number."""
    text = value.strip().rstrip("%").strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text) / 100
    except ValueError:
        return float("nan")


class MonitoringSettings(SettingsSection):
    heading = "Risk monitoring"

    def __init__(self) -> None:
        self.warning = tag(w.Text(description=label("warning"), placeholder="e.g. 10%: within 10% of a limit is "
                                  "near it; blank: none", **self.text()), "setting-warning")
        self.widgets = [self.warning]

    def fill(self, values: Any) -> None:
        self.warning.value = "" if values.warning is None else in_words(values.warning, "warning")

    def read(self, problem: Callable[[str, str, str], None]) -> dict[str, Any]:
        warning = percent(self.warning.value)
        if warning is not None and not 0 <= warning <= 1:  # NaN too
            problem(self.warning.description, self.warning.value.strip(), "a share of a limit from 0% to 100%, "
                    "e.g. 10%")
            warning = None
        return {"warning": warning}
