"""The store: organisations, periods and append-only versions of every record, with an audit trail.

SQLite by default (``workbook.db`` in the project, git-ignored), or the URL in ``WORKBOOK_DB``
(``postgresql://user@host/db`` for a shared deployment). The schema is created and upgraded by the
alembic migrations in ``workbook_lib/core/migrations``; opening a store upgrades it in place.

Nothing is updated in place or deleted: a change writes a new version of the record, and the audit
row (who, when, before and after) is written in the same transaction. The current state is the
latest version of each record.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from workbook_lib.core.errors import StoreError
from workbook_lib.core.kinds import KNOWN_KINDS
from workbook_lib.core.paths import PROJECT_ROOT

DEFAULT_DB = PROJECT_ROOT / "workbook.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "0002"  # latest migration; tests/core/test_store.py checks it matches the migration scripts
BUSY_TIMEOUT_S = 60
NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "fuse.sshfs", "9p", "afs", "ceph",
                       "glusterfs", "fuse.glusterfs", "lustre", "gpfs", "davfs", "fuse.s3fs", "fuse.rclone"}

metadata = sa.MetaData()
organisations = sa.Table(
    "organisations", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
periods = sa.Table(
    "periods", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False),
    sa.Column("label", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("organisation_id", "label", name="uq_period"),
)
records = sa.Table(
    "records", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("period_id", sa.Integer, sa.ForeignKey("periods.id"), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("data", sa.JSON, nullable=True),  # null: the record was withdrawn in this version
    sa.Column("method_name", sa.String(200), nullable=True),
    sa.Column("method_version", sa.String(50), nullable=True),
    sa.Column("method_sha256", sa.String(64), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("period_id", "kind", "key", "version", name="uq_record_version"),
)
changes = sa.Table(
    "changes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id"), nullable=False, unique=True),
    sa.Column("who", sa.String(200), nullable=False),
    sa.Column("line", sa.String(100), nullable=True),
    sa.Column("identity", sa.String(20), nullable=False),  # proxy | respondent | cli
    sa.Column("source", sa.String(20), nullable=False, server_default="unknown"),  # form | import | cli
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("before", sa.JSON, nullable=True),
    sa.Column("after", sa.JSON, nullable=True),
)
sa.Index("ix_records_lookup", records.c.period_id, records.c.kind, records.c.key)


@dataclass(frozen=True)
class Author:
    """Who makes a change: the signed-in user a proxy passed, else the respondent's name and line."""

    name: str
    line: str | None = None
    identity: str = "respondent"  # proxy | respondent | cli

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise StoreError("a change needs the name of the person making it")
        check_text(self.name.strip(), changes.c.who, "the name of the person making a change")
        check_text(self.line, changes.c.line, "the line of assurance")
        check_text(self.identity, changes.c.identity, "how the person was identified")


@dataclass(frozen=True)
class Method:
    """The methodology or questionnaire version a record was made with."""

    name: str
    version: str | None = None
    sha256: str | None = None


@dataclass
class Record:
    key: str
    version: int
    data: dict[str, Any]
    method: Method | None
    at: dt.datetime


@dataclass
class SaveResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.created)} added, {len(self.updated)} changed, "
                f"{len(self.unchanged)} unchanged" + (f", {len(self.withdrawn)} removed" if self.withdrawn else ""))


def database_url(url: str | None = None) -> str:
    """The store's URL: the argument, else ``WORKBOOK_DB``, else the project's SQLite file.

    A plain path means a SQLite file; ``postgresql://`` uses the psycopg driver.
    """
    url = url or os.environ.get("WORKBOOK_DB") or str(DEFAULT_DB)
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _mount_types() -> list[tuple[str, str]]:
    try:
        text = Path("/proc/mounts").read_text()
    except OSError:
        return []
    mounts = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            mounts.append((parts[1].replace("\\040", " "), parts[2]))
    return mounts


def filesystem_type(path: Path) -> str | None:
    """The type of the filesystem holding ``path`` (Linux), or None when unknown."""
    path = path.resolve()
    best, fstype = "", None
    for mount, kind in _mount_types():
        if (path == Path(mount) or Path(mount) in path.parents) and len(mount) >= len(best):
            best, fstype = mount, kind
    return fstype


