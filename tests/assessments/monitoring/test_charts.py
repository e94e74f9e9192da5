"""Every risk-monitoring chart keeps its text whole and inside the picture (the check of
tests/test_chart_legibility.py), on the shipped example, on one period alone, and on a catalogue of the
organisation's own with long names and risk types."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from tests.conftest import PARAMETERS, write_csv
from tests.test_chart_legibility import legibility_problems
from workbook_lib.assessments import shared_fields
from workbook_lib.assessments.monitoring import charts
from workbook_lib.assessments.monitoring.inputs import MonitoringParams
from workbook_lib.assessments.monitoring.run import run_monitoring
from workbook_lib.core.params import load_file

LONG_TYPE = "Information and communication technology governance risk"
LONG_NAME = "Share of critical information systems without a tested disaster recovery plan"
CATALOGUE = f"""
title: Our own metrics
source: The municipality's risk committee
metrics:
  - id: untested_recovery
    name: {LONG_NAME}
    risk_type: {LONG_TYPE}
    tolerance: "<= 5%"
    unit: "%"
    warning: 0.2
    description: Critical systems whose recovery plan was not tested this year.
  - id: days_to_patch
    name: Days to apply a critical security patch across every municipal office
    risk_type: {LONG_TYPE}
    tolerance: 30 days
    unit: days
    direction: at_most
    description: Days between a critical patch's release and its installation everywhere.
  - id: budget_variance
    name: Variance of operating expenditure against the adjusted budget
    risk_type: Financial
    tolerance: "+/- 5%"
    target: 0
    unit: "%"
    description: Spending above or below the adjusted budget.
"""
READINGS = """Metric,Period,Value
untested_recovery,2023 Q4,12%
untested_recovery,2024 Q1,7.5%
untested_recovery,2024 Q2,4%
days_to_patch,2024 Q1,45
days_to_patch,2024 Q2,28 days
budget_variance,2023 Q4,-7.5%
budget_variance,2024 Q2,3%
"""


def _karoo(**update):
    params = load_file(PARAMETERS / "karoo-vale-2025-26.yaml", MonitoringParams, shared_fields())
    return run_monitoring(params.model_copy(update=update))


def _own(tmp_path: Path):
    write_csv(tmp_path / "ours.yaml", CATALOGUE)
    write_csv(tmp_path / "readings.csv", READINGS)
    return run_monitoring(MonitoringParams(organisation="Long Names", period="2024 Q2", as_of="2024-07-31",
                                           metrics=str(tmp_path / "ours.yaml"), readings="readings.csv",
                                           parameters_dir=str(tmp_path)))


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return {"karoo": _karoo(), "one period": _karoo(period="2023-24"), "own catalogue": _own(
        tmp_path_factory.mktemp("own"))}


CHARTS = {"trends": charts.trends, "state_overview": charts.state_overview}


def test_every_chart_function_is_checked():
    drawn = {name for name, f in inspect.getmembers(charts, inspect.isfunction)
             if f.__module__ == charts.__name__ and not name.startswith("_")
             and str(inspect.signature(f).return_annotation).startswith("alt.")}
    assert drawn == set(CHARTS)


@pytest.mark.parametrize("example", ["karoo", "one period", "own catalogue"])
@pytest.mark.parametrize("name", list(CHARTS))
def test_monitoring_charts_are_legible(results, example, name):
    chart = CHARTS[name](results[example])
    assert chart is not None
    problems = legibility_problems(chart)
    assert not problems, "\n".join(problems)


def test_a_band_around_a_target_and_a_negative_reading(results):
    frame, info = charts.trend_data(results["own catalogue"], "budget_variance")
    assert info["band"] == {"y": -5.0, "y2": 5.0} and info["limits"] == [-5.0, 5.0]
    assert info["domain"][0] < -7.5  # the negative reading is inside the panel
    assert list(frame["period"]) == ["2023 Q4", "2024 Q2"]  # no reading in 2024 Q1: no dot
    assert list(frame["state"]) == ["Outside tolerance", "Within tolerance"]
