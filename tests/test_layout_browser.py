"""What a stakeholder reads, laid out (issue 30): at 1,280 and 1,400 px nothing on any page of the app is cut off, no
hint looks like a reading already entered, a problem shows under the field it concerns, report tables keep text left,
numbers right and IDs whole, the heat map fits the page, and a page that cannot be opened says so in words.

The store is seeded with the shipped example's register (so the forms show their tables and charts); see
tests/browser_kit.py for the server and the browser.
"""

from __future__ import annotations

import contextlib
import re
from urllib.parse import quote

import pytest

from tests.browser_kit import choose, fill, open_app, open_form, serve_app
from tests.conftest import PARAMETERS
from tests.test_settings_browser import PAGES
from workbook_lib.core import records
from workbook_lib.core.store import Author, Store

ORG, PERIOD = "Layout Test Municipality", "2025-26"
QUERY = f"?organisation={quote(ORG)}&period={PERIOD}"
WIDTHS = (1280, 1400)

# every widget whose words can be cut: buttons, toggle buttons, labels, tab titles, lists, and fields by their hint
CUT_OFF = """() => {
    const shown = e => e.offsetParent !== null;
    const cut = [];
    for (const e of document.querySelectorAll(
            'button, .widget-label, .lm-TabBar-tabLabel, .widget-dropdown select, .widget-toggle-button')) {
        if (shown(e) && e.scrollWidth > e.clientWidth + 1) cut.push((e.innerText || e.value || '').trim());
    }
    for (const e of document.querySelectorAll('input, textarea')) {
        if (!shown(e) || e.type === 'file' || e.type === 'checkbox') continue;
        if (e.type === 'date') {  // a date field shows a whole date (dd/mm/yyyy and its button), never "mm"
            if (e.clientWidth < 120) cut.push('date field ' + e.clientWidth + ' px');
        } else if (!e.value && e.placeholder && e.placeholder.trim() && (e.scrollWidth > e.clientWidth + 1
                   || e.scrollHeight > e.clientHeight + 1)) {
            cut.push('hint: ' + e.placeholder);
        }
    }
    return cut;
}"""
HINTS = """() => [...document.querySelectorAll('input[placeholder], textarea[placeholder]')]
    .filter(e => e.offsetParent !== null).map(e => e.placeholder.trim()).filter(p => p)"""
# a hint that reads as a figure already entered ("3", "12.5", "12%", "75 days", "1.7 : 1")
READING = re.compile(r"[-+]?\d[\d.,\s]*(%|days?|hours?|:\s*1)?", re.I)


@pytest.fixture(scope="module")
def seeded(app_server):
    """The app with the shipped example's register saved for a municipality of its own."""
    base, db = app_server
    with Store(str(db)) as store:
        register = records.read_for_kind(PARAMETERS / "registers" / "karoo_vale_municipality_2025.csv", "risk")
        store.save(ORG, PERIOD, "risk", records.rows_from_table(register, "risk"), Author("Seeder"), source="import")
    return base


def _sized(page, width: int):
    page.set_viewport_size({"width": width, "height": 1400})
    return page


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("notebook", list(PAGES))
def test_nothing_is_cut_off_and_no_hint_looks_like_a_reading(page, seeded, notebook, width):
    _sized(page, width)
    open_app(page, seeded, notebook, PAGES[notebook], QUERY)
    page.wait_for_timeout(500)  # sections rendered after the form
    cut = page.evaluate(CUT_OFF)
    hints = page.evaluate(HINTS)
    tabs = page.locator(".lm-TabBar-tab")
    for i in range(tabs.count()):  # what every tab shows (the capacity answers' buttons, the import step)
        if tabs.nth(i).is_visible():
            tabs.nth(i).click()
            page.wait_for_timeout(300)
            cut += page.evaluate(CUT_OFF)
            hints += page.evaluate(HINTS)
    assert not cut, f"{notebook} at {width} px: cut off: {sorted(set(cut))}"
    assert not [h for h in hints if READING.fullmatch(h)], f"{notebook}: hints that read as a figure: {hints}"
    assert not [h for h in hints if re.search(r"\bKV-\d", h)], f"{notebook}: a hint names the example's IDs"


