"""The Decisions page (``decisions.ipynb`` in this package, served by the app by its file name): per organisation and
period, what every assessment says is due for a decision, a request for one, the decision on it (approve, reject,
withdraw, revoke) by the person typing their name and role, and the decisions' history.

What is due comes from each assessment declaring ``decisions_due``, read over its JSON summary: computed now from
the store when the store holds that assessment's records for the organisation and period, else its latest report in
the outputs folder (``outputs/<organisation>/<period>/<assessment>.json``, as ``workbook run`` and ``workbook batch``
write it). Who may decide is what the summary names; a decision by another role is recorded and flagged. Roles come
from the person's own typing until the suite has user roles.

Outside the app (papermill, JupyterLab) the notebook lists what stands for the organisation and period.

The page collects every assessment from the registry, as the decisions commands do (the one other import of the
registry from inside ``workbook_lib.assessments``, allowed in pyproject.toml)."""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd
from IPython.display import HTML, display
from pydantic import BaseModel, ConfigDict

from workbook_lib.assessments import decisions_due, in_order_of_work
from workbook_lib.assessments.decisions import ledger
from workbook_lib.assessments.decisions.due import NEEDS_DECISION, Standing, standings
from workbook_lib.assessments.decisions.model import REQUESTED, DecisionError, subject_words
from workbook_lib.core import access
from workbook_lib.core.assessment import AssessmentSpec
from workbook_lib.core.errors import StoreError
from workbook_lib.core.forms import Feedback, Sections, StoreForm, app_mode, tag
from workbook_lib.core.outputs import html_table
from workbook_lib.core.params import from_namespace
from workbook_lib.core.paths import PROJECT_ROOT
from workbook_lib.core.settings import effective
from workbook_lib.core.store import Store

WIDE = {"description_width": "150px"}
OUTCOME_CHOICES = [("Approve", "approved"), ("Reject", "rejected"), ("Withdraw the request", "withdrawn"),
                   ("Revoke the approval", "revoked")]


class DecisionsParams(BaseModel):
    """The Decisions notebook's parameters: the organisation and period it opens on, the store, and the folder of
    the reports (``workbook run``'s and ``workbook batch``'s ``--out``) read when the store holds nothing."""

    model_config = ConfigDict(extra="forbid")
    organisation: str = ""
    period: str = ""
    store_url: str | None = None
    outputs: str = "outputs"
    show_form: bool = False


@dataclass
class Read:
    """One assessment's JSON summary for the organisation and period, and where it came from (in words)."""

    assessment: str
    summary: dict[str, Any] | None
    where: str


# ---- what is due -------------------------------------------------------------------------------------------------
def outputs_folder(params: DecisionsParams) -> Path:
    folder = Path(params.outputs).expanduser()
    return folder if folder.is_absolute() else PROJECT_ROOT / folder


def _from_store(spec: AssessmentSpec, store: Store, organisation: str, period: str) -> dict[str, Any] | None:
    """The assessment's summary computed now from the store (None: it keeps nothing there for the period)."""
    if not any(store.current(organisation, period, k.kind) for k in spec.record_kinds):
        return None
    base = spec.params(organisation=organisation, period=period, source="store", store_url=store.url,
                       as_of=dt.date.today())
    params, _applied = effective(base, store, neutral=True)
    return json.loads(json.dumps(spec.summary(spec.run(params), organisation, period), default=str))


def _from_outputs(spec: AssessmentSpec, folder: Path, organisation: str, period: str) -> tuple[dict | None, str]:
    """The assessment's latest report for the organisation and period in the outputs folder (the newest file)."""
    found = []
    for file in folder.glob(f"*/*/{spec.name}.json") if folder.is_dir() else []:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        if isinstance(data, dict) and (data.get("organisation"), data.get("period")) == (organisation, period):
            found.append((file.stat().st_mtime, file, data))
    if not found:
        return None, ""
    _when, file, data = max(found, key=lambda f: f[0])
    return data, str(file)


