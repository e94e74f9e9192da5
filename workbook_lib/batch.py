"""Running assessments: one (``workbook run``) or many at once (``workbook batch``).

``execute`` validates the inputs, runs the notebook with papermill in a staging folder, appends the
provenance, converts to HTML (and PDF on request) and moves the outputs into
``OUT/<organisation>/<period>/`` only when all exist; it raises ``RunFailed`` otherwise. ``run_job``
wraps it for a worker process (or a Dask worker): it never raises, retries once when the kernel died or
could not bind its ports, and returns a ``RunResult``. ``run_batch`` fans the jobs out over a bounded
process pool or a Dask cluster, and ``write_index`` writes ``OUT/index.html`` from the runs' JSON.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

# jsonschema imports rfc3987_syntax when it is installed, and that compiles a grammar at import (1.2-1.6 s)
# for the "iri" formats, which no schema used here (nbformat, altair) has: skip it, here and in the kernel.
SKIP_SLOW_IMPORTS = "__import__('sys').modules.setdefault('rfc3987_syntax', None)"
sys.modules.setdefault("rfc3987_syntax", None)

KERNEL = "python3"
KERNEL_ARGS = [f"--IPKernelApp.exec_lines={SKIP_SLOW_IMPORTS}"]
DEFAULT_TIMEOUT = 600  # seconds per cell
START_TIMEOUT = 120  # seconds for a kernel to start (two runs per core start kernels at once)
OUTPUTS = ("ipynb", "html", "xlsx", "json")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


class RunFailed(Exception):
    """A run that produced no report (or not every output). ``kind``: input, cell, timeout, kernel, output."""

    def __init__(self, message: str, kind: str, cell: str = "", error: str = "", problems: Any = None):
        super().__init__(message)
        self.message, self.kind, self.cell, self.error, self.problems = message, kind, cell, error or message, problems

    @property
    def exit_code(self) -> int:
        return 2 if self.kind == "input" else 1


@dataclass
class Outcome:
    paths: list[Path]
    organisation: str
    period: str
    seconds: float


@dataclass(frozen=True)
class Job:
    params_file: str  # absolute
    assessment: str
    out: str  # absolute
    timeout: int = DEFAULT_TIMEOUT
    pdf: bool = False
    organisation: str = ""  # as given in the file, shown before validation
    period: str = ""


@dataclass
class RunResult:
    params_file: str
    assessment: str
    status: str  # "ok" or "failed"
    organisation: str = ""
    period: str = ""
    folder: str = ""  # relative to OUT, with "/"
    outputs: list[str] = field(default_factory=list)  # file names in folder
    kind: str = ""
    cell: str = ""
    error: str = ""
    seconds: float = 0.0
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# ---- one run ---------------------------------------------------------------------------------------
def safe_target(out: Path, organisation: str, period: str) -> Path:
    """OUT/<organisation>/<period> with safe slugs; refused if it would resolve outside OUT (e.g. a symlink)."""
    from .reports import slug

    root = out.resolve()
    target = (root / slug(organisation) / slug(period)).resolve()
    if not target.is_relative_to(root) or target == root:
        raise RunFailed(f"organisation {organisation!r} and period {period!r} would write outside {root}; "
                        "nothing was written", "input")
    return target


def _validated(assessment: str, params_file: Path) -> tuple[Any, Any, dict[str, Any]]:
    """(spec, params, the file's mapping as given); RunFailed(kind=input) listing every problem."""
    from . import params as wb_params
    from .assessments import ASSESSMENTS, SHARED_FIELDS
    from .coso import QuestionnaireError
    from .maturity import MatrixError
    from .methodology import MethodologyError
    from .store import StoreError
    from .validation import InputError

    if assessment not in ASSESSMENTS:
        raise RunFailed(f"unknown assessment {assessment!r}; choose one of {', '.join(ASSESSMENTS)}", "input")
    spec = ASSESSMENTS[assessment]
    try:
        given = wb_params.read_file(params_file)
        params = wb_params.load_file(params_file, spec.params, SHARED_FIELDS, data=given)
        spec.check(params)  # fail fast, with the full error table, before starting a kernel
    except InputError as exc:
        raise RunFailed(exc.summary(), "input", problems=exc) from None
    except (wb_params.ParameterError, MethodologyError, QuestionnaireError, MatrixError, StoreError) as exc:
        raise RunFailed(str(exc), "input") from None
    return spec, params, given


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


class EarlyKernel:
    """A kernel started before the inputs are checked, so that its start-up (a new Python process importing
    ipykernel) overlaps the checks; handed to papermill, and always shut down by this process."""

    def __init__(self, cwd: Path):
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self.km = AsyncKernelManager(kernel_name=KERNEL)
        # the same thread's event loop that papermill (nbclient) uses later through run_sync
        run_sync(self.km.start_kernel)(cwd=str(cwd), extra_arguments=KERNEL_ARGS)

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        try:
            if self.km.has_kernel:
                run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:  # already dead: nothing left to stop
            pass


def _start_kernel_early() -> EarlyKernel | None:
    """Start a kernel in the notebooks' folder now; None when that fails (papermill then starts its own,
    and reports the failure the usual way)."""
    from .params import NOTEBOOKS

    try:
        return EarlyKernel(NOTEBOOKS)
    except Exception:
        return None


def _execute_notebook(spec: Any, injected: dict[str, Any], executed: Path, timeout: int, failed: Path,
                      params_file: Path, assessment: str, kernel: EarlyKernel | None = None) -> None:
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError

    early = {"km": kernel.km} if kernel is not None else {}
    try:
        pm.execute_notebook(str(spec.path), str(executed), parameters=injected, kernel_name=KERNEL,
                            cwd=str(spec.path.parent), progress_bar=False, log_output=False,
                            execution_timeout=timeout, start_timeout=START_TIMEOUT, extra_arguments=KERNEL_ARGS,
                            **early)
    except pm.PapermillExecutionError as exc:
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
        if not _is_kernel_failure(exc):
            raise
        raise RunFailed(f"{params_file}: {assessment}: the kernel failed: {type(exc).__name__}: {exc}", "kernel",
                        error=f"{type(exc).__name__}: {exc}") from None


def injected_parameters(spec: Any, params: Any, output_dir: Path) -> dict[str, Any]:
    """The values papermill injects: validated parameters, input files made absolute (the kernel runs in
    notebooks/), outputs to ``output_dir``."""
    injected = params.model_dump(mode="json", by_alias=True)
    injected["output_dir"] = str(output_dir)
    for name in spec.file_inputs:
        if injected.get(name):
            injected[name] = str(params.resolve(injected[name]))
    if spec.resolve_methodology:
        injected = spec.resolve_methodology(params, injected)
    return injected


def execute(assessment: str, params_file: Path, out: Path, timeout: int = DEFAULT_TIMEOUT,
            pdf: bool = False, early_kernel: bool = False) -> Outcome:
    """Validate, execute, add provenance, convert; move the outputs into place only when all exist.

    Raises RunFailed: kind "input" (nothing written), "cell" or "timeout" (only <assessment>.failed.ipynb),
    "kernel" (nothing written; worth one retry), "output" (an output missing, or the PDF could not be made).
    """
    params_file = Path(params_file)
    # a single run (workbook run) starts its kernel first, to boot while the inputs are checked; a batch
    # does not need to (its workers keep the cores busy), and papermill then cleans up its own client
    kernel = _start_kernel_early() if early_kernel else None
    try:
        return _execute_checked(assessment, params_file, out, timeout, pdf, kernel)
    finally:
        if kernel is not None:
            kernel.shutdown()


def _execute_checked(assessment: str, params_file: Path, out: Path, timeout: int, pdf: bool,
                     kernel: EarlyKernel | None) -> Outcome:
    import threading

    from . import provenance
    from .reports import notebook_to_html, warm_html_exporter

    spec, p, given = _validated(assessment, params_file)
    target = safe_target(out, p.organisation, p.period)  # absolute: the kernel runs in notebooks/
    target.mkdir(parents=True, exist_ok=True)
    stem = assessment
    failed = target / f"{stem}.failed.ipynb"
    with tempfile.TemporaryDirectory(prefix=".staging-", dir=target) as staging_dir:
        staging = Path(staging_dir)
        injected = injected_parameters(spec, p, staging)
        executed = staging / f"{stem}.ipynb"
        started_at, started = dt.datetime.now(dt.UTC), time.perf_counter()
        # the HTML converter loads while the kernel works (this process only waits on it meanwhile)
        warming = threading.Thread(target=warm_html_exporter, name="warm-html", daemon=True)
        warming.start()
        _execute_notebook(spec, injected, executed, timeout, failed, params_file, assessment, kernel)
        warming.join()
        prov = provenance.record(assessment, spec, p, params_file, given, started_at, time.perf_counter() - started)
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
        failed.unlink(missing_ok=True)
        final = []
        for o in outputs:
            dest = target / o.name
            o.replace(dest)
            final.append(dest)
    if pdf_error is not None:  # the four outputs are in place; only the PDF is missing
        raise pdf_error
    return Outcome(final, p.organisation, p.period, time.perf_counter() - started)


# ---- PDF -------------------------------------------------------------------------------------------
def chromium_path() -> str | None:
    """Debian's Chromium (never a downloaded browser); WORKBOOK_CHROMIUM overrides."""
    for candidate in (os.environ.get("WORKBOOK_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _print_to_pdf(html_text: str, chromium: str, paginate: bool, render_ms: int) -> bytes:
    """Print an HTML page to PDF with Playwright driving the given Chromium."""
    from playwright.sync_api import sync_playwright

    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False, encoding="utf-8") as handle:
        handle.write(html_text)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, handle_sigint=False,
                                        handle_sigterm=False, handle_sighup=False)
            try:
                page = browser.new_page()
                page.emulate_media(media="print")
                page.goto(Path(handle.name).as_uri(), wait_until="load")
                page.wait_for_timeout(render_ms)
                return page.pdf(print_background=True, prefer_css_page_size=not paginate)
            finally:
                browser.close()
    finally:
        os.unlink(handle.name)


def notebook_to_pdf(notebook: Path, pdf: Path, title: str) -> Path:
    """Executed notebook -> PDF without code, through nbconvert's webpdf template and Debian's Chromium."""
    import concurrent.futures

    import nbformat
    from nbconvert.exporters.webpdf import WebPDFExporter

    from .reports import _strip_external

    chromium = chromium_path()
    if chromium is None:
        raise RunFailed(f"{pdf.name}: no PDF: Chromium was not found (install Debian's chromium, or set "
                        "WORKBOOK_CHROMIUM to its path); the other outputs were written", "output")

    class ChromiumPDFExporter(WebPDFExporter):
        def run_playwright(self, html_text: str) -> bytes:  # nbconvert's launches Playwright's own browser
            with concurrent.futures.ThreadPoolExecutor(1) as pool:  # no asyncio loop may run in this thread
                return pool.submit(_print_to_pdf, _strip_external(html_text), chromium, self.paginate,
                                   self.page_render_timeout).result()

    exporter = ChromiumPDFExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.mathjax_url = ""
    try:
        data, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4),
                                              resources={"metadata": {"name": title}})
    except Exception as exc:  # a browser that would not start or print
        raise RunFailed(f"{pdf.name}: no PDF: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}; "
                        "the other outputs were written", "output") from None
    pdf.write_bytes(data)
    return pdf


