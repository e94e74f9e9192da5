"""`check_methodology`: valid files are described, refused ones list every problem in plain words; the guide
docs/methodologies.md names every field of the model and carries the example file verbatim."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from workbook_lib.assessments.risk.check import check_methodology, field_names
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.assessments.risk.methodology import Methodology, load_methodology
from workbook_lib.core.params import load_file

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "methodologies.md"
EXAMPLE = ROOT / "docs" / "examples" / "three-by-three.yaml"
SHIPPED = ["torbay-2004", "western-cape-5x5", "mopac-4-level"]


def _example() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict | str, name: str = "mine.yaml") -> str:
    path = tmp_path / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def _refused(tmp_path: Path, data: dict | str) -> list[str]:
    ok, text = check_methodology(_write(tmp_path, data))
    assert not ok
    assert "Traceback" not in text and "pydantic" not in text and "errors.pydantic.dev" not in text
    return text.splitlines()


def _problem_lines(lines: list[str]) -> list[str]:
    return [ln for ln in lines if ln.startswith("  - ")]


# ---- valid files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_methodologies_check_ok_with_their_matrix(name):
    ok, text = check_methodology(name)
    assert ok, text
    m = load_methodology(name).methodology
    loaded = load_methodology(name)
    assert m.title in text and f"{m.name} v{m.version}" in text and loaded.sha256[:12] in text
    lines = text.splitlines()
    # the matrix: highest likelihood first, each cell "score band"
    rows = [ln for ln in lines if any(ln.startswith(f"{lv.value} {lv.label}  ") for lv in m.likelihood)]
    assert rows[0].startswith(f"{m.likelihood[-1].value} {m.likelihood[-1].label}")
    for lv in m.likelihood:
        row = next(r for r in rows if r.startswith(f"{lv.value} {lv.label}  "))
        for s in m.score_grid[lv.value - 1]:
            assert f"{s} {m.band_for(s).name}" in row
    for banding in m.bandings.values():
        assert banding.title in text
        for b in banding.bands:
            assert b.name in text and b.decision_maker in text
    assert "Residual" in text


def test_control_factor_residual_and_probabilities_are_described():
    _, text = check_methodology("western-cape-5x5")
    assert "Fully effective 45%" in text and "rounded (ceil)" in text
    assert "5 Almost certain: exactly 100%" in text and "2 Unlikely: above 1% up to 10%" in text
    _, torbay = check_methodology("torbay-2004")
    assert "horizons differ" in torbay and "refused" in torbay


def test_example_checks_ok_loads_and_covers_its_reachable_scores():
    ok, text = check_methodology(str(EXAMPLE))
    assert ok, text
    m = load_methodology(EXAMPLE).methodology
    assert (len(m.likelihood), len(m.impact)) == (3, 3)
    assert m.scoring.rule == "product" and m.residual.rule == "rerated"
    assert m.reachable_scores == [1, 2, 3, 4, 6, 9]
    bands = m.banding().bands
    assert min(b.min for b in bands) == 1 and max(b.max for b in bands) == 9
    for s in range(1, 10):
        assert sum(b.min <= s <= b.max for b in bands) == 1
    assert m.impact_money is not None and len(m.impact_money.upper_bounds) == 2
    assert m.notes
    assert "Reachable scores: 1-4, 6, 9" in text
    assert "3 Major above 50,000" in text


def test_example_is_usable_from_a_parameters_file_path(tmp_path, monkeypatch):
    # the guide's layout: parameters/ next to docs/; the path is read relative to the parameters file
    (tmp_path / "docs" / "examples").mkdir(parents=True)
    (tmp_path / "docs" / "examples" / EXAMPLE.name).write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "parameters").mkdir()
    params_file = tmp_path / "parameters" / "my-charity.yaml"
    params_file.write_text("organisation: Riverside Community Trust\nperiod: 2025-26\nas_of: 2025-09-30\n"
                           "methodology: ../docs/examples/three-by-three.yaml\nregister: registers/r.csv\n",
                           encoding="utf-8")
    monkeypatch.chdir(ROOT / "workbook_lib")  # not the parameters folder
    params = load_file(params_file, RiskEvaluationParams)
    loaded = load_methodology(params.methodology_ref())
    assert loaded.methodology.name == "small-charity-3x3"
    assert loaded.path == (tmp_path / "docs" / "examples" / EXAMPLE.name).resolve()


# ---- refused files --------------------------------------------------------------------------------


def test_scoring_as_a_word_names_scoring_and_the_fix(tmp_path):
    data = _example()
    data["scoring"] = "product"
    lines = _problem_lines(_refused(tmp_path, data))
    assert len(lines) == 1
    assert lines[0].startswith("  - scoring:") and "scoring: {rule: product}" in lines[0]


def test_band_gap_lists_the_uncovered_scores(tmp_path):
    data = _example()
    data["bandings"]["board"]["bands"][1]["max"] = 3  # Medium 3-3 leaves 4 (reachable) out
    lines = _problem_lines(_refused(tmp_path, data))
    assert any(ln.startswith("  - bandings > board > bands:") and "reachable scores 4 fall in no band" in ln
               for ln in lines), lines


def test_band_overlap_and_every_banding_are_reported(tmp_path):
    data = _example()
    second = copy.deepcopy(data["bandings"]["board"])
    second["bands"][2]["min"] = 5  # High 5-9 overlaps Medium 3-5 on 5
    data["bandings"]["second"] = second
    data["bandings"]["board"]["bands"][2]["min"] = 7  # 6 uncovered
    text = "\n".join(_refused(tmp_path, data))
    assert "bandings > board > bands: reachable scores 6 fall in no band" in text
    assert "bandings > second > bands: bands 'Medium' (3-5) and 'High' (5-9) overlap on 5-5" in text


def test_two_problems_are_both_listed(tmp_path):
    data = _example()
    data["likelihood"][1]["value"] = 3
    del data["residual"]
    lines = _refused(tmp_path, data)
    problems = _problem_lines(lines)
    assert len(problems) == 2 and "2 problems" in lines[0]
    assert any(ln.startswith("  - likelihood:") and "1..3" in ln and "[1, 3, 3]" in ln for ln in problems)
    assert any(ln.startswith("  - residual:") and "missing" in ln and "residual: {rule: rerated}" in ln
               for ln in problems)


def test_paths_name_the_field_in_user_terms(tmp_path):
    data = _example()
    data["bandings"]["board"]["bands"][1]["max"] = "five"
    data["bandings"]["board"]["bands"][0]["decision-maker"] = data["bandings"]["board"]["bands"][0].pop(
        "decision_maker")
    data["version"] = 2.0
    problems = _problem_lines(_refused(tmp_path, data))
    assert any(ln.startswith("  - bandings > board > bands > 2 > max:") and "'five'" in ln for ln in problems)
    assert any("bands > 1 > decision-maker:" in ln and "decision_maker" in ln for ln in problems)
    assert any(ln.startswith("  - version:") and 'version: "2.0"' in ln for ln in problems)
    assert not any("Input should" in ln or "instance of" in ln for ln in problems)


def test_unquoted_colour_gets_the_quoting_hint(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8").replace('colour: "#2e9e44"', "colour: #2e9e44")
    problems = _problem_lines(_refused(tmp_path, text))
    assert problems == ['  - bandings > board > bands > 1 > colour: is empty - put the colour in quotes, '
                        'e.g. colour: "#d7191c" (an unquoted # starts a comment)']


def test_missing_file_is_one_clear_line(tmp_path):
    ok, text = check_methodology(str(tmp_path / "nowhere.yaml"))
    assert not ok
    assert len(text.splitlines()) == 1
    assert "nowhere.yaml" in text and "Traceback" not in text


def test_yaml_syntax_error_is_one_line_with_its_place(tmp_path):
    lines = _refused(tmp_path, "name: x\nversion: '1'\ntitle: Risk: our method\n")
    assert len(lines) == 1
    assert re.search(r"not readable YAML at line 3, column \d+", lines[0]) and "in quotes" in lines[0]


def test_empty_file_is_one_line(tmp_path):
    assert _refused(tmp_path, "") == [f"{tmp_path / 'mine.yaml'}: the file is empty"]


# ---- the guide ------------------------------------------------------------------------------------


def test_guide_names_every_field_of_the_model():
    doc = DOC.read_text(encoding="utf-8")
    names = field_names(Methodology)
    assert {"upper_bounds", "decision_maker", "horizon", "factor"} <= names  # nested models are walked
    assert {"probability", "horizon", "grid", "register_destination", "upper_bounds", "decision"} <= names
    missing = sorted(n for n in names if f"`{n}`" not in doc)
    assert not missing, f"docs/methodologies.md does not describe: {missing}"


def test_guide_carries_the_example_file_verbatim():
    doc = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", doc, flags=re.S)
    assert EXAMPLE.read_text(encoding="utf-8") in blocks
    assert "workbook methodology check docs/examples/three-by-three.yaml" in doc
    assert "methodology: ../docs/examples/three-by-three.yaml" in doc
