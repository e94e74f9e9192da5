"""Coverage levels at their edges (one risk and many at once) and the required-coverage mapping."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.assessments.assurance.kit import _map, _risks, _with
from workbook_lib.assessments.assurance.model import LoadedFramework, load_assurance_framework
from workbook_lib.assessments.assurance.providers import Provider, merge_providers
from workbook_lib.assessments.assurance.rules import coverage_level, resolve_required
from workbook_lib.assessments.assurance.scoring import analyse
from workbook_lib.core.params import ParameterError


# ---- coverage --------------------------------------------------------------------------------------
@pytest.mark.parametrize("given_, expected", [
    ([], "none"),
    ([(1, False, 0)], "none"),  # listed with a blank frequency: no activity
    ([(1, False, 12)], "inadequate"),  # the first line alone
    ([(1, False, 12), (1, False, 250)], "inadequate"),  # two first-line providers are still one line
    ([(3, True, 1)], "inadequate"),  # independent assurance alone is a single line
    ([(3, True, 1), (3, True, 4)], "inadequate"),  # internal and external audit: one line
    ([(1, False, 12), (2, False, 4)], "moderate"),
    ([(1, False, 12), (3, False, 1)], "moderate"),  # a third-line provider that is not independent
    ([(1, False, 12), (2, False, 0), (3, True, 0)], "inadequate"),  # blank rows never count
    ([(1, False, 12), (3, True, 1)], "extensive"),  # annual independent assurance plus another line: the edge
    ([(2, False, 365), (3, True, 4)], "extensive"),
])
def test_coverage_levels_at_their_edges(fw, given_, expected):
    assert coverage_level(given_, fw.framework) == expected


def test_min_frequency_below_annual_does_not_count_for_extensive(fw, tmp_path):
    def add_triennial(d):
        d["frequencies"].insert(0, {"code": "T", "name": "every three years", "per_year": 0.34})
    custom = load_assurance_framework(_with(fw, tmp_path, add_triennial)).framework
    assert coverage_level([(1, False, 12), (3, True, 0.34)], custom) == "moderate"
    assert coverage_level([(1, False, 12), (3, True, 1)], custom) == "extensive"


@functools.cache
def _shipped() -> tuple[LoadedFramework, list[Provider]]:
    loaded = load_assurance_framework()
    return loaded, merge_providers(loaded.framework, None)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 7), st.sampled_from(
    ["", "A", "B", "Q", "M", "W", "D", "C"])), max_size=25))
def test_vectorised_coverage_agrees_with_the_rule(rows):
    loaded, providers = _shipped()
    seen, unique = set(), []
    for risk, p, code in rows:
        if (risk, providers[p].id) not in seen:
            seen.add((risk, providers[p].id))
            unique.append((risk, "c", providers[p].id, code))
    risks = _risks(("A", 20, "High", True), ("B", 10, "Medium", True), ("C", 2, "Low", True))
    amap = _map(unique, providers, loaded) if unique else None
    result = analyse(risks, amap, loaded, providers)
    freq = {f.code: f.per_year for f in loaded.framework.frequencies}
    by_id = {p.id: p for p in providers}
    for risk in "ABC":
        given_ = [(by_id[p].line, by_id[p].independent, freq.get(code, 0)) for r, _, p, code in unique if r == risk]
        got = result.risks.set_index("risk_id").loc[risk, "coverage"]
        assert got == coverage_level(given_, loaded.framework)


def test_required_coverage_by_rank_for_another_banding(fw, western_cape):
    levels = [b.name for b in western_cape.methodology.banding("risk-index").bands]
    rule, warnings = resolve_required(fw.framework, "residual_level", levels)
    assert rule.mapping == {"Index 5": "extensive", "Index 4": "moderate", "Index 3": "moderate",
                            "Index 2": "moderate", "Index 1": "moderate"}
    assert warnings and "by rank" in warnings[0]


def test_required_coverage_override_and_appetite(fw):
    levels = ["Low", "Medium", "High"]
    rule, _ = resolve_required(fw.framework, "residual_level", levels,
                                 {"low": "moderate", "MEDIUM": "extensive", "High": "extensive"})
    assert rule.mapping == {"Low": "moderate", "Medium": "extensive", "High": "extensive"}
    with pytest.raises(ParameterError, match="does not have"):
        resolve_required(fw.framework, "residual_level", levels, {"Low": "moderate", "Severe": "extensive"})
    with pytest.raises(ParameterError, match="missing Medium, High"):
        resolve_required(fw.framework, "residual_level", levels, {"Low": "moderate"})
    with pytest.raises(ParameterError, match="coverage levels"):
        resolve_required(fw.framework, "residual_level", levels, {"Low": "plenty"})
    for never in ("inadequate", "none"):  # inadequate cover must be addressed: never a target
        with pytest.raises(ParameterError, match="never a target"):
            resolve_required(fw.framework, "residual_level", levels, {"Low": never, "Medium": "moderate",
                                                                      "High": "extensive"})
    rule, _ = resolve_required(fw.framework, "appetite", levels)
    assert rule.mapping == {"above": "extensive", "within": "moderate"}
    with pytest.raises(ParameterError, match="'above' and 'within'"):
        resolve_required(fw.framework, "appetite", levels, {"High": "extensive"})
