"""Nothing a run's kernel needs is left behind after a crash (hostile input, item 11 c): the kernel's connection file
is named after the process that owns it, removed when the kernel shuts down, and removed by the next run when its
process was killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from workbook_lib.batch import execute
from workbook_lib.batch.early_kernel import CONNECTION_FILE, start_kernel_early
from workbook_lib.core import leftovers

from ..conftest import PARAMETERS, ROOT

KILLED = textwrap.dedent("""
    import os, signal
    from workbook_lib.batch.early_kernel import start_kernel_early

    kernel = start_kernel_early()
    print(kernel.km.provisioner.process.pid, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # workbook run killed outright while its kernel runs
""")


def _isolated(tmp_path: Path, monkeypatch) -> tuple[Path, Path, dict[str, str]]:
    runtime, tmp = tmp_path / "runtime", tmp_path / "tmp"
    tmp.mkdir()
    env = {"JUPYTER_RUNTIME_DIR": str(runtime), "TMPDIR": str(tmp)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("tempfile.tempdir", str(tmp))
    return runtime, tmp, {**os.environ, **env}


def _files(*folders: Path) -> list[str]:
    return sorted(p.name for f in folders if f.exists() for p in f.iterdir())


def test_a_killed_runs_connection_file_is_removed_by_the_next_run(tmp_path, monkeypatch):
    runtime, tmp, env = _isolated(tmp_path, monkeypatch)
    killed = subprocess.run([sys.executable, "-c", KILLED], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    kernel_pid = int(killed.stdout.split()[0])
    try:
        os.kill(kernel_pid, signal.SIGKILL)  # its orphaned kernel, if it has not noticed yet
    except ProcessLookupError:
        pass
    left = _files(runtime, tmp)
    assert len(left) == 1 and left[0].startswith(f"{CONNECTION_FILE}-"), left  # the killed run's, and only that
    kernel = start_kernel_early()  # the next run
    assert kernel is not None and _files(runtime, tmp) == [Path(kernel.km.connection_file).name]
    kernel.shutdown()
    assert _files(runtime, tmp) == []


def test_a_batch_runs_kernel_leaves_no_connection_file(tmp_path, monkeypatch):
    runtime, tmp, _env = _isolated(tmp_path, monkeypatch)
    execute.execute("risk-evaluation", PARAMETERS / "mopac-met-2020.yaml", tmp_path / "out")  # papermill's kernel
    assert _files(runtime, tmp) == []


def test_only_a_dead_process_on_this_host_loses_its_files(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    names = {"dead": f"{leftovers.tagged('kernel-workbook', dead.pid)}a.json",
             "live": f"{leftovers.tagged('kernel-workbook')}b.json",
             "other host": f"kernel-workbook-{dead.pid}-00000000-c.json", "not ours": f"kernel-{dead.pid}-d.json"}
    for name in names.values():
        (tmp_path / name).write_text("{}")
    assert leftovers.remove_stale(tmp_path, "kernel-workbook") == [tmp_path / names["dead"]]
    assert _files(tmp_path) == sorted(n for k, n in names.items() if k != "dead")
