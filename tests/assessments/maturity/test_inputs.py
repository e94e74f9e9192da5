"""Maturity inputs: marks and capacity answers validated with every problem at once, the spellings
accepted, tables built elsewhere, and the parameters."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.assessments.maturity.conftest import (
    DRAFT,
    EXAMPLES,
    LOADED,
    M,
    _problems,
)
from tests.conftest import write_csv
from workbook_lib.assessments import shared_fields
from workbook_lib.assessments.maturity import inputs, scoring
from workbook_lib.assessments.maturity.inputs import MaturityParams, load_capacity, load_marks, validate_marks
from workbook_lib.assessments.maturity.run import run_maturity_scoring
from workbook_lib.core.params import ParameterError, load_file, validate
from workbook_lib.core.tables import Table

# ---- marks validation ---------------------------------------------------------------------------------------


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
    answers = inputs.validate_capacity(Table(file="db:cap", frame=frame, header_row=1), LOADED)
    assert answers.frame["answer"].tolist() == [None]


# ---- capacity validation ------------------------------------------------------------------------------------


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
    cap = scoring.assess_capacity(load_capacity(tmp_path / "c.csv", M), M)
    by_line = cap.by_line.set_index("line")
    assert by_line.loc[1, "answered"] == 2 and by_line.loc[1, "percent_yes"] == 50.0
    assert by_line.loc[2, "answered"] == 1 and by_line.loc[2, "percent_yes"] == 0.0
    assert cap.disagreements["item_id"].tolist() == [1]  # item 2: only line 1 answered, nothing to compare
    assert len(cap.not_answered) == 33 - 4


# ---- parameters ---------------------------------------------------------------------------------------------


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
    params = load_file(DRAFT, MaturityParams, shared_fields())
    injected = inputs.absolute_inputs(params, params.model_dump(mode="json"))
    assert Path(injected["marks"]) == (EXAMPLES / "karoo_vale_marks_2025.csv").resolve()
    assert Path(injected["history"][0]["marks"]) == (EXAMPLES / "karoo_vale_marks_2024.csv").resolve()
    assert injected["history"][0]["period"] == "2024-25" and injected["matrix"] == "maturity-matrix"
    moved = validate(MaturityParams, {k: v for k, v in injected.items() if k != "parameters_dir"}, "test")
    assert run_maturity_scoring(moved).total_score == 41  # found without the parameters folder
