"""COSO 17-principle assessment: the questionnaire as data, responses validated with every problem at once,
combined scores and bands (the guide's 3 + 1 + 3 = 7 example), incompleteness, divergence and roll-ups."""

from __future__ import annotations

import csv
import json
import re
import statistics
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from workbook_lib.assessments import SHARED_FIELDS
from workbook_lib.assessments.coso import charts as charts_coso
from workbook_lib.assessments.coso import scoring as coso
from workbook_lib.core.errors import InputError
from workbook_lib.core.params import ParameterError, from_namespace, load_file
from workbook_lib.core.tables import ROW, Table

from .conftest import PARAMETERS, ROOT, write_csv

NAME = "coso-17-western-cape"
LOADED = coso.load_questionnaire(NAME)
Q = LOADED.questionnaire
EXAMPLE_CSV = PARAMETERS / "responses" / "karoo_vale_coso_2025.csv"
EXAMPLE_PARAMS = PARAMETERS / "karoo-vale-2025-26.yaml"
EXPECTED = ROOT / "tests" / "expected" / "coso-assessment--karoo-vale-2025-26.txt"
HEADER = "item_id,line,rating,respondent,comment\n"


def _responses(tmp_path: Path, rows: dict[str, tuple], name: str = "responses.csv") -> Path:
    """{item: (r1, r2, r3)} -> a responses CSV; None leaves that line's row out."""
    lines = [HEADER.strip()]
    for item, ratings in rows.items():
        for line, rating in enumerate(ratings, start=1):
            if rating is not None:
                lines.append(f"{item},{line},{rating},Person {line},")
    return write_csv(tmp_path / name, "\n".join(lines) + "\n")


def _assess(tmp_path: Path, rows: dict[str, tuple], loaded=LOADED, **kw) -> coso.CosoResult:
    responses = coso.load_responses(_responses(tmp_path, rows), loaded.questionnaire)
    return coso.assess(loaded, responses, **kw)


def _item(result: coso.CosoResult, item_id: str) -> pd.Series:
    return result.items.set_index("item_id").loc[item_id]


def _principle(result: coso.CosoResult, number: int) -> pd.Series:
    return result.principles.set_index("principle").loc[number]


def _problems(path: Path, q=Q) -> list:
    with pytest.raises(InputError) as info:
        coso.load_responses(path, q)
    return info.value.problems


def _shipped_data() -> dict:
    return yaml.safe_load(coso.shipped()[NAME].read_text(encoding="utf-8"))


