"""The combined-assurance form in a real browser: entries close a gap, a removal reopens it (see browser_kit)."""

from __future__ import annotations

from urllib.parse import urlencode

import openpyxl

from tests.browser_kit import choose, fill, open_app
from tests.conftest import PARAMETERS
from tests.form_kit import example_settings, settle
from workbook_lib.assessments import shared_fields
from workbook_lib.assessments.assurance.inputs import CombinedAssuranceParams
from workbook_lib.core import records
from workbook_lib.core.params import load_file
from workbook_lib.core.store import Author, Store

ORG, PERIOD = "Browser Assurance Municipality", "2025-26"
NOTEBOOK, READY = "combined_assurance.ipynb", ".wb-assurance-form .wb-save"
CONTROL = "Quarterly bulk water loss review"
LINE_3 = "3rd line - internal audit"
INTERNAL_AUDIT = "Line 3 · Internal audit (independent)"
MANAGEMENT = "Line 1 · Management processes and controls"
IA_KEY = "KV-002|quarterly bulk water loss review|internal_audit"
MC_KEY = "KV-002|quarterly bulk water loss review|management_controls"


def _seed_register(db) -> None:
    """The Karoo Vale register saved for ORG/PERIOD, as the risk register form or an import would, and the
    example's settings (appetite, own provider), as the risk champion would save them on the Settings page."""
    table = records.read_for_kind(PARAMETERS / "registers" / "karoo_vale_municipality_2025.csv", "risk")
    karoo = load_file(PARAMETERS / "karoo-vale-2025-26.yaml", CombinedAssuranceParams, shared_fields())
    with Store(str(db)) as store:
        store.save(ORG, PERIOD, "risk", records.rows_from_table(table, "risk"), Author("Register Clerk"),
                   source="import")
        settle(store, ORG, PERIOD, **example_settings(karoo))


def _gaps(page) -> str:
    return page.locator(".wb-section-gaps").inner_text()


def test_entries_close_a_gap_a_removal_reopens_it_and_the_plan_downloads(page, app_server, tmp_path):
    base, db = app_server
    _seed_register(db)
    open_app(page, base, NOTEBOOK, READY, "?" + urlencode({"organisation": ORG, "period": PERIOD}))
    page.wait_for_selector(".wb-status:has-text('15 gap(s)')")  # from the store: no entry yet, every risk a gap
    assert "KV-002" in _gaps(page)
    fill(page, "respondent", "Pieter Smit")
    choose(page, "line", LINE_3)
    choose(page, "risk", "KV-002 · High 18 · GAP")
    page.wait_for_selector(".wb-risk-info:has-text('required: extensive')")
    assert "Coverage none" in page.locator(".wb-risk-info").inner_text()

    fill(page, "control", CONTROL)
    choose(page, "provider", INTERNAL_AUDIT)
    choose(page, "frequency", "A · annually")
    fill(page, "notes", "In the internal audit plan <script>alert(1)</script>")
    page.locator(".wb-save").click()
    page.wait_for_selector(".wb-ok:has-text('Saved KV-002 / Quarterly bulk water loss review / Internal audit')")
    page.wait_for_selector(".wb-risk-info:has-text('Coverage inadequate')")  # one line so far: still a gap
    assert "KV-002" in _gaps(page)
    choose(page, "provider", MANAGEMENT)  # the control stays filled in for the next provider
    choose(page, "frequency", "M · monthly")
    page.locator(".wb-save").click()
    page.wait_for_selector(".wb-ok:has-text('Management processes and controls: 1 added')")
    page.wait_for_selector(".wb-risk-info .wb-no-gap")
    page.wait_for_selector(".wb-status:has-text('14 gap(s)')")  # the results refreshed after the save
    assert "KV-002" not in _gaps(page)
    assert "coverage extensive" in page.locator(".wb-risk-info").inner_text().lower()
    entries = page.locator(".wb-entries").inner_text()
    assert "Internal audit" in entries and "Management processes and controls" in entries
    assert page.locator("script:has-text('alert(1)')").count() == 0  # text is escaped, never run

    with page.expect_download() as download:  # the Combined Assurance Plan and map, as Excel
        page.locator("a.wb-download").click()
    saved = tmp_path / "plan.xlsx"
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"{ORG} {PERIOD} combined assurance plan.xlsx"
    plan = [[c for c in row] for row in openpyxl.load_workbook(saved)["Assurance plan"].values]
    assert any(row[0] == "KV-002" and row[4] == "Internal audit" and row[6] == "annually" for row in plan)

    choose(page, "entry", f"{CONTROL} · {INTERNAL_AUDIT} · A")
    page.wait_for_selector(".wb-save:has-text('Save changes')")
    page.locator(".wb-remove").click()
    page.wait_for_selector(".wb-ok:has-text('Removed KV-002')")
    page.wait_for_selector(".wb-status:has-text('15 gap(s)')")
    assert "KV-002" in _gaps(page)  # back in the gap table
    page.wait_for_selector(".wb-risk-info:has-text('Coverage inadequate')")
    assert "Internal audit" not in page.locator(".wb-entries").inner_text()

    store = Store(str(db))
    current = {r.key: r.data for r in store.current(ORG, PERIOD, "assurance_entry")}
    assert current == {MC_KEY: {"risk_id": "KV-002", "control": CONTROL, "provider": "management_controls",
                                "frequency": "M", "notes": ""}}
    trail = store.history(ORG, PERIOD, "assurance_entry", IA_KEY)
    assert [(t["version"], t["who"], t["line"], t["source"]) for t in trail] == [
        (1, "Pieter Smit", LINE_3, "form"), (2, "Pieter Smit", LINE_3, "form")]
    assert trail[0]["after"]["frequency"] == "A" and trail[1]["after"] is None  # the withdrawal is kept
    assert trail[1]["before"]["notes"].startswith("In the internal audit plan")


def test_without_a_register_the_form_points_to_the_register_form(page, app_server):
    base, _db = app_server
    query = "?" + urlencode({"organisation": "No Register Municipality", "period": "2025-26"})
    open_app(page, base, NOTEBOOK, READY, query)
    page.wait_for_selector(".wb-no-register:has-text('No risk register is saved for No Register Municipality')")
    page.wait_for_selector("text=No risk register is saved for No Register Municipality, 2025-26.")  # sections
    assert page.locator(".wb-error").count() == 0
    assert page.locator(".wb-register-link").get_attribute("href") == f"risk_evaluation.ipynb{query}"
    page.locator(".wb-register-link").click()
    page.wait_for_selector(".wb-risk-form .wb-save")
    assert page.locator(".wb-organisation input").input_value() == "No Register Municipality"
    assert page.locator(".wb-period input").input_value() == "2025-26"
