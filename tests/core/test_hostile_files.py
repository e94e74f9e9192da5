"""Hostile and oversized files are refused by the reader in one clear line each (issue "Hostile and oversized
input"), without echoing the file and, for bombs, without the memory they would take.

The files come from tests/hostile.py; each carries hostile.SECRET, which no message may show.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests import hostile
from tests.conftest import ROOT
from tests.hostile import SECRET
from workbook_lib.cli import app
from workbook_lib.core.errors import InputError
from workbook_lib.core.tables import read_rows, read_table

COLUMNS = {"risk_id": ["Risk ID"], "description": ["Description"], "owner": ["Owner"]}
WHOLE = "file: expected a readable .xlsx or CSV file; "  # how a whole file's refusal starts
MEMORY_MB = 400  # a reader's peak, imports included, while refusing a bomb (unguarded: 1-2 GB)


def refused(path: Path, **kw: str) -> InputError:
    """The InputError read_rows raises: every problem one line, none quoting the file."""
    with pytest.raises(InputError) as caught:
        read_rows(path, **kw)
    error = caught.value
    assert SECRET not in str(error)
    assert "Traceback" not in str(error) and error.__cause__ is None
    assert all("\n" not in p.line() for p in error.problems)
    return error


def first(error: InputError) -> str:
    return error.problems[0].line()


def peak(path: Path, env: dict[str, str] | None = None) -> tuple[str, float]:
    """Read ``path`` in a fresh interpreter: (its first problem line, its peak memory in MB)."""
    code = textwrap.dedent(f"""
        import json, re
        from pathlib import Path
        from workbook_lib.core.errors import InputError
        from workbook_lib.core.tables import read_rows
        try:
            read_rows({str(path)!r})
            line = "read"
        except InputError as error:
            line = error.problems[0].line()
        # VmHWM: this process's own peak (ru_maxrss would carry the parent's across fork and exec)
        hwm = re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1)
        print(json.dumps([line, int(hwm) / 1024]))
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**_environ(), **(env or {})})
    assert done.returncode == 0, done.stderr[-2000:]
    line, mb = json.loads(done.stdout.strip().splitlines()[-1])
    return line, mb


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("WORKBOOK_MAX_")}


# ---- 1. zip bombs and row limits --------------------------------------------------------------------------

