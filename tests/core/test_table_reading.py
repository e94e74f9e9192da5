"""Registers as people keep them (issue 24): percentages read as a spreadsheet shows them, CSV rows numbered as a
spreadsheet numbers them, and a workbook's sheets listed and chosen by name."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path
from types import ModuleType

import openpyxl
import pytest

from tests import hostile
from tests.conftest import ROOT
from workbook_lib.core.errors import InputError
from workbook_lib.core.tables import (
    SheetSummary,
    _match_sheet,
    _percent_text,
    read_rows,
    sheet_names,
    sheet_overview,
)

REGISTERS = ROOT / "tests" / "data" / "registers"


def _build_xlsx() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_xlsx", REGISTERS / "build_xlsx.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _build_xlsx().build(tmp_path_factory.mktemp("registers"))


def _book(path: Path, rows: list[tuple[object, ...]], formats: dict[str, str], first_cell: str = "A1") -> Path:
    """One sheet with ``rows`` from ``first_cell`` on, the cells in ``formats`` (e.g. "B2": "0.0%") formatted."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    origin = sheet[first_cell]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            sheet.cell(origin.row + r, origin.column + c, value)
    for ref, code in formats.items():
        sheet[ref].number_format = code
    book.save(path)
    return path


# ---- percentages -------------------------------------------------------------------------------------------


def test_percent_cells_read_as_the_spreadsheet_shows_them(corpus):
    rows = read_rows(corpus["percent_cells.xlsx"])
    assert [(n, cells[0], cells[2]) for n, cells in rows[1:]] == [
        (2, "SW-1", "40%"), (3, "SW-2", "15%"), (4, "SW-3", "75%"), (5, "SW-4", "5%")]
    assert rows[1][1][3] == "4"  # the impact beside it is a plain number


def test_percent_formats_keep_every_digit_and_others_read_as_numbers(tmp_path):
    rows = [("Risk", "Share"), ("R1", 0.155), ("R2", 0.125), ("R3", 0.4), ("R4", 0.4), ("R5", 0.4), ("R6", 0.4),
            ("R7", "half"), ("R8", 0.3)]
    formats = {"B2": "0.0%", "B3": "0%", "B4": "0.00%", "B5": '0.0" %"', "B6": "#,##0.00", "B8": "0%",
               "B9": "0%;[Red]-0%"}
    path = _book(tmp_path / "formats.xlsx", rows, formats)
    assert [cells[1] for _, cells in read_rows(path)[1:]] == [
        "15.5%", "12.5%", "40.00%", "0.4", "0.4", "0.4", "half", "30%"]


def test_percent_cells_away_from_a1_and_read_by_the_xml_parser(tmp_path):
    rows = [("Risk", "Share"), ("R1", 0.25), ("R2", 0.5)]
    path = _book(tmp_path / "offset.xlsx", rows, {"D4": "0%", "D5": "0.0%"}, first_cell="C3")
    assert [(n, cells) for n, cells in read_rows(path)] == [
        (3, ["", "", "Risk", "Share"]), (4, ["", "", "R1", "25%"]), (5, ["", "", "R2", "50.0%"])]
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert xml.count(' s="1" t="n"') == 1 and xml.count(' s="2" t="n"') == 1
    # the style after the type: found all the same
    hostile.rewrite(path, {"xl/worksheets/sheet1.xml": xml.replace(' s="1" t="n"', ' t="n" s="1"')})
    assert [cells[3] for _, cells in read_rows(path)[1:]] == ["25%", "50.0%"]
    # written with single quotes: the fast reading gives way to the XML parser
    hostile.rewrite(path, {"xl/worksheets/sheet1.xml": xml.replace('"', "'")})
    assert [cells[3] for _, cells in read_rows(path)[1:]] == ["25%", "50.0%"]


