"""Who may see and change what, in Chromium with the proxy's header set per browser context (issue 28): a user of one
municipality asking for another's form gets a 403 page with one sentence and none of its data, a reader's form has
no enabled Save, line 1 is offered only its own line and does not see internal audit's ratings before the round
closes, and what the administrator grants or revokes on the command line shows on the next page."""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import urlencode

import pytest

from tests.browser_kit import ROOT, serve_app
from tests.form_kit import settle
from workbook_lib.assessments import registry
from workbook_lib.core.store import Author, Store

BLUE, KAROO, PERIOD = "Blue Crane Route Municipality", "Karoo Vale Local Municipality", "2025-26"
HEADER = "X-Auth-User"
SECRET = "Internal audit found no evidence"


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    db = tmp_path_factory.mktemp("secured") / "app.db"
    registry()
    admin = Author("Ayanda", identity="cli")
    with Store(str(db)) as st:
        for org in (BLUE, KAROO):
            st.save(org, PERIOD, "risk", {"R-1": {"risk_id": "R-1", "description": f"Floods in {org}"}},
                    Author("Seeder"))
        for org in (BLUE, KAROO):  # the first access record closes every organisation to everyone without a role
            st.grant(org, "Ayanda", "admin", admin, first_admin=True)
    with Store(str(db), user="Ayanda") as st:
        for user, role in (("Lindiwe", "champion"), ("Rea", "reader"), ("Lwazi", "line1"), ("Nomsa", "line3")):
            st.grant(BLUE, user, role, admin)
        settle(st, BLUE, PERIOD, methodology="western-cape-5x5")
    with Store(str(db), user="Nomsa") as st:
        st.save(BLUE, PERIOD, "coso_response", {"P01-01|3": {"item_id": "P01-01", "line": "3", "rating": "2",
                                                             "respondent": "Nomsa", "comment": SECRET}},
                Author("Nomsa", "3"))
    yield from serve_app(db, tmp_path_factory, "--user-header", HEADER)


@pytest.fixture
def as_user(browser):
    contexts = []

    def open_as(user: str):
        context = browser.new_context(extra_http_headers={HEADER: user}, viewport={"width": 1300, "height": 1600})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(120_000)
        return page

    yield open_as
    for context in contexts:
        context.close()


def _url(base: str, notebook: str, organisation: str) -> str:
    return f"{base}/voila/render/{notebook}?" + urlencode({"organisation": organisation, "period": PERIOD})


def test_another_municipalitys_form_is_a_403_with_one_sentence(secured, as_user):
    base, _db = secured
    page = as_user("Rea")
    response = page.goto(_url(base, "risk_evaluation.ipynb", KAROO))
    assert response.status == 403
    text = page.locator("body").inner_text()
    assert text.strip() == f"You have no access to {KAROO}; ask its risk champion."
    assert f"Floods in {KAROO}" not in page.content()
    # from her own organisation's form, typing the other's name into the page (the kernel's websocket): refused too
    page.goto(_url(base, "risk_evaluation.ipynb", BLUE), wait_until="commit")
    page.wait_for_selector(".wb-risk-form .wb-save")
    assert KAROO not in page.locator(".wb-organisation").inner_html()  # never offered
    page.locator(".wb-organisation input").fill(KAROO)
    page.locator(".wb-open").click()
    page.wait_for_selector(f".wb-error:has-text('You have no access to {KAROO}')")
    assert f"Floods in {KAROO}" not in page.content()


def test_a_reader_has_no_save_and_a_grant_shows_on_the_next_page(secured, as_user):
    base, db = secured
    page = as_user("Rea")
    page.goto(_url(base, "risk_evaluation.ipynb", BLUE), wait_until="commit")
    page.wait_for_selector(".wb-read-only:has-text('You may read')")
    saves = page.locator("button:has-text('Save')")
    assert saves.count() >= 1 and all(saves.nth(i).is_disabled() for i in range(saves.count()))
    assert f"Floods in {BLUE}" in page.locator(".wb-risk-list").inner_text()  # reads, as a reader does
    workbook = [sys.executable, "-m", "workbook_lib.cli", "access"]
    env_store = ["--who", "Ayanda", "--store", str(db)]
    for step in ("grant", "revoke"):
        done = subprocess.run([*workbook, step, "--user", "Rea", "--organisation", BLUE, "--role", "champion",
                               *env_store], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        page.reload(wait_until="commit")
        page.wait_for_selector(".wb-risk-form .wb-save")
        page.wait_for_timeout(500)
        if step == "grant":  # a champion now: the form is hers to change
            assert page.locator(".wb-read-only").count() == 0
            assert not page.locator(".wb-risk-form .wb-save").is_disabled()
        else:
            page.wait_for_selector(".wb-read-only:has-text('You may read')")
            assert page.locator(".wb-risk-form .wb-save").is_disabled()


def test_line_1_rates_only_its_line_and_sees_no_other_lines_ratings_before_the_round_closes(secured, as_user):
    base, _db = secured
    page = as_user("Lwazi")
    page.goto(_url(base, "coso_assessment.ipynb", BLUE), wait_until="commit")
    page.wait_for_selector(".wb-coso-form .wb-line")
    lines = page.locator(".wb-line select").evaluate("s => [...s.options].map(o => o.value)")
    assert len(lines) == 1 and lines[0].startswith("1 ·")  # its own line only
    assert SECRET not in page.content()
    page.locator(".wb-mode button:has-text('Champion')").click()
    page.wait_for_selector(".wb-champion:has-text('when the risk champion closes the round')")
    assert SECRET not in page.content()
    champion = as_user("Lindiwe")
    champion.goto(_url(base, "coso_assessment.ipynb", BLUE) + "&view=champion", wait_until="commit")
    champion.wait_for_selector(".wb-round:has-text('Close the round')").click()
    champion.wait_for_selector(".wb-ok:has-text('The round is closed')")
    page.reload(wait_until="commit")
    page.wait_for_selector(".wb-coso-form .wb-line")
    page.locator(".wb-mode button:has-text('Champion')").click()
    page.wait_for_selector(".wb-who-answered")  # the combined results, for everyone with access
    assert "when the risk champion closes the round" not in page.locator(".wb-champion").inner_text()
