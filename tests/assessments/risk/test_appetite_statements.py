"""Issue 25, point 3 and the leftovers of points 2 and 4, built from the guides' own rows.

Provincial guide (seed 004): Table 22's row (5 x 4 = 20, Effective, "Residual risk" 9, "Zero tolerance for irregular
expenditure"); "zero tolerance risk exposures such as fraud and corruption, ..."; Table 1 (the Council approves the
risk appetite and tolerance); Table 26 (High "exceeds the risk acceptance level"); a risk above tolerance that cannot
be avoided is approved by the Municipal Manager. Torbay (seed 003): initial and final risk, a High final risk is
decided by Members. MOPAC (seed 000): one current rating per risk.
"""

from __future__ import annotations

import datetime as dt
import html

import pytest

from tests.assessments.risk.guide_kit import AS_OF
from tests.assessments.risk.guide_kit import evaluated as _evaluate
from tests.assessments.risk.guide_kit import guide_params as _params
from tests.conftest import ROOT
from workbook_lib.assessments.risk import index_figures, report
from workbook_lib.assessments.risk.register import load_register
from workbook_lib.assessments.risk.run import run_risk_evaluation
from workbook_lib.assessments.risk.scoring import Appetite, evaluate
from workbook_lib.assessments.risk.settings import problems
from workbook_lib.core.settings import Settings, apply, from_values

LAYOUT = ROOT / "tests" / "data" / "registers" / "table22_layout.csv"
# Table 22's row as a register keeps it, and one whose stated residual differs from the factor's 20 x 45% = 9
TABLE_22 = ("Operational risk,Risk description,Risk category,Likelihood,Impact,Inherent risk rating,"
            "Control effectiveness,Residual risk,Risk appetite\n"
            "1,Irregular expenditure,Financial,5,4,20,Effective,9,Zero tolerance for irregular expenditure\n"
            "2,Tender fraud,Fraud and corruption,5,4,20,Effective,12,\n"
            "3,Late statements,Compliance,3,3,9,Ineffective,,Medium\n")




# ---- zero tolerance and the register's own appetite statement ---------------------------------------------------
def test_table_22s_zero_tolerance_for_irregular_expenditure_puts_its_residual_9_above_appetite(western_cape):
    ev = evaluate(load_register(LAYOUT, western_cape.methodology), western_cape, AS_OF, appetite="Medium")
    risks = ev.risks.set_index("risk_id")
    guide = risks.loc["1"]
    assert guide["appetite_statement"] == "Zero tolerance for irregular expenditure"  # shown as written
    assert (guide["residual_score"], guide["appetite"], guide["above_appetite"]) == (9, 0, True)
    assert guide["appetite_applied"] == "zero tolerance (the register's statement)"
    assert guide["decision_maker"] == "Municipal Manager" and "above appetite (9 > 0, zero tolerance)" in \
        guide["decision_basis"]
    # a statement in other words is kept as written; the organisation's appetite (Medium: up to 12) applies
    water = risks.loc["2"]
    assert (water["appetite"], water["above_appetite"]) == (12, False)
    assert water["appetite_applied"].startswith("12 (the default); the register's statement is not a score")
    view = report.attention(ev)
    assert view["risk_id"].tolist() == ["1"] and "appetite_statement" in view and "appetite_applied" in view


def test_zero_tolerance_per_category_as_0_or_in_words(tmp_path, western_cape):
    m = western_cape.methodology
    for zero in (0, "zero tolerance"):
        spec = {"categories": {"Fraud and corruption": zero}}
        assert Appetite.resolve(spec, m).categories == {"Fraud and corruption": 0}
        assert problems(from_values({"methodology": "western-cape-5x5", "appetite": spec})) == []
    ev = _evaluate(tmp_path, TABLE_22, western_cape,
                   appetite={"default": "High", "categories": {"Fraud and corruption": "Zero tolerance",
                                                               "Compliance": 4}})
    risks = ev.risks.set_index("risk_id")
    assert (risks.at["2", "appetite"], risks.at["2", "above_appetite"]) == (0, True)  # any rated exposure
    assert risks.at["2", "appetite_applied"] == "zero tolerance (category Fraud and corruption)"
    # the register's "Medium" for risk 3 wins over its category's 4
    assert (risks.at["3", "appetite"], risks.at["3", "appetite_applied"]) == (12, "12 (the register's statement)")
    assert risks.at["3", "above_appetite"] is False  # 9 x 75% = 6.75, up to 7


