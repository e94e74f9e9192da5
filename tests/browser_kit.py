"""What every browser test needs: ``workbook app`` served on a free port with a temporary store, Debian's
Chromium driven by Playwright, and small helpers to fill and pick widgets by their ``wb-<name>`` class.

tests/conftest.py registers the fixtures (app_server: one server and store per test module; browser; page).
Chromium comes from apt (tests/setup_system.sh), never from a browser download. On failure a screenshot
is saved under outputs/browser-failures/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .pg_server import free_port

ROOT = Path(__file__).resolve().parents[1]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    db = tmp_path_factory.mktemp("store") / "app.db"
    yield from serve_app(db, tmp_path_factory)


def serve_app(db, tmp_path_factory, *options: str):
    """``workbook app`` on a free port with ``db`` as its store (``WORKBOOK_DB``) and ``options`` (e.g.
    ``--user-header X-Auth-User``): yields (address, db) until the fixture using it ends, then stops the server."""
    port = free_port()
    env = {**os.environ, "WORKBOOK_DB": str(db)}
    log = open(tmp_path_factory.mktemp("log") / "voila.log", "w+")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "workbook_lib.cli", "app", "--port", str(port), *options],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(base + "/", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                log.seek(0)
                pytest.fail(f"workbook app did not start:\n{log.read()[-3000:]}")
            time.sleep(0.3)
    yield base, db
    stop(proc)
    log.close()


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Stop a server: asked first, killed if it does not go within ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: run tests/setup_system.sh"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    page = browser.new_page(viewport={"width": 1300, "height": 1800})
    page.set_default_timeout(120_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        folder = ROOT / "outputs" / "browser-failures"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{request.node.name}.png"), full_page=True)
    page.close()


def open_app(page, base: str, notebook: str, ready: str, query: str = "") -> None:
    """Open a notebook's app and wait until the widget matching ``ready`` is on the page."""
    page.goto(f"{base}/voila/render/{notebook}{query}", wait_until="commit")
    page.wait_for_selector(ready)


def open_form(page, base: str, query: str = "") -> None:
    """The risk form: with an organisation in the query, ready when its editor is; without one it opens on no
    organisation (never the shipped example's) and is ready when it asks which to open."""
    ready = ".wb-risk-form .wb-save" if "organisation=" in query else ".wb-risk-form .wb-open"
    open_app(page, base, "risk_evaluation.ipynb", ready, query)


def fill(page, name: str, value: str) -> None:
    page.locator(f".wb-{name} input, .wb-{name} textarea").first.fill(value)


def choose(page, name: str, label: str) -> None:
    page.locator(f".wb-{name} select").select_option(label=label)


def upload(page, path) -> None:
    with page.expect_file_chooser() as chooser:
        page.locator(".wb-upload").click()
    chooser.value.set_files(str(path))