# ---- a job in a worker -----------------------------------------------------------------------------
def run_job(job: Job) -> RunResult:
    """Run one job; never raises. One retry when the kernel died or could not start."""
    result = RunResult(job.params_file, job.assessment, "failed", job.organisation, job.period)
    started = time.perf_counter()
    out = Path(job.out)
    for attempt in (1, 2):
        result.attempts = attempt
        try:
            outcome = execute(job.assessment, Path(job.params_file), out, job.timeout, job.pdf)
        except RunFailed as exc:
            result.kind, result.cell, result.error = exc.kind, exc.cell, _first_lines(exc.error)
            if exc.kind == "kernel" and attempt == 1:
                continue
            if exc.kind == "output":
                _record_outputs(result, out, job)
        except Exception as exc:  # a bug, not an input: report it with the others
            result.kind, result.error = "error", _first_lines(f"{type(exc).__name__}: {exc}")
        else:
            result.status = "ok"
            result.organisation, result.period = outcome.organisation, outcome.period
            result.folder = outcome.paths[0].parent.relative_to(out.resolve()).as_posix()
            result.outputs = [p.name for p in outcome.paths]
        break
    if result.status != "ok" and not result.outputs:
        _record_outputs(result, out, job)  # e.g. the failed notebook
    result.seconds = round(time.perf_counter() - started, 2)
    return result


