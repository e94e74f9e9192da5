"""Input problems, collected rather than raised one at a time.

Every reader and validator in the suite reports problems in the same shape: the file, the row as the
user sees it in that file, the column, the offending value and what was expected. ``InputError``
carries all of them at once so a user can fix a file in one pass.

A message never floods: a quoted value longer than ``QUOTED_CHARS`` is cut with its length said
(``'aaaa…' (1,048,576 characters)``), and a list of problems shows the first ``WORKBOOK_MAX_PROBLEMS`` (50) and
counts the rest.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from workbook_lib.core.limits import MAX_PROBLEMS, shown_limit

if TYPE_CHECKING:
    import pandas as pd

QUOTED_CHARS = 200  # a quoted value longer than this is cut, its length said
EXPECTED_CHARS = 1_000  # what was expected, cut beyond this (it may quote the file)


def quote(value: object, limit: int = QUOTED_CHARS) -> str:
    """A value quoted for a message (as repr), cut when long: ``'aaaa…' (1,048,576 characters)``."""
    if not isinstance(value, str):
        return cut(repr(value), limit)
    text = value
    if len(text) <= limit:
        return repr(text)
    quoted = repr(text[:limit])
    return f"{quoted[:-1]}\u2026{quoted[-1]} ({len(text):,} characters)"


def cut(text: str, limit: int = QUOTED_CHARS) -> str:
    """Text for a message, unquoted, cut when long: ``aaaa… (1,048,576 characters)``."""
    return text if len(text) <= limit else f"{text[:limit]}\u2026 ({len(text):,} characters)"


def listed(lines: list[str], what: str = "problems") -> list[str]:
    """At most WORKBOOK_MAX_PROBLEMS lines, then one saying how many more there are."""
    shown = shown_limit(MAX_PROBLEMS)
    if len(lines) <= shown:
        return lines
    return [*lines[:shown], more_line(len(lines) - shown, what)]


def more_line(more: int, what: str = "problems") -> str:
    shown = shown_limit(MAX_PROBLEMS)
    return (f"and {more:,} more {what}, not listed (the first {shown:,} are; set {MAX_PROBLEMS.variable} to list "
            "more)")


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    value: str
    expected: str
    # the one parameters entry that would make the input read right, as YAML text ("sheet: Register"): a
    # form offers it as a choice, a message names it
    fix: str = ""

    def line(self) -> str:
        where = ", ".join(x for x in (
            f"row {self.row}" if self.row is not None else "",
            f"column {quote(self.column)}" if self.column else "",
        ) if x)
        value = f" value {quote(self.value)}:" if self.value != "" else ""
        fix = f" (in the parameters: {self.fix})" if self.fix and self.fix not in self.expected else ""
        return f"{self.file}: {where or 'file'}:{value} expected {cut(str(self.expected), EXPECTED_CHARS)}{fix}"


class InputError(ValueError):
    """One or more problems in a user's input; nothing was produced from it. ``omitted`` counts problems found but
    not carried (a list cut short on its way from a kernel)."""

    def __init__(self, problems: list[Problem], readings: list | None = None, skipped: list | None = None,
                 omitted: int = 0, notes: list[str] | None = None):
        self.problems = sorted(problems, key=lambda p: (p.file, p.row or 0, p.column or ""))
        self.omitted = omitted
        # how the file was understood (core.tables ColumnReading / SkippedRow), shown before the problems
        self.readings = list(readings or [])
        self.skipped = list(skipped or [])
        self.notes = list(notes or [])  # what the reading decided for the whole file (the sheet it read)
        super().__init__(self.summary())

    @property
    def count(self) -> int:
        """Every problem found, those not carried included."""
        return len(self.problems) + self.omitted

    def lines(self) -> list[str]:
        """One line per problem, at most WORKBOOK_MAX_PROBLEMS of them, then how many more there are."""
        shown = shown_limit(MAX_PROBLEMS)
        lines = [p.line() for p in self.problems[:shown]]
        more = self.count - len(lines)
        return [*lines, more_line(more)] if more > 0 else lines

    def summary(self) -> str:
        n = self.count
        head = f"{n:,} problem{'s' if n != 1 else ''} found; nothing was produced:"
        return "\n".join([head, *(f"  - {line}" for line in self.lines())])

    def to_frame(self, limit: int | None = None) -> pd.DataFrame:
        import pandas as pd  # lazy: the CLI imports errors at start-up; pandas costs 0.3 s

        return pd.DataFrame([asdict(p) for p in self.problems[:limit]],
                            columns=["file", "row", "column", "value", "expected"])

    def _repr_html_(self) -> str:  # shown as a table when a notebook displays the error
        import html  # lazy: rarely needed

        shown = shown_limit(MAX_PROBLEMS)
        frame = self.to_frame(shown).fillna("")
        for column in ("column", "value"):
            frame[column] = frame[column].map(lambda v: cut(str(v)))
        more = self.count - len(frame)
        tail = f"<p>{html.escape(more_line(more))}</p>" if more > 0 else ""
        return (f"<p><strong>{self.count:,} problem(s) in the input; no report was produced.</strong></p>"
                + frame.to_html(index=False, escape=True) + tail)


def not_finite(value: Any, where: str = "") -> str:
    """Where the first number that is not finite is in a summary, in words ("the summary holds Infinity at
    risks[3].residual_score, which JSON cannot hold"), or "" when every number is finite."""
    if isinstance(value, dict):
        for key, item in value.items():
            found = not_finite(item, f"{where}.{key}" if where else str(key))
            if found:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = not_finite(item, f"{where}[{i}]")
            if found:
                return found
    elif isinstance(value, float) or getattr(value, "ndim", None) == 0:  # a numpy number too
        try:
            number = float(value)
        except (TypeError, ValueError):
            return ""
        if not math.isfinite(number):
            text = "NaN" if math.isnan(number) else "Infinity" if number > 0 else "-Infinity"
            return f"the summary holds {text} at {where or 'the top'}, which JSON cannot hold"
    return ""


class StoreError(RuntimeError):
    """The store cannot be used as asked; the message says why and what to do. (Here, not in the store module,
    so that catching it does not import SQLAlchemy.)"""


# A notebook run (``workbook run``) checks its inputs in the kernel, first thing: the problems it stops on are
# written beside its outputs as this file, so the command line prints them as if it had checked them itself.
PROBLEMS_FILE = "input-problems.json"
_CARRIED = 1_000  # problems carried in PROBLEMS_FILE; the rest are counted


def problems_json(exc: Exception) -> str:
    """An InputError's problems (or another input error's message) as the JSON of PROBLEMS_FILE."""
    import json  # lazy: rarely needed

    if isinstance(exc, InputError):
        carried = max(_CARRIED, shown_limit(MAX_PROBLEMS))
        return json.dumps({"problems": [asdict(p) for p in exc.problems[:carried]],
                           "omitted": exc.count - len(exc.problems[:carried])})
    return json.dumps({"message": str(exc)})


def problems_from_json(text: str) -> InputError | str:
    """PROBLEMS_FILE read back: the InputError, or the message of another input error."""
    import json  # lazy: rarely needed

    data = json.loads(text)
    if "problems" in data:
        return InputError([Problem(**p) for p in data["problems"]], omitted=int(data.get("omitted", 0)))
    return str(data.get("message", ""))
