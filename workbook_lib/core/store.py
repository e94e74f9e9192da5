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
import difflib
import json
import os
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from workbook_lib.core import access
from workbook_lib.core.access import ACCESS_KIND, ACCESS_PERIOD, ORGANISATION_KIND, AccessRefused, Decision
from workbook_lib.core.errors import StoreError
from workbook_lib.core.kinds import KNOWN_KINDS, LINE_OF, OWNED_VIA, OWNER_OF
from workbook_lib.core.store_url import DEFAULT_DB as DEFAULT_DB  # the project's file, named here as before
from workbook_lib.core.store_url import database_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "0003"  # latest migration; tests/core/test_store.py checks it matches the migration scripts
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
sa.Index("ix_records_kind", records.c.kind)
refusals = sa.Table(  # every read or write core/access.py refused: the audit trail of what was not allowed
    "refusals", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("who", sa.String(200), nullable=True),  # null: nobody signed in
    sa.Column("organisation", sa.String(200), nullable=False),
    sa.Column("period", sa.String(100), nullable=True),
    sa.Column("kind", sa.String(40), nullable=True),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("line", sa.String(100), nullable=True),
    sa.Column("message", sa.String(500), nullable=False),
)


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

    def __init__(self, url: str | None = None, migrate: bool = True, create: bool = True, user: str | None = None):
        """``create=False``: only an existing store is opened (a run that reads never creates one). ``user``: who
        reads and writes through this store (core/access.py); None: the proxy's user in the app, else the author
        of a write (``--who``), else ``WORKBOOK_USER``."""
        self.url = database_url(url)
        self.user = user
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
        """Run ``work(conn)`` in one write transaction, retrying if the database stays busy, or if another process
        wrote the same new version, organisation or period at the same moment (PostgreSQL: each transaction read
        before the other committed; the one refused by the unique constraint reads again and writes after it)."""
        delay = 0.05
        for attempt in range(8):
            try:
                with self.writer.begin() as conn:
                    return work(conn)
            except sa.exc.IntegrityError as exc:
                if not _raced(exc) or attempt == 7:
                    raise
                time.sleep(delay * (1 + random.random()))  # apart from the other writer's own retry
                delay *= 2
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
        All rows, and their audit entries, are written in one transaction: all or nothing. Refused (AccessRefused,
        with an audit row) when the author may not write them (core/access.py).
        """
        _check_kind(kind)
        kept_apart = kind in (ACCESS_KIND, ORGANISATION_KIND)  # kept under no period
        if kept_apart != (period.strip() == ACCESS_PERIOD):
            raise StoreError(f"the period {ACCESS_PERIOD} keeps only who may see and change what: "
                             "choose another period" if not kept_apart else
                             "access records are kept by `workbook access grant`, under no period")
        payload = {str(k): None if v is None else _clean(v) for k, v in rows.items()}
        check_names(organisation, period, payload, method, source)
        self._no_near_namesake(organisation)
        action = "grant" if kind == ACCESS_KIND else "settings" if kind in (access.SETTING_KIND, ORGANISATION_KIND) \
            else "write"
        user = access.acting_user(self.user, author)
        if self.access_enforced():
            lines: list[Any] = []
            if action == "write" and kind in LINE_OF:
                withdrawn = [k for k, v in payload.items() if v is None]
                before = self._latest_data(organisation, period, kind, withdrawn) if withdrawn else {}
                lines = [LINE_OF[kind](data if data is not None else before.get(key) or {})
                         for key, data in payload.items()]
            self.require(user, organisation, action, lines, kind in LINE_OF and action == "write", period, kind)
            if action == "write" and (kind in OWNER_OF or kind in OWNED_VIA):
                self._own_only(user, organisation, period, kind, payload)
        return self._save(organisation, period, kind, payload, author, method, source)

    def _own_only(self, user: str | None, organisation: str, period: str, kind: str,
                  payload: dict[str, dict[str, Any] | None]) -> None:
        """An owner whose grant names a position ("Director Technical Services") changes only the records they own,
        before and after the change (a risk whose owner is that position; a treatment action of such a risk);
        refused with an audit row otherwise. The champion, and an owner granted no position, change every one."""
        roles = self.access_roles(user, organisation)
        mine = self.access_positions(user, organisation, "owner") if "owner" in roles else []
        if "champion" in roles or not mine:
            return
        before = self._latest_data(organisation, period, kind, list(payload))
        if kind in OWNED_VIA:
            owning, column = OWNED_VIA[kind]
            risk_of = {key: str((data or before.get(key) or {}).get(column, "")) for key, data in payload.items()}
            risks = self._latest_data(organisation, period, owning, sorted(set(risk_of.values())))
            owners = {key: [OWNER_OF[owning](risks.get(rid) or {})] for key, rid in risk_of.items()}
        else:
            owners = {key: [OWNER_OF[kind](d) for d in (data, before.get(key)) if d is not None]
                      for key, data in payload.items()}
        held = {organisation_key(p) for p in mine}
        foreign = [key for key, found in owners.items()
                   if not all(organisation_key(str(o or "")) in held for o in found)]
        if foreign:
            message = (f"You may change only what you own in {organisation} (as {' or '.join(mine)}): "
                       f"{', '.join(foreign[:5])}{' and more' if len(foreign) > 5 else ''} "
                       f"{'is' if len(foreign) == 1 else 'are'} not yours; ask its risk champion")
            self._refuse(message, user, organisation, "write", period, kind)

    def _save(self, organisation: str, period: str, kind: str, payload: dict[str, dict[str, Any] | None],
              author: Author, method: Method | None, source: str) -> SaveResult:
        """:meth:`save` once allowed."""

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

    # ---- who may see and change what (core/access.py) -------------------------------------------------------
    def access_enforced(self) -> bool:
        """False in single-user mode: no access record in the store and no --require-user."""
        if access.require_user():
            return True
        with self.engine.connect() as conn:
            return _has_access(conn)

    def access_roles(self, user: str | None, organisation: str) -> set[str]:
        """The roles ``user`` holds in ``organisation`` (names compared without regard to case)."""
        if not user:
            return set()
        wanted = user.strip().casefold()
        return {r["role"] for r in self._access_rows(organisation) if r["user"].strip().casefold() == wanted}

    def access_positions(self, user: str | None, organisation: str, role: str = "decider") -> list[str]:
        """The positions ``user`` holds ``role`` as in ``organisation`` ("Municipal Manager": the role a methodology
        names as decision maker), as granted (``workbook access grant --as``); blank positions left out."""
        if not user:
            return []
        wanted = user.strip().casefold()
        return [r["position"] for r in self._access_rows(organisation) if r["user"].strip().casefold() == wanted
                and r["role"] == role and r["position"]]

    def access_list(self, organisation: str | None = None) -> list[dict[str, str]]:
        """Every current grant (organisation, user, role, note), of one organisation or all. No check here: the caller
        checks (``workbook access list`` reads the organisation first, or lists only the organisations the user
        holds a role in)."""
        names = [self.organisation_named(organisation) or organisation] if organisation else self._all_organisations()
        return [{"organisation": org, **row} for org in names for row in self._access_rows(org)]

    def _access_rows(self, organisation: str) -> list[dict[str, str]]:
        with self.engine.connect() as conn:
            period_id = _period_id(conn, organisation, ACCESS_PERIOD)
            if period_id is None:
                return []
            rows = _latest_rows(conn, period_id, ACCESS_KIND)
        return [{"user": str(r["data"].get("user", "")), "role": str(r["data"].get("role", "")),
                 "note": str(r["data"].get("note", "")), "position": str(r["data"].get("position", "") or "")}
                for r in rows if r["data"] is not None]

    def access_decision(self, user: str | None, organisation: str, action: str, lines: Iterable[Any] = (),
                        line_kind: bool = False) -> Decision:
        """Whether ``user`` may take ``action`` in ``organisation`` (core/access.py's rules), and if not, why."""
        with self.engine.connect() as conn:
            enforced = _has_access(conn)
        if not enforced:
            if user or not access.require_user():
                return Decision(True)
            return Decision(False, access.refusal(organisation, set(), action, user=None))
        roles = self.access_roles(user, organisation)
        if user and access.allowed(roles, action, lines, line_kind):
            return Decision(True)
        return Decision(False, access.refusal(organisation, roles, action, lines, user=user))

    def require(self, user: str | None, organisation: str, action: str, lines: Iterable[Any] = (),
                line_kind: bool = False, period: str | None = None, kind: str | None = None) -> None:
        """Refuse (AccessRefused, one sentence) what ``user`` may not do, writing an audit row for the refusal."""
        lines = list(lines)
        decision = self.access_decision(user, organisation, action, lines, line_kind)
        if decision.allowed:
            return
        shown = ", ".join(sorted({str(x) for x in lines if x not in (None, "")}))
        self._refuse(decision.message, user, organisation, action, period, kind, shown or None)

    def _refuse(self, message: str, user: str | None, organisation: str, action: str, period: str | None,
                kind: str | None, line: str | None = None) -> None:
        """Keep the refusal's audit row, then raise it (AccessRefused, one sentence)."""
        row = {"at": _now(), "who": user[:200] if user else None, "organisation": organisation.strip()[:200],
               "period": period[:100] if period else None, "kind": kind, "action": action,
               "line": line[:100] if line else None, "message": message[:500]}
        self._write(lambda conn: conn.execute(refusals.insert().values(**row)))
        raise AccessRefused(message, user, organisation, action, line)

    def refused(self, organisation: str | None = None) -> list[dict[str, Any]]:
        """The refusals kept, oldest first (of one organisation, or all)."""
        query = sa.select(refusals).order_by(refusals.c.id)
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        if organisation is not None:
            rows = [r for r in rows if organisation_key(r["organisation"]) == organisation_key(organisation)]
        for row in rows:
            row["at"] = _utc(row["at"])
        return rows

    def grant(self, organisation: str, user: str, role: str, author: Author, note: str = "",
              first_admin: bool = False, source: str = "cli", position: str = "") -> SaveResult:
        """Give ``user`` the ``role`` in ``organisation`` (an admin of it may; ``first_admin``: the organisation's
        first admin, allowed only while it has none, by whoever holds the store). ``position``: what the user holds
        the role as (a decider's "Municipal Manager": decisions are recorded in that role)."""
        if role not in access.ROLES:
            raise StoreError(f"there is no role {role!r}; the roles are {', '.join(access.ROLES)}")
        user = user.strip()
        if not user:
            raise StoreError("name the user (the name the sign-in proxy passes)")
        row = {f"{user}|{role}": {"user": user, "role": role, "note": note,
                                  **({"position": " ".join(position.split())} if position.strip() else {})}}
        if not first_admin:
            return self.save(organisation, ACCESS_PERIOD, ACCESS_KIND, row, author, source=source)
        if role != "admin":
            raise StoreError("--first-admin grants the role admin: give --role admin")
        admins = [r for r in self._access_rows(organisation.strip()) if r["role"] == "admin"]
        if admins:
            raise StoreError(f"{organisation} has an administrator already ({admins[0]['user']}): ask them to grant "
                             "access, without --first-admin")
        check_names(organisation, ACCESS_PERIOD, row, None, source)
        return self._save(organisation, ACCESS_PERIOD, ACCESS_KIND, {k: _clean(v) for k, v in row.items()}, author,
                          None, source)

    def revoke(self, organisation: str, user: str, role: str, author: Author, source: str = "cli") -> SaveResult:
        """Take ``role`` in ``organisation`` from ``user`` (a withdrawal: the trail keeps the grant)."""
        wanted = user.strip().casefold()
        keys = [f"{r['user']}|{r['role']}" for r in self._access_rows(organisation.strip())
                if r["user"].strip().casefold() == wanted and r["role"] == role]
        if not keys:
            raise StoreError(f"{user} does not hold the role {role} in {organisation}: nothing to revoke")
        return self.save(organisation, ACCESS_PERIOD, ACCESS_KIND, dict.fromkeys(keys), author, source=source)

    def _readable(self, organisation: str) -> bool:
        return self.access_decision(access.acting_user(self.user), organisation, "read").allowed

    def _latest_data(self, organisation: str, period: str, kind: str, keys: list[str]) -> dict[str, Any]:
        with self.engine.connect() as conn:
            period_id = _period_id(conn, organisation, period)
            found = _latest(conn, period_id, kind, keys) if period_id is not None else {}
        return {k: v["data"] for k, v in found.items()}

    def _all_organisations(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(organisations.c.name).order_by(organisations.c.name)).scalars())

    # ---- reads -------------------------------------------------------------------------------------
    def fingerprint(self, organisation: str = "") -> tuple[int, int, int]:
        """A cheap token that changes whenever an organisation or a period is added, or anything is saved for
        ``organisation`` (any period): a form built earlier compares it to know whether what it shows is
        still what the store holds."""
        with self.engine.connect() as conn:
            saved = (sa.select(sa.func.max(records.c.id)).select_from(records.join(periods))
                     .where(periods.c.organisation_id == _organisation_id(conn, organisation)))
            orgs = conn.execute(sa.select(sa.func.max(organisations.c.id))).scalar()
            pers = conn.execute(sa.select(sa.func.max(periods.c.id))).scalar()
            return orgs or 0, pers or 0, conn.execute(saved).scalar() or 0

    def organisations(self) -> list[str]:
        """The organisations in the store; once access is enforced, only those the user holds a role in."""
        names = self._all_organisations()
        if not self.access_enforced():
            return names
        user = access.acting_user(self.user)
        return [name for name in names if self.access_roles(user, name)]

    def periods(self, organisation: str) -> list[str]:
        """The organisation's periods (none for a user who may not read it)."""
        if not self._readable(organisation):
            return []
        with self.engine.connect() as conn:
            query = (sa.select(periods.c.label)
                     .where(periods.c.organisation_id == _organisation_id(conn, organisation),
                            periods.c.label != ACCESS_PERIOD)
                     .order_by(periods.c.label))
            return list(conn.execute(query).scalars())

    def organisation_named(self, organisation: str) -> str | None:
        """The organisation's name as the store keeps it, found without regard to case and spacing; None: no such
        organisation."""
        with self.engine.connect() as conn:
            org_id = _organisation_id(conn, organisation)
            if org_id is None:
                return None
            return conn.execute(sa.select(organisations.c.name).where(organisations.c.id == org_id)).scalar()

    # ---- organisations are entities: created on purpose, never by a typing slip; renamed with their history ----
    def _no_near_namesake(self, organisation: str) -> None:
        """Refuse to start an organisation by saving to a name that comes close to one the store keeps (a slip:
        "Blue Crane Route Municpality"); :meth:`create_organisation` starts one on purpose."""
        if self.organisation_named(organisation) is not None:
            return
        near = self.near_organisations(organisation, cutoff=SLIP)
        # another process may have started this very organisation since the line above: its own name is no slip
        if any(organisation_key(n) == organisation_key(organisation) for n in near):
            return
        if near:
            raise StoreError(f"nothing was saved: there is no organisation named {organisation.strip()!r}; did you "
                             f"mean {' or '.join(near)}? Choose it, or ask the administrator to create a new "
                             "organisation of that name")

    def create_organisation(self, name: str, author: Author, source: str = "cli") -> str:
        """Start an organisation on purpose (also one whose name is close to another's); refused if one of that
        name, whatever its case and spacing, exists. With access records kept, an administrator of an organisation
        starts a new one with ``workbook access grant --first-admin``."""
        name = " ".join(name.split())
        if not name:
            raise StoreError("name the organisation")
        existing = self.organisation_named(name)
        if existing is not None:
            raise StoreError(f"the organisation {existing!r} exists already")
        if self.access_enforced():
            raise StoreError("access records are kept: an organisation is started by granting its first "
                             "administrator (workbook access grant --first-admin)")
        row = {"name": {"name": name, "renamed_from": ""}}
        check_names(name, ACCESS_PERIOD, row, None, source)
        self._save(name, ACCESS_PERIOD, ORGANISATION_KIND, row, author, None, source)
        return name

    def rename_organisation(self, old: str, new: str, author: Author, source: str = "cli") -> str:
        """Give an organisation a new name; its periods, records, history and access stay with it (they are kept
        by the organisation, not by its name). The champion or the administrator renames (once access records are
        kept); the rename is itself a record, with who and when."""
        current = self.organisation_named(old)
        if current is None:
            near = self.near_organisations(old)
            raise StoreError(f"there is no organisation named {old.strip()!r}"
                             + (f"; did you mean {' or '.join(near)}?" if near else ""))
        new = " ".join(new.split())
        if not new:
            raise StoreError("name the organisation's new name")
        taken = self.organisation_named(new)
        if taken is not None and taken != current:
            raise StoreError(f"the organisation {taken!r} exists already: choose another name")
        self.require(access.acting_user(self.user, author), current, "settings", period=ACCESS_PERIOD,
                     kind=ORGANISATION_KIND)
        check_names(new, ACCESS_PERIOD, {"name": {"name": new}}, None, source)

        def work(conn: Connection) -> None:
            org_id = _organisation_id(conn, current)
            conn.execute(organisations.update().where(organisations.c.id == org_id).values(name=new))

        self._write(work)
        self._save(new, ACCESS_PERIOD, ORGANISATION_KIND, {"name": {"name": new, "renamed_from": current}}, author,
                   None, source)
        return new

    def near_organisations(self, organisation: str, count: int = 3, cutoff: float = 0.8) -> list[str]:
        """Organisations the user may read whose names come close to ``organisation`` (a typing slip), to propose
        (``cutoff``: difflib's similarity, 0-1)."""
        names = {organisation_key(n): n for n in self.organisations()}
        return [names[k] for k in difflib.get_close_matches(organisation_key(organisation), list(names), count,
                                                            cutoff)]

    def current(self, organisation: str, period: str, kind: str) -> list[Record]:
        """The latest version of each record (withdrawn ones left out), in key order; refused (AccessRefused, an
        audit row) for a user who may not read the organisation."""
        _check_kind(kind)
        self.require(access.acting_user(self.user), organisation, "read", period=period, kind=kind)
        with self.engine.connect() as conn:
            period_id = _period_id(conn, organisation, period)
            if period_id is None:
                return []
            rows = _latest_rows(conn, period_id, kind)
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
        for column, value in ((periods.c.label, period), (records.c.kind, kind), (records.c.key, key)):
            if value is not None:
                query = query.where(column == value)
        if organisation is not None:
            self.require(access.acting_user(self.user), organisation, "read", period=period, kind=kind)
        with self.engine.connect() as conn:
            if organisation is not None:
                query = query.where(organisations.c.id == _organisation_id(conn, organisation))
            rows = [dict(r) for r in conn.execute(query).mappings()]
        if organisation is None and self.access_enforced():  # the whole trail: the organisations the user may read
            readable = {name for name in {r["organisation"] for r in rows} if self._readable(name)}
            rows = [r for r in rows if r["organisation"] in readable]
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


