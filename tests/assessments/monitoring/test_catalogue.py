"""The metrics catalogue: the shipped Table 25 file and the checks every catalogue passes."""

from __future__ import annotations

import copy

import pytest
import yaml
from pydantic import ValidationError

from workbook_lib.assessments.monitoring import report
from workbook_lib.assessments.monitoring.catalogue import (
    SHIPPED_DIR,
    Catalogue,
    CatalogueError,
    load_catalogue,
    tolerance_origin,
)

# Table 25 of the guide (seed 004): metric -> tolerance exactly as the table writes it
TABLE_25 = {
    "Going concern issues": "Zero tolerance",
    "Minimum service delivery levels": "80-90%",
    "Own revenue growth": "10%",
    "Indigent growth": "0",
    "Current ratio": "1.5 to 2 : 1",
    "Debt impairment": "< 10%",
    "Debtors collection days": "75 days",
    "Creditor payment days": "60 days",
    "Reliance on government grants": "<20%",
    "Vacancy rate": "< 10%",
    "% High risk control issues": "<10%",
    "% Ineffective controls – assessed by both internal/external audit": "<5%",
    "% cyber incidents with high impact": "0",
    "Unauthorised expenditure": "< 5%",
    "Fruitless and wasteful expenditure": "< 5%",
    "Irregular expenditure": "< 5%",
    "High impact non-compliance issues": "0",
    "Assurance on effectiveness": "90%",
    "Retention of key managers": ">80%",
    "Customer satisfaction – delivery protests": ">85%",
    "Legal, regulatory and ethical events": "0",
}
RISK_TYPES = ["Strategic", "Financial, credit and liquidity risk", "Operational risk", "Compliance risk",
              "Reputational risk"]


@pytest.fixture(scope="module")
def shipped() -> Catalogue:
    return load_catalogue()


def test_shipped_catalogue_has_the_21_metrics_over_5_risk_types(shipped):
    assert len(shipped.metrics) == 21
    assert shipped.risk_types == RISK_TYPES
    assert {m.name: m.tolerance for m in shipped.metrics} == TABLE_25
    assert [sum(m.risk_type == r for m in shipped.metrics) for r in RISK_TYPES] == [4, 5, 4, 5, 3]
    assert shipped.decisions


def test_every_shipped_tolerance_parses_in_its_unit(shipped):
    for metric in shipped.metrics:
        tolerance = metric.range
        assert tolerance.text == metric.tolerance
        assert tolerance.unit == {"count": None}.get(metric.unit, metric.unit), metric.id


# the side of each metric that is good news: the guide's sign where it writes one, else a recorded decision
FAVOURABLE = {
    "going_concern_issues": "lower", "minimum_service_delivery_levels": "higher", "own_revenue_growth": "higher",
    "indigent_growth": "lower", "current_ratio": "higher", "debt_impairment": "lower",
    "debtors_collection_days": "lower", "creditor_payment_days": "lower", "reliance_on_government_grants": "lower",
    "vacancy_rate": "lower", "high_risk_control_issues": "lower", "ineffective_controls": "lower",
    "high_impact_cyber_incidents": "lower", "unauthorised_expenditure": "lower",
    "fruitless_and_wasteful_expenditure": "lower", "irregular_expenditure": "lower",
    "high_impact_non_compliance_issues": "lower", "assurance_on_effectiveness": "higher",
    "retention_of_key_managers": "higher", "customer_satisfaction_delivery_protests": "higher",
    "legal_regulatory_ethical_events": "lower",
}


def test_every_metric_declares_its_favourable_direction_and_each_decision_is_recorded(shipped):
    assert {m.id: m.favourable for m in shipped.metrics} == FAVOURABLE
    assert {m.id: m.range.favourable for m in shipped.metrics} == FAVOURABLE
    # the two ranges and the four bare values carry a decision; only the ranges have the guide's words behind them
    decided = {"minimum_service_delivery_levels", "current_ratio", "own_revenue_growth", "debtors_collection_days",
               "creditor_payment_days", "assurance_on_effectiveness"}
    assert decided <= {m.id for m in shipped.metrics if m.decision}
    assert {m.id for m in shipped.metrics if m.source_says} == {"minimum_service_delivery_levels", "current_ratio"}
    assert "smaller than 2:1" in shipped.find("current_ratio").source_says
    assert not any(m.direction for m in shipped.metrics)  # the favourable direction gives a bare value's side
    assert shipped.escalate_to == "senior management" and shipped.source_name == "the guide"
    assert "Municipal Manager endorses" in shipped.about_tolerances


def test_a_hours_metric_reads_the_guides_response_times():
    data = _data()
    data["metrics"].append({"id": "complaint_response", "name": "Complaint response time", "risk_type": "Service",
                            "tolerance": "within 24 hours", "unit": "hours", "description": "Hours to answer."})
    metric = Catalogue.model_validate(data).find("complaint_response")
    assert (metric.range.describe(), metric.state(24), metric.state(30)) == ("at most 24 hours", "within", "outside")


@pytest.mark.parametrize(("key", "words"), [
    ("current_ratio", "at least 1.5 : 1; above 2 : 1 is better than the range"),
    ("Debtors collection days", "at most 75 days"),
    ("CREDITOR PAYMENT DAYS", "at most 60 days"),
    ("own revenue growth", "at least 10%"),
    ("assurance_on_effectiveness", "at least 90%"),
    ("going_concern_issues", "exactly 0"),
    ("% cyber incidents with high impact", "at most 0%"),
    ("minimum_service_delivery_levels", "at least 80%; above 90% is better than the range"),
    ("Retention of key managers", "more than 80%"),
])
def test_find_by_id_or_name_and_read_the_range(shipped, key, words):
    assert shipped.find(key).range.describe() == words


