"""Understanding a register file: its header, what each heading means, how its ratings are written.

The result is a Table in canonical columns with ratings as level numbers, and the record of how every
column was read (``Table.readings``) and which rows were skipped (``Table.skipped``), which ``workbook
validate``, the form and the report show. Every problem names the user's heading first.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from workbook_lib.assessments.risk.headings import LEVEL, SCORE, Guess, Headings, fold, plain
from workbook_lib.assessments.risk.layout import RATINGS, Layout, Source, find_layout, is_mark, skip_reason
from workbook_lib.assessments.risk.methodology import ImpactMoney, Methodology
from workbook_lib.assessments.risk.ratings import RatingRead, generic_words, is_prose, rating_word, read_ratings
from workbook_lib.core.datafiles import normalise_label
from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.tables import (
    ROW,
    ColumnReading,
    SkippedRow,
    Table,
    column_letter,
    header_key,
    read_rows,
    sheet_overview,
    unneutralise,
    unneutralise_text,
)

IGNORE = "ignore"
_PERCENTAGE = re.compile(r"^\d+(?:[.,]\d+)?\s*%?$")
_LEVEL = re.compile(r"^\d{1,2}(?:\.0+)?$")
_DATE_LIKE = re.compile(r"^(\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})")


@dataclass(frozen=True)
class ReadOptions:
    """An organisation's own reading of its register (from its parameters file)."""

    columns: dict[str, str] = field(default_factory=dict)  # user heading -> canonical column or "ignore"
    ratings: dict[str, Any] = field(default_factory=dict)  # value -> level, or per axis {likelihood: {...}}
    impact_money: ImpactMoney | None = None
    responses: dict[str, list[str]] = field(default_factory=dict)
    statuses: dict[str, list[str]] = field(default_factory=dict)
    header_row: int | None = None  # the header's row as the spreadsheet shows it; None: found by the reader
    skip_rows: tuple[int, ...] = ()  # rows (as the spreadsheet shows them) that are not risks
    keep_rows: tuple[int, ...] = ()  # rows the reader would skip that are risks
    rounding: str | None = None  # fractional ratings (3.33, the mean of three headings): "up" or "nearest"
    date_order: str | None = None  # dates such as 03/04/2025: "day-first" or "month-first"
    level_words: dict[str, str] = field(default_factory=dict)  # the register's own level word -> a band name

    def ratings_for(self, axis: str) -> dict[str, int]:
        if axis in self.ratings and isinstance(self.ratings[axis], dict):
            return dict(self.ratings[axis])
        return {k: v for k, v in self.ratings.items() if not isinstance(v, dict)}


def label(heading: str, canonical: str, letter: str = "") -> str:
    """How a message names a column: the user's heading, then its letter and its meaning when the two differ:
    'Impact (column D: inherent impact)'."""
    meaning = "" if not canonical or header_key(heading) == header_key(canonical) else plain(canonical)
    where = f"column {letter}" if letter and not heading.startswith("column ") else ""
    inside = ": ".join(x for x in (where, meaning) if x)
    return f"{heading} ({inside})" if inside else heading


def unheaded(letter: str) -> str:
    """How a column without a heading is named: 'column A (no heading)'."""
    return f"column {letter} (no heading)"


def _column(data: list[tuple[int, list[str]]], j: int) -> list[str]:
    """Column ``j`` of the risk rows, "" where a row is shorter."""
    return [cells[j] if j < len(cells) else "" for _, cells in data]


class NoHeader(InputError):
    """No row of the sheet names a register's columns."""


@dataclass
class _Decision:
    source: Source
    letter: str
    canonical: str = ""
    how: str = ""
    style: str = ""
    guess: Guess | None = None  # what the heading may mean: its candidates, until the values decide
    values: list[str] | None = None  # converted values (ratings), else the cells as written
    rank: int = 0  # 3 your columns: entry, 2 accepted heading, 1 words in the heading
    aims_at: str = ""  # a rating it could not be used for
    name: str = ""  # as the columns: parameter names it: "Likelihood [2]" for the second column so headed
    raw: list[str] | None = None  # the cells as written, where values were converted


