"""The risk register form: list, add and edit risks, import a register, download it; results refresh on save."""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from workbook_lib.assessments.risk.headings import fold, plain
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.assessments.risk.interpret import IGNORE, skipped_lines
from workbook_lib.assessments.risk.methodology import load_methodology
from workbook_lib.assessments.risk.records import RISK, RegisterContext
from workbook_lib.assessments.risk.register import column_spec, validate_register
from workbook_lib.assessments.risk.report import result_tables
from workbook_lib.assessments.risk.run import run_risk_evaluation
from workbook_lib.assessments.risk.scoring import RiskEvaluation
from workbook_lib.core import forms
from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.forms import RatingPicker, Sections, StoreForm
from workbook_lib.core.outputs import html_table
from workbook_lib.core.records import read_for_kind, rows_from_table, save_table
from workbook_lib.core.store import Method, Store, StoreError
from workbook_lib.core.tables import ROW, Table

NEW = "(new risk)"
TEXT_FIELDS = [("risk_id", "Risk ID"), ("description", "Description"), ("category", "Category"),
               ("owner", "Risk owner"), ("group", "Group / activity"), ("controls", "Existing controls"),
               ("treatment_owner", "Treatment owner"), ("actions", "Actions"), ("due_date", "Action due"),
               ("review_date", "Next review"), ("progress", "Progress")]
LONG_TEXT = {"description", "controls", "actions"}


