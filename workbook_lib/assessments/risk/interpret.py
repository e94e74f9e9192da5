"""Understanding a register file: its header, what each heading means, how its ratings are written.

The result is a Table in canonical columns with ratings as level numbers, and the record of how every
column was read (``Table.readings``) and which rows were skipped (``Table.skipped``), which ``workbook
validate``, the form and the report show. Every problem names the user's heading first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from workbook_lib.assessments.risk.headings import LEVEL, SCORE, Guess, Headings, fold, plain
from workbook_lib.assessments.risk.layout import RATINGS, Layout, Source, find_layout, is_mark, skip_reason
from workbook_lib.assessments.risk.methodology import ImpactMoney, Methodology
from workbook_lib.assessments.risk.ratings import RatingRead, generic_words, read_ratings
from workbook_lib.core.datafiles import normalise_label
from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.tables import (
    ROW,
    ColumnReading,
    SkippedRow,
    Table,
    column_letter,
    echo_row,
    header_key,
    read_rows,
    unneutralise,
    unneutralise_text,
)

IGNORE = "ignore"


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


def label(heading: str, canonical: str) -> str:
    """How a message names a column: the user's heading, then its meaning when the two differ."""
    if not canonical or header_key(heading) == header_key(canonical):
        return heading
    return f"{heading} ({plain(canonical)})"


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


