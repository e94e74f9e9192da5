"""Every door a hostile file can come through (validate, run, batch, store import, store export): a clear
refusal (exit status, the message's first line), nothing of the file echoed, nothing written outside the
output folder, no debris, and memory bounded. The files come from tests/hostile.py."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import hostile
from workbook_lib.core.store import Author, Store

WORKBOOK = str(Path(sys.executable).parent / "workbook")
PEAK_KB = 700_000  # a regression guard for a whole CLI process; the real figures are in bench/RESULTS.md
# each hostile file and the words its refusal must say
FILES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "zip bomb": (lambda f: hostile.zip_bomb_xlsx(f), "inflates to"),
    "billion laughs": (lambda f: hostile.billion_laughs_xlsx(f), "XML entity declarations"),
    "NUL": (lambda f: hostile.nul_csv(f), "control character (U+0000)"),
    "UTF-16 without BOM": (lambda f: hostile.utf16_csv(f, bom=False), "UTF-16 without a byte-order mark"),
    "legacy .xls": (lambda f: hostile.ole2_xls(f), "Excel 97-2003"),
    "renamed text": (lambda f: hostile.renamed_text_xlsx(f), "not a zip archive"),
    "binary": (lambda f: hostile.binary_csv(f), "not a text CSV file"),
    "link": (lambda f: hostile.symlinked_csv(f), "a link to another file"),
    # a 2 KB workbook with cells at A1 and XFD1048576: calamine asked for 512 GiB and the process aborted (SIGABRT)
    "far cell": (lambda f: hostile.far_cell_xlsx(f), "the sheet 'Sheet' spans 16,384 columns (A1:XFD1048576), over "
                                                     "the limit of 1,000 columns; set WORKBOOK_MAX_COLUMNS"),
    "repeated shared string": (lambda f: hostile.shared_strings_xlsx(f), "of text (each shared string counted in "
                                                                         "every cell that uses it)"),
    "million columns": (lambda f: hostile.wide_csv(f, 1_000_000), "line 1 has 1,000,000, over the limit of 1,000 "
                                                                  "columns; set WORKBOOK_MAX_COLUMNS"),
}
HEAVY = ["zip bomb", "billion laughs", "NUL", "far cell"]  # also tried through run, batch and store import


def _door(args: list[str], home: Path) -> tuple[int, str, int]:
    """Run the CLI from an empty folder with its own temp folder: (exit status, stderr + stdout, peak kB)."""
    code = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True,"
            " timeout=300); sys.stdout.write(r.stderr + r.stdout); "
            "print('\\n@@', r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    env = {**os.environ, "TMPDIR": str(home / "tmp"), "WORKBOOK_DB": str(home / "configured.db")}
    result = subprocess.run([sys.executable, code and "-c", code, WORKBOOK, *args], capture_output=True, text=True,
                            timeout=400, cwd=home / "cwd", env=env)
    text, _, tail = result.stdout.rpartition("\n@@ ")
    status, peak = (int(x) for x in tail.split())
    return status, text, peak


@pytest.fixture
def home(tmp_path: Path) -> Path:
    for name in ("cwd", "tmp", "files"):
        (tmp_path / name).mkdir()
    return tmp_path


def _left_behind(home: Path, allowed: set[str]) -> list[str]:
    """Files anywhere under the test's home but the inputs and what the door may write."""
    return sorted(str(p.relative_to(home)) for p in home.rglob("*")
                  if p.is_file() and p.relative_to(home).parts[0] not in {"files", *allowed})


def _check_refusal(status: int, text: str, peak: int, words: str, expected_status: int = 2) -> None:
    assert status == expected_status, text[-2000:]
    assert words in text and hostile.SECRET not in text and "Traceback" not in text, text[-2000:]
    assert peak < PEAK_KB, f"peak {peak} kB"


@pytest.mark.parametrize("name", FILES)
def test_validate_refuses_each_hostile_file_clearly(home, name):
    make, words = FILES[name]
    status, text, peak = _door(["validate", str(make(home / "files")), "-m", "western-cape-5x5"], home)
    _check_refusal(status, text, peak, words)
    assert "problem(s) found; the register is not valid as it stands." in text
    assert _left_behind(home, set()) == []


def _params(home: Path, register: Path) -> Path:
    path = home / "files" / "p.yaml"
    path.write_text(f"organisation: Hostile\nperiod: 2025-26\nas_of: 2025-11-30\nmethodology: western-cape-5x5\n"
                    f"register: {register}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("name", HEAVY)
def test_run_and_batch_refuse_and_write_nothing(home, name):
    make, words = FILES[name]
    params = _params(home, make(home / "files"))
    status, text, peak = _door(["run", "risk-evaluation", "--params", str(params), "--out", str(home / "out")], home)
    _check_refusal(status, text, peak, words)
    status, text, peak = _door(["batch", str(params), "--out", str(home / "batch")], home)
    # the terminal table wraps long errors: the words are checked in the batch's index
    _check_refusal(status, text + (home / "batch" / "index.json").read_text(), peak, words, expected_status=1)
    # the batch writes its index of what failed, and nothing else
    assert _left_behind(home, {"batch"}) == []
    assert sorted(p.name for p in (home / "batch").rglob("*") if p.is_file()) <= ["index.html", "index.json"]


@pytest.mark.parametrize("name", HEAVY)
def test_store_import_refuses_and_saves_nothing(home, name):
    make, words = FILES[name]
    status, text, peak = _door(["store", "import", str(make(home / "files")), "-a", "risk-evaluation", "-m",
                                "western-cape-5x5", "--organisation", "Hostile", "--period", "2025-26",
                                "--who", "Tester"], home)
    _check_refusal(status, text, peak, words)
    assert "nothing was saved" in text
    assert _left_behind(home, set()) == []  # not even the store: it is opened only to save


def test_store_export_neutralises_headings_and_survives_control_characters(home):
    db = home / "configured.db"
    with Store(str(db)) as store:
        store.save("Hostile", "2025-26", "risk",
                   {"R1": {"risk_id": "R1", "description": "nul \x00 bell \x07 end", '=HYPERLINK("http://x","y")': "z",
                           "owner": "=1+1"}}, Author("Tester", None, identity="cli"), None, "import")
    for suffix in (".csv", ".xlsx"):
        out = home / "out" / f"export{suffix}"
        status, text, _ = _door(["store", "export", "-a", "risk-evaluation", "--organisation", "Hostile",
                                 "--period", "2025-26", "-o", str(out)], home)
        assert status == 0 and "Traceback" not in text, text
    csv_text = (home / "out" / "export.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "\n=" not in csv_text and ",=" not in csv_text and "\x00" not in csv_text
    from openpyxl import load_workbook

    sheet = load_workbook(home / "out" / "export.xlsx").active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not any(c.startswith("=") for c in cells)
    assert "nul \ufffd bell \ufffd end" in cells


def test_validate_refuses_a_wide_register_in_bounded_memory_and_time(home):
    """60,000 rows of 100 columns (6 million cells; 250,000 of them took 2.5 GB in validate and more than 6 GB in
    store import): refused at the row that passes 5,000,000 cells, before the rows are kept."""
    path = hostile.wide_csv(home / "files", 100, rows=60_000)
    status, text, peak = _door(["validate", str(path), "-m", "western-cape-5x5"], home)
    _check_refusal(status, text, peak, "expected at most 5,000,000 cells (data rows x columns); this file has more: "
                                       "50,001 data rows of up to 100 columns, over the limit of 5,000,000 cells; set "
                                       "WORKBOOK_MAX_CELLS to raise it")
    assert peak < 400_000, f"peak {peak} kB"
