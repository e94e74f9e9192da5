"""How risks move between periods, in the risk evaluation (issue 18): earlier periods from the store, from an
earlier register or report file, renamed IDs, problems reported together, the report section, the JSON, the Excel
sheet, the key figures and the batch index's "Risks worse"."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from tests.assessments.risk.test_changes import HEAD, ORG, REGISTERS
from tests.conftest import write_csv
from tests.form_kit import Recorder, no_request  # noqa: F401 - a fixture
from workbook_lib.assessments.risk import charts, index_figures, report
from workbook_lib.assessments.risk.form import RiskRegisterForm
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.assessments.risk.run import check_risk_inputs, run_risk_evaluation
from workbook_lib.assessments.risk.spec import SPEC
from workbook_lib.batch import index
from workbook_lib.batch.pool import RunResult
from workbook_lib.core import outputs, records
from workbook_lib.core.errors import InputError
from workbook_lib.core.outputs import column_heading
from workbook_lib.core.params import ParameterError, validate
from workbook_lib.core.store import Author, Store

METHOD = "western-cape-5x5"
AS_OF = "2026-06-30"


def _params(period: str, **more) -> RiskEvaluationParams:
    return RiskEvaluationParams(organisation=ORG, period=period, as_of=AS_OF, methodology=METHOD, **more)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Each period's register as a CSV file (the three periods of test_changes)."""
    folder = tmp_path_factory.mktemp("registers")
    return {period: write_csv(folder / f"{period}.csv", HEAD + rows) for period, rows in REGISTERS.items()}


@pytest.fixture(scope="module")
def store_url(files, tmp_path_factory) -> str:
    with Store(str(tmp_path_factory.mktemp("store") / "store.db")) as store:
        for period, path in files.items():
            table = records.read_for_kind(path, "risk")
            store.save(ORG, period, "risk", records.rows_from_table(table, "risk"), Author("Clerk"), source="import")
        return store.url


@pytest.fixture(scope="module")
def from_store(store_url):
    """2025-26 from the store, with 2023-24 and 2024-25 saved before it; W-4 was renamed FL-4 in 2024-25."""
    return run_risk_evaluation(_params("2025-26", source="store", store_url=store_url,
                                       renamed_ids={"2024-25": {"W-4": "FL-4"}}))


def _by_id(changes) -> dict:
    return changes.frame.set_index("risk_id").to_dict("index")


# ---- three periods in the store ------------------------------------------------------------------------
def test_movement_across_three_periods_saved_in_the_store(from_store):
    mv = from_store.movement
    assert [(s.before, s.now) for s in mv.steps] == [("2023-24", "2024-25"), ("2024-25", "2025-26")]
    assert mv.sources == {"2023-24": "the store", "2024-25": "the store"}
    first, latest = (_by_id(s) for s in mv.steps)
    assert first["W-1"]["change"] == "worse" and first["W-1"]["bands"] == 2  # Low 4 -> High 16
    assert (first["W-1"]["level_before"], first["W-1"]["level_now"], first["W-1"]["by"]) == ("Low", "High", 12)
    assert first["W-5"]["change"] == "new" and first["W-3"]["change"] == "closed"
    assert first["W-2"]["change"] == "better" and first["FL-4"]["earlier_id"] == "W-4"
    w1 = latest["W-1"]
    assert (w1["change"], w1["bands"], w1["score_before"], w1["score_now"]) == ("worse", 0, 16, 20)  # High 16 -> 20
    assert latest["W-5"]["change"] == "better" and latest["W-5"]["bands"] == -1  # Medium 12 -> Low 4
    assert latest["W-3"]["change"] == "no longer listed"


