"""The large-workbook writer (core/xlsx_writer.py) gives the same workbook as openpyxl's, cell for cell: sheet names,
a bold header, numbers, booleans, dates and date-times with openpyxl's formats, empties, neutralised text and the
characters Excel cannot hold; ``write_excel`` takes it above ``LARGE_CELLS`` cells and falls back to openpyxl for a
value only openpyxl judges."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from workbook_lib.core import outputs, xlsx_writer

TYPES = pd.DataFrame({
    "risk_id": ["R-1", "=HYPERLINK(\"http://x\")", None], "score": [1, 2, 3], "factor": [1.5, np.nan, 3.0],
    "above": [True, False, True], "due": pd.to_datetime(["2025-01-01", None, "2025-03-01"]),
    "note": pd.array(["a", pd.NA, "+ consult"], dtype="string"), "count": pd.array([1, None, 3], dtype="Int64"),
    "level": pd.Categorical(["Low", "High", "Low"]),
    "mixed": [True, 1, "x\r\ny & <z> \"q\""], "dates": [dt.date(2025, 1, 2), None, dt.datetime(2025, 1, 2, 3, 4, 5)],
    "text": ["a\x01b\x00", " lead", "trail \ud800"], "none": [None, None, None], "big": [1e20, 0.1 + 0.2, -0.0]})
HOSTILE = pd.DataFrame({"risk\x01id": ["a\x00b", "\x07bell", "\x00=1+1", "tab\tand\nnewline"], "n": [1, 2, 3, 4]})
REPEATED = pd.DataFrame([["=1", 2]], columns=["same", "same"])
TABLES = {"A sheet name longer than thirty-one characters": TYPES, "Empty": TYPES.iloc[0:0], "Q&A <x> 'y'": HOSTILE,
          "same": REPEATED, "No columns": pd.DataFrame(index=range(3))}


def _cells(path) -> dict:
    book = openpyxl.load_workbook(path)
    return {name: [[(c.value, c.data_type, bool(c.font.b), c.number_format) for c in row]
                   for row in book[name].iter_rows()] for name in book.sheetnames}


def test_the_large_writer_reads_back_as_openpyxls(tmp_path, monkeypatch):
    small = outputs.write_excel(TABLES, tmp_path / "openpyxl.xlsx")  # under LARGE_CELLS: openpyxl
    monkeypatch.setattr(xlsx_writer, "LARGE_CELLS", 0)
    large = outputs.write_excel(TABLES, tmp_path / "large.xlsx")
    assert _cells(large) == _cells(small)
    with open(large, "rb") as f:
        assert b"openpyxl" not in f.read()  # it was the large writer
    sheets = pd.read_excel(large, sheet_name=None, engine="calamine")  # and the reader the suite uses reads it
    for name, frame in pd.read_excel(small, sheet_name=None, engine="calamine").items():
        pd.testing.assert_frame_equal(sheets[name], frame)
    assert sheets["Q&A <x> 'y"]["N"].tolist() == [1, 2, 3, 4]  # a sheet name ends in no apostrophe


def test_a_large_workbook_uses_the_large_writer_to_a_file_object_too(monkeypatch):
    frame = pd.DataFrame({"risk_id": [f"R{i}" for i in range(30_000)], "score": np.arange(30_000) % 25 + 1,
                          "owner": ["=cmd|' /C calc'!A0", "Owner"] * 15_000})
    buffer = io.BytesIO()
    outputs.write_excel({"Risks": frame}, buffer)
    back = pd.read_excel(io.BytesIO(buffer.getvalue()), sheet_name="Risks", engine="calamine")
    assert len(back) == 30_000 and back["Score"].sum() == frame["score"].sum()
    assert set(back["Owner"]) == {"'=cmd|' /C calc'!A0", "Owner"}  # neutralised; headings in words


def test_a_value_only_openpyxl_judges_is_left_to_openpyxl(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_writer, "LARGE_CELLS", 0)
    with pytest.raises(ValueError):  # openpyxl refuses a list in a cell, as it did before the large writer
        outputs.write_excel({"t": pd.DataFrame({"a": [[1, 2]]})}, tmp_path / "x.xlsx")
    assert list(tmp_path.iterdir()) == []
    aware = pd.DataFrame({"when": [dt.datetime(2025, 1, 1, tzinfo=dt.UTC)], "n": [1]})
    with pytest.raises(xlsx_writer.Unsupported):
        xlsx_writer.write({"t": aware}, ["t"], io.BytesIO(), outputs._excel_cell)


def test_column_letters():
    assert [xlsx_writer.column_letter(k) for k in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
