"""One run: one assessment for one parameters file (``workbook run``, and each job of a batch).

``execute`` validates the inputs, runs the notebook with papermill in a staging folder, appends the
provenance, converts to HTML (and PDF on request) and moves the outputs into
``OUT/<organisation>/<period>/`` only when all exist; it raises ``RunFailed`` otherwise.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbook_lib.assessments import registry, shared_fields
from workbook_lib.batch.early_kernel import KERNEL, KERNEL_ARGS, EarlyKernel, KernelManager, start_kernel_early
from workbook_lib.batch.errors import RunFailed
from workbook_lib.batch.pdf import notebook_to_pdf
from workbook_lib.core import params as wb_params
from workbook_lib.core import provenance
from workbook_lib.core.assessment import AssessmentSpec
from workbook_lib.core.errors import PROBLEMS_FILE, InputError, StoreError, problems_from_json
from workbook_lib.core.leftovers import HOST, alive
from workbook_lib.core.outputs import NO_SPACE, notebook_to_html, slug, warm_html_exporter
from workbook_lib.core.report_set import PREVIOUS, set_names, staging_prefix
from workbook_lib.core.settings import effective
from workbook_lib.core.source import source_of

DEFAULT_TIMEOUT = 600  # seconds per cell
START_TIMEOUT = 120  # seconds for a kernel to start (two runs per core start kernels at once)
OUTPUTS = ("ipynb", "html", "xlsx", "json")


@dataclass
class Outcome:
    paths: list[Path]
    organisation: str
    period: str
    seconds: float


MAX_NAME = 80  # a folder name longer than this is cut, with a hash of the whole name (ENAMETOOLONG at 255)


def folder_name(text: str) -> str:
    """A safe folder name for an organisation or period; a long one keeps its start and a hash of the whole."""
    name = slug(text)
    if len(name) <= MAX_NAME:
        return name
    return name[:60].rstrip("-.") + "-" + hashlib.sha256(str(text).encode("utf-8")).hexdigest()[:10]


def safe_target(out: Path, organisation: str, period: str) -> Path:
    """OUT/<organisation>/<period> with safe names; refused if it would resolve outside OUT (e.g. a symlink)."""
    if out.exists() and not out.is_dir():
        raise RunFailed(f"{out} is a file, not a folder: choose a folder for the outputs (--out)", "input")
    root = out.resolve()
    target = (root / folder_name(organisation) / folder_name(period)).resolve()
    if not target.is_relative_to(root) or target == root:
        raise RunFailed(f"organisation {organisation!r} and period {period!r} would write outside {root}; "
                        "nothing was written", "input")
    return target


def remove_stale_staging(target: Path, stem: str) -> None:
    """Remove the staging folders of this assessment's earlier runs whose process is gone (killed outright), first
    putting back the set a killed run was replacing (core/report_set.py)."""
    for folder in target.glob(f"{staging_prefix(stem)}*"):
        pid, _, rest = folder.name.removeprefix(staging_prefix(stem)).partition("-")
        host = rest.split("-", 1)[0]
        if re.fullmatch(r"[0-9a-f]{8}", host) and host != HOST:  # another machine's run (a shared OUT)
            continue
        if pid.isdigit() and not alive(int(pid)):
            if (folder / PREVIOUS).is_dir():
                try:
                    _put_back(folder, target, stem)
                except OSError:  # left for a later run to try again
                    continue
            shutil.rmtree(folder, ignore_errors=True)


def swap_in(staging: Path, target: Path, stem: str, outputs: list[Path]) -> list[Path]:
    """Move the new set (``outputs``, in ``staging``) into ``target`` in place of the old one, so that a reader never
    meets a mix of the two: the old set is kept in ``staging/.previous`` (hard links) first; a failed move puts it
    back and raises; a run killed mid-way is put back by the next one (``remove_stale_staging``)."""
    partial = staging / f"{PREVIOUS}-partial"
    partial.mkdir()
    for name in set_names(stem):
        if (target / name).is_file() or (target / name).is_symlink():
            _keep(target / name, partial / name)
    partial.rename(staging / PREVIOUS)  # from here the set is being replaced (core.report_set.being_replaced)
    try:
        for o in outputs:
            o.replace(target / o.name)
        for name in set(set_names(stem)) - {o.name for o in outputs}:  # e.g. an earlier run's PDF
            (target / name).unlink(missing_ok=True)
    except BaseException:
        _put_back(staging, target, stem)
        raise
    (staging / PREVIOUS).rename(staging / f"{PREVIOUS}-replaced")  # the new set is whole
    return [target / o.name for o in outputs]


def _keep(path: Path, kept: Path) -> None:
    try:
        os.link(path, kept, follow_symlinks=False)
    except OSError:  # a filesystem without hard links
        shutil.copy2(path, kept, follow_symlinks=False)


def _put_back(staging: Path, target: Path, stem: str) -> None:
    """Put the set kept in ``staging/.previous`` back in ``target``, the new set's files removed; can be repeated."""
    previous = staging / PREVIOUS
    for name in set_names(stem):
        if (previous / name).exists() or (previous / name).is_symlink():
            os.replace(previous / name, target / name)
            (previous / name).unlink(missing_ok=True)  # still there when both names were one file
        else:
            (target / name).unlink(missing_ok=True)
    previous.rmdir()


