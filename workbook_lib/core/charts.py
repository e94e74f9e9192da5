"""What every assessment's charts share: static SVG rendering, Altair imported on first use, legible text.

Altair and vl-convert are imported when the first chart is drawn, not when a notebook starts (0.5-0.8 s of
every kernel's start-up otherwise; bench/startup.py measures it).

Legible text: vl-convert sizes a chart by its own font's metrics, but the report is read in the reader's
sans-serif, which may be wider (DejaVu Sans, Verdana). So no text is cut to a limit, titles are wrapped to
the chart's width, and axes and legends keep room for ``EM`` font sizes per character
(tests/test_chart_legibility.py checks every chart against that estimate).

Bounded data: Altair refuses a dataset of more than ``MAX_ROWS`` rows (MaxRowsError), and a chart of thousands of
bars or panels cannot be read anyway. Every chart aggregates, or shows the first ``N`` of its rows in an order the
reader is told (the worst first), with a note saying how many it shows of how many and where every row is
(``shown_note``); its data stays under ``ROW_BUDGET`` whatever the input (tests/test_chart_limits.py draws every
chart at the input limits). The row limit is never lifted: that moves the crash into memory.
"""

from __future__ import annotations

import base64
import functools
import html
import math
import textwrap
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import altair as alt

EM = 0.6  # a character's width in font sizes, wide enough for the widest common sans-serif
MEASURED = 0.35  # the narrowest vl-convert measures ordinary text (the rest is room to keep)
TITLE_SIZE, SUBTITLE_SIZE, LABEL_SIZE, LEGEND_TITLE_SIZE = 13, 11, 10, 11
MAX_ROWS = 5000  # Altair's limit on a chart's dataset (alt.data_transformers' max_rows)
ROW_BUDGET = 4000  # the most rows a chart function gives one dataset: under the limit, whatever the input


def use_static_renderer() -> None:
    """Render charts as inline SVG images that fit the page: identical in JupyterLab, Voilà and the exported HTML,
    and a chart wider than the notebook cell or the form (two heat maps side by side) is scaled down to its width
    instead of being cut off on the right (issue 30)."""
    alt = altair()
    if FITTING not in alt.renderers.names():
        alt.renderers.enable("svg")
        alt.renderers.register(FITTING, functools.partial(_fitting_svg, alt.renderers.get()))
    alt.renderers.enable(FITTING)


FITTING = "workbook-svg"  # Altair's SVG renderer, the picture shown no wider than its cell


def _fitting_svg(svg_renderer: Any, spec: dict, **metadata: Any) -> dict[str, str]:
    """The SVG Altair draws, shown as an image whose width is at most its container's (height in proportion).

    Drawn without Vega's ARIA labels (one per mark, each repeating its tooltip): inside an ``<img>`` nothing reads
    them (a screen reader reads the image's alternative text, the chart's title), and they were a third to a half of
    each picture (value ranges of 100 risks: 78 -> 50 KB, drawn in 44 ms instead of 59)."""
    spec = {**spec, "config": {**spec.get("config", {}), "aria": False}}
    bundle = svg_renderer(spec, **metadata)
    if isinstance(bundle, tuple):
        bundle = bundle[0]
    return {"text/html": fitting_image(bundle["image/svg+xml"], _title_text(spec.get("title"))),
            "text/plain": "<chart>"}


class Drawn:
    """A chart as a report shows it: its spec drawn by the active renderer without Altair validating it against the
    Vega-Lite schema again (a third to a half of building the spec; every chart function's spec is validated by the
    tests that draw each one, tests/test_chart_legibility.py). ``draw_ahead`` starts the drawing on the renderer's
    own thread; showing the chart then waits for it."""

    def __init__(self, chart: Any):
        self.chart = chart
        self._ahead: Future | None = None

    def _spec(self) -> dict:
        return self.chart.to_dict(validate=False, context={"pre_transform": False})

    def draw_ahead(self) -> None:
        """Build the spec now and draw it on ``renderer_thread`` while the caller goes on."""
        self._ahead = renderer_thread().submit(altair().renderers.get(), self._spec())

    def _repr_mimebundle_(self, *_args: Any, **_kwargs: Any) -> Any:
        if self._ahead is not None:
            return self._ahead.result()
        return altair().renderers.get()(self._spec())


@functools.cache
def renderer_thread() -> ThreadPoolExecutor:
    """The thread that draws charts ahead of the cell that shows them (``Drawn.draw_ahead``) and starts the renderer
    (``warm_renderer_ahead``). vl-convert draws in its own engine (Rust and JavaScript) without holding Python's lock,
    so a picture drawn here costs the report's thread nothing while it builds tables and specs on the other core;
    vl-convert draws one chart at a time, so a chart drawn meanwhile on the report's thread waits its turn."""
    return ThreadPoolExecutor(1, thread_name_prefix="workbook-charts")


def drawn(shown: Any) -> Any:
    """An Altair chart as ``Drawn``; anything else as it is."""
    kind = type(shown)
    return Drawn(shown) if kind.__module__.startswith("altair.") and hasattr(kind, "to_dict") else shown


