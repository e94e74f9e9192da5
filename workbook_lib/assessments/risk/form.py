"""The risk register form: list, add and edit risks, import a register, download it; results refresh on save."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import ipywidgets as w
import pandas as pd
import yaml
from pydantic import ValidationError

from workbook_lib.assessments.risk.headings import fold, plain
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.assessments.risk.interpret import IGNORE, skipped_lines
from workbook_lib.assessments.risk.methodology import load_methodology
from workbook_lib.assessments.risk.records import RISK, RegisterContext
from workbook_lib.assessments.risk.register import column_spec, validate_register
from workbook_lib.assessments.risk.report import result_tables
from workbook_lib.assessments.risk.run import applied_tier, run_risk_evaluation
from workbook_lib.assessments.risk.scoring import RiskEvaluation
from workbook_lib.assessments.risk.tiers import Tier, tier_for, tiers
from workbook_lib.core import forms, tables
from workbook_lib.core.due import panel
from workbook_lib.core.errors import InputError, Problem, cut
from workbook_lib.core.forms import RatingPicker, Sections, StoreForm
from workbook_lib.core.outputs import html_table
from workbook_lib.core.params import ParameterError
from workbook_lib.core.records import read_for_kind, rows_from_table, save_table
from workbook_lib.core.store import Method, Store, StoreError
from workbook_lib.core.tables import ROW, Table

NEW = "(new risk)"
TEXT_FIELDS = [("risk_id", "Risk ID"), ("description", "Description"), ("category", "Category"),
               ("owner", "Risk owner"), ("group", "Group / activity"), ("controls", "Existing controls"),
               ("treatment_owner", "Treatment owner"), ("actions", "Actions"), ("due_date", "Action due"),
               ("review_date", "Next review"), ("progress", "Progress")]
LONG_TEXT = {"description", "controls", "actions"}
# the fields a tier's register keeps besides the form's own (data/tiers.yaml): label, and whether it is long text
TIER_FIELDS = {"objective": ("Objective", False), "kpi": ("Key performance indicator", False),
               "root_causes_internal": ("Root causes (internal)", True),
               "root_causes_external": ("Root causes (external)", True), "consequence": ("Consequence", True),
               "monitoring": ("Ongoing monitoring", True), "appetite_statement": ("Appetite for this risk", False)}
# a quantified tier's ranges (risk intelligent; read as numbers by risk/quantities.py): label, hint
CHANCE_HINT, MONEY_HINT = "a percentage, e.g. 30%", "an amount of money, e.g. 250 000"
RANGES_BEFORE = {"annual_probability": ("Chance a year", CHANCE_HINT), "impact_low": ("Impact low (money)", MONEY_HINT),
                 "impact_high": ("Impact high (money)", MONEY_HINT)}
RANGES_AFTER = {"residual_annual_probability": ("Residual chance a year", CHANCE_HINT),
                "residual_impact_low": ("Residual impact low (money)", MONEY_HINT),
                "residual_impact_high": ("Residual impact high (money)", MONEY_HINT)}
NOT_SIMULATED = ("Losses in money are not simulated yet: no risk has both a chance a year and an impact in money. "
                 "Give the risks their chance a year and their impact low and high (money), before and after "
                 "controls.")
# a direct methodology (the fragmented register): the inherent and residual risk rated on its levels
DIRECT_LEVELS = {"stated_inherent_level": "Inherent rating", "stated_residual_level": "Residual rating"}
# the reading settings of the parameters file that the import step may set, in words (the order shown)
READING = {"sheet": "sheet", "header_row": "header row", "skip_rows": "rows to skip",
           "keep_rows": "rows to read anyway", "columns": "columns", "ratings": "ratings",
           "impact_money": "money impact", "response_words": "response words", "status_words": "status words",
           "rounding": "rounding", "date_order": "date order", "level_words": "level words"}
MERGED = {"columns", "ratings", "response_words", "status_words", "level_words"}  # a fix adds to these key by key
MAX_ROW = 1_048_576  # a spreadsheet's last row
MAX_LISTED_ROWS = 10_000  # the most row numbers one field may name
STYLE = ("<style>.wb-risk-form .wb-fix.jupyter-button {white-space: normal; height: auto; line-height: 1.4; "
         "padding: 4px 10px; text-align: left; overflow: visible} .wb-field-note {color: #b71c1c} "
         ".wb-settings-yaml textarea {width: 640px; font-family: monospace}</style>")


class ImportFeedback(forms.Feedback):
    """The check's result beside the import buttons, as the top of the page shows it, under its own class (the
    page's one .wb-error stays at the top)."""

    def error(self, exc: BaseException) -> None:
        super().error(exc)
        self.value = self.value.replace('class="wb-error"', 'class="wb-import-error"', 1)


