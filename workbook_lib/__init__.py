"""Risk and assurance workbook suite: the library the notebooks, forms and CLI share."""

import sys

# jsonschema (through nbformat and altair) imports rfc3987_syntax when installed, which compiles a grammar at
# import (1.1-1.6 s) for the "iri" formats that neither nbformat's nor Vega-Lite's schema uses. Skipping it here
# speeds every kernel that imports workbook_lib first (papermill, Voilà, JupyterLab); bench/startup.py measures it.
sys.modules.setdefault("rfc3987_syntax", None)
