"""The risk register form and the landing page in a real browser (see tests/browser_kit.py)."""

from __future__ import annotations

from urllib.parse import quote

from tests.browser_kit import choose, fill, open_form, upload
from workbook_lib.assessments import registry
from workbook_lib.core.store import Store

ORG, PERIOD = "Browser Test Municipality", "2026-27"
LINE_2 = "2nd line - risk management and compliance"


def test_landing_page_lists_every_assessment(page, app_server):
    base, _db = app_server
    page.goto(f"{base}/voila/render/index.ipynb", wait_until="commit")
    page.wait_for_selector(".wb-app-link")
    links = page.locator(".wb-app-link")
    assert links.count() == len(registry())
    text = page.locator("table").first.inner_text()
    assert all(a.purpose[:30] in text for a in registry().values())
    assert "landing_page(" not in page.content()  # sources stripped


def test_add_a_risk_save_reload_and_find_it_in_the_store(page, app_server):
    base, db = app_server
    open_form(page, base)
    fill(page, "organisation", ORG)
    fill(page, "period", PERIOD)
    page.locator(".wb-open").click()
    page.wait_for_selector(f".wb-ok:has-text('Opened {ORG}')")
    fill(page, "respondent", "Thandi Mokoena")
    choose(page, "line", LINE_2)
    fill(page, "risk-id", "BT-01")
    fill(page, "description", "Borehole pumps fail during the dry season <script>alert(1)</script>")
    fill(page, "owner", "Director Technical Services")
    choose(page, "inherent-likelihood", "4 · Likely")
    choose(page, "inherent-impact", "4 · Major")
    assert page.locator(".wb-inherent-likelihood").inner_text().strip() != "4 · Likely"  # description shown
    choose(page, "control-effectiveness", "Partially effective")
    fill(page, "review-date", "2026-03-31")
    page.locator(".wb-save").click()
    page.wait_for_selector(".wb-ok:has-text('Saved BT-01')")
    page.wait_for_selector("text=the register holds 1 risks")  # the results re-rendered after the save
    assert page.locator(".wb-risk-list").inner_text().count("BT-01") == 1
    assert page.locator("script:has-text('alert(1)')").count() == 0  # text is escaped, never run

    page.reload(wait_until="commit")  # come back later: pick the organisation and period again
    page.wait_for_selector(".wb-risk-form .wb-open")
    fill(page, "organisation", ORG)
    fill(page, "period", PERIOD)
    page.locator(".wb-open").click()
    page.wait_for_selector(".wb-risk-list:has-text('BT-01')")
    page.wait_for_selector("text=the register holds 1 risks")

    store = Store(str(db))
    saved = {r.key: r for r in store.current(ORG, PERIOD, "risk")}
    assert set(saved) == {"BT-01"}
    assert saved["BT-01"].data["inherent_likelihood"] == "Likely"
    assert saved["BT-01"].method.name == "western-cape-5x5"
    trail = store.history(ORG, PERIOD, "risk", "BT-01")
    assert len(trail) == 1
    assert (trail[0]["who"], trail[0]["line"], trail[0]["source"]) == ("Thandi Mokoena", LINE_2, "form")
    assert trail[0]["before"] is None and trail[0]["after"]["owner"] == "Director Technical Services"


def test_an_invalid_entry_shows_a_clear_error_and_stores_nothing(page, app_server):
    base, db = app_server
    open_form(page, base, f"?organisation={quote(ORG)}&period=2027-28")
    fill(page, "risk-id", "BT-02")
    fill(page, "description", "Half-rated risk")
    page.locator(".wb-save").click()
    page.wait_for_selector(".wb-error:has-text('enter your name')")  # who is saving comes first
    fill(page, "respondent", "Thandi Mokoena")
    choose(page, "inherent-likelihood", "2 · Unlikely")  # impact left blank
    fill(page, "due-date", "31 Feb 2027")
    page.locator(".wb-save").click()
    page.wait_for_selector(".wb-save-feedback .wb-error:has-text('Inherent impact')")  # beside the Save button
    text = page.locator(".wb-save-feedback .wb-error").inner_text()
    assert "nothing was saved" in text.lower()
    assert "Inherent impact" in text and "Action due" in text and "31 Feb 2027" in text  # the form's labels
    assert "inherent_impact" not in text and "due_date" not in text and "risk form" not in text
    assert Store(str(db)).current(ORG, "2027-28", "risk") == []