def _record_outputs(result: RunResult, out: Path, job: Job) -> None:
    """What a failed run left in place (a failed notebook, or the outputs besides a missing PDF)."""
    try:
        folder = safe_target(out, job.organisation, job.period)
    except RunFailed:
        return
    if folder.is_dir():
        result.folder = folder.relative_to(out.resolve()).as_posix()
        names = [f"{job.assessment}.{ext}" for ext in (*OUTPUTS, "pdf", "failed.ipynb")]
        result.outputs = [n for n in names if (folder / n).is_file()]


def _first_lines(text: str, lines: int = 6, chars: int = 600) -> str:
    kept = "\n".join(str(text).strip().splitlines()[:lines])
    return kept if len(kept) <= chars else kept[: chars - 1] + "…"


def _worker_init(log_file: str) -> None:
    """Pool workers send their and their kernels' stderr/stdout to OUT/batch.log, not over the progress bar."""
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


# ---- a batch ---------------------------------------------------------------------------------------
def parameter_files(paths: Iterable[Path]) -> tuple[list[Path], list[RunResult]]:
    """Files named, and the *.yaml / *.yml directly in a folder named (not in its subfolders, which hold
    data). In a folder, a YAML file that is a mapping without ``organisation`` (e.g. a methodology) is not a
    parameters file and is skipped; an unreadable one is reported. A named file is always used."""
    from . import params as wb_params

    files: list[Path] = []
    problems: list[RunResult] = []
    for path in paths:
        if path.is_dir():
            for candidate in sorted(p for p in path.iterdir() if p.suffix.lower() in {".yaml", ".yml"} and p.is_file()):
                try:
                    data = wb_params.read_file(candidate)
                except wb_params.ParameterError:
                    files.append(candidate)  # reported with its error when its jobs are made
                    continue
                if "organisation" in data:
                    files.append(candidate)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(RunResult(str(path), "-", "failed", kind="input", error="no such file or folder"))
    unique = list(dict.fromkeys(f.resolve() for f in files))
    return unique, problems


