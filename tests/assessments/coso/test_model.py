"""The shipped COSO questionnaire and an organisation's own: the guide's facts, every slip decision recorded,
consistency checks naming the file, safe YAML."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.assessments.coso.kit import (
    HEADER,
    LOADED,
    NAME,
    Q,
    _assess,
    _item,
    _principle,
    _problems,
    _refused,
    _shipped_data,
    _write_yaml,
)
from tests.conftest import write_csv
from workbook_lib.assessments.coso import inputs, model, run

# ---- the shipped questionnaire -------------------------------------------------------------------------


def test_shipped_questionnaire_lists_every_principle_once_in_its_component():
    assert NAME in model.shipped() and model.DEFAULT_QUESTIONNAIRE == NAME
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
                  "information and communication", "lowest band starts at 1", "what the ratings say about a principle",
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


# ---- an organisation's own questionnaire ---------------------------------------------------------------


def test_own_questionnaire_adds_rewords_and_removes_items(tmp_path):
    data = _shipped_data()
    data["name"] = "karoo-vale-coso"
    data["items"].append({"id": "P09-01", "principle": 9, "text": "Changes in laws, leadership and funding are "
                          "assessed for their effect on internal control.", "seed_ref": ""})
    data["items"] = [i for i in data["items"] if i["id"] != "P15-01"]
    data["items"][0]["text"] = "Our own wording of the code of conduct item."
    path = _write_yaml(tmp_path, data)
    loaded = model.load_questionnaire(str(path))
    assert loaded.provenance()["name"] == "karoo-vale-coso" and loaded.sha256 != LOADED.sha256
    result = _assess(tmp_path, {"P09-01": (3, 3, 3)}, loaded=loaded)
    p9 = _principle(result, 9)
    assert bool(p9["assessed"]) is True and p9["present_and_functioning"] is True
    p15 = _principle(result, 15)
    assert p15["status"] == model.NOT_ASSESSED
    assert _item(result, "P01-01")["text"].startswith("Our own wording")
    # a rating for a removed item is refused
    problems = _problems(write_csv(tmp_path / "old.csv", HEADER + "P15-01,1,3,,\n"), loaded.questionnaire)
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "item_id", "P15-01")]
    # the parameters accept a path to the organisation's file, relative to the parameters folder
    params = inputs.CosoParams(organisation="O", period="P", as_of="2025-11-30", questionnaire="own.yaml",
                             parameters_dir=str(tmp_path))
    assert run.run_coso_assessment(params).q.name == "karoo-vale-coso"


def test_own_rule_may_judge_on_complete_items(tmp_path):
    data = _shipped_data()
    data["present_and_functioning"].update({"require_all_complete": False, "min_mean_combined": 9})
    loaded = model.load_questionnaire(_write_yaml(tmp_path, data))
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
    (lambda d: d["present_and_functioning"].update(not_met="Incomplete"), "status 'Incomplete' is used twice"),
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
    with pytest.raises(model.QuestionnaireError, match="not readable YAML"):
        model.load_questionnaire(path)
    with pytest.raises(model.QuestionnaireError, match="neither a shipped name"):
        model.load_questionnaire("no-such-questionnaire")
