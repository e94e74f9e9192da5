"""Input problems, collected rather than raised one at a time.

Every reader and validator in the suite reports problems in the same shape: the file, the row as the
user sees it in that file, the column, the offending value and what was expected. ``InputError``
carries all of them at once so a user can fix a file in one pass.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    value: str
    expected: str

    def line(self) -> str:
        where = ", ".join(x for x in (
            f"row {self.row}" if self.row is not None else "",
            f"column {self.column!r}" if self.column else "",
        ) if x)
        value = f" value {self.value!r}:" if self.value != "" else ""
        return f"{self.file}: {where or 'file'}:{value} expected {self.expected}"


class InputError(ValueError):
    """One or more problems in a user's input; nothing was produced from it."""

    def __init__(self, problems: list[Problem], readings: list | None = None, skipped: list | None = None):
        self.problems = sorted(problems, key=lambda p: (p.file, p.row or 0, p.column or ""))
        # how the file was understood (core.tables ColumnReading / SkippedRow), shown before the problems
        self.readings = list(readings or [])
        self.skipped = list(skipped or [])
        super().__init__(self.summary())

    def summary(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} found; nothing was produced:"
        return "\n".join([head, *(f"  - {p.line()}" for p in self.problems)])

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd  # lazy: the CLI imports errors at start-up; pandas costs 0.3 s

        return pd.DataFrame([asdict(p) for p in self.problems],
                            columns=["file", "row", "column", "value", "expected"])

    def _repr_html_(self) -> str:  # shown as a table when a notebook displays the error
        frame = self.to_frame().fillna("")
        return (f"<p><strong>{len(self.problems)} problem(s) in the input; no report was produced.</strong></p>"
                + frame.to_html(index=False, escape=True))


class StoreError(RuntimeError):
    """The store cannot be used as asked; the message says why and what to do. (Here, not in the store module,
    so that catching it does not import SQLAlchemy.)"""


# A notebook run (``workbook run``) checks its inputs in the kernel, first thing: the problems it stops on are
# written beside its outputs as this file, so the command line prints them as if it had checked them itself.
PROBLEMS_FILE = "input-problems.json"


def problems_json(exc: Exception) -> str:
    """An InputError's problems (or another input error's message) as the JSON of PROBLEMS_FILE."""
    import json  # lazy: rarely needed

    if isinstance(exc, InputError):
        return json.dumps({"problems": [asdict(p) for p in exc.problems]})
    return json.dumps({"message": str(exc)})


def problems_from_json(text: str) -> InputError | str:
    """PROBLEMS_FILE read back: the InputError, or the message of another input error."""
    import json  # lazy: rarely needed

    data = json.loads(text)
    if "problems" in data:
        return InputError([Problem(**p) for p in data["problems"]])
    return str(data.get("message", ""))
