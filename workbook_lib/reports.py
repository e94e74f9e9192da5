"""Report outputs: the JSON summary (a contract), the Excel workbook, the self-contained HTML.

Text written to Excel never becomes a formula; text written to HTML is escaped; the HTML report
carries its charts inline and loads nothing from the network.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .validation import InputError  # noqa: F401 - re-exported for notebooks

if TYPE_CHECKING:
    from .risk import RiskEvaluation

_FORMULA_START = re.compile(r"^[=+\-@\t\r]")


def neutralise(value: Any) -> Any:
    """Make a text cell inert in a spreadsheet: a leading = + - @ tab or CR gets an apostrophe."""
    if isinstance(value, str) and _FORMULA_START.match(value):
        return "'" + value
    return value


def slug(text: str) -> str:
    """A safe file or folder name: letters, digits, dot, dash, underscore; never '..' or empty."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-.")
    return s or "unnamed"


# ---- JSON ------------------------------------------------------------------------------------------
def _none(value: Any) -> Any:
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def risk_summary(ev: RiskEvaluation, organisation: str, period: str) -> dict[str, Any]:
    """The JSON contract of the risk evaluation (see README)."""
    risks = [
        {"risk_id": r.risk_id, "group": r.group,
         "inherent_score": _none(r.inherent_score), "inherent_level": _none(r.inherent_level),
         "residual_score": _none(r.residual_score), "residual_level": _none(r.residual_level),
         "above_appetite": _none(r.above_appetite), "decision_maker": _none(r.decision_maker),
         "rated": bool(r.rated)}
        for r in ev.risks.itertuples(index=False)
    ]
    groups = [
        {"group": g.group, "residual_score": _none(g.residual_score), "residual_level": _none(g.residual_level),
         "decision_maker": _none(g.decision_maker)}
        for g in ev.groups.itertuples(index=False)
    ]
    return {"assessment": "risk-evaluation", "organisation": organisation, "period": period,
            "as_of": ev.as_of.isoformat(), "methodology": ev.methodology.provenance(),
            "banding": ev.banding, "risks": risks, "groups": groups, "warnings": list(ev.warnings)}


def key_figures(ev: RiskEvaluation) -> str:
    """One stable line of the figures a committee looks at first (checked by the notebook tests)."""
    bands = [b.name for b in ev.methodology.methodology.banding(ev.banding).bands]
    res = ev.rated["residual_level"].value_counts()
    levels = ", ".join(f"{b} {int(res.get(b, 0))}" for b in bands)
    above = int((ev.risks["above_appetite"] == True).sum())  # noqa: E712 - object column with None
    return (f"risks {len(ev.risks)} | rated {len(ev.rated)} | not rated {len(ev.unrated)} | "
            f"residual: {levels} | above appetite {above} | overdue actions "
            f"{int(ev.risks['action_overdue'].sum())} | overdue reviews {int(ev.risks['review_overdue'].sum())}")


# ---- Excel -----------------------------------------------------------------------------------------
RISK_COLUMNS = ["risk_id", "group", "description", "category", "owner", "inherent_likelihood", "inherent_impact",
                "inherent_score", "inherent_level", "controls", "control_effectiveness", "control_factor",
                "residual_likelihood", "residual_impact", "residual_score", "residual_level", "appetite",
                "above_appetite", "decision_maker", "register_destination", "required_action", "arithmetic",
                "response", "treatment_owner", "actions", "due_date", "review_date", "progress",
                "action_overdue", "review_overdue", "rated"]


def result_tables(ev: RiskEvaluation) -> dict[str, pd.DataFrame]:
    extra = [c for c in ev.risks.columns if c not in RISK_COLUMNS and not c.endswith("_label")
             and c not in {"row", "complete"}]
    tables = {
        "Risks": ev.risks[RISK_COLUMNS + extra],
        "Groups": ev.groups,
        "Treatments": ev.treatments,
    }
    if ev.roles is not None:
        tables["Partner roles"] = ev.roles
    tables["Warnings"] = pd.DataFrame({"warning": ev.warnings})
    m = ev.methodology.methodology
    tables["Method"] = pd.DataFrame(
        [("methodology", m.name), ("version", m.version), ("sha256", ev.methodology.sha256),
         ("banding", ev.banding), ("residual rule", m.residual.rule), ("as of", ev.as_of.isoformat())]
        + [(f"note: {n.topic}", n.decision) for n in m.notes], columns=["item", "value"])
    return tables


