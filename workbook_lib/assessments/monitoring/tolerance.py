"""Tolerance ranges as people write them ("< 10%", "80-90%", "1.5 to 2 : 1", "zero tolerance", "at least 75%")
read into a typed, frozen :class:`Tolerance`. One grammar, documented in docs/tolerance-grammar.md:

- ``0`` / ``zero`` / ``zero tolerance``: at most 0 (nothing tolerated);
- ``< x``, ``<= x``, ``> x``, ``>= x`` (also ``≤ ≥``) or in words (``less than``, ``smaller than``, ``up to``,
  ``within``, ``at least``, ...): one bound, exclusive or inclusive as written;
- ``a - b`` / ``a to b`` (also an en dash): both ends, inclusive;
- a bare value (``75 days``, ``10%``, ``1,5:1``): one inclusive bound whose side is the declared ``direction``
  (or follows the favourable direction: higher is better -> a floor);
- ``+/- x`` / ``± x``: ``target - x`` to ``target + x`` inclusive (a ``target`` is required, except for a
  variation: ``+/- 5% variation in profit`` is a variation of -5% to +5% from the plan).

A range or ``+/-`` may end in ``variation`` or ``variation in <what>`` (``1 - 2.5% variation in revenue``). A value
may carry a unit: ``%`` (kept in percent, never divided by 100), ``day``/``days``, ``hour``/``hours`` or ``: 1``
(a ratio); without one it is a count. A decimal comma reads as a point (``1,5:1``).

Each range has a favourable direction: ``higher`` (higher is better), ``lower`` or ``on_target`` (both sides are
deviations). A one-sided range has its own; a two-sided one is ``on_target`` unless declared. A value beyond the
range on the favourable side is within tolerance (better than the range); the warning zone lies on the
unfavourable side only.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from workbook_lib.core.errors import quote

Direction = Literal["at_most", "at_least"]
Favourable = Literal["higher", "lower", "on_target"]
State = Literal["within", "near", "outside", "missing"]
DIRECTIONS: tuple[str, ...] = ("at_most", "at_least")
FAVOURABLE: tuple[str, ...] = ("higher", "lower", "on_target")
FAVOURABLE_WORDS = {"higher": "higher is better", "lower": "lower is better", "on_target": "on target: both sides "
                    "are deviations"}
UNITS: tuple[str | None, ...] = ("%", "days", "hours", "ratio", None)  # None: a count

FORMS = ("0 or zero tolerance; < 10%, <= 5%, > 80%, >= 75% (or ≤ ≥), or in words: less than 0.01%, smaller than "
         "2:1, up to 25%, within 24 hours, at least 75%; 80-90%, 97%-100%, 80% to 90% or 24-36 hours; 1.5 to 2 : 1 "
         "(a ratio); a bare value such as 75 days or 1,5:1 with a direction (at_most or at_least) or a favourable "
         "direction; +/- 5% or ± 5% with a target; +/- 5% variation in profit; 1 - 2.5% variation in revenue")

# unicode spellings folded to the grammar's ASCII: minus signs and dashes, ≤ ≥, full-width percent, odd spaces
_FOLD = str.maketrans({"−": "-", "–": "-", "—": "-", "‒": "-", "﹣": "-", "－": "-", "≤": "<=", "≥": ">=",
                       "⩽": "<=", "⩾": ">=", "％": "%", "\u00a0": " ", "\u202f": " "})
_NUM = r"-?(?:\d+(?:[.,]\d+)?|[.,]\d+)"  # a decimal point or comma
_UNIT = rf"%|days?|hours?|hrs?|:\s*{_NUM}"
_THOUSANDS = re.compile(r"-?[1-9]\d{0,2},\d{3}")  # "1,500": a thousands separator or a decimal comma?
# a bound in words, as the guides write it -> its sign
_WORD_OPS = {"less than": "<", "smaller than": "<", "fewer than": "<", "lower than": "<", "below": "<",
             "under": "<", "at most": "<=", "up to": "<=", "no more than": "<=", "not more than": "<=",
             "within": "<=", "more than": ">", "greater than": ">", "larger than": ">", "higher than": ">",
             "above": ">", "over": ">", "at least": ">=", "no less than": ">=", "not less than": ">="}
_OPS = "|".join(["<=", ">=", "<", ">", *sorted(_WORD_OPS, key=len, reverse=True)])
_VARIATION = r"(?:\s*(?P<variation>variation(?:\s+in\s+[^\d\s].*)?))?"


def _value(name: str) -> str:
    """A number and its optional unit, as named groups ``name`` and ``name_unit``."""
    return rf"(?P<{name}>{_NUM})\s*(?P<{name}_unit>{_UNIT})?"


_FORMS: dict[str, re.Pattern[str]] = {
    "zero": re.compile(r"zero(?: tolerance)?"),
    "plus_minus": re.compile(rf"(?:±|\+\s*/\s*-|\+-)\s*{_value('x')}{_VARIATION}"),
    "bound": re.compile(rf"(?P<op>{_OPS})\s*{_value('x')}"),
    "range": re.compile(rf"{_value('a')}\s*(?:-|to)\s*{_value('b')}{_VARIATION}"),
    "bare": re.compile(_value("x")),
}
_OP_DIRECTION = {"<": "at_most", "<=": "at_most", ">": "at_least", ">=": "at_least"}


class ToleranceError(ValueError):
    """A tolerance text that cannot be read, or a range that cannot exist."""


def _number_text(x: float) -> str:
    """A bound as people write it: 10.0 -> "10", 2.5 -> "2.5", never in exponent notation."""
    text = format(Decimal(repr(x)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def with_unit(x: float, unit: str | None) -> str:
    number = _number_text(x)
    if unit == "%":
        return f"{number}%"
    if unit in ("days", "hours"):
        return f"{number} {unit[:-1]}" if x == 1 else f"{number} {unit}"
    if unit == "ratio":
        return f"{number} : 1"
    return number


def _as_number(value: object) -> float | None:
    """A value to compare as a float; None for a missing one (None or NaN)."""
    if value is None:
        return None
    if isinstance(value, str | bytes):
        raise TypeError(f"a value to compare with a tolerance is a number, not text: {quote(value)}")
    x = float(value)  # type: ignore[arg-type]
    return None if math.isnan(x) else x


@dataclass(frozen=True)
class Tolerance:
    """A range of acceptable values: ``low``/``high`` (None: unbounded on that side), each inclusive or not,
    in ``unit`` ("%", "days", "ratio" or None for a count). ``text`` is the tolerance as written."""

    text: str
    low: float | None
    high: float | None
    low_inclusive: bool = True
    high_inclusive: bool = True
    unit: str | None = None
    favourable: str | None = None  # None: a one-sided range's own side, else on_target
    variation: str | None = None  # a variation's words as written ("variation in profit"), else None

    def __post_init__(self) -> None:
        for side in ("low", "high"):
            bound = getattr(self, side)
            if bound is None:
                object.__setattr__(self, f"{side}_inclusive", False)  # no edge to include
                continue
            bound = float(bound)
            if not math.isfinite(bound):
                raise ToleranceError(f"tolerance {quote(self.text)}: the {side} bound must be a finite number")
            object.__setattr__(self, side, bound)
        if self.low is None and self.high is None:
            raise ToleranceError(f"tolerance {quote(self.text)}: a range needs at least one bound")
        if self.unit not in UNITS:
            raise ToleranceError(f"tolerance {quote(self.text)}: unknown unit {quote(self.unit)}; expected %, days, "
                                 "ratio or none (a count)")
        if self.low is not None and self.high is not None:
            if self.low > self.high:
                raise ToleranceError(f"tolerance {quote(self.text)}: the low end {_number_text(self.low)} is above the "
                                     f"high end {_number_text(self.high)}")
            if self.low == self.high and not (self.low_inclusive and self.high_inclusive):
                raise ToleranceError(f"tolerance {quote(self.text)}: the range is empty")
        own = "on_target" if self.low is not None and self.high is not None else (
            "lower" if self.low is None else "higher")
        favourable = self.favourable or own
        if favourable not in FAVOURABLE:
            raise ToleranceError(f"tolerance {quote(self.text)}: unknown favourable direction {quote(favourable)}; "
                                 "expected higher, lower or on_target")
        if own != "on_target" and favourable != own:  # a ceiling cannot favour higher values, nor a floor lower
            raise ToleranceError(f"tolerance {quote(self.text)} is {'a ceiling' if own == 'lower' else 'a floor'}, "
                                 f"so {FAVOURABLE_WORDS[own]}; the favourable direction given is {favourable}")
        object.__setattr__(self, "favourable", favourable)

    @property
    def guarded(self) -> tuple[float, ...]:
        """The bounds a value must not cross: those on the unfavourable side (a floor when higher is better)."""
        sides = {"higher": (self.low,), "lower": (self.high,), "on_target": (self.low, self.high)}
        return tuple(b for b in sides[self.favourable or "on_target"] if b is not None)

    def better(self, value: object) -> bool:
        """Whether a value lies beyond the range on its favourable side (within tolerance, better than the range)."""
        x = _as_number(value)
        if x is None or self.contains(x):
            return False
        return (self.favourable == "higher" and self.high is not None and x > self.high) or (
            self.favourable == "lower" and self.low is not None and x < self.low)

    def contains(self, value: object) -> bool:
        """Whether a value lies in the range; a missing value (None, NaN) never does."""
        x = _as_number(value)
        if x is None:
            return False
        if self.low is not None and (x < self.low or (x == self.low and not self.low_inclusive)):
            return False
        return not (self.high is not None and (x > self.high or (x == self.high and not self.high_inclusive)))

    def _zone(self, bound: float, warning: float) -> float:
        """The warning zone's width at a bound: a fraction of the bound's size; at a bound of 0, of the range's
        width when both ends are set; else empty."""
        if bound != 0:
            return warning * abs(bound)
        if self.low is not None and self.high is not None:
            return warning * (self.high - self.low)
        return 0.0

    def state(self, value: object, warning: float | None = None) -> State:
        """"missing" (None, NaN), "outside", "near" (inside, within the warning zone of a bound) or "within".

        A value beyond the range on its favourable side is "within". ``warning`` is a fraction (0 to 1): a value
        inside the range no further from a guarded (unfavourable-side) bound than ``warning`` times the bound's
        absolute value (the zone includes its inner edge) is "near"."""
        if warning is not None and not (isinstance(warning, numbers.Real) and 0 <= warning <= 1):
            raise ValueError(f"a warning zone is a fraction from 0 to 1, got {quote(warning)}")
        x = _as_number(value)
        if x is None:
            return "missing"
        if self.better(x):
            return "within"
        if not self.contains(x):
            return "outside"
        if warning:
            for bound in self.guarded:
                zone = self._zone(bound, warning)
                if zone > 0 and abs(x - bound) <= zone:
                    return "near"
        return "within"

    def describe(self) -> str:
        """The range in plain words (see ``_words``), with what a variation is of: "between -5% and 5% (variation
        in profit)"."""
        return f"{self._words()} ({self.variation})" if self.variation else self._words()

    def _words(self) -> str:
        """The range in plain words: "at most 10%", "between 80% and 90%", "exactly 0"; a two-sided range with a
        favourable side by its guarded bound: "at least 80%; above 90% is better than the range"."""
        low, high, unit = self.low, self.high, self.unit
        if low is not None and high is not None and low != high and self.favourable != "on_target":
            higher = self.favourable == "higher"
            floor = ("at least " if self.low_inclusive else "more than ") + with_unit(low, unit)
            ceiling = ("at most " if self.high_inclusive else "less than ") + with_unit(high, unit)
            beyond = f"above {with_unit(high, unit)}" if higher else f"below {with_unit(low, unit)}"
            return f"{floor if higher else ceiling}; {beyond} is better than the range"
        if low is not None and low == high:
            return f"exactly {with_unit(low, unit)}"
        if low is None and high == 0 and self.high_inclusive and unit is None:
            return "exactly 0"  # a count cannot go below 0
        low_words = None if low is None else ("at least " if self.low_inclusive else "more than ") + with_unit(
            low, unit)
        high_words = None if high is None else ("at most " if self.high_inclusive else "less than ") + with_unit(
            high, unit)
        if low_words is None or high_words is None:
            return low_words or high_words or ""
        if self.low_inclusive and self.high_inclusive and unit != "ratio":
            return f"between {with_unit(low, unit)} and {with_unit(high, unit)}"  # type: ignore[arg-type]
        return f"{low_words} and {high_words}"  # a ratio's colons read better spelled out


