"""Combined assurance: framework data, map validation, coverage, required coverage, gaps, duplication,
scope, providers, maturity, the JSON contract and the shipped Karoo Vale example."""

from __future__ import annotations

import csv
import functools
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from workbook_lib.assessments import SHARED_FIELDS
from workbook_lib.assessments.assurance import analysis as a
from workbook_lib.assessments.assurance import charts as ca
from workbook_lib.core.errors import InputError
from workbook_lib.core.params import ParameterError, load_file
from workbook_lib.core.tables import ROW, Table

from .conftest import PARAMETERS, ROOT, write_csv

DRAFT = PARAMETERS / "karoo-vale-2025-26.yaml"
MAP_CSV = PARAMETERS / "assurance" / "karoo_vale_assurance_map_2025.csv"
EXPECTED = ROOT / "tests" / "expected" / "combined-assurance--karoo-vale-2025-26.txt"


@pytest.fixture(scope="module")
def fw() -> a.LoadedFramework:
    return a.load_assurance_framework()


@pytest.fixture(scope="module")
def providers(fw) -> list[a.Provider]:
    return a.merge_providers(fw.framework, None)


@pytest.fixture(scope="module")
def karoo() -> a.CombinedAssurance:
    return a.run_combined_assurance(load_file(DRAFT, a.CombinedAssuranceParams, SHARED_FIELDS))


def _bands(western_cape):
    return list(western_cape.methodology.banding().bands)


def _risks(*rows: tuple) -> pd.DataFrame:
    """(risk_id, residual_score, residual_level, above_appetite) rows."""
    return pd.DataFrame(rows, columns=["risk_id", "residual_score", "residual_level", "above_appetite"])


def _map(rows: list[tuple], providers, fw, file: str = "map.csv") -> a.AssuranceMap:
    """(risk_id, control, provider, frequency) rows, numbered from 2 as in a file with a header."""
    frame = pd.DataFrame(rows, columns=["risk_id", "control", "provider", "frequency"], dtype=object)
    frame.insert(0, ROW, range(2, len(rows) + 2))
    return a.validate_assurance_map(Table(file, frame, 1), providers, fw.framework.frequencies)


def _analyse(risks, rows, fw, providers, western_cape, **kw) -> a.CombinedAssurance:
    amap = _map(rows, providers, fw) if rows else a.empty_map()
    return a.analyse(risks, amap, fw, providers, bands=_bands(western_cape), **kw)