def write_excel(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """One sheet per table, its header in bold; every text cell neutralised so it can never run as a formula.

    Written row by row in openpyxl's write-only mode: 1.4-1.8x faster than pandas' writer on 100k rows
    (most of a large register's run was writing its workbook)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, frame in tables.items():
        sheet = book.create_sheet(name[:31])
        header = []
        for column in frame.columns:
            cell = WriteOnlyCell(sheet, value=neutralise(str(column)))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in _excel_rows(frame):
            sheet.append(row)
    book.save(path)
    return path


def _excel_rows(frame: pd.DataFrame):
    """The frame's rows as plain values: missing ones empty, text neutralised, numbers as numbers."""
    columns = []
    for name in frame.columns:
        values = frame[name]
        text = values.dtype == object or pd.api.types.is_string_dtype(values)
        values = values.astype(object).where(values.notna(), None)
        columns.append((values.map(neutralise) if text else values).tolist())
    return zip(*columns, strict=True)


def write_json(summary: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=_json_default), encoding="utf-8")
    return path


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_risk_outputs(ev: RiskEvaluation, organisation: str, period: str, output_dir: str | Path,
                       stem: str = "risk-evaluation") -> list[Path]:
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [write_json(risk_summary(ev, organisation, period), out / f"{stem}.json"),
            write_excel(result_tables(ev), out / f"{stem}.xlsx")]


# ---- HTML ------------------------------------------------------------------------------------------
_EXPORTING = threading.Lock()  # one conversion at a time per process (the exporter is shared)


@functools.lru_cache(maxsize=1)
def _html_exporter():
    """nbconvert's lab-template HTML exporter without code or prompts (built once per process: its
    import and template set-up take most of a second)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    exporter.mathjax_url = ""
    return exporter


def warm_html_exporter() -> None:
    """Import nbconvert and render its templates once, e.g. in a thread while a kernel runs the notebook."""
    import nbformat

    with _EXPORTING:
        _html_exporter().from_notebook_node(nbformat.v4.new_notebook(), resources={"metadata": {"name": "warm-up"}})


def notebook_to_html(notebook: Path, html: Path, title: str) -> Path:
    """Executed notebook -> HTML without code, without any script or stylesheet from the network."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    with _EXPORTING:
        body, _ = _html_exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = _strip_external(body)
    html.write_text(body, encoding="utf-8")
    return html


_SCRIPT = re.compile(r"<script\b.*?</script>", re.I | re.S)
_EXTERNAL_LINK = re.compile(r"<link[^>]*\bhref=[\"']https?://[^>]*>", re.I)


def _strip_external(html: str) -> str:
    """The report is static (SVG charts, HTML tables): drop every script (the template's MathJax and
    Mermaid loaders fetch from a CDN) and any stylesheet link to the network."""
    html = _SCRIPT.sub("", html)
    return _EXTERNAL_LINK.sub("", html)


# ---- what the notebook shows -----------------------------------------------------------------------
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;",
                         "*": "&#42;", "_": "&#95;", "`": "&#96;", "[": "&#91;", "]": "&#93;"})


def esc(text: Any) -> str:
    """User text made safe for Markdown/HTML output (no markup, no emphasis, no links)."""
    return str(text).translate(_ESCAPE)


def html_table(frame: pd.DataFrame, empty: str = "Nothing to show.", limit: int | None = None,
               worst_first: tuple[str, bool] | None = None, sheet: str | None = None):
    """An escaped HTML table (user text never becomes markup).

    With ``limit``, a longer table shows only ``limit`` rows: the worst first when ``worst_first`` is given as
    (column, ascending), and a note says how many rows there are and that every row is in the Excel workbook's
    ``sheet``; so a report stays readable (and small) for registers of any size.
    """
    from IPython.display import HTML

    if frame is None or frame.empty:
        return HTML(f"<p><em>{esc(empty)}</em></p>")
    note = ""
    if limit is not None and len(frame) > limit:
        if worst_first is not None:
            column, ascending = worst_first
            frame = frame.sort_values(column, ascending=ascending, kind="stable", na_position="last")
        where = f"the Excel workbook, sheet \"{sheet}\"" if sheet else "the Excel workbook"
        order = "" if worst_first is None else (f", ordered by {worst_first[0].replace('_', ' ')} "
                                                f"({'earliest' if worst_first[1] else 'highest'} first)")
        note = (f'<p class="workbook-table-note"><em>Showing {limit:,} of {len(frame):,} rows{esc(order)}; '
                f"every row is in {esc(where)}.</em></p>")
        frame = frame.head(limit)
    shown = frame.copy()
    for col in shown.columns:
        shown[col] = shown[col].map(lambda v: "" if v is None or (not isinstance(v, (str, list)) and pd.isna(v))
                                    else v)
    return HTML(note + shown.to_html(index=False, escape=True, classes="workbook-table", border=0))


