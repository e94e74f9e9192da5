"""The maturity form without a browser: marks chosen from the element descriptions, capacity answers per
line, what the store holds afterwards (rows, method, audit), invalid input, pre-filling and the trend from
earlier periods in the store; and the notebook in app mode rendering every report section from the store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import PARAMETERS
from workbook_lib.assessments.maturity import report
from workbook_lib.assessments.maturity.form import MaturityForm
from workbook_lib.assessments.maturity.inputs import MaturityParams
from workbook_lib.assessments.maturity.model import load_matrix
from workbook_lib.core import forms, records
from workbook_lib.core.store import Author, Store

ROOT = Path(__file__).resolve().parents[3]
ORG, PERIOD = "Form Test Municipality", "2025-26"
LINE_2 = "2nd line - risk management and compliance"
LINE_3 = "3rd line - internal audit"


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "store.db")


def _params(db: str, **extra) -> MaturityParams:
    return MaturityParams(organisation=ORG, period=PERIOD, as_of="2025-11-30", store_url=db, **extra)


def _form(db: str, **extra) -> MaturityForm:
    return MaturityForm(_params(db, **extra), forms.Sections(live=True), store=Store(db))


def _sign(form: MaturityForm, name: str = "Thandi Mokoena", line: str = LINE_2) -> None:
    form.respondent.name.value = name
    form.respondent.line.value = line


def _show(form: MaturityForm, element_id: str) -> None:
    """Navigate to the element's assessment and group, as a user would."""
    a, g, _e = form.m.element(element_id)
    form.assessment.value = a.id
    form.group.value = g.name


def _rate(form: MaturityForm, element_id: str, mark: str, comment: str | None = None) -> None:
    _show(form, element_id)
    choice = form.choices[element_id]
    if mark:
        choice.buttons[mark].click()
    else:
        choice.not_rated.click()
    if comment is not None:
        choice.comment.value = comment


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_the_three_descriptions_are_the_choices_side_by_side(db):
    form = _form(db)
    _show(form, "A1")
    choice = form.choices["A1"]
    _a, _g, element = form.m.element("A1")
    cards = choice.children[1]  # the row of cards
    assert len(cards.children) == 3
    assert [c.children[1].description for c in cards.children] == element.descriptions
    assert [_text(c.children[0].value) for c in cards.children] == \
        ["1 · Fragmented", "2 · Integrated", "3 · Risk intelligent"]
    assert "wb-chosen" in choice.not_rated._dom_classes  # nothing chosen yet
    choice.buttons["2"].click()
    assert "wb-chosen" in choice.buttons["2"]._dom_classes
    assert "wb-chosen" not in choice.buttons["1"]._dom_classes
    assert "wb-chosen" not in choice.not_rated._dom_classes
    assert [e.element_id for e in form.elements_box.children] == ["A1", "A2", "A3", "A4"]  # one group at a time


def test_rating_saves_canonical_marks_with_who_method_and_source(db):
    form = _form(db)
    _sign(form)
    _rate(form, "A1", "2")
    _rate(form, "A2", "3", comment="Whistle-blowing line <b>works</b>")
    _rate(form, "B3", "1")
    assert "3 unsaved change(s)" in _text(form.marks_progress.value)
    form.save_marks.click()
    assert "Saved marks" in form.feedback.value and "3 added" in form.feedback.value
    saved = {r.key: r for r in Store(db).current(ORG, PERIOD, "maturity_mark")}
    assert set(saved) == {"A1", "A2", "B3"}
    assert saved["A2"].data == {"element_id": "A2", "mark": "3", "respondent": "Thandi Mokoena",
                                "comment": "Whistle-blowing line <b>works</b>"}
    loaded = load_matrix()
    assert saved["A1"].method.name == "maturity-matrix" and saved["A1"].method.sha256 == loaded.sha256
    trail = Store(db).history(ORG, PERIOD, "maturity_mark", "A2")
    assert [(t["who"], t["line"], t["source"], t["identity"]) for t in trail] == \
        [("Thandi Mokoena", LINE_2, "form", "respondent")]
    assert "Elements rated 3 of 23" in _text(form.marks_progress.value)
    assert "unsaved" not in form.marks_progress.value
    status = _text(form.status.value)
    assert "Elements rated 3 of 23" in status and "no maturity status is given" in status  # the library's warning
    assert form.result.status is None and form.result.score.elements_rated == 3
    # saving again without a change writes nothing
    form.save_marks.click()
    assert "nothing to save" in form.feedback.value
    assert len(Store(db).history(ORG, PERIOD, "maturity_mark")) == 3


