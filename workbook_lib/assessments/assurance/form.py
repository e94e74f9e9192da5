"""The combined-assurance form: risk owners and providers record which controls they assure and how often.

One entry is one provider assuring one key control of one risk of the register saved in the store (the risk
register form enters it), with a frequency code, or a key control recorded without a provider. Entries are
saved as ``assurance_entry`` records; removing one withdraws it (the audit trail keeps it). Below them, what
a provider delivered in a quarter is recorded against an entry (``assurance_delivery``: status, finding, date,
corrective action and its due date). After every save or removal the analysis runs again on the
store and the report sections below the form (map, coverage, gaps, duplication, workload, plan) refresh.
"""

from __future__ import annotations

import html
import logging
import traceback
from urllib.parse import urlencode

import ipywidgets as w
import pandas as pd

from workbook_lib.assessments.assurance import run as assurance
from workbook_lib.assessments.assurance.charts import risk_label
from workbook_lib.assessments.assurance.inputs import CombinedAssuranceParams
from workbook_lib.assessments.assurance.model import WHOLE_RISK
from workbook_lib.assessments.assurance.records import DELIVERY, ENTRY
from workbook_lib.assessments.assurance.report import result_tables
from workbook_lib.assessments.assurance.scoring import CLOSED, CombinedAssurance, risk_state
from workbook_lib.assessments.risk.records import RISK
from workbook_lib.core import forms
from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.forms import Sections, StoreForm
from workbook_lib.core.outputs import frame_table
from workbook_lib.core.records import canonical_rows
from workbook_lib.core.store import Method, Store, StoreError
from workbook_lib.core.tables import ROW, Table

log = logging.getLogger("workbook.assurance_form")
KIND = ENTRY.kind
FILE = "assurance form"
NEW = ""  # the entry picker's value for a new entry
NO_PROVIDER = "(none)"  # the provider picker's value for a key control no provider assures
KEY_LIMIT = 200  # the store's key column: risk ID, control and provider together
REGISTER_NOTEBOOK = "risk_evaluation.ipynb"
WIDE = {"description_width": "110px"}
STYLE = ("<style>.wb-entry-table {border-collapse: collapse; margin: 4px 0 8px 0} .wb-entry-table th, "
         ".wb-entry-table td {text-align: left; padding: 3px 12px 3px 0; border-bottom: 1px solid #ddd; "
         "vertical-align: top} .wb-assurance-form a.wb-download {color: #1565c0; text-decoration: underline}"
         "</style>")


