"""The maturity charts, built from small aggregates."""

from __future__ import annotations

import json

from tests.assessments.maturity.conftest import (
    AS_OF,
    LOADED,
    M,
    _csv_marks,
)
from workbook_lib.assessments.maturity import charts as charts_maturity
from workbook_lib.assessments.maturity.inputs import load_marks
from workbook_lib.assessments.maturity.scoring import assess


def test_charts_build_from_small_aggregates(example, tmp_path):
    _, result = example
    for chart in (charts_maturity.element_marks(result), charts_maturity.assessment_bars(result),
                  charts_maturity.trend(result)):
        spec = chart.to_dict()
        assert len(json.dumps(spec)) < 60_000
    data = charts_maturity.element_marks_data(result)
    assert len(data) == 23 and int(data["below_target"].sum()) == 6
    partial = assess(LOADED, AS_OF, "p", marks=load_marks(_csv_marks(tmp_path, {"A1": 2}), M))
    stubbed = charts_maturity.element_marks_data(partial)
    assert (stubbed["level"] == "not rated").sum() == 22
    assert charts_maturity.trend(partial) is None
