from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from workbook_lib.assessments import registry
from workbook_lib.assessments.risk.methodology import load_methodology

from .browser_kit import app_server, browser, page  # noqa: F401 - fixtures for the browser tests

ROOT = Path(__file__).resolve().parents[1]
PARAMETERS = ROOT / "parameters"
registry()  # every assessment declared, its record kinds known to the store (as in the CLI, app and batch)


@pytest.fixture(scope="session")
def torbay():
    return load_methodology("torbay-2004")


@pytest.fixture(scope="session")
def western_cape():
    return load_methodology("western-cape-5x5")


@pytest.fixture(scope="session")
def mopac():
    return load_methodology("mopac-4-level")


@pytest.fixture
def as_of() -> dt.date:
    return dt.date(2025, 11, 30)


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Let fixtures see whether the test failed (browser tests save a screenshot then)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
