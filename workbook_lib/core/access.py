"""Who may see and change what: roles per organisation, the one check every store read and write passes, and who
the user is (the one header an authenticating proxy sets).

A user (the name the proxy passes, or ``--who`` on the command line) has roles per organisation, kept in the store
as records of kind ``access`` (versioned and audited like every record; a revoke is a withdrawal):

- ``admin``: grants and revokes access; reads.
- ``champion``: the risk champion: settings, imports, every form and record of the organisation.
- ``owner``: risk owners: records that carry no line of assurance (the register, treatment actions); an owner
  granted a position (``--as "Director Technical Services"``, as the register's Owner column names them) changes
  only the risks that position owns and their treatment actions.
- ``line1``, ``line2``, ``line3``: their own line's ratings (records whose kind declares a line: COSO responses,
  capacity answers, the assurance map by its provider's line), never another line's.
- ``decider``: takes decisions (approves, rejects, revokes, signs off) in the position the grant names
  (``workbook access grant --as "Municipal Manager"``); writes like ``owner``.
- ``reader``: reads only (auditors, committee members).

Every role reads the organisation's records. Actions: ``read``, ``write`` (an assessment's records, with the line
of the records written), ``settings`` (the organisation's settings), ``grant`` (access records), ``decide``
(approve, reject or revoke a decision, sign a period off: deciders, recorded in the position their grant names,
e.g. "Municipal Manager"), ``submit`` (submit a period for sign-off: the champion) and ``reopen`` (reopen a signed-off
period: the champion or a decider).

**Single-user mode**: with no access record anywhere in the store, and no ``--require-user``
(``WORKBOOK_REQUIRE_USER=1``), everything is allowed, as before roles existed. Once one access record exists, every
organisation is closed to everyone without a role in it.

The store (core/store.py) calls :func:`decide` from its reads and writes; this module imports nothing of the
store (the store imports it), so it also serves the form toolkit and the Voilà server without SQLAlchemy.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workbook_lib.core.errors import StoreError

ROLES = {
    "admin": "grants and revokes access",
    "champion": "settings, imports, every form",
    "owner": "the records of the risks they own and their treatment actions",
    "line1": "line 1's ratings (management)",
    "line2": "line 2's ratings (risk management, compliance)",
    "line3": "line 3's ratings (internal audit)",
    "decider": "the decisions their role may take",
    "reader": "reads reports and forms, changes nothing",
}
ROLE_WORDS = {"admin": "Administrator", "champion": "Risk champion", "owner": "Risk owner", "line1": "Management",
              "line2": "Risk management", "line3": "Internal audit", "decider": "Decision maker", "reader": "Reader"}
ACTIONS = ("read", "write", "settings", "grant", "decide", "submit", "reopen")
ACCESS_KIND = "access"  # the record kind of a grant: key "user|role", data {user, role, note}
ACCESS_PERIOD = "(access)"  # the period access records are kept under: never listed as a period
ORGANISATION_KIND = "organisation"  # kept under ACCESS_PERIOD too: the organisation's name, created and renamed
SETTING_KIND = "setting"  # core/settings.py: changing it is the "settings" action
LINE_ROLES = {"line1": "1", "line2": "2", "line3": "3"}
USER_HEADER_ENV = "WORKBOOK_USER_HEADER"
REQUIRE_USER_ENV = "WORKBOOK_REQUIRE_USER"
CLI_USER_ENV = "WORKBOOK_USER"  # who a command that writes nothing (export, history, a run from the store) acts as
_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,99}")


class AccessRefused(StoreError):
    """A read or write the user may not make: one plain sentence (a page shows it; the CLI exits 2)."""

    def __init__(self, message: str, user: str | None, organisation: str, action: str, line: str | None = None):
        super().__init__(message)
        self.user, self.organisation, self.action, self.line = user, organisation, action, line


@dataclass(frozen=True)
class Decision:
    allowed: bool
    message: str = ""


# ---- the rules ----------------------------------------------------------------------------------------------
def allowed(roles: Iterable[str], action: str, lines: Iterable[str | None] = (), line_kind: bool = False) -> bool:
    """May someone with ``roles`` in an organisation take ``action``? ``lines``: the lines of assurance of the records
    written (a write); ``line_kind``: the records written are of a kind that carries a line."""
    roles = set(roles)
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    if not roles:
        return False
    if action == "read":
        return True
    if action == "grant":
        return "admin" in roles
    if action == "settings":
        return bool(roles & {"champion", "admin"})
    if action == "decide":  # approve, reject or revoke a decision; sign a period off
        return "decider" in roles
    if action == "submit":  # submit a period for sign-off
        return "champion" in roles
    if action == "reopen":  # reopen a signed-off period: the accounting officer, or the champion
        return bool(roles & {"champion", "decider"})
    if "champion" in roles:  # write: every record
        return True
    if not line_kind:
        return bool(roles & {"owner", "decider"})
    own = {LINE_ROLES[r] for r in roles if r in LINE_ROLES}
    lines = [normal_line(x) for x in lines]
    return bool(own) and all(x in own for x in lines)


def normal_line(line: Any) -> str | None:
    """``"2"``, ``2``, ``"line 2"``, ``"2nd line"`` -> ``"2"``; anything else None."""
    found = re.search(r"[123]", str(line or ""))
    return found.group(0) if found else None


def refusal(organisation: str, roles: Iterable[str], action: str, lines: Iterable[str | None] = (),
            user: str | None = None) -> str:
    """The one sentence a refused user reads."""
    roles = set(roles)
    if user is None:
        return (f"Nobody is signed in, so {organisation} stays closed: sign in through your organisation's sign-in "
                "page (a command: --who or WORKBOOK_USER)")
    if not roles:
        return f"You have no access to {organisation}; ask its risk champion"
    if action == "grant":
        return f"Only an administrator of {organisation} may grant or revoke access; ask its administrator"
    if action == "settings":
        return f"Only the risk champion of {organisation} may change its settings; ask its risk champion"
    if action == "decide":
        return (f"Only a decision maker of {organisation} may approve, reject, revoke or sign off; ask its "
                "administrator for the decider role")
    if action == "submit":
        return f"Only the risk champion of {organisation} may submit a period for sign-off; ask its risk champion"
    if action == "reopen":
        return (f"Only the risk champion or a decision maker of {organisation} may reopen a period; ask its risk "
                "champion")
    if roles <= {"reader", "admin"}:
        return f"You may read {organisation} but not change it; ask its risk champion"
    own = sorted(LINE_ROLES[r] for r in roles if r in LINE_ROLES)
    others = sorted({n for n in (normal_line(x) for x in lines) if n and n not in own})
    if own and others:
        mine = " and ".join(f"line {n}" for n in own)
        theirs = " and ".join(f"line {n}" for n in others)
        return f"You rate for {mine} of {organisation} and may not change {theirs}'s ratings"
    if own:
        return f"You may change only your line's ratings in {organisation}; ask its risk champion"
    return f"You may not change these records of {organisation}; ask its risk champion"


# ---- the check (the store supplies the roles) ---------------------------------------------------------------
def roles_of(store: Any, user: str | None, organisation: str) -> set[str]:
    """The roles ``user`` holds in ``organisation`` (empty: none, or no user)."""
    return store.access_roles(user, organisation) if user else set()


def may(store: Any, user: str | None, organisation: str, action: str, line: str | None = None) -> bool:
    """May ``user`` take ``action`` in ``organisation``? ``line``: the line of the ratings written (``write``).
    Always True in single-user mode (no access record in the store, no --require-user)."""
    return store.access_decision(user, organisation, action, [line] if line else [], line is not None).allowed


def check(store: Any, user: str | None, organisation: str, action: str, line: str | None = None) -> None:
    """:func:`may`, refused with :class:`AccessRefused` (one sentence) and an audit row when not."""
    store.require(user, organisation, action, [line] if line else [], line is not None)


# ---- who the user is ------------------------------------------------------------------------------------------
def user_header(environ: Mapping[str, str] | None = None) -> str | None:
    """The one request header naming the signed-in user (``workbook app --user-header``), or None."""
    value = (os.environ if environ is None else environ).get(USER_HEADER_ENV, "").strip()
    return value or None


def require_user(environ: Mapping[str, str] | None = None) -> bool:
    """``--require-user`` (``WORKBOOK_REQUIRE_USER=1``): nothing without a signed-in user."""
    return (os.environ if environ is None else environ).get(REQUIRE_USER_ENV, "").strip().lower() in {"1", "true",
                                                                                                     "yes"}


def user_from_headers(headers: Mapping[str, str], header: str | None) -> str | None:
    """The user named by the configured ``header`` of a request, compared without regard to case; every other header
    (X-Forwarded-User, Remote-User, ...) is ignored. None without a configured header."""
    if not header:
        return None
    wanted = header.strip().lower()
    for name, value in headers.items():
        if name.lower() == wanted and str(value).strip():
            return str(value).strip()
    return None


def header_variable(header: str) -> str:
    """Where Voilà puts a request header for the kernel (``X-Forwarded-User`` -> ``HTTP_X_FORWARDED_USER``)."""
    return "HTTP_" + header.strip().upper().replace("-", "_")


def user_from_environ(environ: Mapping[str, str] | None = None) -> str | None:
    """In a form's kernel: the user the configured header named (Voilà passes only that header), else None."""
    environ = os.environ if environ is None else environ
    header = user_header(environ)
    if not header:
        return None
    return environ.get(header_variable(header), "").strip() or None


