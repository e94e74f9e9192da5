"""The form toolkit shared by every assessment's web form (Voilà), and how a notebook knows where it runs.

Where a notebook runs:
- ``workbook app`` serves the notebooks with Voilà and sets ``WORKBOOK_APP=1`` for every kernel; Voilà
  itself sets ``SERVER_SOFTWARE=voila/...`` per request. Either means *app mode*: the data-entry form
  is shown above the results, and the results come from the store.
- Anywhere else (papermill, nbval, ``workbook run``, JupyterLab) the notebook is a report on the
  inputs its parameters name, and no form is shown. An analyst in JupyterLab who wants the form sets
  the parameter ``show_form = True``.

Every form callback runs through :func:`guarded`, so an error is shown in the form, never swallowed.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import html
import io
import logging
import os
import re
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

import ipywidgets as w
import yaml
from IPython.display import HTML, Markdown, display

from workbook_lib.core import access
from workbook_lib.core.access import user_from_environ
from workbook_lib.core.charts import Drawn, drawn, warm_renderer
from workbook_lib.core.due import read_only_line
from workbook_lib.core.errors import InputError, Problem, StoreError, more_line
from workbook_lib.core.leftovers import remove_stale, tagged
from workbook_lib.core.limits import MAX_PROBLEMS, shown_limit
from workbook_lib.core.outputs import frame_table, markdown, write_excel
from workbook_lib.core.settings import Applied, effective, label, read_as, sentence

if TYPE_CHECKING:
    from workbook_lib.core.store import Author, Store

log = logging.getLogger("workbook.forms")
LINES_FILE = Path(__file__).parent / "data" / "lines_of_assurance.yaml"
# request headers an authenticating proxy may pass (via Voilà's http_header_envs) naming the signed-in user
SETTINGS_NOTEBOOK = "settings.ipynb"  # the organisation's settings page, beside the forms
USER_HEADERS = ("X-Forwarded-User", "X-Remote-User", "Remote-User", "X-Auth-Request-User")


def app_mode(show_form: bool = False) -> bool:
    """True when the notebook should show its form: served by Voilà, or asked for with show_form."""
    return bool(show_form) or os.environ.get("WORKBOOK_APP") == "1" \
        or os.environ.get("SERVER_SOFTWARE", "").startswith("voila")


def preheated() -> bool:
    """True in a kernel Voilà started ahead of time (``--preheat``) that has not had its page request yet:
    the request's user and query string are not known."""
    return os.environ.get("VOILA_PREHEAT") == "True" and "SERVER_SOFTWARE" not in os.environ


def serve(form: Any, wait: Callable[[], None] | None = None) -> None:
    """The last cell of an assessment notebook in the app.

    A preheated kernel has by now built the whole page (form and report) from the store, before anybody
    asked for it; Voilà sends that page the moment it is asked for. Here the kernel waits for the request,
    then brings the page up to date with it: ``form.on_request(user, query)`` shows the signed-in user, and
    re-reads the store if the query string names another organisation or period or if anything was saved
    since the page was built (a cheap check). Anywhere else (a kernel started for its request, papermill,
    JupyterLab) it returns at once: the form was built with the request already known.
    """
    if form is None or not preheated():
        return
    if wait is None:
        # lazy: Voilà is there only when the app serves the notebook; sets the request's variables in os.environ
        from voila.utils import wait_for_request as wait

    warm_renderer()  # the chart renderer's first chart takes most of a second: pay it now, not on the first save
    # to the server's log (kernels share its stderr): when a preheated page is ready to be asked for
    print(f"[workbook] preheated {type(form).__name__} ready, waiting for its page request",
          file=sys.__stderr__, flush=True)
    wait()
    guarded(form.feedback)(form.on_request)(signed_in_user(), query_values())


def signed_in_user() -> str | None:
    """The user an authenticating proxy passed in the one header ``workbook app --user-header`` names
    (``WORKBOOK_USER_HEADER``), if any; every other user header is ignored, and with none configured nobody is
    signed in (in a preheated kernel, known only once :func:`serve` has had the request)."""
    return user_from_environ()


def query_values() -> dict[str, str]:
    """Values from the page's query string (``?organisation=...&period=...``) in the app."""
    return {k: v[0] for k, v in parse_qs(os.environ.get("QUERY_STRING", "")).items() if v and v[0].strip()}


def lines_of_assurance() -> list[dict[str, Any]]:
    return yaml.safe_load(LINES_FILE.read_text(encoding="utf-8"))["lines"]


