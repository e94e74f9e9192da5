"""COSO scoring: combined scores and bands (the guide's 3 + 1 + 3 = 7 example), incompleteness, divergence,
roll-ups, present and functioning, the applicability warning, the Karoo Vale example."""

from __future__ import annotations

import csv
import statistics

import pandas as pd
import pytest

from tests.assessments.coso.kit import (
    EXAMPLE_CSV,
    EXPECTED,
    HEADER,
    LOADED,
    NAME,
    Q,
    _assess,
    _item,
    _principle,
)
from tests.conftest import write_csv
from workbook_lib.assessments.coso import inputs, model, report, scoring
from workbook_lib.assessments.maturity.run import maturity_of

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
    result = scoring.assess(LOADED, inputs.load_responses(path, Q))
    for item_id in ("P04-01", "P04-02"):
        item = _item(result, item_id)
        assert bool(item["complete"]) is False
        assert pd.isna(item["combined_score"]) and item["band"] is None
        assert item["missing_lines"] == "3"
        assert bool(item["divergent"]) is False
    assert "not in scope" in _item(result, "P04-02")["comments"]
    summary = report.summary(result, "Org", "2025")
    p0401 = next(i for i in summary["items"] if i["item_id"] == "P04-01")
    assert p0401["ratings"] == {"1": 5, "2": 5, "3": None}
    assert p0401["combined_score"] is None and p0401["band"] is None and p0401["complete"] is False
    p4 = _principle(result, 4)
    assert p4["status"] == model.INCOMPLETE and p4["present_and_functioning"] is None
    assert p4["complete_items"] == 0 and pd.isna(p4["mean_combined"])


# ---- divergence ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("ratings, divergent, apart", [
    ((4, 2, 2), True, "Management (line 1)"),
    ((4, 4, 2), True, "Internal audit (line 3)"),
    ((1, 3, 5), True, model.NO_SINGLE_LINE),  # equally far either side of the middle
    ((4, 3, 2), True, model.NO_SINGLE_LINE),
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
    assert p8["status"] == model.INCOMPLETE and p8["present_and_functioning"] is None
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
    assert p9["status"] == model.NOT_ASSESSED and pd.isna(p9["completeness"])
    assert any("Principle 9" in w and "not assessed" in w for w in result.warnings)
    entry = next(p for p in report.summary(result, "O", "P")["principles"] if p["principle"] == 9)
    assert entry == {"principle": 9, "name": Q.principle(9).name, "component": "Risk assessment",
                     "assessed": False, "mean_combined": None, "present_and_functioning": None}


def test_overall_picture_counts_principles_by_status(tmp_path):
    rows = {i.id: (4, 3, 3) for i in Q.items if i.principle in (1, 2)}
    rows |= {i.id: (1, 1, 2) for i in Q.items if i.principle == 8}
    result = _assess(tmp_path, rows)
    assert result.overall == {"principles": 17, model.MET: 2, model.NOT_MET: 1, model.INCOMPLETE: 13,
                              model.NOT_ASSESSED: 1}
    assert ("rated in place and working on average 2, rated short of in place and working 1, incomplete 13, "
            "not assessed 1") in report.key_figures(result)


def test_fragmented_status_puts_the_applicability_warning_first(tmp_path):
    result = _assess(tmp_path, {"P01-01": (3, 3, 3)}, maturity_status="fragmented")
    assert result.warnings[0].startswith("Maturity status fragmented")
    assert "integrated or risk intelligent" in result.warnings[0]
    narrative = report.opening_narrative(result, "O", "P")
    assert narrative.index("Applicability warning") < narrative.index("questionnaire holds")
    for status in ("integrated", "risk intelligent", None):
        ok = _assess(tmp_path, {"P01-01": (3, 3, 3)}, maturity_status=status)
        assert not any(w.startswith("Maturity status") for w in ok.warnings)
    with pytest.raises(ValueError, match="maturity status"):
        _assess(tmp_path, {}, maturity_status="basic")


# ---- the Karoo Vale example ----------------------------------------------------------------------------


def test_example_key_figures_match_the_expected_file(karoo):
    _, result = karoo
    assert report.key_figures(result) + "\n" == EXPECTED.read_text(encoding="utf-8")


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
    figures = report.key_figures(result)
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
    assert params.maturity_status is None and params.marks and maturity_of(params) == "integrated"
    assert params.questionnaire == NAME
    assert result.respondents["respondents"].str.len().gt(0).all()
    assert result.respondents["items_rated"].tolist() == [75, 74, 74]
    assert not any(w.startswith("Maturity status") for w in result.warnings)
    assert any("5 of 76 items are incomplete" in w for w in result.warnings)
