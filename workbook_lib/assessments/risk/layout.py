"""Where a register's header is, as found in the wild: below a title, on one row or two.

Two header rows: a group heading ("Inherent risk", often a merged cell) over sub-headings ("Likelihood",
"Impact") gives "Inherent risk / Likelihood". A group heading naming a rating over short level headings
(VL L M H VH) with marks in the rows is an X-mark matrix. Rows under the table that are totals, notes or
section titles are found here too, so that they are listed as skipped rather than read as risks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from workbook_lib.assessments.risk.headings import IGNORED, Headings, fold
from workbook_lib.core.datafiles import normalise_label
from workbook_lib.core.tables import HEADER_SCAN_ROWS

_NUMERIC = re.compile(r"^-?[\d.,]+%?$")
RATINGS = ("inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact")
Rows = list[tuple[int, list[str]]]


@dataclass
class Source:
    """One meaning-bearing column of the file (or the columns of one X-mark group)."""

    heading: str
    columns: list[int]
    marks: list[str] = field(default_factory=list)  # X-mark group: the level headings, in order


@dataclass
class Layout:
    header_at: int  # index in rows of the (first) header row
    header_rows: int  # 1 or 2
    sources: list[Source]

    @property
    def data_start(self) -> int:
        return self.header_at + self.header_rows


def _meanings(headings: list[str], vocab: Headings) -> set[str]:
    found = set()
    for h in headings:
        if h and len(h) <= 80:
            guess = vocab.guess(h)
            if guess and guess.candidates:
                found.add(guess.candidates[0])
            elif guess and guess.note == IGNORED:  # a heading the organisation's columns: entry names
                found.add(f"ignored: {h}")
    return found


def is_mark(cell: str, marks: set[str]) -> bool:
    return normalise_label(cell) in marks


def _is_mark_group(rows: Rows, start: int, columns: list[int], marks: set[str]) -> bool:
    cells = [cells[j] if j < len(cells) else "" for _, cells in rows[start:start + 50] for j in columns]
    filled = [c for c in cells if c]
    return bool(filled) and all(is_mark(c, marks) for c in filled)


def _two_rows(rows: Rows, i: int, vocab: Headings, marks: set[str]) -> tuple[list[Source], int]:
    """The sources under a group row and a sub-heading row, and how many groups span several columns."""
    top, sub = rows[i][1], rows[i + 1][1]
    width = max(len(top), len(sub))
    top, sub = top + [""] * (width - len(top)), sub + [""] * (width - len(sub))
    groups: list[tuple[str, list[int]]] = []  # group heading -> its sub-headed columns
    sources: list[Source] = []
    for j in range(width):
        t, s = top[j], sub[j]
        if t and s:
            groups.append((t, [j]))
        elif not t and s and groups and groups[-1][1][-1] == j - 1:
            groups[-1][1].append(j)
        elif t or s:
            sources.append(Source(t or s, [j]))
            if t:
                groups.append(("", [j]))  # a plain heading ends the group before it
    for group, columns in groups:
        if not group:
            continue
        guess = vocab.guess(group)
        rating = guess is not None and guess.candidates[:1] and guess.candidates[0] in RATINGS
        subs = [sub[j] for j in columns]
        # level headings are short and name no other column (a single "L" or "I" may look like a rating)
        if rating and len(columns) >= 2 and _is_mark_group(rows, i + 2, columns, marks) \
                and all(len(h) <= 20 for h in subs) and not _meanings(subs, vocab) - set(RATINGS):
            sources.append(Source(group, columns, subs))
        else:
            sources.extend(Source(f"{group} / {sub[j]}", [j]) for j in columns)
    spans = sum(1 for group, columns in groups if group and len(columns) >= 2)
    return sorted(sources, key=lambda s: s.columns[0]), spans


def find_layout(rows: Rows, vocab: Headings, marks: set[str], header_row: int | None = None) -> Layout | None:
    """The header among the first rows that names the most known columns (two rows if they name more); with
    ``header_row`` (the row number the spreadsheet shows), that row, whatever it names."""
    best: tuple[int, Layout] | None = None
    scan = range(min(HEADER_SCAN_ROWS, len(rows)))
    if header_row is not None:
        scan = [i for i, (number, _) in enumerate(rows) if number == header_row][:1]
    for i in scan:
        cells = rows[i][1]
        single = [Source(h or "", [j]) for j, h in enumerate(cells) if h]
        score = len(_meanings([s.heading for s in single], vocab))
        candidates = [(score, Layout(i, 1, single))]
        if i + 1 < len(rows):
            paired, spans = _two_rows(rows, i, vocab, marks)
            pair_score = len(_meanings([s.heading for s in paired], vocab)) + spans
            next_score = len(_meanings(rows[i + 1][1], vocab))
            if pair_score > max(score, next_score):
                candidates.append((pair_score, Layout(i, 2, paired)))
        for s, layout in candidates:
            if (s >= 2 or header_row is not None) and (best is None or s > best[0]):
                best = (s, layout)
    return best[1] if best else None


@cache
def _starts(total_words: frozenset[str]) -> tuple[str, ...]:
    """The first letters of the totals words: a cheap first test, as most rows are risks."""
    return tuple({w[:3] for w in total_words})


def _is_number(text: str) -> bool:
    return bool(_NUMERIC.match(text))


def skip_reason(cells: list[str], id_column: int | None, total_words: frozenset[str],
                description_column: int | None = None) -> str:
    """Why a row under the header is not a risk ("" when it is one)."""
    filled = [c for c in cells if c]
    risk_id = cells[id_column] if id_column is not None and id_column < len(cells) else ""
    description = cells[description_column] if description_column is not None and description_column < len(
        cells) else ""
    starts = _starts(total_words)
    if (not risk_id or risk_id[:3].casefold().startswith(starts) and fold(risk_id) in total_words) and any(
            c[:3].casefold().startswith(starts) and (fold(c) in total_words or fold(c).split(" ")[0] in total_words)
            for c in filled[:3]):  # a risk's own ID rules the row out first: most rows are risks
        return "a totals row"
    if not risk_id and not description and filled and all(_is_number(c) or c.startswith("=") for c in filled):
        return "numbers or formulas only, without an ID or a description (a totals row)"
    if len(filled) == 1 and risk_id and risk_id.strip().rstrip(".").isdigit():
        return "a numbered row with nothing else in it"
    # a risk has at least an ID and a description: one cell alone is a note or a section title, unless it
    # looks like a risk ID (one word with a digit), which is then reported as a risk missing its description
    if len(filled) == 1 and not (risk_id and len(risk_id.split()) == 1 and any(c.isdigit() for c in risk_id)):
        return "a note or section title (one cell)"
    return ""
