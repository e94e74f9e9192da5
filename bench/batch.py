"""``workbook batch`` of N organisations x every assessment against a sequential loop of the papermill CLI.

    .venv/bin/python bench/batch.py [--orgs 30] [--jobs N] [--assessments NAME ...] [--smoke]

Target on 2 cores: at least 1.8x. Each organisation is the Karoo Vale example under another name. The
papermill loop gets one parameters file per organisation and assessment (papermill passes every key to
the notebook, so a shared file would not do) and writes the notebook, JSON and Excel; the batch also
writes the HTML report, the provenance and the index, so it does more work. ``--assessments`` runs only
those (default: every assessment the example provides). Both sides must write every run's executed notebook
(else status 1). ``--smoke``: one organisation, the risk evaluation only, one job.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BIN, ROOT, arguments, check, machine, wall  # noqa: E402

from workbook_lib.assessments import assessments_for, get, shared_fields  # noqa: E402
from workbook_lib.batch.execute import injected_parameters  # noqa: E402
from workbook_lib.core import params as wb_params  # noqa: E402

EXAMPLE = ROOT / "parameters" / "karoo-vale-2025-26.yaml"


def organisations(n: int, folder: Path, assessments: list[str] | None = None) -> list[Path]:
    """N parameters files: the example with another organisation name and absolute input paths (and, given
    ``assessments``, listing those to run)."""
    data = wb_params.read_file(EXAMPLE)
    if assessments:
        data = dict(data, assessments=list(assessments))
    files = []
    for i in range(1, n + 1):
        copy = dict(data, organisation=f"Municipality {i:02d}", parameters_dir=str(EXAMPLE.parent))
        path = folder / f"municipality-{i:02d}.yaml"
        path.write_text(yaml.safe_dump(copy, sort_keys=False))
        files.append(path)
    return files


def papermill_loop(files: list[Path], folder: Path) -> float:
    start = time.perf_counter()
    for f in files:
        for name in assessments_for(wb_params.read_file(f)):
            spec = get(name)
            p = wb_params.load_file(f, spec.params, shared_fields())
            out = folder / f.stem
            out.mkdir(parents=True, exist_ok=True)
            own = folder / f"{f.stem}-{name}.yaml"
            own.write_text(yaml.safe_dump(injected_parameters(spec, p, out)))
            wall([str(BIN / "papermill"), str(spec.path), str(out / f"{name}.ipynb"), "-f", str(own), "-k", "python3",
                  "--cwd", str(spec.path.parent), "--no-progress-bar"])
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orgs", type=int, default=30)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--assessments", nargs="+", default=None, help="run only these (default: all the example runs)")
    args = arguments(ap, smoke={"orgs": 1, "jobs": 1, "assessments": ["risk-evaluation"]})
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "params").mkdir()
        files = organisations(args.orgs, folder / "params", args.assessments)
        runs = sum(len(assessments_for(wb_params.read_file(f))) for f in files)
        batch = wall([str(BIN / "workbook"), "batch", str(folder / "params"), "--out", str(folder / "batch"),
                      "--jobs", str(args.jobs)])
        loop = papermill_loop(files, folder / "loop")
        for side in ("batch", "loop"):
            written = len(list((folder / side).rglob("*.ipynb")))
            check(written == runs, f"{side}: {written} executed notebooks for {runs} runs")
    print(f"{args.orgs} organisations, {runs} runs: papermill loop {loop:.1f} s, workbook batch --jobs {args.jobs} "
          f"{batch:.1f} s: {loop / batch:.2f}x")


if __name__ == "__main__":
    main()
