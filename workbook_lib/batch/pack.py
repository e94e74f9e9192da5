"""One committee pack per organisation and period (``workbook pack``, ``workbook batch --pack``).

The pack gathers what each assessment declares as its part (``AssessmentSpec.pack``: a function reading its JSON
summary into a ``core.pack.PackSection``), in the order of work, after an executive summary drawn from the sections'
key figures and the decisions due (and taken, where a summary records them). An assessment that did not run, failed,
or whose report is missing or being replaced gets a section saying so: nothing is skipped silently. The pack is
written as a Word document (python-docx, to edit) and a PDF (a self-contained HTML page printed by Chromium) in
``OUT/<organisation>/<period>/committee-pack.{docx,pdf}``.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import importlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbook_lib.assessments import assessments_for, in_order_of_work
from workbook_lib.batch.errors import RunFailed
from workbook_lib.batch.execute import safe_target
from workbook_lib.batch.pdf import chromium_path, print_to_pdf
from workbook_lib.batch.pool import Job, RunResult, make_jobs, run_batch
from workbook_lib.core import params as wb_params
from workbook_lib.core.assessment import AssessmentSpec
from workbook_lib.core.outputs import replacing
from workbook_lib.core.pack import DueItem, PackSection, PackTable, cell_text, counted
from workbook_lib.core.report_set import being_replaced

STEM = "committee-pack"
SUBJECT_WORDS = {"risk": "Risk", "metric": "Metric", "assurance_gap": "Assurance of risk", "appetite": ""}
FAILURE_WORDS = {"input": "its inputs have problems", "cell": "a step of the assessment failed",
                 "timeout": "it took longer than allowed", "kernel": "the process running it stopped",
                 "output": "its reports could not all be written", "error": "an unexpected error stopped it"}
DECISION_WORDS = {"approved": "Approved", "rejected": "Rejected", "withdrawn": "Withdrawn", "revoked": "Revoked"}


@dataclass
class Pack:
    organisation: str
    period: str
    committee: str
    as_of: str
    sections: list[PackSection] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"Committee pack: {self.organisation}, {self.period}"


@dataclass
class Found:
    """One assessment's place in the pack: its summary, or why there is none."""

    spec: AssessmentSpec
    summary: dict[str, Any] | None = None
    missing: str = ""  # why there is no summary, in words


