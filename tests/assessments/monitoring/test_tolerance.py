"""The tolerance grammar (docs/tolerance-grammar.md): every form, the edges, the refusals, the states."""

from __future__ import annotations

import dataclasses
import math
import operator
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbook_lib.assessments.monitoring.tolerance import Tolerance, ToleranceError, parse_tolerance


def bounds(t: Tolerance) -> tuple:
    """The range without its text: (low, high, low_inclusive, high_inclusive, unit)."""
    return t.low, t.high, t.low_inclusive, t.high_inclusive, t.unit


# --- the forms -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["0", "zero tolerance", "Zero tolerance", "ZERO", "  zero   TOLERANCE "])
def test_zero_tolerance_is_at_most_zero(text):
    t = parse_tolerance(text)
    assert bounds(t) == (None, 0.0, False, True, None)
    assert t.text == text
    assert t.describe() == "exactly 0"
    assert t.contains(0) and not t.contains(1)


@pytest.mark.parametrize(("text", "expected"), [
    ("< 10%", (None, 10.0, False, False, "%")),
    ("<10%", (None, 10.0, False, False, "%")),
    ("<= 5 %", (None, 5.0, False, True, "%")),
    ("≤5%", (None, 5.0, False, True, "%")),
    ("> 80%", (80.0, None, False, False, "%")),
    (">= 75%", (75.0, None, True, False, "%")),
    ("≥ 75 %", (75.0, None, True, False, "%")),
    ("< 30 days", (None, 30.0, False, False, "days")),
    ("> 1 : 1", (1.0, None, False, False, "ratio")),
    ("< 3", (None, 3.0, False, False, None)),
    ("> −5%", (-5.0, None, False, False, "%")),
])
def test_one_sided_bounds(text, expected):
    assert bounds(parse_tolerance(text)) == expected


@pytest.mark.parametrize("text", ["80-90%", "80 - 90 %", "80% to 90%", "80 TO 90%", "80–90%", "80 – 90%", "80%-90%"])
def test_closed_range_in_percent(text):
    t = parse_tolerance(text)
    assert bounds(t) == (80.0, 90.0, True, True, "%")
    assert t.describe() == "between 80% and 90%"


def test_variation_range_of_the_guide():
    assert bounds(parse_tolerance("1 - 2.5%")) == (1.0, 2.5, True, True, "%")


@pytest.mark.parametrize("text", ["1.5 to 2 : 1", "1.5 to 2:1", "1.5:1 to 2:1", "1.5 - 2 : 1"])
def test_ratio_range(text):
    t = parse_tolerance(text)
    assert bounds(t) == (1.5, 2.0, True, True, "ratio")
    assert t.describe() == "at least 1.5 : 1 and at most 2 : 1"


@pytest.mark.parametrize(("text", "direction", "expected"), [
    ("75 days", "at_most", (None, 75.0, False, True, "days")),
    ("60 DAYS", "at_most", (None, 60.0, False, True, "days")),
    ("1 day", "at_most", (None, 1.0, False, True, "days")),
    ("10%", "at_least", (10.0, None, True, False, "%")),
    ("90 %", "at_least", (90.0, None, True, False, "%")),
    ("2:1", "at_least", (2.0, None, True, False, "ratio")),
    ("2 : 1", "at_most", (None, 2.0, False, True, "ratio")),
    ("3", "at_most", (None, 3.0, False, True, None)),
])
def test_bare_value_takes_the_declared_direction(text, direction, expected):
    assert bounds(parse_tolerance(text, direction=direction)) == expected


def test_bare_zero_defaults_to_at_most_and_honours_a_direction():
    assert bounds(parse_tolerance("0%")) == (None, 0.0, False, True, "%")
    assert bounds(parse_tolerance("0", direction="at_least")) == (0.0, None, True, False, None)


@pytest.mark.parametrize("text", ["+/- 5%", "± 5%", "±5 %", "+/-5%", "+ / - 5%", "+- 5%"])
def test_plus_minus_around_a_target_in_percentage_points(text):
    t = parse_tolerance(text, target=20)
    assert bounds(t) == (15.0, 25.0, True, True, "%")
    assert t.contains(15) and t.contains(25) and not t.contains(25.001)


def test_plus_minus_in_days():
    assert bounds(parse_tolerance("± 5 days", target=60)) == (55.0, 65.0, True, True, "days")


def test_percent_is_kept_in_percent():
    assert parse_tolerance("<10%").high == 10.0


def test_tolerance_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_tolerance("<10%").high = 20  # type: ignore[misc]


# --- the guide's own prose forms (seed 004: Table 25 and the text around it) -----------------------------------