def _no_space(target: Path, assessment: str, errno_: int) -> RunFailed:
    why = os.strerror(errno_)
    return RunFailed(f"{assessment}: the reports could not be written in {target} ({why}); nothing was changed: "
                     "any reports there are as they were", "output", error=f"reports not written: {why}")


def _not_moved(exc: OSError, staging: Path, target: Path, assessment: str) -> RunFailed:
    """A swap that failed: the old set put back (nothing changed), or, if even that failed, kept for the next run."""
    why = exc.strerror or str(exc) or type(exc).__name__
    if (staging / PREVIOUS).exists():
        return RunFailed(f"{assessment}: the reports could not be moved into {target} ({why}); the earlier ones are "
                         f"kept in {staging / PREVIOUS} and put back by the next run", "output",
                         error=f"reports not moved: {why}")
    if exc.errno in NO_SPACE:
        return _no_space(target, assessment, exc.errno)
    return RunFailed(f"{assessment}: the reports could not be moved into {target} ({why}); nothing was changed: any "
                     "reports there are as they were", "output", error=f"reports not moved: {why}")


def _no_space_in(text: str) -> int | None:
    """The errno of a full disk or quota a kernel's error names, if it does."""
    return next((n for n in NO_SPACE if os.strerror(n) in text), None)


def _loaded(assessment: str, params_file: Path) -> tuple[AssessmentSpec, Any, Any, dict[str, Any]]:
    """(spec, params, the params with the organisation's settings applied as the kernel will apply them
    (core/settings.py; the same params for a file run), the file's mapping as given); RunFailed(kind=input)."""
    specs = registry()
    if assessment not in specs:
        raise RunFailed(f"unknown assessment {assessment!r}; choose one of {', '.join(specs)}", "input")
    spec = specs[assessment]
    try:
        given = wb_params.read_file(params_file)
        params = wb_params.load_file(params_file, spec.params, shared_fields(), data=given)
        with source_of(params):  # the organisation's settings (source: store), read once
            used = effective(params)[0]
    except (ValueError, StoreError) as exc:  # ParameterError
        raise RunFailed(str(exc), "input") from None
    return spec, params, used, given


def _check(spec: AssessmentSpec, used: Any) -> None:
    """Load and check every input the parameters name; RunFailed(kind=input) listing every problem."""
    try:
        with source_of(used):  # the store (source: store) opened once for every record kind
            spec.check(used)
    except InputError as exc:
        raise RunFailed(exc.summary(), "input", problems=exc) from None
    except (ValueError, StoreError) as exc:  # ParameterError, and each assessment's own (MethodologyError, ...)
        raise RunFailed(str(exc), "input") from None


def _input_failure(staging: Path) -> RunFailed | None:
    """The input problems the kernel stopped on (it checks the inputs first thing: ``app/notebook.py``), if any."""
    found = staging / PROBLEMS_FILE
    if not found.is_file():
        return None
    problems = problems_from_json(found.read_text(encoding="utf-8"))
    if isinstance(problems, InputError):
        return RunFailed(problems.summary(), "input", problems=problems)
    return RunFailed(problems, "input")


# ---- the kernel ------------------------------------------------------------------------------------
def _is_kernel_failure(exc: BaseException) -> bool:
    """A kernel that died or could not start (e.g. a port taken between choosing and binding it)."""
    text = str(exc).lower()
    return type(exc).__name__ in {"DeadKernelError", "ZMQError"} or any(
        s in text for s in ("kernel died", "address already in use", "kernel didn't respond"))


