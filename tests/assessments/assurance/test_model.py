"""The combined-assurance framework as data: providers by line, frequency codes, coverage levels, and
inconsistent framework files refused."""

from __future__ import annotations

import pytest

from tests.assessments.assurance.kit import _with
from workbook_lib.assessments.assurance.model import FrameworkError, load_assurance_framework


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
    with pytest.raises(FrameworkError, match=message):
        load_assurance_framework(_with(fw, tmp_path, change))


def test_unknown_framework_name():
    with pytest.raises(FrameworkError, match="neither a shipped name"):
        load_assurance_framework("no-such-framework")
