"""A large register's outputs stay bounded: the JSON lists risk by risk up to ``report.JSON_RISKS`` (beyond it, a
count and where every risk is), warnings and sentences name the first few risk IDs and count the rest, and the
batch index reads its key figures from the counts. The timings are bench/large_register.py's."""

from __future__ import annotations

import datetime as dt

from tests.assessments.risk.test_charts import _big_register
from workbook_lib.assessments.risk import index_figures, report, scoring
from workbook_lib.assessments.risk.scoring import evaluate

AS_OF = dt.date(2025, 11, 30)


def _evaluated(loaded, n: int, **frame):
    register = _big_register(loaded, n)
    register.frame = register.frame.assign(**frame)
    return evaluate(register, loaded, AS_OF, appetite="Low")


def test_the_json_lists_every_risk_up_to_its_documented_size(western_cape, monkeypatch):
    ev = _evaluated(western_cape, 30)
    listed = report.risk_summary(ev, "O", "P")
    assert len(listed["risks"]) == 30 and listed["not_listed"] == {}
    assert listed["counts"]["risks"] == 30 and sum(listed["counts"]["residual"].values()) == 30
    monkeypatch.setattr(report, "JSON_RISKS", 29)
    summary = report.risk_summary(ev, "O", "P")
    assert summary["risks"] is None
    assert summary["not_listed"] == {"risks": {"count": 30, "where": "the Excel workbook, sheet \"Risks\""}}
    assert summary["counts"] == listed["counts"]
    assert {k: v for k, v in summary.items() if k not in ("risks", "not_listed")} == \
        {k: v for k, v in listed.items() if k not in ("risks", "not_listed")}


def test_the_json_risks_are_as_they_were_written_one_by_one(western_cape):
    ev = _evaluated(western_cape, 50, status=["open"] * 45 + ["closed"] * 3 + ["opportunity"] * 2)
    expected = [
        {"risk_id": r.risk_id, "group": r.group, "inherent_score": report.plain(r.inherent_score),
         "inherent_level": report.plain(r.inherent_level), "residual_score": report.plain(r.residual_score),
         "residual_level": report.plain(r.residual_level), "above_appetite": report.plain(r.above_appetite),
             "appetite_applied": report.plain(r.appetite_applied),
         "decision_maker": report.plain(r.decision_maker), "rated": bool(r.rated), "status": r.status,
         "residual_basis": report.plain(r.residual_basis)} for r in ev.risks.itertuples(index=False)]
    got = report.risk_summary(ev, "O", "P")["risks"]
    assert got == expected
    assert [type(v) for v in got[0].values()] == [type(v) for v in expected[0].values()]
    assert {r["above_appetite"] for r in got} == {True, False, None}


def test_the_batch_index_reads_the_same_figures_from_the_counts(western_cape, monkeypatch):
    ev = _evaluated(western_cape, 200)
    listed = index_figures.key_figures(report.risk_summary(ev, "O", "P"))
    monkeypatch.setattr(report, "JSON_RISKS", 10)
    counted = index_figures.key_figures(report.risk_summary(ev, "O", "P"))
    assert counted == listed and counted["risks"] == 200


def test_a_warning_names_the_first_risks_and_counts_the_rest(western_cape):
    n = 5000
    ev = _evaluated(western_cape, n, control_effectiveness="", control_factor=float("nan"))
    warning = next(w for w in ev.warnings if "residual taken as inherent" in w)
    assert warning.startswith(f"{n} rated risk(s) have no residual re-rating or control-effectiveness rating")
    assert warning.endswith(f"R{scoring.MAX_IDS - 1} and {n - scoring.MAX_IDS:,} more.") and len(warning) < 400
    assert scoring.some_ids(["A", "B"]) == "A, B"


def test_the_opening_narrative_names_a_few_risks_and_a_few_warnings(western_cape):
    n = 3000
    ev = _evaluated(western_cape, n)
    ev.warnings.extend(f"R{i} (row {i + 2}) is not rated: listed as not rated, not scored." for i in range(n))
    text = str(report.opening_narrative(ev, "O", "P"))
    above = int((ev.risks["above_appetite"] == True).sum())  # noqa: E712
    assert f"and {above - scoring.MAX_IDS:,} more." in text
    assert f"... and {len(ev.warnings) - report.MAX_WARNINGS:,} more warnings" in text
    assert len(text) < 10_000


def test_groups_of_one_risk_each_are_computed_column_wise(western_cape):
    n = 20_000
    ev = _evaluated(western_cape, n, group=[f"G{i}" for i in range(n)])
    assert len(ev.groups) == n and list(ev.groups["group"].head(3)) == ["G0", "G1", "G2"]
    first = ev.risks.iloc[0]
    row = ev.groups.iloc[0]
    assert (row["risks"], row["residual_score"], row["residual_level"], row["driving_risks"]) == \
        (1, int(first["residual_score"]), first["residual_level"], first["risk_id"])
