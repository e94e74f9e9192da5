"""The maturity form: rate each element by choosing one of its three descriptions, and answer the capacity,
skills and budget questions per line of assurance; the report below refreshes after every save.

Two record kinds (see workbook_lib.assessments.maturity.records): ``maturity_mark`` keyed by element (``A1``) and
``capacity_answer`` keyed by item and line (``3|2``). Edits are kept in the form until saved, so moving
between assessments, groups and lines loses nothing; a save writes every changed entry of its tab, checked
first with the same rules as a file (``records.canonical_rows``), and records who saved it.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w
import pandas as pd

from workbook_lib.assessments.maturity.inputs import MaturityParams, mark_value
from workbook_lib.assessments.maturity.model import Element, Status, load_matrix
from workbook_lib.assessments.maturity.records import CAPACITY, MARK
from workbook_lib.assessments.maturity.run import run_maturity_scoring
from workbook_lib.assessments.maturity.scoring import MaturityResult
from workbook_lib.core import forms, records
from workbook_lib.core.charts import text_colour
from workbook_lib.core.errors import InputError
from workbook_lib.core.forms import Sections, StoreForm
from workbook_lib.core.store import Method, Store
from workbook_lib.core.tables import ROW, Table

FORM_FILE = "maturity form"
CAPACITY_FILE = "capacity form"
# the descriptions are buttons: let their text wrap so each reads as a card
STYLE = """<style>
.wb-maturity-form .wb-choice { white-space: normal; height: auto; min-height: 74px; text-align: left;
  line-height: 1.35; padding: 6px 8px; overflow: visible; }
