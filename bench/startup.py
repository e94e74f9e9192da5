"""``workbook run`` of each assessment against a bare papermill run of a one-cell notebook that imports
the same libraries (kernel start and imports: the floor any notebook run pays).

    .venv/bin/python bench/startup.py [--repeat 2] [--code DIR] [--assessments NAME ...] [--smoke]

Target: at most 1.3x. ``--code DIR`` runs the workbook_lib in DIR instead (e.g. an export of an older
commit: ``git archive HEAD | tar -x -C /tmp/head``) to measure before and after a change. ``--assessments``
measures only those (default: every assessment the registry knows, so a new one is measured too). Every run
must succeed and leave its executed notebook (else status 1). ``--smoke``: the risk evaluation only, one repeat.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BIN, ROOT, arguments, check, machine, wall  # noqa: E402

PARAMS = "parameters/karoo-vale-2025-26.yaml"
LAZY = ["import altair", "import vl_convert"]  # what the chart modules import on first use
IMPORT = re.compile(r"^(from \S+ import .+|import .+)$")


def notebooks(code: Path) -> dict[str, Path]:
    """Every assessment the registry of ``code`` knows, with its notebook (so a new one is measured too)."""
    listing = subprocess.run(
        [str(BIN / "python"), "-c", "import json; from workbook_lib.assessments import registry; "
                                    "print(json.dumps({n: str(s.path) for n, s in registry().items()}))"],
        cwd=code, env={**os.environ, "PYTHONPATH": str(code)}, capture_output=True, text=True, check=True)
    return {name: Path(path) for name, path in json.loads(listing.stdout).items()}


def one_cell(notebook: Path, folder: Path) -> Path:
    """A notebook with one cell: the assessment notebook's top-level imports, and the charts' lazy ones."""
    cells = nbformat.read(notebook, as_version=4).cells
    source = "\n".join(c.source for c in cells if c.cell_type == "code")
    lines = [line.split("  #")[0] for line in source.splitlines() if IMPORT.match(line)]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("\n".join(dict.fromkeys(lines + LAZY)))]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / f"{notebook.stem}-imports.ipynb"
    nbformat.write(nb, path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--code", type=Path, default=None, help="folder whose workbook_lib to run")
    ap.add_argument("--assessments", nargs="+", default=None, help="default: every assessment registered")
    args = arguments(ap, smoke={"repeat": 1, "assessments": ["risk-evaluation"]})
    code = (args.code or ROOT).resolve()
    known = notebooks(code)
    unknown = sorted(set(args.assessments or []) - set(known))
    check(not unknown, f"unknown assessment(s): {', '.join(unknown)}; registered: {', '.join(known)}")
    env = {"PYTHONPATH": str(code)} if args.code else {}
    print(machine())
    print(f"code: {code}")
    print(f"{'assessment':20} {'workbook run s':>15} {'papermill s':>12} {'ratio':>6}  (in the kernel s)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for assessment in args.assessments or list(known):
            cell = one_cell(known[assessment], folder)
            runs, bare = [], []
            for i in range(args.repeat):
                out = folder / f"out-{assessment}-{i}"
                runs.append(wall([str(BIN / "python"), "-c", "from workbook_lib.cli import app; app()", "run",
                                  assessment, "--params", str(code / PARAMS), "--out", str(out)], cwd=code, env=env))
                bare.append(wall([str(BIN / "papermill"), str(cell), str(folder / "bare.ipynb"), "-k", "python3",
                                  "--no-progress-bar"], cwd=code / "notebooks", env=env))
            executed = next(out.glob(f"*/*/{assessment}.ipynb"), None)
            check(executed is not None, f"workbook run {assessment} left no executed notebook in {out}")
            kernel = json.loads(executed.read_text())["metadata"]["papermill"]["duration"]
            ratio = min(runs) / min(bare)
            print(f"{assessment:20} {min(runs):>15.2f} {min(bare):>12.2f} {ratio:>5.2f}x  ({kernel:.2f})")


if __name__ == "__main__":
    main()
