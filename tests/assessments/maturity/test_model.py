"""Maturity scoring: the matrix as data, marks and capacity validation, totals, bands, partial
assessments, gaps, roadmap, capacity results, trend, outputs and the notebook."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from workbook_lib.assessments import SHARED_FIELDS
from workbook_lib.assessments.maturity import charts as charts_maturity
from workbook_lib.assessments.maturity import scoring as maturity
from workbook_lib.assessments.maturity.scoring import (
    Banding,
    MatrixError,
    MaturityParams,
    applied_bands,
    assess,
    key_figures,
    load_capacity,
    load_marks,
    load_matrix,
    maturity_status,
    maturity_summary,
    roadmap,
    run_maturity_scoring,
    score_marks,
    validate_marks,
)
from workbook_lib.core.errors import InputError
from workbook_lib.core.params import ParameterError, load_file, validate
from workbook_lib.core.tables import Table, read_table

from .conftest import write_csv

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "parameters" / "maturity"
DRAFT = ROOT / "parameters" / "karoo-vale-2025-26.yaml"
EXPECTED = ROOT / "tests" / "expected" / "maturity-scoring--karoo-vale-2025-26.txt"
LOADED = load_matrix()
M = LOADED.matrix
AS_OF = dt.date(2025, 11, 30)
IDS = M.element_ids


def _marks(total: int) -> dict[str, int]:
    """A complete set of marks adding up to ``total`` (all 1s, then raised element by element)."""
    marks = dict.fromkeys(IDS, 1)
    extra = total - len(IDS)
    assert 0 <= extra <= 2 * len(IDS)
    for eid in IDS:
        step = min(2, extra)
        marks[eid] += step
        extra -= step
    return marks


def _csv_marks(tmp_path: Path, marks: dict[str, int | str], name: str = "marks.csv") -> Path:
    lines = ["element_id,mark"] + [f"{k},{v}" for k, v in marks.items()]
    return write_csv(tmp_path / name, "\n".join(lines) + "\n")


def _problems(fn, *args, **kw):
    with pytest.raises(InputError) as info:
        fn(*args, **kw)
    return info.value.problems


# ---- the matrix file -----------------------------------------------------------------------------------


def test_matrix_elements_counted_from_the_tables():
    assert M.element_count == 23  # the text says 22; Tables 4-6 list 23
    per = {a.id: len(a.elements) for a in M.assessments}
    assert per == {"A": 10, "B": 7, "C": 6}
    assert [a.name for a in M.assessments] == ["Risk governance", "Risk systems", "Risk processes"]
    groups = {a.id: [g.name for g in a.groups] for a in M.assessments}
    assert groups["A"] == ["Risk culture", "Risk strategy and appetite", "Risk governance"]
    assert groups["B"] == ["Resources and infrastructure", "Monitoring and reporting"]
    assert groups["C"] == ["Risk identification", "Risk assessment", "Risk management"]
    assert len(set(IDS)) == len(IDS)
    for a, _, e in M.elements:
        assert a.id in {"A", "B", "C"} and e.id.startswith(a.id)
        assert len(e.descriptions) == 3 and all(len(d.split()) >= 3 for d in e.descriptions)
        assert len(set(e.descriptions)) == 3, f"{e.id}: the three levels must read differently"


def test_matrix_statuses_marks_index_and_toolkit():
    assert [(s.mark, s.name) for s in M.statuses] == [(1, "fragmented"), (2, "integrated"), (3, "risk intelligent")]
    assert [lv.name for lv in M.index] == ["basic", "fragmented", "compliant", "integrated", "risk intelligent"]
    assert [lv.status for lv in M.index] == ["fragmented", "fragmented", "integrated", "integrated",
                                             "risk intelligent"]
    assert [M.status(s).toolkit for s in M.status_names] == ["Basic/Fragmented", "Compliant/Integrated",
                                                             "Compliant/Integrated"]
    steps = [(s.from_status, s.to_status, s.years_min, s.years_max) for s in M.roadmap.steps]
    assert steps == [("fragmented", "integrated", 1, 2), ("integrated", "risk intelligent", 2, 3)]
    assert (M.roadmap.planning_years.min, M.roadmap.planning_years.max) == (1, 5)


def test_matrix_bands_published_and_applied():
    assert M.banding.basis_elements == 22
    assert [(b.status, b.min, b.max) for b in M.banding.bands] == [
        ("fragmented", 22, 33), ("integrated", 34, 48), ("risk intelligent", 49, 66)]
    assert [(b.status, b.min, b.max) for b in M.bands] == [
        ("fragmented", 23, 34), ("integrated", 35, 50), ("risk intelligent", 51, 69)]
    # contiguous and covering every reachable total of the actual element count
    covered = [t for b in M.bands for t in range(b.min, b.max + 1)]
    assert covered == list(range(M.min_total, M.max_total + 1)) == list(range(23, 70))


def test_matrix_notes_record_the_decisions():
    topics = {n.topic for n in M.notes}
    assert {"element count", "status bands", "partial assessment", "capacity numbering"} <= topics
    bands = next(n.decision for n in M.notes if n.topic == "status bands")
    assert "23-34" in bands and "35-50" in bands and "51-69" in bands


def test_capacity_items_numbered_cleanly_with_the_guides_numbers_beside():
    items = M.capacity.items
    assert [i.id for i in items] == list(range(1, 12))
    assert [i.seed_ref.split()[0] for i in items] == ["1", "2", "3", "3", "5", "6", "7", "8", "9", "10", "12"]
    assert [i.section for i in items] == ["capacity"] * 3 + ["skills"] * 7 + ["budget"]
    assert [ln.name for ln in M.capacity.lines] == ["Risk owners", "Risk management", "Internal audit"]


def _broken(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(LOADED.path.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("change, message", [
    (lambda d: d["assessments"][1]["groups"][0]["elements"][0].update(id="A1"), "element id 'A1' is used twice"),
    (lambda d: d["assessments"][0]["groups"][0]["elements"][0]["descriptions"].pop(), "needs 3 non-empty"),
    (lambda d: d["assessments"][0]["groups"][0]["elements"][0].update(id="B99"), "its id must be A<number>"),
    (lambda d: d["banding"]["bands"][1].update(min=35), "leave a gap"),
    (lambda d: d["banding"]["bands"][1].update(min=30), "overlap"),
    (lambda d: d["banding"]["bands"][2].update(max=60), "highest band ends at 60"),
    (lambda d: d["banding"].update(rule="as_published"), "not at the lowest possible total 23"),
    (lambda d: d["capacity"]["items"][3].update(id=3), "numbered 1..11"),
    (lambda d: d.update(colour="red"), "Extra inputs are not permitted"),
])
def test_inconsistent_matrix_files_are_refused_naming_the_file(tmp_path, change, message):
    path = _broken(tmp_path, change)
    with pytest.raises(MatrixError) as info:
        load_matrix(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_unknown_matrix_name_and_unreadable_yaml(tmp_path):
    with pytest.raises(MatrixError, match="neither a shipped name"):
        load_matrix("no-such-matrix")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(MatrixError, match="not readable YAML"):
        load_matrix(bad)


def test_matrix_provenance():
    prov = LOADED.provenance()
    assert prov["name"] == "maturity-matrix" and len(prov["sha256"]) == 64


# ---- bands at their edges --------------------------------------------------------------------------------


@pytest.mark.parametrize("total, status", [
    (23, "fragmented"), (34, "fragmented"), (35, "integrated"), (50, "integrated"),
    (51, "risk intelligent"), (69, "risk intelligent")])
def test_status_at_band_edges(total, status):
    sc = score_marks(_marks(total), M)
    assert sc.total_score == total and sc.complete
    assert sc.status == status


def test_proportional_bands_for_the_published_count_are_the_published_bands():
    assert [(b.min, b.max) for b in applied_bands(M.banding, M.statuses, 22)] == [(22, 33), (34, 48), (49, 66)]


@given(st.integers(min_value=3, max_value=300), st.data())
def test_proportional_bands_equal_the_mean_mark_rule(n, data):
    bands = applied_bands(M.banding, M.statuses, n)
    assert bands[0].min == n and bands[-1].max == 3 * n
    assert all(b.min <= b.max for b in bands)
    assert all(b2.min == b1.max + 1 for b1, b2 in zip(bands, bands[1:], strict=False))
    total = data.draw(st.integers(min_value=n, max_value=3 * n))
    by_band = next(b.status for b in bands if b.min <= total <= b.max)
    # mean mark thresholds equivalent to the published bands: 33/22 = 1.5 and 48/22
    by_mean = ("fragmented" if total * 22 <= 33 * n else "integrated" if total * 22 <= 48 * n
               else "risk intelligent")
    assert by_band == by_mean


def test_as_published_bands_are_kept_when_they_cover_the_count():
    banding = Banding(basis_elements=22, rule="as_published", bands=M.banding.bands)
    assert [(b.min, b.max) for b in applied_bands(banding, M.statuses, 22)] == [(22, 33), (34, 48), (49, 66)]


# ---- totals and partial assessments ------------------------------------------------------------------------


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
    table = read_table(_csv_marks(tmp_path, marks), maturity.MARKS_COLUMNS)
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


# ---- maturity_status, the interface other assessments use -------------------------------------------------


def test_maturity_status_from_path_table_and_result(tmp_path):
    assert maturity_status(EXAMPLES / "karoo_vale_marks_2025.csv") == "integrated"
    assert maturity_status(str(EXAMPLES / "karoo_vale_marks_2024.csv"), matrix="maturity-matrix") == "fragmented"
    path = _csv_marks(tmp_path, _marks(60))
    table = read_table(path, maturity.MARKS_COLUMNS)
    assert maturity_status(table, matrix=LOADED) == "risk intelligent"
    assert maturity_status(path, matrix=M) == "risk intelligent"
    assert maturity_status(None) is None
    partial = _csv_marks(tmp_path, {k: 3 for k in IDS[:-1]}, name="partial.csv")
    assert maturity_status(partial) is None
    bad = _csv_marks(tmp_path, {"A1": 4, "A2": 2}, name="bad.csv")
    with pytest.raises(InputError):
        maturity_status(bad)


# ---- marks validation ----------------------------------------------------------------------------------------


def test_every_marks_problem_reported_at_once_with_its_row(tmp_path):
    text = ("Karoo Vale maturity self-assessment\n"
            "Element,Rating,Comment\n"
            "A1,2,ok\n"          # row 3
            "A11,2,no such\n"    # row 4: unknown element
            "A2,4,too high\n"    # row 5: mark
            "A3,x,\n"            # row 6: mark
            "a-1,1,dup\n"        # row 7: duplicate of A1
            ",2,no id\n"         # row 8: blank id
            "B1,0,\n")           # row 9: mark
    problems = _problems(load_marks, write_csv(tmp_path / "m.csv", text), M)
    got = [(p.row, p.column, p.value) for p in problems]
    assert got == [(4, "element_id", "A11"), (5, "mark", "4"), (6, "mark", "x"), (7, "element_id", "a-1"),
                   (8, "element_id", ""), (9, "mark", "0")]
    assert "already on row 3" in problems[3].expected
    assert "A1-A10, B1-B7, C1-C6" in problems[0].expected
    assert "1 fragmented" in problems[1].expected


def test_marks_accepts_spellings_of_ids_and_marks(tmp_path):
    text = "element_id,mark\na01,Integrated\nB 2,risk-intelligent\nc3,2.0\nA4, RI \nA5,F\n"
    marks = load_marks(write_csv(tmp_path / "m.csv", text), M).mark_of()
    assert marks == {"A1": 2, "B2": 3, "C3": 2, "A4": 3, "A5": 1}


def test_marks_missing_column_reported(tmp_path):
    problems = _problems(load_marks, write_csv(tmp_path / "m.csv", "element_id,respondent\nA1,me\n"), M)
    assert [(p.row, p.column, p.value) for p in problems] == [(1, "mark", "(missing)")]


def test_validators_take_a_table_built_elsewhere():
    frame = pd.DataFrame({"_row": [2, 3], "element_id": ["A1", None], "mark": ["3", None]})
    problems = _problems(validate_marks, Table(file="db:marks", frame=frame, header_row=1), M)
    assert [(p.file, p.row, p.column) for p in problems] == [("db:marks", 3, "element_id")]
    frame = pd.DataFrame({"_row": [2], "item_id": ["4"], "line": ["2"], "answer": [None]})
    answers = maturity.validate_capacity(Table(file="db:cap", frame=frame, header_row=1), LOADED)
    assert answers.frame["answer"].tolist() == [None]


# ---- capacity validation and results -----------------------------------------------------------------------


def test_every_capacity_problem_reported_at_once(tmp_path):
    text = ("item_id,line,answer\n"
            "1,1,Y\n"        # row 2
            "12,1,yes\n"     # row 3: item (the guide's 12 is item 11)
            "2,4,no\n"       # row 4: line
            "3,2,maybe\n"    # row 5: answer
            "1,1 LOA,n\n"    # row 6: duplicate of row 2
            "0,x,\n")        # row 7: item and line
    problems = _problems(load_capacity, write_csv(tmp_path / "c.csv", text), M)
    got = [(p.row, p.column, p.value) for p in problems]
    assert got == [(3, "item_id", "12"), (4, "line", "4"), (5, "answer", "maybe"), (6, "item_id", "1"),
                   (7, "item_id", "0"), (7, "line", "x")]
    assert "its 12 (item 11)" in problems[0].expected and "its 3 (item 4)" in problems[0].expected
    assert "already on row 2" in problems[3].expected
    assert "3 (Internal audit)" in problems[1].expected


def test_capacity_accepts_spellings_and_blank_is_not_answered(tmp_path):
    text = "Item no,LOA,Yes/No\n1,1,YES\n1,LOA 2,n\n1,3rd,Y\n2,first line,No\n2,2,\n"
    answers = load_capacity(write_csv(tmp_path / "c.csv", text), M).frame
    assert list(zip(answers["item_id"], answers["line"], answers["answer"], strict=True)) == [
        (1, 1, "yes"), (1, 2, "no"), (1, 3, "yes"), (2, 1, "no"), (2, 2, None)]
    cap = maturity.assess_capacity(load_capacity(tmp_path / "c.csv", M), M)
    by_line = cap.by_line.set_index("line")
    assert by_line.loc[1, "answered"] == 2 and by_line.loc[1, "percent_yes"] == 50.0
    assert by_line.loc[2, "answered"] == 1 and by_line.loc[2, "percent_yes"] == 0.0
    assert cap.disagreements["item_id"].tolist() == [1]  # item 2: only line 1 answered, nothing to compare
    assert len(cap.not_answered) == 33 - 4


def test_example_capacity_percentages_and_disagreements():
    answers = load_capacity(EXAMPLES / "karoo_vale_capacity_2025.csv", M)
    cap = maturity.assess_capacity(answers, M)
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
    summary = maturity.capacity_summary(cap, M)
    assert summary["by_line"]["2"] == {"name": "Risk management", "answered": 11, "yes": 8, "percent_yes": 72.7}
    assert summary["by_section"]["skills"]["by_line"]["1"]["yes"] == 4
    assert summary["disagreements"][0] == {"item_id": 2, "seed_ref": "2", "section": "capacity",
                                           "answers": {"1": "yes", "2": "yes", "3": "no"}}


def test_capacity_not_given_keeps_the_same_shape():
    cap = maturity.capacity_summary(maturity.assess_capacity(None, M), M)
    assert cap["provided"] is False and cap["answers_given"] == 0 and cap["answers_expected"] == 33
    assert cap["by_line"]["1"]["percent_yes"] is None and set(cap["by_section"]) == {"capacity", "skills", "budget"}


# ---- gaps and roadmap -------------------------------------------------------------------------------------------


def test_elements_below_target_get_the_next_levels_description():
    marks = dict.fromkeys(IDS, 2) | {"A3": 1, "B6": 1, "C1": 3}
    sc = score_marks(marks, M)
    gaps = maturity.gaps_below(sc, M, "integrated")
    assert gaps["element_id"].tolist() == ["A3", "B6"]
    assert gaps.set_index("element_id").loc["A3", "action"] == M.element("A3")[2].descriptions[1]
    gaps = maturity.gaps_below(sc, M, "risk intelligent")
    assert len(gaps) == 22  # every element but C1
    row = gaps.set_index("element_id")
    assert row.loc["A3", "next_level"] == "integrated" and row.loc["A3", "steps_to_target"] == 2
    assert row.loc["A1", "action"] == M.element("A1")[2].descriptions[2]
    assert maturity.gaps_below(sc, M, "fragmented").empty


def test_target_status_spellings_and_unknown_target():
    assert maturity.resolve_status("Risk Intelligent", M) == "risk intelligent"
    assert maturity.resolve_status("compliant", M) == "integrated"  # an index level maps to its status
    assert maturity.resolve_status("basic", M) == "fragmented"
    with pytest.raises(ParameterError, match="expected one of fragmented, integrated, risk intelligent"):
        maturity.resolve_status("excellent", M)


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


# ---- the shipped example end to end ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example():
    params = load_file(DRAFT, MaturityParams, SHARED_FIELDS)
    return params, run_maturity_scoring(params)


def test_example_total_recomputed_independently_from_the_csv(example):
    _, result = example
    with open(EXAMPLES / "karoo_vale_marks_2025.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 23 and {r["element_id"] for r in rows} == set(IDS)
    total = sum(int(r["mark"]) for r in rows)
    per = {a: sum(int(r["mark"]) for r in rows if r["element_id"].startswith(a)) for a in "ABC"}
    assert result.total_score == total == 41
    assert result.by_assessment.set_index("assessment")["score"].to_dict() == per
    # the published rule, restated: mean mark above 33/22 and at most 48/22 is integrated
    assert 33 / 22 < total / 23 <= 48 / 22
    assert result.status == "integrated" and result.toolkit == "Compliant/Integrated"
    assert [lv.name for lv in result.index_levels] == ["compliant", "integrated"]
    ones = sorted(r["element_id"] for r in rows if r["mark"] == "1")
    assert sorted(result.gaps["element_id"]) == ones
    assert result.warnings == []


def test_example_key_figures_match_the_expected_file(example):
    _, result = example
    line = key_figures(result)
    assert line == EXPECTED.read_text(encoding="utf-8").strip()
    assert "total 41 of 69 | status integrated" in line


def test_example_trend_from_history(example):
    _, result = example
    t = result.trend.set_index(["period", "assessment"])
    assert result.history_periods == ["2024-25"]
    assert t.loc[("2024-25", "A"), "score"] == 12 and t.loc[("2025-26", "A"), "score"] == 17
    assert t.loc[("2024-25", "Total"), "status"] == "fragmented"
    assert t.loc[("2025-26", "Total"), "status"] == "integrated"
    assert t.loc[("2024-25", "Total"), "score"] == 28
    text = maturity.trend_narrative(result)
    assert "2024-25 to 2025-26" in text and "total 28 to 41" in text


def test_example_json_summary_contract(example, tmp_path):
    params, result = example
    summary = maturity_summary(result, params.organisation, params.period)
    assert list(summary) == ["assessment", "organisation", "period", "elements", "elements_total", "elements_rated",
                             "total_score", "status", "by_assessment", "capacity", "warnings", "matrix"]
    assert summary["assessment"] == "maturity-scoring"
    assert summary["organisation"] == "Karoo Vale Local Municipality" and summary["period"] == "2025-26"
    assert len(summary["elements"]) == 23
    assert set(summary["elements"][0]) == {"element_id", "assessment", "group", "name", "mark"}
    assert summary["elements"][0] == {"element_id": "A1", "assessment": "A", "group": "Risk culture",
                                      "name": "Awareness of risks", "mark": 2}
    assert (summary["elements_total"], summary["elements_rated"], summary["total_score"]) == (23, 23, 41)
    assert summary["status"] == "integrated"
    assert summary["by_assessment"] == {"A": {"score": 17, "rated": 10, "total": 10},
                                        "B": {"score": 13, "rated": 7, "total": 7},
                                        "C": {"score": 11, "rated": 6, "total": 6}}
    assert summary["matrix"]["name"] == "maturity-matrix"
    paths = maturity.write_outputs(result, params.organisation, params.period, tmp_path)
    assert [p.name for p in paths] == ["maturity-scoring.json", "maturity-scoring.xlsx"]
    assert json.loads(paths[0].read_text(encoding="utf-8")) == json.loads(json.dumps(summary, default=str))
    book = openpyxl.load_workbook(paths[1])
    assert {"Elements", "Assessments", "Below target", "Roadmap", "Capacity answers", "Trend", "Method"} <= set(
        book.sheetnames)
    method = {r[0]: r[1] for r in book["Method"].iter_rows(min_row=2, values_only=True)}
    assert "note: status bands" in method and "note: capacity numbering" in method


def test_excel_text_never_becomes_a_formula(tmp_path):
    path = write_csv(tmp_path / "m.csv", "element_id,mark,comment\nA1,2,=HYPERLINK(\"http://x\")\n")
    result = assess(LOADED, AS_OF, "p", marks=load_marks(path, M))
    out = maturity.write_outputs(result, "Org", "p", tmp_path)[1]
    sheet = openpyxl.load_workbook(out)["Elements"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index("comment") + 1).value.startswith("'=")


# ---- parameters and loading ---------------------------------------------------------------------------------------


def test_params_defaults_and_refusals():
    base = {"organisation": "O", "period": "2025-26", "as_of": "2025-11-30"}
    p = validate(MaturityParams, base, "test")
    assert (p.matrix, p.marks, p.capacity, p.target_status, p.horizon_years, p.history) == (
        "maturity-matrix", None, None, "integrated", 5, [])
    with pytest.raises(ParameterError, match="did you mean 'marks'"):
        validate(MaturityParams, base | {"mark": "x.csv"}, "test")
    with pytest.raises(ParameterError, match="repeated or equals the current period"):
        validate(MaturityParams, base | {"history": [{"period": "2025-26", "marks": "x.csv"}]}, "test")
    with pytest.raises(ParameterError, match="horizon_years"):
        validate(MaturityParams, base | {"horizon_years": 0}, "test")
    with pytest.raises(ParameterError, match="history.0.file"):
        validate(MaturityParams, base | {"history": [{"period": "2024", "file": "x.csv"}]}, "test")


def test_absolute_inputs_for_the_kernel(tmp_path):
    params = load_file(DRAFT, MaturityParams, SHARED_FIELDS)
    injected = maturity.absolute_inputs(params, params.model_dump(mode="json"))
    assert Path(injected["marks"]) == (EXAMPLES / "karoo_vale_marks_2025.csv").resolve()
    assert Path(injected["history"][0]["marks"]) == (EXAMPLES / "karoo_vale_marks_2024.csv").resolve()
    assert injected["history"][0]["period"] == "2024-25" and injected["matrix"] == "maturity-matrix"
    moved = validate(MaturityParams, {k: v for k, v in injected.items() if k != "parameters_dir"}, "test")
    assert run_maturity_scoring(moved).total_score == 41  # found without the parameters folder


def test_no_inputs_gives_an_empty_but_valid_result():
    params = validate(MaturityParams, {"organisation": "O", "period": "p", "as_of": "2025-11-30"}, "test")
    result = run_maturity_scoring(params)
    assert result.status is None and result.score.elements_rated == 0 and not result.capacity.provided
    assert any("No marks file" in w for w in result.warnings)
    assert key_figures(result).endswith("capacity not given")


def test_problems_in_every_file_are_raised_together(tmp_path):
    marks = write_csv(tmp_path / "marks.csv", "element_id,mark\nA1,5\n")
    cap = write_csv(tmp_path / "cap.csv", "item_id,line,answer\n1,1,perhaps\n")
    old = write_csv(tmp_path / "old.csv", "element_id,mark\nZ9,1\n")
    params = validate(MaturityParams, {"organisation": "O", "period": "p", "as_of": "2025-11-30",
                                       "marks": str(marks), "capacity": str(cap),
                                       "history": [{"period": "q", "marks": str(old)}]}, "test")
    problems = _problems(run_maturity_scoring, params)
    assert sorted((Path(p.file).name, p.column) for p in problems) == [
        ("cap.csv", "answer"), ("marks.csv", "mark"), ("old.csv", "element_id")]


def test_tables_given_directly_replace_the_files(tmp_path):
    table = read_table(_csv_marks(tmp_path, _marks(30)), maturity.MARKS_COLUMNS)
    params = validate(MaturityParams, {"organisation": "O", "period": "p", "as_of": "2025-11-30",
                                       "target_status": "risk intelligent", "horizon_years": 8}, "test")
    result = run_maturity_scoring(params, marks_table=table)
    assert result.status == "fragmented" and result.total_score == 30
    assert result.roadmap["within_horizon"].tolist() == ["yes", "yes"]
    assert any("beyond the guide's planning period of 1 to 5 years" in w for w in result.warnings)


# ---- narrative and charts ----------------------------------------------------------------------------------------


def test_narrative_escapes_user_text_and_states_the_method(example):
    _, result = example
    text = maturity.opening_narrative(result, "<b>Vale</b>", "2025_26")
    assert "<b>" not in text and "&lt;b&gt;Vale" in text
    assert "**integrated**" in text and "Compliant/Integrated" in text
    note = maturity.method_note(result)
    assert "| Integrated | 34-48 | 35-50 | 2.18 |" in note and "element count" in note
    assert "Step 1: **integrated to risk intelligent**" in maturity.roadmap_narrative(result)
    assert "disagree" in maturity.capacity_narrative(result)
    assert "**(this municipality)**" in maturity.index_context(result)


def test_charts_build_from_small_aggregates(example, tmp_path):
    _, result = example
    for chart in (charts_maturity.element_marks(result), charts_maturity.assessment_bars(result),
                  charts_maturity.trend(result)):
        spec = chart.to_dict()
        assert len(json.dumps(spec)) < 60_000
    data = charts_maturity.element_marks_data(result)
    assert len(data) == 23 and int(data["below_target"].sum()) == 6
    partial = assess(LOADED, AS_OF, "p", marks=load_marks(_csv_marks(tmp_path, {"A1": 2}), M))
    stubbed = charts_maturity.element_marks_data(partial)
    assert (stubbed["level"] == "not rated").sum() == 22
    assert charts_maturity.trend(partial) is None


# ---- the notebook ------------------------------------------------------------------------------------------------


def test_notebook_runs_on_its_defaults_and_writes_outputs(tmp_path):
    import papermill as pm

    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / "maturity_scoring.ipynb"), str(out), kernel_name="python3",
                        parameters={"output_dir": str(tmp_path / "o")}, progress_bar=False,
                        cwd=str(ROOT / "notebooks"))
    assert EXPECTED.read_text(encoding="utf-8").strip() in out.read_text(encoding="utf-8")
    summary = json.loads((tmp_path / "o" / "maturity-scoring.json").read_text(encoding="utf-8"))
    assert summary["status"] == "integrated" and (tmp_path / "o" / "maturity-scoring.xlsx").is_file()


def test_notebook_shows_the_error_table_and_stops(tmp_path):
    import papermill as pm

    bad = write_csv(tmp_path / "bad.csv", "element_id,mark\nA1,<i>7</i>\nQ1,2\n")
    out = tmp_path / "out.ipynb"
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(ROOT / "notebooks" / "maturity_scoring.ipynb"), str(out), kernel_name="python3",
                            parameters={"marks": str(bad)}, progress_bar=False, cwd=str(ROOT / "notebooks"))
    assert err.value.ename == "InputError"
    text = out.read_text(encoding="utf-8")
    assert "problem(s) in the input; no report was produced" in text
    assert "&lt;i&gt;7&lt;/i&gt;" in text or "&amp;lt;i&amp;gt;7" in text  # escaped in the table
    assert "elements 23 |" not in text  # stopped before any figure
