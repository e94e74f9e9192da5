"""A room full of users: N simulated users each open the risk form, save a risk and leave, over a few minutes.

    .venv/bin/python bench/load_test.py [--users 40] [--every 4] [--idle 10] [--settle 30] [--smoke]

Serves ``workbook app --preheat`` on a free loopback port with a throw-away store, and drives Debian's Chromium
with Playwright (async, one browser, a new context per user). User k arrives at k x --every seconds, waits for
the form, types a risk and saves it, then closes its page. Afterwards it checks that every save is in the store
with its audit row, that no user saw an error page (the busy page, which asks again by itself, is counted
apart), and that the live kernels return to the preheated pool (one kernel per notebook, counted before the
users arrive) once the left pages' kernels are culled (WORKBOOK_KERNEL_IDLE_S=--idle). It prints p50/p95 time to an
interactive form, p50/p95 time to "Saved", the peak memory of the server and its kernels (sampled every
0.5 s) and the most kernels alive at once. Loopback only; bounded by --users. The preheated pool is counted
--settle seconds after the server answers, once the number of kernels has stopped changing.

Every run ends with status 1 when a user left no result or a saved risk has no audit row. ``--smoke``: one user
on a fresh server (idle 5 s, no settling wait), who must save without an error, and the kernels must return to
the pool; at full size those outcomes are the measurement and are only printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, arguments, check, chromium, free_port, machine, wait_until_serving  # noqa: E402
from voila import ARGS  # noqa: E402

ORG, PERIOD = "Load Test Municipality", "2025-26"
PAGE = "/voila/render/risk_evaluation.ipynb"


async def one_user(browser, base: str, k: int, delay: float, results: list[dict]) -> None:
    await asyncio.sleep(delay)
    context = await browser.new_context(viewport={"width": 1300, "height": 1800})
    page = await context.new_page()
    page.set_default_timeout(180_000)
    started = time.perf_counter()
    outcome = {"user": k, "error": "", "busy": 0}

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


def sample(proc: psutil.Process, stop: list[bool], peaks: dict) -> None:
    while not stop[0]:
        try:
            family = [proc, *proc.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in family if p.is_running())
            kernels = sum("ipykernel" in " ".join(p.cmdline()) for p in family[1:])
        except psutil.Error:
            continue
        peaks["rss"] = max(peaks.get("rss", 0), rss)
        peaks["kernels"] = max(peaks.get("kernels", 0), kernels)
        time.sleep(0.5)


def kernels_alive(proc: psutil.Process) -> int:
    return sum("ipykernel" in " ".join(p.cmdline()) for p in proc.children(recursive=True))


async def drive(base: str, users: int, every: float) -> list[dict]:
    from playwright.async_api import async_playwright

    results: list[dict] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium(), args=ARGS)
        await asyncio.gather(*(one_user(browser, base, k, k * every, results) for k in range(users)))
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


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else (values or [float("nan")])[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=40)
    ap.add_argument("--every", type=float, default=4.0, help="seconds between arrivals")
    ap.add_argument("--idle", type=int, default=10, help="WORKBOOK_KERNEL_IDLE_S for the server")
    ap.add_argument("--settle", type=float, default=30, help="seconds for the preheated kernels to run their notebooks")
    args = arguments(ap, smoke={"users": 1, "every": 0.0, "idle": 5, "settle": 0.0})
    print(machine())
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "load.db"
        log = Path(tmp) / "app.log"
        env = {**os.environ, "WORKBOOK_DB": str(db), "WORKBOOK_KERNEL_IDLE_S": str(args.idle)}
        with log.open("w") as out:
            server = subprocess.Popen([sys.executable, "-m", "workbook_lib.cli", "app", "--port", str(port),
                                       "--preheat"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        proc = psutil.Process(server.pid)
        stop, peaks = [False], {}
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_serving(base + "/", server, "workbook app", log=log)
            pool = pool_size(proc, args.settle)  # the preheated kernels (one per notebook) run their notebooks
            import threading

            sampler = threading.Thread(target=sample, args=(proc, stop, peaks), daemon=True)
            sampler.start()
            started = time.perf_counter()
            results = asyncio.run(drive(base, args.users, args.every))
            took = time.perf_counter() - started
            settle = time.time() + 4 * args.idle + 60
            while kernels_alive(proc) > pool and time.time() < settle:
                time.sleep(1)
            left = kernels_alive(proc)
            stop[0] = True
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        import workbook_lib.assessments.risk.records  # noqa: F401 - declares the "risk" record kind
        from workbook_lib.core.store import Store

        with Store(str(db), create=False) as store:
            saved = {r.key for r in store.current(ORG, PERIOD, "risk")}
            audit = len(store.history(ORG, PERIOD, "risk", None))
    errors = [r for r in results if r["error"]]
    ready = [r["interactive"] for r in results if "interactive" in r]
    done = [r["saved"] for r in results if "saved" in r]
    print(f"users {args.users}, one every {args.every:g} s, over {took:.0f} s")
    busy = [r for r in results if r["busy"]]
    print(f"saved {len(saved)} of {args.users}; audit rows {audit}; errors {len(errors)}; users who met the busy "
          f"page (it asks again by itself) {len(busy)}, {sum(r['busy'] for r in busy)} times")
    for r in errors[:5]:
        print(f"  user {r['user']}: {r['error']}")
    print(f"interactive p50 {pct(ready, 50):.1f} s, p95 {pct(ready, 95):.1f} s; saved p50 {pct(done, 50):.1f} s, "
          f"p95 {pct(done, 95):.1f} s")
    print(f"peak memory {peaks.get('rss', 0) / 2**20:.0f} MB (server and kernels); most kernels alive "
          f"{peaks.get('kernels', 0)}; kernels left after the culling {left} (preheated pool {pool})")
    check(len(results) == args.users, f"{args.users - len(results)} users left no result")
    check(audit >= len(saved), f"{len(saved)} risks saved, only {audit} audit rows")
    if args.smoke:
        check(not errors and len(saved) == args.users, f"smoke: saved {len(saved)} of {args.users}, errors {errors}")
        check(left <= pool, f"smoke: {left} kernels left, the preheated pool is {pool}")


if __name__ == "__main__":
    main()