def _refuse(text: str, why: str) -> ToleranceError:
    return ToleranceError(f"cannot read tolerance {quote(text)}: {why}; expected one of: {FORMS}")


def _float(raw: str, text: str) -> float:
    """A written number; a decimal comma reads as a point, a comma that may be a thousands separator is refused."""
    if _THOUSANDS.fullmatch(raw):
        raise _refuse(text, f"{quote(raw, 20)} could be a decimal comma or a thousands separator; write it with a "
                            "decimal point or without the comma")
    return float(raw.replace(",", "."))


def _unit(raw: str | None, text: str) -> str | None:
    """A written unit as the range's unit ("%", "days", "hours", "ratio") or None."""
    if raw is None:
        return None
    if raw == "%":
        return "%"
    if raw.startswith("day"):
        return "days"
    if raw.startswith("h"):
        return "hours"
    if _float(raw[1:].strip(), text) != 1:
        raise _refuse(text, f"a ratio is written against 1 (e.g. 1.5 : 1), not {quote(' '.join(raw.split()), 40)}")
    return "ratio"


def _units(match: re.Match[str], text: str) -> str | None:
    """The unit of a range: written on either end or both; both ends must agree."""
    a, b = _unit(match["a_unit"], text), _unit(match["b_unit"], text)
    if a is not None and b is not None and a != b:
        raise _refuse(text, f"its two ends have different units ({a} and {b})")
    return a or b


