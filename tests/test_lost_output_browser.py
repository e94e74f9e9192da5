"""A page whose form's output was lost on its way from the kernel (nbclient's IOPub timeout on a busy machine, issue
28) says so and is loaded again, twice at most, then says what to do; a page with its form, or one that failed in
words, is left alone. The check is the script at the end of the app's page template, run here in Chromium on pages
made like Voilà's (each cell's outputs as JSON); and the app waits a minute for a late output, not 4 s."""

from __future__ import annotations

import json
import re

from tests.browser_kit import ROOT
from workbook_lib.app.serve import voila_command

TEMPLATE = ROOT / "workbook_lib" / "app" / "share" / "voila" / "templates" / "workbook" / "index.html.j2"
CHECK = re.search(r'<script type="text/javascript" id="wb-lost-output-check">.*?</script>', TEMPLATE.read_text(),
                  re.S)[0]
REPORT = {"output_type": "display_data", "data": {"text/html": "<h2>Key figures</h2><p>17 risks</p>"}}
FORM = {"output_type": "display_data", "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "abc"}}}
FAILED = {"output_type": "display_data", "data": {"text/html": '<div class="wb-failure">This page could not be '
                                                               "opened.</div>"}}


def _page(*outputs: dict) -> str:
    cells = "".join(f'<div><script type="application/vnd.voila.cell-output+json">{json.dumps(o)}</script></div>'
                    for o in outputs)
    return f"<html><body><div id='rendered_cells'>{cells}</div>{CHECK}</body></html>"


def _serve(page, html: str) -> list[str]:
    loads: list[str] = []

    def fulfil(route):
        loads.append(route.request.url)
        route.fulfill(body=html, content_type="text/html")

    page.route("http://forms.test/**", fulfil)
    return loads


def test_a_page_without_its_form_is_loaded_again_twice_then_says_what_to_do(page):
    loads = _serve(page, _page(REPORT, REPORT))
    page.goto("http://forms.test/voila/render/risk_evaluation.ipynb?organisation=X")
    assert "loaded again in a moment" in page.locator(".wb-lost-output").inner_text()
    page.wait_for_selector(".wb-lost-output:has-text('three times')", timeout=20_000)
    assert "tell your risk champion" in page.locator(".wb-lost-output").inner_text()
    assert len(loads) == 3  # the first load and two more, then no more


def test_a_page_with_its_form_or_a_failure_in_words_is_left_alone(page):
    for outputs in ((REPORT, FORM), (FAILED,)):
        page.unroute("**")
        loads = _serve(page, _page(*outputs))
        page.goto("http://forms.test/voila/render/coso_assessment.ipynb")
        page.wait_for_timeout(3500)  # past the moment a reload would have been made
        assert page.locator(".wb-lost-output").count() == 0 and len(loads) == 1


def test_the_app_waits_a_minute_for_a_cells_late_output():
    assert "--VoilaExecutor.iopub_timeout=60" in voila_command(8866, folder=ROOT / "notebooks")