def _running_cell(notebook: Path) -> str:
    """The cell a timed-out run was executing (papermill marks it 'running')."""
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    for cell in nb.get("cells", []):
        if cell.get("metadata", {}).get("papermill", {}).get("status") == "running":
            return str(cell.get("execution_count") or "")
    return ""


def _execute_notebook(spec: AssessmentSpec, injected: dict[str, Any], executed: Path, timeout: int, failed: Path,
                      params_file: Path, assessment: str, kernel: EarlyKernel | None = None) -> None:
    # lazy: ~0.2 s to import, paid while the early kernel boots (and never by a batch's parent process)
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError

    from workbook_lib.batch.engine import ENGINE  # lazy: with papermill

    # papermill's own kernel (a batch run's) names its connection file as the early kernel does (early_kernel.py)
    early = {"km": kernel.km} if kernel is not None else {"kernel_manager_class": KernelManager}
    try:
        pm.execute_notebook(str(spec.path), str(executed), parameters=injected, kernel_name=KERNEL,
                            cwd=str(spec.path.parent), progress_bar=False, log_output=False,
                            execution_timeout=timeout, start_timeout=START_TIMEOUT, extra_arguments=KERNEL_ARGS,
                            engine_name=ENGINE, **early)
    except pm.PapermillExecutionError as exc:
        refused = _input_failure(executed.parent)
        if refused is not None:  # bad input: nothing is written, not even the failed notebook
            raise refused from None
        full = _no_space_in(f"{exc.ename}: {exc.evalue}")
        if full is not None:  # the disk is full: no failed notebook either
            raise _no_space(failed.parent, assessment, full) from None
        shutil.copy(executed, failed)
        raise RunFailed(f"{params_file}: {assessment} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}\n"
                        f"No report was written; the failed notebook is {failed}", "cell", cell=str(exc.exec_count),
                        error=f"{exc.ename}: {exc.evalue}") from None
    except CellTimeoutError:
        cell = _running_cell(executed)
        if executed.is_file():
            shutil.copy(executed, failed)
        raise RunFailed(f"{params_file}: {assessment} timed out: a cell ran longer than {timeout} s; no report was "
                        "written", "timeout", cell=cell, error=f"cell ran longer than {timeout} s") from None
    except Exception as exc:  # the kernel, not the notebook: retried once by run_job
        if isinstance(exc, OSError) and exc.errno in NO_SPACE:  # papermill could not save the notebook
            raise _no_space(failed.parent, assessment, exc.errno) from None
        if not _is_kernel_failure(exc):
            raise
        raise RunFailed(f"{params_file}: {assessment}: the kernel failed: {type(exc).__name__}: {exc}", "kernel",
                        error=f"{type(exc).__name__}: {exc}") from None


# ---- a run -----------------------------------------------------------------------------------------
def injected_parameters(spec: AssessmentSpec, params: Any, output_dir: Path) -> dict[str, Any]:
    """The values papermill injects: validated parameters, input files made absolute (the kernel runs in
    notebooks/), outputs to ``output_dir``. The notebook's parameters cell names every one (tests/batch/
    test_run_quiet.py), so papermill has no unknown parameter to warn of."""
    injected = params.model_dump(mode="json", by_alias=True)
    injected["output_dir"] = str(output_dir)
    for name in spec.file_inputs:
        if injected.get(name):
            injected[name] = str(params.resolve(injected[name]))
    if spec.resolve_methodology:
        injected = spec.resolve_methodology(params, injected)
    return injected