def attention(ev: RiskEvaluation) -> pd.DataFrame:
    above = ev.risks[ev.risks["above_appetite"] == True]  # noqa: E712
    cols = ["risk_id", "group", "category", "owner", "residual_score", "residual_level", "appetite",
            "decision_maker", "register_destination", "arithmetic"]
    return above.sort_values("residual_score", ascending=False)[cols]


def overdue(ev: RiskEvaluation) -> pd.DataFrame:
    t = ev.treatments
    return t[t["action_overdue"] | t["review_overdue"]]


def register_view(ev: RiskEvaluation) -> pd.DataFrame:
    cols = ["risk_id", "group", "description", "category", "owner", "inherent_score", "inherent_level",
            "control_effectiveness", "residual_score", "residual_level", "above_appetite", "decision_maker",
            "arithmetic"]
    view = ev.risks[cols].copy()
    view.loc[~ev.risks["rated"], "arithmetic"] = "NOT RATED: not scored"
    return view


def opening_narrative(ev: RiskEvaluation, organisation: str, period: str) -> str:
    m = ev.methodology.methodology
    rated, unrated = ev.rated, ev.unrated
    above = rated[rated["above_appetite"] == True]  # noqa: E712
    top = rated.sort_values("residual_score", ascending=False).head(1)
    bands = m.banding(ev.banding).bands
    worst = bands[-1].name
    n_worst = int((rated["residual_level"] == worst).sum())
    lines = [
        f"## {esc(organisation)}: risk evaluation, {esc(period)}",
        f"As of **{ev.as_of:%d %B %Y}**, the register holds **{len(ev.risks)} risks**; "
        f"**{len(rated)}** are rated"
        + (f" and **{len(unrated)} are not rated** ({esc(', '.join(unrated['risk_id']))}); unrated risks are "
           f"listed, never scored" if len(unrated) else "") + ".",
        f"After controls, **{n_worst}** risk(s) remain in the highest band (*{esc(worst)}*), and "
        f"**{len(above)}** sit above the risk appetite"
        + (f": {esc(', '.join(above['risk_id']))}." if len(above) else "."),
    ]
    if len(top):
        t = top.iloc[0]
        lines.append(f"The highest residual risk is **{esc(t.risk_id)}** ({esc(t.residual_level)}, score "
                     f"{t.residual_score}); its acceptance rests with: {esc(t.decision_maker)}.")
    od = overdue(ev)
    if len(od):
        lines.append(f"**{int(od['action_overdue'].sum())}** treatment action(s) and "
                     f"**{int(od['review_overdue'].sum())}** review(s) are overdue.")
    banding = m.banding(ev.banding).title
    lines.append(f"Method: *{esc(m.title)}* ({esc(m.name)} {esc(m.version)}), banding *{esc(banding)}*.")
    if ev.warnings:
        lines.append("**Warnings**\n\n" + "\n".join(f"- {esc(w)}" for w in ev.warnings))
    return "\n\n".join(lines)


def roles_narrative(ev: RiskEvaluation) -> str:
    if ev.roles is None:
        return "*This register records no partner roles.*"
    roles = [c for c in ev.roles.columns if c not in {"risk_id", "roles", "covered"}]
    counts = ", ".join(f"{esc(r)} {int(ev.roles[r].sum())}" for r in roles)
    uncovered = ev.roles.loc[~ev.roles["covered"], "risk_id"].tolist()
    text = (f"## Partner alignment\nRisks each partner role contributes to: {counts}. "
            + (f"**No partner role covers {esc(', '.join(uncovered))}**: alignment there rests on the owner alone."
               if uncovered else "Every risk has at least one partner role."))
    return text


def method_note(ev: RiskEvaluation) -> str:
    m = ev.methodology.methodology
    bands = m.banding(ev.banding).bands
    rows = "\n".join(f"| {esc(b.name)} | {b.min}-{b.max} | {esc(b.decision_maker)} | {esc(b.register_destination)} |"
                     for b in bands)
    residual = (f"inherent score x control-effectiveness factor, rounded ({m.residual.rounding}): "
                + ", ".join(f"{esc(c.label)} {c.factor:.0%}" for c in m.control_effectiveness)
                if m.residual.rule == "control_factor" else "likelihood x impact re-rated after controls")
    notes = "\n".join(f"- **{esc(n.topic)}**: {esc(n.decision)}" for n in m.notes)
    return (f"## Method and provenance\n"
            f"Methodology **{esc(m.name)}**, version {esc(m.version)}, SHA-256 `{ev.methodology.sha256}`.\n\n"
            f"Score = likelihood x impact ({m.scoring.rule}); residual = {residual}.\n\n"
            f"| Band | Scores | Decision maker | Register |\n|---|---|---|---|\n{rows}\n\n"
            f"**Decisions recorded in the methodology file** (where the source document is silent or "
            f"inconsistent):\n\n{notes}")
