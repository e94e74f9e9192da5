"""The COSO form in a real browser: two lines answer on their own, the champion sees both, a reload resumes."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from tests.browser_kit import choose, fill, open_app
from workbook_lib.core.store import Store

ORG, PERIOD = "Browser COSO Municipality", "2026-27"
NOTEBOOK, READY = "coso_assessment.ipynb", ".wb-coso-form .wb-line"
LINE_1 = "1 · 1st line - management (risk owners)"
LINE_2 = "2 · 2nd line - risk management"


def _chosen(page, name: str) -> str:
    text = page.locator(f".wb-{name} select").evaluate("s => s.options[s.selectedIndex].text")
    return text.replace("\xa0", " ")  # the widget shows spaces as non-breaking ones


def _open(page, base: str) -> None:
    open_app(page, base, NOTEBOOK, READY)
    fill(page, "organisation", ORG)
    fill(page, "period", PERIOD)
    page.locator(".wb-open").click()
    page.wait_for_selector(f".wb-ok:has-text('Opened {ORG}')")


def test_two_lines_answer_the_champion_sees_both_and_a_reload_resumes(page, app_server):
    base, db = app_server
    _open(page, base)
    page.wait_for_selector("text=The combined view is for the assurance champion")  # no report while responding
    assert page.locator(".wb-who-answered").count() == 0
    fill(page, "respondent", "Ann Andrews")
    choose(page, "line", LINE_1)
    page.wait_for_selector(".wb-key-question:has-text('Has management designed processes')")
    choose(page, "rating-P01-01", "3 · Documented, trained and assigned")
    page.wait_for_selector(".wb-ok:has-text('Saved P01-01')")
    assert "staff have been trained" in page.locator(".wb-item-P01-01").inner_text()  # the level's meaning
    choose(page, "rating-P01-02", "2 · Documented only")
    page.wait_for_selector(".wb-ok:has-text('Saved P01-02')")
    page.locator(".wb-comment-P01-02 textarea").fill("Draft policy <b>HR-7</b>")
    page.locator(".wb-comment-P01-02 textarea").press("Tab")  # a comment is saved when the field is left
    page.wait_for_selector(".wb-ok:has-text('Saved P01-02'):has-text('with a comment')")
    page.wait_for_selector(".wb-progress:has-text('rated 2 of 76 items')")

    page.reload(wait_until="commit")  # the second line, later, on the same organisation and period
    page.wait_for_selector(READY)
    fill(page, "organisation", ORG)
    fill(page, "period", PERIOD)
    page.locator(".wb-open").click()
    page.wait_for_selector(f".wb-ok:has-text('Opened {ORG}')")
    fill(page, "respondent", "Ben Botha")
    choose(page, "line", LINE_2)
    page.wait_for_selector(".wb-progress:has-text('rated 0 of 76 items')")
    assert _chosen(page, "rating-P01-01") == "(not rated)"  # line 1's answers are not shown to line 2
    assert page.locator(".wb-comment-P01-02 textarea").input_value() == ""
    choose(page, "rating-P01-01", "4 · Detects and reports failures")
    page.wait_for_selector(".wb-ok:has-text('Saved P01-01')")
    choose(page, "rating-P01-02", "5 · Continuously monitored and improved")
    page.wait_for_selector(".wb-progress:has-text('rated 2 of 76 items')")

    page.locator(".wb-mode button:has-text('Champion')").click()  # the champion's view of all lines
    page.wait_for_selector(".wb-who-answered")
    who = page.locator(".wb-who-answered").inner_text()
    assert "Ann Andrews" in who and "Ben Botha" in who
    page.wait_for_selector("text=76 are incomplete")  # the report sections, from the store
    today = f"{dt.date.today():%d %B %Y}"  # "as of" is the form's day, never the shipped example's date
    assert f"As of {today}" in page.locator("body").inner_text()
    assert "30 November 2025" not in page.locator("body").inner_text()
    assert not page.locator(".wb-rating-P01-01").is_visible()  # no answering in the champion's view
    first_row = page.locator("tr", has=page.locator("td", has_text="P01-01")).first  # the incomplete items
    first_row.wait_for()
    row = first_row.locator("td").all_inner_texts()
    assert row[:6] == ["P01-01", "1", "3", "4", "", "3"]  # both lines' ratings; only line 3 missing
    assert "Management: " not in row[-1]  # comments of P01-01: none given
    assert page.locator("b:has-text('HR-7')").count() == 0  # the comment is text, never markup

    page.reload(wait_until="commit")  # line 1 comes back: its answers are there to carry on from
    open_app(page, base, NOTEBOOK, READY, f"?organisation={quote(ORG)}&period={PERIOD}&line=1")
    page.wait_for_selector(".wb-progress:has-text('rated 2 of 76 items')")
    assert _chosen(page, "rating-P01-01") == "3 · Documented, trained and assigned"
    assert _chosen(page, "rating-P01-02") == "2 · Documented only"
    assert page.locator(".wb-comment-P01-02 textarea").input_value() == "Draft policy <b>HR-7</b>"

    store = Store(str(db))
    saved = {r.key: r.data for r in store.current(ORG, PERIOD, "coso_response")}
    assert {k: (v["rating"], v["respondent"]) for k, v in saved.items()} == {
        "P01-01|1": ("3", "Ann Andrews"), "P01-02|1": ("2", "Ann Andrews"),
        "P01-01|2": ("4", "Ben Botha"), "P01-02|2": ("5", "Ben Botha")}
    assert saved["P01-02|1"]["comment"] == "Draft policy <b>HR-7</b>"
    trail = store.history(ORG, PERIOD, "coso_response")
    assert {(t["key"], t["who"], t["line"], t["source"]) for t in trail} == {
        ("P01-01|1", "Ann Andrews", "Management", "form"), ("P01-02|1", "Ann Andrews", "Management", "form"),
        ("P01-01|2", "Ben Botha", "Risk management", "form"), ("P01-02|2", "Ben Botha", "Risk management", "form")}
    assert len(trail) == 5  # P01-02 of line 1: the rating, then the comment


def test_without_a_name_nothing_is_saved_and_the_form_says_why(page, app_server):
    base, db = app_server
    open_app(page, base, NOTEBOOK, READY, f"?organisation={quote(ORG)}&period=2027-28&line=3")
    page.wait_for_selector(".wb-rating-P01-01 select")
    choose(page, "rating-P01-01", "1 · No formal process")
    page.wait_for_selector(".wb-error:has-text('enter your name')")
    choose(page, "principle", "P09 · Risk assessment: Identifies and assesses significant change "
                              "(not assessed: no items)")
    page.wait_for_selector(".wb-not-assessed")
    assert Store(str(db)).current(ORG, "2027-28", "coso_response") == []
