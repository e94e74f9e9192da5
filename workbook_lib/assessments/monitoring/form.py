"""The risk-monitoring form: a risk officer enters the period's reading of each tolerance metric (or imports a file
of readings, each period's rows saved under their own period) and sees at once which metrics are within, near or
outside tolerance, the ratings to revisit and the escalations (the report sections below the form).

Readings are saved as ``metric_reading`` records (one per metric and period, with the name of who entered them);
clearing a saved value withdraws that reading (the audit trail keeps it).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from workbook_lib.assessments.monitoring.catalogue import LoadedCatalogue, Metric, load_loaded_catalogue
from workbook_lib.assessments.monitoring.inputs import MonitoringParams, states
from workbook_lib.assessments.monitoring.readings import EXAMPLES, READINGS_COLUMNS, Readings, validate_readings
from workbook_lib.assessments.monitoring.records import KRI_LINK, READING, kri_row, kris_of, stored_rows
from workbook_lib.assessments.monitoring.report import result_tables
from workbook_lib.assessments.monitoring.run import run_monitoring, stored_kris
from workbook_lib.assessments.monitoring.scoring import MonitoringResult
from workbook_lib.core import forms
from workbook_lib.core.datafiles import normalise_label
from workbook_lib.core.errors import InputError
from workbook_lib.core.forms import Sections, StoreForm
from workbook_lib.core.store import Method, Store, StoreError
from workbook_lib.core.tables import ROW, Table, read_table

log = logging.getLogger("workbook.monitoring_form")
KIND = READING.kind
FILE = "readings form"
STYLE = ("<style>.wb-monitoring-form .wb-metric-name {line-height: 1.25} .wb-state {display: inline-block; "
         "padding: 1px 6px; border-radius: 3px; color: #fff; font-size: 12px} .wb-risk-type {margin: 10px 0 2px 0}"
         " .wb-monitoring-form a.wb-download {color: #1565c0; text-decoration: underline}</style>")


class MetricRow(w.HBox):
    """One metric's line: its name and tolerance, the reading, where it comes from, a note, and its state."""

    def __init__(self, metric: Metric, tolerance: str):
        self.metric = metric
        name = w.HTML(f'<div class="wb-metric-name"><b>{html.escape(metric.name)}</b><br><small>Tolerance: '
                      f"{html.escape(tolerance)}</small></div>", layout=w.Layout(width="330px"))
        # a hint in words ("e.g. 12%"), never a bare figure that reads as a reading already entered
        example = EXAMPLES[metric.unit].split(" or ")[0]
        self.value = forms.tag(w.Text(placeholder=example if example.startswith("a ") else f"e.g. {example}",
                                      layout=w.Layout(width="110px", min_width="110px")), "reading")
        self.value.add_class(f"wb-reading-{metric.id}")
        # where it comes from and a note share the room left on the line (at 1,280 px and wider)
        self.source = w.Text(placeholder="source", layout=w.Layout(flex="1 1 220px", min_width="160px"))
        self.note = w.Text(placeholder="note", layout=w.Layout(flex="1 1 260px", min_width="160px"))
        self.state = forms.tag(w.HTML(layout=w.Layout(width="170px", min_width="170px")), "metric-state")
        self.state.add_class(f"wb-state-{metric.id}")
        name.layout.min_width = "330px"
        super().__init__([name, self.value, self.source, self.note, self.state], layout=w.Layout(width="100%"))

    def set(self, data: dict[str, str]) -> None:
        self.value.value, self.source.value, self.note.value = (data.get(k, "") for k in ("value", "source", "note"))

    def show_state(self, state: str | None, better: bool = False) -> None:
        """The reading's state as a coloured badge (the reading itself is in the field beside it); a reading beyond
        its range on the favourable side says it is better than the range."""
        if state is None:
            self.state.value = ""
            return
        look = states().states[state]
        label = f"{look.label} (better than the range)" if better else look.label
        self.state.value = (f'<span class="wb-state" data-state="{state}" style="background:{look.colour}">'
                            f"{html.escape(label)}</span>")


