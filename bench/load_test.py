"""A room full of users: N simulated users each open the risk form, save a risk and leave, over a few minutes.

    .venv/bin/python bench/load_test.py [--users 40] [--every 4] [--idle 10] [--settle 30] [--servers 1] [--smoke]

Serves ``workbook app --preheat`` on a free loopback port with a throw-away store, and drives Debian's Chromium
with Playwright (async, one browser, a new context per user). ``--servers N`` (N > 1) starts N app processes on
one throw-away PostgreSQL store (tests/pg_server.py, from Debian's packages) and sends user k to server k mod N,
as a proxy with sticky sessions spreads users (docs/deployment.md); one server keeps a SQLite store, as before.
User k arrives at k x --every seconds, waits for the form, types a risk and saves it, then closes its page.
Afterwards it checks that every save is in the store with its audit row, that no user saw an error page (the busy
page, which asks again by itself, is counted apart), and that the live kernels return to the preheated pool (one
kernel per notebook, counted before the users arrive) once the left pages' kernels are culled
(WORKBOOK_KERNEL_IDLE_S=--idle). It prints p50/p95 time to an interactive form, p50/p95 time to "Saved", the peak
memory of the server and its kernels (sampled every 0.5 s) and the most kernels alive at once. Loopback only;
bounded by --users. The preheated pool is counted --settle seconds after the server answers, once the number of
kernels has stopped changing; users arrive once every pool kernel has run its notebook (its log line). With several
servers each figure is printed per server and in total; "held" counts the users a server took from arrival to
"Saved".

Every run ends with status 1 when a user left no result or a saved risk has no audit row. ``--smoke``: one user
per server on fresh servers (idle 5 s, no settling wait), who must save without an error, and the kernels must
return to the pool; at full size those outcomes are the measurement and are only printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, arguments, check, chromium, free_port, machine, wait_until_serving  # noqa: E402
from voila import ARGS  # noqa: E402

ORG, PERIOD = "Load Test Municipality", "2025-26"
PAGE = "/voila/render/risk_evaluation.ipynb"


async def one_user(browser, base: str, k: int, delay: float, results: list[dict], server: int = 0) -> None:
    await asyncio.sleep(delay)
    context = await browser.new_context(viewport={"width": 1300, "height": 1800})
    page = await context.new_page()
    page.set_default_timeout(180_000)
    started = time.perf_counter()
    outcome = {"user": k, "server": server, "error": "", "busy": 0}

    def on_response(response) -> None:  # the busy page (503) asks again by itself: count each time it was shown
        if response.url.startswith(f"{base}{PAGE}") and response.status == 503:
            outcome["busy"] += 1

    page.on("response", on_response)
    try:
        response = await page.goto(f"{base}{PAGE}?organisation={ORG.replace(' ', '%20')}&period={PERIOD}",
                                   wait_until="commit")
        if response is not None and response.status >= 500 and response.status != 503:
            raise RuntimeError(f"error page ({response.status})")
        await page.wait_for_selector(".wb-risk-form .wb-save")
        outcome["interactive"] = time.perf_counter() - started
        await page.locator(".wb-respondent input").first.fill(f"User {k}")
        await page.locator(".wb-risk-id input").first.fill(f"LT-{k:03d}")
        await page.locator(".wb-description textarea").first.fill(f"Load test risk number {k}")
        await page.locator(".wb-inherent-likelihood select").select_option(label="3 · Moderate")
        await page.locator(".wb-inherent-impact select").select_option(label="2 · Minor")
        await page.locator(".wb-save").click()
        await page.wait_for_selector(f".wb-ok:has-text('Saved LT-{k:03d}')")
        outcome["saved"] = time.perf_counter() - started
    except Exception as exc:  # noqa: BLE001 - every failure is a result to report
        outcome["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    await context.close()
    results.append(outcome)


def sample(procs: list[psutil.Process], stop: list[bool], peaks: list[dict]) -> None:
    """Every 0.5 s: each server's memory (with its kernels) and live kernels, their peaks per server and, summed
    at the same moment, over all servers (``peaks[-1]``)."""
    while not stop[0]:
        try:
            now = []
            for proc in procs:
                family = [proc, *proc.children(recursive=True)]
                now.append((sum(p.memory_info().rss for p in family if p.is_running()),
                            sum("ipykernel" in " ".join(p.cmdline()) for p in family[1:])))
        except psutil.Error:
            continue
        for peak, (rss, kernels) in zip(peaks, [*now, tuple(map(sum, zip(*now, strict=True)))], strict=False):
            peak["rss"] = max(peak.get("rss", 0), rss)
            peak["kernels"] = max(peak.get("kernels", 0), kernels)
        time.sleep(0.5)


def kernels_alive(proc: psutil.Process) -> int:
    count = 0
    for child in proc.children(recursive=True):
        try:
            count += "ipykernel" in " ".join(child.cmdline())
        except psutil.Error:  # a kernel that exited (or is a zombie) while being counted
            continue
    return count


async def drive(bases: list[str], users: int, every: float) -> list[dict]:
    """User k arrives at k x ``every`` seconds, at server k mod len(bases) (a proxy's sticky sessions, round-robin)."""
    from playwright.async_api import async_playwright

    results: list[dict] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium(), args=ARGS)
        await asyncio.gather(*(one_user(browser, bases[k % len(bases)], k, k * every, results, k % len(bases))
                               for k in range(users)))
        await browser.close()
    return results


