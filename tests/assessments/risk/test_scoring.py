"""Scoring rules, appetite, groups, treatments and partner roles, including the seeds' worked examples."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import PARAMETERS, write_csv
from workbook_lib.assessments.risk.methodology import MethodologyError, load_methodology
from workbook_lib.assessments.risk.register import load_register
from workbook_lib.assessments.risk.scoring import Appetite, evaluate, score_frame


def _evaluate(tmp_path, text, loaded, as_of=dt.date(2025, 11, 30), **kw):
    reg = load_register(write_csv(tmp_path / "r.csv", text), loaded.methodology,
                        partner_roles=kw.get("partner_roles"))
    return evaluate(reg, loaded, as_of, **kw)


def test_council_worked_example_group_takes_highest_final_risk(tmp_path, torbay):
    # one proposal, two risks after controls: borderline (4) x marginal (2) = 8 Intermediate,
    # significant (5) x serious (3) = 15 High; the proposal's overall final risk is 15, decided by Members
    ev = _evaluate(tmp_path, (
        "risk_id,description,group,inherent_likelihood,inherent_impact,residual_likelihood,residual_impact\n"
        "F1,Financial loss,Proposal A,5,3,Borderline,Marginal\n"
        "E1,Environmental harm,Proposal A,6,4,Significant,Serious\n"), torbay)
    risks = ev.risks.set_index("risk_id")
    assert risks.loc["F1", "residual_score"] == 8 and risks.loc["F1", "residual_level"] == "Intermediate"
    assert risks.loc["E1", "residual_score"] == 15 and risks.loc["E1", "residual_level"] == "High"
    assert risks.loc["F1", "inherent_score"] == 15 and risks.loc["E1", "inherent_score"] == 24
    group = ev.groups.set_index("group").loc["Proposal A"]
    assert group["residual_score"] == 15 and group["residual_level"] == "High"
    assert "Council" in group["decision_maker"]
    assert "Strategic Risk Register" in group["register_destination"]
    assert group["driving_risks"] == "E1"
    assert "final 4 x 2 = 8" in risks.loc["F1", "arithmetic"]  # the method's own words


def test_provincial_example_inherent_rating_and_control_factor(tmp_path, western_cape):
    # the guide's operational register example: likelihood 5 x impact 4 = 20, a High inherent risk
    ev = _evaluate(tmp_path, (
        "risk_id,description,category,inherent_likelihood,inherent_impact,control_effectiveness\n"
        "IRR,Irregular expenditure,Financial,5,4,Partially effective\n"
        "NOC,No controls,Financial,Almost certain,Catastrophic,None\n"
        "NOR,No rating of controls,Financial,2,2,\n"), western_cape)
    r = ev.risks.set_index("risk_id")
    assert (r.loc["IRR", "inherent_score"], r.loc["IRR", "inherent_level"]) == (20, "High")
    assert r.loc["IRR", "residual_score"] == 12  # 20 x 60% = 12 -> Medium
    assert r.loc["IRR", "residual_level"] == "Medium"
    assert r.loc["NOC", "residual_score"] == 25  # factor 100%
    assert r.loc["NOR", "residual_score"] == 4 and any("NOR" in w for w in ev.warnings)
    assert "20 x 60% (Partially effective) = 12 -> 12" in r.loc["IRR", "arithmetic"]


def test_factor_rounding_is_up_and_free_of_float_noise(western_cape):
    m = western_cape.methodology.model_copy()
    frame = pd.DataFrame({"inherent_likelihood": [5, 3, 5], "inherent_impact": [4, 4, 4],
                          "control_factor": [0.45, 0.65, 0.65]})
    out = score_frame(frame, m)
    # 20 x 0.45 = 9.000000000000002 in floating point: must be 9, not 10; 12 x .65 = 7.8 -> 8; 13
    assert out["residual_score"].tolist() == [9, 8, 13]


def test_appetite_by_band_name_score_and_category(tmp_path, western_cape):
    text = ("risk_id,description,category,inherent_likelihood,inherent_impact,control_effectiveness\n"
            "A,a,Financial,3,2,None\nB,b,Operational,3,2,None\nC,c,Operational,3,3,None\nD,d,,,,\n")
    ev = _evaluate(tmp_path, text, western_cape, appetite={"default": "Low", "categories": {"Financial": 4}})
    above = ev.risks.set_index("risk_id")["above_appetite"].to_dict()
    assert above == {"A": True, "B": False, "C": True, "D": None}  # 6 > 4; 6 <= 8; 9 > 8; unrated
    ev = _evaluate(tmp_path, text, western_cape, appetite=9)
    assert ev.risks.set_index("risk_id")["above_appetite"].to_dict() == {"A": False, "B": False, "C": False,
                                                                          "D": None}
    with pytest.raises(MethodologyError, match="band names"):
        Appetite.resolve("Enormous", western_cape.methodology)
    with pytest.raises(MethodologyError, match="0-25"):
        Appetite.resolve(40, western_cape.methodology)


def test_unrated_risk_is_listed_never_scored(mopac):
    reg = load_register(PARAMETERS / "registers" / "mopac_met_alignment_2020.csv", mopac.methodology,
                        partner_roles=["Oversee", "Convene", "Communicate", "Deliver"])
    ev = evaluate(reg, mopac, dt.date(2020, 7, 27), appetite="Medium",
                  partner_roles=["Oversee", "Convene", "Communicate", "Deliver"])
    row = ev.risks.set_index("risk_id").loc["Risk 8"]
    assert not row["rated"] and pd.isna(row["inherent_score"]) and pd.isna(row["residual_score"])
    assert row["above_appetite"] is None
    assert len(ev.rated) == 16 and ev.risks["inherent_score"].min() >= 1
    # partner alignment: Risk 17 has no partner role
    assert ev.roles.loc[~ev.roles["covered"], "risk_id"].tolist() == ["Risk 17"]
    assert ev.roles["Oversee"].sum() == 16
    assert any("Risk 17" in w for w in ev.warnings)


def test_treatments_overdue_against_as_of(tmp_path, western_cape):
    text = ("risk_id,description,inherent_likelihood,inherent_impact,response,due_date,review_date,progress\n"
            "A,a,3,3,reduce,2025-10-01,2026-01-01,50\n"      # due passed, not complete
            "B,b,3,3,mitigate,2025-10-01,2025-11-01,100%\n"  # complete: not overdue; review passed
            "C,c,3,3,tolerate,31/12/2025,,complete\n")       # due after as-of (day-first: 31 can only be a day)
    ev = _evaluate(tmp_path, text, western_cape)
    t = ev.treatments.set_index("risk_id")
    assert t["action_overdue"].to_dict() == {"A": True, "B": False, "C": False}
    assert t["review_overdue"].to_dict() == {"A": False, "B": True, "C": False}
    assert t["response"].to_dict() == {"A": "mitigate", "B": "mitigate", "C": "accept"}


def test_grid_rule_scores_by_lookup(tmp_path):
    path = tmp_path / "grid.yaml"
    path.write_text("""
