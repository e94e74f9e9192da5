"""Reading a column of ratings in the style the register uses (see docs/registers.md).

Styles: level numbers; labels and aliases of the methodology's scale; level numbers with their labels
("3 - Possible", "Possible (3)"), each checked against the other; percentages, or probabilities written as
fractions (0.4), through the likelihood levels' probability ranges; amounts of money, with a symbol or an
ISO 4217 code before or after them, through the organisation's impact thresholds (a negative amount is a
gain: an opportunity); averaged ratings (3.33) rounded as the organisation says (``rounding``); an X-mark
matrix is read by ``interpret`` and arrives here as level numbers. A column written in level words (H/M/L,
Alta/Media/Baja) that do not name the scale's own levels is refused with a proposed ``ratings:`` entry, never
guessed. A refusal carries the one parameters entry that would read the column (``RatingRead.fix``).
"""

from __future__ import annotations

import json
import math
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from workbook_lib.assessments.risk.headings import fold
from workbook_lib.assessments.risk.methodology import ImpactMoney, Methodology
from workbook_lib.core.datafiles import normalise_label
from workbook_lib.core.errors import quote

Axis = Literal["likelihood", "impact"]
# ISO 4217 currency codes in use (fund, precious-metal and test codes left out)
CURRENCY_CODES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF
CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG
HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA
MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH
UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
""".split())
# a currency symbol -> the currencies it may stand for, the commonest first
_SYMBOLS = {"£": ("GBP",), "€": ("EUR",), "R": ("ZAR",), "¥": ("JPY", "CNY"),
            "$": ("USD", "AUD", "CAD", "NZD", "HKD", "SGD", "MXN")}
_INTEGER = re.compile(r"^\d+(?:\.0+)?$")
_PERCENT = re.compile(r"^(\d+(?:[.,]\d+)?)\s*%$")
_NUMBER = re.compile(r"^(\d+(?:[.,]\d+)?)$")
_GROUPED = r"\d{1,3}(?P<sep>[ \u00a0\u202f,.'’])\d{3}(?:(?P=sep)\d{3})*(?:[.,]\d+)?"  # 1,200,000 1'200.50
_CODE = r"(?-i:[A-Z]{3})"  # an ISO 4217 code is written in capitals: "3 min" is not money
_MONEY = re.compile(
    rf"^(?P<sign>[-−–])?\s*(?P<open>\()?\s*(?P<cur>[£$€¥]|R|{_CODE})?\s*(?P<open2>\()?\s*(?P<sign2>[-−])?\s*"
    rf"(?P<num>{_GROUPED}|\d+(?:[.,]\d+)?)\s*(?P<mult>k|m|bn|mn|million|thousand)?\s*"
    rf"(?P<cur2>[£€]|{_CODE})?\s*(?P<close>\))?$", re.IGNORECASE)
_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "bn": 1e9}
# a level number with its label: "3 - Possible", "3. Possible", "(3) Possible"; "Possible (3)", "Possible - 3";
# a label starts with a letter
_NUMBER_FIRST = re.compile(r"^\(?(?P<n>\d{1,4})\)?\s*[-–—:.)]?\s*(?P<label>[^\W\d_].*?)$")
_LABEL_FIRST = re.compile(r"^(?P<label>[^\W\d_].*?)\s*(?:\((?P<n>\d{1,4})\)|[-–—:]\s*(?P<n2>\d{1,4}))$")
_YAML_WORDS = {"yes", "no", "true", "false", "on", "off", "y", "n", "null", "~"}


@dataclass
class RatingRead:
    """A column's ratings as level numbers (text), or why the column cannot be read."""

    values: list[str]  # level number as text; "" where empty; the value as written where it failed
    style: str = ""  # how the values were read, in plain words
    failed: dict[int, str] = field(default_factory=dict)  # position -> what was expected
    refused: str = ""  # the whole column cannot be read: why, and what to write instead
    prose: bool = False  # the column holds sentences, not ratings
    opportunities: set[int] = field(default_factory=set)  # positions of a negative amount: a gain
    fix: str = ""  # with ``refused``: the one parameters entry (YAML flow text) that would read the column


@dataclass(frozen=True)
class Amount:
    """An amount of money as written."""

    value: float  # its size, never negative; infinite for 1 and 400 zeros (too large a float)
    currency: str  # an ISO 4217 code (capitals) or a symbol; "" when none is written
    negative: bool  # "-50,000", "(40,000)": a gain
    money_like: bool  # a currency, a multiplier or a thousands separator: not a level number