@pytest.mark.parametrize(("text", "kwargs", "expected", "favourable"), [
    ("1,5:1", {"favourable": "higher"}, (1.5, None, True, False, "ratio"), "higher"),  # the appetite's current ratio
    ("smaller than 2:1", {}, (None, 2.0, False, False, "ratio"), "lower"),
    ("less than 0.01%", {}, (None, 0.01, False, False, "%"), "lower"),  # probability of computer failure
    ("at least 75%", {}, (75.0, None, True, False, "%"), "higher"),  # minimum competency accreditation
    ("up to 25%", {}, (None, 25.0, False, True, "%"), "lower"),  # complaints answered late
    ("97%-100%", {}, (97.0, 100.0, True, True, "%"), "on_target"),  # water leakage maintenance
    ("24-36 hours", {}, (24.0, 36.0, True, True, "hours"), "on_target"),
    ("within 24 hours", {}, (None, 24.0, False, True, "hours"), "lower"),
    ("+/- 5% variation in profit", {}, (-5.0, 5.0, True, True, "%"), "on_target"),
    ("1 - 2.5% variation in revenue", {}, (1.0, 2.5, True, True, "%"), "on_target"),
    ("1 - 2.5% variation in revenue", {"favourable": "lower"}, (1.0, 2.5, True, True, "%"), "lower"),
    ("80-90%", {"favourable": "higher"}, (80.0, 90.0, True, True, "%"), "higher"),
    ("2,5%", {"direction": "at_most"}, (None, 2.5, False, True, "%"), "lower"),
])
def test_the_guides_prose_forms(text, kwargs, expected, favourable):
    t = parse_tolerance(text, **kwargs)
    assert (bounds(t), t.favourable) == (expected, favourable)


@pytest.mark.parametrize(("text", "kwargs", "words"), [
    ("+/- 5% variation in profit", {}, "between -5% and 5% (variation in profit)"),
    ("+/- 5% variation in profit", {"target": 2}, "between -3% and 7% (variation in profit)"),
    ("within 24 hours", {}, "at most 24 hours"),
    ("1 hour", {"direction": "at_most"}, "at most 1 hour"),
    ("80-90%", {"favourable": "higher"}, "at least 80%; above 90% is better than the range"),
    ("1 - 2.5% variation in revenue", {"favourable": "lower"},
     "at most 2.5%; below 1% is better than the range (variation in revenue)"),
])
def test_prose_forms_in_words(text, kwargs, words):
    assert parse_tolerance(text, **kwargs).describe() == words


def test_a_plus_minus_without_variation_still_needs_its_target():
    with pytest.raises(ToleranceError, match="no target"):
        parse_tolerance("+/- 5%")


# --- favourable direction: good news is never outside ----------------------------------------------------------

@pytest.mark.parametrize(("value", "state", "better"), [
    (95, "within", True), (90.5, "within", True), (90, "within", False), (85, "within", False),
    (80, "within", False), (79.999, "outside", False), (78, "outside", False),
])
def test_a_floor_with_a_range_above_it(value, state, better):
    t = parse_tolerance("80-90%", favourable="higher")
    assert (t.state(value), t.better(value)) == (state, better)


def test_the_warning_zone_lies_on_the_unfavourable_side_only():
    higher = parse_tolerance("80-90%", favourable="higher")
    # 5% of 80 is 4: 80 to 84 near; nothing near 90, and 95 is better than the range
    assert [higher.state(v, warning=0.05) for v in (80, 84, 84.001, 85, 89, 90, 95)] == [
        "near", "near", "within", "within", "within", "within", "within"]
    # a 10% zone no longer makes every value of 80-90% near: 88.001 to 90 and above are within
    assert [higher.state(v, warning=0.1) for v in (85, 88, 88.001, 90, 95)] == [
        "near", "near", "within", "within", "within"]
    lower = parse_tolerance("1 - 2.5%", favourable="lower")
    assert [lower.state(v, warning=0.1) for v in (0.5, 1, 2.24, 2.25, 2.5, 2.6)] == [
        "within", "within", "within", "near", "near", "outside"]
    assert lower.guarded == (2.5,) and higher.guarded == (80.0,)
    assert parse_tolerance("80-90%").guarded == (80.0, 90.0)  # on target: both


def test_the_current_ratio_as_a_floor():
    t = parse_tolerance("1.5 to 2 : 1", favourable="higher")
    assert [t.state(v) for v in (2.6, 2.0, 1.5, 1.4)] == ["within", "within", "within", "outside"]
    assert t.better(2.6) and not t.better(1.4)


@pytest.mark.parametrize(("text", "kwargs", "words"), [
    ("< 10%", {"favourable": "higher"}, "a ceiling"),
    ("> 80%", {"favourable": "lower"}, "a floor"),
    ("> 80%", {"favourable": "on_target"}, "a floor"),
    ("zero tolerance", {"favourable": "higher"}, "lower is better"),
    ("75 days", {"direction": "at_most", "favourable": "higher"}, "disagree"),
    ("80-90%", {"favourable": "up"}, "unknown favourable"),
    ("75 days", {"favourable": "on_target"}, "no direction"),
])
def test_a_favourable_direction_that_contradicts_the_text_is_refused(text, kwargs, words):
    with pytest.raises(ToleranceError, match=words):
        parse_tolerance(text, **kwargs)


