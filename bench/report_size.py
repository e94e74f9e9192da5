"""Size of the HTML report (and the time of ``workbook run``) for registers of 1k and 100k risks.

    .venv/bin/python bench/report_size.py [--sizes 1000 100000] [--smoke]

Targets: at most 2 MB for 1k risks and 5 MB for 100k. Registers are synthetic (numpy), on the
western-cape-5x5 methodology, with categories, groups, controls and treatment dates. A run that fails or
leaves no report is listed and the others still run; the script then ends with status 1. ``--smoke``: 50 risks.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BIN, ROOT, arguments, check, machine  # noqa: E402

CATEGORIES = np.array(["Financial", "Compliance", "Operational", "Strategic", "Reputational"], dtype=object)
CONTROLS = np.array(["Fully effective", "Partially effective", "Ineffective", "Totally ineffective", "None"],
                    dtype=object)


def register(n: int, path: Path, seed: int = 11) -> Path:
    rng = np.random.default_rng(seed)
    ids = np.char.add("R", np.arange(1, n + 1).astype(str))
    due = pd.Timestamp("2025-06-30") + pd.to_timedelta(rng.integers(0, 400, n), unit="D")
    pd.DataFrame({
        "risk_id": ids, "description": np.char.add("Synthetic risk ", ids),
        "category": CATEGORIES[rng.integers(0, 5, n)], "owner": np.char.add("Owner ", (np.arange(n) % 40).astype(str)),
        "group": np.char.add("Programme ", (np.arange(n) % 25).astype(str)),
        "inherent_likelihood": rng.integers(1, 6, n), "inherent_impact": rng.integers(1, 6, n),
        "controls": "Standard controls", "control_effectiveness": CONTROLS[rng.integers(0, 5, n)],
        "response": "Treat", "treatment_owner": "Risk officer", "actions": "Review controls",
        "due_date": due.strftime("%Y-%m-%d"), "review_date": due.strftime("%Y-%m-%d"), "progress": "In progress",
    }).to_csv(path, index=False)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    ap.add_argument("--timeout", type=int, default=1800, help="seconds allowed per run")
    args = arguments(ap, smoke={"sizes": [50]})
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        failed = []
        for n in args.sizes:
            register(n, folder / f"register-{n}.csv")
            params = folder / f"synthetic-{n}.yaml"
            params.write_text(f"organisation: Synthetic {n}\nperiod: P1\nas_of: 2025-11-30\n"
                              f"methodology: western-cape-5x5\nregister: register-{n}.csv\nappetite: Low\n")
            start = time.perf_counter()
            result = subprocess.run([str(BIN / "workbook"), "run", "risk-evaluation", "--params", str(params),
                                     "--out", str(folder / "out"), "--timeout", str(args.timeout)],
                                    cwd=ROOT, capture_output=True, text=True)
            elapsed = time.perf_counter() - start
            report = folder / "out" / f"Synthetic-{n}" / "P1"
            missing = [f"risk-evaluation.{ext}" for ext in ("html", "ipynb", "xlsx", "json")
                       if not (report / f"risk-evaluation.{ext}").is_file()]
            if result.returncode != 0 or missing:
                print(f"{n:>7,} risks: run failed after {elapsed:.0f} s (status {result.returncode}, missing "
                      f"{', '.join(missing) or 'nothing'}): {result.stderr[-800:]}")
                failed.append(n)
                continue
            sizes = {ext: (report / f"risk-evaluation.{ext}").stat().st_size / 1e6 for ext in ("html", "ipynb")}
            print(f"{n:>7,} risks: HTML {sizes['html']:.2f} MB, notebook {sizes['ipynb']:.2f} MB, "
                  f"workbook run {elapsed:.1f} s")
    check(not failed, f"the run failed for {', '.join(f'{n:,}' for n in failed)} risks")


if __name__ == "__main__":
    main()
