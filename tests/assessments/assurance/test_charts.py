"""The charts render and cap their rows."""

from __future__ import annotations

from tests.assessments.assurance.kit import _analyse, _risks
from workbook_lib.assessments.assurance import charts


# ---- charts -------------------------------------------------------------------------------------------
def test_charts_render_and_cap_the_rows(karoo, fw, providers, western_cape):
    for chart in (charts.assurance_grid(karoo), charts.coverage_matrix(karoo), charts.coverage_by_risk(karoo),
                  charts.workload(karoo)):
        assert chart.to_dict()
    cells = charts.grid_cells(karoo)
    assert cells["risk_id"].nunique() == 17 and len(cells) == 17 * len(karoo.providers)
    many = _risks(*[(f"R{i}", 16, "High", True) for i in range(300)])
    result = _analyse(many, [("R1", "c", "internal_audit", "A")], fw, providers, western_cape)
    assert charts.grid_cells(result)["risk_id"].nunique() == charts.MAX_RISKS
    assert "260 more" in " ".join(charts.assurance_grid(result).to_dict()["title"]["text"])  # wrapped title
    assert charts.coverage_matrix_cells(result)["risks"].sum() == 300
