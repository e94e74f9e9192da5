"""The COSO notebook: the example run end to end, and the error table when the input is broken."""

from __future__ import annotations

import pytest

from tests.assessments.coso.kit import (
    EXAMPLE_PARAMS,
    EXPECTED,
    HEADER,
)
from tests.conftest import ROOT, write_csv
from workbook_lib.assessments import shared_fields
from workbook_lib.assessments.coso import inputs
from workbook_lib.core.params import load_file

# ---- the notebook --------------------------------------------------------------------------------------


def test_notebook_runs_the_example_and_writes_outputs(tmp_path):
    import papermill as pm

    out = tmp_path / "out.ipynb"
    params = load_file(EXAMPLE_PARAMS, inputs.CosoParams, shared_fields()).model_dump(mode="json", exclude_none=True)
    params["output_dir"] = str(tmp_path / "outputs")
    pm.execute_notebook(str(ROOT / "notebooks" / "coso_assessment.ipynb"), str(out), kernel_name="python3",
                        parameters=params, progress_bar=False, cwd=str(ROOT / "notebooks"))
    assert EXPECTED.read_text(encoding="utf-8").strip() in out.read_text()
    assert sorted(p.name for p in (tmp_path / "outputs").iterdir()) == ["coso-assessment.json",
                                                                         "coso-assessment.xlsx"]


def test_notebook_shows_the_error_table_and_stops(tmp_path):
    import papermill as pm

    bad = write_csv(tmp_path / "bad.csv", HEADER + "P01-01,7,3,,\nP77-01,1,<i>x</i>,,\n")
    out = tmp_path / "out.ipynb"
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(ROOT / "notebooks" / "coso_assessment.ipynb"), str(out), kernel_name="python3",
                            parameters={"responses": str(bad)}, progress_bar=False, cwd=str(ROOT / "notebooks"))
    assert err.value.ename == "InputError"
    text = out.read_text()
    assert "problem(s) in the input; no report was produced" in text
    assert "&lt;i&gt;x&lt;/i&gt;" in text or "&amp;lt;i&amp;gt;" in text
    assert "items 76 |" not in text
