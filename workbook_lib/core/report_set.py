"""An assessment's set of reports in ``OUT/<organisation>/<period>/``: ``<assessment>.ipynb``, ``.html``, ``.xlsx``,
``.json`` (and ``.pdf``), always replaced together, and what a reader checks before it trusts one of them.

A run (batch/execute.py) writes its set in a staging folder beside them, ``.staging-<assessment>-<pid>-<host>-...``.
To replace the old set it first keeps a copy (hard links) of it in the staging folder's ``.previous``; while that
folder exists the set is being replaced and its files may come from two runs. It moves the new files in, then
renames ``.previous`` away (the moment the new set is whole). If a move fails, the old set is put back from
``.previous``; if the run is killed mid-way, the next run of that assessment, organisation and period puts it back
before it starts. A reader that finds a ``.previous`` (``being_replaced``) treats the set as incomplete.
"""

from __future__ import annotations

import re
from pathlib import Path

STAGING = ".staging"  # .staging-<assessment>-<pid>-<host>-<random>: a run's outputs while it writes them
PREVIOUS = ".previous"  # in a staging folder: the set being replaced, kept until the new one is whole
EXTENSIONS = ("ipynb", "html", "xlsx", "json", "pdf")  # the files of a set (.pdf with --pdf)


def staging_prefix(stem: str) -> str:
    return f"{STAGING}-{stem}-"


def set_names(stem: str) -> list[str]:
    """Every file name a set of ``stem`` (an assessment's name) may have."""
    return [f"{stem}.{ext}" for ext in EXTENSIONS]


def being_replaced(folder: Path, stem: str) -> bool:
    """Whether the set ``stem`` in ``folder`` is being replaced now, or its replacement was cut off (a run killed
    mid-way, not yet put back by the next run): then its files may be a mix of two runs' and none should be read."""
    own = re.compile(rf"{re.escape(staging_prefix(stem))}\d+-")
    try:
        return any(own.match(p.parent.name) for p in Path(folder).glob(f"{staging_prefix(stem)}*/{PREVIOUS}"))
    except OSError:
        return False
