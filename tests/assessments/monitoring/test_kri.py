"""Key risk indicators: the metrics' states for a period (missing is never within), trends, the risks whose rating
to revisit and the escalations a metric outside tolerance calls for."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from workbook_lib.assessments.monitoring.catalogue import Catalogue, load_catalogue
from workbook_lib.assessments.monitoring.kri import (
    NO_ESCALATE_TO,
    NO_ESCALATION,
    Kri,
    escalations,
    load_kris,
    metric_states,
    risks_to_revisit,
    trend_words,
)
from workbook_lib.assessments.monitoring.readings import READINGS_COLUMNS, Readings, validate_readings
from workbook_lib.core.errors import InputError
from workbook_lib.core.tables import read_table


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def readings(tmp_path: Path, catalogue: Catalogue, rows: list[tuple[str, str, str]]) -> Readings:
    """Readings from a small CSV: (metric, period, value) per row."""
    path = tmp_path / "readings.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("Metric", "Period", "Value"), *rows])
    return validate_readings(read_table(path, READINGS_COLUMNS), catalogue)


def state_of(states: pd.DataFrame, metric: str) -> pd.Series:
    return states.set_index("metric").loc[metric]


# --- states ----------------------------------------------------------------------------------------------------

def test_a_metric_without_a_reading_for_the_period_is_missing_never_within(tmp_path, catalogue):
    r = readings(tmp_path, catalogue, [("vacancy_rate", "2025 Q1", "5%"), ("debt_impairment", "2024 Q4", "4%")])
    states = metric_states(catalogue, r, "2025 Q1")
    assert list(states["metric"]) == [m.id for m in catalogue.metrics]
    assert state_of(states, "vacancy_rate")["state"] == "within"
    missing = states[states["metric"] != "vacancy_rate"]
    assert set(missing["state"]) == {"missing"}  # debt impairment has a reading, but for another period
    assert missing["latest"].isna().all()
    # zero tolerance and "at most" metrics would hold 0 within: a missing reading is not a 0
    assert state_of(states, "going_concern_issues")["state"] == "missing"


@pytest.mark.parametrize(("metric", "value", "state"), [
    ("vacancy_rate", "0%", "within"),
    ("vacancy_rate", "9.99%", "within"),
    ("vacancy_rate", "10%", "outside"),  # "< 10%": the bound itself is outside
    ("vacancy_rate", "10.01", "outside"),
    ("current_ratio", "1.49 : 1", "outside"),
    ("current_ratio", "1.5 : 1", "within"),  # "1.5 to 2 : 1": both ends included
    ("current_ratio", "2 : 1", "within"),
    ("current_ratio", "2.01:1", "within"),  # higher is better: above the range is better than it
    ("retention_of_key_managers", "80%", "outside"),  # "> 80%"
    ("retention_of_key_managers", "80.01%", "within"),
    ("debtors_collection_days", "75 days", "within"),  # a declared maximum, included
    ("debtors_collection_days", "76 days", "outside"),
    ("going_concern_issues", "0", "within"),
    ("going_concern_issues", "1", "outside"),
])
def test_the_states_at_the_edges(tmp_path, catalogue, metric, value, state):
    states = metric_states(catalogue, readings(tmp_path, catalogue, [(metric, "Q1", value)]), "Q1")
    assert state_of(states, metric)["state"] == state


def test_a_warning_zone_makes_a_value_near_its_bound(tmp_path, catalogue):
    r = readings(tmp_path, catalogue, [("vacancy_rate", "Q1", "9.5%"), ("debt_impairment", "Q1", "8%")])
    states = metric_states(catalogue, r, "Q1", warning=0.1)
    assert [state_of(states, m)["state"] for m in ("vacancy_rate", "debt_impairment")] == ["near", "within"]
    assert state_of(metric_states(catalogue, r, "Q1"), "vacancy_rate")["state"] == "within"


def test_a_state_shows_the_tolerance_as_written_and_in_words(tmp_path, catalogue):
    states = metric_states(catalogue, readings(tmp_path, catalogue, [("vacancy_rate", "Q1", "14%")]), "Q1")
    row = state_of(states, "vacancy_rate")
    assert (row["name"], row["risk_type"], row["tolerance"], row["tolerance_words"], row["latest"]) == (
        "Vacancy rate", "Operational risk", "< 10%", "less than 10%", 14.0)
    assert state_of(states, "current_ratio")["tolerance_words"] == ("at least 1.5 : 1; above 2 : 1 is better than "
                                                                    "the range")
    assert (row["favourable"], row["better"]) == ("lower", False)


# Table 25's two ranges are floors with a range above them: good news is within tolerance, never escalated
@pytest.mark.parametrize(("metric", "value", "state", "better"), [
    ("minimum_service_delivery_levels", "95%", "within", True),
    ("minimum_service_delivery_levels", "85%", "within", False),
    ("minimum_service_delivery_levels", "78%", "outside", False),
    ("current_ratio", "2.6 : 1", "within", True),
    ("current_ratio", "1,5:1", "within", False),
    ("current_ratio", "1.4 : 1", "outside", False),
])
def test_table_25_ranges_do_not_escalate_good_news(tmp_path, catalogue, metric, value, state, better):
    states = metric_states(catalogue, readings(tmp_path, catalogue, [(metric, "Q1", value)]), "Q1")
    row = state_of(states, metric)
    assert (row["state"], bool(row["better"]), row["favourable"]) == (state, better, "higher")
    assert escalations(states, [], None, "Municipal Manager", "senior management").empty is (state != "outside")


def test_near_the_limit_only_on_the_low_side_of_minimum_service_delivery(tmp_path, catalogue):
    values = ["80%", "84%", "85%", "89.5%", "90%", "95%"]
    got = [state_of(metric_states(catalogue, readings(tmp_path, catalogue, [("minimum_service_delivery_levels",
                                                                                "Q1", v)]), "Q1", warning=0.05),
                    "minimum_service_delivery_levels")["state"] for v in values]
    assert got == ["near", "near", "within", "within", "within", "within"]  # 5% of 80 is 4; nothing near 90


# --- trends ----------------------------------------------------------------------------------------------------

PERIODS = ["2024 Q3", "2024 Q4", "2025 Q1"]


def test_the_trend_is_oldest_first_with_none_where_missing(tmp_path, catalogue):
    r = readings(tmp_path, catalogue, [("vacancy_rate", "2025 Q1", "12%"), ("vacancy_rate", "2024 Q3", "8%"),
                                       ("debt_impairment", "2024 Q3", "6%"), ("debt_impairment", "2024 Q4", "5%"),
                                       ("current_ratio", "2024 q4", "1.7:1"), ("current_ratio", "2025 Q1", "1.7:1"),
                                       ("irregular_expenditure", "2025 Q1", "1%")])
    states = metric_states(catalogue, r, "2025 Q1", PERIODS)
    got = {m: (state_of(states, m)["trend"], state_of(states, m)["trend_words"])
           for m in ("vacancy_rate", "debt_impairment", "current_ratio", "irregular_expenditure")}
    assert got == {"vacancy_rate": ([8.0, None, 12.0], "rising"),
                   "debt_impairment": ([6.0, 5.0, None], "falling"),  # the last two known values
                   "current_ratio": ([None, 1.7, 1.7], "steady"),
                   "irregular_expenditure": ([None, None, 1.0], "")}
    assert state_of(states, "debt_impairment")["state"] == "missing"  # a falling trend, but no reading now
    assert state_of(states, "going_concern_issues")["trend"] == [None, None, None]


@pytest.mark.parametrize(("trend", "words"), [
    ([1.0, 2.0], "rising"), ([2.0, 1.0], "falling"), ([2.0, 2.0], "steady"), ([3.0, None, 1.0, None], "falling"),
    ([None, 5.0], ""), ([], ""),
])
def test_trend_words_compare_the_last_two_known_values(trend, words):
    assert trend_words(trend) == words


def test_without_periods_the_trend_is_the_period_alone(tmp_path, catalogue):
    r = readings(tmp_path, catalogue, [("vacancy_rate", "Q1", "5%"), ("vacancy_rate", "Q2", "6%")])
    row = state_of(metric_states(catalogue, r, "Q2"), "vacancy_rate")
    assert (row["trend"], row["trend_words"]) == ([6.0], "")


def test_the_period_must_be_among_the_periods_of_the_trend(tmp_path, catalogue):
    r = readings(tmp_path, catalogue, [("vacancy_rate", "Q1", "5%")])
    with pytest.raises(ValueError, match="not among"):
        metric_states(catalogue, r, "Q3", ["Q1", "Q2"])
    with pytest.raises(ValueError, match="each given once"):
        metric_states(catalogue, r, "Q1", ["Q1", "q1"])


# --- KRIs ------------------------------------------------------------------------------------------------------

def test_kris_name_their_metric_by_id_or_name(catalogue):
    kris = load_kris([{"metric": "Vacancy rate", "risks": ["R1"]},
                      {"metric": "DEBT_IMPAIRMENT", "categories": "Financial"}], catalogue)
    assert [(k.metric, k.risks, k.categories) for k in kris] == [("vacancy_rate", ["R1"], []),
                                                                  ("debt_impairment", [], ["Financial"])]


def test_every_kri_problem_is_raised_at_once(catalogue):
    data = [{"metric": "vacancy_rate", "risks": ["R1"]},
            {"metric": "Vacancy rat", "risks": ["R1"]},
            {"metric": "debt_impairment"},
            {"metric": "current_ratio", "risks": ["R1"], "owner": "CFO"},
            {"risks": ["R2"]},
            "vacancy_rate"]
    with pytest.raises(InputError) as caught:
        load_kris(data, catalogue)
    found = [(p.row, p.column) for p in caught.value.problems]
    assert found == [(2, "metric"), (3, None), (4, "owner"), (5, "metric"), (6, None)]
    assert "did you mean 'Vacancy rate'" in caught.value.problems[0].expected
    assert "at least one risk ID" in caught.value.problems[1].expected


# --- risks to revisit ------------------------------------------------------------------------------------------

RISKS = pd.DataFrame([
    ("R1", "Operational", "Low", "Risk owner (line manager)"),
    ("R2", "Operational", "High", "Municipal Manager"),
    ("R3", "Financial", "Low", "Risk owner (line manager)"),
    ("R4", "Financial", "Medium", "Management"),
    ("R5", "Strategic", "Low", "Risk owner (line manager)"),
], columns=["risk_id", "category", "residual_level", "decision_maker"])


@pytest.fixture
def outside(tmp_path, catalogue) -> pd.DataFrame:
    """Vacancy rate and debt impairment outside tolerance, current ratio within, going concern missing."""
    r = readings(tmp_path, catalogue, [("vacancy_rate", "Q1", "14%"), ("debt_impairment", "Q1", "12%"),
                                       ("current_ratio", "Q1", "1.7 : 1")])
    return metric_states(catalogue, r, "Q1")


@pytest.fixture
def kris(catalogue) -> list[Kri]:
    return load_kris([{"metric": "vacancy_rate", "risks": ["R1", "r2", "R9"]},
                      {"metric": "Debt impairment", "categories": ["FINANCIAL"]},
                      {"metric": "current_ratio", "risks": ["R5"]},
                      {"metric": "going_concern_issues", "categories": ["Strategic"]}], catalogue)


def test_a_low_rated_risk_linked_to_a_metric_outside_tolerance_is_a_rating_to_revisit(outside, kris):
    frame, _ = risks_to_revisit(outside, kris, RISKS, "Low")
    r1 = frame.set_index("risk_id").loc["R1"]
    assert bool(r1["revisit"]) is True
    assert r1["reason"] == "Vacancy rate 14% is outside tolerance (less than 10%) but the risk is rated Low"
    assert (r1["residual_level"], r1["decision_maker"], r1["linked_by"]) == ("Low", "Risk owner (line manager)",
                                                                             "risk ID")


def test_a_high_rated_risk_is_listed_but_not_flagged(outside, kris):
    frame, _ = risks_to_revisit(outside, kris, RISKS, "low")
    r2 = frame.set_index("risk_id").loc["R2"]
    assert bool(r2["revisit"]) is False
    assert r2["reason"] == "Vacancy rate 14% is outside tolerance (less than 10%); the risk is rated High"


def test_a_category_link_lists_every_risk_of_the_category(outside, kris):
    frame, _ = risks_to_revisit(outside, kris, RISKS, "Low")
    linked = frame[frame["metric"] == "debt_impairment"]
    assert list(linked["risk_id"]) == ["R3", "R4"]
    assert list(linked["revisit"]) == [True, False]
    assert set(linked["linked_by"]) == {"category FINANCIAL"}


def test_only_metrics_outside_tolerance_list_risks(outside, kris):
    frame, _ = risks_to_revisit(outside, kris, RISKS, "Low")
    assert list(frame["risk_id"]) == ["R1", "R2", "R3", "R4"]  # R5: current ratio within; going concern missing
    assert frame["revisit"].dtype == bool


def test_an_unknown_risk_id_is_a_warning_not_dropped_silently(outside, kris):
    _, warnings = risks_to_revisit(outside, kris, RISKS, "Low")
    assert warnings == ["KRI Vacancy rate: risk ID 'R9' is not in the risk register; check the ID or the link."]


def test_a_category_with_no_risk_is_a_warning_too(outside, catalogue):
    kris = load_kris([{"metric": "vacancy_rate", "categories": ["People"]}], catalogue)
    frame, warnings = risks_to_revisit(outside, kris, RISKS, "Low")
    assert frame.empty and list(frame.columns)[:5] == ["metric", "name", "latest", "tolerance_words", "risk_id"]
    assert warnings == ["KRI Vacancy rate: no risk of the register is in category 'People'."]


def test_an_unrated_risk_is_listed_as_not_rated(outside, catalogue):
    risks = pd.DataFrame([("R1", "Operational", math.nan, "")],
                         columns=["risk_id", "category", "residual_level", "decision_maker"])
    kris = load_kris([{"metric": "vacancy_rate", "risks": ["R1"]}], catalogue)
    frame, _ = risks_to_revisit(outside, kris, risks, "Low")
    assert bool(frame.at[0, "revisit"]) is False and frame.at[0, "reason"].endswith("the risk is not rated")


# --- escalations -----------------------------------------------------------------------------------------------

def test_deviations_go_to_senior_management_and_the_authority_approves_only_the_unavoidable(outside, kris,
                                                                                           western_cape, catalogue):
    authority = western_cape.methodology.escalation.above_tolerance
    frame = escalations(outside, kris, RISKS, authority, catalogue.escalate_to)
    assert list(frame["metric"]) == ["debt_impairment", "vacancy_rate"]  # in the catalogue's order
    assert set(frame["escalate_to"]) == {"senior management"} and set(frame["approver"]) == {"Municipal Manager"}
    vacancy = frame.set_index("metric").loc["vacancy_rate"]
    assert (vacancy["latest"], vacancy["tolerance_words"], vacancy["risk_ids"]) == (14.0, "less than 10%",
                                                                                    ["R1", "R2"])
    assert frame.set_index("metric").loc["debt_impairment", "risk_ids"] == ["R3", "R4"]
    assert vacancy["action"] == (
        "Vacancy rate is outside its tolerance: analyse the deviation, act on it and escalate it to senior "
        "management. Only if the position cannot be avoided is staying outside tolerance approved, by the Municipal "
        "Manager, and the metric is then monitored every period until it is back within tolerance.")


def test_without_an_escalation_rule_the_escalation_says_so(outside, kris, torbay):
    assert torbay.methodology.escalation is None
    frame = escalations(outside, kris, RISKS, None)
    assert set(frame["approver"]) == {NO_ESCALATION} == {"(no escalation rule in the methodology)"}
    assert set(frame["escalate_to"]) == {NO_ESCALATE_TO}
    assert all("the methodology sets none" in action and "the metrics catalogue names none" in action
               for action in frame["action"])


def test_a_metric_outside_tolerance_without_a_kri_still_escalates(tmp_path, catalogue):
    states = metric_states(catalogue, readings(tmp_path, catalogue, [("going_concern_issues", "Q1", "1")]), "Q1")
    frame = escalations(states, [], None, "Municipal Manager")
    assert list(frame["metric"]) == ["going_concern_issues"] and frame.at[0, "risk_ids"] == []


def test_a_closed_risk_or_an_opportunity_is_listed_but_never_a_rating_to_revisit(outside, catalogue):
    risks = pd.DataFrame([("R1", "Financial", "Low", "", "closed", True), ("R2", "Financial", "Low", "", "opportunity",
                                                                          False),
                          ("R3", "Financial", "Low", "", "open", False)],
                         columns=["risk_id", "category", "residual_level", "decision_maker", "status", "closed"])
    kris = load_kris([{"metric": "debt_impairment", "categories": ["Financial"]}], catalogue)
    frame = risks_to_revisit(outside, kris, risks, "Low")[0].set_index("risk_id")
    assert list(frame["revisit"]) == [False, False, True]
    assert frame.at["R1", "reason"].endswith("the risk is closed")
    assert frame.at["R2", "reason"].endswith("the risk is an opportunity")
