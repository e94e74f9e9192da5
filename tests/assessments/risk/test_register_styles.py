"""Registers as people keep them (issue 24): what the reader understands of each style in tests/data/registers
(README.md there), what it skips and the first line of every message. Worked out by hand under the 5 x 5
method (western-cape-5x5): score = L x I; Low 1-8, Medium 9-12, High 13-25.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from workbook_lib.assessments.risk.interpret import ReadOptions
from workbook_lib.assessments.risk.methodology import load_methodology
from workbook_lib.assessments.risk.register import Register, load_register, read_register
from workbook_lib.assessments.risk.scoring import evaluate
from workbook_lib.core.errors import InputError
from workbook_lib.core.tables import column_letter, read_rows

CORPUS = ROOT / "tests" / "data" / "registers"
LOADED = load_methodology("western-cape-5x5")
WCAPE = LOADED.methodology


def load(name: str, **options) -> Register:
    return load_register(CORPUS / name, WCAPE, options=ReadOptions(**options))


def refusal(name: str, **options) -> InputError:
    with pytest.raises(InputError) as info:
        load(name, **options)
    return info.value


def meanings(reg: Register) -> dict[str, str]:
    return {r.heading: r.meaning for r in reg.readings}


def how(reg: Register, heading: str) -> str:
    return next(r.how for r in reg.readings if r.heading == heading)


# ---- the silent misread: a status column under a heading the vocabulary does not know -----------------------

def test_a_status_column_under_an_unknown_heading_is_read_by_its_values():
    reg = load("status_unknown_heading.csv")
    assert meanings(reg)["Current_Status"] == "status"
    assert how(reg, "Current_Status") == "understood from its values (risk status words)"
    status = reg.frame.set_index("risk_id")["status"]
    assert status.to_dict() == {"CS-01": "open", "CS-02": "closed", "CS-03": "open", "CS-04": "open",
                                "CS-05": "closed"}
    risks = evaluate(reg, LOADED, dt.date(2025, 6, 30)).risks.set_index("risk_id")
    # CS-02 is 4 x 4 = 16 (High) as written, but closed: listed, never scored or escalated
    assert risks.loc[["CS-02", "CS-05"], "residual_score"].isna().all()
    assert risks.at["CS-01", "residual_score"] == 16


def test_status_words_under_an_unknown_heading_beside_a_status_column_are_kept_not_doubled(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("Risk ID,Risk,Likelihood,Impact,Risk status,Phase\nR1,Roof,3,4,Open,Closed\n"
                    "R2,Wall,2,2,Closed,Open\n", encoding="utf-8")
    reg = load_register(path, WCAPE)
    assert meanings(reg)["Risk status"] == "status" and meanings(reg)["Phase"] == ""
    assert "another column holds the status" in how(reg, "Phase")
    assert reg.frame.set_index("risk_id")["status"].to_dict() == {"R1": "open", "R2": "closed"}


def test_a_column_without_a_heading_is_kept_and_named_by_its_letter():
    reg = load("unheaded_category.csv")
    assert meanings(reg)["column A (no heading)"] == ""
    assert reg.frame["column A (no heading)"].tolist() == ["Finance", "Finance", "Legal", "People"]
    assert "column A (no heading)" in reg.extra_columns


# ---- header row and sheet ----------------------------------------------------------------------------------

def test_title_rows_over_unknown_headings_are_refused_with_the_columns_entry_that_reads_them():
    exc = refusal("title_unknown_headings.csv")
    [problem] = exc.problems
    assert problem.row == 4
    assert problem.fix == ("columns: {'Nummer': risk_id, 'Gefahr': description, 'W': inherent_likelihood, "
                           "'S': inherent_impact}")
    assert "row 4 looks like a header (Nummer, Gefahr, W, S, Zuständig, Maßnahme)" in problem.expected


def test_the_proposed_columns_entry_reads_the_register_under_its_title_rows():
    reg = load("title_unknown_headings.csv", columns={"Nummer": "risk_id", "Gefahr": "description",
                                                      "W": "inherent_likelihood", "S": "inherent_impact"})
    assert reg.frame["risk_id"].tolist() == ["BN-1", "BN-2", "BN-3", "BN-4"]
    assert reg.frame["inherent_likelihood"].tolist() == [3, 4, 2, 2]
    assert reg.frame["row"].tolist() == [5, 6, 7, 8]


def test_header_row_names_the_header_whatever_it_holds(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("Risk ID,Risk,Likelihood,Impact\nNote: draft,,,\nID,Risk,Likelihood,Impact\nR1,Roof,3,4\n",
                    encoding="utf-8")
    reg = load_register(path, WCAPE, options=ReadOptions(header_row=3))
    assert reg.frame["risk_id"].tolist() == ["R1"] and reg.frame["row"].tolist() == [4]
    with pytest.raises(InputError) as info:
        load_register(path, WCAPE, options=ReadOptions(header_row=9))
    assert "row 9" in info.value.problems[0].expected and "past the end" in info.value.problems[0].expected


# ---- rows that are not risks -------------------------------------------------------------------------------

def test_footers_numbered_rows_and_sections_are_skipped_with_their_rows_and_why():
    reg = load("footers_and_numbered.csv")
    assert reg.frame["risk_id"].tolist() == ["1", "2", "3", "4"]
    skipped = {s.row: s.reason for s in reg.skipped}
    assert skipped == {2: "a note or section title (one cell)", 5: "a note or section title (one cell)",
                       8: "a numbered row with nothing else in it", 9: "a numbered row with nothing else in it",
                       10: "a numbered row with nothing else in it", 12: "a note or section title (one cell)",
                       13: "a note or section title (one cell)", 14: "a note or section title (one cell)",
                       15: "a note or section title (one cell)"}


def test_skip_rows_and_keep_rows_override_the_guess():
    reg = load("footers_and_numbered.csv", skip_rows=(3,), keep_rows=())
    assert reg.frame["risk_id"].tolist() == ["2", "3", "4"]
    assert {s.row: s.reason for s in reg.skipped}[3] == "listed by you as not a risk"
    exc = refusal("footers_and_numbered.csv", keep_rows=(8,))  # a numbered row read as a risk: no description
    assert [(p.row, p.column) for p in exc.problems] == [(8, "Risk (column B: description)")]


def test_a_row_of_numbers_without_an_id_or_description_is_a_totals_row(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("Risk ID,Risk,Likelihood,Impact,Score\nR1,Roof,3,4,12\nR2,Wall,2,2,4\n,,2.5,3,16\n",
                    encoding="utf-8")
    reg = load_register(path, WCAPE)
    assert reg.frame["risk_id"].tolist() == ["R1", "R2"]
    assert [(s.row, s.reason) for s in reg.skipped] == [
        (4, "numbers or formulas only, without an ID or a description (a totals row)")]


# ---- no ID column ------------------------------------------------------------------------------------------

def test_without_an_id_column_risks_are_named_by_their_row_said_once():
    reg = load("no_id_column.csv")
    assert reg.frame["risk_id"].tolist() == ["row-2", "row-3", "row-4", "row-5"]
    id_readings = [r for r in reg.readings if r.meaning == "risk_id"]
    assert len(id_readings) == 1 and "named by its row" in id_readings[0].how
    assert reg.warnings == []
    again = load("no_id_column.csv")  # the same names for every import of the same file
    assert again.frame["risk_id"].tolist() == reg.frame["risk_id"].tolist()


def test_an_empty_id_column_is_one_line_never_duplicates():
    reg = load("empty_id_column.csv")
    assert reg.frame["risk_id"].tolist() == ["row-2", "row-3", "row-4"]
    assert "the column is empty" in how(reg, "Risk ID")


# ---- messages that point the right way ---------------------------------------------------------------------

def test_repeated_headings_are_named_as_the_parameters_name_them_and_the_fix_reads_the_second_pair():
    exc = refusal("repeated_headings.csv")
    headings = [r.heading for r in exc.readings]
    assert headings[2:7] == ["Likelihood [1]", "Impact [1]", "Controls", "Likelihood [2]", "Impact [2]"]
    fixes = sorted(p.fix for p in exc.problems)
    assert fixes == ["columns: {'Impact [2]': residual_impact}", "columns: {'Likelihood [2]': residual_likelihood}"]
    assert all("ignore" not in p.expected for p in exc.problems)
    reg = load("repeated_headings.csv", columns={"Likelihood [2]": "residual_likelihood",
                                                 "Impact [2]": "residual_impact"})
    frame = reg.frame.set_index("risk_id")
    assert (frame.at["RH-01", "inherent_likelihood"], frame.at["RH-01", "residual_likelihood"]) == (4, 2)


def test_prose_under_a_response_heading_is_the_actions_and_under_a_status_heading_kept():
    reg = load("prose_response_status.csv")
    assert meanings(reg)["Mitigation strategy"] == "actions"
    assert meanings(reg)["Status"] == ""
    assert "sentences" in how(reg, "Status") and "kept as written" in how(reg, "Status")
    assert reg.frame["actions"].iloc[0].startswith("Build relations")
    assert reg.frame["Status"].iloc[0] == "The risk event did not occur yet"


def test_a_long_heading_starting_with_a_known_one_is_understood():
    reg = load("long_heading.csv")
    heading = "Risk Description (There is a risk that ... caused by ... resulting in ...)"
    assert meanings(reg)[heading] == "description"


def test_a_missing_description_column_is_said_without_internal_names(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("Risk ID,Likelihood,Impact\nR1,3,4\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_register(path, WCAPE)
    [problem] = info.value.problems
    assert problem.column is None and problem.value == ""
    assert problem.line().endswith("expected a column for the description, but no column holds it: headings "
                                   "such as Risk description, Risk, Description of risk, Risk title, Title, Risk "
                                   "statement are read as it, or name yours in the parameters (columns: {'your "
                                   "heading': description})")


def test_a_value_is_reported_under_the_column_that_holds_it_with_its_letter(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("Risk ID,Risk,Likelihood,Impact\nR1,Roof,3,9\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_register(path, WCAPE)
    [problem] = info.value.problems
    assert (problem.row, problem.column, problem.value) == (2, "Impact (column D: inherent impact)", "9")


def test_the_column_table_wraps_long_reasons_instead_of_cutting_them():
    from workbook_lib.core.commands import readings_view, wrapped_table

    exc = refusal("repeated_headings.csv")
    text = wrapped_table(readings_view(exc.readings))
    assert "…" not in text and "..." not in text
    joined = " ".join(" ".join(text.split()).split())
    assert "not read: 'Likelihood [1]' (column C) is read as inherent likelihood too" in joined


# ---- nothing is lost: every non-empty cell under the header is read, kept or listed as skipped ----------------

BASE = [["Risk ID", "Risk", "Likelihood", "Impact", "Owner"],
        ["P-1", "Server room floods", "3", "4", "Head of IT"],
        ["P-2", "Payroll paid late", "2", "5", "Payroll Manager"],
        ["P-3", "Fraud in small purchases", "4", "3", "Chief Financial Officer"]]
EXTRAS = st.lists(st.sampled_from(["Finance", "Legal", "n/a", "7", "Open", "2025-03-01", "see note"]),
                  min_size=3, max_size=3)
TAILS = [["Total", "", "", "", ""], ["12", "", "", "", ""], ["© 2025 Example Ltd", "", "", "", ""],
         ["", "", "9", "12", ""], ["Section 2", "", "", "", ""]]


def _csv(folder: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path = folder / "register.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@settings(max_examples=40, deadline=None)
@given(extra=EXTRAS, heading=st.sampled_from(["", "Notes", "Current_Status", "Zone"]),
       at=st.integers(0, 5), tails=st.lists(st.sampled_from(TAILS), max_size=3),
       title=st.booleans())
def test_no_cell_is_lost(extra, heading, at, tails, title):
    rows = [r[:at] + [(heading if i == 0 else extra[i - 1])] + r[at:] for i, r in enumerate(BASE)]
    rows += [t[:at] + [""] + t[at:] for t in tails]
    if title:
        rows.insert(0, ["Example Council – risk register"] + [""] * 5)
    with tempfile.TemporaryDirectory() as folder:
        path = _csv(Path(folder), rows)
        try:
            reg = load_register(path, WCAPE)
        except InputError:
            return  # a refusal loses nothing: nothing is produced
        file_rows = read_rows(path)
    skipped = {s.row for s in reg.skipped}
    by_letter = {r.letter: r for r in reg.readings if r.letter}
    frame = reg.frame.set_index("row")
    header = reg_header_row(file_rows, reg)
    for number, cells in file_rows:
        if number <= header or number in skipped:
            continue
        assert number in frame.index, f"row {number} neither read nor skipped"
        for j, cell in enumerate(cells):
            if not cell:
                continue
            reading = by_letter.get(column_letter(j))
            assert reading is not None, f"row {number} column {column_letter(j)} {cell!r} lost"
            assert not reading.how.startswith("ignored")
            if not reading.meaning:  # kept as written: the value itself is in the register
                assert frame.at[number, reading.heading] == cell


def reg_header_row(file_rows: list[tuple[int, list[str]]], reg: Register) -> int:
    first = int(reg.frame["row"].min())
    return max(n for n, _ in file_rows if n < first and n not in {s.row for s in reg.skipped})


def test_read_register_keeps_the_reading_for_a_refused_file():
    table = read_register(CORPUS / "unheaded_category.csv", WCAPE)
    assert [r.letter for r in table.readings] == ["A", "B", "C", "D", "E", "F"]


# ---- the sheet ------------------------------------------------------------------------------------------------



def test_a_register_on_the_second_sheet_is_read_from_it_and_the_reading_says_so(workbooks):
    reg = load_register(workbooks["second_sheet.xlsx"], WCAPE)
    assert reg.frame["risk_id"].tolist() == ["LDC-01", "LDC-02", "LDC-03", "LDC-04"]
    assert reg.frame["row"].tolist() == [4, 5, 6, 7]
    assert reg.notes == ["read from the sheet 'Register': the first sheet ('Instructions') holds no register (to "
                         "read another, say which in the parameters: sheet: 'its name')"]
    risks = evaluate(reg, LOADED, dt.date(2025, 6, 30))
    assert risks.reading_notes == reg.notes


def test_a_named_sheet_is_read_as_named(workbooks):
    with pytest.raises(InputError):  # the user named the instructions: no guessing past their choice
        load_register(workbooks["second_sheet.xlsx"], WCAPE, sheet="Instructions")


def test_a_workbook_without_a_register_lists_its_sheets_and_proposes_one(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Cover"
    wb.active["A1"] = "Annual risk report"
    other = wb.create_sheet("Daten")
    other.append(["Nummer", "Gefahr", "W", "S"])
    other.append(["D-1", "Hochwasser im Keller des Rathauses", 3, 4])
    other.append(["D-2", "Ausfall der Heizung im Winter", 2, 3])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    with pytest.raises(InputError) as info:
        load_register(path, WCAPE)
    first = info.value.problems[0]
    assert first.fix == "sheet: 'Daten'"
    assert "'Cover': 1 rows, starting 'Annual risk report'" in first.expected
    assert "'Daten': 3 rows, starting 'Nummer | Gefahr | W | S'" in first.expected


# ---- done when: every style reads as published, or the message names the entry that reads it ------------------

AS_PUBLISHED = ["status_unknown_heading.csv", "unheaded_category.csv", "footers_and_numbered.csv", "no_id_column.csv",
                "empty_id_column.csv", "prose_response_status.csv", "long_heading.csv", "own_level_words.csv",
                "second_sheet.xlsx", "sum_row.xlsx", "percent_cells.xlsx"]
WITH_ONE_ENTRY = {
    "title_unknown_headings.csv": "columns", "money_currency_codes.csv": "impact_money",
    "money_usd.csv": "impact_money", "averaged_impacts.csv": "rounding", "month_year_dates.csv": "date_order",
    "repeated_headings.csv": "columns", "spanish_words.csv": "ratings"}
# a real mistake in the file: named with its row, value and both readings, and no entry can make it right
MISTAKES = {"number_and_label.csv": (5, "2 - Likely"), "label_and_probability.csv": (5, "0.60"),
            "line_breaks.csv": (4, "9")}


def _options(entries: list[str]) -> ReadOptions:
    """The reading options the proposed entries make (merged as the form merges them)."""
    import yaml

    from workbook_lib.assessments.risk.methodology import ImpactMoney

    merged: dict = {}
    for entry in entries:
        for key, value in yaml.safe_load(entry).items():
            merged[key] = {**merged.get(key, {}), **value} if isinstance(value, dict) and key != "impact_money" \
                else value
    if "impact_money" in merged:
        merged["impact_money"] = ImpactMoney(**merged["impact_money"])
    return ReadOptions(**merged)


def _path(name: str, workbooks: dict[str, Path]) -> Path:
    return workbooks[name] if name.endswith(".xlsx") else CORPUS / name


@pytest.mark.parametrize("name", AS_PUBLISHED)
def test_read_as_published(name, workbooks):
    reg = load_register(_path(name, workbooks), WCAPE)
    assert len(reg.frame) >= 2 and reg.rated.any()


@pytest.mark.parametrize("name", sorted(WITH_ONE_ENTRY))
def test_read_with_the_entry_the_message_names(name, workbooks):
    with pytest.raises(InputError) as info:
        load_register(_path(name, workbooks), WCAPE)
    fixes = [p.fix for p in info.value.problems]
    assert all(fixes), [p.line() for p in info.value.problems if not p.fix]
    assert {next(iter(yaml.safe_load(f))) for f in fixes} == {WITH_ONE_ENTRY[name]}
    reg = load_register(_path(name, workbooks), WCAPE, options=_options(fixes))
    assert reg.rated.any()


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_real_mistake_is_named_where_it_is(name):
    with pytest.raises(InputError) as info:
        load(name)
    [problem] = info.value.problems
    assert (problem.row, problem.value) == MISTAKES[name] and problem.fix == ""


def test_negative_amounts_are_opportunities_once_the_thresholds_are_given():
    from workbook_lib.assessments.risk.methodology import ImpactMoney

    reg = load("money_currency_codes.csv",
               impact_money=ImpactMoney(currency="CHF", upper_bounds=[10000, 100000, 500000, 1000000]))
    frame = reg.frame.set_index("risk_id")
    assert frame["status"].to_dict() == {"CH-01": "open", "CH-02": "opportunity", "CH-03": "open", "CH-04": "open",
                                         "CH-05": "open"}
    assert frame["inherent_impact"].tolist() == [3, 2, 5, 5, 1]  # 300k, |-50k|, 1.2m, 2.5m, 8k


def test_level_words_map_the_registers_own_levels():
    reg = load("own_level_words.csv")
    plain = evaluate(reg, LOADED, dt.date(2025, 6, 30)).disagreements
    assert len(plain) == 4 and "level_words: {" in plain.iloc[0]["Computed"] + str(plain.iloc[0].to_dict())
    mapped = load("own_level_words.csv", level_words={"Alto": "High", "Crítico": "High", "Medio": "Medium",
                                                      "Bajo": "Low"})
    assert evaluate(mapped, LOADED, dt.date(2025, 6, 30)).disagreements.empty


def test_percent_formatted_cells_are_read_as_the_spreadsheet_shows_them(workbooks):
    reg = load_register(workbooks["percent_cells.xlsx"], WCAPE)
    assert meanings(reg)["Wahrscheinlichkeit in %"] == "inherent_likelihood"
    # 40% and 15% Moderate (10-50%), 75% Likely (50-100%), 5% Unlikely (1-10%)
    assert reg.frame.set_index("risk_id")["inherent_likelihood"].to_dict() == {"SW-1": 3, "SW-2": 3, "SW-3": 4,
                                                                                "SW-4": 2}


def test_a_cell_with_line_breaks_keeps_the_rows_a_spreadsheet_shows():
    exc = refusal("line_breaks.csv")
    [problem] = exc.problems
    assert (problem.row, problem.value) == (4, "9")  # LB-03 is on row 4, though on line 6 of the file


def test_a_sum_row_without_a_label_is_skipped(workbooks):
    reg = load_register(workbooks["sum_row.xlsx"], WCAPE)
    assert reg.frame["risk_id"].tolist() == ["LDC-01", "LDC-02", "LDC-03", "LDC-04"]


def test_a_closed_risk_says_closed_not_not_rated():
    from workbook_lib.assessments.risk.report import register_view

    reg = load("closed_and_opportunities.csv")
    view = register_view(evaluate(reg, LOADED, dt.date(2025, 6, 30)))
    said = dict(zip(view.iloc[:, 0], view.iloc[:, -1], strict=True))  # risk -> its calculation, in words
    assert said["AC-03"] == "Closed: listed, not scored" and said["AC-05"] == "Eliminated: listed, not scored"
    assert "NOT RATED" not in " ".join(map(str, said.values()))
