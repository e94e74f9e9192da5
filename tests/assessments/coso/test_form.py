"""The COSO form without a browser: widgets set as a respondent would, saves checked in the store."""

from __future__ import annotations

import pytest

from tests.form_kit import Recorder, no_request  # noqa: F401 - a fixture
from workbook_lib.assessments.coso.form import CHAMPION, RESPOND, RESPONDENT_EMPTY, CosoAssessmentForm
from workbook_lib.assessments.coso.inputs import CosoParams
from workbook_lib.core import forms
from workbook_lib.core.store import Author, Store

ORG, PERIOD = "Form Test Municipality", "2026-27"
P1 = ["P01-01", "P01-02", "P01-03", "P01-04", "P01-05", "P01-06"]


pytestmark = pytest.mark.usefixtures("no_request")


@pytest.fixture
def store(tmp_path):
    with Store(str(tmp_path / "store.db")) as s:
        yield s


def _form(store, **query) -> tuple[CosoAssessmentForm, Recorder]:
    params = CosoParams(organisation=ORG, period=PERIOD, as_of="2026-11-30", maturity_status="integrated",
                        store_url=store.url)
    sections = Recorder()
    return CosoAssessmentForm(params, sections, store=store), sections


def _respond(form: CosoAssessmentForm, name: str, line: str) -> None:
    form.name.value = name
    form.line.value = line


def _rate(form: CosoAssessmentForm, item_id: str, level: int, comment: str | None = None) -> None:
    rating, box = form.item_widgets[item_id]
    rating.value = form.q.scale[level - 1].label
    if comment is not None:
        box.value = comment


def _lines_saved(store) -> dict[str, dict]:
    return {r.key: r.data for r in store.current(ORG, PERIOD, "coso_response")}


def test_a_rating_is_saved_when_picked_with_who_and_line(store):
    form, sections = _form(store)
    assert form.opened == (ORG, PERIOD)
    assert form.items_box.children[0].value.startswith("<p><i>Choose your line")  # no items before a line
    _respond(form, "Ann Andrews", "1")
    assert "Has management designed processes" in form.key_question.value  # the line's key question
    assert set(form.item_widgets) == set(P1)  # one principle at a time
    _rate(form, "P01-01", 3)
    _rate(form, "P01-02", 4, comment="Policy <b>approved</b> 2026")
    assert "Saved P01-02" in form.feedback.value
    saved = _lines_saved(store)
    assert saved == {
        "P01-01|1": {"item_id": "P01-01", "line": "1", "rating": "3", "respondent": "Ann Andrews", "comment": ""},
        "P01-02|1": {"item_id": "P01-02", "line": "1", "rating": "4", "respondent": "Ann Andrews",
                     "comment": "Policy <b>approved</b> 2026"}}
    trail = store.history(ORG, PERIOD, "coso_response")
    assert [(t["key"], t["who"], t["line"], t["identity"], t["source"]) for t in trail] == [
        ("P01-01|1", "Ann Andrews", "Management", "respondent", "form"),
        ("P01-02|1", "Ann Andrews", "Management", "respondent", "form"),
        ("P01-02|1", "Ann Andrews", "Management", "respondent", "form")]  # the rating, then the comment
    record = store.current(ORG, PERIOD, "coso_response")[0]
    assert (record.method.name, record.method.version) == (form.q.name, form.q.version)
    assert record.method.sha256 == form.loaded.sha256
    assert "rated 2 of 76 items" in form.progress.value and "this principle 2 of 6" in form.progress.value
    # a respondent never gets the combined results
    assert sections.calls and all(result is None and empty == RESPONDENT_EMPTY for result, empty in sections.calls)


def test_a_line_sees_only_its_own_answers_and_resumes(store):
    form, _ = _form(store)
    _respond(form, "Ann Andrews", "1")
    _rate(form, "P01-01", 3, comment="Code of conduct signed")
    other, _ = _form(store)
    _respond(other, "Ben Botha", "2")
    rating, comment = other.item_widgets["P01-01"]
    assert (rating.value, comment.value) == ("", "")  # line 1's answer is not shown to line 2
    assert "rated 0 of 76" in other.progress.value
    _rate(other, "P01-01", 5)
    assert set(_lines_saved(store)) == {"P01-01|1", "P01-01|2"}

    again, _ = _form(store)  # come back later: the same organisation, period and line
    _respond(again, "Ann Andrews", "1")
    rating, comment = again.item_widgets["P01-01"]
    assert (rating.value, comment.value) == (form.q.scale[2].label, "Code of conduct signed")
    assert "staff have been trained" in rating.help.value  # the level's description is shown
    again.line.value = "2"  # switching line shows that line's answers instead
    assert again.item_widgets["P01-01"][0].value == form.q.scale[4].label


