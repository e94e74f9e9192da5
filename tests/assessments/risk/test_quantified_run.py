"""A risk-intelligent register's losses in a run (issue 26): the tier of the maturity status turns the simulation on,
the register's own ranges are read as chances and amounts, and the report, JSON, Excel and batch index show them.
The arithmetic itself is tested against closed forms in test_quantify.py."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PARAMETERS, ROOT, write_csv
from workbook_lib.assessments import registry, shared_fields
from workbook_lib.assessments.risk import index_figures
from workbook_lib.assessments.risk.charts import loss_curve, value_ranges
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.assessments.risk.quantify_report import (
    contributions_view,
    losses_narrative,
    quantification_summary,
    quantification_tables,
)
from workbook_lib.assessments.risk.report import attention, key_figures, risk_summary
from workbook_lib.assessments.risk.run import check_risk_inputs, run_risk_evaluation
from workbook_lib.core.errors import InputError
from workbook_lib.core.params import ParameterError, load_file

SWARTBERG = PARAMETERS / "swartberg-district-risk-intelligent.yaml"
HEAD = ("Risk ID,Risk description,Risk category,Likelihood,Impact,Annual probability,Impact low,Impact high,"
        "Risk status\n")


def _params(path: Path = SWARTBERG, **changes) -> RiskEvaluationParams:
    params = load_file(path, registry()["risk-evaluation"].params, shared_fields())
    return params.model_copy(update=changes)


@pytest.fixture(scope="module")
def swartberg():
    return run_risk_evaluation(_params())


def _own(tmp_path, rows: str, **kw) -> RiskEvaluationParams:
    path = write_csv(tmp_path / "register.csv", HEAD + rows)
    return RiskEvaluationParams(organisation="Test District", period="2025-26", as_of="2025-11-30",
                                methodology="western-cape-5x5", register=str(path),
                                **{"maturity_status": "risk intelligent", **kw})


def test_the_risk_intelligent_tier_simulates_both_stages_from_the_registers_own_ranges(swartberg):
    assert swartberg.tier.tier.quantify
    before, after = swartberg.quantification["inherent"], swartberg.quantification["residual"]
    assert after.expected_loss < before.expected_loss  # the controls' lower chances and ranges
    assert set(after.value_map["probability_source"]) == {"register"}  # 30%, ZAR 800 000: read, not levels
    sd01 = after.value_map.set_index("risk_id").loc["SD-01"]
    assert (sd01["probability"], sd01["impact_low"], sd01["impact_high"]) == (0.15, 600_000, 4_000_000)
    assert list(after.not_quantified["risk_id"]) == ["SD-11"]  # closed
    assert after.tolerable_loss == 15_000_000 and 0 < after.chance_above_tolerable < before.chance_above_tolerable


def test_the_json_has_the_issues_keys_and_the_same_seed_gives_the_same_numbers(swartberg):
    summary = risk_summary(swartberg, "Swartberg District Municipality", "2025-26")
    q = summary["quantification"]
    for key in ("seed", "trials", "expected_loss", "quantiles", "exceedance", "per_category",
                "per_risk_contribution", "tolerable_loss", "chance_above_tolerable"):
        assert key in q, key
    assert q["seed"] == 20251130 and q["trials"] == 100_000 and q["currency"] == "ZAR"
    assert {"loss", "probability"} == set(q["exceedance"][0])
    assert q["inherent"]["expected_loss"] > q["expected_loss"]
    again = quantification_summary(run_risk_evaluation(_params()))["quantification"]
    assert again["expected_loss"] == q["expected_loss"] and again["quantiles"] == q["quantiles"]
    other = quantification_summary(run_risk_evaluation(_params(simulation_seed=7)))["quantification"]
    assert other["expected_loss"] != q["expected_loss"]


def test_the_report_excel_and_index_say_it_in_words(swartberg):
    text = str(losses_narrative(swartberg))
    assert "100,000 simulated years" in text and "ZAR 15,000,000" in text and "a net loss of ZAR" in text
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text) and "-" not in re.sub(r"risk-intelligent|SD-\d+", "", text)
    tables = quantification_tables(swartberg)
    assert set(tables) == {"Loss curve", "Loss by risk", "Value map ranges"}
    view = contributions_view(swartberg)
    assert view["Expected loss a year"].is_monotonic_decreasing
    assert set(view["Chance a year from"]) == {"the register's own figure"}
    figures = index_figures.key_figures(risk_summary(swartberg, "S", "2025-26"))
    assert figures["expected loss"].startswith("ZAR ") and figures["loss at 95%"].startswith("ZAR ")
    assert "expected loss a year ZAR" in key_figures(swartberg)
    assert loss_curve(swartberg) is not None and value_ranges(swartberg) is not None


def test_an_integrated_register_is_not_simulated(tmp_path):
    ev = run_risk_evaluation(_own(tmp_path, "1,Fraud,Financial,3,4,20%,1000,5000,Open\n", maturity_status="integrated"))
    assert ev.quantification is None
    assert quantification_summary(ev) == {"quantification": None} and losses_narrative(ev) is None
    assert loss_curve(ev) is None and "expected loss" not in key_figures(ev)


def test_a_chance_or_amount_that_is_not_one_is_refused_by_row_and_column(tmp_path):
    rows = ("1,Fraud,Financial,3,4,thirty,1000,5000,Open\n"
            "2,Fire,Operational,2,5,10%,USD 5000,USD 9000,Open\n"
            "3,Flood,Operational,2,5,150%,-200,900,Open\n")
    params = _own(tmp_path, rows, impact_money={"currency": "ZAR", "upper_bounds": [1000, 10000, 100000, 1000000]})
    with pytest.raises(InputError) as caught:
        check_risk_inputs(params)
    lines = [p.line() for p in caught.value.problems]
    assert any("row 2" in x and "Annual probability" in x and "thirty" in x for x in lines), lines
    assert any("row 3" in x and "Impact low" in x and "an amount in ZAR" in x for x in lines), lines
    assert any("row 4" in x and "150%" in x for x in lines) and any("row 4" in x and "-200" in x for x in lines)


def test_a_risk_intelligent_register_without_money_is_refused_before_anything_is_written(tmp_path):
    path = write_csv(tmp_path / "register.csv", "Risk ID,Risk description,Likelihood,Impact\n1,Fraud,3,4\n")
    params_file = tmp_path / "p.yaml"
    params_file.write_text(f"organisation: Test District\nperiod: 2025-26\nas_of: 2025-11-30\n"
                           f"methodology: western-cape-5x5\nmaturity_status: risk intelligent\nregister: {path}\n")
    with pytest.raises(ParameterError, match="can be quantified"):
        check_risk_inputs(load_file(params_file, RiskEvaluationParams, shared_fields()))
    out = tmp_path / "out"
    result = subprocess.run([str(Path(sys.executable).parent / "workbook"), "run", "risk-evaluation", "--params",
                             str(params_file), "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 2, result.stderr
    assert "money impact" in result.stderr
    assert not list(out.rglob("*.html")) and not list(out.rglob("*.json"))


def test_of_two_risks_of_equal_score_the_more_volatile_comes_first(tmp_path):
    rows = ("1,Narrow range,Financial,3,4,20%,ZAR 1000,ZAR 2000,Open\n"
            "2,Wide range,Financial,4,3,20%,ZAR 100,ZAR 90000,Open\n")
    ev = run_risk_evaluation(_own(tmp_path, rows, appetite=1))
    view = attention(ev)
    assert list(view["residual_score"]) == [12, 12] and list(view["risk_id"]) == ["2", "1"]
    assert view["spread"].iloc[0] > view["spread"].iloc[1]
