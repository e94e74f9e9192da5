"""The committee pack (`workbook pack`, `workbook batch --pack`): one Word document and one PDF per organisation and
period, its sections and figures those of the assessments' JSON, a missing assessment stated, words only."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import docx
import pytest

from workbook_lib.assessments import PACKAGES
from workbook_lib.batch.pack import gather

from ..conftest import PARAMETERS, ROOT

WORKBOOK = [str(Path(sys.executable).parent / "workbook")]
KAROO = PARAMETERS / "karoo-vale-2025-26.yaml"
FOLDER = Path("Karoo-Vale-Local-Municipality") / "2025-26"
SECTIONS = ["Executive summary", "Decisions due and taken", "Top risks and their movement",
            "Risk-management maturity", "COSO control assessment", "Assurance gaps and the plan's delivery",
            "Key risk indicators and escalations"]


def workbook(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(WORKBOOK + list(args), cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "COLUMNS": "200"})


@pytest.fixture(scope="module")
def karoo_pack(tmp_path_factory):
    """Every assessment of Karoo Vale run once, and its pack."""
    out = tmp_path_factory.mktemp("pack")
    result = workbook("pack", "--params", str(KAROO), "--out", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    return out, result


def _json(out: Path, name: str) -> dict:
    return json.loads((out / FOLDER / f"{name}.json").read_text())


def _headings(document: docx.document.Document, level: int) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def _text(document: docx.document.Document) -> str:
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _table(document: docx.document.Document, heading: str) -> list[list[str]]:
    """The rows of the table under a level-2 heading (tables follow their headings in order)."""
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    rows = [[c.text for c in r.cells] for r in document.tables[headings.index(heading)].rows]
    return rows


def test_the_pack_has_the_sections_in_the_order_of_work(karoo_pack):
    out, result = karoo_pack
    assert (out / FOLDER / "committee-pack.docx").is_file() and "Committee pack written" in result.stdout
    document = docx.Document(out / FOLDER / "committee-pack.docx")
    assert _headings(document, 1) == SECTIONS
    assert document.core_properties.title == "Committee pack: Karoo Vale Local Municipality, 2025-26"
    assert len(document.inline_shapes) >= 5  # a chart per assessment, inside the document


def test_the_figures_are_the_jsons(karoo_pack):
    out, _ = karoo_pack
    document = docx.Document(out / FOLDER / "committee-pack.docx")
    text = _text(document)
    risk = _json(out, "risk-evaluation")
    rated = [r for r in risk["risks"] if r["rated"]]
    above = sum(r["above_appetite"] is True for r in rated)
    assert f"{len(risk['risks'])} risks, {len(rated)} rated; {above} above the risk appetite" in text
    top = max(rated, key=lambda r: r["residual_score"])
    first = _table(document, "Top risks")[1]
    assert first[0] == top["risk_id"] and str(top["residual_score"]) in first
    maturity = _json(out, "maturity-scoring")
    assert f"Risk-management maturity: {maturity['status'].capitalize()} (score {maturity['total_score']}" in text
    coso = _json(out, "coso-assessment")
    assessed = [p for p in coso["principles"] if p["assessed"]]
    met = sum(p["present_and_functioning"] is True for p in assessed)
    assert f"{met} of {len(assessed)} principles assessed are rated in place and working on average" in text
    monitoring = _json(out, "risk-monitoring")
    states = {m["metric"]: m["state"] for m in monitoring["metrics"]}
    kri_out = sum(states.get(k["metric"]) == "outside" for k in monitoring["kris"])
    assert (f"{kri_out} of {len(monitoring['kris'])} key risk indicators and {monitoring['counts']['outside']} of "
            f"{len(monitoring['metrics'])} tolerance metrics are outside tolerance") in text
    assert len(_table(document, "Key risk indicators outside tolerance")) == kri_out + 1
    assurance = _json(out, "combined-assurance")
    gaps = [r["risk_id"] for r in assurance["risks"] if r["gap"]]
    assert [row[0] for row in _table(document, "Assurance gaps")[1:]] == gaps


def test_decisions_due_name_who_decides_and_none_is_recorded_yet(karoo_pack):
    out, _ = karoo_pack
    document = docx.Document(out / FOLDER / "committee-pack.docx")
    due = _table(document, "Decisions due")
    assert due[0] == ["Subject", "Why", "Who decides", "From"]
    risk = _json(out, "risk-evaluation")
    for r in risk["risks"]:
        if r["above_appetite"] is True:
            assert [f"Risk {r['risk_id']}", r["decision_maker"]] in [[row[0], row[2]] for row in due]
    assert {row[3] for row in due} >= {"Risk register", "Risk monitoring", "Combined assurance"}
    assert "No decision has been recorded yet." in _text(document)


def test_the_pdf_has_pages(karoo_pack):
    out, _ = karoo_pack
    data = (out / FOLDER / "committee-pack.pdf").read_bytes()
    assert data[:5] == b"%PDF-"
    assert len(re.findall(rb"/Type\s*/Page(?!s)", data)) > 1


def test_the_pack_speaks_in_words(karoo_pack):
    out, _ = karoo_pack
    text = _text(docx.Document(out / FOLDER / "committee-pack.docx"))
    words = re.sub(r"\S+\.(?:csv|xlsx|yaml|yml)\b", "", text)  # the input files' own names, in the provenance
    assert not re.findall(r"\b[A-Za-z]+_[A-Za-z0-9_]+\b", words)
    assert not re.findall(r"\b(?:True|False|None|nan|NaN)\b", words)
    for name in (*PACKAGES, "pack_section"):
        assert name not in words, name


def test_an_assessment_missing_is_stated(karoo_pack, tmp_path):
    out, _ = karoo_pack
    copy = tmp_path / "out"
    shutil.copytree(out / FOLDER, copy / FOLDER)
    (copy / FOLDER / "risk-monitoring.json").unlink()
    result = workbook("pack", "--params", str(KAROO), "--out", str(copy), "--reuse")
    assert result.returncode == 0, result.stderr
    document = docx.Document(copy / FOLDER / "committee-pack.docx")
    assert _headings(document, 1) == [*SECTIONS[:-1], "Risk monitoring: not in this pack"]
    text = _text(document)
    assert "The risk monitoring has no results for this organisation and period" in text
    assert "Risk monitoring: not in this pack." in text  # in the executive summary too
    _data, found = gather(KAROO, copy)
    assert [f.spec.name for f in found if f.summary is None] == ["risk-monitoring"]


def test_batch_pack_writes_one_pack_per_organisation_and_period(tmp_path):
    params = tmp_path / "params"
    params.mkdir()
    (params / "karoo.yaml").write_text(KAROO.read_text() + "\nassessments: [maturity-scoring]\n")
    out = tmp_path / "out"
    result = workbook("batch", str(params), "--out", str(out), "--jobs", "1", "--pack")
    assert result.returncode == 0, result.stderr
    document = docx.Document(out / FOLDER / "committee-pack.docx")
    headings = _headings(document, 1)
    assert "Risk-management maturity" in headings and "Risk register: not in this pack" in headings
    assert "was not part of this period's assessments" in _text(document)
    assert (out / FOLDER / "committee-pack.pdf").read_bytes()[:5] == b"%PDF-"


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    result = workbook("pack", "--params", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("organisation: [unclosed\n")
    result = workbook("pack", "--params", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