def pool_size(proc: psutil.Process, settle: float, steady: float = 5, most: float = 120) -> int:
    """The kernels alive once the preheated pool has started: after ``settle`` seconds, when their number has not
    changed for ``steady`` seconds (at most ``most`` seconds more)."""
    time.sleep(settle)
    deadline = time.time() + most
    count, since = kernels_alive(proc), time.time()
    while time.time() - since < steady and time.time() < deadline:
        time.sleep(0.5)
        now = kernels_alive(proc)
        if now != count:
            count, since = now, time.time()
    return count


def pool_ready(log: Path, pool: int, most: float = 300) -> None:
    """Wait (at most ``most`` seconds) until each of the ``pool`` preheated kernels has run its notebook and waits
    for its page (its "preheated ... ready" line in the server's log): a page handed a kernel still running its
    notebook waits for it, and on 2 cores several servers' pools starting at once take minutes."""
    deadline = time.time() + most
    while time.time() < deadline:
        text = log.read_text(errors="replace")
        if sum("[workbook] preheated" in line and " ready" in line for line in text.splitlines()) >= pool:
            return
        time.sleep(1)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else (values or [float("nan")])[0]


@contextlib.contextmanager
def store_url(servers: int, tmp: Path) -> Iterator[str]:
    """One server: a SQLite file in ``tmp``; several: a throw-away PostgreSQL database (stopped afterwards)."""
    if servers == 1:
        yield str(tmp / "load.db")
        return
    sys.path.insert(0, str(ROOT))
    from tests.pg_server import postgres_server  # noqa: PLC0415 - only for several servers

    with postgres_server() as url:
        yield url


def start_servers(count: int, url: str, tmp: Path, idle: int) -> list[dict]:
    """``count`` ``workbook app --preheat`` processes on free loopback ports, all on the store ``url``."""
    import workbook_lib.assessments.risk.records  # noqa: F401 - declares the "risk" record kind
    from workbook_lib.core.store import Store

    Store(url).close()  # created and migrated once, before the servers start
    env = {**os.environ, "WORKBOOK_DB": url, "WORKBOOK_KERNEL_IDLE_S": str(idle)}
    servers = []
    for n in range(count):
        port, log = free_port(), tmp / f"app{n + 1}.log"
        own_tmp = tmp / f"tmp{n + 1}"  # each its own temporary folder, as docs/deployment.md asks of one host
        own_tmp.mkdir()
        with log.open("w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "workbook_lib.cli", "app", "--port", str(port),
                                     "--preheat"], cwd=ROOT, env={**env, "TMPDIR": str(own_tmp)}, stdout=out,
                                    stderr=subprocess.STDOUT)
        servers.append({"n": n + 1, "proc": proc, "ps": psutil.Process(proc.pid), "log": log,
                        "base": f"http://127.0.0.1:{port}"})
    return servers


