"""The register vocabulary (data/register_columns.yaml): canonical columns, accepted headings and words."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from workbook_lib.core.datafiles import normalise_label

COLUMNS_FILE = Path(__file__).parent / "data" / "register_columns.yaml"


@lru_cache(maxsize=1 << 16)  # a register repeats its status and rating words on every row
def fold(text: str) -> str:
    """Lower case, no accents, words split at camel case, underscores and punctuation."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(text))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^0-9a-z%]+", " ", text).replace("%", " % ").split())


@dataclass(frozen=True)
class ColumnSpec:
    columns: dict[str, list[str]]
    required: list[str]
    rating_pairs: list[list[str]]
    dates: list[str]
    responses: dict[str, list[str]]
    complete_progress: list[str]
    progress_words: list[str]  # progress of the actions besides a percentage or a word for complete
    shared_headings: dict[str, list[str]]
    qualifiers: dict[str, list[str]]
    axes: dict[str, list[str]]
    fillers: list[str]
    statuses: dict[str, list[str]]
    generic_levels: dict[str, list[str]]
    marks: list[str]
    total_words: list[str]

    @property
    def response_lookup(self) -> dict[str, str]:
        return self.responses_for(None)

    def responses_for(self, options: Any) -> dict[str, str]:
        """Accepted spellings -> canonical response: the suite's words and the organisation's own
        (``options.responses``, from its parameters; None for the suite's only)."""
        own = options.responses if options is not None else {}
        return {normalise_label(a): canon for vocab in (self.responses, own)
                for canon, aliases in vocab.items() for a in (canon, *aliases)}

    def statuses_for(self, options: Any) -> dict[str, str]:
        """Accepted spellings (folded) -> open, closed, eliminated or opportunity."""
        own = options.statuses if options is not None else {}
        return {fold(a): canon for vocab in (self.statuses, own)
                for canon, aliases in vocab.items() for a in (canon, *aliases)}


@cache
def column_spec() -> ColumnSpec:
    return ColumnSpec(**yaml.safe_load(COLUMNS_FILE.read_text(encoding="utf-8")))
