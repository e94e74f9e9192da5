"""Pages show what the user may do (issue 28), without a browser: a reader's forms are read-only (no Save, no rating
saved on change), a line rates only in the COSO form, the Settings page is the champion's, a form in the app opens
on the user's own organisation (never the shipped example), and the landing page lists the user's organisations
and roles - or says the app is in single-user mode."""

from __future__ import annotations

import pytest

from tests.form_kit import Recorder, settle
from workbook_lib.app.landing import SINGLE_USER, who_may_open
from workbook_lib.app.settings_page import SettingsForm, SettingsParams
from workbook_lib.assessments import get, registry
from workbook_lib.assessments.coso.form import CosoAssessmentForm
from workbook_lib.assessments.coso.inputs import CosoParams
from workbook_lib.assessments.risk.form import RiskRegisterForm
from workbook_lib.core import access
from workbook_lib.core.forms import _writers
from workbook_lib.core.store import Author, Store

BLUE, KAROO, PERIOD = "Blue Crane Route Municipality", "Karoo Vale Local Municipality", "2025-26"
ADMIN = Author("Ayanda", identity="cli")


@pytest.fixture(autouse=True)
def in_the_app(monkeypatch):
    """A form kernel of the app, outside a request (the store's user stands for the proxy's)."""
    for name in ("SERVER_SOFTWARE", "QUERY_STRING", "VOILA_PREHEAT", access.USER_HEADER_ENV, access.REQUIRE_USER_ENV,
                 access.CLI_USER_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKBOOK_APP", "1")
    registry()


@pytest.fixture
def url(tmp_path):
    with Store(str(tmp_path / "store.db")) as st:
        for org, period in ((BLUE, "2024-25"), (BLUE, PERIOD), (KAROO, PERIOD)):
            st.save(org, period, "risk", {"R-1": {"risk_id": "R-1", "description": "Floods"}}, Author("Seeder"))
        for org in (BLUE, KAROO):
            st.grant(org, "Ayanda", "admin", ADMIN, first_admin=True)
    with Store(st.url, user="Ayanda") as admin:  # in the app only the signed-in user acts: here, the admin
        for user, role in (("Lindiwe", "champion"), ("Rea", "reader"), ("Lwazi", "line1"), ("Olga", "owner")):
            admin.grant(BLUE, user, role, ADMIN)
        admin.grant(KAROO, "Pieter", "champion", ADMIN)
        settle(admin, BLUE, PERIOD, methodology="western-cape-5x5")
    return st.url


def risk_form(url: str, user: str, organisation: str = BLUE) -> RiskRegisterForm:
    params = get("risk-evaluation").params(organisation=organisation, period=PERIOD, as_of="2025-11-30",
                                           source="store", store_url=url)
    form = RiskRegisterForm(params, Recorder(), store=Store(url, user=user))
    form.picker.organisation.value, form.picker.period.value = organisation, PERIOD
    form.picker.open_button.click()
    return form


def coso_form(url: str, user: str) -> CosoAssessmentForm:
    params = CosoParams(organisation=BLUE, period=PERIOD, as_of="2025-11-30", maturity_status="integrated",
                        store_url=url)
    form = CosoAssessmentForm(params, Recorder(), store=Store(url, user=user))
    form.picker.organisation.value, form.picker.period.value = BLUE, PERIOD
    form.picker.open_button.click()
    form.name.value = user
    if "1" in [v for _label, v in form.line.options]:  # a user who rates for no line is offered none
        form.line.value = "1"
    return form


def test_a_reader_gets_a_read_only_risk_form(url):
    form = risk_form(url, "Rea")
    assert form.read_only.startswith(f"You may read {BLUE} here but not change it (your access: Reader)")
    assert form.read_only in form.settings_view.value
    writers = list(_writers(form.widget))
    assert form.save in writers and all(w.disabled for w in writers)
    owner = risk_form(url, "Olga")
    assert owner.read_only == "" and not owner.save.disabled


def test_in_the_coso_form_a_line_rates_and_an_owner_or_reader_only_reads(url):
    lwazi = coso_form(url, "Lwazi")
    assert lwazi.read_only == ""
    rating, comment = next(iter(lwazi.item_widgets.values()))
    assert not rating.dropdown.disabled and not comment.disabled
    for user in ("Olga", "Rea"):
        form = coso_form(url, user)
        assert "but not change it" in form.read_only
        assert [v for _label, v in form.line.options] == [""]  # no line to rate for
        form.line.options = [("1 · test", "1")]  # even if a line were chosen, its fields stay disabled
        form.line.value = "1"
        rating, comment = next(iter(form.item_widgets.values()))
        assert rating.dropdown.disabled and comment.disabled  # saved on change: disabled with the form


def test_the_settings_page_is_the_champions(url):
    for user, read_only in (("Lindiwe", False), ("Ayanda", False), ("Olga", True), ("Rea", True)):
        form = SettingsForm(SettingsParams(organisation=BLUE, period=PERIOD, store_url=url), Recorder(),
                            store=Store(url, user=user))
        assert bool(form.read_only) is read_only, user
        if read_only:
            assert "ask the risk champion" in form.read_only
            assert all(w.disabled for w in _writers(form.widget))


def test_a_form_opens_on_the_users_own_organisation_never_the_example(url):
    params = get("risk-evaluation").params(organisation="Karoo Vale Local Municipality", period="2025-26",
                                           as_of="2025-11-30", source="store", store_url=url)
    only_one = RiskRegisterForm(params, Recorder(), store=Store(url, user="Olga"))
    assert only_one.picker.value == (BLUE, PERIOD)  # the user's only organisation, its latest period
    two = RiskRegisterForm(params, Recorder(), store=Store(url, user="Ayanda"))
    assert two.picker.value == ("", "")  # which one: the user chooses
    assert sorted(two.picker.organisation.options) == [BLUE, KAROO]
    assert list(only_one.picker.organisation.options) == [BLUE]  # never another organisation's name


def test_the_landing_page_lists_the_users_organisations_and_roles(url, tmp_path):
    shown = who_may_open(Store(url, user="Ayanda"), "Ayanda")
    assert "Signed in as <b>Ayanda</b>" in shown and BLUE in shown and KAROO in shown and "Administrator" in shown
    shown = who_may_open(Store(url, user="Rea"), "Rea")
    assert BLUE in shown and "Reader" in shown and KAROO not in shown
    assert "hold no role" in who_may_open(Store(url, user="Stranger"), "Stranger")
    assert "Nobody is signed in" in who_may_open(Store(url), None)
    with Store(str(tmp_path / "alone.db")) as alone:
        assert who_may_open(alone, None) == SINGLE_USER


def test_a_line_sees_only_its_own_ratings_until_the_champion_closes_the_round(url):
    from workbook_lib.assessments.coso.form import CHAMPION, NOT_YET

    lwazi = coso_form(url, "Lwazi")
    assert [v for _label, v in lwazi.line.options] == ["1"]  # line 1 rates for line 1 only
    lwazi.mode.value = CHAMPION
    assert NOT_YET in lwazi.champion.value and lwazi.round_button.layout.display == "none"
    champion = coso_form(url, "Lindiwe")
    assert [v for _label, v in champion.line.options] == ["", "1", "2", "3"]
    champion.mode.value = CHAMPION
    assert NOT_YET not in champion.champion.value and champion.round_button.layout.display == ""
    champion.round_button.click()
    assert "The round is closed" in champion.feedback.value and "closed" in champion.round_state.value
    for user in ("Lwazi", "Rea"):  # once closed: everyone with access
        form = coso_form(url, user)
        form.mode.value = CHAMPION
        assert NOT_YET not in form.champion.value, user
    champion.round_button.click()  # reopened
    assert "open again" in champion.feedback.value
    lwazi = coso_form(url, "Lwazi")
    lwazi.mode.value = CHAMPION
    assert NOT_YET in lwazi.champion.value


def test_a_preheated_form_is_built_for_nobody_then_for_the_requests_user(url, monkeypatch):
    """A kernel Voilà preheated builds the form before anybody asks (no user: nothing of any organisation read or
    offered); the request then names the user, whose organisations are offered and, if only one, opened."""
    params = get("risk-evaluation").params(organisation="Karoo Vale Local Municipality", period="2025-26",
                                           as_of="2025-11-30", source="store", store_url=url)
    before = len(Store(url, user="Ayanda").refused())
    form = RiskRegisterForm(params, Recorder(), store=Store(url))
    assert form.picker.value == ("", "") and list(form.picker.organisation.options) == []
    assert len(Store(url, user="Ayanda").refused()) == before  # built without reading anything refused
    monkeypatch.setenv(access.USER_HEADER_ENV, "X-Auth-User")
    monkeypatch.setenv("HTTP_X_AUTH_USER", "Olga")
    form.on_request("Olga", {})
    assert form.picker.value == (BLUE, PERIOD) and list(form.picker.organisation.options) == [BLUE]
    assert "R-1" in form.listing.value  # her organisation's register, read for her
    monkeypatch.delenv("HTTP_X_AUTH_USER")  # the next kernel, preheated: nobody yet
    other = RiskRegisterForm(params, Recorder(), store=Store(url))
    monkeypatch.setenv("HTTP_X_AUTH_USER", "Ayanda")
    other.on_request("Ayanda", {})
    assert other.picker.value == ("", "") and sorted(other.picker.organisation.options) == [BLUE, KAROO]
