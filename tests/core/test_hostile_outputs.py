"""Hostile text in what the suite writes: formulas in headings, control characters, sheet names Excel refuses,
bare URLs in report text, and outputs that fail half-way."""

from __future__ import annotations

import csv
import json
import re

import nbformat
import openpyxl
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from workbook_lib.core import outputs

FORMULA = '=HYPERLINK("http://evil","x")'


def _csv(path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, so Excel reads it as UTF-8
    return list(csv.reader(raw.decode("utf-8-sig").splitlines()))


def _no_formula(book: openpyxl.Workbook) -> bool:
    return not any(c.data_type == "f" for sheet in book.worksheets for row in sheet.iter_rows() for c in row)


# ---- 1. formulas in headings, one writer for CSV and Excel ------------------------------------------------------
def test_csv_neutralises_a_formula_heading_as_well_as_values(tmp_path):
    frame = pd.DataFrame({"risk_id": ["R-1", "@SUM(1)"], FORMULA: ["-2+3", "plain"]})
    rows = _csv(outputs.write_table(frame, tmp_path / "x.csv"))
    assert rows == [["risk_id", "'" + FORMULA], ["R-1", "'-2+3"], ["'@SUM(1)", "plain"]]


def test_xlsx_by_suffix_neutralises_headings_and_values(tmp_path):
    frame = pd.DataFrame({FORMULA: ["+1", "ok"], "level": pd.Categorical(["=1+1", "Low"])})
    path = outputs.write_table(frame, tmp_path / "x.XLSX", sheet="risk")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["risk"]
    assert [[c.value for c in row] for row in book["risk"].iter_rows()] == [
        ["'" + FORMULA, "level"], ["'+1", "'=1+1"], ["ok", "Low"]]
    assert _no_formula(book)  # a categorical column is text too


def test_write_table_refuses_other_suffixes_and_writes_nothing(tmp_path):
    for name in ("x.txt", "x.xls", "x"):
        with pytest.raises(ValueError, match="xlsx or .csv"):
            outputs.write_table(pd.DataFrame({"a": [1]}), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_sheet_names_are_valid_short_and_unique(tmp_path):
    frame = pd.DataFrame({"a": [1]})
    names = ["a/b", "A:B", "[r]*?\\", "x" * 40, "x" * 40 + "y", "'quoted'", "", "Risks", "risks"]
    path = outputs.write_excel({n: frame for n in names}, tmp_path / "s.xlsx", for_reader=False)
    got = openpyxl.load_workbook(path).sheetnames
    assert got == ["a_b", "A_B (2)", "_r____", "x" * 31, "x" * 27 + " (2)", "quoted", "Sheet", "Risks", "risks (2)"]
    assert len({n.lower() for n in got}) == len(got) and all(len(n) <= 31 for n in got)


def test_repeated_headings_are_written(tmp_path):
    frame = pd.DataFrame([["=1", 2]], columns=["same", "same"])
    book = openpyxl.load_workbook(outputs.write_excel({"t": frame}, tmp_path / "d.xlsx", for_reader=False))
    assert [[c.value for c in row] for row in book["t"].iter_rows()] == [["same", "same"], ["'=1", 2]]


# ---- 2. NUL and control characters ---------------------------------------------------------------------------
HOSTILE = pd.DataFrame({"risk\x01id": ["a\x00b", "\x07bell", "\x00=1+1", "tab\tand\nnewline"], "n": [1, 2, 3, 4]})


def test_excel_shows_control_characters_as_a_marker_and_never_crashes(tmp_path):
    # today's `store export -o x.xlsx` (write_excel) raised openpyxl's IllegalCharacterError
    for path in (outputs.write_excel({"t": HOSTILE}, tmp_path / "a.xlsx", for_reader=False),
                 outputs.write_table(HOSTILE, tmp_path / "b.xlsx")):
        book = openpyxl.load_workbook(path)
        assert [[c.value for c in row] for row in book.active.iter_rows()] == [
            ["risk\ufffdid", "n"], ["a\ufffdb", 1], ["\ufffdbell", 2], ["\ufffd=1+1", 3], ["tab\tand\nnewline", 4]]
        assert _no_formula(book)


def test_csv_drops_nul_then_neutralises(tmp_path):
    rows = _csv(outputs.write_table(HOSTILE, tmp_path / "c.csv"))
    text = (tmp_path / "c.csv").read_text(encoding="utf-8-sig")
    assert "\x00" not in text
    assert rows[0] == ["risk\x01id", "n"]  # other control characters are text in a CSV
    assert [r[0] for r in rows[1:4]] == ["ab", "\x07bell", "'=1+1"]  # the NUL hid a formula: still neutralised


def test_the_excel_character_rule_is_openpyxls():
    for code in range(0x80):
        char = chr(code)
        assert bool(outputs._EXCEL_ILLEGAL.match(char)) == bool(ILLEGAL_CHARACTERS_RE.match(char)), hex(code)


def test_json_escapes_nul_and_control_characters(tmp_path):
    summary = {"note\x01": "a\x00b\x07c\u2028", "n": 1}
    path = outputs.write_json(summary, tmp_path / "s.json")
    assert json.loads(path.read_text(encoding="utf-8")) == summary
    assert "\\u0000" in path.read_text(encoding="utf-8")


# ---- 3. bare URLs in report text ---------------------------------------------------------------------------
HOSTILE_TEXT = 'see https://evil.example/a?b="c" and www.evil.example and </style><script>x</script>'


def test_esc_leaves_nothing_to_link():
    text = outputs.esc("https://evil.example ftp://x WWW.evil.example mail me@evil.example")
    assert "://" not in text and not re.search("www[.]", text, re.I) and "@" not in text
    assert "https&#58;//" in text and "WWW&#46;evil" in text and "me&#64;evil" in text


def _report(tmp_path, *outputs_) -> BeautifulSoup:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("shown()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={mime: text, "text/plain": ""})
                    for mime, text in outputs_]
    nb.cells.append(cell)
    nbformat.write(nb, tmp_path / "r.ipynb")
    html = outputs.notebook_to_html(tmp_path / "r.ipynb", tmp_path / "r.html", "r")
    return BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")


def test_user_text_in_a_report_links_nothing_and_is_escaped_once(tmp_path):
    e, money = outputs.esc(HOSTILE_TEXT), outputs.esc('costs $5_000 and "$10"')  # $...$ is math to nbconvert
    markdown = f"Paragraph: {e}\n\n| column |\n|---|\n| {e} |\n\nMoney: {money}"
    table = outputs.html_table(pd.DataFrame({"description": [HOSTILE_TEXT]})).data
    empty = outputs.html_table(None, empty=f"Nothing at {HOSTILE_TEXT}").data
    soup = _report(tmp_path, ("text/markdown", markdown), ("text/html", table), ("text/html", empty))
    body = soup.body
    assert body.find_all("a") == [] and soup.find_all("script") == []
    visible = body.get_text()
    assert visible.count("https://evil.example/a?b=\"c\" and www.evil.example and </style><script>x</script>") == 4
    assert 'costs $5_000 and "$10"' in visible
    for entity in ("&quot", "&amp;", "&lt;", "&#"):
        assert entity not in visible  # nothing escaped twice


def test_a_heading_of_user_text_has_only_its_own_anchor(tmp_path):
    soup = _report(tmp_path, ("text/markdown", f"## {outputs.esc(HOSTILE_TEXT)}: risk evaluation"))
    links = soup.body.find_all("a")
    assert [a["href"].startswith("#") and "anchor-link" in a["class"] for a in links] == [True]
    assert soup.find("h2").get_text().startswith('see https://evil.example/a?b="c" and www.evil.example')


# ---- 4. never a half-written output ----------------------------------------------------------------------------
def _fail_half_way(self, target, *args, **kwargs):
    """A writer that starts the file, then fails (a full disk, a killed process)."""
    with open(target, "wb") as f:
        f.write(b"half")
    raise OSError("disk full")


_save = openpyxl.Workbook.save


def _save_half_way(book, target):
    """openpyxl's save, then the file cut short and an error: as if the disk filled up."""
    _save(book, target)
    with open(target, "r+b") as f:
        f.truncate(4)
    raise OSError("disk full")


def test_a_failed_write_keeps_the_previous_outputs_and_leaves_no_temporary(tmp_path, monkeypatch):
    frame = pd.DataFrame({"a": [1]})
    first = outputs.write_outputs({"v": 1}, {"t": frame}, tmp_path, "report")
    before = {p.name: p.read_bytes() for p in first}

    monkeypatch.setattr(openpyxl.Workbook, "save", _save_half_way)
    with pytest.raises(OSError, match="disk full"):
        outputs.write_outputs({"v": 2}, {"t": frame}, tmp_path, "report")
    assert (tmp_path / "report.xlsx").read_bytes() == before["report.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "report.xlsx"]

    monkeypatch.setattr(type(tmp_path), "write_text", lambda self, *a, **k: _fail_half_way(self, self))
    with pytest.raises(OSError, match="disk full"):
        outputs.write_json({"v": 3}, tmp_path / "report.json")
    assert json.loads((tmp_path / "report.json").read_bytes()) == {"v": 2}  # the last complete one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "report.xlsx"]


def test_a_failed_csv_write_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(pd.DataFrame, "to_csv", _fail_half_way)
    with pytest.raises(OSError, match="disk full"):
        outputs.write_table(pd.DataFrame({"a": [1]}), tmp_path / "x.csv")
    assert list(tmp_path.iterdir()) == []
