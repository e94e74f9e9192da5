"""A bad parameter in a notebook shows the problems in words and one line, never a Python traceback in sight (issue
30): the traceback waits behind a "Details" toggle, and the run still fails for papermill and the batch."""

from __future__ import annotations

import nbformat
import papermill as pm
import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize("bad, shown", [
    ({"report_rows": -1}, "report_rows"),  # a parameter out of range: its message
    ({"register": "registers/no_such_register.csv"}, "an existing CSV or .xlsx file"),  # an input problem: its table
])
def test_a_bad_parameter_shows_the_problem_not_a_traceback(tmp_path, bad, shown):
    out = tmp_path / "out.ipynb"
    with pytest.raises(pm.PapermillExecutionError):
        pm.execute_notebook(str(ROOT / "notebooks" / "risk_evaluation.ipynb"), str(out), parameters=bad,
                            cwd=str(ROOT / "parameters"), kernel_name="python3", progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    failed = next(c for c in nb.cells if any(o.get("output_type") == "error" for o in c.get("outputs", [])))
    error = next(o for o in failed.outputs if o.output_type == "error")
    assert error.traceback == ["No report was produced: the problems are listed above."]
    shown_html = "".join(o.get("data", {}).get("text/html", "") for o in failed.outputs if "data" in o)
    assert shown in shown_html
    visible, _, details = shown_html.partition("<details>")
    assert "Traceback" not in visible and "Traceback" in details


def test_in_the_app_a_failing_page_says_what_happened_in_words(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_APP", "1")  # the kernel sees what the app's kernels see
    out = tmp_path / "out.ipynb"
    with pytest.raises(pm.PapermillExecutionError):
        pm.execute_notebook(str(ROOT / "notebooks" / "risk_evaluation.ipynb"), str(out),
                            parameters={"report_rows": -1}, cwd=str(ROOT / "parameters"), kernel_name="python3",
                            progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    # no error output: Voilà would replace it with "Please run Voilà with --show_tracebacks=True"
    assert not [o for o in outputs if o.output_type == "error"]
    shown = "".join(o.get("data", {}).get("text/html", "") for o in outputs if "data" in o)
    assert "This page could not be opened." in shown and "report_rows" in shown
    assert "Traceback" not in shown and "tell your risk champion" in shown
    streams = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "Traceback" not in streams  # the details go to the app's log (the kernel's own stderr), not the page
