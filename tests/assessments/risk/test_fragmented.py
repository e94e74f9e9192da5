"""The fragmented tier (the provincial guide's Table 21): a register rated High / Medium / Low with no likelihood or
impact, read and evaluated under the shipped western-cape-fragmented methodology, aggregated on the worst case per
category, and reported without any empty likelihood, impact or score."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from workbook_lib.assessments.risk import charts, report
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.assessments.risk.methodology import MethodologyError, load_methodology, shipped
from workbook_lib.assessments.risk.register import load_register
from workbook_lib.assessments.risk.run import run_risk_evaluation
from workbook_lib.assessments.risk.scoring import evaluate, worst_case_by_category
from workbook_lib.core import params as wb_params
from workbook_lib.core.errors import InputError

ROOT = Path(__file__).resolve().parents[3]
TABLE_21 = ROOT / "tests" / "data" / "registers" / "table21_fragmented.csv"
SHIPPED_PARAMS = ROOT / "parameters" / "rooiberg-vlei-fragmented.yaml"
AS_OF = dt.date(2017, 7, 1)
HEADINGS = ("Operational risk,Risk description,Risk category,Inherent risk rating,Control effectiveness,"
            "Residual risk\n")
LIKELIHOOD_OR_IMPACT = {"inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact",
                        "inherent_score", "residual_score", "control_factor"}


@pytest.fixture(scope="module")
def fragmented():
    return load_methodology("western-cape-fragmented")


@pytest.fixture(scope="module")
def table21(fragmented):
    register = load_register(TABLE_21, fragmented.methodology)
    return evaluate(register, fragmented, AS_OF, appetite="Medium")


def _evaluate(tmp_path, text, loaded, appetite=None):
    path = tmp_path / "register.csv"
    path.write_text(text, encoding="utf-8")
    return evaluate(load_register(path, loaded.methodology), loaded, AS_OF, appetite=appetite)


# ---- the methodology ------------------------------------------------------------------------------------------
def test_methodology_rates_directly_in_green_yellow_and_red(fragmented):
    m = fragmented.methodology
    assert m.direct and not m.likelihood and not m.impact
    assert [lv.label for lv in m.levels] == ["Low", "Medium", "High"]
    assert [(b.name, b.colour) for b in m.banding().bands] == [("Low", "#2e9e44"), ("Medium", "#f7d51d"),
                                                               ("High", "#d7191c")]
    assert [c.label for c in m.control_effectiveness] == ["Effective", "Partially effective", "Ineffective"]
    assert any("Multiply likelihood and impact" in n.topic or "multiply likelihood and impact" in n.topic
               for n in m.notes)
    assert any("table giving a residual level" in item for item in m.not_in_source)


def _direct_data() -> dict:
    return yaml.safe_load(shipped()["western-cape-fragmented"].read_text(encoding="utf-8"))


def test_a_direct_methodology_without_levels_or_with_a_product_is_refused(tmp_path):
    data = _direct_data()
    data["levels"] = []
    path = tmp_path / "no-levels.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(MethodologyError, match="levels"):
        load_methodology(path)
    data = _direct_data()
    data["likelihood"] = [{"value": 1, "label": "Rare"}]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(MethodologyError, match="no likelihood, impact or grid"):
        load_methodology(path)


def test_a_derived_table_that_raises_a_residual_above_its_inherent_level_is_refused(tmp_path):
    data = _direct_data()
    data["residual"]["derived"]["Low"]["Ineffective"] = "High"
    path = tmp_path / "raised.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(MethodologyError, match="no higher than 'Low'"):
        load_methodology(path)


# ---- Table 21 as published -------------------------------------------------------------------------------------
def test_table_21_register_is_read_in_the_guides_layout(table21):
    read = {r.heading: r.meaning for r in table21.readings}
    assert read["Inherent risk rating"] == "stated_inherent_level"
    assert read["Residual risk"] == "stated_residual_level"
    assert (read["Control processes"], read["Control effectiveness"]) == ("controls", "control_effectiveness")
    assert (read["Responsible official"], read["Action plan"]) == ("treatment_owner", "actions")
    assert read["Operational risk"] == "risk_id"


def test_table_21_register_evaluates_as_published(table21):
    risks = table21.risks.set_index("risk_id")
    got = {rid: (r.inherent_level, r.control_effectiveness, r.residual_level, r.residual_basis)
           for rid, r in risks[risks["rated"]].iterrows()}
    assert got == {"1": ("High", "Ineffective", "High", "stated"),
                   "2": ("Medium", "Partially effective", "Medium", "stated"),
                   "3": ("High", "Effective", "Low", "stated"),
                   "4": ("Medium", "Effective", "Low", "stated"),  # written M and L
                   "5": ("High", "Partially effective", "Medium", "stated")}  # written Red and Amber
    assert risks.at["6", "closed"] and not risks.at["6", "rated"] and pd.isna(risks.at["6", "residual_level"])
    assert risks.loc[["1"], "above_appetite"].tolist() == [True]  # High above a Medium appetite
    assert not risks.loc[["2", "3", "4", "5"], "above_appetite"].any()
    assert risks.at["1", "appetite_applied"] == "Medium (the default)"
    assert risks.at["1", "decision_maker"] == "Municipal Manager"
    assert risks.at["3", "decision_maker"] == "Risk owner (line manager)"
    assert risks.at["5", "arithmetic"] == "inherent High; residual Medium (as the register states it)"
    assert not [w for w in table21.warnings if "residual" in w]
    assert table21.disagreements.empty


def test_worst_case_per_category_as_counted_by_hand(table21):
    worst = worst_case_by_category(table21)
    rows = {r["category"]: (r["risks"], r["worst_residual_level"], r["High"], r["Medium"], r["Low"],
                            r["worst_risks"]) for r in worst.to_dict("records")}
    assert rows == {"Financial": (2, "High", 1, 1, 0, ["1"]),
                    "Compliance": (1, "Medium", 0, 1, 0, ["5"]),  # risk 6 is closed: not counted
                    "Operational": (2, "Low", 0, 0, 2, ["3", "4"])}
    assert worst["category"].tolist() == ["Financial", "Compliance", "Operational"]  # worst first


@pytest.mark.parametrize(("inherent", "residual", "expected"), [
    ("h", "l", ("High", "Low")), ("Red", "Green", ("High", "Low")), ("YELLOW", "green", ("Medium", "Low")),
    ("Amber", "Amber", ("Medium", "Medium")), ("3", "1", ("High", "Low"))])
def test_letters_colours_and_level_numbers_are_read(tmp_path, fragmented, inherent, residual, expected):
    ev = _evaluate(tmp_path, HEADINGS + f"R1,A risk,Financial,{inherent},Effective,{residual}\n", fragmented)
    r = ev.risks.iloc[0]
    assert (r["inherent_level"], r["residual_level"]) == expected


def test_a_word_that_is_no_level_is_refused_with_the_levels_named(tmp_path, fragmented):
    path = tmp_path / "register.csv"
    path.write_text(HEADINGS + "R1,A risk,Financial,Very bad,Effective,Low\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_register(path, fragmented.methodology)
    text = str(info.value)
    assert "'Very bad'" in text and "High, Medium or Low" in text and "Red" in text


def test_a_register_without_inherent_ratings_names_the_column_it_needs(tmp_path, fragmented):
    path = tmp_path / "register.csv"
    path.write_text("Operational risk,Risk description,Risk category\nR1,A risk,Financial\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_register(path, fragmented.methodology)
    text = str(info.value)
    assert "a column of inherent risk ratings" in text and "'Inherent risk rating'" in text
    assert "likelihood and impact" not in text


def test_a_missing_residual_comes_from_the_table_or_stays_at_the_worst_case(tmp_path, fragmented):
    text = (HEADINGS + "D,Derived,Financial,High,Effective,\nP,Partial,Financial,High,Partially effective,\n"
            "N,Nothing,Compliance,Medium,,\nS,Stated,Compliance,High,Effective,High\n")
    ev = _evaluate(tmp_path, text, fragmented)
    risks = ev.risks.set_index("risk_id")
    assert (risks.at["D", "residual_level"], risks.at["D", "residual_basis"]) == ("Medium", "derived")
    assert (risks.at["P", "residual_level"], risks.at["P", "residual_basis"]) == ("High", "derived")
    assert (risks.at["N", "residual_level"], risks.at["N", "residual_basis"]) == ("Medium", "none")
    assert (risks.at["S", "residual_level"], risks.at["S", "residual_basis"]) == ("High", "stated")  # never replaced
    assert risks.at["D", "arithmetic"] == ("inherent High; residual Medium (from the methodology's table: High with "
                                           "Effective controls)")
    derived = next(w for w in ev.warnings if "the methodology's table" in w)
    assert "2 rated risk(s) have no residual rating" in derived and "D, P" in derived and "not in the guide" in derived
    worst = next(w for w in ev.warnings if "worst case" in w)
    assert "1 rated risk(s) have neither" in worst and worst.endswith(": N.")


def test_likelihood_and_impact_columns_are_kept_as_written_not_refused(tmp_path, fragmented):
    text = ("Operational risk,Risk description,Likelihood,Impact,Inherent risk rating\nR1,A risk,5,4,High\n")
    ev = _evaluate(tmp_path, text, fragmented)
    read = {r.heading: (r.meaning, r.how) for r in ev.readings}
    assert read["Likelihood"][0] == "" and "without likelihood or impact" in read["Likelihood"][1]
    assert ev.risks.iloc[0]["inherent_level"] == "High"


# ---- the report ------------------------------------------------------------------------------------------------
def test_report_tables_show_levels_and_no_likelihood_impact_or_score(table21):
    for view in (report.register_view(table21), report.attention(table21), report.closed_view(table21),
                 report.groups_view(table21), report.result_tables(table21)["Risks"]):
        assert not LIKELIHOOD_OR_IMPACT & set(view.columns)
    closed = report.closed_view(table21)
    assert closed[["stated_inherent_level", "stated_residual_level"]].values.tolist() == [["High", "Low"]]
    assert report.score_column(table21) == "residual_level"
    ordered = report.register_view(table21).sort_values("residual_level", ascending=False, na_position="last")
    assert ordered["residual_level"].tolist()[:3] == ["High", "Medium", "Medium"]  # worst first, not alphabetical


def test_report_text_says_nothing_is_multiplied(table21):
    opening, method = str(report.opening_narrative(table21, "Org", "2017-18")), str(report.method_note(table21))
    assert "(High); its band" in opening and "score" not in opening.split("The highest")[1].split(";")[0]
    assert "Residual levels: 5 as the register states them." in opening
    assert "nothing is multiplied" in method and "likelihood x impact" not in method
    assert "| Band | Also written as |" in method and "| High | H, Red |" in method
    assert "no matrix" in str(report.matrix_note(table21))
    section = str(report.heading(table21, "by category"))
    assert section.startswith("## Worst case per category")
    assert "| Financial | 2 | High | 1 | 1 | 0 | 1 |" in section


def test_the_per_level_chart_replaces_the_matrix(table21):
    cells = charts.band_counts(table21)
    counts = {(r["stage"], r["band"]): r["count"] for r in cells.to_dict("records")}
    assert counts == {("Inherent", "High"): 3, ("Inherent", "Medium"): 2, ("Inherent", "Low"): 0,
                      ("Residual", "High"): 1, ("Residual", "Medium"): 2, ("Residual", "Low"): 2}
    assert cells.loc[cells["band"] == "High", "colour"].unique().tolist() == ["#d7191c"]
    chart = charts.heatmaps(table21).to_dict()
    text = str(chart)
    assert "Risks per level" in text and "Likelihood" not in text and "Impact" not in text
    assert "no value map" in str(charts.value_map(table21))


def test_json_and_excel_carry_the_worst_case_and_no_scores(table21):
    summary = report.risk_summary(table21, "Org", "2017-18")
    assert summary["rated_directly"] is True
    assert summary["worst_case_by_category"][0] == {
        "category": "Financial", "risks": 2, "worst_residual_level": "High",
        "levels": {"High": 1, "Medium": 1, "Low": 0}, "worst_risks": ["1"]}
    assert not {"inherent_score", "residual_score"} & set(summary["risks"][0])
    tables = report.result_tables(table21)
    worst = tables["Worst case per category"]
    assert worst.columns.tolist()[:3] == ["Category", "Rated risks", "Worst residual level"]


def test_likelihood_x_impact_reports_are_unchanged(tmp_path):
    loaded = load_methodology("western-cape-5x5")
    ev = _evaluate(tmp_path, "risk_id,description,inherent_likelihood,inherent_impact\nA,One,5,4\n", loaded)
    assert "inherent_score" in report.register_view(ev) and "Score = likelihood x impact" in str(
        report.method_note(ev))
    assert "rated_directly" not in report.risk_summary(ev, "Org", "2017-18")
    assert not str(report.heading(ev, "by category")).startswith("## Worst case")


# ---- the shipped example -----------------------------------------------------------------------------------------
def test_shipped_fragmented_example_runs_with_its_expected_key_figures():
    p = wb_params.load_file(SHIPPED_PARAMS, RiskEvaluationParams)
    ev = run_risk_evaluation(p)
    expected = (ROOT / "tests" / "expected" / "risk-evaluation--rooiberg-vlei-fragmented.txt").read_text("utf-8")
    assert report.key_figures(ev) == expected.strip()
    assert ev.tier.tier.label == "Fragmented"
    basis = ev.rated.set_index("risk_id")["residual_basis"]
    assert (basis["RV-05"], basis["RV-09"]) == ("derived", "none")


def test_movement_of_a_direct_register_speaks_of_levels_never_scores(tmp_path):
    """Risk 1 was Medium a year earlier and is High now, risk 3 was High and is Low: the movement section says
    "rose one level, from Medium to High", its table has no score columns and its chart's axis names the levels."""
    earlier = TABLE_21.read_text("utf-8").splitlines()
    earlier[1] = earlier[1].replace("Ineffective,High,", "Ineffective,Medium,")
    earlier[3] = earlier[3].replace("Effective,Low,", "Effective,High,")
    (tmp_path / "earlier.csv").write_text("\n".join(earlier) + "\n", encoding="utf-8")
    p = RiskEvaluationParams(organisation="Rooiberg Vlei", period="2017-18", as_of=AS_OF,
                             methodology="western-cape-fragmented", register=str(TABLE_21),
                             earlier=[{"period": "2016-17", "register": str(tmp_path / "earlier.csv")}])
    ev = run_risk_evaluation(p)
    text = str(report.movement_since(ev))
    assert "rose one level, from Medium to High" in text
    assert "fell two levels, from High to Low" in text
    assert "score" not in text.lower()
    view = report.movement_view(ev)
    assert {"score_before", "score_now", "by"}.isdisjoint(view.columns)
    spec = charts.movement_since(ev).to_dict()
    axis = spec["layer"][1]["encoding"]["x"]
    assert axis["title"] == "Residual level" and '"High"' in axis["axis"]["labelExpr"]
    assert "score" not in json.dumps(spec["title"]) and "levels" in json.dumps(spec["title"])