class AssuranceForm(StoreForm):
    """Record, per risk of the saved register, which provider assures which control and how often."""
    record_lines = "all"  # an assurance-map entry carries its provider's line

    params: CombinedAssuranceParams

    expects = ("methodology", "appetite", "maturity_status")

    def __init__(self, params: CombinedAssuranceParams, sections: Sections, store: Store | None = None):
        # the framework's providers; the organisation's own are added from its settings when a period is opened
        self.loaded, self.providers = assurance.framework_and_providers(params.model_copy(update={"providers": None}))
        self.fw = self.loaded.framework
        self.method = Method(self.fw.name, self.fw.version, self.loaded.sha256)
        super().__init__(params, sections, store)
        self.by_id = {p.id: p for p in self.providers}
        self.result: CombinedAssurance | None = None
        self.entries: dict[str, dict[str, str]] = {}  # key -> data, every entry saved for the period
        self.delivered: dict[str, dict[str, str]] = {}  # key -> data, every delivery saved for the period
        self.register_ids: list[str] = []
        self.opened: tuple[str, str] = ("", "")
        self._quiet = False  # set while options are rebuilt, so observers do not fire
        self.status = forms.tag(w.HTML(), "status")
        self.download = w.HTML()
        self.risk = forms.tag(w.Dropdown(description="Risk", options=[("(choose a risk)", "")], style=WIDE,
                                         layout=w.Layout(width="640px")), "risk")
        self.risk_info = forms.tag(w.HTML(), "risk-info")
        self.entry_list = forms.tag(w.HTML(), "entries")
        self.entry = forms.tag(w.Dropdown(description="Entry", options=[("(new entry)", NEW)], style=WIDE,
                                          layout=w.Layout(width="640px")), "entry")
        self.remove = forms.tag(w.Button(description="Remove entry", icon="trash", button_style="danger",
                                         disabled=True), "remove")
        self.control = forms.tag(w.Combobox(description="Control", ensure_option=False, style=WIDE,
                                            placeholder=f"a key control of the risk; blank: {WHOLE_RISK}",
                                            layout=w.Layout(width="640px")), "control")
        self.provider = forms.tag(w.Dropdown(description="Provider", style=WIDE, layout=w.Layout(width="640px"),
                                             options=self._provider_options()), "provider")
        self.provider_help = w.HTML(layout=w.Layout(margin="0 0 0 115px"))
        self.frequency = forms.tag(w.Dropdown(
            description="How often", style=WIDE, layout=w.Layout(width="420px"),
            options=[("(none: listed, no activity agreed)", "")]
            + [(f"{f.code} · {f.name}", f.code) for f in self.fw.frequencies]), "frequency")
        self.notes = forms.tag(w.Textarea(description="Notes", style=WIDE, layout=w.Layout(width="640px")),
                               "notes")
        self.save = forms.tag(w.Button(description="Save entry", button_style="primary", icon="save"), "save")
        # assurance delivered in a quarter, against one of the risk's entries
        self.deliveries = forms.tag(w.HTML(), "deliveries")
        self.quarter = forms.tag(w.Dropdown(description="Quarter", options=list(self.fw.delivery.quarters),
                                            style=WIDE), "quarter")
        self.activity = forms.tag(w.Dropdown(description="Activity", options=[("(choose an entry)", "")],
                                             style=WIDE, layout=w.Layout(width="640px")), "activity")
        self.delivery_status = forms.tag(w.Dropdown(description="Status", options=[
            s.name for s in self.fw.delivery.statuses], style=WIDE), "delivery-status")
        self.finding = forms.tag(w.Text(description="Finding", style=WIDE, layout=w.Layout(width="640px")),
                                 "finding")
        self.delivered_on = forms.tag(w.Text(description="Date", placeholder="YYYY-MM-DD", style=WIDE), "date")
        self.action = forms.tag(w.Text(description="Corrective action", style=WIDE, layout=w.Layout(width="640px")),
                                "action")
        self.action_due = forms.tag(w.Text(description="Action due", placeholder="YYYY-MM-DD", style=WIDE),
                                    "action-due")
        self.save_delivery = forms.tag(w.Button(description="Save delivery", button_style="primary", icon="save"),
                                       "save-delivery")
        self.save_delivery.on_click(self.guard(self._save_delivery))

        self.risk.observe(self.guard(self._risk_changed), names="value")
        self.entry.observe(self.guard(self._entry_changed), names="value")
        self.provider.observe(lambda _c: self._describe_provider(), names="value")
        self.save.on_click(self.guard(self._save))
        self.remove.on_click(self.guard(self._remove))

        def f_(widget: w.Widget, *columns: str) -> w.VBox:  # a field with the note that names its problem beneath it
            return self.field_notes.under(widget, *columns, widget.description, indent="115px")

        editor = w.VBox([
            f_(self.risk, "risk_id"), self.risk_info, self.entry_list,  # its heading only when a risk is chosen
            w.HBox([self.entry, self.remove]),
            w.HTML("<b>Add an entry, or change the one chosen above</b>"),
            f_(self.control, "control"), f_(self.provider, "provider"), self.provider_help,
            f_(self.frequency, "frequency"), f_(self.notes, "notes"), self.save,
            w.HTML("<b>Assurance delivered per quarter (against the plan)</b>"), self.deliveries,
            f_(self.quarter, "quarter"), f_(self.activity, "activity"), f_(self.delivery_status, "status"),
            f_(self.finding, "finding"), f_(self.delivered_on, "date"), f_(self.action, "action"),
            f_(self.action_due, "action_due"), self.save_delivery])
        self.widget = w.VBox([
            w.HTML(f"{STYLE}<h2>Combined assurance map</h2><p>Framework <b>{html.escape(self.fw.title)}</b>. "
                   "Choose the organisation and period, say who you are, pick a risk of the register and record which "
                   "provider assures which of its controls and how often. Every save is kept with your name and "
                   "the time; the map, coverage and gaps below update after each save.</p>"),
            self.picker, self.respondent, self.settings_view, self.feedback, self.status, self.download, editor])
        self.widget.add_class("wb-assurance-form")
        self.guard(self.refresh)()

    # ---- labels ----------------------------------------------------------------------------------
    def _provider_options(self) -> list[tuple[str, str]]:
        ordered = sorted(self.providers, key=lambda p: p.line)
        return ([("(choose)", ""), ("(none yet: a key control no provider assures)", NO_PROVIDER)]
                + [(self._provider_label(p.id), p.id) for p in ordered])

    def _provider_label(self, provider_id: str) -> str:
        p = self.by_id.get(provider_id)
        if p is None:
            return provider_id
        return f"Line {p.line} · {p.name}" + (" (independent)" if p.independent else "")

    def _frequency_label(self, code: str) -> str:
        found = next((f for f in self.fw.frequencies if f.code == code), None)
        return f"{found.code} ({found.name})" if found else (code or "none (no activity agreed)")

    def _entry_label(self, data: dict[str, str]) -> str:
        return (f"{data.get('control') or WHOLE_RISK} · {self._provider_label(data.get('provider', ''))} · "
                f"{data.get('frequency') or 'no activity'}")

    def _describe_provider(self) -> None:
        p = self.by_id.get(self.provider.value)
        if p is None:
            self.provider_help.value = ""
            return
        line = self.fw.line(p.line)
        text = f"{line.name}: {line.assurance}." + (f" {p.description}" if p.description else "")
        self.provider_help.value = f'<small style="color:#555">{html.escape(text)}</small>'

    # ---- state -----------------------------------------------------------------------------------
    def analysis(self, params: CombinedAssuranceParams | None = None) -> CombinedAssurance:
        """The analysis of the register and entries saved for the opened organisation and period."""
        return assurance.run_combined_assurance(params or self.params_for(*self.opened))

    def _use_providers(self, params: CombinedAssuranceParams) -> None:
        """The framework's providers and the organisation's own (its settings) in the provider list."""
        self.providers = assurance.providers_for(self.loaded, params)
        self.by_id = {p.id: p for p in self.providers}
        chosen = self.provider.value
        self.provider.options = self._provider_options()
        self.provider.value = chosen if chosen in self.by_id or chosen == NO_PROVIDER else ""

    def refresh(self, message: str | None = None) -> None:
        """Read the opened organisation and period from the store, run the analysis, redraw everything."""
        org, period = self.opened = self.picker.value
        self.result = None
        self.entries, self.register_ids, self.delivered = {}, [], {}
        if org and period:
            self.entries = {r.key: r.data for r in self.store.current(org, period, KIND)}
            self.delivered = {r.key: r.data for r in self.store.current(org, period, DELIVERY.kind)}
            self.register_ids = [r.key for r in self.store.current(org, period, RISK.kind)]
        where = f"{html.escape(org or '(no organisation)')}, {html.escape(period or '(no period)')}"
        params = self.params_for(org, period) if org and period else None
        if params is not None:
            self._use_providers(params)
        if not org or not period:
            self.status.value = "<p>Choose or type an organisation and a period, then press <i>Open</i>.</p>"
            empty = "Choose an organisation and a period."
        elif not self.register_ids:
            link = f"{REGISTER_NOTEBOOK}?{urlencode({'organisation': org, 'period': period})}"
            self.status.value = (
                f'<p class="wb-no-register" style="color:#b71c1c"><b>No risk register is saved for {where}.</b> '
                "The assurance map is recorded against the risks of the register: enter the register first "
                f'with the <a class="wb-register-link" href="{html.escape(link)}">risk register form</a>, then '
                "come back here and press <i>Open</i>.</p>")
            empty = (f"No risk register is saved for {org}, {period}. Combined assurance starts from the risk "
                     "register: enter it first, then record here who assures each risk.")
        elif not params.methodology:
            self.status.value = ('<p class="wb-no-methodology"><b>Choose the risk methodology first</b> on the '
                                 "Settings page (the link above): the register's risks are scored with it to decide "
                                 "which are in scope.</p>")
            empty = f"Nothing to show yet for {org}, {period}: the risk methodology is not set."
        else:
            empty = f"The analysis of {org}, {period} could not be run."
            try:
                self.result = self.analysis(params)
            except Exception as exc:  # noqa: BLE001 - shown in the form, the entries stay editable
                log.error("analysis failed:\n%s", traceback.format_exc())
                self.status.value = self._analysis_error(exc)
            else:
                gaps = len(self.result.gaps)
                self.status.value = (
                    f"<p><b>{len(self.register_ids)} risk(s)</b> in the register for {where}, "
                    f"{len(self.result.in_scope)} in scope; <b>{len(self.entries)} assurance entr"
                    f"{'y' if len(self.entries) == 1 else 'ies'}</b> saved; <b>{gaps} gap(s)</b>.</p>")
        self.download.value = self.excel_download(
            self._plan_first(self.result), f"{org} {period} combined assurance plan.xlsx",
            "Download the Combined Assurance Plan and map (Excel)") if self.result is not None else ""
        self._risk_options()
        self.sections.refresh(self.result, empty=empty)
        if message:
            self.feedback.ok(message)

    def _analysis_error(self, exc: Exception) -> str:
        if isinstance(exc, InputError):
            body = (f"{len(exc.problems)} problem(s) in what is saved:"
                    + exc.to_frame().fillna("").to_html(index=False, escape=True))
        else:
            body = html.escape(f"{type(exc).__name__}: {exc}")
        return (f'<div class="wb-error" style="color:#b71c1c"><b>The assurance analysis could not be run.</b> '
                f"{body} Correct or remove the entries concerned below.</div>")

    @staticmethod
    def _plan_first(result: CombinedAssurance) -> dict[str, pd.DataFrame]:
        """The result's tables for the workbook, the plan and the map first."""
        tables = result_tables(result)
        first = {name: tables.pop(name) for name in ("Assurance plan", "Plan text", "Assurance map")}
        return {**first, **tables}

    def _risk_options(self) -> None:
        """The register's risks, highest residual first, labelled with their level, scope and gap."""
        if self.result is not None:
            options = [(risk_label(r), r.risk_id) for r in self.result.risks.itertuples(index=False)]
        else:
            options = [(rid, rid) for rid in self.register_ids]
        keep = self.risk.value
        self._quiet = True
        try:
            self.risk.options = [("(choose a risk)", "")] + options
            self.risk.value = keep if keep in {v for _l, v in options} else ""
        finally:
            self._quiet = False
        self._show_risk()

    def _risk_entries(self, risk_id: str) -> dict[str, dict[str, str]]:
        return {k: d for k, d in self.entries.items() if d.get("risk_id") == risk_id}

    def _show_risk(self, keep_entry: str = NEW) -> None:
        """The chosen risk's coverage, its entries and the controls already listed for it."""
        rid = self.risk.value
        mine = self._risk_entries(rid) if rid else {}
        self.risk_info.value = self._risk_html(rid) if rid else ""
        if mine:
            frame = pd.DataFrame([{"control": d.get("control") or WHOLE_RISK,
                                   "provider": self._provider_label(d.get("provider", "")),
                                   "frequency": self._frequency_label(d.get("frequency", "")),
                                   "notes": d.get("notes", "")} for d in mine.values()])
            self.entry_list.value = "<b>Entries recorded for this risk</b>" + frame_table(frame, "wb-entry-table")
        else:  # the heading only under a chosen risk (never a heading with nothing under it)
            self.entry_list.value = ("<b>Entries recorded for this risk</b><p><i>No entry yet for this risk.</i></p>"
                                     if rid else "")
        self.control.options = list(dict.fromkeys(d["control"] for d in mine.values() if d.get("control")))
        self._quiet = True
        try:
            self.entry.options = [("(new entry)", NEW)] + [(self._entry_label(d), k) for k, d in mine.items()]
            self.entry.value = keep_entry if keep_entry in mine else NEW
        finally:
            self._quiet = False
        self._load_entry(self.entry.value)
        assured = {k: d for k, d in mine.items() if d.get("provider")}
        self.activity.options = [("(choose an entry)", "")] + [(self._entry_label(d), k) for k, d in assured.items()]
        done = [d for d in self.delivered.values() if d.get("risk_id") == rid] if rid else []
        self.deliveries.value = frame_table(pd.DataFrame([{
            "quarter": d.get("quarter", ""), "control": d.get("control") or WHOLE_RISK,
            "provider": self._provider_label(d.get("provider", "")), "status": d.get("status", ""),
            "finding": d.get("finding", ""), "corrective action": d.get("action", ""),
            "due": d.get("action_due", "")} for d in done]), "wb-entry-table") if done else (
            "<p><i>No delivery recorded for this risk.</i></p>" if rid else "")

    def _risk_html(self, rid: str) -> str:
        if self.result is None:
            return f"<p><b>{html.escape(rid)}</b></p>"
        found = self.result.risks[self.result.risks["risk_id"] == rid]
        if found.empty:
            return f"<p><b>{html.escape(rid)}</b></p>"
        r = found.iloc[0]
        e = html.escape
        score = "" if pd.isna(r["residual_score"]) else f" ({int(r['residual_score'])})"
        level = risk_state(r)
        appetite = r["above_appetite"]
        above = "" if appetite is None or pd.isna(appetite) else (
            ", above appetite" if bool(appetite) else ", within appetite")
        lines = ", ".join(str(n) for n in r["lines"]) or "none"
        description = r.get("description")
        described = isinstance(description, str) and description.strip()
        if described and not description.rstrip().endswith((".", "!", "?")):
            description = description.rstrip() + "."
        parts = [f"<b>{e(rid)}</b>" + (f": {e(description)}" if described else "."),
                 f"{e(level)}." if r.get("status") in CLOSED else f"Residual {e(level)}{score}{above}."]
        if r.get("status") in CLOSED:
            parts.append("Listed in the register, not scored: no coverage is required.")
        elif r["in_scope"]:
            parts.append(f"<b>In scope.</b> Coverage <b class=\"wb-coverage\">{e(str(r['coverage']))}</b> "
                         f"(lines {e(lines)}); required: <b>{e(str(r['required_coverage'] or 'not set'))}</b>.")
            parts.append(f'<span class="wb-gap" style="color:#b71c1c"><b>Gap:</b> {e(str(r["needed"]))}</span>'
                         if r["gap"] else '<span class="wb-no-gap" style="color:#1b5e20">No gap: the coverage '
                                          "meets what this risk requires.</span>")
        else:
            parts.append(f"Out of scope ({e(self.result.scope.label)}): no coverage is required. Coverage "
                         f"<b class=\"wb-coverage\">{e(str(r['coverage']))}</b> (lines {e(lines)}).")
        return '<p style="max-width:900px">' + " ".join(parts) + "</p>"

    def _load_entry(self, key: str) -> None:
        data = self.entries.get(key, {}) if key else {}
        self.control.value = data.get("control", "")
        given = data.get("provider", "")
        self.provider.value = given if given in self.by_id else (NO_PROVIDER if data and not given else "")
        codes = {f.code for f in self.fw.frequencies}
        self.frequency.value = data.get("frequency", "") if data.get("frequency", "") in codes else ""
        self.notes.value = data.get("notes", "")
        self.remove.disabled = not data
        self.save.description = "Save changes" if data else "Save entry"

    # ---- callbacks -------------------------------------------------------------------------------
    def _risk_changed(self, _change: dict) -> None:
        if self._quiet:
            return
        self._show_risk()
        self.feedback.clear()

    def _entry_changed(self, change: dict) -> None:
        if self._quiet:
            return
        self._load_entry(change["new"])
        self.feedback.clear()

    def _where(self) -> tuple[str, str]:
        """The opened organisation and period, which every save goes to."""
        org, period = self.opened_for_save(self.opened)
        if not self.register_ids:
            raise StoreError(f"no risk register is saved for {org}, {period}: enter it with the risk register "
                             "form first")
        return org, period

    def row(self) -> dict[str, str]:
        control = self.control.value.strip()
        provider = "" if self.provider.value == NO_PROVIDER else self.provider.value
        return {"risk_id": self.risk.value, "control": "" if control == WHOLE_RISK else control,
                "provider": provider, "frequency": self.frequency.value,
                "notes": self.notes.value.strip()}

    def _save(self, _button=None) -> None:
        org, period = self._where()
        author = self.respondent.author()
        row = self.row()
        problems = []
        if not row["risk_id"]:
            problems.append(Problem(FILE, None, "risk_id", "", "a risk: choose one from the register"))
        if not row["provider"] and self.provider.value != NO_PROVIDER:
            problems.append(Problem(FILE, None, "provider", "", "an assurance provider: choose one (or none yet, "
                                                                "for a key control no provider assures)"))
        if problems:
            raise InputError(problems)
        table = Table(FILE, pd.DataFrame([{ROW: 1, **row}], dtype=object), header_row=0)
        try:
            key, data = next(iter(canonical_rows(KIND, table, (self.providers, self.fw.frequencies)).items()))
        except InputError as exc:
            raise forms.problems_without_rows(exc) from None
        if row["risk_id"] not in self.register_ids:
            problems.append(Problem(FILE, None, "risk_id", row["risk_id"], "a risk of the register"))
        if len(key) > KEY_LIMIT:
            problems.append(Problem(FILE, None, "control", row["control"][:60] + "…",
                                    f"a shorter control name (risk, control and provider together at most "
                                    f"{KEY_LIMIT} characters)"))
        editing = self.entry.value
        if key in self.entries and key != editing:
            problems.append(Problem(FILE, None, "provider", row["provider"],
                                    "another provider or control: this provider already assures this control of "
                                    f"{row['risk_id']}; choose that entry under Entry to change it"))
        if problems:
            raise InputError(problems)
        changes: dict[str, dict[str, str] | None] = {key: data}
        if editing and editing != key:
            changes[editing] = None  # the chosen entry now names another control or provider: it is replaced
        result = self.store.save(org, period, KIND, changes, author, self.method, source="form")
        self.refresh()
        self.control.value = data["control"]  # ready for another provider of the same control
        who = self.by_id[data["provider"]].name if data["provider"] else "no provider yet"
        what = f"{data['risk_id']} / {data['control'] or WHOLE_RISK} / {who}"
        self.feedback.ok(f"Saved {what}: {result.summary()}.")

    def _remove(self, _button=None) -> None:
        org, period = self._where()
        key = self.entry.value
        if not key or key not in self.entries:
            raise StoreError("choose the entry to remove under Entry")
        author = self.respondent.author()
        data = self.entries[key]
        result = self.store.save(org, period, KIND, {key: None}, author, self.method, source="form")
        self.refresh()
        self.feedback.ok(f"Removed {data['risk_id']} / {data.get('control') or WHOLE_RISK} / "
                         f"{self._provider_label(data['provider'])}: {result.summary()}. "
                         "The audit trail keeps what it was and who removed it.")

    def _save_delivery(self, _button=None) -> None:
        """Save what the chosen entry's provider delivered in the chosen quarter (one record per quarter and entry)."""
        org, period = self._where()
        author = self.respondent.author()
        entry = self.entries.get(self.activity.value)
        if entry is None:
            raise InputError([Problem(FILE, None, "activity", "", "an entry of this risk that names a provider")])
        row = {"quarter": self.quarter.value, "risk_id": entry["risk_id"], "control": entry.get("control", ""),
               "provider": entry["provider"], "status": self.delivery_status.value,
               "finding": self.finding.value.strip(), "date": self.delivered_on.value.strip(),
               "action": self.action.value.strip(), "action_due": self.action_due.value.strip()}
        table = Table(FILE, pd.DataFrame([{ROW: 1, **row}], dtype=object), header_row=0)
        try:
            changes = canonical_rows(DELIVERY.kind, table, (self.providers, self.fw.frequencies, self.fw))
        except InputError as exc:
            raise forms.problems_without_rows(exc) from None
        result = self.store.save(org, period, DELIVERY.kind, changes, author, self.method, source="form")
        self.refresh()
        self.feedback.ok(f"Saved {row['quarter']} {row['risk_id']} / {row['control'] or WHOLE_RISK} / "
                         f"{self.by_id[row['provider']].name}: {row['status']} ({result.summary()}).")
