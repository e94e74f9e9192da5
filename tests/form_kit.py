"""What the form tests share: sections that record their refreshes, and a kernel Voilà preheated."""

from __future__ import annotations

import pytest

from workbook_lib.core import forms
from workbook_lib.core.settings import save_settings, settings_model
from workbook_lib.core.store import Author, Store

# what Voilà sets per request; a preheated kernel has none of them until its page is asked for
REQUEST_VARIABLES = ("SERVER_SOFTWARE", "QUERY_STRING", "WORKBOOK_USER_HEADER", "HTTP_X_FORWARDED_USER")


class Recorder(forms.Sections):
    """Sections that remember what they were last refreshed with."""

    def __init__(self):
        super().__init__(live=True)
        self.calls: list = []

    def refresh(self, result, empty=None):
        self.calls.append((result, empty))
        super().refresh(result, empty)


@pytest.fixture
def no_request(monkeypatch):
    """Outside Voilà: no request variables and no preheat (a form module uses it for every test)."""
    for name in (*REQUEST_VARIABLES, "VOILA_PREHEAT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def preheated(monkeypatch):
    """A kernel Voilà preheated: no request variables yet (use with ``pytest.mark.usefixtures``)."""
    for name in REQUEST_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VOILA_PREHEAT", "True")


def settle(store: Store, organisation: str, period: str, **values) -> None:
    """Save an organisation's settings, as its risk champion would on the Settings page."""
    save_settings(store, organisation, period, settings_model()(**values), Author("Risk champion"))


def example_settings(params) -> dict:
    """The settings the shipped example's parameters file gives (appetite, providers, maturity status...)."""
    values = {k: getattr(params, k, None) for k in settings_model().model_fields}
    if hasattr(params, "appetite_spec"):
        values["appetite"] = params.appetite_spec()
    if getattr(params, "providers", None):
        values["providers"] = [p.model_dump(exclude_none=True) for p in params.providers]
    return {k: v for k, v in values.items() if v not in (None, "", [], {})}
