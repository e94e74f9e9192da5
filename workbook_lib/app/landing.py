"""The app's landing page: who is signed in and the organisations they may open (with their roles), then the order
of work (settings first), every assessment, what it is for, and a link to its form.

In a preheated kernel the page is drawn before anybody asks for it; :class:`Landing` is brought up to date with the
request (the signed-in user, the query string) by ``core.forms.serve``, as the forms are."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

import ipywidgets as w

from workbook_lib.assessments import pages, registry
from workbook_lib.core import access
from workbook_lib.core.forms import SETTINGS_NOTEBOOK, Feedback, app_mode, signed_in_user

SETTINGS_PURPOSE = ("Your organisation's risk methodology, appetite and tolerance, its own assurance providers, where "
                    "its maturity status comes from and the reporting period. Every form and report uses them.")
SINGLE_USER = ("<p class=\"wb-single-user\"><b>Single-user mode.</b> No access records are kept, so whoever can open "
               "this app may see and change every organisation (one analyst on their own machine). A shared "
               "deployment grants each person a role per organisation (<i>workbook access grant</i>).</p>")


def landing_page(organisation: str = "", period: str = "") -> str:
    """HTML listing the settings page and every assessment in the order of work, each with a link to its form, then
    the pages across the assessments (Decisions)."""
    query = urlencode({k: v for k, v in (("organisation", organisation), ("period", period)) if v})
    suffix = "?" + query if query else ""
    rows = [f'<tr><td>1</td><td><a class="wb-settings-link" href="{html.escape(SETTINGS_NOTEBOOK + suffix)}">'
            f"Organisation settings</a></td><td>{html.escape(SETTINGS_PURPOSE)}</td><td>Start here</td></tr>"]
    for step, a in enumerate(sorted(registry().values(), key=lambda a: a.step), start=2):
        after = f"After {a.after}" if a.after else "After the settings"
        rows.append(f'<tr><td>{step}</td><td><a class="wb-app-link" href="{html.escape(a.page + suffix)}">'
                    f"{html.escape(a.title)}</a></td><td>{html.escape(a.purpose)}</td><td>{html.escape(after)}</td></tr>")
    for p in pages():  # pages across the assessments (the Decisions page)
        rows.append(f'<tr><td></td><td><a class="wb-page-link" href="{html.escape(p["page"] + suffix)}">'
                    f'{html.escape(p["title"])}</a></td><td>{html.escape(p["purpose"])}</td>'
                    f'<td>{html.escape(p["when"])}</td></tr>')
    return ("<p>Work through the steps in order; each form says what it still needs.</p>"
            "<table><thead><tr><th>Step</th><th>Form</th><th>What it is for</th><th>When</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def who_may_open(store: Any, user: str | None) -> str:
    """Who is signed in and which organisations they may open, with their roles in words (each a link opening the
    forms on it); in single-user mode, that everything is open."""
    if not store.access_enforced():
        return SINGLE_USER
    if not user:
        return ("<p class=\"wb-who\"><b>Nobody is signed in.</b> Sign in through your organisation's sign-in page; "
                "the forms open only the organisations you hold a role in.</p>")
    mine = store.organisations()
    if not mine:
        return (f"<p class=\"wb-who\">Signed in as <b>{html.escape(user)}</b>. You hold no role in any organisation "
                "yet: ask your risk champion or administrator to grant you access.</p>")
    rows = []
    for org in mine:
        roles = sorted(store.access_roles(user, org))
        held = ", ".join(access.ROLE_WORDS.get(r, r) for r in roles)
        positions = store.access_positions(user, org)
        if positions:
            held += f" (decides as {', '.join(positions)})"
        link = f"?{urlencode({'organisation': org})}"
        rows.append(f'<tr><td><a class="wb-org-link" href="{html.escape(link)}">{html.escape(org)}</a></td>'
                    f"<td>{html.escape(held)}</td></tr>")
    return (f"<p class=\"wb-who\">Signed in as <b>{html.escape(user)}</b>. Your organisations (choose one to open "
            "every form on it):</p><table class=\"wb-my-organisations\"><thead><tr><th>Organisation</th>"
            f"<th>Your roles</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


class Landing:
    """The landing page as a widget, so that a preheated kernel can draw it for the request's user."""

    def __init__(self, organisation: str = "", period: str = "", store: Any = None):
        if store is None and app_mode():  # in JupyterLab the page lists the forms only: no store is opened
            from workbook_lib.core.store import Store  # lazy: SQLAlchemy

            store = Store(None)
        self.store = store
        self.feedback = Feedback(brief=True)
        self.widget = w.HTML()
        self.on_request(signed_in_user(), {"organisation": organisation, "period": period})

    def on_request(self, user: str | None, query: dict[str, str]) -> None:
        store = self.store
        if store is not None and user and store.user != user:
            from workbook_lib.core.store import Store  # lazy: SQLAlchemy

            store = Store(store.url, user=user)
        who = who_may_open(store, user) if store is not None else ""
        self.widget.value = who + landing_page(query.get("organisation", ""), query.get("period", ""))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
