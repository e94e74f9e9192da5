"""A report as PDF (``--pdf``): the executed notebook without code, printed by Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from workbook_lib.batch.errors import RunFailed
from workbook_lib.core.outputs import _strip_external

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    """Debian's Chromium (never a downloaded browser); WORKBOOK_CHROMIUM overrides."""
    for candidate in (os.environ.get("WORKBOOK_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def print_to_pdf(html_text: str, chromium: str, paginate: bool, render_ms: int) -> bytes:
    """Print an HTML page to PDF with Playwright driving the given Chromium."""
    # lazy: only a PDF needs Playwright, and most runs make none
    from playwright.sync_api import sync_playwright

    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False, encoding="utf-8") as handle:
        handle.write(html_text)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, handle_sigint=False,
                                        handle_sigterm=False, handle_sighup=False)
            try:
                page = browser.new_page()
                page.emulate_media(media="print")
                page.goto(Path(handle.name).as_uri(), wait_until="load")
                page.wait_for_timeout(render_ms)
                return page.pdf(print_background=True, prefer_css_page_size=not paginate)
            finally:
                browser.close()
    finally:
        os.unlink(handle.name)


def notebook_to_pdf(notebook: Path, pdf: Path, title: str) -> Path:
    """Executed notebook -> PDF without code, through nbconvert's webpdf template and Debian's Chromium."""
    # lazy: nbformat and nbconvert are slow to import, and only a PDF needs them here
    import concurrent.futures

    import nbformat
    from nbconvert.exporters.webpdf import WebPDFExporter

    chromium = chromium_path()
    if chromium is None:
        raise RunFailed(f"{pdf.name}: no PDF: Chromium was not found (install Debian's chromium, or set "
                        "WORKBOOK_CHROMIUM to its path); the other outputs were written", "output")

    class ChromiumPDFExporter(WebPDFExporter):
        def run_playwright(self, html_text: str) -> bytes:  # nbconvert's launches Playwright's own browser
            with concurrent.futures.ThreadPoolExecutor(1) as pool:  # no asyncio loop may run in this thread
                return pool.submit(print_to_pdf, _strip_external(html_text), chromium, self.paginate,
                                   self.page_render_timeout).result()

    exporter = ChromiumPDFExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.mathjax_url = ""
    try:
        data, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4),
                                              resources={"metadata": {"name": title}})
    except Exception as exc:  # a browser that would not start or print
        raise RunFailed(f"{pdf.name}: no PDF: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}; "
                        "the other outputs were written", "output") from None
    pdf.write_bytes(data)
    return pdf
