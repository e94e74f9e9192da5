"""Issue 26, the integrated register's fields (the provincial guide's Tables 22 and 23): operational objective, root
causes, consequence, key performance indicator and ongoing monitoring read from the guide's own headings, kept in the
store, shown in the report, the JSON and the Excel workbook; risks aggregated per objective and per category (Table 20:
"aggregated for key performance objectives, business processes and/or risk universe categories")."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tests.conftest import ROOT, write_csv
from workbook_lib.assessments.risk import report
from workbook_lib.assessments.risk.aggregate import aggregate, aggregate_summary
from workbook_lib.assessments.risk.interpret import readings_frame
from workbook_lib.assessments.risk.records import RISK
from workbook_lib.assessments.risk.register import load_register, validate_register
from workbook_lib.assessments.risk.scoring import evaluate
from workbook_lib.core import outputs, records
from workbook_lib.core.errors import InputError
from workbook_lib.core.store import Author, Store

REGISTERS = ROOT / "tests" / "data" / "registers"
TABLE_22, TABLE_23 = REGISTERS / "table22_layout.csv", REGISTERS / "table23_layout.csv"
AS_OF = dt.date(2017, 6, 30)
INTEGRATED = {"Operational objective": "objective", "Root causes – internal": "root_causes_internal",
              "Root causes – external": "root_causes_external", "Consequence": "consequence"}


def _read_as(register) -> dict[str, str]:
    return {r.heading: r.meaning for r in register.readings}


# ---- reading the guide's layouts --------------------------------------------------------------------------------
def test_table_22_layout_recognises_every_field_and_says_what_each_heading_meant(western_cape):
    register = load_register(TABLE_22, western_cape.methodology)
    read = _read_as(register)
    assert "" not in read.values()  # no heading of Table 22 is left as written
    assert {h: read[h] for h in INTEGRATED} == INTEGRATED
    assert (read["Likelihood"], read["Impact"]) == ("inherent_likelihood", "inherent_impact")
    guide = register.frame.set_index("risk_id").loc["1"]
    assert guide["objective"] == "Financially sustainable municipality"
    assert guide["root_causes_internal"] == "Over-riding of financial controls; no second line of assurance"
    assert guide["root_causes_external"] == "Political interference"
    assert guide["consequence"] == "Cash flow pressure; inability to borrow"
    assert (guide["inherent_likelihood"], guide["inherent_impact"]) == (5, 4)
    # the reading notes say what each heading was read as, in words
    shown = readings_frame(register.readings).set_index("Your heading")
    assert shown.at["Root causes – internal", "Read as"] == "internal root causes"
    assert shown.at["Consequence", "Read as"] == "consequence"
    assert "read as the consequence" in shown.at["Consequence", "How"]


def test_table_23_layout_adds_the_key_performance_indicator_and_ongoing_monitoring(western_cape):
    register = load_register(TABLE_23, western_cape.methodology)
    read = _read_as(register)
    assert read["Key performance indicator"] == "kpi"
    assert read["Ongoing monitoring by risk management"] == "monitoring"
    assert read["Control processes implemented by management"] == "controls"
    assert read["Calculating the risk exposure"] == ""  # kept as written, carried into the Excel workbook
    risk = register.frame.set_index("risk_id").loc["2"]
    assert risk["kpi"] == "Debtors collection rate"
    assert risk["monitoring"] == "Collection rate reported every month to the Chief Financial Officer"
    ev = evaluate(register, western_cape, AS_OF)
    assert ev.risks["residual_score"].tolist() == [9, 10, 8, 7] and ev.disagreements.empty  # 16 x 60% = 9.6 -> 10


def test_a_single_root_causes_column_and_headings_in_other_languages(tmp_path, western_cape):
    text = ("Risk ID,Risk,Obiettivo,Causes,Likelihood,Impact,KPI,Suivi\n"
            "R1,Payroll late,Staff paid on time,System fault,3,4,Payroll runs on time,Checked each pay day\n")
    register = load_register(write_csv(tmp_path / "r.csv", text), western_cape.methodology)
    assert {h: m for h, m in _read_as(register).items() if h in ("Obiettivo", "Causes", "KPI", "Suivi")} == {
        "Obiettivo": "objective", "Causes": "root_causes", "KPI": "kpi", "Suivi": "monitoring"}
    assert register.frame.loc[0, "root_causes"] == "System fault"


# ---- Consequence: the values decide ------------------------------------------------------------------------------
def test_a_text_consequence_column_is_the_consequence_and_impact_stays_the_rating(tmp_path, western_cape):
    # short words too: no scale reads them and none is a number
    text = "Risk ID,Risk,Consequence,Likelihood,Impact\nR1,Fire,Injuries,2,5\nR2,Flood,Lost records,3,3\n"
    register = load_register(write_csv(tmp_path / "r.csv", text), western_cape.methodology)
    assert (_read_as(register)["Consequence"], _read_as(register)["Impact"]) == ("consequence", "inherent_impact")
    assert register.frame["consequence"].tolist() == ["Injuries", "Lost records"]
    assert register.frame["inherent_impact"].tolist() == [5, 3]


def test_a_numeric_consequence_column_without_an_impact_column_is_the_impact(tmp_path, western_cape):
    text = "Risk ID,Risk,Likelihood,Consequence\nR1,Fire,2,5\nR2,Flood,3,3\n"
    register = load_register(write_csv(tmp_path / "r.csv", text), western_cape.methodology)
    assert _read_as(register)["Consequence"] == "inherent_impact"
    assert evaluate(register, western_cape, AS_OF).risks["inherent_score"].tolist() == [10, 9]


def test_text_consequences_without_an_impact_rating_are_refused_not_read_as_impact(tmp_path, western_cape):
    text = "Risk ID,Risk,Likelihood,Consequences\nR1,Fire,2,Injuries and a closed building\n"
    with pytest.raises(InputError) as err:
        load_register(write_csv(tmp_path / "r.csv", text), western_cape.methodology)
    [problem] = err.value.problems
    assert problem.column == "Consequences" and "holds text (kept as written)" in problem.expected


def test_a_consequence_column_with_a_numeric_typo_is_still_the_impact(tmp_path, western_cape):
    text = "Risk ID,Risk,Likelihood,Consequence\nR1,Fire,2,5\nR2,Flood,3,7\n"  # 7 is off the 1-5 scale
    with pytest.raises(InputError) as err:
        load_register(write_csv(tmp_path / "r.csv", text), western_cape.methodology)
    assert [(p.row, p.value) for p in err.value.problems] == [(3, "7")]
    assert "impact rating" in err.value.problems[0].expected


# ---- aggregation per objective and per category ------------------------------------------------------------------
SMALL = ("risk_id,description,objective,category,inherent_likelihood,inherent_impact,residual_likelihood,"
         "residual_impact,status\n"
         "A1,Late statements,Clean audit,Compliance,4,4,3,4,open\n"          # residual 12 Medium
         "A2,Old audit finding,Clean audit,Compliance,5,5,4,5,closed\n"      # closed: listed, not rated
         "A3,Petty cash losses,Clean audit,Financial,2,3,2,2,open\n"         # 4 Low
         "B1,Pump failures,Basic services,Operational,5,4,4,4,open\n"        # 16 High
         "B2,Grant for new pumps,Basic services,Operational,5,5,5,5,opportunity\n"  # 25: an upside, never the worst
         "B3,Depot fire,Basic services,Operational,,,,,open\n"               # not rated
         "C1,Fuel price rise,,Financial,3,3,3,3,open\n")                     # 9 Medium, no objective


def _small(tmp_path, western_cape, appetite="Low"):
    register = load_register(write_csv(tmp_path / "small.csv", SMALL), western_cape.methodology)
    return evaluate(register, western_cape, AS_OF, appetite=appetite)


def test_risks_are_counted_per_objective_and_category_as_worked_by_hand(tmp_path, western_cape):
    ev = _small(tmp_path, western_cape)  # appetite Low: up to 8, so 12, 16 and 9 are above it
    by_objective = aggregate(ev, "objective").to_dict("records")
    assert by_objective == [
        {"objective": "Basic services", "risks": 3, "rated": 2, "worst_residual_score": 16,
         "worst_residual_level": "High", "above_appetite": 1},
        {"objective": "Clean audit", "risks": 3, "rated": 2, "worst_residual_score": 12,
         "worst_residual_level": "Medium", "above_appetite": 1},
        {"objective": "(no objective given)", "risks": 1, "rated": 1, "worst_residual_score": 9,
         "worst_residual_level": "Medium", "above_appetite": 1}]
    by_category = {r["category"]: r for r in aggregate(ev, "category").to_dict("records")}
    assert list(by_category) == ["Operational", "Compliance", "Financial"]  # the worst first
    assert [(r["risks"], r["rated"], r["worst_residual_score"], r["worst_residual_level"], r["above_appetite"])
            for r in by_category.values()] == [(3, 2, 16, "High", 1), (2, 1, 12, "Medium", 1),
                                               (2, 2, 9, "Medium", 1)]


def test_without_an_appetite_none_is_counted_above_it(tmp_path, western_cape):
    ev = _small(tmp_path, western_cape, appetite=None)
    summary = aggregate_summary(ev)
    assert {r["above_appetite"] for r in summary["by_objective"] + summary["by_category"]} == {None}
    assert all(report.aggregate_view(ev, by).columns[-1] == "worst_residual_level" for by in ("objective", "category"))


def test_json_and_excel_carry_the_aggregation_and_the_fields(tmp_path, western_cape):
    ev = evaluate(load_register(TABLE_23, western_cape.methodology), western_cape, AS_OF, appetite="Low")
    summary = report.risk_summary(ev, "Guide Municipality", "2016-17")
    assert summary["by_objective"][0] == {"objective": "Financially sustainable municipality", "risks": 2,
                                          "rated": 2, "worst_residual_score": 10, "worst_residual_level": "Medium",
                                          "above_appetite": 2}  # zero tolerance (9 > 0) and 10 > 8
    assert [r["category"] for r in summary["by_category"]] == ["Financial", "Operational", "Compliance"]
    guide = summary["risks"][0]
    assert (guide["objective"], guide["kpi"]) == ("Financially sustainable municipality",
                                                  "Irregular expenditure as a share of the operating budget")
    assert "root_causes" not in guide  # the register has no single root-causes column: not listed
    path = outputs.write_excel(report.result_tables(ev), tmp_path / "r.xlsx")
    sheets = pd.read_excel(path, sheet_name=None, engine="calamine")
    risks = sheets["Risks"]
    for heading in ("Objective", "Root causes (internal)", "Root causes (external)", "Consequence",
                    "Key performance indicator", "Ongoing monitoring"):
        assert heading in risks.columns
    assert "Calculating the risk exposure" in risks.columns and "Root causes" not in risks.columns
    grouped = sheets["By objective and category"]
    assert grouped["Grouped by"].tolist() == ["Objective"] * 3 + ["Category"] * 3
    assert grouped["Worst residual score"].tolist() == [10, 8, 7, 10, 8, 7]
    about = sheets["About"].set_index(sheets["About"].columns[0])
    assert "By objective and category" in about.index


def test_a_register_without_the_fields_adds_none_of_them(tmp_path, western_cape):
    text = "risk_id,description,category,inherent_likelihood,inherent_impact\nR1,Roof,Estates,3,4\n"
    ev = evaluate(load_register(write_csv(tmp_path / "r.csv", text), western_cape.methodology), western_cape, AS_OF)
    summary = report.risk_summary(ev, "O", "P")
    assert summary["by_objective"] is None and summary["by_category"][0]["category"] == "Estates"
    assert set(summary["risks"][0]) == set(report.RISK_KEYS)
    assert "objective" not in report.result_tables(ev)["Risks"].columns
    assert report.integrated_view(ev) is None and report.integrated_heading(ev) is None
    assert report.aggregate_view(ev, "objective") is None
    assert "the register gives no operational objectives" in str(report.by_objective_and_category(ev))


# ---- the store keeps them ----------------------------------------------------------------------------------------
def test_the_store_keeps_the_fields_and_an_export_reads_back_the_same(tmp_path, western_cape):
    _loaded, context = RISK.context("western-cape-5x5", None)
    rows = RISK.canonical(RISK.read(TABLE_23, None, context), context)
    with Store(str(tmp_path / "store.db")) as store:
        store.save("Guide Municipality", "2016-17", "risk", rows, Author("Clerk"), source="import")
        table = records.table_from_store(store, "Guide Municipality", "2016-17", RISK)
        export = records.export_frame(store, "Guide Municipality", "2016-17", RISK)
    fields = ["objective", "root_causes_internal", "root_causes_external", "consequence", "kpi", "monitoring"]
    original = load_register(TABLE_23, western_cape.methodology).frame.set_index("risk_id")[fields]
    stored = validate_register(table, western_cape.methodology).frame.set_index("risk_id")[fields]
    pd.testing.assert_frame_equal(stored, original)
    # an export keeps the column names; read again as a file, "consequence" holds text beside the impact ratings
    export.to_csv(tmp_path / "export.csv", index=False)
    again = load_register(tmp_path / "export.csv", western_cape.methodology)
    assert _read_as(again)["consequence"] == "consequence"
    pd.testing.assert_frame_equal(again.frame.set_index("risk_id")[fields], original)


# ---- the report ---------------------------------------------------------------------------------------------------
def test_the_report_shows_the_fields_and_the_aggregation_with_headings_in_words(western_cape):
    ev = evaluate(load_register(TABLE_23, western_cape.methodology), western_cape, AS_OF, appetite="Low")
    assert str(report.integrated_heading(ev)).startswith("## Risk detail")
    detail = outputs.html_table(report.integrated_view(ev)).data
    for heading in ("Objective", "Root causes (internal)", "Root causes (external)", "Consequence",
                    "Key performance indicator", "Ongoing monitoring"):
        assert f"<th>{heading}</th>" in detail
    assert "Debtors collection rate" in detail and "root_causes" not in detail and "kpi" not in detail
    section = str(report.by_objective_and_category(ev))
    assert section.startswith("## Risks by objective and category") and "above appetite" in section
    objectives, categories = (outputs.html_table(report.aggregate_view(ev, by)).data
                              for by in ("objective", "category"))
    assert "<th>Worst residual level</th>" in objectives and "<th>Above appetite</th>" in objectives
    assert "Financially sustainable municipality" in objectives and "<th>Category</th>" in categories
    assert "worst_residual" not in objectives + categories