# ---- feedback and error handling -----------------------------------------------------------------------
class Feedback(w.HTML):
    """One place in a form for confirmations and errors. ``brief``: where the problems are also shown under their
    fields (the top of a form), say only how many and which fields."""

    def __init__(self, brief: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.brief = brief
        self.add_class("wb-feedback")

    def ok(self, message: str) -> None:
        self.value = f'<div class="wb-ok" style="color:#1b5e20"><b>&#10003;</b> {html.escape(message)}</div>'

    def info(self, message_html: str) -> None:
        self.value = f'<div class="wb-info">{message_html}</div>'

    def error(self, exc: BaseException) -> None:
        shown = shown_limit(MAX_PROBLEMS)  # a file of 200,000 bad rows lists the first ones and counts the rest
        beside = getattr(exc, "beside_fields", None)
        if beside and self.brief:
            # each problem is under its field (FieldNotes): here only how many, and which fields
            fields = ", ".join(dict.fromkeys(beside))
            self.value = (f'<div class="wb-error" style="color:#b71c1c"><b>{exc.count:,} problem(s); nothing was '
                          f"saved.</b> See {html.escape(fields)}: each problem is shown under its field.</div>")
            return
        if isinstance(exc, InputError) and all(p.row is None for p in exc.problems):
            # typed into the form (a FormError among them): each problem by its field, no file or row
            lines = "".join(f"<li>{html.escape(_form_line(p, with_file=True))}</li>" for p in exc.problems[:shown])
            more = exc.count - min(shown, len(exc.problems))
            lines += f"<li>{html.escape(more_line(more))}</li>" if more > 0 else ""
            body = (f"<b>{exc.count:,} problem(s); nothing was saved.</b>"
                    f'<ul class="wb-problems" style="margin:4px 0">{lines}</ul>')
        elif isinstance(exc, InputError):
            frame = exc.to_frame(shown).fillna("")
            more = exc.count - len(frame)
            body = (f"<b>{exc.count:,} problem(s); nothing was saved.</b>"
                    + frame_table(frame, classes="dataframe")
                    + (f"<p>{html.escape(more_line(more))}</p>" if more > 0 else ""))
        else:
            known = exc.__class__.__name__ in {"StoreError", "ParameterError", "MethodologyError", "ValueError"}
            prefix = "" if known else f"Unexpected error ({html.escape(type(exc).__name__)}): "
            body = f"<b>Not saved.</b> {prefix}{html.escape(str(exc))}"
        self.value = f'<div class="wb-error" style="color:#b71c1c">{body}</div>'

    def clear(self) -> None:
        self.value = ""


def guarded(feedback: Feedback, *also: Feedback) -> Callable:
    """Decorate a widget callback so any exception is shown in ``feedback`` (and in each of ``also``, e.g. one
    beside the button that was pressed) and logged, not lost."""

    def decorate(callback: Callable) -> Callable:
        @functools.wraps(callback)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return callback(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - shown to the user, never swallowed
                log.error("form callback %s failed:\n%s", callback.__name__, traceback.format_exc())
                for shown in (feedback, *also):
                    shown.error(exc)
                return None

        return run

    return decorate


class FieldNotes:
    """A problem shown under the field it concerns (issue 30), not only in a list above or below the form.

    A form asks for one note per field (:meth:`note`, placed under the field), named by the field's column name and
    its label; :meth:`place` puts each problem of an ``InputError`` under the field its column names (or the field
    whose name its column starts with: "Vacancy rate value" under *Vacancy rate*), and marks the error so the form's
    top feedback only counts them. Every note is cleared when the form is used again."""

    def __init__(self) -> None:
        self._notes: dict[str, w.HTML] = {}
        self._labels: dict[str, str] = {}
        self._shown: list[w.HTML] = []

    def note(self, *names: str, indent: str = "145px") -> w.HTML:
        """A note (empty until a problem is placed) for the field called ``names`` (column name, then the label the
        form shows, which the top of the form names)."""
        note = tag(w.HTML(layout=w.Layout(margin=f"0 0 4px {indent}", display="none")), "field-problem")
        for name in names:
            if name:
                self._notes[name] = note
        self._labels[note.model_id] = next((n for n in reversed(names) if n), "")  # what the form calls it
        return note

    def under(self, widget: w.Widget, *names: str, indent: str = "145px") -> w.VBox:
        """``widget`` with its note beneath it."""
        return w.VBox([widget, self.note(*names, indent=indent)])

    def _find(self, column: str | None) -> str | None:
        """The name of the field a problem's column names."""
        if not column:
            return None
        if column in self._notes:
            return column
        starts = [n for n in self._notes if column.startswith(n + " ")]
        return max(starts, key=len) if starts else None

    def place(self, exc: BaseException) -> None:
        """Show each of ``exc``'s problems under its field; the error records the fields (``beside_fields``) when
        every problem found its field."""
        self.clear()
        if not isinstance(exc, InputError):
            return
        placed: dict[w.HTML, list[str]] = {}
        fields = []
        for p in exc.problems:
            name = self._find(p.column) if p.row is None else None  # a file's problems stay in their table
            if name is None:
                return self.clear()
            placed.setdefault(self._notes[name], []).append(
                _form_line(type(p)(p.file, None, None, p.value, p.expected)))
            fields.append(self._labels.get(self._notes[name].model_id) or name)
        for note, lines in placed.items():
            items = "".join(f"<div>{html.escape(line[:1].upper() + line[1:])}</div>" for line in lines)
            note.value = f'<div class="wb-field-note" style="color:#b71c1c">{items}</div>'
            note.layout.display = ""
            self._shown.append(note)
        if fields:
            exc.beside_fields = fields

    def clear(self) -> None:
        for note in self._shown:
            note.value, note.layout.display = "", "none"
        self._shown = []


# ---- pickers ------------------------------------------------------------------------------------------
def tag(widget: w.Widget, name: str) -> w.Widget:
    """Give a widget the CSS class ``wb-<name>`` (what the browser tests and the page's style find it by)."""
    widget.add_class(f"wb-{name}")
    return widget


class OrgPeriodPicker(w.HBox):
    """Organisation and period: pick one the store knows or type a new one."""

    def __init__(self, store: Store, organisation: str = "", period: str = ""):
        self.store = store
        # taken before the form reads anything: stale() compares against it (see serve)
        self.seen = (organisation, store.fingerprint(organisation))
        self.organisation = tag(w.Combobox(value=organisation, options=store.organisations(),
                                           description="Organisation", ensure_option=False,
                                           style={"description_width": "90px"},
                                           layout=w.Layout(width="460px")), "organisation")
        self.period = tag(w.Combobox(value=period, options=store.periods(organisation) if organisation else [],
                                     description="Period", ensure_option=False), "period")
        self.open_button = tag(w.Button(description="Open", icon="folder-open"), "open")
        self.organisation.observe(self._periods, names="value")
        super().__init__([self.organisation, self.period, self.open_button])

    def _periods(self, change: dict) -> None:
        self.period.options = self.store.periods(change["new"]) if change["new"] else []

    def follow(self, query: dict[str, str]) -> bool:
        """Take the organisation and period a page's query string names; True if that changed the choice."""
        before = self.value
        self.organisation.value = query.get("organisation", self.organisation.value)
        self.period.value = query.get("period", self.period.value)
        return self.value != before

    def stale(self) -> bool:
        """Whether an organisation or period was added, or anything saved for the organisation shown when the
        form was built, since then."""
        organisation, fingerprint = self.seen
        return self.store.fingerprint(organisation) != fingerprint

    def reload(self) -> None:
        """Re-read the organisations and periods the store knows, keeping what is typed or chosen."""
        org, period = self.organisation.value, self.period.value
        self.organisation.options = self.store.organisations()
        self.period.options = self.store.periods(org.strip()) if org.strip() else []
        self.organisation.value, self.period.value = org, period
        self.seen = (org.strip(), self.store.fingerprint(org.strip()))

    def catch_up(self, query: dict[str, str]) -> bool:
        """A preheated form's page request (see serve): take the query's organisation and period; True if the
        form must read the store again (another choice, or something saved since), the choices reloaded."""
        if self.follow(query) or self.stale():
            self.reload()
            return True
        return False

    @property
    def value(self) -> tuple[str, str]:
        return self.organisation.value.strip(), self.period.value.strip()


class Respondent(w.HBox):
    """Who is answering: the proxy's signed-in user where there is one, else a typed name; and a line."""

    def __init__(self, user: str | None = None):
        lines = lines_of_assurance()
        self.user = user
        self.name = tag(w.Text(value=user or "", description="Your name", placeholder="name and surname",
                               disabled=bool(user)), "respondent")
        self.line = tag(w.Dropdown(options=[("(choose)", "")] + [(ln["name"], ln["name"]) for ln in lines],
                                   description="Line", layout=w.Layout(width="420px")), "line")
        super().__init__([self.name, self.line])

    def sign_in(self, user: str | None) -> None:
        """The user the proxy named for this page's request (a preheated form learns it late)."""
        if user:
            self.user = user
            self.name.value, self.name.disabled = user, True

    def author(self) -> Author:
        from workbook_lib.core.store import Author  # lazy: SQLAlchemy only once a form saves

        if not self.name.value.strip():
            raise StoreError("enter your name before saving: every change records who made it")
        return Author(self.name.value.strip(), self.line.value or None,
                      identity="proxy" if self.user else "respondent")


class RatingPicker(w.VBox):
    """A rating chosen from a scale's labels, with the chosen level's description shown beneath."""

    def __init__(self, title: str, levels: list[tuple[str, str]], name: str, allow_blank: bool = True,
                 numbered: bool = True):
        # levels: (label, description), in scale order; numbered: show each level's value before its label
        self._descriptions = dict(levels)
        options = ([("(not rated)", "")] if allow_blank else []) + [
            (f"{i} · {label}" if numbered else label, label) for i, (label, _d) in enumerate(levels, start=1)]
        self.dropdown = tag(w.Dropdown(options=options, description=title, style={"description_width": "140px"},
                                       layout=w.Layout(width="360px")), name)
        self.help = w.HTML(layout=w.Layout(margin="0 0 0 145px"))
        self.dropdown.observe(lambda _c: self._describe(), names="value")
        super().__init__([self.dropdown, self.help])
        self._describe()

    def _describe(self) -> None:
        text = self._descriptions.get(self.dropdown.value, "")
        self.help.value = f'<small style="color:#555">{html.escape(text)}</small>' if text else ""

    @property
    def value(self) -> str:
        return self.dropdown.value

    @value.setter
    def value(self, label: str) -> None:
        wanted = {v for _k, v in self.dropdown.options}
        match = next((v for v in wanted if v.casefold() == str(label).strip().casefold()), "")
        self.dropdown.value = match


# ---- results that re-render after a save -----------------------------------------------------------------
class Sections:
    """Report sections: shown once in a report, re-rendered after every save in the app.

    A notebook cell calls ``sections.show(render)`` with ``render(result)`` displaying (or returning)
    its part of the report. In a report it runs at once; in the app its output goes to a widget the
    form refreshes with ``sections.refresh(result)``. Returned text (an ``Md`` from ``core.outputs.md``, or
    any str, or an IPython ``Markdown``) is shown through ``core.outputs.markdown``: only Markdown the suite
    built with ``md`` is markup; any other text is escaped whole.
    """

    def __init__(self, live: bool, result: Any = None, empty: str = "Nothing has been saved yet."):
        self.live, self.result, self.empty = live, result, empty
        self._parts: list[tuple[w.Output, Callable[[Any], Any]]] = []
        self._ahead: dict[Callable[[Any], Any], Any] = {}

    def draw_ahead(self, *renders: Callable[[Any], Any]) -> None:
        """In a report, build the charts ``renders`` give now and draw them on the chart renderer's own thread while
        the cells before them run (core.charts.Drawn.draw_ahead); ``show`` of the same render then shows them. In
        the app, nothing: every section is drawn again after each save."""
        if self.live or self.result is None:
            return
        for render in renders:
            shown = self._ahead[render] = _as_shown(render(self.result))
            if isinstance(shown, Drawn):
                shown.draw_ahead()

    def show(self, render: Callable[[Any], Any]) -> None:
        if not self.live:
            shown = self._ahead.pop(render) if render in self._ahead else _as_shown(render(self.result))
            if shown is not None:
                display(shown)
            return
        out = w.Output()
        self._parts.append((out, render))
        display(out)
        self._render(out, render)

    def key_figures(self, figures: Callable[[Any], str]) -> None:
        """The key-figures line the tests check (nbval) and the JSON carries: printed in a report's notebook, left
        out of the HTML report (core/outputs.notebook_to_html) and never shown in a form."""
        if not self.live and self.result is not None:
            print(figures(self.result))

    def refresh(self, result: Any, empty: str | None = None) -> None:
        self.result = result
        if empty is not None:
            self.empty = empty
        for out, render in self._parts:
            self._render(out, render)

    def _render(self, out: w.Output, render: Callable[[Any], Any]) -> None:
        # outputs are set on the widget directly, not captured with "with out:", whose routing depends on
        # the browser being connected (Voilà executes the first render server-side)
        out.outputs = ()
        if self.result is None:
            # the first section says why there is nothing; each later one says so in a word, so that no heading
            # of the notebook stands over nothing
            text = self.empty if render is self._parts[0][1] else "Nothing yet."
            out.append_display_data(HTML(f'<p class="wb-nothing-yet"><i>{html.escape(text)}</i></p>'))
            return
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                shown = render(self.result)
        except Exception as exc:  # noqa: BLE001 - shown in place of the section
            log.error("section failed:\n%s", traceback.format_exc())
            out.append_display_data(HTML(
                f'<p class="wb-error" style="color:#b71c1c">This section could not be shown: '
                f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</p>"))
            return
        if printed.getvalue():
            out.append_stdout(printed.getvalue())
        shown = _as_shown(shown)
        if shown is not None:
            out.append_display_data(shown)


def _as_shown(shown: Any) -> Any:
    """A section's output as it is displayed: text (an ``Md``, a str, or an IPython ``Markdown`` holding either)
    through ``markdown``, which shows only an ``Md`` as markup; anything else (HTML tables, charts) as it is."""
    if isinstance(shown, Markdown):
        shown = shown.data
    return markdown(shown) if isinstance(shown, str) else drawn(shown)


def download_link(data: bytes, filename: str, label: str,
                  mime: str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") -> str:
    """An HTML link that downloads ``data``; works in Voilà without a server route."""
    encoded = base64.b64encode(data).decode("ascii")
    return (f'<a class="wb-download" download="{html.escape(filename)}" href="data:{mime};base64,{encoded}">'
            f"{html.escape(label)}</a>")


UPLOADS = "workbook-upload"  # <tmp>/workbook-upload-<pid>-<host>-<random>/<file name>: a file being read


@contextlib.contextmanager
def uploaded_file(upload: dict[str, Any]) -> Iterator[Path]:
    """A file uploaded through a FileUpload widget (``upload.value[0]``), written under its own name (never a path
    from the browser) in a folder of this kernel's, for the block to read; removed when the block ends, however it
    ends. A kernel killed while reading leaves the folder: the next upload (any kernel's) removes it, and the app
    server's own temporary folder is removed when it starts again (app/voila_server.py)."""
    tmp = Path(tempfile.gettempdir())
    remove_stale(tmp, UPLOADS)
    folder = Path(tempfile.mkdtemp(prefix=tagged(UPLOADS), dir=tmp))
    try:
        name = Path(str(upload["name"]).replace("\x00", "")).name
        if name in {"", ".", ".."} or len(name.encode("utf-8", "replace")) > 200:
            name = "upload" + Path(name).suffix[:20]  # what kind of file it is is all a reader needs of the name
        path = folder / name
        path.write_bytes(bytes(upload["content"]))
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def problems_without_rows(exc: InputError, names: dict[int, str] | None = None) -> InputError:
    """A form's problems: the field and value matter, the row of a table the user never saw does not.

    ``names`` (row -> what the row is, e.g. ``"A1"`` or ``"item 3, line 2"``) puts what each row's problem
    is about before its field."""
    def column(p: Any) -> str | None:
        return p.column if names is None else " ".join(x for x in (names.get(p.row), p.column) if x) or None

    return InputError([type(p)(p.file, None, column(p), p.value, p.expected) for p in exc.problems])


class FormError(InputError):
    """Problems in what was typed into a form: each names its field as the form shows it, and has no file or
    row (the user typed no file). Shown as one line per problem, in the form's order."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.problems = list(problems)  # the form's order, not sorted by file and row
        self.args = (self.summary(),)

    def lines(self) -> list[str]:
        return [_form_line(p) for p in self.problems]

    def summary(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} found; nothing was saved:"
        return "\n".join([head, *(f"  - {line}" for line in self.lines())])


def _form_line(p: Problem, with_file: bool = False) -> str:
    """One problem in a form's words; ``with_file``: name the file first when it is an uploaded file."""
    typed = f" (you entered {p.value!r})" if p.value not in ("", None) else ""
    uploaded = with_file and Path(str(p.file or "")).suffix.lower() in {".csv", ".xlsx", ".xls", ".txt"}
    return f"{p.file + ': ' if uploaded else ''}{p.column + ': ' if p.column else ''}expected {p.expected}{typed}"


def form_problems(exc: InputError, labels: dict[str, str]) -> FormError:
    """A form's problems in the form's words: each column (and each column named in what was expected) by its
    field's label (``labels``: column -> label, in the form's order), without the file or row of the one-row
    table the form validated."""
    def words(text: str) -> str:
        for name, shown in labels.items():  # a bare word ("status") only when quoted, a column_name always
            bare = rf"|\b{re.escape(name)}\b" if "_" in name else ""
            text = re.sub(rf"'{re.escape(name)}'{bare}", lambda _m, s=shown: s, text)
        return text.replace("this column is required", "this field is required")

    order = {name: i for i, name in enumerate(labels)}
    problems = sorted(exc.problems, key=lambda p: order.get(p.column or "", len(order)))
    return FormError([Problem("", None, labels.get(p.column or "", p.column), p.value, words(p.expected))
                      for p in problems])


def settings_summary(applied: Applied, expects: tuple[str, ...]) -> str:
    """One short block above a form: the organisation's settings it uses, and any it needs that are not set, with
    a link to the Settings page."""
    settings = applied.settings
    if settings is None:
        return ""
    link = f"{SETTINGS_NOTEBOOK}?{urlencode({'organisation': settings.organisation, 'period': settings.period})}"
    anchor = f'<a class="wb-settings-link" href="{html.escape(link)}">Settings page</a>'
    # a methodology's title, not its file name; a setting's own words for a value ("scored from the marks")
    items = [f"{html.escape(label(k))}: <b>{html.escape(read_as(v, k))}</b>" for k, v in applied.used.items()]
    items += [f"{html.escape(label(k))}: <b>{html.escape(read_as(v, k))}</b> (the suite's default until you choose "
              "one)" for k, v in applied.defaults.items()]
    used = " · ".join(items)
    missing = [label(k) for k in expects if k in applied.missing and k not in applied.defaults]
    parts = [f"<small>{html.escape(sentence(settings.origin()))}. {used}</small>" if used else ""]
    if missing:
        parts.append(f'<p class="wb-settings-missing" style="color:#8a4b00"><b>Not set yet for '
                     f"{html.escape(settings.organisation)}:</b> {html.escape(', '.join(missing))}. "
                     f"Set {'them' if len(missing) > 1 else 'it'} on the {anchor}; until then "
                     f"{'they are' if len(missing) > 1 else 'it is'} left out of the results below.</p>")
    elif used:  # nothing to change when the form uses no setting
        parts.append(f"<small> Change them on the {anchor}.</small>")
    return f'<div class="wb-settings-summary">{"".join(parts)}</div>'


# ---- the skeleton of every assessment's form ---------------------------------------------------------------
class StoreForm:
    """What every assessment's web form shares: the feedback line, the organisation and period picker and its
    Open button, who is answering, the store, the page's query string, and meeting a preheated kernel's request.

    A subclass calls ``super().__init__`` before building its own widgets, sets ``self.widget`` (what the
    notebook shows) and ends its ``__init__`` by showing the store (``refresh()`` or ``on_open()``). Its hooks:

    - ``refresh(message)``: redraw everything from the store, then confirm ``message`` (required);
    - ``on_open()``: show the picker's organisation and period read afresh (the Open button, and a preheated
      form's request that changed the choice or came after a save); by default ``refresh()``;
    - ``sign_in(user)`` and ``follow(query)``: a preheated form learns its user and query string late.
    """

    widget: w.Widget  # the whole form, set by the subclass
    read_only: str = ""  # why the period shown is read-only (signed off), in one line; blank: it is not

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A subclass's ``refresh`` and ``on_open`` end by showing a signed-off period read-only."""
        super().__init_subclass__(**kwargs)
        for hook in ("refresh", "on_open"):
            if hook in cls.__dict__:
                setattr(cls, hook, _then_read_only(cls.__dict__[hook]))

    def __init__(self, params: Any, sections: Sections, store: Store | None = None, respondent: bool = True):
        """``params``: the assessment's parameters (their ``store_url``, ``organisation`` and ``period`` are
        used); ``respondent``: build the standard :class:`Respondent` (False: the subclass asks on its own)."""
        self.params = params
        self.sections = sections
        self.query = query_values()  # empty in a preheated kernel: see on_request
        if store is None:
            from workbook_lib.core.store import Store  # lazy: a report kernel imports this module without a store

            store = Store(params.store_url)
        self.store = store
        self.feedback = Feedback(brief=True)
        self.field_notes = FieldNotes()  # each field's problem under it (a subclass places the notes)
        self.picker = OrgPeriodPicker(self.store, *self._first_choice(params))
        self.respondent = Respondent(signed_in_user()) if respondent else None
        self.picker.open_button.on_click(self.guard(self._open))
        # the organisation's settings the form uses, and what is missing (core/settings.py)
        self.applied = Applied()
        self.settings_view = tag(w.HTML(), "settings-used")

    def _ipython_display_(self) -> None:
        display(self.widget)

    def _first_choice(self, params: Any) -> tuple[str, str]:
        """The organisation and period the form opens on: the page's query string; in the app without one, the
        user's only organisation (the store's only one in single-user mode) and its latest period, or nothing -
        never the notebook's example; in JupyterLab the parameters'."""
        if not app_mode():
            return self.query.get("organisation", params.organisation), self.query.get("period", params.period)
        organisation = self.query.get("organisation", "")
        if not organisation:  # the only organisation the user may open (single-user mode: in the store)
            mine = self.store.organisations()
            organisation = mine[0] if len(mine) == 1 else ""
        periods = self.store.periods(organisation) if organisation and "period" not in self.query else []
        return organisation, self.query.get("period", periods[-1] if periods else "")

    def guard(self, callback: Callable, *also: Feedback, notes: FieldNotes | None = None) -> Callable:
        """``callback`` with any exception shown in the form's feedback, and in each of ``also`` (e.g. a feedback
        beside the button), see :func:`guarded`; its problems are also shown under their fields (``notes``: the
        form's own by default), and those notes cleared when it is used again."""
        notes = self.field_notes if notes is None else notes

        @functools.wraps(callback)
        def noted(*args: Any, **kwargs: Any) -> Any:
            notes.clear()
            try:
                return callback(*args, **kwargs)
            except Exception as exc:
                notes.place(exc)
                raise

        return guarded(self.feedback, *also)(noted)

    # ---- hooks ------------------------------------------------------------------------------------------
    def refresh(self, message: str | None = None) -> None:
        """Redraw what the form shows from the store, then show ``message`` as a confirmation."""
        raise NotImplementedError

    def on_open(self) -> None:
        """Show the picker's organisation and period, read afresh from the store."""
        self.refresh()

    def sign_in(self, user: str | None) -> None:
        """The user the proxy named for the page's request."""
        if self.respondent is not None:
            self.respondent.sign_in(user)

    def follow(self, query: dict[str, str]) -> None:
        """Take what the page's query string names besides the organisation and period (here: nothing)."""

    # ---- shared behaviour ---------------------------------------------------------------------------------
    def on_request(self, user: str | None, query: dict[str, str]) -> None:
        """A preheated form meets its page request (:func:`serve`): the signed-in user, and the store read again
        if the query names another organisation or period or anything was saved since the form was built (with
        no organisation named, the user's only one)."""
        self.sign_in(user)
        self.query = query
        if user:  # built before anybody asked: the organisations offered are the signed-in user's
            self.picker.organisation.options = self.store.organisations()
        if not query.get("organisation") and not self.picker.value[0]:
            organisation, period = self._first_choice(self.params)
            query = {**query, "organisation": organisation, "period": period}
        if self.picker.catch_up(query):
            self.on_open()
        self.follow(query)

    def _open(self, _button: Any = None) -> None:
        org, period = self.picker.value
        if not org or not period:
            raise StoreError("choose or type an organisation and a period")
        self.on_open()
        self.feedback.ok(f"Opened {org}, {period}.")

    def params_for(self, organisation: str, period: str, **more: Any) -> Any:
        """The parameters for the organisation and period, read from the store with the organisation's settings
        (never the notebook's example values; "as of" is today); the settings line above the form is redrawn."""
        base = self.params.model_copy(update={"organisation": organisation, "period": period, "source": "store",
                                              "store_url": self.store.url, **more})
        params, self.applied = effective(base, self.store, neutral=True)
        self.settings_view.value = settings_summary(self.applied, self.expects)
        # the notebook's sections read its parameters (the COSO narrative's "as of"): the form's day, never the
        # shipped example's date
        self.params.as_of = params.as_of
        return params

    def opened_for_save(self, opened: tuple[str, str] | None) -> tuple[str, str]:
        """The organisation and period the form shows (``opened``), which a save goes to; refused when none is
        open, when the picker names another (changes not saved would go to the wrong place), or when the period
        is signed off."""
        if not opened or not opened[0] or not opened[1]:
            raise StoreError("choose or type an organisation and a period, then press Open")
        self.refuse_if_read_only(opened[0], opened[1])
        if self.picker.value != tuple(opened):
            raise StoreError(f"the form shows {opened[0]}, {opened[1]}: press Open to load {self.picker.value[0]}, "
                             f"{self.picker.value[1]} first (changes not saved are dropped)")
        return opened[0], opened[1]

    def refuse_if_read_only(self, organisation: str, period: str) -> None:
        """Refuse a save to a signed-off period in one line, also one sent while the page's buttons were disabled
        (a crafted request, a page opened before the sign-off)."""
        why = read_only_line(self.store, organisation, period, self.form_ref)
        if why:
            raise StoreError(why)

    expects: tuple[str, ...] = ()  # settings the form's results need: a missing one is named, with how to set it

    # ---- a signed-off period is read-only ------------------------------------------------------------------
    @property
    def form_ref(self) -> str:
        return f"{type(self).__module__}:{type(self).__qualname__}"

    change_action = "write"  # the access action a save of this form takes (the Settings page: "settings")
    # which of its records carry a line of assurance (a line's own role changes them): "none", "all" or "some"
    record_lines = "none"

    def access_read_only(self, organisation: str) -> str:
        """Why the signed-in user may read the organisation in this form but not change it (core/access.py), in
        one line; "" when they may change it, when no access records are kept, or when they may not even read it
        (the store's refusal says so)."""
        if not organisation or not self.store.access_enforced():
            return ""
        user = access.acting_user(self.store.user)
        roles = self.store.access_roles(user, organisation)
        kinds = {"none": (False,), "all": (True,), "some": (False, True)}[self.record_lines]
        if not roles or any(access.allowed(roles, self.change_action, (), line_kind) for line_kind in kinds):
            return ""
        held = ", ".join(access.ROLE_WORDS.get(r, r) for r in sorted(roles))
        who = "the risk champion" if self.change_action == "settings" else "its risk champion"
        return f"You may read {organisation} here but not change it (your access: {held}); ask {who} if you should"

    def show_read_only(self) -> None:
        """Ask whether the organisation and period shown are signed off (core.due's check, installed by the
        registry) or the signed-in user may only read them; if so, say so above the form and disable every
        button that saves, imports or removes."""
        org, period = self.picker.value
        self.read_only = read_only_line(self.store, org, period, self.form_ref) or self.access_read_only(org)
        shown = _READ_ONLY_NOTE.sub("", self.settings_view.value or "")
        note = f'<div class="wb-read-only wb-error"><b>{html.escape(self.read_only)}</b></div>' if self.read_only \
            else ""
        self.settings_view.value = note + shown
        disabled = getattr(self, "_disabled_by_signoff", [])
        for widget in disabled:  # what this disabled before: enabled again, and disabled again below if still so
            widget.disabled = False
        self._disabled_by_signoff = []
        if self.read_only and getattr(self, "widget", None) is not None:
            for widget in _writers(self.widget):
                if not widget.disabled:
                    widget.disabled = True
                    self._disabled_by_signoff.append(widget)

    @staticmethod
    def excel_download(tables: dict[str, Any], filename: str, label: str) -> str:
        """A link downloading ``tables`` as an Excel workbook (one sheet each), written in memory."""
        buffer = io.BytesIO()
        write_excel(tables, buffer)  # openpyxl saves to a file object as well as to a path
        return download_link(buffer.getvalue(), filename, label)


_READ_ONLY_NOTE = re.compile(r'^<div class="wb-read-only[^"]*">.*?</div>', re.S)
_WRITING = re.compile(r"^(Save|Import|Remove|Request|Record)\b")


SAVES_ON_CHANGE = "wb-saves-on-change"  # the class of a field saved as soon as it changes (a COSO rating)


def saves_on_change(widget: w.Widget, disabled: bool = False) -> w.Widget:
    """Mark a field that is saved as soon as it changes: a read-only form disables it like a Save button."""
    widget.add_class(SAVES_ON_CHANGE)
    widget.disabled = disabled
    return widget


def _writers(widget: w.Widget) -> Iterator[w.Widget]:
    """Every button under ``widget`` that writes to the store (Save ..., Import ..., Remove ...), every file
    upload and every field saved as soon as it changes."""
    if isinstance(widget, w.FileUpload) or (isinstance(widget, w.Button) and _WRITING.match(widget.description)) \
            or SAVES_ON_CHANGE in getattr(widget, "_dom_classes", ()):
        yield widget
    for child in getattr(widget, "children", ()) or ():
        if isinstance(child, w.Widget):
            yield from _writers(child)


def _then_read_only(hook: Callable) -> Callable:
    @functools.wraps(hook)
    def shown(self: StoreForm, *args: Any, **kwargs: Any) -> Any:
        result = hook(self, *args, **kwargs)
        self.show_read_only()
        return result

    return shown


class SettingsSection:
    """One assessment's part of the Settings page (declared by its spec's ``settings_section``): a heading, the
    widgets of its settings, how they show the saved values and read what was typed. The page collects one from
    every assessment that declares one; nothing outside the assessment knows its settings."""

    heading: str = ""
    widgets: list[w.Widget]
    style = {"description_width": "240px"}
    layout = {"width": "690px"}

    def text(self, **kwargs: Any) -> dict[str, Any]:
        """The options every text field of the page shares (label width, field width)."""
        return {"style": self.style, "layout": w.Layout(**self.layout), **kwargs}

    def fill(self, values: Any) -> None:
        """Show the saved settings (an instance of ``core.settings.settings_model()``)."""
        raise NotImplementedError

    def read(self, problem: Callable[[str, str, str], None]) -> dict[str, Any]:
        """Setting -> value as typed (None: not set); ``problem(field label, value, expected)`` for each that
        cannot be read."""
        raise NotImplementedError

    def typed(self) -> dict[str, str]:
        """Setting -> the text typed for it, named in a problem the assessment's checks find."""
        return {}
