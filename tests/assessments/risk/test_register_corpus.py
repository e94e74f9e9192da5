"""The messy-register corpus (tests/data/registers, see its README.md): how each file is read.

Every expected value below is worked out by hand from the README and the 5 x 5 method (western-cape-5x5):
likelihood percentages go through the probability ranges Rare 0-1%, Unlikely 1-10%, Moderate 10-50%,
Likely 50-100%, Almost certain exactly 100% (a level covers min < p <= max; 0% is Rare); X-marks
VL..VH = 1..5; score = L x I; bands Low 1-8, Medium 9-12, High 13-25.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.conftest import ROOT
from workbook_lib.assessments.risk.interpret import ReadOptions, readings_frame
from workbook_lib.assessments.risk.methodology import ImpactMoney, load_methodology
from workbook_lib.assessments.risk.register import Register, column_spec, load_register
from workbook_lib.assessments.risk.report import key_figures, risk_summary
from workbook_lib.assessments.risk.scoring import RiskEvaluation, evaluate
from workbook_lib.cli import app
from workbook_lib.core.errors import InputError

CORPUS = ROOT / "tests" / "data" / "registers"
LOADED = load_methodology("western-cape-5x5")
WCAPE = LOADED.methodology
AS_OF = dt.date(2025, 6, 30)
HML = {"H": 4, "M": 3, "L": 2}  # the ratings: entry the refusal of hml_labels.csv proposes
MONEY = ImpactMoney(upper_bounds=[10000, 100000, 500000, 1000000])
SCORES = ["risk_id", "inherent_score", "residual_score", "inherent_level", "residual_level"]
PROPERTY = settings(max_examples=40, deadline=None, database=None)
# loaded under western-cape-5x5 with no options / refused
LOADS = ["closed_and_opportunities.csv", "italian.csv", "own_score_disagrees.csv", "partial_headings.csv",
         "pmbok_responses.csv", "prose_impact.csv", "totals_and_footer.csv", "underscore_headings.csv", "xmarks.csv",
         "two_header_rows.xlsx", "totals_row.xlsx", "xmarks.xlsx"]
REFUSED = ["hml_labels.csv", "money_impact.csv", "prose_only.csv", "xmarks_double.csv"]


# ---- helpers -----------------------------------------------------------------------------------------




def path_of(name: str, workbooks: dict[str, Path] | None = None) -> Path:
    return workbooks[name] if name.endswith(".xlsx") else CORPUS / name


def load(path: Path, **options) -> Register:
    return load_register(path, WCAPE, options=ReadOptions(**options))


def refusal(path: Path, **options) -> InputError:
    with pytest.raises(InputError) as info:
        load(path, **options)
    return info.value


def meanings(readings: list) -> dict[str, str]:
    """The user's heading -> the canonical column it was read as ("" when kept as written or ignored)."""
    return {r.heading: r.meaning for r in readings}


def levels(reg: Register, *ids: str, stage: str = "inherent") -> dict[str, tuple[int, int]]:
    """(likelihood, impact) level numbers per risk ID."""
    frame = reg.frame.set_index("risk_id")
    return {i: (int(frame.at[i, f"{stage}_likelihood"]), int(frame.at[i, f"{stage}_impact"])) for i in ids}


def evaluated(reg: Register, appetite=None) -> RiskEvaluation:
    return evaluate(reg, LOADED, AS_OF, appetite=appetite)


def scores(path: Path) -> pd.DataFrame:
    risks = evaluated(load(path)).risks
    return risks[SCORES].sort_values("risk_id").reset_index(drop=True)