def _write_yaml(tmp_path: Path, data: dict, name: str = "own.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _refused(tmp_path: Path, data: dict) -> str:
    with pytest.raises(coso.QuestionnaireError) as info:
        coso.load_questionnaire(_write_yaml(tmp_path, data))
    return str(info.value)


# ---- the shipped questionnaire -------------------------------------------------------------------------


def test_shipped_questionnaire_lists_every_principle_once_in_its_component():
    assert NAME in coso.shipped() and coso.DEFAULT_QUESTIONNAIRE == NAME
    assert [p.number for p in Q.principles] == list(range(1, 18))
    assert [c.name for c in Q.components] == ["Control environment", "Risk assessment", "Control activities",
                                              "Information and communication", "Monitoring activities"]
    by_component = {c.id: [p.number for p in Q.principles if p.component == c.id] for c in Q.components}
    assert list(by_component.values()) == [[1, 2, 3, 4, 5], [6, 7, 8, 9], [10, 11, 12], [13, 14, 15], [16, 17]]
    assert Q.version and LOADED.provenance() == {"name": NAME, "version": Q.version, "sha256": LOADED.sha256}


def test_shipped_items_map_to_existing_principles_with_unique_ids():
    ids = [i.id for i in Q.items]
    assert len(ids) == len(set(ids)) == 76
    known = {p.number for p in Q.principles}
    assert all(i.principle in known for i in Q.items)
    # IDs are stable and say which principle they test
    assert all(re.fullmatch(rf"P{i.principle:02d}-\d\d", i.id) for i in Q.items)
    counts = pd.Series([i.principle for i in Q.items]).value_counts().to_dict()
    assert 9 not in counts  # significant change: the guide has no items
    assert counts == {1: 6, 2: 3, 3: 3, 4: 4, 5: 5, 6: 4, 7: 12, 8: 3, 10: 7, 11: 5, 12: 3, 13: 4, 14: 4,
                      15: 1, 16: 8, 17: 4}


def test_every_guide_item_is_used_once_and_none_is_invented():
    refs = [i.seed_ref for i in Q.items]
    assert len(refs) == len(set(refs))
    expected = ({f"Table 8 item {n}" for n in [*range(1, 7), *range(8, 22)]}  # no item 7 in Table 8
                | {f"Table 9 item {n}" for n in range(1, 21)} | {f"Table 10 item {n}" for n in range(1, 16)}
                | {f"Table 11 item {n}" for n in range(1, 10)} | {f"Table 12 item {n}" for n in range(1, 13)})
    assert set(refs) == expected


@pytest.mark.parametrize("ref, principle", [
    ("Table 8 item 1", 1), ("Table 8 item 8", 2), ("Table 8 item 9", 5), ("Table 8 item 12", 4),
    ("Table 8 item 14", 2), ("Table 8 item 15", 2), ("Table 8 item 10", 3), ("Table 8 item 13", 3),
    ("Table 9 item 1", 6), ("Table 9 item 6", 6), ("Table 9 item 3", 7), ("Table 9 item 16", 7),
    ("Table 9 item 17", 5), ("Table 9 item 18", 8),
    ("Table 11 item 1", 13), ("Table 11 item 4", 13), ("Table 11 item 2", 14), ("Table 11 item 7", 14),
    ("Table 11 item 9", 15), ("Table 12 item 11", 16), ("Table 12 item 8", 17),
])
def test_slip_decisions_place_items_by_what_they_test(ref, principle):
    item = next(i for i in Q.items if i.seed_ref == ref)
    assert item.principle == principle


def test_every_slip_decision_is_recorded_as_a_note():
    topics = " | ".join(n.topic.casefold() for n in Q.notes)
    for words in ("numbering skips", "principles 2 and 3", "principles 6 and 7", "principle 9",
                  "information and communication", "lowest band starts at 1", "present and functioning rule",
                  "divergence threshold", "band colours"):
        assert words in topics, words
    p9 = next(n for n in Q.notes if "principle 9" in n.topic.casefold())
    assert "not assessed" in p9.decision


def test_scale_lines_bands_and_rule_are_the_guides_facts():
    assert [lv.value for lv in Q.scale] == [1, 2, 3, 4, 5]
    assert Q.scale[0].label == "No formal process"
    assert "continuous" in Q.scale[-1].label.casefold()
    assert Q.line_numbers == [1, 2, 3]
    assert all(ln.key_question.endswith("?") for ln in Q.lines)
    assert [(b.min, b.max) for b in Q.combined.bands] == [(1, 4), (5, 7), (8, 11), (12, 15)]
    red = Q.combined.bands[0]
    assert Q.combined.red_band == red.name == "Red" and red.colour == "#d7191c"
    assert Q.reachable_scores == list(range(3, 16))  # the 1-4 band can only hold 3 and 4
    assert Q.divergence.threshold == 2
    rule = Q.present_and_functioning
    assert (rule.require_all_complete, rule.max_red_items, rule.min_mean_combined) == (True, 0, 8)
    assert Q.applicability.not_suitable == ["fragmented"]


# ---- combined scores and bands -------------------------------------------------------------------------


def test_guides_worked_example_3_1_3_gives_7_in_the_5_to_7_band(tmp_path):
    result = _assess(tmp_path, {"P01-01": (3, 1, 3)})
    item = _item(result, "P01-01")
    assert item["combined_score"] == 7
    assert item["band"] == "Amber" and item["band_colour"] == "#f0a30a"
    band = Q.band_for(7)
    assert (band.min, band.max) == (5, 7)
    assert bool(item["complete"]) is True
    # risk management stands two points below the other lines
    assert bool(item["divergent"]) is True and item["spread"] == 2
    assert item["stands_apart"] == "Risk management (line 2)"


@pytest.mark.parametrize("ratings, score, band", [
    ((1, 1, 1), 3, "Red"), ((2, 1, 1), 4, "Red"), ((1, 2, 2), 5, "Amber"), ((3, 2, 2), 7, "Amber"),
    ((3, 3, 2), 8, "Yellow"), ((4, 4, 3), 11, "Yellow"), ((4, 4, 4), 12, "Green"), ((5, 5, 5), 15, "Green"),
])
def test_band_edges(tmp_path, ratings, score, band):
    item = _item(_assess(tmp_path, {"P03-01": ratings}), "P03-01")
    assert (item["combined_score"], item["band"]) == (score, band)


def test_item_missing_a_line_is_incomplete_never_summed(tmp_path):
    path = write_csv(tmp_path / "r.csv", HEADER + "P04-01,1,5,,\nP04-01,2,5,,\n"
                     "P04-02,1,4,,\nP04-02,2,4,,\nP04-02,3,,Audit,not in scope this year\n")
    result = coso.assess(LOADED, coso.load_responses(path, Q))
    for item_id in ("P04-01", "P04-02"):
        item = _item(result, item_id)
        assert bool(item["complete"]) is False
        assert pd.isna(item["combined_score"]) and item["band"] is None
        assert item["missing_lines"] == "3"
        assert bool(item["divergent"]) is False
    assert "not in scope" in _item(result, "P04-02")["comments"]
    summary = coso.coso_summary(result, "Org", "2025")
    p0401 = next(i for i in summary["items"] if i["item_id"] == "P04-01")
    assert p0401["ratings"] == {"1": 5, "2": 5, "3": None}
    assert p0401["combined_score"] is None and p0401["band"] is None and p0401["complete"] is False
    p4 = _principle(result, 4)
    assert p4["status"] == coso.INCOMPLETE and p4["present_and_functioning"] is None
    assert p4["complete_items"] == 0 and pd.isna(p4["mean_combined"])


# ---- divergence ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("ratings, divergent, apart", [
    ((4, 2, 2), True, "Management (line 1)"),
    ((4, 4, 2), True, "Internal audit (line 3)"),
    ((1, 3, 5), True, coso.NO_SINGLE_LINE),  # equally far either side of the middle
    ((4, 3, 2), True, coso.NO_SINGLE_LINE),
    ((1, 2, 4), True, "Internal audit (line 3)"),
    ((3, 2, 2), False, None),
    ((3, 3, 3), False, None),
])
def test_divergence_names_the_line_that_stands_apart(tmp_path, ratings, divergent, apart):
    item = _item(_assess(tmp_path, {"P10-01": ratings}), "P10-01")
    assert bool(item["divergent"]) is divergent
    assert item["stands_apart"] == apart
    assert item["spread"] == max(ratings) - min(ratings)


