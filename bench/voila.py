"""Voilà: time until the first form widget (the risk form's Save button) is interactive in Chromium,
cold and with a preheated kernel.

    .venv/bin/python bench/voila.py [--warm 40]

Target: preheated under 1 s. Serves ``workbook app`` on a free loopback port with a throw-away store
holding the shipped Karoo Vale register (the page's default organisation, so the report and its charts
render), and drives Debian's Chromium with Playwright (no browser download). "Cold": a kernel is started for the page.
"Preheated": ``workbook app --preheat``, measured after --warm seconds so the pool has its kernel ready.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, machine  # noqa: E402

PAGE = "/voila/render/risk_evaluation.ipynb"
WIDGET = ".wb-risk-form .wb-save"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


class App:
    def __init__(self, preheat: bool, folder: Path):
        self.port = free_port()
        env = {**os.environ, "WORKBOOK_DB": str(seeded_store(folder))}
        command = [sys.executable, "-m", "workbook_lib.cli", "app", "--port", str(self.port)]
        self.log = open(folder / f"voila-{self.port}.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(command + (["--preheat"] if preheat else []), cwd=ROOT, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(self.base + "/", timeout=2)
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise SystemExit(f"workbook app did not start; see {self.log.name}") from None
                time.sleep(0.3)

    def stop(self) -> None:
        """Stop workbook app and the Voilà server it started (its own process group), kernels included."""
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        time.sleep(2)  # let Voilà shut its kernels down
        self.log.close()


def interactive_after(browser, url: str) -> float:
    """Seconds from navigation to the Save button being visible and enabled. ``browser`` is a Browser
    (a new context: empty cache, a first visit) or a BrowserContext (its cache: a returning visitor)."""
    page = browser.new_page()
    page.set_default_timeout(180_000)
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(WIDGET, state="visible")
    page.wait_for_function(f"() => !document.querySelector({WIDGET!r}).disabled")
    elapsed = time.perf_counter() - start
    page.close()
    return elapsed


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("--warm", type=float, default=40, help="seconds to let the preheated pool fill")
    args = ap.parse_args()
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    print(machine())
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        app = App(False, Path(tmp))
        try:
            cold = interactive_after(browser, app.base + PAGE)
            again = interactive_after(browser, app.base + PAGE)
        finally:
            app.stop()
        app = App(True, Path(tmp))
        try:
            time.sleep(args.warm)
            hot = interactive_after(browser, app.base + PAGE)
            time.sleep(args.warm)
            hot2 = interactive_after(browser, app.base + PAGE)
            context = browser.new_context()  # a returning visitor: Voilà's JS and CSS from the browser cache
            time.sleep(args.warm)
            interactive_after(context, app.base + PAGE)
            cached = []
            for _ in range(2):
                time.sleep(args.warm)
                cached.append(interactive_after(context, app.base + PAGE))
            context.close()
        finally:
            app.stop()
        browser.close()
    print(f"cold (first page, new server) {cold:.2f} s; cold (server warm) {again:.2f} s; "
          f"preheated {hot:.2f} s, {hot2:.2f} s; preheated with the browser cache warm "
          f"{', '.join(f'{c:.2f}' for c in cached)} s")


if __name__ == "__main__":
    main()
