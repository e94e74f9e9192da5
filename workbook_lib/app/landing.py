"""The app's landing page: every assessment, what it is for, and a link to its form."""

from __future__ import annotations

import html
from urllib.parse import urlencode

from workbook_lib.assessments import registry


def landing_page(organisation: str = "", period: str = "") -> str:
    """HTML listing every assessment, what it is for, and a link to its form."""
    query = urlencode({k: v for k, v in (("organisation", organisation), ("period", period)) if v})
    rows = "".join(
        f'<tr><td><a class="wb-app-link" href="{html.escape(a.notebook)}{"?" + query if query else ""}">'
        f"{html.escape(a.title)}</a></td><td>{html.escape(a.purpose)}</td></tr>"
        for a in registry().values())
    return f"<table><thead><tr><th>Assessment</th><th>What it is for</th></tr></thead><tbody>{rows}</tbody></table>"
