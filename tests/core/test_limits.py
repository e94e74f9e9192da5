"""The limits on what the suite reads (core/limits.py, issue "Hostile and oversized input", items 2-6, 8 and 12): each
input over a limit is refused in one line naming the limit and the variable that raises it, in bounded memory and
time, before anything is built from it; numbers that are not finite never reach the JSON; messages never flood.

Hostile files come from tests/hostile.py (each carries hostile.SECRET, which no message may show); the limits are
lowered through their environment variables where that keeps a test fast.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests import hostile
from tests.conftest import ROOT
from tests.hostile import SECRET
from workbook_lib.assessments.monitoring.catalogue import CatalogueError, load_catalogue
from workbook_lib.assessments.monitoring.readings import READINGS_COLUMNS, validate_readings
from workbook_lib.assessments.monitoring.tolerance import ToleranceError, parse_tolerance
from workbook_lib.assessments.risk.check import check_methodology
from workbook_lib.assessments.risk.earlier_report import read_report
from workbook_lib.assessments.risk.methodology import MethodologyError, load_methodology
from workbook_lib.assessments.risk.register import load_register
from workbook_lib.cli import app
from workbook_lib.core import limits, tables
from workbook_lib.core.datafiles import YamlRefused, load_yaml
from workbook_lib.core.errors import InputError, Problem, problems_from_json, problems_json, quote
from workbook_lib.core.outputs import write_json
from workbook_lib.core.params import CommonParams, ParameterError, load_file, read_file
from workbook_lib.core.tables import read_rows, read_table

COLUMNS = {"risk_id": ["Risk ID"], "description": ["Description"], "owner": ["Owner"]}
WCAPE = load_methodology("western-cape-5x5")
PARAMS = "organisation: Limits Test\nperiod: 2025-26\nas_of: 2025-11-30\nmethodology: western-cape-5x5\n"


@pytest.fixture(autouse=True)
def _default_limits(monkeypatch):
    """Every test starts from the documented defaults, whatever the environment running the suite sets."""
    for limit in limits.ALL:
        monkeypatch.delenv(limit.variable, raising=False)


def refused(path: Path, **kw: str) -> str:
    """The one line read_rows refuses ``path`` with (nothing of the file quoted)."""
    with pytest.raises(InputError) as caught:
        read_rows(path, **kw)
    error = caught.value
    assert len(error.problems) == 1 and SECRET not in str(error) and error.__cause__ is None
    return error.problems[0].line()


def bounded(code: str, env: dict[str, str] | None = None, memory_mb: int = 1500, timeout: int = 60) -> tuple[int, str]:
    """Run ``code`` in a fresh interpreter whose address space is capped at ``memory_mb``: (its exit status, its last
    line of output). A reader that asks for more dies (SIGABRT from Rust, MemoryError from Python)."""
    wrapped = (f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({memory_mb << 20}, {memory_mb << 20}))\n"
               + textwrap.dedent(code))
    environ = {k: v for k, v in os.environ.items() if not k.startswith("WORKBOOK_MAX_")}
    try:
        done = subprocess.run([sys.executable, "-c", wrapped], cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout, env={**environ, **(env or {})})
    except subprocess.TimeoutExpired:
        return -1, f"not done in {timeout} s"
    lines = (done.stdout.strip() or done.stderr.strip() or "(nothing)").splitlines()
    return done.returncode, lines[-1]


def read_bounded(path: Path, env: dict[str, str] | None = None, memory_mb: int = 1500) -> tuple[int, str]:
    """read_rows(path) under a memory cap: (exit status, the first problem's line or "read N rows")."""
    return bounded(f"""
        from workbook_lib.core.errors import InputError
        from workbook_lib.core.tables import read_rows
        try:
            print("read", len(read_rows({str(path)!r})), "rows")
        except InputError as error:
            print(error.problems[0].line())
    """, env, memory_mb)


# ---- the limits themselves ------------------------------------------------------------------------------------

def test_every_limit_has_its_own_variable_and_is_documented():
    variables = [limit.variable for limit in limits.ALL]
    assert len(set(variables)) == len(variables) and all(v.startswith("WORKBOOK_MAX_") for v in variables)
    docs = (ROOT / "docs" / "registers.md").read_text(encoding="utf-8")
    section = docs[docs.index("## Limits"):]
    assert [v for v in variables if v not in section] == []
    assert [v for v in variables if v not in (limits.__doc__ or "")] == []


def test_a_limit_set_in_the_environment_is_used_and_a_bad_one_is_named(monkeypatch):
    monkeypatch.setenv("WORKBOOK_MAX_CELLS", "1_000")
    assert limits.MAX_CELLS.value() == 1000
    monkeypatch.setenv("WORKBOOK_MAX_CELLS", "-3")
    with pytest.raises(limits.LimitSettingError, match="WORKBOOK_MAX_CELLS"):
        limits.MAX_CELLS.value()
    assert limits.shown_limit(limits.MAX_CELLS) == 5_000_000


# ---- 2. a workbook's used range and shared strings, read before calamine lays the sheet out ---------------------

def test_a_cell_at_xfd1048576_is_refused_before_calamine_asks_for_512_gib(tmp_path):
    path = hostile.far_cell_xlsx(tmp_path)
    assert path.stat().st_size < 5_000
    status, line = read_bounded(path)
    assert status == 0, f"the reader died (status {status}): {line}"  # unguarded: SIGABRT, status -6
    assert line.endswith("file: expected at most 1,000 columns; the sheet 'Sheet' spans 16,384 columns "
                         "(A1:XFD1048576), over the limit of 1,000 columns; set WORKBOOK_MAX_COLUMNS to raise it")


def test_a_used_range_over_the_cell_limit_is_refused_naming_it(tmp_path):
    path = hostile.far_cell_xlsx(tmp_path, "ALL20000")  # 1,000 columns x 20,000 rows: 20 million cells
    status, line = read_bounded(path, memory_mb=1000)
    assert status == 0, line
    assert line.endswith("file: expected at most 5,000,000 cells (rows x columns); the sheet 'Sheet' spans "
                         "A1:ALL20000, 20,000 rows of 1,000 columns, over the limit of 5,000,000 cells; set "
                         "WORKBOOK_MAX_CELLS to raise it")


def test_the_cell_limit_can_be_lowered_and_raised(tmp_path, monkeypatch):
    path = hostile.far_cell_xlsx(tmp_path, "E40")  # A1:E40, 200 cells
    monkeypatch.setenv("WORKBOOK_MAX_CELLS", "199")
    assert "the sheet 'Sheet' spans A1:E40, 40 rows of 5 columns, over the limit of 199 cells" in refused(path)
    monkeypatch.setenv("WORKBOOK_MAX_CELLS", "200")
    assert [n for n, _ in read_rows(path)] == [1, 2, 40]


def test_a_shared_string_repeated_in_many_cells_is_refused_in_bounded_memory(tmp_path):
    path = hostile.shared_strings_xlsx(tmp_path)  # 900 KB used by 200 cells: 180 MB once copied into each
    assert path.stat().st_size < 100_000
    status, line = read_bounded(path, memory_mb=700)
    assert status == 0, line
    assert line.endswith("file: expected a readable .xlsx or CSV file; the sheet 'Sheet' holds more than 100 MB "
                         "of text (each shared string counted in every cell that uses it), over the limit of 100 MB; "
                         "set WORKBOOK_MAX_FILE_MB to raise it")


def test_shared_strings_within_the_limit_read_as_before(tmp_path, monkeypatch):
    path = hostile.shared_strings_xlsx(tmp_path, chars=1000, cells=3)
    rows = read_rows(path)
    assert [n for n, _ in rows] == [1, 2, 3, 4] and rows[1][1][1] == SECRET + "a" * 1000
    monkeypatch.setenv("WORKBOOK_MAX_FILE_MB", "1")
    assert "holds more than 1 MB of text" in refused(hostile.shared_strings_xlsx(tmp_path, 400_000, 3, "more.xlsx"))


@pytest.mark.parametrize("layout", ["prefixed", "no references", "single quotes"])
def test_a_sheet_written_otherwise_is_read_by_the_xml_parser_and_still_refused(tmp_path, layout):
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    if layout == "prefixed":
        sheet = (f'<x:worksheet xmlns:x="{main}"><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>'
                 f'Risk ID</x:t></x:is></x:c></x:row><x:row r="1048576"><x:c r="XFD1048576" t="inlineStr"><x:is>'
                 f'<x:t>{SECRET}</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>')
    elif layout == "no references":  # cells placed one after another: 2,000 of them in one row
        cells = "".join(f'<c t="inlineStr"><is><t>{i}</t></is></c>' for i in range(2000))
        sheet = f'<worksheet xmlns="{main}"><sheetData><row r="1">{cells}</row></sheetData></worksheet>'
    else:
        sheet = (f"<worksheet xmlns='{main}'><sheetData><row r='1'><c r='A1' t='inlineStr'><is><t>Risk ID</t></is>"
                 f"</c><c r='XFD1' t='inlineStr'><is><t>{SECRET}</t></is></c></row></sheetData></worksheet>")
    path = hostile.rewrite(hostile.minimal_xlsx(tmp_path / "odd.xlsx"), {"xl/worksheets/sheet1.xml": sheet})
    status, line = read_bounded(path)
    assert status == 0, line
    assert "expected at most 1,000 columns; the sheet 'Sheet' spans " in line
    assert line.endswith("), over the limit of 1,000 columns; set WORKBOOK_MAX_COLUMNS to raise it")


def test_the_sheet_checked_is_the_one_read(tmp_path):
    """A far cell on a second sheet does not stop the first from being read; asked for by name, it is refused."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(hostile.HEADER)
    book.active.append(["R1", "Supplier failure", "Ops", "3", "4"])
    lookups = book.create_sheet("Lookups")
    lookups["A1"], lookups["XFD1048576"] = "near", "far"
    path = tmp_path / "two.xlsx"
    book.save(path)
    assert [n for n, _ in read_rows(path)] == [1, 2]
    assert "the sheet 'Lookups' spans 16,384 columns" in refused(path, sheet="Lookups")


def test_the_far_cell_uploaded_in_the_risk_form_is_a_plain_sentence_and_the_kernel_lives(tmp_path):
    """The form's import reads the upload with the same reader: one sentence in the form, nothing saved (unguarded,
    calamine's abort killed the kernel). In a fresh interpreter, so an abort cannot take the test run with it."""
    path, db = hostile.far_cell_xlsx(tmp_path), tmp_path / "store.db"
    status, line = bounded(f"""
        import datetime as dt, json, os
        from pathlib import Path
        for name in ("SERVER_SOFTWARE", "QUERY_STRING", "WORKBOOK_USER_HEADER", "HTTP_X_FORWARDED_USER",
                     "VOILA_PREHEAT"):
            os.environ.pop(name, None)
        from tests.form_kit import Recorder
        from workbook_lib.assessments.risk.form import RiskRegisterForm
        from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
        from workbook_lib.core.store import Store
        store = Store({str(db)!r})
        params = RiskEvaluationParams(organisation="Limits Test", period="2026-27", as_of="2026-11-30",
                                      methodology="western-cape-5x5", source="store", store_url=store.url)
        form = RiskRegisterForm(params, Recorder(), store=store)
        form.respondent.name.value = "Thandi Mokoena"
        content = Path({str(path)!r}).read_bytes()
        form.upload.value = ({{"name": "far.xlsx", "type": "application/vnd.ms-excel", "size": len(content),
                               "last_modified": dt.datetime.now(), "content": memoryview(content)}},)
        form.check.click()
        print(json.dumps([form.feedback.value, form.confirm_import.disabled,
                          len(store.current("Limits Test", "2026-27", "risk"))]))
    """, memory_mb=3000, timeout=120)
    assert status == 0, line
    feedback, disabled, saved = json.loads(line)
    assert 'class="wb-error"' in feedback and "1 problem(s); nothing was saved." in feedback
    assert "spans 16,384 columns (A1:XFD1048576), over the limit of 1,000 columns" in feedback
    assert SECRET not in feedback and "Traceback" not in feedback and disabled and saved == 0


def test_a_real_workbook_reads_every_cell_as_before(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet["B3"] = "Risk register"
    sheet.append([None, *hostile.HEADER])
    for i in range(1, 301):
        sheet.append([None, f"R{i}", f"Risk {i} & <more>", "Ops", i % 5 + 1, 2.5 if i == 7 else i % 4 + 1])
    path = tmp_path / "real.xlsx"
    book.save(path)
    rows = read_rows(path)
    assert len(rows) == 302 and rows[0] == (3, ["", "Risk register", "", "", "", ""])  # as wide as the sheet
    assert rows[1][1] == ["", *hostile.HEADER] and rows[-1][1] == ["", "R300", "Risk 300 & <more>", "Ops", "1", "1"]
    assert rows[8][1][5] == "2.5"


# ---- 6. width: columns and cells while a CSV is read, file sizes ------------------------------------------------

def test_a_million_column_headings_are_refused_before_the_line_is_split(tmp_path):
    path = hostile.wide_csv(tmp_path, 1_000_000)
    start = time.perf_counter()
    with pytest.raises(InputError) as caught:
        read_table(path, COLUMNS)
    assert time.perf_counter() - start < 10
    assert caught.value.problems[0].line().endswith(
        "row 1: expected at most 1,000 columns; line 1 has 1,000,000, over the limit of 1,000 columns; set "
        "WORKBOOK_MAX_COLUMNS to raise it")


def test_columns_over_the_limit_are_refused_at_the_row_that_passes_it(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_MAX_COLUMNS", "10")
    assert len(read_rows(hostile.wide_csv(tmp_path, 10, rows=3))[0][1]) == 10
    assert refused(hostile.wide_csv(tmp_path, 11, name="eleven.csv")).endswith(
        "row 1: expected at most 10 columns; row 1 has 11, over the limit of 10 columns; set WORKBOOK_MAX_COLUMNS to "
        "raise it")


def test_cells_over_the_limit_are_refused_as_the_rows_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_MAX_CELLS", "100")
    assert len(read_rows(hostile.wide_csv(tmp_path, 10, rows=10))) == 11  # 10 data rows of 10 columns
    assert refused(hostile.wide_csv(tmp_path, 10, rows=11, name="more.csv")).endswith(
        "file: expected at most 100 cells (data rows x columns); this file has more: 11 data rows of up to 10 "
        "columns, over the limit of 100 cells; set WORKBOOK_MAX_CELLS to raise it")


def test_a_narrow_register_at_the_row_limit_is_within_the_cell_limit():
    cells = ["R", "Risk", "Ops", "3", "4", "Cat", "Group", "Controls", "Partly", "Treat", "Owner", "Act", "2025-06-30",
             "2025-06-30", "50", "Open", "", "", "", ""]  # 20 columns, as wide as a full canonical register
    rows = tables._collect("narrow.csv", ((n, cells) for n in range(1, 250_002)))
    assert len(rows) == 250_001


def test_a_register_at_the_column_limit_is_read_without_comparing_its_columns_pairwise(tmp_path, monkeypatch):
    """1,000 columns (the limit): each heading's key is taken a few times, not once per pair of columns (a million
    comparisons took 14.6 s of validate's 15)."""
    from workbook_lib.assessments.risk import interpret
    from workbook_lib.assessments.risk.register import read_register

    calls = []
    monkeypatch.setattr(interpret, "header_key", lambda text: calls.append(1) or tables.header_key(text))
    table = read_register(hostile.wide_csv(tmp_path, 1000, rows=20), WCAPE.methodology)
    assert len(table.frame) == 20 and len(table.readings) == 1000
    assert len(calls) < 10 * 1000


def test_a_csv_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_MAX_FILE_MB", "1")
    path = hostile.long_rows_csv(tmp_path, 150_000)  # about 1.6 MB
    assert refused(path).endswith("file: expected a readable .xlsx or CSV file; this file is 2 MB, over the limit of "
                                  "1 MB; set WORKBOOK_MAX_FILE_MB to raise it")


def _report(path: Path, risks: list[dict], text: str | None = None) -> Path:
    data = {"assessment": "risk-evaluation", "organisation": "Limits Test", "period": "2024-25",
            "methodology": {"name": "western-cape-5x5", "version": "2017.1"}, "banding": "rating", "risks": risks}
    path.write_text(text if text is not None else json.dumps(data), encoding="utf-8")
    return path


def _report_problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_report(path, "2024-25", "Limits Test", WCAPE, None)
    return [p.line() for p in caught.value.problems]


def test_an_earlier_report_over_its_size_or_risk_limit_is_refused(tmp_path, monkeypatch):
    risks = [{"risk_id": f"R{i}", "residual_score": 9, "residual_level": "Medium", "status": "open"}
             for i in range(20_000)]
    path = _report(tmp_path / "earlier.json", risks)
    assert 1_000_000 < path.stat().st_size < 2_000_000
    monkeypatch.setenv("WORKBOOK_MAX_REPORT_MB", "1")
    assert _report_problems(path) == [
        f"{path}: file: expected the risk-evaluation.json an earlier risk evaluation wrote; this file is 2 MB, over "
        "the limit of 1 MB; set WORKBOOK_MAX_REPORT_MB to raise it"]
    monkeypatch.setenv("WORKBOOK_MAX_REPORT_MB", "2")
    monkeypatch.setenv("WORKBOOK_MAX_ROWS", "19999")
    assert _report_problems(path) == [
        f"{path}: column 'risks': expected at most 19,999 risks, as many as a register may hold; this report has "
        "20,000, over the limit of 19,999 rows; set WORKBOOK_MAX_ROWS to raise it"]


# ---- 3 and 4. YAML: depth, bytes, text values, values counted while composed -----------------------------------

DEEP = "organisation: " + "[" * 5000 + "]" * 5000 + "\n"


def test_deep_nesting_is_refused_in_one_line():
    with pytest.raises(YamlRefused) as caught:
        load_yaml(DEEP)
    assert str(caught.value).startswith("the YAML is nested more than 50 levels deep (at organisation > 1 > 1")
    assert str(caught.value).endswith("over the limit of 50 levels; set WORKBOOK_MAX_YAML_DEPTH to raise it")
    assert load_yaml("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 40)) + "  " * 40 + "end") is not None


def _yaml_file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("door", ["run", "validate", "assessments", "settings import", "methodology check"])
def test_every_yaml_door_refuses_deep_nesting_with_one_line_and_exit_2(tmp_path, door):
    deep = _yaml_file(tmp_path, "deep.yaml", PARAMS + "partner_roles: " + "[" * 5000 + "]" * 5000 + "\n")
    register = ROOT / "parameters" / "registers" / "karoo_vale_municipality_2025.csv"
    args = {"run": ["run", "risk-evaluation", "--params", str(deep), "--out", str(tmp_path / "out")],
            "validate": ["validate", str(register), "--params", str(deep)],
            "assessments": ["assessments", "--params", str(deep)],
            "settings import": ["settings", "import", str(deep), "--organisation", "X", "--period", "P", "--who", "T",
                                "--store", f"sqlite:///{tmp_path / 'store.db'}"],
            "methodology check": ["methodology", "check", str(deep)]}[door]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output[-3000:]
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) <= 2, result.output[-3000:]
    assert "nested more than 50 levels deep" in result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "store.db").exists()


def test_a_deep_catalogue_or_data_file_is_refused_in_one_line(tmp_path):
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(_yaml_file(tmp_path, "deep-metrics.yaml", DEEP))
    assert "\n" not in str(caught.value) and "nested more than 50 levels deep" in str(caught.value)


def test_a_parameters_file_over_its_byte_limit_is_refused_before_it_is_parsed(tmp_path):
    path = _yaml_file(tmp_path, "big.yaml", PARAMS + "partner_roles:\n" + "".join(f"  - Role {i}\n"
                                                                                   for i in range(20_000)))
    assert path.stat().st_size > 256_000
    start = time.perf_counter()
    with pytest.raises(ParameterError) as caught:
        read_file(path)
    assert time.perf_counter() - start < 1
    assert str(caught.value) == (f"{path}: refused: the file is {-(-path.stat().st_size // 1024):,} KB, over the "
                                 "limit of 128 KB for a parameters file; set WORKBOOK_MAX_PARAMETERS_KB to raise it")


def test_each_kind_of_yaml_file_has_its_byte_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_MAX_METHODOLOGY_KB", "1")
    monkeypatch.setenv("WORKBOOK_MAX_CATALOGUE_KB", "1")
    method = ROOT / "workbook_lib" / "assessments" / "risk" / "methodologies" / "torbay-2004.yaml"
    with pytest.raises(MethodologyError, match="over the limit of 1 KB for a methodology file; set "
                                               "WORKBOOK_MAX_METHODOLOGY_KB to raise it"):
        load_methodology(method)
    with pytest.raises(CatalogueError, match="over the limit of 1 KB for a metrics catalogue file; set "
                                             "WORKBOOK_MAX_CATALOGUE_KB"):
        load_catalogue()
    ok, text = check_methodology(str(method))
    assert not ok and "\n" not in text and "WORKBOOK_MAX_METHODOLOGY_KB" in text


def test_a_long_text_value_is_refused_naming_where_it_is(tmp_path):
    path = _yaml_file(tmp_path, "long.yaml", PARAMS.replace("Limits Test", "x" * 50_000))
    with pytest.raises(ParameterError) as caught:
        read_file(path)
    assert str(caught.value) == (f"{path}: refused: the text at organisation is 50,000 characters long, over the "
                                 "limit of 10,000 characters; set WORKBOOK_MAX_TEXT_CHARS to raise it")


def test_an_organisation_name_or_period_is_at_most_200_characters(tmp_path):
    common = PARAMS.replace("methodology: western-cape-5x5\n", "")
    path = _yaml_file(tmp_path, "name.yaml", common.replace("Limits Test", "y" * 201))
    with pytest.raises(ParameterError) as caught:
        load_file(path, CommonParams)
    message = str(caught.value)
    assert "organisation: Value error, at most 200 characters; this is 201, over the limit of 200 characters; set " \
           "WORKBOOK_MAX_NAME_CHARS to raise it (got 'yyyy" in message
    assert "' (201 characters)" in message and "y" * 201 not in message
    load_file(_yaml_file(tmp_path, "ok.yaml", common.replace("Limits Test", "y" * 200)), CommonParams)


def test_values_are_counted_while_the_yaml_is_composed(monkeypatch):
    monkeypatch.setenv("WORKBOOK_MAX_YAML_VALUES", "1000")
    monkeypatch.setenv("WORKBOOK_MAX_DATA_FILE_KB", "100000")
    text = "values: [" + ", ".join(["1"] * 300_000) + "]"  # 300,000 values; composed whole: 10 s and more
    start = time.perf_counter()
    with pytest.raises(YamlRefused, match="the YAML holds more than 1,000 values, over the limit of 1,000 values; "
                                          "set WORKBOOK_MAX_YAML_VALUES to raise it"):
        load_yaml(text)
    assert time.perf_counter() - start < 3


# ---- 5. a methodology's scales are capped before the score grid is built ----------------------------------------

def _methodology(levels: int, grid: bool = False) -> str:
    lines = ["name: big", "version: '1'", "title: Big", "likelihood:"]
    lines += [f"  - {{value: {i}, label: L{i}}}" for i in range(1, levels + 1)]
    lines += ["impact:"] + [f"  - {{value: {i}, label: I{i}}}" for i in range(1, levels + 1)]
    if grid:
        lines += ["scoring:", "  rule: grid", "  grid:"] + [f"    - [{', '.join(['1'] * levels)}]"] * levels
    lines += ["bandings:", "  main:", "    title: Main", "    bands:",
              f"      - {{name: All, min: 1, max: {levels * levels}, colour: '#000000'}}",
              "default_banding: main", "residual: {rule: rerated}"]
    return "\n".join(lines) + "\n"


def test_a_scale_of_more_than_50_levels_is_refused_in_plain_words(tmp_path):
    ok, text = check_methodology(str(_yaml_file(tmp_path, "wide.yaml", _methodology(60))))
    assert not ok
    assert text.splitlines()[1:] == ["  - likelihood: should have at most 50 items, not 60 (got a list or group)",
                                     "  - impact: should have at most 50 items, not 60 (got a list or group)"]
    ok, text = check_methodology(str(_yaml_file(tmp_path, "fifty.yaml", _methodology(50))))
    assert ok and "50 L50" in text


def test_a_score_grid_of_more_than_50_rows_is_refused(tmp_path):
    with pytest.raises(MethodologyError, match="scoring.grid: List should have at most 50 items"):
        load_methodology(_yaml_file(tmp_path, "grid.yaml", _methodology(51, grid=True)))


def test_a_methodology_of_thousands_of_levels_is_refused_quickly(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_MAX_METHODOLOGY_KB", "100000")
    path = _yaml_file(tmp_path, "huge.yaml", _methodology(1500))  # 3,000 levels: 2.25 million cells to print
    start = time.perf_counter()
    ok, text = check_methodology(str(path))
    assert not ok and len(text) < 500 and "should have at most 50 items, not 1500" in text
    assert time.perf_counter() - start < 30


# ---- 8. numbers that are not finite ----------------------------------------------------------------------------

def test_a_reading_too_large_to_be_a_float_is_refused_with_its_row(tmp_path):
    path = tmp_path / "readings.csv"
    path.write_text("Metric,Period,Value\nvacancy_rate,Q1,5%\nvacancy_rate,Q2,1" + "0" * 400 + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        validate_readings(read_table(path, READINGS_COLUMNS), load_catalogue())
    (problem,) = caught.value.problems
    assert (problem.row, problem.column, problem.value) == (3, "Value", "1" + "0" * 400)
    assert problem.expected.endswith("; 1" + "0" * 39 + "\u2026 (401 characters) is too large a number to be a "
                                     "reading")
    assert "0" * 201 not in problem.line()


@pytest.mark.parametrize("field", ["target: .nan", "target: .inf", "warning: .nan"])
def test_a_catalogue_number_that_is_not_finite_is_refused(tmp_path, field):
    text = (ROOT / "workbook_lib" / "assessments" / "monitoring" / "data" / "table-25-metrics.yaml").read_text()
    data = yaml.safe_load(text)
    key, value = field.split(": ")
    data["metrics"][0][key] = float(value.replace(".", ""))
    data["metrics"][0]["tolerance"] = "+/- 5%" if key == "target" else data["metrics"][0]["tolerance"]
    data["metrics"][0].pop("direction", None) if key == "target" else None
    path = _yaml_file(tmp_path, "metrics.yaml", yaml.safe_dump(data))
    with pytest.raises(CatalogueError, match=f"metrics.0.{key}: Input should be a finite number"):
        load_catalogue(path)


def test_an_amount_of_money_too_large_to_be_a_float_is_refused(tmp_path):
    path = tmp_path / "money.csv"
    path.write_text("Risk ID,Description,Likelihood,Impact\nR1,Fraud,3,25000\nR2,Theft,2,1" + "0" * 400 + "\n",
                    encoding="utf-8")
    money = {"currency": "GBP", "upper_bounds": [10000, 100000, 500000, 1000000]}
    from workbook_lib.assessments.risk.interpret import ReadOptions
    from workbook_lib.assessments.risk.methodology import ImpactMoney

    with pytest.raises(InputError) as caught:
        load_register(path, WCAPE.methodology, options=ReadOptions(impact_money=ImpactMoney(**money)))
    (problem,) = caught.value.problems
    assert (problem.row, problem.expected) == (3, "an amount of money such as 25,000 or £1.2m")


@pytest.mark.parametrize("written", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_an_earlier_report_with_a_score_that_is_not_finite_is_refused(tmp_path, written):
    text = json.dumps({"assessment": "risk-evaluation", "organisation": "Limits Test", "period": "2024-25",
                       "risks": [{"risk_id": "R1", "residual_score": 9}, {"risk_id": "R2", "residual_score": 0}]})
    path = _report(tmp_path / "earlier.json", [], text.replace('"residual_score": 0', f'"residual_score": {written}'))
    assert _report_problems(path) == [
        f"{path}: column 'residual_score of risk 2 (R2)': value '{written}': expected a finite number, or null (NaN "
        "and Infinity are not scores)"]


def test_the_json_writer_refuses_a_number_that_is_not_finite_naming_where(tmp_path):
    summary = {"assessment": "x", "risks": [{"risk_id": "R1", "residual_score": 4.0},
                                            {"risk_id": "R2", "residual_score": math.inf}]}
    with pytest.raises(ValueError) as caught:
        write_json(summary, tmp_path / "x.json")
    assert str(caught.value) == ("x.json: the summary holds Infinity at risks[1].residual_score, which JSON cannot "
                                 "hold; nothing was written")
    assert not (tmp_path / "x.json").exists()
    import numpy as np

    with pytest.raises(ValueError, match="holds NaN at counts.mean"):
        write_json({"counts": {"mean": np.float32("nan")}}, tmp_path / "y.json")
    write_json({"fine": [1.5, None, np.int64(3)]}, tmp_path / "z.json")
    assert json.loads((tmp_path / "z.json").read_text()) == {"fine": [1.5, None, 3]}


def test_parameters_refuse_numbers_that_are_not_finite(tmp_path):
    from workbook_lib.assessments.monitoring.inputs import MonitoringParams

    register = ROOT / "parameters" / "registers" / "karoo_vale_municipality_2025.csv"
    path = _yaml_file(tmp_path, "nan.yaml", PARAMS + f"register: {register}\nreadings: r.csv\nwarning: .nan\n")
    with pytest.raises(ParameterError, match="warning: Input should be a finite number"):
        load_file(path, MonitoringParams)


# ---- 12. messages never flood ------------------------------------------------------------------------------------

def test_a_long_value_is_cut_with_its_length_said():
    assert quote("a" * 1_048_576) == "'" + "a" * 200 + "\u2026' (1,048,576 characters)"
    assert quote("short") == "'short'" and quote(5) == "5"
    line = Problem("f.csv", 3, "Impact", "a" * 1_048_576, "a rating").line()
    assert line == ("f.csv: row 3, column 'Impact': value '" + "a" * 200 + "\u2026' (1,048,576 characters): expected "
                    "a rating")


def test_a_list_of_problems_shows_50_then_counts_the_rest(monkeypatch):
    error = InputError([Problem("f.csv", n, "Impact", "x", "a rating") for n in range(2, 200_002)])
    lines = error.summary().splitlines()
    assert lines[0] == "200,000 problems found; nothing was produced:" and len(lines) == 52
    assert lines[-1] == ("  - and 199,950 more problems, not listed (the first 50 are; set WORKBOOK_MAX_PROBLEMS to "
                         "list more)")
    assert "and 199,950 more" in error._repr_html_() and error._repr_html_().count("<tr>") == 50
    monkeypatch.setenv("WORKBOOK_MAX_PROBLEMS", "300000")
    assert len(error.lines()) == 200_000


def test_a_kernels_problems_file_carries_a_thousand_and_counts_the_rest():
    error = InputError([Problem("f.csv", n, "Impact", "x", "a rating") for n in range(2, 5002)])
    back = problems_from_json(problems_json(error))
    assert isinstance(back, InputError) and len(back.problems) == 1000 and back.count == 5000
    assert back.summary().splitlines()[0] == "5,000 problems found; nothing was produced:"


def test_validate_prints_at_most_50_problems_for_thousands_of_bad_rows(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Risk ID,Description,Likelihood,Impact\n" + "".join(f"R{i},Risk,3,x\n" for i in range(3000)),
                    encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path), "-m", "western-cape-5x5"])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.startswith("  - ")]
    assert len(lines) == 51 and lines[-1].startswith("  - and 2,950 more problems, not listed")
    assert "3,000 problem(s) found" in result.output


def test_a_megabyte_tolerance_is_quoted_cut():
    with pytest.raises(ToleranceError) as caught:
        parse_tolerance("< " + "9" * 1_000_000 + " apples")
    assert len(str(caught.value)) < 1_000 and "(1,000,009 characters)" in str(caught.value)


def test_a_catalogue_of_many_bad_tolerances_lists_50(tmp_path):
    metrics = [{"id": f"m{i}", "name": f"Metric {i}", "risk_type": "Ops", "tolerance": "lots", "unit": "%",
                "description": "x"} for i in range(300)]
    path = _yaml_file(tmp_path, "bad-metrics.yaml", yaml.safe_dump({"title": "T", "source": "S", "metrics": metrics}))
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    assert "300 problem(s)" in str(caught.value) and "and 250 more problems, not listed" in str(caught.value)
    assert len(str(caught.value).splitlines()) < 60