def test_the_json_and_excel_carry_the_movement(from_store, tmp_path):
    paths = SPEC.write_outputs(from_store, ORG, "2025-26", tmp_path)
    summary = json.loads(next(p for p in paths if p.suffix == ".json").read_text(encoding="utf-8"))
    mv = summary["movement"]
    assert (mv["from_period"], mv["to_period"]) == ("2024-25", "2025-26")
    assert mv["counts"] == {"new": 0, "closed": 0, "no longer listed": 1, "worse": 2, "better": 1, "unchanged": 1,
                            "not comparable": 0}
    w1 = next(r for r in mv["risks"] if r["risk_id"] == "W-1")
    assert w1 == {"risk_id": "W-1", "earlier_id": None, "change": "worse", "level_before": "High",
                  "level_now": "High", "bands": 0, "score_before": 16, "score_now": 20, "by": 4}
    assert [s["counts"]["new"] for s in mv["series"]] == [1, 0]
    assert mv["earlier"] == [{"period": "2023-24", "source": "the store"}, {"period": "2024-25", "source": "the store"}]
    xlsx = next(p for p in paths if p.suffix == ".xlsx")
    sheet = pd.read_excel(xlsx, sheet_name="Movement", engine="calamine")
    rid, bands = column_heading("risk_id"), column_heading("bands")  # the workbook's headings are in words
    assert list(sheet[rid]) == ["W-1", "FL-4", "W-3", "W-5", "W-2"]  # every risk, the worst change first
    assert sheet.set_index(rid).loc["W-5", bands] == -1
    by_period = pd.read_excel(xlsx, sheet_name="Movement by period", engine="calamine")
    assert list(by_period["Worse"]) == [1, 2] and list(by_period["From"]) == ["2023-24", "2024-25"]


def test_key_figures_and_the_report_text_name_what_got_worse(from_store):
    assert report.key_figures(from_store).endswith(
        "| since 2024-25: worse 2, better 1, new 0, closed 0, no longer listed 1")
    text = report.movement_since(from_store)
    assert text.startswith("## Movement since 2024-25\n")
    assert ("Since 2024-25, **2 risks got worse** (most of all W-1, whose score rose from 16 to 20, still High), "
            "1 is no longer listed (W-3), 1 improved (W-5 fell one band, from Medium to Low, score 12 to 4) and 1 "
            "is unchanged.") in text
    assert "| 2023-24 | 2024-25 | 1 | 1 | 1 | 1 | 0 | 1 | 0 |" in text  # across the periods


def test_a_store_period_given_as_a_file_is_read_from_the_file(store_url, files):
    ev = run_risk_evaluation(_params("2025-26", source="store", store_url=store_url,
                                     earlier=[{"period": "2024-25", "register": str(files["2024-25"])}]))
    assert ev.movement.sources == {"2023-24": "the store", "2024-25": "2024-25.csv"}
    assert "2024-25 is both in the store and given as a file: the file was used." in ev.movement.notes


# ---- earlier periods given as files --------------------------------------------------------------------
@pytest.fixture(scope="module")
def earlier_report(files, tmp_path_factory) -> Path:
    """The JSON summary a 2024-25 run wrote."""
    ev = run_risk_evaluation(_params("2024-25", register=str(files["2024-25"])))
    paths = SPEC.write_outputs(ev, ORG, "2024-25", tmp_path_factory.mktemp("report-2024-25"))
    return next(p for p in paths if p.suffix == ".json")


def test_an_earlier_register_and_an_earlier_report_give_the_same_movement(files, earlier_report):
    current = {"register": str(files["2025-26"])}
    from_register = run_risk_evaluation(_params("2025-26", **current,
                                                earlier=[{"period": "2024-25", "register": str(files["2024-25"])}]))
    from_report = run_risk_evaluation(_params("2025-26", **current,
                                              earlier=[{"period": "2024-25", "report": str(earlier_report)}]))
    a, b = from_register.movement.latest.frame, from_report.movement.latest.frame
    assert a["change"].tolist() == ["worse", "worse", "no longer listed", "better", "unchanged"]
    # a report keeps no descriptions: a risk no longer listed has none from it
    pd.testing.assert_frame_equal(a.drop(columns="description"), b.drop(columns="description"))
    assert "2024-25 is taken from its report: the levels and scores reported then." in from_report.movement.notes


