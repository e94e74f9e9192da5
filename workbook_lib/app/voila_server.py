"""The Voilà server ``workbook app`` runs (``python -m workbook_lib.app.voila_server``, the command line
``serve.voila_command`` builds): Voilà itself, with two changes.

- Paths Voilà would answer with a server error (500) are answered 404 instead: its template file handler fails on
  any path not of the form ``<template>/static/<file>`` (``/voila/templates/..``, ``/voila/templates/lab/static/``),
  ``/logout`` renders a server page without the static files it needs (the forms have no sign-in of their own: a
  proxy or JupyterHub signs people in and out), and a NUL in a path breaks a redirect or a file check. A path with
  a ``..`` segment is 404 too (Voilà's file handlers answer it 403, 302 or 500).
- Everything the server and its kernels leave in the temporary folder (kernels' connection files, uploaded files
  being read) lives in one folder of this process, ``<tmp>/workbook-voila-<pid>-<host>-...``: removed when the server
  stops, and by the next start when the server was killed outright (``core.leftovers``).
- Who the user is comes from one request header, the one ``workbook app --user-header`` names
  (``WORKBOOK_USER_HEADER``): only that header reaches the kernels (Voilà's ``http_header_envs``), every other user
  header a client sends is ignored. With ``--require-user`` (``WORKBOOK_REQUIRE_USER=1``) every request without
  that header is answered 403 with one sentence.
- Once the store keeps access records, a page asked for an organisation (``?organisation=``) its user may not read
  is answered 403 with the store's one-sentence refusal (and its audit row), before any kernel starts.

Only the Voilà process imports this module.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from jupyter_server.utils import url_path_join
from tornado import web
from traitlets import default
from voila.app import Voila
from voila.static_file_handler import TemplateStaticFileHandler

from workbook_lib.core.access import require_user, user_from_headers, user_header
from workbook_lib.core.leftovers import remove_stale, tagged

NOT_FOUND = "There is no such page here."
NOT_SIGNED_IN = ("You are not signed in: open the forms through your organisation's sign-in page; ask its risk "
                 "champion")
SERVER_FOLDER = "workbook-voila"  # <tmp>/workbook-voila-<pid>-<host>-<random>: this server's and its kernels' files
_TEMPLATE = re.compile(r"[A-Za-z0-9_-]+")  # a template's name (lab, classic, reveal, workbook): no dots, no slash
# a path (as sent, before decoding) with a NUL or a ".." segment: never a page; Voilà's file handlers answer some
# 403 and some 500
_NEVER_A_PAGE = r"(?i).*(%00|\x00|(^|/|%2f)(\.|%2e){2}(/|%2f|$)).*"


class NotFound(web.RequestHandler):
    """404 with one plain sentence, for any method."""

    def prepare(self) -> None:
        raise web.HTTPError(404)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(NOT_FOUND if status_code == 404 else self._reason)


class TemplateStatic(TemplateStaticFileHandler):
    """Voilà's handler of ``/voila/templates/<template>/static/<file>``, answering 404 to any other path (Voilà's
    unpacks the path into three parts, and fails with a 500 on fewer or on one that leaves its folder)."""

    def parse_url_path(self, path: str) -> str:
        parts = path.split("/", 2)
        if ("\x00" in path or len(parts) != 3 or not _TEMPLATE.fullmatch(parts[0]) or parts[1] != "static"
                or not parts[2] or os.path.normpath(path).split(os.sep, 2) != parts):
            raise web.HTTPError(404)
        return super().parse_url_path(path)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(NOT_FOUND if status_code == 404 else self._reason)


def server_folder(tmp: Path | None = None) -> Path:
    """A new folder for this server, after removing those of servers killed outright."""
    tmp = Path(tmp or tempfile.gettempdir())
    remove_stale(tmp, SERVER_FOLDER)
    return Path(tempfile.mkdtemp(prefix=tagged(SERVER_FOLDER), dir=tmp))


class SignedIn:
    """Mixed into every handler under ``--require-user``: a request without the configured user header is 403."""

    async def prepare(self, *args: Any, **kwargs: Any) -> None:
        if not user_from_headers(self.request.headers, user_header()):
            self.set_status(403)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(NOT_SIGNED_IN)
            return
        result = super().prepare(*args, **kwargs)
        if inspect.isawaitable(result):
            await result


_STORE: list[Any] = []  # the server's store, opened on the first page that names an organisation


def organisation_refusal(user: str | None, organisation: str) -> str:
    """The sentence refusing ``user`` the organisation (with its audit row), or "" when they may read it (or no
    access records are kept)."""
    from workbook_lib.core.access import AccessRefused  # lazy: the store, on the first such page
    from workbook_lib.core.store import Store

    if not _STORE:
        _STORE.append(Store(None))
    try:  # allowed at once when no access records are kept
        _STORE[0].require(user, organisation, "read")
    except AccessRefused as exc:
        return str(exc)
    return ""


class OwnOrganisationOnly:
    """Mixed into every handler: a request naming an organisation its user may not read is 403 (one sentence)."""

    async def prepare(self, *args: Any, **kwargs: Any) -> None:
        organisation = self.get_query_argument("organisation", "").strip()
        refused = organisation_refusal(user_from_headers(self.request.headers, user_header()), organisation) \
            if organisation else ""
        if refused:
            self.set_status(403)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(refused + ".")
            return
        result = super().prepare(*args, **kwargs)
        if inspect.isawaitable(result):
            await result


def guarded_by(mixin: type, handlers: list) -> list:
    """Each route's handler with ``mixin`` first."""
    guarded = []
    for route in handlers:
        pattern, handler, *rest = route
        guarded.append((pattern, type(handler.__name__, (mixin, handler), {}), *rest))
    return guarded


def signed_in_only(handlers: list) -> list:
    """Each route's handler with :class:`SignedIn` first."""
    return guarded_by(SignedIn, handlers)


class WorkbookVoila(Voila):
    """Voilà with the routes above first, and this server's files in one folder it removes."""

    folder: Path | None = None

    @default("connection_dir_root")
    def _default_connection_dir(self) -> str:
        if self.folder is None:
            self.folder = server_folder()
            kernels_tmp = self.folder / "tmp"
            kernels_tmp.mkdir()
            os.environ["TMPDIR"] = str(kernels_tmp)  # the kernels' temporary files (uploads) live here too
        return str(self.folder)

    def initialize(self, argv: Any = None) -> None:
        super().initialize(argv)
        # only the configured header names the user: the kernels never see another one a client sent
        header = user_header()
        self.voila_configuration.http_header_envs = [header] if header else []

    def init_handlers(self) -> list:
        ours = [(_NEVER_A_PAGE, NotFound)]
        for logout in dict.fromkeys([r"/logout", url_path_join(self.server_url, r"/logout")]):
            ours.append((logout, NotFound))
        ours.append((url_path_join(self.server_url, r"/voila/templates/(.*)"), TemplateStatic))
        handlers = guarded_by(OwnOrganisationOnly, ours + super().init_handlers())
        return signed_in_only(handlers) if require_user() else handlers

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)


main = WorkbookVoila.launch_instance

if __name__ == "__main__":
    main()
