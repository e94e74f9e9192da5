"""The risk-monitoring form without a browser: readings typed for a period and their states, problems named by
metric with nothing saved, a reading cleared (withdrawn), a file of three periods imported under each period,
KRI links saved and carried over, and never the example's KRIs for another organisation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.conftest import PARAMETERS
from tests.form_kit import no_request  # noqa: F401 - fixture
from workbook_lib.assessments.monitoring.form import MonitoringForm
from workbook_lib.assessments.monitoring.inputs import MonitoringParams
from workbook_lib.assessments.monitoring.records import KRI_LINK, READING
from workbook_lib.core import forms
from workbook_lib.core.store import Store

ORG, PERIOD = "Form Monitoring Municipality", "2025-26"
pytestmark = pytest.mark.usefixtures("no_request")


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "store.db")


def _form(db: str, **extra) -> MonitoringForm:
    # as the notebook's parameters cell gives them: the example's methodology and KRIs
    params = MonitoringParams(organisation=ORG, period=PERIOD, as_of="2025-11-30", store_url=db,
                              methodology="western-cape-5x5", kris=[{"metric": "vacancy_rate", "risks": ["KV-020"]}],
                              **extra)
    form = MonitoringForm(params, forms.Sections(live=True), store=Store(db))
    form.respondent.name.value = "Thandi Mokoena"
    return form


def _upload(form: MonitoringForm, path: Path) -> None:
    content = path.read_bytes()
    form.upload.value = ({"name": path.name, "type": "text/csv", "size": len(content),
                          "last_modified": dt.datetime.now(), "content": memoryview(content)},)


def test_readings_typed_are_saved_with_who_and_show_their_state(db):
    form = _form(db)
    form.rows["vacancy_rate"].value.value = "14%"
    form.rows["vacancy_rate"].source.value = "HR establishment report"
    form.rows["current_ratio"].value.value = "1,6"
    form.date.value = dt.date(2025, 9, 30)
    form.save.click()
    assert "Saved the readings" in form.feedback.value, form.feedback.value
    saved = {r.key: r for r in Store(db).current(ORG, PERIOD, READING.kind)}
    assert saved["vacancy_rate"].data == {"metric": "vacancy_rate", "period": PERIOD, "value": "14%",
                                          "date": "2025-09-30", "source": "HR establishment report", "note": "",
                                          "recorded_by": "Thandi Mokoena"}
    trail = Store(db).history(ORG, PERIOD, READING.kind, "vacancy_rate")
    assert [(c["who"], c["source"]) for c in trail] == [("Thandi Mokoena", "form")]
    assert 'data-state="outside"' in form.rows["vacancy_rate"].state.value
    assert 'data-state="within"' in form.rows["current_ratio"].state.value
    assert "2 of 21 metrics read" in form.status.value and "19 without a reading" in form.status.value
    assert form.result.count("missing") == 19


def test_bad_readings_are_named_by_metric_and_nothing_is_saved(db):
    form = _form(db)
    form.rows["vacancy_rate"].value.value = "14%"
    form.rows["debtors_collection_days"].value.value = "about ninety"
    form.rows["current_ratio"].value.value = "25%"
    form.save.click()
    error = form.save_feedback.value
    assert "2 problem(s); nothing was saved." in error
    assert "Debtors collection days" in error and "about ninety" in error
    assert "Current ratio" in error and "contradicts" in error
    assert not Store(db).current(ORG, PERIOD, READING.kind)


def test_a_cleared_reading_is_withdrawn(db):
    form = _form(db)
    form.rows["vacancy_rate"].value.value = "14%"
    form.rows["going_concern_issues"].value.value = "0"
    form.save.click()
    form.rows["vacancy_rate"].value.value = ""
    form.save.click()
    assert "1 removed" in form.feedback.value, form.feedback.value
    assert [r.key for r in Store(db).current(ORG, PERIOD, READING.kind)] == ["going_concern_issues"]
    assert form.result.states.set_index("metric").loc["vacancy_rate", "state"] == "missing"


def test_a_file_of_three_periods_is_saved_under_each_period(db):
    form = _form(db)
    _upload(form, PARAMETERS / "monitoring" / "karoo_vale_readings.csv")
    form.import_button.click()
    message = form.feedback.value
    assert "61 readings" in message and "2023-24: 21 added" in message and "2025-26: 19 added" in message
    store = Store(db)
    assert [len(store.current(ORG, p, READING.kind)) for p in ("2023-24", "2024-25", "2025-26")] == [21, 21, 19]
    assert form.result.periods == ["2023-24", "2024-25", "2025-26"]
    assert form.rows["debtors_collection_days"].value.value == "92 days"  # as written in the file
    assert form.result.count("outside") == 7


def test_a_bad_file_is_refused_whole_with_its_rows(db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Metric,Period,Value\nVacancy rate,2025-26,14%\nVacancy rate,2025-26,15%\nNo metric,2025-26,1\n")
    form = _form(db)
    _upload(form, bad)
    form.import_button.click()
    assert "nothing was saved" in form.feedback.value
    assert "bad.csv" in form.feedback.value and "a metric of the catalogue" in form.feedback.value
    assert "one reading per metric and period" in form.feedback.value
    assert not Store(db).periods(ORG)


def test_kri_links_are_the_organisations_own_and_carry_over(db):
    form = _form(db)
    # a new organisation: no links, whatever the notebook's example parameters say
    assert all(not row.risks.value for row in form.links.values())
    form.rows["vacancy_rate"].value.value = "14%"
    form.save.click()
    assert form.result.kris == [] and form.result.revisit.empty
    form.links["vacancy_rate"].risks.value = "BC-07, BC-09"
    form.links["current_ratio"].categories.value = "Financial; Budget, treasury and revenue"
    form.save_links.click()
    assert "Saved the key risk indicators" in form.links_feedback.value, form.links_feedback.value
    saved = {r.key: r.data for r in Store(db).current(ORG, PERIOD, KRI_LINK.kind)}
    assert saved["vacancy_rate"]["risks"] == "BC-07, BC-09"
    assert saved["current_ratio"]["categories"] == "Financial; Budget, treasury and revenue"
    assert sorted(k.metric for k in form.result.kris) == ["current_ratio", "vacancy_rate"]
    # the next period shows them, carried over, and says so
    form.picker.period.value = "2026-27"
    form.picker.open_button.click()
    assert form.links["vacancy_rate"].risks.value == "BC-07, BC-09"
    assert "these are 2025-26's" in form.links_note.value
    # a link without any risk or category is refused by its metric
    form.links["debt_impairment"].risks.value = " , "
    form.save_links.click()
    assert "Debt impairment" in form.links_feedback.value and "risk ID or risk category" in form.links_feedback.value


def test_the_form_links_to_settings_when_the_methodology_is_not_set(db):
    form = _form(db)
    assert "the suite&#x27;s default until you choose one" in form.settings_view.value or \
        "suite's default" in form.settings_view.value


def test_an_excel_file_of_readings_is_imported_with_its_own_headings(db, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Indicator", "Reporting period", "Actual", "As at", "Data source"])
    sheet.append(["Vacancy rate", "2025-26", 0.14, "2025-09-30", "HR report"])  # a spreadsheet percentage
    sheet.append(["Current ratio", "2025-26", "1.6 : 1", "2025-09-30", "Budget office"])
    path = tmp_path / "readings.xlsx"
    book.save(path)
    form = _form(db)
    _upload(form, path)
    form.import_button.click()
    message = form.feedback.value
    assert "2 readings" in message, message
    assert "Indicator as metric" in message and "Actual as value" in message  # how the headings were read
    assert "read as 0.14%" in message  # a fraction in a percent metric is said, never silently re-read
    saved = {r.key: r.data for r in Store(db).current(ORG, PERIOD, READING.kind)}
    assert saved["current_ratio"]["value"] == "1.6 : 1" and saved["vacancy_rate"]["source"] == "HR report"


def test_the_warning_zone_is_the_organisations_setting_never_the_examples(db):
    from tests.form_kit import settle

    form = _form(db, warning=0.1)  # the notebook's example value
    form.rows["vacancy_rate"].value.value = "9.5%"  # inside < 10%, within 10% of the limit
    form.save.click()
    assert 'data-state="within"' in form.rows["vacancy_rate"].state.value
    settle(Store(db), ORG, PERIOD, warning=0.1)
    form.picker.open_button.click()
    assert 'data-state="near"' in form.rows["vacancy_rate"].state.value
    assert "Tolerance warning zone: <b>10%</b>" in form.settings_view.value
