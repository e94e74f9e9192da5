"""The record kind combined assurance keeps in the store: one provider's assurance of one control of a risk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbook_lib.assessments.assurance.inputs import validate_assurance_map
from workbook_lib.assessments.assurance.model import DEFAULT_FRAMEWORK, LoadedFramework, load_assurance_framework
from workbook_lib.assessments.assurance.providers import merge_providers
from workbook_lib.core.datafiles import normalise_label
from workbook_lib.core.records import RecordKind, blank, register_kind
from workbook_lib.core.tables import Table


def _columns() -> dict[str, list[str]]:
    return load_assurance_framework().framework.map_columns


def _canonical(table: Table, context: tuple) -> dict[str, dict[str, str]]:
    """Keys ``R1|budget monitoring|internal_audit`` (risk, control as compared, provider)."""
    providers, frequencies = context
    return {f"{r['risk_id']}|{normalise_label(r['control'])}|{r['provider']}": {
        "risk_id": r["risk_id"], "control": blank(r["control"]), "provider": r["provider"],
        "frequency": blank(r["frequency"]), "notes": blank(r["notes"])}
        for r in validate_assurance_map(table, providers, frequencies).frame.to_dict("records")}


def _context(name: str | None, params: Any, **_options: Any) -> tuple[LoadedFramework, tuple]:
    loaded = load_assurance_framework(name or (params.framework_ref() if params else DEFAULT_FRAMEWORK))
    fw = loaded.framework
    if params is None:
        extra = None
    else:
        extra = params.resolve(params.providers) if isinstance(params.providers, str) else params.providers
    base = Path(params.parameters_dir) if params is not None and params.parameters_dir else None
    return loaded, (merge_providers(fw, extra, base), fw.frequencies)


ENTRY = register_kind(RecordKind("assurance_entry", ("risk_id", "control", "provider"), _columns, _canonical,
                                 _context))
