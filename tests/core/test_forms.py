"""StoreForm, the skeleton every assessment's form is built on: the Open button, a preheated kernel's page
request (sign in, read the store again only when needed) and the Excel download, on a form of its own."""

from __future__ import annotations

import base64
import io
import re
import tempfile
from types import SimpleNamespace
from unittest.mock import patch

import ipywidgets as w
import openpyxl
import pandas as pd
import pytest

from tests.form_kit import preheated  # noqa: F401 - the fixture
from workbook_lib.core import forms
from workbook_lib.core.forms import Sections, StoreForm
from workbook_lib.core.outputs import column_heading
from workbook_lib.core.store import Author, Store

ORG, PERIOD = "Karoo Vale Local Municipality", "2025-26"
OTHER = "Riverside District"
pytestmark = pytest.mark.usefixtures("preheated")


class RegisterForm(StoreForm):
    """The smallest form: lists the organisation and period's risks and offers them as a workbook."""

    def __init__(self, store: Store, respondent: bool = True):
        params = SimpleNamespace(store_url=store.url, organisation=ORG, period=PERIOD)
        super().__init__(params, Sections(live=True), store, respondent=respondent)
        self.refreshed: list[tuple[str, str]] = []
        self.followed: list[dict[str, str]] = []
        self.download = w.HTML()
        self.widget = w.VBox([self.picker, self.feedback, self.download])
        self.on_open()

    def refresh(self, message: str | None = None) -> None:
        org, period = self.picker.value
        self.refreshed.append((org, period))
        rows = [r.data for r in self.store.current(org, period, "risk")] if org and period else []
        self.download.value = self.excel_download({"Register": pd.DataFrame(rows)}, f"{org} {period}.xlsx",
                                                  "Download the register") if rows else ""
        if message:
            self.feedback.ok(message)

    def follow(self, query: dict[str, str]) -> None:
        self.followed.append(query)


@pytest.fixture
def store(tmp_path):
    with Store(str(tmp_path / "store.db")) as s:
        s.save(ORG, PERIOD, "risk", {"R-1": {"risk_id": "R-1", "description": "Floods"},
                                     "R-2": {"risk_id": "R-2", "description": "=cmd|' /C calc'!A0"}},
               Author("Seeder"))
        yield s


def request(monkeypatch, query: str = "", user: str | None = None):
    """What voila.utils.wait_for_request does when the page is asked for: the request's variables appear."""
    def wait() -> None:
        monkeypatch.setenv("SERVER_SOFTWARE", "voila/test")
        monkeypatch.setenv("QUERY_STRING", query)
        if user:  # the one header `workbook app --user-header` names
            monkeypatch.setenv("WORKBOOK_USER_HEADER", "X-Forwarded-User")
            monkeypatch.setenv("HTTP_X_FORWARDED_USER", user)
    return wait


def test_an_unchanged_store_is_not_read_again_and_the_user_is_signed_in(store, monkeypatch):
    form = RegisterForm(store)
    assert form.refreshed == [(ORG, PERIOD)] and form.respondent.name.value == ""
    forms.serve(form, wait=request(monkeypatch, query="line=2", user="Thandi Mokoena"))
    assert form.refreshed == [(ORG, PERIOD)]
    assert form.respondent.name.value == "Thandi Mokoena" and form.respondent.name.disabled
    assert form.followed == [{"line": "2"}]


def test_a_save_since_the_form_was_built_or_another_organisation_reads_the_store_again(store, monkeypatch):
    form = RegisterForm(store)
    store.save(ORG, PERIOD, "risk", {"R-3": {"risk_id": "R-3", "description": "Drought"}}, Author("Colleague"))
    form.on_request(None, {})
    assert form.refreshed == [(ORG, PERIOD)] * 2
    form.on_request(None, {"organisation": OTHER})
    assert form.refreshed[-1] == (OTHER, PERIOD) and form.download.value == ""
    form.on_request(None, {"organisation": OTHER})  # nothing new
    assert len(form.refreshed) == 3


def test_open_needs_an_organisation_and_a_period(store):
    form = RegisterForm(store)
    form.picker.period.value = ""
    form.picker.open_button.click()
    assert "choose or type an organisation and a period" in form.feedback.value and len(form.refreshed) == 1
    form.picker.period.value = "2026-27"
    form.picker.open_button.click()
    assert form.refreshed[-1] == (ORG, "2026-27") and f"Opened {ORG}, 2026-27." in form.feedback.value


def test_a_form_may_ask_who_answers_on_its_own(store):
    form = RegisterForm(store, respondent=False)
    assert form.respondent is None
    form.on_request("Thandi Mokoena", {})  # no respondent to sign in: nothing to do


def test_the_excel_download_is_a_workbook_written_in_memory(store, tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where any temporary file would go
    form = RegisterForm(store)
    link = form.download.value
    assert f'download="{ORG} {PERIOD}.xlsx"' in link and ">Download the register</a>" in link
    encoded = re.search(r'href="data:application/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet;'
                        r'base64,([^"]+)"', link).group(1)
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(encoded)))
    assert book.sheetnames == ["Register", "About"]
    rows = list(book["Register"].values)
    assert rows[0] == (column_heading("risk_id"), "Description")  # headings in words
    assert sorted(rows[1:]) == [("R-1", "Floods"), ("R-2", "'=cmd|' /C calc'!A0")]  # never a formula
    assert list(scratch.iterdir()) == []