# ---- gathering ---------------------------------------------------------------------------------------------------
def gather(params_file: Path, out: Path, results: list[RunResult] | None = None) -> tuple[dict[str, Any], list[Found]]:
    """The parameters file's values and, for every assessment in the order of work, its summary from
    ``OUT/<organisation>/<period>/`` or why it is missing (the run's failure where ``results`` has it)."""
    data = wb_params.read_file(params_file)
    wanted = assessments_for(data)
    folder = safe_target(out, str(data.get("organisation", "")), str(data.get("period", "")))
    by_name = {r.assessment: r for r in results or []}
    found = []
    for spec in in_order_of_work():
        result = by_name.get(spec.name)
        path = folder / f"{spec.name}.json"
        if spec.name not in wanted:
            found.append(Found(spec, missing=f"The {spec.title.lower()} was not part of this period's assessments: "
                                             "the parameters give no inputs for it."))
        elif result is not None and not result.ok:
            found.append(Found(spec, missing=f"The {spec.title.lower()} did not complete: "
                                             f"{FAILURE_WORDS.get(result.kind, 'it failed')}. Its results are left "
                                             "out until it runs again."))
        elif not path.is_file():
            found.append(Found(spec, missing=f"The {spec.title.lower()} has no results for this organisation and "
                                             "period: it has not been run, or its report was removed."))
        elif being_replaced(folder, spec.name):
            found.append(Found(spec, missing=f"The {spec.title.lower()}'s report is being replaced by a run that has "
                                             "not finished, so its results are left out."))
        else:
            try:
                found.append(Found(spec, json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError):
                found.append(Found(spec, missing=f"The {spec.title.lower()}'s results could not be read."))
    return data, found


def _function(ref: str) -> Callable[..., Any]:
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def _section(found: Found, work: Path) -> PackSection:
    spec = found.spec
    if found.summary is None:
        return PackSection(f"{spec.title}: not in this pack", [found.missing],
                           key_figures=[f"{spec.title}: not in this pack."])
    if not spec.pack:
        return PackSection(spec.title, [f"The {spec.title.lower()} gives no part of its own to the pack; its full "
                                        "report is beside this pack."],
                           key_figures=[])
    try:
        return _function(spec.pack)(found.summary, work)
    except Exception as exc:  # one assessment's part never stops the pack
        return PackSection(f"{spec.title}: not in this pack",
                           [f"The {spec.title.lower()}'s results could not be summarised for the pack "
                            f"({type(exc).__name__}); its full report is beside this pack."],
                           key_figures=[f"{spec.title}: could not be summarised."])


def _due_rows(found: Found, section: PackSection) -> list[DueItem]:
    """What this assessment says is due: the decisions record's own list where the summary has one (it knows what
    was decided since), else the assessment's declared ``decisions_due``, else its pack section's."""
    summary = found.summary or {}
    recorded = summary.get("decisions")
    items = recorded.get("due") if isinstance(recorded, dict) else None
    ref = getattr(found.spec, "decisions_due", "")
    if items is None and ref:
        try:
            items = [d.as_dict() for d in _function(ref)(summary)]
        except Exception:  # the declared reader failed: the section's own list stands
            items = None
    if items is None:
        return section.due
    rows = [DueItem(_subject(d), str(d.get("why") or d.get("reason") or ""),
                    str(d.get("who_may_decide") or "not named in the results")) for d in items if isinstance(d, dict)]
    return rows


def _taken(summaries: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    taken, expired = [], []
    for s in summaries:
        d = s.get("decisions")
        if isinstance(d, dict):
            taken += [x for x in d.get("taken") or [] if isinstance(x, dict)]
            expired += [x for x in d.get("expired") or [] if isinstance(x, dict)]
    return taken, expired


def _subject(d: dict[str, Any]) -> str:
    kind, ident = str(d.get("subject_kind") or ""), str(d.get("subject_id") or "")
    ident = ident.replace("_", " ") if re.fullmatch(r"[a-z0-9_]+", ident) else ident  # a metric's key, in words
    words = SUBJECT_WORDS.get(kind, kind.replace("_", " ").capitalize())
    return f"{words} {ident}".strip() if words else ident[:1].upper() + ident[1:]


def _committee(name: Any) -> str:
    name = str(name or "").strip()
    return "the Audit or Risk Committee" if not name else name if name.lower().startswith("the ") else f"the {name}"


def build(params_file: Path, out: Path, results: list[RunResult] | None = None, work: Path | None = None) -> Pack:
    """The pack's content for one parameters file, from the reports in OUT."""
    import pandas as pd  # lazy: with the sections

    data, found = gather(params_file, out, results)
    work = work or out
    pack = Pack(str(data.get("organisation", "")), str(data.get("period", "")),
                _committee(data.get("oversight_committee")), str(data.get("as_of") or ""))
    sections = [(f, _section(f, work)) for f in found]
    ran = [f for f in found if f.summary is not None]
    not_in = [f.spec.title for f in found if f.summary is None]

    summary = PackSection("Executive summary")
    summary.paragraphs.append(
        f"This pack brings together the results of {counted(len(ran), 'assessment')} of {pack.organisation} for "
        f"{pack.period}" + (f", judged as at {pack.as_of}" if pack.as_of else "") + f", for {pack.committee}."
        + (f" Not in this pack: {', '.join(not_in)} (each has a section saying why)." if not_in else ""))
    summary.paragraphs += [k for _, s in sections for k in s.key_figures]

    decisions = PackSection("Decisions due and taken")
    due = [(f.spec.title, d) for f, s in sections if f.summary is not None for d in _due_rows(f, s)]
    if due:
        decisions.paragraphs.append(
            f"{counted(len(due), 'decision')} {'is' if len(due) == 1 else 'are'} due: each subject below is outside "
            "what the organisation accepts, and the person named must decide whether to accept it (with a date to "
            "review it) or to treat it.")
        decisions.tables.append(PackTable("Decisions due", pd.DataFrame(
            [{"Subject": d.subject, "Why": d.reason, "Who decides": d.decided_by, "From": title}
             for title, d in due])))
    else:
        decisions.paragraphs.append("No decision is due from the results in this pack.")
    summary.paragraphs.insert(1, f"Decisions due: {len(due)}." if due else "No decision is due.")
    taken, expired = _taken([f.summary for f in ran if f.summary])
    if taken:
        decisions.tables.append(PackTable("Decisions taken", pd.DataFrame([{
            "Subject": _subject(d), "Decision": DECISION_WORDS.get(str(d.get("status")), str(d.get("status") or "")),
            "By": " ".join(x for x in (str(d.get("decided_by") or ""), f"({d['decided_role']})"
                                       if d.get("decided_role") else "") if x),
            "On": d.get("decided_on") or "", "Expires": d.get("expiry") or "", "Note": d.get("note") or "",
            "Decided by someone other than the person named": bool(d.get("role_flag"))} for d in taken])))
    else:
        decisions.paragraphs.append("No decision has been recorded yet.")
    if expired:
        decisions.tables.append(PackTable("Approvals that no longer hold", pd.DataFrame([{
            "Subject": _subject(d), "Why": d.get("reason") or d.get("why") or ""} for d in expired])))
    pack.sections = [summary, decisions, *(s for _, s in sections)]
    return pack


# ---- writing -----------------------------------------------------------------------------------------------------
def _replace(path: Path, write: Callable[[Path], None]) -> Path:
    """Write beside ``path`` and rename over it (core.outputs.replacing): a reader never meets half a pack; a full
    disk is one line."""
    with replacing(path) as tmp:
        write(tmp)
    return path


def to_docx(pack: Pack, path: Path) -> Path:
    """The pack as a Word document, images inside it, for the secretariat to edit."""
    import docx  # lazy: python-docx, only a pack needs it
    from docx.shared import Cm, Pt

    document = docx.Document()
    document.core_properties.title = pack.title
    document.core_properties.author = "Risk and assurance workbooks"
    for s in document.sections:
        s.left_margin = s.right_margin = Cm(2)
    document.add_heading(pack.title, level=0)
    document.add_paragraph(f"For {pack.committee}." + (f" Judged as at {pack.as_of}." if pack.as_of else "")
                           + f" Prepared on {dt.date.today():%d %B %Y}.")
    for section in pack.sections:
        document.add_heading(section.title, level=1)
        for text in section.paragraphs:
            document.add_paragraph(text)
        for image in section.images:
            document.add_picture(io.BytesIO(image.png), width=Cm(15))
            document.add_paragraph(image.caption).runs[0].italic = True
        for table in section.tables:
            document.add_heading(table.heading, level=2)
            frame = table.frame
            grid = document.add_table(rows=1, cols=len(frame.columns))
            grid.style = "Table Grid"
            for cell, name in zip(grid.rows[0].cells, frame.columns, strict=True):
                cell.text = str(name)
                cell.paragraphs[0].runs[0].bold = True
            for row in frame.itertuples(index=False):
                for cell, value in zip(grid.add_row().cells, row, strict=True):
                    cell.text = cell_text(value)
            for row in grid.rows:
                for cell in row.cells:
                    for p in cell.paragraphs:
                        for run in p.runs:
                            run.font.size = Pt(8.5)
            if table.note:
                document.add_paragraph(table.note).runs[0].italic = True
        if section.provenance:
            document.add_heading("Where these figures come from", level=3)
            for line in section.provenance:
                document.add_paragraph(line, style="List Bullet").runs[0].font.size = Pt(8.5)
    return _replace(path, lambda tmp: document.save(str(tmp)))


CSS = """@page { size: A4; margin: 16mm 14mm; }
body { font-family: "DejaVu Sans", Verdana, sans-serif; font-size: 10pt; color: #222; }
h1 { font-size: 18pt; } h2 { font-size: 14pt; border-bottom: 1px solid #999; margin-top: 1.6em; }
h3 { font-size: 11pt; margin-bottom: .3em; } h4 { font-size: 9pt; color: #555; }
table { border-collapse: collapse; margin: .4em 0 1em; width: 100%; font-size: 8pt; }
th, td { border: 1px solid #bbb; padding: 2px 4px; text-align: left; vertical-align: top; }
th { background: #eee; } tr { page-break-inside: avoid; }
img { width: 14cm; max-width: 100%; } figure { margin: .6em 0; page-break-inside: avoid; }
figcaption, .note { font-style: italic; color: #444; font-size: 8.5pt; }
.provenance { font-size: 8pt; color: #444; }"""


def to_html(pack: Pack) -> str:
    """The pack as one self-contained HTML page: inline CSS, images as data URIs, every text escaped, no script."""
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(pack.title)}</title>"
             f"<style>{CSS}</style></head><body><h1>{e(pack.title)}</h1>",
             f"<p>For {e(pack.committee)}." + (f" Judged as at {e(pack.as_of)}." if pack.as_of else "")
             + f" Prepared on {dt.date.today():%d %B %Y}.</p>"]
    for section in pack.sections:
        parts.append(f"<h2>{e(section.title)}</h2>")
        parts += [f"<p>{e(p)}</p>" for p in section.paragraphs]
        for image in section.images:
            data = base64.b64encode(image.png).decode("ascii")
            parts.append(f"<figure><img alt='{e(image.caption)}' src='data:image/png;base64,{data}'>"
                         f"<figcaption>{e(image.caption)}</figcaption></figure>")
        for table in section.tables:
            head = "".join(f"<th>{e(str(c))}</th>" for c in table.frame.columns)
            rows = "".join("<tr>" + "".join(f"<td>{e(cell_text(v))}</td>" for v in row) + "</tr>"
                           for row in table.frame.itertuples(index=False))
            parts.append(f"<h3>{e(table.heading)}</h3><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody>"
                         "</table>" + (f"<p class='note'>{e(table.note)}</p>" if table.note else ""))
        if section.provenance:
            parts.append("<h4>Where these figures come from</h4><ul class='provenance'>"
                         + "".join(f"<li>{e(line)}</li>" for line in section.provenance) + "</ul>")
    parts.append("</body></html>")
    return "".join(parts)


