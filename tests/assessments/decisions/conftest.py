"""Fixtures the decisions tests share: Karoo Vale's risk summary (computed once, in-process, as `workbook run`
writes it), a throw-away store, and small monitoring and assurance summaries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PARAMETERS
from workbook_lib.assessments import get, shared_fields
from workbook_lib.core.params import load_file
from workbook_lib.core.store import Author, Store

ORG, PERIOD = "Karoo Vale Local Municipality", "2025-26"


@pytest.fixture(scope="package")
def risk_summary() -> dict:
    spec = get("risk-evaluation")
    params = load_file(PARAMETERS / "karoo-vale-2025-26.yaml", spec.params, shared_fields())
    return json.loads(json.dumps(spec.summary(spec.run(params), params.organisation, params.period), default=str))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(str(tmp_path / "decisions.db")) as st:
        yield st


@pytest.fixture
def summaries_dir(tmp_path: Path, risk_summary: dict) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "risk-evaluation.json").write_text(json.dumps(risk_summary), encoding="utf-8")
    (folder / "risk-monitoring.json").write_text(json.dumps(monitoring_summary()), encoding="utf-8")
    (folder / "combined-assurance.json").write_text(json.dumps(assurance_summary()), encoding="utf-8")
    (folder / "index.json").write_text("[]", encoding="utf-8")  # not a summary: passed over
    return folder


def monitoring_summary() -> dict:
    return {"assessment": "risk-monitoring", "organisation": ORG, "period": PERIOD, "as_of": "2025-11-30",
            "escalations": [{"metric": "vacancy_rate", "name": "Vacancy rate", "latest": 14.0,
                             "tolerance": "at most 10%", "risk_ids": ["KV-020"], "escalate_to": "senior management",
                             "approval_if_unavoidable": "Municipal Manager", "action": "..."}]}


def assurance_summary() -> dict:
    return {"assessment": "combined-assurance", "organisation": ORG, "period": PERIOD,
            "risks": [{"risk_id": "KV-002", "residual_score": 18, "residual_level": "High", "in_scope": True,
                       "coverage": "none", "required_coverage": "extensive", "gap": True},
                      {"risk_id": "KV-004", "residual_score": 5, "residual_level": "Low", "in_scope": True,
                       "coverage": "moderate", "required_coverage": "moderate", "gap": False}]}


def author(name: str) -> Author:
    return Author(name, None, identity="cli")