def _with(fw: a.LoadedFramework, tmp_path: Path, change) -> Path:
    data = yaml.safe_load(fw.path.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# ---- the framework as data -------------------------------------------------------------------------
def test_template_2_providers_by_line_and_frequency_codes(fw, providers):
    by_line = {n: [p.id for p in providers if p.line == n] for n in (1, 2, 3)}
    assert by_line == {1: ["management_controls", "internal_controls"],
                       2: ["risk_management", "performance_management", "compliance"],
                       3: ["internal_audit", "external_audit", "other"]}
    assert [p.id for p in providers if p.independent] == ["internal_audit", "external_audit", "other"]
    f = fw.framework
    assert {x.code: x.per_year for x in f.frequencies} == {"A": 1, "B": 2, "Q": 4, "M": 12, "W": 52, "D": 250,
                                                            "C": 365}
    assert [ln.line for ln in f.lines if ln.provides_assurance] == [1, 2, 3]
    assert [lv.name for lv in f.coverage] == ["extensive", "moderate", "inadequate", "none"]
    assert len(fw.sha256) == 64 and fw.provenance()["name"] == "combined-assurance"
    assert all(n.decision for n in f.notes)


@pytest.mark.parametrize("change, message", [
    (lambda d: d["providers"].append({"id": "council", "name": "Council", "line": 5}), "line that provides"),
    (lambda d: d["providers"].append({"id": "risk_management", "name": "RM 2", "line": 2}), "not already used"),
    (lambda d: d["providers"].append({"id": "ohs", "name": "OHS", "line": 2, "independent": True}), "independent"),
    (lambda d: d["coverage"][0]["any_of"][0].update(min_frequency="X"), "not a code"),
    (lambda d: d["coverage"][-1].update(any_of=[{"min_lines": 1}]), "fallback"),
    (lambda d: d["required"]["residual_level"].update(High="total"), "not a coverage level"),
    (lambda d: d["frequencies"].reverse(), "least to most frequent"),
    (lambda d: d["duplication"].update(min_frequency="Z"), "duplication.min_frequency"),
    (lambda d: d.update(colour="red"), "Extra inputs"),
])
def test_inconsistent_framework_is_refused(fw, tmp_path, change, message):
    with pytest.raises(a.FrameworkError, match=message):
        a.load_assurance_framework(_with(fw, tmp_path, change))


def test_unknown_framework_name():
    with pytest.raises(a.FrameworkError, match="neither a shipped name"):
        a.load_assurance_framework("no-such-framework")


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
    assert a.coverage_level(given_, fw.framework) == expected


def test_min_frequency_below_annual_does_not_count_for_extensive(fw, tmp_path):
    def add_triennial(d):
        d["frequencies"].insert(0, {"code": "T", "name": "every three years", "per_year": 0.34})
    custom = a.load_assurance_framework(_with(fw, tmp_path, add_triennial)).framework
    assert a.coverage_level([(1, False, 12), (3, True, 0.34)], custom) == "moderate"
    assert a.coverage_level([(1, False, 12), (3, True, 1)], custom) == "extensive"


@functools.cache
def _shipped() -> tuple[a.LoadedFramework, list[a.Provider]]:
    loaded = a.load_assurance_framework()
    return loaded, a.merge_providers(loaded.framework, None)


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
    result = a.analyse(risks, amap, loaded, providers)
    freq = {f.code: f.per_year for f in loaded.framework.frequencies}
    by_id = {p.id: p for p in providers}
    for risk in "ABC":
        given_ = [(by_id[p].line, by_id[p].independent, freq.get(code, 0)) for r, _, p, code in unique if r == risk]
        got = result.risks.set_index("risk_id").loc[risk, "coverage"]
        assert got == a.coverage_level(given_, loaded.framework)


# ---- required coverage and gaps --------------------------------------------------------------------
def test_required_coverage_follows_residual_level(fw, providers, western_cape):
    risks = _risks(("H", 16, "High", True), ("M", 9, "Medium", True), ("L", 1, "Low", True))
    result = _analyse(risks, [], fw, providers, western_cape, scope_min_residual=1)
    assert result.risks.set_index("risk_id")["required_coverage"].to_dict() == {
        "H": "extensive", "M": "moderate", "L": "inadequate"}


def test_required_coverage_by_rank_for_another_banding(fw, western_cape):
    levels = [b.name for b in western_cape.methodology.banding("risk-index").bands]
    rule, warnings = a.resolve_required(fw.framework, "residual_level", levels)
    assert rule.mapping == {"Index 5": "extensive", "Index 4": "moderate", "Index 3": "inadequate",
                            "Index 2": "inadequate", "Index 1": "inadequate"}
    assert warnings and "by rank" in warnings[0]


def test_required_coverage_override_and_appetite(fw):
    levels = ["Low", "Medium", "High"]
    rule, _ = a.resolve_required(fw.framework, "residual_level", levels,
                                 {"low": "none", "MEDIUM": "extensive", "High": "extensive"})
    assert rule.mapping == {"Low": "none", "Medium": "extensive", "High": "extensive"}
    with pytest.raises(ParameterError, match="does not have"):
        a.resolve_required(fw.framework, "residual_level", levels, {"Low": "none", "Severe": "extensive"})
    with pytest.raises(ParameterError, match="missing Medium, High"):
        a.resolve_required(fw.framework, "residual_level", levels, {"Low": "none"})
    with pytest.raises(ParameterError, match="coverage levels"):
        a.resolve_required(fw.framework, "residual_level", levels, {"Low": "plenty"})
    rule, _ = a.resolve_required(fw.framework, "appetite", levels)
    assert rule.mapping == {"above": "extensive", "within": "inadequate"}
    with pytest.raises(ParameterError, match="'above' and 'within'"):
        a.resolve_required(fw.framework, "appetite", levels, {"High": "extensive"})


def test_gap_edges_equal_is_no_gap_one_below_is(fw, providers, western_cape):
    risks = _risks(("EQ", 16, "High", True), ("BELOW", 16, "High", True), ("MED", 10, "Medium", True),
                   ("OUT", 16, "High", False))
    rows = [("EQ", "c", "management_controls", "M"), ("EQ", "c", "internal_audit", "A"),
            ("BELOW", "c", "management_controls", "M"), ("BELOW", "c", "risk_management", "M"),
            ("MED", "c", "management_controls", "M"), ("MED", "c", "risk_management", "")]
    r = _analyse(risks, rows, fw, providers, western_cape).risks.set_index("risk_id")
    assert (r.loc["EQ", "coverage"], r.loc["EQ", "gap"]) == ("extensive", False)
    assert (r.loc["BELOW", "coverage"], r.loc["BELOW", "gap"]) == ("moderate", True)
    assert r.loc["BELOW", "needed"] == "add an independent third-line provider, at least annually"
    assert (r.loc["MED", "coverage"], r.loc["MED", "gap"]) == ("inadequate", True)
    assert r.loc["MED", "needed"] == "add assurance from 1 more line"
    # out of scope (within appetite): coverage none is shown, but no requirement and no gap
    assert (r.loc["OUT", "in_scope"], r.loc["OUT", "coverage"], r.loc["OUT", "required_coverage"],
            r.loc["OUT", "gap"]) == (False, "none", None, False)


def test_required_by_appetite(fw, providers, western_cape):
    risks = _risks(("A", 3, "Low", True), ("W", 16, "High", False))
    rows = [("A", "c", "management_controls", "M"), ("A", "c", "compliance", "Q"),
            ("W", "c", "management_controls", "M")]
    r = _analyse(risks, rows, fw, providers, western_cape, required_by="appetite",
                 scope_min_residual=1).risks.set_index("risk_id")
    assert r.loc["A", "required_coverage"] == "extensive" and r.loc["A", "gap"]
    assert r.loc["W", "required_coverage"] == "inadequate" and not r.loc["W", "gap"]


def test_order_is_residual_descending_unrated_last(fw, providers, western_cape):
    risks = _risks(("U", None, None, None), ("L", 2, "Low", False), ("H1", 16, "High", True),
                   ("H2", 16, "High", True), ("M", 10, "Medium", True))
    result = _analyse(risks, [], fw, providers, western_cape)
    assert list(result.risks["risk_id"]) == ["H1", "H2", "M", "L", "U"]
    assert not result.risks.set_index("risk_id").loc["U", "in_scope"]
    assert any("not rated" in w and "U" in w for w in result.warnings)


# ---- scope -------------------------------------------------------------------------------------------
def test_scope_by_score_level_and_appetite_edges(fw, providers, western_cape):
    risks = _risks(("S9", 9, "Medium", False), ("S8", 8, "Low", True), ("S13", 13, "High", False))
    def scoped(value):
        result = _analyse(risks, [], fw, providers, western_cape, scope_min_residual=value)
        return sorted(result.in_scope["risk_id"])
    assert scoped(9) == ["S13", "S9"]  # a minimum: 9 is in, 8 is out
    assert scoped("9") == ["S13", "S9"]
    assert scoped(8) == ["S13", "S8", "S9"]
    assert scoped("medium") == ["S13", "S9"]  # the level and above (Medium starts at 9)
    assert scoped("High") == ["S13"]
    assert scoped("appetite") == ["S8"]
    assert scoped(None) == ["S8"]  # the framework default: above appetite
    with pytest.raises(ParameterError, match="level names Low, Medium, High"):
        scoped("Severe")
    with pytest.raises(ParameterError, match="1-25"):
        scoped(26)


def test_scope_above_appetite_without_any_appetite_takes_every_rated_risk(fw, providers, western_cape):
    risks = _risks(("A", 3, "Low", None), ("B", 16, "High", None), ("U", None, None, None))
    result = _analyse(risks, [], fw, providers, western_cape)
    assert sorted(result.in_scope["risk_id"]) == ["A", "B"]
    assert result.scope.kind == "all" and any("no risk appetite" in w for w in result.warnings)


# ---- duplication -------------------------------------------------------------------------------------
def _dup_rows(*entries):
    return [("R", "Bank reconciliation", p, f) for p, f in entries]


@pytest.mark.parametrize("entries, threshold, frequency, duplicated", [
    ((("management_controls", "M"), ("risk_management", "Q")), None, None, False),  # 2 = N: not more than N
    ((("management_controls", "M"), ("risk_management", "Q"), ("internal_audit", "Q")), None, None, True),
    ((("management_controls", "M"), ("risk_management", "Q"), ("internal_audit", "B")), None, None, False),
    ((("management_controls", "M"), ("risk_management", "Q"), ("internal_audit", "")), None, None, False),
    ((("management_controls", "M"), ("internal_audit", "A")), 1, None, False),  # A is below Q
    ((("management_controls", "M"), ("internal_audit", "A")), 1, "annually", True),
    ((("management_controls", "M"), ("risk_management", "Q"), ("internal_audit", "Q")), 3, None, False),
])
def test_duplication_threshold_edges(fw, providers, western_cape, entries, threshold, frequency, duplicated):
    result = _analyse(_risks(("R", 16, "High", True)), _dup_rows(*entries), fw, providers, western_cape,
                      duplication_threshold=threshold, duplication_frequency=frequency)
    assert len(result.duplications) == (1 if duplicated else 0)
    if duplicated:
        assert result.duplications.iloc[0]["control"] == "Bank reconciliation"


def test_duplication_is_per_control_not_per_risk(fw, providers, western_cape):
    rows = [("R", "one", "management_controls", "M"), ("R", "one", "risk_management", "M"),
            ("R", "two", "internal_audit", "Q"), ("R", "two", "external_audit", "Q")]
    result = _analyse(_risks(("R", 16, "High", True)), rows, fw, providers, western_cape)
    assert result.duplications.empty
    with pytest.raises(ParameterError, match="duplication_frequency"):
        _analyse(_risks(("R", 16, "High", True)), rows, fw, providers, western_cape, duplication_frequency="hourly")


# ---- workload --------------------------------------------------------------------------------------
def test_workload_counts_controls_risks_and_events(fw, providers, western_cape):
    rows = [("R1", "a", "internal_audit", "Q"), ("R1", "b", "internal_audit", "A"), ("R2", "a", "internal_audit", "B"),
            ("R2", "a", "management_controls", ""), ("X9", "a", "internal_audit", "M")]
    risks = _risks(("R1", 16, "High", True), ("R2", 3, "Low", False))
    w = _analyse(risks, rows, fw, providers, western_cape).workload.set_index("provider")
    assert w.loc["internal_audit", "controls_assured"] == 4  # a map row outside the register still counts
    assert w.loc["internal_audit", "risks_covered"] == 3
    assert w.loc["internal_audit", "in_scope_risks_covered"] == 1
    assert w.loc["internal_audit", "events_per_year"] == 4 + 1 + 2 + 12
    assert w.loc["management_controls", "controls_assured"] == 0  # blank frequency: listed, no activity


# ---- reconciliation ----------------------------------------------------------------------------------
def test_nothing_is_dropped_silently(fw, providers, western_cape):
    risks = _risks(("IN", 16, "High", True), ("GONE", 16, "High", True))
    rows = [("IN", "c", "management_controls", "M"), ("GHOST", "c", "internal_audit", "A")]
    result = _analyse(risks, rows, fw, providers, western_cape)
    assert list(result.not_in_register["risk_id"]) == ["GHOST"]
    assert list(result.not_mapped["risk_id"]) == ["GONE"]
    assert any("GHOST" in w for w in result.warnings) and any("GONE" in w for w in result.warnings)
    assert result.risks.set_index("risk_id").loc["GONE", "coverage"] == "none"


def test_no_map_at_all_is_a_warning(fw, providers, western_cape):
    result = a.analyse(_risks(("A", 16, "High", True)), None, fw, providers, bands=_bands(western_cape))
    assert result.risks.iloc[0]["coverage"] == "none" and result.risks.iloc[0]["gap"]
    assert any("No assurance map" in w for w in result.warnings)


# ---- the assurance map -----------------------------------------------------------------------------
def test_map_problems_are_collected_with_their_rows(fw, providers, tmp_path):
    path = write_csv(tmp_path / "map.csv", (
        "Risk ID,Key control,Assurance provider,Freq,Notes\n"
        "KV-1,Reconciliation,internal_audit,M,ok\n"
        ",Reconciliation,internal_audit,M,blank risk\n"
        "KV-1,Reconciliation,,M,blank provider\n"
        "KV-1,Reconciliation,auditor_general,M,unknown provider\n"
        "KV-1,Reconciliation,risk_management,Fortnightly,unknown frequency\n"
        "KV-1, reconciliation ,Internal Audit,q,duplicate of row 2 by name and spacing\n"))
    with pytest.raises(InputError) as err:
        a.load_assurance_map(path, providers, fw.framework.frequencies)
    found = {(p.row, p.column, p.value) for p in err.value.problems}
    assert found == {(3, "risk_id", ""), (4, "provider", ""), (5, "provider", "auditor_general"),
                     (6, "frequency", "Fortnightly"), (7, "provider", "Internal Audit")}
    dup = next(p for p in err.value.problems if p.row == 7)
    assert "already on row 2" in dup.expected
    unknown = next(p for p in err.value.problems if p.row == 5)
    assert "internal_audit" in unknown.expected


def test_map_missing_columns_and_empty_map(fw, providers, tmp_path):
    path = write_csv(tmp_path / "m.csv", "risk_id,control,notes\nKV-1,x,y\n")
    with pytest.raises(InputError) as err:
        a.load_assurance_map(path, providers, fw.framework.frequencies)
    assert {p.column for p in err.value.problems} == {"provider", "frequency"}
    path = write_csv(tmp_path / "e.csv", "risk_id,provider,frequency\n")
    with pytest.raises(InputError, match="at least one row"):
        a.load_assurance_map(path, providers, fw.framework.frequencies)


def test_map_accepts_names_codes_and_blank_frequency(fw, providers, tmp_path):
    path = write_csv(tmp_path / "m.csv", "risk id;provider;frequency\nKV-1;Internal audit;quarterly\n"
                                         "KV-1;compliance;m\nKV-2;other;\n")
    amap = a.load_assurance_map(path, providers, fw.framework.frequencies)
    assert amap.frame[["provider", "frequency", "per_year"]].values.tolist() == [
        ["internal_audit", "Q", 4.0], ["compliance", "M", 12.0], ["other", "", 0.0]]
    assert list(amap.frame["row"]) == [2, 3, 4] and len(amap.assuring) == 2


# ---- providers -----------------------------------------------------------------------------------------
def test_organisation_providers_inline_and_from_a_file(fw, tmp_path):
    extra = [{"id": "auditor_general", "name": "Auditor-General", "line": 3},
             {"id": "ohs", "name": "Occupational health and safety", "line": 2, "independent": False}]
    merged = {p.id: p for p in a.merge_providers(fw.framework, extra)}
    assert merged["auditor_general"].independent and not merged["ohs"].independent  # line 3 default: independent
    assert merged["ohs"].source == "parameters: providers"
    file = tmp_path / "providers.yaml"
    file.write_text(yaml.safe_dump({"providers": extra}), encoding="utf-8")
    assert [p.id for p in a.merge_providers(fw.framework, "providers.yaml", base=tmp_path)][-2:] == [
        "auditor_general", "ohs"]
    file.write_text(yaml.safe_dump(extra), encoding="utf-8")
    assert len(a.merge_providers(fw.framework, file)) == 10


def test_provider_clashes_and_bad_lines_are_one_error(fw):
    extra = [{"id": "internal_audit", "name": "IA again", "line": 3},
             {"id": "ia_2", "name": "Compliance", "line": 2},
             {"id": "council", "name": "Council", "line": 5},
             {"id": "consultant", "name": "Consultant", "line": 1, "independent": True},
             {"id": "x", "name": "X", "line": 2}, {"id": "x", "name": "Y", "line": 2}]
    with pytest.raises(InputError) as err:
        a.merge_providers(fw.framework, extra)
    columns = [p.column for p in err.value.problems]
    assert columns == ["providers[0].id", "providers[1].name", "providers[2].line", "providers[3].independent",
                       "providers[5].id"]
    with pytest.raises(InputError, match="lower-case"):
        a.merge_providers(fw.framework, [{"id": "Auditor General", "name": "AG", "line": 3}])


# ---- maturity ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("status, canonical, warns", [
    (None, None, False), ("integrated", "integrated", False), ("Risk Intelligent", "risk intelligent", False),
    ("risk_intelligent", "risk intelligent", False), ("fragmented", "fragmented", True), ("Basic", "fragmented", True),
])
def test_maturity_status(fw, providers, western_cape, status, canonical, warns):
    result = _analyse(_risks(("A", 16, "High", True)), [], fw, providers, western_cape, maturity_status=status)
    assert result.maturity_status == canonical
    assert any("independent" in w and "Maturity status" in w for w in result.warnings) == warns