def read_summaries(store: Store, organisation: str, period: str, folder: Path) -> list[Read]:
    """Each assessment declaring what is due: its summary from the store, else from the outputs folder."""
    out = []
    for spec in in_order_of_work():
        if not spec.decisions_due:
            continue
        try:
            summary = _from_store(spec, store, organisation, period)
            if summary is not None:
                out.append(Read(spec.name, summary, "computed now from what is saved in the store"))
                continue
        except (ValueError, StoreError) as exc:  # its inputs in the store are not complete: say so, try the reports
            failed = f"could not be computed from the store ({exc})"
        else:
            failed = "nothing saved in the store"
        summary, file = _from_outputs(spec, folder, organisation, period)
        out.append(Read(spec.name, summary, f"its report {file}" if summary is not None
                        else f"{failed}, and no report in {folder}"))
    return out


def standing_now(store: Store, organisation: str, period: str, folder: Path) -> tuple[list[Standing], list[Read],
                                                                                     dt.date]:
    reads = read_summaries(store, organisation, period, folder)
    summaries = [r.summary for r in reads if r.summary is not None]
    dates = []
    for s in summaries:
        try:
            dates.append(dt.date.fromisoformat(str(s.get("as_of"))[:10]))
        except ValueError:
            pass
    as_of = max(dates) if dates else dt.date.today()
    found = standings(decisions_due(summaries), ledger.on_record(store, organisation, period), as_of,
                      {s["assessment"] for s in summaries})
    return found, reads, as_of


def standing_table(found: list[Standing]) -> str:
    rows = [{"State": s.state.capitalize(), "Subject": subject_words(s.subject_kind, s.subject_id, s.name),
             "Why": s.reason, "Who may decide": s.who_may_decide or "(not named)",
             "Flag": s.flag} for s in found]
    frame = pd.DataFrame(rows, columns=["State", "Subject", "Why", "Who may decide", "Flag"])
    if not frame["Flag"].astype(bool).any():
        frame = frame.drop(columns="Flag")
    return html_table(frame, empty="Nothing is due and no decision is on record.").data


def sources_html(reads: list[Read]) -> str:
    items = "".join(f"<li><b>{html.escape(r.assessment.replace('-', ' ').capitalize())}</b>: "
                    f"{html.escape(r.where)}</li>" for r in reads)
    return f'<div class="wb-decisions-sources"><p>What is due comes from:</p><ul>{items}</ul></div>'


