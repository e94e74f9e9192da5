"""Running the maturity scoring from parameters: the shipped example end to end, no inputs, problems in
every file at once, tables given directly, and maturity_of for other assessments."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

from tests.assessments.maturity.conftest import (
    EXAMPLES,
    IDS,
    _csv_marks,
    _marks,
    _problems,
)
from tests.conftest import write_csv
from workbook_lib.assessments.maturity import inputs, report
from workbook_lib.assessments.maturity.inputs import MaturityParams
from workbook_lib.assessments.maturity.report import key_figures
from workbook_lib.assessments.maturity.run import maturity_of, run_maturity_scoring
from workbook_lib.core.params import validate
from workbook_lib.core.tables import read_table

# ---- the shipped example end to end -------------------------------------------------------------------------


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


def test_example_trend_from_history(example):
    _, result = example
    t = result.trend.set_index(["period", "assessment"])
    assert result.history_periods == ["2024-25"]
    assert t.loc[("2024-25", "A"), "score"] == 12 and t.loc[("2025-26", "A"), "score"] == 17
    assert t.loc[("2024-25", "Total"), "status"] == "fragmented"
    assert t.loc[("2025-26", "Total"), "status"] == "integrated"
    assert t.loc[("2024-25", "Total"), "score"] == 28
    text = report.trend_narrative(result)
    assert "2024-25 to 2025-26" in text and "total 28 to 41" in text


# ---- loading ------------------------------------------------------------------------------------------------


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
    table = read_table(_csv_marks(tmp_path, _marks(30)), inputs.MARKS_COLUMNS)
    params = validate(MaturityParams, {"organisation": "O", "period": "p", "as_of": "2025-11-30",
                                       "target_status": "risk intelligent", "horizon_years": 8}, "test")
    result = run_maturity_scoring(params, marks_table=table)
    assert result.status == "fragmented" and result.total_score == 30
    assert result.roadmap["within_horizon"].tolist() == ["yes", "yes"]
    assert any("beyond the guide's planning period of 1 to 5 years" in w for w in result.warnings)


# ---- maturity_of, for the assessments that take the status from their parameters ---------------------------


def test_maturity_of_stated_else_scored_from_the_marks_file():
    def params(maturity_status=None, marks=None):
        return SimpleNamespace(maturity_status=maturity_status, marks=marks, source="file", resolve=Path)

    assert maturity_of(params("risk intelligent", str(EXAMPLES / "karoo_vale_marks_2025.csv"))) == "risk intelligent"
    assert maturity_of(params(marks=str(EXAMPLES / "karoo_vale_marks_2025.csv"))) == "integrated"
    assert maturity_of(params()) is None
