"""The one error a run raises: its own module, so that running (``execute``) and printing (``pdf``) share it."""

from __future__ import annotations

from typing import Any


class RunFailed(Exception):
    """A run that produced no report (or not every output). ``kind``: input, cell, timeout, kernel, output."""

    def __init__(self, message: str, kind: str, cell: str = "", error: str = "", problems: Any = None):
        super().__init__(message)
        self.message, self.kind, self.cell, self.error, self.problems = message, kind, cell, error or message, problems

    @property
    def exit_code(self) -> int:
        return 2 if self.kind == "input" else 1
