"""What a register heading means: an accepted heading first, then the words in it (see docs/registers.md).

"Likelihood (1-5)", "Impact_1_5", "Residual risk / Likelihood" or "Probabilità %" are understood from their
words: a qualifier (inherent, residual, target), what they name (likelihood, impact, score, level) and scale
hints (numbers, %, H/M/L), which are dropped. A guess from words is only a candidate: the column's values
decide whether it is used (``interpret``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from workbook_lib.assessments.risk.vocabulary import ColumnSpec, fold
from workbook_lib.core.tables import header_key

SCORE, LEVEL = "score", "level"  # a register's own score or level, before it is known which pair it belongs to
PLAIN = {"risk_id": "risk ID", "stated_inherent_score": "the file's inherent score",
         "stated_inherent_level": "the file's inherent level", "stated_residual_score": "the file's residual score",
         "stated_residual_level": "the file's residual level", SCORE: "the file's own score",
         LEVEL: "the file's own level", "root_causes_internal": "internal root causes",
         "root_causes_external": "external root causes", "kpi": "key performance indicator",
         "monitoring": "ongoing monitoring"}
_HINTS = re.compile(r"\b(\d+|x|to|pct|percent|percentage|percentuale|h m l|hml|vl vh|1 5|1 4)\b")
_PERCENT = re.compile(r"\b(percent|percentage|pct|percentuale)\b")
# where a long heading's explanation starts: "Risk Description (There is a risk that ...)", "Impact - cost"
_EXPLANATION = re.compile(r"\s*(?:[(\[:]|\s[-\u2013\u2014]\s).*$", re.DOTALL)
IGNORED = "ignored"  # Guess.note of a heading the organisation's columns: entry ignores


def plain(canonical: str) -> str:
    """A canonical column in words: 'inherent_impact' -> 'inherent impact'."""
    return PLAIN.get(canonical, canonical.replace("_", " "))


def _key(text: str) -> str:
    return header_key(fold(text))


@dataclass(frozen=True)
class Guess:
    candidates: tuple[str, ...]  # canonical names (or SCORE / LEVEL), most likely first; () = keep as written
    by_words: bool  # False: an accepted heading; True: understood from the words in it
    percent: bool  # the heading says its values are percentages
    note: str = ""  # why a heading that names a rating is kept as written (a target rating)


class Headings:
    """The heading vocabulary of register_columns.yaml, plus an organisation's own ``columns:``."""

    def __init__(self, spec: ColumnSpec, own: dict[str, str] | None = None):
        self.spec = spec
        # the organisation's columns: entry (heading -> column name or "ignore"): known headings too
        self.own = {header_key(h): c for h, c in (own or {}).items()}
        self._guessed: dict[str, Guess | None] = {}  # heading -> guess: a file's rows are scanned for headers

    @cached_property
    def exact(self) -> dict[str, tuple[str, ...]]:
        lookup = {_key(a): (canon,) for canon, aliases in self.spec.columns.items() for a in (canon, *aliases)}
        lookup.update({_key(h): tuple(c) for h, c in self.spec.shared_headings.items()})
        return lookup

    @cached_property
    def axes(self) -> dict[str, str]:
        return {fold(w): axis for axis, words in self.spec.axes.items() for w in words}

    @cached_property
    def qualifiers(self) -> list[tuple[re.Pattern[str], str]]:
        """Each qualifier's words as a pattern (whole words), longest first."""
        pairs = [(fold(w), q) for q, words in self.spec.qualifiers.items() for w in words]
        return [(re.compile(rf"\b{re.escape(w)}\b"), q) for w, q in sorted(pairs, key=lambda p: -len(p[0]))]

    @cached_property
    def fillers(self) -> set[str]:
        return {fold(f) for f in self.spec.fillers}

    def guess(self, heading: str) -> Guess | None:
        if heading not in self._guessed:
            self._guessed[heading] = self._guess(heading)
        return self._guessed[heading]

    def _guess(self, heading: str) -> Guess | None:
        words = fold(heading)
        percent = "%" in words.split() or bool(_PERCENT.search(words))
        own = self.own.get(header_key(heading))
        if own is not None:
            return Guess((), False, percent, IGNORED) if own == "ignore" else Guess((own,), False, percent)
        guess = self._from_words(heading, words, percent)
        short = _EXPLANATION.sub("", heading)
        if guess is None and short and short != heading:  # the heading's first words, before its explanation
            found = self._guess(short)
            guess = found and Guess(found.candidates, True, percent or found.percent, found.note)
        return guess

    def _from_words(self, heading: str, words: str, percent: bool) -> Guess | None:
        exact = self.exact.get(_key(heading))
        if exact:
            return Guess(exact, False, percent)
        qualifier = None
        for pattern, q in self.qualifiers:
            if pattern.search(words):
                qualifier, words = q, pattern.sub(" ", words)
                break
        words = " ".join(_HINTS.sub(" ", words).replace("%", " ").split())
        fillers = self.fillers
        for attempt in (words, " ".join(w for w in words.split() if w not in fillers)):
            axis = self.axes.get(attempt)
            if axis is not None:
                return self._rating(axis, qualifier, percent)
            exact = self.exact.get(_key(attempt)) if attempt else None
            if exact and qualifier is None:
                return Guess(exact, True, percent)
        return None

    @staticmethod
    def _rating(axis: str, qualifier: str | None, percent: bool) -> Guess:
        if qualifier == "target":
            return Guess((), True, percent, f"a target {axis}: kept as written, not scored")
        if axis in (SCORE, LEVEL):
            canon = axis if qualifier is None else f"stated_{qualifier}_{axis}"
        else:
            canon = f"{qualifier or 'inherent'}_{axis}"
        return Guess((canon,), True, percent)
