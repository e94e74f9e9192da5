"""``workbook run`` of each assessment against a bare papermill run of a one-cell notebook that imports
the same libraries (kernel start and imports: the floor any notebook run pays).

    .venv/bin/python bench/startup.py [--repeat 2] [--code DIR] [--assessments NAME ...] [--smoke]

Target: at most 1.5x. ``--code DIR`` runs the workbook_lib in DIR instead (e.g. an export of an older
commit: ``git archive HEAD | tar -x -C /tmp/head``) to measure before and after a change. ``--assessments``
measures only those (default: all five). Every run must succeed and leave its executed notebook (else
status 1). ``--smoke``: the risk evaluation only, one repeat.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BIN, ROOT, arguments, check, machine, wall  # noqa: E402

PARAMS = "parameters/karoo-vale-2025-26.yaml"
NOTEBOOKS = {"risk-evaluation": "risk_evaluation", "coso-assessment": "coso_assessment",
             "maturity-scoring": "maturity_scoring", "combined-assurance": "combined_assurance",
             "risk-monitoring": "risk_monitoring"}
LAZY = ["import altair", "import vl_convert"]  # what the chart modules import on first use
IMPORT = re.compile(r"^(from \S+ import .+|import .+)$")


def one_cell(notebook: str, folder: Path, code: Path = ROOT) -> Path:
    """A notebook with one cell: the assessment notebook's top-level imports, and the charts' lazy ones."""
    source = (code / "notebooks" / f"{notebook}.py").read_text()
    lines = [line.split("  #")[0] for line in source.splitlines() if IMPORT.match(line)]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("\n".join(dict.fromkeys(lines + LAZY)))]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / f"{notebook}-imports.ipynb"
    nbformat.write(nb, path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--code", type=Path, default=None, help="folder whose workbook_lib to run")
    ap.add_argument("--assessments", nargs="+", choices=list(NOTEBOOKS), default=list(NOTEBOOKS))
    args = arguments(ap, smoke={"repeat": 1, "assessments": ["risk-evaluation"]})
    code = (args.code or ROOT).resolve()
    env = {"PYTHONPATH": str(code)} if args.code else {}
    print(machine())
    print(f"code: {code}")
    print(f"{'assessment':20} {'workbook run s':>15} {'papermill s':>12} {'ratio':>6}  (in the kernel s)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for assessment in args.assessments:
            notebook = NOTEBOOKS[assessment]
            cell = one_cell(notebook, folder, code)
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