def test_every_element_rated_gives_the_status_and_not_yet_rated_withdraws_a_mark(db):
    form = _form(db)
    _sign(form)
    for _ in range(len([g for a in form.m.assessments for g in a.groups])):  # every group via "Next group"
        for choice in form.elements_box.children:
            choice.buttons["2"].click()
        form.next_group.click()
    assert form.pending_marks() == form.m.element_ids
    form.save_marks.click()
    assert form.result.status == "integrated"
    assert "Maturity status: Integrated" in _text(form.status.value) and "46 of 69" in _text(form.status.value)
    _rate(form, "C6", "")  # back to not yet rated: a new version with an empty mark
    form.save_marks.click()
    assert "1 changed" in form.feedback.value
    c6 = [r for r in Store(db).current(ORG, PERIOD, "maturity_mark") if r.key == "C6"][0]
    assert c6.data["mark"] == "" and c6.version == 2
    assert form.result.status is None and "Elements rated 22 of 23" in _text(form.status.value)


def test_capacity_answers_per_line_are_kept_while_switching_lines(db):
    form = _form(db)
    _sign(form, line=LINE_3)
    assert form.line.value == 3  # the respondent's own line is picked
    form.line.value = 2
    form.answer_buttons[1].value = "yes"
    form.answer_buttons[4].value = "no"
    form.answer_comments[4].value = "no annual skills analysis"
    form.line.value = 3
    assert form.answer_buttons[1].value == ""  # another line's answers
    form.answer_buttons[1].value = "no"
    form.line.value = 2
    assert form.answer_buttons[4].value == "no"  # unsaved answers survive switching
    form.save_capacity.click()
    assert "Saved capacity answers (line 2, 3)" in form.feedback.value
    saved = {r.key: r.data for r in Store(db).current(ORG, PERIOD, "capacity_answer")}
    assert saved == {
        "1|2": {"item_id": "1", "line": "2", "answer": "yes", "respondent": "Thandi Mokoena", "comment": ""},
        "4|2": {"item_id": "4", "line": "2", "answer": "no", "respondent": "Thandi Mokoena",
                "comment": "no annual skills analysis"},
        "1|3": {"item_id": "1", "line": "3", "answer": "no", "respondent": "Thandi Mokoena", "comment": ""}}
    trail = Store(db).history(ORG, PERIOD, "capacity_answer")
    assert {(t["who"], t["line"], t["source"]) for t in trail} == {("Thandi Mokoena", LINE_3, "form")}
    by_line = form.result.capacity.by_line.set_index("line")
    assert by_line.loc[2, "answered"] == 2 and by_line.loc[2, "yes"] == 1 and by_line.loc[3, "yes"] == 0
    assert "2 of 11" in _text(form.capacity_progress.value)
    assert len(form.result.capacity.disagreements) == 1  # item 1: line 2 yes, line 3 no


def test_reopening_prefills_the_saved_marks_and_answers(db):
    first = _form(db)
    _sign(first)
    _rate(first, "B2", "3", comment="audited data")
    first.line.value = 2
    first.answer_buttons[7].value = "yes"
    first.save_marks.click()  # keeps the capacity answer not yet saved
    assert first.pending_answers() == [(7, 2)]
    first.save_capacity.click()

    again = _form(db)  # the parameters name the organisation and period: opened at once
    _show(again, "B2")
    assert again.choices["B2"].value == ("3", "audited data")
    assert "wb-chosen" in again.choices["B2"].buttons["3"]._dom_classes
    again.line.value = 2
    assert again.answer_buttons[7].value == "yes"
    # unsaved edits are dropped when the period is opened again
    again.choices["B2"].buttons["1"].click()
    again.picker.open_button.click()
    assert again.choices["B2"].value == ("3", "audited data") and again.pending_marks() == []


def test_invalid_or_unsigned_saves_store_nothing_and_say_why(db):
    form = _form(db)
    _rate(form, "A1", "2")
    form.save_marks.click()  # no name yet
    assert "wb-error" in form.feedback.value and "enter your name" in form.feedback.value
    _sign(form)
    form.marks["A1"] = ("7", "")  # a mark no card offers
    form.save_marks.click()
    text = _text(form.feedback.value)
    assert "nothing was saved" in text and "A1 mark" in text and "7" in text
    form.answers[(1, 2)] = ("perhaps", "")
    form.save_capacity.click()
    text = _text(form.feedback.value)
    assert "nothing was saved" in text and "item 1, line 2 answer" in text and "perhaps" in text
    form.picker.period.value = "2026-27"  # typed, not opened
    form.marks["A1"] = ("2", "")
    form.save_marks.click()
    assert "press Open" in form.feedback.value
    assert Store(db).current(ORG, PERIOD, "maturity_mark") == []
    assert Store(db).current(ORG, PERIOD, "capacity_answer") == []
    assert Store(db).current(ORG, "2026-27", "maturity_mark") == []