class Interpreter:
    def __init__(self, file: str, rows: list[tuple[int, list[str]]], m: Methodology, options: ReadOptions,
                 spec: Any):
        self.file, self.rows, self.m, self.options, self.spec = file, rows, m, options, spec
        self.vocab = Headings(spec, options.columns)
        self.generic = generic_words(spec.generic_levels)
        self.marks = {normalise_label(x) for x in spec.marks}
        self.totals = frozenset(fold(x) for x in spec.total_words)
        self.problems: list[Problem] = []
        self.opportunities: set[int] = set()

    # ---- the steps ------------------------------------------------------------------------------
    def table(self) -> Table:
        layout = find_layout(self.rows, self.vocab, self.marks, self.options.header_row)
        if layout is None:
            raise NoHeader([self._no_header()])
        header_row = self.rows[layout.data_start - 1][0]
        self._add_unheaded(layout)
        decisions = [self._decide(s, name) for s, name in zip(layout.sources, self._headings_seen(layout),
                                                              strict=True)]
        data, skipped = self._risk_rows(layout, decisions)
        for d in decisions:
            self._read_values(d, data, header_row)
        self._recognise_by_values(decisions, data)
        self._resolve_conflicts(decisions, [n for n, _ in data])
        self._place_own_figures(decisions)
        self._check_pairs(decisions, header_row, data)
        self._one_ratings_entry()
        return self._build(decisions, data, header_row, skipped)

    def _one_ratings_entry(self) -> None:
        """Rating words refused in several columns get one ratings: entry proposing every word found, so that
        taking the first proposal reads every column."""
        import yaml  # lazy: only when words were refused

        proposed = [p for p in self.problems if p.fix.startswith("ratings: {")]
        if len(proposed) < 2:
            return
        words: dict[str, int] = {}
        for p in proposed:
            words.update(yaml.safe_load(p.fix)["ratings"])
        ordered = sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))
        fix = "ratings: {" + ", ".join(f"{yaml.safe_dump(k, default_style=None).strip().removesuffix('...').strip()}"
                                       f": {v}" for k, v in ordered) + "}"
        self.problems = [replace(p, fix=fix, expected=p.expected.replace(p.fix, fix)) if p in proposed else p
                         for p in self.problems]

    def _no_header(self) -> Problem:
        """No row names the register's columns: say where one seems to be and the entry that reads it."""
        from workbook_lib.assessments.risk.proposals import header_proposal  # lazy: only on a failure

        return header_proposal(self.file, self.rows, self.options.header_row)

    def _add_unheaded(self, layout: Layout) -> None:
        """A column with values but no heading is kept, named by its letter (never dropped)."""
        used = {j for s in layout.sources for j in s.columns}
        if layout.header_rows == 2:
            used |= {j for j, c in enumerate(self.rows[layout.header_at][1]) if c}
        width = max((len(cells) for _, cells in self.rows[layout.data_start:]), default=0)
        filled = set()
        for _, cells in self.rows[layout.data_start:]:
            filled.update(j for j in range(len(cells)) if cells[j] and j not in used)
            if len(filled) + len(used) >= width:
                break
        for j in sorted(filled):
            layout.sources.append(Source(unheaded(column_letter(j)), [j]))
        layout.sources.sort(key=lambda s: s.columns[0])

    def _risk_rows(self, layout: Layout, decisions: list[_Decision]) -> tuple[list[tuple[int, list[str]]],
                                                                               list[SkippedRow]]:
        """The rows under the header that are risks, and those skipped with why (the options decide first)."""
        def column(meaning: str) -> int | None:
            return next((d.source.columns[0] for d in decisions if d.canonical == meaning), None)

        id_column, description_column = column("risk_id"), column("description")
        skip, keep = set(self.options.skip_rows), set(self.options.keep_rows)
        data, skipped = [], []
        for number, cells in self.rows[layout.data_start:]:
            reason = ("listed by you as not a risk" if number in skip else "" if number in keep
                      else skip_reason(cells, id_column, self.totals, description_column))
            if reason:
                skipped.append(SkippedRow(number, reason, " | ".join(c for c in cells if c)[:80]))
            else:
                data.append((number, cells))
        return data, skipped

    def _headings_seen(self, layout: Layout) -> list[str]:
        """Each column's heading as the columns: parameter names it: 'Likelihood [2]' for the second column headed
        Likelihood (each heading compared once: a wide file's columns are not compared pairwise)."""
        keys = [header_key(s.heading) for s in layout.sources]
        total, seen = Counter(keys), Counter()
        names = []
        for source, key in zip(layout.sources, keys, strict=True):
            seen[key] += 1
            names.append(f"{source.heading} [{seen[key]}]" if total[key] > 1 else source.heading)
        return names

    def _decide(self, source: Source, name: str) -> _Decision:
        first, last = column_letter(source.columns[0]), column_letter(source.columns[-1])
        d = _Decision(source, first if first == last else f"{first}-{last}", name=name)
        own = {header_key(k): v for k, v in self.options.columns.items()}
        chosen = own.get(header_key(name), own.get(header_key(source.heading)))
        if chosen == IGNORE:
            d.how = "ignored (your columns: entry)"
            return d
        guess = Guess((chosen,), False, False) if chosen else self.vocab.guess(source.heading)
        d.rank = 3 if chosen else 0
        if guess is None:
            d.how = "kept as written (not a heading the suite knows)"
        elif not guess.candidates:
            d.how = guess.note
        else:
            d.canonical = guess.candidates[0]
            d.rank = d.rank or (1 if guess.by_words else 2)
            d.how = {3: "your columns: entry", 2: "accepted heading", 1: "understood from the heading's words"}[
                d.rank]
            d.guess = guess
        return d

    def _read_values(self, d: _Decision, data: list[tuple[int, list[str]]], header_row: int) -> None:
        if not d.canonical:
            return
        if self.m.direct and d.canonical in RATINGS:  # rated High / Medium / Low: no likelihood or impact to read
            d.canonical, d.values = "", None
            d.how = (f"kept as written: {self.m.name} rates risks directly ({self.m.levels_in_words()}), without "
                     "likelihood or impact")
            return
        options = list(d.guess.candidates) if d.guess else [d.canonical]
        if d.source.marks:
            cells = [[cells[j] if j < len(cells) else "" for j in d.source.columns] for _, cells in data]
            d.values = self._marks(d, cells, [n for n, _ in data])
            return
        first = d.source.columns[0]  # a column's values are its first column's (one list, not a list per row)
        values = _column(data, first)
        d.values = d.raw = values
        if options[0] in RATINGS:
            self._ratings(d, values, [n for n, _ in data], bool(d.guess and d.guess.percent))
        elif d.canonical in ("status", "progress", "response") and is_prose(values):
            self._prose(d)
        elif options == ["status", "progress"]:
            filled = [v for v in values if v]
            # status when most values are status words (an unknown one is then reported), else action progress
            if self._share(filled, self._is_status) * 2 >= 1:
                d.canonical = "status"
            elif self._share(filled, self._is_progress) * 2 >= 1:
                d.canonical = "progress"
            else:
                d.canonical, d.values = "", None
                d.how = "neither risk status nor progress words: kept as written"
        elif options[0] in (SCORE, LEVEL) and len(options) > 1:
            filled = [v for v in values if v]
            numeric = filled and all(v.replace(".", "", 1).isdigit() for v in filled)
            d.canonical = SCORE if numeric else LEVEL
        if d.canonical == "status":
            d.style = "risk status words"
        if d.canonical in RATINGS or d.canonical in (SCORE, LEVEL) or d.canonical.startswith("stated_"):
            return
        if d.canonical not in self.spec.columns and d.rank == 3:
            self.problems.append(Problem(self.file, header_row, d.source.heading, d.canonical,
                                         "a column name the suite knows: " + ", ".join(self.spec.columns)))
            d.canonical = ""

    def _prose(self, d: _Decision) -> None:
        """Sentences under a response heading are the treatment actions; under a status or progress heading
        they are kept as written. Either is said in the reading, never a problem per row."""
        if d.canonical == "response":
            d.canonical, d.rank = "actions", 0  # a column headed for the actions wins over it
            d.how = "sentences, not response words: read as the treatment actions"
        else:
            d.canonical, d.values = "", None
            d.how = f"sentences, not {plain(d.guess.candidates[0]) if d.guess else 'status'} words: kept as written"

    @staticmethod
    def _share(filled: list[str], test: Any) -> float:
        """The share of ``filled`` that passes ``test`` (each distinct value tested once)."""
        if not filled:
            return 0.0
        passed = {v: test(v) for v in set(filled)}
        return sum(passed[v] for v in filled) / len(filled)

    def _is_status(self, value: str) -> bool:
        return fold(value) in self.status_words()

    @cached_property
    def _progress_words(self) -> frozenset[str]:
        return frozenset(fold(w) for w in (*self.spec.progress_words, *self.spec.complete_progress))

    def _is_progress(self, value: str) -> bool:
        return fold(value) in self._progress_words or bool(_PERCENTAGE.match(value))

    def _recognise_by_values(self, decisions: list[_Decision], data: list[tuple[int, list[str]]]) -> None:
        """A column whose heading says nothing the suite knows, read by what its values are: status words make it
        the status column (a closed risk must never be scored because its column was not recognised)."""
        has_status = any(d.canonical == "status" for d in decisions)
        for d in decisions:
            if d.canonical or d.aims_at or not d.how.startswith("kept as written (not a heading"):
                continue
            first = d.source.columns[0]
            values = _column(data, first)
            filled = [v for v in values if v]
            if not filled:
                continue
            if self._share(filled, self._is_status) >= 0.8:
                if has_status:
                    d.how = "its values are risk status words, but another column holds the status: kept as written"
                    continue
                d.canonical, d.values, d.raw, d.rank = "status", values, values, 1
                d.how, d.style, has_status = "understood from its values (risk status words)", "risk status words", True
            else:
                looks = self._looks_like(filled)
                if looks:
                    d.how = f"kept as written (not a heading the suite knows; its values look like {looks})"

    def _looks_like(self, filled: list[str]) -> str:
        if all(_LEVEL.match(v) for v in filled):
            return "ratings: name it in columns: if it is one"
        if self._share(filled, self._is_progress) >= 0.8:
            return "progress: name it in columns: if it is"
        if all(_DATE_LIKE.match(v) for v in filled):
            return "dates: name it in columns: if it is the due or review date"
        return ""

    def status_words(self) -> dict[str, str]:
        words = {fold(w): canon for canon, spelled in self.spec.statuses.items() for w in (canon, *spelled)}
        words.update({fold(w): canon for canon, spelled in self.options.statuses.items() for w in (canon, *spelled)})
        return words

    def _ratings(self, d: _Decision, values: list[str], rows: list[int], percent: bool) -> None:
        axis = d.canonical.split("_", 1)[1]
        money = self.options.impact_money or self.m.impact_money
        read = read_ratings(values, axis, self.m, percent_heading=percent, own=self.options.ratings_for(axis),
                            money=money, generic=self.generic, rounding=self.options.rounding)
        text = self._text_meaning(d, read, values)
        if read.prose or text:
            d.aims_at, d.canonical, d.values = d.canonical, text, values if text else None
            d.how = f"text, not {axis} ratings: " + (f"read as the {plain(text)}" if text else "kept as written")
            return
        if d.rank == 1 and read.failed and not read.refused:
            bad = next(iter(read.failed))
            d.aims_at, d.canonical, d.values = d.canonical, "", None
            d.how = (f"not used: the heading names {axis}, but values such as {values[bad]!r} do not fit "
                     f"{read.failed[bad]}")
            return
        d.values, d.style = read.values, read.style
        self._report(d, read, rows)

    @staticmethod
    def _text_meaning(d: _Decision, read: RatingRead, values: list[str]) -> str:
        """The text column a heading shared with a rating names ("Consequence": what happens if the risk
        materialises), when the values are text: sentences, or words no scale reads and no number; else ""."""
        text = [c for c in (d.guess.candidates if d.guess else ()) if c not in RATINGS]
        if not text or read.refused:
            return ""
        filled = [v for v in values if v]
        words = len(read.failed) == len(filled) and all(re.search(r"[^\W\d_]", v) for v in filled)
        return text[0] if read.prose or (filled and words) else ""

    def _report(self, d: _Decision, read: RatingRead, rows: list[int]) -> None:
        name = label(d.name, d.canonical, d.letter)
        if read.refused:
            self.problems.append(Problem(self.file, None, name, "", read.refused, fix=getattr(read, "fix", "")))
            return
        for i, expected in read.failed.items():
            self.problems.append(Problem(self.file, rows[i], name, read.values[i], expected))
        self.opportunities |= {rows[i] for i in getattr(read, "opportunities", ())}  # negative amounts: gains

    def _marks(self, d: _Decision, cells: list[list[str]], rows: list[int]) -> list[str]:
        axis = d.canonical.split("_", 1)[1]
        levels = getattr(self.m, axis)
        lookup = self.m.scale_lookup(axis)
        name = label(d.name, d.canonical, d.letter)
        generic_only = all(rating_word(h) in self.generic for h in d.source.marks)
        if len(d.source.marks) == len(levels):
            values = list(range(1, len(levels) + 1))
        elif not generic_only and all(fold(h) in lookup for h in d.source.marks):
            values = [lookup[fold(h)] for h in d.source.marks]
        else:
            self.problems.append(Problem(self.file, None, name, " ".join(d.source.marks),
                                         f"one mark column per {axis} level: this methodology has {len(levels)} "
                                         f"({', '.join(lv.label for lv in levels)})"))
            return ["" for _ in cells]
        d.style = "X-marks: " + ", ".join(f"{h} = {v}" for h, v in zip(d.source.marks, values, strict=True))
        out = []
        for number, row in zip(rows, cells, strict=True):
            marked = [i for i, c in enumerate(row) if is_mark(c, self.marks)]
            if len(marked) > 1:
                self.problems.append(Problem(self.file, number, name, " and ".join(d.source.marks[i] for i in marked),
                                             f"one mark per row under {d.source.heading!r}"))
            other = [c for c in row if c and not is_mark(c, self.marks)]
            if other:
                self.problems.append(Problem(self.file, number, name, other[0], "a mark such as X, or nothing"))
            out.append(str(values[marked[0]]) if len(marked) == 1 else "")
        return out

    def _resolve_conflicts(self, decisions: list[_Decision], rows: list[int]) -> None:
        by_meaning: dict[str, list[_Decision]] = {}
        for d in decisions:
            if d.canonical:
                by_meaning.setdefault(d.canonical, []).append(d)
        for meaning, ds in by_meaning.items():
            if len(ds) < 2:
                continue
            top = max(d.rank for d in ds)
            winners = [d for d in ds if d.rank == top]
            for d in ds:
                if d not in winners:
                    d.canonical, d.values = "", None
                    d.how = f"kept as written: {winners[0].name!r} (column {winners[0].letter}) holds {plain(meaning)}"
            if len(winners) > 1 and meaning in RATINGS and self._agree(meaning, winners, rows):
                continue
            for d in winners[1:]:  # one column's values are read; the problem names every one of them
                d.canonical, d.values = "", None
                d.how = f"not read: {winners[0].name!r} (column {winners[0].letter}) is read as {plain(meaning)} too"
            if len(winners) > 1:
                self.problems.append(self._two_columns(meaning, winners, decisions))

    def _two_columns(self, meaning: str, winners: list[_Decision], decisions: list[_Decision]) -> Problem:
        """Two columns read as one meaning: name both, and propose the entry that tells them apart (the second of
        a repeated heading read as the residual rating when the register has none, else not imported)."""
        names = " and ".join(f"{d.name!r} (column {d.letter})" for d in winners)
        second = winners[1]
        held = {d.canonical for d in decisions}
        target = IGNORE
        if meaning.startswith("inherent_") and header_key(second.source.heading) == header_key(
                winners[0].source.heading):
            residual = meaning.replace("inherent_", "residual_")
            target = residual if residual not in held else IGNORE
        fix = f"columns: {{{second.name!r}: {target}}}"
        return Problem(self.file, None, second.name, "",
                       f"one column for {plain(meaning)}: {names} are both read as it; say which in the "
                       f"parameters, e.g. {fix}", fix=fix)

    def _agree(self, meaning: str, winners: list[_Decision], rows: list[int]) -> bool:
        """A label column and a probability column for one likelihood: the labels are read, the probabilities
        checked against them; only a real disagreement is a problem. False when they are not such a pair."""
        if len(winners) != 2:
            return False
        kinds = ["probab" in d.style or "percent" in d.style for d in winners]
        if kinds.count(True) != 1 or any(d.values is None for d in winners):
            return False
        used, check = (winners[1], winners[0]) if kinds[0] else (winners[0], winners[1])
        scale = {lv.value: lv.label for lv in getattr(self.m, meaning.split("_", 1)[1])}
        for i, (a, b) in enumerate(zip(used.values or [], check.values or [], strict=True)):
            if a and b and a != b and a.isdigit() and b.isdigit():
                raw = (check.raw or [""] * len(rows))[i]
                self.problems.append(Problem(
                    self.file, rows[i], label(check.name, "", check.letter), raw,
                    f"a probability in the range of {used.name!r}: {raw} is {scale.get(int(b), b)} ({b}), but "
                    f"{used.name!r} says {scale.get(int(a), a)} ({a})"))
        check.canonical, check.values = "", None
        check.how = f"checked against {used.name!r} (column {used.letter}), which is read; kept as written"
        return True

    def _place_own_figures(self, decisions: list[_Decision]) -> None:
        """A file's own score or level belongs to the likelihood and impact pair to its left. A heading accepted
        for a score whose values are words (the guide's "Inherent risk rating: High") holds the level."""
        for d in decisions:
            if d.rank == 3 or not d.canonical.startswith("stated_") or not d.canonical.endswith("_score"):
                continue
            filled = [v for v in d.values or [] if v]
            level = d.canonical.removesuffix("_score") + "_level"
            if filled and not all(v.replace(".", "", 1).isdigit() for v in filled) \
                    and not any(x.canonical == level for x in decisions):
                d.canonical, d.how = level, d.how + " (its values are words: the file's level)"
        for d in decisions:
            if d.canonical not in (SCORE, LEVEL):
                continue
            left = [x for x in decisions if x.canonical in RATINGS and x.source.columns[0] < d.source.columns[0]]
            pair = left[-1].canonical.split("_")[0] if left else "inherent"
            d.canonical = f"stated_{pair}_{d.canonical}"
            d.how += f" (beside the {pair} ratings)"
            if any(x.canonical == d.canonical and x is not d for x in decisions):
                d.how, d.canonical = f"kept as written: another column holds {plain(d.canonical)}", ""

    def _check_pairs(self, decisions: list[_Decision], header_row: int, data: list[tuple[int, list[str]]]) -> None:
        if self.m.direct:
            self._check_direct(decisions, header_row)
            return
        held = {d.canonical: d for d in decisions if d.canonical in RATINGS}
        unusable = [d for d in decisions if d.aims_at and d.aims_at not in held]
        for d in unusable:  # text under a shared heading ("Consequence") with no other column of those ratings
            if d.canonical:
                d.canonical, d.values, d.how = "", None, d.how.split(": read as")[0] + ": kept as written"
        for d in unusable:
            holds = "holds text" if d.how.startswith("text") else "has values that are not ratings"
            self.problems.append(Problem(self.file, header_row, d.source.heading, "",
                                         f"{plain(d.aims_at)} ratings, but this column {holds} (kept as written) "
                                         f"and no other column holds them: add a column of "
                                         f"{d.aims_at.split('_')[1]} ratings, or name the column that holds them "
                                         f"in the parameters (columns: {{'your heading': {d.aims_at}}})"))
        for a, b in (RATINGS[:2], RATINGS[2:]):
            if (a in held) != (b in held):
                have, missing = (held[a], b) if a in held else (held[b], a)
                if not any(d.aims_at == missing for d in unusable):
                    self.problems.append(Problem(self.file, header_row, label(have.name, have.canonical, have.letter),
                                                 "", f"a column for {plain(missing)} too (ratings come in pairs)"))
        if not held and not unusable:
            headings = ", ".join(repr(d.name) for d in decisions)
            fix = self._rating_columns(decisions, data)
            self.problems.append(Problem(self.file, header_row, None, "",
                                         f"columns of likelihood and impact ratings; none of the headings "
                                         f"({headings}) names them: name them in the parameters, e.g. "
                                         + (fix or "columns: {'your heading': inherent_likelihood}"), fix=fix))

    def _check_direct(self, decisions: list[_Decision], header_row: int) -> None:
        """A methodology rating risks directly needs a column of inherent ratings (the guide's Table 21: "Inherent
        risk rating"); the residual column may be absent (the methodology says what a missing residual becomes)."""
        if any(d.canonical.startswith("stated_inherent_") for d in decisions):
            return
        headings = ", ".join(repr(d.name) for d in decisions)
        fix = "columns: {'your heading': stated_inherent_level}"
        self.problems.append(Problem(self.file, header_row, None, "", (
            f"a column of inherent risk ratings ({self.m.levels_in_words()}), headed for example 'Inherent risk "
            f"rating'; none of the headings ({headings}) names one: name it in the parameters, e.g. {fix}"), fix=fix))

    def _rating_columns(self, decisions: list[_Decision], data: list[tuple[int, list[str]]]) -> str:
        """The columns: entry naming the first two kept columns whose values are all level numbers, if any."""
        found = []
        for d in decisions:
            if d.canonical or d.how.startswith("ignored"):
                continue
            first = d.source.columns[0]
            filled = [v for v in _column(data, first) if v]
            if filled and all(_LEVEL.match(v) for v in filled):
                found.append(d.name)
        if len(found) < 2:
            return ""
        return f"columns: {{{found[0]!r}: inherent_likelihood, {found[1]!r}: inherent_impact}}"

    def _build(self, decisions: list[_Decision], data: list[tuple[int, list[str]]], header_row: int,
               skipped: list[SkippedRow]) -> Table:
        frame = pd.DataFrame({ROW: [n for n, _ in data]})
        readings, renamed = [], {}
        for d in decisions:
            j = d.source.columns[0]
            how = d.how
            if d.canonical:
                frame[d.canonical] = d.values
                renamed[d.name] = d.canonical
                meaning = d.canonical
            elif d.how.startswith("ignored"):
                meaning = ""
            else:
                heading = unneutralise_text(d.name)  # an export's apostrophe before "=..." goes
                name = heading if heading not in frame else f"{heading} ({d.letter})"
                frame[name] = _column(data, j)
                meaning = ""
            if meaning == "risk_id":
                how = self._ids_from_rows(frame, how)
            readings.append(ColumnReading(d.name, d.letter, meaning, how, d.style))
        if "risk_id" not in frame:
            self._ids_from_rows(frame, "")
            readings.insert(0, ColumnReading("(no risk ID column)", "", "risk_id", (
                "no column holds a risk ID: each risk is named by its row (row-12 is the risk on row 12), the same "
                "names for every import of this file")))
        if self.opportunities:
            self._mark_status(frame, readings, self.opportunities, "opportunity",
                              "a negative amount is a gain: an opportunity")
        text = frame.drop(columns=[ROW]).astype(str).astype(object)
        frame = pd.concat([frame[[ROW]], unneutralise(text)], axis=1)
        return Table(self.file, frame, header_row, renamed, readings, skipped, self.problems)

    @staticmethod
    def _ids_from_rows(frame: pd.DataFrame, how: str) -> str:
        """Risks without an ID are named by their row ("row-12"); said once for the column, never per row."""
        made = [f"row-{n}" for n in frame[ROW]]
        if "risk_id" not in frame:
            frame["risk_id"] = made
            return how
        empty = frame["risk_id"] == ""
        if not empty.any():
            return how
        frame.loc[empty, "risk_id"] = [m for m, e in zip(made, empty, strict=True) if e]
        if empty.all():
            return f"{how}; the column is empty: each risk is named by its row (row-12 is the risk on row 12)"
        return (f"{how}; {int(empty.sum()):,} risk(s) without an ID are named by their row (row-12 is the risk "
                "on row 12)")

    def _mark_status(self, frame: pd.DataFrame, readings: list[ColumnReading], rows_marked: set[int], status: str,
                     why: str) -> None:
        rows = frame[ROW].isin(rows_marked)
        if "status" not in frame:
            frame["status"] = ""
            readings.append(ColumnReading(f"({why.split(' means')[0].split(' is')[0]})", "", "status", why))
        words = self.status_words()
        still_open = frame["status"].map(lambda v: not v or words.get(fold(v)) == "open")
        frame.loc[rows & still_open, "status"] = status


