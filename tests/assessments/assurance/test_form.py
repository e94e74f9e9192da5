"""The combined-assurance form without a browser: widgets set as a risk owner would, saves checked in the store."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.conftest import PARAMETERS
from tests.form_kit import Recorder, example_settings, no_request, settle  # noqa: F401 - a fixture
from workbook_lib.assessments import shared_fields
from workbook_lib.assessments.assurance import form as form_module
from workbook_lib.assessments.assurance.form import AssuranceForm
from workbook_lib.assessments.assurance.inputs import CombinedAssuranceParams
from workbook_lib.core import records
from workbook_lib.core.outputs import section
from workbook_lib.core.params import load_file
from workbook_lib.core.store import Author, Store

ORG, PERIOD = "Form Test Municipality", "2026-27"
LINE_1 = "1st line - management and risk owners"
CONTROL = "Quarterly bulk water loss review"


pytestmark = pytest.mark.usefixtures("no_request")


@pytest.fixture(scope="module")
def params() -> CombinedAssuranceParams:
    loaded = load_file(PARAMETERS / "karoo-vale-2025-26.yaml", CombinedAssuranceParams, shared_fields())
    return loaded.model_copy(update={"organisation": ORG, "period": PERIOD})


@pytest.fixture
def store(tmp_path, params):
    with Store(str(tmp_path / "store.db")) as s:
        register = records.read_for_kind(params.resolve(params.register_file), "risk")
        s.save(ORG, PERIOD, "risk", records.rows_from_table(register, "risk"), Author("Seeder"), source="import")
        settle(s, ORG, PERIOD, **example_settings(params))
        yield s


def _form(store, params) -> tuple[AssuranceForm, Recorder]:
    sections = Recorder()
    return AssuranceForm(params, sections, store=store), sections


def _entry(form: AssuranceForm, risk: str, provider: str, frequency: str, control: str = CONTROL,
           notes: str = "") -> None:
    form.risk.value = risk
    form.entry.value = ""
    form.control.value = control
    form.provider.value = provider
    form.frequency.value = frequency
    form.notes.value = notes
    form.save.click()


def _who(form: AssuranceForm, name: str = "Nomsa Dube", line: str = LINE_1) -> None:
    form.respondent.name.value = name
    form.respondent.line.value = line


def _row(form: AssuranceForm, risk: str):
    return form.result.risks.set_index("risk_id").loc[risk]


def test_opens_on_the_register_in_the_store_highest_residual_first(store, params):
    form, sections = _form(store, params)
    assert form.opened == (ORG, PERIOD)
    labels = [label for label, _v in form.risk.options]
    assert labels[0] == "(choose a risk)"
    assert labels[1] == "KV-002 · High 18 · GAP"  # every risk in scope is a gap before any entry
    assert len(labels) == 22 and any("out of scope" in lb for lb in labels)
    scores = list(form.result.risks["residual_score"])
    assert scores == sorted(scores, reverse=True)
    assert "0 assurance entries" in form.status.value and "15 gap(s)" in form.status.value
    assert sections.calls[-1][0] is form.result
    assert 'class="wb-download"' in form.download.value
    # the organisation's own provider (from the parameters) is offered, labelled by its line
    assert ("Line 2 · Occupational health and safety", "occupational_health_safety") in form.provider.options
    assert [v for _l, v in form.frequency.options] == ["", "A", "B", "Q", "M", "W", "D", "C"]
    form.risk.value = "KV-002"
    assert "In scope" in form.risk_info.value and "none" in form.risk_info.value
    assert "extensive" in form.risk_info.value and "wb-gap" in form.risk_info.value


def test_entries_saved_close_the_gap_and_the_sections_refresh(store, params):
    form, sections = _form(store, params)
    _who(form)
    _entry(form, "KV-002", "internal_audit", "A", notes="In the 2026-27 internal audit plan")
    assert "Saved KV-002 / Quarterly bulk water loss review / Internal audit: 1 added" in form.feedback.value
    assert _row(form, "KV-002")["coverage"] == "inadequate"
    assert form.control.options == (CONTROL,)  # the control is offered again for the next provider
    assert form.control.value == CONTROL and form.entry.value == ""
    _entry(form, "KV-002", "management_controls", "M")
    kv = _row(form, "KV-002")
    assert (kv["coverage"], bool(kv["gap"])) == ("extensive", False)
    assert sections.calls[-1][0] is form.result and "KV-002" not in set(form.result.gaps["risk_id"])
    assert "No gap" in form.risk_info.value
    assert ("KV-002 · High 18", "KV-002") in form.risk.options  # the label lost its GAP flag
    assert form.risk.value == "KV-002"  # still on the same risk
    assert "Internal audit" in form.entry_list.value and "A (annually)" in form.entry_list.value

    saved = {r.key: r for r in store.current(ORG, PERIOD, "assurance_entry")}
    key = "KV-002|quarterly bulk water loss review|internal_audit"
    assert set(saved) == {key, "KV-002|quarterly bulk water loss review|management_controls"}
    assert saved[key].data == {"risk_id": "KV-002", "control": CONTROL, "provider": "internal_audit",
                               "frequency": "A", "notes": "In the 2026-27 internal audit plan"}
    assert (saved[key].method.name, saved[key].method.version) == ("combined-assurance", "2017.1")
    trail = store.history(ORG, PERIOD, "assurance_entry")
    assert [(t["who"], t["line"], t["identity"], t["source"]) for t in trail] == [
        ("Nomsa Dube", LINE_1, "respondent", "form")] * 2


def _said(form) -> str:
    """What the form says after a save: its feedback and the problems shown under the fields."""
    return form.feedback.value + "".join(n.value for n in form.field_notes._shown)


def test_invalid_input_saves_nothing_and_shows_the_problems(store, params):
    form, _ = _form(store, params)
    form.risk.value = "KV-002"
    form.provider.value = "internal_audit"
    form.save.click()
    assert "enter your name" in form.feedback.value  # who is saving comes first
    _who(form)
    form.risk.value = ""
    form.provider.value = ""
    form.save.click()
    assert "2 problem(s); nothing was saved" in form.feedback.value
    assert "See Provider, Risk: each problem is shown under its field" in form.feedback.value  # by their labels
    notes = [n.value for n in form.field_notes._shown]  # each problem under its field
    assert len(notes) == 2 and any("a risk: choose one" in n for n in notes)
    _entry(form, "KV-009", "compliance", "Q", control="x" * 220)
    assert "shorter control name" in _said(form)
    assert store.current(ORG, PERIOD, "assurance_entry") == []
    # the same provider for the same control again, as a new entry: refused (change it by choosing it)
    _entry(form, "KV-009", "compliance", "Q")
    _entry(form, "KV-009", "compliance", "M", control=CONTROL.upper())
    assert "already assures this control" in _said(form)
    [saved] = store.current(ORG, PERIOD, "assurance_entry")
    assert saved.data["frequency"] == "Q"


def test_choose_change_replace_and_remove_an_entry(store, params):
    form, _ = _form(store, params)
    _who(form, "Pieter Smit", "3rd line - internal audit")
    _entry(form, "KV-014", "internal_audit", "A", control="")  # blank: the risk as a whole
    _entry(form, "KV-014", "compliance", "Q", control="")
    key = "KV-014||internal_audit"
    assert key in {r.key for r in store.current(ORG, PERIOD, "assurance_entry")}
    assert "(risk as a whole)" in form.entry_list.value
    assert _row(form, "KV-014")["gap"] == False  # noqa: E712 - moderate required, two lines found

    form.entry.value = key  # choose it: the fields show it, and Save changes it
    assert (form.provider.value, form.frequency.value, form.remove.disabled) == ("internal_audit", "A", False)
    assert form.save.description == "Save changes"
    form.frequency.value = "B"
    form.save.click()
    assert "0 added, 1 changed" in form.feedback.value
    form.entry.value = key
    form.provider.value = "external_audit"  # another provider: the chosen entry is replaced
    form.save.click()
    assert "1 added, 0 changed, 0 unchanged, 1 removed" in form.feedback.value
    current = {r.key: r.data for r in store.current(ORG, PERIOD, "assurance_entry")}
    assert key not in current and current["KV-014||external_audit"]["frequency"] == "B"

    form.entry.value = "KV-014||compliance"
    form.remove.click()
    assert "Removed KV-014 / (risk as a whole)" in form.feedback.value
    assert "audit trail keeps" in form.feedback.value
    assert set(k for k in (r.key for r in store.current(ORG, PERIOD, "assurance_entry"))) == \
        {"KV-014||external_audit"}
    kv = _row(form, "KV-014")
    assert (kv["coverage"], bool(kv["gap"])) == ("inadequate", True)  # the gap is back
    removal = store.history(ORG, PERIOD, "assurance_entry", "KV-014||compliance")[-1]
    assert removal["after"] is None and removal["before"]["frequency"] == "Q"
    assert (removal["who"], removal["line"], removal["source"]) == ("Pieter Smit", "3rd line - internal audit",
                                                                     "form")
    assert form.entry.value == "" and form.remove.disabled


def test_without_a_register_the_form_says_where_to_enter_it(store, params):
    empty = params.model_copy(update={"period": "2030-31"})
    form, sections = _form(store, empty)
    assert "wb-no-register" in form.status.value
    assert 'href="risk_evaluation.ipynb?organisation=Form+Test+Municipality&amp;period=2030-31"' in \
        form.status.value
    assert form.result is None and sections.calls[-1][0] is None
    # the empty results say what to do first
    assert sections.calls[-1][1] == (f"No risk register is saved for {ORG}, 2030-31. Combined assurance starts "
                                     "from the risk register: enter it first, then record here who assures each risk.")
    assert form.download.value == "" and form.risk.options == (("(choose a risk)", ""),)
    _who(form)
    form.save.click()
    assert "no risk register is saved" in form.feedback.value
    assert store.current(ORG, "2030-31", "assurance_entry") == []


def test_typed_organisation_must_be_opened_before_saving(store, params):
    form, _ = _form(store, params)
    _who(form)
    form.picker.period.value = "2031-32"
    _entry(form, "KV-002", "internal_audit", "A")
    assert "press Open" in form.feedback.value
    assert store.current(ORG, PERIOD, "assurance_entry") == [] == store.current(ORG, "2031-32", "assurance_entry")


def test_a_saved_entry_the_analysis_rejects_is_shown_and_can_be_removed(store, params):
    store.save(ORG, PERIOD, "assurance_entry", {"KV-002||retired_provider": {
        "risk_id": "KV-002", "control": "", "provider": "retired_provider", "frequency": "A", "notes": ""}},
        Author("Importer"), source="import")
    form, sections = _form(store, params)
    assert "could not be run" in form.status.value and "retired_provider" in form.status.value
    assert form.result is None and sections.calls[-1][0] is None
    assert [v for _l, v in form.risk.options][1:4] == ["KV-001", "KV-002", "KV-003"]  # the register, unrated
    form.risk.value = "KV-002"
    form.entry.value = "KV-002||retired_provider"
    _who(form)
    form.remove.click()
    assert "Removed" in form.feedback.value and form.result is not None and "could not" not in form.status.value


def test_user_text_is_escaped_and_the_excel_plan_is_inert(store, params):
    form, _ = _form(store, params)
    _who(form)
    _entry(form, "KV-005", "risk_management", "M", control="<b>Cash</b> flow", notes="=HYPERLINK(\"x\")<script>")
    assert "<script>" not in form.entry_list.value and "&lt;script&gt;" in form.entry_list.value
    assert "<b>Cash</b>" not in form.entry_list.value
    import base64

    link = form.download.value
    assert 'download="Form Test Municipality 2026-27 combined assurance plan.xlsx"' in link
    data = base64.b64decode(link.split("base64,", 1)[1].split('"', 1)[0])
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[:3] == ["Assurance plan", "Plan text", "Assurance map"]
    sheet = book["Assurance map"]
    column = next(c.column_letter for c in sheet[1] if c.value == "Notes")
    notes = [c.value for c in sheet[column]]
    assert "'=HYPERLINK(\"x\")<script>" in notes


def test_section_wraps_html_for_the_app():
    from IPython.display import HTML

    assert section("gaps", HTML("<table></table>")).data == '<div class="wb-section-gaps"><table></table></div>'


def test_a_key_control_without_a_provider_and_a_quarter_not_delivered(store, params):
    form, sections = _form(store, params)
    _who(form)
    _entry(form, "KV-005", form_module.NO_PROVIDER, "", control="Indigent register")
    assert "Saved KV-005 / Indigent register / no provider yet" in form.feedback.value
    assert form.result.key_controls.set_index("control").loc["Indigent register", "coverage"] == "none"
    _entry(form, "KV-005", "internal_audit", "Q")
    key = "KV-005|quarterly bulk water loss review|internal_audit"
    assert [v for _l, v in form.activity.options] == ["", key]  # only entries with a provider deliver
    form.quarter.value = "Q2"
    form.activity.value = key
    form.delivery_status.value = "not delivered"
    form.action.value = "Co-source the review"
    form.action_due.value = "2026-01-31"
    form.save_delivery.click()
    assert "Saved Q2 KV-005 / Quarterly bulk water loss review / Internal audit: not delivered" in form.feedback.value
    [saved] = store.current(ORG, PERIOD, "assurance_delivery")
    assert saved.key == "Q2|" + key and saved.data["status"] == "not delivered"
    d = form.result.delivery
    assert d.quarters == ["Q2"] and list(d.left_without["risk_id"]) == ["KV-005"]
    assert "Co-source the review" in form.deliveries.value
    form.action_due.value = "31/01/2026"
    form.save_delivery.click()
    assert "YYYY-MM-DD" in _said(form)
