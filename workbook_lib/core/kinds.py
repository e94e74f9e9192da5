"""The record kinds the store accepts. Each assessment declares its own (core.records.register_kind); kept apart
from the store so that declaring a kind does not import SQLAlchemy (every notebook kernel declares its kinds)."""

KNOWN_KINDS: set[str] = set()
