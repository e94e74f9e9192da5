"""Between tables and the store: each assessment's records as the same Table its file reader yields.

A record's data is the row as the user gave it (canonical column names, text values), so an export
round-trips and the batch run validates store data with exactly the rules it applies to files. Rows
read back from the store are numbered as in ``workbook store export`` (header on row 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.kinds import KNOWN_KINDS, LINE_OF, OWNED_VIA, OWNER_OF
from workbook_lib.core.tables import ROW, Table, read_table

if TYPE_CHECKING:
    from workbook_lib.core.store import Author, Method, SaveResult, Store


@dataclass(frozen=True)
class RecordKind:
    """One kind of record an assessment keeps in the store, declared by the assessment that owns it.

    ``columns``: canonical column -> accepted headings (a callable: some come from a data file).
    ``canonical``: validates a table against ``context`` and returns key -> row in canonical form, so a form,
    an import and a file agree on what one record is (raises InputError listing every problem).
    ``context``: loads what rows are checked against, ``(data file name or None, parameters or None, **options)
    -> (loaded data file, context for canonical)``; the name wins, then the parameters' choice, then the default.
    Options a kind does not use are ignored (``partner_roles``: a register's partner-role columns; ``columns``:
    the user's heading -> canonical column choices).
    ``read``: reads a file of this kind with the context (a kind whose files need understanding, such as a risk
    register's headings and rating styles); without it, ``read_table`` with ``columns``.
    ``readings_view``: that reading as a table for a person (default: ``core.commands.readings_view``).
    ``line_of``: for records that are one line of assurance's own ratings, the line a record's data is for (a line's
    user writes only its own line's, core/access.py); None: records of no line.
    """

    kind: str
    key_columns: tuple[str, ...]
    columns: Callable[[], dict[str, list[str]]]
    canonical: Callable[[Table, Any], dict[str, dict[str, str]]] | None = None
    context: Callable[..., tuple[Any, Any]] | None = None
    read: Callable[[Path, str | None, Any], Table] | None = None
    readings_view: Callable[[list[Any]], Any] | None = None  # how its files' columns were read, as a person sees it
    line_of: Callable[[dict[str, Any]], Any] | None = None  # the line of assurance a record is for (its own ratings)
    owner_of: Callable[[dict[str, Any]], Any] | None = None  # who owns a record (a risk's owner): core/access.py
    owned_via: tuple[str, str] | None = None  # (owning kind, column naming its record): a treatment action's risk

    def key(self, row: dict[str, str]) -> str:
        return "|".join(str(row.get(c, "")).strip() for c in self.key_columns)


Kind = str | RecordKind  # a record kind, or its name
_KINDS: dict[str, RecordKind] = {}


def register_kind(spec: RecordKind) -> RecordKind:
    """Declare a record kind (called by the assessment that owns it, when its module is imported)."""
    _KINDS[spec.kind] = spec
    KNOWN_KINDS.add(spec.kind)
    if spec.line_of is not None:
        LINE_OF[spec.kind] = spec.line_of
    if spec.owner_of is not None:
        OWNER_OF[spec.kind] = spec.owner_of
    if spec.owned_via is not None:
        OWNED_VIA[spec.kind] = spec.owned_via
    return spec


def spec_for(kind: Kind) -> RecordKind:
    if isinstance(kind, RecordKind):
        return kind
    try:
        return _KINDS[kind]
    except KeyError:
        raise ValueError(f"no table layout for record kind {kind!r}") from None


def store_label(organisation: str, period: str, kind: str) -> str:
    return f"store: {organisation} / {period} ({kind})"


def table_from_store(store: Store, organisation: str, period: str, kind: Kind) -> Table:
    """The current records as a Table (all text), rows numbered as in an export."""
    spec = spec_for(kind)
    kind = spec.kind
    current = store.current(organisation, period, kind)
    columns = list(spec.columns())
    data = [r.data for r in current]
    extra = [c for c in dict.fromkeys(k for d in data for k in d) if c not in columns]
    frame = pd.DataFrame(data, columns=columns + extra, dtype=object).fillna("")
    frame = frame.astype(str).astype(object) if len(frame) else frame  # the same all-text frame a reader gives
    frame.insert(0, ROW, range(2, len(frame) + 2))
    return Table(file=store_label(organisation, period, kind), frame=frame, header_row=1)


def methods_in_store(store: Store, organisation: str, period: str, kind: Kind) -> set[Method]:
    return {r.method for r in store.current(organisation, period, spec_for(kind).kind) if r.method is not None}


def rows_from_table(table: Table, kind: Kind) -> dict[str, dict[str, str]]:
    """Key -> row data (canonical columns, text) for saving; a repeated key is an error."""
    spec = spec_for(kind)
    rows: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    for record in table.frame.to_dict("records"):
        row_number = record.pop(ROW)
        key = spec.key(record)
        if key in rows:
            problems.append(Problem(table.file, row_number, ",".join(spec.key_columns), key,
                                    "each record once; this one appears earlier in the file"))
        rows[key] = {k: ("" if v is None else str(v)) for k, v in record.items()}
    if problems:
        raise InputError(problems)
    return rows


def save_table(store: Store, organisation: str, period: str, kind: Kind, table: Table, author: Author,
               method: Method | None, source: str) -> SaveResult:
    """Save every row of an already validated table as the next version of its record."""
    return store.save(organisation, period, spec_for(kind).kind, rows_from_table(table, kind), author, method,
                      source)


def read_for_kind(path: str | Path, kind: Kind, sheet: str | None = None, context: Any = None) -> Table:
    spec = spec_for(kind)
    if spec.read is not None and context is not None:
        return spec.read(Path(path), sheet, context)
    return read_table(path, spec.columns(), sheet=sheet)


def export_frame(store: Store, organisation: str, period: str, kind: Kind) -> pd.DataFrame:
    return table_from_store(store, organisation, period, kind).frame.drop(columns=[ROW])


def blank(value: Any) -> str:
    """A cell as stored: missing values become empty text."""
    return "" if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)) else str(value)


def canonical_rows(kind: Kind, table: Table, context: Any) -> dict[str, dict[str, str]]:
    """Validate a table of ``kind`` against ``context`` and return key -> row in canonical form."""
    spec = spec_for(kind)
    if spec.canonical is None:
        raise ValueError(f"no canonical form for record kind {spec.kind!r}")
    return spec.canonical(table, context)


def table_for(params: Any, kind: Kind) -> Table:
    """The records of ``kind`` the store holds for the parameters' organisation and period, as a Table (from the
    run's source: its store is opened once per run)."""
    from workbook_lib.core.source import source_of

    return table_from_store(source_of(params).store(), params.organisation, params.period, kind)


def earlier_periods(params: Any, kind: Kind) -> list[tuple[str, Table]]:
    """Every earlier period of the organisation with records of ``kind`` in the store, oldest first.

    Periods are compared as text ("2024-25" < "2025-26"), which suits the year-based names the suite uses.
    """
    from workbook_lib.core.source import source_of

    store = source_of(params).store()
    return [(period, table_from_store(store, params.organisation, period, kind))
            for period in sorted(store.periods(params.organisation))
            if period < params.period and store.current(params.organisation, period, spec_for(kind).kind)]


def line_column(column: str = "line") -> Callable[[dict[str, Any]], Any]:
    """``line_of`` for a kind whose records name their line in ``column``."""
    return lambda data: data.get(column)
