"""COSO outputs: the JSON contract, the Excel tables neutralised, narratives escaping user text."""

from __future__ import annotations

import json
import re

import openpyxl

from tests.assessments.coso.kit import (
    HEADER,
    LOADED,
    NAME,
    Q,
    _assess,
    _shipped_data,
    _write_yaml,
)
from tests.conftest import write_csv
from workbook_lib.assessments.coso import charts, index_figures, inputs, model, report, scoring
from workbook_lib.assessments.coso.spec import SPEC
from workbook_lib.core.outputs import add_labels, column_heading, esc

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
                               "Method", "Warnings", "About"]
    items = list(book["Items"].iter_rows(values_only=True))
    header = items[0]
    row = dict(zip(header, items[1], strict=True))
    h = column_heading  # the workbook's headings are in words
    assert row[h("item_id")] == "P01-01" and row[h("combined_score")] == 7
    assert row[h("comments")] == 'Management: =HYPERLINK("http://x")'  # not at the start: never a formula
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


# ---- the principle rule is named for what it reads: ratings, not a COSO deficiency evaluation -------------


def test_the_principle_rule_is_named_for_what_it_reads_everywhere_it_is_shown(karoo):
    _, result = karoo
    add_labels(SPEC.labels)  # the headings the registry adds when it loads the assessment
    met, not_met = Q.present_and_functioning.met, Q.present_and_functioning.not_met
    assert (met, not_met) == ("rated in place and working on average", "rated short of in place and working")
    tables = report.result_tables(result)
    method = tables["Method"]
    shown = {
        "key figures": report.key_figures(result),
        "opening": str(report.opening_narrative(result, "O", "P")),
        "principles": str(report.principles_narrative(result)),
        "method rules": " ".join(method.loc[~method["item"].str.startswith("note: ")].astype(str).sum()),
        "method note": str(report.method_note(result)).split("**Decisions recorded")[0],
        "statuses": " ".join(report.principle_view(result)["status"]),
        "headings": " ".join(column_heading(c) for t in tables.values() for c in t.columns),
        "chart": json.dumps(charts.principle_bars(result).to_dict()),
        "index": " ".join(h for h, _ in index_figures.INDEX_COLUMNS) + " ".join(
            index_figures.key_figures(report.summary(result, "O", "P"))),
        "purpose": SPEC.purpose,
    }
    for where, text in shown.items():
        assert "present and functioning" not in text.casefold(), where
        assert "must improve" not in text, where
    for where in ("key figures", "opening", "method note", "statuses", "chart", "index"):
        assert met in shown[where], where
    assert not_met.capitalize() in shown["principles"] and "not a COSO evaluation" in shown["principles"]
    # the red band reads as the guide puts it: where management can improve the control environment
    assert "Red items: P08-02, P08-03" in shown["opening"] and "can improve the control environment" in shown["opening"]
    assert "Principles rated in place and working on average" in shown["headings"]
    assert result.overall[model.MET] == 9 and result.overall[model.NOT_MET] == 3  # the figures are unchanged


def test_the_rule_names_come_from_the_questionnaire(tmp_path):
    data = _shipped_data()
    data["present_and_functioning"].update(met="at our bar", not_met="below our bar")
    loaded = model.load_questionnaire(_write_yaml(tmp_path, data))
    result = _assess(tmp_path, {**{i.id: (4, 3, 3) for i in Q.items if i.principle == 1},
                                **{i.id: (1, 1, 2) for i in Q.items if i.principle == 8}}, loaded=loaded)
    statuses = result.principles.set_index("principle")["status"]
    assert (statuses[1], statuses[8]) == ("at our bar", "below our bar")
    assert "principles 17: at our bar 1, below our bar 1, incomplete 14" in report.key_figures(result)
    assert int(result.components.set_index("component_id").at["CE", "principles_met"]) == 1


# ---- method notes: decisions, not change history; words, not field names --------------------------------

CHANGE_HISTORY = re.compile(r"\b(earlier|previous(ly)?|formerly|no longer|was wrong|used to|now reads|corrected)\b",
                            re.IGNORECASE)


def test_method_notes_record_decisions_in_words(karoo):
    _, result = karoo
    add_labels(SPEC.labels)
    for n in Q.notes:
        assert not CHANGE_HISTORY.search(f"{n.topic} {n.decision}"), n.topic
    note = str(report.method_note(result))
    shown = " ".join([note, str(report.principles_narrative(result)), str(report.rating_guide(result)),
                      *(column_heading(c) for t in report.result_tables(result).values() for c in t.columns)])
    assert "seed_ref" not in shown and "Seed ref" not in shown
    assert column_heading("seed_ref") == "Guide reference"
