"""Reading a column of ratings in the style the register uses (see docs/registers.md).

Styles: level numbers; labels and aliases of the methodology's scale; percentages (through the likelihood
levels' probability ranges); amounts of money (through the organisation's impact thresholds); an X-mark
matrix is read by ``interpret`` and arrives here as level numbers. A column written in short level words
(H/M/L) that do not name the scale's own levels is refused with a proposed ``ratings:`` entry, never guessed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal

from workbook_lib.assessments.risk.headings import fold
from workbook_lib.assessments.risk.methodology import ImpactMoney, Methodology
from workbook_lib.core.datafiles import normalise_label

Axis = Literal["likelihood", "impact"]
ELIMINATED = "eliminated"  # a 0% likelihood: the risk can no longer happen
_INTEGER = re.compile(r"^\d+(?:\.0+)?$")
_PERCENT = re.compile(r"^(\d+(?:[.,]\d+)?)\s*%$")
_NUMBER = re.compile(r"^(\d+(?:[.,]\d+)?)$")
_MONEY = re.compile(r"^(?P<cur>[£$€¥]|R|GBP|EUR|USD|ZAR)?\s*(?P<num>\d{1,3}(?:[ ,.]\d{3})+|\d+(?:\.\d+)?)\s*"
                    r"(?P<mult>k|m|bn|mn|million|thousand)?\s*(?P<cur2>GBP|EUR|USD|ZAR|€)?$", re.IGNORECASE)
_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "bn": 1e9}


@dataclass
class RatingRead:
    """A column's ratings as level numbers (text), or why the column cannot be read."""

    values: list[str]  # level number as text; "" where empty; the value as written where it failed
    style: str = ""  # how the values were read, in plain words
    failed: dict[int, str] = field(default_factory=dict)  # position -> what was expected
    eliminated: set[int] = field(default_factory=set)  # positions of a 0% likelihood
    refused: str = ""  # the whole column cannot be read: why, and what to write instead
    prose: bool = False  # the column holds sentences, not ratings


def is_prose(values: list[str]) -> bool:
    """Most values are several words of text, not ratings."""
    filled = [v for v in values if v]
    wordy = [v for v in filled if len(v.split()) >= 3 or len(v) > 25]
    return bool(filled) and len(wordy) * 2 > len(filled)


def _expected(m: Methodology, axis: Axis) -> str:
    levels = getattr(m, axis)
    return f"a {axis} rating 1-{len(levels)} or one of: " + ", ".join(lv.label for lv in levels)


def read_ratings(values: list[str], axis: Axis, m: Methodology, *, percent_heading: bool = False,
                 own: dict[str, int] | None = None, money: ImpactMoney | None = None,
                 generic: dict[str, str] | None = None) -> RatingRead:
    """Read one rating column. ``own``: the organisation's ``ratings:`` (value -> level);
    ``generic``: short level word -> its meaning (register_columns.yaml's generic_levels)."""
    filled = list({v for v in values if v})  # each distinct value once: a style depends on the set of values
    if not filled:
        return RatingRead(list(values), "empty")
    own = {normalise_label(k): v for k, v in (own or {}).items()}
    if own:
        return _read_with(values, {**m.scale_lookup(axis), **own}, _expected(m, axis),
                          "your ratings: " + ", ".join(f"{k} = {v}" for k, v in own.items()))
    if any(_PERCENT.match(v) for v in filled) or (percent_heading and all(_NUMBER.match(v) for v in filled)):
        return _percentages(values, axis, m)
    if any(_looks_like_money(v) for v in filled):
        return _money(values, axis, m, money)
    if axis == "impact" and all(_MONEY.match(v) for v in filled) and max(_amount(v) for v in filled) >= 1000:
        return _money(values, axis, m, money)
    if is_prose(values):
        return RatingRead(list(values), "text", prose=True)
    refused = _generic_refusal(filled, axis, m, generic or {})
    if refused:
        return RatingRead(list(values), "short level words", refused=refused)
    numbers = all(_INTEGER.match(v) for v in filled)
    style = f"level numbers 1-{len(getattr(m, axis))}" if numbers else "labels of the scale"
    return _read_with(values, m.scale_lookup(axis), _expected(m, axis), style)


def _read_with(values: list[str], lookup: dict[str, int], expected: str, style: str) -> RatingRead:
    out, failed = [], {}
    levels = {v: lookup.get(re.sub(r"^(\d+)\.0+$", r"\1", normalise_label(v))) for v in set(values) if v}
    for i, v in enumerate(values):
        level = levels[v] if v else None
        if v and level is None:
            failed[i] = expected
        out.append(str(level) if level is not None else v)
    return RatingRead(out, style, failed)


