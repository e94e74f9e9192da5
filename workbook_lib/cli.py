"""The ``workbook`` command line: run assessments, validate registers, inspect methodologies.

Every command imports what it needs when it runs (``# lazy:``): the assessments, the store and the batch pull
in pandas, pydantic, SQLAlchemy or papermill, and ``workbook --help`` should not wait for them.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from workbook_lib.assessments import command_modules
from workbook_lib.core import access_commands
from workbook_lib.core.commands import EXIT_INPUT, column_choices, fail_input, print_problems, print_readings
from workbook_lib.core.errors import InputError, StoreError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from workbook_lib.batch import Job, RunResult
    from workbook_lib.core.assessment import AssessmentSpec
    from workbook_lib.core.records import RecordKind
    from workbook_lib.core.store import Author, Method, Store

app = typer.Typer(help="Risk and assurance workbooks: run assessments headless, check inputs, "
                       "inspect methodologies.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
store_app = typer.Typer(help="The store behind the web forms: import, export, audit trail.", no_args_is_help=True)
app.add_typer(store_app, name="store")
settings_app = typer.Typer(help="An organisation's settings in the store (methodology, appetite, tolerance, "
                                "providers, maturity status, period dates): show, import, export.",
                           no_args_is_help=True)
app.add_typer(settings_app, name="settings")

for module in command_modules():  # the commands each assessment adds (its commands.py), found by the registry
    module.register(app)
access_commands.register(app)  # who may see and change what (core/access.py)


@contextlib.contextmanager
def _writing() -> Iterator[None]:
    """A file a command writes: a full disk or quota (NotWritten: the file as it was is kept) is one line, exit 1."""
    from workbook_lib.core.outputs import NotWritten  # lazy: pandas

    try:
        yield
    except NotWritten as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


def _output_folder(out: Path) -> None:
    """Create the output folder, or say in one line why it cannot be one."""
    if out.exists() and not out.is_dir():
        fail_input(f"{out} is a file, not a folder: choose a folder for the outputs (--out)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail_input(f"{out}: the output folder cannot be created ({exc.strerror})")


@app.command()
def run(assessment: str = typer.Argument(..., help="assessment to run, e.g. risk-evaluation"),
        params: Path = typer.Option(..., "--params", "-p", help="parameters YAML file"),
        out: Path = typer.Option(Path("outputs"), "--out", "-o", help="output folder"),
        timeout: int = typer.Option(600, help="seconds allowed per notebook cell")) -> None:
    """Run an assessment notebook with papermill and write .ipynb, .html, .xlsx and .json to OUT.

    Inputs are validated first: a bad parameters file or register prints every problem and exits 2
    with nothing written.
    """
    from workbook_lib.assessments import PACKAGES  # lazy: pydantic (the names alone: no assessment is imported)

    if assessment not in PACKAGES:
        fail_input(f"unknown assessment {assessment!r}; choose one of {', '.join(PACKAGES)}")
    written = run_assessment(assessment, params, out, timeout)
    typer.echo("Reports written:")
    for path in written:
        typer.echo(f"  {path}")


def run_assessment(assessment: str, params_file: Path, out: Path, timeout: int = 600) -> list[Path]:
    """Validate, execute, convert; move the four outputs into place only when all exist (see batch.execute)."""
    from workbook_lib.batch.early_kernel import start_kernel_early
    from workbook_lib.batch.errors import RunFailed  # lazy: with the kernel module, cheap (jupyter_client)

    kernel = start_kernel_early(assessment=assessment)  # first: it boots and imports while this process reads
    try:
        from workbook_lib.batch.execute import execute  # lazy: papermill, nbconvert, the assessments

        outcome = execute(assessment, params_file, out, timeout, kernel=kernel)
    except RunFailed as exc:
        if exc.problems is not None:
            print_problems(exc.problems)
        else:
            typer.echo(exc.message, err=True)
        raise typer.Exit(exc.exit_code) from None
    finally:
        if kernel is not None:
            kernel.shutdown()
    typer.echo(f"{assessment}: {outcome.organisation} {outcome.period} in {outcome.seconds:.1f}s", err=True)
    return outcome.paths


@app.command()
def batch(paths: list[Path] = typer.Argument(..., help="parameters files, or folders of them (*.yaml, *.yml)"),
          out: Path = typer.Option(Path("outputs"), "--out", "-o", help="output folder"),
          jobs: int | None = typer.Option(None, "--jobs", "-j", min=1, help="runs at once (default: one per core)"),
          timeout: int = typer.Option(600, min=1, help="seconds allowed per notebook cell"),
          pdf: bool = typer.Option(False, "--pdf", help="also a PDF per report (Debian's Chromium)"),
          scheduler: str | None = typer.Option(None, "--scheduler",
                                               help="run on this Dask distributed scheduler, e.g. tcp://host:8786"),
          pack: bool = typer.Option(False, "--pack", help="also one committee pack (.docx and .pdf) per "
                                                          "organisation and period")
          ) -> None:
    """Run every assessment each parameters file runs, in parallel; write OUT/index.html.

    A file runs the assessments listed under `assessments:`, else every one whose inputs it provides.

    In a folder, the parameters files are the YAML files directly in it that have an `organisation`.

    One failed run never stops the others; failures are listed at the end. Exit 0: all ran; 1: a run failed;
    2: no parameters file gave anything to run.
    """
    from rich.console import Console  # lazy: rich, for this command only

    from workbook_lib.batch.index import write_index  # lazy: the assessments (pandas, pydantic)
    from workbook_lib.batch.pool import make_jobs, parameter_files  # lazy: papermill, the assessments

    console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
    files, missing = parameter_files(paths)
    job_list, failures = make_jobs(files, out, timeout, pdf)
    failures = missing + failures
    if not job_list and not failures:
        fail_input("no parameters files found in " + ", ".join(map(str, paths)))
    _output_folder(out)
    where = f"Dask scheduler {scheduler}" if scheduler else f"{jobs or os.cpu_count()} process(es)"
    console.print(f"{len(job_list)} run(s) from {len(files)} parameters file(s) on {where}")
    started = time.perf_counter()
    results = failures + _run_jobs(job_list, out, jobs, scheduler, console)
    with _writing():
        index = write_index(out, results)
    failed = [r for r in results if not r.ok]
    console.print(f"{len(results) - len(failed)} of {len(results)} run(s) ok in "
                  f"{time.perf_counter() - started:.0f}s; index: {index.resolve()}", markup=False, highlight=False)
    if pack:
        failed += _write_packs(files, out, results, console)
    if failed:
        console.print(_failure_table(failed), markup=False, highlight=False)
        raise typer.Exit(2 if not job_list else 1)


def _write_packs(files: list[Path], out: Path, results: list[RunResult], console: Console) -> list[RunResult]:
    """One committee pack per parameters file (its organisation and period), from the runs just made; a pack that
    could not be written is a failure of its own."""
    from workbook_lib.batch.errors import RunFailed  # lazy: with the pack
    from workbook_lib.batch.pack import write_pack
    from workbook_lib.batch.pool import RunResult as Result
    from workbook_lib.core.params import ParameterError

    failed = []
    for f in files:
        try:
            with _writing():
                written = write_pack(f, out, [r for r in results if r.params_file == str(f)])
        except (RunFailed, ParameterError) as exc:
            failed.append(Result(str(f), "committee pack", "failed", kind="output", error=str(exc)))
            continue
        console.print(f"committee pack: {written[0].parent}", markup=False, highlight=False)
    return failed


@app.command("pack")
def pack_command(params: Path = typer.Option(..., "--params", "-p", help="parameters YAML file"),
                 out: Path = typer.Option(Path("outputs"), "--out", "-o", help="output folder"),
                 reuse: bool = typer.Option(False, "--reuse", help="use the reports already in OUT: run nothing"),
                 jobs: int | None = typer.Option(None, "--jobs", "-j", min=1, help="runs at once (default: one per "
                                                                                  "core)"),
                 timeout: int = typer.Option(600, min=1, help="seconds allowed per notebook cell")) -> None:
    """Write one committee pack (.docx and .pdf) for the organisation and period of a parameters file.

    Runs every assessment the file runs (or, with --reuse, reads the reports already in OUT), then writes
    OUT/<organisation>/<period>/committee-pack.docx and .pdf: an executive summary, the decisions due and taken, and
    each assessment's part. An assessment that did not run or failed has a section saying so. Exit 0: the pack and
    every run are complete; 1: a run failed or the PDF could not be made; 2: bad input.
    """
    from workbook_lib.batch.errors import RunFailed  # lazy: the pack pulls in pandas and the assessments
    from workbook_lib.batch.pack import run_and_write, write_pack
    from workbook_lib.core.params import ParameterError, read_file

    if not params.is_file():
        fail_input(f"{params}: no such parameters file")
    try:
        read_file(params)
    except ParameterError as exc:
        fail_input(str(exc).splitlines()[0] if str(exc) else "the parameters file cannot be read")
    _output_folder(out)
    results: list[RunResult] = []
    try:
        with _writing():
            if reuse:
                written = write_pack(params, out)
            else:
                results, written = run_and_write(params, out, timeout, jobs, lambda r: typer.echo(_result_line(r),
                                                                                                  err=True))
    except RunFailed as exc:
        if exc.kind == "input":
            fail_input(exc.message)
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from None
    except ParameterError as exc:
        fail_input(str(exc).splitlines()[0] if str(exc) else "the parameters file cannot be read")
    typer.echo("Committee pack written:")
    for path in written:
        typer.echo(f"  {path}")
    if any(not r.ok for r in results):
        raise typer.Exit(1)


def _result_line(r: RunResult) -> str:
    what = f"{r.organisation or Path(r.params_file).name} / {r.period} / {r.assessment}"
    return f"{'ok    ' if r.ok else 'FAILED'} {what} ({r.seconds:.1f}s)" + ("" if r.ok else f": {r.kind}")


def _run_jobs(job_list: list[Job], out: Path, jobs: int | None, scheduler: str | None,
              console: Console) -> list[RunResult]:
    """Run the jobs; on a terminal with a progress bar and only failures listed, else a line per run."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # lazy: rich

    from workbook_lib.batch.pool import run_batch  # lazy: papermill, the assessments

    if not (sys.stderr.isatty() and job_list):
        return run_batch(job_list, out, jobs, scheduler,
                         lambda r: console.print(_result_line(r), markup=False, highlight=False))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task("Running", total=len(job_list))

        def on_result(r: RunResult) -> None:
            if not r.ok:
                progress.console.print(_result_line(r), markup=False, highlight=False)
            progress.advance(task)

        return run_batch(job_list, out, jobs, scheduler, on_result)


