"""The analysis: required coverage and gaps, order, scope, duplication, workload, reconciliation, maturity,
a frame instead of an evaluation and a large register."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.assessments.assurance.kit import _analyse, _bands, _map, _risks
from workbook_lib.assessments.assurance.inputs import validate_assurance_map
from workbook_lib.assessments.assurance.scoring import analyse
from workbook_lib.core.params import ParameterError
from workbook_lib.core.tables import ROW, Table


# ---- required coverage and gaps --------------------------------------------------------------------
def test_required_coverage_follows_residual_level(fw, providers, western_cape):
    risks = _risks(("H", 16, "High", True), ("M", 9, "Medium", True), ("L", 1, "Low", True))
    result = _analyse(risks, [], fw, providers, western_cape, scope_min_residual=1)
    assert result.risks.set_index("risk_id")["required_coverage"].to_dict() == {
        "H": "extensive", "M": "moderate", "L": "moderate"}  # inadequate is never a target


def test_gap_edges_equal_is_no_gap_one_below_is(fw, providers, western_cape):
    risks = _risks(("EQ", 16, "High", True), ("BELOW", 16, "High", True), ("MED", 10, "Medium", True),
                   ("OUT", 16, "High", False))
    rows = [("EQ", "c", "management_controls", "M"), ("EQ", "c", "internal_audit", "A"),
            ("BELOW", "c", "management_controls", "M"), ("BELOW", "c", "risk_management", "M"),
            ("MED", "c", "management_controls", "M"), ("MED", "c", "risk_management", "")]
    r = _analyse(risks, rows, fw, providers, western_cape).risks.set_index("risk_id")
    assert (r.loc["EQ", "coverage"], r.loc["EQ", "gap"]) == ("extensive", False)
    assert (r.loc["BELOW", "coverage"], r.loc["BELOW", "gap"]) == ("moderate", True)
    assert r.loc["BELOW", "needed"] == "add an independent third-line provider, at least annually"
    assert (r.loc["MED", "coverage"], r.loc["MED", "gap"]) == ("inadequate", True)
    assert r.loc["MED", "needed"] == "add assurance from 1 more line"
    # out of scope (within appetite): coverage none is shown, but no requirement and no gap
    assert (r.loc["OUT", "in_scope"], r.loc["OUT", "coverage"], r.loc["OUT", "required_coverage"],
            r.loc["OUT", "gap"]) == (False, "none", None, False)


def test_required_by_appetite(fw, providers, western_cape):
    risks = _risks(("A", 3, "Low", True), ("W", 16, "High", False))
    rows = [("A", "c", "management_controls", "M"), ("A", "c", "compliance", "Q"),
            ("W", "c", "management_controls", "M")]
    r = _analyse(risks, rows, fw, providers, western_cape, required_by="appetite",
                 scope_min_residual=1).risks.set_index("risk_id")
    assert r.loc["A", "required_coverage"] == "extensive" and r.loc["A", "gap"]
    # within appetite (in scope by score): moderate, never inadequate, so the first line alone is a gap
    assert r.loc["W", "required_coverage"] == "moderate" and r.loc["W", "gap"]


def test_order_is_residual_descending_unrated_last(fw, providers, western_cape):
    risks = _risks(("U", None, None, None), ("L", 2, "Low", False), ("H1", 16, "High", True),
                   ("H2", 16, "High", True), ("M", 10, "Medium", True))
    result = _analyse(risks, [], fw, providers, western_cape)
    assert list(result.risks["risk_id"]) == ["H1", "H2", "M", "L", "U"]
    assert not result.risks.set_index("risk_id").loc["U", "in_scope"]
    assert any("not rated" in w and "U" in w for w in result.warnings)


# ---- scope -------------------------------------------------------------------------------------------
def test_scope_by_score_level_and_appetite_edges(fw, providers, western_cape):
    risks = _risks(("S9", 9, "Medium", False), ("S8", 8, "Low", True), ("S13", 13, "High", False))
    def scoped(value):
        result = _analyse(risks, [], fw, providers, western_cape, scope_min_residual=value)
        return sorted(result.in_scope["risk_id"])
    assert scoped(9) == ["S13", "S9"]  # a minimum: 9 is in, 8 is out
    assert scoped("9") == ["S13", "S9"]
    assert scoped(8) == ["S13", "S8", "S9"]
    assert scoped("medium") == ["S13", "S9"]  # the level and above (Medium starts at 9)
    assert scoped("High") == ["S13"]
    assert scoped("appetite") == ["S8"]
    assert scoped(None) == ["S8"]  # the framework default: above appetite
    with pytest.raises(ParameterError, match="level names Low, Medium, High"):
        scoped("Severe")
    with pytest.raises(ParameterError, match="1-25"):
        scoped(26)


def test_scope_above_appetite_without_any_appetite_takes_every_rated_risk(fw, providers, western_cape):
    risks = _risks(("A", 3, "Low", None), ("B", 16, "High", None), ("U", None, None, None))
    result = _analyse(risks, [], fw, providers, western_cape)
    assert sorted(result.in_scope["risk_id"]) == ["A", "B"]
    assert result.scope.kind == "all" and any("no risk appetite" in w for w in result.warnings)


# ---- duplication -------------------------------------------------------------------------------------
def _dup_rows(*entries):
    return [("R", "Bank reconciliation", p, f) for p, f in entries]


@pytest.mark.parametrize("entries, threshold, frequency, duplicated", [
    ((("management_controls", "M"), ("risk_management", "Q")), None, None, False),  # 2 = N: not more than N
    ((("management_controls", "M"), ("risk_management", "Q"), ("internal_audit", "Q")), None, None, True),
    ((("management_controls", "M"), ("risk_management", "Q"), ("internal_audit", "B")), None, None, False),
    ((("management_controls", "M"), ("risk_management", "Q"), ("internal_audit", "")), None, None, False),
    ((("management_controls", "M"), ("internal_audit", "A")), 1, None, False),  # A is below Q
    ((("management_controls", "M"), ("internal_audit", "A")), 1, "annually", True),
    ((("management_controls", "M"), ("risk_management", "Q"), ("internal_audit", "Q")), 3, None, False),
])
def test_duplication_threshold_edges(fw, providers, western_cape, entries, threshold, frequency, duplicated):
    result = _analyse(_risks(("R", 16, "High", True)), _dup_rows(*entries), fw, providers, western_cape,
                      duplication_threshold=threshold, duplication_frequency=frequency)
    assert len(result.duplications) == (1 if duplicated else 0)
    if duplicated:
        assert result.duplications.iloc[0]["control"] == "Bank reconciliation"


def test_duplication_is_per_control_not_per_risk(fw, providers, western_cape):
    rows = [("R", "one", "management_controls", "M"), ("R", "one", "risk_management", "M"),
            ("R", "two", "internal_audit", "Q"), ("R", "two", "external_audit", "Q")]
    result = _analyse(_risks(("R", 16, "High", True)), rows, fw, providers, western_cape)
    assert result.duplications.empty
    with pytest.raises(ParameterError, match="duplication_frequency"):
        _analyse(_risks(("R", 16, "High", True)), rows, fw, providers, western_cape, duplication_frequency="hourly")


# ---- workload --------------------------------------------------------------------------------------
def test_workload_counts_controls_risks_and_events(fw, providers, western_cape):
    rows = [("R1", "a", "internal_audit", "Q"), ("R1", "b", "internal_audit", "A"), ("R2", "a", "internal_audit", "B"),
            ("R2", "a", "management_controls", ""), ("X9", "a", "internal_audit", "M")]
    risks = _risks(("R1", 16, "High", True), ("R2", 3, "Low", False))
    w = _analyse(risks, rows, fw, providers, western_cape).workload.set_index("provider")
    assert w.loc["internal_audit", "controls_assured"] == 4  # a map row outside the register still counts
    assert w.loc["internal_audit", "risks_covered"] == 3
    assert w.loc["internal_audit", "in_scope_risks_covered"] == 1
    assert w.loc["internal_audit", "events_per_year"] == 4 + 1 + 2 + 12
    assert w.loc["management_controls", "controls_assured"] == 0  # blank frequency: listed, no activity


# ---- reconciliation ----------------------------------------------------------------------------------
def test_nothing_is_dropped_silently(fw, providers, western_cape):
    risks = _risks(("IN", 16, "High", True), ("GONE", 16, "High", True))
    rows = [("IN", "c", "management_controls", "M"), ("GHOST", "c", "internal_audit", "A")]
    result = _analyse(risks, rows, fw, providers, western_cape)
    assert list(result.not_in_register["risk_id"]) == ["GHOST"]
    assert list(result.not_mapped["risk_id"]) == ["GONE"]
    assert any("GHOST" in w for w in result.warnings) and any("GONE" in w for w in result.warnings)
    assert result.risks.set_index("risk_id").loc["GONE", "coverage"] == "none"


def test_no_map_at_all_is_a_warning(fw, providers, western_cape):
    result = analyse(_risks(("A", 16, "High", True)), None, fw, providers, bands=_bands(western_cape))
    assert result.risks.iloc[0]["coverage"] == "none" and result.risks.iloc[0]["gap"]
    assert any("No assurance map" in w for w in result.warnings)


# ---- maturity ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("status, canonical, warns", [
    (None, None, False), ("integrated", "integrated", False), ("Risk Intelligent", "risk intelligent", False),
    ("risk_intelligent", "risk intelligent", False), ("fragmented", "fragmented", True), ("Basic", "fragmented", True),
])
def test_maturity_status(fw, providers, western_cape, status, canonical, warns):
    result = _analyse(_risks(("A", 16, "High", True)), [], fw, providers, western_cape, maturity_status=status)
    assert result.maturity_status == canonical
    assert any("independent" in w and "Maturity status" in w for w in result.warnings) == warns


def test_unknown_maturity_status(fw, providers, western_cape):
    with pytest.raises(ParameterError, match="fragmented, integrated, risk intelligent"):
        _analyse(_risks(("A", 16, "High", True)), [], fw, providers, western_cape, maturity_status="advanced")


def test_a_frame_instead_of_an_evaluation(fw, providers):
    risks = _risks(("A", 16, "High", True), ("B", 4, "Low", False))
    result = analyse(risks, _map([("A", "c", "internal_audit", "A"), ("A", "c", "compliance", "M")], providers,
                                   fw), fw, providers)
    assert result.risks.set_index("risk_id").loc["A", "coverage"] == "extensive"
    assert result.risks.set_index("risk_id").loc["A", "required_coverage"] == "extensive"
    with pytest.raises(ParameterError, match="no banding known"):
        analyse(risks, None, fw, providers, scope_min_residual="High")


def test_a_large_register_and_map_stay_consistent(fw, providers, western_cape):
    import numpy as np

    rng = np.random.default_rng(7)
    n, m = 10_000, 30_000
    scores = rng.integers(1, 26, n)
    risks = pd.DataFrame({"risk_id": [f"R{i}" for i in range(n)], "residual_score": scores,
                          "residual_level": np.where(scores <= 8, "Low", np.where(scores <= 12, "Medium", "High")),
                          "above_appetite": scores > 8})
    frame = pd.DataFrame({"risk_id": [f"R{i}" for i in rng.integers(0, n + 50, m)],
                          "control": [f"c{i}" for i in rng.integers(0, 4, m)],
                          "provider": rng.choice([p.id for p in providers], m),
                          "frequency": rng.choice(["", "A", "Q", "M", "D"], m)}, dtype=object)
    frame = frame.drop_duplicates(["risk_id", "control", "provider"]).reset_index(drop=True)
    frame.insert(0, ROW, range(2, len(frame) + 2))
    amap = validate_assurance_map(Table("big.csv", frame, 1), providers, fw.framework.frequencies)
    result = analyse(risks, amap, fw, providers, bands=_bands(western_cape))
    assert len(result.risks) == n and result.in_scope["coverage"].notna().all()
    assert len(result.controls) == frame[["risk_id", "control"]].drop_duplicates().shape[0]
    assert len(result.not_in_register) == int((~frame["risk_id"].isin(risks["risk_id"])).sum())
    assert result.workload["events_per_year"].sum() == pytest.approx(
        frame["frequency"].map({"": 0, "A": 1, "Q": 4, "M": 12, "D": 250}).sum())
    assert (result.duplications["at_or_above_threshold"] > 2).all()
