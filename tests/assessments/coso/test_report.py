"""COSO outputs: the JSON contract, the Excel tables neutralised, narratives escaping user text."""

from __future__ import annotations

import json

import openpyxl

from tests.assessments.coso.kit import (
    HEADER,
    LOADED,
    NAME,
    Q,
)
from tests.conftest import write_csv
from workbook_lib.assessments.coso import inputs, report, scoring
from workbook_lib.assessments.coso.spec import SPEC
from workbook_lib.core.outputs import esc

# ---- outputs -------------------------------------------------------------------------------------------


def test_json_summary_contract(karoo):
    _, result = karoo
    summary = json.loads(json.dumps(report.summary(result, "Karoo Vale Local Municipality", "2025-26")))
    assert list(summary) == ["assessment", "organisation", "period", "questionnaire", "items", "principles",
                             "warnings"]
    assert summary["assessment"] == "coso-assessment"
    assert summary["questionnaire"] == {"name": NAME, "version": Q.version, "sha256": LOADED.sha256}
    assert len(summary["items"]) == 76 and len(summary["principles"]) == 17
    assert all(set(i) == {"item_id", "principle", "component", "ratings", "combined_score", "band", "complete",
                          "divergent"} for i in summary["items"])
    assert all(set(i["ratings"]) == {"1", "2", "3"} for i in summary["items"])
    assert all(set(p) == {"principle", "name", "component", "assessed", "mean_combined",
                          "present_and_functioning"} for p in summary["principles"])
    p0101 = summary["items"][0]
    assert p0101 == {"item_id": "P01-01", "principle": 1, "component": "Control environment",
                     "ratings": {"1": 3, "2": 1, "3": 3}, "combined_score": 7, "band": "Amber", "complete": True,
                     "divergent": True}
    incomplete = [i for i in summary["items"] if not i["complete"]]
    assert len(incomplete) == 5 and all(i["combined_score"] is None and i["band"] is None for i in incomplete)
    p8 = summary["principles"][7]
    assert p8["present_and_functioning"] is False and isinstance(p8["mean_combined"], float)
    assert summary["warnings"] == result.warnings


def test_write_outputs_json_and_neutralised_excel(tmp_path):
    path = write_csv(tmp_path / "r.csv", HEADER + "P01-01,1,3,Ann,=HYPERLINK(\"http://x\")\n"
                     "P01-01,2,1,Ben,\nP01-01,3,3,Cas,\n")
    result = scoring.assess(LOADED, inputs.load_responses(path, Q))
    written = SPEC.write_outputs(result, "Org", "2025", tmp_path / "out")
    assert [p.name for p in written] == ["coso-assessment.json", "coso-assessment.xlsx"]
    assert json.loads(written[0].read_text())["items"][0]["combined_score"] == 7
    book = openpyxl.load_workbook(written[1])
    assert book.sheetnames == ["Items", "Principles", "Components", "Divergent", "Incomplete", "Respondents",
                               "Method", "Warnings"]
    items = list(book["Items"].iter_rows(values_only=True))
    header = items[0]
    row = dict(zip(header, items[1], strict=True))
    assert row["item_id"] == "P01-01" and row["combined_score"] == 7
    assert row["comments"] == 'Management: =HYPERLINK("http://x")'  # not at the start: never a formula
    assert book["Divergent"].max_row == 2 and book["Incomplete"].max_row == 76
    method = [r[0] for r in book["Method"].iter_rows(values_only=True)]
    assert sum(1 for m in method if str(m).startswith("note: ")) == len(Q.notes)


def test_formula_comment_cell_is_neutralised(tmp_path):
    path = write_csv(tmp_path / "r.csv", HEADER + "P01-01,1,3,=cmd|' /C calc'!A0,\n")
    result = scoring.assess(LOADED, inputs.load_responses(path, Q))
    tables = report.result_tables(result)
    assert tables["Respondents"].loc[0, "respondents"].startswith("=cmd")
    out = SPEC.write_outputs(result, "O", "P", tmp_path / "o")[1]
    cell = openpyxl.load_workbook(out)["Respondents"]["D2"].value
    assert cell.startswith("'=cmd")


def test_narratives_escape_user_text_and_show_every_note(karoo):
    _, result = karoo
    text = report.opening_narrative(result, "<b>Org</b> & *co*", "2025_26")
    assert "<b>" not in text and "&lt;b&gt;Org&lt;/b&gt;" in text and "&#42;co&#42;" in text
    assert "P08-02, P08-03" in text  # the red items by name
    note = report.method_note(result)
    assert LOADED.sha256 in note
    for n in Q.notes:
        assert esc(n.topic) in note
    guide = report.rating_guide(result)
    assert all(esc(ln.key_question) in guide for ln in Q.lines)
    assert "Principle 8" in report.principles_narrative(result)
    assert "7" in report.divergence_narrative(result)