def to_pdf(pack: Pack, path: Path) -> Path:
    """The pack as PDF: its HTML page printed by Debian's Chromium (batch/pdf.py)."""
    import concurrent.futures  # lazy: only a PDF needs a thread of its own

    chromium = chromium_path()
    if chromium is None:
        raise RunFailed(f"{path.name}: no PDF: Chromium was not found (install Debian's chromium, or set "
                        "WORKBOOK_CHROMIUM to its path); the Word document was written", "output")
    page = to_html(pack)
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:  # no asyncio loop may run in Playwright's thread
            data = pool.submit(print_to_pdf, page, chromium, False, 200).result()
    except Exception as exc:  # a browser that would not start or print
        raise RunFailed(f"{path.name}: no PDF: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''};"
                        " the Word document was written", "output") from None
    return _replace(path, lambda tmp: tmp.write_bytes(data))


def write_pack(params_file: Path, out: Path, results: list[RunResult] | None = None) -> list[Path]:
    """Write ``committee-pack.docx`` and ``.pdf`` beside the reports of the file's organisation and period."""
    import tempfile  # lazy: the charts' scratch folder

    data = wb_params.read_file(params_file)
    folder = safe_target(out, str(data.get("organisation", "")), str(data.get("period", "")))
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".pack-", dir=folder) as work:
        pack = build(params_file, out, results, Path(work))
    written = [to_docx(pack, folder / f"{STEM}.docx")]
    written.append(to_pdf(pack, folder / f"{STEM}.pdf"))
    return written


def run_and_write(params_file: Path, out: Path, timeout: int, workers: int | None,
                  on_result: Callable[[RunResult], None] | None = None) -> tuple[list[RunResult], list[Path]]:
    """Run every assessment the parameters file runs, then write its pack (a failed run gets a section)."""
    jobs: list[Job]
    jobs, failures = make_jobs([params_file], out, timeout)
    results = failures + run_batch(jobs, out, workers, None, on_result)
    return results, write_pack(params_file, out, results)