def _failure_table(failed: list[RunResult]) -> Table:
    from rich.table import Table  # lazy: rich

    table = Table(title=f"{len(failed)} failed run(s)", show_lines=True)
    for col in ("file", "assessment", "cell", "error"):
        table.add_column(col, overflow="fold")
    for r in failed:
        table.add_row(r.params_file, r.assessment, r.cell or "-", f"{r.kind}: {r.error}")
    return table


@app.command("assessments")
def list_assessments(params: Path | None = typer.Option(None, "--params", "-p",
                                                        help="print only those this parameters file runs")) -> None:
    """List the assessments, or the ones a parameters file runs (its `assessments:`, else those it has inputs for)."""
    from workbook_lib.assessments import assessments_for, registry  # lazy: every assessment (pandas, pydantic)
    from workbook_lib.core.params import ParameterError, read_file  # lazy: pydantic, yaml

    if params is None:
        for a in registry().values():
            typer.echo(f"{a.name:20} {a.purpose}")
        return
    try:
        typer.echo(" ".join(assessments_for(read_file(params))))
    except ParameterError as exc:
        fail_input(str(exc))


# ---- the web forms ---------------------------------------------------------------------------------
@app.command("app")
def serve_app(port: int = typer.Option(8866, help="port to listen on"),
              host: str = typer.Option("127.0.0.1", help="address to listen on (behind a proxy: keep loopback)"),
              token: str | None = typer.Option(None, help="require this token in the URL (?token=...)"),
              preheat: bool = typer.Option(False, help="keep a started kernel ready per notebook"),
              browser: bool = typer.Option(False, help="open a browser"),
              user_header: str | None = typer.Option(
                  None, "--user-header", help="the one request header your sign-in proxy sets to the user's name "
                                              "(default: WORKBOOK_USER_HEADER, else none: nobody is signed in)"),
              require_user: bool = typer.Option(
                  False, "--require-user", help="refuse every page without that header (or WORKBOOK_REQUIRE_USER=1)"),
              ) -> None:
    """Serve the assessment forms with Voilà; the landing page lists the assessments.

    Data is saved in the store named by WORKBOOK_DB (default: workbook.db in the project).
    """
    from workbook_lib.core.access import identity_environment
    from workbook_lib.core.access import require_user as required_by_env
    from workbook_lib.core.access import user_header as header_in_env

    try:
        os.environ.update(identity_environment(user_header or header_in_env(), require_user or required_by_env()))
    except ValueError as exc:
        fail_input(str(exc))
    from workbook_lib.app import serve  # lazy: ipywidgets, sqlalchemy and pydantic, for this command only

    try:
        where = serve.prepare_store()
    except StoreError as exc:
        fail_input(str(exc))
    typer.echo(f"Store: {where}")
    typer.echo(f"Landing page: {serve.landing_url(port, host, token)}")
    serve.exec_voila(port, host, token, preheat, browser)