class FixRefused(ValueError):
    """A reading setting (a suggested fix, or what was chosen in the form) the parameters file would not accept."""


def parse_rows(text: str) -> tuple[int, ...]:
    """Row numbers as the spreadsheet shows them, typed as "12, 14-16" -> (12, 14, 15, 16); ValueError in words."""
    rows: set[int] = set()
    for part in re.split(r"[,;\s]+", re.sub(r"\s*[-\u2013\u2014]\s*", "-", text.strip())):
        found = re.fullmatch(r"(\d{1,7})(?:-(\d{1,7}))?", part)
        if not part:
            continue
        if not found:
            raise ValueError(f"{cut(part, 40)!r} is not a row number; write row numbers such as 12, 14-16")
        first, last = int(found[1]), int(found[2] or found[1])
        if not 1 <= first <= last <= MAX_ROW:
            raise ValueError(f"{part} is not a row or a range of rows: rows run from 1 to {MAX_ROW:,}, and a range "
                             "goes from the lower number to the higher, e.g. 14-16")
        rows.update(range(first, last + 1))
        if len(rows) > MAX_LISTED_ROWS:
            raise ValueError(f"at most {MAX_LISTED_ROWS:,} rows; name fewer")
    return tuple(sorted(rows))


def parse_header_row(text: str) -> int | None:
    """The header's row number typed in the form; None when left empty (the reader finds the header)."""
    text = text.strip()
    if not text:
        return None
    if not re.fullmatch(r"\d{1,7}", text) or not 1 <= int(text) <= MAX_ROW:
        raise ValueError(f"{cut(text, 40)!r} is not a row number; give one such as 4, or leave it empty for the "
                         "header to be found in the file")
    return int(text)


def row_ranges(rows: list[int] | tuple[int, ...]) -> str:
    """Row numbers in short: [12, 13, 14, 16] -> "12-14, 16"."""
    spans: list[list[int]] = []
    for row in sorted(set(rows)):
        if spans and row == spans[-1][1] + 1:
            spans[-1][1] = row
        else:
            spans.append([row, row])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _amount(value: Any) -> str:
    return f"{value:,.0f}" if isinstance(value, int | float) and float(value).is_integer() else str(value)


