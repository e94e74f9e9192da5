"""Risk and assurance workbook suite: the library the notebooks, forms and CLI share.

Layers (docs/architecture.md): ``core`` (data files, tables, store, outputs) <- ``assessments`` (one package
each, found through their registry) <- ``app``, ``cli`` and ``batch``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

# jsonschema (through nbformat and altair) imports rfc3987_syntax when installed, which compiles a grammar at
# import (1.1-1.6 s) for the "iri" formats that neither nbformat's nor Vega-Lite's schema uses. Skipping it here
# speeds every kernel that imports workbook_lib first (papermill, Voilà, JupyterLab); bench/startup.py measures it.
sys.modules.setdefault("rfc3987_syntax", None)

if TYPE_CHECKING:
    from workbook_lib.app.notebook import Notebook


def start(assessment: str, namespace: dict[str, Any]) -> Notebook:
    """A notebook's set-up call (see workbook_lib.app.notebook); imported here on use, so that importing
    workbook_lib stays cheap for the CLI."""
    from workbook_lib.app.notebook import start as start_notebook  # lazy: keeps `import workbook_lib` cheap

    return start_notebook(assessment, namespace)