# how alike two organisations' names must be (difflib's ratio, case and spacing aside) for a save to a new one to be
# taken for a typing slip of the other: "Blue Crane Route Municpality" is 0.98 alike "... Municipality", while
# different municipalities sharing their last words ("Karoo Vale" / "Karoo Hoogland Local Municipality") are 0.84
SLIP = 0.93

def _raced(exc: sa.exc.IntegrityError) -> bool:
    """A unique constraint another transaction's commit broke (PostgreSQL's 23505): the same record version,
    organisation or period written by two at once; worth reading again and retrying. (SQLite runs one writer at a
    time: there, a unique violation is no race and is raised at once.)"""
    return (getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)) == "23505"


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


def organisation_key(name: str) -> str:
    """An organisation's name as compared: without regard to case and spacing ("blue crane  route
    municipality" is "Blue Crane Route Municipality")."""
    return " ".join(str(name).split()).casefold()


def _organisation_id(conn: Connection, organisation: str) -> int | None:
    """The organisation of that name: spelt as kept, else the one whose name differs only in case and spacing."""
    found = conn.execute(sa.select(organisations.c.id).where(organisations.c.name == organisation)).scalar()
    if found is not None:
        return found
    wanted = organisation_key(organisation)
    if not wanted:
        return None
    for org_id, name in conn.execute(sa.select(organisations.c.id, organisations.c.name).order_by(organisations.c.id)):
        if organisation_key(name) == wanted:
            return org_id
    return None