def test_divergence_threshold_is_a_parameter(tmp_path):
    rows = {"P10-01": (4, 2, 2), "P10-02": (5, 2, 2)}
    default = _assess(tmp_path, rows)
    assert default.divergence_threshold == 2
    assert default.divergent["item_id"].tolist() == ["P10-01", "P10-02"]
    strict = _assess(tmp_path, rows, divergence_threshold=3)
    assert strict.divergence_threshold == 3
    assert strict.divergent["item_id"].tolist() == ["P10-02"]


def test_incomplete_item_is_never_divergent(tmp_path):
    item = _item(_assess(tmp_path, {"P10-01": (5, 1, None)}), "P10-01")
    assert bool(item["divergent"]) is False and item["stands_apart"] is None


# ---- roll-ups and the present-and-functioning rule ----------------------------------------------------


def test_principle_rollup_counts_complete_items_only(tmp_path):
    # principle 8: two complete items (one red), one incomplete
    result = _assess(tmp_path, {"P08-01": (3, 3, 3), "P08-02": (2, 1, 1), "P08-03": (4, 4, None)})
    p8 = _principle(result, 8)
    assert (p8["items"], p8["complete_items"], p8["red_items"]) == (3, 2, 1)
    assert p8["completeness"] == pytest.approx(2 / 3, abs=1e-4)
    assert p8["mean_combined"] == pytest.approx((9 + 4) / 2)
    assert p8["min_combined"] == 4
    assert p8["status"] == coso.INCOMPLETE and p8["present_and_functioning"] is None
    ra = result.components.set_index("component_id").loc["RA"]
    assert (ra["items"], ra["complete_items"], ra["red_items"]) == (len([i for i in Q.items
                                                                          if i.principle in (6, 7, 8, 9)]), 2, 1)
    assert ra["mean_combined"] == pytest.approx(6.5)


@pytest.mark.parametrize("rows, expected", [
    ({"P03-01": (3, 3, 2), "P03-02": (3, 3, 2), "P03-03": (3, 3, 2)}, True),  # mean exactly 8
    ({"P03-01": (4, 4, 4), "P03-02": (4, 4, 4), "P03-03": (1, 2, 1)}, False),  # mean 9.3 but one red item
    ({"P03-01": (3, 2, 2), "P03-02": (3, 3, 2), "P03-03": (3, 3, 2)}, False),  # mean 7.67
    ({"P03-01": (5, 5, 5), "P03-02": (5, 5, 5), "P03-03": (5, 5, None)}, None),  # incomplete
])
def test_present_and_functioning_rule(tmp_path, rows, expected):
    p3 = _principle(_assess(tmp_path, rows), 3)
    assert p3["present_and_functioning"] is expected
    assert p3["assessed"]


