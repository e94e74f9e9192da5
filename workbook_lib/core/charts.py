"""What every assessment's charts share: static SVG rendering, Altair imported on first use, legible text.

Altair and vl-convert are imported when the first chart is drawn, not when a notebook starts (0.5-0.8 s of
every kernel's start-up otherwise; bench/startup.py measures it).
"""

from __future__ import annotations

from types import ModuleType


def use_static_renderer() -> None:
    """Render charts as inline SVG: identical in JupyterLab, Voilà and the exported HTML."""
    altair().renderers.enable("svg")


def altair() -> ModuleType:
    """The altair module, imported on first use (see the module docstring)."""
    import altair as alt  # lazy: see the module docstring

    return alt


def text_colour(background: str, dark: str = "#222222", light: str = "#ffffff", threshold: int = 140) -> str:
    """Dark or light text, whichever reads better on ``background`` (#rrggbb), by perceived brightness."""
    r, g, b = (int(background[i:i + 2], 16) for i in (1, 3, 5))
    return light if 0.299 * r + 0.587 * g + 0.114 * b < threshold else dark
