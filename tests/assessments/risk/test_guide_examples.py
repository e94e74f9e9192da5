"""Issue 25, point 2 and the risk labels of point 4: the provincial guide's worked example and bandings, built from
its own rows (seed 004: Table 19 effectiveness ratings, Table 22 the integrated register, Tables 24 and 26 bands)
and MOPAC's current ratings.

Table 22: likelihood 5 x impact 4 = 20, control effectiveness Effective, residual risk 9.
Table 24: 1-4 and 5-9 acceptable (report to the line manager), 10-14 and 15-19, 20-25 unacceptable.
Table 26: Low 1-8 below tolerance, Medium 9-12 above tolerance, High 13-25 above the acceptance level.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.assessments.risk.guide_kit import AS_OF
from tests.assessments.risk.guide_kit import evaluated as _evaluate
from tests.assessments.risk.guide_kit import guide_params as _params
from tests.conftest import ROOT, write_csv
from workbook_lib.assessments.risk import report
from workbook_lib.assessments.risk.methodology import load_methodology, shipped, with_control_factors
from workbook_lib.assessments.risk.register import load_register
from workbook_lib.assessments.risk.run import run_risk_evaluation
from workbook_lib.assessments.risk.scoring import evaluate
from workbook_lib.assessments.risk.settings import problems
from workbook_lib.core.params import ParameterError
from workbook_lib.core.settings import Settings, apply, from_values

TABLE_19 = ["Fully effective", "Partially effective", "Ineffective", "Totally ineffective", "None"]
TABLE_22_ROW = ("risk_id,description,category,inherent_likelihood,inherent_impact,control_effectiveness\n"
                "1,Irregular expenditure,Financial,5,4,Effective\n")
LAYOUT = ROOT / "tests" / "data" / "registers" / "table22_layout.csv"




# ---- the residual fallback reproduces Table 22 -----------------------------------------------------------------
def test_effectiveness_only_reproduces_table_22s_residual_9(tmp_path, western_cape):
    ev = _evaluate(tmp_path, TABLE_22_ROW, western_cape)
    risk = ev.risks.iloc[0]
    assert (risk["inherent_score"], risk["control_effectiveness"]) == (20, "Fully effective")  # Effective
    assert (risk["residual_score"], risk["residual_basis"]) == (9, "control_factor")  # 20 x 45% = 9, not 4
    assert ev.disagreements.empty


def test_shipped_factors_are_monotone_over_table_19_and_marked_as_the_suites(tmp_path, western_cape):
    m = western_cape.methodology
    assert [c.label for c in m.control_effectiveness] == TABLE_19
    factors = [c.factor for c in m.control_effectiveness]
    assert factors == sorted(factors) and len(set(factors)) == 5 and factors[-1] == 1.0
    assert m.factors_provenance() == "not in the guide; set by this suite"
    note = str(report.method_note(_evaluate(tmp_path, TABLE_22_ROW, western_cape)))
    assert "Fully effective 45%" in note and "not in the guide; set by this suite" in note
    assert "common public-sector practice" not in note


def test_an_organisations_factors_replace_the_suites_and_are_said_to_be_its_own(tmp_path):
    own = {"Effective": 40, "Partially effective": 60, "Ineffective": 75, "TI": 90, "None": 100}
    ev = run_risk_evaluation(_params(tmp_path, TABLE_22_ROW, control_factors=own), earlier=False)
    assert ev.risks.iloc[0]["residual_score"] == 8  # 20 x 40%
    assert "not in the guide; set by Guide Municipality" in str(report.method_note(ev))
    # from the organisation's settings (the Settings page, or settings import), as a store run applies them
    params = _params(tmp_path, TABLE_22_ROW)
    used, applied = apply(params, Settings("Guide Municipality", "2016-17", from_values({"control_factors": own})),
                          neutral=False)
    assert used.control_factors == own and "Control-effectiveness factors" in "\n".join(applied.lines())


@pytest.mark.parametrize(("factors", "said"), [
    ({"Fully effective": 60, "Partially effective": 45, "Ineffective": 75, "TI": 90, "None": 100}, "less risk"),
    ({"Fully effective": 45}, "missing: Partially effective"),
    ({"Fully effective": 45, "Mostly": 50}, "'Mostly' is not a control-effectiveness rating"),
    ({"Fully effective": 0, "Partially effective": 60, "Ineffective": 75, "TI": 90, "None": 100}, "above 0"),
])
def test_unusable_factors_are_refused_in_words(western_cape, factors, said):
    with pytest.raises(ParameterError, match=said):
        with_control_factors(western_cape, factors, "Guide Municipality")
    values = from_values({"methodology": "western-cape-5x5", "control_factors": factors})
    assert [name for name, _why in problems(values)] == ["control_factors"]


# ---- Table 22 in the guide's own layout --------------------------------------------------------------------------
def test_table_22_layout_is_read_without_a_columns_entry_and_its_residual_agrees(western_cape):
    register = load_register(LAYOUT, western_cape.methodology)
    read = {r.heading: r.meaning for r in register.readings}
    assert read["Operational risk"] == "risk_id"
    assert read["Inherent risk rating"] == "stated_inherent_score"
    assert read["Residual risk"] == "stated_residual_score"
    ev = evaluate(register, western_cape, AS_OF)
    guide = ev.risks.set_index("risk_id").loc["1"]
    assert (guide["inherent_score"], guide["residual_score"], guide["stated_residual_score"]) == (20, 9, "9")
    assert ev.disagreements.empty  # the guide's "Residual risk 9" is the residual, not a difference
    assert ev.risks["residual_score"].tolist() == [9, 8, 7]  # 20 x 45%; 12 x 60% = 7.2; 9 x 75% = 6.75, up


def test_table_21s_word_ratings_under_the_same_headings_are_levels(tmp_path, western_cape):
    text = ("Operational risk,Risk description,Likelihood,Impact,Inherent risk rating,Control effectiveness,"
            "Residual risk\n1,Irregular expenditure,5,4,High,Effective,Medium\n")
    register = load_register(write_csv(tmp_path / "t21.csv", text), western_cape.methodology)
    read = {r.heading: r.meaning for r in register.readings}
    assert (read["Inherent risk rating"], read["Residual risk"]) == ("stated_inherent_level", "stated_residual_level")
    assert evaluate(register, western_cape, AS_OF).disagreements.empty  # High 20; Medium 9


# ---- Tables 24 and 26 disagree at 9 ------------------------------------------------------------------------------
def test_tables_24_and_26_disagreement_at_9_is_said_and_escalation_follows_table_26(tmp_path, western_cape):
    m = western_cape.methodology
    assert any("Tables 24 and 26 disagree at score 9" == n.topic for n in m.notes)
    text = "risk_id,description,inherent_likelihood,inherent_impact,residual_likelihood,residual_impact\n" \
           "N,Nine,5,4,3,3\nE,Eight,5,4,2,4\n"
    ev = _evaluate(tmp_path, text, western_cape, banding="risk-index")
    risks = ev.risks.set_index("risk_id")
    assert (risks.at["N", "residual_level"], risks.at["N", "decision_maker"]) == ("Index 2", "Municipal Manager")
    assert risks.at["N", "decision_basis"] == "Index 2 band; above tolerance (9 > 8)"
    assert (risks.at["E", "residual_level"], risks.at["E", "decision_maker"]) == ("Index 2",
                                                                                  "Risk owner (line manager)")
    note = str(report.method_note(ev))
    assert "Table 24 and Table 26 disagree at score 9" in note and "Tables 24 and 26 disagree" in note


# ---- every shipped banding of every shipped methodology runs -------------------------------------------------
BANDINGS = [(name, key) for name, path in shipped().items() for key in load_methodology(path).methodology.bandings]


@pytest.mark.parametrize(("name", "banding"), BANDINGS)
def test_every_shipped_banding_runs(tmp_path, name, banding):
    m = load_methodology(name).methodology
    top_l, top_i = len(m.likelihood), len(m.impact)
    text = ("risk_id,description,inherent_likelihood,inherent_impact\n"
            f"A,Lowest,1,1\nB,Middle,2,2\nC,Highest,{top_l},{top_i}\n")
    if m.direct:  # rated High / Medium / Low, no likelihood or impact
        text = "risk_id,description,Inherent risk rating\n" + "".join(
            f"{k},{lv.label},{lv.label}\n" for k, lv in zip("ABC", (m.levels[0], m.levels[1], m.levels[-1]),
                                                            strict=True))
    ev = run_risk_evaluation(_params(tmp_path, text, methodology=name, banding=banding, appetite=2), earlier=False)
    assert ev.banding == banding and ev.rated["residual_level"].notna().all()
    assert ev.risks["decision_maker"].notna().all()
    assert m.banding(banding).title in str(report.opening_narrative(ev, "Org", "2016-17"))
    assert "Decision maker" in str(report.method_note(ev))
    assert report.key_figures(ev).startswith("risks 3 | rated 3")


# ---- MOPAC speaks of current ratings ----------------------------------------------------------------------------
def test_current_ratings_are_called_current_in_tables_and_calculations(mopac):
    register = load_register(ROOT / "parameters" / "registers" / "mopac_met_alignment_2020.csv", mopac.methodology)
    ev = evaluate(register, mopac, dt.date(2020, 7, 27), appetite="Medium")
    rated = ev.rated
    assert rated["arithmetic"].str.startswith("current ").all()
    assert not rated["arithmetic"].str.contains("inherent|residual").any()
    for view in (report.register_view(ev), report.attention(ev), report.groups_view(ev)):
        assert "Current score" in view.columns or "Current level" in view.columns
        assert not {"inherent_score", "inherent_level", "residual_score", "residual_level"} & set(view.columns)
    assert report.score_column(ev) == "Current score"


# ---- register destinations are the suite's, and the README claims no more than the guide prints ---------------
def test_register_destinations_are_marked_not_in_the_guide(tmp_path, western_cape):
    m = western_cape.methodology
    assert any("register" in item for item in m.not_in_source) and m.added_by == "this suite"
    note = str(report.method_note(_evaluate(tmp_path, TABLE_22_ROW, western_cape)))
    assert "Register (not in the guide)" in note and "Not in the guide; set by this suite:" in note
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "9 Medium" not in readme and "residual 9" in readme
