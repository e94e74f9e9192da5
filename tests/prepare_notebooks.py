"""Prepare one notebook per (assessment notebook, shipped parameters file) for nbval.

papermill injects each shipped parameters file without executing (prepare_only); the cell marked
NBVAL_CHECK_OUTPUT then gets the expected key figures from tests/expected/<params>.txt as its stored
output, so ``pytest --nbval-lax build/nbval`` runs every notebook on every shipped parameters file and
checks the figures a committee reads first.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat
import papermill as pm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbook_lib.assessments import assessments_for, get, shared_fields  # noqa: E402
from workbook_lib.core import params as wb_params  # noqa: E402

EXPECTED = ROOT / "tests" / "expected"


def prepare(out: Path) -> list[Path]:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    made = []
    for params_file in sorted((ROOT / "parameters").glob("*.yaml")):
        for name in assessments_for(wb_params.read_file(params_file)):
            spec = get(name)
            p = wb_params.load_file(params_file, spec.params, shared_fields())
            injected = p.model_dump(mode="json", by_alias=True)  # None too: the file is the whole truth
            target = out / f"{name}--{params_file.stem}.ipynb"
            pm.execute_notebook(str(spec.path), str(target), parameters=injected, prepare_only=True,
                                kernel_name="python3", progress_bar=False)
            expected = EXPECTED / f"{name}--{params_file.stem}.txt"
            if not expected.is_file():
                raise SystemExit(f"missing expected key figures: {expected}")
            nb = nbformat.read(target, as_version=4)
            checked = [c for c in nb.cells if c.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in c.source]
            if len(checked) != 1:
                raise SystemExit(f"{spec.path}: expected exactly one NBVAL_CHECK_OUTPUT cell")
            checked[0].execution_count = 1  # nbval compares only cells marked as run
            checked[0].outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                         text=expected.read_text(encoding="utf-8"))]
            nbformat.write(nb, target)
            made.append(target)
    return made


if __name__ == "__main__":
    for path in prepare(Path(sys.argv[1] if len(sys.argv) > 1 else "build/nbval")):
        print(f"prepared {path}")
