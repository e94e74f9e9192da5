"""The record kinds combined assurance keeps in the store: one provider's assurance of one key control of a risk
(or a key control recorded without a provider), and the assurance delivered in a quarter."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from workbook_lib.assessments.assurance.inputs import long_map, validate_assurance_map, validate_delivery
from workbook_lib.assessments.assurance.model import DEFAULT_FRAMEWORK, LoadedFramework, load_assurance_framework
from workbook_lib.assessments.assurance.providers import Provider, merge_providers
from workbook_lib.core.datafiles import normalise_label
from workbook_lib.core.records import RecordKind, blank, register_kind
from workbook_lib.core.tables import Table, read_table


def _columns() -> dict[str, list[str]]:
    return load_assurance_framework().framework.map_columns


def _canonical(table: Table, context: tuple) -> dict[str, dict[str, str]]:
    """Keys ``R1|budget monitoring|internal_audit`` (risk, control as compared, provider; blank for none)."""
    providers, frequencies = context[:2]
    return {f"{r['risk_id']}|{normalise_label(r['control'])}|{r['provider']}": {
        "risk_id": r["risk_id"], "control": blank(r["control"]), "provider": r["provider"],
        "frequency": blank(r["frequency"]), "notes": blank(r["notes"])}
        for r in validate_assurance_map(long_map(table, providers), providers, frequencies).frame.to_dict("records")}


def _read_map(path: Path, sheet: str | None, context: tuple) -> Table:
    """A map file in either layout (Template 2's wide one made long) for an import into the store."""
    return long_map(read_table(path, _columns(), sheet=sheet), context[0])


def _context(name: str | None, params: Any, **_options: Any) -> tuple[LoadedFramework, tuple]:
    loaded = load_assurance_framework(name or (params.framework_ref() if params else DEFAULT_FRAMEWORK))
    fw = loaded.framework
    if params is None:
        extra = None
    else:
        extra = params.resolve(params.providers) if isinstance(params.providers, str) else params.providers
    base = Path(params.parameters_dir) if params is not None and params.parameters_dir else None
    providers: list[Provider] = merge_providers(fw, extra, base)
    return loaded, (providers, fw.frequencies, fw)


def _delivery_columns() -> dict[str, list[str]]:
    return load_assurance_framework().framework.delivery.columns


def _delivery_canonical(table: Table, context: tuple) -> dict[str, dict[str, str]]:
    """Keys ``Q1|R1|budget monitoring|internal_audit`` (quarter, risk, control as compared, provider)."""
    providers, _frequencies, fw = context
    frame = validate_delivery(table, fw.delivery, providers).frame
    return {f"{r['quarter']}|{r['risk_id']}|{r['control_key']}|{r['provider']}": {
        c: blank(r[c]) for c in ("quarter", "risk_id", "control", "provider", "status", "finding", "date", "action",
                                 "action_due")} for r in frame.to_dict("records")}


@functools.cache
def _provider_lines() -> dict[str, int]:
    return {p.id: p.line for p in load_assurance_framework().framework.providers}


def _line_of_entry(data: dict[str, Any]) -> int | None:
    """The line of an entry's provider (the framework's providers; an organisation's own: None, the champion's)."""
    return _provider_lines().get(str(data.get("provider", "")))


ENTRY = register_kind(RecordKind("assurance_entry", ("risk_id", "control", "provider"), _columns, _canonical,
                                 _context, read=_read_map, line_of=_line_of_entry))
DELIVERY = register_kind(RecordKind("assurance_delivery", ("quarter", "risk_id", "control", "provider"),
                                    _delivery_columns, _delivery_canonical, _context))
