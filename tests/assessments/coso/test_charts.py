"""COSO charts: the questionnaire's colours, small specs, an empty divergence chart."""

from __future__ import annotations

import json

from tests.assessments.coso.kit import (
    Q,
    _assess,
)
from workbook_lib.assessments.coso import charts

# ---- charts --------------------------------------------------------------------------------------------


def test_charts_use_the_questionnaires_colours(karoo):
    _, result = karoo
    cells = charts.grid_cells(result).set_index(["item_id", "column"])
    assert len(cells) == 76 * 4
    assert cells.loc[("P08-02", "Combined"), "colour"] == "#d7191c"  # red band
    assert cells.loc[("P01-01", "Risk management"), "colour"] == Q.scale[0].colour
    assert cells.loc[("P16-08", "Management"), "colour"] == charts.NOT_RATED_COLOUR
    assert cells.loc[("P16-08", "Combined"), "text"] == "-"
    points = charts.divergence_points(result)
    assert len(points) == 7 * 3 and points["apart"].sum() == 5  # two items have no single line apart
    for chart in (charts.item_grid(result), charts.principle_bars(result),
                  charts.component_bars(result), charts.divergence_chart(result)):
        spec = chart.to_dict()
        assert len(json.dumps(spec)) < 100_000
    bars = json.dumps(charts.principle_bars(result).to_dict())
    assert all(b.colour in bars for b in Q.combined.bands)


def test_divergence_chart_without_divergent_items(tmp_path):
    result = _assess(tmp_path, {"P01-01": (3, 3, 3)})
    spec = charts.divergence_chart(result).to_dict()
    assert "No divergent items" in json.dumps(spec)
