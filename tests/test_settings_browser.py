"""A new municipality in Chromium: the bare address leads to the landing page (settings first), its forms carry no
example settings, the Settings page changes what the forms show, and no page shows developer text or cut-off
buttons."""

from __future__ import annotations

import re

import pytest

from tests.browser_kit import ROOT, choose, fill, open_app, open_form
from workbook_lib.assessments.assurance.model import load_assurance_framework
from workbook_lib.core.outputs import column_labels
from workbook_lib.core.settings import settings_model

ORG, PERIOD = "Blue Crane Local Municipality", "2025-26"
QUERY = "?organisation=Blue+Crane+Local+Municipality&period=2025-26"
PAGES = {  # notebook -> what shows it is ready
    "index.ipynb": ".wb-app-link",
    "settings.ipynb": ".wb-settings-form .wb-save",
    "risk_evaluation.ipynb": ".wb-risk-form .wb-save",
    "maturity_scoring.ipynb": ".wb-maturity-form",
    "coso_assessment.ipynb": ".wb-coso-form",
    "combined_assurance.ipynb": ".wb-assurance-form .wb-save",
    "risk_monitoring.ipynb": ".wb-monitoring-form .wb-save",
    "decisions.ipynb": ".wb-decisions-form",
}
# names a reader should never see: the suite's column names and setting names, and developer phrases
INTERNAL = sorted({n for n in [*column_labels(), *settings_model().model_fields, "seed_ref", "in_scope_risks_covered",
                               "report_rows"] if "_" in n})
# the shipped data files' own names ("western-cape-5x5"): a page names them by their titles
INTERNAL += sorted(p.stem for p in (ROOT / "workbook_lib" / "assessments").glob("*/*/*.yaml")
                   if p.parent.name in ("data", "methodologies")
                   and (p.stem.count("-") > 1 or any(c.isdigit() for c in p.stem)))  # not "maturity-matrix"
# the shipped assurance providers' ids ("provincial_treasury_support_unit"): a page names them in words
INTERNAL += sorted(p.id for p in load_assurance_framework().framework.providers if "_" in p.id)
# ("None" is not among them: the provincial guide's lowest control effectiveness level is called None)
DEVELOPER = re.compile(r"\b(True|False|NaN|nan|Traceback)\b|<NA>|run all|parameters below|"
                       # a provenance line names a data file by its file name on purpose ("file western-cape-5x5")
                       + "|".join(rf"(?<!file )\b{re.escape(n)}\b" for n in INTERNAL))
# the visible text a reader reads, outside the options of a list (a rating level may be called "None")
VISIBLE_TEXT = """() => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const parts = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        if (!parent || parent.closest('select, option, style, script') || parent.offsetParent === null) continue;
        parts.push(node.textContent);
    }
    return parts.join(' ');
}"""
# headings with nothing under them (text, a table, a chart or a field) before the next heading of their level
EMPTY_HEADINGS = """() => {
    const shown = e => e.offsetParent !== null;
    const heads = [...document.querySelectorAll('h1, h2, h3, h4')].filter(shown);
    const empty = [];
    const level = h => Number(h.tagName[1]);
    heads.forEach((h, i) => {  // a section ends at the next heading of its level or above (h2 ... h2)
        const next = heads.slice(i + 1).find(n => level(n) <= level(h));
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_ALL);
        walker.currentNode = h;
        let found = false;
        for (let n = walker.nextNode(); n && n !== next && !found; n = walker.nextNode()) {
            if (h.contains(n)) continue;
            const el = n.nodeType === 1 ? n : n.parentElement;
            if (!el || !shown(el) || el.closest('style, script')) continue;
            const thing = /^(IMG|TABLE|INPUT|SELECT|TEXTAREA|BUTTON|SVG|CANVAS)$/i;
            if (n.nodeType === 3 ? n.textContent.trim() !== '' : thing.test(n.nodeName)) found = true;
        }
        if (!found) empty.push(h.innerText.trim());
    });
    return empty;
}"""
CLIPPED = """() => [...document.querySelectorAll(
    'button, .widget-label, .lm-TabBar-tabLabel, .p-TabBar-tabLabel, .widget-dropdown select')]
    .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
    .map(e => (e.innerText || e.value || '').trim() + ' [' + e.scrollWidth + ' > ' + e.clientWidth + ']')"""


def test_the_bare_address_leads_to_the_landing_page_with_settings_first(page, app_server):
    base, _db = app_server
    page.goto(base + "/", wait_until="commit")
    page.wait_for_selector(".wb-settings-link")
    assert page.url.endswith("/voila/render/index.ipynb")
    rows = page.locator("tbody tr")
    assert rows.first.inner_text().startswith("1") and "Organisation settings" in rows.first.inner_text()
    assert "After the risk register" in page.locator("tbody").inner_text()