def test_statements_alone_are_measured_and_the_rest_said(tmp_path, western_cape):
    ev = _evaluate(tmp_path, TABLE_22, western_cape)
    assert ev.risks.set_index("risk_id")["above_appetite"].to_dict() == {"1": True, "2": None, "3": False}
    assert any("only the 2 risk(s) whose register row states an appetite" in w for w in ev.warnings)
    assert not any(w.startswith("No risk appetite was given:") for w in ev.warnings)


# ---- who approved the appetite and tolerance -------------------------------------------------------------------
def test_the_approval_is_printed_or_not_yet_approved(tmp_path):
    ev = run_risk_evaluation(_params(tmp_path, TABLE_22), earlier=False)
    said = str(report.opening_narrative(ev, "Guide Municipality", "2016-17"))
    assert "**not yet approved** (in the guide the Municipal Council approves them)" in said
    assert "not yet approved" in str(report.method_note(ev))
    assert report.risk_summary(ev, "O", "P")["appetite_approval"] == {"approved_by": None, "approved_on": None}
    approved = {"appetite_approved_by": "Municipal Council", "appetite_approved_on": "2017-05-30"}
    params, applied = apply(_params(tmp_path, TABLE_22), Settings("Guide Municipality", "2016-17",
                                                                  from_values(approved)), neutral=False)
    assert "Appetite approved by: Municipal Council" in applied.lines()
    ev = run_risk_evaluation(params, earlier=False)
    said = str(report.opening_narrative(ev, "Guide Municipality", "2016-17"))
    assert "approved by **Municipal Council** on **30 May 2017**" in said and "not yet approved" not in said


# ---- above the acceptance level nobody accepts; someone must act ----------------------------------------------
def test_a_high_risk_exceeds_the_acceptance_level_and_the_report_says_who_must_act(tmp_path, western_cape):
    text = "risk_id,description,inherent_likelihood,inherent_impact\n1,Irregular expenditure,5,4\n"
    ev = _evaluate(tmp_path, text, western_cape, appetite="Low")
    said = str(report.opening_narrative(ev, "Guide Municipality", "2016-17")) + str(report.method_note(ev))
    assert "rests with" not in said
    assert ("it exceeds the risk acceptance level (score over 12): Municipal Manager must act to bring it within "
            "the acceptable level; only a position that cannot be avoided may be approved, by the Municipal "
            "Manager") in said
    assert "Who decides on a risk" in said and "Who accepts" not in said


# ---- Torbay: no appetite, decisions by band; initial and final risk -------------------------------------------
def test_torbay_lists_a_high_final_risk_for_members_without_an_appetite(tmp_path, torbay):
    # the method's worked example: borderline 4 x marginal 2 = 8 (Intermediate); significant 5 x serious 3 = 15 (High)
    text = ("risk_id,description,group,inherent_likelihood,inherent_impact,residual_likelihood,residual_impact\n"
            "F1,Marginal financial loss,Proposal A,5,3,4,2\nE1,Serious environmental harm,Proposal A,6,4,5,3\n")
    ev = _evaluate(tmp_path, text, torbay)
    view = report.attention(ev)
    assert view["risk_id"].tolist() == ["E1", "F1"]  # not empty: every final risk, highest first
    assert view["decision_maker"].tolist() == ["Members (Council, Executive or a Committee)",
                                               "Director or Assistant Director, with the Executive Member"]
    assert {"Final score", "Final level"} <= set(view.columns) and "residual_score" not in view.columns
    assert "No risk appetite was given, so each final risk" in str(report.heading(ev, "decisions"))
    assert str(report.heading(ev, "by category")) == "## Final risk by category and owner"
    assert "initial 6 x 4 = 24 (High); final 5 x 3 = 15 (High)" == ev.risks.set_index("risk_id").at["E1", "arithmetic"]
    said = str(report.opening_narrative(ev, "Torbay", "2004"))
    assert "The highest final risk is **E1**" in said and "Members" in said and "rests with" not in said
    assert any(n.topic == "No risk appetite" for n in torbay.methodology.notes)


