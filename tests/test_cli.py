"""The workbook CLI end to end: real papermill runs, outputs opened and checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import papermill as pm
import pytest
import typer
from bs4 import BeautifulSoup

from tests.conftest import PARAMETERS, ROOT
from workbook_lib.batch.errors import RunFailed
from workbook_lib.batch.execute import execute
from workbook_lib.cli import run_assessment
from workbook_lib.core import records as wb_records
from workbook_lib.core.store import Store

WORKBOOK = [str(Path(sys.executable).parent / "workbook")]
ORG, PERIOD = "Karoo Vale Local Municipality", "2025-26"  # what store import / export / history are tried on


def workbook(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(WORKBOOK + list(args), cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


def _run_example(out: Path, params: str) -> Path:
    result = workbook("run", "risk-evaluation", "--params", str(PARAMETERS / params), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def karoo_run(tmp_path_factory):
    out = _run_example(tmp_path_factory.mktemp("out"), "karoo-vale-2025-26.yaml")
    return out / "Karoo-Vale-Local-Municipality" / "2025-26"


@pytest.fixture(scope="module")
def mopac_run(tmp_path_factory):
    return _run_example(tmp_path_factory.mktemp("out"), "mopac-met-2020.yaml") / "MOPAC-and-the-Met" / "2020-07"


@pytest.mark.parametrize("run", ["karoo_run", "mopac_run"])
def test_four_outputs(run, request):
    folder = request.getfixturevalue(run)
    assert sorted(p.name for p in folder.iterdir()) == [
        "risk-evaluation.html", "risk-evaluation.ipynb", "risk-evaluation.json", "risk-evaluation.xlsx"]


def test_json_contract(mopac_run):
    summary = json.loads((mopac_run / "risk-evaluation.json").read_text())
    assert summary["assessment"] == "risk-evaluation"
    assert (summary["organisation"], summary["period"], summary["as_of"]) == ("MOPAC and the Met", "2020-07",
                                                                              "2020-07-27")
    assert summary["methodology"]["name"] == "mopac-4-level" and len(summary["methodology"]["sha256"]) == 64
    assert len(summary["risks"]) == 17
    keys = {"risk_id", "group", "inherent_score", "inherent_level", "residual_score", "residual_level",
            "above_appetite", "appetite_applied", "decision_maker", "rated", "status", "residual_basis"}
    assert all(set(r) == keys for r in summary["risks"])
    assert summary["rating_stage"] == "current"
    assert summary["appetite_approval"] == {"approved_by": None, "approved_on": None}
    assert {r["status"] for r in summary["risks"]} == {"open"}
    assert summary["disagreements"] == [] and summary["skipped_rows"] == []
    read = {c["heading"]: c["read_as"] for c in summary["columns_read"]}
    assert read["Risk No."] == "risk_id" and read["Likelihood"] == "inherent_likelihood" and read["Horizon"] == ""
    unrated = [r for r in summary["risks"] if not r["rated"]]
    assert [r["risk_id"] for r in unrated] == ["Risk 8"]
    assert unrated[0]["inherent_score"] is None and unrated[0]["residual_score"] is None
    met01 = next(r for r in summary["risks"] if r["risk_id"] == "Risk 1")
    assert (met01["inherent_score"], met01["residual_level"], met01["above_appetite"]) == (16, "Very High", True)
    assert summary["groups"] == []  # the register puts no risk in a group: no made-up "whole register" group
    assert any("Risk 8" in w for w in summary["warnings"])


def test_html_is_self_contained_escaped_and_without_code(karoo_run):
    html = (karoo_run / "risk-evaluation.html").read_text()
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all("script"), "the static report needs no script"
    for tag in soup.find_all(["link", "img", "iframe"]):
        for attr in ("href", "src"):
            value = tag.get(attr) or ""
            assert not value.startswith(("http:", "https:", "//")), f"external resource {value}"
    assert "@import url(" not in html
    # user text is escaped in every report: tests/core/test_escaping_everywhere.py (the shipped example holds no
    # test strings)
    # charts are inline SVG images; no code cells are shown
    # matrices, movement, movement since 2024-25, value map, breakdowns
    assert len(soup.select('img[src^="data:image/svg+xml"]')) == 5
    assert "run_risk_evaluation" not in soup.get_text()
    assert "Karoo Vale Local Municipality: risk evaluation" in soup.get_text()
    assert "Method and provenance" in soup.get_text()


def test_excel_sheets_and_formula_neutralisation(karoo_run):
    book = openpyxl.load_workbook(karoo_run / "risk-evaluation.xlsx")
    assert book.sheetnames == ["Risks", "Groups", "Treatments", "Movement", "Warnings", "Own figures differing",
                               "By objective and category", "Columns read", "Rows skipped", "Method", "About"]
    sheet = book["Risks"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Risk", "Group", "Description", "Category"]  # headings in words, as in the report
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert not any(isinstance(c.value, bool) for c in cells)  # yes and no in words, never TRUE/FALSE
    above = {c.value for c in cells[header.index("Above appetite")::len(header)]}
    assert {"Yes", "No"} <= above <= {"Yes", "No", None}
    about = {r[0]: r[1] for r in book["About"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert about["Risks"].startswith("Every risk of the register") and set(about) == set(book.sheetnames[:-1])
    assert not any(c.data_type == "f" for c in cells)
    actions = [c.value for c in cells if isinstance(c.value, str) and "Consult ward committees" in c.value]
    assert actions  # text starting "=", "+", "-", "@" is neutralised: tests/core/test_outputs.py
    method = {r[0].value: r[1].value for r in book["Method"].iter_rows(min_row=2)}
    assert method["methodology"] == "Provincial municipal ERM 5 x 5 risk rating"  # its title, not its file name


def test_broken_register_gives_one_complete_error_list_and_no_report(tmp_path):
    register = tmp_path / "broken.csv"
    register.write_text("Risk register\nRisk No.,Risk description,Likelihood,Impact,Due date\n"
                        "R1,Fine,Likely,Major,2026-01-01\nR1,Duplicate,Often,Major,2026-01-01\n"
                        "R3,Out of range,7,2,31/02/2026\n", encoding="utf-8")
    params = tmp_path / "broken.yaml"
    params.write_text("organisation: Broken\nperiod: P1\nas_of: 2026-01-01\nmethodology: western-cape-5x5\n"
                      "register: broken.csv\n")
    out = tmp_path / "out"
    result = workbook("run", "risk-evaluation", "--params", str(params), "--out", str(out))
    assert result.returncode == 2
    assert "5 problem(s) found; no report was produced." in result.stderr
    for fragment in ("Often", "31/02/2026", "a unique risk ID", "a likelihood rating 1-5"):
        assert fragment in result.stderr
    assert "row 4," in result.stderr and "row 5," in result.stderr  # rows as seen in the file (title row counted)
    assert not out.exists()


def test_validate_command(tmp_path):
    ok = workbook("validate", str(PARAMETERS / "registers" / "mopac_met_alignment_2020.csv"), "-m", "mopac-4-level")
    assert ok.returncode == 0 and "17 risks (16 rated)" in ok.stdout and "Risk 8" in ok.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("risk_id,description,inherent_likelihood,inherent_impact\nA,,9,\n")
    result = workbook("validate", str(bad), "-m", "torbay-2004")
    assert result.returncode == 2
    assert "required" in result.stderr and "1-6" in result.stderr


def test_bad_parameters_are_refused_with_every_problem(tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text("organisation: X\nperiod: P\nas_of: 2026-01-01\nmethodology: torbay-2004\nregistr: a.csv\n")
    result = workbook("run", "risk-evaluation", "--params", str(params), "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "registr: unknown parameter (did you mean 'register'?)" in result.stderr
    assert "register: missing" in result.stderr


def test_methodology_commands():
    listing = workbook("methodologies")
    assert listing.returncode == 0
    assert all(n in listing.stdout for n in ("torbay-2004", "western-cape-5x5", "mopac-4-level"))
    shown = workbook("methodology", "show", "torbay-2004")
    lines = shown.stdout.splitlines()
    top = next(line for line in lines if line.startswith("6 Very significant"))
    assert "24 High" in top and "6 Low" in top and "12 Intermediate" in top
    alt = workbook("methodology", "show", "western-cape-5x5", "--banding", "risk-index")
    assert "25 Index 5" in alt.stdout
    assert workbook("methodology", "show", "nope").returncode == 2


@pytest.mark.parametrize("command", [[], ["run"], ["validate"], ["methodologies"], ["methodology"],
                                     ["methodology", "show"]])
def test_help_on_every_command(command):
    result = workbook(*command, "--help")
    assert result.returncode == 0 and "Usage" in result.stdout


def test_plain_papermill_with_a_parameters_file(tmp_path):
    out = tmp_path / "out.ipynb"
    result = subprocess.run([str(Path(sys.executable).parent / "papermill"), "notebooks/risk_evaluation.ipynb",
                             str(out), "-f", "parameters/mopac-met-2020.yaml", "-k", "python3"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    text = out.read_text()
    assert "risks 17 | rated 16 | not rated 1" in text


def test_notebook_shows_the_error_table_and_stops(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("risk_id,description,inherent_likelihood,inherent_impact\nA,Roof,9,2\nA,Wall,2,<i>x</i>\n")
    out = tmp_path / "out.ipynb"
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(ROOT / "notebooks" / "risk_evaluation.ipynb"), str(out), kernel_name="python3",
                            parameters={"register": str(bad), "methodology": "torbay-2004"}, progress_bar=False)
    assert err.value.ename == "InputError"
    text = out.read_text()
    assert "problem(s) in the input; no report was produced" in text
    assert "&amp;lt;i&amp;gt;x&amp;lt;/i&amp;gt;" in text or "&lt;i&gt;x&lt;/i&gt;" in text  # escaped in the table
    assert "NBVAL_CHECK_OUTPUT" in text and "risks 2 |" not in text  # stopped before any figure


def test_relative_out_folder_receives_all_four_outputs(tmp_path):
    # the kernel runs in notebooks/, so a relative --out must still land where the user asked
    result = workbook("run", "risk-evaluation", "--params", str(PARAMETERS / "mopac-met-2020.yaml"),
                      "--out", "rel-out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "rel-out" / "MOPAC-and-the-Met" / "2020-07"
    assert len(list(folder.glob("risk-evaluation.*"))) == 4


def _processes_with(marker: str) -> list[str]:
    """Command lines of live processes whose environment carries ``marker`` (kernels inherit it)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:  # gone, or not ours to read
            continue
    return found