def fitting_image(svg: str, alt_text: str = "") -> str:
    """An ``<img>`` of ``svg`` (inline, no file) at its own size, scaled down to fit a narrower container."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (f'<img class="wb-chart" alt="{html.escape(alt_text or "chart")}" '
            f'style="max-width: 100%; height: auto" src="data:image/svg+xml;base64,{data}">')


def _title_text(title: Any) -> str:
    """A chart's title as one line (its alternative text)."""
    if isinstance(title, dict):
        title = title.get("text", "")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title or "")


def warm_renderer() -> None:
    """Draw a one-point chart: the renderer's first chart takes most of a second (it starts its JavaScript engine),
    so a kernel waiting for its work (an early or preheated kernel) pays it before the report needs it. One point,
    not a chart of every kind of mark: that one cost 0.5-0.7 CPU-s more a run (the engine's own threads), more than
    the 30-40 ms each kind is slower the first time it is drawn (bench/RESULTS.md)."""
    import vl_convert  # lazy: the chart renderer

    vl_convert.vegalite_to_svg({"data": {"values": [{"x": 1}]}, "mark": "point",
                                "encoding": {"x": {"field": "x", "type": "quantitative"}}})


def warm_renderer_ahead() -> None:
    """``warm_renderer`` on the renderer's own thread: the kernel goes on meanwhile (a run's early kernel answers
    papermill and starts the first cells on the other core); a chart drawn before it is done waits for it."""
    renderer_thread().submit(warm_renderer)


def altair() -> ModuleType:
    """The altair module, imported on first use (see the module docstring)."""
    import altair as alt  # lazy: see the module docstring

    return alt


def tooltips(*fields: Any) -> list[Any]:
    """A chart's tooltip: a field named by text ("risk_id", "loss:Q") as Altair's Tooltip channel, anything else as
    given. Altair turns a channel given as text into its class by searching its whole schema (5-7 ms each time, most
    of building a chart); every chart here gives its channels as classes (``alt.X("loss:Q")``, not ``x="loss:Q"``)."""
    alt = altair()
    return [alt.Tooltip(f) if isinstance(f, str) else f for f in fields]


def shown_note(shown: int, total: int, noun: str, plural: str = "", order: str = "",
               where: str = "the Excel workbook") -> str:
    """What a chart leaves out, in words: "Showing 40 of 6,000 metrics (outside tolerance first); every metric is in
    the Excel workbook." ("" when it shows every one)."""
    if shown >= total:
        return ""
    many = plural or noun + "s"
    return (f"Showing {shown:,} of {total:,} {many}" + (f" ({order})" if order else "")
            + f"; every {noun} is in {where}.")


def text_colour(background: str, dark: str = "#222222", light: str = "#ffffff", threshold: int = 140) -> str:
    """Dark or light text, whichever reads better on ``background`` (#rrggbb), by perceived brightness."""
    r, g, b = (int(background[i:i + 2], 16) for i in (1, 3, 5))
    return light if 0.299 * r + 0.587 * g + 0.114 * b < threshold else dark


def text_width(texts: Iterable[Any], font_size: float = LABEL_SIZE) -> int:
    """The estimated width in px of the longest of ``texts`` (``EM`` font sizes per character)."""
    return math.ceil(EM * font_size * max((len(str(t)) for t in texts), default=0))


def wrap(text: str, width: float, font_size: float = TITLE_SIZE) -> list[str]:
    """``text`` in lines whose estimated width fits ``width`` px (a word longer than that stays whole)."""
    return textwrap.wrap(text, max(int(width / (EM * font_size)), 12)) or [""]


def title(text: str, width: float, subtitle: str = "", subtitle_width: float | None = None) -> alt.TitleParams:
    """A chart title wrapped to ``width`` px, with an optional subtitle (a caption) wrapped likewise (or to
    ``subtitle_width``)."""
    extra = {"subtitle": wrap(subtitle, subtitle_width or width, SUBTITLE_SIZE),
             "subtitleFontSize": SUBTITLE_SIZE} if subtitle else {}
    return altair().TitleParams(wrap(text, width), fontSize=TITLE_SIZE, limit=0, **extra)


def label_axis(texts: Iterable[Any], font_size: float = LABEL_SIZE, **kw: Any) -> alt.Axis:
    """An axis whose labels are never cut, with room (``minExtent``) for the longest in a wide font."""
    room = text_width(texts, font_size) + 8  # ticks and padding
    return altair().Axis(labelLimit=0, labelFontSize=font_size, minExtent=room, **kw)


def legend(texts: Iterable[Any], **kw: Any) -> alt.Legend:
    """A legend whose title and labels (``texts``) are never cut. Beside the chart it is padded for its longest
    text in a wide font; above or below it, as a column, it must be narrower than the chart (the caller's care)."""
    texts = list(texts) + [kw.get("title") or ""]
    room = math.ceil((EM - MEASURED) * LEGEND_TITLE_SIZE * max((len(str(t)) for t in texts), default=0))
    if kw.get("orient") in ("top", "bottom"):
        kw = {"direction": "vertical", **kw}
        room = 0
    return altair().Legend(labelLimit=0, titleLimit=0, padding=max(room, 2), **kw)