# ---- MOPAC: current, never residual ----------------------------------------------------------------------------
def test_mopac_headings_and_batch_index_say_current(mopac):
    register = load_register(ROOT / "parameters" / "registers" / "mopac_met_alignment_2020.csv", mopac.methodology)
    ev = evaluate(register, mopac, dt.date(2020, 7, 27), appetite="Medium")
    figures = index_figures.key_figures(report.risk_summary(ev, "MOPAC", "2020-07"))
    assert "residual" not in figures and figures["current"][0] == ("Very High", 3)
    cells = {heading: cell(figures) for heading, cell in index_figures.INDEX_COLUMNS}
    assert cells["Current levels"] == figures["current"] and cells["Residual levels"] is None
    assert str(report.heading(ev, "by category")) == "## Current risk by category and owner"
    assert "highest current scores" in str(report.heading(ev, "all risks"))
    assert "Residual" not in str(report.heading(ev, "decisions"))


# ---- point 2: the register's own residual score is the residual -------------------------------------------------
def test_a_stated_residual_is_the_residual_and_the_factor_only_informs(tmp_path, western_cape):
    ev = _evaluate(tmp_path, TABLE_22, western_cape)
    risks = ev.risks.set_index("risk_id")
    assert risks.loc["1", ["residual_score", "residual_level", "residual_basis"]].tolist() == [9, "Medium", "stated"]
    # Tender fraud: 20 x 45% = 9, but the register states 12: 12 is the residual, not a difference
    assert risks.loc["2", ["residual_score", "residual_level", "residual_basis"]].tolist() == [12, "Medium", "stated"]
    assert ev.disagreements.empty
    assert risks.at["2", "arithmetic"] == ("inherent 5 x 4 = 20 (High); residual as the register states it: 12 (the "
                                           "control-effectiveness factor gives 20 x 45% (Fully effective) = 9 -> 9, "
                                           "for information) (Medium)")
    assert risks.at["3", "residual_basis"] == "control_factor"  # no stated residual: the factor
    assert "1 as the register states them" not in str(report.opening_narrative(ev, "O", "P"))
    assert "2 as the register states them" in str(report.opening_narrative(ev, "O", "P"))


def test_a_rerating_still_wins_over_a_stated_residual(tmp_path, western_cape):
    text = ("risk_id,description,inherent_likelihood,inherent_impact,residual_likelihood,residual_impact,"
            "residual score\n1,Irregular expenditure,5,4,3,3,12\n")
    ev = _evaluate(tmp_path, text, western_cape)
    risk = ev.risks.iloc[0]
    assert (risk["residual_score"], risk["residual_basis"]) == (9, "rerated")
    assert ev.disagreements["The file says"].tolist() == ["12"]  # still checked against the re-rating


def test_table_22_layout_residuals_are_as_the_register_states_them(western_cape):
    ev = evaluate(load_register(LAYOUT, western_cape.methodology), western_cape, AS_OF)
    assert ev.risks["residual_basis"].tolist() == ["stated"] * 3 and ev.risks["residual_score"].tolist() == [9, 8, 7]
    assert ev.disagreements.empty


@pytest.mark.parametrize("name", ["western-cape-5x5", "torbay-2004", "mopac-4-level"])
def test_every_decision_is_recorded_in_the_method_note(tmp_path, name):
    text = "risk_id,description,inherent_likelihood,inherent_impact\n1,One,1,1\n"
    ev = run_risk_evaluation(_params(tmp_path, text, methodology=name), earlier=False)
    note = str(report.method_note(ev))
    for n in ev.methodology.methodology.notes:
        assert html.escape(n.topic) in note