def test_renamed_ids_are_matched_and_shown(files):
    ev = run_risk_evaluation(_params("2024-25", register=str(files["2024-25"]), renamed_ids={"W-4": "FL-4"},
                                     earlier=[{"period": "2023-24", "register": str(files["2023-24"])}]))
    fl4 = _by_id(ev.movement.latest)["FL-4"]
    assert (fl4["change"], fl4["earlier_id"]) == ("unchanged", "W-4")
    assert "Renamed risks are matched under their new IDs: W-4 is now FL-4." in report.movement_since(ev)
    view = report.movement_view(ev)
    assert view.set_index("risk_id").loc["FL-4", "earlier_id"] == "W-4"  # unchanged, but shown: renamed
    assert "W-4" not in set(view["risk_id"])
    without = run_risk_evaluation(_params("2024-25", register=str(files["2024-25"]),
                                          earlier=[{"period": "2023-24", "register": str(files["2023-24"])}]))
    assert _by_id(without.movement.latest)["FL-4"]["change"] == "new"
    assert "earlier_id" not in report.movement_view(without)  # no renamed risk: no column for it


@pytest.mark.parametrize(("renamed", "message"), [
    ({"W-9": "X-9"}, "renamed_ids: W-9 -> X-9: W-9 is not a risk of 2023-24"),
    ({"W-4": "FL-9"}, "renamed_ids: W-4 -> FL-9: FL-9 is not a risk of 2024-25"),
    ({"W-4": "W-1"}, "W-4 -> W-1: W-1 was already a risk of 2023-24"),
    ({"2019-20": {"W-4": "FL-4"}}, "renamed_ids: 2019-20 is not a period the risks are compared into"),
])
def test_an_unknown_rename_is_refused_naming_it(files, renamed, message):
    params = _params("2024-25", register=str(files["2024-25"]), renamed_ids=renamed,
                     earlier=[{"period": "2023-24", "register": str(files["2023-24"])}])
    with pytest.raises(ParameterError, match=re.escape(message)):
        check_risk_inputs(params)  # what workbook run checks before it starts a kernel


def test_a_rename_without_an_earlier_period_is_refused(files):
    with pytest.raises(ParameterError, match="renamed_ids: there is no earlier period to compare with"):
        run_risk_evaluation(_params("2024-25", register=str(files["2024-25"]), renamed_ids={"W-4": "FL-4"}))


def test_problems_in_an_earlier_file_are_reported_with_the_current_ones(tmp_path, earlier_report):
    current = write_csv(tmp_path / "now.csv", HEAD + "W-1,Water losses,9,4,2,2,open\n")
    older = write_csv(tmp_path / "older.csv", HEAD + "W-1,Water losses,4,4,2,2,open\nW-2,Pumps,4,Huge,2,2,open\n")
    other = tmp_path / "maturity-scoring.json"
    other.write_text(json.dumps({"assessment": "maturity-scoring", "period": "2022-23"}), encoding="utf-8")
    params = _params("2025-26", register=str(current), earlier=[
        {"period": "2023-24", "register": str(older)}, {"period": "2022-23", "report": str(other)},
        {"period": "2021-22", "report": str(earlier_report)}])
    with pytest.raises(InputError) as caught:
        run_risk_evaluation(params)
    found = {(Path(p.file).name, p.row, p.column) for p in caught.value.problems}
    assert ("now.csv", 2, "Inherent likelihood (column C)") in found
    assert ("older.csv", 3, "Inherent impact (column D)") in found
    assert ("maturity-scoring.json", None, None) in found
    assert (earlier_report.name, None, "period") in found  # the 2024-25 report given as 2021-22
    text = caught.value.summary()
    assert "this is the summary of 'maturity-scoring'" in text and "the report of 2021-22" in text