def interpret_file(path: str | Path, m: Methodology, spec: Any, options: ReadOptions | None = None,
                   sheet: str | None = None) -> Table:
    """Read a register file into canonical columns; problems found are in ``Table.problems``. A workbook whose
    first sheet holds no register is read from the first sheet that does, and the reading says so."""
    options = options or ReadOptions()
    try:
        return Interpreter(str(path), read_rows(path, sheet), m, options, spec).table()
    except NoHeader as exc:
        if sheet is not None or options.header_row is not None:
            raise
        refused = exc
    overview = sheet_overview(path)
    for summary in overview[1:]:
        if summary.problem or not summary.rows:
            continue
        try:
            table = Interpreter(str(path), read_rows(path, summary.name), m, options, spec).table()
        except NoHeader:
            continue
        table.notes.append(f"read from the sheet {summary.name!r}: the first sheet ({overview[0].name!r}) holds no "
                           f"register (to read another, say which in the parameters: sheet: 'its name')")
        return table
    if len(overview) < 2:
        raise refused
    listing = "; ".join(f"{s.name!r}: " + (s.problem or (f"{s.rows:,} rows, starting {s.first_text!r}" if s.rows
                                                          else "empty")) for s in overview)
    fullest = max(overview[1:], key=lambda s: s.rows)
    fix = f"sheet: {fullest.name!r}"
    first = refused.problems[0]
    raise NoHeader([Problem(first.file, None, None, "", f"a sheet holding the register; no sheet has a row naming "
                                                        f"its columns. The sheets: {listing}. Say which sheet and, "
                                                        f"if its headings are your own, what they hold "
                                                        f"(e.g. {fix})", fix=fix), *refused.problems])


def readings_frame(readings: list[ColumnReading]) -> pd.DataFrame:
    """How each column was read, as a table for a person: no internal column names."""
    return pd.DataFrame(
        [(r.letter, r.heading, plain(r.meaning) if r.meaning else ("ignored" if r.how.startswith("ignored")
                                                                    else "kept as written"),
          r.how + (f"; values: {r.style}" if r.style and r.style != "empty" else ""))
         for r in readings], columns=["Column", "Your heading", "Read as", "How"])


def skipped_lines(skipped: list[SkippedRow]) -> list[str]:
    return [f"row {s.row}: {s.reason} ({s.text})" for s in skipped]
