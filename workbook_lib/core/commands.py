"""What every command of the ``workbook`` command line shares, the shell's and those an assessment adds
(``assessments/<name>/commands.py``): failing on bad input in one clear way, printing every problem, and saying how
a file was read. Nothing heavy at import: ``workbook --help`` loads this."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from workbook_lib.core.errors import listed

if TYPE_CHECKING:
    from workbook_lib.core.errors import InputError

EXIT_INPUT = 2  # bad parameters or input: nothing was produced


def fail_input(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(EXIT_INPUT)


def print_problems(exc: InputError, outcome: str = "no report was produced") -> None:
    """Every problem, one line each (the file, the row, the user's heading, the value, what was expected), up to
    WORKBOOK_MAX_PROBLEMS of them, then how many more there are."""
    typer.echo(f"{exc.count:,} problem(s) found; {outcome}.", err=True)
    lines = exc.lines()
    if lines:
        typer.echo("\n".join(f"  - {line}" for line in lines), err=True)


def readings_view(readings: list[Any]) -> Any:
    """How each column of a file was read, as a table for a person (a record kind may show its own)."""
    import pandas as pd  # lazy: only when a file was read

    from workbook_lib.core.outputs import column_heading

    return pd.DataFrame([(r.letter, r.heading, column_heading(r.meaning) if r.meaning else
                          ("ignored" if r.how.startswith("ignored") else "kept as written"), r.how)
                         for r in readings], columns=["Column", "Your heading", "Read as", "How"])


def print_readings(file: Path, readings: list[Any], skipped: list[Any],
                   view: Callable[[list[Any]], Any] | None = None, notes: list[str] | None = None) -> None:
    """How ``file`` was read (the sheet, each column: the user's heading -> what it holds) and the rows skipped."""
    if not readings:
        return
    for note in notes or []:
        typer.echo(f"{file.name}: {note}")
    typer.echo(f"How {file.name} was read (each column: your heading -> what it holds):")
    typer.echo(wrapped_table((view or readings_view)(readings)))
    for line in listed([f"skipped row {s.row}: {s.reason} ({s.text})" for s in skipped], "rows skipped"):
        typer.echo(line)
    typer.echo("")


def wrapped_table(frame: Any, width: int = 110) -> str:
    """A table as text whose long cells wrap onto more lines of their column (never cut): each column gets its
    widest cell up to a share of ``width``."""
    import textwrap  # lazy: only when a file was read

    columns = [str(c) for c in frame.columns]
    cells = [[str(v) for v in row] for row in frame.itertuples(index=False)]
    natural = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    share = max(12, (width - 2 * (len(columns) - 1)) // max(1, len(columns)))
    fixed = sum(n for n in natural if n <= share)
    wide = [i for i, n in enumerate(natural) if n > share]
    room = max(share, (width - fixed - 2 * (len(columns) - 1)) // max(1, len(wide))) if wide else share
    widths = [n if n <= share else min(n, room) for n in natural]
    lines = []
    for row in [columns, *cells]:
        parts = [textwrap.wrap(text, w, break_long_words=True) or [""] for text, w in zip(row, widths, strict=True)]
        for k in range(max(len(p) for p in parts)):
            line = "  ".join((p[k] if k < len(p) else "").ljust(w) for p, w in zip(parts, widths, strict=True))
            lines.append(line.rstrip())
    return "\n".join(lines)


def column_choices(column: list[str]) -> dict[str, str]:
    """``--column "Your heading=column name"`` options as heading -> column name."""
    choices = {}
    for text in column:
        heading, sep, meaning = text.rpartition("=")
        if not sep or not heading.strip() or not meaning.strip():
            fail_input(f"--column {text!r}: expected \"Your heading=column name\" (or \"Your heading=ignore\")")
        choices[heading.strip()] = meaning.strip()
    return choices