def test_import_checks_first_then_saves(page, app_server, tmp_path):
    base, db = app_server
    open_form(page, base, f"?organisation={quote(ORG)}&period=2028-29")
    fill(page, "respondent", "Import Person")
    bad = tmp_path / "bad.csv"
    bad.write_text("risk_id,description,likelihood,impact\nI-1,Fine,Likely,Major\nI-2,Bad,Sometimes,Major\n")
    page.get_by_role("tab", name="Import a register").click()
    upload(page, bad)
    page.locator(".wb-check").click()
    page.wait_for_selector(".wb-error:has-text('Sometimes')")
    assert page.locator(".wb-error").inner_text().count("bad.csv") >= 1
    assert page.locator(".wb-confirm-import").is_disabled()
    good = tmp_path / "good.csv"
    good.write_text("risk_id,description,likelihood,impact\nI-1,Fine,Likely,Major\nI-2,Also fine,Rare,Minor\n")
    upload(page, good)
    page.locator(".wb-check").click()
    page.wait_for_selector("text=good.csv is valid")
    assert Store(str(db)).current(ORG, "2028-29", "risk") == []  # a dry run saves nothing
    page.locator(".wb-confirm-import").click()
    page.wait_for_selector(".wb-ok:has-text('Imported good.csv: 2 added')")
    assert [r.key for r in Store(str(db)).current(ORG, "2028-29", "risk")] == ["I-1", "I-2"]
    assert page.locator("a.wb-download").count() == 1


# whether a chart on the page (inline SVG, or an image of one) shows the text ``arg``
SVG_TEXT_SHOWN = """(text) => document.body.innerHTML.includes(text)
    || [...document.querySelectorAll('img')].some(i => {
    const src = i.src, at = src.indexOf(',');
    if (!src.startsWith('data:image/svg+xml') || at < 0) return false;
    try {
        const body = src.slice(at + 1);
        return (src.slice(0, at).includes('base64') ? atob(body) : decodeURIComponent(body)).includes(text);
    } catch (e) { return false; }
})"""


def test_import_shows_how_each_column_was_read_and_takes_the_users_choice(page, app_server, tmp_path):
    base, db = app_server
    open_form(page, base, f"?organisation={quote(ORG)}&period=2029-30")
    fill(page, "respondent", "Import Person")
    unusual = tmp_path / "unusual.csv"  # headings the suite cannot know: it must not guess them
    unusual.write_text("Ref,Risk,Odds,Effect,State\nU-1,Flooded depot,4,3,Open\nU-2,Old payroll,2,2,Closed\n"
                       "U-3,Solar grant,3,2,Opportunity\n")
    page.get_by_role("tab", name="Import a register").click()
    upload(page, unusual)
    page.locator(".wb-check").click()
    page.wait_for_selector(".wb-error:has-text('likelihood and impact')")
    page.wait_for_selector("text=How unusual.csv was read")
    rows = page.locator(".wb-read-as select")
    assert rows.count() == 5 and page.locator(".wb-confirm-import").is_disabled()
    rows.nth(2).select_option(label="inherent likelihood")
    rows.nth(3).select_option(label="inherent impact")
    rows.nth(4).select_option(label="status")
    page.locator(".wb-recheck").click()
    page.wait_for_selector("text=unusual.csv is valid")
    assert "Odds → inherent likelihood" in page.locator(".wb-risk-form").inner_text()
    page.locator(".wb-confirm-import").click()
    page.wait_for_selector(".wb-ok:has-text('Imported unusual.csv: 3 added')")
    # the report below the form refreshes: the value map shows the opportunity on its own side
    page.wait_for_selector("text=Threats and opportunities")
    page.wait_for_function(SVG_TEXT_SHOWN, arg="1 threat, 1 opportunity")
    saved = {r.key: r.data for r in Store(str(db)).current(ORG, "2029-30", "risk")}
    assert (saved["U-1"]["inherent_likelihood"], saved["U-1"]["inherent_impact"]) == ("4", "3")
    assert saved["U-2"]["status"] == "Closed"