def flow_text(text: str) -> str:
    """A word as a key or value of YAML flow text: plain when it reads back as itself, else quoted."""
    plain = (re.fullmatch(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^:,\[\]{}#]*", text) and text == text.strip()
             and text.casefold() not in _YAML_WORDS and not re.fullmatch(r"[-+.\d_eE]+|\.?inf|\.?nan", text, re.I))
    return text if plain else json.dumps(text, ensure_ascii=False)


@lru_cache(maxsize=1 << 12)
def rating_word(text: str) -> str:
    """A rating word as compared: spaces collapsed, case folded, accents dropped; any script kept (Низкий)."""
    decomposed = unicodedata.normalize("NFKD", normalise_label(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def is_prose(values: list[str]) -> bool:
    """Most values are several words of text, not ratings."""
    filled = [v for v in values if v]
    wordy = [v for v in filled if len(v.split()) >= 3 or len(v) > 25]
    return bool(filled) and len(wordy) * 2 > len(filled)


def _expected(m: Methodology, axis: Axis) -> str:
    levels = getattr(m, axis)
    article = "an" if axis == "impact" else "a"
    return f"{article} {axis} rating 1-{len(levels)} or one of: " + ", ".join(lv.label for lv in levels)


def _number(text: str) -> float | None:
    match = _NUMBER.match(text)
    x = float(match.group(1).replace(",", ".")) if match else None
    return x if x is not None and math.isfinite(x) else None


def read_ratings(values: list[str], axis: Axis, m: Methodology, *, percent_heading: bool = False,
                 own: dict[str, int] | None = None, money: ImpactMoney | None = None,
                 generic: dict[str, str] | None = None, rounding: str | None = None) -> RatingRead:
    """Read one rating column. ``own``: the organisation's ``ratings:`` (value -> level);
    ``generic``: level word -> its meaning (register_columns.yaml's generic_levels, see ``generic_words``);
    ``rounding``: "up" or "nearest" for averaged ratings such as 3.33, None to refuse them."""
    filled = list(dict.fromkeys(v for v in values if v))  # each distinct value once, in the file's order
    if not filled:
        return RatingRead(list(values), "empty")
    own = {normalise_label(k): v for k, v in (own or {}).items()}
    if own:
        return _read_with(values, {**m.scale_lookup(axis), **own}, _expected(m, axis),
                          "your ratings: " + ", ".join(f"{k} = {v}" for k, v in own.items()))
    numbers = {v: _number(v) for v in filled}
    if (axis == "likelihood" and all(x is not None and 0 <= x <= 1 for x in numbers.values())
            and any(x != int(x) for x in numbers.values() if x is not None)):
        return _percentages(values, axis, m, fractions=True)  # 0.4 = 40%; 1 alone stays a level
    if any(_PERCENT.match(v) for v in filled) or (percent_heading and all(_NUMBER.match(v) for v in filled)):
        return _percentages(values, axis, m)
    amounts = {v: parse_amount(v) for v in filled}
    if any(a and a.money_like for a in amounts.values()) or (
            axis == "impact" and all(amounts.values()) and max(a.value for a in amounts.values() if a) >= 1000):
        return _money(values, axis, m, money, amounts)
    paired = _paired(filled, m.scale_lookup(axis))
    if paired:
        return _read_paired(values, axis, m, paired)
    averaged = _averaged(values, axis, m, numbers, rounding)
    if averaged:
        return averaged
    if is_prose(values):
        return RatingRead(list(values), "text", prose=True)
    refused, fix = _generic_refusal(filled, axis, m, generic or {})
    if refused:
        return RatingRead(list(values), "level words", refused=refused, fix=fix)
    whole = all(_INTEGER.match(v) for v in filled)
    style = f"level numbers 1-{len(getattr(m, axis))}" if whole else "labels of the scale"
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


def _paired(filled: list[str], lookup: dict[str, int]) -> dict[str, tuple[int, str]]:
    """Each value written as a level number with its label -> (number, label); empty unless at least half the
    values are so written and some label is one of the scale's."""
    paired = {}
    for v in filled:
        match = _NUMBER_FIRST.match(v) or _LABEL_FIRST.match(v)
        if match:
            number = match.groupdict().get("n") or match.groupdict().get("n2")
            paired[v] = (int(number), match.group("label").strip(" -–—:.)"))
    known = any(normalise_label(said) in lookup for _, said in paired.values())
    return paired if known and len(paired) * 2 >= len(filled) else {}


def _read_paired(values: list[str], axis: Axis, m: Methodology, paired: dict[str, tuple[int, str]]) -> RatingRead:
    lookup = m.scale_lookup(axis)
    levels = getattr(m, axis)
    labels = {lv.value: lv.label for lv in levels}
    middle = levels[len(levels) // 2]
    expected = f"{_expected(m, axis)}, or a level number with its label such as '{middle.value} - {middle.label}'"
    read: dict[str, int | str] = {}  # value -> its level, or what was expected
    for v in dict.fromkeys(v for v in values if v):
        if v not in paired:
            read[v] = lookup.get(re.sub(r"^(\d+)\.0+$", r"\1", normalise_label(v)), expected)
            continue
        number, said = paired[v]
        by_label = lookup.get(normalise_label(said))
        if number not in labels or by_label is None:
            read[v] = expected
        elif number != by_label:
            read[v] = (f"a number and a label of the same level: the number says {number} ({labels[number]}) but "
                       f"the label says {said} ({by_label}); write one of them")
        else:
            read[v] = number
    out, failed = [], {}
    for i, v in enumerate(values):
        level = read.get(v, "")
        if isinstance(level, str) and v:
            failed[i] = level
        out.append(str(level) if isinstance(level, int) else v)
    return RatingRead(out, "level numbers with their labels", failed)


def _averaged(values: list[str], axis: Axis, m: Methodology, numbers: dict[str, float | None],
              rounding: str | None) -> RatingRead | None:
    """Averaged or fractional ratings (3.33, 4.67): refused without ``rounding``, else rounded to a level.
    None when the column is not mostly numbers with some fractions (without ``rounding``: two different ones)."""
    n = len(getattr(m, axis))
    given = {v: x for v, x in numbers.items() if x is not None}
    fractions = [v for v, x in given.items() if x != int(x)]
    if not fractions or len(given) * 2 < len(numbers):
        return None
    if rounding not in ("up", "nearest"):
        if len(fractions) < 2 or not all(1 <= x <= n for x in given.values()):
            return None  # a slip (one 2.5) or not averages of levels: each value is checked as a level
        example, x = fractions[0], given[fractions[0]]
        examples = ", ".join(quote(v) for v in fractions[:2])
        return RatingRead(list(values), "averages or fractions of levels", refused=(
            f"whole {axis} levels 1-{n}; values such as {examples} look like averages or fractions of levels: "
            f"say how to round them in the parameters, rounding: up ({example} becomes {math.ceil(x)}) or "
            f"rounding: nearest ({example} becomes {math.floor(x + 0.5)})"), fix="rounding: nearest")
    lookup = m.scale_lookup(axis)
    out, failed = [], {}
    for i, v in enumerate(values):
        x = given.get(v)
        if not v:
            out.append("")
            continue
        if x is None:
            level = lookup.get(normalise_label(v))
        else:
            level = math.ceil(x) if rounding == "up" else math.floor(x + 0.5)  # nearest: a half goes up
        if level is None or not 1 <= level <= n:
            failed[i] = f"{_expected(m, axis)} (a fraction is rounded {'up' if rounding == 'up' else 'to the nearest'})"
            out.append(v)
        else:
            out.append(str(level))
    style = "fractions rounded up to a level" if rounding == "up" else "fractions rounded to the nearest level"
    return RatingRead(out, style, failed)


def _generic_refusal(filled: list[str], axis: Axis, m: Methodology, generic: dict[str, str]) -> tuple[str, str]:
    """Refuse level words (H/M/L, Alta/Media/Baja) unless each names the scale level of the same meaning:
    (why, the proposed ``ratings:`` entry), or ("", "")."""
    words = {rating_word(v) for v in filled}
    if not words <= set(generic):
        return "", ""
    labels = {lv.value: rating_word(lv.label) for lv in getattr(m, axis)}
    lookup = {rating_word(k): v for k, v in m.scale_lookup(axis).items()}
    meaning = {w: generic.get(label, label) for w, label in ((w, labels.get(lookup.get(w, 0), "")) for w in words)}
    if all(meaning[w] == generic[w] for w in words):
        return "", ""
    ladder = list(dict.fromkeys(generic.values()))  # very low .. very high
    used = {generic[w] for w in words}
    if used <= set(ladder[1:-1]):  # low, medium, high: a three-step ladder, centred on the scale
        ladder = ladder[1:-1]
    n = len(getattr(m, axis))
    first = max(0, (n - len(ladder)) // 2) + 1
    by_meaning = {meaning: min(first + i, n) for i, meaning in enumerate(ladder)}
    spelled = {v: by_meaning[generic[rating_word(v)]] for v in filled}
    proposal = ", ".join(f"{flow_text(k)}: {v}" for k, v in sorted(spelled.items(), key=lambda kv: (-kv[1], kv[0])))
    fix = f"ratings: {{{proposal}}}"
    short = "short " if all(len(v) <= 2 for v in filled) else ""
    return (f"{short}level words ({', '.join(sorted(spelled))}) do not name this methodology's {n} {axis} levels "
            f"({', '.join(lv.label for lv in getattr(m, axis))}), so they are not guessed; say what each means "
            f"in the parameters, e.g. {fix}"), fix


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
    """A level covers min < p <= max; a level whose min equals its max takes exactly that value; 0 falls in the
    lowest level whose min is 0 (a 0-1% Rare covers 0%: a chance of nil is rated, not read as eliminated)."""
    for lo, hi, level in ranges:
        if lo == hi == p:
            return level
    if p == 0:
        return min((level for lo, _, level in ranges if lo == 0), default=None)
    for lo, hi, level in ranges:
        if lo < p <= hi:
            return level
    return None


def _percentages(values: list[str], axis: Axis, m: Methodology, fractions: bool = False) -> RatingRead:
    """Percentages, or with ``fractions`` probabilities written 0-1 (0.4 = 40%)."""
    what = "probabilities (0.4 = 40%)" if fractions else "percentages"
    if axis != "likelihood":
        return RatingRead(list(values), what, refused=f"{what} are read only as likelihood; give impact as a level")
    ranges = probability_ranges(m)
    if isinstance(ranges, str):
        return RatingRead(list(values), what, refused=f"{ranges}; give likelihood as a level")
    out, failed = [], {}
    percent = {v: (_PERCENT.match(v) or _NUMBER.match(v)) for v in set(values) if v}
    for i, v in enumerate(values):
        if not v:
            out.append("")
            continue
        match = percent[v]
        p = float(match.group(1).replace(",", ".")) if match else -1.0
        if fractions and p >= 0:
            p = round(p * 100, 9)  # 0.1 * 100 is 10.000000000000002: past the top of 1-10%
        level = level_for_percent(p, ranges) if 0 <= p <= 100 else None
        if level is None:
            failed[i] = "a probability between 0 and 1" if fractions else "a percentage between 0% and 100%"
            out.append(v)
        else:
            out.append(str(level))
    bands = "; ".join(f"{lo:g}-{hi:g}% = {lv}" for lo, hi, lv in ranges)
    return RatingRead(out, f"{what} through the probability ranges ({bands})", failed)


def parse_amount(text: str) -> Amount | None:
    """An amount of money as written (£1.2m, 300,000 CHF, -USD 40,000, (40,000)), or None."""
    match = _MONEY.match(text.strip())
    if not match:
        return None
    group = match.group
    written = [c for c in (group("cur"), group("cur2")) if c]
    currency = written[0].upper() if written and len(written[0]) == 3 else (written[0] if written else "")
    if (len(set(written)) > 1 or (len(currency) == 3 and currency not in CURRENCY_CODES)
            or bool(group("open") or group("open2")) != bool(group("close")) or (group("sign") and group("sign2"))):
        return None
    digits = group("num")
    if group("sep"):  # 1,200,000.50 or 1.200.000,50: the grouping character goes, the decimal mark is a point
        parts = re.fullmatch(rf"(\d{{1,3}}(?:{re.escape(group('sep'))}\d{{3}})+)(?:[.,](\d+))?", digits)
        whole, fraction = parts.group(1, 2) if parts else (digits, None)
        digits = re.sub(r"\D", "", whole) + (f".{fraction}" if fraction else "")
    value = float(digits.replace(",", ".")) * _MULTIPLIERS.get((group("mult") or "").casefold(), 1.0)
    negative = bool(group("sign") or group("sign2") or group("close"))
    return Amount(value, currency, negative, bool(currency or group("mult") or group("sep")))


def _candidates(currency: str) -> set[str]:
    return {currency.upper()} if len(currency) == 3 else set(_SYMBOLS.get(currency, (currency,)))


def _code(currency: str) -> str:
    """The ISO code a currency as written stands for, "" when a symbol stands for several ($)."""
    options = _candidates(currency)
    return next(iter(options)) if len(options) == 1 and len(next(iter(options))) == 3 else ""


def _nice(x: float) -> float:
    """Two significant figures."""
    return round(x, 1 - math.floor(math.log10(x))) if x > 0 else x


def _yaml_number(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:g}"


def proposed_bounds(amounts: list[float], levels: int) -> list[float]:
    """Placeholder impact thresholds for ``levels`` levels from the amounts found: their quantiles (two
    significant figures), or steps of at least double from the smallest when those would repeat."""
    if levels < 2:
        return []
    xs = sorted(a for a in amounts if 0 < a < math.inf) or [1_000.0]
    bounds = [_nice(q) for q in statistics.quantiles(xs, n=levels, method="inclusive")] if len(xs) > 1 else []
    if len(bounds) != levels - 1 or bounds[0] <= 0 or any(b >= c for b, c in zip(bounds, bounds[1:], strict=False)):
        ratio = max((xs[-1] / xs[0]) ** (1 / levels), 2.0)
        bounds = [_nice(xs[0] * ratio ** k) for k in range(1, levels)]
    return bounds


def _money(values: list[str], axis: Axis, m: Methodology, money: ImpactMoney | None,
           amounts: dict[str, Amount | None]) -> RatingRead:
    style = "amounts of money"
    if axis != "impact":
        return RatingRead(list(values), style,
                          refused="amounts of money are read only as impact; give likelihood as a level")
    rows = [amounts[v] for v in values if v and amounts.get(v)]
    counted = Counter(a.currency for a in rows if a.currency)
    found = [c for c, _ in counted.most_common()]
    main = found[0] if found else ""
    if money is None:
        code = _code(main)
        bounds = ", ".join(_yaml_number(b) for b in proposed_bounds([a.value for a in rows], len(m.impact)))
        entry = f"impact_money: {{{f'currency: {code}, ' if code else ''}upper_bounds: [{bounds}]}}"
        template = f"impact_money: {{{f'currency: {main}, ' if len(main) == 3 else ''}upper_bounds: [...]}}"
        mixed = f" (write the column in one currency: most amounts are in {main})" if _mixed(found) else ""
        return RatingRead(list(values), style, fix=entry, refused=(
            f"amounts of money{' in ' + ' and '.join(found) if found else ''} need the organisation's impact "
            f"thresholds{mixed}: add {template} to the parameters, {len(m.impact) - 1} amounts, the top of each "
            f"impact level but the last; a proposal from this column's amounts, to set to your own: {entry}"))
    want = money.currency or (main if _mixed(found) else "")
    fits = {c: not want or bool(_candidates(c) & _candidates(want)) for c in found}
    if found and not any(fits.values()) and money.currency:
        return RatingRead(list(values), style, refused=(
            f"amounts of money in {' and '.join(found)}, but the organisation's impact thresholds are in "
            f"{money.currency}: give the thresholds in {main} (impact_money: {{currency: {main}, upper_bounds: "
            f"[...]}}), or write the amounts in {money.currency}"))
    out, failed, gains = [], {}, set()
    for i, v in enumerate(values):
        amount = amounts.get(v) if v else None
        if v and (amount is None or not math.isfinite(amount.value)):
            failed[i] = "an amount of money such as 25,000 or £1.2m"
        elif amount and amount.currency and not fits[amount.currency]:
            failed[i] = (f"an amount in {want}, the currency of the impact thresholds, not {amount.currency}"
                         if money.currency else f"an amount in {want}, as most of this column is, not "
                         f"{amount.currency}")
        out.append(v if i in failed or amount is None else str(money.level_of(amount.value)))
        if amount and amount.negative and i not in failed:
            gains.add(i)
    cur = f"{money.currency} " if money.currency else ""
    bounds = ", ".join(f"{cur}{b:,.0f}" for b in money.upper_bounds)
    gain = "; a negative amount is a gain: an opportunity, read by its size" if gains else ""
    return RatingRead(out, f"amounts of money through the impact thresholds (levels up to {bounds}; above: "
                           f"{len(m.impact)}){gain}", failed, opportunities=gains)


def _mixed(found: list[str]) -> bool:
    """Currencies that cannot be the same one (CHF and EUR; not $ and USD)."""
    return any(not (_candidates(a) & _candidates(b)) for a in found for b in found)


def generic_words(spec_levels: dict[str, list[str]]) -> dict[str, str]:
    """Level word (as ``rating_word`` compares it) -> its meaning, from register_columns.yaml."""
    return {rating_word(w): fold(meaning) for meaning, words in spec_levels.items() for w in words}
