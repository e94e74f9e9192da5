"""Fixtures the risk tests share."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> dict[str, Path]:
    """The corpus workbooks (tests/data/registers/README.md), written by its build_xlsx.build."""
    spec = importlib.util.spec_from_file_location("build_xlsx", ROOT / "tests" / "data" / "registers" / "build_xlsx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build(tmp_path_factory.mktemp("registers"))