def make_jobs(files: Iterable[Path], out: Path, timeout: int = DEFAULT_TIMEOUT,
              pdf: bool = False) -> tuple[list[Job], list[RunResult]]:
    """One job per assessment each file runs (its ``assessments:``, else those it has inputs for).

    A file that cannot be read, runs nothing, or repeats another's organisation, period and assessment
    is reported as a failure instead."""
    from . import params as wb_params
    from .assessments import assessments_for
    from .reports import slug

    jobs: list[Job] = []
    failures: list[RunResult] = []
    seen: dict[tuple[str, str, str], str] = {}
    for f in files:
        try:
            data = wb_params.read_file(f)
            names = assessments_for(data)
        except wb_params.ParameterError as exc:
            failures.append(RunResult(str(f), "-", "failed", kind="input", error=_first_lines(str(exc))))
            continue
        org, period = str(data.get("organisation", "")), str(data.get("period", ""))
        if not names:
            failures.append(RunResult(str(f), "-", "failed", org, period, kind="input",
                                      error="runs no assessment: list them under assessments:, or give the "
                                            "inputs of one (e.g. methodology and register)"))
        for name in names:
            key = (slug(org), slug(period), name)
            if key in seen:
                failures.append(RunResult(str(f), name, "failed", org, period, kind="input",
                                          error=f"same organisation, period and assessment as {seen[key]}; "
                                                "not run (it would overwrite that report)"))
                continue
            seen[key] = str(f)
            jobs.append(Job(str(f), name, str(out.resolve()), timeout, pdf, org, period))
    return jobs, failures


def run_batch(jobs: list[Job], out: Path, workers: int | None = None, scheduler: str | None = None,
              on_result: Callable[[RunResult], None] | None = None) -> list[RunResult]:
    """Run every job on a bounded process pool (default: one per core), or on the Dask cluster at
    ``scheduler``; ``on_result`` sees each result as it arrives. Results come back in job order."""
    results: dict[int, RunResult] = {}

    def done(index: int, result: RunResult) -> None:
        results[index] = result
        if on_result is not None:
            on_result(result)

    if not jobs:
        return []
    if scheduler:
        _run_on_dask(jobs, scheduler, done)
    else:
        _run_on_pool(jobs, out, workers or os.cpu_count() or 1, done)
    return [results[i] for i in range(len(jobs))]


