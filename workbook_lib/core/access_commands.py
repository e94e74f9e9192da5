"""``workbook access``: who may see and change what (core/access.py), kept in the store.

    workbook access grant  --user U --organisation O --role R --who ADMIN [--first-admin]
    workbook access revoke --user U --organisation O --role R --who ADMIN
    workbook access list   [--organisation O] [--who NAME]
    workbook access import FILE --who ADMIN          # CSV or .xlsx: user, organisation, role[, note]
    workbook access refusals [--organisation O]
    workbook organisation create NAME --who NAME     # on purpose, also a name close to another's
    workbook organisation rename OLD NEW --who NAME  # its periods, records, history and access go with it
    workbook organisation list [--who NAME]

Registered by cli.py like an assessment's commands (``register(app)``); nothing heavy at import.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from workbook_lib.core.access import ROLES
from workbook_lib.core.commands import EXIT_INPUT, fail_input, print_problems
from workbook_lib.core.errors import InputError, Problem, StoreError

if TYPE_CHECKING:
    from workbook_lib.core.store import Author, Store

IMPORT_COLUMNS = {"user": ["User", "User name", "Name", "Login"], "organisation": ["Organisation", "Organization"],
                  "role": ["Role"], "note": ["Note", "Notes", "Comment"],
                  "position": ["Position", "Decides as", "Title", "Job title"]}
_ROLE_HELP = "; ".join(f"{name}: {meaning}" for name, meaning in ROLES.items())

access_app = typer.Typer(help="Who may see and change what: roles per organisation (admin, champion, owner, line1, "
                              "line2, line3, decider, reader). With no access record in the store everything is "
                              "allowed (one user on one machine).", no_args_is_help=True)


organisation_app = typer.Typer(help="Organisations are kept as entities: started on purpose (a name close to one the "
                                    "store keeps is refused when a save would start it), found whatever their case "
                                    "and spacing, renamed with their history.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(access_app, name="access")
    app.add_typer(organisation_app, name="organisation")


@organisation_app.command("create")
def create_organisation(name: str = typer.Argument(..., help="the organisation's name, as it should be written"),
                        who: str = typer.Option(..., "--who", help="your name, kept in the trail"),
                        store: str | None = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")
                        ) -> None:
    """Start an organisation (with access records kept: grant its first administrator instead)."""
    author = _author(who)
    with _store(store, who) as st:
        created = st.create_organisation(name, author)
    typer.echo(f"{created}: created.")


@organisation_app.command("rename")
def rename_organisation(old: str = typer.Argument(..., help="its name now"),
                        new: str = typer.Argument(..., help="its new name"),
                        who: str = typer.Option(..., "--who", help="your name (its champion or administrator)"),
                        store: str | None = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")
                        ) -> None:
    """Rename an organisation; its periods, records, history and access go with it."""
    author = _author(who)
    with _store(store, who) as st:
        done = st.rename_organisation(old, new, author)
    typer.echo(f"{old.strip()} is now {done}; its periods, records, history and access went with it.")


@organisation_app.command("list")
def list_organisations(who: str | None = typer.Option(None, "--who", help="your name (default WORKBOOK_USER)"),
                       store: str | None = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")
                       ) -> None:
    """The organisations you may read, with their periods."""
    with _store(store, who) as st:
        rows = [(name, st.periods(name)) for name in st.organisations()]
    if not rows:
        typer.echo("No organisation you may read.")
    for name, periods in rows:
        typer.echo(f"{name}: {', '.join(periods) if periods else 'no period yet'}")


@contextlib.contextmanager
def _store(url: str | None, user: str | None = None) -> Iterator[Store]:
    """The store, acting as ``user``; any StoreError (a refusal included) is one line and exit 2."""
    from workbook_lib.core.store import Store  # lazy: sqlalchemy

    try:
        with Store(url, user=user) as st:
            yield st
    except StoreError as exc:
        fail_input(str(exc))


def _author(who: str) -> Author:
    from workbook_lib.core.store import Author  # lazy: sqlalchemy

    try:
        return Author(who, identity="cli")
    except StoreError as exc:
        fail_input(str(exc))


def _role(role: str) -> str:
    role = role.strip().lower()
    if role not in ROLES:
        fail_input(f"there is no role {role!r}; the roles are {', '.join(ROLES)}")
    return role


@access_app.command("grant")
def grant(user: str = typer.Option(..., "--user", help="the name the sign-in proxy passes"),
          organisation: str = typer.Option(..., "--organisation"),
          role: str = typer.Option(..., "--role", help=_ROLE_HELP),
          who: str = typer.Option(..., "--who", help="your name (an admin of the organisation), kept in the trail"),
          note: str = typer.Option("", "--note", help="why, kept with the grant"),
          position: str = typer.Option("", "--as", help="the position the role is held as: a decider's role in "
                                                        "the methodology (e.g. \"Municipal Manager\"), recorded "
                                                        "with every decision they take; an owner's name as the "
                                                        "register's Owner column gives it (they then change only "
                                                        "those risks and their actions)"),
          first_admin: bool = typer.Option(False, "--first-admin",
                                           help="make USER the organisation's first admin (only while it has none)"),
          store: str | None = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")) -> None:
    """Give a user a role in an organisation (an admin of it may; the first admin with --first-admin)."""
    role = _role(role)
    author = _author(who)
    with _store(store, who) as st:
        result = st.grant(organisation.strip(), user, role, author, note=note, first_admin=first_admin,
                          position=position)
    done = "granted" if result.created or result.updated else "already held"
    held = f" (as {' '.join(position.split())})" if position.strip() else ""
    typer.echo(f"{user.strip()}: {role}{held} of {organisation.strip()} {done}.")


@access_app.command("revoke")
def revoke(user: str = typer.Option(..., "--user"), organisation: str = typer.Option(..., "--organisation"),
           role: str = typer.Option(..., "--role"),
           who: str = typer.Option(..., "--who", help="your name (an admin of the organisation), kept in the trail"),
           store: str | None = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")) -> None:
    """Take a role away (the audit trail keeps the grant and who revoked it)."""
    role = _role(role)
    author = _author(who)
    with _store(store, who) as st:
        st.revoke(organisation.strip(), user, role, author)
    typer.echo(f"{user.strip()}: {role} of {organisation.strip()} revoked.")


@access_app.command("list")
def list_access(organisation: str | None = typer.Option(None, "--organisation"),
                who: str | None = typer.Option(None, "--who", help="your name (default WORKBOOK_USER)"),
                store: str | None = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")) -> None:
    """Who holds which role, in one organisation or every one you may read."""
    with _store(store, who) as st:
        if organisation is not None:
            st.current(organisation.strip(), "(access)", "access")  # the read check (refused: one line, exit 2)
            names = [organisation.strip()]
        else:
            names = st.organisations()
        rows = [r for name in names for r in st.access_list(name)]
        enforced = st.access_enforced()
    if not rows:
        typer.echo("No access records: everyone may see and change everything (single-user mode)." if not enforced
                   else "No access records for that selection.")
        return
    width = max(len(r["user"]) for r in rows)
    for r in rows:
        note = f"  ({r['note']})" if r["note"] else ""
        held = f" as {r['position']}" if r.get("position") else ""
        typer.echo(f"{r['organisation']}  {r['user']:<{width}}  {r['role']}{held}{note}")


@access_app.command("import")
def import_access(file: Path = typer.Argument(..., help="CSV or .xlsx: User, Organisation, Role[, Note, Position]"),
                  who: str = typer.Option(..., "--who", help="your name (an admin of each organisation named)"),
                  sheet: str | None = typer.Option(None, help="sheet name in an .xlsx"),
                  store: str | None = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")) -> None:
    """Grant every row of a file; with any problem (a missing name, an unknown role, an organisation you may not
    grant access to), print all and grant nothing."""
    from workbook_lib.core.tables import ROW, read_table  # lazy: pandas

    author = _author(who)
    try:
        table = read_table(file, IMPORT_COLUMNS, sheet=sheet)
    except InputError as exc:
        print_problems(exc, "nothing was granted")
        raise typer.Exit(EXIT_INPUT) from None
    problems: list[Problem] = []
    grants: list[tuple[str, str, str, str, str]] = []
    for row in table.frame.to_dict("records"):
        values = {c: str(row.get(c, "") or "").strip() for c in IMPORT_COLUMNS}
        for column in ("user", "organisation", "role"):
            if not values[column]:
                problems.append(Problem(table.file, row[ROW], table.heading_for(column), "", f"a {column}"))
        if values["role"] and values["role"].lower() not in ROLES:
            problems.append(Problem(table.file, row[ROW], table.heading_for("role"), values["role"],
                                    f"one of {', '.join(ROLES)}"))
        grants.append((values["organisation"], values["user"], values["role"].lower(), values["note"],
                       values["position"]))
    if problems:
        print_problems(InputError(problems), "nothing was granted")
        raise typer.Exit(EXIT_INPUT)
    with _store(store, who) as st:
        for organisation in dict.fromkeys(g[0] for g in grants):  # every organisation checked before any grant
            st.require(who, organisation, "grant")
        changed = sum(bool(st.grant(org, user, role, author, note=note, position=position).created)
                      for org, user, role, note, position in grants)
    typer.echo(f"{file}: {changed} granted, {len(grants) - changed} already held.")


@access_app.command("refusals")
def refusals(organisation: str | None = typer.Option(None, "--organisation"),
             store: str | None = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")) -> None:
    """Every read or write that was refused: when, who, which organisation, what, and the sentence they read."""
    with _store(store) as st:
        rows = st.refused(organisation.strip() if organisation else None)
    if not rows:
        typer.echo("No refusals recorded for that selection.")
        return
    for r in rows:
        what = " ".join(x for x in (r["action"], r["kind"] or "", r["period"] or "") if x)
        typer.echo(f"{r['at']:%Y-%m-%d %H:%M:%S} UTC  {r['who'] or '(nobody signed in)'}  {r['organisation']}  "
                   f"{what}: {r['message']}")