def test_a_new_organisation_gets_none_of_the_examples_settings(page, app_server):
    base, _db = app_server
    open_form(page, base, QUERY)
    summary = page.locator(".wb-settings-summary")
    summary.wait_for()
    text = summary.inner_text()
    assert f"Not set yet for {ORG}" in text and "Risk appetite" in text
    assert "Provincial municipal ERM 5 x 5 risk rating (the suite's default until you choose one)" in text
    assert page.locator(".wb-settings-summary a.wb-settings-link").get_attribute("href") == f"settings.ipynb{QUERY}"
    open_app(page, base, "combined_assurance.ipynb", ".wb-assurance-form .wb-save", QUERY)
    providers = page.locator(".wb-provider select").inner_text()
    assert "Occupational health and safety" not in providers  # the shipped example's own provider
    assert "Maturity status" in page.locator(".wb-settings-summary").inner_text()


def test_the_settings_page_changes_what_the_forms_show(page, app_server):
    base, _db = app_server
    open_app(page, base, "settings.ipynb", ".wb-settings-form .wb-save", QUERY)
    assert "No settings saved for" in page.locator(".wb-settings-origin").inner_text()
    fill(page, "respondent", "Sipho Ndlovu")
    fill(page, "setting-appetite", "4")
    fill(page, "setting-providers", "Fire services; 2")
    page.locator(".wb-setting-period-start input").fill("2025-07-01")
    page.locator(".wb-setting-period-end input").fill("2026-06-30")
    choose(page, "setting-maturity-status", "Scored from the maturity marks saved for the period")
    page.locator(".wb-settings-form .wb-save").click()
    feedback = page.locator(".wb-save-feedback .wb-ok")
    feedback.wait_for()
    assert "Saved the settings of Blue Crane" in feedback.inner_text()
    assert feedback.is_visible() and _in_viewport(page, ".wb-save-feedback .wb-ok")
    assert "Sipho Ndlovu" in page.locator(".wb-settings-form").inner_text()  # the change trail

    open_form(page, base, QUERY)
    summary = page.locator(".wb-settings-summary")
    summary.wait_for()
    assert "Risk appetite: 4" in summary.inner_text() and "Period ends: 30 June 2026" in summary.inner_text()
    assert "Not set yet" not in summary.inner_text()
    fill(page, "respondent", "Thandi Mokoena")
    fill(page, "risk-id", "BC-01")
    fill(page, "description", "Boreholes run dry in a drought year")
    choose(page, "inherent-likelihood", "4 · Likely")
    choose(page, "inherent-impact", "4 · Major")
    save = page.locator(".wb-risk-form .wb-save")
    save.scroll_into_view_if_needed()
    save.click()
    page.wait_for_selector(".wb-save-feedback .wb-ok")
    # the result is where the user clicked: right under Save (the list of saved risks above the form grows after a
    # save, so where the page itself sits depends on the browser's scrolling; the result stays with the button)
    button, result = save.bounding_box(), page.locator(".wb-save-feedback .wb-ok").bounding_box()
    assert 0 <= result["y"] - (button["y"] + button["height"]) < 60, (button, result)
    listing = page.locator(".wb-risk-list").inner_text()
    assert "BC-01" in listing and "Yes" in listing  # 16 is above the appetite of 4

    open_app(page, base, "combined_assurance.ipynb", ".wb-assurance-form .wb-save", QUERY)
    page.wait_for_selector(".wb-provider select option:has-text('Fire services')", state="attached")


@pytest.mark.parametrize("notebook", list(PAGES))
def test_no_page_shows_developer_text_or_cut_off_labels(page, app_server, notebook):
    base, _db = app_server
    open_app(page, base, notebook, PAGES[notebook], QUERY)
    page.wait_for_timeout(500)  # sections rendered after the form
    text = page.evaluate(VISIBLE_TEXT)
    found = sorted({text[max(0, m.start() - 60):m.end() + 20].replace("\n", " ") for m in DEVELOPER.finditer(text)})
    assert not found, f"{notebook} shows developer text: {found}"
    assert page.locator("pre:visible").count() == 0, f"{notebook} shows a monospace (printed) line"
    empty = page.evaluate(EMPTY_HEADINGS)
    assert not empty, f"{notebook}: headings with nothing under them: {empty}"
    clipped = page.evaluate(CLIPPED)
    assert not clipped, f"{notebook}: cut-off labels or buttons: {clipped}"


def _in_viewport(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()  # relative to the viewport
    height = page.evaluate("() => window.innerHeight")
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height
