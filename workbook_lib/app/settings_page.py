"""The Settings page (``notebooks/settings.ipynb``): the risk champion sets an organisation's settings for a
period (core/settings.py); every form and ``source: store`` run of that organisation then uses them.

In the app it is a form; anywhere else (papermill, JupyterLab) the notebook lists the settings saved.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import pandas as pd
from IPython.display import HTML, display
from pydantic import BaseModel, ConfigDict

from workbook_lib.assessments import registry, setting_problems, settings_sections
from workbook_lib.core.errors import Problem, StoreError
from workbook_lib.core.forms import Feedback, FormError, Sections, StoreForm, app_mode, tag
from workbook_lib.core.outputs import html_table
from workbook_lib.core.params import from_namespace
from workbook_lib.core.settings import (
    declared,
    label,
    parse_value,
    read_as,
    read_settings,
    save_settings,
    sentence,
    settings_model,
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


class SettingsForm(StoreForm):
    """The organisation's settings for a period, with who changed them and when. Each assessment adds its own part
    (its spec's ``settings_section``); the page itself keeps only the reporting period."""
    change_action = "settings"  # the risk champion and the administrator change settings

    params: SettingsParams

    def __init__(self, params: SettingsParams, sections: Sections, store: Store | None = None):
        super().__init__(params, sections, store)
        self.parts = settings_sections()
        self.start = tag(w.DatePicker(description=label("period_start"), style=WIDE), "setting-period-start")
        self.end = tag(w.DatePicker(description=label("period_end"), style=WIDE), "setting-period-end")
        self.save = tag(w.Button(description="Save settings", button_style="primary", icon="save",
                                 layout=w.Layout(width="auto")), "save")
        self.save_feedback = tag(Feedback(), "save-feedback")
        self.origin = tag(w.HTML(), "settings-origin")
        self.trail = w.HTML()
        self.save.on_click(self.guard(self._save, self.save_feedback))
        # each field with its note beneath it: a problem on saving is shown under the field it concerns
        fields = [widget for part in self.parts for widget in (w.HTML(f"<b>{html.escape(part.heading)}</b>"),
                                                              *map(self._noted, part.widgets))]
        self.widget = w.VBox([
            w.HTML("<h2>Organisation settings</h2><p>What every form and report of this organisation uses: its "
                   "risk methodology, appetite and tolerance, its own assurance providers, where its maturity status "
                   "comes from, and the reporting period. Choose the organisation and period and press "
                   "<i>Open</i>; every save is kept with your name and the time.</p>"),
            self.picker, self.respondent, self.feedback, self.origin, *fields,
            w.HTML("<b>Reporting period</b>"), self._noted(self.start), self._noted(self.end),
            w.HBox([self.save]), self.save_feedback, self.trail])
        self.widget.add_class("wb-settings-form")
        self.refresh()

    def _noted(self, widget: w.Widget) -> w.Widget:
        """``widget`` with a note under it, found by the names a problem may give it: the label the field shows
        and, for a field of one setting (its class ``wb-setting-<name>``), the setting's label."""
        names = [getattr(widget, "description", "")]
        names += [label(c.removeprefix("wb-setting-").replace("-", "_")) for c in widget._dom_classes
                  if c.startswith("wb-setting-") and c.removeprefix("wb-setting-").replace("-", "_") in declared()]
        return self.field_notes.under(widget, *[n for n in names if n], indent=WIDE["description_width"])

    def __getattr__(self, name: str) -> Any:
        """A field of one of the assessments' parts, by its name there (``page.appetite``, ``page.warning``)."""
        for part in self.__dict__.get("parts", []):
            if name in vars(part):
                return vars(part)[name]
        raise AttributeError(name)

    # ---- showing -------------------------------------------------------------------------------------
    def refresh(self, message: str | None = None) -> None:
        org, period = self.picker.value
        if not org or not period:
            self.origin.value = "<p>Choose or type your organisation and the period, then press <i>Open</i>.</p>"
            self.trail.value = ""
            return
        settings = read_settings(self.store, org, period)
        for part in self.parts:
            part.fill(settings.values)
        self.start.value, self.end.value = settings.values.period_start, settings.values.period_end
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
    def values(self) -> Any:
        """The settings as entered; raises FormError naming every problem by its field."""
        problems: list[Problem] = []

        def problem(field: str, value: str, expected: str) -> None:
            problems.append(Problem("", None, field, value, expected))

        entered: dict[str, Any] = {}
        typed: dict[str, str] = {}
        for part in self.parts:
            entered.update(part.read(problem))
            typed.update(part.typed())
        start, end = self.start.value, self.end.value
        if start and end and end < start:
            problem(self.end.description, end.isoformat(), f"a day after the period starts ({start.isoformat()})")
        values = settings_model()(**entered, period_start=start, period_end=end)
        # what each assessment decides of its own settings (appetite and tolerance against the methodology's bands)
        for name, message in setting_problems(values):
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


def _shown(name: str, text: str) -> str:
    """A stored setting's text in words (blank: "not set")."""
    try:
        value = parse_value(name, text)
    except ValueError:
        return text
    return "(not set)" if value in (None, "") else read_as(value, name)


def settings_report(params: SettingsParams) -> HTML:
    """The settings saved for the organisation and period, as a table (outside the app)."""
    if not params.organisation or not params.period:
        return HTML("<p>Name an organisation and a period to list their settings.</p>")
    registry()  # every assessment declares the settings it uses
    with Store(params.store_url, create=False) as store:
        settings = read_settings(store, params.organisation, params.period)
    given = settings.values.given()
    if not given:
        return HTML(f"<p>{html.escape(sentence(settings.origin()))}.</p>")
    frame = pd.DataFrame({"Setting": [label(k) for k in given],
                          "Value": [read_as(v, k) for k, v in given.items()],
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

