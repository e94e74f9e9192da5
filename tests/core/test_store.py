"""The store: append-only versions with an audit trail, on SQLite and PostgreSQL; concurrency; crash safety."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from tests.conftest import PARAMETERS, ROOT
from tests.pg_server import postgres_server
from workbook_lib.assessments.risk.register import validate_register
from workbook_lib.core import records as wb_records
from workbook_lib.core import store as wb_store
from workbook_lib.core.store import Author, Method, Store, StoreError

ORG, PERIOD = "Karoo Vale Local Municipality", "2025-26"
ANN = Author("Ann Dlamini", "1st line")


@pytest.fixture(scope="session")
def pg_url():
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        st = Store(str(tmp_path / "store.db"))
    else:
        url = request.getfixturevalue("pg_url")
        engine = sa.create_engine(url)
        with engine.begin() as conn:  # a clean schema for each test
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        st = Store(url)
    yield st
    st.close()


def test_new_store_is_migrated_to_head(store):
    assert store.revision() == wb_store.HEAD
    assert set(sa.inspect(store.engine).get_table_names()) >= {"organisations", "periods", "records", "changes"}


def test_head_constant_matches_the_migration_scripts():
    config = Config()
    config.set_main_option("script_location", str(wb_store.MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == wb_store.HEAD


def test_a_change_writes_a_new_version_and_an_audit_entry(store):
    method = Method("western-cape-5x5", "1.0", "ab" * 32)
    first = store.save(ORG, PERIOD, "risk", {"R1": {"risk_id": "R1", "description": "Cash shortfall"}}, ANN, method)
    assert first.created == ["R1"]
    bob = Author("Bob Naidoo", "2nd line")
    second = store.save(ORG, PERIOD, "risk", {"R1": {"risk_id": "R1", "description": "Cash shortfall in Q3"},
                                              "R2": {"risk_id": "R2", "description": "Grant claw-back"}}, bob)
    assert second.updated == ["R1"] and second.created == ["R2"]
    again = store.save(ORG, PERIOD, "risk", {"R2": {"risk_id": "R2", "description": "Grant claw-back"}}, bob)
    assert again.unchanged == ["R2"] and not again.created and not again.updated

    current = {r.key: r for r in store.current(ORG, PERIOD, "risk")}
    assert current["R1"].version == 2 and current["R1"].data["description"] == "Cash shortfall in Q3"
    assert current["R2"].version == 1
    with store.engine.connect() as conn:  # nothing updated in place: both versions of R1 are kept
        versions = conn.execute(sa.text("SELECT version, data FROM records WHERE key = 'R1' ORDER BY version")).all()
    assert [v for v, _ in versions] == [1, 2]

    trail = store.history(ORG, PERIOD, "risk", "R1")
    assert [(h["who"], h["line"], h["version"]) for h in trail] == [("Ann Dlamini", "1st line", 1),
                                                                   ("Bob Naidoo", "2nd line", 2)]
    assert trail[1]["before"]["description"] == "Cash shortfall" and trail[1]["changed"] == "description"
    assert trail[0]["at"].tzinfo is not None and trail[0]["at"].utcoffset().total_seconds() == 0
    assert store.organisations() == [ORG] and store.periods(ORG) == [PERIOD]


def test_a_failed_write_leaves_neither_record_nor_audit(store, monkeypatch):
    store.save(ORG, PERIOD, "risk", {"R1": {"risk_id": "R1"}}, ANN)
    real_insert = wb_store.changes.insert
    calls = {"n": 0}

    def failing_insert():
        calls["n"] += 1
        if calls["n"] == 2:  # the audit row of the second record in the batch
            raise RuntimeError("disk full")
        return real_insert()

    monkeypatch.setattr(wb_store.changes, "insert", failing_insert)
    with pytest.raises(RuntimeError, match="disk full"):
        store.save(ORG, PERIOD, "risk", {"R1": {"risk_id": "R1", "x": "changed"}, "R2": {"risk_id": "R2"}}, ANN)
    monkeypatch.undo()
    assert [(r.key, r.version) for r in store.current(ORG, PERIOD, "risk")] == [("R1", 1)]
    assert len(store.history()) == 1


def test_writes_need_a_name_and_a_known_kind(store):
    with pytest.raises(StoreError, match="name of the person"):
        Author("  ")
    with pytest.raises(StoreError, match="unknown record kind"):
        store.save(ORG, PERIOD, "nonsense", {"a": {}}, ANN)
    with pytest.raises(StoreError, match="organisation and a period"):
        store.save(" ", PERIOD, "risk", {"a": {}}, ANN)


def test_register_round_trips_through_the_store(store, western_cape):
    path = PARAMETERS / "registers" / "karoo_vale_municipality_2025.csv"
    table = wb_records.read_for_kind(path, "risk")
    method = Method("western-cape-5x5", western_cape.methodology.version, western_cape.sha256)
    result = wb_records.save_table(store, ORG, PERIOD, "risk", table, ANN, method, source="import")
    assert len(result.created) == 21
    from_store = wb_records.table_from_store(store, ORG, PERIOD, "risk")
    assert from_store.file == f"store: {ORG} / {PERIOD} (risk)"
    a = validate_register(table, western_cape.methodology).frame.drop(columns=["row"]).sort_values("risk_id")
    b = validate_register(from_store, western_cape.methodology).frame.drop(columns=["row"]).sort_values("risk_id")
    assert a.reset_index(drop=True).equals(b.reset_index(drop=True))
    assert wb_records.methods_in_store(store, ORG, PERIOD, "risk") == {method}


def test_existing_store_upgrades_in_place_without_loss(tmp_path):
    path = tmp_path / "old.db"
    old = Store(str(path), migrate=False)
    old.migrate("0001")
    with old.writer.begin() as conn:  # data written by the first schema
        conn.execute(sa.text("INSERT INTO organisations (id, name, created_at) VALUES (1, 'Old Org', '2024-01-01')"))
        conn.execute(sa.text("INSERT INTO periods (id, organisation_id, label, created_at) "
                             "VALUES (1, 1, '2023-24', '2024-01-01')"))
        conn.execute(sa.text("INSERT INTO records (id, period_id, kind, key, version, data, created_at) VALUES "
                             "(1, 1, 'risk', 'R9', 1, '{\"risk_id\": \"R9\"}', '2024-01-01')"))
        conn.execute(sa.text("INSERT INTO changes (id, record_id, who, identity, at, after) VALUES "
                             "(1, 1, 'Old Hand', 'cli', '2024-01-01', '{\"risk_id\": \"R9\"}')"))
    old.close()
    upgraded = Store(str(path))
    assert upgraded.revision() == wb_store.HEAD
    assert [(r.key, r.data) for r in upgraded.current("Old Org", "2023-24", "risk")] == [("R9", {"risk_id": "R9"})]
    trail = upgraded.history("Old Org")
    assert trail[0]["who"] == "Old Hand" and trail[0]["source"] == "unknown"
    upgraded.save("Old Org", "2023-24", "risk", {"R9": {"risk_id": "R9", "note": "new"}}, ANN)
    assert upgraded.current("Old Org", "2023-24", "risk")[0].version == 2


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    st = Store(str(tmp_path / "w.db"))
    with st.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000


def test_a_store_on_a_network_filesystem_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(wb_store, "_mount_types", lambda: [("/", "ext4"), (str(tmp_path), "nfs4")])
    with pytest.raises(StoreError, match=r"network filesystem \(nfs4\).*PostgreSQL"):
        Store(str(tmp_path / "shared.db"))
    monkeypatch.setenv("WORKBOOK_DB_ALLOW_NETWORK", "1")
    Store(str(tmp_path / "shared.db")).close()


def test_database_url_forms(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBOOK_DB", raising=False)
    assert wb_store.database_url() == f"sqlite:///{wb_store.DEFAULT_DB}"
    monkeypatch.setenv("WORKBOOK_DB", str(tmp_path / "x.db"))
    assert wb_store.database_url() == f"sqlite:///{tmp_path / 'x.db'}"
    assert wb_store.database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert "workbook.db" in (ROOT / ".gitignore").read_text() or "*.db" in (ROOT / ".gitignore").read_text()


WRITER = textwrap.dedent("""
    import sys
    from workbook_lib.assessments import registry
    from workbook_lib.core.store import Author, Store
    registry()  # the record kinds the assessments declare
    url, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    st = Store(url)
    for i in range(count):
        st.save("Org", "P1", "risk", {f"W{worker:02d}-{i:03d}": {"risk_id": f"W{worker:02d}-{i:03d}"}},
                Author(f"worker {worker}", "1st line"))
