"""The risk monitoring run end to end: the shipped Karoo Vale example (three periods of readings, KRIs, the
register), the JSON contract, the Excel sheets, the report in words, inputs refused with every problem at once,
and a store run across three periods with the KRI links saved in the store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests import hostile
from tests.conftest import PARAMETERS, write_csv
from workbook_lib.assessments import get, shared_fields
from workbook_lib.assessments.monitoring import charts, index_figures, report
from workbook_lib.assessments.monitoring.inputs import MonitoringParams
from workbook_lib.assessments.monitoring.records import KRI_LINK, READING
from workbook_lib.assessments.monitoring.run import run_monitoring
from workbook_lib.assessments.risk.records import RISK
from workbook_lib.core import records
from workbook_lib.core.errors import InputError
from workbook_lib.core.params import ParameterError, load_file
from workbook_lib.core.store import Author, Method, Store
from workbook_lib.core.tables import read_table

ROOT = Path(__file__).resolve().parents[3]
KAROO = PARAMETERS / "karoo-vale-2025-26.yaml"
SPEC = get("risk-monitoring")
HEADER = "Metric,Period,Value,Date,Source,Note\n"


@pytest.fixture(scope="module")
def karoo():
    return run_monitoring(load_file(KAROO, MonitoringParams, shared_fields()))


def _state(result, metric: str) -> str:
    return result.states.set_index("metric").loc[metric, "state"]


def test_karoo_metrics_against_their_tolerance(karoo):
    assert karoo.periods == ["2023-24", "2024-25", "2025-26"]
    assert len(karoo.states) == 21
    # outside as written: < 10% leaves 12% out, "80-90%" leaves 78% out, 75 days (at most) leaves 92 days out
    assert _state(karoo, "debt_impairment") == "outside"
    assert _state(karoo, "minimum_service_delivery_levels") == "outside"
    assert _state(karoo, "debtors_collection_days") == "outside"
    assert _state(karoo, "high_impact_non_compliance_issues") == "outside"  # 1 against zero tolerance
    # near with the example's 10% warning zone: 18.5% under < 20% is within 2 points of the limit
    assert _state(karoo, "reliance_on_government_grants") == "near"
    assert _state(karoo, "current_ratio") == "near"  # 1.6 : 1 within 0.15 of 1.5
    assert _state(karoo, "creditor_payment_days") == "within"
    assert _state(karoo, "indigent_growth") == "within"  # -1.2% against at most 0%
    # no reading for 2025-26: missing, never within, with the last known reading listed
    assert set(karoo.missing["metric"]) == {"ineffective_controls", "customer_satisfaction_delivery_protests"}
    missing = report.missing_view(karoo).set_index("Metric")
    assert missing.loc["Customer satisfaction – delivery protests", "Last reading"] == "86% in 2024-25"
    assert [karoo.count(s) for s in ("outside", "near", "within", "missing")] == [7, 4, 8, 2]
    vacancy = karoo.states.set_index("metric").loc["vacancy_rate"]
    assert vacancy["trend"] == [8.0, 11.0, 14.0] and vacancy["trend_words"] == "rising"


def test_low_rated_risks_with_a_kri_outside_tolerance_are_flagged_to_revisit(karoo):
    revisit = karoo.revisit.set_index(["risk_id", "metric"])
    # KV-007 is rated Low; debtors collection days are 92 against at most 75
    assert revisit.loc[("KV-007", "debtors_collection_days"), "revisit"]
    assert revisit.loc[("KV-007", "debtors_collection_days"), "residual_level"] == "Low"
    assert "rated Low" in revisit.loc[("KV-007", "debtors_collection_days"), "reason"]
    # KV-020 (vacancies) is rated Medium since the residual follows Table 22: listed, not a rating to revisit
    assert not revisit.loc[("KV-020", "vacancy_rate"), "revisit"]
    # KV-005 is rated High: listed with its decision maker, not a rating to revisit
    assert not revisit.loc[("KV-005", "debtors_collection_days"), "revisit"]
    assert revisit.loc[("KV-005", "debtors_collection_days"), "decision_maker"] == "Municipal Manager"
    # a KRI whose metric is within tolerance links nothing here (KV-021: cyber incidents 0%)
    assert "KV-021" not in set(karoo.revisit["risk_id"])


def test_escalations_go_to_senior_management_with_the_authority_approving_the_unavoidable(karoo):
    esc = karoo.escalations.set_index("metric")
    assert len(esc) == karoo.count("outside")
    assert set(esc["escalate_to"]) == {"senior management"} and set(esc["approver"]) == {"Municipal Manager"}
    assert esc.loc["debtors_collection_days", "risk_ids"] == ["KV-005", "KV-007"]
    assert esc.loc["own_revenue_growth", "risk_ids"] == []  # no KRI links it: escalated all the same


def test_json_contract(karoo):
    summary = json.loads(json.dumps(SPEC.summary(karoo, karoo.organisation, karoo.period)))
    assert summary["assessment"] == "risk-monitoring"
    metric = {m["metric"]: m for m in summary["metrics"]}["debtors_collection_days"]
    assert metric == {**metric, "name": "Debtors collection days", "tolerance": "75 days", "latest": 92.0,
                      "state": "outside", "direction": "rising"}
    assert metric["trend"] == [{"period": "2023-24", "value": 68.0}, {"period": "2024-25", "value": 81.0},
                               {"period": "2025-26", "value": 92.0}]
    missing = {m["metric"]: m for m in summary["metrics"]}["ineffective_controls"]
    assert missing["state"] == "missing" and missing["latest"] is None and missing["trend"][-1]["value"] is None
    assert summary["counts"] == {"outside": 7, "near": 4, "within": 8, "missing": 2}
    assert {r["risk_id"] for r in summary["risks_to_revisit"] if r["revisit"]} == {
        "KV-007", "KV-011", "KV-019"}
    assert index_figures.key_figures(summary) == {"metrics": 21, "outside": 7, "near": 4, "missing": 2, "revisit": 3}
    assert [c(index_figures.key_figures(summary)) for _h, c in index_figures.INDEX_COLUMNS] == ["7 of 21", 2, 3]


def test_json_says_the_favourable_side_the_escalation_and_whose_tolerances(karoo):
    summary = json.loads(json.dumps(SPEC.summary(karoo, karoo.organisation, karoo.period)))
    metrics = {m["metric"]: m for m in summary["metrics"]}
    assert (metrics["current_ratio"]["favourable"], metrics["current_ratio"]["better_than_range"]) == ("higher", False)
    assert metrics["vacancy_rate"]["favourable"] == "lower"
    assert {(e["escalate_to"], e["approval_if_unavoidable"]) for e in summary["escalations"]} == {
        ("senior management", "Municipal Manager")}
    assert not any("who" in e for e in summary["escalations"])
    assert "cannot be avoided" in summary["escalations"][0]["action"]
    assert (len(summary["tolerances"]["adopted_unchanged"]), summary["tolerances"]["own"]) == (21, [])
    assert summary["tolerances"]["words"].startswith("All 21 tolerances in use are the guide's illustrations")


def test_a_reading_better_than_its_range_is_within_and_never_escalated(tmp_path):
    path = _readings(tmp_path, "Minimum service delivery levels,2025-26,95%,,,\n"
                               'current_ratio,2025-26,"2,6 : 1",,,\nvacancy_rate,2025-26,14%,,,\n')
    result = run_monitoring(_params(tmp_path, path, warning=0.1))
    assert [_state(result, m) for m in ("minimum_service_delivery_levels", "current_ratio")] == ["within", "within"]
    assert list(result.escalations["metric"]) == ["vacancy_rate"]
    view = report.metrics_view(result).set_index("Metric")
    assert view.loc["Current ratio", "State"] == "Within tolerance (better than the range)"
    assert view.loc["Current ratio", "Better"] == "higher is better"
    assert view.loc["Vacancy rate", "State"] == "Outside tolerance"


def test_the_method_note_records_each_direction_decision_and_whose_tolerances(karoo):
    note = report.method_note(karoo)
    assert "**Tolerances.** All 21 tolerances in use are the guide&#x27;s illustrations adopted unchanged" in note
    assert "the side of 14 metric(s); the others, as decided:" in note
    assert "- Current ratio (1.5 to 2 : 1): higher is better." in note and "smaller than 2:1" in note
    assert "- Own revenue growth (10%): higher is better. Growth is a target to reach" in note
    assert note.count("Not in the guide.") == 5  # growth, indigent growth, the two day counts, assurance
    assert ("**Escalation.** A metric outside tolerance is analysed, acted on and escalated to senior management; "
            "staying outside tolerance is for a position that cannot be avoided, approved by the Municipal Manager")\
        in note
    assert "on the unfavourable side is near the limit" in note
    method = dict(SPEC.tables(karoo)["Method"].values.tolist())
    assert method["escalated to"] == "senior management"
    assert method["approves an unavoidable position outside tolerance"] == "Municipal Manager"


def test_key_figures_match_the_notebooks_expected_line(karoo):
    expected = (ROOT / "tests" / "expected" / "risk-monitoring--karoo-vale-2025-26.txt").read_text().strip()
    assert report.key_figures(karoo) == expected


def test_report_tables_read_in_words(karoo):
    view = report.metrics_view(karoo).set_index("Metric")
    assert view.loc["Current ratio", "Latest reading"] == "1.6 : 1"
    assert view.loc["Current ratio", "Tolerance"] == ("at least 1.5 : 1; above 2 : 1 is better than the range "
                                                      "(written 1.5 to 2 : 1)")
    assert view.loc["Debtors collection days", "Trend"] == "68 days → 81 days → 92 days"
    assert view.loc["% Ineffective controls – assessed by both internal/external audit", "Movement"] == ""
    assert set(view["State"]) == {"Outside tolerance", "Near the limit", "Within tolerance", "No reading"}
    for frame in (report.revisit_view(karoo), report.escalations_view(karoo), report.readings_view(karoo)):
        assert not any("_" in c for c in frame.columns)
        assert not frame.isin([True, False, "True", "False", "nan", "NaN"]).any().any()
    text = report.opening_narrative(karoo)
    assert "7 are outside tolerance" in text and "a missing reading is not taken as within tolerance" in text
    assert text.endswith("7 metric(s) outside tolerance call for analysis and action, escalated to senior "
                         "management. Staying outside tolerance is for a position that cannot be avoided, approved "
                         "by the Municipal Manager.")
    assert "escalation to the Municipal Manager" not in text


def test_excel_sheets(karoo):
    tables = SPEC.tables(karoo)
    assert list(tables) == ["Metrics", "Ratings to revisit", "Escalations", "Missing readings", "Readings", "Notes",
                            "Method"]
    assert len(tables["Readings"]) == 61
    assert set(tables["Ratings to revisit"]["revisit"]) == {"Yes", "No"}


def test_charts_draw_a_panel_per_metric_read(karoo):
    chart = charts.trends(karoo).to_dict()
    data, headings = charts.trend_frame(karoo)
    assert len(headings) == 21  # every metric has a reading in some period: a panel each
    assert chart["facet"]["field"] == "panel" and chart["resolve"]["scale"]["y"] == "independent"
    assert headings[0].startswith("Minimum service delivery|levels|Tolerance: at least 80%;")  # worst first
    frame, info = charts.trend_data(karoo, "minimum_service_delivery_levels")
    assert info["limits"] == [80.0] and info["band"] == {"y": 80.0, "y2": info["domain"][1]}  # better above
    assert len(data[(data["kind"] == "reading")]) == 61
    frame, info = charts.trend_data(karoo, "vacancy_rate")
    assert list(frame["state"]) == ["Within tolerance", "Outside tolerance", "Outside tolerance"]  # 8, 11, 14 vs < 10%
    assert info["band"]["y2"] == 10 and info["limits"] == [10.0]
    assert info["band"]["y"] == info["domain"][0]  # no lower limit: the band runs to the panel's edge
    assert charts.state_overview(karoo).to_dict()["mark"]["type"] == "bar"


def _readings(tmp_path: Path, text: str) -> Path:
    return write_csv(tmp_path / "readings.csv", HEADER + text)


def _params(tmp_path: Path, readings: Path, **more) -> MonitoringParams:
    return MonitoringParams(organisation="Test", period="2025-26", as_of="2025-11-30", readings=str(readings),
                            parameters_dir=str(tmp_path), **more)


def test_every_input_problem_is_reported_at_once(tmp_path):
    path = _readings(tmp_path, "Vacancy rate,2025-26,abc,,,\nNo such metric,2025-26,3,,,\n"
                               "current_ratio,2025-26,2 : 3,,,\n")
    params = _params(tmp_path, path, kris=[{"metric": "vacancy rate", "risks": []}])
    with pytest.raises(InputError) as caught:
        run_monitoring(params)
    problems = caught.value.problems
    where = {(p.row, p.column) for p in problems}
    assert {(2, "Value"), (3, "Metric"), (4, "Value")} <= where
    assert any("kris" in p.file and "risk ID or risk category" in p.expected for p in problems)


def test_a_file_run_needs_readings_and_a_register_needs_its_methodology(tmp_path):
    with pytest.raises(ParameterError) as caught:
        load_file(write_csv(tmp_path / "p.yaml", "organisation: X\nperiod: '2025-26'\nas_of: 2025-11-30\n"
                                                 "register: r.csv\n"), MonitoringParams, shared_fields())
    assert "readings: missing" in str(caught.value) and "methodology: missing" in str(caught.value)


def test_later_periods_are_set_aside_with_a_note_and_no_register_is_said(tmp_path):
    path = _readings(tmp_path, "vacancy_rate,2025-26,9%,,,\nvacancy_rate,2026-27,12%,,,\n")
    result = run_monitoring(_params(tmp_path, path))
    assert result.periods == ["2025-26"]
    assert _state(result, "vacancy_rate") == "within"
    assert any("2026-27, after 2025-26, are not used" in n for n in result.notes)
    assert any("No risk register is given" in n for n in result.notes)
    assert result.authority is None and result.escalations.empty and result.revisit.empty
    assert "the authority the organisation names" not in report.opening_narrative(result)


def test_a_run_warning_zone_replaces_the_catalogues(tmp_path):
    path = _readings(tmp_path, "vacancy_rate,2025-26,9.5%,,,\n")
    assert _state(run_monitoring(_params(tmp_path, path)), "vacancy_rate") == "within"
    assert _state(run_monitoring(_params(tmp_path, path, warning=0.1)), "vacancy_rate") == "near"


# ---- the store: three periods of readings, KRI links saved, the register saved ------------------------------
ORG = "Store Monitoring Municipality"


def _save_period(store: Store, period: str, rows: str) -> None:
    table = read_table(write_csv(Path(store.url.split("///", 1)[1]).with_name(f"{period}.csv"), HEADER + rows),
                       records.spec_for(READING).columns())
    store.save(ORG, period, READING.kind, records.canonical_rows(READING, table, SPEC_CATALOGUE()),
               Author("Risk officer"), Method("table-25-metrics", "", "x"), source="import")


def SPEC_CATALOGUE():  # noqa: N802 - the context the kind checks against
    return READING.context(None, None)[1]


@pytest.fixture
def stored(tmp_path, western_cape):
    db = tmp_path / "store.db"
    url = f"sqlite:///{db}"
    with Store(url) as store:
        _save_period(store, "2023-24", "vacancy_rate,2023-24,7%,2024-06-30,HR,\ncurrent_ratio,2023-24,1.9,,,\n")
        _save_period(store, "2024-25", "vacancy_rate,2024-25,9.5%,2025-06-30,HR,\ncurrent_ratio,2024-25,1.7,,,\n")
        _save_period(store, "2025-26", "vacancy_rate,2025-26,13%,2025-09-30,HR,\n")
        register = read_table(PARAMETERS / "registers" / "karoo_vale_municipality_2025.csv",
                              records.spec_for(RISK).columns())
        loaded, context = RISK.context("western-cape-5x5", None)
        store.save(ORG, "2025-26", RISK.kind, records.canonical_rows(RISK, register, context),
                   Author("Risk officer"), Method("western-cape-5x5", "1", loaded.sha256), source="import")
        links = pd.DataFrame({"row": [2], "metric": ["Vacancy rate"], "risks": ["KV-007"], "categories": [""]})
        table = records.Table("links", links, header_row=1)
        store.save(ORG, "2024-25", KRI_LINK.kind, records.canonical_rows(KRI_LINK, table, SPEC_CATALOGUE()),
                   Author("Risk officer"), Method("table-25-metrics", "", "x"), source="form")
    return url


def test_a_store_run_reads_three_periods_and_carries_the_kri_links_over(stored):
    params = MonitoringParams(organisation=ORG, period="2025-26", as_of="2025-11-30", source="store",
                              store_url=stored, methodology="western-cape-5x5",
                              kris=[{"metric": "debt_impairment", "risks": ["KV-005"]}])
    result = run_monitoring(params)
    assert result.periods == ["2023-24", "2024-25", "2025-26"]
    row = result.states.set_index("metric").loc["vacancy_rate"]
    assert row["trend"] == [7.0, 9.5, 13.0] and row["state"] == "outside"
    assert _state(result, "current_ratio") == "missing"  # read in earlier periods, not in 2025-26
    # the links saved for 2024-25 are used (not the parameters'), and the report says where they came from
    assert [k.metric for k in result.kris] == ["vacancy_rate"]
    assert "Key risk indicators: 1, saved for 2024-25, carried over." in result.notes
    flagged = result.revisit.set_index("risk_id").loc["KV-007"]  # a risk rated Low
    assert flagged["revisit"] and flagged["residual_level"] == "Low"
    assert result.escalations.iloc[0]["approver"] == "Municipal Manager"


def test_workbook_run_writes_the_four_outputs(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "workbook_lib.cli", "run", "risk-monitoring", "--params", str(KAROO),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    folder = out / "Karoo-Vale-Local-Municipality" / "2025-26"
    assert {p.suffix for p in folder.iterdir()} >= {".ipynb", ".html", ".xlsx", ".json"}
    summary = json.loads((folder / "risk-monitoring.json").read_text())
    assert summary["counts"]["outside"] == 7
    page = (folder / "risk-monitoring.html").read_text()
    assert "Readings missing for the period" in page
    assert page.count("<img") == 2 and page.count('src="data:image/svg+xml') == 2  # the charts, inline
    assert "cdn." not in page and "NBVAL" not in page


@pytest.mark.parametrize(("make", "said"), [(lambda f: hostile.zip_bomb_xlsx(f), "inflates to"),
                                            (lambda f: hostile.symlinked_csv(f), "a link to another file"),
                                            (lambda f: hostile.nul_csv(f), "control character (U+0000)")])
def test_a_hostile_readings_file_is_refused_clearly(tmp_path, make, said):
    path = make(tmp_path)
    with pytest.raises(InputError) as caught:
        run_monitoring(_params(tmp_path, path))
    assert said in str(caught.value)


def test_text_from_a_readings_file_is_neutralised_in_the_workbook(tmp_path):
    from openpyxl import load_workbook

    from workbook_lib.core.outputs import write_excel

    path = _readings(tmp_path, 'vacancy_rate,2025-26,14%,,=HYPERLINK("http://x"),@SUM(A1)\n'
                               "current_ratio,2025-26,1.6,,Budget office,<script>alert(1)</script>\n")
    result = run_monitoring(_params(tmp_path, path))
    write_excel(SPEC.tables(result), tmp_path / "out.xlsx")
    readings = load_workbook(tmp_path / "out.xlsx")["Readings"]
    cells = [c for row in readings.iter_rows(min_row=2) for c in row]
    assert not any(c.data_type == "f" for c in cells)
    assert {"'=HYPERLINK(\"http://x\")", "'@SUM(A1)"} <= {c.value for c in cells}
    from workbook_lib.core.outputs import html_table

    shown = html_table(report.readings_view(result)).data
    assert "<script>" not in shown and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown


def test_a_store_run_opens_the_store_once_for_its_settings_and_every_record_kind(stored, monkeypatch):
    """One run source per run: the settings, the readings of three periods, the KRI links and the register all come
    through one connection (a monitoring run opened the store four times before)."""
    from workbook_lib.core import store as store_module
    from workbook_lib.core.settings import effective
    from workbook_lib.core.source import source_of

    opened = []
    real_init = store_module.Store.__init__
    monkeypatch.setattr(store_module.Store, "__init__",
                        lambda self, *a, **k: (opened.append(a or k), real_init(self, *a, **k))[1])
    params = MonitoringParams(organisation=ORG, period="2025-26", as_of="2025-11-30", source="store",
                              store_url=stored, methodology="western-cape-5x5")
    with source_of(params) as source:
        used, _applied = effective(params)
        result = run_monitoring(used)
    assert result.periods == ["2023-24", "2024-25", "2025-26"] and len(result.revisit)
    assert len(opened) == 1 and source.opened == 1
    assert source._store is None  # closed when the run is done