class Interpreter:
    def __init__(self, file: str, rows: list[tuple[int, list[str]]], m: Methodology, options: ReadOptions,
                 spec: Any):
        self.file, self.rows, self.m, self.options, self.spec = file, rows, m, options, spec
        self.vocab = Headings(spec)
        self.generic = generic_words(spec.generic_levels)
        self.marks = {normalise_label(x) for x in spec.marks}
        self.totals = frozenset(fold(x) for x in spec.total_words)
        self.problems: list[Problem] = []
        self.eliminated: set[int] = set()

    # ---- the steps ------------------------------------------------------------------------------
    def table(self) -> Table:
        layout = find_layout(self.rows, self.vocab, self.marks)
        if layout is None:
            first = self.rows[0]
            raise InputError([Problem(self.file, first[0], None, echo_row(first[1]),
                                      "a header row naming columns such as Risk ID, Description, Likelihood, "
                                      "Impact, Owner")])
        header_row = self.rows[layout.data_start - 1][0]
        decisions = [self._decide(s, name) for s, name in zip(layout.sources, self._headings_seen(layout),
                                                              strict=True)]
        id_column = next((d.source.columns[0] for d in decisions if d.canonical == "risk_id"), None)
        data, skipped = [], []
        for number, cells in self.rows[layout.data_start:]:
            reason = skip_reason(cells, id_column, self.totals)
            if reason:
                skipped.append(SkippedRow(number, reason, " | ".join(c for c in cells if c)[:80]))
            else:
                data.append((number, cells))
        for d in decisions:
            self._read_values(d, data, header_row)
        self._resolve_conflicts(decisions)
        self._place_own_figures(decisions)
        self._check_pairs(decisions, header_row)
        return self._build(decisions, data, header_row, skipped)

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
        d = _Decision(source, first if first == last else f"{first}-{last}")
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
        options = list(d.guess.candidates) if d.guess else [d.canonical]
        if d.source.marks:
            cells = [[cells[j] if j < len(cells) else "" for j in d.source.columns] for _, cells in data]
            d.values = self._marks(d, cells, [n for n, _ in data])
            return
        first = d.source.columns[0]  # a column's values are its first column's (one list, not a list per row)
        values = [cells[first] if first < len(cells) else "" for _, cells in data]
        d.values = values
        if options[0] in RATINGS:
            self._ratings(d, values, [n for n, _ in data], bool(d.guess and d.guess.percent))
        elif options == ["status", "progress"]:
            statuses = self.status_words()
            filled = [v for v in values if v]
            # status when most values are status words (an unknown one is then reported), else action progress
            folded = {v: fold(v) in statuses for v in set(filled)}
            hits = sum(folded[v] for v in filled)
            d.canonical = "status" if filled and hits * 2 >= len(filled) else "progress"
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

    def status_words(self) -> dict[str, str]:
        words = {fold(w): canon for canon, spelled in self.spec.statuses.items() for w in (canon, *spelled)}
        words.update({fold(w): canon for canon, spelled in self.options.statuses.items() for w in (canon, *spelled)})
        return words

    def _ratings(self, d: _Decision, values: list[str], rows: list[int], percent: bool) -> None:
        axis = d.canonical.split("_", 1)[1]
        money = self.options.impact_money or self.m.impact_money
        read = read_ratings(values, axis, self.m, percent_heading=percent, own=self.options.ratings_for(axis),
                            money=money, generic=self.generic)
        if read.prose:
            d.aims_at, d.canonical, d.values = d.canonical, "", None
            d.how = f"text, not {axis} ratings: kept as written"
            return
        if d.rank == 1 and read.failed and not read.refused:
            bad = next(iter(read.failed))
            d.aims_at, d.canonical, d.values = d.canonical, "", None
            d.how = (f"not used: the heading names {axis}, but values such as {values[bad]!r} do not fit "
                     f"{read.failed[bad]}")
            return
        d.values, d.style = read.values, read.style
        self._report(d, read, rows)

    def _report(self, d: _Decision, read: RatingRead, rows: list[int]) -> None:
        name = label(d.source.heading, d.canonical)
        if read.refused:
            self.problems.append(Problem(self.file, None, name, "", read.refused))
            return
        for i, expected in read.failed.items():
            self.problems.append(Problem(self.file, rows[i], name, read.values[i], expected))
        self.eliminated |= {rows[i] for i in read.eliminated}

    def _marks(self, d: _Decision, cells: list[list[str]], rows: list[int]) -> list[str]:
        axis = d.canonical.split("_", 1)[1]
        levels = getattr(self.m, axis)
        lookup = self.m.scale_lookup(axis)
        name = label(d.source.heading, d.canonical)
        generic_only = all(fold(h) in self.generic for h in d.source.marks)
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

    def _resolve_conflicts(self, decisions: list[_Decision]) -> None:
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
                    d.how = f"kept as written: {winners[0].source.heading!r} holds {plain(meaning)}"
            if len(winners) > 1:
                names = " and ".join(f"{d.source.heading!r} (column {d.letter})" for d in winners)
                self.problems.append(Problem(self.file, None, winners[1].source.heading, "",
                                             f"one column for {plain(meaning)}: {names} both read as it; say which "
                                             f"in the parameters, e.g. columns: {{{winners[1].source.heading!r}: "
                                             f"{IGNORE}}}"))

    def _place_own_figures(self, decisions: list[_Decision]) -> None:
        """A file's own score or level belongs to the likelihood and impact pair to its left."""
        for d in decisions:
            if d.canonical not in (SCORE, LEVEL):
                continue
            left = [x for x in decisions if x.canonical in RATINGS and x.source.columns[0] < d.source.columns[0]]
            pair = left[-1].canonical.split("_")[0] if left else "inherent"
            d.canonical = f"stated_{pair}_{d.canonical}"
            d.how += f" (beside the {pair} ratings)"
            if any(x.canonical == d.canonical and x is not d for x in decisions):
                d.how, d.canonical = f"kept as written: another column holds {plain(d.canonical)}", ""

    def _check_pairs(self, decisions: list[_Decision], header_row: int) -> None:
        held = {d.canonical: d for d in decisions if d.canonical in RATINGS}
        unusable = [d for d in decisions if d.aims_at and d.aims_at not in held]
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
                    self.problems.append(Problem(self.file, header_row, label(have.source.heading, have.canonical),
                                                 "", f"a column for {plain(missing)} too (ratings come in pairs)"))
        if not held and not unusable:
            headings = ", ".join(repr(d.source.heading) for d in decisions)
            self.problems.append(Problem(self.file, header_row, None, "",
                                         f"columns of likelihood and impact ratings; none of the headings "
                                         f"({headings}) names them: name them in the parameters, e.g. columns: "
                                         f"{{'your heading': inherent_likelihood}}"))

    def _build(self, decisions: list[_Decision], data: list[tuple[int, list[str]]], header_row: int,
               skipped: list[SkippedRow]) -> Table:
        frame = pd.DataFrame({ROW: [n for n, _ in data]})
        readings, renamed = [], {}
        for d in decisions:
            j = d.source.columns[0]
            if d.canonical:
                frame[d.canonical] = d.values
                renamed[d.source.heading] = d.canonical
                meaning = d.canonical
            elif d.how.startswith("ignored"):
                meaning = ""
            else:
                heading = unneutralise_text(d.source.heading)  # an export's apostrophe before "=..." goes
                name = heading if heading not in frame else f"{heading} ({d.letter})"
                frame[name] = [cells[j] if j < len(cells) else "" for _, cells in data]
                meaning = ""
            readings.append(ColumnReading(d.source.heading, d.letter, meaning, d.how, d.style))
        if self.eliminated:
            self._mark_eliminated(frame, readings)
        text = frame.drop(columns=[ROW]).astype(str).astype(object)
        frame = pd.concat([frame[[ROW]], unneutralise(text)], axis=1)
        return Table(self.file, frame, header_row, renamed, readings, skipped, self.problems)

    def _mark_eliminated(self, frame: pd.DataFrame, readings: list[ColumnReading]) -> None:
        rows = frame[ROW].isin(self.eliminated)
        if "status" not in frame:
            frame["status"] = ""
            readings.append(ColumnReading("(0% likelihood)", "", "status", "a 0% likelihood means eliminated"))
        words = self.status_words()
        still_open = frame["status"].map(lambda v: not v or words.get(fold(v)) == "open")
        frame.loc[rows & still_open, "status"] = "eliminated"


def interpret_file(path: str | Path, m: Methodology, spec: Any, options: ReadOptions | None = None,
                   sheet: str | None = None) -> Table:
    """Read a register file into canonical columns; problems found are in ``Table.problems``."""
    rows = read_rows(path, sheet)
    return Interpreter(str(path), rows, m, options or ReadOptions(), spec).table()


def readings_frame(readings: list[ColumnReading]) -> pd.DataFrame:
    """How each column was read, as a table for a person: no internal column names."""
    return pd.DataFrame(
        [(r.letter, r.heading, plain(r.meaning) if r.meaning else ("ignored" if r.how.startswith("ignored")
                                                                    else "kept as written"),
          r.how + (f"; values: {r.style}" if r.style and r.style != "empty" else ""))
         for r in readings], columns=["Column", "Your heading", "Read as", "How"])


def skipped_lines(skipped: list[SkippedRow]) -> list[str]:
    return [f"row {s.row}: {s.reason} ({s.text})" for s in skipped]
