"""The risk form asks for the fields of the organisation's tier for the period (issue 26; the guide's Tables 21-23):
the field set per tier and methodology, the line saying which tier and why, a saved risk's tier fields kept in the
store and filled again, a value the register reading refuses shown beside its field, a Table 21 and a Table 23
file imported through the form, and in a browser, the risk-intelligent ranges and the fragmented level choice."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.browser_kit import open_form
from tests.form_kit import Recorder, no_request, settle  # noqa: F401 - a fixture
from workbook_lib.assessments.risk.form import (
    NEW,
    RANGES_AFTER,
    RANGES_BEFORE,
    RiskRegisterForm,
    entry_fields,
    form_tier,
)
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.assessments.risk.methodology import load_methodology
from workbook_lib.assessments.risk.tiers import tier_for
from workbook_lib.core.store import Store

PERIOD = "2026-27"
REGISTERS = Path(__file__).resolve().parents[2] / "data" / "registers"
FIVE = load_methodology("western-cape-5x5").methodology
DIRECT = load_methodology("western-cape-fragmented").methodology
PICKERS = {"inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact"}
INTEGRATED = {"objective", "root_causes_internal", "root_causes_external", "consequence", "appetite_statement"}
RANGES = set(RANGES_BEFORE) | set(RANGES_AFTER)
DEVELOPER = re.compile(r"\b[a-z]+_[a-z_]+\b|\bTrue\b|\bFalse\b|\bNone\b|Traceback")

pytestmark = pytest.mark.usefixtures("no_request")


@pytest.fixture
def store(tmp_path):
    with Store(str(tmp_path / "store.db")) as s:
        yield s


def _params(store: Store, organisation: str, methodology: str = "western-cape-5x5") -> RiskEvaluationParams:
    return RiskEvaluationParams(organisation=organisation, period=PERIOD, as_of="2026-11-30",
                                methodology=methodology, source="store", store_url=store.url)


def _form(store: Store, organisation: str, status: str | None = None,
          methodology: str = "western-cape-5x5") -> RiskRegisterForm:
    """The form for an organisation whose settings name the methodology and, if given, the maturity status."""
    settle(store, organisation, PERIOD, methodology=methodology,
           **({"maturity_status": status} if status else {}))
    form = RiskRegisterForm(_params(store, organisation, methodology), Recorder(), store=store)
    form.respondent.name.value = "Thandi Mokoena"
    return form


def _text(value: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", value)).replace("&#x27;", "'").strip()


def _asked(form: RiskRegisterForm) -> set[str]:
    return set(form.fields) | set(form.ratings)


# ---- the field set per tier (no form) -----------------------------------------------------------------------
def test_the_fragmented_tier_with_a_direct_methodology_rates_on_levels():
    fields = entry_fields(tier_for("fragmented")[0], DIRECT)
    assert {"stated_inherent_level", "stated_residual_level", "control_effectiveness", "objective"} <= set(fields)
    assert not PICKERS & set(fields)
    assert not (INTEGRATED - {"objective"}) & set(fields) and not RANGES & set(fields)
    assert fields.index("stated_inherent_level") < fields.index("controls") < fields.index("stated_residual_level")


def test_the_integrated_tier_adds_objective_causes_consequence_and_appetite():
    fields = entry_fields(tier_for("integrated")[0], FIVE)
    assert INTEGRATED | PICKERS | {"control_effectiveness"} <= set(fields)
    assert not RANGES & set(fields) and "kpi" not in fields and "monitoring" not in fields
    assert "stated_inherent_level" not in fields


def test_the_risk_intelligent_tier_adds_indicator_monitoring_and_ranges_before_and_after_controls():
    fields = entry_fields(tier_for("risk intelligent")[0], FIVE)
    assert INTEGRATED | PICKERS | RANGES | {"kpi", "monitoring"} <= set(fields)
    assert fields.index("inherent_impact") < fields.index("annual_probability") < fields.index("controls") \
        < fields.index("residual_impact") < fields.index("residual_annual_probability")


def test_every_tier_asks_for_every_field_its_register_keeps():
    """tiers.yaml's fields are all asked for (the direct levels standing for likelihood and impact)."""
    for status, m in (("fragmented", DIRECT), ("integrated", FIVE), ("risk intelligent", FIVE)):
        tier = tier_for(status)[0]
        assert set(tier.fields) <= set(entry_fields(tier, m)), status
    fragmented = tier_for("fragmented")[0]
    five = set(entry_fields(fragmented, FIVE))  # a fragmented organisation still rating 5 x 5: the pickers
    assert PICKERS <= five and "stated_inherent_level" not in five