def test_unknown_maturity_status(fw, providers, western_cape):
    with pytest.raises(ParameterError, match="fragmented, integrated, risk intelligent"):
        _analyse(_risks(("A", 16, "High", True)), [], fw, providers, western_cape, maturity_status="advanced")


# ---- the shipped example --------------------------------------------------------------------------------
def test_karoo_key_figures_match_the_expected_line(karoo):
    assert a.key_figures(karoo) == EXPECTED.read_text(encoding="utf-8").strip()


def test_karoo_figures_recomputed_independently_from_the_map(karoo):
    with MAP_CSV.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    per_year = {"A": 1, "B": 2, "Q": 4, "M": 12, "W": 52, "D": 250, "C": 365, "": 0}
    assert len(rows) == len(karoo.map.frame) == 36
    assert sum(per_year[r["frequency"]] for r in rows) == karoo.workload["events_per_year"].sum() == 1032
    assert sum(1 for r in rows if r["frequency"] == "") == 1
    # the guide's Template 2 rows, mapped to Karoo Vale risks
    template = {r["control"].split(":")[0]: r["risk_id"] for r in rows if r["notes"].startswith("Template 2")}
    assert template == {"Liquidity": "KV-005", "Cash management": "KV-005", "Revenue management": "KV-006",
                        "Electronic payments": "KV-021", "Budget and equitable share": "KV-016",
                        "Grants": "KV-016"}
    # coverage by hand: lines per risk, independent third line present
    line = {"management_controls": 1, "internal_controls": 1, "risk_management": 2, "performance_management": 2,
            "compliance": 2, "occupational_health_safety": 2, "internal_audit": 3, "external_audit": 3, "other": 3}
    risks = {r["risk_id"]: r for r in karoo.risks.to_dict("records")}
    for rid, risk in risks.items():
        active = [r for r in rows if r["risk_id"] == rid and r["frequency"]]
        lines = {line[r["provider"]] for r in active}
        if 3 in lines and len(lines) >= 2:
            expected = "extensive"
        else:
            expected = {0: "none", 1: "inadequate"}.get(len(lines), "moderate")
        assert risk["coverage"] == expected, rid
        assert risk["lines"] == sorted(lines)
    in_scope = sorted(rid for rid, r in risks.items() if r["in_scope"])
    above = sorted(rid for rid, r in risks.items() if r["above_appetite"] is True)
    assert in_scope == above and len(in_scope) == 11
    assert list(karoo.gaps["risk_id"]) == ["KV-002", "KV-014", "KV-013"]
    assert karoo.duplications[["risk_id", "control"]].values.tolist() == [
        ["KV-005", "Debtor age analysis and credit control follow-up"]]
    assert list(karoo.not_mapped["risk_id"]) == ["KV-013"] and karoo.not_in_register.empty