def test_find_unknown_metric(shipped):
    with pytest.raises(KeyError, match="no metric"):
        shipped.find("profit")


def test_metric_state_uses_its_tolerance(shipped):
    assert shipped.find("vacancy_rate").state(10) == "outside"
    assert shipped.find("vacancy_rate").state(None) == "missing"
    assert shipped.find("debtors_collection_days").state(75) == "within"


def _data() -> dict:
    return copy.deepcopy({
        "title": "Test catalogue",
        "source": "tests",
        "metrics": [
            {"id": "vacancy_rate", "name": "Vacancy rate", "risk_type": "Operational", "tolerance": "< 10%",
             "unit": "%", "description": "Unfilled posts."},
            {"id": "collection_days", "name": "Collection days", "risk_type": "Financial", "tolerance": "75 days",
             "unit": "days", "direction": "at_most", "decision": "a maximum", "description": "Days to collect."},
        ],
    })


def test_a_valid_catalogue_loads_from_a_path(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(_data()), encoding="utf-8")
    assert [m.id for m in load_catalogue(path).metrics] == ["vacancy_rate", "collection_days"]


def test_duplicate_id_and_unreadable_tolerance_are_reported_together(tmp_path):
    data = _data()
    data["metrics"][1]["id"] = "vacancy_rate"
    data["metrics"].append({"id": "growth", "name": "Growth", "risk_type": "Strategic", "tolerance": "about 10",
                            "unit": "%", "description": "Growth."})
    with pytest.raises(ValidationError) as caught:
        Catalogue.model_validate(data)
    message = str(caught.value)
    assert "metric id 'vacancy_rate' is used 2 times" in message
    assert "metric 'growth'" in message and "'about 10'" in message

    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    assert "vacancy_rate" in str(caught.value) and "'about 10'" in str(caught.value) and "bad.yaml" in str(caught.value)


@pytest.mark.parametrize(("change", "words"), [
    (lambda d: d["metrics"][1].update(name="VACANCY  rate"), "metric name 'Vacancy rate' is used 2 times"),
    (lambda d: d["metrics"][1].pop("direction"), "metric 'collection_days'"),
    (lambda d: d["metrics"][0].update(unit="days"), "is in %, but its unit is days"),
    (lambda d: d["metrics"][0].update(id="Vacancy-Rate"), "should match pattern"),
    (lambda d: d["metrics"][0].update(colour="red"), "Extra inputs are not permitted"),
    (lambda d: d["metrics"][0].update(warning=1.5), "less than or equal to 1"),
    (lambda d: d["metrics"][0].update(direction="upwards"), "at_most"),
    (lambda d: d["metrics"][0].update(favourable="higher"), "a ceiling, so lower is better"),
    (lambda d: d["metrics"][1].update(favourable="higher"), "disagree"),
    (lambda d: d["metrics"][0].update(favourable="up"), "higher"),
])
def test_inconsistent_catalogues_are_refused(change, words):
    data = _data()
    change(data)
    with pytest.raises(ValidationError, match=words):
        Catalogue.model_validate(data)


def test_unknown_file_and_alias_bomb_are_refused(tmp_path):
    with pytest.raises(CatalogueError, match="neither a shipped name"):
        load_catalogue(tmp_path / "missing.yaml")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                    + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                              for p, c in zip("abcdef", "bcdefg", strict=True)), encoding="utf-8")
    with pytest.raises(CatalogueError, match="refused"):
        load_catalogue(bomb)


# ---- whose tolerances: the guide's illustrations or the organisation's own -----------------------------------

def test_the_shipped_tolerances_are_the_guides_illustrations_adopted_unchanged(shipped):
    adopted, own = tolerance_origin(shipped)
    assert (len(adopted), own) == (21, [])
    words = report.origin_words(shipped)
    assert words.startswith("All 21 tolerances in use are the guide's illustrations adopted unchanged, not "
                            "tolerances the organisation has set.")
    assert "some of the metrics a municipality can use" in words and "Municipal Manager endorses" in words


def test_an_organisation_catalogue_with_its_own_tolerance_says_so(tmp_path):
    data = yaml.safe_load((SHIPPED_DIR / "table-25-metrics.yaml").read_text(encoding="utf-8"))
    vacancy = next(m for m in data["metrics"] if m["id"] == "vacancy_rate")
    vacancy["tolerance"] = "< 8%"  # the organisation's own
    current = next(m for m in data["metrics"] if m["id"] == "current_ratio")
    current["tolerance"] = "1.5:1 to 2:1"  # the same range written otherwise: still the guide's
    path = tmp_path / "ours.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    ours = load_catalogue(path)
    adopted, own = tolerance_origin(ours)
    assert [m.id for m in own] == ["vacancy_rate"] and len(adopted) == 20
    assert report.origin_words(ours).startswith("1 of the 21 tolerances in use is the organisation's own (Vacancy "
                                                "rate); the other 20 are the guide's illustrations adopted unchanged.")
    only_own = Catalogue.model_validate(_data() | {"metrics": [_data()["metrics"][0] | {"tolerance": "< 12%"}]})
    assert report.origin_words(only_own) == ("The one tolerance in use is the organisation's own (none is one of "
                                             "the guide's illustrations).")
