"""Issue 25, point 5 and point 4's label: coverage per key control (the weakest decides), key controls without a
provider, the register's controls reconciled with the map both ways, Template 2's wide layout, and inadequate
cover never a target."""

from __future__ import annotations

import pandas as pd

from tests.assessments.assurance.kit import _analyse, _bands, _map, _risks
from tests.conftest import write_csv
from workbook_lib.assessments.assurance.inputs import load_assurance_map
from workbook_lib.assessments.assurance.report import key_controls_view, method_note, register_controls_view
from workbook_lib.assessments.assurance.scoring import analyse


def test_a_risk_takes_its_weakest_key_controls_coverage(fw, providers, western_cape):
    rows = [("R", "Bank reconciliation", "internal_controls", "M"), ("R", "Bank reconciliation", "internal_audit", "A"),
            ("R", "Cash-flow forecast", "management_controls", "W")]
    r = _analyse(_risks(("R", 16, "High", True)), rows, fw, providers, western_cape)
    risk = r.risks.set_index("risk_id").loc["R"]
    keys = r.key_controls.set_index("control")["coverage"].to_dict()
    assert keys == {"Bank reconciliation": "extensive", "Cash-flow forecast": "inadequate"}
    # lines 1 and 3 over the risk as a whole would be extensive; the unassured forecast decides
    assert (risk["coverage"], risk["weakest_control"], risk["gap"]) == ("inadequate", "Cash-flow forecast", True)
    assert risk["needed"] == "Cash-flow forecast: add an independent third-line provider, at least annually"
    assert risk["controls"] == 2


def test_a_row_without_a_control_assures_every_key_control_of_its_risk(fw, providers, western_cape):
    rows = [("R", "Bank reconciliation", "internal_controls", "M"), ("R", "Cash-flow forecast", "risk_management", "M"),
            ("R", "", "internal_audit", "A")]
    r = _analyse(_risks(("R", 16, "High", True)), rows, fw, providers, western_cape)
    assert set(r.key_controls["coverage"]) == {"extensive"}
    assert r.risks.iloc[0]["coverage"] == "extensive" and len(r.key_controls) == 2


def test_a_key_control_without_a_provider_is_recorded_and_leaves_the_risk_without_cover(fw, providers,
                                                                                          western_cape, tmp_path):
    path = write_csv(tmp_path / "map.csv", (
        "Risk ID,Key control,Assurance provider,Frequency\n"
        "R,Bank reconciliation,internal_controls,M\n"
        "R,Bank reconciliation,Internal audit,A\n"
        "R,Segregation of duties,,\n"))
    amap = load_assurance_map(path, providers, fw.framework.frequencies)
    assert amap.frame.loc[2, ["provider", "line", "per_year"]].tolist() == ["", 0, 0.0]
    r = analyse(_risks(("R", 16, "High", True)), amap, fw, providers, bands=_bands(western_cape))
    keys = r.key_controls.set_index("control")
    assert keys.loc["Segregation of duties", ["providers", "coverage"]].tolist() == [[], "none"]
    assert r.risks.iloc[0]["coverage"] == "none" and r.risks.iloc[0]["gap"]
    assert any("have no provider assuring them: R / Segregation of duties" in w for w in r.warnings)
    assert not any("without a frequency" in w for w in r.warnings)  # no provider is not a provider without activity
    assert r.workload["controls_assured"].sum() == 2
    assert key_controls_view(r).set_index("control").loc["Segregation of duties", "providers"] == "(none)"


def test_the_registers_controls_are_reconciled_with_the_map_both_ways(fw, providers, western_cape):
    risks = _risks(("R", 16, "High", True), ("OUT", 2, "Low", False)).assign(controls=[
        "Bank reconciliation;  segregation of duties\nMonthly review", "None"])
    rows = [("R", "bank  RECONCILIATION", "internal_audit", "A"), ("R", "Cash-flow forecast", "risk_management", "M")]
    r = _analyse(risks, rows, fw, providers, western_cape)
    rc = r.register_controls.set_index("control")
    assert rc.loc["Bank reconciliation", ["in_register", "in_map"]].tolist() == [True, True]  # case and spacing
    assert rc.loc["segregation of duties", "finding"] == "in the register, not in the map (no assurance)"
    assert rc.loc["Monthly review", "finding"] == "in the register, not in the map (no assurance)"
    assert rc.loc["Cash-flow forecast", "finding"] == "in the map, not named in the register"
    assert "None" not in rc.index  # "none" in a register means no control
    assert any(w.startswith("2 control(s) the register lists") and "R / Monthly review" in w for w in r.warnings)
    assert any(w.startswith("1 key control(s) in the map") and "Cash-flow forecast" in w for w in r.warnings)
    assert len(register_controls_view(r)) == 3  # only what one side names, risks in scope
    # a register control missing from the map does not lower the coverage judged on the key controls
    assert r.key_controls.set_index("control").loc["bank  RECONCILIATION", "coverage"] == "inadequate"


