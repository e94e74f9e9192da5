"""Reading a register: what understanding a real register's layout costs on top of reading the file.

    .venv/bin/python bench/register_read.py [--rows 100000] [--smoke]

Two files of the same risks and columns, in one run: one with the canonical headings, level numbers and ISO
dates, one as found
in the wild (a title row, "Likelihood (1-5)"-style headings, percentages, a status column under a heading the
suite does not know, a column without a heading, its own score, due dates as a month and year, a totals row,
numbered empty rows and a footer). For each: the bare read of the rows (``read_rows``, the floor), the reading
into canonical columns (``read_register``: headings, rating styles, skipped rows) and the whole load with validation
(``load_register``). Target on 2 cores: a messy register loads within 1.5x the time of a canonical one, and
100k rows in under 10 s. Both files must load as every risk they hold (else status 1). ``--smoke``: 50 rows.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import arguments, best_of, check, machine  # noqa: E402

from workbook_lib.assessments.risk.methodology import load_methodology  # noqa: E402
from workbook_lib.assessments.risk.register import load_register, read_register  # noqa: E402
from workbook_lib.core.tables import read_rows  # noqa: E402

PERCENT = np.array(["0.5%", "5%", "30%", "70%", "100%"], dtype=object)  # one per western-cape likelihood level
STATUS = np.array(["Open", "Open", "Open", "Closed", "Opportunity"], dtype=object)  # under an unknown heading
CATEGORY = np.array(["Finance", "People", "Legal"], dtype=object)  # in a column without a heading
MONTHS = np.array([f"{m} 2026" for m in ("January", "February", "March", "April", "May", "June", "July", "August",
                                         "September", "October", "November", "December")], dtype=object)
DUE = np.array([f"2026-{m:02d}-{d}" for m, d in zip(range(1, 13), (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31),
                                                     strict=True)], dtype=object)


def write(folder: Path, n: int, messy: bool) -> Path:
    rng = np.random.default_rng(3)
    lk, im = rng.integers(1, 6, n), rng.integers(1, 6, n)
    path = folder / ("messy.csv" if messy else "canonical.csv")
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        if messy:  # every style the reader understands by itself (issue 24), at scale
            out.writerow(["Corporate risk register", "", "", "", "", "", "", ""])
            out.writerow(["", "Risk No", "Risk Statement", "Probability %", "Impact (1-5)", "Current_Status",
                          "Risk Score", "Due"])
            out.writerows([CATEGORY[i % 3], f"R{i}", f"Risk statement number {i}", PERCENT[lk[i] - 1], im[i],
                           STATUS[i % 5], lk[i] * im[i], MONTHS[i % 12]] for i in range(n))
            out.writerow(["", "", "Total", "", "", "", int((lk * im).sum()), ""])
            out.writerows([[str(n + k)] + [""] * 7 for k in range(3)])  # numbered rows with nothing in them
            out.writerow(["© Example Council", "", "", "", "", "", "", ""])
        else:  # the same risks and columns, in the suite's own headings and words
            out.writerow(["category", "risk_id", "description", "inherent_likelihood", "inherent_impact", "status",
                          "stated_inherent_score", "due_date"])
            out.writerows([CATEGORY[i % 3], f"R{i}", f"Risk statement number {i}", lk[i], im[i],
                           STATUS[i % 5].lower(), lk[i] * im[i], DUE[i % 12]] for i in range(n))
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    args = arguments(ap, smoke={"rows": 50})
    print(machine())
    m = load_methodology("western-cape-5x5").methodology
    with tempfile.TemporaryDirectory() as tmp:
        totals = {}
        print(f"{'register':>10} {'rows':>8} {'read rows s':>12} {'read register s':>16} {'load s':>8}")
        for messy in (False, True):
            path = write(Path(tmp), args.rows, messy)
            bare = best_of(lambda p=path: read_rows(p), 2)
            reading = best_of(lambda p=path: read_register(p, m), 2)
            total = best_of(lambda p=path: load_register(p, m), 2)
            loaded = len(load_register(path, m).frame)
            check(loaded == args.rows, f"{path.name}: {loaded} risks loaded, {args.rows} written")
            totals[messy] = total
            print(f"{'messy' if messy else 'canonical':>10} {args.rows:>8,} {bare:>12.2f} {reading:>16.2f} "
                  f"{total:>8.2f}")
        print(f"messy / canonical load: {totals[True] / totals[False]:.2f}x")


if __name__ == "__main__":
    main()
