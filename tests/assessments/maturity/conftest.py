"""Shared by the maturity tests: the shipped matrix and example files, marks helpers, the example run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.conftest import write_csv
from workbook_lib.assessments import shared_fields
from workbook_lib.assessments.maturity.inputs import MaturityParams
from workbook_lib.assessments.maturity.model import load_matrix
from workbook_lib.assessments.maturity.run import run_maturity_scoring
from workbook_lib.core.errors import InputError
from workbook_lib.core.params import load_file

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "parameters" / "maturity"
DRAFT = ROOT / "parameters" / "karoo-vale-2025-26.yaml"
EXPECTED = ROOT / "tests" / "expected" / "maturity-scoring--karoo-vale-2025-26.txt"
LOADED = load_matrix()
M = LOADED.matrix
AS_OF = dt.date(2025, 11, 30)
IDS = M.element_ids


def _marks(total: int) -> dict[str, int]:
    """A complete set of marks adding up to ``total`` (all 1s, then raised element by element)."""
    marks = dict.fromkeys(IDS, 1)
    extra = total - len(IDS)
    assert 0 <= extra <= 2 * len(IDS)
    for eid in IDS:
        step = min(2, extra)
        marks[eid] += step
        extra -= step
    return marks


def _csv_marks(tmp_path: Path, marks: dict[str, int | str], name: str = "marks.csv") -> Path:
    lines = ["element_id,mark"] + [f"{k},{v}" for k, v in marks.items()]
    return write_csv(tmp_path / name, "\n".join(lines) + "\n")


def _problems(fn, *args, **kw):
    with pytest.raises(InputError) as info:
        fn(*args, **kw)
    return info.value.problems


@pytest.fixture(scope="module")
def example():
    params = load_file(DRAFT, MaturityParams, shared_fields())
    return params, run_maturity_scoring(params)
