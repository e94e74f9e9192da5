"""The shipped Karoo Vale example: key figures, figures recomputed from the map, the JSON contract, the plan
table and text neutralised for Excel."""

from __future__ import annotations

import csv
import json

import openpyxl

from tests.assessments.assurance.kit import EXPECTED, MAP_CSV, _analyse, _risks
from workbook_lib.assessments.assurance.report import key_figures, plan_table
from workbook_lib.assessments.assurance.spec import SPEC


# ---- the shipped example --------------------------------------------------------------------------------
def test_karoo_key_figures_match_the_expected_line(karoo):
    assert key_figures(karoo) == EXPECTED.read_text(encoding="utf-8").strip()


def test_karoo_figures_recomputed_independently_from_the_map(karoo):
    with MAP_CSV.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    per_year = {"A": 1, "B": 2, "Q": 4, "M": 12, "W": 52, "D": 250, "C": 365, "": 0}
    assert len(rows) == len(karoo.map.frame) == 47
    assert sum(per_year[r["frequency"]] for r in rows) == karoo.workload["events_per_year"].sum() == 1338
    assert sum(1 for r in rows if r["frequency"] == "" and r["provider"]) == 1
    assert [r["control"] for r in rows if not r["provider"]] == ["Water restriction by-law"]
    # the guide's Template 2 rows, mapped to Karoo Vale risks
    template = {r["control"].split(":")[0]: r["risk_id"] for r in rows if r["notes"].startswith("Template 2")}
    assert template == {"Liquidity": "KV-005", "Cash management": "KV-005", "Revenue management": "KV-006",
                        "Electronic payments": "KV-021", "Budget and equitable share": "KV-016",
                        "Monthly grant expenditure reports": "KV-016"}
    # coverage by hand: per key control (lines, independent third line present), the weakest for the risk
    line = {"management_controls": 1, "internal_controls": 1, "risk_management": 2, "performance_management": 2,
            "compliance": 2, "occupational_health_safety": 2, "internal_audit": 3, "external_audit": 3, "other": 3}
    order = ["none", "inadequate", "moderate", "extensive"]
    risks = {r["risk_id"]: r for r in karoo.risks.to_dict("records")}
    for rid, risk in risks.items():
        per_control = []
        for control in dict.fromkeys(r["control"] for r in rows if r["risk_id"] == rid):
            lines = {line[r["provider"]] for r in rows if r["risk_id"] == rid and r["control"] == control
                     and r["frequency"]}
            per_control.append("extensive" if 3 in lines and len(lines) >= 2 else
                               {0: "none", 1: "inadequate"}.get(len(lines), "moderate"))
        assert risk["coverage"] == min(per_control, key=order.index, default="none"), rid
        assert risk["controls"] == len(per_control)
    in_scope = sorted(rid for rid, r in risks.items() if r["in_scope"])
    above = sorted(rid for rid, r in risks.items() if r["above_appetite"] is True)
    assert in_scope == above and len(in_scope) == 15
    assert list(karoo.gaps["risk_id"]) == ["KV-002", "KV-005", "KV-014", "KV-018", "KV-020", "KV-019", "KV-013"]
    assert karoo.duplications[["risk_id", "control"]].values.tolist() == [["KV-005", "Monthly debtor age analysis"]]
    assert list(karoo.not_mapped["risk_id"]) == ["KV-018", "KV-020", "KV-013"] and karoo.not_in_register.empty


def test_karoo_json_contract(karoo, tmp_path):
    paths = SPEC.write_outputs(karoo, "Karoo Vale Local Municipality", "2025-26", tmp_path)
    assert [p.name for p in paths] == ["combined-assurance.json", "combined-assurance.xlsx"]
    summary = json.loads(paths[0].read_text(encoding="utf-8"))
    assert set(summary) == {"assessment", "organisation", "period", "risks", "key_controls", "register_controls",
                            "duplications", "providers", "delivery", "warnings"}
    assert summary["assessment"] == "combined-assurance"
    keys = {"risk_id", "residual_score", "residual_level", "above_appetite", "in_scope", "lines", "providers",
            "coverage", "required_coverage", "gap"}
    assert all(set(r) == keys for r in summary["risks"]) and len(summary["risks"]) == 21
    scores = [r["residual_score"] for r in summary["risks"]]
    assert scores == sorted(scores, reverse=True)
    kv002 = summary["risks"][0]
    assert kv002 == {"risk_id": "KV-002", "residual_score": 18, "residual_level": "High", "above_appetite": True,
                     "in_scope": True, "lines": [1, 2], "providers": ["management_controls", "risk_management"],
                     "coverage": "none", "required_coverage": "extensive", "gap": True}  # its by-law: no provider
    assert {"risk_id": "KV-002", "control": "Water restriction by-law", "in_scope": True, "providers": [],
            "coverage": "none", "below_required": True} in summary["key_controls"]
    assert summary["delivery"]["quarters"] == {"Q1": {"planned": 1, "delivered": 29, "not delivered": 2,
                                                      "no report": 1}}
    out = next(r for r in summary["risks"] if not r["in_scope"])
    assert out["required_coverage"] is None and out["gap"] is False
    assert all(set(p) == {"provider", "line", "controls_assured"} for p in summary["providers"])
    assert summary["duplications"] == [{"risk_id": "KV-005", "control": "Monthly debtor age analysis",
                                        "providers": ["management_controls", "risk_management",
                                                                   "internal_audit"],
                                        "frequencies": ["M", "M", "Q"], "in_scope": True}]
    book = openpyxl.load_workbook(paths[1], read_only=True)
    assert {"Coverage by risk", "Gaps", "Duplications", "Provider workload", "Assurance map", "Assurance plan",
            "Plan text", "Key controls", "Register controls", "Delivery", "Left without assurance",
            "Corrective actions", "Method"} <= set(book.sheetnames)
    plan = [row for row in book["Plan text"].iter_rows(values_only=True)]
    assert [r[0] for r in plan[1:5]] == ["Introduction", "Objectives", "Approach", "Roles and responsibilities"]
    assert "Chief Risk Officer (combined assurance champion)" in plan[4][1]
    assert "Audit and Performance Audit Committee" in plan[4][1]


def test_plan_table_lists_every_risk_in_scope_and_proposes_for_gaps(karoo):
    table = plan_table(karoo)
    assert list(dict.fromkeys(table["risk_id"])) == list(karoo.in_scope["risk_id"])
    gaps = table[table["status"].str.startswith("gap")]
    assert sorted(gaps["risk_id"]) == ["KV-002", "KV-005", "KV-013", "KV-014", "KV-018", "KV-019", "KV-020"]
    bylaw = table[(table["risk_id"] == "KV-002") & (table["control"] == "Water restriction by-law")]
    assert bylaw[["provider", "status"]].values.tolist() == [["(none)", "key control without a provider"]]
    assert (table.loc[table["risk_id"] == "KV-013", "control"] == "(to be agreed)").all()


def test_text_that_looks_like_a_formula_is_neutralised(fw, providers, western_cape, tmp_path):
    result = _analyse(_risks(("R", 16, "High", True)), [("R", "=HYPERLINK(\"x\")", "internal_audit", "A")], fw,
                      providers, western_cape)
    path = SPEC.write_outputs(result, "Org", "P", tmp_path)[1]
    cells = [c for row in openpyxl.load_workbook(path)["Assurance map"].iter_rows(values_only=True) for c in row]
    assert "'=HYPERLINK(\"x\")" in cells and "=HYPERLINK(\"x\")" not in cells