def test_a_workbook_inflating_past_the_limit_is_refused_before_parsing(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_MAX_XLSX_BYTES", "5000000")
    error = refused(hostile.zip_bomb_xlsx(tmp_path, inflated_mb=8))
    assert first(error).endswith(WHOLE + "this workbook inflates to 8 MB, over the limit of 5 MB; set "
                                 "WORKBOOK_MAX_XLSX_BYTES (in bytes) to raise it")


def test_a_part_compressed_past_the_ratio_is_refused(tmp_path):
    error = refused(hostile.zip_bomb_xlsx(tmp_path, inflated_mb=8))
    assert "a part of this workbook inflates with ratio " in first(error)
    assert first(error).endswith("to 1, over the limit of 100; set WORKBOOK_MAX_XLSX_RATIO to raise it")


def test_raising_the_limits_lets_a_large_workbook_through(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_MAX_XLSX_RATIO", "5000")
    rows = read_rows(hostile.zip_bomb_xlsx(tmp_path, inflated_mb=8))
    assert [n for n, _ in rows] == [1, 2] and rows[1][1][0] == "R1"


def test_a_limit_that_is_not_a_number_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_MAX_ROWS", "lots")
    error = refused(hostile.nul_csv(tmp_path))
    assert first(error).endswith("value 'lots': expected WORKBOOK_MAX_ROWS (in the environment) to be a whole "
                                 "number above 0")


def test_a_realistic_zip_bomb_is_refused_in_bounded_memory(tmp_path):
    bomb = hostile.zip_bomb_xlsx(tmp_path)  # 256 MiB inflated, the default limit is 200 MB
    assert bomb.stat().st_size < 2_000_000
    line, mb = peak(bomb)
    assert line.endswith("this workbook inflates to 268 MB, over the limit of 200 MB; set WORKBOOK_MAX_XLSX_BYTES "
                         "(in bytes) to raise it")
    assert mb < MEMORY_MB


def test_a_bomb_understating_its_size_is_stopped_by_the_reader(tmp_path):
    # the limits trust the sizes in the zip directory; calamine's zip reader stops a part at its declared size
    error = refused(hostile.forged_size_xlsx(tmp_path))
    assert first(error).endswith(WHOLE + "this is not a readable Excel workbook (XmlError); save it again from "
                                 "Excel as .xlsx")


def test_rows_over_the_limit_are_refused_as_they_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_MAX_ROWS", "1000")
    assert len(read_rows(hostile.long_rows_csv(tmp_path, 1000))) == 1001  # the header and exactly the limit
    error = refused(hostile.long_rows_csv(tmp_path, 1001, "more.csv"))
    assert first(error).endswith("file: expected at most 1,000 data rows; this file has more, over the limit of "
                                 "1,000; set WORKBOOK_MAX_ROWS to raise it")


def test_rows_over_the_limit_in_a_workbook_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_MAX_ROWS", "40")
    error = refused(hostile.control_char_xlsx(tmp_path, cells=60))  # 61 non-empty rows
    assert first(error).endswith("expected at most 40 data rows; this file has more, over the limit of 40; set "
                                 "WORKBOOK_MAX_ROWS to raise it")


def test_three_million_rows_are_refused_in_bounded_memory(tmp_path):
    path = hostile.long_rows_csv(tmp_path, 3_000_000)  # 35 MB; all of it as rows would take about 1 GB
    line, mb = peak(path)
    assert line.endswith("expected at most 250,000 data rows; this file has more, over the limit of 250,000; set "
                         "WORKBOOK_MAX_ROWS to raise it")
    assert mb < MEMORY_MB


# ---- 2. XML entity declarations (billion laughs) ----------------------------------------------------------

@pytest.mark.parametrize("part", ["sheet", "sharedStrings"])
def test_entity_declarations_are_refused_in_one_line(tmp_path, part):
    error = refused(hostile.billion_laughs_xlsx(tmp_path, part=part))
    assert first(error) == (f"{tmp_path / 'laughs.xlsx'}: {WHOLE}this is not a readable Excel workbook: it contains "
                            "XML entity declarations (DOCTYPE), which are refused")


def test_a_calamine_failure_is_one_line_without_the_files_text(tmp_path):
    path = hostile.minimal_xlsx(tmp_path / "broken.xlsx")
    hostile.rewrite(path, {"xl/worksheets/sheet1.xml": f"<worksheet><sheetData><row><c t='s'><v>{SECRET}"})
    error = refused(path)
    assert "this is not a readable Excel workbook (" in first(error)
    assert first(error).endswith("); save it again from Excel as .xlsx")


# ---- 3. control characters ---------------------------------------------------------------------------------

def test_control_characters_in_a_csv_are_named_by_row_and_column(tmp_path):
    error = refused(hostile.nul_csv(tmp_path))
    # row 4 spans two lines: R4 is on spreadsheet row 5 (issue 24)
    assert [(p.row, p.column) for p in error.problems] == [(3, "C"), (5, "B")]
    assert first(error).endswith("row 3, column 'C': expected text only; the cell holds a control character "
                                 "(U+0000) that a spreadsheet cannot hold; remove it")
    assert "(U+001B)" in error.problems[1].line()


def test_control_characters_in_a_workbook_are_named_by_row_and_column(tmp_path):
    error = refused(hostile.control_char_xlsx(tmp_path))
    assert first(error).endswith("row 2, column 'C': expected text only; the cell holds a control character "
                                 "(U+000B) that a spreadsheet cannot hold; remove it")


def test_many_control_characters_are_listed_up_to_50_then_counted(tmp_path):
    error = refused(hostile.control_char_xlsx(tmp_path, cells=60))
    assert len(error.problems) == 51
    last = error.problems[-1]
    assert (last.row, last.column) == (52, "B")
    assert last.expected == ("text only; and 10 more from this cell on hold a control character that a spreadsheet "
                             "cannot hold; remove them")


def test_tabs_and_newlines_inside_cells_are_text(tmp_path):
    path = tmp_path / "tabs.csv"
    path.write_text('Risk ID,Description,Owner\r\nR1,"two\tcolumns\r\nand two lines",Ops\r\nR2,plain,IT\r\n',
                    encoding="utf-8")
    rows = read_rows(path)
    assert rows == [(1, ["Risk ID", "Description", "Owner"]), (2, ["R1", "two\tcolumns\r\nand two lines", "Ops"]),
                    (3, ["R2", "plain", "IT"])]  # the row a spreadsheet shows, not the line (issue 24)
    assert read_table(path, COLUMNS).frame["description"].tolist() == ["two\tcolumns\r\nand two lines", "plain"]


# ---- 4. unclear refusals ------------------------------------------------------------------------------------

def test_utf16_with_a_byte_order_mark_is_read(tmp_path):
    table = read_table(hostile.utf16_csv(tmp_path), COLUMNS)
    assert table.frame["description"].tolist() == [f"Défaillance fournisseur {SECRET}", "Data breach"]
    assert table.frame["_row"].tolist() == [2, 3]


def test_utf16_without_a_byte_order_mark_is_refused(tmp_path):
    error = refused(hostile.utf16_csv(tmp_path, bom=False))
    assert first(error).endswith(WHOLE + "UTF-16 without a byte-order mark is not supported; save as CSV UTF-8")


@pytest.mark.parametrize("name", ["legacy.xlsx", "legacy.xls"])
def test_an_old_or_password_protected_workbook_is_named(tmp_path, name):
    error = refused(hostile.ole2_xls(tmp_path, name))
    assert first(error).endswith(WHOLE + "this is an Excel 97-2003 (.xls) or password-protected workbook; save it "
                                 "as .xlsx without a password")


def test_a_text_file_named_xlsx_is_named(tmp_path):
    error = refused(hostile.renamed_text_xlsx(tmp_path))
    assert first(error).endswith(WHOLE + "this is not an .xlsx workbook (it is not a zip archive); save it from "
                                 "Excel as .xlsx or as CSV")
    assert "EOCD" not in str(error)


def test_a_link_is_refused_without_reading_it(tmp_path):
    link = hostile.symlinked_csv(tmp_path)
    error = refused(link)
    assert first(error) == f"{link}: {WHOLE}this is a link to another file; give the file itself"
    with pytest.raises(InputError) as caught:
        read_table(link, COLUMNS)
    assert SECRET not in str(caught.value)


def test_no_header_row_shows_at_most_60_characters(tmp_path):
    path = tmp_path / "no_header.csv"
    path.write_text(f"{'x' * 70} {SECRET},b\nc,d\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_table(path, COLUMNS)
    value = caught.value.problems[0].value
    assert SECRET not in str(caught.value) and value == "x" * 59 + "\u2026"


# ---- 5. binary data -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("zeros", [False, True], ids=["random", "nul-bytes"])
def test_binary_data_named_csv_is_not_a_text_file(tmp_path, zeros):
    error = refused(hostile.binary_csv(tmp_path, zeros=zeros))
    assert len(error.problems) == 1
    assert first(error).endswith(WHOLE + "this is not a text CSV file; save it from Excel as CSV UTF-8")


# ---- end to end: what `workbook validate` prints ----------------------------------------------------------

def test_validate_prints_one_line_and_exits_2(tmp_path):
    for path in (hostile.billion_laughs_xlsx(tmp_path), hostile.symlinked_csv(tmp_path),
                 hostile.renamed_text_xlsx(tmp_path), hostile.nul_csv(tmp_path)):
        result = CliRunner().invoke(app, ["validate", str(path), "-m", "torbay-2004"])
        assert result.exit_code == 2, (path.name, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output and SECRET not in result.output
        assert WHOLE + "this is" in result.output or "control character (U+0000)" in result.output
