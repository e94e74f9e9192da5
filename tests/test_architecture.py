"""The layout's promise: a new assessment is its own folder plus one registration line.

A copy of workbook_lib gets a toy assessment (parameters, a record kind, key figures, a notebook) in
``assessments/toy/`` and one line in ``assessments/__init__.PACKAGES``; nothing else changes. The CLI, the
store import, the batch run and the landing page of that copy then know the toy without being told.
"""

from __future__ import annotations

import difflib
import filecmp
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from tests.conftest import ROOT

TOY_FILES = {
    "__init__.py": '"""A toy assessment: counts the items its parameters name."""\n',
    "run.py": '''
        """Parameters and run of the toy assessment."""

        from workbook_lib.core.params import CommonParams


        class ToyParams(CommonParams):
            items: list[str] = []


        def run(params: ToyParams) -> dict:
            return {"assessment": "toy-assessment", "items": len(params.items)}

        ''',
    "records.py": '''
        """The toy's record kind."""

        from workbook_lib.core.records import RecordKind, register_kind, rows_from_table


        def _context(name, params, **_options):
            class Loaded:
                def provenance(self):
                    return {"name": "toy", "version": "1", "sha256": "0" * 64}

            return Loaded(), None


        ITEM = register_kind(RecordKind("toy_item", ("item",), lambda: {"item": ["item", "thing"], "note": ["note"]},
                                        lambda table, _context: rows_from_table(table, "toy_item"), _context))
        ''',
    "spec.py": '''
        """The toy assessment, as the registry knows it."""

        from pathlib import Path

        from workbook_lib.assessments.toy.records import ITEM
        from workbook_lib.assessments.toy.run import ToyParams, run
        from workbook_lib.core.assessment import AssessmentSpec

        SPEC = AssessmentSpec(
            "toy-assessment", str(Path(__file__).with_name("toy.ipynb")), ToyParams, "Count the items.",
            check=run, run=run, summary=lambda result, _org, _period: result, tables=lambda _result: {},
            form="workbook_lib.assessments.toy.run:ToyParams",
            requires=("items",), record_kinds=(ITEM,), key_figures=lambda summary: {"items": summary["items"]})
        ''',
}


def _toy_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('organisation = "Toy"\nperiod = "2025"\nas_of = "2025-01-01"\nitems = []\n'
                                       "output_dir = None\nparameters_dir = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell('import workbook_lib\n\nnb = workbook_lib.start("toy-assessment", '
                                                  'globals())\nprint("items", nb.result["items"])\nnb.finish()')]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(scope="module")