def test_workbook_run_leaves_no_kernel_running_after_success_or_refusal(tmp_path, monkeypatch):
    # workbook run starts its kernel before checking the inputs (the start-up overlaps the checks): that
    # kernel must be shut down whether the run is refused or completes. In this process (a kernel whose
    # parent exits stops by itself, so a subprocess could not show a leak); kernels inherit the marker.
    marker = f"WORKBOOK_TEST_MARK_{os.getpid()}"
    monkeypatch.setenv(marker, "1")
    params = tmp_path / "refused.yaml"
    params.write_text("organisation: Refused\nperiod: P1\nas_of: 2026-01-01\nmethodology: western-cape-5x5\n"
                      "register: no-such-register.csv\n")
    with pytest.raises(RunFailed, match="no-such-register.csv"):
        execute("risk-evaluation", params, tmp_path / "out", early_kernel=True)
    assert not [c for c in _processes_with(marker) if "ipykernel" in c]
    outcome = execute("risk-evaluation", PARAMETERS / "mopac-met-2020.yaml", tmp_path / "out", early_kernel=True)
    assert len(outcome.paths) == 4
    left = [c for c in _processes_with(marker) if "ipykernel" in c]
    assert not left, f"kernels still running: {left}"


def test_cli_import_validates_first_and_saves_nothing_on_error(tmp_path):
    db = tmp_path / "cli.db"
    bad = tmp_path / "bad.csv"
    bad.write_text("risk_id,description,likelihood,impact\nA1,Fine,Likely,Major\nA2,,Nope,Major\n")
    env = {"WORKBOOK_DB": str(db)}
    result = workbook("store", "import", str(bad), "-a", "risk-evaluation", "--organisation", ORG, "--period",
                      PERIOD, "-m", "western-cape-5x5", "--who", "Ann", env=env)
    assert result.returncode == 2
    assert "Nope" in result.stderr and "description" in result.stderr
    assert "problem(s) found; nothing was saved." in result.stderr
    assert Store(str(db)).current(ORG, PERIOD, "risk") == []

    good = PARAMETERS / "registers" / "karoo_vale_municipality_2025.csv"
    result = workbook("store", "import", str(good), "-a", "risk-evaluation", "--organisation", ORG, "--period",
                      PERIOD, "-m", "western-cape-5x5", "--who", "Ann", "--line", "2nd line", env=env)
    assert result.returncode == 0, result.stderr
    assert "21 added" in result.stdout
    out = tmp_path / "export.xlsx"
    assert workbook("store", "export", "-a", "risk-evaluation", "--organisation", ORG, "--period", PERIOD,
                    "-o", str(out), env=env).returncode == 0
    exported = wb_records.read_for_kind(out, "risk")
    assert len(exported.frame) == 21 and exported.frame["_row"].tolist()[:2] == [2, 3]
    trail = tmp_path / "trail.csv"
    assert workbook("store", "history", "--organisation", ORG, "-o", str(trail), env=env).returncode == 0
    lines = trail.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 22 and "Ann" in lines[1] and "import" in lines[1]


