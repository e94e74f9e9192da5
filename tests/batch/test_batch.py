"""workbook batch: many runs at once, one broken file, the index, provenance, safe paths, Dask, PDF."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from workbook_lib.assessments import decisions_due_count
from workbook_lib.batch import execute, index, pdf, pool
from workbook_lib.batch.errors import RunFailed
from workbook_lib.batch.execute import _is_kernel_failure
from workbook_lib.batch.pool import Job, RunResult

from ..conftest import PARAMETERS, ROOT

WORKBOOK = [str(Path(sys.executable).parent / "workbook")]
MOPAC = PARAMETERS / "mopac-met-2020.yaml"
KAROO = PARAMETERS / "karoo-vale-2025-26.yaml"


def workbook(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(WORKBOOK + list(args), cwd=cwd, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "COLUMNS": "200"})


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def batch_run(tmp_path_factory):
    """Two good files (copied YAML only: relative paths fall back to the shipped parameters/), one broken
    register, one YAML that is no parameters file, and a subfolder of data; with --pdf."""
    folder = tmp_path_factory.mktemp("params")
    shutil.copy(MOPAC, folder / "mopac.yaml")
    (folder / "karoo.yaml").write_text(KAROO.read_text() + "\nassessments: [maturity-scoring]\n")
    (folder / "broken.csv").write_text("risk_id,description,inherent_likelihood,inherent_impact\nB1,Roof,9,2\n")
    (folder / "broken.yaml").write_text("organisation: Broken Town\nperiod: P1\nas_of: 2026-01-01\n"
                                        "methodology: torbay-2004\nregister: broken.csv\n")
    (folder / "notes.yml").write_text("title: not a parameters file\n")
    (folder / "data").mkdir()
    shutil.copy(MOPAC, folder / "data" / "ignored.yaml")  # subfolders hold data, not parameters
    out = tmp_path_factory.mktemp("out")
    result = workbook("batch", str(folder), "--out", str(out), "--jobs", "2", "--pdf")
    return folder, out, result


def test_batch_runs_the_good_files_despite_a_broken_one(batch_run):
    folder, out, result = batch_run
    assert result.returncode == 1, result.stderr
    for assessment, sub in (("risk-evaluation", "MOPAC-and-the-Met/2020-07"),
                            ("maturity-scoring", "Karoo-Vale-Local-Municipality/2025-26")):
        for ext in ("ipynb", "html", "xlsx", "json", "pdf"):
            assert (out / sub / f"{assessment}.{ext}").is_file(), f"{sub}/{assessment}.{ext}"
        assert (out / sub / f"{assessment}.pdf").read_bytes()[:5] == b"%PDF-"
    assert not (out / "Broken-Town").exists()  # invalid input: nothing written
    assert "3 run(s) from 3 parameters file(s)" in result.stderr  # notes.yml and data/ skipped


def test_failure_table_and_log_lines(batch_run):
    _folder, _out, result = batch_run
    err = result.stderr
    assert "1 failed run(s)" in err
    table = err[err.index("1 failed run(s)"):]
    assert "broken.yaml" in table and "risk-evaluation" in table and "input" in table
    assert "a likelihood rating 1-6" in table
    assert "ok     MOPAC and the Met / 2020-07 / risk-evaluation" in err  # one plain line per run off a terminal


def test_index_links_every_report_and_summarises_across_organisations(batch_run):
    _folder, out, _result = batch_run
    page = (out / "index.html").read_text()
    soup = BeautifulSoup(page, "html.parser")
    assert not soup.find_all("script")  # self-contained: no script, nothing from the network
    for tag in soup.find_all(["a", "link", "img"]):
        assert not (tag.get("href") or tag.get("src") or "").startswith(("http:", "https:", "//"))
    hrefs = {a["href"] for a in soup.find_all("a")}
    for href in ("MOPAC-and-the-Met/2020-07/risk-evaluation.html",
                 "Karoo-Vale-Local-Municipality/2025-26/maturity-scoring.pdf"):
        assert href in hrefs and (out / href).is_file()
    text = soup.get_text(" ")
    assert "All organisations side by side" in text
    assert "Very High 3 · High 10 · Medium 2 · Low 1" in text  # MOPAC residual levels, worst first
    assert "integrated (41)" in text  # Karoo maturity status and score
    assert "Broken Town" in text and "failed (input)" in text
    runs = json.loads((out / "index.json").read_text())
    assert sorted(r["status"] for r in runs) == ["failed", "ok", "ok"]
    # decisions due per organisation and period, as the summary table counts them (MOPAC's risk evaluation says
    # which risks need one; Karoo Vale ran only the maturity scoring, which declares none; Broken Town failed)
    mopac = json.loads((out / "MOPAC-and-the-Met/2020-07/risk-evaluation.json").read_text())
    due = {r["organisation"]: r["decisions_due"] for r in runs}
    assert due == {"MOPAC and the Met": decisions_due_count([mopac]), "Karoo Vale Local Municipality": None,
                   "Broken Town": None}
    assert due["MOPAC and the Met"] > 0


def test_every_report_ends_with_its_provenance(batch_run):
    _folder, out, _result = batch_run
    summary = json.loads((out / "MOPAC-and-the-Met/2020-07/risk-evaluation.json").read_text())
    assert summary["assessment"] == "risk-evaluation" and len(summary["risks"]) == 17  # existing keys kept
    prov = summary["provenance"]
    assert prov["parameters"]["organisation"] == "MOPAC and the Met"
    roles = {e["role"]: e for e in prov["inputs"]}
    assert {"parameters file", "register", "methodology (shipped)"} <= set(roles)
    assert all(len(e["sha256"]) == 64 for e in prov["inputs"])
    assert prov["package"]["name"] == "workbook-suite" and prov["run_seconds"] > 0
    nb = json.loads((out / "MOPAC-and-the-Met/2020-07/risk-evaluation.ipynb").read_text())
    assert "".join(nb["cells"][-1]["source"]).startswith("## Provenance")
    html = (out / "MOPAC-and-the-Met/2020-07/risk-evaluation.html").read_text()
    assert "Provenance" in html and roles["register"]["sha256"] in html


def test_organisation_cannot_write_outside_out(tmp_path):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    params = work / "evil.yaml"
    params.write_text(MOPAC.read_text().replace("organisation: MOPAC and the Met", "organisation: ../../x")
                      .replace("period: 2020-07", "period: ../../../y"))
    out = work / "out"
    before = listing(tmp_path)
    result = workbook("batch", str(params), "--out", str(out))
    assert result.returncode == 0, result.stderr
    created = listing(tmp_path) - before
    assert created and all(c.startswith("a/b/out") for c in created), created
    assert (out / "x" / "y" / "risk-evaluation.html").is_file()


def test_safe_target_refuses_a_symlink_out_of_out(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "Org").symlink_to(elsewhere)
    with pytest.raises(RunFailed, match="outside"):
        execute.safe_target(out, "Org", "P1")
    assert execute.safe_target(out, "../../Other/..", "..").is_relative_to(out.resolve())


def test_batch_on_a_local_dask_cluster(tmp_path):
    from distributed import LocalCluster

    out = tmp_path / "out"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = workbook("batch", str(MOPAC), "--out", str(out), "--scheduler", cluster.scheduler_address)
    assert result.returncode == 0, result.stderr
    assert "Dask scheduler" in result.stderr
    assert len(list((out / "MOPAC-and-the-Met" / "2020-07").glob("risk-evaluation.*"))) == 4
    assert (out / "index.html").is_file()


# ---- without a kernel ------------------------------------------------------------------------------
def test_folder_expansion_and_jobs(tmp_path):
    shutil.copy(KAROO, tmp_path / "karoo.yaml")
    shutil.copy(KAROO, tmp_path / "again.yml")  # same organisation, period and assessments: refused
    (tmp_path / "methodology.yaml").write_text("name: x\nlikelihood: []\n")
    (tmp_path / "bad.yaml").write_text("organisation: [unclosed\n")
    (tmp_path / "sub").mkdir()
    shutil.copy(MOPAC, tmp_path / "sub" / "mopac.yaml")
    files, problems = pool.parameter_files([tmp_path, tmp_path / "missing.yaml"])
    assert [f.name for f in files] == ["again.yml", "bad.yaml", "karoo.yaml"]
    assert [p.params_file for p in problems] == [str(tmp_path / "missing.yaml")]
    jobs, failures = pool.make_jobs(files, tmp_path / "out")
    assert [j.assessment for j in jobs] == ["risk-evaluation", "coso-assessment", "maturity-scoring",
                                            "combined-assurance", "risk-monitoring"]
    assert all(Path(j.params_file).name == "again.yml" for j in jobs)
    assert sum("not readable YAML" in f.error for f in failures) == 1
    assert sum("same organisation, period and assessment" in f.error for f in failures) == 5


def test_one_retry_for_a_dead_kernel_only(monkeypatch, tmp_path):
    calls = []

    def flaky(assessment, params_file, out, timeout, pdf):
        calls.append(assessment)
        if assessment == "risk-evaluation" and len(calls) == 1:
            raise RunFailed("kernel died", "kernel")
        raise RunFailed("ZeroDivisionError: division by zero", "cell", cell="7")

    monkeypatch.setattr(pool, "execute", flaky)  # where run_job looks it up
    result = pool.run_job(Job(str(MOPAC), "risk-evaluation", str(tmp_path)))
    assert result.attempts == 2 and result.kind == "cell" and result.cell == "7" and not result.ok
    calls.clear()
    result = pool.run_job(Job(str(MOPAC), "coso-assessment", str(tmp_path)))
    assert result.attempts == 1 and len(calls) == 1  # a cell error is not retried


def test_kernel_failures_are_told_from_notebook_errors():
    from nbclient.exceptions import DeadKernelError

    assert _is_kernel_failure(DeadKernelError("Kernel died"))
    assert _is_kernel_failure(RuntimeError("Kernel didn't respond in 60 seconds"))
    assert _is_kernel_failure(OSError("Address already in use"))
    assert not _is_kernel_failure(ImportError("no module named report"))


def test_index_escapes_all_text(tmp_path):
    evil = "<script>alert(1)</script>"
    results = [RunResult("p.yaml", "risk-evaluation", "failed", evil, "<b>P</b>", kind="input", error=evil)]
    page = index.write_index(tmp_path, results).read_text()
    soup = BeautifulSoup(page, "html.parser")
    assert not soup.find_all("script") and not soup.find_all("b", string="P")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_pdf_without_chromium_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(pdf, "chromium_path", lambda: None)
    with pytest.raises(RunFailed, match="Chromium was not found"):
        pdf.notebook_to_pdf(tmp_path / "x.ipynb", tmp_path / "x.pdf", "x")


def test_no_report_has_a_heading_with_nothing_under_it(batch_run):
    """A section with nothing to show says so ("None", "No risk ...") instead of an empty heading (issue 30)."""
    _folder, out, _result = batch_run
    reports = sorted(out.glob("*/*/*.html"))
    assert len(reports) == 2
    for report in reports:
        soup = BeautifulSoup(report.read_text(), "html.parser")
        for style in soup.find_all(["style", "script"]):
            style.decompose()
        empty = []
        for heading in soup.find_all(["h1", "h2", "h3", "h4"]):
            content = False
            for node in heading.next_elements:  # up to the next heading of its level or above
                name = getattr(node, "name", None) or ""
                if name in ("h1", "h2", "h3", "h4") and node is not heading and name[1] <= heading.name[1]:
                    break
                if heading in getattr(node, "parents", ()) or node is heading:
                    continue
                if getattr(node, "name", None) in ("img", "table", "svg") or \
                        (isinstance(node, str) and node.strip()):
                    content = True
                    break
            if not content:
                empty.append(heading.get_text(" ", strip=True))
        assert not empty, f"{report.relative_to(out)}: headings with nothing under them: {empty}"