def value_words(key: str, value: Any) -> str:
    """A reading setting's value in words: rows in ranges, columns by what they hold, mappings as "Alta = 4"."""
    if key in ("skip_rows", "keep_rows"):
        return row_ranges(value)
    if key == "columns":
        return ", ".join(f"{h} not imported" if c == IGNORE else f"{h} read as {plain(c)}" for h, c in value.items())
    if key == "impact_money" and isinstance(value, dict):
        bounds = " / ".join(_amount(b) for b in value.get("upper_bounds") or [])
        return ", ".join(x for x in (value.get("currency") or "", f"levels up to {bounds}" if bounds else "") if x)
    if key == "rounding":
        return {"up": "round up", "nearest": "to the nearest level"}.get(value, str(value))
    if key == "date_order":
        return str(value).replace("-", " ")
    if isinstance(value, dict):  # per axis ("likelihood: H = 4, L = 2; impact: ...") or flat ("H = 4, L = 2")
        nested = any(isinstance(v, dict) for v in value.values())
        return ("; " if nested else ", ").join(
            f"{k}: {value_words('', v)}" if isinstance(v, dict) else f"{k} = {value_words('', v)}"
            for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(value_words("", v) for v in value)
    return _amount(value)


def choices_in_words(choices: dict[str, Any]) -> str:
    """The reading choices in force, as a phrase: "sheet Register, header on row 4, rows 12-14 skipped"."""
    parts = []
    for key in [k for k in READING if k in choices]:
        value = choices[key]
        if key == "sheet":
            parts.append(f"sheet {value}")
        elif key == "header_row":
            parts.append(f"header on row {value}")
        elif key in ("skip_rows", "keep_rows"):
            parts.append(f"{'rows' if len(value) > 1 else 'row'} {row_ranges(value)} "
                         f"{'skipped' if key == 'skip_rows' else 'read as risks'}")
        else:
            parts.append(f"{READING[key]}: {value_words(key, value)}")
    return ", ".join(parts)


def settings_yaml(choices: dict[str, Any]) -> str:
    """The reading choices as lines of the parameters file, one line each ("columns: {Current_Status: status}")."""
    def whole(value: Any) -> Any:  # 42000.0 as 42000
        if isinstance(value, dict):
            return {k: whole(v) for k, v in value.items()}
        if isinstance(value, list):
            return [whole(v) for v in value]
        return int(value) if isinstance(value, float) and value.is_integer() else value

    def line(key: str, value: Any) -> str:
        flow = isinstance(value, dict | list)
        text = yaml.safe_dump(whole(value) if flow else {key: value}, default_flow_style=flow, sort_keys=False,
                              allow_unicode=True, width=10**6).strip()
        return f"{key}: {text}" if flow else text

    return "".join(line(k, choices[k]) + "\n" for k in READING if k in choices)


def reading_params(params: RiskEvaluationParams, choices: dict[str, Any]) -> RiskEvaluationParams:
    """The parameters with the reading ``choices`` in force, checked as the parameters file's are (FixRefused, in
    words, when the file would not accept them)."""
    if not choices:
        return params
    unknown = [k for k in choices if k not in READING]
    if unknown:
        raise FixRefused(f"{cut(', '.join(map(str, unknown)), 80)} is not a reading setting; the form sets only "
                         f"the {', '.join(READING.values())}")
    try:
        return type(params).model_validate({**params.model_dump(by_alias=True), **choices})
    except ValidationError as exc:
        err = exc.errors()[0]
        what = READING.get(str(err["loc"][0]), str(err["loc"][0])) if err["loc"] else "the setting"
        raise FixRefused(f"the parameters file would not accept this {what} "
                         f"({cut(err['msg'].removeprefix('Value error, '), 200)})") from None


def merge_fix(choices: dict[str, Any], fix: str, params: RiskEvaluationParams) -> dict[str, Any]:
    """``choices`` with the parameters entry ``fix`` (YAML flow text, "columns: {Current_Status: status}") merged in:
    mappings key by key, anything else replaced. The result is checked as the parameters file is, and given back
    as the file would hold it; FixRefused, in words, for anything the file would not accept."""
    try:
        entry = yaml.safe_load(fix)
    except yaml.YAMLError:
        raise FixRefused("the suggested setting is not a setting the parameters file can hold") from None
    if not isinstance(entry, dict) or not entry:
        raise FixRefused("the suggested setting is not one entry of the parameters file, such as sheet: Register")
    merged = dict(choices)
    for key, value in entry.items():
        old = merged.get(key)
        merged[key] = {**old, **value} if key in MERGED and isinstance(old, dict) and isinstance(value, dict) \
            else value
    checked = reading_params(params, merged)
    return checked.model_dump(include=set(merged), exclude_none=True)


def fix_words(fix: str) -> str:
    """A suggested fix in words for its button ("sheet: Register", "header row: 4"); the text as given when it
    cannot be read."""
    try:
        entry = yaml.safe_load(fix)
    except yaml.YAMLError:
        entry = None
    if not isinstance(entry, dict) or not all(k in READING for k in entry):
        return cut(fix, 120)
    return "; ".join(f"{READING[k]}: {value_words(k, v)}" for k, v in entry.items())


def form_tier(params: RiskEvaluationParams) -> tuple[Tier, str]:
    """The tier of the organisation's maturity status for the period, resolved as the run resolves it (the setting
    or parameter, else scored from the period's maturity marks), and the line the form shows about it."""
    status, scored = params.maturity_status, False
    if not status:
        from workbook_lib.assessments.maturity.run import maturity_of  # only when the status is not set

        try:
            status, scored = maturity_of(params), True
        except InputError:  # marks that cannot be scored give no status (the maturity form names their problems)
            status = None
    tier, known = tier_for(status)
    head = f"Fields of the {tier.label.lower()} register (the provincial guide's {tier.register_table})"
    if known:
        how = "scored from this period's maturity marks" if scored else "set for this period"
        return tier, f"{head}: the maturity status {how} is {tier.label.lower()}"
    if status:
        names = ", ".join(t.label.lower() for t in tiers().tiers)
        return tier, f"{head}: the maturity status {status!r} is not one of {names}"
    return tier, f"{head}: no maturity status is set for this period"


def entry_sections(tier: Tier, m: Any) -> list[tuple[str, list[str]]]:
    """The editor's sections and, in each, the columns it asks for, in order: the form's own fields, the tier's
    (its register's fields, data/tiers.yaml; a quantified tier's ranges) and, with a direct methodology, the
    inherent and residual rating on its levels instead of likelihood and impact."""
    keeps = set(tier.fields)
    direct = bool(getattr(m, "direct", False))
    current = m.rating_stage == "current"

    def kept(*names: str) -> list[str]:
        return [n for n in names if n not in TIER_FIELDS or n in keeps]

    before = ["stated_inherent_level"] if direct else ["inherent_likelihood", "inherent_impact"]
    after = ["stated_residual_level"] if direct else ["residual_likelihood", "residual_impact"]
    sections = [
        ("", ["risk_id", *kept("objective", "kpi"), "description", "category", "owner", "group", "status"]),
        ("Causes and consequence", kept("root_causes_internal", "root_causes_external", "consequence")),
        ("Current rating (with the controls in place)" if current else "Before controls",
         [*before, *(RANGES_BEFORE if tier.quantify else [])]),
        ("Controls", ["controls", "control_effectiveness", *kept("monitoring")]),
        ("After controls (residual)", [] if current else [*after, *(RANGES_AFTER if tier.quantify else [])]),
        ("Appetite", kept("appetite_statement")),
        ("Treatment", ["response", "treatment_owner", "actions", "due_date", "review_date", "progress"])]
    return [(title, names) for title, names in sections if names]


def entry_fields(tier: Tier, m: Any) -> list[str]:
    """The columns the editor asks for (see :func:`entry_sections`), in the form's order."""
    return [name for _title, names in entry_sections(tier, m) for name in names]


class RiskRegisterForm(StoreForm):
    """Enter and review an organisation's risk register for a period, saved to the store."""

    params: RiskEvaluationParams

    expects = ("methodology", "appetite")

    def __init__(self, params: RiskEvaluationParams, sections: Sections, store: Store | None = None):
        super().__init__(params, sections, store)
        self.loaded: Any = None  # the methodology of the organisation's settings; None: not chosen yet
        self._methodology_ref = ""
        self.m: Any = None
        self.actions_panel: Any = None  # the treatment actions tab (decisions package), built with the editor
        self.tier: Tier | None = None  # the tier whose fields the editor asks for (the maturity status's)
        self.tier_note = forms.tag(w.HTML(), "tier")  # which tier's fields, and why
        self.listing = w.HTML()
        self.download = w.HTML()
        self.choices: dict[str, Any] = {}  # the import's reading choices, as parameters file entries
        self._choosers: dict[str, w.Dropdown] = {}
        self._import_name = ""
        self._quiet = False  # the sheet list being refilled: not a choice
        self._pending: Any = None  # a checked import waiting for confirmation
        self.body = w.VBox()  # the editor and the importer, built for the methodology in the settings
        self.widget = w.VBox([w.HTML(STYLE + "<h2>Risk register</h2>"), self.picker, self.respondent,
                              self.settings_view, self.feedback, self.listing, self.download, self.body])
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
        tier, line = form_tier(params)
        self.tier_note.value = f'<p class="wb-tier-line">{html.escape(line)}.</p>'
        if self.loaded is not None and ref == self._methodology_ref and self.tier == tier:
            return  # the same methodology and tier: the editor stays as it is (and keeps what is typed)
        loaded = load_methodology(ref) if ref != self._methodology_ref or self.loaded is None else self.loaded
        self._methodology_ref, self.loaded, self.m, self.tier = ref, loaded, loaded.methodology, tier
        self.method = Method(self.m.name, self.m.version, self.loaded.sha256)
        self._build_editor()

    def _build_editor(self) -> None:
        self.choose = forms.tag(w.Dropdown(description="Edit", options=[NEW]), "choose")
        sections = entry_sections(self.tier, self.m)
        asked = {name for _title, names in sections for name in names}
        texts = [(n, label, n in LONG_TEXT, "YYYY-MM-DD" if n.endswith("_date") else "") for n, label in TEXT_FIELDS]
        texts += [(n, label, long, "") for n, (label, long) in TIER_FIELDS.items()]
        texts += [(n, label, False, hint) for n, (label, hint) in {**RANGES_BEFORE, **RANGES_AFTER}.items()]
        self.fields: dict[str, w.Widget] = {}
        for name, label, long, hint in texts:
            if name not in asked:
                continue
            cls = w.Textarea if long else w.Text
            widget = cls(description=label, placeholder=hint, style={"description_width": "140px"},
                         layout=w.Layout(width="640px" if long or name in TIER_FIELDS or name in dict(TEXT_FIELDS)
                                         else "420px"))
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
        if self.m.direct:  # rated on the methodology's levels (High, Medium, Low), highest first as the guide lists
            levels = [(lv.label, lv.description) for lv in reversed(self.m.levels)]
            self.ratings = {name: RatingPicker(label, levels, name.replace("_", "-"), numbered=False)
                            for name, label in DIRECT_LEVELS.items() if name in asked}
        else:
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
        self.import_feedback = forms.tag(ImportFeedback(), "import-feedback")  # the check's problems, in the tab
        self.fixes = forms.tag(w.VBox(), "fixes")  # a button per fix the check suggests
        self.fix_note = forms.tag(w.HTML(), "fix-note")  # why a fix pressed was not used
        self.reading = w.VBox()  # how the checked file was read, and the user's choices per column
        self._build_reading_choices()
        self.choose.observe(self.guard(self._load_risk), names="value")
        self.save.on_click(self.guard(self._save, self.save_feedback))
        self.add_another.on_click(self.guard(self._add_another, self.save_feedback))
        self.check.on_click(self.guard(self._check_import, self.import_feedback))
        self.confirm_import.on_click(self.guard(self._save_import, self.import_feedback))

        def f_(name: str) -> w.Widget:  # a field with the note beneath it that names its problem on saving
            widget = self.fields.get(name) or self.ratings.get(name) or getattr(self, name)
            label = widget.dropdown.description if isinstance(widget, RatingPicker) else widget.description
            return self.field_notes.under(widget, name, label)

        editor = w.VBox([
            self.choose,
            *(part for title, names in sections
              for part in ([w.HTML(f"<b>{html.escape(title)}</b>")] if title else []) + [f_(n) for n in names]),
            w.HBox([self.save, self.add_another]), self.save_feedback])
        importer = w.VBox([w.HTML("Import a register (CSV or Excel): it is checked first and nothing is saved "
                                  "until you confirm a valid file."),
                           w.HBox([self.upload, self.check, self.confirm_import]), self.import_feedback,
                           self.fixes, self.reading, self.reading_box, self.import_report])
        # each risk's treatment actions (Template 3), kept by the decisions package: its panel, where installed
        self.actions_panel = panel("treatment-actions", self)
        tabs = w.Tab([editor, importer, *([self.actions_panel.widget] if self.actions_panel else [])])
        tabs.set_title(0, "Add or edit a risk")
        tabs.set_title(1, "Import a register")
        if self.actions_panel:
            tabs.set_title(2, "Treatment actions")
        self.body.children = [w.HTML(f"<p>Ratings use <b>{html.escape(self.m.title)}</b>. Choose the organisation "
                                     "and period, say who you are, then add or edit risks. Every save is kept "
                                     "with your name and the time.</p>"), self.tier_note, tabs]
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

    def _risk_names(self, current: dict[str, dict[str, str]] | None = None) -> dict[str, str]:
        """The saved risks (``current``, else read), ID -> description, in ID order (what the treatment actions tab
        offers)."""
        current = self._current() if current is None else current
        return {rid: str(data.get("description", "")) for rid, data in sorted(current.items())}

    def evaluation(self) -> RiskEvaluation:
        """The evaluated register saved for the chosen organisation and period, with the organisation's settings
        (call when there is one)."""
        return self._evaluated(self._params(*self.picker.value))

    def _evaluated(self, params: RiskEvaluationParams) -> RiskEvaluation:
        """The evaluated register; for a quantified tier whose risks cannot be simulated yet (no risk has a chance a
        year and a money impact), the register evaluated without the losses in money, saying so, rather than no
        evaluation at all (the saved risks are there; the run refuses the same register until they have them)."""
        try:
            return run_risk_evaluation(params)
        except ParameterError:
            if self.tier is None or not self.tier.quantify:
                raise
            plain_tier = next((t for t in tiers().tiers if not t.quantify), None)
            if plain_tier is None:
                raise
            try:  # the same register, not simulated: if this fails too, the problem was not the simulation
                ev = run_risk_evaluation(params.model_copy(update={"maturity_status": plain_tier.status}))
            except (ParameterError, InputError):
                raise
        ev.tier = applied_tier(params, SimpleNamespace(frame=ev.risks))  # type: ignore[arg-type]
        ev.warnings.append(NOT_SIMULATED)
        return ev

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
            ev = self._evaluated(params) if current else None
        if ev is not None:
            shown = ev.risks[["risk_id", "description", "owner", "inherent_level", "residual_score",
                              "residual_level", "above_appetite"]]
            # in a reader's words: human headings, Yes/No, nothing shown for a missing value
            self.listing.value = (f"<p><b>{len(current)} risk(s)</b> saved for {html.escape(org)}, "
                                  f"{html.escape(period)}.</p>"
                                  f'<div class="wb-risk-list">{html_table(shown).data}</div>')
            if NOT_SIMULATED in ev.warnings:
                self.listing.value += f'<p class="wb-not-simulated">{html.escape(NOT_SIMULATED)}</p>'
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
        if self.actions_panel:
            self.actions_panel.refresh(self._risk_names(current))
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
        if self.actions_panel and data:
            self.actions_panel.refresh(self._risk_names(), change["new"])  # its actions, on their tab
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
        self.refuse_if_read_only(org, period)
        author = self.respondent.author()
        row = self.row()
        editing = self.choose.value != NEW
        if editing:  # what the saved risk holds that this form does not ask for (another tier's fields) is kept
            saved = self._current().get(self.choose.value, {})
            row = {**{k: v for k, v in saved.items() if k not in row}, **row}
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

    def _build_reading_choices(self) -> None:
        """The import's reading choices: the sheet, the header row, rows to skip or read anyway, what is in force."""
        def wide() -> dict[str, Any]:  # a layout each: hiding the sheet list hides nothing else
            return {"style": {"description_width": "160px"}, "layout": w.Layout(width="420px")}

        self.sheet = forms.tag(w.Dropdown(description="Sheet", options=[], **wide()), "sheet")
        self.sheet.observe(self.guard(self._sheet_chosen, self.import_feedback), names="value")
        self.row_fields = {
            "header_row": forms.tag(w.Text(description="Header row", placeholder="found in the file", **wide()),
                                    "header-row"),
            "skip_rows": forms.tag(w.Text(description="Rows to skip", placeholder="e.g. 12, 14-16", **wide()),
                                   "skip-rows"),
            "keep_rows": forms.tag(w.Text(description="Rows to read anyway", placeholder="e.g. 9", **wide()),
                                   "keep-rows")}
        self.row_notes = {name: forms.tag(w.HTML(), "field-note") for name in self.row_fields}
        self.recheck = forms.tag(w.Button(description="Check again with these choices", icon="refresh",
                                          layout=w.Layout(width="auto", align_self="flex-start")), "recheck")
        self.recheck.on_click(self.guard(self._check_again, self.import_feedback))
        self.in_force = forms.tag(w.HTML(), "in-force")
        self.settings_copy = forms.tag(w.HTML(), "settings-yaml")
        self.reading_box = forms.tag(w.VBox(
            [w.HTML("<p><b>Reading choices</b>: the sheet, the row of the headings, and rows that are not risks "
                    "(row numbers as the spreadsheet shows them).</p>"), self.sheet,
             *(w.HBox([field, self.row_notes[name]]) for name, field in self.row_fields.items()), self.recheck,
             self.in_force, self.settings_copy], layout=w.Layout(display="none")), "reading-choices")

    def _check_import(self, _button=None) -> None:
        """Check the uploaded file: a new file with the suite's own reading, the same one with the choices made."""
        upload = self._upload()
        name = Path(upload["name"]).name  # never a path from the browser
        if name != self._import_name:  # a new file starts from the suite's own reading
            self._import_name, self.choices = name, {}
            self._choosers = {}
        elif not self._take_typed():
            return
        self._check()

    def _check_again(self, _button=None) -> None:
        self._check_import()

    def _upload(self) -> dict[str, Any]:
        if not self.upload.value:
            self._pending = None
            self.confirm_import.disabled = True
            raise StoreError("choose a CSV or Excel file first")
        return self.upload.value[0]

    def _take_typed(self) -> bool:
        """The header row, the rows and each column's "read as" into the choices; False when a field is not
        understood (said beside it)."""
        typed: dict[str, Any] = {}
        for key, field in self.row_fields.items():
            try:
                typed[key] = (parse_header_row if key == "header_row" else parse_rows)(field.value)
                self.row_notes[key].value = ""
            except ValueError as exc:
                self.row_notes[key].value = f'<span class="wb-field-note">{html.escape(str(exc))}</span>'
        if len(typed) < len(self.row_fields):
            for feedback in (self.feedback, self.import_feedback):
                feedback.info("<b>Not checked:</b> correct the field marked beside it, then check again.")
            return False
        columns = dict(self.choices.get("columns", {}))
        for heading, chooser in self._choosers.items():
            if chooser.value:
                columns[heading] = chooser.value
            else:
                columns.pop(heading, None)
        typed["columns"] = columns
        shown = self.sheet.value if len(self.sheet.options) > 1 else None
        if shown and shown != self.sheet.options[0] and "sheet" not in self.choices:
            typed["sheet"] = shown  # the sheet the reader found: the other choices are for it
        for key, value in typed.items():  # nothing chosen: the key goes (the suite's own reading)
            if value in (None, (), {}):
                self.choices.pop(key, None)
            else:
                self.choices[key] = list(value) if isinstance(value, tuple) else value
        return True

    def _sheet_chosen(self, change: dict) -> None:
        if self._quiet or not change["new"] or change["new"] == self.choices.get("sheet"):
            return
        if self._take_typed():
            self.choices["sheet"] = change["new"]
            self._check()

    def _use_fix(self, fix: str) -> None:
        """Merge a suggested fix into the reading choices and check again (refused in words if the parameters file
        would not accept it)."""
        if Path(self._upload()["name"]).name != self._import_name:  # another file chosen since: check it
            self._check_import()
            return
        if not self._take_typed():
            return
        try:
            self.choices = merge_fix(self.choices, fix, self.params)
        except FixRefused as exc:
            self.fix_note.value = f'<span class="wb-field-note">Not used: {html.escape(str(exc))}.</span>'
            self.fixes.children = [*(c for c in self.fixes.children if c is not self.fix_note), self.fix_note]
            return
        self._check()

    def _check(self) -> None:
        """Read and check the uploaded file with the choices in force; the problems are raised for the feedback."""
        self._pending = None
        self.confirm_import.disabled = True
        self.fixes.children = []
        upload = self._upload()
        name = self._import_name
        try:
            options = reading_params(self.params, self.choices).read_options()
        except FixRefused as exc:  # a choice the parameters file would not take: said, nothing read
            for feedback in (self.feedback, self.import_feedback):
                feedback.info(f"<b>Not checked:</b> {html.escape(str(exc))}.")
            return
        self._show_choices()
        context = RegisterContext(self.loaded, list(self.params.partner_roles), options)
        with forms.uploaded_file(upload) as path:  # removed however this ends (a killed kernel's by the next)
            try:
                table = read_for_kind(path, RISK, sheet=self.choices.get("sheet"), context=context)
                table.file = name
                table.problems = [replace(p, file=name) for p in table.problems]
                validate_register(table, self.m, self.params.partner_roles, options)
            except InputError as exc:
                notes = list(getattr(exc, "notes", []))
                self._offer_sheets(path, notes, exc)
                self._show_reading(name, exc.readings, exc.skipped, notes)
                problems = [replace(p, file=name) for p in exc.problems]
                self._offer_fixes(problems)
                raise InputError(problems) from None
            notes = list(getattr(table, "notes", []))
            self._offer_sheets(path, notes)
        rows = rows_from_table(table, RISK)
        current = self._current()
        status = ["new" if k not in current else "unchanged" if current[k] == v else "changed"
                  for k, v in rows.items()]
        preview = pd.DataFrame({"Risk ID": list(rows), "Description": [v.get("description", "") for v in
                                                                          rows.values()], "In the store": status})
        self._show_reading(name, table.readings, table.skipped, notes)
        self.import_report.value = (f"<p><b>{html.escape(name)} is valid:</b> {status.count('new')} new, "
                                    f"{status.count('changed')} changed, {status.count('unchanged')} unchanged. "
                                    "Nothing is saved until you press <i>Save imported risks</i>.</p>"
                                    + preview.to_html(index=False, escape=True))
        self._pending = (name, table)
        self.confirm_import.disabled = False
        message = "File checked: review how it was read and the table below, then save."
        self.feedback.info(message)
        self.import_feedback.info(message)

    def _offer_sheets(self, path: Path, notes: list[str], refused: InputError | None = None) -> None:
        """A sheet list when the workbook has more than one sheet (none for a workbook refused as a whole), showing
        the sheet chosen, else the one the reader's notes say it read, else the first."""
        names: list[str] = []
        if path.suffix.lower() in {".xlsx", ".xlsm"}:
            helper = getattr(tables, "sheet_names", None)
            whole = refused is not None and all(p.row is None and p.column is None and p.value == ""
                                                for p in refused.problems)
            try:
                if helper is not None:
                    names = list(helper(path))
                elif not whole:  # calamine only sees a workbook the reader has checked
                    from python_calamine import CalamineWorkbook  # lazy: only for .xlsx files

                    names = list(CalamineWorkbook.from_path(str(path)).sheet_names)
            except Exception:  # noqa: BLE001 - a workbook that cannot be listed offers no choice of sheet
                names = []
        self._quiet = True
        try:
            self.sheet.options = names
            read = [n for n in names if any(f"sheet {n!r}" in note for note in notes)]
            chosen = self.choices.get("sheet")
            self.sheet.value = chosen if chosen in names else (read or names or [None])[0]
        finally:
            self._quiet = False
        self.sheet.layout.display = "" if len(names) > 1 else "none"

    def _offer_fixes(self, problems: list[Problem]) -> None:
        """A button per fix the check suggests (each once); a fix the parameters file would refuse is said, not
        offered."""
        rows: list[w.Widget] = []
        refused: list[str] = []
        for fix in dict.fromkeys(p.fix for p in problems if p.fix):
            try:
                if merge_fix(self.choices, fix, self.params) == self.choices:
                    continue  # in force already
            except FixRefused as exc:
                refused.append(f"{fix_words(fix)}: {exc}")
                continue
            button = forms.tag(w.Button(description=f"Use: {fix_words(fix)}", icon="magic",
                                        layout=w.Layout(width="auto", max_width="640px", align_self="flex-start")),
                               "fix")
            button.on_click(self.guard(lambda _b, fix=fix: self._use_fix(fix), self.import_feedback))
            rows.append(button)
        if refused:
            rows.append(w.HTML("<p>Suggested but not offered (the parameters file would not accept them):</p><ul>"
                               + "".join(f"<li>{html.escape(r)}</li>" for r in refused) + "</ul>"))
        if rows:
            rows.insert(0, w.HTML("<p><b>To read the file right</b>, use a suggested setting (the file is then "
                                  "checked again):</p>"))
        self.fixes.children = rows

    def _show_choices(self) -> None:
        """The fields, the choices in force in words, and the same as lines for the parameters file."""
        for key, field in self.row_fields.items():
            value = self.choices.get(key)
            field.value = "" if value is None else str(value) if key == "header_row" else row_ranges(value)
            self.row_notes[key].value = ""
        self.reading_box.layout.display = ""
        if not self.choices:
            self.in_force.value = "<p>Reading with the suite's own choices.</p>"
            self.settings_copy.value = ""
            return
        text = settings_yaml(self.choices)
        rows = min(sum(1 + len(line) // 80 for line in text.splitlines()) + 1, 14)  # wrapped lines too
        self.in_force.value = f"<p><b>Reading with:</b> {html.escape(choices_in_words(self.choices))}</p>"
        self.settings_copy.value = (
            '<label style="display:block;margin-top:6px">Copy these settings to the parameters file (to read the '
            f'file the same way in a batch run):</label><textarea readonly rows="{rows}">'
            f"{html.escape(text)}</textarea>")

    def _show_reading(self, name: str, readings: list, skipped: list, notes: list[str] | None = None) -> None:
        """How the file (its sheet) and each column were read, with a choice per column to read it otherwise."""
        self.import_report.value = ""
        if not readings:
            self.reading.children = []
            self._choosers = {}
            return
        choices = [("as read above", "")] + [("not imported (ignore)", IGNORE)] + [
            (plain(c), c) for c in column_spec().columns]
        chosen = self.choices.get("columns", {})
        self._choosers = {}
        rows = []
        for r in readings:
            chooser = forms.tag(w.Dropdown(options=choices, value=chosen.get(r.heading, "")
                                           if chosen.get(r.heading, "") in {v for _k, v in choices} else "",
                                           layout=w.Layout(width="240px")), "read-as")
            self._choosers[r.heading] = chooser
            read_as = plain(r.meaning) if r.meaning else ("not imported" if r.how.startswith("ignored")
                                                           else "kept as written")
            how = r.how + (f"; values: {r.style}" if r.style and r.style != "empty" else "")
            rows.append(w.HBox([w.HTML(f"<b>{html.escape(r.letter)}</b> {html.escape(r.heading)} &rarr; "
                                       f"{html.escape(read_as)} <small>({html.escape(how)})</small>",
                                       layout=w.Layout(width="620px")), chooser]))
        skipped_html = "".join(f"<li>Skipped {html.escape(line)}</li>" for line in skipped_lines(skipped))
        tip = " A skipped row that is a risk: give its number under <i>Rows to read anyway</i>." if skipped else ""
        said = "".join(f"<p>{html.escape(name)}: {html.escape(note)}</p>" for note in notes or [])
        self.reading.children = [w.HTML(f"{said}<p><b>How {html.escape(name)} was read</b>: your heading &rarr; what "
                                        f"it holds. To read a column otherwise, choose it on the right and check "
                                        f"again.{tip}</p>" + (f"<ul>{skipped_html}</ul>" if skipped_html else "")),
                                 *rows]

    def _save_import(self, _button=None) -> None:
        if self._pending is None:
            raise StoreError("check a file before saving it")
        org, period = self.picker.value
        if not org or not period:
            raise StoreError("choose or type an organisation and a period before importing")
        self.refuse_if_read_only(org, period)
        name, table = self._pending
        result = save_table(self.store, org, period, RISK, table, self.respondent.author(), self.method,
                            source="import")
        self._pending = None
        self.confirm_import.disabled = True
        self.import_report.value = ""
        self.reading.children = []
        self.fixes.children = []
        self._choosers = {}
        self.import_feedback.clear()
        self.refresh(f"Imported {name}: {result.summary()}.")