def stop_servers(servers: list[dict]) -> None:
    for server in servers:
        server["proc"].send_signal(signal.SIGTERM)
    for server in servers:
        try:
            server["proc"].wait(timeout=30)
        except subprocess.TimeoutExpired:
            server["proc"].kill()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=40)
    ap.add_argument("--every", type=float, default=4.0, help="seconds between arrivals")
    ap.add_argument("--idle", type=int, default=10, help="WORKBOOK_KERNEL_IDLE_S for the server")
    ap.add_argument("--settle", type=float, default=30, help="seconds for the preheated kernels to run their notebooks")
    ap.add_argument("--servers", type=int, default=1,
                    help="app processes (more than one: on one throw-away PostgreSQL store, users round-robin)")
    args = arguments(ap, smoke={"users": 1, "every": 0.0, "idle": 5, "settle": 0.0})
    check(args.servers >= 1, "--servers takes 1 or more")
    if args.smoke:
        args.users = max(args.users, args.servers)  # one user per server
    print(machine())
    with tempfile.TemporaryDirectory() as tmp, store_url(args.servers, Path(tmp)) as url:
        servers = start_servers(args.servers, url, Path(tmp), args.idle)
        stop: list[bool] = [False]
        peaks: list[dict] = [{} for _ in range(args.servers + 1)]  # per server, then all together
        try:
            for server in servers:
                wait_until_serving(server["base"] + "/", server["proc"], f"workbook app {server['n']}",
                                   log=server["log"])
            for server in servers:  # the preheated kernels (one per notebook) run their notebooks
                server["pool"] = pool_size(server["ps"], args.settle if server is servers[0] else 0)
                pool_ready(server["log"], server["pool"])
            sampler = threading.Thread(target=sample, args=([s["ps"] for s in servers], stop, peaks), daemon=True)
            sampler.start()
            started = time.perf_counter()
            results = asyncio.run(drive([s["base"] for s in servers], args.users, args.every))
            took = time.perf_counter() - started
            settle = time.time() + 4 * args.idle + 60
            while (any(kernels_alive(s["ps"]) > s["pool"] for s in servers) and time.time() < settle):
                time.sleep(1)
            for server in servers:
                server["left"] = kernels_alive(server["ps"])
            stop[0] = True
        finally:
            stop_servers(servers)
        import workbook_lib.assessments.risk.records  # noqa: F401 - declares the "risk" record kind
        from workbook_lib.core.store import Store

        with Store(url, create=False) as store:
            saved = {r.key for r in store.current(ORG, PERIOD, "risk")}
            history = store.history(ORG, PERIOD, "risk", None)
    audit = len(history)
    errors = [r for r in results if r["error"]]
    pool, left = sum(s["pool"] for s in servers), sum(s["left"] for s in servers)
    print(f"users {args.users}, one every {args.every:g} s, over {took:.0f} s, on {args.servers} server(s)"
          + (" sharing one PostgreSQL store" if args.servers > 1 else ""))
    rows = [(f"server {s['n']}", [r for r in results if r["server"] == s["n"] - 1], peaks[i], s["pool"], s["left"])
            for i, s in enumerate(servers)]
    if args.servers > 1:
        rows.append(("all", results, peaks[-1], pool, left))
    print("| server | users | held (saved) | errors | met the busy page | interactive p50 / p95 | \"Saved\" p50 / p95 "
          "| peak memory | most kernels | left / pool |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, mine, peak, pool_of, left_of in rows:
        ready = [r["interactive"] for r in mine if "interactive" in r]
        done = [r["saved"] for r in mine if "saved" in r]
        busy = [r for r in mine if r["busy"]]
        print(f"| {name} | {len(mine)} | {len(done)} | {sum(1 for r in mine if r['error'])} | {len(busy)} users, "
              f"{sum(r['busy'] for r in busy)} times | {pct(ready, 50):.1f} s / {pct(ready, 95):.1f} s | "
              f"{pct(done, 50):.1f} s / {pct(done, 95):.1f} s | {peak.get('rss', 0) / 2**20:,.0f} MB | "
              f"{peak.get('kernels', 0)} | {left_of} / {pool_of} |")
    print(f"saved {len(saved)} of {args.users}; audit rows {audit}; errors {len(errors)}")
    for r in errors[:5]:
        print(f"  user {r['user']} (server {r['server'] + 1}): {r['error']}")
    held = sum(1 for r in results if "saved" in r)
    print(f"users held: {held} of {args.users} in total"
          + "".join(f"; server {name[7:]}: {sum(1 for r in mine if 'saved' in r)} of {len(mine)}"
                    for name, mine, *_ in rows if name != "all"))
    check(len(results) == args.users, f"{args.users - len(results)} users left no result")
    check(audit >= len(saved), f"{len(saved)} risks saved, only {audit} audit rows")
    check(held <= len(saved), f"{held} users saw 'Saved', only {len(saved)} risks in the store")
    if args.smoke:
        check(not errors and len(saved) == args.users, f"smoke: saved {len(saved)} of {args.users}, errors {errors}")
        check(left <= pool, f"smoke: {left} kernels left, the preheated pool is {pool}")


if __name__ == "__main__":
    main()