@pytest.mark.parametrize(("content", "expected"), [
    ("{not json", "this is not valid JSON"),
    ('["risk-evaluation"]', "this is not the summary of a risk evaluation"),
    ('{"assessment": "risk-evaluation", "period": "2024-25", "risks": {}}', "a list of the period's risks"),
    ('{"assessment": "risk-evaluation", "period": "2024-25", "risks": [{"risk_id": "A", "residual_score": "x"}]}',
     "column 'residual_score of risk 1 (A)': value 'x': expected a number, or null"),
    ('{"assessment": "risk-evaluation", "period": "2024-25", "risks": [{"risk_id": "A"}, {"risk_id": "A"}]}',
     "expected each risk once"),
])
def test_an_earlier_report_is_read_safely(tmp_path, files, content, expected):
    path = tmp_path / "risk-evaluation.json"
    path.write_text(content, encoding="utf-8")
    params = _params("2025-26", register=str(files["2025-26"]), earlier=[{"period": "2024-25", "report": str(path)}])
    with pytest.raises(InputError, match=re.escape(expected)) as caught:
        check_risk_inputs(params)
    assert all(p.file == str(path) for p in caught.value.problems)


def test_an_earlier_report_given_as_a_link_is_refused(tmp_path, files, earlier_report):
    link = tmp_path / "link.json"
    link.symlink_to(earlier_report)
    params = _params("2025-26", register=str(files["2025-26"]), earlier=[{"period": "2024-25", "report": str(link)}])
    with pytest.raises(InputError, match="this is a link to another file"):
        check_risk_inputs(params)


# ---- parameters ------------------------------------------------------------------------------------------
BASE = {"organisation": ORG, "period": "2025-26", "as_of": AS_OF, "methodology": METHOD, "register": "r.csv"}


@pytest.mark.parametrize(("more", "message"), [
    ({"earlier": [{"period": "2024-25", "register": "a.csv", "report": "a.json"}]},
     "earlier.0: earlier period 2024-25: give either its register"),
    ({"earlier": [{"period": "2024-25"}]}, "earlier.0: earlier period 2024-25: give either its register"),
    ({"earlier": [{"period": "2024-25", "register": "a.csv"}, {"period": "2024-25", "report": "a.json"}]},
     "earlier: period 2024-25 is given twice"),
    ({"earlier": [{"period": "2025-26", "register": "a.csv"}]}, "earlier: period 2025-26 is the current period"),
    ({"earlier": [{"period": "2026-27", "register": "a.csv"}]},
     "earlier: period 2026-27 comes after the current period 2025-26"),
    ({"earlier": [{"period": "2024-25", "file": "a.csv"}]}, "earlier.0.file: unknown parameter"),
    ({"renamed_ids": {"KV-3": "KV-3A", "2024-25": {"W-4": "FL-4"}}}, "renamed_ids: either earlier ID -> current ID"),
])
def test_earlier_periods_and_renamed_ids_are_checked(more, message):
    with pytest.raises(ParameterError, match=re.escape(message)):
        validate(RiskEvaluationParams, {**BASE, **more}, "params.yaml")


def test_the_kernel_gets_the_earlier_files_as_absolute_paths(tmp_path):
    params = validate(RiskEvaluationParams, {**BASE, "parameters_dir": str(tmp_path), "earlier": [
        {"period": "2024-25", "register": "old/r.csv"}, {"period": "2023-24", "report": "x.json"}]}, "p.yaml")
    injected = SPEC.resolve_methodology(params, params.model_dump(mode="json", by_alias=True))
    assert [Path(e.get("register") or e.get("report")) for e in injected["earlier"]] == [
        tmp_path / "old/r.csv", tmp_path / "x.json"]


