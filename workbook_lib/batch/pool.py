"""Many runs at once (``workbook batch``): the jobs parameters files make, and running them in parallel.

``run_job`` wraps ``execute`` for a worker process (or a Dask worker): it never raises, retries once when the
kernel died or could not bind its ports, and returns a ``RunResult``. ``run_batch`` fans the jobs out over a
bounded process pool or a Dask cluster.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from workbook_lib.assessments import assessments_for
from workbook_lib.batch.errors import RunFailed
from workbook_lib.batch.execute import DEFAULT_TIMEOUT, OUTPUTS, execute, folder_name, safe_target
from workbook_lib.core import params as wb_params


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


# ---- the jobs --------------------------------------------------------------------------------------
def parameter_files(paths: Iterable[Path]) -> tuple[list[Path], list[RunResult]]:
    """Files named, and the *.yaml / *.yml directly in a folder named (not in its subfolders, which hold
    data). In a folder, a YAML file that is a mapping without ``organisation`` (e.g. a methodology) is not a
    parameters file and is skipped; an unreadable one is reported. A named file is always used."""
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
            key = (folder_name(org), folder_name(period), name)  # the folders the runs would share
            if key in seen:
                failures.append(RunResult(str(f), name, "failed", org, period, kind="input",
                                          error=f"same organisation, period and assessment as {seen[key]}; "
                                                "not run (it would overwrite that report)"))
                continue
            seen[key] = str(f)
            jobs.append(Job(str(f), name, str(out.resolve()), timeout, pdf, org, period))
    return jobs, failures


# ---- a batch ---------------------------------------------------------------------------------------
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
    # lazy: the process pool is only needed when a batch runs (not by `workbook run`)
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
    # lazy: distributed takes about a second to import, and only --scheduler needs it
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
