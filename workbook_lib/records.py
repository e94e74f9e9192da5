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


def _response_columns() -> dict[str, list[str]]:
    from .coso import RESPONSE_COLUMNS

    return RESPONSE_COLUMNS


def _marks_columns() -> dict[str, list[str]]:
    from .maturity import MARKS_COLUMNS

    return MARKS_COLUMNS


def _capacity_columns() -> dict[str, list[str]]:
    from .maturity import CAPACITY_COLUMNS

    return CAPACITY_COLUMNS


def _map_columns() -> dict[str, list[str]]:
    from .assurance import load_assurance_framework

    return load_assurance_framework().framework.map_columns


KIND_SPECS: dict[str, RecordKind] = {
    "risk": RecordKind("risk", ("risk_id",), _register_columns),
    "coso_response": RecordKind("coso_response", ("item_id", "line"), _response_columns),
    "maturity_mark": RecordKind("maturity_mark", ("element_id",), _marks_columns),
    "capacity_answer": RecordKind("capacity_answer", ("item_id", "line"), _capacity_columns),
    "assurance_entry": RecordKind("assurance_entry", ("risk_id", "control", "provider"), _map_columns),
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


# ---- validated, canonical rows for the questionnaire kinds ------------------------------------------------
def _blank(value) -> str:
    return "" if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)) else str(value)


def canonical_rows(kind: str, table: Table, context) -> dict[str, dict[str, str]]:
    """Validate a table of a questionnaire kind and return key -> row in canonical form.

    ``context``: the questionnaire (coso_response), the maturity matrix (maturity_mark, capacity_answer) or
    ``(providers, frequencies)`` (assurance_entry). Keys and values are the canonical ones (``P01-01|2``,
    ``A1``, ``3|1``, ``R1|budget monitoring|internal_audit``), so a form, an import and a file agree on what
    one record is. Raises InputError listing every problem.
    """
    rows: dict[str, dict[str, str]] = {}
    if kind == "coso_response":
        from .coso import validate_responses

        frame = validate_responses(table, context).frame
        for r in frame.to_dict("records"):
            rows[f"{r['item_id']}|{int(r['line'])}"] = {
                "item_id": r["item_id"], "line": str(int(r["line"])), "rating": _blank(r["rating"]),
                "respondent": _blank(r["respondent"]), "comment": _blank(r["comment"])}
    elif kind == "maturity_mark":
        from .maturity import validate_marks

        for r in validate_marks(table, context).frame.to_dict("records"):
            rows[r["element_id"]] = {"element_id": r["element_id"], "mark": _blank(r["mark"]),
                                     "respondent": _blank(r["respondent"]), "comment": _blank(r["comment"])}
    elif kind == "capacity_answer":
        from .maturity import validate_capacity

        for r in validate_capacity(table, context).frame.to_dict("records"):
            rows[f"{int(r['item_id'])}|{int(r['line'])}"] = {
                "item_id": str(int(r["item_id"])), "line": str(int(r["line"])), "answer": _blank(r["answer"]),
                "respondent": _blank(r["respondent"]), "comment": _blank(r["comment"])}
    elif kind == "assurance_entry":
        from .assurance import validate_assurance_map
        from .methodology import normalise_label

        providers, frequencies = context
        for r in validate_assurance_map(table, providers, frequencies).frame.to_dict("records"):
            rows[f"{r['risk_id']}|{normalise_label(r['control'])}|{r['provider']}"] = {
                "risk_id": r["risk_id"], "control": _blank(r["control"]), "provider": r["provider"],
                "frequency": _blank(r["frequency"]), "notes": _blank(r["notes"])}
    else:
        raise ValueError(f"no canonical form for record kind {kind!r}")
    return rows


def table_for(params, kind: str) -> Table:
    """The records of ``kind`` the store holds for the parameters' organisation and period, as a Table."""
    with Store(params.store_url) as store:
        return table_from_store(store, params.organisation, params.period, kind)


def earlier_periods(params, kind: str) -> list[tuple[str, Table]]:
    """Every earlier period of the organisation with records of ``kind`` in the store, oldest first.

    Periods are compared as text ("2024-25" < "2025-26"), which suits the year-based names the suite uses.
    """
    out = []
    with Store(params.store_url) as store:
        for period in sorted(store.periods(params.organisation)):
            if period < params.period and store.current(params.organisation, period, kind):
                out.append((period, table_from_store(store, params.organisation, period, kind)))
    return out
