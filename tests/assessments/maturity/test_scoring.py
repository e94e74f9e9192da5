"""Maturity scoring: totals and bands at their edges, partial assessments, maturity_status (the interface
other assessments use), capacity results, gaps and the roadmap."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from tests.assessments.maturity.conftest import (
    AS_OF,
    EXAMPLES,
    IDS,
    LOADED,
    M,
    _csv_marks,
    _marks,
)
from tests.conftest import write_csv
from workbook_lib.assessments.maturity import inputs, report, scoring
from workbook_lib.assessments.maturity.inputs import load_capacity, load_marks, validate_marks
from workbook_lib.assessments.maturity.report import key_figures, maturity_summary
from workbook_lib.assessments.maturity.scoring import assess, maturity_status, roadmap, score_marks
from workbook_lib.core.errors import InputError
from workbook_lib.core.params import ParameterError
from workbook_lib.core.tables import read_table

# ---- bands at their edges -----------------------------------------------------------------------------------


@pytest.mark.parametrize("total, status", [
    (23, "fragmented"), (34, "fragmented"), (35, "integrated"), (50, "integrated"),
    (51, "risk intelligent"), (69, "risk intelligent")])
def test_status_at_band_edges(total, status):
    sc = score_marks(_marks(total), M)
    assert sc.total_score == total and sc.complete
    assert sc.status == status


# ---- totals and partial assessments -------------------------------------------------------------------------


def test_totals_per_assessment():
    marks = dict.fromkeys(IDS, 1) | {"A1": 3, "A10": 2, "B3": 3, "C6": 2}
    sc = score_marks(marks, M)
    per = sc.by_assessment.set_index("assessment")
    assert per.loc["A", "score"] == 10 + 2 + 1 and per.loc["A", "max_score"] == 30
    assert per.loc["B", "score"] == 7 + 2 and per.loc["C", "score"] == 6 + 1
    assert sc.total_score == 13 + 9 + 7 == per["score"].sum()
    el = sc.elements.set_index("element_id")
    assert el.loc["A1", "level"] == "risk intelligent"
    assert el.loc["A1", "description"] == M.element("A1")[2].descriptions[2]


def test_partial_assessment_has_no_status_and_states_the_range_still_possible():
    marks = dict.fromkeys(IDS, 2)
    del marks["C6"]  # 22 rated at 2: total 44; C6 can add 1-3, so 45-47: integrated whatever it gets
    sc = score_marks(marks, M)
    assert (sc.elements_rated, sc.elements_total, sc.total_score) == (22, 23, 44)
    assert sc.status is None and sc.possible_statuses == ["integrated"]
    five_missing = {k: 1 for k in IDS[:18]}  # 18 at 1; five unrated can add 5-15: 23-33 (fragmented only)
    sc = score_marks(five_missing, M)
    assert sc.status is None and sc.possible_statuses == ["fragmented"]
    seven_missing = {k: 2 for k in IDS[:16]}  # 32 + 7..21 = 39-53
    assert score_marks(seven_missing, M).possible_statuses == ["integrated", "risk intelligent"]
    assert score_marks({}, M).possible_statuses == ["fragmented", "integrated", "risk intelligent"]


def test_partial_assessment_warning_names_the_missing_elements(tmp_path):
    marks = dict.fromkeys(IDS, 3)
    del marks["B2"], marks["C4"]
    table = read_table(_csv_marks(tmp_path, marks), inputs.MARKS_COLUMNS)
    result = assess(LOADED, AS_OF, "2025-26", marks=validate_marks(table, M))
    assert result.status is None and result.roadmap.empty and result.toolkit is None
    text = " ".join(result.warnings)
    assert "2 of 23 elements are not rated (B2, C4)" in text and "risk intelligent" in text
    assert "Provisionally" in text
    summary = maturity_summary(result, "Org", "2025-26")
    assert summary["status"] is None and summary["elements_rated"] == 21
    assert next(e for e in summary["elements"] if e["element_id"] == "B2")["mark"] is None
    assert key_figures(result).startswith("elements 23 | rated 21 | total 63 of 69 | status not classified")


def test_blank_marks_are_not_rated_and_an_empty_file_is_valid(tmp_path):
    path = write_csv(tmp_path / "blank.csv", "element_id,mark,comment\nA1,,to do\nA2,2,\n")
    marks = load_marks(path, M)
    assert marks.mark_of() == {"A2": 2}
    empty = write_csv(tmp_path / "empty.csv", "element_id,mark,respondent,comment\n")
    assert load_marks(empty, M).frame.empty
    assert maturity_status(empty) is None
    assert score_marks(load_marks(empty, M), M).elements_rated == 0


# ---- maturity_status, the interface other assessments use ---------------------------------------------------


def test_maturity_status_from_path_table_and_result(tmp_path):
    assert maturity_status(EXAMPLES / "karoo_vale_marks_2025.csv") == "integrated"
    assert maturity_status(str(EXAMPLES / "karoo_vale_marks_2024.csv"), matrix="maturity-matrix") == "fragmented"
    path = _csv_marks(tmp_path, _marks(60))
    table = read_table(path, inputs.MARKS_COLUMNS)
    assert maturity_status(table, matrix=LOADED) == "risk intelligent"
    assert maturity_status(path, matrix=M) == "risk intelligent"
    assert maturity_status(None) is None
    partial = _csv_marks(tmp_path, {k: 3 for k in IDS[:-1]}, name="partial.csv")
    assert maturity_status(partial) is None
    bad = _csv_marks(tmp_path, {"A1": 4, "A2": 2}, name="bad.csv")
    with pytest.raises(InputError):
        maturity_status(bad)


# ---- capacity results ---------------------------------------------------------------------------------------


def test_example_capacity_percentages_and_disagreements():
    answers = load_capacity(EXAMPLES / "karoo_vale_capacity_2025.csv", M)
    cap = scoring.assess_capacity(answers, M)
    with open(EXAMPLES / "karoo_vale_capacity_2025.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for line in (1, 2, 3):
        mine = [r for r in rows if r["line"] == str(line)]
        yes = sum(r["answer"].lower() == "yes" for r in mine)
        expected = round(100 * yes / len(mine), 1)
        assert cap.by_line.set_index("line").loc[line, "percent_yes"] == expected
    assert cap.by_line["percent_yes"].tolist() == [63.6, 72.7, 63.6]
    assert cap.disagreements["item_id"].tolist() == [2, 5, 7, 8]
    sections = cap.by_section[cap.by_section["line"] == 0].set_index("section")
    assert sections.loc["budget", "percent_yes"] == 0.0 and sections.loc["capacity", "percent_yes"] == 88.9
    summary = report.capacity_summary(cap, M)
    assert summary["by_line"]["2"] == {"name": "Risk management", "answered": 11, "yes": 8, "percent_yes": 72.7}
    assert summary["by_section"]["skills"]["by_line"]["1"]["yes"] == 4
    assert summary["disagreements"][0] == {"item_id": 2, "seed_ref": "2", "section": "capacity",
                                           "answers": {"1": "yes", "2": "yes", "3": "no"}}


def test_capacity_not_given_keeps_the_same_shape():
    cap = report.capacity_summary(scoring.assess_capacity(None, M), M)
    assert cap["provided"] is False and cap["answers_given"] == 0 and cap["answers_expected"] == 33
    assert cap["by_line"]["1"]["percent_yes"] is None and set(cap["by_section"]) == {"capacity", "skills", "budget"}


# ---- gaps and roadmap ---------------------------------------------------------------------------------------


def test_elements_below_target_get_the_next_levels_description():
    marks = dict.fromkeys(IDS, 2) | {"A3": 1, "B6": 1, "C1": 3}
    sc = score_marks(marks, M)
    gaps = scoring.gaps_below(sc, M, "integrated")
    assert gaps["element_id"].tolist() == ["A3", "B6"]
    assert gaps.set_index("element_id").loc["A3", "action"] == M.element("A3")[2].descriptions[1]
    gaps = scoring.gaps_below(sc, M, "risk intelligent")
    assert len(gaps) == 22  # every element but C1
    row = gaps.set_index("element_id")
    assert row.loc["A3", "next_level"] == "integrated" and row.loc["A3", "steps_to_target"] == 2
    assert row.loc["A1", "action"] == M.element("A1")[2].descriptions[2]
    assert scoring.gaps_below(sc, M, "fragmented").empty


def test_target_status_spellings_and_unknown_target():
    assert scoring.resolve_status("Risk Intelligent", M) == "risk intelligent"
    assert scoring.resolve_status("compliant", M) == "integrated"  # an index level maps to its status
    assert scoring.resolve_status("basic", M) == "fragmented"
    with pytest.raises(ParameterError, match="expected one of fragmented, integrated, risk intelligent"):
        scoring.resolve_status("excellent", M)


def test_roadmap_from_fragmented_uses_the_guides_timelines():
    rm = roadmap("fragmented", M, AS_OF, 5, "integrated")
    assert rm["to_status"].tolist() == ["integrated", "risk intelligent"]
    assert rm["years"].tolist() == ["1-2", "2-3"]
    assert rm["earliest_year"].tolist() == [1, 3] and rm["latest_year"].tolist() == [2, 5]
    assert rm["earliest_by"].tolist() == [dt.date(2026, 11, 30), dt.date(2028, 11, 30)]
    assert rm["latest_by"].tolist() == [dt.date(2027, 11, 30), dt.date(2030, 11, 30)]
    assert rm["within_horizon"].tolist() == ["yes", "yes"]
    assert rm["reaches_target"].tolist() == [True, False]
    assert "culture" in rm["condition"].iloc[1]


@pytest.mark.parametrize("horizon, within", [(1, ["possibly", "no"]), (2, ["yes", "no"]), (3, ["yes", "possibly"]),
                                             (4, ["yes", "possibly"]), (5, ["yes", "yes"])])
def test_roadmap_horizon(horizon, within):
    assert roadmap("fragmented", M, AS_OF, horizon, "integrated")["within_horizon"].tolist() == within


def test_roadmap_from_higher_statuses_and_leap_day():
    rm = roadmap("integrated", M, dt.date(2024, 2, 29), 5, "risk intelligent")
    assert rm["to_status"].tolist() == ["risk intelligent"] and rm["reaches_target"].tolist() == [True]
    assert rm["earliest_by"].tolist() == [dt.date(2026, 2, 28)]
    assert roadmap("risk intelligent", M, AS_OF, 5, "integrated").empty
    assert roadmap(None, M, AS_OF, 5, "integrated").empty
