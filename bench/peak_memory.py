"""Peak memory of the risk evaluation on a large register, each step in a fresh process.

    .venv/bin/python bench/peak_memory.py [--risks 1000000] [--smoke]

Steps: the scoring engine alone (``score_frame``), and ``evaluate`` (engine, labels, arithmetic text, dates,
groups). Each runs in its own interpreter so its peak (ru_maxrss) is its own; the interpreter with pandas and
the suite imported is measured too, as the floor. Reading a register of this size is refused before it is
read in full (WORKBOOK_MAX_ROWS, see workbook_lib/core/tables.py): these are the figures behind that limit.
A step that fails, or reports no time or memory, ends the run with status 1. ``--smoke``: 50 risks.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, arguments, check, machine  # noqa: E402

STEP = """
import json, resource, sys, time
sys.path.insert(0, {bench!r})
import numpy as np, pandas as pd
from scoring import synthetic
from workbook_lib.assessments.risk.methodology import load_methodology
from workbook_lib.assessments.risk.scoring import Appetite, evaluate, score_frame
loaded = load_methodology("western-cape-5x5"); m = loaded.methodology
appetite = Appetite.resolve({{"default": "Low"}}, m)
n, step = {n}, {step!r}
start = time.perf_counter()
if step != "floor":
    frame = synthetic(n, m)
    if step == "engine":
        score_frame(frame, m, appetite)
    else:
        frame = frame.assign(risk_id=[f"R{{i}}" for i in range(n)], group="Whole register", status="open",
                             rated=lambda f: f.inherent_likelihood.notna(), control_effectiveness="Partially effective",
                             due_date=None, review_date=None, complete=False, description="", owner="", response="",
                             treatment_owner="", actions="", progress="")
        from workbook_lib.assessments.risk.register import Register
        reg = Register(file="synthetic", frame=frame, extra_columns=[])
        evaluate(reg, loaded, pd.Timestamp("2025-11-30").date(), appetite=appetite)
print(json.dumps({{"seconds": time.perf_counter() - start,
                   "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--risks", type=int, default=1_000_000)
    args = arguments(ap, smoke={"risks": 50})
    print(machine())
    print(f"{'step':>8} {'risks':>10} {'seconds':>8} {'peak MB':>8}")
    for step in ("floor", "engine", "evaluate"):
        code = STEP.format(bench=str(ROOT / "bench"), n=args.risks, step=step)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
        check(out.returncode == 0, f"step {step} failed ({out.returncode}):\n{out.stderr[-3000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        check(result["seconds"] >= 0 and result["peak_mb"] > 0, f"step {step} measured nothing: {result}")
        print(f"{step:>8} {args.risks:>10,} {result['seconds']:>8.2f} {result['peak_mb']:>8.0f}")


if __name__ == "__main__":
    main()
