"""A form built in a kernel Voilà preheated, before anybody asked for its page, meets its request
(forms.serve): it shows the proxy's user and the organisation, period, line and view the query string names,
and reads the store again only if something was saved since it was built. Without a browser; the browser
path is in test_app_server."""

from __future__ import annotations

import pytest

from tests.form_kit import preheated  # noqa: F401 - the fixture
from workbook_lib.assessments import shared_fields
from workbook_lib.assessments.assurance.form import AssuranceForm
from workbook_lib.assessments.assurance.inputs import CombinedAssuranceParams
from workbook_lib.assessments.coso.form import CHAMPION, CosoAssessmentForm
from workbook_lib.assessments.coso.inputs import CosoParams
from workbook_lib.assessments.maturity.form import MaturityForm
from workbook_lib.assessments.maturity.inputs import MaturityParams
from workbook_lib.assessments.risk.form import RiskRegisterForm
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.core import forms, records
from workbook_lib.core.params import load_file
from workbook_lib.core.store import Author, Store

from .conftest import PARAMETERS

ORG, PERIOD = "Karoo Vale Local Municipality", "2025-26"
OTHER, LATER = "Riverside District", "2026-27"
REGISTER = PARAMETERS / "registers" / "karoo_vale_municipality_2025.csv"
pytestmark = pytest.mark.usefixtures("preheated")


@pytest.fixture
def store(tmp_path):
    with Store(str(tmp_path / "store.db")) as s:
        _save_register(s, ORG, PERIOD)
        yield s


def _save_register(store: Store, organisation: str, period: str, only: int | None = None) -> None:
    rows = records.rows_from_table(records.read_for_kind(REGISTER, "risk"), "risk")
    if only is not None:
        rows = dict(list(rows.items())[:only])
    store.save(organisation, period, "risk", rows, Author("Seeder"), source="import")


def request(monkeypatch, query: str = "", user: str | None = None):
    """What voila.utils.wait_for_request does when the page is asked for: the request's variables appear."""
    def wait() -> None:
        monkeypatch.setenv("SERVER_SOFTWARE", "voila/test")
        monkeypatch.setenv("QUERY_STRING", query)
        if user:  # the one header `workbook app --user-header` names
            monkeypatch.setenv("WORKBOOK_USER_HEADER", "X-Forwarded-User")
            monkeypatch.setenv("HTTP_X_FORWARDED_USER", user)
    return wait


def _counting(monkeypatch, form, method: str) -> list[int]:
    calls: list[int] = []
    original = getattr(form, method)

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(form, method, counted)
    return calls


def _risk_form(store: Store) -> RiskRegisterForm:
    params = RiskEvaluationParams(organisation=ORG, period=PERIOD, as_of="2025-11-30", methodology="western-cape-5x5",
                                  source="store", store_url=store.url)
    return RiskRegisterForm(params, forms.Sections(live=True), store=store)


# ---- the store's fingerprint ---------------------------------------------------------------------------
def test_the_fingerprint_changes_with_what_an_organisation_sees_and_only_then(store):
    before = store.fingerprint(ORG)
    _save_register(store, OTHER, LATER)  # a new organisation and period: the pickers' choices change
    assert store.fingerprint(ORG) != before
    before = store.fingerprint(ORG)
    _save_register(store, OTHER, LATER, only=1)  # a save for another organisation only
    _save_register(store, OTHER, LATER)
    assert store.fingerprint(ORG) == before
    store.save(ORG, PERIOD, "risk", {"KV-001": {"risk_id": "KV-001", "description": "changed"}}, Author("Editor"))
    assert store.fingerprint(ORG) != before
    assert Store(store.url).fingerprint("Nobody") == (store.fingerprint(ORG)[:2] + (0,))


# ---- serve ----------------------------------------------------------------------------------------------
def test_serve_waits_only_in_a_preheated_kernel(store, monkeypatch):
    def never() -> None:
        raise AssertionError("waited for a request outside a preheated kernel")

    forms.serve(None, wait=never)  # a report (no form)
    monkeypatch.setenv("SERVER_SOFTWARE", "voila/test")  # a kernel started for its request
    forms.serve(_risk_form(store), wait=never)