def test_karoo_json_contract(karoo, tmp_path):
    paths = a.write_outputs(karoo, "Karoo Vale Local Municipality", "2025-26", tmp_path)
    assert [p.name for p in paths] == ["combined-assurance.json", "combined-assurance.xlsx"]
    summary = json.loads(paths[0].read_text(encoding="utf-8"))
    assert set(summary) == {"assessment", "organisation", "period", "risks", "duplications", "providers", "warnings"}
    assert summary["assessment"] == "combined-assurance"
    keys = {"risk_id", "residual_score", "residual_level", "above_appetite", "in_scope", "lines", "providers",
            "coverage", "required_coverage", "gap"}
    assert all(set(r) == keys for r in summary["risks"]) and len(summary["risks"]) == 21
    scores = [r["residual_score"] for r in summary["risks"]]
    assert scores == sorted(scores, reverse=True)
    kv002 = summary["risks"][0]
    assert kv002 == {"risk_id": "KV-002", "residual_score": 16, "residual_level": "High", "above_appetite": True,
                     "in_scope": True, "lines": [1, 2], "providers": ["management_controls", "risk_management"],
                     "coverage": "moderate", "required_coverage": "extensive", "gap": True}
    out = next(r for r in summary["risks"] if not r["in_scope"])
    assert out["required_coverage"] is None and out["gap"] is False
    assert all(set(p) == {"provider", "line", "controls_assured"} for p in summary["providers"])
    assert summary["duplications"] == [{"risk_id": "KV-005", "control": "Debtor age analysis and credit control "
                                        "follow-up", "providers": ["management_controls", "risk_management",
                                                                   "internal_audit"],
                                        "frequencies": ["M", "M", "Q"], "in_scope": True}]
    book = openpyxl.load_workbook(paths[1], read_only=True)
    assert {"Coverage by risk", "Gaps", "Duplications", "Provider workload", "Assurance map", "Assurance plan",
            "Plan text", "Method"} <= set(book.sheetnames)
    plan = [row for row in book["Plan text"].iter_rows(values_only=True)]
    assert [r[0] for r in plan[1:5]] == ["Introduction", "Objectives", "Approach", "Roles and responsibilities"]
    assert "Chief Risk Officer (combined assurance champion)" in plan[4][1]
    assert "Audit and Performance Audit Committee" in plan[4][1]


