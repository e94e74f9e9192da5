"""A large register in linear time: ``workbook run risk-evaluation`` on 1,000 risks against 250,000 (the default
row limit), and optionally 1,000,000 with the limit raised: wall time, peak memory of the whole process tree (the
``workbook`` process and the kernel it starts, sampled every 0.1 s) and the size of each output.

    .venv/bin/python bench/large_register.py [--sizes 1000 250000] [--million] [--smoke]

Targets (2 cores): 250,000 risks at most 5x the time of 1,000 risks of the same register shape, peak memory under
1.5 GB; 1,000,000 risks (``--million``: ``WORKBOOK_MAX_ROWS``, ``_CELLS`` and ``_FILE_MB`` raised) under 4 minutes
and 2 GB; the HTML report
under 5 MB at any size. The registers are bench/report_size.py's (western-cape-5x5, categories, groups, controls,
treatment dates). Checks, in every run (``--smoke`` too): each run succeeds and writes its four outputs, the HTML
is under 5 MB, and the JSON carries per-risk detail for every risk up to the documented size
(``risk.report.JSON_RISKS``) and a count beyond it. Timings are printed, never asserted. ``--smoke``: 50 and 200
risks.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BIN, ROOT, arguments, check, machine  # noqa: E402
from report_size import register  # noqa: E402

HTML_MAX = 5e6  # bytes, at any size
MILLION = 1_000_000


def _sample(proc: psutil.Process, stop: threading.Event, peak: list[int]) -> None:
    """The largest sum of RSS over ``proc`` and its descendants seen until ``stop``."""
    while not stop.is_set():
        try:
            family = [proc, *proc.children(recursive=True)]
            rss = 0
            for p in family:
                try:
                    rss += p.memory_info().rss
                except psutil.Error:  # a process that ended while being counted
                    pass
            peak[0] = max(peak[0], rss)
        except psutil.Error:
            pass
        stop.wait(0.1)


def run(n: int, folder: Path, timeout: int) -> dict:
    """One ``workbook run`` of an n-risk register: seconds, peak MB of the tree, output sizes, the JSON's risks."""
    register(n, folder / f"register-{n}.csv")
    params = folder / f"synthetic-{n}.yaml"
    params.write_text(f"organisation: Synthetic {n}\nperiod: P1\nas_of: 2025-11-30\n"
                      f"methodology: western-cape-5x5\nregister: register-{n}.csv\nappetite: Low\n")
    env = dict(os.environ)
    if n > 250_000:  # the limits a register this size passes (core/limits.py), raised as a user would
        env.update(WORKBOOK_MAX_ROWS=str(n), WORKBOOK_MAX_CELLS=str(n * 50), WORKBOOK_MAX_FILE_MB=str(n // 1000))
    start = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "workbook"), "run", "risk-evaluation", "--params", str(params),
                             "--out", str(folder / "out"), "--timeout", str(timeout)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=_sample, args=(psutil.Process(proc.pid), stop, peak), daemon=True)
    sampler.start()
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    stop.set()
    sampler.join()
    report = folder / "out" / f"Synthetic-{n}" / "P1"
    missing = [ext for ext in ("html", "ipynb", "xlsx", "json") if not (report / f"risk-evaluation.{ext}").is_file()]
    check(proc.returncode == 0 and not missing, f"{n:,} risks: run failed after {elapsed:.0f} s (status "
                                                f"{proc.returncode}, missing {missing or 'nothing'}): {err[-2000:]}")
    sizes = {ext: (report / f"risk-evaluation.{ext}").stat().st_size / 1e6 for ext in ("html", "ipynb", "xlsx", "json")}
    summary = json.loads((report / "risk-evaluation.json").read_text(encoding="utf-8"))
    return {"risks": n, "seconds": elapsed, "peak_mb": peak[0] / 2**20, **sizes,
            "json_risks": len(summary.get("risks") or []), "json_counts": summary.get("counts")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 250_000])
    ap.add_argument("--million", action="store_true", help="also 1,000,000 risks, WORKBOOK_MAX_ROWS raised")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds allowed per run")
    args = arguments(ap, smoke={"sizes": [50, 200], "million": False})
    sizes = list(args.sizes) + ([MILLION] if args.million else [])
    print(machine())
    print(f"{'risks':>10} {'seconds':>8} {'peak MB':>8} {'HTML MB':>8} {'JSON MB':>8} {'xlsx MB':>8} "
          f"{'ipynb MB':>8} {'JSON risks':>10}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            r = run(n, Path(tmp), args.timeout)
            results.append(r)
            print(f"{n:>10,} {r['seconds']:>8.1f} {r['peak_mb']:>8.0f} {r['html']:>8.2f} {r['json']:>8.2f} "
                  f"{r['xlsx']:>8.2f} {r['ipynb']:>8.2f} {r['json_risks']:>10,}", flush=True)
    for r in results:
        check(r["html"] * 1e6 < HTML_MAX, f"{r['risks']:,} risks: HTML {r['html']:.2f} MB, over 5 MB")
    try:
        from workbook_lib.assessments.risk.report import JSON_RISKS
    except ImportError:  # the tree before the JSON's per-risk detail had a documented size
        JSON_RISKS = None
    if JSON_RISKS is not None:
        for r in results:
            want = r["risks"] if r["risks"] <= JSON_RISKS else 0
            check(r["json_risks"] == want, f"{r['risks']:,} risks: the JSON lists {r['json_risks']:,} risks, "
                                           f"expected {want:,} (JSON_RISKS {JSON_RISKS:,})")
    base = results[0]
    for r in results[1:]:
        print(f"{r['risks']:,} / {base['risks']:,} risks: {r['seconds'] / base['seconds']:.2f}x the time, peak "
              f"{r['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
