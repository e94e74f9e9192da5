"""Shared by the benchmarks: the machine they ran on, a small timer, the ``--smoke`` flag every script takes,
the checks that end a run with a non-zero status, and serving the app for the browser benchmarks.

``--smoke``: the smallest size that still runs the whole script end to end, in seconds (one organisation, a
50-row register, one assessment, one repeat, one page load); its checks stay on, no timing is asserted, and it
writes only to temporary folders. ``tests/test_bench_smoke.py`` runs every script so in ``make test``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def machine() -> str:
    """One line: date, platform, CPU model and count, Python."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{time.strftime('%Y-%m-%d')} | {platform.platform()} | {cpu} x {os.cpu_count()} | "
            f"Python {platform.python_version()} | load {load:.1f}")


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """The fastest of ``repeat`` runs, in seconds (the least disturbed by other work on the machine)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def wall(command: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> float:
    """Wall time of a command, which must succeed."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return elapsed


SMOKE_HELP = ("the smallest run through the whole script (seconds): its checks on, no timing asserted, "
              "nothing written outside temporary folders; overrides the size options")


def arguments(ap: argparse.ArgumentParser, smoke: Mapping[str, object]) -> argparse.Namespace:
    """Parse the command line, with ``--smoke`` added: it sets each option in ``smoke`` (their dest names) to its
    smallest useful value, over what the command line said."""
    ap.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = ap.parse_args()
    unknown = [name for name in smoke if not hasattr(args, name)]
    if unknown:
        raise SystemExit(f"--smoke sets unknown option(s) {unknown}")
    if args.smoke:
        for name, value in smoke.items():
            setattr(args, name, value)
    return args


def check(ok: object, what: str) -> None:
    """End the run with status 1 and ``what`` on stderr unless ``ok`` (not ``assert``: kept under ``-O``)."""
    if not ok:
        raise SystemExit(f"check failed: {what}")


def chromium() -> str:
    """Debian's Chromium (Playwright drives it; never a browser download)."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    check(Path(path).exists(), "Debian's chromium is missing: run tests/setup_system.sh")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, proc: subprocess.Popen, what: str, timeout: float = 120,
                       log: Path | None = None) -> None:
    """Wait until ``url`` answers; end the run (with the end of ``log``) if ``proc`` exits first or ``timeout``
    seconds pass."""
    deadline = time.time() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
                raise SystemExit(f"{what} did not start within {timeout:g} s (status {proc.poll()})\n{tail}") \
                    from None
            time.sleep(0.3)