def test_navigation_shows_one_principle_and_not_assessed_ones(store):
    form, _ = _form(store)
    _respond(form, "Ann Andrews", "3")
    form.next.click()
    assert form.principle.value == 2 and set(form.item_widgets) == {"P02-01", "P02-02", "P02-03"}
    form.principle.value = 9  # the shipped questionnaire has no item for principle 9
    assert form.item_widgets == {}
    assert "not assessed" in form.items_box.children[0].value
    assert "not assessed" in form.principle.label
    form.previous.click()
    assert form.principle.value == 8
    assert "scale" in form.respond_panel.children[3].value and "No formal process" in \
        form.respond_panel.children[3].value  # the scale table, once, at the top


def test_clearing_an_answer_withdraws_it_and_the_trail_keeps_it(store):
    form, _ = _form(store)
    _respond(form, "Ann Andrews", "1")
    _rate(form, "P01-03", 2)
    form.item_widgets["P01-03"][0].value = ""
    assert _lines_saved(store) == {}
    trail = store.history(ORG, PERIOD, "coso_response", "P01-03|1")
    assert [t["after"] for t in trail][-1] is None and trail[0]["after"]["rating"] == "2"


def test_no_name_or_no_open_saves_nothing_and_says_why(store):
    form, _ = _form(store)
    form.line.value = "1"
    _rate(form, "P01-01", 3)
    assert "enter your name" in form.feedback.value and "wb-error" in form.feedback.value
    assert _lines_saved(store) == {}

    blank = CosoParams(organisation="x", period="y", as_of="2026-11-30", store_url=store.url)
    empty = CosoAssessmentForm(blank, Recorder(), store=store)
    empty.picker.organisation.value = ""
    empty.picker.open_button.click()
    assert "choose or type an organisation and a period" in empty.feedback.value


def test_invalid_answers_save_nothing_and_show_every_problem(store):
    form, _ = _form(store)
    _respond(form, "Ann Andrews", "1")
    save = forms.guarded(form.feedback)(form.save_answers)  # the path every widget callback takes
    save(1, {"P01-01": ("3", "fine"), "P01-02": ("9", ""), "P99-99": ("2", "")}, Author("Ann Andrews", "Management"))
    text = form.feedback.value
    assert "2 problem(s); nothing was saved" in text
    assert "item P01-02" in text and "rating" in text and "item P99-99" in text
    assert _lines_saved(store) == {}


def test_the_champion_sees_every_line_and_who_answered(store):
    first, _ = _form(store)
    _respond(first, "Ann <Andrews>", "1")
    _rate(first, "P01-01", 3)
    second, _ = _form(store)
    _respond(second, "Ben Botha", "2")
    _rate(second, "P01-01", 4)

    champion, sections = _form(store)
    champion.mode.value = CHAMPION
    assert champion.respond_panel.layout.display == "none" and champion.champion_panel.layout.display == ""
    result, _empty = sections.calls[-1]
    assert result is not None and (result.organisation, result.period) == (ORG, PERIOD)
    item = result.items.set_index("item_id").loc["P01-01"]
    assert (item["rating_1"], item["rating_2"], item["missing_lines"]) == (3, 4, "3")
    who = champion.champion.value
    assert "Ann &lt;Andrews&gt;" in who and "Ben Botha" in who and "<Andrews>" not in who  # escaped
    assert "wb-download" in champion.download.value
    champion.mode.value = RESPOND  # back to responding: the combined view is hidden again
    assert sections.calls[-1] == (None, RESPONDENT_EMPTY)


def test_query_string_preselects_organisation_line_and_view(store, monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "organisation=Query%20Town&period=2030-31&line=2&view=champion")
    form, sections = _form(store)
    assert form.opened == ("Query Town", "2030-31") and form.line.value == "2"
    assert form.mode.value == CHAMPION
    assert "No line has saved an answer yet" in form.champion.value
    assert sections.calls[-1][0] is None
