"""Report outputs any assessment uses: HTML tables stay readable at any size (at most ``limit`` rows, the worst
first, with a note that every row is in the Excel workbook), and Excel keeps types and neutralises formulas."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import openpyxl
import pandas as pd

from workbook_lib.core import outputs


def _rows(html: str) -> int:
    return len(re.findall(r"<tr>", html.split("<tbody>", 1)[1])) if "<tbody>" in html else 0


def test_short_table_is_shown_whole_and_in_its_order():
    frame = pd.DataFrame({"risk_id": ["B", "A", "C"], "residual_score": [3, 9, 1]})
    html = outputs.html_table(frame, limit=3, worst_first=("residual_score", False), sheet="Risks").data
    assert _rows(html) == 3 and "Showing" not in html
    assert html.index(">B<") < html.index(">A<") < html.index(">C<")  # register order kept


def test_long_table_shows_the_worst_rows_and_says_where_the_rest_are():
    frame = pd.DataFrame({"risk_id": [f"R{i}" for i in range(50)], "residual_score": list(range(50))})
    html = outputs.html_table(frame, limit=10, worst_first=("residual_score", False), sheet="Risks").data
    assert _rows(html) == 10
    assert "Showing 10 of 50 rows" in html and "highest first" in html and "sheet &quot;Risks&quot;" in html
    shown = [int(s) for s in re.findall(r"<td>R(\d+)</td>", html)]
    assert shown == list(range(49, 39, -1))


def test_earliest_first_and_missing_values_last():
    frame = pd.DataFrame({"risk_id": ["A", "B", "C", "D"],
                          "due_date": [dt.date(2025, 5, 1), None, dt.date(2024, 1, 1), dt.date(2025, 1, 1)]})
    html = outputs.html_table(frame, limit=2, worst_first=("due_date", True), sheet="Treatments").data
    assert re.findall(r"<td>([A-D])</td>", html) == ["C", "D"] and "earliest first" in html


def test_escapes_user_text_in_a_capped_table():
    frame = pd.DataFrame({"risk_id": ["<script>x</script>", "b"], "residual_score": [5, 1]})
    html = outputs.html_table(frame, limit=1, worst_first=("residual_score", False)).data
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_excel_keeps_types_and_empties_and_neutralises_text(tmp_path):
    frame = pd.DataFrame({
        "risk_id": ["R-1", "=HYPERLINK(\"http://x\")", None], "score": [1, 2, 3], "factor": [1.5, np.nan, 3.0],
        "above": [True, False, True], "due": pd.to_datetime(["2025-01-01", None, "2025-03-01"]),
        "note": pd.array(["a", pd.NA, "+ consult"], dtype="string"), "count": pd.array([1, None, 3], dtype="Int64"),
        "level": pd.Categorical(["Low", "High", "Low"])})
    path = outputs.write_excel({"A sheet name longer than thirty-one characters": frame, "Empty": frame.iloc[0:0]},
                                tmp_path / "t.xlsx", for_reader=False)  # the writer's own work: names as they are
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["A sheet name longer than thirty", "Empty"]
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == list(frame.columns) and all(c.font.b for c in sheet[1])
    assert [c.value for c in sheet[2]] == ["R-1", 1, 1.5, True, dt.datetime(2025, 1, 1), "a", 1, "Low"]
    assert [c.value for c in sheet[3]] == ["'=HYPERLINK(\"http://x\")", 2, None, False, None, None, None, "High"]
    assert sheet["G4"].value == 3 and sheet["F4"].value == "'+ consult"
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)  # nothing runs as a formula
    assert [c.value for c in book["Empty"][1]] == list(frame.columns) and book["Empty"].max_row == 1