# ---- the store -------------------------------------------------------------------------------------
@contextlib.contextmanager
def _open_store(url: str | None) -> Iterator[Store]:
    """The store, closed after the block. Any StoreError, opening it or in the block (a name longer than the store
    keeps, a full store: nothing saved), is one line and exit 2."""
    from workbook_lib.core.store import Store  # lazy: sqlalchemy

    try:
        with Store(url) as st:
            yield st
    except StoreError as exc:
        fail_input(str(exc))


def _kind_for(assessment: str, kind: str | None) -> RecordKind:
    spec = _spec(assessment)
    kinds = {k.kind: k for k in spec.record_kinds}
    if kind is None:
        return spec.record_kinds[0]
    if kind not in kinds:
        fail_input(f"{assessment} keeps records of kind {', '.join(kinds)}, not {kind!r}")
    return kinds[kind]


def _spec(assessment: str) -> AssessmentSpec:
    from workbook_lib.assessments import get, registry  # lazy: every assessment (pandas, pydantic, sqlalchemy)

    try:
        return get(assessment)
    except ValueError:
        fail_input(f"unknown assessment {assessment!r}; choose one of {', '.join(registry())}")


@store_app.command("import")
def store_import(file: Path = typer.Argument(..., help="CSV or .xlsx to import"),
                 assessment: str = typer.Option(..., "--assessment", "-a"),
                 organisation: str = typer.Option(..., "--organisation"),
                 period: str = typer.Option(..., "--period"),
                 methodology: str | None = typer.Option(
                     None, "--methodology", "-m",
                     help="what the file is checked against: the risk methodology (required for risk-evaluation), "
                          "else the questionnaire, maturity matrix or assurance framework (default: the shipped one)"),
                 kind: str | None = typer.Option(None, help="maturity-scoring: maturity_mark or capacity_answer"),
                 params: Path | None = typer.Option(
                     None, "--params", "-p", help="check against what this parameters file names (methodology, "
                                                  "questionnaire, matrix, framework and the organisation's providers)"),
                 sheet: str | None = typer.Option(None, help="sheet name in an .xlsx"),
                 role: list[str] = typer.Option([], "--role", help="a partner-role column (repeatable)"),
                 column: list[str] = typer.Option([], "--column", help='risk-evaluation: how to read a heading, '
                                                                     '"Your heading=column name" or "=ignore"'),
                 who: str = typer.Option(..., "--who", help="your name, recorded in the audit trail"),
                 line: str | None = typer.Option(None, "--line", help="your line of assurance"),
                 store: str | None = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")) -> None:
    """Validate a file and save its rows as new versions; with any problem, print all and save nothing."""
    from workbook_lib.assessments import shared_fields  # lazy: every assessment (pandas, pydantic, sqlalchemy)
    from workbook_lib.core.params import load_file  # lazy: pydantic, yaml
    from workbook_lib.core.records import canonical_rows, read_for_kind  # lazy: pandas
    from workbook_lib.core.store import Method  # lazy: sqlalchemy

    record_kind = _kind_for(assessment, kind)
    try:
        p = load_file(params, _spec(assessment).params, shared_fields()) if params is not None else None
        loaded, context = record_kind.context(methodology, p, partner_roles=list(role) if role else None,
                                              columns=column_choices(column))
        table = read_for_kind(file, record_kind, sheet, context)
        rows = canonical_rows(record_kind, table, context)
    except ValueError as exc:  # InputError, ParameterError, MethodologyError, QuestionnaireError, MatrixError
        if isinstance(exc, InputError):
            print_readings(file, exc.readings, exc.skipped, record_kind.readings_view, exc.notes)
            print_problems(exc, "nothing was saved")
            raise typer.Exit(EXIT_INPUT) from None
        fail_input(str(exc))
    print_readings(file, table.readings, table.skipped, record_kind.readings_view, getattr(table, "notes", []))
    other = sorted({r["period"] for r in rows.values() if "period" in r and r["period"].strip().casefold()
                    != period.strip().casefold()})
    if other:  # a record kind whose rows name their period (risk-monitoring's readings)
        fail_input(f"{file}: its rows are for {', '.join(other)}, not {period}; nothing was saved. Import it with "
                    f"--period {other[0]}, or import it in the form, which saves each period's rows under it")
    prov = loaded.provenance()
    method = Method(prov["name"], prov["version"], prov["sha256"])
    author = _cli_author(who, line)
    _check_names(organisation, period, rows, method)  # before the store is opened (or created)
    with _open_store(store) as st:
        result = st.save(organisation, period, record_kind.kind, rows, author, method, source="import")
        typer.echo(f"{file}: {result.summary()} in {st.describe()} ({organisation}, {period}).")


def _check_names(organisation: str, period: str, keys: Iterable[str] = (), method: Method | None = None) -> None:
    """Names longer than the store keeps (or holding a NUL): one line, exit 2."""
    from workbook_lib.core.store import check_names  # lazy: sqlalchemy

    try:
        check_names(organisation, period, keys, method)
    except StoreError as exc:
        fail_input(str(exc))


def _cli_author(who: str, line: str | None) -> Author:
    from workbook_lib.core.store import Author  # lazy: sqlalchemy

    try:
        return Author(who, line, identity="cli")
    except StoreError as exc:
        fail_input(str(exc))


@store_app.command("export")
def store_export(assessment: str = typer.Option(..., "--assessment", "-a"),
                 organisation: str = typer.Option(..., "--organisation"),
                 period: str = typer.Option(..., "--period"),
                 out: Path = typer.Option(..., "--out", "-o", help=".xlsx or .csv file to write"),
                 kind: str | None = typer.Option(None, help="record kind, where an assessment keeps several"),
                 store: str | None = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")) -> None:
    """Write the current records (latest versions) to Excel or CSV, formulas neutralised."""
    from workbook_lib.core.outputs import write_table  # lazy: pandas, openpyxl
    from workbook_lib.core.records import export_frame  # lazy: pandas

    kind = _kind_for(assessment, kind).kind
    if out.suffix.lower() not in {".csv", ".xlsx"}:
        fail_input(f"{out}: choose a .xlsx or .csv file name")
    with _open_store(store) as st:
        frame = export_frame(st, organisation, period, kind)
    if frame.empty:
        fail_input(f"no {kind} records for {organisation} / {period} in the store")
    out.parent.mkdir(parents=True, exist_ok=True)
    with _writing():
        write_table(frame, out, sheet=kind)  # headings and values neutralised, characters Excel cannot hold replaced
    typer.echo(f"{len(frame)} {kind} records written to {out}")


# ---- an organisation's settings ----------------------------------------------------------------------------
@settings_app.command("show")
def settings_show(organisation: str = typer.Option(..., "--organisation"), period: str = typer.Option(..., "--period"),
                  store: str | None = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")) -> None:
    """The settings forms and `source: store` runs use for the organisation and period, and where they came from."""
    from workbook_lib.assessments import registry  # lazy: every assessment declares its settings
    from workbook_lib.core.settings import dump_value, label, read_settings, sentence  # lazy: pydantic, sqlalchemy

    registry()
    with _open_store(store) as st:
        settings = read_settings(st, organisation, period)
    typer.echo(sentence(settings.origin()) + ".")
    for name, value in settings.values.given().items():
        who = settings.saved.get(name)
        saved = f"  [{who[0]}, {who[1]:%Y-%m-%d}]" if who else ""
        typer.echo(f"  {label(name)} ({name}): {dump_value(value)}{saved}")


@settings_app.command("import")
def settings_import(file: Path = typer.Argument(..., help="a YAML file of settings, or a parameters file"),
                    organisation: str = typer.Option(..., "--organisation"),
                    period: str = typer.Option(..., "--period"),
                    from_params: bool = typer.Option(False, "--from-params",
                                                     help="FILE is a parameters file: take the settings it gives"),
                    replace_all: bool = typer.Option(False, "--replace",
                                                     help="clear every setting the file does not name (default: "
                                                          "change only those it names)"),
                    who: str = typer.Option(..., "--who", help="your name, recorded in the audit trail"),
                    line: str | None = typer.Option(None, "--line", help="your line of assurance"),
                    store: str | None = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")) -> None:
    """Save settings from a YAML file (every key a setting) or a parameters file's settings (--from-params).
    Only the settings the file names change, unless --replace; text stays as written."""
    from workbook_lib.assessments import registry, settings_problems  # lazy: every assessment declares its own
    from workbook_lib.core.limits import MAX_SETTINGS_KB
    from workbook_lib.core.params import ParameterError, read_file  # lazy: pydantic
    from workbook_lib.core.settings import from_values, label, save_settings, settings_model

    registry()
    try:
        data = read_file(file) if from_params else read_file(file, MAX_SETTINGS_KB)
        if from_params:
            taken = [k for k in settings_model().model_fields if data.get(k) not in (None, "", [], {})]
            data = {k: data[k] for k in taken}
            typer.echo(f"{file}: taking {', '.join(label(k).lower() for k in taken) or 'nothing'} "
                       "(the other parameters are not settings)")
        values = from_values({str(k): v for k, v in data.items()})
    except ParameterError as exc:
        fail_input(f"{file}: {exc}")
    problems = settings_problems(values)
    if problems:
        fail_input(f"{file}: settings not saved:\n" + "\n".join(f"  - {p}" for p in problems))
    author = _cli_author(who, line)
    _check_names(organisation, period)  # before the store is opened (or created)
    with _open_store(store) as st:
        result = save_settings(st, organisation, period, values, author, source="import",
                               only=None if replace_all else [str(k) for k in data])
        changed = [label(r) for r in [*result.created, *result.updated]]
        typer.echo(f"{file}: settings of {organisation}, {period}: {result.summary()} in {st.describe()}"
                   + (f" ({', '.join(changed)})." if changed else "."))


@settings_app.command("export")
def settings_export(organisation: str = typer.Option(..., "--organisation"),
                    period: str = typer.Option(..., "--period"),
                    out: Path = typer.Option(..., "--out", "-o", help="YAML file to write"),
                    store: str | None = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")) -> None:
    """Write the settings to a YAML file that `workbook settings import` reads back."""
    import yaml  # lazy

    from workbook_lib.assessments import registry  # lazy: every assessment declares its settings
    from workbook_lib.core.outputs import write_text  # lazy: pandas
    from workbook_lib.core.settings import read_settings

    registry()
    with _open_store(store) as st:
        settings = read_settings(st, organisation, period)
    given = settings.values.model_dump(mode="json", exclude_none=True)
    if not given:
        fail_input(f"no settings saved for {organisation} (period {period} or earlier)")
    with _writing():
        write_text(out, f"# {settings.origin()}\n" + yaml.safe_dump(given, sort_keys=False, allow_unicode=True))
    typer.echo(f"{len(given)} settings written to {out}")


@store_app.command("history")
def store_history(organisation: str | None = typer.Option(None, "--organisation"),
                  period: str | None = typer.Option(None, "--period"),
                  assessment: str | None = typer.Option(None, "--assessment", "-a"),
                  key: str | None = typer.Option(None, "--key", help="one record, e.g. a risk ID"),
                  out: Path | None = typer.Option(None, "--out", "-o", help="write the trail to .csv or .xlsx"),
                  store: str | None = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")) -> None:
    """The audit trail: who changed which record, when (UTC), and what changed."""
    import pandas as pd  # lazy: 0.3 s, for this command only

    from workbook_lib.core.outputs import write_table  # lazy: pandas, openpyxl

    kinds = [k.kind for k in _spec(assessment).record_kinds] if assessment else [None]
    with _open_store(store) as st:
        rows = [r for k in kinds for r in st.history(organisation, period, k, key)]
    frame = pd.DataFrame(rows, columns=["at", "organisation", "period", "kind", "key", "version", "who", "line",
                                        "identity", "source", "changed", "before", "after"])
    frame = frame.sort_values("at", kind="stable")
    frame["at"] = frame["at"].map(lambda t: t.strftime("%Y-%m-%d %H:%M:%S UTC"))
    if out is not None:
        flat = frame.assign(before=frame["before"].map(_json_text), after=frame["after"].map(_json_text))
        if out.suffix.lower() not in {".csv", ".xlsx"}:
            fail_input(f"{out}: choose a .xlsx or .csv file name")
        with _writing():
            write_table(flat, out, sheet="history")
        typer.echo(f"{len(frame)} changes written to {out}")
        return
    if frame.empty:
        typer.echo("No changes recorded for that selection.")
        return
    typer.echo(frame.drop(columns=["before", "after"]).to_string(index=False))


def _json_text(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