def test_an_unchanged_store_is_not_read_again_and_the_user_is_shown(store, monkeypatch):
    form = _risk_form(store)
    assert form.respondent.name.value == "" and not form.respondent.name.disabled  # nobody known yet
    assert "KV-001" in form.listing.value
    refreshed = _counting(monkeypatch, form, "refresh")
    forms.serve(form, wait=request(monkeypatch, user="Thandi Mokoena"))
    assert refreshed == []  # the page built before the request is what the store holds: sent as it is
    assert form.respondent.name.value == "Thandi Mokoena" and form.respondent.name.disabled
    assert form.respondent.author().identity == "proxy"


def test_a_save_after_the_page_was_built_is_shown(store, monkeypatch):
    form = _risk_form(store)
    store.save(ORG, PERIOD, "risk", {"KV-999": {"risk_id": "KV-999", "description": "Saved by someone else"}},
               Author("Colleague"))
    refreshed = _counting(monkeypatch, form, "refresh")
    forms.serve(form, wait=request(monkeypatch))
    assert refreshed == [1]
    assert "KV-999" in form.listing.value and "KV-999" in form.choose.options


def test_the_organisation_and_period_of_the_query_are_opened(store, monkeypatch):
    form = _risk_form(store)
    _save_register(store, OTHER, LATER, only=2)
    forms.serve(form, wait=request(monkeypatch, query="organisation=Riverside%20District&period=2026-27"))
    assert form.picker.value == (OTHER, LATER)
    assert f"saved for {OTHER}, {LATER}" in form.listing.value
    assert OTHER in form.picker.organisation.options and LATER in form.picker.period.options
    assert len(form.choose.options) == 1 + 2


def test_a_failure_meeting_the_request_is_shown_in_the_form(store, monkeypatch):
    form = _risk_form(store)

    def broken(*_args) -> None:
        raise RuntimeError("store went away")

    monkeypatch.setattr(form, "on_request", broken)
    forms.serve(form, wait=request(monkeypatch))
    assert "store went away" in form.feedback.value


def test_coso_takes_the_line_view_and_user_of_the_request(store, monkeypatch):
    params = CosoParams(organisation=ORG, period=PERIOD, as_of="2026-11-30", maturity_status="integrated",
                        store_url=store.url)
    form = CosoAssessmentForm(params, forms.Sections(live=True), store=store)
    assert form.line.value == "" and form.mode.value != CHAMPION
    forms.serve(form, wait=request(monkeypatch, query="line=2&view=champion", user="Sipho Dlamini"))
    assert form.line.value == "2" and form.mode.value == CHAMPION
    assert form.name.value == "Sipho Dlamini" and form.name.disabled and form.user == "Sipho Dlamini"
    assert form.champion_panel.layout.display == ""  # the champion's view is the one shown


def test_maturity_shows_marks_saved_after_it_was_built(store, monkeypatch):
    params = MaturityParams(organisation=ORG, period=PERIOD, as_of="2025-11-30", store_url=store.url)
    form = MaturityForm(params, forms.Sections(live=True), store=store)
    element = form.m.element_ids[0]
    assert form.saved_marks.get(element, ("", ""))[0] == ""
    status = form.m.statuses[0]
    store.save(ORG, PERIOD, "maturity_mark", {element: {"element": element, "mark": str(status.mark)}},
               Author("Colleague"))
    forms.serve(form, wait=request(monkeypatch, user="Lerato"))
    assert form.saved_marks[element][0] == str(status.mark)
    assert form.respondent.name.value == "Lerato"


def test_assurance_opens_the_register_of_the_organisation_in_the_query(store, monkeypatch):
    loaded = load_file(PARAMETERS / "karoo-vale-2025-26.yaml", CombinedAssuranceParams, shared_fields())
    params = loaded.model_copy(update={"store_url": store.url})
    form = AssuranceForm(params, forms.Sections(live=True), store=store)
    _save_register(store, OTHER, LATER, only=3)
    analysed = _counting(monkeypatch, form, "refresh")
    forms.serve(form, wait=request(monkeypatch, query="organisation=Riverside%20District&period=2026-27"))
    assert analysed == [1]
    assert form.opened == (OTHER, LATER) and len(form.register_ids) == 3