def copy_with_toy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("toy-project")
    shutil.copytree(ROOT / "workbook_lib", root / "workbook_lib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "notebooks", root / "notebooks")  # the project's own notebooks, served beside the toy's
    (root / "parameters").mkdir()
    toy = root / "workbook_lib" / "assessments" / "toy"
    toy.mkdir()
    for name, text in TOY_FILES.items():
        (toy / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    nbformat.write(_toy_notebook(), toy / "toy.ipynb")
    registry = root / "workbook_lib" / "assessments" / "__init__.py"
    text = registry.read_text(encoding="utf-8")
    assert '    "combined-assurance": "assurance",\n' in text
    registry.write_text(text.replace('    "combined-assurance": "assurance",\n',
                                     '    "combined-assurance": "assurance",\n    "toy-assessment": "toy",\n', 1),
                        encoding="utf-8")
    return root


def _changed_files(a: Path, b: Path, prefix: str = "") -> list[str]:
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__"])
    changed = [prefix + n for n in cmp.left_only + cmp.right_only + cmp.diff_files]
    for sub in cmp.common_dirs:
        changed += _changed_files(a / sub, b / sub, f"{prefix}{sub}/")
    return changed


def test_the_toy_touches_only_its_folder_and_one_registration_line(copy_with_toy):
    changed = _changed_files(ROOT / "workbook_lib", copy_with_toy / "workbook_lib")
    assert sorted(changed) == ["assessments/__init__.py", "assessments/toy"]
    before = (ROOT / "workbook_lib" / "assessments" / "__init__.py").read_text().splitlines()
    after = (copy_with_toy / "workbook_lib" / "assessments" / "__init__.py").read_text().splitlines()
    edits = [d for d in difflib.ndiff(before, after) if d[:1] in "+-"]
    assert edits == ['+     "toy-assessment": "toy",']


def _workbook(root: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}  # the copy, not the installed workbook_lib
    return subprocess.run([sys.executable, "-m", "workbook_lib.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_cli_store_batch_and_landing_page_find_the_toy(copy_with_toy, tmp_path):
    listed = _workbook(copy_with_toy, "assessments", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "toy-assessment" in listed.stdout and "risk-evaluation" in listed.stdout

    (tmp_path / "items.csv").write_text("Thing,Note\nbolt,m8\nnut,m8\n", encoding="utf-8")
    db = tmp_path / "toy.db"
    imported = _workbook(copy_with_toy, "store", "import", str(tmp_path / "items.csv"), "-a", "toy-assessment",
                         "--organisation", "Toy", "--period", "2025", "--who", "Tester", "--store", str(db),
                         cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "toy.db" in imported.stdout

    params = tmp_path / "toy.yaml"
    params.write_text('organisation: Toy\nperiod: "2025"\nas_of: 2025-01-01\nitems: [a, b, c]\n', encoding="utf-8")
    ran = _workbook(copy_with_toy, "batch", str(params), "--out", str(tmp_path / "out"), "--jobs", "1",
                    cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    summary = json.loads(next((tmp_path / "out").rglob("toy-assessment.json")).read_text())
    assert summary["items"] == 3
    index = (tmp_path / "out" / "index.html").read_text()
    assert "toy-assessment" in index.lower() or "Toy assessment" in index

    landing = subprocess.run([sys.executable, "-c", "from workbook_lib.app.landing import landing_page; "
                              "print(landing_page())"], env={**os.environ, "PYTHONPATH": str(copy_with_toy)},
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "Toy assessment" in landing.stdout


@pytest.mark.parametrize(("assessment", "kinds"), [
    ("risk-evaluation", {"risk"}),
    ("coso-assessment", {"coso_response", "maturity_mark"}),
    ("maturity-scoring", {"maturity_mark", "capacity_answer"}),
    ("combined-assurance", {"assurance_entry", "risk", "maturity_mark"}),
])
def test_a_kernel_running_one_assessment_knows_every_record_kind_it_reads(assessment, kinds, tmp_path):
    """A notebook kernel loads only its own assessment (and those it builds on): every record kind its run and
    its form read from the store must be declared by what that imports, not by the whole registry."""
    code = ("import importlib\nfrom workbook_lib.assessments import get\n"
            "from workbook_lib.core.kinds import KNOWN_KINDS\n"
            f"spec = get({assessment!r}); importlib.import_module(spec.form.split(':')[0])\n"
            "print(' '.join(sorted(KNOWN_KINDS)))")
    shown = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert kinds <= set(shown.stdout.split())


def test_the_app_serves_the_notebook_the_toy_keeps_in_its_own_package(copy_with_toy, tmp_path):
    """An assessment's notebook may live in its package: `workbook app` serves it by its name, beside the others."""
    import urllib.error
    import urllib.request

    from tests.pg_server import free_port

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(copy_with_toy), "WORKBOOK_DB": str(tmp_path / "app.db")}
    proc = subprocess.Popen([sys.executable, "-m", "workbook_lib.cli", "app", "--port", str(port)], cwd=tmp_path,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def status(page: str) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/render/{page}", timeout=60) as answer:
                return answer.status
        except urllib.error.HTTPError as exc:
            return exc.code

    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                assert proc.poll() is None and time.time() < deadline, "workbook app did not start"
                time.sleep(0.3)
        assert status("toy.ipynb") == 200
        assert status("index.ipynb") == 200  # the project's own notebooks are still served
        assert status("no-such.ipynb") == 404
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# ---- the import contracts hold for the next assessment too -------------------------------------------------------
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess:
    """lint-imports on a copy of the project (its pyproject.toml's contracts, its workbook_lib)."""
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def lint_copy(copy_with_toy, tmp_path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(copy_with_toy / "workbook_lib", root / "workbook_lib", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _add_line(path: Path, line: str) -> None:
    path.write_text(f"{line}\n" + path.read_text(encoding="utf-8"), encoding="utf-8")


def test_the_contracts_keep_the_toy_as_it_is(lint_copy):
    kept = _lint(lint_copy)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "BROKEN" not in kept.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("assessments/toy/run.py", "import workbook_lib.assessments.risk.scoring  # noqa",
     "Assessments are independent but for what each builds on"),
    ("assessments/coso/scoring.py", "import ipywidgets  # noqa", "Domain modules draw no screen"),
    ("assessments/maturity/model.py", "import altair  # noqa", "Domain modules draw no screen"),
    ("cli.py", "import workbook_lib.assessments.risk.methodology  # noqa",
     "The shell knows assessments only through the registry"),
])
def test_the_contracts_refuse_what_an_assessment_or_the_shell_must_not_import(lint_copy, module, line, contract):
    _add_line(lint_copy / "workbook_lib" / module, line)
    broken = _lint(lint_copy)
    assert broken.returncode != 0
    assert f"{contract}" in broken.stdout and "BROKEN" in broken.stdout.split(contract, 1)[1].split("\n\n", 1)[0] \
        .replace("\n", " "), broken.stdout


def test_every_module_of_an_assessment_with_layers_is_in_one(lint_copy):
    """The inner layers are exhaustive: a new module must be placed (here a stray one in the risk package)."""
    (lint_copy / "workbook_lib" / "assessments" / "risk" / "stray.py").write_text('"""Placed nowhere."""\n')
    broken = _lint(lint_copy)
    assert broken.returncode != 0 and "stray" in broken.stdout, broken.stdout
