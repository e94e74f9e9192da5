"""Charts aggregate before plotting: a 100,000-risk register renders without embedding its rows."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from workbook_lib.assessments.risk import charts
from workbook_lib.assessments.risk.register import Register
from workbook_lib.assessments.risk.scoring import evaluate


def _big_register(loaded, n: int) -> Register:
    rng = np.random.default_rng(1)
    m = loaded.methodology
    frame = pd.DataFrame({
        "row": np.arange(2, n + 2), "risk_id": [f"R{i}" for i in range(n)], "description": "d",
        "category": rng.choice(["Financial", "Operational", "Compliance"], n), "owner": rng.choice(list("ABCDEFGH"), n),
        "group": "Whole register",
        "inherent_likelihood": pd.array(rng.integers(1, len(m.likelihood) + 1, n), dtype="Int64"),
        "inherent_impact": pd.array(rng.integers(1, len(m.impact) + 1, n), dtype="Int64"),
        "residual_likelihood": pd.array([pd.NA] * n, dtype="Int64"),
        "residual_impact": pd.array([pd.NA] * n, dtype="Int64"),
        "controls": "", "control_effectiveness": "Partially effective", "control_factor": 0.4,
        "response": "", "treatment_owner": "", "actions": "", "due_date": None, "review_date": None,
        "progress": "", "complete": False, "rated": True,
    })
    return Register(file="big.csv", frame=frame, extra_columns=[])


def test_hundred_thousand_risks_chart_without_row_limit(western_cape):
    ev = evaluate(_big_register(western_cape, 100_000), western_cape, dt.date(2026, 1, 1), appetite=8)
    for chart in (charts.heatmaps(ev), charts.movement(ev), charts.residual_by(ev, "owner")):
        spec = chart.to_dict()  # raises MaxRowsError if more than 5,000 rows were embedded
        assert len(json.dumps(spec)) < 200_000
    cells = charts.matrix_cells(ev, "inherent")
    assert len(cells) == 25 and cells["count"].sum() == 100_000
    assert cells["ids"].str.contains(r"\+\d+$").all()  # IDs beyond the first few are counted, not listed


def test_matrix_cells_use_band_colours(torbay):
    loaded = torbay
    reg = _big_register(loaded, 50)
    ev = evaluate(reg, loaded, dt.date(2026, 1, 1))
    cells = charts.matrix_cells(ev, "residual").set_index(["l", "i"])
    assert cells.loc[(6, 4), "band"] == "High" and cells.loc[(6, 4), "colour"] == "#d7191c"
    assert cells.loc[(1, 1), "band"] == "Low" and cells.loc[(2, 4), "band"] == "Intermediate"
