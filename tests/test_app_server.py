"""`workbook app` as a process: stopping it stops Voilà (no server left listening); a preheated page
catches up with its request and with the store (never stale, never the wrong user); and the Voilà command
line it builds."""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil

from tests.browser_kit import ROOT, open_form
from tests.conftest import PARAMETERS
from tests.pg_server import free_port
from workbook_lib.app.serve import voila_command, voila_environment


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


def _import_register(db, organisation: str, period: str, env: dict) -> None:
    imported = subprocess.run(
        [sys.executable, "-m", "workbook_lib.cli", "store", "import",
         str(PARAMETERS / "registers" / "karoo_vale_municipality_2025.csv"), "-a", "risk-evaluation",
         "-m", "western-cape-5x5", "--organisation", organisation, "--period", period,
         "--who", "Test", "--store", str(db)], cwd=ROOT, capture_output=True, text=True, env=env)
    assert imported.returncode == 0, imported.stderr


def test_preheated_form_catches_up_with_its_request_and_the_store(browser, tmp_path):
    """A preheated kernel builds the page before anyone asks for it; when asked, the page shows the proxy's
    user, the organisation and period of its query string, and risks saved after the kernel was built."""
    port = free_port()
    db = tmp_path / "app.db"
    log_path = tmp_path / "voila.log"
    env = {**os.environ, "WORKBOOK_DB": str(db)}
    _import_register(db, "Karoo Vale Local Municipality", "2025-26", env)  # what the preheated page is built on
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "workbook_lib.cli", "app", "--port", str(port), "--preheat",
                                 "--user-header", "X-Forwarded-User"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    page = browser.new_page(viewport={"width": 1300, "height": 1800}, extra_http_headers={"X-Forwarded-User": "Thandi"})
    page.set_default_timeout(120_000)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        deadline = time.time() + 180  # the pool's kernel has run the whole notebook and waits for a request
        while "preheated RiskRegisterForm ready" not in log_path.read_text():
            assert proc.poll() is None and time.time() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.5)
        _import_register(db, "Riverside District", "2026-27", env)  # saved after the page was built
        open_form(page, f"http://127.0.0.1:{port}", "?organisation=Riverside%20District&period=2026-27")
        assert "Using pre-heated kernel" in log_path.read_text()  # the preheated path was taken
        page.wait_for_selector(".wb-risk-form >> text=saved for Riverside District, 2026-27")
        assert "KV-012" in page.locator(".wb-risk-list").inner_text()
        assert page.locator(".wb-organisation input").input_value() == "Riverside District"
        assert page.locator(".wb-respondent input").input_value() == "Thandi"
        assert page.locator(".wb-respondent input").is_disabled()
        # the page asks no other host (Font Awesome is in Voilà's bundle), nor for unused lab extensions
        assert all(u.startswith(f"http://127.0.0.1:{port}/") or u.startswith("data:") for u in requests), \
            [u for u in requests if not u.startswith(f"http://127.0.0.1:{port}/")]
        assert not any("jupytext" in u or "pygments" in u for u in requests)
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
    # the page template without CDN links, found on the Jupyter path workbook app gives Voilà
    assert "--template=workbook" in hot and "--VoilaConfiguration.extension_denylist=jupyterlab-jupytext" in hot
    env = voila_environment({"JUPYTER_PATH": "/elsewhere"})
    assert env["WORKBOOK_APP"] == "1" and env["JUPYTER_PATH"].endswith(os.pathsep + "/elsewhere")
    template = Path(env["JUPYTER_PATH"].split(os.pathsep)[0]) / "voila" / "templates" / "workbook" / "index.html.j2"
    assert "fontawesome" in template.read_text()  # the links it removes are named exactly there


