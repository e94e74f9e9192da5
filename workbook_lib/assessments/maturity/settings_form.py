"""Maturity's part of the Settings page: where the organisation's maturity status comes from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from workbook_lib.assessments.maturity.settings import FROM_MARKS, statuses
from workbook_lib.core.forms import SettingsSection, tag
from workbook_lib.core.settings import label


class MaturitySettings(SettingsSection):
    heading = "Maturity"

    def __init__(self) -> None:
        self.maturity = tag(w.Dropdown(description=label("maturity_status"), options=[
            ("(not set)", ""), ("Scored from the maturity marks saved for the period", FROM_MARKS)]
            + [(s.capitalize(), s) for s in statuses()], **self.text()), "setting-maturity-status")
        self.widgets = [self.maturity]

    def fill(self, values: Any) -> None:
        known = {s for _l, s in self.maturity.options}
        self.maturity.value = values.maturity_status if values.maturity_status in known else ""

    def read(self, problem: Callable[[str, str, str], None]) -> dict[str, Any]:
        return {"maturity_status": self.maturity.value or None}
