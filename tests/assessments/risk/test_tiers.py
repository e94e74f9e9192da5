"""The risk assessment follows the tier of the organisation's maturity status (issue 26; the guide's Table 20 and
the registers of Tables 21-23): from the parameter or setting, else scored from the maturity marks; the report and
the JSON say which tier it applied and what the register lacks of it."""

from __future__ import annotations

import pytest

from tests.assessments.risk.guide_kit import guide_params
from tests.conftest import PARAMETERS
from workbook_lib.assessments.risk.run import run_risk_evaluation
from workbook_lib.assessments.risk.tier_report import tier_note, tier_summary
from workbook_lib.assessments.risk.tiers import applied, tier_for, tiers
from workbook_lib.core.params import ParameterError

REGISTER = """Risk ID,Risk description,Risk category,Likelihood,Impact,Control effectiveness
1,Spending outside the procurement rules,Financial,5,4,Effective
2,Vacant posts in the finance directorate,Operational,3,3,Partially effective
"""
MARKS = PARAMETERS / "maturity" / "karoo_vale_marks_2025.csv"


def test_the_three_statuses_have_a_tier_each_in_the_guides_order():
    assert [t.status for t in tiers().tiers] == ["fragmented", "integrated", "risk intelligent"]
    assert [t.register_table for t in tiers().tiers] == ["Table 21", "Table 22", "Table 23"]
    assert [t.quantify for t in tiers().tiers] == [False, False, True]
    # a status is matched whatever its case and spacing, by name or label
    assert tier_for("  Risk   INTELLIGENT ")[0].status == "risk intelligent"
    assert tier_for(None) == (tier_for("integrated")[0], False)


def test_an_unknown_status_is_refused_with_the_known_ones():
    with pytest.raises(ParameterError, match="'advanced': expected one of fragmented, integrated, risk intelligent"):
        applied("advanced", set())


def test_the_fields_a_register_lacks_follow_its_tier():
    present = {"description", "category", "inherent_likelihood", "inherent_impact", "control_effectiveness"}
    integrated = applied("integrated", present).missing
    assert "root_causes_internal" in integrated and "kpi" not in integrated
    intelligent = applied("risk intelligent", present).missing
    assert {"kpi", "monitoring"} <= set(intelligent)
    # the fragmented register rates directly on high, medium and low: no likelihood or impact asked of it
    assert not {"inherent_likelihood", "inherent_impact"} & set(applied("fragmented", present).missing)


@pytest.mark.parametrize("status", ["fragmented", "integrated", "risk intelligent"])
def test_a_run_applies_the_stated_status_and_says_so(tmp_path, status):
    money = {"currency": "ZAR", "upper_bounds": [10_000, 100_000, 1_000_000, 10_000_000]}  # risk intelligent needs it
    ev = run_risk_evaluation(guide_params(tmp_path, REGISTER, maturity_status=status, impact_money=money),
                             earlier=False)
    assert (ev.quantification is not None) == (status == "risk intelligent")
    assert ev.tier.status == status
    label = tier_for(status)[0].label
    assert tier_summary(ev)["tier"]["tier"] == label
    note = str(tier_note(ev))
    assert f"*{label}*" in note and tier_for(status)[0].register_table in note
    # what this register lacks of the guide's register, in words
    assert ev.tier.missing and "treatment owner" in note.lower() and "no column for them" in note
    assert "_" not in note


def test_without_a_status_the_marks_decide(tmp_path):
    ev = run_risk_evaluation(guide_params(tmp_path, REGISTER, marks=str(MARKS)), earlier=False)
    assert ev.tier.status == "integrated"  # Karoo Vale's 2025 marks score integrated
    assert "maturity status for the period is *Integrated*" in str(tier_note(ev))


def test_with_neither_the_default_is_said_to_be_the_suites(tmp_path):
    ev = run_risk_evaluation(guide_params(tmp_path, REGISTER), earlier=False)
    assert ev.tier.status is None and ev.tier.tier.status == tiers().when_not_set
    assert tier_summary(ev)["tier"]["maturity_status"] is None
    assert "No maturity status is set" in str(tier_note(ev)) and "not the guide's" in str(tier_note(ev))
