"""The setting risk monitoring declares: the tolerance warning zone (a share of a limit). Labels and help:
``data/settings.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from workbook_lib.core.settings import declared_in

SETTINGS = declared_in(Path(__file__).parent / "data" / "settings.yaml",
                       {"warning": Annotated[float, Field(ge=0, le=1)]})
