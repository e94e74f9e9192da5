"""How risks move between periods (issue 18, library part): new, closed, no longer listed, worse and better by
bands and score, renamed IDs mapped, across three periods saved in the store."""

from __future__ import annotations

import pytest

from tests.conftest import write_csv
from workbook_lib.assessments.risk.changes import (
    BETTER,
    CLOSED,
    GONE,
    NEW,
    SAME,
    WORSE,
    changes_across,
    changes_between,
)
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.assessments.risk.run import run_risk_evaluation
from workbook_lib.core import records
from workbook_lib.core.store import Author, Store

ORG = "Movement Test Municipality"
HEAD = "Risk ID,Description,Inherent likelihood,Inherent impact,Residual likelihood,Residual impact,Status\n"
REGISTERS = {  # residual ratings on the 5 x 5 (Low 1-8, Medium 9-12, High 13-25)
    "2023-24": "W-1,Water losses,4,4,2,2,open\nW-2,Pump failures,4,4,2,4,open\nW-3,Old billing system,3,3,2,2,open\n"
               "W-4,Fleet ageing,3,3,3,3,open\n",
    "2024-25": "W-1,Water losses,4,4,4,4,open\nW-2,Pump failures,4,4,2,2,open\nW-3,Old billing system,3,3,2,2,"
               "closed\nW-5,Cyber attack,5,4,3,4,open\nFL-4,Fleet ageing,3,3,3,3,open\n",
    "2025-26": "W-1,Water losses,4,4,4,5,open\nW-2,Pump failures,4,4,2,2,open\nW-5,Cyber attack,5,4,2,2,open\n"
               "FL-4,Fleet ageing,3,3,3,4,open\n",
}


@pytest.fixture(scope="module")
def evaluations(tmp_path_factory):
    folder = tmp_path_factory.mktemp("movement")
    with Store(str(folder / "store.db")) as store:
        for period, rows in REGISTERS.items():
            table = records.read_for_kind(write_csv(folder / f"{period}.csv", HEAD + rows), "risk")
            store.save(ORG, period, "risk", records.rows_from_table(table, "risk"), Author("Clerk"), source="import")
        out = []
        for period in REGISTERS:
            params = RiskEvaluationParams(organisation=ORG, period=period, as_of="2026-06-30", source="store",
                                          store_url=store.url, methodology="western-cape-5x5")
            out.append((period, run_risk_evaluation(params)))
    return out


def _by_id(changes) -> dict:
    return changes.frame.set_index("risk_id").to_dict("index")


def test_movement_across_three_periods_from_the_store(evaluations):
    first, second = changes_across(evaluations, renamed={"2024-25": {"W-4": "FL-4"}})
    assert (first.before, first.now, second.before, second.now) == ("2023-24", "2024-25", "2024-25", "2025-26")
    one = _by_id(first)
    assert one["W-1"]["change"] == WORSE and one["W-1"]["bands"] == 2 and one["W-1"]["by"] == 12  # Low 4 -> High 16
    assert one["W-2"]["change"] == BETTER and one["W-2"]["by"] == -4  # 8 -> 4, both Low: better by score
    assert one["W-3"]["change"] == CLOSED
    assert one["W-5"]["change"] == NEW
    assert one["FL-4"]["change"] == SAME and one["FL-4"]["earlier_id"] == "W-4"  # renamed, matched
    assert first.summary() == {"new": 1, "closed": 1, "no longer listed": 0, "worse": 1, "better": 1,
                               "unchanged": 1, "not comparable": 0}
    two = _by_id(second)
    assert two["W-3"]["change"] == GONE  # closed last period, now off the register
    assert two["W-5"]["change"] == BETTER and two["W-5"]["bands"] == -1  # Medium 12 -> Low 4
    assert two["FL-4"]["change"] == WORSE and two["FL-4"]["bands"] == 0 and two["FL-4"]["by"] == 3  # Medium 9 -> 12
    assert list(second.frame["risk_id"])[:2] == ["W-1", "FL-4"]  # the worst changes first (High 16 -> 20 first)


def test_a_renamed_id_that_matches_nothing_is_refused(evaluations):
    (_p1, a), (_p2, b) = evaluations[:2]
    with pytest.raises(ValueError, match="W-9 -> X-9"):
        changes_between(a, b, {"W-9": "X-9"}, "2023-24", "2024-25")


def test_without_the_mapping_a_renamed_risk_is_new_and_the_old_one_gone(evaluations):
    (_p1, a), (_p2, b) = evaluations[:2]
    ids = _by_id(changes_between(a, b))
    assert ids["FL-4"]["change"] == NEW and ids["W-4"]["change"] == GONE