class LinkRow(w.HBox):
    """One metric's key risk indicator links: the risk IDs and the risk categories it informs."""

    def __init__(self, metric: Metric):
        self.metric = metric
        name = w.HTML(f"<b>{html.escape(metric.name)}</b>", layout=w.Layout(width="330px"))
        self.risks = forms.tag(w.Text(placeholder="risk IDs of your register, separated by commas",
                                      layout=w.Layout(width="330px")), "kri-risks")
        self.risks.add_class(f"wb-kri-risks-{metric.id}")
        self.categories = forms.tag(w.Text(placeholder="categories, separated by ;", layout=w.Layout(width="300px")),
                                    "kri-categories")
        super().__init__([name, self.risks, self.categories])

    def set(self, data: dict[str, str]) -> None:
        self.risks.value, self.categories.value = data.get("risks", ""), data.get("categories", "")


class MonitoringForm(StoreForm):
    """Enter or import the readings of the tolerance metrics for an organisation and period."""

    params: MonitoringParams
    expects = ("methodology",)

    def __init__(self, params: MonitoringParams, sections: Sections, store: Store | None = None):
        self.loaded: LoadedCatalogue = load_loaded_catalogue(params.catalogue_ref())
        prov = self.loaded.provenance()
        self.method = Method(prov["name"], prov["version"] or None, prov["sha256"])
        super().__init__(params, sections, store)
        self.catalogue = self.loaded.catalogue
        self.result: MonitoringResult | None = None
        self.saved: dict[str, dict[str, str]] = {}
        self.opened: tuple[str, str] = ("", "")
        self.status = forms.tag(w.HTML(), "status")
        self.download = w.HTML()
        self.rows = {m.id: MetricRow(m, m.range.describe()) for m in self.catalogue.metrics}
        self.date = forms.tag(w.DatePicker(description="Readings as at", style={"description_width": "110px"}),
                              "as-at")
        self.save = forms.tag(w.Button(description="Save readings", button_style="primary", icon="save",
                                           layout=w.Layout(width="auto")), "save")
        self.save_feedback = forms.Feedback()
        self.upload = forms.tag(w.FileUpload(accept=".csv,.xlsx", multiple=False, description="Choose file"),
                                "upload")
        self.import_button = forms.tag(w.Button(description="Import readings", icon="upload",
                                                layout=w.Layout(width="auto")), "import")
        self.save.on_click(self.guard(self._save, self.save_feedback))
        self.import_button.on_click(self.guard(self._import))
        self.links = {m.id: LinkRow(m) for m in self.catalogue.metrics}
        self.links_note = forms.tag(w.HTML(), "kri-note")
        self.save_links = forms.tag(w.Button(description="Save key risk indicators", icon="link",
                                              layout=w.Layout(width="auto")), "save-links")
        self.links_feedback = forms.Feedback()
        self.link_notes = forms.FieldNotes()  # a link's problem under its metric's links
        self.save_links.on_click(self.guard(self._save_links, self.links_feedback, notes=self.link_notes))
        self.saved_links: dict[str, dict[str, str]] = {}
        grid: list[w.Widget] = []
        for risk_type in self.catalogue.risk_types:
            grid.append(w.HTML(f'<h4 class="wb-risk-type">{html.escape(risk_type)}</h4>'))
            for m in (m for m in self.catalogue.metrics if m.risk_type == risk_type):
                grid += [self.rows[m.id], self.field_notes.note(m.name, indent="330px")]  # its problem beneath it
        self.widget = w.VBox([
            w.HTML(f"{STYLE}<h2>Risk monitoring: readings of the tolerance metrics</h2><p>Choose the organisation "
                   "and period and say who you are. Enter each metric's reading for the period as you would write "
                   "it (12%, 1.6 : 1, 92 days, 0), with where it comes from; leave a metric blank if it has not "
                   "been measured: it is listed as missing, never taken as within tolerance. Or import a file of "
                   "readings (columns Metric, Period, Value; optional Date, Source, Note): each period's rows are "
                   f"saved under their own period. Metrics and tolerances: {html.escape(self.catalogue.title)}.</p>"),
            self.picker, self.respondent, self.settings_view, self.feedback, self.status, self.download,
            w.HTML("<b>Import a file of readings</b>"), w.HBox([self.upload, self.import_button]),
            w.HTML("<b>Readings for the period</b>"), self.date, *grid,
            w.HBox([self.save, self.save_feedback]),
            w.HTML("<h3>Key risk indicators</h3><p>Which risks of the register each metric informs: their risk IDs, "
                   "or whole risk categories. A risk linked to a metric outside tolerance is listed with its rating; "
                   "one rated in the lowest band is flagged as a rating to revisit.</p>"), self.links_note,
            *(x for m_id, row in self.links.items() for x in (row, self.link_notes.note(row.metric.name,
                                                                                      indent="330px"))),
            w.HBox([self.save_links, self.links_feedback])])
        self.widget.add_class("wb-monitoring-form")
        self.guard(self.refresh)()

    # ---- state -----------------------------------------------------------------------------------
    def refresh(self, message: str | None = None) -> None:
        """Read the opened organisation and period, run the monitoring, redraw the readings and the sections."""
        org, period = self.opened = self.picker.value
        self.result = None
        self.saved = {r.key: r.data for r in self.store.current(org, period, KIND)} if org and period else {}
        for metric_id, row in self.rows.items():
            row.set(self.saved.get(metric_id, {}))
            row.show_state(None)
        self._load_links(org, period)
        dates = {d.get("date") for d in self.saved.values() if d.get("date")}
        self.date.value = dt.date.fromisoformat(dates.pop()) if len(dates) == 1 else None
        empty = "Choose an organisation and a period."
        if org and period:
            params = self.params_for(org, period, kris=[])  # the organisation's links, never the example's
            empty = f"No readings are saved for {org}, {period} or an earlier period yet: enter them above."
            try:
                self.result = run_monitoring(params) if self._any_readings(org) else None
            except Exception as exc:  # noqa: BLE001 - shown in the form; the readings stay editable
                log.error("monitoring failed:\n%s", traceback.format_exc())
                self.status.value = (f'<div class="wb-error" style="color:#b71c1c"><b>The monitoring could not be '
                                     f"run.</b> {html.escape(str(exc))}</div>")
        self._show_result(org, period)
        self.sections.refresh(self.result, empty=empty)
        if message:
            self.feedback.ok(message)

    def _load_links(self, org: str, period: str) -> None:
        """The KRI links saved for the period, or carried over from the latest earlier period that has some."""
        self.saved_links, shown, note = {}, {}, ""
        if org and period:
            self.saved_links = {r.key: r.data for r in self.store.current(org, period, KRI_LINK.kind)}
            shown = self.saved_links
            if not shown:
                probe = self.params.model_copy(update={"organisation": org, "period": period,
                                                       "store_url": self.store.url})
                kris, earlier = stored_kris(probe, self.loaded)
                shown = {k.metric: kri_row(k) for k in kris}
                note = (f"<p><i>No links saved for {html.escape(period)}: these are {html.escape(earlier)}'s. Save "
                        "them to keep them for this period.</i></p>" if earlier else
                        "<p><i>No key risk indicators are saved yet for this organisation.</i></p>")
        for metric_id, row in self.links.items():
            row.set(shown.get(metric_id, {}))
        self.links_note.value = note

    def _any_readings(self, org: str) -> bool:
        return any(self.store.current(org, p, KIND) for p in self.store.periods(org) if p <= self.opened[1])

    def _show_result(self, org: str, period: str) -> None:
        r = self.result
        if r is None:
            self.download.value = ""
            if org and period and not self.status.value.startswith('<div class="wb-error"'):
                self.status.value = f"<p>{len(self.saved)} reading(s) saved for {html.escape(org)}, " \
                                    f"{html.escape(period)}.</p>"
            return
        for metric, state, better in zip(r.states["metric"], r.states["state"], r.states["better"], strict=True):
            self.rows[metric].show_state(state, bool(better))
        counts = ", ".join(f"{r.count(s)} {states().label(s).lower()}" for s in ("outside", "near", "within"))
        self.status.value = (f"<p><b>{len(self.saved)} of {len(self.rows)} metrics read</b> for "
                             f"{html.escape(org)}, {html.escape(period)}: {html.escape(counts)}; "
                             f"{r.count('missing')} without a reading.</p>")
        self.download.value = self.excel_download(result_tables(r), f"{org} {period} risk monitoring.xlsx",
                                                  "Download the monitoring results (Excel)")

    # ---- saving ----------------------------------------------------------------------------------
    def _typed(self, period: str, who: str) -> tuple[Table, dict[int, str], list[str]]:
        """The readings typed into the form as a table (a row per metric with a value), the metric each row is,
        and the metrics whose saved reading was cleared."""
        date = self.date.value.isoformat() if self.date.value else ""
        records, names, cleared = [], {}, []
        for number, (metric_id, row) in enumerate(self.rows.items(), start=1):
            if not row.value.value.strip():
                if metric_id in self.saved:
                    cleared.append(metric_id)
                continue
            records.append({ROW: number, "metric": metric_id, "period": period, "value": row.value.value.strip(),
                            "date": date, "source": row.source.value.strip(), "note": row.note.value.strip(),
                            "recorded_by": who})
            names[number] = row.metric.name
        columns = [ROW, "metric", "period", "value", "date", "source", "note", "recorded_by"]
        return Table(FILE, pd.DataFrame(records, columns=columns, dtype=object), header_row=0), names, cleared

    def _save(self, _button: Any = None) -> None:
        org, period = self.opened_for_save(self.opened)
        author = self.respondent.author()
        table, names, cleared = self._typed(period, author.name)
        if table.frame.empty and not cleared:
            raise StoreError("enter at least one reading")
        rows: dict[str, dict[str, str]] = {}
        if len(table.frame):
            try:
                rows = stored_rows(table, validate_readings(table, self.catalogue))
            except InputError as exc:
                raise forms.problems_without_rows(exc, names) from None
        self._save_changes(KIND, rows, self.saved, cleared, author, "the readings", self.save_feedback)

    def _save_changes(self, kind: str, rows: dict[str, dict[str, str]], saved: dict[str, dict[str, str]],
                      withdrawn: list[str], author: Any, what: str, beside: forms.Feedback) -> None:
        """Save the rows that differ from those ``saved`` and withdraw ``withdrawn``; say so above and beside."""
        org, period = self.opened
        changes: dict[str, dict[str, str] | None] = {k: v for k, v in rows.items() if saved.get(k) != v}
        changes.update({k: None for k in withdrawn})
        if not changes:
            beside.ok("Nothing changed since the last save.")
            return
        result = self.store.save(org, period, kind, changes, author, self.method, source="form")
        self.refresh()
        message = f"Saved {what} for {org}, {period}: {result.summary()}."
        self.feedback.ok(message)
        beside.ok(message)

    def _save_links(self, _button: Any = None) -> None:
        org, period = self.opened_for_save(self.opened)
        author = self.respondent.author()
        records, names = [], {}
        for number, (metric_id, row) in enumerate(self.links.items(), start=1):
            if row.risks.value.strip() or row.categories.value.strip():
                records.append({ROW: number, "metric": metric_id, "risks": row.risks.value.strip(),
                                "categories": row.categories.value.strip()})
                names[number] = row.metric.name
        table = Table(FILE, pd.DataFrame(records, columns=[ROW, "metric", "risks", "categories"], dtype=object), 0)
        try:
            rows = {k.metric: kri_row(k) for k in kris_of(table, self.catalogue)}
        except InputError as exc:
            raise forms.problems_without_rows(exc, names) from None
        self._save_changes(KRI_LINK.kind, rows, self.saved_links, [k for k in self.saved_links if k not in rows],
                           author, "the key risk indicators", self.links_feedback)

    def _import(self, _button: Any = None) -> None:
        org, _period = self.opened_for_save(self.opened)
        author = self.respondent.author()
        if not self.upload.value:
            raise StoreError("choose a CSV or Excel file of readings first")
        upload = self.upload.value[0]
        name = Path(upload["name"]).name  # never a path from the browser
        with forms.uploaded_file(upload) as path:  # removed however this ends (a killed kernel's by the next)
            table = read_table(path, READINGS_COLUMNS)
        table.file = name
        table.problems = [replace(p, file=name) for p in table.problems]
        readings = validate_readings(table, self.catalogue)  # every problem at once; nothing saved
        saved = []
        for period in readings.periods:
            part = readings.frame[readings.frame["period"].map(normalise_label) == normalise_label(period)]
            rows_of = set(part["row"])
            sub = Table(name, table.frame[table.frame[ROW].isin(rows_of)], table.header_row, table.renamed)
            result = self.store.save(org, period, KIND, stored_rows(sub, Readings(name, part)), author,
                                     self.method, source="import")
            saved.append(f"{period}: {result.summary()}")
        headings = ", ".join(f"{h} as {c.replace('_', ' ')}" for h, c in table.renamed.items()
                             if normalise_label(h) != normalise_label(c.replace("_", " ")))
        self.refresh()
        read_as = "".join(f" {w_}" for w_ in readings.warnings)
        self.feedback.ok(f"Imported {name} for {org} ({len(readings.frame)} readings). " + "; ".join(saved)
                         + (f". Columns read: {headings}." if headings else ".") + read_as)