def _run_on_pool(jobs: list[Job], out: Path, workers: int, done: Callable[[int, RunResult], None]) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    out.mkdir(parents=True, exist_ok=True)
    # spawn: the parent may run a progress thread, and forking a threaded process can deadlock
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=multiprocessing.get_context("spawn"),
                             initializer=_worker_init, initargs=(str(out / "batch.log"),)) as pool:
        futures = {pool.submit(run_job, job): i for i, job in enumerate(jobs)}
        for future in as_completed(futures):
            i = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # the worker process itself died (e.g. out of memory)
                result = _lost(jobs[i], exc)
            done(i, result)


def _run_on_dask(jobs: list[Job], scheduler: str, done: Callable[[int, RunResult], None]) -> None:
    """The same jobs on a Dask distributed cluster; its workers must see the parameter files and OUT."""
    from distributed import Client, as_completed

    with Client(scheduler) as client:
        futures = {client.submit(run_job, job, pure=False, key=f"workbook-{i}-{job.assessment}"): i
                   for i, job in enumerate(jobs)}
        for future in as_completed(futures):
            i = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # a worker lost mid-run (KilledWorker, ...)
                result = _lost(jobs[i], exc)
            done(i, result)


def _lost(job: Job, exc: BaseException) -> RunResult:
    return RunResult(job.params_file, job.assessment, "failed", job.organisation, job.period, kind="worker",
                     error=_first_lines(f"worker lost: {type(exc).__name__}: {exc}"))