def _check_local(db_path: Path) -> None:
    fstype = filesystem_type(db_path.parent)
    if fstype in NETWORK_FILESYSTEMS and os.environ.get("WORKBOOK_DB_ALLOW_NETWORK") != "1":
        raise StoreError(
            f"the store {db_path} is on a network filesystem ({fstype}); SQLite's locking is not reliable "
            "there and answers could be lost. Put the file on a local disk, or use PostgreSQL "
            "(WORKBOOK_DB=postgresql://...). WORKBOOK_DB_ALLOW_NETWORK=1 overrides this check.")


def _sqlite_engine(url: str, create: bool = True) -> Engine:
    db_path = Path(sa.engine.make_url(url).database or "")
    if str(db_path) not in {"", ":memory:"}:
        if not create and not db_path.is_file():  # a run that only reads never creates an empty store
            raise StoreError(f"there is no store at {db_path}: nothing has been saved there yet (save through "
                             "the web form or `workbook store import` first, or name the right store)")
        _check_local(db_path)
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"the store's folder {db_path.parent} cannot be created ({exc.strerror})") from None
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below issue BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged write survives a crash
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # writers take the write lock at the start, so two transactions never deadlock upgrading from
        # read to write (SQLite would answer "database is locked" at once); readers never block
        write = conn.get_execution_options().get("workbook_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


class Store:
    """One store (SQLite file or PostgreSQL database), migrated to the latest schema on open."""

    def __init__(self, url: str | None = None, migrate: bool = True, create: bool = True):
        """``create=False``: only an existing store is opened (a run that reads never creates one)."""
        self.url = database_url(url)
        if self.url.startswith("sqlite"):
            self.engine = _sqlite_engine(self.url, create)
        else:
            self.engine = sa.create_engine(self.url, pool_pre_ping=True)
        self.writer = self.engine.execution_options(workbook_write=True)
        if migrate:
            try:
                self.migrate()
            except sa.exc.DatabaseError as exc:  # a file that is not a database, a server that refuses
                self.engine.dispose()
                reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
                raise StoreError(f"{self.describe()} is not a usable workbook store ({reason})") from None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def describe(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ---- schema ------------------------------------------------------------------------------------
    def revision(self) -> str | None:
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()

    def migrate(self, revision: str = "head") -> None:
        """Create or upgrade the schema in place (alembic); cheap when already current."""
        if revision == "head" and self.revision() == HEAD:
            return
        # lazy: alembic (0.2 s) only when a store is opened
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.writer.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)

    # ---- writes ------------------------------------------------------------------------------------
    def _write(self, work):
        """Run ``work(conn)`` in one write transaction, retrying if the database stays busy."""
        delay = 0.05
        for attempt in range(8):
            try:
                with self.writer.begin() as conn:
                    return work(conn)
            except sa.exc.OperationalError as exc:
                if _full(exc):  # the transaction was rolled back: nothing of it was written
                    reason = str(exc.orig).splitlines()[0] if exc.orig else "full"
                    raise StoreError(f"the store {self.describe()} is full ({reason}): nothing was saved; free some "
                                     "space (or raise its quota) and save again") from None
                busy = "locked" in str(exc).lower() or "busy" in str(exc).lower()
                if not busy or attempt == 7:
                    raise
                time.sleep(delay)
                delay *= 2

    def save(self, organisation: str, period: str, kind: str, rows: dict[str, dict[str, Any]], author: Author,
             method: Method | None = None, source: str = "form") -> SaveResult:
        """Write a new version of every record in ``rows`` (key -> data) whose data changed.

        Data ``None`` withdraws a record: a new version with no data, so the history keeps what it was.
        All rows, and their audit entries, are written in one transaction: all or nothing.
        """
        _check_kind(kind)
        payload = {str(k): None if v is None else _clean(v) for k, v in rows.items()}
        check_names(organisation, period, payload, method, source)

        def work(conn: Connection) -> SaveResult:
            period_id = _ensure_period(conn, organisation, period)
            latest = _latest(conn, period_id, kind, list(payload))
            now = _now()
            result = SaveResult()
            for key, data in payload.items():
                before = latest.get(key)
                if (before["data"] if before is not None else None) == data:
                    result.unchanged.append(key)
                    continue
                version = before["version"] + 1 if before is not None else 1
                record_id = conn.execute(records.insert().values(
                    period_id=period_id, kind=kind, key=key, version=version, data=data,
                    method_name=method.name if method else None,
                    method_version=method.version if method else None,
                    method_sha256=method.sha256 if method else None, created_at=now)).inserted_primary_key[0]
                conn.execute(changes.insert().values(
                    record_id=record_id, who=author.name.strip(), line=author.line, identity=author.identity,
                    source=source, at=now, before=before["data"] if before else None, after=data))
                if data is None:
                    result.withdrawn.append(key)
                elif before is not None and before["data"] is not None:
                    result.updated.append(key)
                else:
                    result.created.append(key)
            return result

        return self._write(work)

    # ---- reads -------------------------------------------------------------------------------------
    def fingerprint(self, organisation: str = "") -> tuple[int, int, int]:
        """A cheap token that changes whenever an organisation or a period is added, or anything is saved for
        ``organisation`` (any period): a form built earlier compares it to know whether what it shows is
        still what the store holds."""
        saved = (sa.select(sa.func.max(records.c.id)).select_from(records.join(periods).join(organisations))
                 .where(organisations.c.name == organisation))
        with self.engine.connect() as conn:
            orgs = conn.execute(sa.select(sa.func.max(organisations.c.id))).scalar()
            pers = conn.execute(sa.select(sa.func.max(periods.c.id))).scalar()
            return orgs or 0, pers or 0, conn.execute(saved).scalar() or 0

    def organisations(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(organisations.c.name).order_by(organisations.c.name)).scalars())

    def periods(self, organisation: str) -> list[str]:
        query = (sa.select(periods.c.label).join(organisations)
                 .where(organisations.c.name == organisation).order_by(periods.c.label))
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def current(self, organisation: str, period: str, kind: str) -> list[Record]:
        """The latest version of each record (withdrawn ones left out), in key order."""
        _check_kind(kind)
        with self.engine.connect() as conn:
            period_id = _period_id(conn, organisation, period)
            if period_id is None:
                return []
            latest = (sa.select(records.c.key, sa.func.max(records.c.version).label("version"))
                      .where(records.c.period_id == period_id, records.c.kind == kind)
                      .group_by(records.c.key).subquery())
            query = (sa.select(records).join(latest, sa.and_(records.c.key == latest.c.key,
                                                             records.c.version == latest.c.version))
                     .where(records.c.period_id == period_id, records.c.kind == kind).order_by(records.c.key))
            rows = conn.execute(query).mappings().all()
        return [Record(r["key"], r["version"], r["data"],
                       Method(r["method_name"], r["method_version"], r["method_sha256"]) if r["method_name"] else None,
                       _utc(r["created_at"]))
                for r in rows if r["data"] is not None]

    def history(self, organisation: str | None = None, period: str | None = None, kind: str | None = None,
                key: str | None = None) -> list[dict[str, Any]]:
        """The audit trail, oldest first: who changed which record, when, and from what to what."""
        query = (sa.select(organisations.c.name.label("organisation"), periods.c.label.label("period"),
                           records.c.kind, records.c.key, records.c.version, changes.c.who, changes.c.line,
                           changes.c.identity, changes.c.source, changes.c.at, changes.c.before, changes.c.after)
                 .select_from(changes.join(records).join(periods).join(organisations))
                 .order_by(changes.c.id))
        for column, value in ((organisations.c.name, organisation), (periods.c.label, period),
                              (records.c.kind, kind), (records.c.key, key)):
            if value is not None:
                query = query.where(column == value)
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        for row in rows:
            row["at"] = _utc(row["at"])
            row["changed"] = _changed_fields(row["before"], row["after"])
        return rows


