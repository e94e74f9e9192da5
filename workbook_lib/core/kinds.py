"""The record kinds the store accepts. Each assessment declares its own (core.records.register_kind); kept apart
from the store so that declaring a kind does not import SQLAlchemy (every notebook kernel declares its kinds)."""

from collections.abc import Callable
from typing import Any

from workbook_lib.core.access import ACCESS_KIND, ORGANISATION_KIND

KNOWN_KINDS: set[str] = {ACCESS_KIND, ORGANISATION_KIND}  # the core's own: who may see and change what (core/access.py)
# kind -> the line of assurance one record's data is for ("1", "2", "3" or None), for the kinds whose records are a
# line's own ratings: a line-1 user writes only line 1's (core/access.py)
LINE_OF: dict[str, Callable[[dict[str, Any]], Any]] = {}
# kind -> who owns one record (a risk's owner), for the kinds an owner whose grant names a position ("Director
# Technical Services") may change only where they own it; and kind -> (owning kind, column naming its record) for
# records owned through another (a treatment action through its risk)
OWNER_OF: dict[str, Callable[[dict[str, Any]], Any]] = {}
OWNED_VIA: dict[str, tuple[str, str]] = {}
