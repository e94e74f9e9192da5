"""The risk evaluation's commands on the ``workbook`` command line: the shipped methodologies, one methodology's
matrix, checking a methodology file, and showing how a register is read. The registry finds this module by name;
each command imports what it needs when it runs (``# lazy:``), so ``workbook --help`` does not load the assessment."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import typer

from workbook_lib.core.commands import EXIT_INPUT, column_choices, fail_input, print_problems, print_readings
from workbook_lib.core.errors import InputError


def register(app: typer.Typer) -> None:
    """Add the risk evaluation's commands to the command line."""
    methodology_app = typer.Typer(help="Inspect one methodology.", no_args_is_help=True)
    app.add_typer(methodology_app, name="methodology")
    app.command()(methodologies)
    app.command()(validate)
    methodology_app.command("show")(methodology_show)
    methodology_app.command("check")(methodology_check)


def methodologies() -> None:
    """List the shipped methodologies."""
    from workbook_lib.assessments.risk.methodology import load_methodology, shipped  # lazy: pydantic, pandas

    for name in shipped():
        lm = load_methodology(name)
        m = lm.methodology
        shape = f"{len(m.levels)} levels" if m.direct else f"{len(m.likelihood)} x {len(m.impact)}"
        typer.echo(f"{name:24} {shape:9} v{m.version}  {m.title}")


def methodology_show(name: str = typer.Argument(..., help="shipped name or path to a YAML file"),
                     banding: str | None = typer.Option(None, help="an alternative banding")) -> None:
    """Print the likelihood x impact matrix with band names, and the bands."""
    from workbook_lib.assessments.risk.methodology import MethodologyError, load_methodology  # lazy: pydantic

    try:
        lm = load_methodology(name)
        m = lm.methodology
        bands = m.banding(banding)
    except MethodologyError as exc:
        fail_input(str(exc))
    typer.echo(f"{m.title} ({m.name} v{m.version}, sha256 {lm.sha256[:12]}), banding: {bands.title}")
    width = max(14, *(len(b.name) + 4 for b in bands.bands))
    if m.direct:  # rated directly: no matrix
        typer.echo("Rated directly, no likelihood or impact: " + ", ".join(lv.label for lv in reversed(m.levels)))
    l_width = max((len(f"{lv.value} {lv.label}") for lv in m.likelihood), default=0) + 2
    if not m.direct:
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
    typer.echo(f"Residual = {m.residual_in_words()}")


def methodology_check(file: str = typer.Argument(..., help="a methodology YAML file (or a shipped name)")) -> None:
    """Check a methodology file: print its matrix and bands, or every problem in plain words. Exit 2 if invalid."""
    from workbook_lib.assessments.risk.check import check_methodology  # lazy: pydantic, yaml

    ok, text = check_methodology(file)
    typer.echo(text, err=not ok)
    if not ok:
        raise typer.Exit(EXIT_INPUT)


def validate(file: Path = typer.Argument(..., help="register, CSV or .xlsx"),
             methodology: str | None = typer.Option(None, "--methodology", "-m", help="shipped name or YAML path"),
             params: Path | None = typer.Option(
                 None, "--params", "-p", help="read the register as this parameters file says (methodology, "
                                              "columns, ratings, impact_money, responses, statuses, roles)"),
             sheet: str | None = typer.Option(None, help="sheet name in an .xlsx (default: the first that holds a "
                                                         "register)"),
             header_row: int | None = typer.Option(None, "--header-row", min=1,
                                                   help="the header's row number, as the spreadsheet shows it"),
             role: list[str] = typer.Option([], "--role", help="a partner-role column (repeatable)"),
             column: list[str] = typer.Option([], "--column", help='how to read a heading: "Your heading=column '
                                                                 'name" or "Your heading=ignore" (repeatable)'),
             ) -> None:
    """Show how a register is read, then check it and print every problem. Exit 2 if it is invalid."""
    from workbook_lib.assessments.risk.inputs import RiskEvaluationParams  # lazy: pydantic
    from workbook_lib.assessments.risk.interpret import ReadOptions, readings_frame  # lazy: pandas
    from workbook_lib.assessments.risk.methodology import load_methodology  # lazy: pydantic
    from workbook_lib.assessments.risk.register import load_register  # lazy: pandas, pandera
    from workbook_lib.core.params import load_file  # lazy: pydantic, yaml

    try:
        p = load_file(params, RiskEvaluationParams) if params is not None else None
        if methodology is None and p is None:
            fail_input("--methodology (or --params) is needed to check a register's ratings")
        lm = load_methodology(methodology or p.methodology_ref())
        options = p.read_options() if p is not None else ReadOptions()
        options = replace(options, columns={**options.columns, **column_choices(column)})
        if header_row is not None:
            options = replace(options, header_row=header_row)
        roles = list(role) or (list(p.partner_roles) if p is not None else [])
        reg = load_register(file, lm.methodology, sheet=sheet or (p.sheet if p else None), partner_roles=roles,
                            options=options)
    except InputError as exc:
        print_readings(file, exc.readings, exc.skipped, readings_frame, exc.notes)
        print_problems(exc, "the register is not valid as it stands")
        raise typer.Exit(EXIT_INPUT) from None
    except ValueError as exc:  # MethodologyError, ParameterError
        fail_input(str(exc))
    print_readings(file, reg.readings, reg.skipped, readings_frame, reg.notes)
    status = reg.frame["status"].value_counts()
    closed = int(status.get("closed", 0) + status.get("eliminated", 0))
    scored = reg.rated & reg.frame["status"].isin(["open", "opportunity"])  # as the report counts them
    typer.echo(f"{file}: valid register, {len(reg.frame)} risks ({int(scored.sum())} rated"
               + (f", {closed} closed or eliminated" if closed else "")
               + (f", {int(status['opportunity'])} "
                  f"{'opportunity' if status['opportunity'] == 1 else 'opportunities'}" if status.get("opportunity")
                  else "")
               + f") under {lm.methodology.name}.")
    for w in reg.warnings:
        typer.echo(f"warning: {w}")
