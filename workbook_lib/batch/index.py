"""``OUT/index.html`` (and ``OUT/index.json``) of a batch: every run with its key figures and reports, and
the organisations side by side. Each assessment gives its own key figures (``AssessmentSpec.key_figures``)."""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from workbook_lib.assessments import decisions_due_count, registry
from workbook_lib.batch.pool import RunResult
from workbook_lib.core.index_figures import figure_text
from workbook_lib.core.outputs import write_text
from workbook_lib.core.report_set import being_replaced

_CSS = """body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0 2rem;font-size:.9rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;
text-align:left;vertical-align:top}th{background:#f0f0f0}.failed{background:#fde8e8}.ok{color:#1a7f37}
.bad{color:#b42318;font-weight:bold}td:nth-child(2){white-space:nowrap}pre{white-space:pre-wrap;margin:0;font-size:.8rem}"""

_LINK_ORDER = {"html": 0, "pdf": 1, "xlsx": 2, "json": 3, "ipynb": 4, "failed.ipynb": 5}


def _read_summary(out: Path, result: RunResult) -> dict[str, Any] | None:
    name = f"{result.assessment}.json"
    if name not in result.outputs:
        return None
    try:
        return json.loads((out / result.folder / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def key_figures(summary: dict[str, Any]) -> dict[str, Any]:
    """The figures a committee looks at first, from an assessment's JSON summary (none for an unknown one)."""
    spec = registry().get(summary.get("assessment"))
    return spec.key_figures(summary) if spec is not None else {}


def _figures_html(figures: dict[str, Any]) -> str:
    return "; ".join(f"{html.escape(k)} <b>{html.escape(figure_text(v))}</b>" for k, v in figures.items())


def _summary_table(results: list[RunResult], figures: dict[int, dict[str, Any]],
                   summaries: dict[int, dict[str, Any]] | None = None) -> str:
    """Cross-organisation summary: one row per organisation and period, each assessment's index columns, then the
    decisions due (from the summaries of the assessments that say what is due)."""
    grid: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    read: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in results:
        grid.setdefault((r.organisation, r.period), {})
        if id(r) in figures:
            grid[(r.organisation, r.period)][r.assessment] = figures[id(r)]
        if summaries and id(r) in summaries:
            read.setdefault((r.organisation, r.period), []).append(summaries[id(r)])
    columns = [(spec.name, heading, cell) for spec in registry().values() for heading, cell in spec.index_columns]
    table = [(org, period, [figure_text(cell(by[name])) if by.get(name) else "" for name, _h, cell in columns]
              + [figure_text(decisions_due_count(read.get((org, period), [])))])
             for (org, period), by in sorted(grid.items())]
    columns.append(("", "Decisions due", lambda _f: None))
    # a column no organisation fills is left out (Current levels, when no register gives current ratings)
    kept = [j for j in range(len(columns)) if not table or any(values[j] for _o, _p, values in table)]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ["Organisation", "Period"] + [columns[j][1] for j in kept])
    rows = []
    for org, period, values in table:
        cells = [org, period] + [values[j] for j in kept]
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _run_row(r: RunResult, figures: dict[str, Any] | None) -> str:
    """One run: who, what, status, key figures (or the error), links to its reports, its parameters file."""
    shown = _figures_html(figures) if figures else ""
    names = sorted(r.outputs, key=lambda n: _LINK_ORDER.get(n.split(".", 1)[-1], 9))
    links = " ".join(f'<a href="{html.escape(quote(f"{r.folder}/{name}"))}">'
                     f"{html.escape(name.split('.', 1)[-1])}</a>" for name in names)
    detail = shown if r.ok else (f"<pre>{html.escape(r.error)}</pre>"
                                   + (f"cell {html.escape(r.cell)}" if r.cell else ""))
    status = '<span class="ok">ok</span>' if r.ok else f'<span class="bad">failed ({html.escape(r.kind)})</span>'
    return (f'<tr class="{"ok-row" if r.ok else "failed"}"><td>{html.escape(r.organisation)}</td>'
            f"<td>{html.escape(r.period)}</td><td>{html.escape(r.assessment)}</td><td>{status}</td>"
            f"<td>{detail}</td><td>{links}</td><td>{html.escape(Path(r.params_file).name)}</td></tr>")


def write_index(out: Path, results: list[RunResult], title: str = "Assessment reports") -> Path:
    """OUT/index.html: every run (status, key figures, links) and the cross-organisation summary.
    Self-contained: inline CSS, no script, nothing from the network; every text escaped."""
    # a set being replaced, or whose replacement was cut off, may mix two runs' files: listed as incomplete, unread
    results = [_incomplete(r) if r.outputs and being_replaced(out / r.folder, r.assessment) else r for r in results]
    order = {name: i for i, name in enumerate(registry())}
    ranked = sorted(results, key=lambda r: (r.organisation, r.period, order.get(r.assessment, 99), r.params_file))
    # each run's JSON summary read once: its key figures serve both tables
    summaries = {id(r): s for r in results if r.ok and (s := _read_summary(out, r)) is not None}
    figures = {i: key_figures(s) for i, s in summaries.items()}
    run_rows = [_run_row(r, figures.get(id(r))) for r in ranked]
    n_failed = sum(not r.ok for r in results)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p>{len(results)} run(s), {len(results) - n_failed} ok, "
            f'<span class="{"bad" if n_failed else "ok"}">{n_failed} failed</span>; written {stamp}.</p>'
            f"<h2>All organisations side by side</h2>{_summary_table(results, figures, summaries)}"
            "<h2>Every run</h2><table><thead><tr><th>Organisation</th><th>Period</th><th>Assessment</th>"
            "<th>Status</th><th>Key figures</th><th>Reports</th><th>Parameters</th></tr></thead>"
            f"<tbody>{''.join(run_rows)}</tbody></table></body></html>\n")
    path = out / "index.html"
    # each run's row also carries its organisation and period's decisions due (as the summary table shows them)
    due: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in results:
        if id(r) in summaries:
            due.setdefault((r.organisation, r.period), []).append(summaries[id(r)])
    rows = [{**asdict(r), "decisions_due": decisions_due_count(due.get((r.organisation, r.period), []))}
            for r in ranked]
    write_text(out / "index.json", json.dumps(rows, indent=2, ensure_ascii=False))
    write_text(path, page)  # each whole or not at all (NotWritten on a full disk: the earlier index is kept)
    return path


def _incomplete(r: RunResult) -> RunResult:
    return replace(r, status="failed", kind="incomplete", outputs=[],
                   error=f"its reports in {r.folder} are being replaced, or their replacement was cut off: they may "
                         "mix two runs; run it again")
