"""`workbook run` prints nothing the user did not cause (issue 24): no papermill warning of a parameter the
notebook does not declare, no kernel warning of plain-text TCP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbook_lib.assessments import registry, shared_fields
from workbook_lib.batch.execute import injected_parameters, notebook_parameters
from workbook_lib.core.params import load_file

from ..conftest import PARAMETERS, ROOT

KAROO = PARAMETERS / "karoo-vale-2025-26.yaml"
NOISE = ("Passed unknown parameter", "without encryption")


@pytest.mark.parametrize("name", list(registry()))
def test_every_parameter_is_declared_in_the_notebook(name):
    spec = registry()[name]
    fields = {f.alias or n for n, f in spec.params.model_fields.items()}
    assert fields - notebook_parameters(spec.path) == set(), f"{spec.path.name}: add these to its parameters cell"


@pytest.mark.parametrize("name", list(registry()))
def test_what_a_run_injects_the_notebook_declares(name, tmp_path):
    # every shipped setting, and a tolerance (a parameter the notebooks reading a register once left out)
    params_file = tmp_path / "karoo.yaml"
    params_file.write_text(KAROO.read_text(encoding="utf-8") + "\ntolerance: 12\n", "utf-8")
    spec = registry()[name]
    params = load_file(params_file, spec.params, shared_fields())
    injected = injected_parameters(spec, params, tmp_path / "out")
    assert set(injected) - notebook_parameters(spec.path) == set()


def test_workbook_run_prints_only_its_own_lines(tmp_path):
    # risk-monitoring on the shipped file injects earlier: and renamed_ids:, parameters of the register it reads
    result = subprocess.run([str(Path(sys.executable).parent / "workbook"), "run", "risk-monitoring",
                             "--params", str(KAROO), "--out", str(tmp_path)], cwd=ROOT, capture_output=True,
                            text=True, timeout=600, env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    printed = result.stdout + result.stderr
    assert not [line for line in printed.splitlines() if any(n in line for n in NOISE)], printed
    assert result.stderr.strip().startswith("risk-monitoring: Karoo Vale"), result.stderr