def test_template_2_wide_layout_is_read_one_column_per_provider(fw, providers, western_cape, tmp_path):
    path = write_csv(tmp_path / "template2.csv", (
        "#,Key risk,Key control,Management processes and controls,Internal controls implemented,Risk management,"
        "Performance management,Compliance,Internal audit,External audit,Other\n"
        "1,KV-005,Liquidity,W,,M,,,,,\n"
        "2,KV-005,Cash management,,D,,,,Q,A,\n"
        "3,KV-016,Grants,,,,,,,,\n"))
    amap = load_assurance_map(path, providers, fw.framework.frequencies)
    got = amap.frame[["row", "risk_id", "control", "provider", "frequency"]].values.tolist()
    assert got == [[2, "KV-005", "Liquidity", "management_controls", "W"],
                   [2, "KV-005", "Liquidity", "risk_management", "M"],
                   [3, "KV-005", "Cash management", "internal_controls", "D"],
                   [3, "KV-005", "Cash management", "internal_audit", "Q"],
                   [3, "KV-005", "Cash management", "external_audit", "A"],
                   [4, "KV-016", "Grants", "", ""]]  # every provider cell blank: a key control without one
    risks = _risks(("KV-005", 16, "High", True), ("KV-016", 8, "Low", True))
    r = analyse(risks, amap, fw, providers, bands=_bands(western_cape)).risks.set_index("risk_id")
    assert r["coverage"].to_dict() == {"KV-005": "moderate", "KV-016": "none"}


def test_template_2_layout_problems_keep_their_rows(fw, providers, tmp_path):
    import pytest

    from workbook_lib.core.errors import InputError
    path = write_csv(tmp_path / "t.csv", "Risk ID,Control,Internal audit,Compliance\nR1,c,fortnightly,M\n")
    with pytest.raises(InputError) as err:
        load_assurance_map(path, providers, fw.framework.frequencies)
    assert [(p.row, p.value) for p in err.value.problems] == [(2, "fortnightly")]


def test_inadequate_is_never_a_target_an_above_appetite_risk_with_inadequate_cover_is_a_gap(fw, providers,
                                                                                         western_cape):
    assert fw.framework.targets() == ["extensive", "moderate"]
    risks = _risks(("LOW_ABOVE", 8, "Low", True), ("MED", 10, "Medium", True))
    rows = [("LOW_ABOVE", "c", "internal_audit", "Q"), ("MED", "c", "management_controls", "M")]
    for required_by in ("residual_level", "appetite"):
        r = _analyse(risks, rows, fw, providers, western_cape, required_by=required_by).risks.set_index("risk_id")
        assert set(r["coverage"]) == {"inadequate"}
        assert r["gap"].all(), required_by
        assert "inadequate" not in set(r["required_coverage"])
        assert all(n.startswith("add ") for n in r["needed"])  # never "add ... to reach inadequate"


def test_a_framework_asking_for_inadequate_cover_is_refused(fw, tmp_path):
    import pytest

    from tests.assessments.assurance.kit import _with
    from workbook_lib.assessments.assurance.model import FrameworkError, load_assurance_framework

    def ask_inadequate(d):
        d["required"]["residual_level"]["Low"] = "inadequate"
    with pytest.raises(FrameworkError, match="never a target"):
        load_assurance_framework(_with(fw, tmp_path, ask_inadequate))


def test_a_level_scope_names_the_above_appetite_risks_left_out_of_the_plan(fw, providers, western_cape):
    risks = _risks(("H", 16, "High", True), ("L", 8, "Low", True))
    r = _analyse(risks, [], fw, providers, western_cape, scope_min_residual="High")
    assert list(r.in_scope["risk_id"]) == ["H"]
    assert any("above the risk appetite" in w and "leaves 1 of them out: L" in w for w in r.warnings)


def test_the_method_note_shows_what_is_not_in_the_guide_and_no_register_destination(karoo):
    text = str(method_note(karoo))
    assert "**Not in the guide; set by this suite:**" in text
    assert "weakest key control" in text and "Never required of a risk" in text
    assert "Inadequate is never a target" in text and "Quarterly delivery against the plan" in text
    notes = " ".join(n.decision for n in karoo.framework.framework.notes)
    assert "strategic register" not in notes and "sends High" not in notes  # no register destination from the guide


def test_key_controls_scale_to_a_large_map(fw, providers, western_cape):
    import numpy as np

    rng = np.random.default_rng(3)
    n = 3000
    risks = _risks(*[(f"R{i}", 16, "High", True) for i in range(n)])
    rows = list(dict.fromkeys((f"R{i}", f"c{rng.integers(0, 3)}", providers[rng.integers(0, 8)].id, "M")
                              for i in rng.integers(0, n, 9000)))
    unique = {(r, c, p): (r, c, p, f) for r, c, p, f in rows}
    r = analyse(risks, _map(list(unique.values()), providers, fw), fw, providers, bands=_bands(western_cape))
    assert len(r.key_controls) == len({(a, b) for a, b, _p in unique})
    rank = {"none": 0, "inadequate": 1, "moderate": 2, "extensive": 3}
    weakest = r.key_controls.assign(k=r.key_controls["coverage"].map(rank)).groupby("risk_id")["k"].min()
    got = r.risks.set_index("risk_id")["coverage"].map(rank)
    assert (got[weakest.index] == weakest).all() and isinstance(got, pd.Series)
