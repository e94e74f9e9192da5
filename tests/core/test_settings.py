"""An organisation's settings in the store: versioned and audited, carried over to later periods, applied to forms
(never the notebook's example values) and to ``source: store`` runs (the parameters file's values named when
replaced)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import PARAMETERS
from tests.form_kit import settle
from workbook_lib.assessments import shared_fields
from workbook_lib.assessments.assurance.inputs import CombinedAssuranceParams
from workbook_lib.assessments.coso.inputs import CosoParams
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.core.params import ParameterError, load_file, validate
from workbook_lib.core.settings import (
    effective,
    from_rows,
    read_settings,
    save_settings,
    settings_model,
)
from workbook_lib.core.store import Author, Store

ORG, PERIOD = "Blue Crane Local Municipality", "2025-26"


@pytest.fixture
def store(tmp_path):
    with Store(str(tmp_path / "store.db")) as s:
        yield s


@pytest.fixture
def karoo() -> CombinedAssuranceParams:
    """The shipped example's parameters: what must not leak into another organisation's forms."""
    return load_file(PARAMETERS / "karoo-vale-2025-26.yaml", CombinedAssuranceParams, shared_fields())


def test_settings_are_saved_as_versioned_records_with_their_audit_trail(store):
    settle(store, ORG, PERIOD, methodology="western-cape-5x5", appetite={"default": "Low", "categories": {"IT": 6}})
    settle(store, ORG, PERIOD, methodology="western-cape-5x5", appetite=8)
    s = read_settings(store, ORG, PERIOD)
    assert s.values.appetite == 8 and s.values.methodology == "western-cape-5x5" and s.from_period == PERIOD
    trail = store.history(ORG, PERIOD, "setting", "appetite")
    assert [h["after"]["value"] for h in trail] == ["{default: Low, categories: {IT: 6}}", "8"]
    assert all(h["who"] == "Risk champion" for h in trail)
    # a setting never given is not recorded; one cleared is saved blank, so the trail keeps what it was
    assert {r.key for r in store.current(ORG, PERIOD, "setting")} == {"methodology", "appetite"}
    settle(store, ORG, PERIOD, methodology="western-cape-5x5")
    assert read_settings(store, ORG, PERIOD).values.appetite is None
    assert store.history(ORG, PERIOD, "setting", "appetite")[-1]["after"]["value"] == ""


def test_a_period_without_settings_carries_the_latest_earlier_ones_and_says_so(store):
    settle(store, ORG, "2023-24", appetite=4)
    settle(store, ORG, "2024-25", appetite=6)
    later = read_settings(store, ORG, "2026-27")
    assert later.values.appetite == 6 and later.from_period == "2024-25" and later.carried_over
    assert "carried over to 2026-27" in later.origin()
    assert read_settings(store, ORG, "2022-23").from_period is None  # never from a later period
    assert read_settings(store, "Another Municipality", PERIOD).values.given() == {}


def test_unknown_or_unreadable_settings_are_all_listed_at_once():
    with pytest.raises(ParameterError) as caught:
        from_rows({"apetite": "Low", "period_end": "30 June", "providers": "not a list", "tolerance": "[unclosed"})
    text = str(caught.value)
    for expected in ("apetite: not a setting", "Period ends", "Assurance providers of your own", "Risk tolerance"):
        assert expected in text


def test_a_form_gets_no_example_values_for_a_new_organisation(store, karoo):
    base = karoo.model_copy(update={"organisation": ORG, "period": PERIOD, "maturity_status": "integrated"})
    params, applied = effective(base, store, neutral=True)
    # the shipped example's appetite, own provider, maturity status and plan roles are gone
    assert params.appetite is None and params.providers is None and params.maturity_status is None
    assert params.plan_owner is None and params.oversight_committee is None
    assert params.as_of == dt.date.today() != karoo.as_of
    # the methodology is the suite's default until the organisation chooses one, and is said to be
    assert params.methodology == "western-cape-5x5" and applied.defaults == {"methodology": "western-cape-5x5"}
    assert {"appetite", "providers", "maturity_status"} <= set(applied.missing)
    assert any("the suite's default" in line for line in applied.lines())


def test_a_form_and_a_store_run_take_the_organisations_settings(store, karoo):
    provider = {"id": "fire_services", "name": "Fire services", "line": 2}
    settle(store, ORG, PERIOD, appetite={"default": 6, "categories": {"Financial": 4}}, providers=[provider],
           maturity_status="marks", tolerance="Medium", plan_owner="Chief Risk Officer")
    base = karoo.model_copy(update={"organisation": ORG, "period": PERIOD, "source": "store"})
    form_params, _ = effective(base, store, neutral=True)
    run_params, applied = effective(base, store)
    for p in (form_params, run_params):
        assert p.appetite_spec() == {"default": 6, "categories": {"Financial": 4}}
        assert [x.id for x in p.providers] == ["fire_services"] and p.tolerance == "Medium"
        assert p.maturity_status is None  # "marks": scored from the maturity marks saved for the period
    # the parameters file's own appetite was replaced, and the report says so
    assert "appetite" in applied.replaced and "Low" in applied.replaced["appetite"]
    assert applied.as_json()["used"]["plan_owner"] == "Chief Risk Officer"
    assert run_params.as_of == karoo.as_of  # a run judges as of its parameters' date


def test_a_file_run_ignores_the_store(store, karoo):
    settle(store, karoo.organisation, karoo.period, appetite=12)
    params, applied = effective(karoo, store)
    assert params is karoo and applied.lines() == []


def test_settings_apply_only_where_an_assessment_has_the_parameter(store):
    settle(store, ORG, PERIOD, appetite=8, maturity_status="risk intelligent")
    coso = CosoParams(organisation=ORG, period=PERIOD, as_of="2025-11-30", source="store")
    params, applied = effective(coso, store)
    assert params.maturity_status == "risk intelligent" and "appetite" not in applied.used


def test_a_bad_setting_value_is_named_when_applied(store, karoo):
    bad = settings_model()(providers=[{"id": "Fire Services!", "name": "Fire services", "line": 2}])
    save_settings(store, ORG, PERIOD, bad, Author("Risk champion"))
    base = karoo.model_copy(update={"organisation": ORG, "period": PERIOD, "source": "store"})
    with pytest.raises(ParameterError, match=f"settings of {ORG}, {PERIOD}") as caught:
        effective(base, store)
    assert "providers" in str(caught.value)


def test_a_store_run_without_a_methodology_anywhere_says_where_to_set_it(store):
    risk = RiskEvaluationParams(organisation=ORG, period=PERIOD, as_of="2025-11-30", source="store")
    params, _ = effective(risk, store)
    with pytest.raises(ParameterError, match="Settings page"):
        params.methodology_ref()
    with pytest.raises(ParameterError, match="methodology: missing"):
        validate(RiskEvaluationParams, {"organisation": ORG, "period": PERIOD, "as_of": "2025-11-30",
                                        "register": "r.csv"}, "a file run")  # a file run must name it
