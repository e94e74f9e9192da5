"""The maturity form in a real browser (see tests/browser_kit.py): marks chosen by clicking an element's
description, capacity answers for a line, saved, found again after a reload, in the store with who saved
them; and the trend from an earlier period in the store."""

from __future__ import annotations

from urllib.parse import quote

from tests.browser_kit import choose, fill, open_app
from tests.conftest import PARAMETERS
from workbook_lib.assessments.maturity.model import load_matrix
from workbook_lib.core import records
from workbook_lib.core.store import Author, Store

ORG, PERIOD = "Maturity Browser Municipality", "2025-26"
LINE_2 = "2nd line - risk management and compliance"
READY = ".wb-maturity-form .wb-save-marks"


def _open(page, base: str, query: str = "") -> None:
    open_app(page, base, "maturity_scoring.ipynb", READY, query)


def _click_choice(page, element_id: str, mark: int) -> None:
    page.locator(f".wb-choice-{element_id}-{mark}").click()
    page.wait_for_selector(f".wb-choice-{element_id}-{mark}.wb-chosen")


def _answer(page, item: int, label: str) -> None:
    page.locator(f".wb-answer-{item}").get_by_role("button", name=label, exact=True).click()


def test_rate_by_clicking_descriptions_answer_for_line_2_and_find_it_all_again(page, app_server):
    base, db = app_server
    _open(page, base)
    fill(page, "organisation", ORG)
    fill(page, "period", PERIOD)
    page.locator(".wb-open").click()
    page.wait_for_selector(f".wb-ok:has-text('Opened {ORG}')")
    fill(page, "respondent", "Naledi Khumalo")
    choose(page, "line", LINE_2)
    # the three descriptions of an element side by side: clicking one chooses it
    cards = page.locator(".wb-element-A1 .wb-choice")
    assert cards.count() == 3
    assert "municipality-wide risk register" in cards.nth(1).inner_text()
    _click_choice(page, "A1", 2)
    _click_choice(page, "A2", 3)
    assert page.locator(".wb-element-A1 .wb-chosen").count() == 1
    choose(page, "group", "Risk strategy and appetite (3)")
    _click_choice(page, "A5", 1)
    page.locator(".wb-comment-A5 input").fill("Appetite not yet approved <script>alert(1)</script>")
    page.locator(".wb-assessment button:has-text('B Risk systems')").click()
    _click_choice(page, "B1", 2)
    page.wait_for_selector(".wb-marks-progress:has-text('4 unsaved change(s)')")
    page.locator(".wb-save-marks").click()
    page.wait_for_selector(".wb-ok:has-text('Saved marks'):has-text('4 added')")
    page.wait_for_selector(".wb-marks-progress:has-text('Elements rated 4 of 23')")
    page.wait_for_selector("text=4 of 23 elements are rated")  # the opening narrative, refreshed
    assert "no maturity status is given" in page.locator(".wb-maturity-status").inner_text()
    assert page.locator("script:has-text('alert(1)')").count() == 0  # text is escaped, never run

    page.get_by_role("tab", name="Capacity answers").click()
    assert page.locator(".wb-capacity-line .mod-active").inner_text().strip() == "2 Risk management"  # own line
    _answer(page, 1, "Yes")
    _answer(page, 4, "No")
    _answer(page, 11, "Yes")
    page.locator(".wb-save-capacity").click()
    page.wait_for_selector(".wb-ok:has-text('Saved capacity answers (line 2)')")
    page.wait_for_selector("text=/\\b3 of \\d+ answers given/")  # the capacity narrative, refreshed

    page.reload(wait_until="commit")  # come back later: open the organisation and period again
    page.wait_for_selector(READY)
    fill(page, "organisation", ORG)
    fill(page, "period", PERIOD)
    page.locator(".wb-open").click()
    page.wait_for_selector(f".wb-ok:has-text('Opened {ORG}')")
    page.wait_for_selector(".wb-choice-A1-2.wb-chosen")
    assert page.locator(".wb-choice-A2-3.wb-chosen").count() == 1
    choose(page, "group", "Risk strategy and appetite (3)")
    page.wait_for_selector(".wb-choice-A5-1.wb-chosen")
    assert page.locator(".wb-comment-A5 input").input_value().startswith("Appetite not yet approved")
    page.get_by_role("tab", name="Capacity answers").click()
    page.locator(".wb-capacity-line button:has-text('2 Risk management')").click()
    page.wait_for_selector(".wb-answer-1 .mod-active:has-text('Yes')")
    assert page.locator(".wb-answer-4 .mod-active").inner_text().strip() == "No"
    assert page.locator(".wb-answer-2 .mod-active").inner_text().strip() == "Not answered"

    store = Store(str(db))
    marks = {r.key: r for r in store.current(ORG, PERIOD, "maturity_mark")}
    assert {k: r.data["mark"] for k, r in marks.items()} == {"A1": "2", "A2": "3", "A5": "1", "B1": "2"}
    assert marks["A5"].method.name == "maturity-matrix"
    answers = {r.key: r.data["answer"] for r in store.current(ORG, PERIOD, "capacity_answer")}
    assert answers == {"1|2": "yes", "4|2": "no", "11|2": "yes"}
    trail = store.history(ORG, PERIOD)
    assert len(trail) == 7
    assert {(t["who"], t["line"], t["source"], t["identity"]) for t in trail} == \
        {("Naledi Khumalo", LINE_2, "form", "respondent")}


def test_the_trend_shows_an_earlier_period_from_the_store_and_saving_needs_a_name(page, app_server):
    base, db = app_server
    org = "Maturity Trend Municipality"
    earlier = records.canonical_rows("maturity_mark", records.read_for_kind(
        PARAMETERS / "maturity" / "karoo_vale_marks_2024.csv", "maturity_mark"), load_matrix().matrix)
    Store(str(db)).save(org, "2024-25", "maturity_mark", earlier, Author("Importer", identity="cli"),
                        source="import")
    _open(page, base, f"?organisation={quote(org)}&period={PERIOD}")
    _click_choice(page, "A1", 3)
    page.locator(".wb-save-marks").click()
    page.wait_for_selector(".wb-error:has-text('enter your name')")  # who is saving comes first
    assert Store(str(db)).current(org, PERIOD, "maturity_mark") == []
    fill(page, "respondent", "Naledi Khumalo")
    page.locator(".wb-save-marks").click()
    page.wait_for_selector(".wb-ok:has-text('Saved marks')")
    page.wait_for_selector("text=Trend from 2024-25 to 2025-26")
    trend = page.locator("table.workbook-table:has-text('2024-25')")  # the trend table: both periods
    assert trend.count() == 1 and "2025-26" in trend.inner_text()