def _generic_refusal(filled: list[str], axis: Axis, m: Methodology, generic: dict[str, str]) -> str:
    """Refuse H/M/L-style words unless each names the scale level of the same meaning."""
    words = {normalise_label(v) for v in filled}
    if not words <= set(generic):
        return ""
    labels = {lv.value: normalise_label(lv.label) for lv in getattr(m, axis)}
    lookup = m.scale_lookup(axis)
    if all(labels.get(lookup.get(w, 0)) == generic[w] for w in words):
        return ""
    ladder = list(dict.fromkeys(generic.values()))  # very low .. very high
    used = {generic[w] for w in words}
    if used <= set(ladder[1:-1]):  # low, medium, high: a three-step ladder, centred on the scale
        ladder = ladder[1:-1]
    n = len(getattr(m, axis))
    first = max(0, (n - len(ladder)) // 2) + 1
    by_meaning = {meaning: min(first + i, n) for i, meaning in enumerate(ladder)}
    spelled = {v: by_meaning[generic[normalise_label(v)]] for v in dict.fromkeys(filled)}
    proposal = ", ".join(f"{k}: {v}" for k, v in sorted(spelled.items(), key=lambda kv: (-kv[1], kv[0])))
    return (f"short level words ({', '.join(sorted(spelled))}) do not name this methodology's {n} {axis} levels "
            f"({', '.join(lv.label for lv in getattr(m, axis))}), so they are not guessed; say what each means "
            f"in the parameters, e.g. ratings: {{{proposal}}}")


def probability_ranges(m: Methodology) -> list[tuple[float, float, int]] | str:
    """(low, high, level) per likelihood level, or why percentages cannot be read under this scale."""
    levels = m.likelihood
    if any(lv.probability is None or lv.probability.max is None for lv in levels):
        return f"{m.name} gives no probability range for every likelihood level"
    horizons = {lv.probability.horizon for lv in levels}
    if len(horizons) > 1:
        return (f"{m.name}'s probabilities are over different periods ({', '.join(sorted(map(str, horizons)))}), "
                f"so one percentage cannot be placed")
    ranges, low = [], 0.0
    for lv in levels:
        lo = lv.probability.min if lv.probability.min is not None else low
        ranges.append((lo, lv.probability.max, lv.value))
        low = lv.probability.max
    return ranges


def level_for_percent(p: float, ranges: list[tuple[float, float, int]]) -> int | None:
    """A level covers min < p <= max; a level whose min equals its max takes exactly that value."""
    for lo, hi, level in ranges:
        if lo == hi == p:
            return level
    for lo, hi, level in ranges:
        if lo < p <= hi:
            return level
    return None


def _percentages(values: list[str], axis: Axis, m: Methodology) -> RatingRead:
    if axis != "likelihood":
        return RatingRead(list(values), "percentages",
                          refused="percentages are read only as likelihood; give impact as a level")
    ranges = probability_ranges(m)
    if isinstance(ranges, str):
        return RatingRead(list(values), "percentages", refused=f"{ranges}; give likelihood as a level")
    out, failed, eliminated = [], {}, set()
    percent = {v: (_PERCENT.match(v) or _NUMBER.match(v)) for v in set(values) if v}
    for i, v in enumerate(values):
        if not v:
            out.append("")
            continue
        match = percent[v]
        p = float(match.group(1).replace(",", ".")) if match else -1.0
        level = level_for_percent(p, ranges) if 0 < p <= 100 else None
        if p == 0:
            eliminated.add(i)
            out.append("")
        elif level is None:
            failed[i] = "a percentage between 0% and 100%"
            out.append(v)
        else:
            out.append(str(level))
    bands = "; ".join(f"{lo:g}-{hi:g}% = {lv}" for lo, hi, lv in ranges)
    return RatingRead(out, f"percentages through the probability ranges ({bands}); 0% = eliminated",
                      failed, eliminated)


def _looks_like_money(text: str) -> bool:
    """A currency, a thousands separator or a multiplier (k, m, bn): not a level number."""
    match = _MONEY.match(text.strip())
    return bool(match) and bool(match.group("cur") or match.group("cur2") or match.group("mult")
                                or re.fullmatch(r"\d{1,3}(?:[ ,.]\d{3})+", match.group("num")))


def _amount(text: str) -> float:
    match = _MONEY.match(text.strip())
    if not match:
        return -1.0
    digits = match.group("num")
    if re.fullmatch(r"\d{1,3}(?:[ ,.]\d{3})+", digits):
        digits = re.sub(r"[ ,.]", "", digits)
    mult = _MULTIPLIERS.get((match.group("mult") or "").casefold(), 1.0)
    return float(digits) * mult


def _money(values: list[str], axis: Axis, m: Methodology, money: ImpactMoney | None) -> RatingRead:
    if axis != "impact":
        return RatingRead(list(values), "amounts of money",
                          refused="amounts of money are read only as impact; give likelihood as a level")
    if money is None:
        return RatingRead(list(values), "amounts of money", refused=(
            f"amounts of money need the organisation's impact thresholds: add impact_money: {{upper_bounds: "
            f"[...]}} to the parameters, {len(m.impact) - 1} amounts, the top of each impact level but the last"))
    out, failed = [], {}
    for i, v in enumerate(values):
        amount = _amount(v) if v else None
        if v and (amount is None or amount < 0 or not math.isfinite(amount)):  # 1 and 400 zeros: too large a float
            failed[i] = "an amount of money such as 25,000 or £1.2m"
            out.append(v)
        else:
            out.append("" if amount is None else str(money.level_of(amount)))
    cur = f"{money.currency} " if money.currency else ""
    bounds = ", ".join(f"{cur}{b:,.0f}" for b in money.upper_bounds)
    return RatingRead(out, f"amounts of money through the impact thresholds (levels up to {bounds}; above: "
                           f"{len(m.impact)})", failed)


def generic_words(spec_levels: dict[str, list[str]]) -> dict[str, str]:
    """Short level word -> its meaning, from register_columns.yaml."""
    return {normalise_label(w): fold(meaning) for meaning, words in spec_levels.items() for w in words}
