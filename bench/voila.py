"""Voilà: time until the first form widget (the risk form's Save button) is interactive in Chromium,
cold and with a preheated kernel, against Voilà's own floor measured in the same run.

    .venv/bin/python bench/voila.py [--warm 5] [--loads 3] [--cold-loads 2] [--cached-loads 2] [--smoke]

Target: preheated under 1 s. Serves ``workbook app`` on a free loopback port with a throw-away store
holding the shipped Karoo Vale register (the page's default organisation, so the report and its charts
render), and drives Debian's Chromium with Playwright (no browser download). "Cold": a kernel is started
for the page. "Preheated": ``workbook app --preheat``, measured once the server's log says the page's next
preheated kernel has built its page and waits for its request (the line ``serve`` prints), then --warm more
seconds for the machine to settle (up to ``READY_S`` for the pool to fill; past it the run ends with the log).
Each preheated load is a first visit (a new browser context, empty cache).

"Floor": the same Voilà command line (template, flags, preheated) serving a notebook that shows one button
and nothing else: what Voilà's front end costs on this machine before any form exists. The ratio
risk form / floor says how much the form itself adds.

For every load it prints where the time went: when the page had arrived (server done), when the DOM was
parsed, when the kernel's websocket opened (Voilà's front end started), and when the button was interactive.
A page that answers with an error, or whose button is not interactive within 180 s, ends the run with status 1.
``--smoke``: one load of each kind (cold, preheated, returning visitor, floor), no --warm wait once the pool is
ready. A failed run prints the end of each server's log.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, arguments, check, chromium, free_port, machine, wait_until_serving  # noqa: E402

PAGE = "/voila/render/risk_evaluation.ipynb"
FLOOR_PAGE = "/voila/render/floor.ipynb"
WIDGET = ".wb-risk-form .wb-save"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
FLOOR_SOURCE = """import ipywidgets as w
save = w.Button(description="Save risk")
save.add_class("wb-save")
form = w.VBox([save])
form.add_class("wb-risk-form")
form"""
FLOOR_WAIT = """import os, sys
if os.environ.get("VOILA_PREHEAT") == "True" and "SERVER_SOFTWARE" not in os.environ:
    from voila.utils import wait_for_request
    print("[workbook] preheated floor ready, waiting for its page request", file=sys.__stderr__, flush=True)
    wait_for_request()"""


def seeded_store(folder: Path) -> Path:
    """A store holding the shipped Karoo Vale register, the form's default organisation and period: the page
    then shows what a returning risk owner sees (the register listed, the report with its charts)."""
    db = folder / "bench-store.db"
    if not db.exists():
        subprocess.run([sys.executable, "-m", "workbook_lib.cli", "store", "import",
                        str(ROOT / "parameters" / "registers" / "karoo_vale_municipality_2025.csv"),
                        "-a", "risk-evaluation", "-m", "western-cape-5x5",
                        "--organisation", "Karoo Vale Local Municipality", "--period", "2025-26",
                        "--who", "Bench", "--store", str(db)], cwd=ROOT, check=True, capture_output=True)
    return db


def floor_notebooks(folder: Path) -> Path:
    """A folder with one notebook: a button in a box carrying the risk form's classes, and a preheated
    kernel's wait for its request."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(FLOOR_SOURCE), nbformat.v4.new_code_cell(FLOOR_WAIT)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    where = folder / "floor"
    where.mkdir(exist_ok=True)
    nbformat.write(nb, where / "floor.ipynb")
    return where


READY = {PAGE: "RiskRegisterForm", FLOOR_PAGE: "floor"}  # what a page's preheated kernel prints when ready
READY_S = 300  # the longest a preheated pool may take to fill (seven notebooks' kernels start at once)
STARTED: list[App] = []  # every server this run started, for their logs when a load fails


