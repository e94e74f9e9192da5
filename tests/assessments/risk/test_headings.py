"""How register headings are understood (issue: real registers in, nothing misread)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workbook_lib.assessments.risk.headings import Headings, plain
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.assessments.risk.interpret import ReadOptions
from workbook_lib.assessments.risk.methodology import load_methodology
from workbook_lib.assessments.risk.register import column_spec, load_register
from workbook_lib.assessments.risk.report import method_note, risk_summary
from workbook_lib.assessments.risk.scoring import evaluate
from workbook_lib.cli import app
from workbook_lib.core.errors import InputError

WCAPE = load_methodology("western-cape-5x5")
MOPAC = load_methodology("mopac-4-level")


def _write(folder: Path, rows: list[list[str]], name: str = "register.csv") -> Path:
    path = folder / name
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def _read_as(reg_or_error) -> dict[str, str]:
    return {r.heading: r.meaning for r in reg_or_error.readings}


# every heading the issue found unmapped in real registers, and what it holds
@pytest.mark.parametrize("heading, meaning", [
    ("Likelihood_1_5", "inherent_likelihood"), ("Impact_1_5", "inherent_impact"),
    ("Likelihood (1-5)", "inherent_likelihood"), ("Impact (1-5)", "inherent_impact"),
    ("Impact level", "inherent_impact"), ("Prob", "inherent_likelihood"), ("Consequences", "inherent_impact"),
    ("Risk Statement", "description"), ("Mitigation", "actions"), ("Mitigation strategy", "response"),
    ("Strategy", "response"), ("Responsibility", "owner"), ("Potential Responses", "actions"),
    ("Target Resolution", "due_date"), ("Risk status", "status"), ("RAG Status", "level"),
    ("Risk Score", "score"), ("Risk Level", "level"), ("Rating", "score"),
    ("Residual risk / Likelihood", "residual_likelihood"), ("Inherent risk / Score", "stated_inherent_score"),
    ("Probabilità", "inherent_likelihood"), ("Impatto residuo", "residual_impact"),
    ("Net likelihood %", "residual_likelihood"),
])
def test_headings_found_in_real_registers_are_understood(heading, meaning):
    guess = Headings(column_spec()).guess(heading)
    assert guess is not None and guess.candidates[0] == meaning


def test_a_target_rating_is_kept_as_written_not_scored():
    guess = Headings(column_spec()).guess("Target likelihood")
    assert guess is not None and guess.candidates == () and "target" in guess.note


def test_a_lone_L_column_is_not_read_as_likely_under_a_scale_where_L_means_likely(tmp_path):
    path = _write(tmp_path, [["Risk ID", "Description", "Likelihood", "Impact"], ["R1", "Roof", "L", "3"],
                             ["R2", "Wall", "L", "2"]])
    with pytest.raises(InputError) as err:
        load_register(path, WCAPE.methodology)
    [problem] = err.value.problems
    assert problem.column == "Likelihood (column C: inherent likelihood)"
    assert "not guessed" in problem.expected and "ratings: {L: " in problem.expected
    # where L is an alias of Low, it is read as Low
    reg = load_register(path, MOPAC.methodology)
    assert reg.frame["inherent_likelihood"].tolist() == [1, 1]
    # and one parameters entry settles it under the 5-level scale
    reg = load_register(path, WCAPE.methodology, options=ReadOptions(ratings={"likelihood": {"L": 2}}))
    assert reg.frame["inherent_likelihood"].tolist() == [2, 2]


def test_two_columns_for_one_meaning_name_both_headings(tmp_path):
    path = _write(tmp_path, [["Risk ID", "Description", "Likelihood", "Probability", "Impact"],
                             ["R1", "Roof", "3", "4", "2"]])
    with pytest.raises(InputError) as err:
        load_register(path, WCAPE.methodology)
    [problem] = err.value.problems
    assert problem.column == "Probability"
    assert "'Likelihood' (column C) and 'Probability' (column D)" in problem.expected
    reg = load_register(path, WCAPE.methodology, options=ReadOptions(columns={"Likelihood": "ignore"}))
    assert reg.frame["inherent_likelihood"].tolist() == [4]
    assert _read_as(reg)["Likelihood"] == ""


def test_repeated_headings_are_told_apart_by_their_number(tmp_path):
    path = _write(tmp_path, [["Risk ID", "Description", "Likelihood", "Impact", "Controls", "Likelihood", "Impact"],
                             ["R1", "Roof", "4", "4", "Inspections", "2", "4"]])
    with pytest.raises(InputError):
        load_register(path, WCAPE.methodology)
    options = ReadOptions(columns={"Likelihood [2]": "residual_likelihood", "Impact [2]": "residual_impact"})
    reg = load_register(path, WCAPE.methodology, options=options)
    assert (reg.frame.at[0, "residual_likelihood"], reg.frame.at[0, "residual_impact"]) == (2, 4)


def test_organisation_words_for_responses_and_statuses(tmp_path):
    path = _write(tmp_path, [["Risk ID", "Description", "Likelihood", "Impact", "Response", "Status"],
                             ["R1", "Roof", "3", "4", "Contain", "Gesloten"],
                             ["R2", "Wall", "2", "2", "Reduce", "Open"]])
    with pytest.raises(InputError) as err:
        load_register(path, WCAPE.methodology)
    assert {p.value for p in err.value.problems} == {"Contain", "Gesloten"}
    assert any("response_words:" in p.expected for p in err.value.problems)
    params = RiskEvaluationParams.model_validate({
        "organisation": "O", "period": "P", "as_of": "2025-01-01", "methodology": "western-cape-5x5",
        "register": str(path),
        "response_words": {"mitigate": ["Contain"]}, "status_words": {"closed": ["Gesloten"]}})
    reg = load_register(path, WCAPE.methodology, options=params.read_options())
    assert reg.frame["response"].tolist() == ["mitigate", "mitigate"]
    assert reg.frame["status"].tolist() == ["closed", "open"]


def test_parameters_refuse_a_column_name_the_suite_does_not_know():
    with pytest.raises(ValueError, match="inherent_impact"):
        RiskEvaluationParams.model_validate({"organisation": "O", "period": "P", "as_of": "2025-01-01",
                                             "methodology": "torbay-2004",
                                             "register": "r.csv", "columns": {"Impact level": "impact"}})


def test_the_report_and_json_show_how_the_register_was_read(tmp_path):
    path = _write(tmp_path, [["Ref", "Risk | statement", "Likelihood_1_5", "Impact_1_5", "Risk Score", "Notes"],
                             ["R1", "Roof", "3", "4", "10", "seen"], ["R2", "Wall", "2", "2", "4", ""],
                             ["Total", "", "", "", "14", ""]])
    reg = load_register(path, WCAPE.methodology)
    ev = evaluate(reg, WCAPE, __import__("datetime").date(2025, 1, 1))
    note = method_note(ev)
    assert "How the register was read" in note
    line_c = next(line for line in note.splitlines() if line.startswith("| C | "))
    assert "Likelihood" in line_c and "| inherent likelihood |" in line_c
    assert "Risk \\| statement" in note  # a '|' in a heading does not break the table
    assert "Skipped row 4: a totals row" in note
    summary = json.loads(json.dumps(risk_summary(ev, "O", "P")))
    assert {c["heading"]: c["read_as"] for c in summary["columns_read"]}["Notes"] == ""
    assert summary["skipped_rows"] == [{"row": 4, "reason": "a totals row", "text": "Total | 14"}]
    # the file's own score: 3 x 4 = 12, not 10
    assert summary["disagreements"] == [{"risk_id": "R1", "row": 2, "column": "Risk Score", "file_value": "10",
                                         "computed": "12", "arithmetic": ev.risks.at[0, "arithmetic"]}]


def test_validate_prints_the_reading_before_the_problems_and_takes_parameters(tmp_path):
    path = _write(tmp_path, [["Risk ID", "Description", "Likelihood", "Impact"], ["R1", "Roof", "H", "M"],
                             ["R2", "Wall", "L", "H"]])
    runner = CliRunner()
    refused = runner.invoke(app, ["validate", str(path), "-m", "western-cape-5x5"])
    assert refused.exit_code == 2
    out = refused.output
    assert out.index("How register.csv was read") < out.index("problem(s) found")
    # one entry for both columns, every word found, centred on 1-5
    assert out.count("ratings: {H: 4, M: 3, L: 2}") == 2
    params = tmp_path / "p.yaml"
    params.write_text("organisation: O\nperiod: P\nas_of: 2025-01-01\nmethodology: western-cape-5x5\n"
                      "register: register.csv\n"
                      "ratings: {H: 4, M: 3, L: 2}\n")
    valid = runner.invoke(app, ["validate", str(path), "--params", str(params)])
    assert valid.exit_code == 0, valid.output
    assert "valid register, 2 risks (2 rated)" in valid.output
    assert "your ratings: h = 4, m = 3, l = 2" in valid.output


def test_plain_names_have_no_underscores():
    assert all("_" not in plain(c) for c in column_spec().columns)


@pytest.mark.parametrize("name, expected, closed", [
    ("french.csv", {"Réf": "risk_id", "Description du risque": "description", "Probabilité": "inherent_likelihood",
                    "Gravité": "inherent_impact", "Niveau de risque": "stated_inherent_level", "Statut": "status",
                    "Propriétaire du risque": "owner", "Réponse": "response"}, ["FR-3"]),
    ("german.csv", {"Risiko-ID": "risk_id", "Risikobeschreibung": "description",
                    "Eintrittswahrscheinlichkeit": "inherent_likelihood", "Auswirkung": "inherent_impact",
                    "Risikostatus": "status", "Risikoeigner": "owner"}, ["DE-3"]),
])
def test_registers_in_other_languages(name, expected, closed):
    reg = load_register(Path(__file__).parents[2] / "data" / "registers" / name, WCAPE.methodology)
    assert _read_as(reg) == expected
    ev = evaluate(reg, WCAPE, __import__("datetime").date(2025, 1, 1))
    assert ev.closed["risk_id"].tolist() == closed
    if name == "french.csv":
        assert reg.frame["response"].tolist() == ["mitigate", "accept", "transfer"]
        # its own levels are not this methodology's band names: every one is listed, none dropped
        assert ev.disagreements["Risk"].tolist() == ["FR-1", "FR-2"]
        assert "'Moyen' is not a band of western-cape-5x5" in ev.disagreements["Computed"].iloc[0]
