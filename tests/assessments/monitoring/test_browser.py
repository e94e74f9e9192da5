"""The risk-monitoring form in a real browser (see tests/browser_kit.py): readings entered for a period, a metric
going outside tolerance on the next save, a typed mistake named by its metric, the readings found again after a
reload, the KRI link flagging a Low-rated risk, and who saved what in the store."""

from __future__ import annotations

from urllib.parse import quote

from tests.browser_kit import fill, open_app
from tests.conftest import PARAMETERS
from workbook_lib.assessments.monitoring.records import READING
from workbook_lib.assessments.risk.records import RISK
from workbook_lib.core import records
from workbook_lib.core.store import Author, Method, Store

ORG, PERIOD = "Monitoring Browser Municipality", "2025-26"
READY = ".wb-monitoring-form .wb-save"


def _open(page, base: str) -> None:
    open_app(page, base, "risk_monitoring.ipynb", READY,
             f"?organisation={quote(ORG)}&period={quote(PERIOD)}")


def _reading(page, metric: str, value: str) -> None:
    page.locator(f".wb-reading-{metric} input").fill(value)


def _state(page, metric: str) -> str:
    return page.locator(f".wb-state-{metric} .wb-state").get_attribute("data-state")


def _save_register(db) -> None:
    """The register the risk form would have saved: KV-007 is rated Low."""
    table = records.read_for_kind(PARAMETERS / "registers" / "karoo_vale_municipality_2025.csv", RISK)
    loaded, context = RISK.context("western-cape-5x5", None)
    with Store(f"sqlite:///{db}") as store:
        store.save(ORG, PERIOD, RISK.kind, records.canonical_rows(RISK, table, context), Author("Risk champion"),
                   Method("western-cape-5x5", "1", loaded.sha256), source="import")


def test_enter_readings_and_see_a_metric_go_outside_tolerance(page, app_server):
    base, db = app_server
    _save_register(db)
    _open(page, base)
    fill(page, "respondent", "Anele van Wyk")
    _reading(page, "vacancy_rate", "8%")
    _reading(page, "debtors_collection_days", "70 days")
    page.locator(".wb-save").click()
    page.wait_for_selector(".wb-feedback .wb-ok:has-text('Saved the readings')")
    assert _state(page, "vacancy_rate") == "within"
    assert _state(page, "debtors_collection_days") == "within"
    assert _state(page, "going_concern_issues") == "missing"  # no reading: said, never within
    # a typo is named by its metric, nothing is saved
    _reading(page, "vacancy_rate", "fourteen")
    page.locator(".wb-save").click()
    page.wait_for_selector(".wb-error:has-text('Vacancy rate')")
    assert "nothing was saved" in page.locator(".wb-error").first.inner_text()
    # the vacancy rate rises above its tolerance (< 10%)
    _reading(page, "vacancy_rate", "14%")
    page.locator(".wb-save").click()
    page.wait_for_selector(".wb-state-vacancy_rate .wb-state[data-state='outside']")
    assert "Outside tolerance" in page.locator(".wb-state-vacancy_rate").inner_text()
    page.wait_for_selector("text=1 is outside tolerance")  # the report below the form, redrawn
    # link the metric to KV-007: the Low-rated risk is flagged as a rating to revisit
    page.locator(".wb-kri-risks-vacancy_rate input").fill("KV-007")
    page.locator(".wb-save-links").click()
    page.wait_for_selector(".wb-feedback .wb-ok:has-text('Saved the key risk indicators')")
    page.wait_for_selector("text=ratings are to be revisited")
    body = page.locator("body").inner_text()
    assert "KV-007" in body and "senior management" in body.lower()  # deviations go to senior management
    for word in ("True", "False", "NaN", "Traceback", "vacancy_rate", "recorded_by"):
        assert word not in body, word
    # found again after a reload, with who saved it
    page.reload(wait_until="commit")
    page.wait_for_selector(READY)
    page.wait_for_selector(".wb-state-vacancy_rate .wb-state[data-state='outside']")
    assert page.locator(".wb-reading-vacancy_rate input").input_value() == "14%"
    with Store(f"sqlite:///{db}") as store:
        saved = {r.key: r.data for r in store.current(ORG, PERIOD, READING.kind)}
        trail = store.history(ORG, PERIOD, READING.kind, "vacancy_rate")
    assert saved["vacancy_rate"]["value"] == "14%" and saved["vacancy_rate"]["recorded_by"] == "Anele van Wyk"
    assert [c["who"] for c in trail] == ["Anele van Wyk", "Anele van Wyk"]
