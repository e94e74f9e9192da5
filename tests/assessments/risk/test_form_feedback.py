"""The risk form's feedback without a browser: problems named by the form's labels, the result beside the Save
button, "Add another risk", the listing in a reader's words, and progress checked (in the form and in a file)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re

import openpyxl
import pytest

from tests.conftest import write_csv
from tests.form_kit import Recorder, no_request, settle  # noqa: F401 - a fixture
from workbook_lib.assessments.risk.form import NEW, RiskRegisterForm
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.assessments.risk.methodology import load_methodology
from workbook_lib.assessments.risk.register import load_register
from workbook_lib.core.errors import InputError
from workbook_lib.core.store import Store

ORG, PERIOD = "Feedback Test Municipality", "2026-27"
WCAPE = load_methodology("western-cape-5x5").methodology
INTERNAL = ("inherent_impact", "inherent_likelihood", "due_date", "risk_id", "risk form", "row", "file")


pytestmark = pytest.mark.usefixtures("no_request")


@pytest.fixture
def store(tmp_path):
    with Store(str(tmp_path / "store.db")) as s:
        yield s


def _form(store: Store, **extra) -> RiskRegisterForm:
    params = RiskEvaluationParams(organisation=ORG, period=PERIOD, as_of="2026-11-30", methodology="western-cape-5x5",
                                  source="store", store_url=store.url, **extra)
    form = RiskRegisterForm(params, Recorder(), store=store)
    form.respondent.name.value = "Thandi Mokoena"
    return form


def _risk(form: RiskRegisterForm, risk_id: str, likelihood: str = "", impact: str = "", **fields: str) -> None:
    form.fields["risk_id"].value = risk_id
    form.fields["description"].value = f"Risk {risk_id}"
    form.ratings["inherent_likelihood"].value = likelihood
    form.ratings["inherent_impact"].value = impact
    for name, value in fields.items():
        form.fields[name].value = value


def _text(value: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", value)).replace("&#x27;", "'")


def test_a_failed_save_names_the_fields_as_the_form_shows_them(store):
    form = _form(store)
    _risk(form, "KV-022", likelihood="Unlikely", due_date="31 Feb 2027")
    form.save.click()
    text = _text(form.save_feedback.value)  # beside the Save button
    assert "wb-error" in form.save_feedback.value and "nothing was saved" in text
    assert "Inherent impact: expected a rating, since Inherent likelihood is 'Unlikely' (rate both or neither)" \
        in text
    assert "Action due: expected a date" in text and "'31 Feb 2027'" in text
    lowered = text.casefold()
    assert not [word for word in INTERNAL if word in lowered], text
    assert "wb-error" in form.feedback.value  # the top of the page says so too
    assert store.current(ORG, PERIOD, "risk") == []


def test_an_existing_risk_id_is_named_by_its_label(store):
    form = _form(store)
    _risk(form, "KV-022")
    form.save.click()
    form.add_another.click()
    _risk(form, "KV-022")
    form.save.click()
    text = _text(form.save_feedback.value)
    assert "Risk ID: expected a new risk ID; this one exists" in text
    assert "risk_id" not in text and "risk form" not in text


def test_a_saved_risk_is_confirmed_beside_the_save_button_and_add_another_clears_the_form(store):
    form = _form(store)
    editor = list(form.body.children[-1].children[0].children)  # the "Add or edit a risk" tab
    save_row = next(c for c in editor if form.save in getattr(c, "children", ()))
    assert form.add_another in save_row.children  # beside the Save button
    assert editor[editor.index(save_row) + 1] is form.save_feedback  # and the result right beneath them
    assert form.add_another.layout.display == "none"  # nothing saved yet
    _risk(form, "KV-022", likelihood="Likely", impact="Major", progress="50%")
    form.save.click()
    assert "Saved KV-022: 1 added" in form.save_feedback.value and "wb-ok" in form.save_feedback.value
    assert "Saved KV-022" in form.feedback.value
    assert form.add_another.layout.display != "none" and form.add_another.description == "Add another risk"
    assert form.choose.value == "KV-022" and form.fields["risk_id"].disabled

    form.add_another.click()
    assert form.choose.value == NEW
    assert form.fields["risk_id"].value == "" and not form.fields["risk_id"].disabled
    assert form.fields["description"].value == "" and form.fields["progress"].value == ""
    assert form.ratings["inherent_likelihood"].value == "" and form.status.value == "open"
    assert form.save_feedback.value == "" and form.add_another.layout.display == "none"

    _risk(form, "KV-023", likelihood="Rare", impact="Minor")
    form.save.click()
    assert "Saved KV-023: 1 added" in form.save_feedback.value
    assert sorted(r.key for r in store.current(ORG, PERIOD, "risk")) == ["KV-022", "KV-023"]
    form.fields["description"].value = "Edited"  # saving an edit offers no "Add another"
    form.save.click()
    assert "Saved KV-023: 0 added, 1 changed" in form.save_feedback.value
    assert form.add_another.layout.display == "none"


def test_the_listing_has_human_headings_and_yes_or_no(store):
    settle(store, ORG, PERIOD, appetite=12)
    form = _form(store)
    _risk(form, "KV-001", likelihood="Almost certain", impact="Major")
    form.save.click()
    form.add_another.click()
    _risk(form, "KV-002", likelihood="Rare", impact="Minor")
    form.save.click()
    listing = form.listing.value
    assert "wb-risk-list" in listing
    headings = re.findall(r"<th>(.*?)</th>", listing)
    assert headings == ["Risk", "Description", "Owner", "Inherent level", "Residual score", "Residual level",
                        "Above appetite"]
    cells = re.findall(r"<td>(.*?)</td>", listing)
    assert "Yes" in cells and "No" in cells
    for word in ("True", "False", "&lt;NA&gt;", "None", "nan", "above_appetite", "risk_id"):
        assert word not in listing


@pytest.mark.parametrize("progress", ["50%", "50", "0", "100 %", "in progress", "In Progress", "done", "Not started",
                                      "on hold", ""])
def test_progress_words_and_percentages_are_accepted(store, progress):
    form = _form(store)
    _risk(form, "KV-030", likelihood="Likely", impact="Major", progress=progress)
    form.save.click()
    assert "Saved KV-030" in form.save_feedback.value, _text(form.save_feedback.value)


@pytest.mark.parametrize("progress", ["Tender advertised", "half", "maybe", "in corso"])
def test_progress_in_the_organisations_own_words_is_kept_as_written(store, progress):
    form = _form(store)
    _risk(form, "KV-032", likelihood="Likely", impact="Major", progress=progress)
    form.save.click()
    assert "Saved KV-032" in form.save_feedback.value, _text(form.save_feedback.value)
    [saved] = store.current(ORG, PERIOD, "risk")
    assert saved.data["progress"] == progress


@pytest.mark.parametrize("progress", ["150%", "-5"])
def test_a_percentage_outside_0_to_100_is_refused_in_words(store, progress):
    form = _form(store)
    _risk(form, "KV-031", likelihood="Likely", impact="Major", progress=progress)
    form.save.click()
    text = _text(form.save_feedback.value)
    assert "Progress: expected a percentage from 0 to 100" in text and f"'{progress}'" in text
    assert "completato" not in text  # no list of words in other languages
    assert store.current(ORG, PERIOD, "risk") == []


def test_a_register_file_checks_progress_too(tmp_path):
    head = "risk_id,description,likelihood,impact,progress\n"
    good = write_csv(tmp_path / "good.csv", head + "R-1,One,Likely,Major,50%\nR-2,Two,Rare,Minor,in progress\n"
                     "R-3,Three,Likely,Minor,done\nR-4,Four,Rare,Major,\n")
    frame = load_register(good, WCAPE).frame.set_index("risk_id")
    assert frame["progress"].tolist() == ["50%", "in progress", "done", ""]
    assert bool(frame.loc["R-3", "complete"]) and not bool(frame.loc["R-2", "complete"])
    bad = write_csv(tmp_path / "bad.csv", head + "R-1,One,Likely,Major,150%\nR-2,Two,Rare,Minor,in progress\n")
    with pytest.raises(InputError) as info:
        load_register(bad, WCAPE)
    [problem] = info.value.problems
    assert (problem.row, problem.column, problem.value) == (2, "progress (column E)", "150%")
    assert problem.expected.startswith("a percentage from 0 to 100")


def test_the_download_holds_the_evaluated_register_for_the_organisations_settings(store):
    settle(store, ORG, PERIOD, appetite=8, tolerance="Low")
    form = _form(store, appetite=20)  # the notebook's own appetite is not the organisation's: never used
    _risk(form, "KV-030", likelihood="Likely", impact="Major")
    form.save.click()
    link = re.search(r'href="data:[^;]+;base64,([^"]+)"', form.download.value)
    assert link and "evaluated register" in form.download.value
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(link.group(1))))
    risks = book[book.sheetnames[0]] if "Risks" not in book.sheetnames else book["Risks"]
    header = [c.value for c in next(risks.iter_rows(max_row=1))]
    row = dict(zip(header, [c.value for c in next(risks.iter_rows(min_row=2, max_row=2))], strict=False))
    assert {"Inherent score", "Inherent level", "Residual level", "Decision maker"} <= set(header)  # in words
    assert row["Risk"] == "KV-030" and row["Inherent score"] == 16 and row["Inherent level"] == "High"
    assert row["Above appetite"] == "Yes"  # 16 > the organisation's appetite of 8
    assert row["Decision maker"] == "Municipal Manager"  # above tolerance (Low): the escalation rule
    assert form.params_for(ORG, PERIOD).as_of == dt.date.today()
