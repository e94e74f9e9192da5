"""The record kind the risk evaluation keeps in the store: one risk of a register."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from workbook_lib.assessments.risk.interpret import ReadOptions, readings_frame
from workbook_lib.assessments.risk.methodology import LoadedMethodology, load_methodology
from workbook_lib.assessments.risk.register import column_spec, read_register, validate_register
from workbook_lib.core.records import RecordKind, register_kind, rows_from_table
from workbook_lib.core.tables import Table


@dataclass(frozen=True)
class RegisterContext:
    """What a register is read and checked against: the methodology, partner roles, the organisation's reading."""

    loaded: LoadedMethodology
    partner_roles: list[str]
    options: ReadOptions


def _columns() -> dict[str, list[str]]:
    return column_spec().columns


def _read(path: Path, sheet: str | None, context: RegisterContext) -> Table:
    return read_register(path, context.loaded.methodology, sheet, context.options)


def _canonical(table: Table, context: RegisterContext) -> dict[str, dict[str, str]]:
    """A register checked against its methodology (and partner-role columns); rows in canonical columns."""
    validate_register(table, context.loaded.methodology, context.partner_roles, context.options)
    return rows_from_table(table, RISK)


def _context(name: str | None, params: Any, partner_roles: list[str] | None = None,
             columns: dict[str, str] | None = None, **_options: Any) -> tuple[LoadedMethodology, RegisterContext]:
    """The methodology, the partner-role columns (those given, else the parameters' own) and the organisation's
    reading of its register (its parameters' columns, ratings, money thresholds and words; ``columns`` added)."""
    if name is None and params is None:
        raise ValueError("a methodology (or a parameters file naming one) is needed to check a register's ratings")
    loaded = load_methodology(name or params.methodology_ref())
    if partner_roles is None:
        partner_roles = list(params.partner_roles) if params is not None else []
    options = params.read_options() if params is not None else ReadOptions()
    if columns:
        options = replace(options, columns={**options.columns, **columns})
    return loaded, RegisterContext(loaded, partner_roles, options)


RISK = register_kind(RecordKind("risk", ("risk_id",), _columns, _canonical, _context, _read, readings_frame,
                                owner_of=lambda data: data.get("owner", "")))
