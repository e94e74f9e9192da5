"""Readings of the tolerance metrics: metrics by id or name, values as people write them, every problem at once
with the row the user sees."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from workbook_lib.assessments.monitoring.catalogue import Catalogue, load_catalogue
from workbook_lib.assessments.monitoring.readings import COLUMNS, READINGS_COLUMNS, Readings, validate_readings
from workbook_lib.core.errors import InputError
from workbook_lib.core.tables import read_table

HEADER = ["Metric", "Period", "Value"]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def write(tmp_path: Path, rows: list[list[str]], header: list[str] | None = None, title: str | None = None) -> Path:
    """A readings CSV (quoted as Excel quotes it): an optional title row, the header, the rows."""
    path = tmp_path / "readings.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        if title:
            writer.writerow([title])
        writer.writerow(header or HEADER)
        writer.writerows(rows)
    return path


def load(tmp_path: Path, catalogue: Catalogue, rows: list[list[str]], **kwargs) -> Readings:
    return validate_readings(read_table(write(tmp_path, rows, **kwargs), READINGS_COLUMNS), catalogue)


def problems(tmp_path: Path, catalogue: Catalogue, rows: list[list[str]], **kwargs) -> list:
    with pytest.raises(InputError) as caught:
        load(tmp_path, catalogue, rows, **kwargs)
    return caught.value.problems


# --- metrics ---------------------------------------------------------------------------------------------------

def test_a_metric_is_its_id_or_its_name_in_any_case(tmp_path, catalogue):
    rows = [["vacancy_rate", "Q1", "5%"], ["VACANCY RATE", "Q2", "6%"], ["Current_Ratio", "Q1", "1.7 : 1"],
            ["% high risk CONTROL issues", "Q1", "3%"], ["  Debt   impairment ", "Q1", "4%"]]
    readings = load(tmp_path, catalogue, rows)
    frame = readings.frame
    assert list(frame.columns) == COLUMNS
    assert list(frame["metric"]) == ["vacancy_rate", "vacancy_rate", "current_ratio", "high_risk_control_issues",
                                     "debt_impairment"]
    assert list(frame["metric_name"])[2:] == ["Current ratio", "% High risk control issues", "Debt impairment"]
    assert list(frame["row"]) == [2, 3, 4, 5, 6]
    assert readings.file.endswith("readings.csv") and readings.periods == ["Q1", "Q2"]


@pytest.mark.parametrize(("written", "suggested"), [
    ("Vacancy rat", "Vacancy rate"),
    ("current_ration", "Current ratio"),
    ("Customer satisfaction - delivery protests", "Customer satisfaction – delivery protests"),  # hyphen, en dash
])
def test_an_unknown_metric_is_a_problem_with_a_suggestion(tmp_path, catalogue, written, suggested):
    [problem] = problems(tmp_path, catalogue, [[written, "Q1", "12%"]])
    assert (problem.row, problem.column, problem.value) == (2, "Metric", written)
    assert f"did you mean {suggested!r}" in problem.expected


def test_a_metric_like_none_lists_a_few_of_the_catalogue(tmp_path, catalogue):
    [problem] = problems(tmp_path, catalogue, [["Staff morale", "Q1", "12"]])
    assert "one of its 21 metrics" in problem.expected and "'Going concern issues'" in problem.expected


# --- values ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("metric", "written", "value"), [
    ("vacancy_rate", "12%", 12.0),  # kept in percent, never 0.12
    ("vacancy_rate", "12 %", 12.0),
    ("vacancy_rate", "12", 12.0),
    ("vacancy_rate", "1,5", 1.5),  # a decimal comma
    ("vacancy_rate", "12,5 %", 12.5),
    ("vacancy_rate", "0,125%", 0.125),
    ("current_ratio", "1.7 : 1", 1.7),
    ("current_ratio", "1.7:1", 1.7),
    ("current_ratio", "1,7 : 1", 1.7),
    ("current_ratio", "1.7", 1.7),
    ("debtors_collection_days", "75 days", 75.0),
    ("debtors_collection_days", "1 day", 1.0),
    ("debtors_collection_days", "75 Days", 75.0),
    ("own_revenue_growth", "-3%", -3.0),  # growth can fall
    ("going_concern_issues", "0", 0.0),
    ("legal_regulatory_ethical_events", "2", 2.0),
])
def test_values_are_read_as_people_write_them(tmp_path, catalogue, metric, written, value):
    frame = load(tmp_path, catalogue, [[metric, "2025 Q1", written]]).frame
    assert frame.at[0, "value"] == value
    assert frame["value"].dtype == float


@pytest.mark.parametrize(("metric", "written", "why"), [
    ("vacancy_rate", "12 days", "days contradicts"),  # a unit that is not the metric's
    ("debtors_collection_days", "75%", "% contradicts"),
    ("current_ratio", "1.7%", "% contradicts"),
    ("vacancy_rate", "1.7 : 1", "ratio contradicts"),
    ("going_concern_issues", "1%", "% contradicts"),
    ("current_ratio", "3 : 2", "against 1"),
    ("going_concern_issues", "1.5", "a whole number"),
    ("debtors_collection_days", "-5 days", "not below 0"),
    ("vacancy_rate", "twelve", "no thousands separators"),
    ("vacancy_rate", "1,500", "could be a decimal comma or a thousands separator"),
    ("vacancy_rate", "1.200,5", "no thousands separators"),
])
def test_a_value_in_another_unit_or_unreadable_is_refused(tmp_path, catalogue, metric, written, why):
    [problem] = problems(tmp_path, catalogue, [[metric, "2025 Q1", written]])
    assert (problem.row, problem.column, problem.value) == (2, "Value", written)
    assert why in problem.expected


def test_a_blank_value_is_refused_not_read_as_zero(tmp_path, catalogue):
    [problem] = problems(tmp_path, catalogue, [["vacancy_rate", "2025 Q1", ""]])
    assert (problem.row, problem.column, problem.value) == (2, "Value", "")
    assert "left out of the file" in problem.expected


def test_a_bare_fraction_for_a_percent_metric_is_kept_with_a_warning(tmp_path, catalogue):
    readings = load(tmp_path, catalogue, [["vacancy_rate", "Q1", "0.12"], ["debt_impairment", "Q1", "0.5%"]])
    assert list(readings.frame["value"]) == [0.12, 0.5]
    assert readings.warnings == ["row 2: Vacancy rate 0.12 is read as 0.12%; if the cell is a spreadsheet "
                                 "percentage (12%), write 12 or 12%"]


# --- the other columns -----------------------------------------------------------------------------------------

def test_optional_columns_are_read_under_their_synonyms(tmp_path, catalogue):
    header = ["Metric ID", "Reporting period", "Actual", "Date measured", "Data source", "Comments", "Captured by"]
    rows = [["vacancy_rate", "2025  Q1", "12%", "2025-03-31", "HR system", "two posts frozen", "T. Mokoena"],
            ["debt_impairment", "2025 Q1", "4%", "", "", "", ""]]
    frame = load(tmp_path, catalogue, rows, header=header).frame
    first = frame.iloc[0]
    assert (first["period"], first["date"], first["source"], first["note"], first["recorded_by"]) == (
        "2025 Q1", dt.date(2025, 3, 31), "HR system", "two posts frozen", "T. Mokoena")
    assert frame.at[1, "date"] is None and frame.at[1, "source"] == ""


@pytest.mark.parametrize("written", ["31/03/2025", "2025-02-30", "March 2025", "20250331"])
def test_a_date_is_iso_or_blank(tmp_path, catalogue, written):
    [problem] = problems(tmp_path, catalogue, [["vacancy_rate", "Q1", "5%", written]],
                         header=["Metric", "Period", "Value", "Date"])
    assert (problem.row, problem.column, problem.value) == (2, "Date", written)
    assert "YYYY-MM-DD" in problem.expected


def test_a_missing_required_column_is_a_problem_on_the_header_row(tmp_path, catalogue):
    [problem] = problems(tmp_path, catalogue, [["vacancy_rate", "5%"]], header=["Metric", "Value"])
    assert (problem.row, problem.column) == (1, "period")
    assert "'Period'" in problem.expected


def test_a_file_with_no_readings_is_a_problem(tmp_path, catalogue):
    [problem] = problems(tmp_path, catalogue, [])
    assert problem.row == 2 and "at least one reading" in problem.expected


# --- repeats and every problem at once -------------------------------------------------------------------------

def test_a_repeated_metric_and_period_names_both_rows(tmp_path, catalogue):
    rows = [["vacancy_rate", "2025 Q1", "5%"], ["debt_impairment", "2025 Q1", "4%"], ["Vacancy rate", "2025 q1", "6%"]]
    [problem] = problems(tmp_path, catalogue, rows)
    assert (problem.row, problem.column, problem.value) == (4, "Period", "2025 q1")
    assert "rows 2 and 4 both give Vacancy rate for 2025 Q1" in problem.expected


def test_a_repeat_is_found_even_when_a_repeated_row_has_a_bad_value(tmp_path, catalogue):
    rows = [["vacancy_rate", "Q1", "5%"], ["vacancy_rate", "Q1", ""], ["vacancy_rate", "Q1", "7 days"]]
    found = problems(tmp_path, catalogue, rows)
    assert [(p.row, p.column) for p in found] == [(3, "Period"), (3, "Value"), (4, "Value")]
    assert "rows 2, 3 and 4 all give Vacancy rate for Q1" in found[0].expected


def test_every_problem_is_raised_at_once_with_the_users_rows(tmp_path, catalogue):
    rows = [["vacancy_rate", "2025 Q1", "12%"],  # row 3 (a title on row 1, the header on row 2)
            ["Vacancy rat", "2025 Q1", "12%"],
            ["current_ratio", "", "1.7 : 1"],
            ["debtors_collection_days", "2025 Q1", "12%"],
            ["vacancy_rate", "2025 Q1", "13%"]]
    found = problems(tmp_path, catalogue, rows, title="Tolerance readings 2025")
    assert [(p.row, p.column) for p in found] == [(4, "Metric"), (5, "Period"), (6, "Value"), (7, "Period")]
    assert all(p.file.endswith("readings.csv") for p in found)
    assert "rows 3 and 7" in found[-1].expected
