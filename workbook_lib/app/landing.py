"""The app's landing page: the order of work (settings first), every assessment, what it is for, and a link to its
form."""

from __future__ import annotations

import html
from urllib.parse import urlencode

from workbook_lib.assessments import pages, registry
from workbook_lib.core.forms import SETTINGS_NOTEBOOK

SETTINGS_PURPOSE = ("Your organisation's risk methodology, appetite and tolerance, its own assurance providers, where "
                    "its maturity status comes from and the reporting period. Every form and report uses them.")


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
