"""Running assessments: one (``workbook run``) or many at once (``workbook batch``).

- ``kernel``: the kernel a single run starts first (cheap to import, so it boots while the rest loads).
- ``execute``: one run. ``execute()`` validates the inputs, runs the notebook with papermill in a staging
  folder, appends the provenance, converts to HTML (and PDF on request) and moves the outputs into
  ``OUT/<organisation>/<period>/`` only when all exist; it raises ``RunFailed`` otherwise.
- ``pdf``: a report as PDF through Debian's Chromium.
- ``pool``: the jobs parameters files make; ``run_job`` wraps ``execute()`` for a worker (never raises, one
  retry for a kernel that died) and ``run_batch`` fans the jobs out over a process pool or a Dask cluster.
- ``index``: ``write_index`` writes ``OUT/index.html`` from the runs' JSON, each assessment giving its key
  figures through the registry.

The batch finds assessments only through ``workbook_lib.assessments`` (the registry), never by importing one.
Import from the modules (``from workbook_lib.batch.execute import execute``): this package imports none of
them, so that importing ``workbook_lib.batch.early_kernel`` stays cheap.
"""