name: grid-2x2
version: "1"
title: Grid
likelihood: [{value: 1, label: Low}, {value: 2, label: High}]
impact: [{value: 1, label: Low}, {value: 2, label: High}]
scoring: {rule: grid, grid: [[1, 3], [2, 4]]}
default_banding: b
bandings:
  b:
    title: B
    bands:
      - {name: Green, min: 1, max: 2, colour: "#00ff00"}
      - {name: Red, min: 3, max: 4, colour: "#ff0000"}
residual: {rule: rerated}
""")
    loaded = load_methodology(path)
    out = score_frame(pd.DataFrame({"inherent_likelihood": [1, 1, 2, 2], "inherent_impact": [1, 2, 1, 2]}),
                      loaded.methodology)
    assert out["inherent_score"].tolist() == [1, 3, 2, 4]
    assert out["inherent_level"].tolist() == ["Green", "Red", "Green", "Red"]


@pytest.mark.parametrize("name", ["torbay-2004", "western-cape-5x5", "mopac-4-level"])
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_valid_ratings_always_score_inside_the_matrix(name, data):
    m = load_methodology(name).methodology
    n = data.draw(st.integers(1, 40))
    lk = data.draw(st.lists(st.integers(1, len(m.likelihood)), min_size=n, max_size=n))
    ik = data.draw(st.lists(st.integers(1, len(m.impact)), min_size=n, max_size=n))
    factors = data.draw(st.lists(st.sampled_from([c.factor for c in m.control_effectiveness] or [np.nan]),
                                 min_size=n, max_size=n))
    out = score_frame(pd.DataFrame({"inherent_likelihood": lk, "inherent_impact": ik, "control_factor": factors,
                                    "residual_likelihood": lk, "residual_impact": ik}), m)
    reachable = set(m.reachable_scores)
    assert set(out["inherent_score"]) <= reachable
    assert out["residual_score"].between(1, m.max_score).all()
    assert (out["residual_score"] <= out["inherent_score"]).all()
    assert out["inherent_level"].notna().all() and out["residual_level"].notna().all()


def test_engine_matches_row_by_row_reference(western_cape):
    m = western_cape.methodology
    rng = np.random.default_rng(7)
    n = 5000
    frame = pd.DataFrame({"inherent_likelihood": rng.integers(1, 6, n), "inherent_impact": rng.integers(1, 6, n),
                          "control_factor": rng.choice([c.factor for c in m.control_effectiveness], n),
                          "category": rng.choice(["Financial", "Operational"], n)})
    out = score_frame(frame, m, Appetite(default=8, categories={"Financial": 4}))

    def reference(row):
        inherent = row.inherent_likelihood * row.inherent_impact
        residual = max(1, int(np.ceil(round(inherent * row.control_factor, 9))))
        limit = 4 if row.category == "Financial" else 8
        return inherent, residual, m.band_for(residual).name, residual > limit

    expected = frame.apply(reference, axis=1, result_type="expand")
    assert out["inherent_score"].tolist() == expected[0].tolist()
    assert out["residual_score"].tolist() == expected[1].tolist()
    assert out["residual_level"].tolist() == expected[2].tolist()
    assert out["above_appetite"].tolist() == expected[3].tolist()


def _arithmetic_reference(row, uses_factor, before="inherent", after="residual"):
    """The row-by-row text the column-wise ``_arithmetic`` replaced (in the methodology's stage words)."""
    if not row["rated"]:
        return "not rated"
    inh = f"{before} {row.inherent_likelihood} x {row.inherent_impact} = {row.inherent_score} ({row.inherent_level})"
    if pd.notna(row.residual_likelihood) and pd.notna(row.residual_impact):  # a re-rating wins under any rule
        res = f"{after} {row.residual_likelihood} x {row.residual_impact} = {row.residual_score}"
    elif not uses_factor:
        res = f"{after} = {before} {row.residual_score} (no re-rating given)"
    elif pd.notna(row.control_factor):
        res = (f"{after} {row.inherent_score} x {row.control_factor:.0%} ({row.control_effectiveness}) "
               f"= {row.inherent_score * row.control_factor:g} -> {row.residual_score}")
    else:
        res = f"{after} = {before} {row.residual_score} (no re-rating or control-effectiveness rating)"
    return f"{inh}; {res} ({row.residual_level})"


@pytest.mark.parametrize("fixture", ["western_cape", "torbay"])
def test_arithmetic_text_matches_row_by_row_reference(tmp_path, fixture, request):
    loaded = request.getfixturevalue(fixture)
    m = loaded.methodology
    rng = np.random.default_rng(11)
    lik = [str(x.value) for x in m.likelihood]
    imp = [str(x.value) for x in m.impact]
    controls = [c.label for c in m.control_effectiveness] + [""] if m.control_effectiveness else [""]
    lines = ["risk_id,description,inherent_likelihood,inherent_impact,residual_likelihood,residual_impact,"
             "control_effectiveness"]
    for i in range(600):
        rated, rerate = rng.random() < 0.85, rng.random() < 0.7  # some unrated, some not re-rated
        lines.append(f"R{i},Risk {i},{rng.choice(lik) if rated else ''},{rng.choice(imp) if rated else ''},"
                     f"{rng.choice(lik) if rated and rerate else ''},{rng.choice(imp) if rated and rerate else ''},"
                     f"{rng.choice(controls) if m.uses_factor else ''}")
    ev = _evaluate(tmp_path, "\n".join(lines) + "\n", loaded)
    expected = ev.risks.apply(_arithmetic_reference, axis=1, uses_factor=m.uses_factor,
                              before=m.stage("inherent"), after=m.stage("residual"))  # Torbay: initial, final
    assert ev.risks["arithmetic"].tolist() == expected.tolist()
    assert {"not rated"} < set(ev.risks["arithmetic"])  # both rated and unrated risks were generated


# ---- what the guides say (issue 15) ------------------------------------------------------------------
def test_table_22_example_as_a_register_row_gives_residual_9_medium(tmp_path, western_cape):
    # inherent 5 x 4 = 20, controls "Effective", residual 9: on the 5 x 5 product scale only 3 x 3 gives 9
    text = ("risk_id,description,category,inherent_likelihood,inherent_impact,control_effectiveness,"
            "residual_likelihood,residual_impact\n"
            "OR-1,Irregular expenditure,Financial,5,4,Effective,3,3\n")
    risk = _evaluate(tmp_path, text, western_cape).risks.iloc[0]
    assert (risk.inherent_score, risk.inherent_level) == (20, "High")
    assert (risk.residual_score, risk.residual_level, risk.residual_basis) == (9, "Medium", "rerated")


def test_western_cape_falls_back_to_the_factor_only_without_a_re_rating(tmp_path, western_cape):
    text = ("risk_id,description,inherent_likelihood,inherent_impact,control_effectiveness,residual_likelihood,"
            "residual_impact\nA,Re-rated,5,4,Ineffective,2,2\nB,Factor only,5,4,Partially effective,,\n"
            "C,Neither,5,4,,,\n")
    risks = _evaluate(tmp_path, text, western_cape).risks.set_index("risk_id")
    assert risks.loc["A", ["residual_score", "residual_basis"]].tolist() == [4, "rerated"]
    assert risks.loc["B", ["residual_score", "residual_basis"]].tolist() == [12, "control_factor"]  # 20 x 60%
    assert risks.loc["C", ["residual_score", "residual_basis"]].tolist() == [20, "none"]


def test_a_residual_above_appetite_is_never_a_line_managers_to_accept(tmp_path, western_cape):
    text = ("risk_id,description,category,group,inherent_likelihood,inherent_impact,residual_likelihood,"
            "residual_impact\nM,Medium above appetite,Financial,P,4,4,3,3\nL,Low above appetite,Financial,P,4,4,2,3\n"
            "W,Low within appetite,Other,P,4,4,2,3\n")
    ev = _evaluate(tmp_path, text, western_cape, appetite={"default": "Low", "categories": {"Financial": 4}})
    risks = ev.risks.set_index("risk_id")
    assert risks.at["M", "decision_maker"] == "Municipal Manager"  # above tolerance and above appetite
    assert risks.at["M", "decision_basis"] == "Medium band; above appetite (9 > 4); above tolerance (9 > 8)"
    assert (risks.at["L", "residual_level"], risks.at["L", "decision_maker"]) == ("Low", "Municipal Manager")
    assert risks.at["W", "decision_maker"] == "Risk owner (line manager)"
    # a group is accepted by the highest authority any of its risks needs
    assert ev.groups["decision_maker"].tolist() == ["Municipal Manager"]


def test_torbay_bands_keep_their_decision_makers(tmp_path, torbay):
    text = "risk_id,description,inherent_likelihood,inherent_impact\nT,Roof,6,4\n"
    risk = _evaluate(tmp_path, text, torbay, appetite=1).risks.iloc[0]
    assert risk.above_appetite is True or risk.above_appetite == True  # noqa: E712
    assert risk.decision_maker == torbay.methodology.band_for(24).decision_maker


def test_an_opportunity_is_scored_but_never_above_appetite(tmp_path, western_cape):
    text = ("risk_id,description,inherent_likelihood,inherent_impact,status\n"
            "O,Grant for solar panels,2,4,Opportunity\nT,Depot flood,2,4,Open\n")
    ev = _evaluate(tmp_path, text, western_cape, appetite=1)
    risks = ev.risks.set_index("risk_id")
    assert risks.at["O", "residual_score"] == 8 and risks.at["O", "above_appetite"] is None
    assert risks.at["T", "above_appetite"] == True  # noqa: E712
    assert risks.at["O", "decision_maker"] == "Risk owner (line manager)"  # an upside is not escalated
    assert risks.at["T", "decision_maker"] == "Municipal Manager"
