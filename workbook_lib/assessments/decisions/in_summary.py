"""The ``decisions`` part of an assessment's own JSON summary (the assessments declaring ``decisions_due``): what its
summary says is due, joined to the decisions kept in the store. Which store: the run's own when it reads the store
(``source: store``); for a run from files, the store its parameters name (else ``WORKBOOK_DB``, else the project's
file), read only when it exists and holds decisions for the organisation. A run from files with no such store has no
``decisions`` key: nothing on record to join, and a file run never creates a store."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbook_lib.assessments.decisions import ledger
from workbook_lib.assessments.decisions.due import standings
from workbook_lib.assessments.decisions.report import decisions_summary
from workbook_lib.core.due import Due
from workbook_lib.core.errors import StoreError
from workbook_lib.core.source import source_of
from workbook_lib.core.store_url import database_url, sqlite_database

if TYPE_CHECKING:
    from workbook_lib.assessments.decisions.model import Decision
    from workbook_lib.core.store import Store

KEYS = ("as_of", "due", "requested", "taken", "expired", "flagged")


@contextlib.contextmanager
def _store(params: Any) -> Iterator[tuple[Store | None, bool]]:
    """(the store to read, whether the run reads the store); (None, False) when a file run has none."""
    source = source_of(params)
    if source.from_store:
        with source:  # the run's own source (closed when the run ended): opened again for this, then closed
            yield source.store(), True
        return
    url = database_url(getattr(params, "store_url", None))
    database = sqlite_database(url)
    if database is not None and not (database and Path(database).is_file()):
        yield None, False  # no store at all: a file run never creates one (nor imports SQLAlchemy to say so)
        return
    from workbook_lib.core.store import Store  # lazy: SQLAlchemy, only when there is a store to read

    try:
        st = Store(url, migrate=False, create=False)
    except StoreError:
        yield None, False
        return
    with st:
        yield st, False


def decisions_part(summary: dict[str, Any], due: list[Due], params: Any) -> dict[str, Any]:
    """``{"decisions": {as_of, due, requested, taken, expired, flagged}}`` for the summary (of one assessment), or
    ``{}`` when a run from files finds no decisions on record for the organisation."""
    organisation, period, assessment = summary.get("organisation"), summary.get("period"), summary.get("assessment")
    as_of = _as_of(summary.get("as_of"))
    try:
        with _store(params) as (st, from_store):
            if st is None:
                return {}
            found = [d for d in ledger.on_record(st, organisation, period) if _of(d, assessment)]
    except Exception as exc:  # a store that cannot be read: the summary stays without the key
        if not _unreadable(exc) or getattr(params, "source", "file") == "store":
            raise
        return {}
    if not from_store and not found:
        return {}
    standing = standings(due, found, as_of, judged={assessment})
    part = decisions_summary(standing, found, as_of)
    return {"decisions": {k: part[k] for k in KEYS}}


def _unreadable(exc: Exception) -> bool:
    """The store's own error or SQLAlchemy's (imported only when a store was opened)."""
    if isinstance(exc, StoreError):
        return True
    sa = sys.modules.get("sqlalchemy")
    return sa is not None and isinstance(exc, sa.exc.SQLAlchemyError)


def _of(decision: Decision, assessment: str | None) -> bool:
    return decision.assessment == assessment


def _as_of(text: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return dt.date.today()
