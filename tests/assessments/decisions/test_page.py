"""The Decisions page without a browser (what is due for Karoo Vale, a request and an approval recorded with the
audit trail, a decision by another role flagged, reports read when the store holds nothing), a signed-off period
read-only in the risk form, the ``decisions`` key of an assessment's JSON summary and the batch index's decisions
due."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from tests.assessments.decisions.conftest import ORG, PERIOD, author, monitoring_summary
from tests.conftest import PARAMETERS
from tests.form_kit import Recorder, no_request  # noqa: F401 - a fixture
from workbook_lib.app.landing import landing_page
from workbook_lib.app.serve import served_folder
from workbook_lib.assessments import decisions_due_count, decisions_in_summary, get, registry
from workbook_lib.assessments.decisions import ledger, signoff
from workbook_lib.assessments.decisions.form import DecisionsPage, DecisionsParams, decisions_report
from workbook_lib.assessments.risk.form import RiskRegisterForm
from workbook_lib.cli import app
from workbook_lib.core.store import Store

pytestmark = pytest.mark.usefixtures("no_request")
RUN = CliRunner()
FUTURE = dt.date.today() + dt.timedelta(days=300)


@pytest.fixture
def karoo(tmp_path):
    """A store holding Karoo Vale's register and settings, as `workbook store import` and `settings import` save
    them."""
    url = str(tmp_path / "karoo.db")
    registry()
    for args in (["store", "import", str(PARAMETERS / "registers" / "karoo_vale_municipality_2025.csv"), "-a",
                  "risk-evaluation", "--params", str(PARAMETERS / "karoo-vale-2025-26.yaml")],
                 ["settings", "import", str(PARAMETERS / "karoo-vale-2025-26.yaml"), "--from-params"]):
        done = RUN.invoke(app, [*args, "--organisation", ORG, "--period", PERIOD, "--who", "Risk champion"],
                          env={"WORKBOOK_DB": url})
        assert done.exit_code == 0, done.output
    with Store(url) as st:
        yield st


def _page(store, tmp_path, **more) -> DecisionsPage:
    params = DecisionsParams(**{"organisation": ORG, "period": PERIOD, "store_url": store.url,
                                "outputs": str(tmp_path / "none"), **more})
    page = DecisionsPage(params, Recorder(), store=store)
    page.respondent.name.value = "Thandi Dlamini"
    page.role.value = "Risk owner"
    return page


def test_the_page_lists_a_due_risk_and_records_a_request_and_an_approval(karoo, tmp_path):
    page = _page(karoo, tmp_path)
    assert "due for a decision" in page.status.value and "risk KV-002" in page.status.value
    assert "Municipal Manager" in page.status.value
    assert "computed now from what is saved in the store" in page.sources.value
    assert "risk:KV-002" in [v for _label, v in page.subject.options]
    page.subject.value = "risk:KV-002"
    page.why.value = "No second water source until 2027"
    page.expiry.value = FUTURE
    page.request_button.click()
    assert "Requested D1" in page.request_feedback.value, page.request_feedback.value
    assert page.pending.options == (("D1: risk KV-002 (requested)", "D1"),)
    page.respondent.name.value, page.role.value = "Sipho Mokoena", "Municipal Manager"
    page.pending.value, page.outcome.value, page.note.value = "D1", "approved", "accepted while the pipeline is built"
    page.decide_button.click()
    assert "D1 approved by Sipho Mokoena (Municipal Manager)" in page.decide_feedback.value
    trail = karoo.history(ORG, PERIOD, "decision", "D1")
    assert [(h["who"], h["after"]["status"]) for h in trail] == [("Thandi Dlamini", "requested"),
                                                                  ("Sipho Mokoena", "approved")]
    assert trail[-1]["after"]["decided_role"] == "Municipal Manager" and trail[-1]["after"]["role_flag"] == ""
    assert "Approved" in page.status.value and "Sipho Mokoena" in page.history.value
    assert "risk:KV-002" not in [v for _label, v in page.subject.options]  # no longer asked for


def test_a_decision_by_another_role_is_flagged_and_bad_input_refused(karoo, tmp_path):
    page = _page(karoo, tmp_path)
    page.subject.value = "risk:KV-002"
    page.expiry.value = FUTURE
    page.request_button.click()  # no reason
    assert "Not saved" in page.request_feedback.value and "reason" in page.request_feedback.value
    page.why.value = "the budget"
    page.role.value = ""
    page.request_button.click()
    assert "enter your role" in page.request_feedback.value
    page.role.value = "Risk owner"
    page.request_button.click()
    page.role.value = "Chief Financial Officer"
    page.pending.value, page.outcome.value = "D1", "rejected"
    page.decide_button.click()
    assert "Flagged: decided by the Chief Financial Officer; the methodology names the Municipal Manager" in \
        page.decide_feedback.value
    assert ledger.find(karoo, ORG, PERIOD, "D1").role_flag


def test_reports_in_the_outputs_folder_when_the_store_holds_nothing(tmp_path):
    with Store(str(tmp_path / "empty.db")) as st:
        folder = tmp_path / "outputs" / "karoo-vale" / PERIOD
        folder.mkdir(parents=True)
        (folder / "risk-monitoring.json").write_text(json.dumps(monitoring_summary()), encoding="utf-8")
        page = _page(st, tmp_path, outputs=str(tmp_path / "outputs"))
        assert "metric outside tolerance: Vacancy rate" in page.status.value  # its name, not its code
        assert "vacancy_rate" not in page.status.value
        assert "its report" in page.sources.value and "nothing saved in the store" in page.sources.value
        shown = decisions_report(page.params).data
        assert "Vacancy rate" in shown


def test_a_signed_off_period_is_read_only_in_the_risk_form(karoo):
    params = get("risk-evaluation").params(organisation=ORG, period=PERIOD, as_of="2025-11-30",
                                           methodology="western-cape-5x5", source="store", store_url=karoo.url)
    form = RiskRegisterForm(params, Recorder(), store=karoo)
    assert form.read_only == "" and not form.save.disabled
    signoff.submit(karoo, ORG, PERIOD, "risk-evaluation", author("Lindiwe"), "Risk champion")
    signoff.approve(karoo, ORG, PERIOD, "risk-evaluation", author("Sipho Mokoena"), "Municipal Manager",
                    on=dt.date(2026, 1, 15))
    form.picker.open_button.click()
    line = ("Signed off by Sipho Mokoena on 15 January 2026: read-only. To change it, ask the risk champion or the "
            "accounting officer to reopen the period, with the reason")
    assert form.read_only == line and line in form.settings_view.value
    assert form.save.disabled and all(b.disabled for b in _writers(form))
    with pytest.raises(Exception, match="Signed off by Sipho Mokoena"):
        form.opened_for_save((ORG, PERIOD))
    signoff.reopen(karoo, ORG, PERIOD, "risk-evaluation", author("Lindiwe"), "KV-002 re-rated")
    form.picker.open_button.click()
    assert form.read_only == "" and not form.save.disabled and "Signed off" not in form.settings_view.value


def _writers(form):
    from workbook_lib.core.forms import _writers as found

    return list(found(form.widget))


def test_the_summary_carries_the_decisions_from_the_store(karoo, risk_summary, tmp_path):
    spec = get("risk-evaluation")
    store_run = spec.params(organisation=ORG, period=PERIOD, as_of="2025-11-30", methodology="western-cape-5x5",
                            source="store", store_url=karoo.url)
    part = decisions_in_summary(risk_summary, store_run)["decisions"]
    assert {"due", "taken", "expired"} <= set(part) and part["taken"] == []
    assert "KV-002" in {d["subject_id"] for d in part["due"]}
    file_run = spec.params(organisation=ORG, period=PERIOD, as_of="2025-11-30", methodology="western-cape-5x5",
                           register="x.csv", store_url=karoo.url)
    assert decisions_in_summary(risk_summary, file_run) == {}  # a run from files, no decision on record: no key
    item = next(d for d in decisions_due([risk_summary]) if d.subject_id == "KV-002")
    ledger.request(karoo, item, author("Thandi"), "Risk owner", "no second source", "2026-06-30",
                   on=dt.date(2025, 11, 1))
    ledger.decide(karoo, ORG, PERIOD, "D1", "approved", author("Sipho"), "Municipal Manager",
                  on=dt.date(2025, 11, 2), now=item)
    part = decisions_in_summary(risk_summary, file_run)["decisions"]  # now on record: the file run joins them
    assert [t["decision_id"] for t in part["taken"]] == ["D1"]
    assert "KV-002" not in {d["subject_id"] for d in part["due"]}
    nowhere = spec.params(organisation=ORG, period=PERIOD, as_of="2025-11-30", methodology="western-cape-5x5",
                          register="x.csv", store_url=str(tmp_path / "absent.db"))
    assert decisions_in_summary(risk_summary, nowhere) == {} and not (tmp_path / "absent.db").exists()
    assert decisions_in_summary({"assessment": "coso-assessment"}, store_run) == {}
    # the batch index's Decisions due: the summary's own list where it carries one, else what it says is due
    with_part = {**risk_summary, "decisions": part}
    assert decisions_due_count([with_part]) == len(part["due"])
    assert decisions_due_count([risk_summary, monitoring_summary()]) == len(decisions_due([risk_summary])) + 1
    assert decisions_due_count([{"assessment": "coso-assessment"}]) is None


def decisions_due(summaries):
    from workbook_lib.assessments import decisions_due as due

    return due(summaries)


def test_the_landing_page_lists_the_decisions_page_and_the_app_serves_it():
    shown = landing_page(ORG, PERIOD)
    assert 'class="wb-page-link" href="decisions.ipynb?organisation=' in shown and ">Decisions</a>" in shown
    assert (served_folder() / "decisions.ipynb").resolve().is_file()


def test_with_access_records_the_role_is_the_signed_in_users_grant(karoo, tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBOOK_USER", raising=False)
    karoo.grant(ORG, "Ayanda", "admin", author("Ayanda"), first_admin=True)
    karoo.grant(ORG, "Thandi", "owner", author("Ayanda"))
    karoo.grant(ORG, "Sipho", "decider", author("Ayanda"), position="Municipal Manager")
    owner = _page(Store(karoo.url, user="Thandi"), tmp_path)
    assert not owner.role.disabled  # no position granted: typed
    owner.subject.value, owner.why.value, owner.expiry.value = "risk:KV-002", "no second source", FUTURE
    owner.request_button.click()
    assert "Requested D1" in owner.request_feedback.value, owner.request_feedback.value
    owner.pending.value, owner.outcome.value = "D1", "approved"
    owner.decide_button.click()
    assert "Only a decision maker" in owner.decide_feedback.value
    decider = DecisionsPage(DecisionsParams(organisation=ORG, period=PERIOD, store_url=karoo.url,
                                            outputs=str(tmp_path / "none")), Recorder(),
                            store=Store(karoo.url, user="Sipho"))
    assert decider.role.value == "Municipal Manager" and decider.role.disabled  # from the grant, fixed
    decider.respondent.name.value = "Sipho Mokoena"
    decider.pending.value, decider.outcome.value = "D1", "approved"
    decider.decide_button.click()
    assert "D1 approved by Sipho Mokoena (Municipal Manager)" in decider.decide_feedback.value


def test_a_save_sent_to_a_signed_off_period_is_refused_in_the_risk_form(karoo):
    """The buttons are disabled after the sign-off; a save that arrives anyway (a page opened before it) is refused
    and nothing is written."""
    params = get("risk-evaluation").params(organisation=ORG, period=PERIOD, as_of="2025-11-30",
                                           methodology="western-cape-5x5", source="store", store_url=karoo.url)
    form = RiskRegisterForm(params, Recorder(), store=karoo)  # opened before the sign-off: Save enabled
    signoff.submit(karoo, ORG, PERIOD, "risk-evaluation", author("Lindiwe"), "Risk champion")
    signoff.approve(karoo, ORG, PERIOD, "risk-evaluation", author("Sipho Mokoena"), "Municipal Manager")
    before = len(karoo.history(ORG, PERIOD, "risk"))
    form.respondent.name.value = "Thandi Dlamini"
    form.choose.value = "KV-002"
    form.save.click()
    assert "Signed off by Sipho Mokoena" in form.feedback.value + form.save_feedback.value
    assert len(karoo.history(ORG, PERIOD, "risk")) == before


def test_treatment_actions_in_the_risk_form(karoo):
    """Template 3 on the risk form's third tab: a risk's actions added and changed with the form's author (source
    "form" in the trail), overdue and unowned ones marked, a blank action refused in the form's words, and nothing
    saved once the period is signed off."""
    params = get("risk-evaluation").params(organisation=ORG, period=PERIOD, as_of="2025-11-30",
                                           methodology="western-cape-5x5", source="store", store_url=karoo.url)
    form = RiskRegisterForm(params, Recorder(), store=karoo)
    actions = form.actions_panel
    assert actions is not None and "KV-002" in [v for _label, v in actions.risk.options]
    form.choose.value = "KV-002"  # editing a risk shows its actions
    assert actions.risk.value == "KV-002" and "No treatment action recorded for KV-002" in actions.listing.value
    form.respondent.name.value = "Thandi Dlamini"
    actions.text.value, actions.due.value, actions.cost.value = "Drill two boreholes", "2025-09-30", "ZAR 1 200 000"
    actions.save.click()
    assert "Saved action 2 of KV-002" in actions.feedback.value, actions.feedback.value
    shown = actions.listing.value
    assert "Drill two boreholes" in shown and "overdue; no owner" in shown and "ZAR 1 200 000" in shown
    actions.owner.value, actions.progress.value, actions.status.value = "Director Technical", "Tender advertised", \
        "in progress"
    actions.save.click()
    assert "Saved the changes to action 2 of KV-002" in actions.feedback.value
    trail = karoo.history(ORG, PERIOD, "treatment_action", "KV-002|2")
    assert [(h["who"], h["source"]) for h in trail] == [("Thandi Dlamini", "form")] * 2
    assert trail[-1]["after"]["progress"] == "Tender advertised" and trail[-1]["after"]["owner"] == "Director Technical"
    assert "no owner" not in actions.listing.value and "overdue" in actions.listing.value
    actions.which.value = ""  # a new action with no text
    actions.save.click()
    assert "needs its text" in actions.feedback.value and "--action" not in actions.feedback.value
    signoff.submit(karoo, ORG, PERIOD, "risk-evaluation", author("Lindiwe"), "Risk champion")
    signoff.approve(karoo, ORG, PERIOD, "risk-evaluation", author("Sipho Mokoena"), "Municipal Manager")
    actions.text.value = "Water tankers on standby"
    actions.save.click()
    assert "Signed off by Sipho Mokoena" in actions.feedback.value
    assert len(karoo.current(ORG, PERIOD, "treatment_action")) == 1