def test_principle_without_items_is_not_assessed(tmp_path):
    result = _assess(tmp_path, {"P01-01": (3, 3, 3)})
    p9 = _principle(result, 9)
    assert bool(p9["assessed"]) is False and p9["present_and_functioning"] is None
    assert p9["status"] == coso.NOT_ASSESSED and pd.isna(p9["completeness"])
    assert any("Principle 9" in w and "not assessed" in w for w in result.warnings)
    entry = next(p for p in coso.coso_summary(result, "O", "P")["principles"] if p["principle"] == 9)
    assert entry == {"principle": 9, "name": Q.principle(9).name, "component": "Risk assessment",
                     "assessed": False, "mean_combined": None, "present_and_functioning": None}


def test_overall_picture_counts_principles_by_status(tmp_path):
    rows = {i.id: (4, 3, 3) for i in Q.items if i.principle in (1, 2)}
    rows |= {i.id: (1, 1, 2) for i in Q.items if i.principle == 8}
    result = _assess(tmp_path, rows)
    assert result.overall == {"principles": 17, coso.PRESENT: 2, coso.NOT_PRESENT: 1, coso.INCOMPLETE: 13,
                              coso.NOT_ASSESSED: 1}
    assert "present and functioning 2, not present and functioning 1, incomplete 13, not assessed 1" in \
        coso.key_figures(result)


# ---- the Karoo Vale example ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def karoo():
    params = load_file(EXAMPLE_PARAMS, coso.CosoParams, SHARED_FIELDS)
    return params, coso.run_coso_assessment(params)


def test_example_key_figures_match_the_expected_file(karoo):
    _, result = karoo
    assert coso.key_figures(result) + "\n" == EXPECTED.read_text(encoding="utf-8")


def test_example_figures_recounted_by_hand_from_the_csv(karoo):
    _, result = karoo
    with EXAMPLE_CSV.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ratings: dict[str, dict[str, int]] = {}
    for r in rows:
        if r["Rating"]:
            ratings.setdefault(r["Item"], {})[r["Line of assurance"]] = int(r["Rating"])
    complete = {k: v for k, v in ratings.items() if len(v) == 3}
    totals = {k: sum(v.values()) for k, v in complete.items()}
    red = sorted(k for k, t in totals.items() if t <= 4)
    divergent = sorted(k for k, v in complete.items() if max(v.values()) - min(v.values()) >= 2)
    figures = coso.key_figures(result)
    assert f"complete {len(complete)} |" in figures
    assert f"incomplete {76 - len(complete)} |" in figures
    assert f"Red {len(red)}," in figures and f"Green {sum(t >= 12 for t in totals.values())} |" in figures
    assert f"divergent {len(divergent)} |" in figures
    assert result.red["item_id"].tolist() == red
    assert result.divergent["item_id"].tolist() == divergent
    p1 = [t for k, t in totals.items() if k.startswith("P01-")]
    assert _principle(result, 1)["mean_combined"] == pytest.approx(round(statistics.mean(p1), 2))
    # the guide's worked example is part of the example data
    assert _item(result, "P01-01")["combined_score"] == 7


def test_example_respondents_and_warnings(karoo):
    params, result = karoo
    # the status comes from the shared file's maturity marks, through the maturity library
    assert params.maturity_status is None and params.marks and coso.maturity_of(params) == "integrated"
    assert params.questionnaire == NAME
    assert result.respondents["respondents"].str.len().gt(0).all()
    assert result.respondents["items_rated"].tolist() == [75, 74, 74]
    assert not any(w.startswith("Maturity status") for w in result.warnings)
    assert any("5 of 76 items are incomplete" in w for w in result.warnings)


# ---- responses: reading and validation ----------------------------------------------------------------


def test_header_aliases_and_line_spellings(tmp_path):
    text = ("Item,Line of assurance,Score,Rated by,Evidence\n"
            "p01-01,1st,3,Ann,code signed\n"
            "P01-01,LOA 2,1,Ben,\n"
            "P01-01,Internal audit,3,Cas,IA-2025-03\n"
            "P01-02,first line,Documented only,Ann,\n"
            "P01-02,second line of assurance,2,Ben,\n"
            "P01-02,3rd line,3.0,Cas,\n")
    responses = coso.load_responses(write_csv(tmp_path / "r.csv", text), Q)
    f = responses.frame
    assert f["item_id"].tolist() == ["P01-01"] * 3 + ["P01-02"] * 3
    assert f["line"].tolist() == [1, 2, 3, 1, 2, 3]
    assert f["rating"].tolist() == [3, 1, 3, 2, 2, 3]
    assert f["row"].tolist() == [2, 3, 4, 5, 6, 7]
    assert f.loc[0, "respondent"] == "Ann" and f.loc[2, "comment"] == "IA-2025-03"