class App:
    """``workbook app`` (or, for the floor, Voilà with workbook app's command line) on a free port."""

    def __init__(self, preheat: bool, folder: Path, notebooks: Path | None = None):
        from workbook_lib.app.serve import voila_command, voila_environment

        self.port = free_port()
        env = {**os.environ, "WORKBOOK_DB": str(seeded_store(folder))}
        if notebooks is None:
            command = [sys.executable, "-m", "workbook_lib.cli", "app", "--port", str(self.port)]
            command += ["--preheat"] if preheat else []
        else:
            command, env = voila_command(self.port, preheat=preheat, folder=notebooks), voila_environment(env)
        self.log_path = folder / f"voila-{self.port}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.handed_out: dict[str, int] = {}  # preheated kernels taken so far, by what each prints when ready
        STARTED.append(self)
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"
        try:
            wait_until_serving(self.base + "/", self.proc, "Voilà", log=self.log_path)
        except SystemExit:
            self.stop()
            raise

    def wait_for_preheated(self, marker: str) -> None:
        """Wait until the log says one more kernel than handed out so far has built ``marker``'s page and waits for
        its request (``core.forms.serve`` prints it), and count it as handed out to the load that follows; end the
        run with the log after ``READY_S`` seconds."""
        wanted, deadline = self.handed_out.get(marker, 0) + 1, time.time() + READY_S
        while self.log_path.read_text(errors="replace").count(f"[workbook] preheated {marker} ready") < wanted:
            check(self.proc.poll() is None, f"the server stopped (status {self.proc.poll()})")
            check(time.time() < deadline, f"no preheated {marker} page was ready within {READY_S} s")
            time.sleep(0.5)
        self.handed_out[marker] = wanted

    def tail(self, lines: int = 80) -> str:
        """The end of this server's log (its kernels write there too): what it was doing when a load failed."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError as exc:
            return f"(no log: {exc})"

    def stop(self) -> None:
        """Stop the server (its own process group), kernels included."""
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        time.sleep(2)  # let Voilà shut its kernels down
        self.log.close()


def load(browser, url: str) -> dict[str, float]:
    """One page load: seconds from navigation to the page arrived, DOM parsed, kernel websocket opened and the
    Save button visible and enabled (``interactive``). ``browser`` is a Browser (a new context: empty
    cache, a first visit) or a BrowserContext (its cache: a returning visitor)."""
    page = browser.new_page()
    page.set_default_timeout(180_000)
    marks: dict[str, float] = {}
    start = time.perf_counter()
    page.on("websocket", lambda _ws: marks.setdefault("websocket", time.perf_counter() - start))
    response = page.goto(url, wait_until="commit")
    check(response is None or response.ok, f"{url} answered {response and response.status}")
    page.wait_for_selector(WIDGET, state="visible")
    page.wait_for_function(f"() => !document.querySelector({WIDGET!r}).disabled")
    marks["interactive"] = time.perf_counter() - start
    nav = json.loads(page.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])"))
    marks["page arrived"] = nav["responseEnd"] / 1000
    marks["DOM parsed"] = nav["domContentLoadedEventEnd"] / 1000
    page.close()
    return marks


def show(name: str, loads: list[dict[str, float]]) -> float:
    median = statistics.median(m["interactive"] for m in loads)
    times = ", ".join(f"{m['interactive']:.2f}" for m in loads)
    print(f"{name}: interactive {times} s (median {median:.2f})")
    for m in loads:
        print("    " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(m.items(), key=lambda kv: kv[1])))
    return median


def preheated_loads(browser, app: App, page: str, warm: float, loads: int) -> list[dict[str, float]]:
    out = []
    for _ in range(loads):
        app.wait_for_preheated(READY[page])  # the pool refills fill_delay seconds after a kernel is handed out
        time.sleep(warm)
        out.append(load(browser, app.base + page))
    return out


@contextlib.contextmanager
def logs_shown_on_failure():
    """A failed load prints the end of each server's log (before the temporary folder holding them goes)."""
    try:
        yield
    except BaseException:
        for app in STARTED:
            print(f"--- the end of {app.log_path.name} ---\n{app.tail()}", file=sys.stderr)
        raise


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("--warm", type=float, default=5, help="seconds to wait once the preheated page is ready")
    ap.add_argument("--loads", type=int, default=3, help="preheated loads of each page")
    ap.add_argument("--cold-loads", type=int, default=2, help="loads on the server without a preheated pool")
    ap.add_argument("--cached-loads", type=int, default=2, help="preheated loads by a returning visitor")
    args = arguments(ap, smoke={"warm": 0, "loads": 1, "cold_loads": 1, "cached_loads": 1})
    check(min(args.loads, args.cold_loads, args.cached_loads) >= 1, "every kind of load needs at least one")
    executable = chromium()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p, logs_shown_on_failure():
        browser = p.chromium.launch(executable_path=executable, args=ARGS)
        app = App(False, Path(tmp))
        try:
            cold = [load(browser, app.base + PAGE) for _ in range(args.cold_loads)]
        finally:
            app.stop()
        app = App(True, Path(tmp))
        try:
            hot = preheated_loads(browser, app, PAGE, args.warm, args.loads)
            context = browser.new_context()  # a returning visitor: Voilà's JS and CSS in the browser cache
            preheated_loads(context, app, PAGE, 0, 1)  # fills the cache; takes the pool's next kernel too
            cached = preheated_loads(context, app, PAGE, args.warm, args.cached_loads)
            context.close()
        finally:
            app.stop()
        app = App(True, Path(tmp), notebooks=floor_notebooks(Path(tmp)))
        try:
            floor = preheated_loads(browser, app, FLOOR_PAGE, args.warm, args.loads)
        finally:
            app.stop()
        browser.close()
    show("cold (first load on a new server, then the others)", cold)
    hot_median = show("preheated, first visit", hot)
    show("preheated, returning visitor (browser cache)", cached)
    floor_median = show("floor: Voilà preheated, one button, first visit", floor)
    print(f"risk form / floor (medians): {hot_median / floor_median:.2f}x; target: preheated < 1 s")


if __name__ == "__main__":
    main()