# ---- the page ----------------------------------------------------------------------------------------------------
class DecisionsPage(StoreForm):
    """Request and decide what the assessments say is due, for one organisation and period."""

    params: DecisionsParams

    def __init__(self, params: DecisionsParams, sections: Sections, store: Store | None = None):
        super().__init__(params, sections, store)
        self.found: list[Standing] = []
        self.role = tag(w.Text(description="Your role", placeholder="e.g. Risk owner, Municipal Manager",
                               style=WIDE, layout=w.Layout(width="480px")), "role")
        self.status = tag(w.HTML(), "decisions-due")
        self.sources = w.HTML()
        # a request
        self.subject = tag(w.Dropdown(description="Due", options=[], style=WIDE, layout=w.Layout(width="640px")),
                           "request-subject")
        self.why = tag(w.Textarea(description="Why", placeholder="why it should be accepted or approved", style=WIDE,
                                  layout=w.Layout(width="640px")), "request-why")
        self.conditions = tag(w.Text(description="Conditions", style=WIDE, layout=w.Layout(width="640px")),
                              "request-conditions")
        self.review = tag(w.DatePicker(description="Review by", style=WIDE), "request-review")
        self.expiry = tag(w.DatePicker(description="Expires on", style=WIDE), "request-expiry")
        self.request_button = tag(w.Button(description="Request a decision", button_style="primary",
                                           layout=w.Layout(width="auto")), "request")
        self.request_feedback = tag(Feedback(), "request-feedback")
        # a decision
        self.pending = tag(w.Dropdown(description="Decision", options=[], style=WIDE, layout=w.Layout(width="640px")),
                           "decide-which")
        self.outcome = tag(w.Dropdown(description="Outcome", options=OUTCOME_CHOICES, style=WIDE), "decide-outcome")
        self.note = tag(w.Textarea(description="Note", style=WIDE, layout=w.Layout(width="640px")), "decide-note")
        self.decide_button = tag(w.Button(description="Record the decision", button_style="primary",
                                          layout=w.Layout(width="auto")), "decide")
        self.decide_feedback = tag(Feedback(), "decide-feedback")
        self.history = tag(w.HTML(), "decisions-history")
        self.request_button.on_click(self.guard(self._request, self.request_feedback))
        self.decide_button.on_click(self.guard(self._decide, self.decide_feedback))
        self.widget = w.VBox([
            w.HTML("<h2>Decisions</h2><p>What the assessments say needs a decision for the organisation and period "
                   "(a risk above the appetite, a metric outside tolerance, an assurance gap, the appetite and "
                   "tolerance), who may decide it, and what was decided. Type your name and your role (where access is "
                   "granted, your role is the one your access names): a decision by another role than the one the "
                   "methodology names is recorded and flagged. Every step is kept with your name "
                   "and the time.</p>"),
            self.picker, self.respondent, self.role, self.feedback, self.status, self.sources,
            w.HTML("<h3>Ask for a decision</h3>"), self.subject, self.why, self.conditions, self.review, self.expiry,
            w.HBox([self.request_button]), self.request_feedback,
            w.HTML("<h3>Decide</h3>"), self.pending, self.outcome, self.note, w.HBox([self.decide_button]),
            self.decide_feedback, w.HTML("<h3>History</h3>"), self.history])
        self.widget.add_class("wb-decisions-form")
        self.refresh()

    # ---- showing -------------------------------------------------------------------------------------
    def refresh(self, message: str | None = None) -> None:
        org, period = self.picker.value
        if not org or not period:
            self.status.value = "<p>Choose or type your organisation and the period, then press <i>Open</i>.</p>"
            self.sources.value = ""
            self.history.value = "<p>The history shows once an organisation and period are open.</p>"
            self.subject.options = self.pending.options = []
            return
        self.found, reads, as_of = standing_now(self.store, org, period, outputs_folder(self.params))
        due = [s for s in self.found if s.state in NEEDS_DECISION and s.due is not None]
        self.status.value = (f"<p><b>{len(due)} due for a decision</b> for {html.escape(org)}, {html.escape(period)} "
                             f"(as of {as_of.isoformat()}).</p>" + standing_table(self.found))
        self.sources.value = sources_html(reads)
        self.subject.options = [(f"{subject_words(s.subject_kind, s.subject_id, s.name)} (decides: "
                                 f"{s.who_may_decide or 'not named'})", f"{s.subject_kind}:{s.subject_id}")
                                for s in due]
        decisions = ledger.decisions(self.store, org, period)
        self.pending.options = [(f"{d.decision_id}: {subject_words(*d.subject, d.subject_name)} ({d.status})",
                                  d.decision_id)
                                for d in decisions if d.status in (REQUESTED, "approved")]
        self.history.value = self._history(org, period)
        self._role_from_access(org)
        if message:
            self.feedback.ok(message)

    def _role_from_access(self, org: str) -> None:
        """With access records, the role is the position the signed-in user's grant names ("Municipal Manager"):
        filled in, and fixed when there is one; without, typed."""
        user = access.acting_user(self.store.user)
        positions = self.store.access_positions(user, org) if user and self.store.access_enforced() else []
        if positions and self.role.value not in positions:
            self.role.value = positions[0]
        self.role.disabled = len(positions) == 1

    def _history(self, org: str, period: str) -> str:
        rows = []
        for h in self.store.history(org, period, "decision"):
            after = h["after"] or {}
            rows.append({"Decision": h["key"], "Subject": subject_words(after.get("subject_kind", ""),
                                                                         after.get("subject_id", ""),
                                                                         after.get("subject_name", "")),
                         "Status": after.get("status", ""), "By": h["who"],
                         "Role": after.get("decided_role") or after.get("requested_role", ""),
                         "Note or reason": after.get("note") or after.get("reason", ""),
                         "Flag": after.get("role_flag", ""), "When": h["at"].strftime("%Y-%m-%d %H:%M UTC")})
        if not rows:
            return "<p>No decision on record for this period yet.</p>"
        return "<p>Every step, latest first.</p>" + html_table(pd.DataFrame(rows[::-1])).data

    # ---- saving --------------------------------------------------------------------------------------
    def _who(self) -> tuple[Any, str]:
        author = self.respondent.author()
        if not self.role.value.strip() and not self.store.access_enforced():  # with access: the grant's role
            raise StoreError("enter your role (e.g. Risk owner, Municipal Manager): it is recorded with the decision")
        return author, self.role.value.strip()

    def _standing(self, subject: str) -> Standing:
        for s in self.found:
            if f"{s.subject_kind}:{s.subject_id}" == subject:
                return s
        raise StoreError("choose what the decision is about: the list shows what is due")

    def _request(self, _button: Any = None) -> None:
        org, period = self.picker.value
        if not org or not period:
            raise StoreError("choose or type an organisation and a period, then press Open")
        author, role = self._who()
        if not self.subject.value:
            raise StoreError("nothing is due to ask a decision on")
        item = self._standing(self.subject.value).due
        try:
            made = ledger.request(self.store, item, author, role, self.why.value, self.expiry.value,
                                  self.review.value, self.conditions.value)
        except DecisionError as exc:
            raise StoreError(str(exc).replace(" (--why)", "").replace(" (--role)", "")
                             .replace(" (--expiry YYYY-MM-DD)", "")) from None
        message = f"Requested {made.decision_id}: {subject_words(*made.subject, made.subject_name)}, for the " \
                  f"{made.who_may_decide or 'decision maker'} to decide."
        self.why.value = self.conditions.value = ""
        self.refresh(message)
        self.request_feedback.ok(message)

    def _decide(self, _button: Any = None) -> None:
        org, period = self.picker.value
        if not org or not period:
            raise StoreError("choose or type an organisation and a period, then press Open")
        author, role = self._who()
        if not self.pending.value:
            raise StoreError("there is no request or approval to decide on")
        decision = ledger.find(self.store, org, period, self.pending.value)
        now = next((s.due for s in self.found if (s.subject_kind, s.subject_id) == decision.subject), None)
        try:
            made = ledger.decide(self.store, org, period, decision.decision_id, self.outcome.value, author, role,
                                 self.note.value, now=now)
        except DecisionError as exc:
            raise StoreError(str(exc).replace(" (--note)", "")) from None
        flag = f" Flagged: {made.role_flag}." if made.role_flag else ""
        message = f"{made.decision_id} {made.status} by {made.decided_by} ({made.decided_role}).{flag}"
        self.note.value = ""
        self.refresh(message)
        self.decide_feedback.ok(message)


def decisions_report(params: DecisionsParams) -> HTML:
    """What stands for the organisation and period, as a table (outside the app)."""
    if not params.organisation or not params.period:
        return HTML("<p>Name an organisation and a period to list what is due and decided.</p>")
    with Store(params.store_url, create=False) as store:
        found, reads, as_of = standing_now(store, params.organisation, params.period, outputs_folder(params))
    return HTML(f"<p>As of {as_of.isoformat()}.</p>" + standing_table(found) + sources_html(reads))


def start(namespace: dict[str, Any]) -> DecisionsPage | None:
    """The Decisions notebook's one call: the page in the app, what stands elsewhere. The notebook's last cell passes
    the page to ``core.forms.serve`` (a preheated kernel waits there for its page request)."""
    params = from_namespace(namespace, DecisionsParams)
    if app_mode(params.show_form):
        page = DecisionsPage(params, Sections(live=True))
        display(page)
        return page
    display(decisions_report(params))
    return None