def test_the_tier_is_resolved_as_the_run_resolves_it(store):
    tier, line = form_tier(_params(store, "Nowhere").model_copy(update={"maturity_status": None}))
    assert tier.status == "integrated"
    assert line == ("Fields of the integrated register (the provincial guide's Table 22): no maturity status is set "
                    "for this period")
    tier, line = form_tier(_params(store, "Nowhere").model_copy(update={"maturity_status": "risk intelligent"}))
    assert tier.quantify and "Table 23" in line and "set for this period is risk intelligent" in line


# ---- the form ---------------------------------------------------------------------------------------------------

def test_no_status_set_the_form_asks_for_the_integrated_fields_and_says_so(store):
    form = _form(store, "No Status Council")
    assert INTEGRATED | PICKERS <= _asked(form) and not RANGES & _asked(form)
    assert _text(form.tier_note.value) == ("Fields of the integrated register (the provincial guide's Table 22): no "
                                           "maturity status is set for this period.")
    assert isinstance(form.fields["root_causes_internal"], type(form.fields["description"]))  # a text area


def test_fragmented_asks_for_the_methodologys_levels(store):
    form = _form(store, "Fragmented Council", "fragmented", "western-cape-fragmented")
    assert not PICKERS & _asked(form) and not RANGES & _asked(form)
    for name in ("stated_inherent_level", "stated_residual_level"):
        assert [label for label, _v in form.ratings[name].dropdown.options][1:] == ["High", "Medium", "Low"]
    assert [v for _k, v in form.ratings["control_effectiveness"].dropdown.options][1:] == \
        ["Effective", "Partially effective", "Ineffective"]
    assert "fragmented register (the provincial guide's Table 21)" in _text(form.tier_note.value)


def test_a_fragmented_risk_is_saved_evaluated_and_filled_again(store):
    org = "Fragmented Council"
    form = _form(store, org, "fragmented", "western-cape-fragmented")
    form.fields["risk_id"].value = "FR-01"
    form.fields["description"].value = "Irregular expenditure"
    form.fields["objective"].value = "A financially sustainable municipality"
    form.ratings["stated_inherent_level"].value = "High"
    form.ratings["control_effectiveness"].value = "Partially effective"
    form.ratings["stated_residual_level"].value = "Medium"
    form.save.click()
    assert "Saved FR-01" in _text(form.save_feedback.value), _text(form.save_feedback.value)
    data = store.current(org, PERIOD, "risk")[0].data
    assert (data["stated_inherent_level"], data["stated_residual_level"], data["objective"]) == \
        ("High", "Medium", "A financially sustainable municipality")
    ev = form.evaluation()
    assert ev.risks.loc[0, "residual_level"] == "Medium" and ev.tier.tier.status == "fragmented"
    form.choose.value = NEW
    assert form.ratings["stated_inherent_level"].value == ""
    form.choose.value = "FR-01"
    assert (form.ratings["stated_inherent_level"].value, form.ratings["stated_residual_level"].value,
            form.fields["objective"].value) == ("High", "Medium", "A financially sustainable municipality")


RISK_INTELLIGENT = {"objective": "Clean audit outcome", "kpi": "Audit opinion of the Auditor-General",
                    "root_causes_internal": "Reconciliations not done monthly",
                    "root_causes_external": "Late supplier statements", "consequence": "Qualified audit opinion",
                    "monitoring": "Reconciliation status reviewed every month",
                    "appetite_statement": "Statements submitted by the statutory deadline",
                    "annual_probability": "30%", "impact_low": "ZAR 800 000", "impact_high": "ZAR 2 500 000",
                    "residual_annual_probability": "10%", "residual_impact_low": "ZAR 400 000",
                    "residual_impact_high": "ZAR 1 200 000"}


