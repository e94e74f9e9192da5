"""A report's set of outputs is replaced whole or not at all, and a full disk is one line with nothing changed
(hostile input, item 11 a and b): the write functions, the kernel's writes, the final moves, a run killed between
two moves, and the index and readers that must never take a mixed set for a report."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from workbook_lib.batch import execute, index
from workbook_lib.batch.errors import RunFailed
from workbook_lib.batch.pool import RunResult
from workbook_lib.core import outputs
from workbook_lib.core.report_set import PREVIOUS, being_replaced, set_names
from workbook_lib.core.store import Author, Store

from ..conftest import PARAMETERS, ROOT

WORKBOOK = str(Path(sys.executable).parent / "workbook")
MOPAC = PARAMETERS / "mopac-met-2020.yaml"
STEM = "risk-evaluation"
FOUR = [f"{STEM}.{ext}" for ext in ("ipynb", "html", "xlsx", "json")]


def _full(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


# ---- (a) the write functions on a full disk -----------------------------------------------------------------------
WRITES = {
    "write_json": lambda path: outputs.write_json({"new": 1}, path),
    "write_text": lambda path: outputs.write_text(path, "new"),
    "write_excel": lambda path: outputs.write_excel({"Sheet": pd.DataFrame({"a": [1]})}, path),
    "write_table": lambda path: outputs.write_table(pd.DataFrame({"a": [1]}), path),
}
SUFFIX = {"write_json": ".json", "write_text": ".txt", "write_excel": ".xlsx", "write_table": ".csv"}


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # openpyxl's writer, collected later
@pytest.mark.parametrize("where", ["rename", "write"])
@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_on_a_full_disk_is_one_line_and_keeps_the_previous_file(tmp_path, monkeypatch, write, where):
    path = tmp_path / f"report{SUFFIX[write]}"
    path.write_bytes(b"previous")
    if where == "rename":
        monkeypatch.setattr(os, "replace", _full)
    else:  # the disk fills while the file is written (its temporary name)
        real_open = open

        def full_open(file, mode="r", *args, **kwargs):
            if "w" in mode and str(file).endswith(".tmp"):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real_open(file, mode, *args, **kwargs)

        monkeypatch.setattr("builtins.open", full_open)
        monkeypatch.setattr("io.open", full_open)
        monkeypatch.setattr(Path, "open", lambda self, mode="r", *a, **k: full_open(self, mode, *a, **k))
    with pytest.raises(outputs.NotWritten) as refused:
        WRITES[write](path)
    monkeypatch.undo()
    message = str(refused.value)
    assert message == f"{path} could not be written (No space left on device); nothing was changed"
    assert refused.value.errno == errno.ENOSPC and isinstance(refused.value, OSError)
    assert path.read_bytes() == b"previous" and [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_used_up_quota_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "replace", lambda *_a: (_ for _ in ()).throw(OSError(errno.EDQUOT, "quota")))
    with pytest.raises(outputs.NotWritten, match=r"could not be written \(Disk quota exceeded\); nothing was changed"):
        outputs.write_json({}, tmp_path / "x.json")


SITECUSTOMIZE = textwrap.dedent("""
    import errno, os
    _replace = os.replace

    def replace(src, dst, *args, **kwargs):  # a file written whole (write_json, ...) named WB_FULL meets a full disk
        if str(dst).endswith(os.environ["WB_FULL"]) and str(src).endswith(".tmp"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return _replace(src, dst, *args, **kwargs)

    os.replace = replace
""")


def _full_disk(tmp_path: Path, name: str) -> dict[str, str]:
    """An environment in which every process (the kernel's too) finds the disk full when it writes ``name``."""
    (tmp_path / "full").mkdir(exist_ok=True)
    (tmp_path / "full" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return {**os.environ, "WB_FULL": name,
            "PYTHONPATH": os.pathsep.join([str(tmp_path / "full"), os.environ.get("PYTHONPATH", "")])}


def test_workbook_run_on_a_full_disk_is_one_line_and_changes_nothing(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([WORKBOOK, "run", STEM, "--params", str(MOPAC), "--out", str(out)], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    folder = out / "MOPAC-and-the-Met" / "2020-07"
    before = _digests(folder)
    env = _full_disk(tmp_path, "risk-evaluation.json")  # the kernel's write of the JSON summary
    for where in (out, tmp_path / "fresh"):  # over an earlier set, and into a new folder
        full = subprocess.run([WORKBOOK, "run", STEM, "--params", str(MOPAC), "--out", str(where)],
                              capture_output=True, text=True, timeout=600, env=env)
        assert full.returncode == 1, full.stderr
        lines = full.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in full.stderr, full.stderr
        assert "could not be written" in lines[0] and "No space left on device" in lines[0]
        assert "nothing was changed" in lines[0]
    assert _digests(folder) == before and sorted(p.name for p in folder.iterdir()) == sorted(FOUR)
    assert not (tmp_path / "fresh").exists() or not any((tmp_path / "fresh").rglob("*"))


def test_an_export_or_a_batch_index_on_a_full_disk_is_one_line(tmp_path):
    db = tmp_path / "store.db"
    with Store(str(db)) as st:
        st.save("Org", "P1", "risk", {"R1": {"risk_id": "R1", "description": "Floods"}}, Author("Ann"))
    export = subprocess.run([WORKBOOK, "store", "export", "-a", STEM, "--organisation", "Org", "--period", "P1",
                             "--out", str(tmp_path / "risks.xlsx"), "--store", str(db)], capture_output=True,
                            text=True, timeout=300, env=_full_disk(tmp_path, ".xlsx"))
    assert export.returncode == 1 and export.stderr.strip() == (
        f"{tmp_path / 'risks.xlsx'} could not be written (No space left on device); nothing was changed")
    out = tmp_path / "out"
    batch = subprocess.run([WORKBOOK, "batch", str(MOPAC), "--out", str(out)], capture_output=True, text=True,
                           timeout=600, env=_full_disk(tmp_path, "index.html"))
    assert batch.returncode == 1 and "Traceback" not in batch.stderr, batch.stderr
    assert batch.stderr.strip().splitlines()[-1] == (
        f"{out / 'index.html'} could not be written (No space left on device); nothing was changed")
    assert not (out / "index.html").exists()


# ---- (b) the final moves: the whole new set or the old one, never a mix --------------------------------------------
def _sets(tmp_path: Path) -> tuple[Path, Path, list[Path], dict[str, str]]:
    """OUT/Org/P1 with an old set (a PDF too) and another assessment's file; a staging folder with a new set."""
    target = tmp_path / "Org" / "P1"
    target.mkdir(parents=True)
    for name in [*FOUR, f"{STEM}.pdf"]:
        (target / name).write_text(f"old {name}")
    (target / "coso-assessment.json").write_text("another assessment's")
    staging = target / f".staging-{STEM}-{os.getpid()}-{execute.HOST}-test"
    staging.mkdir()
    new = []
    for name in FOUR:
        (staging / name).write_text(f"new {name}")
        new.append(staging / name)
    return target, staging, new, _digests(target)


def test_a_move_that_fails_puts_the_old_set_back(tmp_path, monkeypatch):
    target, staging, new, before = _sets(tmp_path)
    real, calls = Path.replace, []

    def replace(self, dest):
        calls.append(self.name)
        if len(calls) > 2:  # after the second move
            raise OSError(errno.EIO, "Input/output error")
        return real(self, dest)

    monkeypatch.setattr(Path, "replace", replace)
    with pytest.raises(OSError):
        execute.swap_in(staging, target, STEM, new)
    monkeypatch.undo()
    assert len(calls) == 3
    assert _digests(target) == before  # the old set, its PDF included, as it was
    assert not (staging / PREVIOUS).exists() and not being_replaced(target, STEM)


def test_a_complete_swap_leaves_the_new_set_alone(tmp_path):
    target, staging, new, before = _sets(tmp_path)
    final = execute.swap_in(staging, target, STEM, new)
    assert [p.name for p in final] == FOUR
    assert {n: (target / n).read_text() for n in FOUR} == {n: f"new {n}" for n in FOUR}
    assert not (target / f"{STEM}.pdf").exists()  # an earlier run's PDF is not left beside the new set
    assert (target / "coso-assessment.json").read_text() == "another assessment's"
    assert not being_replaced(target, STEM)


KILLED = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from workbook_lib.batch import execute

    target, stem = Path(sys.argv[1]), sys.argv[2]
    staging = target / f".staging-{stem}-{os.getpid()}-{execute.HOST}-killed"
    staging.mkdir()
    new = []
    for ext in ("ipynb", "html", "xlsx", "json"):
        (staging / f"{stem}.{ext}").write_text(f"new {ext}")
        new.append(staging / f"{stem}.{ext}")
    real, calls = Path.replace, []

    def replace(self, dest):
        calls.append(1)
        if len(calls) > 2:  # killed outright between the second and the third move
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, dest)

    Path.replace = replace
    execute.swap_in(staging, target, stem, new)
""")


def test_a_run_killed_between_two_moves_is_put_back_and_never_read_as_a_report(tmp_path):
    target, staging, _new, before = _sets(tmp_path)
    staging.rename(tmp_path / "unused")  # the killed process makes its own
    killed = subprocess.run([sys.executable, "-c", KILLED, str(target), STEM], cwd=ROOT, capture_output=True,
                            timeout=120)
    assert killed.returncode == -signal.SIGKILL
    assert _digests(target) != before  # on disk, for now, a mix of two runs
    assert being_replaced(target, STEM)  # which a reader can tell
    out = tmp_path
    ok = RunResult("p.yaml", STEM, "ok", "Org", "P1", folder="Org/P1", outputs=FOUR)
    page = index.write_index(out, [ok]).read_text()
    assert "failed (incomplete)" in page and f'href="Org/P1/{STEM}.html"' not in page
    assert json.loads((out / "index.json").read_text())[0]["status"] == "failed"
    execute.remove_stale_staging(target, STEM)  # what the next run of it does first
    assert _digests(target) == before and not being_replaced(target, STEM)
    assert not list(target.glob(".staging-*"))


def test_an_aborted_run_keeps_the_old_reports_and_says_so_in_one_line(tmp_path, monkeypatch):
    """A whole run (papermill, provenance, HTML), its moves failing after the second: the earlier set is intact, nothing
    of the new one is left (no staging, no kernel connection file, no temporary file)."""
    out = tmp_path / "out"
    execute.execute(STEM, MOPAC, out)
    folder = out / "MOPAC-and-the-Met" / "2020-07"
    before = _digests(folder)
    runtime, tmp = tmp_path / "runtime", tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr("tempfile.tempdir", str(tmp))
    real, calls = Path.replace, []

    def replace(self, dest):
        if self.name in FOUR:
            calls.append(self.name)
            if len(calls) > 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, dest)

    monkeypatch.setattr(Path, "replace", replace)
    with pytest.raises(RunFailed) as failed:
        execute.execute(STEM, MOPAC, out)
    assert failed.value.kind == "output" and failed.value.exit_code == 1
    assert "\n" not in failed.value.message and "nothing was changed" in failed.value.message
    assert "No space left on device" in failed.value.message
    assert _digests(folder) == before and sorted(p.name for p in folder.iterdir()) == sorted(FOUR)
    assert not list(runtime.glob("*")) and not [p.name for p in tmp.iterdir()]
    monkeypatch.undo()
    assert set(set_names(STEM)) == {*FOUR, f"{STEM}.pdf"}
