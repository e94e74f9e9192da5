"""Which store a run names, without SQLAlchemy (0.3 s to import): a file run that names no existing store never
loads it. ``core.store`` opens the store; this module only reads its URL."""

from __future__ import annotations

import os
import re
from pathlib import Path

from workbook_lib.core.paths import PROJECT_ROOT

DEFAULT_DB = PROJECT_ROOT / "workbook.db"


def database_url(url: str | None = None) -> str:
    """The store's URL: the argument, else ``WORKBOOK_DB``, else the project's SQLite file.

    A plain path means a SQLite file; ``postgresql://`` uses the psycopg driver.
    """
    url = url or os.environ.get("WORKBOOK_DB") or str(DEFAULT_DB)
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


# sqlite[+driver]://[host]/database[?query]: SQLite has no host, so what follows the third slash is the file
# ("sqlite:///rel.db" a relative path, "sqlite:////abs.db" an absolute one, "sqlite://" in memory), as SQLAlchemy's
# make_url reads it (tests/core/test_store.py compares the two)
_SQLITE = re.compile(r"sqlite(?:\+\w+)?://[^/?]*(?:/(?P<database>[^?]*))?(?:\?.*)?", re.S)


def sqlite_database(url: str) -> str | None:
    """The database file a SQLite URL names ("": in memory); None for any other kind of store."""
    found = _SQLITE.fullmatch(url)
    return (found["database"] or "") if found else None