def check_text(value: str | None, column: sa.Column, what: str) -> None:
    """Refuse, in one line naming the field and the limit, text the store could not keep in ``column``: longer than
    the column (PostgreSQL refuses it mid-write; SQLite would keep it silently) or holding a NUL (PostgreSQL refuses
    it). The limit is the column's own size in the table definitions above, so the check and the schema agree
    (tests/core/test_store_limits.py checks the migrations build the same sizes)."""
    if value is None:
        return
    limit = column.type.length
    if limit is not None and len(value) > limit:
        raise StoreError(f"{what} ({_start(value)}) is {len(value):,} characters long; the store keeps at most {limit} "
                         "characters: nothing was saved")
    if "\x00" in value:
        raise StoreError(f"{what} ({_start(value)}) contains a NUL character, which the store cannot keep: "
                         "nothing was saved")


def _start(value: str) -> str:
    """A value quoted for a message, its start only when long (enough to find it by)."""
    return repr(value[:40]) + ("\u2026" if len(value) > 40 else "")


def check_names(organisation: str, period: str, keys: Iterable[str], method: Method | None = None,
                source: str = "form") -> None:
    """Everything a save writes into a sized column, checked before anything is written (StoreError)."""
    check_text(organisation.strip(), organisations.c.name, "the organisation's name")
    check_text(period.strip(), periods.c.label, "the period")
    for key in keys:
        check_text(key, records.c.key, "a record's key (a risk ID, a setting's name, ...)")
    if method is not None:
        check_text(method.name, records.c.method_name, "the methodology's name")
        check_text(method.version, records.c.method_version, "the methodology's version")
        check_text(method.sha256, records.c.method_sha256, "the methodology's SHA-256")
    check_text(source, changes.c.source, "where the change came from")