def write_csv(folder: Path, rows: list[list[str]], name: str = "register.csv") -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path = folder / name
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def corpus_rows(name: str) -> list[list[str]]:
    with open(CORPUS / name, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def validate(*args: str):
    return CliRunner().invoke(app, ["validate", *map(str, args), "-m", "western-cape-5x5"])


# ---- one test per corpus file ------------------------------------------------------------------------


def test_underscore_headings():
    reg = load(CORPUS / "underscore_headings.csv")
    assert meanings(reg.readings) == {
        "Risk No": "risk_id", "Risk Statement": "description", "Likelihood_1_5": "inherent_likelihood",
        "Impact_1_5": "inherent_impact", "Mitigation": "actions", "Responsibility": "owner",
        "Target Resolution": "due_date"}
    assert reg.frame["risk_id"].tolist() == [f"IT-{i:03d}" for i in range(1, 11)]
    assert reg.frame["row"].tolist() == list(range(2, 12))
    assert levels(reg, "IT-001", "IT-003", "IT-009", "IT-010") == {
        "IT-001": (4, 5), "IT-003": (5, 3), "IT-009": (1, 4), "IT-010": (3, 2)}
    assert reg.frame["due_date"].iloc[0] == dt.date(2025, 9, 30)  # ISO dates
    assert reg.frame["due_date"].iloc[-1] == dt.date(2026, 3, 31)
    assert reg.skipped == [] and reg.warnings == []


def test_partial_headings_bracketed_scale_and_two_mitigation_columns():
    reg = load(CORPUS / "partial_headings.csv")
    assert meanings(reg.readings) == {
        "Ref": "risk_id", "Risk": "description", "Likelihood (1-5)": "inherent_likelihood",
        "Impact (1-5)": "inherent_impact", "Existing controls": "controls", "Mitigation strategy": "response",
        "Owner": "owner", "Review date": "review_date"}
    frame = reg.frame.set_index("risk_id")
    assert frame["response"].to_dict() == {"FB1": "mitigate", "FB2": "transfer", "FB3": "avoid", "FB4": "mitigate",
                                           "FB5": "mitigate", "FB6": "accept", "FB7": "accept", "FB8": "mitigate"}
    assert frame.at["FB3", "review_date"] == dt.date(2025, 4, 30)  # dd/mm/yyyy
    assert levels(reg, "FB1", "FB8") == {"FB1": (4, 4), "FB8": (1, 3)}


def test_prose_impact_keeps_the_prose_column_and_reads_the_numeric_one():
    reg = load(CORPUS / "prose_impact.csv")
    read = meanings(reg.readings)
    assert read["Impact"] == ""  # consequences in words: kept as written
    assert read["Impact (1-5)"] == "inherent_impact"
    assert read["Likelihood (1-5)"] == "inherent_likelihood"
    assert levels(reg, "WU-02", "WU-05", "WU-07") == {"WU-02": (2, 5), "WU-05": (4, 3), "WU-07": (1, 5)}
    # the prose (with its digits and commas) travels as an extra column, never as a rating
    wu03 = reg.frame.set_index("risk_id").at["WU-03", "Impact"]
    assert wu03.startswith("Loss of water supply to 20,000 homes for a day")


def test_prose_impact_column_can_be_ignored():
    reg = load(CORPUS / "prose_impact.csv", columns={"Impact": "ignore"})
    shown = readings_frame(reg.readings).set_index("Your heading")
    assert shown.at["Impact", "Read as"] == "ignored"
    assert shown.at["Impact (1-5)", "Read as"] == "inherent impact"
    assert "Impact" not in reg.frame.columns
    assert levels(reg, "WU-01") == {"WU-01": (3, 4)}


def test_prose_only_is_refused_naming_consequences():
    exc = refusal(CORPUS / "prose_only.csv")
    assert meanings(exc.readings) == {"ID": "risk_id", "Risk": "description", "Prob": "inherent_likelihood",
                                      "Consequences": "", "Owner": "owner"}
    assert len(exc.problems) == 1
    problem = exc.problems[0]
    assert (problem.row, problem.column) == (1, "Consequences")  # the header row
    assert str(exc).splitlines()[0] == "1 problem found; nothing was produced:"
    assert problem.line().startswith(f"{CORPUS / 'prose_only.csv'}: row 1, column 'Consequences': expected "
                                     "inherent impact ratings")


def test_hml_labels_refused_with_a_proposed_ratings_entry():
    exc = refusal(CORPUS / "hml_labels.csv")
    assert str(exc).splitlines()[0] == "2 problems found; nothing was produced:"
    # L is Likely on this scale, not Low: the letters are not guessed
    assert {p.column for p in exc.problems} == {"Likelihood (column C: inherent likelihood)",
                                                "Impact (column D: inherent impact)"}
    for p in exc.problems:
        assert p.row is None
        assert p.line().endswith("e.g. ratings: {H: 4, M: 3, L: 2}")
    assert meanings(exc.readings)["Likelihood"] == "inherent_likelihood"


def test_hml_labels_load_with_the_proposed_ratings():
    reg = load(CORPUS / "hml_labels.csv", ratings=HML)
    assert levels(reg, "PA-01", "PA-05", "PA-06", "PA-07") == {
        "PA-01": (2, 4), "PA-05": (4, 3), "PA-06": (3, 2), "PA-07": (4, 2)}
    assert reg.rated.all()


def test_italian_semicolons_bom_crlf_percentages_and_stato():
    reg = load(CORPUS / "italian.csv")
    assert meanings(reg.readings) == {
        "ID rischio": "risk_id", "Descrizione del rischio": "description", "Probabilità": "inherent_likelihood",
        "Impatto": "inherent_impact", "Stato": "status", "Risposta": "response", "Responsabile": "owner"}
    # 30% Moderate, 70% Likely, 5% Unlikely, 100% Almost certain, 0.5% Rare
    assert levels(reg, "R01", "R02", "R03", "R07", "R08") == {
        "R01": (3, 4), "R02": (4, 4), "R03": (2, 3), "R07": (5, 2), "R08": (1, 3)}
    frame = reg.frame.set_index("risk_id")
    assert sorted(frame.index[frame["status"] == "closed"]) == ["R03", "R08"]  # Chiuso
    assert set(frame.loc[["R01", "R02", "R04", "R05", "R06", "R07"], "status"]) == {"open"}  # Aperto
    assert frame["response"].to_dict() == {"R01": "mitigate", "R02": "mitigate", "R03": "avoid", "R04": "mitigate",
                                           "R05": "mitigate", "R06": "transfer", "R07": "accept", "R08": "avoid"}
    assert "un'alluvione, con perdita" in frame.at["R01", "description"]  # commas and apostrophes kept
    ev = evaluated(reg)
    assert sorted(ev.closed["risk_id"]) == ["R03", "R08"]
    assert len(ev.rated) == 6


def test_money_impact_refused_without_thresholds():
    exc = refusal(CORPUS / "money_impact.csv")
    assert meanings(exc.readings)["Financial impact"] == "inherent_impact"
    assert [p.column for p in exc.problems] == ["Financial impact (column D: inherent impact)"]
    line = exc.problems[0].line()
    assert "impact_money: {upper_bounds: [...]}" in line
    assert "4 amounts" in line  # five impact levels: a bound for each but the last


def test_money_impact_with_thresholds():
    reg = load(CORPUS / "money_impact.csv", impact_money=MONEY)
    assert meanings(reg.readings)["Probability %"] == "inherent_likelihood"
    # bare numbers under a % heading: 70 Likely, 0.5 Rare, 100 Almost certain, 5 Unlikely, 30 Moderate;
    # money: up to 10k = 1, 100k = 2, 500k = 3, 1m = 4, above = 5
    assert levels(reg, "HA-01", "HA-02", "HA-03", "HA-04", "HA-05", "HA-06") == {
        "HA-01": (4, 3), "HA-02": (1, 5), "HA-03": (5, 4), "HA-04": (2, 4), "HA-05": (3, 1), "HA-06": (3, 2)}


def test_closed_and_opportunities_statuses():
    reg = load(CORPUS / "closed_and_opportunities.csv")
    assert meanings(reg.readings)["Status"] == "status"
    status = reg.frame.set_index("risk_id")["status"]
    assert status.to_dict() == {"AC-01": "open", "AC-02": "open", "AC-03": "closed", "AC-04": "closed",
                                "AC-05": "eliminated", "AC-06": "opportunity", "AC-07": "open",
                                "AC-08": "opportunity", "AC-09": "closed"}


def test_closed_risks_and_opportunities_are_never_above_appetite():
    ev = evaluated(load(CORPUS / "closed_and_opportunities.csv"), appetite=1)  # every score is above 1
    risks = ev.risks.set_index("risk_id")
    for rid in ("AC-03", "AC-04", "AC-05", "AC-09"):
        assert pd.isna(risks.at[rid, "residual_score"])
        assert risks.at[rid, "above_appetite"] is None
    for rid in ("AC-06", "AC-08"):
        assert risks.at[rid, "above_appetite"] is None
    assert risks.at["AC-06", "residual_score"] == 12  # an opportunity is still scored: 3 x 4
    assert sorted(ev.risks.loc[ev.risks["above_appetite"] == True, "risk_id"]) == [  # noqa: E712
        "AC-01", "AC-02", "AC-07"]
    summary = {r["risk_id"]: r for r in risk_summary(ev, "Arts centre", "2025")["risks"]}
    assert summary["AC-04"]["status"] == "closed" and summary["AC-05"]["status"] == "eliminated"
    assert summary["AC-08"]["status"] == "opportunity" and summary["AC-08"]["above_appetite"] is None
    assert "rated 5 | not rated 0 | closed 4" in key_figures(ev)


def test_totals_and_footer_rows_are_skipped():
    reg = load(CORPUS / "totals_and_footer.csv")
    assert meanings(reg.readings)["Risk Score"] == "stated_inherent_score"
    assert reg.frame["row"].tolist() == list(range(4, 11))  # header on row 3 under a title
    assert [(s.row, s.reason) for s in reg.skipped] == [
        (11, "a totals row"), (13, "a note or section title (one cell)")]
    assert "68" in reg.skipped[0].text
    ev = evaluated(reg)
    assert ev.disagreements.empty  # every Risk Score is L x I
    assert int(ev.risks["inherent_score"].sum()) == 68
    assert [r["row"] for r in risk_summary(ev, "Harbour Authority", "2025")["skipped_rows"]] == [11, 13]


def test_own_score_disagrees_exactly_twice():
    reg = load(CORPUS / "own_score_disagrees.csv")
    assert meanings(reg.readings)["Risk Score"] == "stated_inherent_score"
    assert meanings(reg.readings)["Risk Level"] == "stated_inherent_level"
    ev = evaluated(reg)
    got = ev.disagreements[["Risk", "Row", "Your column", "The file says", "Computed"]]
    assert got.values.tolist() == [["SCH-03", 4, "Risk Score", "10", "12"],
                                   ["SCH-06", 7, "Risk Level", "Medium", "Low"]]
    json = risk_summary(ev, "Academy trust", "2025")["disagreements"]
    assert [(d["risk_id"], d["computed"]) for d in json] == [("SCH-03", "12"), ("SCH-06", "Low")]


def test_pmbok_responses_and_matching_rag():
    reg = load(CORPUS / "pmbok_responses.csv")
    assert meanings(reg.readings) == {
        "Risk ID": "risk_id", "Risk": "description", "Likelihood": "inherent_likelihood",
        "Impact": "inherent_impact", "Strategy": "response", "Potential Responses": "actions",
        "RAG Status": "stated_inherent_level"}
    frame = reg.frame.set_index("risk_id")
    assert frame["response"].to_dict() == {"P-01": "mitigate", "P-02": "transfer", "P-03": "accept",
                                           "P-04": "accept", "P-05": "mitigate", "P-06": "accept"}
    assert evaluated(reg).disagreements.empty  # Red/Amber/Green name the bands


def test_xmarks_csv():
    reg = load(CORPUS / "xmarks.csv")
    assert meanings(reg.readings) == {"Risk ID": "risk_id", "Description": "description",
                                      "Probability": "inherent_likelihood", "Impact": "inherent_impact",
                                      "Owner": "owner"}
    assert {r.heading: r.letter for r in reg.readings}["Probability"] == "C-G"
    assert reg.frame["row"].tolist() == list(range(3, 11))  # two header rows
    assert levels(reg, "F01", "F04", "F06", "F08") == {"F01": (3, 5), "F04": (1, 4), "F06": (5, 3), "F08": (4, 1)}


def test_xmarks_double_refused_at_row_5():
    exc = refusal(CORPUS / "xmarks_double.csv")
    assert len(exc.problems) == 1
    p = exc.problems[0]
    assert (p.row, p.column, p.value) == (5, "Probability (column C-G: inherent likelihood)", "L and H")
    assert "Probability" in p.line()


def test_two_header_rows_xlsx(workbooks):
    reg = load(workbooks["two_header_rows.xlsx"])
    read = meanings(reg.readings)
    assert read["Inherent risk / Likelihood"] == "inherent_likelihood"
    assert read["Inherent risk / Impact"] == "inherent_impact"
    assert read["Inherent risk / Score"] == "stated_inherent_score"
    assert read["Residual risk / Likelihood"] == "residual_likelihood"
    assert read["Residual risk / Impact"] == "residual_impact"
    assert read["Residual risk / Score"] == "stated_residual_score"
    assert read["Controls"] == "controls" and read["Owner"] == "owner"
    assert reg.frame["row"].tolist() == list(range(5, 13))
    assert reg.skipped == []  # the title above the header is not a skipped row
    assert levels(reg, "VAL-01", "VAL-05") == {"VAL-01": (4, 4), "VAL-05": (4, 5)}
    assert levels(reg, "VAL-01", "VAL-05", "VAL-08", stage="residual") == {
        "VAL-01": (2, 4), "VAL-05": (3, 4), "VAL-08": (1, 5)}
    ev = evaluated(reg)
    # the file's scores are all L x I, and its residual re-ratings are used even under the factor rule
    assert ev.disagreements.empty
    risks = ev.risks.set_index("risk_id")
    assert (risks.at["VAL-05", "residual_score"], risks.at["VAL-05", "residual_basis"]) == (12, "rerated")


def test_totals_row_xlsx(workbooks):
    reg = load(workbooks["totals_row.xlsx"])
    assert meanings(reg.readings)["Score"] == "stated_inherent_score"
    assert reg.frame["risk_id"].tolist() == [f"TR-0{i}" for i in range(1, 7)]
    assert [(s.row, s.reason) for s in reg.skipped] == [
        (8, "a totals row"), (10, "a note or section title (one cell)")]
    assert "Source: risk workshop" in reg.skipped[1].text
    ev = evaluated(reg)
    assert ev.disagreements.empty
    assert int(ev.risks["inherent_score"].sum()) == 59


def test_xmarks_xlsx_lower_case_marks(workbooks):
    reg = load(workbooks["xmarks.xlsx"])
    assert meanings(reg.readings)["Probability"] == "inherent_likelihood"
    assert meanings(reg.readings)["Impact"] == "inherent_impact"
    assert levels(reg, "XA-01", "XA-03", "XA-05", "XA-06") == {
        "XA-01": (3, 5), "XA-03": (4, 3), "XA-05": (1, 5), "XA-06": (5, 1)}


# ---- 0% likelihood: Rare (the guide's Table 17: "0 - 1%"); eliminated comes only from a status -------------


def test_zero_percent_likelihood_is_rare_and_scored(tmp_path):
    path = write_csv(tmp_path, [["Risk ID", "Description", "Probability", "Impact"],
                                ["Z-01", "Landfill gas escapes from the closed tip", "0%", "3"],
                                ["Z-02", "Flooding of the depot", "30%", "4"]])
    reg = load(path)
    assert levels(reg, "Z-01", "Z-02") == {"Z-01": (1, 3), "Z-02": (3, 4)}
    ev = evaluated(reg)
    risks = ev.risks.set_index("risk_id")
    assert risks.at["Z-01", "status"] == "open" and int(risks.at["Z-01", "inherent_score"]) == 3
    assert ev.closed.empty


@pytest.mark.parametrize("open_word", ["", "Open", "Aperto", "Active", "OPEN"])
def test_zero_percent_likelihood_leaves_an_open_risk_open(tmp_path, open_word):
    path = write_csv(tmp_path, [["Risk ID", "Description", "Probability", "Impact", "Status"],
                                ["Z-01", "Landfill gas escapes from the closed tip", "0%", "2", open_word],
                                ["Z-02", "Flooding of the depot", "30%", "4", "Eliminated"]])
    reg = load(path)
    frame = reg.frame.set_index("risk_id")
    assert frame.at["Z-01", "status"] == "open" and frame.at["Z-02", "status"] == "eliminated"
    assert levels(reg, "Z-01") == {"Z-01": (1, 2)}


# ---- columns: entries --------------------------------------------------------------------------------

CHANCE = [["Risk ID", "Description", "Chance", "Effect", "Owner"],
          ["CE-01", "The main supplier fails", "3", "4", "Operations"],
          ["CE-02", "A key person leaves", "2", "2", "HR"]]


def test_unknown_rating_headings_fail_validate_until_named(tmp_path):
    path = write_csv(tmp_path, CHANCE, "chance.csv")
    refused = validate(path)
    assert refused.exit_code == 2
    # "Chance" is a likelihood word; "Effect" is no heading the suite knows, so impact is missing
    assert "a column for inherent impact too" in refused.output
    named = validate(path, "--column", "Chance=inherent_likelihood", "--column", "Effect=inherent_impact")
    assert named.exit_code == 0, named.output
    assert "valid register, 2 risks (2 rated)" in named.output
    assert "your columns: entry" in named.output


def test_no_rating_heading_at_all_names_both_ratings(tmp_path):
    path = write_csv(tmp_path, [[*CHANCE[0][:2], "Odds", *CHANCE[0][3:]], *CHANCE[1:]])
    exc = refusal(path)
    assert [p.row for p in exc.problems] == [1]
    assert "columns of likelihood and impact ratings" in exc.problems[0].line()
    assert "'Odds'" in exc.problems[0].line() and "'Effect'" in exc.problems[0].line()


# ---- the validate command ----------------------------------------------------------------------------


def test_validate_prints_the_heading_table_before_the_result():
    result = validate(CORPUS / "underscore_headings.csv")
    assert result.exit_code == 0, result.output
    out = result.output
    table = out.index("How underscore_headings.csv was read")
    assert out.index("Likelihood_1_5") > table
    assert out.index("valid register, 10 risks (10 rated)") > out.index("Target Resolution") > table


def test_validate_refuses_prose_only():
    result = validate(CORPUS / "prose_only.csv")
    assert result.exit_code == 2
    assert "How prose_only.csv was read" in result.output
    assert "Consequences" in result.output
    assert "valid register" not in result.output


def test_validate_reads_the_parameters_file(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({
        "organisation": "Housing association", "period": "2025", "as_of": "2025-06-30",
        "methodology": "western-cape-5x5", "register": str(CORPUS / "money_impact.csv"),
        "impact_money": {"upper_bounds": MONEY.upper_bounds}}), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(CORPUS / "money_impact.csv"), "--params", str(params)])
    assert result.exit_code == 0, result.output
    assert "valid register, 8 risks (8 rated)" in result.output


