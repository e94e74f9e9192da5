"""The risk evaluation's part of the Settings page: methodology, banding, appetite (a default and per category),
who approved the appetite and tolerance and when, tolerance and the control-effectiveness factors (one rating a
line, in percent)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from workbook_lib.assessments.risk.methodology import load_methodology, shipped
from workbook_lib.core.forms import SettingsSection, tag
from workbook_lib.core.settings import label


def number_or_text(value: str) -> int | str:
    text = value.strip()
    return int(text) if text.isdigit() else text


def percent(value: str) -> float | str:
    """A typed percentage ("45", "45%", "62.5") as a number; anything else as typed (the check names it)."""
    text = value.strip().removesuffix("%").strip()
    try:
        return float(text)
    except ValueError:
        return value.strip()


def amount(value: str) -> float | str:
    """A typed amount of money ("2 500 000", "2,500,000") as a number; anything else as typed (the check names it)."""
    text = re.sub(r"[\s,'’]", "", value)
    try:
        return float(text)
    except ValueError:
        return value.strip()


def _lines(values: dict[str, Any] | None, unit: str = "") -> str:
    return "\n".join(f"{k}: {v:g}{unit}" if isinstance(v, float) else f"{k}: {v}{unit}"
                     for k, v in (values or {}).items())


class RiskSettings(SettingsSection):
    heading = "Risk rating"

    def __init__(self) -> None:
        self.methodologies = {name: load_methodology(name).methodology for name in shipped()}
        self.methodology = tag(w.Dropdown(description=label("methodology"), options=[
            ("(not chosen: the suite's default)", "")] + [(f"{m.title} ({n})", n) for n, m in
                                                          self.methodologies.items()], **self.text()),
            "setting-methodology")
        self.banding = tag(w.Dropdown(description=label("banding"), options=[("(the methodology's default)", "")],
                                      **self.text()), "setting-banding")
        self.appetite = tag(w.Text(description="Appetite (default)", placeholder="a score, e.g. 8, or a band: Low",
                                   **self.text()), "setting-appetite")
        self.categories = tag(w.Textarea(description="Appetite per category",
                                         placeholder="one per line, e.g.\nFinancial: 4\nCompliance: Low",
                                         rows=4, **self.text()), "setting-categories")  # the whole hint shown
        self.approved_by = tag(w.Text(description=label("appetite_approved_by"), **self.text(
            placeholder="e.g. Municipal Council; blank: not yet approved")), "setting-appetite-approved-by")
        self.approved_on = tag(w.DatePicker(description=label("appetite_approved_on"), style=self.style),
                               "setting-appetite-approved-on")
        self.tolerance = tag(w.Text(description=label("tolerance"), placeholder="a score or a band; blank: the "
                                    "methodology's", **self.text()), "setting-tolerance")
        self.factors = tag(w.Textarea(description=label("control_factors"),
                                      placeholder="one rating per line, in percent; blank: the methodology's, e.g."
                                                  "\nFully effective: 45\nPartially effective: 60", rows=5,
                                      **self.text()),
                           "setting-control-factors")
        self.tolerable_loss = tag(w.Text(description=label("tolerable_loss"), **self.text(
            placeholder="an amount of money a year; blank: none")), "setting-tolerable-loss")
        self.methodology.observe(lambda _c: self._bandings(), names="value")
        self.widgets = [self.methodology, self.banding, self.appetite, self.categories, self.approved_by,
                        self.approved_on, self.tolerance, self.factors, self.tolerable_loss]

    def _bandings(self) -> None:
        m = self.methodologies.get(self.methodology.value)
        keep = self.banding.value
        names = [] if m is None else [n for n in m.bandings if n != m.default_banding]
        self.banding.options = [("(the methodology's default)", "")] + [(n, n) for n in names]
        self.banding.value = keep if keep in names else ""

    def fill(self, values: Any) -> None:
        self.methodology.value = values.methodology if values.methodology in self.methodologies else ""
        self._bandings()
        self.banding.value = values.banding if values.banding in {b for _l, b in self.banding.options} else ""
        appetite = values.appetite if isinstance(values.appetite, dict) else {"default": values.appetite}
        self.appetite.value = "" if appetite.get("default") is None else str(appetite["default"])
        self.categories.value = _lines(appetite.get("categories"))
        self.approved_by.value = values.appetite_approved_by or ""
        self.approved_on.value = values.appetite_approved_on
        self.tolerance.value = "" if values.tolerance is None else str(values.tolerance)
        self.factors.value = _lines(values.control_factors, "%")
        self.tolerable_loss.value = "" if values.tolerable_loss is None else f"{values.tolerable_loss:,.0f}"

    def read(self, problem: Callable[[str, str, str], None]) -> dict[str, Any]:
        appetite: dict[str, Any] = {}
        if self.appetite.value.strip():
            appetite["default"] = number_or_text(self.appetite.value)
        categories = self._pairs(self.categories, number_or_text, problem, "one category per line: name, a colon, "
                                 "then a score or band (e.g. Financial: 4)")
        if categories:
            appetite["categories"] = categories
        factors = self._pairs(self.factors, percent, problem, "one rating per line: the rating, a colon, then the "
                              "percentage of the inherent score that remains (e.g. Fully effective: 45)")
        return {"methodology": self.methodology.value or None, "banding": self.banding.value or None,
                "appetite": appetite or None,
                "appetite_approved_by": self.approved_by.value.strip() or None,
                "appetite_approved_on": self.approved_on.value or None,
                "tolerance": number_or_text(self.tolerance.value) if self.tolerance.value.strip() else None,
                "control_factors": factors or None,
                "tolerable_loss": amount(self.tolerable_loss.value) if self.tolerable_loss.value.strip() else None}

    @staticmethod
    def _pairs(box: w.Textarea, value: Callable[[str], Any], problem: Callable[[str, str, str], None],
               expected: str) -> dict[str, Any]:
        """"name: value" lines of a text box; a line without both is named as a problem."""
        pairs: dict[str, Any] = {}
        for line in box.value.splitlines():
            if not line.strip():
                continue
            name, sep, text = line.partition(":")
            if not sep or not name.strip() or not text.strip():
                problem(box.description, line.strip(), expected)
                continue
            pairs[name.strip()] = value(text)
        return pairs

    def typed(self) -> dict[str, str]:
        return {"appetite": self.appetite.value, "tolerance": self.tolerance.value,
                "control_factors": self.factors.value, "tolerable_loss": self.tolerable_loss.value}