def _full(exc: sa.exc.OperationalError) -> bool:
    """SQLite's "database or disk is full" (the disk, a quota or max_page_count), PostgreSQL's disk_full (53100)."""
    return getattr(exc.orig, "sqlstate", None) == "53100" or "database or disk is full" in str(exc.orig).lower()


def _check_kind(kind: str) -> None:
    if kind not in KNOWN_KINDS:
        raise StoreError(f"unknown record kind {kind!r}; known: {', '.join(sorted(KNOWN_KINDS))}")


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copy: text stays text, blanks are empty strings, nothing else is rewritten."""
    return json.loads(json.dumps({str(k): ("" if v is None else v) for k, v in data.items()}, default=str))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _period_id(conn: Connection, organisation: str, period: str) -> int | None:
    query = (sa.select(periods.c.id).join(organisations)
             .where(organisations.c.name == organisation, periods.c.label == period))
    return conn.execute(query).scalar()


def _ensure_period(conn: Connection, organisation: str, period: str) -> int:
    organisation, period = organisation.strip(), period.strip()
    if not organisation or not period:
        raise StoreError("an organisation and a period are needed to save anything")
    org_id = conn.execute(sa.select(organisations.c.id).where(organisations.c.name == organisation)).scalar()
    if org_id is None:
        org_id = conn.execute(organisations.insert().values(name=organisation, created_at=_now())
                              ).inserted_primary_key[0]
    period_id = _period_id(conn, organisation, period)
    if period_id is None:
        period_id = conn.execute(periods.insert().values(organisation_id=org_id, label=period, created_at=_now())
                                 ).inserted_primary_key[0]
    return period_id


def _latest(conn: Connection, period_id: int, kind: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    keys = list(keys)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), 500):  # stay under SQLite's bound-parameter limit
        chunk = keys[start:start + 500]
        latest = (sa.select(records.c.key, sa.func.max(records.c.version).label("version"))
                  .where(records.c.period_id == period_id, records.c.kind == kind, records.c.key.in_(chunk))
                  .group_by(records.c.key).subquery())
        query = (sa.select(records.c.key, records.c.version, records.c.data)
                 .join(latest, sa.and_(records.c.key == latest.c.key, records.c.version == latest.c.version))
                 .where(records.c.period_id == period_id, records.c.kind == kind))
        for row in conn.execute(query).mappings():
            found[row["key"]] = {"version": row["version"], "data": row["data"]}
    return found


def _changed_fields(before: dict | None, after: dict | None) -> str:
    before, after = before or {}, after or {}
    names = [k for k in dict.fromkeys([*before, *after]) if before.get(k, "") != after.get(k, "")]
    return ", ".join(names)