def test_plan_table_lists_every_risk_in_scope_and_proposes_for_gaps(karoo):
    table = a.plan_table(karoo)
    assert list(dict.fromkeys(table["risk_id"])) == list(karoo.in_scope["risk_id"])
    gaps = table[table["status"].str.startswith("gap")]
    assert sorted(gaps["risk_id"]) == ["KV-002", "KV-013", "KV-014"]
    assert (table.loc[table["risk_id"] == "KV-013", "control"] == "(to be agreed)").all()


def test_text_that_looks_like_a_formula_is_neutralised(fw, providers, western_cape, tmp_path):
    result = _analyse(_risks(("R", 16, "High", True)), [("R", "=HYPERLINK(\"x\")", "internal_audit", "A")], fw,
                      providers, western_cape)
    path = a.write_outputs(result, "Org", "P", tmp_path)[1]
    cells = [c for row in openpyxl.load_workbook(path)["Assurance map"].iter_rows(values_only=True) for c in row]
    assert "'=HYPERLINK(\"x\")" in cells and "=HYPERLINK(\"x\")" not in cells


# ---- parameters -------------------------------------------------------------------------------------
def test_parameters_refuse_unknown_keys_and_check_values_before_evaluating(tmp_path):
    data = yaml.safe_load(DRAFT.read_text(encoding="utf-8"))
    data["duplication_treshold"] = 3
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ParameterError, match="did you mean 'duplication_threshold'"):
        load_file(bad, a.CombinedAssuranceParams)
    params = load_file(DRAFT, a.CombinedAssuranceParams, SHARED_FIELDS)
    for change, message in [({"maturity_status": "advanced"}, "maturity_status"),
                            ({"scope_min_residual": "Severe"}, "scope_min_residual"),
                            ({"required_coverage": {"Low": "none"}}, "missing Medium"),
                            ({"duplication_frequency": "hourly"}, "duplication_frequency")]:
        with pytest.raises(ParameterError, match=message):
            a.load_assurance_inputs(params.model_copy(update=change))
    clash = params.model_copy(update={"providers": [a.ProviderSpec(id="other", name="Another", line=3)]})
    with pytest.raises(InputError, match="not already used"):
        a.load_assurance_inputs(clash)