def _risk_intelligent_risk(form: RiskRegisterForm, **changes: str) -> None:
    form.fields["risk_id"].value = "RI-01"
    form.fields["description"].value = "Annual financial statements submitted late"
    form.ratings["inherent_likelihood"].value = "Likely"
    form.ratings["inherent_impact"].value = "Major"
    for name, value in {**RISK_INTELLIGENT, **changes}.items():
        form.fields[name].value = value


def test_a_risk_intelligent_risk_keeps_its_fields_in_the_store_and_is_simulated(store):
    org = "Risk Intelligent Council"
    form = _form(store, org, "risk intelligent")
    assert RANGES | {"kpi", "monitoring"} | INTEGRATED <= _asked(form)
    assert "set for this period is risk intelligent" in _text(form.tier_note.value)
    _risk_intelligent_risk(form)
    form.save.click()
    assert "Saved RI-01" in _text(form.save_feedback.value), _text(form.save_feedback.value)
    data = store.current(org, PERIOD, "risk")[0].data
    assert {k: data[k] for k in RISK_INTELLIGENT} == RISK_INTELLIGENT  # canonical columns, as typed
    ev = form.evaluation()
    assert ev.quantification and ev.quantification["residual"].expected_loss > 0
    fresh = RiskRegisterForm(_params(store, org), Recorder(), store=store)  # a form reloading the risk fills them
    fresh.choose.value = "RI-01"
    assert {k: fresh.fields[k].value for k in RISK_INTELLIGENT} == RISK_INTELLIGENT


def test_a_chance_the_register_reading_refuses_is_shown_beside_its_field(store):
    org = "Risk Intelligent Council"
    form = _form(store, org, "risk intelligent")
    _risk_intelligent_risk(form, annual_probability="thirty", impact_high="lots")
    form.save.click()
    said = _text(form.save_feedback.value)
    assert "nothing was saved" in said and "Chance a year" in said and "'thirty'" in said
    assert "Impact high (money)" in said and "'lots'" in said
    notes = [_text(n.value) for n in form.field_notes._shown]
    assert any("thirty" in n and "percentage" in n for n in notes) and any("lots" in n for n in notes)
    assert not DEVELOPER.search(said), said
    assert store.current(org, PERIOD, "risk") == []


def test_a_risk_intelligent_register_without_ranges_is_listed_saying_the_losses_wait(store):
    """A risk saved with its ratings only: saved and listed, the losses in money said to wait for the ranges."""
    org = "Risk Intelligent Council"
    form = _form(store, org, "risk intelligent")
    form.fields["risk_id"].value = "RI-02"
    form.fields["description"].value = "Pump stations fail"
    form.ratings["inherent_likelihood"].value = "Likely"
    form.ratings["inherent_impact"].value = "Major"
    form.save.click()
    assert "Saved RI-02" in _text(form.save_feedback.value), _text(form.feedback.value)
    assert "Losses in money are not simulated yet" in _text(form.listing.value)
    assert form.evaluation().tier.tier.status == "risk intelligent"


def test_editing_in_a_lower_tier_keeps_the_fields_it_does_not_ask_for(store):
    org = "Changing Council"
    form = _form(store, org, "risk intelligent")
    _risk_intelligent_risk(form)
    form.save.click()
    lower = _form(store, org, "integrated")  # the status set lower: kpi and ranges are not asked for
    assert "kpi" not in lower.fields
    lower.choose.value = "RI-01"
    lower.fields["consequence"].value = "Qualified audit opinion; a council resolution"
    lower.save.click()
    data = store.current(org, PERIOD, "risk")[0].data
    assert data["consequence"] == "Qualified audit opinion; a council resolution"
    assert data["kpi"] == RISK_INTELLIGENT["kpi"] and data["annual_probability"] == "30%"


def test_the_form_follows_the_status_when_another_organisation_is_opened(store):
    settle(store, "Fragmented Too", PERIOD, methodology="western-cape-5x5", maturity_status="fragmented")
    form = _form(store, "Risk Intelligent Council", "risk intelligent")
    assert "annual_probability" in form.fields
    form.picker.organisation.value = "Fragmented Too"
    form.on_open()
    assert "annual_probability" not in form.fields and "root_causes_internal" not in form.fields
    assert PICKERS <= set(form.ratings)  # rated 5 x 5 all the same
    assert "fragmented register" in _text(form.tier_note.value)