def test_broken_responses_report_every_problem_with_the_users_rows(tmp_path):
    text = ("Karoo Vale COSO responses,,,,\n"
            "Item,Line,Rating,Respondent,Comment\n"
            "P01-01,1,3,Ann,\n"          # row 3 fine
            "P99-01,1,3,Ann,\n"          # row 4 unknown item
            "P01-02,4,3,Ann,\n"          # row 5 line not 1-3
            "P01-03,1,6,Ann,\n"          # row 6 rating outside 1-5
            "P01-04,1,3.5,Ann,\n"        # row 7 not an integer
            "P01-01,1,2,Ann,\n"          # row 8 duplicate of row 3
            ",2,3,Ben,\n"                # row 9 no item
            "P01-05,2,0,Ben,\n")         # row 10 rating 0
    path = write_csv(tmp_path / "broken.csv", text)
    with pytest.raises(InputError) as info:
        coso.load_responses(path, Q)
    err = info.value
    found = {(p.row, p.column): p for p in err.problems}
    assert set(found) == {(4, "item_id"), (5, "line"), (6, "rating"), (7, "rating"), (3, "item_id"),
                          (8, "item_id"), (9, "item_id"), (10, "rating")}
    assert str(err).startswith("8 problems found")
    assert all(p.file == str(path) for p in err.problems)
    assert found[(4, "item_id")].value == "P99-01" and "P01-01" in found[(4, "item_id")].expected
    assert found[(5, "line")].value == "4" and "1-3" in found[(5, "line")].expected
    assert found[(6, "rating")].value == "6" and "1-5" in found[(6, "rating")].expected
    assert found[(7, "rating")].value == "3.5" and "whole-number" in found[(7, "rating")].expected
    for row in (3, 8):
        assert "rows 3, 8" in found[(row, "item_id")].expected
    assert "required" in found[(9, "item_id")].expected
    assert [p.row for p in err.problems] == sorted(p.row for p in err.problems)


def test_close_item_id_is_suggested(tmp_path):
    problems = _problems(write_csv(tmp_path / "r.csv", HEADER + "P01-O6,1,3,,\n"))
    assert len(problems) == 1 and "did you mean 'P01-06'?" in problems[0].expected


def test_missing_required_column_is_reported_at_the_header_row(tmp_path):
    problems = _problems(write_csv(tmp_path / "r.csv", "item_id,respondent\nP01-01,Ann\n"))
    missing = {(p.row, p.column, p.value) for p in problems}
    assert missing == {(1, "line", "(missing)"), (1, "rating", "(missing)")}


def test_header_only_file_is_valid_and_everything_is_incomplete(tmp_path):
    responses = coso.load_responses(write_csv(tmp_path / "r.csv", HEADER), Q)
    assert responses.frame.empty
    result = coso.assess(LOADED, responses)
    assert not result.items["complete"].any()
    assert result.overall[coso.INCOMPLETE] == 16 and result.overall[coso.NOT_ASSESSED] == 1
    assert coso.key_figures(result).startswith("items 76 | complete 0 | incomplete 76 |")


def test_no_responses_file_means_everything_incomplete(tmp_path):
    params = coso.CosoParams(organisation="O", period="P", as_of="2025-11-30")
    result = coso.run_coso_assessment(params)
    assert result.responses_file is None and not result.items["complete"].any()
    assert any("No responses file" in w for w in result.warnings)


