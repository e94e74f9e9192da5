"""Decisions and sign-off in Chromium (see tests/browser_kit.py): a signed-off period's risk form has no enabled
Save and says why; the Decisions page lists a due risk of Karoo Vale, and a request and its approval typed there are
in the store's audit trail."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from typer.testing import CliRunner

from tests.assessments.decisions.conftest import ORG, PERIOD
from tests.browser_kit import choose, fill, open_app
from tests.conftest import PARAMETERS
from workbook_lib.cli import app
from workbook_lib.core.store import Store

QUERY = "?" + urlencode({"organisation": ORG, "period": PERIOD})
OTHER = "Signed Off Local Municipality"


@pytest.fixture(scope="module")
def karoo(app_server):
    """The app's store holding Karoo Vale's register and settings, and another organisation's risk evaluation signed
    off for the period."""
    base, db = app_server
    run = CliRunner()
    env = {"WORKBOOK_DB": str(db)}
    for org in (ORG, OTHER):
        for args in (["store", "import", str(PARAMETERS / "registers" / "karoo_vale_municipality_2025.csv"), "-a",
                      "risk-evaluation", "--params", str(PARAMETERS / "karoo-vale-2025-26.yaml")],
                     ["settings", "import", str(PARAMETERS / "karoo-vale-2025-26.yaml"), "--from-params"]):
            done = run.invoke(app, [*args, "--organisation", org, "--period", PERIOD, "--who", "Risk champion"],
                              env=env)
            assert done.exit_code == 0, done.output
    for step in (["submit", "--role", "Risk champion", "--who", "Lindiwe"],
                 ["approve", "--role", "Municipal Manager", "--who", "Sipho Mokoena"]):
        done = run.invoke(app, ["signoff", step[0], "risk-evaluation", "--organisation", OTHER, "--period", PERIOD,
                                *step[1:]], env=env)
        assert done.exit_code == 0, done.output
    return base, db


def test_a_signed_off_period_has_no_enabled_save(page, karoo):
    base, _db = karoo
    open_app(page, base, "risk_evaluation.ipynb", ".wb-risk-form .wb-save", "?" + urlencode(
        {"organisation": OTHER, "period": PERIOD}))
    note = page.locator(".wb-read-only")
    note.wait_for()
    assert f"Signed off by Sipho Mokoena on {dt.date.today():%d %B %Y}: read-only." in note.inner_text()
    assert "reopen the period, with the reason" in note.inner_text() and "workbook" not in note.inner_text()
    saves = page.locator("button:has-text('Save')")
    assert saves.count() >= 1
    assert all(saves.nth(i).is_disabled() for i in range(saves.count()))


def test_the_decisions_page_lists_a_due_risk_and_records_an_approval(page, karoo):
    base, db = karoo
    open_app(page, base, "decisions.ipynb", ".wb-decisions-due:has-text('risk KV-002')", QUERY)
    fill(page, "respondent", "Thandi Dlamini")
    fill(page, "role", "Risk owner")
    choose(page, "request-subject", "risk KV-002 (decides: Municipal Manager)")
    fill(page, "request-why", "No second water source until 2027")
    page.locator(".wb-request-expiry input").fill((dt.date.today() + dt.timedelta(days=200)).isoformat())
    page.locator("button.wb-request").click()
    page.wait_for_selector(".wb-request-feedback:has-text('Requested D1')")
    fill(page, "respondent", "Sipho Mokoena")
    fill(page, "role", "Municipal Manager")
    choose(page, "decide-which", "D1: risk KV-002 (requested)")
    choose(page, "decide-outcome", "Approve")
    page.locator("button.wb-decide").click()
    page.wait_for_selector(".wb-decide-feedback:has-text('D1 approved by Sipho Mokoena (Municipal Manager)')")
    page.wait_for_selector(".wb-decisions-history:has-text('Sipho Mokoena')")
    with Store(str(db)) as st:
        trail = st.history(ORG, PERIOD, "decision", "D1")
    assert [(h["who"], h["after"]["status"]) for h in trail] == [("Thandi Dlamini", "requested"),
                                                                  ("Sipho Mokoena", "approved")]
    assert trail[-1]["after"]["decided_role"] == "Municipal Manager" and not trail[-1]["after"]["role_flag"]