# ---- without an earlier period -----------------------------------------------------------------------
def test_without_an_earlier_period_the_report_says_so(files, tmp_path):
    ev = run_risk_evaluation(_params("2025-26", register=str(files["2025-26"])))
    assert ev.movement is None and charts.movement_since(ev) is None
    heading, sentence = report.movement_since(ev).split("\n\n")
    assert heading == "## Movement since an earlier period"
    assert sentence.startswith("There is no earlier period to compare with: ") and sentence.count(".") == 1
    assert "since" not in report.key_figures(ev)
    paths = SPEC.write_outputs(ev, ORG, "2025-26", tmp_path)
    assert json.loads(next(p for p in paths if p.suffix == ".json").read_text())["movement"] is None
    assert "Movement" not in pd.ExcelFile(next(p for p in paths if p.suffix == ".xlsx"), engine="calamine").sheet_names


# ---- the report table, the chart, the form, the batch index ------------------------------------------
def test_the_movement_table_has_plain_headings(from_store):
    html = outputs.html_table(report.movement_view(from_store), sheet="Movement").data
    soup = BeautifulSoup(html, "html.parser")
    headings = [th.get_text() for th in soup.find_all("th")]
    assert headings == ["Risk", "Change", "Level before", "Level now", "Bands moved", "Score before", "Score now",
                        "Score change", "Description"]
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in soup.find("tbody").find_all("tr")]
    assert rows[0][:8] == ["W-1", "Worse", "High", "High", "0", "16", "20", "+4"]
    assert ["W-5", "Better", "Medium", "Low", "-1", "12", "4", "-8"] == rows[3][:8]
    assert not [c for r in rows for c in r if c in ("nan", "None", "NaN", "True", "False")]


def test_the_chart_draws_each_move_from_its_score_then_to_its_score_now(from_store):
    moved = charts.moves(from_store)
    assert moved[["label", "before", "now", "change"]].values.tolist() == [
        ["W-1", 16, 20, "worse"], ["FL-4", 9, 12, "worse"], ["W-5", 12, 4, "better"]]  # worse first
    spec = charts.movement_since(from_store).to_dict()
    assert spec["title"]["text"] == ["Since 2024-25: 2 worse, 1 better"]
    assert "largest moves" not in " ".join(spec["title"]["subtitle"])


def test_the_chart_draws_the_largest_moves_of_a_long_register(from_store, monkeypatch):
    monkeypatch.setattr(charts, "MAX_MOVES", 2)
    assert charts.moves(from_store)["label"].tolist() == ["W-1", "FL-4"]
    subtitle = " ".join(charts.movement_since(from_store).to_dict()["title"]["subtitle"])
    assert "The 2 largest moves are shown; every risk is in the table below." in subtitle


@pytest.mark.usefixtures("no_request")
def test_the_form_shows_the_movement_of_the_store_and_ignores_the_notebooks_earlier_files(store_url):
    params = _params("2025-26", source="store", store_url=store_url,
                     earlier=[{"period": "2024-25", "register": "the-example-organisations.csv"}])
    sections = Recorder()
    with Store(store_url) as store:
        RiskRegisterForm(params, sections, store=store)
    ev = sections.calls[-1][0]  # what the form's report sections show
    assert ev.movement.latest.before == "2024-25" and ev.movement.sources["2024-25"] == "the store"