def test_the_status_scored_from_the_marks_picks_the_tier(store, monkeypatch):
    import workbook_lib.assessments.maturity.run as maturity_run

    monkeypatch.setattr(maturity_run, "maturity_of", lambda params: "risk intelligent")
    form = _form(store, "Marked Council")
    assert "annual_probability" in form.fields
    assert "scored from this period's maturity marks is risk intelligent" in _text(form.tier_note.value)


# ---- the import step ------------------------------------------------------------------------------------------
def _import(form: RiskRegisterForm, path: Path) -> str:
    content = path.read_bytes()
    form.upload.value = ({"name": path.name, "type": "text/csv", "size": len(content),
                          "last_modified": dt.datetime.now(), "content": memoryview(content)},)
    form.check.click()
    checked = _text(form.import_report.value)
    assert "is valid" in checked, _text(form.import_feedback.value)
    form.confirm_import.click()
    return _text(form.feedback.value)


def test_a_table_21_register_imports_under_the_fragmented_methodology(store):
    org = "Table 21 Council"
    form = _form(store, org, "fragmented", "western-cape-fragmented")
    said = _import(form, REGISTERS / "table21_fragmented.csv")
    assert "Imported table21_fragmented.csv" in said, said
    saved = {r.key: r.data for r in store.current(org, PERIOD, "risk")}
    assert len(saved) == 6 and saved["1"]["stated_inherent_level"] == "High"
    form.choose.value = "3"
    assert (form.ratings["stated_inherent_level"].value, form.ratings["stated_residual_level"].value) == \
        ("High", "Low")
    assert form.fields["objective"].value == "Reliable basic services to every household"
    assert form.evaluation().tier.tier.status == "fragmented"


def test_a_table_23_register_imports_under_the_risk_intelligent_status(store):
    org = "Table 23 Council"
    form = _form(store, org, "risk intelligent")
    said = _import(form, REGISTERS / "table23_layout.csv")
    assert "Imported table23_layout.csv" in said, said
    saved = {r.key: r.data for r in store.current(org, PERIOD, "risk")}
    assert len(saved) == 4 and saved["1"]["kpi"] and saved["1"]["monitoring"]
    form.choose.value = "1"
    assert form.fields["kpi"].value == "Irregular expenditure as a share of the operating budget"
    assert form.fields["root_causes_external"].value == "Political interference"


# ---- in a browser ---------------------------------------------------------------------------------------------
def test_the_form_in_a_browser_shows_the_fields_of_the_tier(page, app_server):
    base, db = app_server
    with Store(str(db)) as store:
        for org, status, methodology in (("Browser Risk Intelligent", "risk intelligent", "western-cape-5x5"),
                                         ("Browser Fragmented", "fragmented", "western-cape-fragmented")):
            settle(store, org, PERIOD, methodology=methodology, maturity_status=status)
    open_form(page, base, f"?organisation={quote('Browser Risk Intelligent')}&period={PERIOD}")
    page.wait_for_selector(".wb-tier-line:has-text('risk intelligent register')")
    for name in ("annual-probability", "impact-low", "impact-high", "residual-annual-probability",
                 "residual-impact-low", "residual-impact-high", "kpi", "monitoring"):
        assert page.locator(f".wb-risk-form .wb-{name}").is_visible(), name
    text = page.locator(".wb-risk-form").inner_text()
    assert "Chance a year" in text and "Impact low (money)" in text and "Residual impact high (money)" in text
    open_form(page, base, f"?organisation={quote('Browser Fragmented')}&period={PERIOD}")
    page.wait_for_selector(".wb-tier-line:has-text('fragmented register')")
    for name in ("inherent-likelihood", "inherent-impact", "residual-likelihood", "residual-impact",
                 "annual-probability"):
        assert page.locator(f".wb-risk-form .wb-{name}").count() == 0, name
    for name in ("stated-inherent-level", "stated-residual-level"):
        options = page.locator(f".wb-{name} select option").all_inner_texts()
        assert options[1:] == ["High", "Medium", "Low"], options
    assert page.locator(".wb-control-effectiveness select").is_visible()
    assert "stated_" not in page.locator(".wb-risk-form").inner_text()