# ---- the index -------------------------------------------------------------------------------------
def _read_summary(out: Path, result: RunResult) -> dict[str, Any] | None:
    name = f"{result.assessment}.json"
    if name not in result.outputs:
        return None
    try:
        return json.loads((out / result.folder / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _counts(pairs: Iterable[tuple[Any, float]], worst_first_high: bool) -> list[tuple[str, int]]:
    """Counts per level, ordered by the scores seen at that level (worst first)."""
    count: Counter[str] = Counter()
    score: dict[str, list[float]] = {}
    for level, s in pairs:
        if level is None:
            continue
        count[str(level)] += 1
        if s is not None:
            score.setdefault(str(level), []).append(float(s))
    mean = {k: sum(v) / len(v) for k, v in score.items()}
    order = sorted(count, key=lambda k: mean.get(k, 0.0), reverse=worst_first_high)
    return [(k, count[k]) for k in order]


def key_figures(summary: dict[str, Any]) -> dict[str, Any]:
    """The figures a committee looks at first, from an assessment's JSON summary."""
    a = summary.get("assessment")
    if a == "risk-evaluation":
        risks = summary.get("risks", [])
        rated = [r for r in risks if r.get("rated")]
        return {"risks": len(risks), "rated": len(rated),
                "residual": _counts(((r.get("residual_level"), r.get("residual_score")) for r in rated), True),
                "above appetite": sum(r.get("above_appetite") is True for r in rated)}
    if a == "coso-assessment":
        principles = summary.get("principles", [])
        assessed = [p for p in principles if p.get("assessed")]
        items = summary.get("items", [])
        return {"principles assessed": len(assessed),
                "present and functioning": sum(p.get("present_and_functioning") is True for p in assessed),
                "bands": _counts(((i.get("band"), i.get("combined_score")) for i in items), False),
                "divergent items": sum(i.get("divergent") is True for i in items)}
    if a == "maturity-scoring":
        return {"status": summary.get("status"), "score": summary.get("total_score"),
                "rated": f"{summary.get('elements_rated')}/{summary.get('elements_total')}"}
    if a == "combined-assurance":
        risks = summary.get("risks", [])
        return {"in scope": sum(r.get("in_scope") is True for r in risks),
                "gaps": sum(r.get("gap") is True for r in risks),
                "duplications": len(summary.get("duplications", []))}
    return {}


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " · ".join(f"{k} {n}" for k, n in value) or "none"
    return "" if value is None else str(value)


def _figures_html(figures: dict[str, Any]) -> str:
    return "; ".join(f"{html.escape(k)} <b>{html.escape(_text(v))}</b>" for k, v in figures.items())


_CSS = """body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0 2rem;font-size:.9rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;
text-align:left;vertical-align:top}th{background:#f0f0f0}.failed{background:#fde8e8}.ok{color:#1a7f37}
.bad{color:#b42318;font-weight:bold}td:nth-child(2){white-space:nowrap}pre{white-space:pre-wrap;margin:0;font-size:.8rem}"""


def _summary_rows(out: Path, results: list[RunResult]) -> str:
    """Cross-organisation summary: one row per organisation and period, one group of columns per assessment."""
    grid: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in results:
        grid.setdefault((r.organisation, r.period), {})
        summary = _read_summary(out, r) if r.ok else None
        if summary is not None:
            grid[(r.organisation, r.period)][r.assessment] = key_figures(summary)
    rows = []
    for (org, period), by in sorted(grid.items()):
        risk, coso = by.get("risk-evaluation", {}), by.get("coso-assessment", {})
        mat, ca = by.get("maturity-scoring", {}), by.get("combined-assurance", {})
        cells = [org, period,
                 f"{risk['rated']}/{risk['risks']}" if risk else "", _text(risk.get("residual")) if risk else "",
                 _text(risk.get("above appetite")),
                 f"{coso['present and functioning']}/{coso['principles assessed']}" if coso else "",
                 _text(coso.get("bands")) if coso else "",
                 f"{mat.get('status')} ({mat.get('score')})" if mat else "",
                 f"{ca['gaps']} of {ca['in scope']}" if ca else "", _text(ca.get("duplications"))]
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    return "".join(rows)


_LINK_ORDER = {"html": 0, "pdf": 1, "xlsx": 2, "json": 3, "ipynb": 4, "failed.ipynb": 5}


def write_index(out: Path, results: list[RunResult], title: str = "Assessment reports") -> Path:
    """OUT/index.html: every run (status, key figures, links) and the cross-organisation summary.
    Self-contained: inline CSS, no script, nothing from the network; every text escaped."""
    from .assessments import ASSESSMENTS

    order = {name: i for i, name in enumerate(ASSESSMENTS)}
    ranked = sorted(results, key=lambda r: (r.organisation, r.period, order.get(r.assessment, 99), r.params_file))
    run_rows = []
    for r in ranked:
        figures = _figures_html(key_figures(s)) if r.ok and (s := _read_summary(out, r)) else ""
        names = sorted(r.outputs, key=lambda n: _LINK_ORDER.get(n.split(".", 1)[-1], 9))
        links = " ".join(f'<a href="{html.escape(quote(f"{r.folder}/{name}"))}">'
                         f"{html.escape(name.split('.', 1)[-1])}</a>" for name in names)
        detail = figures if r.ok else (f"<pre>{html.escape(r.error)}</pre>"
                                       + (f"cell {html.escape(r.cell)}" if r.cell else ""))
        status = '<span class="ok">ok</span>' if r.ok else f'<span class="bad">failed ({html.escape(r.kind)})</span>'
        run_rows.append(f'<tr class="{"ok-row" if r.ok else "failed"}"><td>{html.escape(r.organisation)}</td>'
                        f"<td>{html.escape(r.period)}</td><td>{html.escape(r.assessment)}</td><td>{status}</td>"
                        f"<td>{detail}</td><td>{links}</td><td>{html.escape(Path(r.params_file).name)}</td></tr>")
    n_failed = sum(not r.ok for r in results)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = ("<tr><th>Organisation</th><th>Period</th><th>Rated risks</th><th>Residual levels</th>"
            "<th>Above appetite</th><th>COSO principles present and functioning</th><th>COSO item bands</th>"
            "<th>Maturity status (score)</th><th>Assurance gaps (of risks in scope)</th><th>Duplicated controls</th>"
            "</tr>")
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p>{len(results)} run(s), {len(results) - n_failed} ok, "
            f'<span class="{"bad" if n_failed else "ok"}">{n_failed} failed</span>; written {stamp}.</p>'
            f"<h2>All organisations side by side</h2><table><thead>{head}</thead>"
            f"<tbody>{_summary_rows(out, results)}</tbody></table>"
            "<h2>Every run</h2><table><thead><tr><th>Organisation</th><th>Period</th><th>Assessment</th>"
            "<th>Status</th><th>Key figures</th><th>Reports</th><th>Parameters</th></tr></thead>"
            f"<tbody>{''.join(run_rows)}</tbody></table></body></html>\n")
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    (out / "index.json").write_text(json.dumps([asdict(r) for r in ranked], indent=2, ensure_ascii=False),
                                    encoding="utf-8")
    return path
