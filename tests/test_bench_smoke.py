"""Every benchmark in bench/ runs end to end at its smallest size (``--smoke``), so that none of them rots
between the runs recorded in bench/RESULTS.md: each script's own checks (the engine against its baseline, the
same values from both readers, every run's outputs written, every save in the store) end it with a non-zero
status. No timing is asserted. A new benchmark without an entry here fails the suite."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
TIMEOUT = 900  # seconds per script; a smoke run takes seconds to two minutes on 2 busy cores
BROWSER = {"voila.py", "load_test.py"}  # drive Debian's Chromium through Playwright
SCRIPTS = ["scoring.py", "batch.py", "load_test.py", "peak_memory.py", "register_read.py", "report_size.py",
           "startup.py", "voila.py", "xlsx_read.py", "large_register.py", "quantify.py",
           "quantified_run.py"]


def _tail(text: str, chars: int = 14000) -> str:
    return text[-chars:] if text else "(nothing)"


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_smoke_run(script):
    if script in BROWSER:  # as the browser fixture: required, never skipped (tests/setup_system.sh installs it)
        assert shutil.which("chromium"), "Debian's chromium is missing: run tests/setup_system.sh"
    proc = subprocess.Popen([sys.executable, str(BENCH / script), "--smoke"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        # Ctrl-C first, so the script's finally blocks stop the servers it started; then kill what is left
        os.killpg(proc.pid, signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        pytest.fail(f"bench/{script} --smoke took over {TIMEOUT} s\nstdout:\n{_tail(out)}\nstderr:\n{_tail(err)}")
    assert proc.returncode == 0, (f"bench/{script} --smoke exited {proc.returncode}\nstdout:\n{_tail(out)}\n"
                                  f"stderr:\n{_tail(err)}")


def test_every_benchmark_has_a_smoke_run():
    scripts = sorted(p.name for p in BENCH.glob("*.py") if not p.name.startswith("_"))
    missing = [name for name in scripts if name not in SCRIPTS]
    assert not missing, f"bench/ scripts without a smoke run in {__name__}.SCRIPTS: {missing}"
    gone = [name for name in SCRIPTS if name not in scripts]
    assert not gone, f"{__name__}.SCRIPTS lists scripts that are not in bench/: {gone}"