def test_a_bare_value_takes_its_side_from_the_favourable_direction():
    assert bounds(parse_tolerance("75 days", favourable="lower")) == (None, 75.0, False, True, "days")
    assert bounds(parse_tolerance("90%", favourable="higher")) == (90.0, None, True, False, "%")


# --- edges exactly at the bound --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "value", "inside"), [
    ("< 10%", 10, False), ("< 10%", 9.999, True),
    ("<= 5%", 5, True), ("<= 5%", 5.001, False),
    ("> 80%", 80, False), ("> 80%", 80.001, True),
    (">= 75%", 75, True), (">= 75%", 74.999, False),
    ("80-90%", 80, True), ("80-90%", 90, True), ("80-90%", 79.999, False), ("80-90%", 90.001, False),
    ("1.5 to 2 : 1", 1.5, True), ("1.5 to 2 : 1", 2, True), ("1.5 to 2 : 1", 1.499, False),
    ("zero tolerance", 0, True), ("zero tolerance", 0.001, False),
])
def test_edges(text, value, inside):
    assert parse_tolerance(text).contains(value) is inside


def test_bare_values_include_their_bound():
    assert parse_tolerance("75 days", direction="at_most").contains(75)
    assert not parse_tolerance("75 days", direction="at_most").contains(75.5)
    assert parse_tolerance("90%", direction="at_least").contains(90)
    assert not parse_tolerance("90%", direction="at_least").contains(89.9)


# --- refusals --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["about 10", "10 to", "<", "abc", "10 %%", "1 0%", "10 - ", "= 5", "5%-", "1,500%",
                                  "less 5%", "variation 5%"])
def test_unreadable_text_is_refused_quoting_it_and_listing_the_forms(text):
    with pytest.raises(ToleranceError) as caught:
        parse_tolerance(text)
    message = str(caught.value)
    assert repr(text) in message
    assert "expected one of" in message and "80-90%" in message and "zero tolerance" in message


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_is_refused(text):
    with pytest.raises(ToleranceError, match="empty"):
        parse_tolerance(text)


def test_bare_value_without_direction_is_refused():
    with pytest.raises(ToleranceError) as caught:
        parse_tolerance("75 days")
    assert "'75 days'" in str(caught.value) and "direction" in str(caught.value)
    assert "at_most" in str(caught.value) and "at_least" in str(caught.value)


@pytest.mark.parametrize(("text", "kwargs", "words"), [
    ("< 10%", {"direction": "at_least"}, "at_most"),
    ("zero tolerance", {"direction": "at_least"}, "at most 0"),
    ("80-90%", {"direction": "at_most"}, "both ends"),
    ("+/- 5%", {}, "target"),
    ("< 10%", {"target": 5}, "target"),
    ("+/- -5%", {"target": 5}, "negative"),
    ("10%", {"direction": "upwards"}, "unknown direction"),
    ("90-80%", {}, "above"),
    ("80% to 90 days", {}, "different units"),
    ("3 : 2", {"direction": "at_most"}, "against 1"),
    ("5-5%", {}, None),
])
def test_inconsistent_arguments_are_refused(text, kwargs, words):
    if words is None:  # a one-point closed range is fine: exactly that value
        assert parse_tolerance(text, **kwargs).describe() == "exactly 5%"
        return
    with pytest.raises(ToleranceError, match=words):
        parse_tolerance(text, **kwargs)


def test_a_range_without_a_bound_or_backwards_is_refused():
    with pytest.raises(ToleranceError, match="at least one bound"):
        Tolerance("x", None, None)
    with pytest.raises(ToleranceError, match="empty"):
        Tolerance("x", 5, 5, low_inclusive=False)
    with pytest.raises(ToleranceError, match="finite"):
        Tolerance("x", None, math.inf)


# --- describe --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "kwargs", "words"), [
    ("< 10%", {}, "less than 10%"),
    ("<= 10%", {}, "at most 10%"),
    ("> 80%", {}, "more than 80%"),
    (">= 2.5 days", {}, "at least 2.5 days"),
    ("1 day", {"direction": "at_most"}, "at most 1 day"),
    ("0%", {}, "at most 0%"),
    ("+/- 5%", {"target": 10}, "between 5% and 15%"),
    ("< 0.00001", {}, "less than 0.00001"),
])
def test_describe(text, kwargs, words):
    assert parse_tolerance(text, **kwargs).describe() == words


