"""Treatment actions in the risk form (the provincial guide's Template 3, "Treatment of risk"): a risk's actions
listed with their owner, due date, resources, cost, status and progress, overdue and unowned ones marked, and an
action added or changed. The risk form shows this panel as a tab (installed by the registry through core.due, so
the risk package does not import this one); every save goes through ``treatment`` with the form's author."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import ipywidgets as w
import pandas as pd

from workbook_lib.assessments.decisions import treatment
from workbook_lib.assessments.decisions.model import ACTION_STATUSES, Action, DecisionError
from workbook_lib.core.errors import StoreError
from workbook_lib.core.forms import Feedback, tag
from workbook_lib.core.outputs import html_table

NEW = ""  # the "Action" choice for a new action
WIDE = {"description_width": "140px"}


class TreatmentPanel:
    """One risk's treatment actions, for the organisation and period the form shows."""

    def __init__(self, form: Any):
        self.form = form
        self.risk = tag(w.Dropdown(description="Risk", options=[], style=WIDE, layout=w.Layout(width="640px")),
                        "action-risk")
        self.listing = tag(w.HTML(), "action-list")
        self.which = tag(w.Dropdown(description="Action", options=[("New action", NEW)], style=WIDE,
                                    layout=w.Layout(width="640px")), "action-which")
        self.text = tag(w.Textarea(description="What is done", placeholder="the action, in a sentence", style=WIDE,
                                   layout=w.Layout(width="640px")), "action-text")
        self.owner = tag(w.Text(description="Action owner", placeholder="who carries it out", style=WIDE,
                                layout=w.Layout(width="480px")), "action-owner")
        self.due = tag(w.Text(description="Due date", placeholder="YYYY-MM-DD", style=WIDE,
                              layout=w.Layout(width="300px")), "action-due")
        self.resources = tag(w.Text(description="Resources needed", placeholder="people, equipment, budget line",
                                    style=WIDE, layout=w.Layout(width="640px")), "action-resources")
        self.cost = tag(w.Text(description="Cost", placeholder="an amount, with its currency", style=WIDE,
                               layout=w.Layout(width="480px")), "action-cost")
        self.status = tag(w.Dropdown(description="Status", options=[(s.capitalize(), s) for s in ACTION_STATUSES],
                                     style=WIDE), "action-status")
        self.progress = tag(w.Text(description="Progress", placeholder="in words, or a share done", style=WIDE,
                                   layout=w.Layout(width="640px")), "action-progress")
        self.save = tag(w.Button(description="Save action", button_style="primary", icon="save"), "action-save")
        self.feedback = tag(Feedback(), "action-feedback")
        self.actions: list[Action] = []
        self.risk.observe(form.guard(self._show), names="value")
        self.which.observe(form.guard(self._load), names="value")
        self.save.on_click(form.guard(self._save, self.feedback))
        self.widget = tag(w.VBox([
            w.HTML("<p>Each risk's treatment plan: what is done about it, by whom, by when, with what resources and "
                   "at what cost, and how far it has got. An action past its due date and not done is marked "
                   "overdue; an action without an owner is marked too. Actions imported with a register are action "
                   "1 of their risk.</p>"),
            self.risk, self.listing, self.which, self.text, self.owner, self.due, self.resources, self.cost,
            self.status, self.progress, w.HBox([self.save]), self.feedback]), "treatment-actions")

    # ---- showing ---------------------------------------------------------------------------------------
    def refresh(self, risks: dict[str, str], chosen: str | None = None) -> None:
        """The saved risks to choose from (ID -> description) and the one to show (the risk being edited)."""
        options = [(f"{rid} · {text[:80]}" if text else rid, rid) for rid, text in risks.items()]
        keep = chosen if chosen in risks else self.risk.value if self.risk.value in risks else None
        self.risk.options = options or [("(no risk saved yet)", "")]
        self.risk.value = keep if keep else (options[0][1] if options else "")
        self._show()

    def _where(self) -> tuple[str, str]:
        org, period = self.form.picker.value
        if not org or not period:
            raise StoreError("choose or type an organisation and a period, then press Open")
        return org, period

    def _as_of(self) -> dt.date:
        as_of = getattr(self.form.params, "as_of", None)
        return as_of if isinstance(as_of, dt.date) else dt.date.today()

    def _show(self, _change: Any = None) -> None:
        org, period = self.form.picker.value
        rid = self.risk.value
        if not org or not period or not rid:
            self.actions = []
            self.listing.value = "<p>Save a risk first; then its treatment actions are added here.</p>"
            self.which.options = [("New action", NEW)]
            return
        self.actions = [a for a in treatment.actions(self.form.store, org, period) if a.risk_id == rid]
        as_of = self._as_of()
        if self.actions:
            rows = [{"Action": a.action_no, "What is done": a.action, "Action owner": a.owner or "(none)",
                     "Due date": a.due_date, "Resources needed": a.resources, "Cost": a.cost,
                     "Status": a.status.capitalize(), "Progress": a.progress,
                     "Attention": "; ".join(x for x, on in (("overdue", a.overdue(as_of)),
                                                            ("no owner", a.unowned)) if on)}
                    for a in self.actions]
            self.listing.value = (f"<p><b>{len(self.actions)} action(s) for {html.escape(rid)}</b> (overdue as of "
                                  f"{as_of:%d %B %Y}).</p>" + html_table(pd.DataFrame(rows)).data)
        else:
            self.listing.value = f"<p>No treatment action recorded for {html.escape(rid)} yet.</p>"
        keep = self.which.value
        self.which.options = [("New action", NEW)] + [(f"{a.action_no}: {a.action[:70]}", a.key)
                                                      for a in self.actions]
        self.which.value = keep if keep in {a.key for a in self.actions} else NEW
        self._load()

    def _load(self, _change: Any = None) -> None:
        found = next((a for a in self.actions if a.key == self.which.value), None)
        for widget, name in ((self.text, "action"), (self.owner, "owner"), (self.due, "due_date"),
                             (self.resources, "resources"), (self.cost, "cost"), (self.progress, "progress")):
            widget.value = getattr(found, name) if found else ""
        self.status.value = found.status if found and found.status in ACTION_STATUSES else ACTION_STATUSES[0]
        self.save.description = "Save changes" if found else "Save action"

    # ---- saving ----------------------------------------------------------------------------------------
    def _save(self, _button: Any = None) -> None:
        org, period = self._where()
        self.form.refuse_if_read_only(org, period)
        if not self.risk.value:
            raise StoreError("save the risk first, then add its treatment actions")
        author = self.form.respondent.author()
        fields = {"action": self.text.value, "owner": self.owner.value, "due_date": self.due.value,
                  "resources": self.resources.value, "cost": self.cost.value, "status": self.status.value,
                  "progress": self.progress.value}
        try:
            if self.which.value:
                done = treatment.update(self.form.store, org, period, author, self.which.value, source="form",
                                        **fields)
                said = f"Saved the changes to action {done.action_no} of {done.risk_id}."
            else:
                done = treatment.add(self.form.store, org, period, author, self.risk.value, source="form", **fields)
                said = f"Saved action {done.action_no} of {done.risk_id}."
        except DecisionError as exc:  # the command line's option names are not this form's
            raise StoreError(re.sub(r" \(--[a-z-]+\)", "", str(exc))) from None
        self._show()
        self.which.value = done.key
        self.feedback.ok(said)
