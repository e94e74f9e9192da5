"""The Settings page (``notebooks/settings.ipynb``): the risk champion sets an organisation's settings for a
period (core/settings.py); every form and ``source: store`` run of that organisation then uses them.

In the app it is a form; anywhere else (papermill, JupyterLab) the notebook lists the settings saved.
"""

from __future__ import annotations

import html
import re
from typing import Any

import ipywidgets as w
import pandas as pd
from IPython.display import HTML, display
from pydantic import BaseModel, ConfigDict

from workbook_lib.assessments.assurance.model import ProviderSpec
from workbook_lib.assessments.coso.model import MATURITY_STATUSES
from workbook_lib.assessments.risk.methodology import load_methodology, shipped
from workbook_lib.assessments.risk.run import with_tolerance
from workbook_lib.assessments.risk.scoring import Appetite
from workbook_lib.core.errors import Problem, StoreError
from workbook_lib.core.forms import Feedback, FormError, Sections, StoreForm, app_mode, tag
from workbook_lib.core.outputs import html_table
from workbook_lib.core.params import from_namespace
from workbook_lib.core.settings import (
    FROM_MARKS,
    OrgSettings,
    descriptions,
    in_words,
    label,
    parse_value,
    read_settings,
    save_settings,
    sentence,
)
from workbook_lib.core.store import Store

WIDE = {"description_width": "240px"}


class SettingsParams(BaseModel):
    """The Settings notebook's parameters: which organisation and period it opens on."""

    model_config = ConfigDict(extra="forbid")
    organisation: str = ""
    period: str = ""
    store_url: str | None = None
    show_form: bool = False


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_") or "provider"