# --- states ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "value", "state"), [
    ("< 10%", 8.999, "within"), ("< 10%", 9, "near"), ("< 10%", 9.999, "near"), ("< 10%", 10, "outside"),
    ("> 80%", 88.001, "within"), ("> 80%", 88, "near"), ("> 80%", 80.001, "near"), ("> 80%", 80, "outside"),
])
def test_three_states_at_the_edges_of_a_ten_percent_zone(text, value, state):
    # the zone is 10% of the bound: 1 at a bound of 10%, 8 at a bound of 80%
    assert parse_tolerance(text).state(value, warning=0.1) == state


@pytest.mark.parametrize(("value", "state"), [
    (79.999, "outside"), (80, "near"), (84, "near"), (84.001, "within"), (85.499, "within"), (85.5, "near"),
    (90, "near"), (90.001, "outside"),
])
def test_both_zones_of_a_closed_range(value, state):
    # 5% of 80 is 4 (80 to 84 near), 5% of 90 is 4.5 (85.5 to 90 near)
    assert parse_tolerance("80-90%").state(value, warning=0.05) == state


def test_zones_wider_than_a_narrow_range_leave_no_within():
    assert {parse_tolerance("80-90%").state(v, warning=0.1) for v in (80, 84, 85, 86, 90)} == {"near"}


def test_without_a_warning_zone_there_is_no_near():
    assert parse_tolerance("< 10%").state(9.999) == "within"
    assert parse_tolerance("< 10%").state(9.999, warning=0) == "within"


def test_zone_at_a_bound_of_zero_uses_the_range_width_or_is_empty():
    ranged = parse_tolerance("0 - 20%")  # zone at 0 is 0.25 * 20 = 5; at 20 it is 5 too
    assert [ranged.state(v, warning=0.25) for v in (0, 5, 5.001, 14.999, 15)] == [
        "near", "near", "within", "within", "near"]
    zero = parse_tolerance("zero tolerance")  # one-sided at 0: no zone, within or outside only
    assert [zero.state(v, warning=0.5) for v in (-1, 0, 0.5)] == ["within", "within", "outside"]


@pytest.mark.parametrize("value", [None, math.nan, float("nan")])
def test_missing_value_is_missing_never_within(value):
    t = parse_tolerance("zero tolerance")
    assert t.state(value) == "missing"
    assert t.state(value, warning=0.1) == "missing"
    assert not t.contains(value)


def test_state_refuses_a_bad_warning_or_text_value():
    with pytest.raises(ValueError, match="fraction"):
        parse_tolerance("<10%").state(5, warning=1.5)
    with pytest.raises(TypeError, match="number"):
        parse_tolerance("<10%").state("5")


# --- properties ------------------------------------------------------------------------------------------------

NUMBERS = st.decimals(min_value=-1_000_000, max_value=1_000_000, places=3, allow_nan=False, allow_infinity=False)
UNITS = st.sampled_from([("%", "%"), (" %", "%"), (" days", "days"), (" : 1", "ratio"), ("", None)])
OPERATORS = {"<": operator.lt, "<=": operator.le, "≤": operator.le, ">": operator.gt, ">=": operator.ge,
             "≥": operator.ge}
VALUES = st.floats(min_value=-2_000_000, max_value=2_000_000, allow_nan=False)


def written(x: Decimal) -> str:
    return format(x, "f")  # as a person writes it, never in exponent notation


@settings(max_examples=200, deadline=None)
@given(op=st.sampled_from(list(OPERATORS)), x=NUMBERS, unit=UNITS, space=st.sampled_from(["", " ", "  "]),
       value=VALUES)
def test_one_sided_round_trip_and_contains(op, x, unit, space, value):
    t = parse_tolerance(f"{op}{space}{written(x)}{unit[0]}")
    inclusive, upper = op in ("<=", "≤", ">=", "≥"), op in ("<", "<=", "≤")
    expected = (None, float(x), False, inclusive, unit[1]) if upper else (float(x), None, inclusive, False, unit[1])
    assert bounds(t) == expected
    for v in (value, float(x)):
        assert t.contains(v) is OPERATORS[op](v, float(x))


@settings(max_examples=200, deadline=None)
@given(a=NUMBERS, b=NUMBERS, unit=UNITS, sep=st.sampled_from(["-", " - ", " to ", "–", " – "]), value=VALUES)
def test_closed_range_round_trip_and_contains(a, b, unit, sep, value):
    a, b = min(a, b), max(a, b)
    t = parse_tolerance(f"{written(a)}{sep}{written(b)}{unit[0]}")
    assert bounds(t) == (float(a), float(b), True, True, unit[1])
    for v in (value, float(a), float(b)):
        assert t.contains(v) is (float(a) <= v <= float(b))
    assert t.state(value, warning=0.1) in (("within", "near") if t.contains(value) else ("outside",))
