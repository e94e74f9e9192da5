"""Between tables and the store: each assessment's records as the same Table its file reader yields.

A record's data is the row as the user gave it (canonical column names, text values), so an export
round-trips and the batch run validates store data with exactly the rules it applies to files. Rows
read back from the store are numbered as in ``workbook store export`` (header on row 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .store import Author, Method, SaveResult, Store
from .tables import ROW, Table, read_table
from .validation import InputError, Problem


@dataclass(frozen=True)
class RecordKind:
    kind: str
    key_columns: tuple[str, ...]
    columns: Callable[[], dict[str, list[str]]]  # canonical column -> accepted headings

    def key(self, row: dict[str, str]) -> str:
        return "|".join(str(row.get(c, "")).strip() for c in self.key_columns)


def _register_columns() -> dict[str, list[str]]:
    from .register import column_spec

    return column_spec().columns


KIND_SPECS: dict[str, RecordKind] = {
    "risk": RecordKind("risk", ("risk_id",), _register_columns),
}


def spec_for(kind: str) -> RecordKind:
    try:
        return KIND_SPECS[kind]
    except KeyError:
        raise ValueError(f"no table layout for record kind {kind!r}") from None


def store_label(organisation: str, period: str, kind: str) -> str:
    return f"store: {organisation} / {period} ({kind})"


def table_from_store(store: Store, organisation: str, period: str, kind: str) -> Table:
    """The current records as a Table (all text), rows numbered as in an export."""
    spec = spec_for(kind)
    current = store.current(organisation, period, kind)
    columns = list(spec.columns())
    data = [r.data for r in current]
    extra = [c for c in dict.fromkeys(k for d in data for k in d) if c not in columns]
    frame = pd.DataFrame(data, columns=columns + extra, dtype=object).fillna("")
    frame = frame.astype(str).astype(object) if len(frame) else frame  # the same all-text frame a reader gives
    frame.insert(0, ROW, range(2, len(frame) + 2))
    return Table(file=store_label(organisation, period, kind), frame=frame, header_row=1)


def methods_in_store(store: Store, organisation: str, period: str, kind: str) -> set[Method]:
    return {r.method for r in store.current(organisation, period, kind) if r.method is not None}


def rows_from_table(table: Table, kind: str) -> dict[str, dict[str, str]]:
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


def save_table(store: Store, organisation: str, period: str, kind: str, table: Table, author: Author,
               method: Method | None, source: str) -> SaveResult:
    """Save every row of an already validated table as the next version of its record."""
    return store.save(organisation, period, kind, rows_from_table(table, kind), author, method, source)


def read_for_kind(path: str | Path, kind: str, sheet: str | None = None) -> Table:
    return read_table(path, spec_for(kind).columns(), sheet=sheet)


def export_frame(store: Store, organisation: str, period: str, kind: str) -> pd.DataFrame:
    return table_from_store(store, organisation, period, kind).frame.drop(columns=[ROW])