_SIDE = {"higher": "at_least", "lower": "at_most"}  # a bare value's side when only the favourable direction is given


def _one_sided(text: str, x: float, direction: str, inclusive: bool, unit: str | None,
               favourable: str | None) -> Tolerance:
    if direction == "at_most":
        return Tolerance(text, None, x, high_inclusive=inclusive, unit=unit, favourable=favourable)
    return Tolerance(text, x, None, low_inclusive=inclusive, unit=unit, favourable=favourable)


def _read(kind: str, m: re.Match[str], text: str, direction: str | None, target: float | None,
          favourable: str | None) -> Tolerance:
    if kind == "zero":
        if direction == "at_least" or favourable == "higher":
            raise _refuse(text, "zero tolerance means at most 0 (lower is better), but the direction given is "
                                f"{direction or favourable}")
        return Tolerance(text, None, 0.0, unit=None, favourable=favourable)
    if kind == "plus_minus":
        spread, unit = _float(m["x"], text), _unit(m["x_unit"], text)
        if target is None and m["variation"] is None:
            raise _refuse(text, "a +/- tolerance is around a target, and no target was given")
        if spread < 0:
            raise _refuse(text, "the spread of a +/- tolerance cannot be negative")
        centre = 0.0 if target is None else target  # a variation is measured from the plan: 0 is on target
        return Tolerance(text, centre - spread, centre + spread, unit=unit, favourable=favourable,
                         variation=m["variation"])  # 5% around a % target: points
    if kind == "range":
        return Tolerance(text, _float(m["a"], text), _float(m["b"], text), unit=_units(m, text),
                         favourable=favourable, variation=m["variation"])
    x, unit = _float(m["x"], text), _unit(m["x_unit"], text)
    if kind == "bound":
        op = _WORD_OPS.get(m["op"], m["op"])
        if direction is not None and direction != _OP_DIRECTION[op]:
            raise _refuse(text, f"'{m['op']}' means {_OP_DIRECTION[op]}, but the direction given is {direction}")
        return _one_sided(text, x, _OP_DIRECTION[op], op.endswith("="), unit, favourable)
    direction = direction or _SIDE.get(favourable or "")
    if direction is None and x != 0:
        raise _refuse(text, "a bare value says no direction: declare direction at_most or at_least (or favourable "
                            "higher or lower), or write it with < <= > >=")
    return _one_sided(text, x, direction or "at_most", True, unit, favourable)  # a bare 0 is zero tolerance