def test_xlsx_responses_on_a_named_sheet(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Ratings")
    sheet.append(["Item", "Line of assurance", "Score", "Respondent"])
    sheet.append(["P12-01", 1, 4.0, "Ann"])
    sheet.append(["P12-01", 2, 4, "Ben"])
    sheet.append(["P12-01", 3, 3, "Cas"])
    sheet.append(["P12-02", 3, 2.5, "Cas"])
    path = tmp_path / "r.xlsx"
    book.save(path)
    with pytest.raises(InputError) as info:
        coso.load_responses(path, Q, sheet="Ratings")
    assert [(p.row, p.column, p.value) for p in info.value.problems] == [(5, "rating", "2.5")]
    sheet.delete_rows(5)
    book.save(path)
    result = coso.assess(LOADED, coso.load_responses(path, Q, sheet="Ratings"))
    assert _item(result, "P12-01")["combined_score"] == 11


def test_a_table_built_elsewhere_validates_the_same_way():
    # a store builds the Table itself: cells may be numbers or None, rows are its own
    frame = pd.DataFrame({ROW: [10, 11, 12, 13], "item_id": ["P17-01", "P17-01", "P17-01", "P17-02"],
                          "line": [1, 2, 3, 9], "rating": [3, 4.0, None, 2], "respondent": ["A", None, "C", "A"],
                          "comment": [None, None, None, None]})
    with pytest.raises(InputError) as info:
        coso.validate_responses(Table("store:responses", frame, 0), Q)
    assert [(p.file, p.row, p.column) for p in info.value.problems] == [("store:responses", 13, "line")]
    params = coso.CosoParams(organisation="O", period="P", as_of="2025-11-30")
    result = coso.run_coso_assessment(params, responses_table=Table("store:responses", frame.iloc[:3], 0))
    item = _item(result, "P17-01")
    assert (item["rating_1"], item["rating_2"]) == (3, 4) and pd.isna(item["rating_3"])


# ---- an organisation's own questionnaire ---------------------------------------------------------------


def test_own_questionnaire_adds_rewords_and_removes_items(tmp_path):
    data = _shipped_data()
    data["name"] = "karoo-vale-coso"
    data["items"].append({"id": "P09-01", "principle": 9, "text": "Changes in laws, leadership and funding are "
                          "assessed for their effect on internal control.", "seed_ref": ""})
    data["items"] = [i for i in data["items"] if i["id"] != "P15-01"]
    data["items"][0]["text"] = "Our own wording of the code of conduct item."
    path = _write_yaml(tmp_path, data)
    loaded = coso.load_questionnaire(str(path))
    assert loaded.provenance()["name"] == "karoo-vale-coso" and loaded.sha256 != LOADED.sha256
    result = _assess(tmp_path, {"P09-01": (3, 3, 3)}, loaded=loaded)
    p9 = _principle(result, 9)
    assert bool(p9["assessed"]) is True and p9["present_and_functioning"] is True
    p15 = _principle(result, 15)
    assert p15["status"] == coso.NOT_ASSESSED
    assert _item(result, "P01-01")["text"].startswith("Our own wording")
    # a rating for a removed item is refused
    problems = _problems(write_csv(tmp_path / "old.csv", HEADER + "P15-01,1,3,,\n"), loaded.questionnaire)
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "item_id", "P15-01")]
    # the parameters accept a path to the organisation's file, relative to the parameters folder
    params = coso.CosoParams(organisation="O", period="P", as_of="2025-11-30", questionnaire="own.yaml",
                             parameters_dir=str(tmp_path))
    assert coso.run_coso_assessment(params).q.name == "karoo-vale-coso"


def test_own_rule_may_judge_on_complete_items(tmp_path):
    data = _shipped_data()
    data["present_and_functioning"].update({"require_all_complete": False, "min_mean_combined": 9})
    loaded = coso.load_questionnaire(_write_yaml(tmp_path, data))
    result = _assess(tmp_path, {"P03-01": (3, 3, 3), "P03-02": (3, 3, 3), "P03-03": (5, 5, None),
                                "P12-01": (3, 3, 2)}, loaded=loaded)
    assert _principle(result, 3)["present_and_functioning"] is True  # judged on the two complete items
    assert _principle(result, 12)["present_and_functioning"] is False  # mean 8 below 9


@pytest.mark.parametrize("change, message", [
    (lambda d: d["items"].append({"id": "P18-01", "principle": 18, "text": "x"}), "principle 18 is not listed"),
    (lambda d: d["items"].append(dict(d["items"][0])), "item id 'P01-01' is used twice"),
    (lambda d: d["principles"].pop(), "principle 17 is not listed"),
    (lambda d: d["combined"]["bands"].pop(1), "5-7 fall in no band"),
    (lambda d: d["combined"].update(red_band="Crimson"), "red_band 'Crimson'"),
    (lambda d: d.update(colour_scheme="x"), "colour_scheme"),
    (lambda d: d["lines"].pop(0), "lines must be numbered 1..2"),
    (lambda d: d["principles"][0].update(component="XX"), "component 'XX'"),
])
def test_inconsistent_questionnaire_is_refused_naming_the_file(tmp_path, change, message):
    data = _shipped_data()
    change(data)
    text = _refused(tmp_path, data)
    assert str(tmp_path / "own.yaml") in text
    assert message in text


