"""COSO responses and parameters: header aliases, line spellings, every problem at once, .xlsx sheets,
tables built elsewhere, the maturity status normalised."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from tests.assessments.coso.kit import (
    HEADER,
    LOADED,
    Q,
    _item,
    _problems,
)
from tests.conftest import write_csv
from workbook_lib.assessments.coso import inputs, model, report, run, scoring
from workbook_lib.core.errors import InputError
from workbook_lib.core.params import ParameterError, from_namespace
from workbook_lib.core.tables import ROW, Table

# ---- responses: reading and validation ----------------------------------------------------------------


def test_header_aliases_and_line_spellings(tmp_path):
    text = ("Item,Line of assurance,Score,Rated by,Evidence\n"
            "p01-01,1st,3,Ann,code signed\n"
            "P01-01,LOA 2,1,Ben,\n"
            "P01-01,Internal audit,3,Cas,IA-2025-03\n"
            "P01-02,first line,Documented only,Ann,\n"
            "P01-02,second line of assurance,2,Ben,\n"
            "P01-02,3rd line,3.0,Cas,\n")
    responses = inputs.load_responses(write_csv(tmp_path / "r.csv", text), Q)
    f = responses.frame
    assert f["item_id"].tolist() == ["P01-01"] * 3 + ["P01-02"] * 3
    assert f["line"].tolist() == [1, 2, 3, 1, 2, 3]
    assert f["rating"].tolist() == [3, 1, 3, 2, 2, 3]
    assert f["row"].tolist() == [2, 3, 4, 5, 6, 7]
    assert f.loc[0, "respondent"] == "Ann" and f.loc[2, "comment"] == "IA-2025-03"


def test_broken_responses_report_every_problem_with_the_users_rows(tmp_path):
    text = ("Karoo Vale COSO responses,,,,\n"
            "Item,Line,Rating,Respondent,Comment\n"
            "P01-01,1,3,Ann,\n"          # row 3 fine
            "P99-01,1,3,Ann,\n"          # row 4 unknown item
            "P01-02,4,3,Ann,\n"          # row 5 line not 1-3
            "P01-03,1,6,Ann,\n"          # row 6 rating outside 1-5
            "P01-04,1,3.5,Ann,\n"        # row 7 not an integer
            "P01-01,1,2,Ann,\n"          # row 8 duplicate of row 3
            ",2,3,Ben,\n"                # row 9 no item
            "P01-05,2,0,Ben,\n")         # row 10 rating 0
    path = write_csv(tmp_path / "broken.csv", text)
    with pytest.raises(InputError) as info:
        inputs.load_responses(path, Q)
    err = info.value
    found = {(p.row, p.column): p for p in err.problems}
    assert set(found) == {(4, "item_id"), (5, "line"), (6, "rating"), (7, "rating"), (3, "item_id"),
                          (8, "item_id"), (9, "item_id"), (10, "rating")}
    assert str(err).startswith("8 problems found")
    assert all(p.file == str(path) for p in err.problems)
    assert found[(4, "item_id")].value == "P99-01" and "P01-01" in found[(4, "item_id")].expected
    assert found[(5, "line")].value == "4" and "1-3" in found[(5, "line")].expected
    assert found[(6, "rating")].value == "6" and "1-5" in found[(6, "rating")].expected
    assert found[(7, "rating")].value == "3.5" and "whole-number" in found[(7, "rating")].expected
    for row in (3, 8):
        assert "rows 3, 8" in found[(row, "item_id")].expected
    assert "required" in found[(9, "item_id")].expected
    assert [p.row for p in err.problems] == sorted(p.row for p in err.problems)


def test_close_item_id_is_suggested(tmp_path):
    problems = _problems(write_csv(tmp_path / "r.csv", HEADER + "P01-O6,1,3,,\n"))
    assert len(problems) == 1 and "did you mean 'P01-06'?" in problems[0].expected


def test_missing_required_column_is_reported_at_the_header_row(tmp_path):
    problems = _problems(write_csv(tmp_path / "r.csv", "item_id,respondent\nP01-01,Ann\n"))
    missing = {(p.row, p.column, p.value) for p in problems}
    assert missing == {(1, "line", "(missing)"), (1, "rating", "(missing)")}


def test_header_only_file_is_valid_and_everything_is_incomplete(tmp_path):
    responses = inputs.load_responses(write_csv(tmp_path / "r.csv", HEADER), Q)
    assert responses.frame.empty
    result = scoring.assess(LOADED, responses)
    assert not result.items["complete"].any()
    assert result.overall[model.INCOMPLETE] == 16 and result.overall[model.NOT_ASSESSED] == 1
    assert report.key_figures(result).startswith("items 76 | complete 0 | incomplete 76 |")


def test_no_responses_file_means_everything_incomplete(tmp_path):
    params = inputs.CosoParams(organisation="O", period="P", as_of="2025-11-30")
    result = run.run_coso_assessment(params)
    assert result.responses_file is None and not result.items["complete"].any()
    assert any("No responses file" in w for w in result.warnings)


def test_xlsx_responses_on_a_named_sheet(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Ratings")
    sheet.append(["Item", "Line of assurance", "Score", "Respondent"])
    sheet.append(["P12-01", 1, 4.0, "Ann"])
    sheet.append(["P12-01", 2, 4, "Ben"])
    sheet.append(["P12-01", 3, 3, "Cas"])
    sheet.append(["P12-02", 3, 2.5, "Cas"])
    path = tmp_path / "r.xlsx"
    book.save(path)
    with pytest.raises(InputError) as info:
        inputs.load_responses(path, Q, sheet="Ratings")
    assert [(p.row, p.column, p.value) for p in info.value.problems] == [(5, "rating", "2.5")]
    sheet.delete_rows(5)
    book.save(path)
    result = scoring.assess(LOADED, inputs.load_responses(path, Q, sheet="Ratings"))
    assert _item(result, "P12-01")["combined_score"] == 11


def test_a_table_built_elsewhere_validates_the_same_way():
    # a store builds the Table itself: cells may be numbers or None, rows are its own
    frame = pd.DataFrame({ROW: [10, 11, 12, 13], "item_id": ["P17-01", "P17-01", "P17-01", "P17-02"],
                          "line": [1, 2, 3, 9], "rating": [3, 4.0, None, 2], "respondent": ["A", None, "C", "A"],
                          "comment": [None, None, None, None]})
    with pytest.raises(InputError) as info:
        inputs.validate_responses(Table("store:responses", frame, 0), Q)
    assert [(p.file, p.row, p.column) for p in info.value.problems] == [("store:responses", 13, "line")]
    params = inputs.CosoParams(organisation="O", period="P", as_of="2025-11-30")
    result = run.run_coso_assessment(params, responses_table=Table("store:responses", frame.iloc[:3], 0))
    item = _item(result, "P17-01")
    assert (item["rating_1"], item["rating_2"]) == (3, 4) and pd.isna(item["rating_3"])


# ---- parameters and applicability ---------------------------------------------------------------------


@pytest.mark.parametrize("given, stored", [("Risk-Intelligent", "risk intelligent"), ("FRAGMENTED", "fragmented"),
                                           (None, None)])
def test_maturity_status_is_normalised(given, stored):
    params = inputs.CosoParams(organisation="O", period="P", as_of="2025-11-30", maturity_status=given)
    assert params.maturity_status == stored


def test_bad_parameters_are_refused():
    namespace = {"organisation": "O", "period": "P", "as_of": "2025-11-30", "maturity_status": "chaotic",
                 "divergence_threshold": 0, "responsez": "x.csv"}
    with pytest.raises(ParameterError) as info:
        from_namespace(namespace, inputs.CosoParams)
    text = str(info.value)
    assert "maturity_status" in text and "divergence_threshold" in text and "did you mean 'responses'" in text
