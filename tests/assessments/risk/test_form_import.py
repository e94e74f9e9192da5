"""The risk form's import step without a browser: the sheet of a workbook, the header row and rows to skip or read
anyway, the suggested fixes as buttons (checked as the parameters file is), and the choices in force in words and
as lines for the parameters file."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from tests.data.registers.build_xlsx import build
from tests.form_kit import Recorder, no_request  # noqa: F401 - a fixture
from workbook_lib.assessments.risk.form import (
    FixRefused,
    RiskRegisterForm,
    choices_in_words,
    merge_fix,
    parse_header_row,
    parse_rows,
    row_ranges,
    settings_yaml,
)
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.core.errors import Problem
from workbook_lib.core.store import Store

ORG, PERIOD = "Import Test Council", "2026-27"
REGISTERS = Path(__file__).resolve().parents[2] / "data" / "registers"
DEVELOPER = re.compile(r"\b[a-z]+_[a-z_]+\b|\bTrue\b|\bFalse\b|\bNone\b|Traceback")

pytestmark = pytest.mark.usefixtures("no_request")


@pytest.fixture
def store(tmp_path):
    with Store(str(tmp_path / "store.db")) as s:
        yield s


@pytest.fixture
def params(store) -> RiskEvaluationParams:
    return RiskEvaluationParams(organisation=ORG, period=PERIOD, as_of="2026-11-30", methodology="western-cape-5x5",
                                source="store", store_url=store.url)


@pytest.fixture
def form(store, params) -> RiskRegisterForm:
    form = RiskRegisterForm(params, Recorder(), store=store)
    form.respondent.name.value = "Thandi Mokoena"
    return form


@pytest.fixture
def workbooks(tmp_path) -> dict[str, Path]:
    return build(tmp_path / "books")


def _upload(form: RiskRegisterForm, path: Path) -> None:
    content = path.read_bytes()
    form.upload.value = ({"name": path.name, "type": "application/octet-stream", "size": len(content),
                          "last_modified": dt.datetime.now(), "content": memoryview(content)},)


def _text(value: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", value)).replace("&#x27;", "'").replace("&quot;", '"').strip()


def _on_screen(form: RiskRegisterForm) -> str:
    """What the import step shows a person, but the lines to copy to the parameters file."""
    shown = [form.import_feedback.value, form.in_force.value, form.import_report.value,
             *(c.value for c in form.fixes.children if hasattr(c, "value") and isinstance(c.value, str)),
             *(b.description for b in form.fixes.children if hasattr(b, "on_click")),
             *(c.value for c in form.reading.children if isinstance(getattr(c, "value", None), str)),
             *(f.description for f in form.row_fields.values()), *(n.value for n in form.row_notes.values()),
             form.sheet.description, *map(str, form.sheet.options)]
    return _text(" ".join(shown))


def _buttons(form: RiskRegisterForm) -> dict[str, object]:
    return {b.description: b for b in form.fixes.children if hasattr(b, "on_click")}


# ---- the sheet ----------------------------------------------------------------------------------------------
def test_a_workbook_of_two_sheets_offers_them_and_reads_the_one_chosen(form, workbooks, store):
    _upload(form, workbooks["second_sheet.xlsx"])
    form.check.click()
    assert form.sheet.options == ("Instructions", "Register")
    assert form.sheet.layout.display != "none" and form.reading_box.layout.display != "none"
    if form.sheet.value == "Register":  # the reader found the register on the second sheet, and says so
        assert "read from the sheet 'Register'" in _text(form.reading.children[0].value)
        form.sheet.value = "Instructions"  # checks again at once: no register there
        assert form.choices == {"sheet": "Instructions"} and form.confirm_import.disabled
        assert "wb-import-error" in form.import_feedback.value
    form.sheet.value = "Register"
    assert form.choices == {"sheet": "Register"}
    assert "second_sheet.xlsx is valid" in _text(form.import_report.value), _text(form.import_feedback.value)
    assert "4 new" in _text(form.import_report.value)
    assert "LDC-01" in form.import_report.value and not form.confirm_import.disabled
    assert _text(form.in_force.value) == "Reading with: sheet Register"
    assert "sheet: Register" in _text(form.settings_copy.value) and "readonly" in form.settings_copy.value
    form.confirm_import.click()
    assert sorted(r.key for r in store.current(ORG, PERIOD, "risk")) == ["LDC-01", "LDC-02", "LDC-03", "LDC-04"]


def test_a_csv_offers_no_sheet(form, tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("risk_id,description,likelihood,impact\nP-1,One,Likely,Major\n")
    _upload(form, path)
    form.check.click()
    assert form.sheet.layout.display == "none"
    assert all(f.layout.display != "none" for f in form.row_fields.values())  # the rows are still offered
    assert "plain.csv is valid" in _text(form.import_report.value)
    assert _text(form.in_force.value) == "Reading with the suite's own choices."
    assert form.settings_copy.value == ""


# ---- suggested fixes ----------------------------------------------------------------------------------------
def test_a_fix_merges_into_the_choices_as_the_parameters_file_would_hold_it(params):
    choices = merge_fix({}, "sheet: Register", params)
    assert choices == {"sheet": "Register"}
    choices = merge_fix(choices, "columns: {Current_Status: status}", params)
    choices = merge_fix(choices, "columns: {'Risk Owner': owner}", params)  # key by key
    assert choices == {"sheet": "Register", "columns": {"Current_Status": "status", "Risk Owner": "owner"}}
    choices = merge_fix(choices, "sheet: 2025", params)  # a scalar replaces, as the file reads it (text)
    assert choices["sheet"] == "2025"
    choices = merge_fix(choices, "ratings: {Alta: 4, Media: 3, Baja: 2}", params)
    choices = merge_fix(choices, "header_row: 4", params)
    choices = merge_fix(choices, "skip_rows: [12, 13, 14]", params)
    choices = merge_fix(choices, "rounding: nearest", params)
    assert choices["ratings"] == {"Alta": 4, "Media": 3, "Baja": 2}
    assert choices_in_words(choices) == ("sheet 2025, header on row 4, rows 12-14 skipped, columns: Current_Status "
                                         "read as status, Risk Owner read as owner, ratings: Alta = 4, Media = 3, "
                                         "Baja = 2, rounding: to the nearest level")
    lines = settings_yaml(choices).splitlines()
    assert lines[:3] == ["sheet: '2025'", "header_row: 4", "skip_rows: [12, 13, 14]"]
    assert "columns: {Current_Status: status, Risk Owner: owner}" in lines
    money = merge_fix({}, "impact_money: {currency: CHF, upper_bounds: [1000, 10000, 100000, 1000000]}", params)
    assert choices_in_words(money) == "money impact: CHF, levels up to 1,000 / 10,000 / 100,000 / 1,000,000"


@pytest.mark.parametrize(("fix", "said"), [
    ("!!python/object/apply:os.system ['echo hacked']", "not a setting the parameters file can hold"),
    ("sheet: !!python/name:os.system", "not a setting the parameters file can hold"),
    ("store_url: sqlite:////tmp/elsewhere.db", "store_url is not a reading setting"),
    ("organisation: Someone else", "is not a reading setting"),
    ("columns: {Current_Status: drop_table}", "would not accept this columns"),
    ("header_row: 0", "would not accept this header row"),
    ("rounding: sideways", "would not accept this rounding"),
    ("skip_rows: nonsense", "would not accept this rows to skip"),
    ("[sheet, Register]", "not one entry of the parameters file"),
    ("sheet: [unclosed", "not a setting the parameters file can hold"),
])
def test_a_hostile_or_unknown_fix_is_refused_in_words(params, fix, said):
    with pytest.raises(FixRefused) as info:
        merge_fix({"sheet": "Register"}, fix, params)
    assert said in str(info.value)
    assert "Traceback" not in str(info.value) and "python" not in str(info.value)


def test_a_fix_button_applies_the_fix_and_checks_again(form, workbooks):
    _upload(form, workbooks["second_sheet.xlsx"])
    form.check.click()
    form._offer_fixes([Problem("second_sheet.xlsx", None, None, "", "a register", fix="sheet: Register"),
                       Problem("second_sheet.xlsx", 3, "Risk", "", "a column", fix="sheet: Register"),  # once
                       Problem("second_sheet.xlsx", None, None, "", "a register", fix="organisation: Evil"),
                       Problem("second_sheet.xlsx", None, None, "", "a register",
                               fix="!!python/object/apply:os.system ['echo hacked']")])
    buttons = _buttons(form)
    assert list(buttons) == ["Use: sheet: Register"]  # the refused ones are said, not offered
    shown = _on_screen(form)
    assert "Suggested but not offered" in shown and "is not a reading setting" in shown
    assert "not a setting the parameters file can hold" in shown
    form._use_fix("organisation: Evil")  # a fix pressed is checked again: refused in words beside the buttons
    assert "Not used: organisation is not a reading setting" in _text(form.fix_note.value)
    assert form.fix_note in form.fixes.children and "organisation" not in form.choices
    buttons["Use: sheet: Register"].click()
    assert form.choices == {"sheet": "Register"} and form.sheet.value == "Register"
    assert "second_sheet.xlsx is valid" in _text(form.import_report.value)
    assert form.fixes.children == ()  # nothing left to fix


def test_a_column_fix_feeds_the_read_as_choice(form):
    _upload(form, REGISTERS / "status_unknown_heading.csv")
    form.check.click()
    form._offer_fixes([Problem("status_unknown_heading.csv", None, "Current_Status", "", "a status",
                               fix="columns: {Current_Status: status}")])
    _buttons(form)["Use: columns: Current_Status read as status"].click()
    assert form.choices["columns"] == {"Current_Status": "status"}
    assert form._choosers["Current_Status"].value == "status"  # the column's own choice shows it
    rows = _text(" ".join(row.children[0].value for row in form.reading.children[1:]))
    assert "Current_Status &rarr; status" in rows
    assert "columns: {Current_Status: status}" in _text(form.settings_copy.value)


@pytest.mark.parametrize(("register", "label", "line"), [
    ("title_unknown_headings.csv", "Use: columns: Nummer read as risk ID, Gefahr read as description, W read as "
     "inherent likelihood, S read as inherent impact", "columns: {Nummer: risk_id, Gefahr: description"),
    ("averaged_impacts.csv", "Use: rounding: to the nearest level", "rounding: nearest"),
    ("money_currency_codes.csv", "Use: money impact: CHF, levels up to 42,000 / 200,000 / 660,000 / 1,500,000",
     "impact_money: {currency: CHF, upper_bounds: [42000, 200000, 660000, 1500000]}"),
])
def test_the_fix_the_reader_suggests_is_a_button_that_reads_the_file(form, register, label, line):
    _upload(form, REGISTERS / register)
    form.check.click()
    assert "wb-error" in form.feedback.value and form.confirm_import.disabled
    buttons = _buttons(form)
    assert list(buttons) == [label] and not DEVELOPER.search(label)
    buttons[label].click()
    assert f"{register} is valid" in _text(form.import_report.value), _text(form.import_feedback.value)
    assert line in _text(form.settings_copy.value) and not form.confirm_import.disabled


# ---- header row, rows to skip, rows to read anyway ------------------------------------------------------------
@pytest.mark.parametrize(("typed", "rows"), [("12, 14-16", (12, 14, 15, 16)), ("", ()), ("  ", ()),
                                             ("5;3 3", (3, 5)), ("14 - 16", (14, 15, 16)), ("7\u20139", (7, 8, 9))])
def test_row_numbers_are_read_as_typed(typed, rows):
    assert parse_rows(typed) == rows


@pytest.mark.parametrize("typed", ["twelve", "16-14", "0", "12,,x", "3-", "1.5", "1-2000000", "-4"])
def test_other_row_text_is_refused_in_words(typed):
    with pytest.raises(ValueError, match="row"):
        parse_rows(typed)


def test_header_row_and_ranges():
    assert parse_header_row("") is None and parse_header_row(" 4 ") == 4
    for bad in ("four", "0", "3.5", "-2"):
        with pytest.raises(ValueError, match="row number"):
            parse_header_row(bad)
    assert row_ranges([16, 12, 13, 14]) == "12-14, 16" and row_ranges([5]) == "5"


def test_bad_text_in_the_row_fields_is_said_beside_them_and_nothing_is_checked(form, workbooks):
    _upload(form, workbooks["second_sheet.xlsx"])
    form.check.click()
    form.row_fields["header_row"].value = "four"
    form.row_fields["skip_rows"].value = "12, fourteen"
    form.recheck.click()
    notes = {k: _text(v.value) for k, v in form.row_notes.items()}
    assert "'four' is not a row number" in notes["header_row"]
    assert "'fourteen' is not a row number" in notes["skip_rows"] and notes["keep_rows"] == ""
    assert "Not checked" in _text(form.import_feedback.value) and "wb-error" not in form.feedback.value
    assert "Traceback" not in _on_screen(form)
    form.row_fields["header_row"].value = ""
    form.row_fields["skip_rows"].value = ""
    form.recheck.click()
    assert all(v.value == "" for v in form.row_notes.values())


def test_header_row_and_rows_to_skip_feed_the_reading(form, workbooks):
    _upload(form, workbooks["second_sheet.xlsx"])
    form.check.click()
    form.sheet.value = "Register"
    form.row_fields["header_row"].value = "3"
    form.row_fields["skip_rows"].value = "5, 6-6"
    form.recheck.click()
    assert form.choices == {"sheet": "Register", "header_row": 3, "skip_rows": [5, 6]}
    assert _text(form.in_force.value) == "Reading with: sheet Register, header on row 3, rows 5-6 skipped"
    assert form.row_fields["skip_rows"].value == "5-6"  # as the choice stands
    lines = _text(form.settings_copy.value)
    assert "sheet: Register header_row: 3 skip_rows: [5, 6]" in lines
    report = _text(form.import_report.value)
    assert "is valid" in report and "2 new" in report  # rows 5 and 6 (LDC-02, LDC-03) are not risks
    assert "LDC-02" not in report and "LDC-03" not in report
    form.row_fields["skip_rows"].value = ""
    form.row_fields["keep_rows"].value = "6"
    form.recheck.click()
    assert form.choices == {"sheet": "Register", "header_row": 3, "keep_rows": [6]}
    assert "row 6 read as risks" in _text(form.in_force.value)


def test_a_new_file_starts_from_the_suites_own_reading(form, workbooks, tmp_path):
    _upload(form, workbooks["second_sheet.xlsx"])
    form.check.click()
    form.sheet.value = "Register"
    form.row_fields["skip_rows"].value = "5"
    form.recheck.click()
    path = tmp_path / "plain.csv"
    path.write_text("risk_id,description,likelihood,impact\nP-1,One,Likely,Major\n")
    _upload(form, path)
    form.check.click()
    assert form.choices == {} and form.row_fields["skip_rows"].value == ""
    assert "plain.csv is valid" in _text(form.import_report.value)


def test_the_import_step_shows_no_developer_text(form, workbooks):
    _upload(form, workbooks["second_sheet.xlsx"])
    form.check.click()
    form.sheet.value = "Register"
    form.row_fields["header_row"].value = "3"
    form.row_fields["keep_rows"].value = "9"
    form.recheck.click()
    form._offer_fixes([Problem("second_sheet.xlsx", None, None, "", "x", fix=fix) for fix in
                       ("header_row: 4", "rounding: nearest", "date_order: day-first", "level_words: {Alto: High}",
                        "impact_money: {currency: CHF, upper_bounds: [1000, 10000, 100000, 1000000]}")])
    shown = _on_screen(form).replace("second_sheet.xlsx", "the file")  # the file's own name is the user's
    assert not DEVELOPER.search(shown), DEVELOPER.search(shown)
    assert {"Use: header row: 4", "Use: rounding: to the nearest level", "Use: date order: day first",
            "Use: level words: Alto = High"} <= set(_buttons(form))
