"""A risk-intelligent register's whole run: ``workbook run risk-evaluation`` on one register with money ranges,
quantified (maturity status risk intelligent: the Monte Carlo before and after controls, its report section, JSON
and Excel sheets) against the same run without the simulation (maturity status integrated), alternately, in one run.

    .venv/bin/python bench/quantified_run.py [--risks 100] [--repeat 5] [--smoke]

Target: the quantified run takes no more than 1.1x the run without it (issue 26), in wall time (medians). The CPU
time of each run (the command and its kernel, user + system) is shown beside it: on a machine shared with other
work it moves less than the wall time. Each run must write its three outputs, and only the quantified one a
``quantification``. ``--smoke``: 20 risks, one repeat, no target checked.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BIN, arguments, check, machine, wall  # noqa: E402

CATEGORIES = ["Financial", "Compliance", "Operational", "Strategic", "Reputational"]


def register(n: int, path: Path, seed: int = 11) -> Path:
    """n risks rated 5 x 5 with a chance a year and a money range, before and after controls."""
    rng = np.random.default_rng(seed)
    lines = ["Risk ID,Risk description,Risk category,Likelihood,Impact,Annual probability,Impact low,Impact high,"
             "Control effectiveness,Residual likelihood,Residual impact,Residual annual probability,"
             "Residual impact low,Residual impact high"]
    for k in range(n):
        low = int(rng.integers(10, 500)) * 1000
        high = low * int(rng.integers(3, 20))
        p = int(rng.integers(2, 60))
        lines.append(f"R-{k + 1:03d},Risk number {k + 1},{CATEGORIES[k % 5]},{rng.integers(1, 6)},"
                     f"{rng.integers(1, 6)},{p}%,ZAR {low},ZAR {high},Partially effective,{rng.integers(1, 5)},"
                     f"{rng.integers(1, 5)},{max(1, p // 2)}%,ZAR {low // 2},ZAR {high // 2}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def params(folder: Path, status: str, register_file: Path) -> Path:
    path = folder / f"{status.replace(' ', '-')}.yaml"
    path.write_text(f"organisation: Bench District\nperiod: 2025-26\nas_of: 2025-11-30\n"
                    f"methodology: western-cape-5x5\nmaturity_status: {status}\nregister: {register_file}\n"
                    f"tolerable_loss: 5000000\n", encoding="utf-8")
    return path


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run_once(params_file: Path, out: Path, quantified: bool) -> tuple[float, float]:
    """Wall and CPU seconds of one run (the CPU of the command and the kernel it started and waited for)."""
    cpu = children_cpu()
    seconds = wall([str(BIN / "workbook"), "run", "risk-evaluation", "--params", str(params_file), "--out", str(out)])
    cpu = children_cpu() - cpu
    summary = next(out.rglob("risk-evaluation.json"))
    check(len(list(summary.parent.glob("risk-evaluation.*"))) >= 3, f"{params_file.name}: an output is missing")
    has = json.loads(summary.read_text(encoding="utf-8")).get("quantification") is not None
    check(has == quantified, f"{params_file.name}: quantification {'missing' if quantified else 'present'}")
    return seconds, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--risks", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    args = arguments(ap, {"risks": 20, "repeat": 1})
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        reg = register(args.risks, folder / "register.csv")
        files = {True: params(folder, "risk intelligent", reg), False: params(folder, "integrated", reg)}
        times: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        for k in range(args.repeat):  # alternately, so both meet the same machine
            for quantified in (False, True):
                times[quantified].append(run_once(files[quantified], folder / f"out-{k}-{quantified}", quantified))
    (plain, plain_cpu), (with_q, with_q_cpu) = (
        (statistics.median(t for t, _ in times[q]), statistics.median(c for _, c in times[q])) for q in (False, True))
    ratio = with_q / plain
    print(f"{args.risks} risks, {args.repeat} runs each (median): without quantification {plain:.2f} s "
          f"({plain_cpu:.2f} CPU-s), quantified {with_q:.2f} s ({with_q_cpu:.2f} CPU-s), ratio {ratio:.2f}x "
          f"(CPU {with_q_cpu / plain_cpu:.2f}x; target <= 1.1x)")
    if not args.smoke:
        check(ratio <= 1.1, f"the quantified run takes {ratio:.2f}x the run without it (target 1.1x)")


if __name__ == "__main__":
    main()
