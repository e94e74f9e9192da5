"""`workbook app` as a process: stopping it stops Voilà (no server left listening); a preheated kernel
reads the store only when its page is asked for (never stale); and the Voilà command line it builds."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from workbook_lib.cli import voila_command

from .browser_kit import ROOT, open_form
from .conftest import PARAMETERS
from .pg_server import free_port


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_stopping_workbook_app_stops_voila(tmp_path):
    port = free_port()
    env = {**os.environ, "WORKBOOK_DB": str(tmp_path / "app.db")}
    proc = subprocess.Popen([sys.executable, "-m", "workbook_lib.cli", "app", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                assert proc.poll() is None and time.time() < deadline, "workbook app did not start"
                time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)  # what a service manager or the test fixture sends
        proc.wait(timeout=30)
        deadline = time.time() + 15
        while _listening(port) and time.time() < deadline:
            time.sleep(0.3)
        assert not _listening(port), "Voilà is still serving after workbook app was stopped"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_preheated_form_shows_what_was_saved_after_its_kernel_started(browser, tmp_path):
    port = free_port()
    db = tmp_path / "app.db"
    log_path = tmp_path / "voila.log"
    env = {**os.environ, "WORKBOOK_DB": str(db)}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "workbook_lib.cli", "app", "--port", str(port), "--preheat"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    page = browser.new_page(viewport={"width": 1300, "height": 1800})
    page.set_default_timeout(120_000)
    try:
        deadline = time.time() + 180  # the pool's kernel has run the notebook up to its wait for a request
        while "preheated risk register form ready" not in log_path.read_text():
            assert proc.poll() is None and time.time() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.5)
        imported = subprocess.run(
            [sys.executable, "-m", "workbook_lib.cli", "store", "import",
             str(PARAMETERS / "registers" / "karoo_vale_municipality_2025.csv"), "-a", "risk-evaluation",
             "-m", "western-cape-5x5", "--organisation", "Karoo Vale Local Municipality", "--period", "2025-26",
             "--who", "Test", "--store", str(db)], cwd=ROOT, capture_output=True, text=True, env=env)
        assert imported.returncode == 0, imported.stderr
        open_form(page, f"http://127.0.0.1:{port}")  # the parameters' organisation and period
        assert "Using pre-heated kernel" in log_path.read_text()  # the preheated path was taken
        page.wait_for_selector(".wb-risk-list >> text=KV-001")  # saved after the kernel started: shown
        assert "KV-012" in page.locator(".wb-risk-list").inner_text()
    finally:
        page.close()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_voila_command_preheats_one_kernel_and_refills_later():
    cold = voila_command(8866)
    assert not any("preheat" in a or "fill_delay" in a for a in cold)
    hot = voila_command(8866, preheat=True)
    assert "--preheat_kernel=True" in hot and "--pool_size=1" in hot
    assert any(a.startswith("--VoilaKernelManager.fill_delay=") for a in hot)
    assert "--no-browser" in hot and "--strip_sources=True" in hot
    assert any("cull_idle_timeout" in a for a in hot)