def in_app(environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    return environ.get("WORKBOOK_APP") == "1" or environ.get("SERVER_SOFTWARE", "").startswith("voila")


def acting_user(explicit: str | None = None, author: Any = None,
                environ: Mapping[str, str] | None = None) -> str | None:
    """Who a store read or write acts for: the store's own user if set; else the proxy's (a form in the app); in the
    app nobody else (a name typed into a form proves nothing); elsewhere the author of a write (``--who``), else
    ``WORKBOOK_USER``."""
    environ = os.environ if environ is None else environ
    if explicit:
        return explicit.strip()
    proxy = user_from_environ(environ)
    if proxy:
        return proxy
    if in_app(environ):
        return None
    if author is not None and getattr(author, "name", "").strip():
        return author.name.strip()
    return environ.get(CLI_USER_ENV, "").strip() or None


def identity_environment(header: str | None, required: bool) -> dict[str, str]:
    """The environment ``workbook app --user-header NAME [--require-user]`` hands to Voilà and its kernels (ValueError:
    one line saying what is wrong)."""
    env: dict[str, str] = {}
    if header is not None:
        header = header.strip()
        if not _HEADER_NAME.fullmatch(header):
            raise ValueError(f"--user-header {header!r} is not a header name: letters, digits and dashes, such as "
                             "X-Forwarded-User")
        env[USER_HEADER_ENV] = header
    if required:
        if not header:
            raise ValueError("--require-user needs --user-header NAME: the header your proxy sets to the signed-in "
                             "user")
        env[REQUIRE_USER_ENV] = "1"
    return env
