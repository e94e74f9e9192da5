"""The kernel a single run (``workbook run``) starts before anything else, so that its start-up (a new Python
process importing ipykernel) overlaps the parent's imports and input checks. Cheap to import on purpose."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import zmq
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir
from jupyter_core.utils import ensure_dir_exists, run_sync
from traitlets import default

from workbook_lib.core.leftovers import remove_stale, tagged
from workbook_lib.core.paths import NOTEBOOKS

KERNEL = "python3"
# jsonschema imports rfc3987_syntax when it is installed, and that compiles a grammar at import (1.2-1.6 s)
# for the "iri" formats, which no schema used here (nbformat, altair) has: skip it in the kernel (this
# process skips it in workbook_lib/__init__.py).
SKIP_SLOW_IMPORTS = "__import__('sys').modules.setdefault('rfc3987_syntax', None)"
KERNEL_ARGS = [f"--IPKernelApp.exec_lines={SKIP_SLOW_IMPORTS}"]


CONNECTION_FILE = "kernel-workbook"  # <runtime dir>/kernel-workbook-<pid>-<host>-<random>.json


class KernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager, its connection file named after this process in Jupyter's runtime folder
    (``jupyter --runtime-dir``; by default a nameless temporary file): removed when the kernel shuts down, as before,
    and, when this process was killed outright, by the next one that starts a kernel (core/leftovers.py). Used for
    the early kernel and, through papermill, for a batch run's kernel."""

    @default("transport_encryption")
    def _transport_encryption_default(self) -> str:
        # CurveZMQ keys when the kernel says it takes them (ipykernel 7 does): its messages are not plain text on
        # loopback, and it does not warn so on stderr, over the one line a failed `workbook run` prints
        return "auto" if zmq.has("curve") else "disabled"

    @default("connection_file")
    def _connection_file_default(self) -> str:
        runtime = Path(jupyter_runtime_dir())
        try:
            ensure_dir_exists(runtime, 0o700)
        except OSError:  # a home that cannot be written: the temporary folder, as jupyter_client does
            runtime = Path(tempfile.gettempdir())
        remove_stale(runtime, CONNECTION_FILE)
        return str(runtime / f"{tagged(CONNECTION_FILE)}{uuid.uuid4().hex[:12]}.json")


class EarlyKernel:
    """A kernel started before the inputs are checked, so that its start-up (a new Python process importing
    ipykernel) overlaps the checks; handed to papermill, and always shut down by this process."""

    def __init__(self, cwd: Path, assessment: str | None = None):
        self.km = KernelManager(kernel_name=KERNEL)
        # the same thread's event loop that papermill (nbclient) uses later through run_sync
        run_sync(self.km.start_kernel)(cwd=str(cwd), extra_arguments=KERNEL_ARGS + warm_up(assessment))

    def shutdown(self) -> None:
        try:
            if self.km.has_kernel:
                run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:  # already dead: nothing left to stop
            pass


def warm_up(assessment: str | None) -> list[str]:
    """What the kernel does while this process reads the parameters: start the chart renderer on its own thread (its
    first chart, core.charts.warm_renderer) and import the assessment the notebook will run (and the libraries it
    needs), the work its first cells would otherwise wait for. A failure here is only a warning in the kernel's log;
    the notebook then imports as usual."""
    if assessment is None:
        return []
    # the renderer first: it starts on its own thread while this thread imports the assessment
    lines = ("__import__('workbook_lib.core.charts').core.charts.warm_renderer_ahead()",
             f"__import__('workbook_lib.assessments').assessments.get({assessment!r})")
    return [f"--IPKernelApp.exec_lines={line}" for line in lines]


def start_kernel_early(cwd: Path = NOTEBOOKS, assessment: str | None = None) -> EarlyKernel | None:
    """Start a kernel in the notebooks' folder now (warmed for ``assessment``); None when that fails (papermill
    then starts its own, and reports the failure the usual way)."""
    try:
        return EarlyKernel(cwd, assessment)
    except Exception:
        return None
