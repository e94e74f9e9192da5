"""Risk registers: reading CSV/.xlsx the way users save them, and validating with every problem at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from workbook_lib.assessments.risk.methodology import load_methodology
from workbook_lib.assessments.risk.register import column_spec, load_register, parse_date, validate_register
from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.tables import ROW, Table, read_table

REGISTERS = ROOT / "parameters" / "registers"
MOPAC_ROLES = ["Oversee", "Convene", "Communicate", "Deliver"]

WCAPE = load_methodology("western-cape-5x5").methodology
MOPAC = load_methodology("mopac-4-level").methodology
TORBAY = load_methodology("torbay-2004").methodology


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "register.csv",
         bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def _problems(path: Path, m=WCAPE, **kw) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_register(path, m, **kw)
    return info.value.problems


# ---- shipped example registers -----------------------------------------------------------------------


def test_mopac_example_register_validates():
    reg = load_register(REGISTERS / "mopac_met_alignment_2020.csv", MOPAC, partner_roles=MOPAC_ROLES)
    frame = reg.frame
    assert len(frame) == 17
    assert frame["risk_id"].tolist() == [f"Risk {i}" for i in range(1, 18)]  # the document's risk numbers
    assert frame["row"].tolist() == list(range(2, 19))
    unrated = frame.loc[~frame["rated"], "risk_id"].tolist()
    assert unrated == ["Risk 8"]
    met08 = frame.set_index("risk_id").loc["Risk 8"]
    assert met08["row"] == 9
    assert pd.isna(met08["inherent_likelihood"]) and pd.isna(met08["inherent_impact"])
    assert len(reg.warnings) == 1
    assert "Risk 8" in reg.warnings[0] and "row 9" in reg.warnings[0]
    met01 = frame.set_index("risk_id").loc["Risk 1"]
    assert (met01["inherent_likelihood"], met01["inherent_impact"]) == (4, 4)  # "Very High"
    met02 = frame.set_index("risk_id").loc["Risk 2"]
    assert (met02["inherent_likelihood"], met02["inherent_impact"]) == (3, 2)  # High, Medium
    for role in MOPAC_ROLES:
        assert role in reg.extra_columns
        assert role in frame.columns
    assert "Working Lead" in reg.extra_columns and "Horizon" in reg.extra_columns
    assert met01["category"] == "Violent Crime"  # "Theme" is an alias of category


def test_mopac_register_missing_partner_role_column_is_reported(tmp_path):
    problems = _problems(REGISTERS / "mopac_met_alignment_2020.csv", MOPAC,
                         partner_roles=[*MOPAC_ROLES, "Fund"])
    assert len(problems) == 1
    assert problems[0].column == "Fund" and problems[0].value == "" and "a column headed 'Fund'" in problems[0].expected
    assert problems[0].row == 1


def test_karoo_example_register_validates():
    reg = load_register(REGISTERS / "karoo_vale_municipality_2025.csv", WCAPE)
    frame = reg.frame.set_index("risk_id")
    assert len(frame) == 21
    assert reg.rated.all()
    assert reg.warnings == []
    assert reg.extra_columns == []
    for col in ("inherent_likelihood", "inherent_impact"):
        assert str(reg.frame[col].dtype) == "Int64"
        assert reg.frame[col].between(1, 5).all()
    assert frame.loc["KV-005", "inherent_likelihood"] == 5  # "almost certain"
    assert frame.loc["KV-005", "inherent_impact"] == 4  # "Major"
    assert (frame.loc["KV-002", "inherent_likelihood"], frame.loc["KV-002", "inherent_impact"]) == (4, 5)
    assert (frame.loc["KV-012", "inherent_likelihood"], frame.loc["KV-012", "inherent_impact"]) == (2, 2)
    assert (frame.loc["KV-019", "inherent_likelihood"], frame.loc["KV-019", "inherent_impact"]) == (3, 3)
    assert frame.loc["KV-001", "inherent_likelihood"] == 5
    # control effectiveness takes the canonical label and its factor, whatever the spelling
    assert frame.loc["KV-006", "control_effectiveness"] == "Partially effective"  # "Partially Effective"
    assert frame.loc["KV-006", "control_factor"] == pytest.approx(0.60)
    assert frame.loc["KV-008", "control_factor"] == pytest.approx(1.0)
    assert frame.loc["KV-001", "due_date"] == dt.date(2026, 3, 31)
    assert bool(frame.loc["KV-006", "complete"]) is True  # progress 100
    assert bool(frame.loc["KV-001", "complete"]) is False
    assert frame.loc["KV-008", "response"] == "exploit"
    assert frame.loc["KV-001", "row"] == 2 and frame.loc["KV-021", "row"] == 22


# ---- CSV reading -------------------------------------------------------------------------------------

SIMPLE = "risk_id,description,inherent_likelihood,inherent_impact\nR1,Caf\u00e9 roof costs \u00a35k,3,4\n"


@pytest.mark.parametrize("bom", [True, False])
def test_csv_utf8_with_and_without_bom(tmp_path, bom):
    reg = load_register(_csv(tmp_path, SIMPLE, bom=bom), WCAPE)
    assert reg.frame.loc[0, "risk_id"] == "R1"  # no BOM glued to the first heading or value
    assert reg.frame.loc[0, "description"] == "Caf\u00e9 roof costs \u00a35k"
    assert reg.extra_columns == []
    assert (reg.frame.loc[0, "inherent_likelihood"], reg.frame.loc[0, "inherent_impact"]) == (3, 4)


def test_csv_cp1252(tmp_path):
    path = _csv(tmp_path, SIMPLE.replace(",", ";"), encoding="cp1252")
    assert "\u00e9".encode("cp1252") in path.read_bytes()  # really not UTF-8
    reg = load_register(path, WCAPE)
    assert reg.frame.loc[0, "description"] == "Caf\u00e9 roof costs \u00a35k"


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_csv_delimiters(tmp_path, delimiter):
    text = (f"risk_id{delimiter}description{delimiter}owner\n"
            f"R1{delimiter}\"Roof, leaking\"{delimiter}Estates\n"
            f"R2{delimiter}\"Pay; late\"{delimiter}HR\n")
    table = read_table(_csv(tmp_path, text), column_spec().columns)
    assert list(table.frame.columns) == [ROW, "risk_id", "description", "owner"]
    assert table.frame["description"].tolist() == ["Roof, leaking", "Pay; late"]
    assert table.frame["owner"].tolist() == ["Estates", "HR"]


def test_header_below_title_row_keeps_user_row_numbers(tmp_path):
    text = ("Corporate risk register 2025,,\n"
            "Risk ID,Description,Likelihood\n"
            "R1,First,3\n"
            "R2,Second,banana\n")
    path = _csv(tmp_path, text)
    table = read_table(path, column_spec().columns)
    assert table.header_row == 2
    assert table.frame[ROW].tolist() == [3, 4]
    problems = _problems(path)
    bad = [p for p in problems if p.column == "Likelihood (column C: inherent likelihood)" and p.value == "banana"]
    assert len(bad) == 1 and bad[0].row == 4


def test_blank_lines_are_skipped_but_counted(tmp_path):
    text = "risk_id,description,Likelihood,Impact\n\nR1,First,,\n,,,\nR2,Second,,\n"
    reg = load_register(_csv(tmp_path, text), WCAPE)
    assert reg.frame["row"].tolist() == [3, 5]
    assert reg.frame["risk_id"].tolist() == ["R1", "R2"]


def test_aliases_map_to_canonical_columns(tmp_path):
    text = "Risk No.,Risk description,Likelihood,Impact,Risk owner,Target date\nR1,Roof,2,Major,Estates,30/06/2025\n"
    table = read_table(_csv(tmp_path, text), column_spec().columns)
    assert list(table.frame.columns) == [ROW, "risk_id", "description", "inherent_likelihood",
                                         "inherent_impact", "owner", "due_date"]
    assert table.renamed["Risk No."] == "risk_id"
    assert table.renamed["Likelihood"] == "inherent_likelihood"
    assert table.renamed["Impact"] == "inherent_impact"
    reg = load_register(_csv(tmp_path, text, name="again.csv"), WCAPE)
    row = reg.frame.iloc[0]
    assert (row["inherent_likelihood"], row["inherent_impact"]) == (2, 4)
    assert row["due_date"] == dt.date(2025, 6, 30)
    assert row["owner"] == "Estates"


def test_two_headings_for_one_column_are_refused(tmp_path):
    text = "Risk ID,Ref,Description\nR1,X,Roof\n"
    with pytest.raises(InputError) as info:
        read_table(_csv(tmp_path, text), column_spec().columns)
    (problem,) = info.value.problems
    assert problem.row == 1 and problem.column == "Ref"
    assert "risk_id" in problem.expected


def test_unknown_columns_are_kept(tmp_path):
    text = "risk_id,description,Directorate,Board notes,L,I\nR1,Roof,Place,Seen in May,2,3\n"
    reg = load_register(_csv(tmp_path, text), WCAPE)
    assert reg.extra_columns == ["Directorate", "Board notes"]
    assert reg.frame.loc[0, "Directorate"] == "Place"
    assert reg.frame.loc[0, "Board notes"] == "Seen in May"


def test_neutralised_formula_cells_lose_the_apostrophe(tmp_path):
    text = "risk_id,description,controls,Notes,L,I\nR1,'=SUM(A1),'+1 review,'@home,,\nR2,It's fine,'plain,x,,\n"
    reg = load_register(_csv(tmp_path, text), WCAPE)
    first, second = reg.frame.iloc[0], reg.frame.iloc[1]
    assert first["description"] == "=SUM(A1)"
    assert first["controls"] == "+1 review"
    assert first["Notes"] == "@home"
    # only an apostrophe in front of a formula character is the exporter's
    assert second["description"] == "It's fine"
    assert second["controls"] == "'plain"


def test_unsupported_suffix_and_missing_file(tmp_path):
    odd = tmp_path / "register.ods"
    odd.write_bytes(b"whatever")
    with pytest.raises(InputError) as info:
        load_register(odd, WCAPE)
    assert info.value.problems[0].value == ".ods"
    with pytest.raises(InputError) as info:
        load_register(tmp_path / "absent.csv", WCAPE)
    assert "existing" in info.value.problems[0].expected


# ---- .xlsx -------------------------------------------------------------------------------------------


@pytest.fixture
def workbook(tmp_path) -> Path:
    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "Register"
    first.append(["risk_id", "description", "inherent_likelihood", "inherent_impact"])
    first.append(["F1", "From the first sheet", 1, 1])
    second = wb.create_sheet("Risks 2025")
    second.append(["Directorate risk register 2025"])
    second.append(["Risk ID", "Description", "Likelihood", "Impact", "Due date", "Review date", "Progress"])
    second.append(["R1", "Roof", 3.0, 4, dt.datetime(2025, 6, 30), dt.date(2025, 9, 1), 100.0])
    second.append([101.0, "Pay", "Likely", 2.0, None, None, 25])
    path = tmp_path / "register.xlsx"
    wb.save(path)
    return path


def test_xlsx_first_sheet_by_default(workbook):
    reg = load_register(workbook, WCAPE)
    assert reg.frame["risk_id"].tolist() == ["F1"]
    assert reg.frame["row"].tolist() == [2]
    assert reg.frame.loc[0, "description"] == "From the first sheet"


def test_xlsx_named_sheet_with_title_row(workbook):
    table = read_table(workbook, column_spec().columns, sheet="Risks 2025")
    assert table.header_row == 2
    frame = table.frame
    assert frame[ROW].tolist() == [3, 4]
    # whole-number floats read as integers' text; ids typed as numbers stay readable
    assert frame["inherent_likelihood"].tolist() == ["3", "Likely"]
    assert frame["inherent_impact"].tolist() == ["4", "2"]
    assert frame["risk_id"].tolist() == ["R1", "101"]
    assert frame["due_date"].tolist() == ["2025-06-30", ""]
    assert frame["progress"].tolist() == ["100", "25"]

    reg = load_register(workbook, WCAPE, sheet="Risks 2025")
    assert reg.frame["row"].tolist() == [3, 4]
    assert reg.frame["due_date"].tolist()[0] == dt.date(2025, 6, 30)
    assert reg.frame["review_date"].tolist()[0] == dt.date(2025, 9, 1)
    assert reg.frame["inherent_likelihood"].tolist() == [3, 4]
    assert reg.frame["inherent_impact"].tolist() == [4, 2]
    assert reg.frame["complete"].tolist() == [True, False]


def test_xlsx_unknown_sheet_names_the_available_sheets(workbook):
    with pytest.raises(InputError) as info:
        load_register(workbook, WCAPE, sheet="Risks 2024")
    (problem,) = info.value.problems
    assert problem.value == "Risks 2024"
    assert "Register" in problem.expected and "Risks 2025" in problem.expected


def test_xlsx_non_integer_number_is_kept_and_refused(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["risk_id", "description", "inherent_likelihood", "inherent_impact"])
    wb.active.append(["R1", "Roof", 2.5, 3])
    path = tmp_path / "half.xlsx"
    wb.save(path)
    problems = _problems(path)
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "inherent_likelihood (column C)", "2.5")]


def test_unreadable_xlsx_is_an_input_error(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"this is not a zip file")
    with pytest.raises(InputError) as info:
        load_register(path, WCAPE)
    assert "readable .xlsx" in info.value.problems[0].expected


# ---- a broken register: every problem at once --------------------------------------------------------

BROKEN = """Karoo risk register (draft),,,,
Risk ID,Likelihood,Impact,Due date,Owner
R1,3,4,2025-06-30,A
R2,Sometimes,2,,B
R1,7,4,,C

