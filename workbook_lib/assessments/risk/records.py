"""The record kind the risk evaluation keeps in the store: one risk of a register."""

from __future__ import annotations

from typing import Any

from workbook_lib.assessments.risk.methodology import LoadedMethodology, load_methodology
from workbook_lib.assessments.risk.register import column_spec, validate_register
from workbook_lib.core.records import RecordKind, register_kind, rows_from_table
from workbook_lib.core.tables import Table


def _columns() -> dict[str, list[str]]:
    return column_spec().columns


def _canonical(table: Table, context: tuple[LoadedMethodology, list[str]]) -> dict[str, dict[str, str]]:
    """A register checked against its methodology (and partner-role columns); rows as given."""
    loaded, roles = context
    validate_register(table, loaded.methodology, roles)
    return rows_from_table(table, RISK)


def _context(name: str | None, params: Any, partner_roles: list[str] | None = None
             ) -> tuple[LoadedMethodology, tuple[LoadedMethodology, list[str]]]:
    """The methodology, and the partner-role columns: those given, else the parameters' own."""
    if name is None and params is None:
        raise ValueError("a methodology (or a parameters file naming one) is needed to check a register's ratings")
    loaded = load_methodology(name or params.methodology_ref())
    if partner_roles is None:
        partner_roles = list(params.partner_roles) if params is not None else []
    return loaded, (loaded, partner_roles)


RISK = register_kind(RecordKind("risk", ("risk_id",), _columns, _canonical, _context))
