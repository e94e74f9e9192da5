"""The COSO assessment form: each line of assurance rates the items on its own; the champion sees all lines.

A respondent picks the organisation and period, gives their name, picks their line of assurance (the
questionnaire's lines: management, risk management, internal audit) and rates one principle's items at a
time on the questionnaire's scale, with a comment or evidence reference per item. Every change is saved
at once (a rating when it is picked, a comment when the field is left), so nothing is lost and the form
can be left and resumed: opening the same organisation, period and line again loads that line's answers.

While responding a person sees only their own line's answers, never the other lines' nor the combined
results, so each line rates independently. The *champion* view (the combined assurance champion) shows
the report sections on all lines' saved answers and who answered for each line. Who may open which view
is for the deployment's authenticating proxy to decide (see docs/web-forms.md); the form has no passwords.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import pandas as pd

from workbook_lib.assessments.coso.inputs import CosoParams
from workbook_lib.assessments.coso.model import load_questionnaire
from workbook_lib.assessments.coso.records import RESPONSE, ROUND, ROUND_KEY
from workbook_lib.assessments.coso.report import result_tables
from workbook_lib.assessments.coso.run import run_coso_assessment
from workbook_lib.assessments.coso.scoring import CosoResult
from workbook_lib.core import access, forms
from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.forms import RatingPicker, Sections, StoreForm
from workbook_lib.core.records import canonical_rows, table_from_store
from workbook_lib.core.store import Author, Method, SaveResult, Store, StoreError
from workbook_lib.core.tables import ROW, Table

KIND = RESPONSE.kind
RESPOND, CHAMPION = "respond", "champion"
RESPONDENT_EMPTY = ("The combined view is for the assurance champion: while you respond you see only your own "
                    "line's answers, so that each line rates independently.")
ACCESS_NOTE = ("Where access is granted per person, the risk champion sees this view at any time and closes the "
               "round when every line has rated; until then each line sees only its own ratings, and once the "
               "round is closed everyone with access to the organisation sees the combined results.")
NOT_YET = ("The combined results of all lines open when the risk champion closes the round: until then each line "
           "of assurance sees only its own ratings, so that each rates on its own.")


class CosoAssessmentForm(StoreForm):
    """Rate the COSO questionnaire for one line of assurance, or review all lines as the champion."""
    record_lines = "all"  # each line rates for itself: a line role changes its own ratings

    expects = ("maturity_status",)

    params: CosoParams

    def __init__(self, params: CosoParams, sections: Sections, store: Store | None = None):
        self.loaded = load_questionnaire(params.questionnaire_ref())
        self.q = self.loaded.questionnaire
        self.method = Method(self.q.name, self.q.version, self.loaded.sha256)
        super().__init__(params, sections, store, respondent=False)  # the line is the questionnaire's: see author
        user = forms.signed_in_user()  # None and {} in a preheated kernel: see on_request
        query = self.query
        self.user = user
        self.items_of = {p.number: [i for i in self.q.items if i.principle == p.number] for p in self.q.principles}
        self.rating_value = {lv.label: str(lv.value) for lv in self.q.scale}  # picker label -> stored value
        self.rating_label = {str(lv.value): lv.label for lv in self.q.scale}
        org, period = self.picker.value
        self.opened: tuple[str, str] | None = (org, period) if org and period else None
        mode = CHAMPION if query.get("view", "").lower() == CHAMPION else RESPOND
        self.mode = forms.tag(w.ToggleButtons(options=[("Respond for my line", RESPOND),
                                                       ("Champion: all lines", CHAMPION)], value=mode,
                                              style={"button_width": "200px"}), "mode")
        self.name = forms.tag(w.Text(value=user or "", description="Your name", placeholder="name and surname",
                                     disabled=bool(user)), "respondent")
        line = query.get("line", "")
        self.line = forms.tag(w.Dropdown(
            options=[("(choose your line)", "")] + [(f"{ln.line} · {ln.name}", str(ln.line)) for ln in self.q.lines],
            value=line if line in {str(n) for n in self.q.line_numbers} else "", description="Your line",
            layout=w.Layout(width="460px")), "line")
        self.key_question = forms.tag(w.HTML(), "key-question")
        self.principle = forms.tag(w.Dropdown(options=self._principle_options(), description="Principle",
                                              layout=w.Layout(width="760px")), "principle")
        self.previous = forms.tag(w.Button(description="Previous", icon="arrow-left",
                                           layout=w.Layout(width="110px")), "previous")
        self.next = forms.tag(w.Button(description="Next", icon="arrow-right", layout=w.Layout(width="110px")),
                              "next")
        self.progress = forms.tag(w.HTML(), "progress")
        self.items_box = forms.tag(w.VBox(), "items")
        self.item_widgets: dict[str, tuple[RatingPicker, w.Textarea]] = {}
        self.champion = forms.tag(w.HTML(), "champion")
        self.download = w.HTML()
        self.round_state = forms.tag(w.HTML(), "round-state")
        self.round_button = forms.tag(w.Button(description="Close the round", icon="lock",
                                               layout=w.Layout(width="auto")), "round")
        self.round_button.on_click(self.guard(self._toggle_round))

        self.mode.observe(self.guard(self._mode_changed), names="value")
        self.line.observe(self.guard(self._line_changed), names="value")
        self.principle.observe(self.guard(lambda _c: self._show_principle()), names="value")
        self.previous.on_click(self.guard(lambda _b: self._step(-1)))
        self.next.on_click(self.guard(lambda _b: self._step(1)))

        self.respond_panel = w.VBox([
            w.HTML("<p>Rate each item on your own, for your line only: you see your line's answers, never the "
                   "other lines'. Every rating is saved as soon as you pick it and every comment when you leave "
                   "the field, so you can stop at any time and carry on later by opening the same organisation, "
                   "period and line.</p>"),
            w.HBox([self.name, self.line]), self.key_question, w.HTML(self._scale_html()),
            w.HBox([self.previous, self.principle, self.next]), self.progress, self.items_box])
        self.champion_panel = w.VBox([
            w.HTML(f"<p>The combined results of all three lines, from the answers saved so far (press "
                   f"<i>Open</i> again to include answers saved since). {html.escape(ACCESS_NOTE)}</p>"),
            w.HBox([self.round_state, self.round_button]), self.champion, self.download])
        self.widget = w.VBox([
            w.HTML(f"<h2>COSO control assessment</h2><p>Questionnaire: <b>{html.escape(self.q.title)}</b> "
                   f"(version {html.escape(self.q.version)}). Choose the organisation and "
                   "period and press <i>Open</i>, then respond for your line of assurance.</p>"),
            self.picker, self.settings_view, self.mode, self.feedback, self.respond_panel, self.champion_panel])
        self.widget.add_class("wb-coso-form")
        self._describe_line()
        self.refresh()

    # ---- a preheated form's page request (see StoreForm.on_request) ---------------------------------
    def sign_in(self, user: str | None) -> None:
        if user:
            self.user = user
            self.name.value, self.name.disabled = user, True

    def follow(self, query: dict[str, str]) -> None:
        """The line and the view the page's query names."""
        line = query.get("line", "")
        if line in {str(n) for n in self.q.line_numbers}:
            self.line.value = line  # its observer shows the line's answers
        if query.get("view", "").lower() == CHAMPION:
            self.mode.value = CHAMPION  # its observer shows the champion's view

    # ---- what is shown -----------------------------------------------------------------------------
    def _principle_options(self) -> list[tuple[str, int]]:
        options = []
        for p in self.q.principles:
            n = len(self.items_of[p.number])
            suffix = f"{n} item{'s' if n != 1 else ''}" if n else "not assessed: no items"
            options.append((f"P{p.number:02d} · {self.q.component(p.component).name}: {p.name} ({suffix})",
                            p.number))
        return options

    def _scale_html(self) -> str:
        rows = "".join(
            f'<tr><td style="background:{lv.colour};text-align:center;width:2em"><b>{lv.value}</b></td>'
            f"<td><b>{html.escape(lv.label)}</b></td><td>{html.escape(lv.description)}</td></tr>"
            for lv in self.q.scale)
        return ('<details open class="wb-scale"><summary><b>The rating scale</b></summary>'
                f'<table class="workbook-table" style="margin:4px 0 8px 0">{rows}</table></details>')

    def line_number(self) -> int | None:
        return int(self.line.value) if self.line.value else None

    def _describe_line(self) -> None:
        n = self.line_number()
        if n is None:
            self.key_question.value = ""
            return
        ln = self.q.line(n)
        self.key_question.value = (f'<div style="margin:4px 0 4px 90px"><b>Key question for {html.escape(ln.name)}:'
                                   f"</b> {html.escape(ln.key_question)}"
                                   + (f"<br><small>{html.escape(ln.role)}</small>" if ln.role else "") + "</div>")

    def saved(self, line: int) -> dict[str, dict[str, str]]:
        """The opened organisation and period's saved answers of one line: item ID -> data."""
        if self.opened is None:
            return {}
        org, period = self.opened
        return {r.data["item_id"]: r.data for r in self.store.current(org, period, KIND)
                if str(r.data.get("line")) == str(line)}

    def _show_principle(self) -> None:
        """Build the visible principle's items for the chosen line, filled with that line's saved answers."""
        for old in self.items_box.children:
            _close(old)
        self.item_widgets = {}
        line = self.line_number()
        number = self.principle.value
        p = self.q.principle(number)
        if self.opened is None:
            self.items_box.children = [w.HTML("<p><i>Choose the organisation and period and press Open.</i></p>")]
        elif line is None:
            self.items_box.children = [w.HTML("<p><i>Choose your line of assurance to see and rate the items."
                                              "</i></p>")]
        elif not self.items_of[number]:
            self.items_box.children = [w.HTML(
                f'<p class="wb-not-assessed"><b>Principle {number} ({html.escape(p.name)}) is not assessed:</b> '
                f"the questionnaire has no items for it. Go on to the next principle.</p>")]
        else:
            saved = self.saved(line)
            levels = [(lv.label, lv.description) for lv in self.q.scale]
            boxes = [w.HTML(f"<h4>Principle {number}: {html.escape(p.name)}</h4>")]
            for item in self.items_of[number]:
                data = saved.get(item.id, {})
                rating = RatingPicker("Rating", levels, f"rating-{item.id}")
                rating.dropdown.layout.width = "520px"  # the longest level's label in full
                rating.value = self.rating_label.get(str(data.get("rating", "")), "")
                comment = forms.tag(w.Textarea(value=str(data.get("comment", "")), description="Comment / evidence",
                                               placeholder="what you based the rating on (optional)",
                                               continuous_update=False, style={"description_width": "140px"},
                                               layout=w.Layout(width="720px", height="56px")), f"comment-{item.id}")
                rating.dropdown.observe(self.guard(lambda _c, i=item.id: self._save_item(i)), names="value")
                comment.observe(self.guard(lambda _c, i=item.id: self._save_item(i)), names="value")
                self.item_widgets[item.id] = (rating, comment)
                for field in (rating.dropdown, comment):  # saved as soon as changed: read-only with the form
                    forms.saves_on_change(field, disabled=bool(self.read_only))
                ref = f' <small style="color:#777">({html.escape(item.seed_ref)})</small>' if item.seed_ref else ""
                box = w.VBox([w.HTML(f"<p style='margin:10px 0 2px 0'><b>{html.escape(item.id)}</b> "
                                     f"{html.escape(item.text)}{ref}</p>"), rating, comment])
                boxes.append(forms.tag(box, f"item-{item.id}"))
            self.items_box.children = boxes
        self._show_progress()

    def _show_progress(self) -> None:
        line = self.line_number()
        if self.opened is None or line is None:
            self.progress.value = ""
            return
        org, period = self.opened
        rated = {i for i, d in self.saved(line).items() if str(d.get("rating", "")).strip()}
        number = self.principle.value
        here = [i.id for i in self.items_of[number]]
        by_component = []
        for c in self.q.components:
            ids = [i.id for p in self.q.principles if p.component == c.id for i in self.items_of[p.number]]
            by_component.append(f"{html.escape(c.name)} {len(rated.intersection(ids))}/{len(ids)}")
        self.progress.value = (
            f"<p><b>{html.escape(self.q.line(line).label)} (line {line}): rated {len(rated)} of "
            f"{len(self.q.items)} items</b> for {html.escape(org)}, {html.escape(period)}"
            + (f"; this principle {len(rated.intersection(here))} of {len(here)}" if here else "") + ".<br>"
            f"<small>{' · '.join(by_component)}</small></p>")

    def on_open(self) -> None:
        org, period = self.picker.value
        self.opened = (org, period) if org and period else None
        self.refresh()

    # ---- who sees what (core/access.py; with no access records kept, everyone sees everything) ----------
    def _roles(self) -> set[str] | None:
        """The signed-in user's roles in the opened organisation; None when no access records are kept."""
        if self.opened is None or not self.store.access_enforced():
            return None
        return self.store.access_roles(access.acting_user(self.store.user), self.opened[0])

    def round_closed(self) -> bool:
        if self.opened is None:
            return False
        org, period = self.opened
        found = {r.key: r.data for r in self.store.current(org, period, ROUND.kind)}
        return found.get(ROUND_KEY, {}).get("state") == "closed"

    @staticmethod
    def runs_the_round(roles: set[str] | None) -> bool:
        """``roles``: :meth:`_roles` (None: no access records kept, everyone does)."""
        return roles is None or bool(roles & {"champion", "admin"})

    def may_see_all_lines(self, roles: set[str] | None) -> bool:
        """The champion (and the administrator) at any time; everyone with access once the round is closed."""
        return self.runs_the_round(roles) or (bool(roles) and self.round_closed())

    def _limit_lines(self, roles: set[str] | None) -> None:
        """Offer only the lines the user rates for (a champion: every line); one line is chosen for them."""
        every = [("(choose your line)", "")] + [(f"{ln.line} · {ln.name}", str(ln.line)) for ln in self.q.lines]
        if roles is None or "champion" in roles:
            options = every
        else:
            mine = {access.LINE_ROLES[r] for r in roles if r in access.LINE_ROLES}
            options = [o for o in every if o[1] in mine] or [("(you rate for no line here)", "")]
        if [o[1] for o in self.line.options] != [o[1] for o in options]:
            keep = self.line.value if self.line.value in {o[1] for o in options} else options[0][1]
            self.line.options = options
            self.line.value = keep

    def _toggle_round(self, _button: Any = None) -> None:
        if self.opened is None:
            raise StoreError("choose the organisation and period and press Open first")
        if not self.runs_the_round(self._roles()):
            raise StoreError("only the risk champion closes or reopens the round")
        org, period = self.opened
        state = "open" if self.round_closed() else "closed"
        name = self.name.value.strip() or (self.user or "")
        self.store.save(org, period, ROUND.kind, {ROUND_KEY: {"round": ROUND_KEY, "state": state, "note": ""}},
                        Author(name or "Risk champion", None), self.method, source="form")
        self.refresh("The round is closed: everyone with access sees the combined results." if state == "closed"
                     else "The round is open again: each line sees only its own ratings.")

    def refresh(self, message: str | None = None) -> None:
        """Show the chosen view of the opened organisation and period: the line's items, or all lines' results."""
        roles = self._roles()  # read once for the whole view
        self._limit_lines(roles)
        closed, kept = self.round_closed(), roles is not None  # a round matters once access is granted
        self.round_state.value = (f"<p><b>The round is {'closed' if closed else 'open'}.</b></p>"
                                  if self.opened and kept else "")
        self.round_button.description = "Reopen the round" if closed else "Close the round"
        self.round_button.layout.display = "" if self.opened and kept and self.runs_the_round(roles) else "none"
        champion = self.mode.value == CHAMPION
        self.respond_panel.layout.display = "none" if champion else ""
        self.champion_panel.layout.display = "" if champion else "none"
        if champion:
            self.refresh_champion()
        else:
            self.champion.value = self.download.value = ""
            self.sections.refresh(None, empty=RESPONDENT_EMPTY)
            self._show_principle()
        if message:
            self.feedback.ok(message)

    # ---- the champion's view -----------------------------------------------------------------------
    def evaluation(self) -> CosoResult | None:
        """The assessment of every line's saved answers for the opened organisation and period (None: none)."""
        if self.opened is None:
            return None
        org, period = self.opened
        table = table_from_store(self.store, org, period, KIND)
        if not len(table.frame):
            return None
        return run_coso_assessment(self.params_for(org, period), responses_table=table)

    def refresh_champion(self) -> None:
        if self.opened is not None and not self.may_see_all_lines(self._roles()):
            self.champion.value = f"<p><i>{html.escape(NOT_YET)}</i></p>"
            self.download.value = ""
            self.sections.refresh(None, empty=NOT_YET)
            return
        if self.opened is None:
            self.champion.value = "<p><i>Choose the organisation and period and press Open.</i></p>"
            self.download.value = ""
            self.sections.refresh(None, empty="Choose the organisation and period and press Open.")
            return
        org, period = self.opened
        result = self.evaluation()  # reads the organisation's settings too (the line above the form)
        if result is None:
            self.params_for(org, period)  # the settings line, also before any answer is saved
            self.champion.value = (f"<p>No line has saved an answer yet for {html.escape(org)}, "
                                   f"{html.escape(period)}. Each line of assurance answers under <i>Respond for "
                                   "my line</i>; this view fills in as their answers are saved.</p>")
            self.download.value = ""
            self.sections.refresh(None, empty=f"No answers saved yet for {org}, {period}. The results appear here "
                                                "once a line of assurance has saved its answers.")
            return
        last: dict[str, Any] = {}
        for r in self.store.current(org, period, KIND):
            line = str(r.data.get("line"))
            last[line] = max(last.get(line, r.at), r.at)
        who = result.respondents.assign(
            last_saved=[last[str(n)].strftime("%Y-%m-%d %H:%M UTC") if str(n) in last else ""
                        for n in result.respondents["line"]])
        shown = who[["line", "name", "respondents", "items_rated", "items_not_rated", "last_saved"]].set_axis(
            ["Line", "Line of assurance", "Answered by", "Items rated", "Not rated", "Last saved"], axis=1)
        self.champion.value = (
            f"<p><b>{html.escape(org)}, {html.escape(period)}:</b> {len(result.complete)} of {len(result.items)} "
            f"items rated by all {len(self.q.lines)} lines. Who answered for each line:</p>"
            + shown.to_html(index=False, escape=True, classes="workbook-table wb-who-answered", border=0))
        self.download.value = self.excel_download(result_tables(result), f"{org} {period} COSO assessment.xlsx",
                                                  "Download the combined results (Excel)")
        self.sections.refresh(result, empty=f"No answers saved yet for {org}, {period}.")

    # ---- callbacks ---------------------------------------------------------------------------------
    def _mode_changed(self, _change=None) -> None:
        self.feedback.clear()
        self.refresh()

    def _line_changed(self, _change=None) -> None:
        self.feedback.clear()
        self._describe_line()
        self._show_principle()

    def _step(self, delta: int) -> None:
        numbers = [p.number for p in self.q.principles]
        at = numbers.index(self.principle.value) + delta
        if 0 <= at < len(numbers):
            self.principle.value = numbers[at]

    def author(self) -> Author:
        line = self.line_number()
        if line is None:
            raise StoreError("choose your line of assurance before rating")
        if not self.name.value.strip():
            raise StoreError("enter your name before rating: every answer records who gave it")
        return Author(self.name.value.strip(), self.q.line(line).label,
                      identity="proxy" if self.user else "respondent")

    def _save_item(self, item_id: str) -> None:
        rating, comment = self.item_widgets[item_id]
        line = self.line_number()
        author = self.author()
        result = self.save_answers(line, {item_id: (self.rating_value.get(rating.value, ""), comment.value)}, author)
        what = (f"{rating.dropdown.label}" if rating.value else "not rated") \
            + (", with a comment" if comment.value.strip() else "")
        self.feedback.ok(f"Saved {item_id} for {self.q.line(line).label} (line {line}): {what}"
                         + ("" if result.created or result.updated or result.withdrawn else " (no change)") + ".")

    def save_answers(self, line: int, answers: dict[str, tuple[str, str]], author: Author) -> SaveResult:
        """Validate and save one line's answers, item ID -> (rating 1-5 or "", comment), in one transaction.

        An item left with neither a rating nor a comment is withdrawn if it was saved before (the trail
        keeps it), and skipped otherwise. Raises InputError (nothing saved) when any answer is invalid.
        """
        if self.opened is None:
            raise StoreError("choose the organisation and period and press Open before rating")
        org, period = self.opened
        self.refuse_if_read_only(org, period)
        saved = self.saved(line)
        rows, withdraw = [], []
        for item_id, (rating, comment) in answers.items():
            rating, comment = str(rating or "").strip(), str(comment or "").strip()
            if not rating and not comment:
                if item_id in saved:
                    withdraw.append(item_id)
                continue
            rows.append({"item_id": item_id, "line": str(line), "rating": rating, "respondent": author.name,
                         "comment": comment})
        changes: dict[str, dict[str, str] | None] = {}
        if rows:
            frame = pd.DataFrame([{ROW: n, **row} for n, row in enumerate(rows, start=1)], dtype=object)
            try:
                changes.update(canonical_rows(KIND, Table(file="COSO form", frame=frame, header_row=0), self.q))
            except InputError as exc:  # name the item, not a row number the respondent never saw
                raise InputError([Problem("", None, " ".join(x for x in (
                    f"item {rows[p.row - 1]['item_id']}" if p.row else None, p.column) if x) or None, p.value,
                    p.expected) for p in exc.problems]) from None
        changes.update({f"{item_id}|{line}": None for item_id in withdraw})
        result = self.store.save(org, period, KIND, changes, author, self.method, source="form") if changes \
            else SaveResult()
        self._show_progress()
        self.sections.refresh(None, empty=RESPONDENT_EMPTY)  # a respondent never sees the combined results
        return result


def _close(widget: w.Widget) -> None:
    """Close a widget built for one principle, and everything inside it (their comms are not reused)."""
    for child in getattr(widget, "children", ()):
        _close(child)
    widget.close()