R4,2,3,31/02/2025,D
R5,4,,,E
"""


def test_broken_register_reports_every_problem(tmp_path):
    path = _csv(tmp_path, BROKEN)
    with pytest.raises(InputError) as info:
        load_register(path, WCAPE)
    err = info.value
    problems = err.problems
    assert len(problems) == 7
    assert str(err).startswith("7 problems found")
    assert all(p.file == str(path) for p in problems)
    found = {(p.row, p.column): p for p in problems}
    assert len(found) == 7

    missing = found[(2, None)]  # the header row, as the user sees it; no internal name in the message
    assert missing.value == ""
    assert missing.expected.startswith("a column for the description, but no column holds it: headings such as "
                                       "Risk description, Risk,")

    for row in (3, 5):
        dup = found[(row, "Risk ID (column A)")]
        assert dup.value == "R1"
        assert "unique" in dup.expected and "3, 5" in dup.expected

    label = found[(4, "Likelihood (column B: inherent likelihood)")]
    assert label.value == "Sometimes"
    assert "1-5" in label.expected and "Almost certain" in label.expected

    out_of_range = found[(5, "Likelihood (column B: inherent likelihood)")]
    assert out_of_range.value == "7"

    bad_date = found[(7, "Due date (column D)")]
    assert bad_date.value == "31/02/2025"
    assert "date" in bad_date.expected

    half = found[(8, "Impact (column C: inherent impact)")]  # the user's heading first, then its letter and meaning
    assert half.value == ""
    assert "'Likelihood' is '4'" in half.expected

    # sorted by row so the user can walk down the file
    assert [p.row for p in problems] == sorted(p.row for p in problems)
    frame = err.to_frame()
    assert list(frame.columns) == ["file", "row", "column", "value", "expected"]
    assert len(frame) == 7


def test_impact_without_likelihood_names_the_missing_one(tmp_path):
    text = "risk_id,description,inherent_likelihood,inherent_impact,residual_likelihood,residual_impact\n" \
           "R1,Roof,,Major,2,\n"
    problems = _problems(_csv(tmp_path, text))
    assert {(p.row, p.column) for p in problems} == {(2, "inherent_likelihood (column C)"),
                                                     (2, "residual_impact (column F)")}
    assert len(problems) == 2


def test_required_value_and_bad_response_and_progress(tmp_path):
    text = "risk_id,description,response,progress,control_effectiveness,Likelihood,Impact\n" \
           ",Roof,ignore it,150%,Effective,,\nR2,,tolerate,50,Sort of,,\n"
    problems = _problems(_csv(tmp_path, text))
    got = {(p.row, p.column, p.value) for p in problems}
    # an empty ID is named by its row (said in the reading), never a refusal
    assert got == {(2, "response (column C)", "ignore it"), (2, "progress (column D)", "150%"),
                   (3, "description (column B)", ""), (3, "control_effectiveness (column E)", "Sort of")}


def test_labels_are_checked_against_the_chosen_methodology(tmp_path):
    text = "risk_id,description,inherent_likelihood,inherent_impact\nR1,Roof,Very significant,Serious\n"
    path = _csv(tmp_path, text)
    reg = load_register(path, TORBAY)
    assert (reg.frame.loc[0, "inherent_likelihood"], reg.frame.loc[0, "inherent_impact"]) == (6, 3)
    problems = _problems(path, WCAPE)
    assert {p.value for p in problems} == {"Very significant", "Serious"}


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    problems = _problems(path)
    assert len(problems) == 1
    assert "empty" in problems[0].expected
    assert problems[0].file == str(path)


def test_header_only_file_is_refused(tmp_path):
    problems = _problems(_csv(tmp_path, "risk_id,description,inherent_likelihood,inherent_impact\n"))
    assert len(problems) == 1
    assert problems[0].row == 2
    assert "at least one risk below the header row" in problems[0].expected


def test_file_without_a_header_is_refused(tmp_path):
    problems = _problems(_csv(tmp_path, "apples,pears\n1,2\n"))
    assert len(problems) == 1
    assert problems[0].row == 1
    assert "header row" in problems[0].expected


def test_problem_line_is_readable():
    p = Problem("r.csv", 4, "due_date", "31/02/2025", "a date")
    assert p.line() == "r.csv: row 4, column 'due_date': value '31/02/2025': expected a date"
    assert Problem("r.csv", None, None, "", "a file").line() == "r.csv: file: expected a file"


@pytest.mark.parametrize("text, expected", [
    ("2025-06-30", dt.date(2025, 6, 30)),
    ("30/06/2025", dt.date(2025, 6, 30)),
    ("30.06.2025", dt.date(2025, 6, 30)),
    ("30 June 2025", dt.date(2025, 6, 30)),
    ("2025-06-30 00:00:00", dt.date(2025, 6, 30)),
    ("", None),
    ("31/02/2025", None),
    ("soon", None),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


# ---- property: validation never fails with anything but InputError -----------------------------------

CANONICAL = list(column_spec().columns)
_heading = st.one_of(st.sampled_from(CANONICAL), st.text(min_size=0, max_size=12))
_cell = st.one_of(
    st.just(""),
    st.sampled_from(["1", "3", "5", "9", "0", "Likely", "almost certain", "VH", "Effective", "mitigate",
                     "2025-06-30", "31/02/2025", "100%", "done", "R1", "'=1", " 2 "]),
    st.text(max_size=15),
)


@st.composite
def _frames(draw):
    names = draw(st.lists(_heading, min_size=0, max_size=8, unique=True).filter(lambda ns: ROW not in ns))
    n_rows = draw(st.integers(min_value=0, max_value=5))
    rows = [[draw(_cell) for _ in names] for _ in range(n_rows)]
    if draw(st.booleans()):  # often a plausible register: required columns with ids and descriptions
        names = [n for n in names if n not in ("risk_id", "description")]
        rows = [[f"R{i}", draw(st.text(min_size=1, max_size=10)), *(draw(_cell) for _ in names)]
                for i in range(n_rows)]
        names = ["risk_id", "description", *names]
    frame = pd.DataFrame(rows, columns=names, dtype=object)
    frame.insert(0, ROW, list(range(2, 2 + n_rows)))
    return frame


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=_frames(), m=st.sampled_from([WCAPE, MOPAC, TORBAY]))
def test_validation_raises_only_input_error(frame, m):
    table = Table(file="x.csv", frame=frame, header_row=1)
    try:
        reg = validate_register(table, m)
    except InputError as exc:
        assert exc.problems
        assert all(p.file == "x.csv" for p in exc.problems)
        rows = set(frame[ROW]) | {1, 2}  # data rows, the header row, or the row below an empty header
        assert all(p.row is None or p.row in rows for p in exc.problems)
    else:
        assert len(reg.frame) == len(frame) > 0
        assert reg.frame["row"].tolist() == frame[ROW].tolist()
        assert (reg.frame["risk_id"] != "").all() and reg.frame["risk_id"].is_unique
        for col in ("inherent_likelihood", "inherent_impact"):
            values = reg.frame[col].dropna()
            assert values.between(1, len(getattr(m, col.split("_")[1]))).all()


# ---- regressions found while reviewing the reader --------------------------------------------------
def test_stray_bom_on_cp1252_text_still_reads(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "risk_id,description,L,I\nR1,caf\u00e9 \u00a3,2,2\n".encode("cp1252"))
    reg = load_register(path, load_methodology("western-cape-5x5").methodology)
    assert reg.frame.loc[0, "description"] == "caf\u00e9 \u00a3"


def test_register_column_named_like_a_computed_one_is_kept_aside(tmp_path):
    path = tmp_path / "clash.csv"
    path.write_text("risk_id,description,rated,row,Likelihood,Impact\nR1,Roof,yes,A,,\n")
    reg = load_register(path, load_methodology("western-cape-5x5").methodology)
    assert reg.frame.loc[0, "row"] == 2 and not reg.frame.loc[0, "rated"]
    assert reg.frame.loc[0, "rated (register)"] == "yes" and "row (register)" in reg.extra_columns


def test_likelihood_without_an_impact_column_is_an_error(tmp_path):
    path = tmp_path / "half.csv"
    path.write_text("risk_id,description,Likelihood\nR1,Roof,5\nR2,Wall,\n")
    with pytest.raises(InputError) as err:
        load_register(path, load_methodology("western-cape-5x5").methodology)
    [problem] = err.value.problems  # one problem for the column, not one per row
    assert (problem.row, problem.column) == (1, "Likelihood (column C: inherent likelihood)")
    assert "inherent impact too" in problem.expected


def test_csv_ratings_written_as_floats_are_accepted(tmp_path):
    path = tmp_path / "floats.csv"
    path.write_text("risk_id,description,inherent_likelihood,inherent_impact\nR1,Roof,3.0,4.0\nR2,Wall,2.5,1\n")
    with pytest.raises(InputError) as err:
        load_register(path, load_methodology("western-cape-5x5").methodology)
    assert [(p.row, p.value) for p in err.value.problems] == [(3, "2.5")]
