"""The one set-up call of every assessment notebook: ``nb = workbook_lib.start("coso-assessment", globals())``.

It validates the parameters cell (and papermill's injected values), then either runs the assessment (a
report: papermill, nbval, ``workbook run``, JupyterLab) or builds the web form (the app, or ``show_form``).
The notebook's cells then show ``nb.sections`` and end with ``nb.finish()``.
"""

from __future__ import annotations

import html
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from IPython.display import HTML, display

from workbook_lib.assessments import decisions_in_summary, get
from workbook_lib.core.assessment import AssessmentSpec
from workbook_lib.core.charts import use_static_renderer
from workbook_lib.core.errors import PROBLEMS_FILE, InputError, StoreError, problems_json
from workbook_lib.core.forms import Sections, app_mode, serve
from workbook_lib.core.params import from_namespace
from workbook_lib.core.settings import Applied, effective
from workbook_lib.core.source import source_of


@dataclass
class Notebook:
    spec: AssessmentSpec
    params: Any
    app: bool
    sections: Sections
    form: Any = None  # the web form, in the app
    result: Any = None  # the assessment's result, in a report
    applied: Applied = field(default_factory=Applied)  # the organisation's settings a store run used

    def finish(self) -> None:
        """The notebook's last cell: write the JSON and Excel outputs when a run names an output folder
        (``workbook run`` does); in the app, a preheated kernel waits here for its page request."""
        if self.app:
            serve(self.form)
        elif self.params.output_dir:
            p = self.params
            settings = {"settings": self.applied.as_json()} if self.applied.settings is not None else {}

            def extra(summary: dict[str, Any]) -> dict[str, Any]:  # the decisions on what the summary says is due
                return {**settings, **decisions_in_summary(summary, p)}

            self.spec.write_outputs(self.result, p.organisation, p.period, p.output_dir, extra)


def start(assessment: str, namespace: dict[str, Any]) -> Notebook:
    """Validate the parameters the notebook's namespace holds, then build the form or run the assessment.

    Call it in the cell right after the parameters cell: every plain value (text, number, date, list, mapping,
    None) defined by then is a parameter, and an unknown one is an error (with a did-you-mean)."""
    plain_failures()
    spec = get(assessment)
    params = from_namespace(namespace, spec.params)
    use_static_renderer()
    app = app_mode(params.show_form)
    if app:  # the web form: data from the store, sections re-rendered after every save
        module, cls = spec.form.split(":")
        sections = Sections(live=True)
        form = getattr(importlib.import_module(module), cls)(params, sections)
        display(form)
        return Notebook(spec, params, app, sections, form=form)
    try:
        with source_of(params):  # one source for the run: its store opened once, closed when the run is done
            params, applied = effective(params)  # source: store: the organisation's settings from the store
            if applied.lines():
                display(HTML(settings_note(applied)))
            result = spec.run(params)
    except (ValueError, StoreError) as exc:  # InputError, ParameterError, each assessment's own
        _record_problems(params, exc)
        if isinstance(exc, InputError):
            display(HTML(exc._repr_html_()))
        raise
    return Notebook(spec, params, app, Sections(live=False, result=result), result=result, applied=applied)


def plain_failures() -> None:
    """In a notebook kernel, a problem in the inputs shows as the problem table (or its one message) and one line;
    the Python traceback is behind a "Details" toggle. The cell still fails, so papermill, nbval and the batch see
    it. In the app a failing page says what happened and what to do, and the traceback goes to the app's log only
    (never Voilà's "run with --show_tracebacks"). Errors not raised by the suite keep their usual traceback, except
    in the app, where every failure is said in words."""
    from IPython import get_ipython  # the kernel's shell; None outside IPython

    shell = get_ipython()
    if shell is None or getattr(shell, "_workbook_plain_failures", False):
        return
    shell.set_custom_exc((Exception,), _failure_shown)
    shell._workbook_plain_failures = True


def _failure_shown(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> list[str]:
    import sys
    import traceback  # lazy: only on a failure

    ours = type(value).__module__.startswith("workbook_lib.") and isinstance(value, (ValueError, StoreError))
    details = "".join(traceback.format_exception(etype, value, tb))
    if app_mode():  # a stakeholder's page: words on the page, the details in the app's log
        print(details, file=sys.__stderr__, flush=True)
        said = str(value) if ours else "the page met an error it did not expect"
        display(HTML(f'<div class="wb-failure wb-error"><p><b>This page could not be opened.</b> '
                     f"{html.escape(said)}</p><p>Reload the page to try again. If it happens again, tell your risk "
                     "champion: the details are kept in the app's log.</p></div>"))
        return []  # no error output: the cell still fails, and Voilà has nothing to replace with its instruction
    if not ours:
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
        shell._showtraceback(etype, value, stb)  # as IPython shows any error
        return stb
    if not isinstance(value, InputError):  # an InputError's table is shown where it was raised
        display(HTML(f'<div class="wb-failure"><p><b>No report was produced:</b></p>'
                     f'<pre style="white-space: pre-wrap">{html.escape(str(value))}</pre></div>'))
    display(HTML(f"<details><summary>Details (for whoever maintains the workbook)</summary>"
                 f'<pre style="white-space: pre-wrap">{html.escape(details)}</pre></details>'))
    stb = ["No report was produced: the problems are listed above."]
    shell._showtraceback(etype, value, stb)  # the cell fails, in one line
    return stb


def _record_problems(params: Any, exc: Exception) -> None:
    """A run writing outputs (``workbook run``) leaves the input problems it stopped on beside them, for the command
    line to print (batch/execute.py); nothing else is written."""
    if params.output_dir:
        folder = Path(params.output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / PROBLEMS_FILE).write_text(problems_json(exc), encoding="utf-8")


def settings_note(applied: Applied) -> str:
    """The settings a run used, as a short block of the report."""
    head, *rest = applied.lines()
    items = "".join(f"<li>{html.escape(line)}</li>" for line in rest)
    return f'<div class="wb-settings-used"><p><b>{html.escape(head)}</b></p><ul>{items}</ul></div>'