@contextlib.contextmanager
def _capped_app(tmp_path: Path, **settings: str) -> Iterator[tuple[int, Callable[[], int]]]:
    """``workbook app`` with the given environment settings, listening: (port, live kernels now); stopped after."""
    port = free_port()
    env = {**os.environ, "WORKBOOK_DB": str(tmp_path / "app.db"), **settings}
    proc = subprocess.Popen([sys.executable, "-m", "workbook_lib.cli", "app", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kernels() -> int:
        count = 0
        for child in psutil.Process(proc.pid).children(recursive=True):
            try:
                count += "ipykernel" in " ".join(child.cmdline())
            except psutil.Error:  # a kernel that exited while being counted
                continue
        return count

    try:
        deadline = time.time() + 90
        while not _listening(port):
            assert proc.poll() is None and time.time() < deadline, "workbook app did not start"
            time.sleep(0.3)
        yield port, kernels
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _form_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/voila/render/risk_evaluation.ipynb"


def test_a_flood_of_page_requests_is_capped_and_answered_busy(tmp_path):
    """Every page GET starts a kernel: past WORKBOOK_MAX_KERNELS the app answers 503, never runs out of memory."""
    bodies: list[str] = []

    def get(_: int) -> int:
        try:
            with urllib.request.urlopen(_form_url(port), timeout=180) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as exc:
            bodies.append(exc.read().decode("utf-8", "replace"))
            return exc.code

    with _capped_app(tmp_path, WORKBOOK_MAX_KERNELS="2") as (port, kernels):
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            statuses = sorted(pool.map(get, range(6)))
        assert statuses.count(200) == 2 and statuses.count(503) == 4, statuses
        # a busy page, not an error: it says so and asks again by itself a few seconds later
        assert all("The forms are busy" in b and "tries again by itself" in b and "location.reload()" in b
                   for b in bodies), bodies[0][:2000]
        assert kernels() <= 2
        assert get(0) == 503  # still full: the two pages' kernels live until culled


def test_a_page_left_gives_its_kernel_back(tmp_path):
    """A kernel whose page is gone (no websocket) is culled after WORKBOOK_KERNEL_IDLE_S (60 s; 3 s here)."""
    with _capped_app(tmp_path, WORKBOOK_MAX_KERNELS="1", WORKBOOK_KERNEL_IDLE_S="3") as (port, kernels):
        with urllib.request.urlopen(_form_url(port), timeout=180) as response:  # a page opened and left at once
            assert response.status == 200
        assert kernels() == 1
        deadline = time.time() + 60
        while kernels() and time.time() < deadline:
            time.sleep(0.5)
        assert kernels() == 0, "the left page's kernel is still running"
        # its place is free again once the server has let go of the culled kernel (a moment after its process ends;
        # meanwhile the busy page would ask again by itself)
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(_form_url(port), timeout=180) as response:
                    assert response.status == 200
                break
            except urllib.error.HTTPError as exc:
                assert exc.code == 503 and time.time() < deadline, f"no place freed: {exc.code}"
                time.sleep(1)


PROBES_404 = ["/voila/templates/..", "/voila/templates/../x", "/voila/templates/", "/voila/templates/lab/x/y",
              "/voila/templates/lab/static/", "/voila/templates/lab/static/../../x", "/voila/templates/..%2fx",
              "/voila/templates/lab/static/%00", "/voila/render/%00", "/logout", "/logout?next=http://evil",
              "/voila/static/..%2f..%2fetc/passwd", "/voila/static/../x"]


def _status(port: int, path: str) -> tuple[int, str, str]:
    """(status, Location, body) of a GET sent with the path exactly as written (no redirect followed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    location = next((h.split(":", 1)[1].strip() for h in lines[1:] if h.lower().startswith("location:")), "")
    return int(lines[0].split()[1]), location, body.decode("utf-8", "replace")


def test_odd_paths_are_not_found_never_a_server_error(tmp_path):
    """Voilà answered 500 to /voila/templates/.. (its template file handler), to /logout (a server page without its
    static files) and to a NUL in a path; the app answers 404 (a local redirect would do), and the pages still work."""
    with _capped_app(tmp_path) as (port, _kernels):
        for path in PROBES_404:
            status, location, body = _status(port, path)
            assert status == 404 or (300 <= status < 400 and location.startswith("/")), (path, status, location)
            assert "Traceback" not in body and "evil" not in location
        assert _status(port, "/logout")[2] == "There is no such page here."
        assert _status(port, "/")[0] == 200
        assert _status(port, "/voila/templates/lab/static/voila.js")[0] == 200  # the pages' own files still load
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/render/index.ipynb", timeout=180) as response:
            assert response.status == 200


def test_a_server_killed_outright_leaves_nothing_after_the_next_start(tmp_path):
    """The server's and its kernels' temporary files (connection files, uploads being read) live in one folder of
    the server's: removed when it stops, and by the next start when it was killed outright."""
    env = {**os.environ, "WORKBOOK_DB": str(tmp_path / "app.db"), "TMPDIR": str(tmp_path)}
    killed = subprocess.Popen([sys.executable, "-m", "workbook_lib.cli", "app", "--port", str(free_port())], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 90
    while not list(tmp_path.glob("workbook-voila-*")):
        assert killed.poll() is None and time.time() < deadline, "workbook app made no folder of its own"
        time.sleep(0.3)
    left = list(tmp_path.glob("workbook-voila-*"))
    killed.kill()
    killed.wait()
    assert all(p.exists() for p in left)
    with _capped_app(tmp_path, TMPDIR=str(tmp_path)) as (port, _kernels):
        with urllib.request.urlopen(_form_url(port), timeout=180) as response:  # a kernel, its files in the folder
            assert response.status == 200
        assert not any(p.exists() for p in left), "the killed server's folder was not removed"
        assert len(list(tmp_path.glob("workbook-voila-*"))) == 1  # this server's own
    assert not list(tmp_path.glob("workbook-voila-*")), "a stopped server left its folder"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(("voila_", "tmp"))]
