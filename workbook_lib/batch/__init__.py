"""Running assessments: one (``workbook run``) or many at once (``workbook batch``).

- ``execute``: one run. ``execute()`` validates the inputs, runs the notebook with papermill in a staging
  folder, appends the provenance, converts to HTML (and PDF on request) and moves the outputs into
  ``OUT/<organisation>/<period>/`` only when all exist; it raises ``RunFailed`` otherwise.
- ``pdf``: a report as PDF through Debian's Chromium.
- ``pool``: the jobs parameters files make; ``run_job`` wraps ``execute()`` for a worker (never raises, one
  retry for a kernel that died) and ``run_batch`` fans the jobs out over a process pool or a Dask cluster.
- ``index``: ``write_index`` writes ``OUT/index.html`` from the runs' JSON, each assessment giving its key
  figures through the registry.

The batch finds assessments only through ``workbook_lib.assessments`` (the registry), never by importing one.
Note: ``workbook_lib.batch.execute`` is the function; import the module's other names from it directly
(``from workbook_lib.batch.execute import ...``).
"""

from workbook_lib.batch.errors import RunFailed
from workbook_lib.batch.execute import (
    DEFAULT_TIMEOUT,
    OUTPUTS,
    EarlyKernel,
    Outcome,
    execute,
    injected_parameters,
    safe_target,
)
from workbook_lib.batch.index import key_figures, write_index
from workbook_lib.batch.pdf import chromium_path, notebook_to_pdf
from workbook_lib.batch.pool import Job, RunResult, make_jobs, parameter_files, run_batch, run_job

__all__ = [
    "DEFAULT_TIMEOUT",
    "OUTPUTS",
    "EarlyKernel",
    "Job",
    "Outcome",
    "RunFailed",
    "RunResult",
    "chromium_path",
    "execute",
    "injected_parameters",
    "key_figures",
    "make_jobs",
    "notebook_to_pdf",
    "parameter_files",
    "run_batch",
    "run_job",
    "safe_target",
    "write_index",
]
