"""The limits on what the suite reads, in one place: each a whole number with a default, raised (or lowered) by an
environment variable. A file over a limit is refused in one line that names the limit and the variable; no limit
is near what a real input needs (a register of a few thousand rows and fifty columns, a parameters file of a page).
docs/registers.md#limits lists them for people.

Tables (registers, readings), checked while the file is read, before a spreadsheet library allocates anything:

- ``WORKBOOK_MAX_ROWS`` 250,000 data rows;
- ``WORKBOOK_MAX_COLUMNS`` 1,000 columns (a heading row of a million columns is refused before anything per column
  is built);
- ``WORKBOOK_MAX_CELLS`` 5,000,000 cells, rows x columns (250,000 rows of 20 columns, or 100,000 rows of 50): in a
  .xlsx, the sheet's used range from its cells' references, so a cell at XFD1048576 is refused before calamine
  asks for 512 GiB;
- ``WORKBOOK_MAX_FILE_MB`` 100 MB of text: a CSV file's size, or a sheet's text with every shared string counted
  in each cell that uses it;
- ``WORKBOOK_MAX_XLSX_BYTES`` 200,000,000 bytes a .xlsx may inflate to, ``WORKBOOK_MAX_XLSX_RATIO`` 100 to 1 for
  any part over 1 MB (zip bombs).

YAML files (checked on the file's size before it is parsed, and while it is composed):

- ``WORKBOOK_MAX_PARAMETERS_KB``, ``WORKBOOK_MAX_SETTINGS_KB``, ``WORKBOOK_MAX_METHODOLOGY_KB`` 128 KB each,
  ``WORKBOOK_MAX_CATALOGUE_KB`` 256 KB and ``WORKBOOK_MAX_DATA_FILE_KB`` (questionnaires, matrices, frameworks)
  512 KB (the shipped files are 8-34 KB; PyYAML reads about 100 KB a second);
- ``WORKBOOK_MAX_YAML_VALUES`` 100,000 values (aliases expanded), ``WORKBOOK_MAX_YAML_DEPTH`` 50 levels of
  nesting, ``WORKBOOK_MAX_TEXT_CHARS`` 10,000 characters in any one text value; ``WORKBOOK_MAX_NAME_CHARS`` 200
  characters in an organisation's name or a period.

Other files: ``WORKBOOK_MAX_REPORT_MB`` 100 MB for an earlier period's JSON report (a run of 250,000 risks writes
about 90 MB; its risks are also held to ``WORKBOOK_MAX_ROWS``). Messages:
``WORKBOOK_MAX_PROBLEMS`` 50 problems listed, the rest counted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


class LimitSettingError(ValueError):
    """A limit's environment variable that is not a whole number above 0."""

    def __init__(self, variable: str, raw: str):
        self.variable, self.raw = variable, raw
        super().__init__(f"{variable} (in the environment) to be a whole number above 0, not {raw!r}")


@dataclass(frozen=True)
class Limit:
    variable: str  # the environment variable that sets it
    default: int
    unit: str  # how the number is counted: "rows", "KB", "MB", "characters" ...
    what: str  # what it limits, in plain words

    def value(self) -> int:
        """The limit in force: the environment's whole number (500000 or 500_000), else the default."""
        raw = os.environ.get(self.variable, "").strip()
        if not raw:
            return self.default
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            raise LimitSettingError(self.variable, raw)
        return value

    def over(self, found: str, limit: int | None = None) -> str:
        """The end of a refusal: "<found>, over the limit of <limit> <unit>; set <VARIABLE> to raise it"."""
        limit = self.value() if limit is None else limit
        return f"{found}, over the limit of {limit:,} {self.unit}; set {self.variable} to raise it"


# ---- tables --------------------------------------------------------------------------------------------
MAX_ROWS = Limit("WORKBOOK_MAX_ROWS", 250_000, "rows", "data rows in a register or readings file")
MAX_COLUMNS = Limit("WORKBOOK_MAX_COLUMNS", 1_000, "columns", "columns in a register or readings file")
MAX_CELLS = Limit("WORKBOOK_MAX_CELLS", 5_000_000, "cells", "cells (rows x columns) in a table")
MAX_FILE_MB = Limit("WORKBOOK_MAX_FILE_MB", 100, "MB", "text in a table: a CSV file, or a sheet's cells")
MAX_XLSX_BYTES = Limit("WORKBOOK_MAX_XLSX_BYTES", 200_000_000, "bytes", "a .xlsx inflated, all parts together")
MAX_XLSX_RATIO = Limit("WORKBOOK_MAX_XLSX_RATIO", 100, "to 1", "how much a .xlsx part over 1 MB may inflate")

# ---- YAML files ------------------------------------------------------------------------------------------
MAX_PARAMETERS_KB = Limit("WORKBOOK_MAX_PARAMETERS_KB", 128, "KB", "a parameters file")
MAX_SETTINGS_KB = Limit("WORKBOOK_MAX_SETTINGS_KB", 128, "KB", "a settings file")
MAX_METHODOLOGY_KB = Limit("WORKBOOK_MAX_METHODOLOGY_KB", 128, "KB", "a methodology file")
MAX_CATALOGUE_KB = Limit("WORKBOOK_MAX_CATALOGUE_KB", 256, "KB", "a metrics catalogue file")
MAX_DATA_FILE_KB = Limit("WORKBOOK_MAX_DATA_FILE_KB", 512, "KB", "a data file (questionnaire, matrix, framework)")
MAX_YAML_VALUES = Limit("WORKBOOK_MAX_YAML_VALUES", 100_000, "values", "values in a YAML file, aliases expanded")
MAX_YAML_DEPTH = Limit("WORKBOOK_MAX_YAML_DEPTH", 50, "levels", "levels of nesting in a YAML file")
MAX_TEXT_CHARS = Limit("WORKBOOK_MAX_TEXT_CHARS", 10_000, "characters", "characters in one text value of a YAML file")
MAX_NAME_CHARS = Limit("WORKBOOK_MAX_NAME_CHARS", 200, "characters", "characters in an organisation's name or period")

# ---- other files and messages ----------------------------------------------------------------------------
MAX_REPORT_MB = Limit("WORKBOOK_MAX_REPORT_MB", 100, "MB", "an earlier period's JSON report")
MAX_PROBLEMS = Limit("WORKBOOK_MAX_PROBLEMS", 50, "problems", "problems listed in a message (the rest counted)")

ALL = (MAX_ROWS, MAX_COLUMNS, MAX_CELLS, MAX_FILE_MB, MAX_XLSX_BYTES, MAX_XLSX_RATIO, MAX_PARAMETERS_KB,
       MAX_SETTINGS_KB, MAX_METHODOLOGY_KB, MAX_CATALOGUE_KB, MAX_DATA_FILE_KB, MAX_YAML_VALUES, MAX_YAML_DEPTH,
       MAX_TEXT_CHARS, MAX_NAME_CHARS, MAX_REPORT_MB, MAX_PROBLEMS)

# a scale of a methodology (likelihood, impact, control effectiveness) and a banding: real ones have 3-10 levels
MAX_LEVELS = 50


def shown_limit(limit: Limit) -> int:
    """The limit in force, or its default when its variable is unusable (for a message that must not fail)."""
    try:
        return limit.value()
    except LimitSettingError:
        return limit.default


def megabytes(size: int) -> str:
    """A size in bytes as MB for a message: 268435456 -> "268 MB" (under 1 MB: "0.4 MB")."""
    mb = size / 1e6
    return f"{mb:,.0f} MB" if mb >= 1 else f"{mb:.1f} MB"