@pytest.mark.parametrize("name", LOADS + REFUSED)
def test_validate_exit_code_and_never_zero_rated(name, workbooks):
    result = validate(path_of(name, workbooks))
    assert result.exit_code == (2 if name in REFUSED else 0), result.output
    assert "was read" in result.output
    assert not re.search(r"(?<!\d)0 rated", result.output)


# ---- properties --------------------------------------------------------------------------------------

UNDERSCORE = corpus_rows("underscore_headings.csv")
UNDERSCORE_MEANINGS = {"Risk No": "risk_id", "Risk Statement": "description", "Likelihood_1_5": "inherent_likelihood",
                       "Impact_1_5": "inherent_impact", "Mitigation": "actions", "Responsibility": "owner",
                       "Target Resolution": "due_date"}
# a register whose residual differs from its inherent score, with statuses and its own score
CONTROLLED = [["Risk ID", "Description", "Likelihood", "Impact", "Control effectiveness", "Status", "Risk Score",
               "Owner"],
              ["K-01", "The payroll run fails at month end", "4", "5", "Partially effective", "Open", "20", "Payroll"],
              ["K-02", "Flood damages the records store", "2", "5", "Fully effective", "Open", "10", "Facilities"],
              ["K-03", "A key supplier goes out of business", "3", "4", "Ineffective", "Open", "12", "Procurement"],
              ["K-04", "The old data centre lease is not renewed", "3", "3", "", "Closed", "9", "IT"],
              ["K-05", "A regional grant could fund the new depot", "3", "4", "", "Opportunity", "12", "Director"]]


