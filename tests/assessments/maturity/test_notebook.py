"""The maturity notebook run by papermill: outputs on its defaults, the error table on bad input."""

from __future__ import annotations

import json

import pytest

from tests.assessments.maturity.conftest import (
    EXPECTED,
    ROOT,
)
from tests.conftest import write_csv


def test_notebook_runs_on_its_defaults_and_writes_outputs(tmp_path):
    import papermill as pm

    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / "maturity_scoring.ipynb"), str(out), kernel_name="python3",
                        parameters={"output_dir": str(tmp_path / "o")}, progress_bar=False,
                        cwd=str(ROOT / "notebooks"))
    assert EXPECTED.read_text(encoding="utf-8").strip() in out.read_text(encoding="utf-8")
    summary = json.loads((tmp_path / "o" / "maturity-scoring.json").read_text(encoding="utf-8"))
    assert summary["status"] == "integrated" and (tmp_path / "o" / "maturity-scoring.xlsx").is_file()


def test_notebook_shows_the_error_table_and_stops(tmp_path):
    import papermill as pm

    bad = write_csv(tmp_path / "bad.csv", "element_id,mark\nA1,<i>7</i>\nQ1,2\n")
    out = tmp_path / "out.ipynb"
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(ROOT / "notebooks" / "maturity_scoring.ipynb"), str(out), kernel_name="python3",
                            parameters={"marks": str(bad)}, progress_bar=False, cwd=str(ROOT / "notebooks"))
    assert err.value.ename == "InputError"
    text = out.read_text(encoding="utf-8")
    assert "problem(s) in the input; no report was produced" in text
    assert "&lt;i&gt;7&lt;/i&gt;" in text or "&amp;lt;i&amp;gt;7" in text  # escaped in the table
    assert "elements 23 |" not in text  # stopped before any figure