class SettingsForm(StoreForm):
    """The organisation's settings for a period, with who changed them and when."""

    params: SettingsParams

    def __init__(self, params: SettingsParams, sections: Sections, store: Store | None = None):
        super().__init__(params, sections, store)
        methods = {name: load_methodology(name).methodology for name in shipped()}
        self.methodologies = methods
        text = {"style": WIDE, "layout": w.Layout(width="690px")}
        self.methodology = tag(w.Dropdown(description=label("methodology"), options=[
            ("(not chosen: the suite's default)", "")] + [(f"{m.title} ({n})", n) for n, m in methods.items()],
            **text), "setting-methodology")
        self.banding = tag(w.Dropdown(description=label("banding"), options=[("(the methodology's default)", "")],
                                      **text), "setting-banding")
        self.appetite = tag(w.Text(description="Appetite (default)", placeholder="a score, e.g. 8, or a band: Low",
                                   **text), "setting-appetite")
        self.categories = tag(w.Textarea(description="Appetite per category",
                                         placeholder="one per line, e.g.\nFinancial: 4\nCompliance: Low", **text),
                              "setting-categories")
        self.tolerance = tag(w.Text(description=label("tolerance"), placeholder="a score or a band; blank: the "
                                    "methodology's", **text), "setting-tolerance")
        self.providers = tag(w.Textarea(description=label("providers"), placeholder="one per line: name; line of "
                                        "assurance; independent (optional)\ne.g. Occupational health and safety; 2",
                                        **text), "setting-providers")
        self.maturity = tag(w.Dropdown(description=label("maturity_status"), options=[
            ("(not set)", ""), ("Scored from the maturity marks saved for the period", FROM_MARKS)]
            + [(s.capitalize(), s) for s in MATURITY_STATUSES], **text), "setting-maturity-status")
        self.start = tag(w.DatePicker(description=label("period_start"), style=WIDE), "setting-period-start")
        self.end = tag(w.DatePicker(description=label("period_end"), style=WIDE), "setting-period-end")
        self.roles = {name: tag(w.Text(description=label(name), placeholder="blank: the framework's title", **text),
                                f"setting-{name.replace('_', '-')}")
                      for name in ("plan_owner", "accounting_officer", "oversight_committee")}
        self.warning = tag(w.Text(description=label("warning"), placeholder="e.g. 10%: within 10% of a limit is "
                                  "near it; blank: none", **text), "setting-warning")
        self.save = tag(w.Button(description="Save settings", button_style="primary", icon="save",
                                 layout=w.Layout(width="auto")), "save")
        self.save_feedback = tag(Feedback(), "save-feedback")
        self.origin = tag(w.HTML(), "settings-origin")
        self.trail = w.HTML()
        self.methodology.observe(lambda _c: self._bandings(), names="value")
        self.save.on_click(self.guard(self._save, self.save_feedback))
        self.widget = w.VBox([
            w.HTML("<h2>Organisation settings</h2><p>What every form and report of this organisation uses: its "
                   "risk methodology, appetite and tolerance, its own assurance providers, where its maturity status "
                   "comes from, and the reporting period. Choose the organisation and period and press "
                   "<i>Open</i>; every save is kept with your name and the time.</p>"),
            self.picker, self.respondent, self.feedback, self.origin,
            w.HTML("<b>Risk rating</b>"), self.methodology, self.banding, self.appetite, self.categories,
            self.tolerance,
            w.HTML("<b>Combined assurance</b>"), self.providers, *self.roles.values(),
            w.HTML("<b>Maturity and period</b>"), self.maturity, self.start, self.end,
            w.HTML("<b>Risk monitoring</b>"), self.warning,
            w.HBox([self.save]), self.save_feedback, self.trail])
        self.widget.add_class("wb-settings-form")
        self.refresh()

    # ---- showing -------------------------------------------------------------------------------------
    def _bandings(self) -> None:
        m = self.methodologies.get(self.methodology.value)
        keep = self.banding.value
        names = [] if m is None else [n for n in m.bandings if n != m.default_banding]
        self.banding.options = [("(the methodology's default)", "")] + [(n, n) for n in names]
        self.banding.value = keep if keep in names else ""

    def refresh(self, message: str | None = None) -> None:
        org, period = self.picker.value
        if not org or not period:
            self.origin.value = "<p>Choose or type your organisation and the period, then press <i>Open</i>.</p>"
            self.trail.value = ""
            return
        settings = read_settings(self.store, org, period)
        v = settings.values
        self.methodology.value = v.methodology if v.methodology in self.methodologies else ""
        self._bandings()
        self.banding.value = v.banding if v.banding in {b for _l, b in self.banding.options} else ""
        appetite = v.appetite if isinstance(v.appetite, dict) else {"default": v.appetite}
        self.appetite.value = "" if appetite.get("default") is None else str(appetite["default"])
        self.categories.value = "\n".join(f"{k}: {x}" for k, x in (appetite.get("categories") or {}).items())
        self.tolerance.value = "" if v.tolerance is None else str(v.tolerance)
        self.providers.value = "\n".join(
            f"{p.get('name', '')}; {p.get('line', '')}" + ("; independent" if p.get("independent") else "")
            for p in v.providers or [])
        self.maturity.value = v.maturity_status if v.maturity_status in {s for _l, s in self.maturity.options} else ""
        self.start.value, self.end.value = v.period_start, v.period_end
        self.warning.value = "" if v.warning is None else in_words(v.warning, "warning")
        for name, widget in self.roles.items():
            widget.value = getattr(v, name) or ""
        if settings.from_period is None:
            self.origin.value = (f'<p class="wb-settings-none"><b>No settings saved for {html.escape(org)} yet.</b> '
                                 "Nothing is taken from another organisation: set what applies below and save.</p>")
        elif settings.carried_over:
            earlier = html.escape(settings.from_period or "")
            self.origin.value = (f"<p>These are {html.escape(org)}'s settings for <b>{earlier}"
                                 f"</b> (none saved for {html.escape(period)} yet). Saving keeps them for "
                                 f"{html.escape(period)}.</p>")
        else:
            self.origin.value = f"<p>{html.escape(org)}'s settings for <b>{html.escape(period)}</b>.</p>"
        self.trail.value = self._trail(org, period)
        if message:
            self.feedback.ok(message)

    def _trail(self, org: str, period: str) -> str:
        rows = [{"Setting": label(h["key"]), "Value": _shown(h["key"], (h["after"] or {}).get("value", "")),
                 "Changed by": h["who"],
                 "When": h["at"].strftime("%Y-%m-%d %H:%M UTC")}
                for h in self.store.history(org, period, "setting")]
        if not rows:
            return ""
        frame = pd.DataFrame(rows[::-1][:30])
        return "<p><b>Changes to these settings</b> (latest first)</p>" + html_table(frame).data

    # ---- saving --------------------------------------------------------------------------------------
    def values(self) -> OrgSettings:
        """The settings as entered; raises FormError naming every problem by its field."""
        problems: list[Problem] = []

        def problem(field: str, value: str, expected: str) -> None:
            problems.append(Problem("", None, field, value, expected))

        appetite: dict[str, Any] = {}
        if self.appetite.value.strip():
            appetite["default"] = _number_or_text(self.appetite.value)
        categories: dict[str, Any] = {}
        for line in self.categories.value.splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition(":")
            if not sep or not name.strip() or not value.strip():
                problem(self.categories.description, line.strip(), "one category per line: name, a colon, then a "
                        "score or band (e.g. Financial: 4)")
                continue
            categories[name.strip()] = _number_or_text(value)
        if categories:
            appetite["categories"] = categories
        tolerance = _number_or_text(self.tolerance.value) if self.tolerance.value.strip() else None
        providers = []
        for line in self.providers.value.splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(";")]
            independent = len(parts) > 2 and parts[2].casefold() in {"independent", "yes", "y"}
            if len(parts) < 2 or not parts[1].isdigit() or (len(parts) > 2 and parts[2] and not independent):
                problem(self.providers.description, line.strip(), "name; line of assurance (a number); optionally "
                        "'independent'")
                continue
            spec = {"id": _slug(parts[0]), "name": parts[0], "line": int(parts[1])}
            if independent:
                spec["independent"] = True
            try:
                ProviderSpec.model_validate(spec)
            except ValueError as exc:
                problem(self.providers.description, line.strip(), str(exc).splitlines()[-1].strip())
                continue
            providers.append(spec)
        start, end = self.start.value, self.end.value
        if start and end and end < start:
            problem(self.end.description, end.isoformat(), f"a day after the period starts ({start.isoformat()})")
        warning = _percent(self.warning.value)
        if warning is not None and not 0 <= warning <= 1:
            problem(self.warning.description, self.warning.value.strip(), "a share of a limit from 0% to 100%, "
                    "e.g. 10%")
            warning = None
        values = OrgSettings(methodology=self.methodology.value or None, banding=self.banding.value or None,
                             appetite=appetite or None, tolerance=tolerance, providers=providers or None,
                             maturity_status=self.maturity.value or None, period_start=start, period_end=end,
                             warning=warning, **{n: wd.value.strip() or None for n, wd in self.roles.items()})
        # what the methodology decides (appetite and tolerance against its bands), as for a settings file
        typed = {"appetite": self.appetite.value, "tolerance": self.tolerance.value}
        for name, message in _problems(values):
            problem(label(name), typed.get(name, ""), message.split("expected ", 1)[-1])
        if problems:
            raise FormError(problems)
        return values

    def _save(self, _button: Any = None) -> None:
        org, period = self.picker.value
        if not org or not period:
            raise StoreError("choose or type an organisation and a period before saving")
        author = self.respondent.author()
        result = save_settings(self.store, org, period, self.values(), author)
        changed = len(result.created) + len(result.updated)
        message = (f"Saved the settings of {org}, {period}: {changed} changed." if changed
                   else f"Nothing changed in the settings of {org}, {period}.")
        self.refresh(message)
        self.save_feedback.ok(message)