def _aliases(canonical: str) -> list[str]:
    return [canonical, *column_spec().columns[canonical]]


@pytest.fixture(scope="module")
def baselines() -> dict[str, pd.DataFrame]:
    with tempfile.TemporaryDirectory() as folder:
        return {"underscore": scores(CORPUS / "underscore_headings.csv"),
                "controlled": scores(write_csv(Path(folder), CONTROLLED))}


def test_controlled_register_scores():
    with tempfile.TemporaryDirectory() as folder:
        got = scores(write_csv(Path(folder), CONTROLLED)).set_index("risk_id")
    # 20 x 60% = 12; 10 x 45% = 4.5 -> 5 (ceil); 12 x 75% = 9; closed: not scored; opportunity: 12, no controls
    assert got["residual_score"].tolist()[:3] == [12, 5, 9]
    assert pd.isna(got.at["K-04", "residual_score"])
    assert got.at["K-05", "residual_score"] == 12


@PROPERTY
@given(data=st.data())
def test_column_order_does_not_change_the_evaluation(baselines, data):
    name, rows = data.draw(st.sampled_from([("underscore", UNDERSCORE), ("controlled", CONTROLLED)]))
    order = data.draw(st.permutations(range(len(rows[0]))))
    with tempfile.TemporaryDirectory() as folder:
        got = scores(write_csv(Path(folder), [[row[j] for j in order] for row in rows]))
    pd.testing.assert_frame_equal(got, baselines[name])


@PROPERTY
@given(names=st.fixed_dictionaries({h: st.sampled_from(_aliases(c)) for h, c in UNDERSCORE_MEANINGS.items()}))
def test_any_accepted_heading_gives_the_same_evaluation(baselines, names):
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder), [[names[h] for h in UNDERSCORE[0]], *UNDERSCORE[1:]])
        reg = load(path)
        got = evaluated(reg).risks[SCORES].sort_values("risk_id").reset_index(drop=True)
    assert meanings(reg.readings) == {names[h]: c for h, c in UNDERSCORE_MEANINGS.items()}
    pd.testing.assert_frame_equal(got, baselines["underscore"])