class RiskRegisterForm(StoreForm):
    """Enter and review an organisation's risk register for a period, saved to the store."""

    params: RiskEvaluationParams

    expects = ("methodology", "appetite")

    def __init__(self, params: RiskEvaluationParams, sections: Sections, store: Store | None = None):
        super().__init__(params, sections, store)
        self.loaded: Any = None  # the methodology of the organisation's settings; None: not chosen yet
        self._methodology_ref = ""
        self.m: Any = None
        self.listing = w.HTML()
        self.download = w.HTML()
        self.column_choices: dict[str, str] = {}
        self._choosers: dict[str, w.Dropdown] = {}
        self._import_name = ""
        self._pending: Any = None  # a checked import waiting for confirmation
        self.body = w.VBox()  # the editor and the importer, built for the methodology in the settings
        self.widget = w.VBox([w.HTML("<h2>Risk register</h2>"), self.picker, self.respondent, self.settings_view,
                              self.feedback, self.listing, self.download, self.body])
        self.widget.add_class("wb-risk-form")
        self.refresh()

    def _use_methodology(self, params: RiskEvaluationParams) -> None:
        """Build the editor for the methodology the settings name (again only when it changed)."""
        if not params.methodology:
            self.loaded = self.m = None
            self.body.children = [w.HTML(
                '<p class="wb-no-methodology"><b>Choose the risk methodology first.</b> Risks are rated on its '
                "scales: set it on the Settings page (the link above), then come back to this page.</p>")]
            return
        ref = str(params.methodology_ref())
        if self.loaded is not None and ref == self._methodology_ref:
            return  # the same methodology: the editor stays as it is (and keeps what is typed)
        loaded = load_methodology(ref)
        self._methodology_ref, self.loaded, self.m = ref, loaded, loaded.methodology
        self.method = Method(self.m.name, self.m.version, self.loaded.sha256)
        self._build_editor()

    def _build_editor(self) -> None:
        self.choose = forms.tag(w.Dropdown(description="Edit", options=[NEW]), "choose")
        self.fields: dict[str, w.Widget] = {}
        for name, label in TEXT_FIELDS:
            cls = w.Textarea if name in LONG_TEXT else w.Text
            widget = cls(description=label, style={"description_width": "140px"}, layout=w.Layout(width="640px"))
            if name.endswith("_date"):
                widget.placeholder = "YYYY-MM-DD"
            self.fields[name] = forms.tag(widget, name.replace("_", "-"))
        if self.m.impact_categories:
            self.fields["category"] = forms.tag(w.Combobox(
                description="Category", options=list(self.m.impact_categories), ensure_option=False,
                style={"description_width": "140px"}, layout=w.Layout(width="640px")), "category")
        likelihood = [(lv.label, lv.description) for lv in self.m.likelihood]
        impact = [(iv.label, iv.description or "; ".join(f"{k}: {v}" for k, v in iv.categories.items()))
                  for iv in self.m.impact]
        current = self.m.rating_stage == "current"  # one current rating per risk: no before/after
        first = "Current" if current else "Inherent"
        self.ratings = {
            "inherent_likelihood": RatingPicker(f"{first} likelihood", likelihood, "inherent-likelihood"),
            "inherent_impact": RatingPicker(f"{first} impact", impact, "inherent-impact"),
            "residual_likelihood": RatingPicker("Residual likelihood", likelihood, "residual-likelihood"),
            "residual_impact": RatingPicker("Residual impact", impact, "residual-impact"),
        }
        if self.m.control_effectiveness:
            self.ratings["control_effectiveness"] = RatingPicker(
                "Control effectiveness", [(c.label, c.description or f"{c.factor:.0%} of the inherent score remains")
                                          for c in self.m.control_effectiveness], "control-effectiveness",
                numbered=False)
        else:
            self.fields["control_effectiveness"] = w.Text(description="Control effectiveness",
                                                          style={"description_width": "140px"})
        responses = list(column_spec().responses)
        self.response = forms.tag(w.Dropdown(description="Response", options=[("(none)", "")] + [
            (r.capitalize(), r) for r in responses], style={"description_width": "140px"}), "response")
        self.status = forms.tag(w.Dropdown(description="Status", options=[
            (word.capitalize(), word) for word in column_spec().statuses], value="open",
            style={"description_width": "140px"}), "status")
        self.save = forms.tag(w.Button(description="Save risk", button_style="primary", icon="save"), "save")
        # the result of a save, where the user clicked; after a new risk is saved, a way to add the next one
        self.save_feedback = forms.tag(forms.Feedback(), "save-feedback")
        self.add_another = forms.tag(w.Button(description="Add another risk", icon="plus",
                                              layout=w.Layout(display="none", width="auto")), "add-another")
        self.upload = forms.tag(w.FileUpload(accept=".csv,.xlsx", multiple=False, description="Choose file"),
                                "upload")
        self.check = forms.tag(w.Button(description="Check file", icon="check"), "check")
        self.confirm_import = forms.tag(w.Button(description="Save imported risks", disabled=True,
                                                 button_style="warning", layout=w.Layout(width="auto")),
                                        "confirm-import")
        self.import_report = w.HTML()
        self.reading = w.VBox()  # how the checked file was read, and the user's choices per column
        self.recheck = forms.tag(w.Button(description="Check again with these choices", icon="refresh",
                                         layout=w.Layout(width="auto")), "recheck")
        self.choose.observe(self.guard(self._load_risk), names="value")
        self.save.on_click(self.guard(self._save, self.save_feedback))
        self.add_another.on_click(self.guard(self._add_another, self.save_feedback))
        self.check.on_click(self.guard(self._check_import))
        self.confirm_import.on_click(self.guard(self._save_import))
        self.recheck.on_click(self.guard(self._check_again))

        f = self.fields
        editor = w.VBox([
            self.choose, f["risk_id"], f["description"], f["category"], f["owner"], f["group"], self.status,
            w.HTML("<b>Current rating (with the controls in place)</b>" if current else "<b>Before controls</b>"),
            self.ratings["inherent_likelihood"], self.ratings["inherent_impact"],
            w.HTML("<b>Controls</b>"), f["controls"],
            self.ratings.get("control_effectiveness") or f["control_effectiveness"],
            *([] if current else [w.HTML("<b>After controls (residual)</b>"), self.ratings["residual_likelihood"],
                                  self.ratings["residual_impact"]]),
            w.HTML("<b>Treatment</b>"), self.response, f["treatment_owner"], f["actions"], f["due_date"],
            f["review_date"], f["progress"], w.HBox([self.save, self.add_another]), self.save_feedback])
        importer = w.VBox([w.HTML("Import a register (CSV or Excel): it is checked first and nothing is saved "
                                  "until you confirm a valid file."),
                           w.HBox([self.upload, self.check, self.confirm_import]), self.reading,
                           self.import_report])
        tabs = w.Tab([editor, importer])
        tabs.set_title(0, "Add or edit a risk")
        tabs.set_title(1, "Import a register")
        self.body.children = [w.HTML(f"<p>Ratings use <b>{html.escape(self.m.title)}</b>. Choose the organisation "
                                     "and period, say who you are, then add or edit risks. Every save is kept "
                                     "with your name and the time.</p>"), tabs]
        # each field's label as the form shows it, in the form's order: what a problem on saving is called
        self.labels = {name: widget.description for name, widget in
                       [*self.fields.items(), *((n, p.dropdown) for n, p in self.ratings.items()),
                        ("response", self.response), ("status", self.status)]}
        self.labels = {name: self.labels[name] for name in [*column_spec().columns, *self.labels]
                       if name in self.labels}

    def on_open(self) -> None:
        """Show the chosen organisation and period's register, ready for a new risk."""
        if self.m is not None:
            self.choose.value = NEW
        self.refresh()

    # ---- state -----------------------------------------------------------------------------------
    def _current(self) -> dict[str, dict[str, str]]:
        org, period = self.picker.value
        if not org or not period:
            return {}
        return {r.key: r.data for r in self.store.current(org, period, RISK.kind)}

    def evaluation(self) -> RiskEvaluation:
        """The evaluated register saved for the chosen organisation and period, with the organisation's settings
        (call when there is one)."""
        return run_risk_evaluation(self._params(*self.picker.value))

    def _params(self, organisation: str, period: str) -> RiskEvaluationParams:
        """The parameters for the chosen organisation and period: earlier periods come from the store only (the
        notebook's earlier files and renamed IDs are its example organisation's)."""
        return self.params_for(organisation, period, earlier=[], renamed_ids={})

    def refresh(self, message: str | None = None) -> None:
        org, period = self.picker.value
        self.listing.value = self.download.value = ""
        if not org or not period:
            self.settings_view.value = ""
            self.loaded = self.m = None
            self.body.children = [w.HTML("<p>Choose or type your organisation and the period, then press "
                                         "<i>Open</i>.</p>")]
            self.sections.refresh(None, empty="Choose an organisation and a period, then press Open.")
            return
        params = self._params(org, period)
        self._use_methodology(params)
        current = self._current()
        ev = None
        if self.m is not None:
            self.choose.options = [NEW] + sorted(current)
            ev = run_risk_evaluation(params) if current else None
        if ev is not None:
            shown = ev.risks[["risk_id", "description", "owner", "inherent_level", "residual_score",
                              "residual_level", "above_appetite"]]
            # in a reader's words: human headings, Yes/No, nothing shown for a missing value
            self.listing.value = (f"<p><b>{len(current)} risk(s)</b> saved for {html.escape(org)}, "
                                  f"{html.escape(period)}.</p>"
                                  f'<div class="wb-risk-list">{html_table(shown).data}</div>')
            # the evaluated register (scores, levels, decision makers), as the report's Excel workbook
            self.download.value = self.excel_download(result_tables(ev), f"{org} {period} risk register.xlsx",
                                                      "Download the evaluated register (Excel)")
            empty = ""
        elif self.m is None:
            empty = (f"Nothing to show yet for {org}, {period}: choose the risk methodology on the Settings page, "
                     "then add risks here.")
        else:
            self.listing.value = (f"<p>No risks saved yet for {html.escape(org)}, {html.escape(period)}. Add the "
                                  "first one below, or import your register (second tab).</p>")
            empty = (f"No risks saved yet for {org}, {period}. The evaluation (heat maps, appetite, decision makers) "
                     "appears here once the first risk is saved.")
        self.sections.refresh(ev, empty=empty)
        if message:
            self.feedback.ok(message)

    # ---- callbacks -------------------------------------------------------------------------------
    def _load_risk(self, change: dict) -> None:
        data = self._current().get(change["new"], {}) if change["new"] != NEW else {}
        for name, widget in self.fields.items():
            widget.value = str(data.get(name, ""))
        for name, picker in self.ratings.items():
            picker.value = data.get(name, "")
        self.response.value = data.get("response", "") if data.get("response", "") in \
            {v for _k, v in self.response.options} else ""
        words = column_spec().statuses_for(self.params.read_options())
        self.status.value = words.get(fold(data.get("status", "")), "open")
        self.fields["risk_id"].disabled = bool(data)  # a saved risk keeps its ID
        self.feedback.clear()
        self.save_feedback.clear()
        self.add_another.layout.display = "none"

    def row(self) -> dict[str, str]:
        row = {name: str(widget.value).strip() for name, widget in self.fields.items()}
        row.update({name: picker.value for name, picker in self.ratings.items()})
        row["response"] = self.response.value
        row["status"] = self.status.value
        return row

    def _save(self, _button=None) -> None:
        org, period = self.picker.value
        if not org or not period:
            raise StoreError("choose or type an organisation and a period before saving")
        author = self.respondent.author()
        row = self.row()
        editing = self.choose.value != NEW
        if not editing and row["risk_id"] in self._current():
            raise forms.FormError([Problem("", None, self.labels["risk_id"], row["risk_id"],
                                           "a new risk ID; this one exists: choose it under Edit to change it")])
        table = Table("risk form", pd.DataFrame([{ROW: 1, **row}], dtype=object), header_row=0)
        try:
            validate_register(table, self.m, self.params.partner_roles, self.params.read_options())
        except InputError as exc:
            raise forms.form_problems(exc, self.labels) from None
        result = self.store.save(org, period, RISK.kind, {row["risk_id"]: row}, author, self.method, source="form")
        self.refresh()
        self.choose.value = row["risk_id"]  # keep editing the saved risk
        message = f"Saved {row['risk_id']}: {result.summary()}."
        self.feedback.ok(message)
        self.save_feedback.ok(message)  # beside the button the user pressed
        self.add_another.layout.display = "none" if editing else ""

    def _add_another(self, _button=None) -> None:
        """Clear the fields for a new risk."""
        if self.choose.value != NEW:
            self.choose.value = NEW  # loads the empty risk
        else:
            self._load_risk({"new": NEW})

    def _check_import(self, _button=None) -> None:
        self._pending = None
        self.confirm_import.disabled = True
        if not self.upload.value:
            raise StoreError("choose a CSV or Excel file first")
        upload = self.upload.value[0]
        name = Path(upload["name"]).name  # never a path from the browser
        if name != self._import_name:  # a new file starts from the suite's own reading
            self._import_name, self.column_choices = name, {}
        options = self.params.read_options()
        options = replace(options, columns={**options.columns, **self.column_choices})
        context = RegisterContext(self.loaded, list(self.params.partner_roles), options)
        with forms.uploaded_file(upload) as path:  # removed however this ends (a killed kernel's by the next)
            try:
                table = read_for_kind(path, RISK, context=context)
                table.file = name
                table.problems = [replace(p, file=name) for p in table.problems]
                validate_register(table, self.m, self.params.partner_roles, options)
            except InputError as exc:
                self._show_reading(name, exc.readings, exc.skipped)
                raise InputError([replace(p, file=name) for p in exc.problems]) from None
        rows = rows_from_table(table, RISK)
        current = self._current()
        status = ["new" if k not in current else "unchanged" if current[k] == v else "changed"
                  for k, v in rows.items()]
        preview = pd.DataFrame({"Risk ID": list(rows), "Description": [v.get("description", "") for v in
                                                                          rows.values()], "In the store": status})
        self._show_reading(name, table.readings, table.skipped)
        self.import_report.value = (f"<p><b>{html.escape(name)} is valid:</b> {status.count('new')} new, "
                                    f"{status.count('changed')} changed, {status.count('unchanged')} unchanged. "
                                    "Nothing is saved until you press <i>Save imported risks</i>.</p>"
                                    + preview.to_html(index=False, escape=True))
        self._pending = (name, table)
        self.confirm_import.disabled = False
        self.feedback.info("File checked: review how it was read and the table below, then save.")

    def _show_reading(self, name: str, readings: list, skipped: list) -> None:
        """How each column of the file was read, with a choice per column to read it otherwise."""
        self.import_report.value = ""
        if not readings:
            self.reading.children = []
            return
        choices = [("as read above", "")] + [("not imported (ignore)", IGNORE)] + [
            (plain(c), c) for c in column_spec().columns]
        self._choosers = {}
        rows = []
        for r in readings:
            chooser = forms.tag(w.Dropdown(options=choices, value=self.column_choices.get(r.heading, ""),
                                           layout=w.Layout(width="240px")), "read-as")
            self._choosers[r.heading] = chooser
            read_as = plain(r.meaning) if r.meaning else ("not imported" if r.how.startswith("ignored")
                                                           else "kept as written")
            how = r.how + (f"; values: {r.style}" if r.style and r.style != "empty" else "")
            rows.append(w.HBox([w.HTML(f"<b>{html.escape(r.letter)}</b> {html.escape(r.heading)} &rarr; "
                                       f"{html.escape(read_as)} <small>({html.escape(how)})</small>",
                                       layout=w.Layout(width="620px")), chooser]))
        skipped_html = "".join(f"<li>Skipped {html.escape(line)}</li>" for line in skipped_lines(skipped))
        self.reading.children = [w.HTML(f"<p><b>How {html.escape(name)} was read</b>: your heading &rarr; what it "
                                        f"holds. To read a column otherwise, choose it on the right and check "
                                        f"again.</p>" + (f"<ul>{skipped_html}</ul>" if skipped_html else "")),
                                 *rows, self.recheck]

    def _check_again(self, _button=None) -> None:
        self.column_choices = {h: c.value for h, c in self._choosers.items() if c.value}
        self._check_import()

    def _save_import(self, _button=None) -> None:
        if self._pending is None:
            raise StoreError("check a file before saving it")
        org, period = self.picker.value
        if not org or not period:
            raise StoreError("choose or type an organisation and a period before importing")
        name, table = self._pending
        result = save_table(self.store, org, period, RISK, table, self.respondent.author(), self.method,
                            source="import")
        self._pending = None
        self.confirm_import.disabled = True
        self.import_report.value = ""
        self.reading.children = []
        self.refresh(f"Imported {name}: {result.summary()}.")