def test_the_cli_shuts_down_the_kernel_it_starts_first(tmp_path, monkeypatch):
    # workbook run (cli.run_assessment) starts the kernel before importing the batch and checking the inputs,
    # and hands it to execute(): the CLI owns it and must stop it on every path
    marker = f"WORKBOOK_TEST_MARK_CLI_{os.getpid()}"
    monkeypatch.setenv(marker, "1")
    params = tmp_path / "refused.yaml"
    params.write_text("organisation: Refused\nperiod: P1\nas_of: 2026-01-01\nmethodology: western-cape-5x5\n"
                      "register: no-such-register.csv\n")
    with pytest.raises(typer.Exit):
        run_assessment("risk-evaluation", params, tmp_path / "out")
    assert not [c for c in _processes_with(marker) if "ipykernel" in c]
    assert len(run_assessment("risk-evaluation", PARAMETERS / "mopac-met-2020.yaml", tmp_path / "out")) == 4
    assert not [c for c in _processes_with(marker) if "ipykernel" in c]


def test_cli_import_reads_a_register_as_validate_does_and_takes_column_choices(tmp_path):
    db = tmp_path / "cols.db"
    env = {"WORKBOOK_DB": str(db)}
    register = tmp_path / "own.csv"
    register.write_text("Ref,Risk,Odds,Effect,Likelihood (1-5),Notes\nQ-1,Flooded depot,4,3,,kept\n"
                        "Q-2,Old payroll,2,2,,\n")
    args = ("store", "import", str(register), "-a", "risk-evaluation", "--organisation", ORG, "--period", "2030-31",
            "-m", "western-cape-5x5", "--who", "Ann")
    refused = workbook(*args, env=env)
    assert refused.returncode == 2 and "nothing was saved" in refused.stderr
    assert "How own.csv was read" in refused.stdout and "Odds" in refused.stdout
    saved = workbook(*args, "--column", "Odds=inherent_likelihood", "--column", "Effect=inherent_impact",
                     "--column", "Likelihood (1-5)=ignore", env=env)
    assert saved.returncode == 0, saved.stdout + saved.stderr
    assert "2 added" in saved.stdout
    rows = {r.key: r.data for r in Store(str(db)).current(ORG, "2030-31", "risk")}
    first = rows["Q-1"]
    assert (first["inherent_likelihood"], first["inherent_impact"], first["Notes"]) == ("4", "3", "kept")
    assert "Likelihood (1-5)" not in rows["Q-1"]  # ignored: not imported


def test_mopac_report_labels_what_the_document_gives_and_marks_what_we_add(mopac_run):
    text = BeautifulSoup((mopac_run / "risk-evaluation.html").read_text(), "html.parser").get_text(" ")
    assert "before controls" not in text.lower()  # the document gives current ratings only
    assert "one current rating (after the controls in place)" in text
    assert "Not in the source; set by this organisation" in text
    assert "acceptance rests with" not in text  # the document names no one who accepts a risk
    summary = json.loads((mopac_run / "risk-evaluation.json").read_text())
    assert [r["risk_id"] for r in summary["risks"]][:3] == ["Risk 1", "Risk 2", "Risk 3"]  # the document's numbers