@functools.cache
def notebook_parameters(notebook: Path) -> frozenset[str]:
    """The names a notebook's ``parameters`` cell assigns."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    source = next(("".join(c.get("source", "")) for c in cells
                   if "parameters" in c.get("metadata", {}).get("tags", [])), "")
    return frozenset(re.findall(r"^(\w+)\s*=", source, re.M))


def execute(assessment: str, params_file: Path, out: Path, timeout: int = DEFAULT_TIMEOUT,
            pdf: bool = False, early_kernel: bool = False, kernel: EarlyKernel | None = None) -> Outcome:
    """Validate, execute, add provenance, convert; move the outputs into place only when all exist.

    Raises RunFailed: kind "input" (nothing written), "cell" or "timeout" (only <assessment>.failed.ipynb),
    "kernel" (nothing written; worth one retry), "output" (an output missing, or the PDF could not be made).
    """
    params_file = Path(params_file)
    if kernel is not None:  # started by the caller, who shuts it down
        return _execute_checked(assessment, params_file, out, timeout, pdf, kernel)
    # a single run (workbook run) starts its kernel first, to boot while the inputs are checked; a batch
    # does not need to (its workers keep the cores busy), and papermill then cleans up its own client
    kernel = start_kernel_early() if early_kernel else None
    try:
        return _execute_checked(assessment, params_file, out, timeout, pdf, kernel)
    finally:
        if kernel is not None:
            kernel.shutdown()


def _execute_checked(assessment: str, params_file: Path, out: Path, timeout: int, pdf: bool,
                     kernel: EarlyKernel | None) -> Outcome:
    spec, p, used, given = _loaded(assessment, params_file)
    if kernel is None:  # a batch job checks the inputs before it starts a kernel for them
        _check(spec, used)
    # a single run's early kernel checks them first thing, instead of this process before it: the check no longer
    # waits for this process (bench/startup.py); a problem still ends the run with nothing written
    target = safe_target(out, p.organisation, p.period)  # absolute: the kernel runs in notebooks/
    created = _missing_folders(target)
    target.mkdir(parents=True, exist_ok=True)
    try:
        return _run_checked(spec, p, used, given, assessment, params_file, target, timeout, pdf, kernel)
    except RunFailed:
        for folder in created:  # nothing written (bad input, a full disk): not even the folders made for the outputs
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty: a failed notebook, or a PDF's missing set, stays
        raise


def _missing_folders(target: Path) -> list[Path]:
    """The folders a mkdir of ``target`` would make, deepest first."""
    missing = []
    while not target.exists():
        missing.append(target)
        target = target.parent
    return missing


def _run_checked(spec: AssessmentSpec, p: Any, used: Any, given: dict[str, Any], assessment: str, params_file: Path,
                 target: Path, timeout: int, pdf: bool, kernel: EarlyKernel | None) -> Outcome:
    stem = assessment
    failed = target / f"{stem}.failed.ipynb"
    remove_stale_staging(target, stem)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f"{staging_prefix(stem)}{os.getpid()}-{HOST}-", dir=target))
    except OSError as exc:
        if exc.errno in NO_SPACE:
            raise _no_space(target, assessment, exc.errno) from None
        raise
    try:
        injected = injected_parameters(spec, p, staging)
        executed = staging / f"{stem}.ipynb"
        started_at, started = dt.datetime.now(dt.UTC), time.perf_counter()
        # the HTML converter loads while the kernel works (this process only waits on it meanwhile)
        warming = threading.Thread(target=warm_html_exporter, name="warm-html", daemon=True)
        warming.start()
        _execute_notebook(spec, injected, executed, timeout, failed, params_file, assessment, kernel)
        warming.join()
        # the data files the run used: with source: store, those the organisation's settings name
        prov = provenance.record(assessment, spec, used, params_file, given, started_at,
                                 time.perf_counter() - started)
        provenance.add_to_notebook(executed, prov)
        if (staging / f"{stem}.json").is_file():
            provenance.add_to_json(staging / f"{stem}.json", prov)
        title = f"{p.organisation} {p.period} {assessment}"
        notebook_to_html(executed, staging / f"{stem}.html", title=title)
        outputs = [staging / f"{stem}.{ext}" for ext in OUTPUTS]
        missing = [o.name for o in outputs if not o.is_file()]
        if missing:
            raise RunFailed(f"{assessment}: outputs missing after the run: {', '.join(missing)}", "output")
        pdf_error = None
        if pdf:
            try:
                outputs.append(notebook_to_pdf(executed, staging / f"{stem}.pdf", title))
            except RunFailed as exc:
                pdf_error = exc
        try:
            final = swap_in(staging, target, stem, outputs)  # all together, or the old set as it was
        except OSError as exc:
            raise _not_moved(exc, staging, target, assessment) from None
        failed.unlink(missing_ok=True)
    except OSError as exc:
        if exc.errno not in NO_SPACE:
            raise
        raise _no_space(target, assessment, exc.errno) from None
    finally:
        if not (staging / PREVIOUS).exists():  # else a set not put back: kept for the next run to put back
            shutil.rmtree(staging, ignore_errors=True)
    if pdf_error is not None:  # the four outputs are in place; only the PDF is missing
        raise pdf_error
    return Outcome(final, p.organisation, p.period, time.perf_counter() - started)