def test_a_hostile_workbook_uploaded_in_the_form_is_refused_in_one_line(page, app_server, tmp_path):
    from tests import hostile

    base, db = app_server
    open_form(page, base, f"?organisation={quote(ORG)}&period=2031-32")
    fill(page, "respondent", "Import Person")
    page.get_by_role("tab", name="Import a register").click()
    upload(page, hostile.billion_laughs_xlsx(tmp_path))
    page.locator(".wb-check").click()
    page.wait_for_selector(".wb-error:has-text('XML entity declarations')")
    text = page.locator(".wb-risk-form").inner_text()
    assert hostile.SECRET not in text and "Traceback" not in text
    assert page.locator(".wb-confirm-import").is_disabled()
    assert Store(str(db)).current(ORG, "2031-32", "risk") == []


def test_import_offers_the_sheet_the_rows_and_the_suggested_fixes(page, app_server, tmp_path):
    import re
    from pathlib import Path

    from tests.data.registers.build_xlsx import build

    base, db = app_server
    open_form(page, base, f"?organisation={quote(ORG)}&period=2032-33")
    fill(page, "respondent", "Import Person")
    page.get_by_role("tab", name="Import a register").click()
    upload(page, build(tmp_path)["second_sheet.xlsx"])
    page.locator(".wb-check").click()
    page.wait_for_selector(".wb-sheet select")
    page.wait_for_selector("text=second_sheet.xlsx is valid")  # the reader finds the register on the second sheet
    assert page.locator(".wb-sheet select").input_value() == "Register"
    choose(page, "sheet", "Instructions")  # checks again at once: no register there
    page.wait_for_selector(".wb-import-error")
    assert page.locator(".wb-confirm-import").is_disabled()
    choose(page, "sheet", "Register")
    page.wait_for_selector("text=second_sheet.xlsx is valid")
    page.wait_for_selector(".wb-in-force:has-text('Reading with: sheet Register')")
    area = page.locator(".wb-settings-yaml textarea")
    assert area.input_value().strip() == "sheet: Register" and area.get_attribute("readonly") is not None
    for name in ("sheet", "header-row", "skip-rows", "keep-rows"):  # every label whole
        label = page.locator(f".wb-{name} .widget-label")
        assert label.evaluate("e => e.scrollWidth <= e.clientWidth && e.innerText.length > 0"), name
    fill(page, "skip-rows", "twelve")
    page.locator(".wb-recheck").click()
    page.wait_for_selector(".wb-field-note:has-text(\"'twelve' is not a row number\")")

    # a register whose headings the suite does not know: the reader's suggestion is a button
    upload(page, Path(__file__).resolve().parents[2] / "data" / "registers" / "title_unknown_headings.csv")
    page.locator(".wb-check").click()
    fix = page.locator(".wb-fix").first
    fix.wait_for()
    assert page.locator(".wb-header-row input").is_visible() and not page.locator(".wb-sheet select").is_visible()
    assert fix.inner_text().startswith("Use: columns: Nummer read as risk ID")
    assert fix.evaluate("e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight")  # not cut
    fix.click()
    page.wait_for_selector("text=title_unknown_headings.csv is valid")
    assert "columns: {Nummer: risk_id" in page.locator(".wb-settings-yaml textarea").input_value()
    shown = page.locator(".wb-risk-form").inner_text().replace("title_unknown_headings.csv", "the file")
    shown = shown.replace(page.locator(".wb-settings-yaml textarea").input_value(), "")
    assert not re.search(r"\b[a-z]+_[a-z_]+\b|\bTrue\b|\bFalse\b", shown), shown
    page.locator(".wb-confirm-import").click()
    page.wait_for_selector(".wb-ok:has-text('Imported title_unknown_headings.csv')")
    assert Store(str(db)).current(ORG, "2032-33", "risk")
