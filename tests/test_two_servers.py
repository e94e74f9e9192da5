"""More than one machine (issue 28): two ``workbook app`` processes, as a proxy with sticky sessions would spread
users over them, on one throw-away PostgreSQL store.

- Saves made at the same moment through the forms of both processes are all kept, and so are many concurrent
  ``Store.save`` calls from other processes: exact record counts, each record's versions 1..n, one audit row per
  version.
- Access is enforced by both: a user of another organisation opening a form of the first one is refused on each
  server (403 with one sentence, none of the organisation's data in the page), and each refusal is in the store's
  refusals table; a request without the proxy's header is answered 403 by both (``--require-user``).

The module is skipped only when PostgreSQL's binaries are absent (tests/setup_system.sh installs them). The
deployment itself is described in docs/deployment.md.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import glob
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.browser_kit import CHROMIUM_ARGS, ROOT, stop
from tests.conftest import PARAMETERS
from tests.pg_server import free_port, postgres_server

pytestmark = pytest.mark.skipif(not glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                                reason="PostgreSQL's binaries are absent: run tests/setup_system.sh "
                                       "(apt install postgresql)")

A, B, PERIOD = "Karoo Vale Local Municipality", "Riverside District", "2025-26"
ADMIN, CHAMPION, OWNER, OUTSIDER = "ayanda@province.gov.za", "lindiwe@kvlm.gov.za", "sipho@kvlm.gov.za", \
    "bongani@riverside.gov.za"
HEADER = "X-Auth-User"
REGISTER = PARAMETERS / "registers" / "karoo_vale_municipality_2025.csv"
PAGE = "/voila/render/risk_evaluation.ipynb"
NO_ACCESS = f"You have no access to {A}; ask its risk champion"
# the environment a test run may carry that would change who the app or a store acts for
IDENTITY_ENV = {"WORKBOOK_USER", "WORKBOOK_REQUIRE_USER", "WORKBOOK_USER_HEADER", "WORKBOOK_APP", "SERVER_SOFTWARE"}


def _store(url: str, user: str | None = None):
    import workbook_lib.assessments.risk.records  # noqa: F401 - declares the "risk" record kind
    from workbook_lib.core.store import Store

    return Store(url, user=user)


def _author(name: str):
    from workbook_lib.core.store import Author

    return Author(name, identity="cli")


def _start_app(url: str, log: Path) -> tuple[subprocess.Popen, str]:
    """``workbook app`` on a free port, with a temporary folder of its own (its leftovers go with the test's)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in IDENTITY_ENV}
    tmp = log.with_suffix(".tmp")
    tmp.mkdir()
    env.update(WORKBOOK_DB=url, WORKBOOK_MAX_KERNELS="6", TMPDIR=str(tmp))
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "workbook_lib.cli", "app", "--port", str(port),
                                 "--user-header", HEADER, "--require-user"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def _wait_serving(proc: subprocess.Popen, base: str, log: Path) -> None:
    deadline = time.time() + 120
    while True:
        request = urllib.request.Request(base + "/", headers={HEADER: ADMIN})
        try:
            urllib.request.urlopen(request, timeout=2)
            return
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail(f"workbook app did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """One PostgreSQL store with access records and organisation A's register, served by two app processes:
    (store URL, [server addresses])."""
    with postgres_server() as url:
        from workbook_lib.core import records

        with _store(url) as store:  # opening it migrates it, before either app starts
            store.grant(A, ADMIN, "admin", _author(ADMIN), first_admin=True)
            store.grant(A, CHAMPION, "champion", _author(ADMIN))
            store.grant(A, OWNER, "owner", _author(ADMIN))
            store.grant(B, ADMIN, "admin", _author(ADMIN), first_admin=True)
            store.grant(B, OUTSIDER, "champion", _author(ADMIN))
            rows = records.rows_from_table(records.read_for_kind(REGISTER, "risk"), "risk")
            store.save(A, PERIOD, "risk", rows, _author(CHAMPION), source="import")
            store.save(B, PERIOD, "risk", {"RD-001": {"risk_id": "RD-001", "description": "River flooding"}},
                       _author(OUTSIDER))
        logs = tmp_path_factory.mktemp("two-servers")
        servers = [_start_app(url, logs / f"app{n}.log") for n in (1, 2)]
        try:
            for n, (proc, base) in enumerate(servers, 1):
                _wait_serving(proc, base, logs / f"app{n}.log")
            yield url, [base for _, base in servers]
        finally:
            for proc, _ in servers:
                stop(proc, timeout=30)


# ---- the forms of both processes --------------------------------------------------------------------------
async def _open(browser, base: str, user: str, organisation: str, status: int = 200):
    """A new browser context whose requests carry the proxy's header naming ``user``, on A's risk form of ``base``
    (answered ``status``)."""
    context = await browser.new_context(viewport={"width": 1300, "height": 1800}, extra_http_headers={HEADER: user})
    page = await context.new_page()
    page.set_default_timeout(300_000)  # a page's kernel runs the whole notebook: minutes on 2 busy cores
    query = urllib.parse.urlencode({"organisation": organisation, "period": PERIOD})
    response = await page.goto(f"{base}{PAGE}?{query}", wait_until="commit")
    assert response is not None and response.status == status, (base, user, response and response.status)
    return context, page


async def _saves_at_once(bases: list[str], writers: list[tuple[int, str, str]]) -> list[str]:
    """Each writer (server index, user, risk ID) opens A's risk form on its server and fills a risk; once every
    form is filled, all press Save together. The confirmations shown, in the writers' order."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            opened = await asyncio.gather(*(_open(browser, bases[n], user, A) for n, user, _ in writers))

            async def fill(page, user: str, risk: str) -> None:
                await page.wait_for_selector(".wb-risk-form .wb-save")
                assert await page.locator(".wb-respondent input").first.input_value() == user  # the proxy's user
                await page.locator(".wb-risk-id input").first.fill(risk)
                await page.locator(".wb-description textarea").first.fill(f"Saved through two servers: {risk}")
                await page.locator(".wb-inherent-likelihood select").select_option(label="3 · Moderate")
                await page.locator(".wb-inherent-impact select").select_option(label="2 · Minor")

            await asyncio.gather(*(fill(page, user, risk)
                                   for (_, page), (_, user, risk) in zip(opened, writers, strict=True)))
            await asyncio.gather(*(page.locator(".wb-save").click() for _, page in opened))

            async def confirmed(page, risk: str) -> str:
                await page.wait_for_selector(f".wb-feedback :is(.wb-ok, .wb-error):has-text('{risk}'), "
                                             ".wb-feedback .wb-error")
                return await page.locator(".wb-feedback").first.inner_text()

            return list(await asyncio.gather(*(confirmed(page, risk)
                                               for (_, page), (_, _, risk) in zip(opened, writers, strict=True))))
        finally:
            await browser.close()


async def _refused_pages(bases: list[str]) -> list[tuple[str, str]]:
    """The outsider opens A's risk form on each server: (visible text, page HTML) once the form has settled."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            shown = []
            for base in bases:
                # refused by the server, before any kernel starts: 403 with the sentence
                context, page = await _open(browser, base, OUTSIDER, A, status=403)
                await page.get_by_text(NO_ACCESS).wait_for()
                await page.wait_for_timeout(1000)  # anything else the kernel would still send
                shown.append((await page.locator("body").inner_text(), await page.content()))
                await context.close()
            return shown
        finally:
            await browser.close()


def _versions_and_audit(url: str, organisation: str, kind: str = "risk", period: str = PERIOD
                        ) -> tuple[dict[str, list[int]], Counter]:
    """Every version number of each record of the organisation's period, and its audit rows per (key, version)
    (read straight from the tables: what the store holds, whoever may read it)."""
    from workbook_lib.core.store import changes, organisations, periods, records

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(records.c.key, records.c.version, changes.c.id)
                .select_from(records.join(periods).join(organisations).outerjoin(changes))
                .where(organisations.c.name == organisation, periods.c.label == period, records.c.kind == kind)
            ).all()
    finally:
        engine.dispose()
    versions: dict[str, list[int]] = {}
    audit: Counter = Counter()
    for key, version, change in rows:
        versions.setdefault(key, []).append(version)
        audit[(key, version)] += change is not None
    return {k: sorted(v) for k, v in versions.items()}, audit


def test_saves_through_both_servers_at_once_are_all_kept(cluster):
    url, bases = cluster
    writers = [(0, CHAMPION, "TS-101"), (1, OWNER, "TS-201")]  # one page per server (each page: a kernel)
    shown = asyncio.run(_saves_at_once(bases, writers))
    for text, (_, _, risk) in zip(shown, writers, strict=True):
        assert f"Saved {risk}" in text, text
    versions, audit = _versions_and_audit(url, A)
    for _, _, risk in writers:
        assert versions[risk] == [1] and audit[(risk, 1)] == 1
    with _store(url, user=ADMIN) as store:
        trail = {(r["key"], r["who"], r["identity"]) for r in store.history(A, PERIOD, "risk")
                 if r["key"].startswith("TS-")}
    assert trail == {(risk, user, "proxy") for _, user, risk in writers}  # the proxy's user, through either server
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values())
    assert all(audit[(k, n)] == 1 for k, v in versions.items() for n in v)


def test_both_servers_refuse_another_organisations_user_and_record_it(cluster):
    url, bases = cluster
    with _store(url, user=CHAMPION) as store:
        before = len(store.refused(A))
        risks = store.current(A, PERIOD, "risk")
    secrets = [r.key for r in risks] + [str(r.data.get("description", ""))[:40] for r in risks
                                        if len(str(r.data.get("description", ""))) > 15]
    counts = [before]
    shown = []
    for base in bases:  # one server at a time, so each one's refusals are counted apart
        shown += asyncio.run(_refused_pages([base]))
        with _store(url) as store:
            counts.append(len(store.refused(A)))
    for text, content in shown:
        assert NO_ACCESS in text
        leaked = [s for s in secrets if s and s in content]
        assert not leaked, f"the page shows {A}'s data: {leaked[:5]}"
    assert counts[1] > counts[0] and counts[2] > counts[1], counts  # each server wrote its refusals
    with _store(url) as store:
        rows = store.refused(A)[before:]
    assert {(r["who"], r["organisation"], r["action"], r["message"]) for r in rows} == {(OUTSIDER, A, "read",
                                                                                          NO_ACCESS)}


def test_both_servers_answer_403_without_the_proxys_header(cluster):
    _, bases = cluster
    for base in bases:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + PAGE, timeout=30)
        assert refused.value.code == 403
        assert "You are not signed in" in refused.value.read().decode()


# ---- many writers at once, from other processes -------------------------------------------------------------
def _write_many(url: str, user: str, prefix: str, count: int, same_key: str | None, period: str) -> list[str]:
    """In a process of its own: ``count`` saves by ``user`` from 3 threads (each its own key, or all of them
    ``same_key``) to A's ``period``; the errors met, one line each."""
    for name in IDENTITY_ENV:
        os.environ.pop(name, None)
    store = _store(url)
    errors: list[str] = []

    def save(n: int) -> None:
        key = same_key or f"{prefix}-{n:03d}"
        try:
            store.save(A, period, "risk", {key: {"risk_id": key, "description": f"{prefix} save {n}"}},
                       _author(user), source="import")
        except Exception as exc:  # noqa: BLE001 - counted and shown by the test
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")

    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        list(pool.map(save, range(count)))
    store.close()
    return errors


def _writers(url: str, same_key: str | None, per_process: int = 12, period: str = PERIOD) -> list[str]:
    """Four processes (two per user of A) writing at once; the errors they met."""
    jobs = [(url, user, f"P{n}", per_process, same_key, period) for n, user in enumerate([CHAMPION, OWNER] * 2)]
    with concurrent.futures.ProcessPoolExecutor(len(jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        return [e for errors in pool.map(_write_many, *zip(*jobs, strict=True)) for e in errors]


def test_concurrent_saves_of_different_records_from_four_processes_are_all_kept(cluster):
    url, _ = cluster
    errors = _writers(url, same_key=None)
    assert errors == []
    versions, audit = _versions_and_audit(url, A)
    written = {k: v for k, v in versions.items() if k[:1] == "P" and "-" in k}
    assert len(written) == 4 * 12 and all(v == [1] for v in written.values())
    assert all(audit[(k, 1)] == 1 for k in written)


def test_concurrent_saves_of_one_record_from_four_processes_are_all_kept(cluster):
    """48 saves of one record at once, from four processes: each is kept as the next version (a save that meets
    another's commit of the same version reads again and is retried), versions 1..48, one audit row each."""
    url, _ = cluster
    errors = _writers(url, same_key="TS-SAME")
    assert errors == [], f"{len(errors)} of {4 * 12} saves refused, e.g. {errors[0]}"
    versions, audit = _versions_and_audit(url, A)
    assert versions["TS-SAME"] == list(range(1, 4 * 12 + 1))
    assert all(audit[("TS-SAME", n)] == 1 for n in versions["TS-SAME"])


def test_concurrent_first_saves_to_a_new_period_are_all_kept(cluster):
    """The first saves to a period nobody has saved to yet, at once from four processes: one period is made, and
    every save is kept in it."""
    url, _ = cluster
    errors = _writers(url, same_key=None, per_process=3, period="2026-27")
    assert errors == [], f"{len(errors)} of {4 * 3} saves refused, e.g. {errors[0]}"
    versions, audit = _versions_and_audit(url, A, period="2026-27")
    assert sorted(versions) == sorted(f"P{n}-{k:03d}" for n in range(4) for k in range(3))
    assert all(v == [1] and audit[(key, 1)] == 1 for key, v in versions.items())
    with _store(url, user=ADMIN) as store:
        assert store.periods(A).count("2026-27") == 1


def _prepare_folder(barrier, results) -> None:
    """As ``workbook app`` starting: its folder made (20 times, with the other process doing the same at once);
    then, once both are done, its first folder must still hold the notebooks."""
    from workbook_lib.app.serve import served_folder

    barrier.wait(60)
    try:
        first = served_folder()
        for _ in range(20):
            served_folder()
        barrier.wait(60)
        if not (first / "risk_evaluation.ipynb").is_file():
            raise FileNotFoundError(f"{first} was removed while its process was alive")
        results.put("")
    except Exception as exc:  # noqa: BLE001 - reported by the test
        results.put(f"{type(exc).__name__}: {exc}")


def test_two_processes_on_one_host_prepare_their_folders_at_once(tmp_path, monkeypatch):
    """Two ``workbook app`` of one installation starting together on one host each make the folder they serve
    (app/serve.py served_folder), neither failing nor removing the other's."""
    from workbook_lib.assessments import pages, registry

    registry(), pages()  # imported before the fork: both reach the folder together
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # never the folder of a real app on this machine
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    starts = [context.Process(target=_prepare_folder, args=(barrier, results)) for _ in range(2)]
    for start in starts:
        start.start()
    for start in starts:
        start.join(120)
    errors = [e for e in (results.get(timeout=10) for _ in starts) if e]
    assert errors == []