def test_a_form_lists_the_first_problems_of_a_flood_and_counts_the_rest():
    """Issue 31 (12): an upload of thousands of bad rows does not flood the page."""
    from workbook_lib.core.errors import InputError, Problem
    from workbook_lib.core.forms import Feedback

    feedback = Feedback()
    feedback.error(InputError([Problem("f.csv", row, "Likelihood", "x", "a rating 1-5") for row in range(2, 2002)]))
    assert "2,000 problem(s); nothing was saved." in feedback.value
    assert feedback.value.count("<td>f.csv</td>") == 50 and "and 1,950 more problems, not listed" in feedback.value


def test_a_chart_image_has_no_labels_per_mark_only_its_alternative_text():
    """Inside an <img> Vega's ARIA label per mark is read by nobody (a screen reader reads the image's alt text) and
    was a third to a half of the picture: each mark drawn without one; the image says what it shows in its alt."""
    import base64
    import re

    import altair as alt

    from workbook_lib.core.charts import Drawn, use_static_renderer

    use_static_renderer()
    bars = pd.DataFrame({"risk": [f"R-{k}" for k in range(40)], "loss": range(40)})
    chart = alt.Chart(bars).mark_bar().encode(x=alt.X("loss:Q"), y=alt.Y("risk:N"),
                                              tooltip=[alt.Tooltip("risk"), alt.Tooltip("loss")])
    html = Drawn(chart.properties(title="Loss by risk"))._repr_mimebundle_()["text/html"]
    assert 'alt="Loss by risk"' in html
    svg = base64.b64decode(re.search(r"base64,([^\"]+)", html).group(1)).decode()
    assert "R-39" in svg  # every bar and its axis label drawn
    labels = re.findall(r'aria-label="([^"]*)"', svg)
    assert not [label for label in labels if "R-" in label or "loss" in label], labels  # none per mark or axis


def test_a_section_draws_a_chart_as_the_renderer_does_without_validating_it_again():
    # every chart function's spec is validated by the chart tests; a report draws it without Altair's validation
    import altair as alt

    from workbook_lib.core.charts import Drawn, use_static_renderer

    use_static_renderer()
    chart = alt.Chart(pd.DataFrame({"x": [1, 2], "y": [3, 4]})).mark_bar().encode(x="x:Q", y="y:Q").properties(
        title="Two bars")
    shown = forms._as_shown(chart)
    assert isinstance(shown, Drawn)
    bundle = shown._repr_mimebundle_()
    assert bundle == chart._repr_mimebundle_()  # the same picture as Altair's own display
    assert bundle["text/html"].startswith('<img class="wb-chart" alt="Two bars"')
    table = forms._as_shown(pd.DataFrame({"a": [1]}))
    assert isinstance(table, pd.DataFrame)  # anything else as it is
    # an invalid spec is drawn as given (Altair would refuse it): validation is the tests' job, not the report's
    broken = alt.Chart(pd.DataFrame({"x": [1]})).mark_bar().encode(x=alt.X("x:Q", bin="not a bin"))
    with pytest.raises(Exception):  # noqa: B017, PT011 - Altair's schema error
        broken.to_dict()
    assert isinstance(forms._as_shown(broken)._repr_mimebundle_(), dict)


def test_a_chart_drawn_ahead_is_drawn_on_the_renderers_thread_and_shown_where_the_report_shows_it():
    """Sections.draw_ahead builds a chart now and draws it on core.charts' renderer thread (vl-convert draws without
    Python's lock) while the cells before it run; show() of the same render shows that very picture, once. A render
    with nothing to show stays empty, and the app (live sections) draws nothing ahead."""
    import threading

    import altair as alt

    from workbook_lib.core import charts

    charts.use_static_renderer()
    drawn_on = []
    renderer = alt.renderers.get()

    def recording(spec: dict, **kw):
        drawn_on.append(threading.current_thread().name)
        return renderer(spec, **kw)

    def bars(result):
        return alt.Chart(pd.DataFrame({"x": result, "y": result})).mark_bar().encode(
            x=alt.X("x:Q"), y=alt.Y("y:Q")).properties(title="Drawn ahead")

    def nothing(_result):
        return None

    shown = []
    with patch.object(forms, "display", shown.append), patch.object(alt.renderers, "get", lambda: recording):
        sections = forms.Sections(live=False, result=[1, 2, 3])
        sections.draw_ahead(bars, nothing)
        ahead = sections._ahead[bars]
        bundle = ahead._repr_mimebundle_()
        assert drawn_on == ["workbook-charts_0"]  # drawn on the renderer's thread, not the report's
        sections.show(bars)
        sections.show(nothing)
        assert shown == [ahead] and bundle["text/html"].startswith('<img class="wb-chart" alt="Drawn ahead"')
        sections.show(bars)  # shown again later: drawn again, on the report's own thread
        assert len(shown) == 2 and shown[1] is not ahead
        shown[1]._repr_mimebundle_()
        assert drawn_on[-1] == threading.current_thread().name

        live = forms.Sections(live=True, result=[1, 2, 3])
        live.draw_ahead(bars)
        assert live._ahead == {} and len(drawn_on) == 2


def test_the_renderer_warms_up_on_its_own_thread_before_the_assessment_is_imported():
    """A run's early kernel starts the renderer on its own thread first (its first chart starts the JavaScript
    engine), then imports the assessment on the kernel's thread meanwhile."""
    import threading

    from workbook_lib.batch.early_kernel import warm_up
    from workbook_lib.core import charts

    lines = warm_up("risk-evaluation")
    assert "warm_renderer_ahead()" in lines[0] and "assessments.get('risk-evaluation')" in lines[1]
    seen = []
    with patch.object(charts, "warm_renderer", lambda: seen.append(threading.current_thread().name)):
        charts.warm_renderer_ahead()
        charts.renderer_thread().submit(lambda: None).result()  # the thread's queue is done
    assert seen == ["workbook-charts_0"]
    charts.warm_renderer()  # draws without an error