def settings_problems(values: OrgSettings) -> list[str]:
    """What in a set of settings no assessment could use (a settings file, the command line), each by its label."""
    return [f"{label(name)}: {message}" for name, message in _problems(values)]


def _problems(values: OrgSettings) -> list[tuple[str, str]]:
    """(setting, what is wrong) for every setting no assessment could use."""
    problems: list[tuple[str, str]] = []
    methods = shipped()
    if values.methodology and values.methodology not in methods:
        return [("methodology", f"{values.methodology!r} is not a shipped methodology; choose one of "
                                f"{', '.join(methods)}")]
    loaded = load_methodology(values.methodology or suite_default())
    m = loaded.methodology
    checks = [("banding", lambda: m.banding(values.banding)),
              ("appetite", lambda: Appetite.resolve(values.appetite, m, values.banding)),
              ("tolerance", lambda: with_tolerance(loaded, values.tolerance)),
              ("providers", lambda: [ProviderSpec.model_validate(p) for p in values.providers or []])]
    for name, check in checks:
        try:
            check()
        except ValueError as exc:
            problems.append((name, str(exc).splitlines()[0]))
    status = values.maturity_status
    if status and status.strip().casefold() not in {FROM_MARKS, *MATURITY_STATUSES}:
        problems.append(("maturity_status", f"{status!r}; expected {FROM_MARKS!r} or one of "
                                            f"{', '.join(MATURITY_STATUSES)}"))
    return problems


def suite_default() -> str:
    """The methodology an organisation's settings are checked against until it chooses one."""
    return descriptions()["methodology"]["suite_default"]


def _shown(name: str, text: str) -> str:
    """A stored setting's text in words (blank: "not set")."""
    try:
        value = parse_value(name, text)
    except ValueError:
        return text
    return "(not set)" if value in (None, "") else in_words(value, name)


def _percent(value: str) -> float | None:
    """A share typed as 10% or 10 (percent) as a fraction; None when blank; NaN when not a number."""
    text = value.strip().rstrip("%").strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text) / 100
    except ValueError:
        return float("nan")


def _number_or_text(value: str) -> int | str:
    text = value.strip()
    return int(text) if text.isdigit() else text


def settings_report(params: SettingsParams) -> HTML:
    """The settings saved for the organisation and period, as a table (outside the app)."""
    if not params.organisation or not params.period:
        return HTML("<p>Name an organisation and a period to list their settings.</p>")
    with Store(params.store_url, create=False) as store:
        settings = read_settings(store, params.organisation, params.period)
    given = settings.values.given()
    if not given:
        return HTML(f"<p>{html.escape(sentence(settings.origin()))}.</p>")
    frame = pd.DataFrame({"Setting": [label(k) for k in given],
                          "Value": [in_words(v, k) for k, v in given.items()],
                          "Last changed by": [settings.saved.get(k, ("", None))[0] for k in given]})
    return HTML(f"<p>{html.escape(sentence(settings.origin()))}.</p>" + html_table(frame).data)


def start(namespace: dict[str, Any]) -> SettingsForm | None:
    """The Settings notebook's one call: the form in the app, the saved settings elsewhere. The notebook's last
    cell passes the form to ``core.forms.serve`` (a preheated kernel waits there for its page request)."""
    params = from_namespace(namespace, SettingsParams)
    if app_mode(params.show_form):
        form = SettingsForm(params, Sections(live=True))
        display(form)
        return form
    display(settings_report(params))
    return None