def test_the_trend_comes_from_an_earlier_period_in_the_store(db):
    matrix = load_matrix().matrix
    earlier = records.canonical_rows("maturity_mark", records.read_for_kind(
        PARAMETERS / "maturity" / "karoo_vale_marks_2024.csv", "maturity_mark"), matrix)
    Store(db).save(ORG, "2024-25", "maturity_mark", earlier, Author("Importer", identity="cli"), source="import")
    form = _form(db)
    _sign(form)
    _rate(form, "A1", "3")
    form.save_marks.click()
    trend = form.result.trend
    assert list(dict.fromkeys(trend["period"])) == ["2024-25", "2025-26"]
    total = trend[trend["assessment"] == "Total"].set_index("period")
    assert total.loc["2025-26", "rated"] == 1 and total.loc["2024-25", "rated"] == 23
    assert "Trend from 2024-25 to 2025-26" in report.trend_narrative(form.result)
    # the parameters' history files count for their own organisation only, and only for earlier periods
    hist = [{"period": "2023-24", "marks": "maturity/karoo_vale_marks_2024.csv"},
            {"period": "2026-27", "marks": "maturity/karoo_vale_marks_2024.csv"}]
    own = _form(db, history=hist)
    assert list(dict.fromkeys(own.result.trend["period"])) == ["2023-24", "2024-25", "2025-26"]
    other = MaturityForm(_params(db, history=hist).model_copy(update={"organisation": "Karoo Vale"}),
                         forms.Sections(live=True), store=Store(db))
    other.picker.organisation.value, other.picker.period.value = ORG, PERIOD
    other.picker.open_button.click()
    assert list(dict.fromkeys(other.result.trend["period"])) == ["2024-25", "2025-26"]


def _run_notebook_in_app_mode(db: str) -> dict:
    """Execute notebooks/maturity_scoring.py cell by cell as the app would (form shown, data from the store)."""
    source = (ROOT / "notebooks" / "maturity_scoring.py").read_text(encoding="utf-8")
    cells = re.split(r"^# %%.*$", source, flags=re.M)
    namespace: dict = {"__name__": "__main__"}
    for cell in cells:
        exec(compile(cell, "maturity_scoring.py", "exec"), namespace)  # noqa: S102 - our own notebook
        if "show_form = False" in cell:  # what papermill or the app's query would inject
            namespace.update(organisation=ORG, period=PERIOD, show_form=True, store_url=db, history=[])
    return namespace


def _section_text(sections: forms.Sections) -> str:
    parts = []
    for out, _render in sections._parts:
        for o in out.outputs:
            parts.append(o.get("text", "") + "".join(str(v) for v in o.get("data", {}).values()))
    return "\n".join(parts)


def test_the_notebook_in_app_mode_refreshes_every_section_after_a_save(db, capsys):
    matrix = load_matrix().matrix
    earlier = records.canonical_rows("maturity_mark", records.read_for_kind(
        PARAMETERS / "maturity" / "karoo_vale_marks_2024.csv", "maturity_mark"), matrix)
    Store(db).save(ORG, "2024-25", "maturity_mark", earlier, Author("Importer", identity="cli"), source="import")
    ns = _run_notebook_in_app_mode(db)
    form, sections = ns["nb"].form, ns["sections"]
    assert ns["nb"].app and isinstance(form, MaturityForm)
    assert len(sections._parts) >= 15
    assert "Nothing saved yet" in _section_text(sections)
    _sign(form)
    _rate(form, "A1", "2")
    _rate(form, "A2", "1")
    form.save_marks.click()
    form.line.value = 2
    form.answer_buttons[3].value = "yes"
    form.save_capacity.click()
    shown = _section_text(sections)
    assert "could not be shown" not in shown
    assert f"## {ORG}: risk-management maturity, {PERIOD}" in shown  # the opening narrative names them
    # the key-figures line (for nbval and the JSON) is never printed in a form: no monospace debug line
    assert "elements 23 | rated 2" not in shown and "| status" not in shown
    assert "Trend from 2024-25 to 2025-26" in shown and "wb-chart" in shown  # trend narrative and charts (SVG images)
    assert "100% (1 of 1)" in shown  # capacity percentages
    assert "A2" in shown and "Designed, working channels" in shown  # gap with the next level's description
