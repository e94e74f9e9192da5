"""Charts aggregate before plotting: a 100,000-risk register renders without embedding its rows."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from tests.conftest import write_csv
from workbook_lib.assessments.risk import charts
from workbook_lib.assessments.risk.register import Register, load_register
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
    for chart in (charts.heatmaps(ev), charts.movement(ev), charts.residual_by(ev, "owner"), charts.value_map(ev)):
        spec = chart.to_dict()  # raises MaxRowsError if more than 5,000 rows were embedded
        assert len(json.dumps(spec)) < 200_000
    cells = charts.matrix_cells(ev, "inherent")
    assert len(cells) == 25 and cells["count"].sum() == 100_000
    assert cells["ids"].str.contains(r"\+\d+$").all()  # IDs beyond the first few are counted, not listed
    assert charts.matrix_cells(ev, "residual")["count"].sum() == 0  # every residual came from the factor
    assert charts.factor_bands(ev)["count"].sum() == 100_000
    assert charts.value_cells(ev)["count"].sum() == 100_000


def test_matrix_cells_use_band_colours(torbay):
    loaded = torbay
    reg = _big_register(loaded, 50)
    ev = evaluate(reg, loaded, dt.date(2026, 1, 1))
    cells = charts.matrix_cells(ev, "residual").set_index(["l", "i"])
    assert cells.loc[(6, 4), "band"] == "High" and cells.loc[(6, 4), "colour"] == "#d7191c"
    assert cells.loc[(1, 1), "band"] == "Low" and cells.loc[(2, 4), "band"] == "Intermediate"


MIXED = """risk_id,description,inherent_likelihood,inherent_impact,residual_likelihood,residual_impact,\
control_effectiveness,status
R-MOVED,re-rated to another cell,5,5,2,3,,open
R-STAYS,re-rated to its own cell,4,4,4,4,,open
R-NONE,no re-rating and no control rating,1,4,,,,open
R-F1,factor,5,4,,,Partially effective,open
R-F2,factor,3,3,,,Fully effective,open
R-F3,factor,4,5,,,Totally ineffective,open
R-OPP,an opportunity,4,2,3,5,,opportunity
R-SHUT,closed,5,5,,,,closed
"""


def _mixed(tmp_path, western_cape, text: str = MIXED):
    path = write_csv(tmp_path / "mixed.csv", text)
    return evaluate(load_register(path, western_cape.methodology), western_cape, dt.date(2026, 1, 1), appetite=8)


def _ids(cells: pd.DataFrame, l: int, i: int) -> str:  # noqa: E741 - l for likelihood, as in the cells
    return cells.set_index(["l", "i"]).loc[(l, i), "ids"]


def test_residual_matrix_places_each_risk_by_its_residual_basis(tmp_path, western_cape):
    ev = _mixed(tmp_path, western_cape)
    assert dict(zip(ev.rated["risk_id"], ev.rated["residual_basis"], strict=True))["R-F1"] == "control_factor"
    inherent, residual = charts.matrix_cells(ev, "inherent"), charts.matrix_cells(ev, "residual")
    assert "R-MOVED" in _ids(inherent, 5, 5) and "R-MOVED" not in _ids(residual, 5, 5)
    assert _ids(residual, 2, 3) == "R-MOVED"  # its re-rated cell
    assert _ids(residual, 4, 4) == "R-STAYS"
    assert _ids(inherent, 1, 4) == _ids(residual, 1, 4) == "R-NONE"  # residual = inherent: its inherent cell
    assert not residual["ids"].str.contains("R-F").any() and residual["count"].sum() == 4  # factors have no cell
    assert inherent["count"].sum() == 7  # every scored risk (the closed one is not)
    bands = charts.factor_bands(ev).set_index("band")
    assert bands["count"].sum() == 3
    for r in ev.rated[ev.rated["residual_basis"] == "control_factor"].itertuples():
        assert r.risk_id in bands.loc[r.residual_level, "ids"]
    spec = charts.heatmaps(ev).to_dict()
    assert len(spec["hconcat"]) == 3  # inherent, residual, and the factor-based risks beside them
    titles = [" ".join(c["title"]["text"]) for c in spec["hconcat"]]
    assert titles[1] == "Residual risk: 3 re-rated risks in their cell, 1 without re-rating at their inherent cell"
    assert "residual equals its inherent score" in " ".join(spec["hconcat"][1]["title"]["subtitle"])
    assert titles[2] == "Residual from control effectiveness: 3 risks"
    assert spec["hconcat"][2]["title"]["subtitle"] == ["no cell: score only"]


def test_heatmaps_without_factor_based_risks_show_two_matrices(tmp_path, torbay):
    ev = _mixed(tmp_path, torbay, "risk_id,description,inherent_likelihood,inherent_impact,residual_likelihood,"
                                 "residual_impact\nM-1,d,4,4,1,2\nM-2,d,2,2,,\n")
    spec = charts.heatmaps(ev).to_dict()
    assert len(spec["hconcat"]) == 2
    assert _ids(charts.matrix_cells(ev, "residual"), 1, 2) == "M-1"


def test_value_map_puts_threats_left_and_opportunities_right(tmp_path, western_cape):
    ev = _mixed(tmp_path, western_cape)
    cells = charts.value_cells(ev)
    placed = cells[cells["count"] > 0].set_index("ids")
    assert placed.loc["R-OPP", "x"] == 5 and placed.loc["R-OPP", "l"] == 3  # its re-rated cell, on the right
    assert placed.loc["R-MOVED", "x"] == -3 and placed.loc["R-MOVED", "l"] == 2  # a threat, on the left
    assert (cells.loc[cells["x"] < 0, "count"].sum(), cells.loc[cells["x"] > 0, "count"].sum()) == (6, 1)
    spec = charts.value_map(ev).to_dict()
    assert spec["title"]["text"] == ["Value map: 6 threats, 1 opportunity"]
    assert {"Threats", "Opportunities"} <= set(json.dumps(spec).split('"'))
    assert "Impact (threat: left, opportunity: right)" in json.dumps(spec)
    threats_only = _mixed(tmp_path, western_cape, MIXED.replace(",opportunity", ",open"))
    assert "no opportunities recorded" in " ".join(charts.value_map(threats_only).to_dict()["title"]["text"])


def test_current_ratings_show_one_matrix_and_no_movement(tmp_path, mopac):
    # the MOPAC register gives one current rating per risk: no inherent matrix, no before/after movement
    ev = _mixed(tmp_path, mopac, "risk_id,description,inherent_likelihood,inherent_impact\nM-1,d,4,4\nM-2,d,2,2\n")
    spec = charts.heatmaps(ev).to_dict()
    assert len(spec["hconcat"]) == 1
    assert spec["hconcat"][0]["title"]["text"][0].startswith("Current risk")
    assert charts.movement(ev) is None


def test_the_shipped_opportunity_is_on_the_right_of_the_value_map_and_not_above_appetite(western_cape):
    from tests.conftest import ROOT

    register = load_register(ROOT / "parameters" / "registers" / "karoo_vale_municipality_2025.csv",
                             western_cape.methodology)
    karoo_eval = evaluate(register, western_cape, dt.date(2025, 11, 30), appetite="Low")
    risk = karoo_eval.risks.set_index("risk_id").loc["KV-008"]  # a smart-meter rollout: an upside
    assert risk.status == "opportunity" and risk.above_appetite is None
    cells = charts.value_cells(karoo_eval)
    right = cells[(cells["x"] > 0) & (cells["count"] > 0)]
    assert right["ids"].tolist() == ["KV-008"]