""")


def test_sixteen_processes_writing_at_once_lose_nothing(tmp_path):
    db = tmp_path / "busy.db"
    Store(str(db)).close()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(w), "50"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in range(16)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    assert all(code == 0 for code, _ in results), [err for _, err in results if err][:1]
    assert not any("locked" in err for _, err in results)
    st = Store(str(db))
    assert len(st.current("Org", "P1", "risk")) == 800
    assert len(st.history("Org", "P1")) == 800


CRASHER = textwrap.dedent("""
    import sys
    from workbook_lib.assessments import registry
    from workbook_lib.core.store import Author, Store
    registry()  # the record kinds the assessments declare
    st = Store(sys.argv[1])
    batch = 0
    while True:
        rows = {f"B{batch:05d}-{i:03d}": {"risk_id": f"B{batch:05d}-{i:03d}", "description": "x" * 200}
                for i in range(200)}
        st.save("Org", "P1", "risk", rows, Author("crash test", "1st line"))
        print(batch, flush=True)  # acknowledged: the transaction committed
        batch += 1
""")


def test_a_write_killed_mid_transaction_leaves_the_store_consistent(tmp_path):
    db = tmp_path / "crash.db"
    Store(str(db)).close()
    proc = subprocess.Popen([sys.executable, "-c", CRASHER, str(db)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    acked = []
    deadline = time.time() + 120
    while len(acked) < 5 and time.time() < deadline:
        acked.append(int(proc.stdout.readline()))
    time.sleep(0.013)  # land inside a later transaction
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    acked += [int(line) for line in proc.stdout.read().split()]
    assert len(acked) >= 5
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    keys = {k for (k,) in conn.execute("SELECT key FROM records")}
    audit = conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    conn.close()
    for batch in acked:
        assert all(f"B{batch:05d}-{i:03d}" in keys for i in range(200))
    assert len(keys) % 200 == 0 and audit == len(keys)  # whole transactions only, each with its audit rows


# ---- what the store can keep: names within their columns, a full store (hostile input, items 10 and 11) -------------
LONG = {"organisation": 201, "period": 101, "key": 201}


@pytest.mark.parametrize("field", ["organisation", "period", "key", "methodology", "nul"])
def test_a_name_longer_than_its_column_is_one_line_and_nothing_is_written(store, field):
    """PostgreSQL refused it mid-write with a long traceback, SQLite kept it silently: both refuse it now, before
    anything is written, naming the field and the limit (the column's own size)."""
    org, period, key, method = ORG, PERIOD, "R1", None
    if field == "organisation":
        org = "O" * LONG["organisation"]
    elif field == "period":
        period = "2" * LONG["period"]
    elif field == "key":
        key = "K" * LONG["key"]
    elif field == "methodology":
        method = Method("M" * 201, "1.0", "ab" * 32)
    else:
        org = "Karoo\x00Vale"
    expected = {"organisation": "the organisation's name .* 201 characters long; the store keeps at most 200",
                "period": "the period .* 101 characters long; the store keeps at most 100",
                "key": "a record's key .* 201 characters long; the store keeps at most 200",
                "methodology": "the methodology's name .* at most 200", "nul": "contains a NUL character"}[field]
    with pytest.raises(StoreError, match=expected) as refused:
        store.save(org, period, "risk", {key: {"risk_id": key}}, ANN, method)
    assert "\n" not in str(refused.value) and str(refused.value).endswith("nothing was saved")
    assert store.organisations() == [] and store.history() == []


def test_names_as_long_as_their_columns_are_kept_whole(store):
    org, period, key = "O" * 200, "P" * 100, "K" * 200
    store.save(org, period, "risk", {key: {"risk_id": key}}, Author("A" * 200, "L" * 100),
               Method("M" * 200, "V" * 50, "ab" * 32))
    assert store.organisations() == [org] and store.periods(org) == [period]
    assert [r.key for r in store.current(org, period, "risk")] == [key]
    assert store.current("O" * 300, period, "risk") == []  # reading with a name too long finds nothing, no error


@pytest.mark.parametrize("name, line, expected", [("A" * 201, None, "name of the person .* at most 200"),
                                                  ("Ann", "L" * 101, "line of assurance .* at most 100")])
def test_an_author_longer_than_the_audit_trail_keeps_is_refused(name, line, expected):
    with pytest.raises(StoreError, match=expected):
        Author(name, line)


def test_the_limits_are_the_columns_the_migrations_build(store):
    """The checks read the sizes of the table definitions in store.py; the migrations must build the same ones."""
    inspector = sa.inspect(store.engine)
    for table in wb_store.metadata.sorted_tables:
        built = {c["name"]: getattr(c["type"], "length", None) for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if isinstance(column.type, sa.String) and not isinstance(column.type, sa.JSON):
                assert built[column.name] == column.type.length, (table.name, column.name)


def test_a_full_store_is_one_line_and_nothing_is_saved(tmp_path):
    """SQLite's "database or disk is full" (here max_page_count; a full disk or quota says the same) ends in one
    line naming the store; the transaction is rolled back, so the store keeps what it had."""
    st = Store(str(tmp_path / "full.db"))
    st.save(ORG, PERIOD, "risk", {"R1": {"risk_id": "R1"}}, ANN)
    with st.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    st.engine.dispose()
    sa.event.listen(st.engine, "connect", lambda c, _r: c.execute(f"PRAGMA max_page_count={pages + 2}"))
    rows = {f"R{i}": {"risk_id": f"R{i}", "description": "x" * 2000} for i in range(2, 200)}
    with pytest.raises(StoreError, match=r"^the store sqlite:///.*full\.db is full \(database or disk is full\): "
                                         r"nothing was saved") as refused:
        st.save(ORG, PERIOD, "risk", rows, ANN)
    assert "\n" not in str(refused.value)
    assert [r.key for r in st.current(ORG, PERIOD, "risk")] == ["R1"] and len(st.history()) == 1
    st.close()


def test_postgresql_disk_full_is_recognised():
    class DiskFull(Exception):
        sqlstate = "53100"

    assert wb_store._full(sa.exc.OperationalError("INSERT", {}, DiskFull("could not extend file")))
    assert not wb_store._full(sa.exc.OperationalError("INSERT", {}, Exception("database is locked")))


@pytest.mark.parametrize("option, value", [("--organisation", "O" * 250), ("--period", "P" * 150),
                                           ("--who", "W" * 250), ("--line", "L" * 150)])
def test_store_import_of_a_name_too_long_is_one_line_and_saves_nothing(tmp_path, option, value):
    args = {"--organisation": ORG, "--period": PERIOD, "--who": "Tester", "--line": "1st line", option: value}
    db = tmp_path / "cli.db"
    register = PARAMETERS / "registers" / "karoo_vale_municipality_2025.csv"
    result = subprocess.run([str(Path(sys.executable).parent / "workbook"), "store", "import", str(register),
                             "-a", "risk-evaluation", "-m", "western-cape-5x5", *[x for kv in args.items() for x in kv],
                             "--store", str(db)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "characters long; the store keeps at most" in result.stderr and "nothing was saved" in result.stderr
    assert not db.exists()  # the store is not even created


@pytest.mark.parametrize("url", ["sqlite:///rel.db", "sqlite:////abs/path/x.db", "sqlite://", "sqlite:///:memory:",
                                 "sqlite+pysqlite:///a b/c.db", "sqlite:///x.db?mode=ro&uri=true",
                                 "sqlite:///C:/Users/risk/wb.db", "postgresql+psycopg://u:p@h/db", "mysql://h/db"])
def test_the_sqlite_file_a_url_names_is_read_as_sqlalchemy_reads_it(url):
    """core.store_url reads a SQLite URL's file without importing SQLAlchemy; it must name the file make_url does."""
    import sqlalchemy as sa

    from workbook_lib.core.store_url import sqlite_database

    parsed = sa.engine.make_url(url)
    expected = (parsed.database or "") if parsed.get_backend_name() == "sqlite" else None
    assert sqlite_database(url) == expected


def test_a_file_run_naming_no_existing_store_never_imports_sqlalchemy(tmp_path):
    """The summary's decisions part of a run from files: with no store file there is nothing to join, and the kernel
    does not spend 0.3 s importing SQLAlchemy to find that out (it did, in every risk run's last cell)."""
    import subprocess
    import sys

    code = f"""
import sys
from types import SimpleNamespace
from workbook_lib.assessments import decisions_in_summary
params = SimpleNamespace(source="file", store_url={str(tmp_path / 'none.db')!r}, organisation="Karoo Vale",
                         period="2025-26")
summary = {{"assessment": "risk-evaluation", "organisation": "Karoo Vale", "period": "2025-26",
           "as_of": "2025-11-30", "risks": []}}
print(decisions_in_summary(summary, params), "sqlalchemy" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["{}", "False"], out