.wb-maturity-form .wb-card-title { font-size: 0.92em; color: #444; margin-bottom: 2px; }
.wb-maturity-form .wb-element { border-top: 1px solid #ddd; padding-top: 6px; margin-top: 6px; }
.wb-maturity-form .wb-item-text { line-height: 1.35; }
</style>"""


class ElementChoice(w.VBox):
    """One element: its descriptions side by side as the choices (one card per status), "not yet rated",
    and an optional comment. ``on_change(element_id)`` is called when the user changes either."""

    def __init__(self, element: Element, statuses: list[Status], on_change: Callable[[str], None]):
        self.element_id = element.id
        self.statuses = statuses
        self._mark = ""
        self._quiet = False
        self._on_change = on_change
        self.buttons: dict[str, w.Button] = {}
        cards = []
        for status, text in zip(statuses, element.descriptions, strict=True):
            mark = str(status.mark)
            button = forms.tag(w.Button(description=text, tooltip=f"{element.id}: {status.label}",
                                        layout=w.Layout(width="100%", height="auto")),
                               f"choice-{element.id}-{mark}")
            button.add_class("wb-choice")
            button.on_click(lambda _b, mark=mark: self._choose(mark))
            self.buttons[mark] = button
            title = w.HTML(f'<div class="wb-card-title"><b>{status.mark} · {html.escape(status.label)}</b></div>')
            cards.append(w.VBox([title, button], layout=w.Layout(width="33%", padding="3px")))
        self.not_rated = forms.tag(w.Button(description="Not yet rated", icon="circle-o",
                                            tooltip="clear this element's mark", layout=w.Layout(width="150px")),
                                   f"unrated-{element.id}")
        self.not_rated.on_click(lambda _b: self._choose(""))
        self.comment = forms.tag(w.Text(description="Comment", placeholder="evidence or remark (optional)",
                                        layout=w.Layout(width="70%")), f"comment-{element.id}")
        self.comment.observe(self._commented, names="value")
        self.header = w.HTML(f"<b>{html.escape(element.id)} {html.escape(element.name)}</b>")
        super().__init__([self.header, w.HBox(cards, layout=w.Layout(width="100%")),
                          w.HBox([self.not_rated, self.comment])])
        self.add_class("wb-element")
        forms.tag(self, f"element-{element.id}")
        self._paint()

    @property
    def value(self) -> tuple[str, str]:
        return self._mark, self.comment.value

    def set(self, mark: str, comment: str) -> None:
        """Show a mark and comment without reporting a change (used when loading)."""
        self._quiet = True
        try:
            self._mark = mark
            self.comment.value = comment
            self._paint()
        finally:
            self._quiet = False

    def _choose(self, mark: str) -> None:
        self._mark = mark
        self._paint()
        if not self._quiet:
            self._on_change(self.element_id)

    def _commented(self, _change: dict) -> None:
        if not self._quiet:
            self._on_change(self.element_id)

    def _paint(self) -> None:
        for status in self.statuses:
            button = self.buttons[str(status.mark)]
            chosen = str(status.mark) == self._mark
            button.style.button_color = status.colour if chosen else "#f3f3f3"
            ink = text_colour(status.colour, dark="#000000", light="#ffffff", threshold=150)
            button.style.text_color = ink if chosen else "#222222"
            button.style.font_weight = "bold" if chosen else "normal"
            button.icon = "check" if chosen else ""
            (button.add_class if chosen else button.remove_class)("wb-chosen")
        unrated = self._mark == ""
        self.not_rated.button_style = "info" if unrated else ""
        self.not_rated.icon = "check-circle-o" if unrated else "circle-o"
        (self.not_rated.add_class if unrated else self.not_rated.remove_class)("wb-chosen")


class MaturityForm(StoreForm):
    """Mark an organisation's maturity elements and answer the capacity questions for a period."""
    record_lines = "some"  # the capacity answers carry the line that gives them; the marks none

    expects = ()

    params: MaturityParams

    def __init__(self, params: MaturityParams, sections: Sections, store: Store | None = None):
        self.loaded = load_matrix(params.matrix_ref())
        self.m = self.loaded.matrix
        self.method = Method(self.m.name, self.m.version, self.loaded.sha256)
        super().__init__(params, sections, store)
        self.opened: tuple[str, str] | None = None
        self.result: MaturityResult | None = None
        # what the store holds and what the form shows: element -> (mark, comment); (item, line) -> (answer, comment)
        self.saved_marks: dict[str, tuple[str, str]] = {}
        self.marks: dict[str, tuple[str, str]] = {}
        self.saved_answers: dict[tuple[int, int], tuple[str, str]] = {}
        self.answers: dict[tuple[int, int], tuple[str, str]] = {}
        self._loading = False
        cb = self.guard

        # ---- marks: one group of elements at a time ------------------------------------------------
        self.assessment = forms.tag(w.ToggleButtons(options=[(f"{a.id} {a.name}", a.id) for a in self.m.assessments],
                                                    description="Assessment", style={"button_width": "auto"}),
                                    "assessment")
        self.group = forms.tag(w.Dropdown(description="Group", layout=w.Layout(width="420px")), "group")
        self.next_group = forms.tag(w.Button(description="Next group", icon="arrow-right"), "next-group")
        self.assessment_note = w.HTML()
        self.elements_box = w.VBox()
        self.choices: dict[str, ElementChoice] = {}  # built when their group is first shown
        self.marks_progress = forms.tag(w.HTML(), "marks-progress")
        self.save_marks = forms.tag(w.Button(description="Save marks", button_style="primary", icon="save"),
                                    "save-marks")
        self.assessment.observe(cb(self._assessment_changed), names="value")
        self.group.observe(cb(self._show_group), names="value")
        self.next_group.on_click(cb(self._next_group))
        self.save_marks.on_click(cb(self._save_marks))

        # ---- capacity: every item for one line at a time -----------------------------------------
        cap = self.m.capacity
        self.line = forms.tag(w.ToggleButtons(options=[(f"{ln.line} {ln.name}", ln.line) for ln in cap.lines],
                                              description="Line", style={"button_width": "auto"}),
                              "capacity-line")  # each button as wide as its words
        self.line_note = w.HTML()
        self.answer_buttons: dict[int, w.ToggleButtons] = {}
        self.answer_comments: dict[int, w.Text] = {}
        rows = self._capacity_rows()
        self.capacity_progress = forms.tag(w.HTML(), "capacity-progress")
        self.save_capacity = forms.tag(w.Button(description="Save answers", button_style="primary", icon="save"),
                                       "save-capacity")
        self.line.observe(cb(self._show_line), names="value")
        self.respondent.line.observe(cb(self._respondent_line), names="value")
        self.save_capacity.on_click(cb(self._save_capacity))

        marks_tab = w.VBox([
            w.HTML("<p>Choose, for each element, the description that fits the organisation best; the three are "
                   "side by side, from fragmented (1) to risk intelligent (3). <i>Not yet rated</i> leaves it "
                   "open. Changes are kept while you move between groups; <i>Save marks</i> saves them all.</p>"),
            self.assessment, w.HBox([self.group, self.next_group]), self.assessment_note, self.elements_box,
            w.HBox([self.save_marks, self.marks_progress], layout=w.Layout(align_items="center"))])
        capacity_tab = w.VBox([
            w.HTML("<p>Each line of assurance answers every item yes or no. Pick the line you answer for; "
                   "<i>Save answers</i> saves the answers you changed (for any line).</p>"),
            self.line, self.line_note, *rows,
            w.HBox([self.save_capacity, self.capacity_progress], layout=w.Layout(align_items="center"))])
        self.tabs = w.Tab([marks_tab, capacity_tab])
        self.tabs.set_title(0, "Maturity marks")
        self.tabs.set_title(1, "Capacity answers")
        self.status = forms.tag(w.HTML(), "maturity-status")
        self.widget = w.VBox([
            w.HTML(STYLE + f"<h2>Risk-management maturity</h2><p>Marks use <b>{html.escape(self.m.title)}</b> "
                   f"(version {html.escape(self.m.version)}). Choose the organisation and period, say who you are, "
                   "then rate the elements and answer the capacity questions. Every save is kept with your name and "
                   "the time.</p>"),
            self.picker, self.respondent, self.settings_view, self.feedback, self.status, self.tabs])
        self.widget.add_class("wb-maturity-form")
        self._assessment_changed()
        self.on_open()

    def _capacity_rows(self) -> list[w.Widget]:
        """Every capacity item under its section's heading: its text, yes / no / not answered, and a comment."""
        cap = self.m.capacity
        rows: list[w.Widget] = []
        for section in cap.sections:
            rows.append(w.HTML(f"<h4 style='margin:10px 0 2px'>{html.escape(section.capitalize())}</h4>"))
            for item in (i for i in cap.items if i.section == section):
                ref = f" <small style='color:#666'>(guide's no. {html.escape(item.seed_ref)})</small>" \
                    if item.seed_ref else ""
                text = w.HTML(f"<div class='wb-item-text'><b>{item.id}.</b> {html.escape(item.text)}{ref}</div>",
                              layout=w.Layout(width="52%"))
                buttons = forms.tag(w.ToggleButtons(options=[("Yes", "yes"), ("No", "no"), ("Not answered", "")],
                                                    value="", style={"button_width": "124px"}),
                                    f"answer-{item.id}")
                comment = forms.tag(w.Text(placeholder="comment (optional)", layout=w.Layout(width="20%")),
                                    f"answer-comment-{item.id}")
                buttons.observe(self.guard(lambda _c, i=item.id: self._answered(i)), names="value")
                comment.observe(self.guard(lambda _c, i=item.id: self._answered(i)), names="value")
                self.answer_buttons[item.id], self.answer_comments[item.id] = buttons, comment
                rows.append(w.HBox([text, buttons, comment], layout=w.Layout(align_items="center")))
        return rows

    def on_open(self) -> None:
        """Read what the store holds for the chosen organisation and period and show it."""
        org, period = self.picker.value
        if org and period:
            self._load(org, period)
        else:
            self.refresh()

    # ---- state -----------------------------------------------------------------------------------
    def _normal_mark(self, text: str) -> str:
        if not str(text).strip():
            return ""
        mark = mark_value(str(text), self.m.status_lookup())
        return str(mark) if mark else str(text)

    def _load(self, org: str, period: str, marks: bool = True, answers: bool = True) -> None:
        """Read what the store holds for the organisation and period and show it: the marks, the capacity
        answers or both (unsaved edits of what is read are dropped)."""
        self.opened = (org, period)
        self._loading = True
        try:
            if marks:
                self.saved_marks = {r.key: (self._normal_mark(r.data.get("mark", "")),
                                            str(r.data.get("comment", "")))
                                    for r in self.store.current(org, period, MARK.kind)}
                self.marks = dict(self.saved_marks)
                for eid, choice in self.choices.items():
                    choice.set(*self.marks.get(eid, ("", "")))
            if answers:
                self.saved_answers = {}
                for r in self.store.current(org, period, CAPACITY.kind):
                    try:
                        item, line = (int(x) for x in r.key.split("|"))
                    except ValueError:  # not a key this kind writes (canonical keys are "item|line")
                        continue
                    self.saved_answers[(item, line)] = (str(r.data.get("answer", "")).lower(),
                                                        str(r.data.get("comment", "")))
                self.answers = dict(self.saved_answers)
                self._fill_line()
        finally:
            self._loading = False
        self.refresh()

    def pending_marks(self) -> list[str]:
        return [e for e in self.m.element_ids if self.marks.get(e, ("", "")) != self.saved_marks.get(e, ("", ""))]

    def pending_answers(self) -> list[tuple[int, int]]:
        return [k for k in sorted(self.answers) if self.answers[k] != self.saved_answers.get(k, ("", ""))]

    def evaluation(self) -> MaturityResult:
        """The maturity result from the store for the opened organisation and period, with the trend over
        earlier periods (the store's, and the parameters' history files when they are this organisation's)."""
        org, period = self.opened or self.picker.value
        history = [h for h in self.params.history
                   if org == self.params.organisation and h.period.strip() < period.strip()]
        return run_maturity_scoring(self.params_for(org, period, history=history))

    def refresh(self, message: str | None = None) -> None:
        """Re-evaluate what is saved and redraw the progress, the status and every report section."""
        if self.opened is None:
            self.result = None
            self.sections.refresh(None, empty="Choose an organisation and a period, then press Open.")
        else:
            org, period = self.opened
            self.result = None
            if self.saved_marks or self.saved_answers:
                self.result = self.evaluation()  # reads the organisation's settings too (the line above the form)
            else:
                self.params_for(org, period)  # the settings line, also before anything is saved
            self.sections.refresh(self.result, empty=f"Nothing saved yet for {org}, {period}. Rate the elements under "
                                                     "Maturity marks and save: the maturity index, status and "
                                                     "charts appear here.")
        self._progress()
        if message:
            self.feedback.ok(message)

    def _progress(self) -> None:
        total = self.m.element_count
        rated = sum(1 for mark, _c in self.saved_marks.values() if mark)
        unsaved = len(self.pending_marks())
        self.marks_progress.value = (f"<span>Elements rated <b>{rated} of {total}</b> (saved)"
                                     + (f"; <b style='color:#b26a00'>{unsaved} unsaved change(s)</b>"
                                        if unsaved else "") + "</span>")
        line = self.line.value
        n_items = len(self.m.capacity.items)
        answered = sum(1 for (i, ln), (a, _c) in self.saved_answers.items() if ln == line and a)
        unsaved = len(self.pending_answers())
        self.capacity_progress.value = (f"<span>Line {line}: <b>{answered} of {n_items}</b> items answered (saved)"
                                        + (f"; <b style='color:#b26a00'>{unsaved} unsaved change(s)</b>"
                                           if unsaved else "") + "</span>")
        r = self.result
        if self.opened is None:
            self.status.value = ""
        elif r is None or not self.saved_marks:
            self.status.value = (f"<p><b>Elements rated 0 of {total}.</b> No maturity status until every "
                                 "element is rated.</p>")
        elif r.status:
            st = self.m.status(r.status)
            self.status.value = (f"<p><b>Elements rated {r.score.elements_rated} of {total}.</b> Maturity status: "
                                 f"<b style='color:{st.colour}'>{html.escape(st.label)}</b> (total {r.total_score} of "
                                 f"{self.m.max_total}); toolkit version {html.escape(st.toolkit)}.</p>")
        else:
            partial = next((x for x in r.warnings if "not rated" in x), "")
            self.status.value = (f"<p><b>Elements rated {r.score.elements_rated} of {total}.</b></p>"
                                 f"<p class='wb-warning' style='color:#8a5300'>{html.escape(partial)}</p>")

    # ---- marks tab -------------------------------------------------------------------------------
    def _assessment_changed(self, _change: dict | None = None) -> None:
        a = next(x for x in self.m.assessments if x.id == self.assessment.value)
        self.assessment_note.value = f"<p style='color:#555'><i>{html.escape(a.description)}</i></p>"
        options = [(f"{g.name} ({len(g.elements)})", g.name) for g in a.groups]
        if [v for _k, v in self.group.options] == [v for _k, v in options]:
            self._show_group()
        else:
            self.group.options = options  # sets the first group, which shows it
            self.group.value = options[0][1]

    def _show_group(self, _change: dict | None = None) -> None:
        a = next(x for x in self.m.assessments if x.id == self.assessment.value)
        g = next((x for x in a.groups if x.name == self.group.value), None)
        if g is None:
            return
        shown = []
        for e in g.elements:
            if e.id not in self.choices:
                choice = ElementChoice(e, self.m.statuses, self.guard(self._marked))
                choice.set(*self.marks.get(e.id, ("", "")))
                self.choices[e.id] = choice
            shown.append(self.choices[e.id])
        self.elements_box.children = shown

    def _next_group(self, _button=None) -> None:
        order = [(a.id, g.name) for a in self.m.assessments for g in a.groups]
        here = order.index((self.assessment.value, self.group.value))
        a_id, g_name = order[(here + 1) % len(order)]
        if a_id != self.assessment.value:
            self.assessment.value = a_id
        self.group.value = g_name

    def _marked(self, element_id: str) -> None:
        self.marks[element_id] = self.choices[element_id].value
        self._progress()

    def _save_marks(self, _button=None) -> None:
        org, period = self.opened_for_save(self.opened)
        author = self.respondent.author()
        pending = self.pending_marks()
        if not pending:
            self.feedback.info("No marks changed since the last save: nothing to save.")
            return
        rows = [{ROW: n, "element_id": e, "mark": self.marks[e][0], "respondent": author.name,
                 "comment": self.marks[e][1].strip()} for n, e in enumerate(pending, start=1)]
        table = Table(FORM_FILE, pd.DataFrame(rows, dtype=object), header_row=0)
        try:
            canonical = records.canonical_rows(MARK, table, self.m)
        except InputError as exc:
            raise forms.problems_without_rows(exc, dict(enumerate(pending, start=1))) from None
        result = self.store.save(org, period, MARK.kind, canonical, author, self.method, source="form")
        self._load(org, period, answers=False)  # capacity answers not yet saved stay as they are
        self.feedback.ok(f"Saved marks for {org}, {period}: {result.summary()}.")

    # ---- capacity tab ----------------------------------------------------------------------------
    def _fill_line(self) -> None:
        line = self.line.value
        ln = self.m.capacity.lines[line - 1]
        self.line_note.value = (f"<p style='color:#555'>Answering for line {ln.line}, <b>{html.escape(ln.name)}</b>"
                                + (f": {html.escape(ln.description)}" if ln.description else "") + ".</p>")
        was = self._loading
        self._loading = True
        try:
            for item_id, buttons in self.answer_buttons.items():
                answer, comment = self.answers.get((item_id, line), ("", ""))
                buttons.value = answer if answer in {"yes", "no"} else ""
                self.answer_comments[item_id].value = comment
        finally:
            self._loading = was

    def _show_line(self, _change: dict | None = None) -> None:
        self._fill_line()
        self._progress()

    def _respondent_line(self, change: dict) -> None:
        """Answer for the respondent's own line by default, when it is one the capacity template asks."""
        number = next((ln["number"] for ln in forms.lines_of_assurance() if ln["name"] == change["new"]), None)
        if number is not None and number <= len(self.m.capacity.lines):
            self.line.value = number

    def _answered(self, item_id: int) -> None:
        if self._loading:
            return
        self.answers[(item_id, self.line.value)] = (self.answer_buttons[item_id].value,
                                                    self.answer_comments[item_id].value)
        self._progress()

    def _save_capacity(self, _button=None) -> None:
        org, period = self.opened_for_save(self.opened)
        author = self.respondent.author()
        pending = self.pending_answers()
        if not pending:
            self.feedback.info("No capacity answers changed since the last save: nothing to save.")
            return
        rows = [{ROW: n, "item_id": str(item), "line": str(line), "answer": self.answers[(item, line)][0],
                 "respondent": author.name, "comment": self.answers[(item, line)][1].strip()}
                for n, (item, line) in enumerate(pending, start=1)]
        table = Table(CAPACITY_FILE, pd.DataFrame(rows, dtype=object), header_row=0)
        try:
            canonical = records.canonical_rows(CAPACITY, table, self.m)
        except InputError as exc:
            names = {n: f"item {i}, line {ln}" for n, (i, ln) in enumerate(pending, start=1)}
            raise forms.problems_without_rows(exc, names) from None
        result = self.store.save(org, period, CAPACITY.kind, canonical, author, self.method, source="form")
        self._load(org, period, marks=False)  # marks not yet saved stay as they are
        lines = sorted({ln for _i, ln in pending})
        self.feedback.ok(f"Saved capacity answers (line {', '.join(map(str, lines))}) for {org}, {period}: "
                         f"{result.summary()}.")
