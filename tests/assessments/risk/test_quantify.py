"""Risk quantification (risk/quantify.py, quantify_inputs.py) against closed forms.

Monte Carlo tolerances are stated from the standard error: a mean within 4 standard errors of its closed form, a
quantile within 4 standard errors of a sample quantile (sqrt(q (1 - q) / trials) / density). With a fixed seed each
check is deterministic; 4 standard errors would fail by chance about once in 16,000 seeds.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from workbook_lib.assessments.risk.methodology import ImpactMoney, load_methodology
from workbook_lib.assessments.risk.quantify import exceedance, quantify, quantify_register
from workbook_lib.assessments.risk.quantify_inputs import SETTINGS_FILE, load_settings, risk_inputs
from workbook_lib.core.params import ParameterError

Z = {0.5: 0.0, 0.9: 1.2815515655446004, 0.95: 1.6448536269514722, 0.99: 2.3263478740408408}  # standard normal
Z90 = Z[0.95]  # a 90 % interval's ends are mu -/+ 1.6449 sigma
BOUNDS = [10_000, 100_000, 1_000_000, 10_000_000]  # a 5-level money scale for the Western Cape methodology
ISSUE_KEYS = {"seed", "trials", "expected_loss", "quantiles", "exceedance", "per_category", "per_risk_contribution",
              "tolerable_loss", "chance_above_tolerable"}


@pytest.fixture(scope="module")
def wc():
    """The shipped Western Cape 5 x 5 methodology; it gives no money scale, so one is added here."""
    m = load_methodology("western-cape-5x5").methodology
    assert m.impact_money is None
    return m.model_copy(update={"impact_money": ImpactMoney(currency="ZAR", upper_bounds=BOUNDS)})


def register(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"risk_id": [f"R{i + 1}" for i in range(n)], "category": "Financial", **columns})


def lognormal(low: float, high: float) -> tuple[float, float]:
    """mu and sigma of the lognormal whose 90 % interval is low..high."""
    return (np.log(low) + np.log(high)) / 2, (np.log(high) - np.log(low)) / (2 * Z90)


def test_certain_fixed_loss_is_that_loss_at_every_confidence(wc):
    q = quantify_register(register(probability=[1.0], impact_low=[250_000.0], impact_high=[250_000.0]), wc,
                          trials=10_000, tolerable_loss=249_999)
    assert q.expected_loss == 250_000
    assert q.quantiles == {0.5: 250_000, 0.9: 250_000, 0.95: 250_000, 0.99: 250_000}
    assert q.chance_above_tolerable == 1.0 and q.expected_shortfall == 250_000
    assert q.exceedance == [(0.0, 1.0), (249_999.0, 1.0), (250_000.0, 0.0)]
    row = q.per_risk_contribution.iloc[0]
    assert row["expected_loss"] == 250_000 and row["share"] == 1 and row["volatility"] == 0
    assert row["tail_loss"] == 250_000
    assert q.value_map.loc[0, ["impact_q5", "impact_q50", "impact_q95", "annual_q5"]].tolist() == [250_000] * 4


def test_mean_is_sum_of_probability_times_mean_impact(wc):
    p = np.array([0.05, 0.2, 0.5, 0.9, 1.0, 0.3])
    low = np.array([1e3, 2e4, 5e4, 1e5, 3e5, 8e5])
    high = low * np.array([10, 4, 20, 2, 1.5, 8])
    q = quantify_register(register(probability=p, impact_low=low, impact_high=high), wc, trials=200_000, seed=11)
    mu, sigma = lognormal(low, high)
    mean, second = np.exp(mu + sigma ** 2 / 2), np.exp(2 * mu + 2 * sigma ** 2)
    expected = float(np.sum(p * mean))
    standard_error = math.sqrt(np.sum(p * second - (p * mean) ** 2) / q.trials)
    assert abs(q.expected_loss - expected) < 4 * standard_error
    assert q.standard_error == pytest.approx(standard_error, rel=0.05)  # the result states its own error
    contribution = q.per_risk_contribution.set_index("risk_id")
    assert np.allclose(contribution.loc[[f"R{i + 1}" for i in range(6)], "expected_loss"], p * mean)
    assert contribution["share"].sum() == pytest.approx(1)
    assert contribution["tail_loss"].sum() == pytest.approx(q.expected_shortfall)


def test_quantiles_of_one_certain_lognormal_match_closed_form(wc):
    low, high, trials = 20_000.0, 500_000.0, 400_000
    q = quantify_register(register(probability=[1.0], impact_low=[low], impact_high=[high]), wc, trials=trials)
    mu, sigma = lognormal(low, high)
    for level, z in Z.items():
        density = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
        error = sigma * math.sqrt(level * (1 - level) / trials) / density  # in log money
        assert abs(math.log(q.quantiles[level]) - (mu + sigma * z)) < 4 * error, level
    assert q.value_map.loc[0, "impact_q5"] == pytest.approx(low)
    assert q.value_map.loc[0, "impact_q95"] == pytest.approx(high)


def test_same_seed_same_numbers_whatever_the_threads(wc):
    # a certain risk, common ones (drawn year by year) and a rare one (drawn by the gaps between its years)
    reg = register(probability=[0.3, 0.6, 0.1, 1.0, 0.01], impact_low=[1e4, 2e3, 5e5, 1e3, 1e6],
                   impact_high=[1e5, 9e3, 4e6, 5e3, 1e7], category=["A", "B", "A", "B", "A"])
    # many chunks drawn side by side: 160 of 250 years (four risks), and 3 of the rare risk's own (16,000 years)
    small = load_settings().model_copy(update={"chunk_cells": 1000})
    one = quantify(risk_inputs(reg, wc, settings=small), trials=40_000, seed=3, threads=1).to_json()
    two = quantify(risk_inputs(reg, wc, settings=small), trials=40_000, seed=3, threads=2).to_json()
    other = quantify(risk_inputs(reg, wc, settings=small), trials=40_000, seed=4).to_json()
    assert json.dumps(one) == json.dumps(two)
    assert one["expected_loss"] != other["expected_loss"] and one["quantiles"] != other["quantiles"]


def test_each_way_of_drawing_occurs_with_its_chance_at_most_once_a_year(wc):
    # a loss of exactly 1 whenever a risk occurs, each risk its own category: a category's mean is how often its risk
    # occurred. Certain (1, and 0.999995: within 1 / 131,072 of 1, drawn as certain), common (0.5, 0.1: a 16-bit
    # number a year against round(p x 65,536)), rare (below 1 / 64: gaps between occurrences, the exact chance), never
    chances = [1.0, 0.999995, 0.5, 0.1, 0.015, 0.002, 0.0]
    reg = register(probability=chances, impact_low=[1.0] * 7, impact_high=[1.0] * 7,
                   category=[f"C{i}" for i in range(7)])
    small = load_settings().model_copy(update={"chunk_cells": 7 * 3_000})  # chunks of 3,000 years
    q = quantify(risk_inputs(reg, wc, settings=small), trials=400_000, seed=5)
    for i, p in enumerate(chances):
        group = q.per_category[f"C{i}"]
        assert group["exceedance"][-1][0] <= 1  # at most once a year
        if p in (0.0, 1.0, 0.999995):
            assert group["expected_loss"] == (0.0 if p == 0 else 1.0)
        else:
            assert abs(group["expected_loss"] - p) < 4 * math.sqrt(p * (1 - p) / q.trials), (p, group)
    assert q.expected_loss == pytest.approx(sum(g["expected_loss"] for g in q.per_category.values()))
    # each risk's share of the worst years is drawn from the same numbers: they add up to the expected shortfall
    assert q.per_risk_contribution["tail_loss"].sum() == pytest.approx(q.expected_shortfall, rel=1e-9)


def test_a_register_of_opportunities_only_or_of_nothing_that_occurs(wc):
    gains = quantify_register(register(probability=[0.5, 1.0], impact_low=[1e3, 2e3], impact_high=[1e4, 2e3],
                                       opportunity=[True, True]), wc, trials=2_000)
    assert gains.expected_loss == 0 and gains.per_category == {} and gains.net_value["expected_gain"] > 2e3
    never = quantify_register(register(probability=[0.0, 0.0], impact_low=[1e3, 5e3], impact_high=[1e4, 5e3]), wc,
                              trials=2_000)
    assert never.expected_loss == 0 and never.quantiles[0.99] == 0
    assert never.per_risk_contribution["tail_loss"].tolist() == [0.0, 0.0]


def test_chance_above_tolerable_is_on_the_curve(wc):
    q = quantify_register(register(probability=[0.3, 0.5], impact_low=[1e4, 1e5], impact_high=[1e6, 1e6]), wc,
                          trials=100_000, tolerable_loss=400_000)
    curve = dict(q.exceedance)
    assert curve[400_000] == q.chance_above_tolerable
    losses, chances = zip(*q.exceedance, strict=True)
    assert list(losses) == sorted(losses) and list(chances) == sorted(chances, reverse=True)
    assert 50 <= len(q.exceedance) <= 100
    # the curve reads the quantiles back: above the 95 % loss lies (at most) 5 % of the years
    assert exceedance(np.array([4.0, 2, 3, 1]), 100) == [(0.0, 1.0), (1.0, 0.75), (2.0, 0.5), (3.0, 0.25), (4.0, 0.0)]
    above_q95 = next(p for x, p in q.exceedance if x >= q.quantiles[0.95])
    assert above_q95 <= 0.05


def test_chance_above_tolerable_matches_closed_form(wc):
    # one fixed loss of 100,000 with chance 0.3: a year's loss is above 50,000 with chance 0.3
    q = quantify_register(register(probability=[0.3], impact_low=[1e5], impact_high=[1e5]), wc, trials=100_000,
                          tolerable_loss=50_000)
    assert abs(q.chance_above_tolerable - 0.3) < 4 * math.sqrt(0.3 * 0.7 / q.trials)


def test_opportunities_are_gains_and_reduce_net_loss(wc):
    reg = register(probability=[0.5, 0.8], impact_low=[1e5, 2e5], impact_high=[1e6, 2e5],
                   opportunity=[False, True], category=["Operations", "Grants"])
    q = quantify_register(reg, wc, trials=100_000)
    assert list(q.per_risk_contribution["risk_id"]) == ["R1"] and list(q.per_category) == ["Operations"]
    assert q.net_value["expected"] == pytest.approx(q.net_value["expected_gain"] - q.expected_loss)
    assert abs(q.net_value["expected_gain"] - 0.8 * 2e5) < 4 * math.sqrt(0.8 * 0.2 * 2e5 ** 2 / q.trials)
    assert q.net_value["expected"] > -q.expected_loss
    assert q.net_value["q5"] < q.net_value["q50"] < q.net_value["q95"]
    sides = q.value_map.set_index("risk_id")["side"]
    assert sides.to_dict() == {"R1": "threat", "R2": "opportunity"}
    # a status of opportunity (the register's own word) says the same
    by_status = register(probability=[0.8], impact_low=[2e5], impact_high=[2e5], status=["opportunity"])
    inputs = risk_inputs(pd.concat([reg.iloc[[0]], by_status.assign(risk_id="R2")]), wc)
    assert inputs.risks["side"].tolist() == ["threat", "opportunity"]


def test_a_risk_missing_inputs_is_listed_with_its_reason(wc):
    reg = register(probability=[0.2, np.nan, 30, 0.1, 0.1, 0.4],
                   impact_low=[1e4, 1e4, 1e4, 5e3, np.nan, 1e4], impact_high=[1e5, 1e5, 1e5, np.nan, np.nan, 1e5],
                   status=["open", "open", "open", "open", "open", "closed"])
    inputs = risk_inputs(reg, wc, "inherent")
    assert inputs.risks["risk_id"].tolist() == ["R1"]
    reasons = inputs.not_quantified.set_index("risk_id")["reason"]
    assert reasons["R2"].startswith("no probability")
    assert "probability 30.0 is not a chance from 0 to 1 (write 30 % as 0.3)" in reasons["R3"]
    assert "impact_low without impact_high" in reasons["R4"]
    assert reasons["R5"].startswith("no money impact")
    assert reasons["R6"] == "closed: not quantified"
    with pytest.raises(ParameterError, match="no risk of the register can be quantified.*R2: no probability"):
        risk_inputs(reg.iloc[1:], wc, "inherent")


def test_inputs_from_levels_use_the_methodology_ranges(wc):
    reg = register(inherent_likelihood=[3, 5, 1, 2], inherent_impact=[4, 5, 1, 2])
    r = risk_inputs(reg, wc, "inherent").risks.set_index("risk_id")
    assert r.loc["R1", ["probability", "probability_low", "probability_high"]].tolist() == pytest.approx([.3, .1, .5])
    assert r.loc["R1", "probability_source"] == "likelihood level 3 Moderate (10-50 % per year)"
    assert r.loc["R1", ["impact_low", "impact_high"]].tolist() == [1_000_000, 10_000_000]
    assert r.loc["R1", "impact_source"] == "impact level 4 Major money range (1,000,000-10,000,000 ZAR)"
    assert r.loc["R2", "probability"] == 1.0
    assert r.loc["R2", ["impact_low", "impact_high"]].tolist() == [10_000_000, 100_000_000]  # top level: x 10
    assert "high end assumed" in r.loc["R2", "impact_source"]
    assert r.loc["R3", ["impact_low", "impact_high"]].tolist() == [1_000, 10_000]  # lowest level: / 10
    assert "low end assumed" in r.loc["R3", "impact_source"]
    assert r.loc["R4", "probability"] == pytest.approx(0.055)
    assert r.loc["R1", "sigma"] == pytest.approx(math.log(10) / (2 * Z90))
    # the register's own numbers win over the levels
    own = risk_inputs(register(inherent_likelihood=[3], inherent_impact=[4], probability_low=[0.02],
                               probability_high=[0.04], impact_low=[5e4], impact_high=[6e4]), wc, "inherent")
    row = own.risks.iloc[0]
    assert row["probability"] == pytest.approx(0.03) and row["impact_low"] == 5e4
    assert row["probability_source"] == "register (range 2-4 % a year)" and row["impact_source"] == "register"
    # without a money scale, a level gives no money
    plain = load_methodology("western-cape-5x5").methodology
    with pytest.raises(ParameterError, match="gives no money range for its impact levels"):
        risk_inputs(reg, plain, "inherent")


def test_residual_stage_rerating_control_factor_or_as_inherent(wc):
    reg = register(inherent_likelihood=[4, 4, 4], inherent_impact=[3, 3, 3], residual_likelihood=[2, np.nan, np.nan],
                   residual_impact=[2, np.nan, np.nan], control_factor=[np.nan, 0.45, np.nan],
                   control_effectiveness=["", "Partially effective", ""])
    r = risk_inputs(reg, wc, "residual").risks.set_index("risk_id")
    assert r.loc["R1", "probability"] == pytest.approx(0.055)
    assert r.loc["R1", "impact_high"] == 100_000
    assert r.loc["R2", "probability"] == pytest.approx(0.75 * 0.45)
    assert r.loc["R2", "probability_source"].endswith("x control factor 45 % (Partially effective)")
    assert r.loc["R2", "impact_source"].startswith("as inherent: impact level 3")
    assert r.loc["R3", "probability"] == pytest.approx(0.75)
    assert r.loc["R3", "probability_source"].startswith("as inherent: likelihood level 4")
    assumptions = " ".join(risk_inputs(reg, wc, "residual").assumptions)
    assert "control factor" in assumptions


def test_a_probability_over_several_years_is_made_yearly():
    torbay = load_methodology("torbay-2004").methodology
    money = ImpactMoney(upper_bounds=[3_000, 25_000, 100_000])
    m = torbay.model_copy(update={"impact_money": money})
    r = risk_inputs(register(inherent_likelihood=[1, 3, 6], inherent_impact=[2, 2, 2]), m, "inherent").risks
    yearly = 1 - (1 - 0.01) ** (1 / 10)
    assert r.loc[0, ["probability_low", "probability_high"]].tolist() == pytest.approx([0, yearly])
    assert r.loc[1, "probability_high"] == pytest.approx(1 - 0.5 ** (1 / 5))
    assert "up to 50 % 5 years" in r.loc[1, "probability_source"] and "a year" in r.loc[1, "probability_source"]
    assert r.loc[2, ["probability_low", "probability_high"]].tolist() == pytest.approx([0.5, 1.0])


def test_groups_objectives_and_json(wc):
    rng = np.random.default_rng(5)
    n = 40
    reg = register(probability=rng.uniform(0.05, 0.6, n), impact_low=rng.uniform(1e3, 1e5, n),
                   category=rng.choice(["Finance", "People", "Assets"], n), objective=rng.choice(["Water", "Roads"], n))
    reg["impact_high"] = reg["impact_low"] * 8
    q = quantify_register(reg, wc, trials=20_000, tolerable_loss=1e6)
    assert sum(g["expected_loss"] for g in q.per_category.values()) == pytest.approx(q.expected_loss)
    assert sum(g["expected_loss"] for g in q.per_objective.values()) == pytest.approx(q.expected_loss)
    assert set(q.per_objective) == {"Water", "Roads"}
    assert all(g["q95"] == g["quantiles"][0.95] for g in q.per_category.values())
    out = q.to_json()
    assert ISSUE_KEYS <= set(out) and {"net_value", "per_objective", "assumptions"} <= set(out)
    json.dumps(out, allow_nan=False)
    assert out["exceedance"][0] == {"loss": 0.0, "probability": out["exceedance"][0]["probability"]}
    assert set(out["quantiles"]) == {"0.5", "0.9", "0.95", "0.99"}
    assert {"risk_id", "expected_loss", "share", "volatility", "tail_loss"} <= set(out["per_risk_contribution"][0])
    assert any("seed" in a for a in out["assumptions"])


def test_settings_file_is_validated(tmp_path):
    s = load_settings()
    assert s.confidence == [0.5, 0.9, 0.95, 0.99] and s.z == pytest.approx(Z90)
    bad = tmp_path / "q.yaml"
    text = SETTINGS_FILE.read_text().replace("tail: 0.95", "tail: 0.97")
    bad.write_text(text)
    with pytest.raises(ParameterError, match="tail 0.97 must be one of the confidence levels"):
        load_settings(bad)


def test_too_many_groups_and_bad_run_options_are_said(wc):
    reg = register(probability=[0.5] * 4, impact_low=[1e4] * 4, impact_high=[1e5] * 4, category=list("ABCD"))
    few = load_settings().model_copy(update={"max_groups": 3})
    q = quantify(risk_inputs(reg, wc, settings=few), trials=1_000)
    assert q.per_category == {} and q.expected_loss > 0
    assert any("The 4 categories are more than 3 (max_groups)" in a for a in q.assumptions)
    inputs = risk_inputs(reg, wc)
    for bad in ({"trials": 0}, {"seed": -1}, {"tolerable_loss": -5.0}, {"tolerable_loss": float("nan")}):
        with pytest.raises(ParameterError):
            quantify(inputs, **bad)


def test_rare_risks_are_added_to_their_category_objective_and_the_gains(wc):
    # rare risks (below 1 / 64) are drawn in chunks of their own and added one by one: each lands in its category,
    # its objective and, for an opportunity, the gains; the groups add up to the register
    reg = register(probability=[0.01, 0.012, 0.3, 0.015, 1.0], impact_low=[1e5, 2e5, 1e3, 5e4, 10.0],
                   impact_high=[1e6, 9e5, 5e3, 5e5, 10.0], category=["A", "B", "A", "B", "A"],
                   objective=["Water", "Roads", "Roads", "Water", "Water"],
                   opportunity=[False, False, False, True, False])
    q = quantify(risk_inputs(reg, wc), trials=200_000, seed=9)
    by_category = sum(g["expected_loss"] for g in q.per_category.values())
    by_objective = sum(g["expected_loss"] for g in q.per_objective.values())
    assert by_category == pytest.approx(q.expected_loss, rel=1e-12)
    assert by_objective == pytest.approx(q.expected_loss, rel=1e-12)
    mu, sigma = lognormal(5e4, 5e5)
    gain, p = q.net_value["expected_gain"], 0.015
    mean, second = math.exp(mu + sigma ** 2 / 2), math.exp(2 * mu + 2 * sigma ** 2)
    assert abs(gain - p * mean) < 4 * math.sqrt((p * second - (p * mean) ** 2) / q.trials)
    contribution = q.per_risk_contribution.set_index("risk_id")["expected_loss"]
    water = q.per_objective["Water"]["expected_loss"]  # R1 (rare) and R5 (certain, 10 a year)
    mu1, sigma1 = lognormal(1e5, 1e6)
    se = math.sqrt((0.01 * math.exp(2 * mu1 + 2 * sigma1 ** 2) - contribution["R1"] ** 2) / q.trials)
    assert abs(water - contribution["R1"] - 10.0) < 4 * se


def test_groups_of_rows_are_summed_alike_one_by_one_or_all_at_once():
    from workbook_lib.assessments.risk.quantify import FEW_GROUPS, _row_sums

    rng = np.random.default_rng(1)
    rows, starts = rng.random((300, 50)), np.r_[0, np.sort(rng.choice(np.arange(1, 300), FEW_GROUPS + 5, False))]
    many = _row_sums(rows, starts)
    assert np.allclose(many, np.add.reduceat(rows, starts, axis=0))
    few = _row_sums(rows, starts[:10])
    assert np.allclose(few, [rows[a:b].sum(axis=0) for a, b in zip(starts[:10], [*starts[1:10], 300], strict=True)])


def test_a_money_range_too_wide_to_simulate_is_not_quantified_and_says_why(wc):
    # a 90 % interval from 1 to 10 ** 20 would overflow the 32-bit sizes (exp of more than 88): never an infinite loss
    reg = register(probability=[0.5, 0.5], impact_low=[1.0, 1e4], impact_high=[1e20, 1e5])
    q = quantify(risk_inputs(reg, wc), trials=20_000, seed=1)
    assert q.per_risk_contribution["risk_id"].tolist() == ["R2"]
    reason = q.not_quantified.set_index("risk_id").loc["R1", "reason"]
    assert "impact_high is more than 1,000,000,000,000 times impact_low" in reason
    assert math.isfinite(q.expected_loss) and math.isfinite(q.quantiles[0.99])
    with pytest.raises(ValueError, match="max_range_ratio 1e\\+40 is too wide"):
        load_settings().model_validate({**load_settings().model_dump(), "max_range_ratio": 1e40})