def test_a_frame_instead_of_an_evaluation(fw, providers):
    risks = _risks(("A", 16, "High", True), ("B", 4, "Low", False))
    result = a.analyse(risks, _map([("A", "c", "internal_audit", "A"), ("A", "c", "compliance", "M")], providers,
                                   fw), fw, providers)
    assert result.risks.set_index("risk_id").loc["A", "coverage"] == "extensive"
    assert result.risks.set_index("risk_id").loc["A", "required_coverage"] == "extensive"
    with pytest.raises(ParameterError, match="no banding known"):
        a.analyse(risks, None, fw, providers, scope_min_residual="High")


# ---- charts -------------------------------------------------------------------------------------------
def test_charts_render_and_cap_the_rows(karoo, fw, providers, western_cape):
    for chart in (ca.assurance_grid(karoo), ca.coverage_matrix(karoo), ca.coverage_by_risk(karoo),
                  ca.workload(karoo)):
        assert chart.to_dict()
    cells = ca.grid_cells(karoo)
    assert cells["risk_id"].nunique() == 15 and len(cells) == 15 * len(karoo.providers)
    many = _risks(*[(f"R{i}", 16, "High", True) for i in range(300)])
    result = _analyse(many, [("R1", "c", "internal_audit", "A")], fw, providers, western_cape)
    assert ca.grid_cells(result)["risk_id"].nunique() == ca.MAX_RISKS
    assert "260 more" in ca.assurance_grid(result).to_dict()["title"]
    assert ca.coverage_matrix_cells(result)["risks"].sum() == 300