def test_a_problem_shows_under_the_field_it_concerns(page, seeded):
    _sized(page, 1280)
    open_form(page, seeded, f"?organisation={quote(ORG)}&period=2026-27")
    fill(page, "respondent", "Thandi Mokoena")
    fill(page, "risk-id", "LT-01")
    fill(page, "description", "Half-rated risk")
    choose(page, "inherent-likelihood", "2 · Unlikely")  # impact left blank
    fill(page, "due-date", "31 Feb 2027")
    page.locator(".wb-risk-form .wb-save").click()
    page.wait_for_selector(".wb-field-problem:has-text('31 Feb 2027')")
    for field, said in ((".wb-due-date input", "31 Feb 2027"), (".wb-inherent-impact select", "")):
        box = page.locator(field).bounding_box()
        note = page.locator(".wb-field-problem:visible").filter(has_text=said) if said else \
            page.locator(".wb-field-problem:visible")
        below = [b for b in (note.nth(i).bounding_box() for i in range(note.count()))
                 if b and 0 <= b["y"] - (box["y"] + box["height"]) < 60]
        assert below, f"no problem shown under {field}"
    top = page.locator(".wb-risk-form > .wb-feedback .wb-error").first.inner_text()
    assert "nothing was saved" in top and "under its field" in top and "Action due" in top
    assert "due_date" not in page.locator(".wb-risk-form").inner_text()
    fill(page, "due-date", "2027-02-28")
    choose(page, "inherent-impact", "2 · Minor")
    page.locator(".wb-risk-form .wb-save").click()
    page.wait_for_selector(".wb-save-feedback .wb-ok:has-text('Saved LT-01')")
    assert page.locator(".wb-field-problem:visible").count() == 0  # the notes go once the entry is right


def test_report_tables_keep_text_left_numbers_right_and_ids_whole(page, seeded):
    _sized(page, 1280)
    open_form(page, seeded, QUERY)
    page.wait_for_selector(".wb-risk-list table")
    table = page.locator(".wb-risk-list table").first
    headings = [h.strip() for h in table.locator("th").all_inner_texts()]
    first = table.locator("tbody tr").first.locator("td")
    style = "(e) => [getComputedStyle(e).textAlign, getComputedStyle(e).whiteSpace]"
    assert first.nth(0).evaluate(style) == ["left", "nowrap"]  # the risk ID
    assert first.nth(headings.index("Description")).evaluate(style)[0] == "left"
    numbers = [i for i, h in enumerate(headings) if "score" in h.lower()]
    assert numbers and all(first.nth(i).evaluate(style)[0] == "right" for i in numbers)
    # every ID on one line: as high as one line of text
    ids = table.locator("tbody tr td:first-child")
    heights = ids.evaluate_all("cells => cells.map(c => { const r = document.createRange(); r.selectNodeContents(c); "
                               "return r.getClientRects().length; })")
    assert heights and max(heights) == 1, heights
    # the report's own tables below the form too
    report = page.locator(".widget-output table.workbook-table td:first-child")
    assert report.count() > 0
    assert set(report.evaluate_all("cells => cells.map(c => getComputedStyle(c).textAlign)")) <= {"left", "right"}


def test_the_heat_map_fits_the_page_at_1400_px(page, seeded):
    _sized(page, 1400)
    open_form(page, seeded, QUERY)
    page.wait_for_selector("img.wb-chart")
    page.wait_for_timeout(500)
    charts = page.evaluate("""() => [...document.querySelectorAll('img.wb-chart')].map(i => {
        const r = i.getBoundingClientRect(), box = i.closest('.jp-OutputArea-output').getBoundingClientRect();
        return [i.alt, r.right, box.right, i.naturalWidth]; })""")
    assert any("heat" in alt.lower() or "matrix" in alt.lower() or natural > 1000
               for alt, _r, _b, natural in charts), charts
    wide = [c for c in charts if c[1] > c[2] + 1 or c[1] > 1400]
    assert not wide, f"charts cut off on the right: {wide}"


@pytest.fixture(scope="module")
def broken_app(tmp_path_factory):
    """The app whose store became unusable after it started (a folder where the database was): every form fails as
    it opens."""
    db = tmp_path_factory.mktemp("broken") / "app.db"
    server = serve_app(db, tmp_path_factory)
    base, _db = next(server)
    for path in db.parent.glob("app.db*"):
        path.unlink()
    db.mkdir()
    yield base, db
    with contextlib.suppress(StopIteration):
        next(server)


def test_a_page_that_fails_says_what_happened_and_what_to_do(page, broken_app):
    base, _db = broken_app
    page.goto(f"{base}/voila/render/risk_evaluation.ipynb", wait_until="commit")
    page.wait_for_selector(".wb-failure")
    text = page.locator("body").inner_text()
    assert "This page could not be opened." in text and "Reload the page" in text
    assert "tell your risk champion" in text
    assert "Traceback" not in text and "show_tracebacks" not in text


def test_a_settings_problem_shows_under_its_setting(page, seeded):
    _sized(page, 1280)
    open_app(page, seeded, "settings.ipynb", ".wb-settings-form .wb-save", QUERY)
    fill(page, "respondent", "Sipho Ndlovu")
    fill(page, "setting-tolerance", "Huge")
    page.locator(".wb-settings-form .wb-save").click()
    page.wait_for_selector(".wb-field-problem:has-text('Huge')")
    box = page.locator(".wb-setting-tolerance input").bounding_box()
    note = page.locator(".wb-field-problem:visible").filter(has_text="Huge").bounding_box()
    assert note and 0 <= note["y"] - (box["y"] + box["height"]) < 60, (box, note)