@pytest.mark.parametrize(("value", "decimals", "shown"), [
    (0.4, 0, "40%"), (0.155, 1, "15.5%"), (0.125, 0, "12.5%"), (0.4, 2, "40.00%"), (1, 0, "100%"),
    (0.30000000000000004, 0, "30%"), (-0.015, 0, "-1.5%"), (0.0, 1, "0.0%"),
])
def test_percent_text(value, decimals, shown):
    assert _percent_text(value, decimals) == shown


# ---- CSV row numbers ---------------------------------------------------------------------------------------


def test_csv_rows_are_numbered_as_a_spreadsheet_shows_them():
    rows = read_rows(REGISTERS / "line_breaks.csv")
    assert [n for n, _ in rows[:4]] == [1, 2, 3, 4]
    assert rows[1][1][1] == "Heavy snow closes roads.\nGritting stocks may run out.\nSchools may close."
    assert rows[3][1][:2] == ["LB-03", "Supplier fails to deliver school meals\n(contract renewed in June)"]


def test_an_empty_csv_line_is_a_row(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text('Title\n\nRisk ID,Risk\nR1,"two\nlines"\n\nR2,one line\n', encoding="utf-8")
    assert [(n, cells[0]) for n, cells in read_rows(path)] == [(1, "Title"), (3, "Risk ID"), (4, "R1"), (6, "R2")]


# ---- sheets ------------------------------------------------------------------------------------------------


def test_sheet_names_and_overview(corpus):
    path = corpus["second_sheet.xlsx"]
    assert sheet_names(path) == ["Instructions", "Register"]
    assert sheet_overview(path) == [
        SheetSummary("Instructions", 6, "How to fill in this register"),
        SheetSummary("Register", 6, "Lakeside District Council - strategic risks 2025"),
    ]
    assert sheet_overview(path, max_sheets=1) == sheet_overview(path)[:1]
    assert sheet_names(REGISTERS / "line_breaks.csv") == [] and sheet_overview(REGISTERS / "line_breaks.csv") == []


def test_overview_cuts_the_first_row_and_names_a_sheet_too_big_without_reading_it(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Register"
    sheet.append([None, "Risk ID\nref", "A very long description heading " * 3, "Owner"])
    sheet.append(["R1", "Flood", "Estates"])
    far = book.create_sheet("Lookups")
    far["A1"], far["XFD1048576"] = "near", "far"
    path = tmp_path / "two.xlsx"
    book.save(path)
    register, lookups = sheet_overview(path)
    assert register.rows == 2 and len(register.first_text) == 80 and register.first_text.endswith("\u2026")
    assert register.first_text.startswith("Risk ID ref | A very long description heading")
    assert lookups.rows == 0 and lookups.first_text == ""
    assert "the sheet 'Lookups' spans 16,384 columns" in lookups.problem


def test_sheet_listing_refuses_a_hostile_file_as_read_rows_does(tmp_path):
    for make in (hostile.billion_laughs_xlsx, hostile.ole2_xls, hostile.symlinked_csv):
        path = make(tmp_path)
        with pytest.raises(InputError) as by_rows:
            read_rows(path)
        for listing in (sheet_names, sheet_overview):
            with pytest.raises(InputError) as caught:
                listing(path)
            assert caught.value.problems == by_rows.value.problems


def test_a_sheet_is_found_ignoring_case_and_spaces(corpus):
    path = corpus["second_sheet.xlsx"]
    assert read_rows(path, "  register ") == read_rows(path, "Register")
    assert read_rows(path, "Register")[1][1][0] == "Risk ID"
    assert _match_sheet(["risks", "Risks"], "Risks") == "Risks"  # an exact match wins
    assert _match_sheet(["Risks"], "Risk") is None


def test_no_such_sheet_lists_the_sheets(corpus):
    with pytest.raises(InputError) as caught:
        read_rows(corpus["second_sheet.xlsx"], "Risks")
    (problem,) = caught.value.problems
    assert problem.value == "Risks" and problem.expected == "a sheet named one of 'Instructions', 'Register'"
