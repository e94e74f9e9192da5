"""The ``workbook`` command line: run assessments, validate registers, inspect methodologies."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import typer

app = typer.Typer(help="Risk and assurance workbooks: run assessments headless, check inputs, "
                       "inspect methodologies.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
methodology_app = typer.Typer(help="Inspect one methodology.", no_args_is_help=True)
app.add_typer(methodology_app, name="methodology")
store_app = typer.Typer(help="The store behind the web forms: import, export, audit trail.", no_args_is_help=True)
app.add_typer(store_app, name="store")

EXIT_INPUT = 2  # bad parameters or input: nothing was produced


def _fail_input(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(EXIT_INPUT)


def _print_problems(exc) -> None:
    frame = exc.to_frame().fillna("")
    typer.echo(f"{len(exc.problems)} problem(s) found; no report was produced.", err=True)
    typer.echo(frame.to_string(index=False, max_colwidth=None), err=True)


@app.command()
def methodologies() -> None:
    """List the shipped methodologies."""
    from .methodology import load_methodology, shipped

    for name in shipped():
        lm = load_methodology(name)
        m = lm.methodology
        typer.echo(f"{name:20} {len(m.likelihood)} x {len(m.impact)}  v{m.version}  {m.title}")


@methodology_app.command("show")
def methodology_show(name: str = typer.Argument(..., help="shipped name or path to a YAML file"),
                     banding: str | None = typer.Option(None, help="an alternative banding")) -> None:
    """Print the likelihood x impact matrix with band names, and the bands."""
    from .methodology import MethodologyError, load_methodology

    try:
        lm = load_methodology(name)
        m = lm.methodology
        bands = m.banding(banding)
    except MethodologyError as exc:
        _fail_input(str(exc))
    typer.echo(f"{m.title} ({m.name} v{m.version}, sha256 {lm.sha256[:12]}), banding: {bands.title}")
    width = max(14, *(len(b.name) + 4 for b in bands.bands))
    l_width = max(len(f"{lv.value} {lv.label}") for lv in m.likelihood) + 2
    typer.echo(" " * l_width + "".join(f"{iv.value} {iv.label}"[:width - 1].ljust(width) for iv in m.impact))
    for lv in reversed(m.likelihood):
        cells = []
        for iv in m.impact:
            s = m.score_grid[lv.value - 1][iv.value - 1]
            cells.append(f"{s} {m.band_for(s, banding).name}"[:width - 1].ljust(width))
        typer.echo(f"{lv.value} {lv.label}".ljust(l_width) + "".join(cells))
    typer.echo("")
    for b in bands.bands:
        typer.echo(f"{b.min:>3}-{b.max:<3} {b.name:14} {b.decision_maker}  ->  {b.register_destination}")
    if m.residual.rule == "control_factor":
        typer.echo("Residual = inherent x factor (" + ", ".join(
            f"{c.label} {c.factor:.0%}" for c in m.control_effectiveness) + f"), rounded {m.residual.rounding}")
    else:
        typer.echo("Residual = likelihood x impact re-rated after controls")


@app.command()
def validate(file: Path = typer.Argument(..., help="register, CSV or .xlsx"),
             methodology: str = typer.Option(..., "--methodology", "-m", help="shipped name or YAML path"),
             sheet: str | None = typer.Option(None, help="sheet name in an .xlsx (default: the first)"),
             role: list[str] = typer.Option([], "--role", help="a partner-role column (repeatable)")) -> None:
    """Check a register and print every problem; runs nothing else. Exit 2 if it is invalid."""
    from .methodology import MethodologyError, load_methodology
    from .register import load_register
    from .validation import InputError

    try:
        lm = load_methodology(methodology)
        reg = load_register(file, lm.methodology, sheet=sheet, partner_roles=role)
    except MethodologyError as exc:
        _fail_input(str(exc))
    except InputError as exc:
        _print_problems(exc)
        raise typer.Exit(EXIT_INPUT) from None
    typer.echo(f"{file}: valid register, {len(reg.frame)} risks ({int(reg.rated.sum())} rated) "
               f"under {lm.methodology.name}.")
    for w in reg.warnings:
        typer.echo(f"warning: {w}")


@app.command()
def run(assessment: str = typer.Argument(..., help="assessment to run, e.g. risk-evaluation"),
        params: Path = typer.Option(..., "--params", "-p", help="parameters YAML file"),
        out: Path = typer.Option(Path("outputs"), "--out", "-o", help="output folder"),
        timeout: int = typer.Option(600, help="seconds allowed per notebook cell")) -> None:
    """Run an assessment notebook with papermill and write .ipynb, .html, .xlsx and .json to OUT.

    Inputs are validated first: a bad parameters file or register prints every problem and exits 2
    with nothing written.
    """
    from .assessments import ASSESSMENTS

    if assessment not in ASSESSMENTS:
        _fail_input(f"unknown assessment {assessment!r}; choose one of {', '.join(ASSESSMENTS)}")
    written = run_assessment(assessment, params, out, timeout)
    typer.echo("Reports written:")
    for path in written:
        typer.echo(f"  {path}")


def run_assessment(assessment: str, params_file: Path, out: Path, timeout: int = 600) -> list[Path]:
    """Validate, execute, convert; move the four outputs into place only when all exist."""
    import papermill as pm

    from . import params as wb_params
    from .assessments import ASSESSMENTS
    from .methodology import MethodologyError
    from .reports import notebook_to_html, slug
    from .store import StoreError
    from .validation import InputError

    spec = ASSESSMENTS[assessment]
    try:
        from .assessments import SHARED_FIELDS

        p = wb_params.load_file(params_file, spec.params, SHARED_FIELDS)
        spec.check(p)  # fail fast, with the full error table, before starting a kernel
    except (wb_params.ParameterError, MethodologyError, StoreError) as exc:
        _fail_input(str(exc))
    except InputError as exc:
        _print_problems(exc)
        raise typer.Exit(EXIT_INPUT) from None

    target = out.resolve() / slug(p.organisation) / slug(p.period)  # absolute: the kernel runs in notebooks/
    target.mkdir(parents=True, exist_ok=True)
    stem = assessment
    with tempfile.TemporaryDirectory(prefix=".staging-", dir=target) as staging_dir:
        staging = Path(staging_dir)
        injected = p.model_dump(mode="json", by_alias=True)
        injected["output_dir"] = str(staging)
        for name in spec.file_inputs:  # absolute paths: the kernel runs in notebooks/
            if injected.get(name):
                injected[name] = str(p.resolve(injected[name]))
        if spec.resolve_methodology:
            injected = spec.resolve_methodology(p, injected)
        executed = staging / f"{stem}.ipynb"
        started = time.perf_counter()
        try:
            pm.execute_notebook(str(spec.path), str(executed), parameters=injected, kernel_name="python3",
                                cwd=str(spec.path.parent), progress_bar=False, log_output=False,
                                execution_timeout=timeout)
        except pm.PapermillExecutionError as exc:
            failed = target / f"{stem}.failed.ipynb"
            shutil.copy(executed, failed)
            typer.echo(f"{params_file}: {assessment} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}\n"
                       f"No report was written; the failed notebook is {failed}", err=True)
            raise typer.Exit(1) from None
        notebook_to_html(executed, staging / f"{stem}.html", title=f"{p.organisation} {p.period} {assessment}")
        outputs = [staging / f"{stem}.{ext}" for ext in ("ipynb", "html", "xlsx", "json")]
        missing = [o.name for o in outputs if not o.is_file()]
        if missing:
            typer.echo(f"{assessment}: outputs missing after the run: {', '.join(missing)}", err=True)
            raise typer.Exit(1)
        (target / f"{stem}.failed.ipynb").unlink(missing_ok=True)
        final = []
        for o in outputs:
            dest = target / o.name
            o.replace(dest)
            final.append(dest)
    typer.echo(f"{assessment}: {p.organisation} {p.period} in {time.perf_counter() - started:.1f}s", err=True)
    return final


@app.command("assessments")
def list_assessments(params: Path | None = typer.Option(None, "--params", "-p",
                                                        help="print only those this parameters file runs")) -> None:
    """List the assessments, or the ones a parameters file runs (its `assessments:`, else those it has inputs for)."""
    from . import params as wb_params
    from .assessments import ASSESSMENTS, assessments_for

    if params is None:
        for a in ASSESSMENTS.values():
            typer.echo(f"{a.name:20} {a.purpose}")
        return
    try:
        typer.echo(" ".join(assessments_for(wb_params.read_file(params))))
    except wb_params.ParameterError as exc:
        _fail_input(str(exc))


# ---- the web forms ---------------------------------------------------------------------------------
def voila_command(port: int, host: str = "127.0.0.1", token: str | None = None, preheat: bool = False,
                  open_browser: bool = False) -> list[str]:
    """The Voilà command line serving the notebooks as stakeholder forms."""
    from .assessments import NOTEBOOKS
    from .forms import USER_HEADERS

    command = [sys.executable, "-m", "voila", str(NOTEBOOKS), f"--port={port}", f"--Voila.ip={host}",
               "--template=lab", "--strip_sources=True", "--show_tracebacks=False",
               # only images and styles are served as files: never a notebook's .py pair or a store
               "--VoilaConfiguration.file_allowlist=.*\\.(png|svg|css)$",
               # Voilà cannot always shut a kernel down when its page closes (voila#1458): cull idle ones
               "--MappingKernelManager.cull_idle_timeout=1800", "--MappingKernelManager.cull_interval=120"]
    command += [f"--VoilaConfiguration.http_header_envs={h}" for h in USER_HEADERS]
    if token:
        command.append(f"--token={token}")
    if preheat:
        command += ["--preheat_kernel=True", "--pool_size=1"]
    if not open_browser:
        command.append("--no-browser")
    return command


@app.command("app")
def serve_app(port: int = typer.Option(8866, help="port to listen on"),
              host: str = typer.Option("127.0.0.1", help="address to listen on (behind a proxy: keep loopback)"),
              token: str | None = typer.Option(None, help="require this token in the URL (?token=...)"),
              preheat: bool = typer.Option(False, help="keep a started kernel ready per notebook"),
              browser: bool = typer.Option(False, help="open a browser")) -> None:
    """Serve the assessment forms with Voilà; the landing page lists the assessments.

    Data is saved in the store named by WORKBOOK_DB (default: workbook.db in the project).
    """
    import os
    import subprocess

    from .store import Store, StoreError

    try:
        with Store() as store:  # create or upgrade the store once, before any kernel starts
            where = store.describe()
    except StoreError as exc:
        _fail_input(str(exc))
    typer.echo(f"Store: {where}")
    typer.echo(f"Landing page: http://{host}:{port}/voila/render/index.ipynb" + (f"?token={token}" if token else ""))
    env = {**os.environ, "WORKBOOK_APP": "1"}
    raise typer.Exit(subprocess.call(voila_command(port, host, token, preheat, browser), env=env))


# ---- the store -------------------------------------------------------------------------------------
def _open_store(url: str | None):
    from .store import Store, StoreError

    try:
        return Store(url)
    except StoreError as exc:
        _fail_input(str(exc))


def _kind_for(assessment: str, kind: str | None) -> str:
    from .store import KINDS

    if assessment not in KINDS:
        _fail_input(f"unknown assessment {assessment!r}; choose one of {', '.join(KINDS)}")
    kinds = KINDS[assessment]
    if kind is None:
        return kinds[0]
    if kind not in kinds:
        _fail_input(f"{assessment} keeps records of kind {', '.join(kinds)}, not {kind!r}")
    return kind


@store_app.command("import")
def store_import(file: Path = typer.Argument(..., help="CSV or .xlsx to import"),
                 assessment: str = typer.Option(..., "--assessment", "-a"),
                 organisation: str = typer.Option(..., "--organisation"),
                 period: str = typer.Option(..., "--period"),
                 methodology: str | None = typer.Option(None, "--methodology", "-m",
                                                        help="risk-evaluation: methodology the ratings use"),
                 sheet: str | None = typer.Option(None, help="sheet name in an .xlsx"),
                 role: list[str] = typer.Option([], "--role", help="a partner-role column (repeatable)"),
                 who: str = typer.Option(..., "--who", help="your name, recorded in the audit trail"),
                 line: str | None = typer.Option(None, "--line", help="your line of assurance"),
                 store: str | None = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")) -> None:
    """Validate a file and save its rows as new versions; with any problem, print all and save nothing."""
    from .methodology import MethodologyError, load_methodology
    from .records import read_for_kind, save_table
    from .register import validate_register
    from .store import Method
    from .validation import InputError

    kind = _kind_for(assessment, None)
    try:
        if kind != "risk":
            _fail_input(f"import for {assessment} is not available yet")
        if methodology is None:
            _fail_input("--methodology is needed to check a register's ratings")
        lm = load_methodology(methodology)
        table = read_for_kind(file, kind, sheet)
        validate_register(table, lm.methodology, role)
    except MethodologyError as exc:
        _fail_input(str(exc))
    except InputError as exc:
        _print_problems(exc)
        typer.echo("Nothing was saved.", err=True)
        raise typer.Exit(EXIT_INPUT) from None
    method = Method(lm.methodology.name, lm.methodology.version, lm.sha256)
    with _open_store(store) as st:
        result = save_table(st, organisation, period, kind, table, _cli_author(who, line), method, source="import")
        typer.echo(f"{file}: {result.summary()} in {st.describe()} ({organisation}, {period}).")


def _cli_author(who: str, line: str | None):
    from .store import Author, StoreError

    try:
        return Author(who, line, identity="cli")
    except StoreError as exc:
        _fail_input(str(exc))


@store_app.command("export")
def store_export(assessment: str = typer.Option(..., "--assessment", "-a"),
                 organisation: str = typer.Option(..., "--organisation"),
                 period: str = typer.Option(..., "--period"),
                 out: Path = typer.Option(..., "--out", "-o", help=".xlsx or .csv file to write"),
                 kind: str | None = typer.Option(None, help="record kind, where an assessment keeps several"),
                 store: str | None = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")) -> None:
    """Write the current records (latest versions) to Excel or CSV, formulas neutralised."""
    from .records import export_frame
    from .reports import neutralise, write_excel

    kind = _kind_for(assessment, kind)
    with _open_store(store) as st:
        frame = export_frame(st, organisation, period, kind)
    if frame.empty:
        _fail_input(f"no {kind} records for {organisation} / {period} in the store")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        frame.map(neutralise).to_csv(out, index=False, encoding="utf-8-sig")
    elif out.suffix.lower() == ".xlsx":
        write_excel({kind: frame}, out)
    else:
        _fail_input(f"{out}: choose a .xlsx or .csv file name")
    typer.echo(f"{len(frame)} {kind} records written to {out}")


@store_app.command("history")
def store_history(organisation: str | None = typer.Option(None, "--organisation"),
                  period: str | None = typer.Option(None, "--period"),
                  assessment: str | None = typer.Option(None, "--assessment", "-a"),
                  key: str | None = typer.Option(None, "--key", help="one record, e.g. a risk ID"),
                  out: Path | None = typer.Option(None, "--out", "-o", help="write the trail to .csv or .xlsx"),
                  store: str | None = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")) -> None:
    """The audit trail: who changed which record, when (UTC), and what changed."""
    import pandas as pd

    from .reports import neutralise, write_excel
    from .store import KINDS

    kinds = KINDS.get(assessment, ()) if assessment else (None,)
    if assessment and not kinds:
        _fail_input(f"unknown assessment {assessment!r}; choose one of {', '.join(KINDS)}")
    with _open_store(store) as st:
        rows = [r for k in kinds for r in st.history(organisation, period, k, key)]
    frame = pd.DataFrame(rows, columns=["at", "organisation", "period", "kind", "key", "version", "who", "line",
                                        "identity", "source", "changed", "before", "after"])
    frame = frame.sort_values("at", kind="stable")
    frame["at"] = frame["at"].map(lambda t: t.strftime("%Y-%m-%d %H:%M:%S UTC"))
    if out is not None:
        flat = frame.assign(before=frame["before"].map(_json_text), after=frame["after"].map(_json_text))
        if out.suffix.lower() == ".csv":
            flat.map(neutralise).to_csv(out, index=False, encoding="utf-8-sig")
        else:
            write_excel({"history": flat}, out)
        typer.echo(f"{len(frame)} changes written to {out}")
        return
    if frame.empty:
        typer.echo("No changes recorded for that selection.")
        return
    typer.echo(frame.drop(columns=["before", "after"]).to_string(index=False))


def _json_text(value) -> str:
    import json

    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
