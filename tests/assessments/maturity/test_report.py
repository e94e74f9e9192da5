"""What the maturity scoring reports: key figures, the JSON summary and Excel workbook, the narratives."""

from __future__ import annotations

import json
import re

import openpyxl

from tests.assessments.maturity.conftest import (
    AS_OF,
    EXPECTED,
    LOADED,
    M,
)
from tests.conftest import write_csv
from workbook_lib.assessments.maturity import report
from workbook_lib.assessments.maturity.inputs import load_marks
from workbook_lib.assessments.maturity.report import key_figures, maturity_summary
from workbook_lib.assessments.maturity.scoring import assess
from workbook_lib.assessments.maturity.spec import SPEC
from workbook_lib.core.outputs import add_labels, column_heading


def test_example_key_figures_match_the_expected_file(example):
    _, result = example
    line = key_figures(result)
    assert line == EXPECTED.read_text(encoding="utf-8").strip()
    assert "total 41 of 69 | status integrated" in line


def test_example_json_summary_contract(example, tmp_path):
    params, result = example
    summary = maturity_summary(result, params.organisation, params.period)
    assert list(summary) == ["assessment", "organisation", "period", "elements", "elements_total", "elements_rated",
                             "total_score", "status", "by_assessment", "capacity", "warnings", "matrix"]
    assert summary["assessment"] == "maturity-scoring"
    assert summary["organisation"] == "Karoo Vale Local Municipality" and summary["period"] == "2025-26"
    assert len(summary["elements"]) == 23
    assert set(summary["elements"][0]) == {"element_id", "assessment", "group", "name", "mark"}
    assert summary["elements"][0] == {"element_id": "A1", "assessment": "A", "group": "Risk culture",
                                      "name": "Awareness of risks", "mark": 2}
    assert (summary["elements_total"], summary["elements_rated"], summary["total_score"]) == (23, 23, 41)
    assert summary["status"] == "integrated"
    assert summary["by_assessment"] == {"A": {"score": 17, "rated": 10, "total": 10},
                                        "B": {"score": 13, "rated": 7, "total": 7},
                                        "C": {"score": 11, "rated": 6, "total": 6}}
    assert summary["matrix"]["name"] == "maturity-matrix"
    paths = SPEC.write_outputs(result, params.organisation, params.period, tmp_path)
    assert [p.name for p in paths] == ["maturity-scoring.json", "maturity-scoring.xlsx"]
    assert json.loads(paths[0].read_text(encoding="utf-8")) == json.loads(json.dumps(summary, default=str))
    book = openpyxl.load_workbook(paths[1])
    assert {"Elements", "Assessments", "Below target", "Roadmap", "Capacity answers", "Trend", "Method"} <= set(
        book.sheetnames)
    method = {r[0]: r[1] for r in book["Method"].iter_rows(min_row=2, values_only=True)}
    assert "note: status bands" in method and "note: capacity numbering" in method


def test_excel_text_never_becomes_a_formula(tmp_path):
    path = write_csv(tmp_path / "m.csv", "element_id,mark,comment\nA1,2,=HYPERLINK(\"http://x\")\n")
    result = assess(LOADED, AS_OF, "p", marks=load_marks(path, M))
    out = SPEC.write_outputs(result, "Org", "p", tmp_path)[1]
    sheet = openpyxl.load_workbook(out)["Elements"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index(column_heading("comment")) + 1).value.startswith("'=")


def test_narrative_escapes_user_text_and_states_the_method(example):
    _, result = example
    text = report.opening_narrative(result, "<b>Vale</b>", "2025_26")
    assert "<b>" not in text and "&lt;b&gt;Vale" in text
    assert "**integrated**" in text and "Compliant/Integrated" in text
    note = report.method_note(result)
    assert "| Integrated | 34-48 | 35-50 | 2.18 |" in note and "element count" in note
    assert "Step 1: **integrated to risk intelligent**" in report.roadmap_narrative(result)
    assert "disagree" in report.capacity_narrative(result)
    assert "**(this municipality)**" in report.index_context(result)


# ---- method notes: decisions, not change history; words, not field names --------------------------------

CHANGE_HISTORY = re.compile(r"\b(earlier|previous(ly)?|formerly|no longer|was wrong|used to|now reads|corrected)\b",
                            re.IGNORECASE)


def test_method_notes_record_decisions_in_words(example):
    _, result = example
    add_labels(SPEC.labels)
    for n in M.notes:
        assert not CHANGE_HISTORY.search(f"{n.topic} {n.decision}"), n.topic
    numbering = next(n for n in M.notes if n.topic == "capacity numbering")
    assert "guide's own number" in numbering.decision
    shown = " ".join([str(report.method_note(result)), str(report.capacity_narrative(result)),
                      *(column_heading(c) for t in SPEC.tables(result).values() for c in t.columns)])
    assert "seed_ref" not in shown and "Seed ref" not in shown
    assert column_heading("seed_ref") == "Guide reference"  # the capacity disagreements table's column