def test_the_batch_index_shows_risks_worse_per_organisation(from_store, files, tmp_path):
    alone = run_risk_evaluation(_params("2025-26", register=str(files["2025-26"])))
    results = []
    for org, ev in (("Has History Town", from_store), ("No History Town", alone)):
        folder = tmp_path / org.replace(" ", "-") / "2025-26"
        folder.mkdir(parents=True)
        SPEC.write_outputs(ev, org, "2025-26", folder)
        results.append(RunResult("p.yaml", "risk-evaluation", "ok", org, "2025-26", str(folder.relative_to(tmp_path)),
                                 outputs=["risk-evaluation.json", "risk-evaluation.xlsx"]))
    soup = BeautifulSoup(index.write_index(tmp_path, results).read_text(encoding="utf-8"), "html.parser")
    table = soup.find("h2", string="All organisations side by side").find_next("table")
    headings = [th.get_text() for th in table.find_all("th")]
    column = headings.index("Risks worse")
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]
    cells = {row[0]: row[column] for row in rows}
    assert cells == {"Has History Town": "2 since 2024-25", "No History Town": "no earlier period"}
    assert index_figures.key_figures({"risks": []}).get("worse") is None  # an older summary, without movement


# ---- the report, end to end (workbook run) -------------------------------------------------------------
def test_the_report_shows_the_movement_section_in_plain_words(files, tmp_path):
    from workbook_lib.cli import run_assessment  # lazy: papermill and the kernel

    params = tmp_path / "movement.yaml"
    params.write_text(f"organisation: {ORG}\nperiod: 2025-26\nas_of: {AS_OF}\nmethodology: {METHOD}\n"
                      f"register: {files['2025-26']}\nearlier:\n  - period: 2024-25\n    register: "
                      f"{files['2024-25']}\n  - period: 2023-24\n    register: {files['2023-24']}\n"
                      "renamed_ids: {2024-25: {W-4: FL-4}}\n", encoding="utf-8")
    paths = run_assessment("risk-evaluation", params, tmp_path / "out")
    soup = BeautifulSoup(next(p for p in paths if p.suffix == ".html").read_text(encoding="utf-8"), "html.parser")
    heading = soup.find(lambda t: t.name == "h2" and t.get_text().startswith("Movement since 2024-25"))
    assert heading is not None
    section = []
    for node in heading.find_all_next():
        if node.name == "h2":
            break
        section.append(node)
    assert [n for n in section if n.name == "img" and n["src"].startswith("data:image/svg")]  # the chart
    table = next(n for n in section if n.name == "table" and "workbook-table" in (n.get("class") or []))
    headings = [th.get_text() for th in table.find_all("th")]
    assert "Score change" in headings and not [h for h in headings if "_" in h]
    assert "2 risks got worse" in " ".join(n.get_text(" ") for n in section if n.name == "p")
    summary = json.loads(next(p for p in paths if p.suffix == ".json").read_text(encoding="utf-8"))
    assert summary["movement"]["counts"]["worse"] == 2 and len(summary["movement"]["series"]) == 2
    roles = {e["role"]: e for e in summary["provenance"]["inputs"]}  # the earlier files, with their checksums
    assert {"earlier 2024-25 register", "earlier 2023-24 register"} <= set(roles)
    assert all(len(roles[r]["sha256"]) == 64 for r in roles)


def test_an_assessment_needing_only_the_register_can_leave_the_earlier_periods_unread(store_url):
    params = _params("2025-26", source="store", store_url=store_url,
                     earlier=[{"period": "2024-25", "register": "not-read.csv"}])
    assert run_risk_evaluation(params, earlier=False).movement is None  # the file would be refused if read


def test_an_earlier_report_whose_set_is_being_replaced_is_refused(tmp_path, files, earlier_report):
    """A run replacing that period's reports (or killed while replacing them) may leave files of two runs: the
    report is not read (core/report_set.py), and the message says to run that period again."""
    folder = tmp_path / "2024-25"
    folder.mkdir()
    report = folder / "risk-evaluation.json"
    report.write_bytes(earlier_report.read_bytes())
    params = _params("2025-26", register=str(files["2025-26"]), earlier=[{"period": "2024-25", "report": str(report)}])
    check_risk_inputs(params)  # whole: read
    (folder / ".staging-risk-evaluation-4242-host-x" / ".previous").mkdir(parents=True)
    with pytest.raises(InputError, match="run that period again"):
        check_risk_inputs(params)