def test_questionnaire_yaml_is_loaded_safely(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['echo hi']\n", encoding="utf-8")
    with pytest.raises(coso.QuestionnaireError, match="not readable YAML"):
        coso.load_questionnaire(path)
    with pytest.raises(coso.QuestionnaireError, match="neither a shipped name"):
        coso.load_questionnaire("no-such-questionnaire")


# ---- parameters and applicability ---------------------------------------------------------------------


@pytest.mark.parametrize("given, stored", [("Risk-Intelligent", "risk intelligent"), ("FRAGMENTED", "fragmented"),
                                           (None, None)])
def test_maturity_status_is_normalised(given, stored):
    params = coso.CosoParams(organisation="O", period="P", as_of="2025-11-30", maturity_status=given)
    assert params.maturity_status == stored


def test_bad_parameters_are_refused():
    namespace = {"organisation": "O", "period": "P", "as_of": "2025-11-30", "maturity_status": "chaotic",
                 "divergence_threshold": 0, "responsez": "x.csv"}
    with pytest.raises(ParameterError) as info:
        from_namespace(namespace, coso.CosoParams)
    text = str(info.value)
    assert "maturity_status" in text and "divergence_threshold" in text and "did you mean 'responses'" in text


def test_fragmented_status_puts_the_applicability_warning_first(tmp_path):
    result = _assess(tmp_path, {"P01-01": (3, 3, 3)}, maturity_status="fragmented")
    assert result.warnings[0].startswith("Maturity status fragmented")
    assert "integrated or risk intelligent" in result.warnings[0]
    narrative = coso.opening_narrative(result, "O", "P")
    assert narrative.index("Applicability warning") < narrative.index("questionnaire holds")
    for status in ("integrated", "risk intelligent", None):
        ok = _assess(tmp_path, {"P01-01": (3, 3, 3)}, maturity_status=status)
        assert not any(w.startswith("Maturity status") for w in ok.warnings)
    with pytest.raises(ValueError, match="maturity status"):
        _assess(tmp_path, {}, maturity_status="basic")


# ---- outputs -------------------------------------------------------------------------------------------


def test_json_summary_contract(karoo):
    _, result = karoo
    summary = json.loads(json.dumps(coso.coso_summary(result, "Karoo Vale Local Municipality", "2025-26")))
    assert list(summary) == ["assessment", "organisation", "period", "questionnaire", "items", "principles",
                             "warnings"]
    assert summary["assessment"] == "coso-assessment"
    assert summary["questionnaire"] == {"name": NAME, "version": Q.version, "sha256": LOADED.sha256}
    assert len(summary["items"]) == 76 and len(summary["principles"]) == 17
    assert all(set(i) == {"item_id", "principle", "component", "ratings", "combined_score", "band", "complete",
                          "divergent"} for i in summary["items"])
    assert all(set(i["ratings"]) == {"1", "2", "3"} for i in summary["items"])
    assert all(set(p) == {"principle", "name", "component", "assessed", "mean_combined",
                          "present_and_functioning"} for p in summary["principles"])
    p0101 = summary["items"][0]
    assert p0101 == {"item_id": "P01-01", "principle": 1, "component": "Control environment",
                     "ratings": {"1": 3, "2": 1, "3": 3}, "combined_score": 7, "band": "Amber", "complete": True,
                     "divergent": True}
    incomplete = [i for i in summary["items"] if not i["complete"]]
    assert len(incomplete) == 5 and all(i["combined_score"] is None and i["band"] is None for i in incomplete)
    p8 = summary["principles"][7]
    assert p8["present_and_functioning"] is False and isinstance(p8["mean_combined"], float)
    assert summary["warnings"] == result.warnings


def test_write_outputs_json_and_neutralised_excel(tmp_path):
    path = write_csv(tmp_path / "r.csv", HEADER + "P01-01,1,3,Ann,=HYPERLINK(\"http://x\")\n"
                     "P01-01,2,1,Ben,\nP01-01,3,3,Cas,\n")
    result = coso.assess(LOADED, coso.load_responses(path, Q))
    written = coso.write_outputs(result, "Org", "2025", tmp_path / "out")
    assert [p.name for p in written] == ["coso-assessment.json", "coso-assessment.xlsx"]
    assert json.loads(written[0].read_text())["items"][0]["combined_score"] == 7
    book = openpyxl.load_workbook(written[1])
    assert book.sheetnames == ["Items", "Principles", "Components", "Divergent", "Incomplete", "Respondents",
                               "Method", "Warnings"]
    items = list(book["Items"].iter_rows(values_only=True))
    header = items[0]
    row = dict(zip(header, items[1], strict=True))
    assert row["item_id"] == "P01-01" and row["combined_score"] == 7
    assert row["comments"] == 'Management: =HYPERLINK("http://x")'  # not at the start: never a formula
    assert book["Divergent"].max_row == 2 and book["Incomplete"].max_row == 76
    method = [r[0] for r in book["Method"].iter_rows(values_only=True)]
    assert sum(1 for m in method if str(m).startswith("note: ")) == len(Q.notes)


def test_formula_comment_cell_is_neutralised(tmp_path):
    path = write_csv(tmp_path / "r.csv", HEADER + "P01-01,1,3,=cmd|' /C calc'!A0,\n")
    result = coso.assess(LOADED, coso.load_responses(path, Q))
    tables = coso.result_tables(result)
    assert tables["Respondents"].loc[0, "respondents"].startswith("=cmd")
    out = coso.write_outputs(result, "O", "P", tmp_path / "o")[1]
    cell = openpyxl.load_workbook(out)["Respondents"]["D2"].value
    assert cell.startswith("'=cmd")


def test_narratives_escape_user_text_and_show_every_note(karoo):
    _, result = karoo
    text = coso.opening_narrative(result, "<b>Org</b> & *co*", "2025_26")
    assert "<b>" not in text and "&lt;b&gt;Org&lt;/b&gt;" in text and "&#42;co&#42;" in text
    assert "P08-02, P08-03" in text  # the red items by name
    note = coso.method_note(result)
    assert LOADED.sha256 in note
    for n in Q.notes:
        assert coso.esc(n.topic) in note
    guide = coso.rating_guide(result)
    assert all(coso.esc(ln.key_question) in guide for ln in Q.lines)
    assert "Principle 8" in coso.principles_narrative(result)
    assert "7" in coso.divergence_narrative(result)


# ---- charts --------------------------------------------------------------------------------------------


def test_charts_use_the_questionnaires_colours(karoo):
    _, result = karoo
    cells = charts_coso.grid_cells(result).set_index(["item_id", "column"])
    assert len(cells) == 76 * 4
    assert cells.loc[("P08-02", "Combined"), "colour"] == "#d7191c"  # red band
    assert cells.loc[("P01-01", "Risk management"), "colour"] == Q.scale[0].colour
    assert cells.loc[("P16-08", "Management"), "colour"] == charts_coso.NOT_RATED_COLOUR
    assert cells.loc[("P16-08", "Combined"), "text"] == "-"
    points = charts_coso.divergence_points(result)
    assert len(points) == 7 * 3 and points["apart"].sum() == 5  # two items have no single line apart
    for chart in (charts_coso.item_grid(result), charts_coso.principle_bars(result),
                  charts_coso.component_bars(result), charts_coso.divergence_chart(result)):
        spec = chart.to_dict()
        assert len(json.dumps(spec)) < 100_000
    bars = json.dumps(charts_coso.principle_bars(result).to_dict())
    assert all(b.colour in bars for b in Q.combined.bands)


def test_divergence_chart_without_divergent_items(tmp_path):
    result = _assess(tmp_path, {"P01-01": (3, 3, 3)})
    spec = charts_coso.divergence_chart(result).to_dict()
    assert "No divergent items" in json.dumps(spec)


# ---- the notebook --------------------------------------------------------------------------------------


def test_notebook_runs_the_example_and_writes_outputs(tmp_path):
    import papermill as pm

    out = tmp_path / "out.ipynb"
    params = load_file(EXAMPLE_PARAMS, coso.CosoParams, SHARED_FIELDS).model_dump(mode="json", exclude_none=True)
    params["output_dir"] = str(tmp_path / "outputs")
    pm.execute_notebook(str(ROOT / "notebooks" / "coso_assessment.ipynb"), str(out), kernel_name="python3",
                        parameters=params, progress_bar=False, cwd=str(ROOT / "notebooks"))
    assert EXPECTED.read_text(encoding="utf-8").strip() in out.read_text()
    assert sorted(p.name for p in (tmp_path / "outputs").iterdir()) == ["coso-assessment.json",
                                                                         "coso-assessment.xlsx"]


def test_notebook_shows_the_error_table_and_stops(tmp_path):
    import papermill as pm

    bad = write_csv(tmp_path / "bad.csv", HEADER + "P01-01,7,3,,\nP77-01,1,<i>x</i>,,\n")
    out = tmp_path / "out.ipynb"
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(ROOT / "notebooks" / "coso_assessment.ipynb"), str(out), kernel_name="python3",
                            parameters={"responses": str(bad)}, progress_bar=False, cwd=str(ROOT / "notebooks"))
    assert err.value.ename == "InputError"
    text = out.read_text()
    assert "problem(s) in the input; no report was produced" in text
    assert "&lt;i&gt;x&lt;/i&gt;" in text or "&amp;lt;i&amp;gt;" in text
    assert "items 76 |" not in text