def test_xlsx_map_on_a_named_sheet_below_a_title_row(fw, providers, tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Cover"
    sheet = book.create_sheet("Assurance map")
    sheet.append(["Combined assurance map 2025-26"])
    sheet.append(["Risk ID", "Key control", "Assurance provider", "Frequency"])
    sheet.append(["KV-1", "Reconciliation", "External audit", "A"])
    sheet.append(["KV-1", "Reconciliation", "internal_controls", "D"])
    path = tmp_path / "map.xlsx"
    book.save(path)
    amap = a.load_assurance_map(path, providers, fw.framework.frequencies, sheet="Assurance map")
    assert amap.frame[["row", "provider", "frequency"]].values.tolist() == [
        [3, "external_audit", "A"], [4, "internal_controls", "D"]]


def test_a_large_register_and_map_stay_consistent(fw, providers, western_cape):
    import numpy as np

    rng = np.random.default_rng(7)
    n, m = 10_000, 30_000
    scores = rng.integers(1, 26, n)
    risks = pd.DataFrame({"risk_id": [f"R{i}" for i in range(n)], "residual_score": scores,
                          "residual_level": np.where(scores <= 8, "Low", np.where(scores <= 12, "Medium", "High")),
                          "above_appetite": scores > 8})
    frame = pd.DataFrame({"risk_id": [f"R{i}" for i in rng.integers(0, n + 50, m)],
                          "control": [f"c{i}" for i in rng.integers(0, 4, m)],
                          "provider": rng.choice([p.id for p in providers], m),
                          "frequency": rng.choice(["", "A", "Q", "M", "D"], m)}, dtype=object)
    frame = frame.drop_duplicates(["risk_id", "control", "provider"]).reset_index(drop=True)
    frame.insert(0, ROW, range(2, len(frame) + 2))
    amap = a.validate_assurance_map(Table("big.csv", frame, 1), providers, fw.framework.frequencies)
    result = a.analyse(risks, amap, fw, providers, bands=_bands(western_cape))
    assert len(result.risks) == n and result.in_scope["coverage"].notna().all()
    assert len(result.controls) == frame[["risk_id", "control"]].drop_duplicates().shape[0]
    assert len(result.not_in_register) == int((~frame["risk_id"].isin(risks["risk_id"])).sum())
    assert result.workload["events_per_year"].sum() == pytest.approx(
        frame["frequency"].map({"": 0, "A": 1, "Q": 4, "M": 12, "D": 250}).sum())
    assert (result.duplications["at_or_above_threshold"] > 2).all()
