"""The record kinds risk monitoring keeps in the store: a reading per metric, saved under the period it is for,
and the key risk indicators' links (per metric: the risk IDs and categories it informs).

A reading is kept as the user wrote it (the metric by its catalogue id, the value as written, e.g. "12%"), keyed
by metric; its period is the store period it is saved under, so the periods in the store are the trend.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from workbook_lib.assessments.monitoring.catalogue import (
    DEFAULT_CATALOGUE,
    Catalogue,
    LoadedCatalogue,
    load_loaded_catalogue,
)
from workbook_lib.assessments.monitoring.kri import Kri, load_kris
from workbook_lib.assessments.monitoring.readings import READINGS_COLUMNS, Readings, validate_readings
from workbook_lib.core.datafiles import normalise_label
from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.records import RecordKind, blank, register_kind
from workbook_lib.core.tables import ROW, Table


def _as_written(table: Table) -> dict[int, str]:
    """Each row's value as the user wrote it, by row number."""
    return {int(r[ROW]): blank(r.get("value")).strip() for r in table.frame.to_dict("records")}


def stored_rows(table: Table, readings: Readings) -> dict[str, dict[str, str]]:
    """Validated readings as store rows, keyed by metric id."""
    written = _as_written(table)
    return {r["metric"]: {"metric": r["metric"], "period": r["period"], "value": written[int(r["row"])],
                          "date": r["date"].isoformat() if isinstance(r["date"], dt.date) else "",
                          "source": r["source"], "note": r["note"], "recorded_by": r["recorded_by"]}
            for r in readings.frame.to_dict("records")}


def _readings(table: Table, catalogue: Catalogue) -> dict[str, dict[str, str]]:
    """Keys are metric ids; a table holding several periods is refused here (a record is one period's)."""
    readings = validate_readings(table, catalogue)
    periods = readings.periods
    if len(periods) > 1:  # one problem per other period, at its first row
        keys = readings.frame["period"].map(normalise_label)
        problems = []
        for period in periods[1:]:
            rows = readings.frame.loc[keys == normalise_label(period), "row"].astype(int).tolist()
            problems.append(Problem(table.file, rows[0], table.heading_for("period"), period,
                                    f"readings of one period per import; this file holds {len(periods)} periods "
                                    f"({', '.join(periods)}), here {len(rows)} row(s) for {period}: import one file "
                                    "per period, or import the file in the risk-monitoring form, which saves each "
                                    "period's rows under their own period"))
        raise InputError(problems)
    return stored_rows(table, readings)


def _context(name: str | None, params: Any, **_options: Any) -> tuple[LoadedCatalogue, Catalogue]:
    loaded = load_loaded_catalogue(name or (params.catalogue_ref() if params else DEFAULT_CATALOGUE))
    return loaded, loaded.catalogue


READING = register_kind(RecordKind("metric_reading", ("metric",), lambda: READINGS_COLUMNS, _readings, _context))


# ---- key risk indicators: which risks (IDs) or categories each metric informs ------------------------------------
KRI_COLUMNS: dict[str, list[str]] = {
    "metric": READINGS_COLUMNS["metric"],
    "risks": ["Risks", "Risk IDs", "Linked risks", "Linked risk IDs"],
    "categories": ["Categories", "Risk categories", "Linked categories"],
}


def split_ids(text: str) -> list[str]:
    """Risk IDs as typed: separated by commas or semicolons."""
    return [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]


def split_categories(text: str) -> list[str]:
    """Categories as typed: separated by semicolons (a category's name may hold a comma)."""
    return [p.strip() for p in text.split(";") if p.strip()]


def kri_row(kri: Kri) -> dict[str, str]:
    return {"metric": kri.metric, "risks": ", ".join(kri.risks), "categories": "; ".join(kri.categories)}


def kris_of(table: Table, catalogue: Catalogue) -> list[Kri]:
    """The KRIs a table of links holds, checked (every problem at once, by the table's rows)."""
    records = table.frame.to_dict("records")
    entries = [{"metric": blank(r.get("metric")), "risks": split_ids(blank(r.get("risks"))),
                "categories": split_categories(blank(r.get("categories")))} for r in records]
    try:
        return load_kris(entries, catalogue, source=table.file)
    except InputError as exc:  # a problem's row is the entry's place: give the table's row instead
        rows = [int(r[ROW]) for r in records]
        raise InputError([replace(p, row=rows[p.row - 1] if p.row else None,
                                  column=table.heading_for(p.column) if p.column else None)
                          for p in exc.problems]) from None


def _links(table: Table, catalogue: Catalogue) -> dict[str, dict[str, str]]:
    kris = kris_of(table, catalogue)
    seen = [k.metric for k in kris]
    repeated = sorted({m for m in seen if seen.count(m) > 1})
    if repeated:
        raise InputError([Problem(table.file, None, table.heading_for("metric"), m,
                                  "one line per metric (give all its risks and categories on that line)")
                          for m in repeated])
    return {k.metric: kri_row(k) for k in kris}


KRI_LINK = register_kind(RecordKind("kri_link", ("metric",), lambda: KRI_COLUMNS, _links, _context))
