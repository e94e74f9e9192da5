"""Dates as people write them (issue 24): dates.py, and a register's date columns read in one order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.conftest import ROOT
from workbook_lib.assessments.risk.dates import DAY_FIRST, MONTH_FIRST, parse_date, read_column, read_text
from workbook_lib.assessments.risk.interpret import ReadOptions
from workbook_lib.assessments.risk.methodology import load_methodology
from workbook_lib.assessments.risk.register import load_register
from workbook_lib.core.errors import InputError

FIXTURE = ROOT / "tests" / "data" / "registers" / "month_year_dates.csv"
WCAPE = load_methodology("western-cape-5x5").methodology
NOTE = "month and year read as the month's last day (June 2017 -> 2017-06-30)"


@pytest.mark.parametrize("text, expected", [
    ("2025-06-30", dt.date(2025, 6, 30)),
    ("2025-06-30 00:00:00", dt.date(2025, 6, 30)),  # a spreadsheet date cell
    ("2025/6/3", dt.date(2025, 6, 3)),
    ("30/06/2025", dt.date(2025, 6, 30)),
    ("06/30/2025", dt.date(2025, 6, 30)),
    ("30.06.2025", dt.date(2025, 6, 30)),
    ("03/03/2025", dt.date(2025, 3, 3)),  # both orders read the same date
    ("30 June 2025", dt.date(2025, 6, 30)),
    ("30-Jun-2025", dt.date(2025, 6, 30)),
    ("June 30, 2025", dt.date(2025, 6, 30)),
    ("30. Juni 2025", dt.date(2025, 6, 30)),
    ("1er février 2025", dt.date(2025, 2, 1)),
    ("June 2017", dt.date(2017, 6, 30)),
    ("Jun 2017", dt.date(2017, 6, 30)),
    ("Dec-2017", dt.date(2017, 12, 31)),
    ("September 2018", dt.date(2018, 9, 30)),
    ("Feb 2024", dt.date(2024, 2, 29)),
    ("2017-06", dt.date(2017, 6, 30)),
    ("06/2017", dt.date(2017, 6, 30)),
    ("juin 2017", dt.date(2017, 6, 30)),
    ("Juni 2017", dt.date(2017, 6, 30)),
    ("giugno 2017", dt.date(2017, 6, 30)),
    ("junio de 2017", dt.date(2017, 6, 30)),
    ("03/04/2025", None),  # 3 April or 4 March: the value alone does not say
    ("31/02/2025", None),
    ("13/2017", None),
    ("Smarch 2017", None),
    ("soon", None),
    ("2017", None),
    ("", None),
])
def test_parse_date_alone(text, expected):
    assert parse_date(text) == expected


def test_parse_date_in_an_order():
    assert parse_date("03/04/2025", DAY_FIRST) == dt.date(2025, 4, 3)
    assert parse_date("03/04/2025", MONTH_FIRST) == dt.date(2025, 3, 4)
    assert parse_date("31/12/2025", MONTH_FIRST) is None and parse_date("12/31/2025", DAY_FIRST) is None
    assert parse_date("June 2017", MONTH_FIRST) == parse_date("2017-06-30", DAY_FIRST) == dt.date(2017, 6, 30)


def test_read_text_says_both_readings():
    found = read_text("03/04/2025")
    assert found.ambiguous and (found.day_first, found.month_first) == (dt.date(2025, 4, 3), dt.date(2025, 3, 4))
    assert read_text("31/12/2025").only == DAY_FIRST and read_text("12/31/2025").only == MONTH_FIRST
    assert read_text("Jun 2017").month_year and not read_text("30/06/2017").month_year


def test_one_value_decides_the_order_of_the_column():
    column = read_column(["03/04/2025", "31/12/2025", "2025-01-05", ""])
    assert column.order == DAY_FIRST and not column.ambiguous and not column.conflict
    assert column.date("03/04/2025") == dt.date(2025, 4, 3)
    assert column.note() == "day/month/year, as '31/12/2025' can only be"
    assert read_column(["03/04/2025", "12/31/2025"]).date("03/04/2025") == dt.date(2025, 3, 4)


def test_a_column_without_a_deciding_value_is_ambiguous_unless_told():
    column = read_column(["03/04/2025", "03/03/2025", "2025-01-05"])
    assert column.order is None and column.ambiguous == ["03/04/2025"]
    told = read_column(["03/04/2025"], MONTH_FIRST)
    assert not told.ambiguous and told.date("03/04/2025") == dt.date(2025, 3, 4)
    assert told.note() == "month/day/year (date_order: month-first)"


def test_a_column_in_both_orders_is_a_conflict():
    column = read_column(["31/12/2025", "12/31/2025", "13/01/2025"])
    assert column.conflict == {DAY_FIRST: ["31/12/2025", "13/01/2025"], MONTH_FIRST: ["12/31/2025"]}


def test_no_order_note_when_no_number_needs_one():
    assert read_column(["2025-01-05", "June 2017"], DAY_FIRST).note() == NOTE
    assert read_column(["2025-01-05"]).note() == ""


# ---- a register ----------------------------------------------------------------------------------
def test_fixture_refuses_ambiguous_dates_naming_both_readings():
    with pytest.raises(InputError) as caught:
        load_register(FIXTURE, WCAPE)
    problems = caught.value.problems
    assert [(p.row, p.value) for p in problems] == [(2, "03/04/2025"), (3, "05/06/2025"), (4, "01/02/2025")]
    assert all(p.column == "Review date (column F)" and p.fix == "date_order: day-first" for p in problems)
    assert ("'03/04/2025' could be 3 April 2025 or 4 March 2025: say which with date_order: day-first or "
            "date_order: month-first") in problems[0].expected
    due = next(r for r in caught.value.readings if r.meaning == "due_date")
    assert NOTE in due.style  # the month-year note travels with the refusal too


@pytest.mark.parametrize("order, review, style", [
    (DAY_FIRST, [dt.date(2025, 4, 3), dt.date(2025, 6, 5), dt.date(2025, 2, 1)],
     "day/month/year (date_order: day-first)"),
    (MONTH_FIRST, [dt.date(2025, 3, 4), dt.date(2025, 5, 6), dt.date(2025, 1, 2)],
     "month/day/year (date_order: month-first)"),
])
def test_fixture_reads_with_date_order(order, review, style):
    reg = load_register(FIXTURE, WCAPE, options=ReadOptions(date_order=order))
    assert reg.frame["due_date"].tolist() == [dt.date(2017, 6, 30), dt.date(2017, 12, 31), dt.date(2018, 9, 30)]
    assert reg.frame["review_date"].tolist() == review
    styles = {r.meaning: r.style for r in reg.readings}
    assert (styles["due_date"], styles["review_date"]) == (NOTE, style)


def _register(tmp_path: Path, dates: list[str]) -> Path:
    path = tmp_path / "r.csv"
    path.write_text("Risk ID,Risk,Likelihood,Impact,Review date\n"
                    + "".join(f"R{i},risk {i},3,3,{d}\n" for i, d in enumerate(dates)), encoding="utf-8")
    return path


def test_a_deciding_value_reads_the_column(tmp_path):
    reg = load_register(_register(tmp_path, ["03/04/2025", "31/12/2025", "2025-03-01 00:00:00"]), WCAPE)
    assert reg.frame["review_date"].tolist() == [dt.date(2025, 4, 3), dt.date(2025, 12, 31), dt.date(2025, 3, 1)]


def test_both_orders_in_one_column_name_the_rows(tmp_path):
    with pytest.raises(InputError) as caught:
        load_register(_register(tmp_path, ["31/12/2025", "12/31/2025", "13/01/2025", "03/04/2025"]), WCAPE)
    [problem] = caught.value.problems
    assert problem.row is None and problem.column == "Review date (column E)"
    assert "rows 2, 4 can only be day-first" in problem.expected
    assert "row 3 can only be month-first" in problem.expected


def test_date_order_refuses_a_date_it_cannot_read(tmp_path):
    with pytest.raises(InputError) as caught:
        load_register(_register(tmp_path, ["12/31/2025", "03/04/2025"]), WCAPE,
                      options=ReadOptions(date_order=DAY_FIRST))
    [problem] = caught.value.problems
    assert problem.row == 2 and problem.value == "12/31/2025" and "day-first" in problem.expected


def test_iso_dates_need_no_order(tmp_path):
    reg = load_register(_register(tmp_path, ["2025-03-01", "2025-03-01 00:00:00", ""]), WCAPE)
    assert reg.frame["review_date"].tolist()[:2] == [dt.date(2025, 3, 1)] * 2
    assert next(r.style for r in reg.readings if r.meaning == "review_date") == ""