def _period_id(conn: Connection, organisation: str, period: str) -> int | None:
    org_id = _organisation_id(conn, organisation)
    if org_id is None:
        return None
    query = sa.select(periods.c.id).where(periods.c.organisation_id == org_id, periods.c.label == period)
    return conn.execute(query).scalar()


def _ensure_period(conn: Connection, organisation: str, period: str) -> int:
    organisation, period = organisation.strip(), period.strip()
    if not organisation or not period:
        raise StoreError("an organisation and a period are needed to save anything")
    org_id = _organisation_id(conn, organisation)
    if org_id is None:
        org_id = conn.execute(organisations.insert().values(name=organisation, created_at=_now())
                              ).inserted_primary_key[0]
    period_id = _period_id(conn, organisation, period)
    if period_id is None:
        period_id = conn.execute(periods.insert().values(organisation_id=org_id, label=period, created_at=_now())
                                 ).inserted_primary_key[0]
    return period_id


def _has_access(conn: Connection) -> bool:
    """Whether the store holds any access record (even a revoked one): then access is enforced."""
    return conn.execute(sa.select(records.c.id).where(records.c.kind == ACCESS_KIND).limit(1)).first() is not None


def _latest_rows(conn: Connection, period_id: int, kind: str) -> list[Any]:
    """The latest version of each record of ``kind`` in the period (withdrawn ones included), in key order."""
    latest = (sa.select(records.c.key, sa.func.max(records.c.version).label("version"))
              .where(records.c.period_id == period_id, records.c.kind == kind)
              .group_by(records.c.key).subquery())
    query = (sa.select(records).join(latest, sa.and_(records.c.key == latest.c.key,
                                                     records.c.version == latest.c.version))
             .where(records.c.period_id == period_id, records.c.kind == kind).order_by(records.c.key))
    return list(conn.execute(query).mappings().all())


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
