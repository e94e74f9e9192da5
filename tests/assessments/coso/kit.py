"""What the COSO tests share: the shipped questionnaire, the example's files, and small helpers that write
responses and questionnaires and assess them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import PARAMETERS, ROOT, write_csv
from workbook_lib.assessments.coso import inputs, model, scoring
from workbook_lib.core.errors import InputError

NAME = "coso-17-western-cape"
LOADED = model.load_questionnaire(NAME)
Q = LOADED.questionnaire
EXAMPLE_CSV = PARAMETERS / "responses" / "karoo_vale_coso_2025.csv"
EXAMPLE_PARAMS = PARAMETERS / "karoo-vale-2025-26.yaml"
EXPECTED = ROOT / "tests" / "expected" / "coso-assessment--karoo-vale-2025-26.txt"
HEADER = "item_id,line,rating,respondent,comment\n"


def _responses(tmp_path: Path, rows: dict[str, tuple], name: str = "responses.csv") -> Path:
    """{item: (r1, r2, r3)} -> a responses CSV; None leaves that line's row out."""
    lines = [HEADER.strip()]
    for item, ratings in rows.items():
        for line, rating in enumerate(ratings, start=1):
            if rating is not None:
                lines.append(f"{item},{line},{rating},Person {line},")
    return write_csv(tmp_path / name, "\n".join(lines) + "\n")


def _assess(tmp_path: Path, rows: dict[str, tuple], loaded=LOADED, **kw) -> scoring.CosoResult:
    responses = inputs.load_responses(_responses(tmp_path, rows), loaded.questionnaire)
    return scoring.assess(loaded, responses, **kw)


def _item(result: scoring.CosoResult, item_id: str) -> pd.Series:
    return result.items.set_index("item_id").loc[item_id]


def _principle(result: scoring.CosoResult, number: int) -> pd.Series:
    return result.principles.set_index("principle").loc[number]


def _problems(path: Path, q=Q) -> list:
    with pytest.raises(InputError) as info:
        inputs.load_responses(path, q)
    return info.value.problems


def _shipped_data() -> dict:
    return yaml.safe_load(model.shipped()[NAME].read_text(encoding="utf-8"))


def _write_yaml(tmp_path: Path, data: dict, name: str = "own.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _refused(tmp_path: Path, data: dict) -> str:
    with pytest.raises(model.QuestionnaireError) as info:
        model.load_questionnaire(_write_yaml(tmp_path, data))
    return str(info.value)

