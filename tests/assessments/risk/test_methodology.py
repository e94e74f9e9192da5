"""Methodologies as data: the shipped files load with their facts, and inconsistent files are refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from workbook_lib.assessments.risk.methodology import MethodologyError, load_methodology, shipped
from workbook_lib.core.datafiles import normalise_label

SHIPPED = ["torbay-2004", "western-cape-5x5", "mopac-4-level", "western-cape-fragmented"]


def _shipped_data(name: str) -> dict:
    return yaml.safe_load(shipped()[name].read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict, name: str = "custom.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _refused(tmp_path: Path, data: dict) -> str:
    path = _write(tmp_path, data)
    with pytest.raises(MethodologyError) as info:
        load_methodology(path)
    return str(info.value)


# ---- shipped methodologies -------------------------------------------------------------------------


def test_shipped_lists_the_four_methodologies():
    files = shipped()
    assert set(files) == set(SHIPPED)
    for name, path in files.items():
        assert path.is_file()
        assert path.stem == name


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_methodology_loads_with_provenance(name):
    loaded = load_methodology(name)
    m = loaded.methodology
    assert m.name == name
    expected_sha = hashlib.sha256(shipped()[name].read_bytes()).hexdigest()
    assert loaded.sha256 == expected_sha
    assert loaded.provenance() == {"name": name, "version": m.version, "sha256": expected_sha}
    assert loaded.path == shipped()[name].resolve()


def test_loading_by_path_gives_the_same_hash_as_by_name(tmp_path):
    src = shipped()["mopac-4-level"]
    copy = tmp_path / "my-copy.yaml"
    copy.write_bytes(src.read_bytes())
    by_path = load_methodology(copy)
    assert by_path.sha256 == load_methodology("mopac-4-level").sha256
    assert by_path.path == copy.resolve()


def test_relative_path_resolves_against_base_dir(tmp_path):
    (tmp_path / "methods").mkdir()
    (tmp_path / "methods" / "m.yaml").write_bytes(shipped()["torbay-2004"].read_bytes())
    loaded = load_methodology("methods/m.yaml", base_dir=tmp_path)
    assert loaded.methodology.name == "torbay-2004"
    assert loaded.path == (tmp_path / "methods" / "m.yaml").resolve()


# ---- torbay-2004 -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torbay_m():
    return load_methodology("torbay-2004").methodology


@pytest.fixture(scope="module")
def wcape_m():
    return load_methodology("western-cape-5x5").methodology


@pytest.fixture(scope="module")
def mopac_m():
    return load_methodology("mopac-4-level").methodology


def test_torbay_scales_and_scores(torbay_m):
    assert [lv.value for lv in torbay_m.likelihood] == [1, 2, 3, 4, 5, 6]
    assert [lv.value for lv in torbay_m.impact] == [1, 2, 3, 4]
    assert torbay_m.max_score == 24
    assert torbay_m.score_grid == [[li * ii for ii in range(1, 5)] for li in range(1, 7)]
    assert len(torbay_m.score_grid) == 6 and all(len(row) == 4 for row in torbay_m.score_grid)
    # 7, 11, 13, 14, ... are not products of 1-6 x 1-4
    assert 7 not in torbay_m.reachable_scores and 11 not in torbay_m.reachable_scores
    assert torbay_m.reachable_scores == sorted({li * ii for li in range(1, 7) for ii in range(1, 5)})


@pytest.mark.parametrize("score, band", [
    (1, "Low"), (7, "Low"), (8, "Intermediate"), (12, "Intermediate"), (14, "Intermediate"),
    (15, "High"), (16, "High"), (24, "High"),
])
def test_torbay_band_for(torbay_m, score, band):
    assert torbay_m.band_for(score).name == band


@pytest.mark.parametrize("score", [0, 25, -3])
def test_band_for_outside_every_band_is_refused(torbay_m, score):
    with pytest.raises(MethodologyError, match=str(score)):
        torbay_m.band_for(score)


def test_unknown_banding_key_is_refused_naming_the_choices(wcape_m):
    with pytest.raises(MethodologyError) as info:
        wcape_m.band_for(5, banding="nope")
    assert "nope" in str(info.value)
    assert "rating-parameters" in str(info.value) and "risk-index" in str(info.value)


def test_torbay_decision_makers_and_destinations(torbay_m):
    low, mid, high = torbay_m.band_for(1), torbay_m.band_for(10), torbay_m.band_for(20)
    assert low.decision_maker == "Service Manager"
    assert "Council" in high.decision_maker
    assert "Directorate Risk Register" in mid.register_destination
    assert "Strategic Risk Register" in high.register_destination
    assert "Strategic Risk Register" not in low.register_destination


def test_torbay_impact_categories(torbay_m):
    assert len(torbay_m.impact_categories) == 7
    assert "Other" in torbay_m.impact_categories
    assert "Financial" in torbay_m.impact_categories
    financial = " ".join(lv.categories["Financial"] for lv in torbay_m.impact)
    for amount in ("3,000", "25,000", "100,000"):
        assert amount in financial
    # "Other" is a heading with no descriptors of its own
    assert all("Other" not in lv.categories for lv in torbay_m.impact)


def test_torbay_scale_lookup_uses_values_labels_and_aliases(torbay_m):
    lk = torbay_m.scale_lookup("likelihood")
    assert lk[normalise_label("Very significant")] == 6
    assert lk[normalise_label("VS")] == 6
    assert lk["1"] == 1
    assert torbay_m.scale_lookup("impact")[normalise_label("catastrophic")] == 4


# ---- western-cape-5x5 --------------------------------------------------------------------------------


def test_wcape_default_banding(wcape_m):
    bands = wcape_m.banding().bands
    assert [(b.name, b.min, b.max) for b in bands] == [("Low", 1, 8), ("Medium", 9, 12), ("High", 13, 25)]
    assert wcape_m.band_for(8).name == "Low"
    assert wcape_m.band_for(9).name == "Medium"
    assert wcape_m.band_for(13).name == "High"
    assert wcape_m.max_score == 25


def test_wcape_risk_index_banding(wcape_m):
    bands = wcape_m.banding("risk-index").bands
    assert [(b.min, b.max) for b in bands] == [(1, 4), (5, 9), (10, 14), (15, 19), (20, 25)]
    assert len(bands) == 5
    assert wcape_m.band_for(9, banding="risk-index").name == "Index 2"
    assert wcape_m.band_for(10, banding="risk-index").name == "Index 3"


def test_wcape_control_factors(wcape_m):
    labels = [c.label for c in wcape_m.control_effectiveness]
    assert labels == ["Fully effective", "Partially effective", "Ineffective", "Totally ineffective", "None"]
    factors = [c.factor for c in wcape_m.control_effectiveness]
    assert all(0 < f <= 1 for f in factors)
    assert factors == sorted(factors)
    # the guide re-rates after controls; the factors are the fallback for effectiveness-only registers
    assert (wcape_m.residual.rule, wcape_m.residual.fallback, wcape_m.uses_factor) == ("rerated", "control_factor",
                                                                                      True)


def test_wcape_effective_is_an_alias(wcape_m):
    lookup = wcape_m.control_lookup()
    assert lookup[normalise_label("Effective")].label == "Fully effective"
    assert lookup[normalise_label("effective")].factor == lookup[normalise_label("Fully effective")].factor
    assert "Effective" not in [c.label for c in wcape_m.control_effectiveness]


# ---- mopac-4-level -----------------------------------------------------------------------------------


def test_mopac_labels_and_lookup(mopac_m):
    for axis in ("likelihood", "impact"):
        assert [lv.label for lv in getattr(mopac_m, axis)] == ["Low", "Medium", "High", "Very High"]
        lookup = mopac_m.scale_lookup(axis)
        for spelling in ("VH", "very high", "4", "Very  High", "VERY HIGH"):
            assert lookup[normalise_label(spelling)] == 4, spelling
        assert lookup[normalise_label("med")] == 2
    assert mopac_m.reachable_scores == [1, 2, 3, 4, 6, 8, 9, 12, 16]


# ---- refusals ----------------------------------------------------------------------------------------


def test_gap_in_bands_is_refused_naming_the_missing_score(tmp_path):
    data = _shipped_data("torbay-2004")
    data["bandings"]["council"]["bands"][0]["max"] = 5  # Low 1-5: 6 is reachable (2x3, 3x2, 6x1)
    message = _refused(tmp_path, data)
    assert "gap" in message
    assert "6" in message
    assert "council" in message


def test_gap_lists_every_missing_reachable_score(tmp_path):
    data = _shipped_data("western-cape-5x5")
    data["bandings"]["risk-index"]["bands"][1]["max"] = 6  # 8 and 9 now fall in no band; 7 is unreachable
    message = _refused(tmp_path, data)
    assert "gap" in message and "risk-index" in message
    assert "8-9" in message


def test_overlap_in_bands_is_refused(tmp_path):
    data = _shipped_data("torbay-2004")
    data["bandings"]["council"]["bands"][0]["max"] = 9  # Low 1-9 and Intermediate 8-14
    message = _refused(tmp_path, data)
    assert "overlap" in message
    assert "Low" in message and "Intermediate" in message


def test_unknown_top_level_key_is_refused(tmp_path):
    data = _shipped_data("mopac-4-level")
    data["colour_scheme"] = "traffic lights"
    message = _refused(tmp_path, data)
    assert "colour_scheme" in message


def test_grid_of_wrong_shape_is_refused(tmp_path):
    data = _shipped_data("torbay-2004")
    data["scoring"] = {"rule": "grid", "grid": [[1, 2, 3, 4]] * 5}  # 5 rows, 6 likelihood levels
    message = _refused(tmp_path, data)
    assert "grid" in message
    assert "6 rows of 4" in message


def test_grid_with_product_rule_is_refused(tmp_path):
    data = _shipped_data("mopac-4-level")
    data["scoring"] = {"rule": "product", "grid": [[1] * 4] * 4}
    assert "grid" in _refused(tmp_path, data)


def test_non_contiguous_level_values_are_refused(tmp_path):
    data = _shipped_data("torbay-2004")
    data["likelihood"][2]["value"] = 7
    message = _refused(tmp_path, data)
    assert "likelihood" in message
    assert "1..6" in message


def test_band_colour_must_be_hex(tmp_path):
    data = _shipped_data("torbay-2004")
    data["bandings"]["council"]["bands"][0]["colour"] = "green"
    message = _refused(tmp_path, data)
    assert "colour" in message


def test_duplicate_alias_is_refused(tmp_path):
    data = _shipped_data("mopac-4-level")
    data["likelihood"][3]["aliases"] = ["H"]  # already High's alias
    message = _refused(tmp_path, data)
    assert "'H'" in message and "twice" in message


def test_undeclared_impact_category_is_refused(tmp_path):
    data = _shipped_data("torbay-2004")
    data["impact_categories"].remove("Financial")
    message = _refused(tmp_path, data)
    assert "Financial" in message


def test_unknown_default_banding_is_refused(tmp_path):
    data = _shipped_data("western-cape-5x5")
    data["default_banding"] = "table-99"
    message = _refused(tmp_path, data)
    assert "table-99" in message


def test_control_factor_rule_needs_a_control_scale(tmp_path):
    data = _shipped_data("western-cape-5x5")
    data["control_effectiveness"] = []
    message = _refused(tmp_path, data)
    assert "control_effectiveness" in message


@pytest.mark.parametrize("ref", ["no-such-methodology", "missing/file.yaml"])
def test_missing_file_or_unknown_name_lists_shipped_names(ref):
    with pytest.raises(MethodologyError) as info:
        load_methodology(ref)
    message = str(info.value)
    assert ref in message
    for name in SHIPPED:
        assert name in message


def test_missing_absolute_path_is_refused(tmp_path):
    with pytest.raises(MethodologyError, match="torbay-2004"):
        load_methodology(tmp_path / "absent.yaml")


def test_top_level_not_a_mapping_is_refused(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(MethodologyError, match="mapping"):
        load_methodology(path)


def test_non_utf8_yaml_is_refused(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes("title: caf\u00e9\n".encode("cp1252"))
    with pytest.raises(MethodologyError, match="not readable YAML"):
        load_methodology(path)


# ---- grid rule ---------------------------------------------------------------------------------------


def _grid_methodology() -> dict:
    return {
        "name": "custom-2x2",
        "version": "1",
        "title": "Two by two with a lookup grid",
        "likelihood": [{"value": 1, "label": "Unlikely"}, {"value": 2, "label": "Likely"}],
        "impact": [{"value": 1, "label": "Minor"}, {"value": 2, "label": "Major"}],
        "scoring": {"rule": "grid", "grid": [[1, 3], [2, 4]]},
        "default_banding": "main",
        "bandings": {"main": {"title": "Main", "bands": [
            {"name": "Low", "min": 1, "max": 2, "colour": "#00ff00"},
            {"name": "High", "min": 3, "max": 4, "colour": "#FF0000"},
        ]}},
        "residual": {"rule": "rerated"},
    }


def test_grid_rule_is_expressible(tmp_path):
    loaded = load_methodology(_write(tmp_path, _grid_methodology()))
    m = loaded.methodology
    assert m.scoring.rule == "grid"
    assert m.score_grid == [[1, 3], [2, 4]]
    assert m.reachable_scores == [1, 2, 3, 4]
    assert m.max_score == 4
    # likelihood 1 x impact 2 scores 3 under the grid, not the product 2
    assert m.band_for(m.score_grid[0][1]).name == "High"
    assert m.band_for(m.score_grid[1][0]).name == "Low"


def test_grid_bands_are_checked_against_grid_scores(tmp_path):
    data = _grid_methodology()
    data["scoring"]["grid"] = [[1, 3], [2, 5]]  # 5 is reachable under the grid but in no band
    message = _refused(tmp_path, data)
    assert "gap" in message and "5" in message


def test_grid_rule_without_grid_is_refused(tmp_path):
    data = _grid_methodology()
    del data["scoring"]["grid"]
    assert "2 rows of 2" in _refused(tmp_path, data)


# ---- safe YAML ---------------------------------------------------------------------------------------


def test_python_object_tag_is_refused_not_executed(tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / "evil.yaml"
    path.write_text(f'name: !!python/object/apply:os.system ["touch {marker}"]\nversion: "1"\n',
                    encoding="utf-8")
    with pytest.raises(MethodologyError, match="not readable YAML"):
        load_methodology(path)
    assert not marker.exists()


def test_python_object_tag_at_top_level_is_refused(tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / "evil.yaml"
    path.write_text(f'!!python/object/apply:os.system ["touch {marker}"]\n', encoding="utf-8")
    with pytest.raises(MethodologyError):
        load_methodology(path)
    assert not marker.exists()