def parse_tolerance(text: str, direction: str | None = None, target: float | None = None,
                    favourable: str | None = None) -> Tolerance:
    """Read a tolerance as written into a :class:`Tolerance` (see the module's grammar).

    ``direction`` ("at_most" / "at_least") gives the side of a bare value; ``target`` the centre of a +/- form;
    ``favourable`` ("higher", "lower", "on_target") which side of the range is good news. Any of them given where
    the text cannot use it, or contradicting it, is refused: nothing is ignored silently."""
    if not isinstance(text, str):
        raise ToleranceError(f"a tolerance is text, got {type(text).__name__} {quote(text)}")
    if direction is not None and direction not in DIRECTIONS:
        raise ToleranceError(f"tolerance {quote(text)}: unknown direction {quote(direction)}; expected at_most or "
                             "at_least")
    if favourable is not None and favourable not in FAVOURABLE:
        raise ToleranceError(f"tolerance {quote(text)}: unknown favourable direction {quote(favourable)}; expected "
                             "higher, lower or on_target")
    if target is not None and not (isinstance(target, numbers.Real) and math.isfinite(target)):
        raise ToleranceError(f"tolerance {quote(text)}: the target must be a finite number, got {quote(target)}")
    folded = " ".join(text.translate(_FOLD).casefold().split())
    if not folded:
        raise _refuse(text, "it is empty")
    for kind, pattern in _FORMS.items():
        m = pattern.fullmatch(folded)
        if m is None:
            continue
        if target is not None and kind != "plus_minus":
            raise _refuse(text, "a target applies only to a +/- tolerance")
        if direction is not None and kind in ("range", "plus_minus"):
            raise _refuse(text, "it gives both ends, so a direction does not apply")
        if direction is not None and favourable in _SIDE and _SIDE[favourable] != direction:
            raise _refuse(text, f"direction {direction} and favourable {favourable} disagree")
        return _read(kind, m, text, direction, target, favourable)
    raise _refuse(text, "it matches none of the forms")
