"""Serving the assessment forms with Voilà (``workbook app``): the command line, its environment, and the
start that hands this process over to Voilà.

bench/voila.py and tests/test_app_server.py build the same command line with ``voila_command``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

from workbook_lib.core.forms import USER_HEADERS
from workbook_lib.core.leftovers import remove_stale, tagged
from workbook_lib.core.paths import NOTEBOOKS
from workbook_lib.core.store import Store

TEMPLATE_ROOT = Path(__file__).parent / "share"  # share/voila/templates/workbook: the forms' page template
UNUSED_LAB_EXTENSIONS = ("jupyterlab-jupytext", "jupyterlab_pygments")  # code is never shown in a form
VOILA_SERVER = "workbook_lib.app.voila_server"


def voila_command(port: int, host: str = "127.0.0.1", token: str | None = None, preheat: bool = False,
                  open_browser: bool = False, folder: Path | None = None) -> list[str]:
    """The Voilà command line serving the notebooks (or another ``folder``: bench/voila.py's floor) as
    stakeholder forms."""
    idle = int(os.environ.get("WORKBOOK_KERNEL_IDLE_S", "60"))  # seconds before a page-less kernel goes
    # Voilà with 404 for the paths it would answer 500, and its files in one folder it removes (app/voila_server.py)
    command = [sys.executable, "-m", VOILA_SERVER, str(folder or served_folder()), f"--port={port}",
               f"--Voila.ip={host}",
               # Voilà's lab template without its CDN stylesheets (found through voila_environment)
               "--template=workbook", "--strip_sources=True", "--show_tracebacks=False",
               # lab extensions a form page never uses: less JavaScript to load before the form shows
               *[f"--VoilaConfiguration.extension_denylist={name}" for name in UNUSED_LAB_EXTENSIONS],
               # only images and styles are served as files: never a notebook's .py pair or a store
               "--VoilaConfiguration.file_allowlist=.*\\.(png|svg|css)$",
               # at most WORKBOOK_MAX_KERNELS live kernels: past it a page is answered 503 (app/kernel_cap.py)
               "--VoilaConfiguration.multi_kernel_manager_class=workbook_lib.app.kernel_cap.CappedKernelManager",
               # Voilà cannot always shut a kernel down when its page closes (voila#1458): a kernel with no page
               # connected is culled after an idle minute (one with its page open, or preheated, is never culled)
               f"--MappingKernelManager.cull_idle_timeout={idle}",
               f"--MappingKernelManager.cull_interval={max(1, idle // 4)}",
               "--MappingKernelManager.cull_connected=False",
               # a cell's output may reach Voilà well after the cell ends on a busy machine: wait for it up to a
               # minute, not nbclient's 4 s, after which the output (the form) would be left out of the page
               f"--VoilaExecutor.iopub_timeout={int(os.environ.get('WORKBOOK_IOPUB_TIMEOUT_S', '60'))}"]
    command += [f"--VoilaConfiguration.http_header_envs={h}" for h in USER_HEADERS]
    if token:
        command.append(f"--token={token}")
    if preheat:
        # refill the pool 20 s after a kernel is handed out, not while that page is still loading (bench/voila.py)
        command += ["--preheat_kernel=True", "--pool_size=1", "--VoilaKernelManager.fill_delay=20",
                    # the settings page is opened rarely: no kernel kept waiting for it
                    "--VoilaKernelManager.preheat_denylist=settings.ipynb"]
    if not open_browser:
        command.append("--no-browser")
    return command


APP_FOLDER = "workbook-app"  # <tmp>/workbook-app-<pid>-<host>-...: the notebooks this app serves, its own copies


def served_folder(tmp: Path | None = None) -> Path:
    """The folder Voilà serves: this process's own copies of the project's ``notebooks/`` and of the notebooks kept
    in an assessment's or a spanning package's own folder (the Decisions page), by the names the landing page uses
    (refused if two share a name). Copies, never links: an analyst's edit saved in JupyterLab cannot change a live
    form. One folder per process (two apps on one host never share or remove each other's); the folders of
    processes gone are removed at the next start (``core.leftovers``)."""
    from workbook_lib.assessments import pages, registry  # lazy: every assessment (pandas, pydantic)

    served = {path.name: path for path in sorted(NOTEBOOKS.glob("*.ipynb"))}
    outside = {a.page: a.path for a in registry().values() if a.path.parent.resolve() != NOTEBOOKS.resolve()}
    outside.update({p["page"]: p["notebook"] for p in pages()})  # the Decisions page, kept in its package
    for page, path in outside.items():
        if page in served and served[page].resolve() != Path(path).resolve():
            raise RuntimeError(f"two notebooks are served as {page}: rename one ({path})")
        served[page] = Path(path)
    tmp = Path(tmp or tempfile.gettempdir())
    remove_stale(tmp, APP_FOLDER)
    folder = Path(tempfile.mkdtemp(prefix=tagged(APP_FOLDER), dir=tmp))  # 0700, this process's own
    for page, path in served.items():
        shutil.copyfile(path, folder / page)
    return folder


def voila_environment(base: dict[str, str]) -> dict[str, str]:
    """The environment Voilà runs in: app mode for every kernel, and our page template on Jupyter's path."""
    path = os.pathsep.join(p for p in (str(TEMPLATE_ROOT), base.get("JUPYTER_PATH", "")) if p)
    return {**base, "WORKBOOK_APP": "1", "JUPYTER_PATH": path}


def prepare_store() -> str:
    """Create or upgrade the store (WORKBOOK_DB) once, before any kernel starts; where it is.

    Raises StoreError when it cannot be opened."""
    with Store() as store:
        return store.describe()


def landing_url(port: int, host: str = "127.0.0.1", token: str | None = None) -> str:
    return f"http://{host}:{port}/voila/render/index.ipynb" + (f"?token={token}" if token else "")


def exec_voila(port: int, host: str = "127.0.0.1", token: str | None = None, preheat: bool = False,
               open_browser: bool = False) -> NoReturn:
    """Replace this process with Voilà: a signal sent to `workbook app` (Ctrl-C, a service manager) reaches it."""
    env = voila_environment(dict(os.environ))
    command = voila_command(port, host, token, preheat, open_browser)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], command, env)
