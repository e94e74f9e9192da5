"""Rating columns in the styles people keep (issue 24): money with currency codes, '3 - Possible', averaged
ratings, probabilities as fractions, level words in other languages, and a register's own level words.

Under western-cape-5x5: likelihood Rare, Unlikely, Moderate, Likely, Almost certain; impact Insignificant, Minor,
Moderate, Major, Catastrophic; probability ranges 0-1, 1-10, 10-50, 50-100, exactly 100%; bands Low 1-8,
Medium 9-12, High 13-25. Fixtures: tests/data/registers (its README.md).
"""

from __future__ import annotations

import csv
import datetime as dt

import pytest
import yaml

from tests.conftest import ROOT
from workbook_lib.assessments.risk.interpret import ReadOptions
from workbook_lib.assessments.risk.methodology import ImpactMoney, load_methodology
from workbook_lib.assessments.risk.own_figures import band_words, own_figures
from workbook_lib.assessments.risk.ratings import (
    CURRENCY_CODES,
    flow_text,
    generic_words,
    parse_amount,
    proposed_bounds,
    rating_word,
    read_ratings,
)
from workbook_lib.assessments.risk.register import load_register
from workbook_lib.assessments.risk.scoring import evaluate
from workbook_lib.assessments.risk.vocabulary import column_spec
from workbook_lib.core.errors import InputError

CORPUS = ROOT / "tests" / "data" / "registers"
LOADED = load_methodology("western-cape-5x5")
WCAPE = LOADED.methodology
GENERIC = generic_words(column_spec().generic_levels)
BOUNDS = [10_000, 100_000, 500_000, 1_000_000]  # up to 10k = 1, 100k = 2, 500k = 3, 1m = 4, above = 5


def column(name: str, heading: str) -> list[str]:
    """One column of a corpus CSV, as the reader gives it (comma- or semicolon-separated)."""
    text = (CORPUS / name).read_text(encoding="utf-8")
    return [row[heading] for row in csv.DictReader(text.splitlines(), delimiter=";" if ";" in text[:200] else ",")]


def read(values: list[str], axis: str = "impact", **kwargs):
    return read_ratings(values, axis, WCAPE, generic=GENERIC, **kwargs)


# ---- 1. money with ISO 4217 codes; negative amounts are gains ----------------------------------------------


@pytest.mark.parametrize(("text", "value", "currency", "negative"), [
    ("300,000 CHF", 300_000, "CHF", False), ("CHF 300,000", 300_000, "CHF", False),
    ("CHF 2.5m", 2_500_000, "CHF", False), ("USD 1.2m", 1_200_000, "USD", False),
    ("-50,000 CHF", 50_000, "CHF", True), ("-USD 40,000", 40_000, "USD", True), ("USD -40,000", 40_000, "USD", True),
    ("(40,000)", 40_000, "", True), ("CHF (40,000)", 40_000, "CHF", True), ("1'200'000 CHF", 1_200_000, "CHF", False),
    ("1.200.000,50 EUR", 1_200_000.5, "EUR", False), ("£150,000", 150_000, "£", False),
    ("R 1.2m", 1_200_000, "R", False),
])
def test_amounts_with_a_currency_code_before_or_after(text, value, currency, negative):
    amount = parse_amount(text)
    assert amount is not None and amount.money_like
    assert (amount.value, amount.currency, amount.negative) == (value, currency, negative)


@pytest.mark.parametrize("text", ["ABC 300", "3 min", "3 - Moderate", "(40", "£300 EUR", "chf 300"])
def test_not_amounts(text):
    assert parse_amount(text) is None  # ABC is no ISO 4217 code; a code is written in capitals


def test_the_currency_codes_are_iso_4217():
    assert {"CHF", "USD", "EUR", "GBP", "ZAR", "JPY", "PLN", "RUB"} <= CURRENCY_CODES
    assert all(len(code) == 3 and code.isupper() for code in CURRENCY_CODES) and "XXX" not in CURRENCY_CODES


def test_money_in_chf_without_thresholds_is_refused_with_a_proposed_impact_money():
    got = read(column("money_currency_codes.csv", "Financial impact"))
    assert got.style == "amounts of money"
    assert got.refused.startswith("amounts of money in CHF need the organisation's impact thresholds: add "
                                  "impact_money: {currency: CHF, upper_bounds: [...]} to the parameters, 4 amounts")
    # placeholders: the quantiles of 8,000 50,000 300,000 1,200,000 2,500,000, two significant figures
    assert got.fix == "impact_money: {currency: CHF, upper_bounds: [42000, 200000, 660000, 1500000]}"
    assert got.fix in got.refused and "proposal" in got.refused
    proposed = yaml.safe_load(got.fix)["impact_money"]
    assert ImpactMoney(**proposed).currency == "CHF"  # a valid entry, as it stands


def test_money_in_chf_with_thresholds_reads_negative_amounts_as_opportunities():
    got = read(column("money_currency_codes.csv", "Financial impact"),
               money=ImpactMoney(currency="CHF", upper_bounds=BOUNDS))
    # 300,000 -> 3; -50,000 -> 2 (its size), a gain; 1,200,000 -> 5; 2.5m -> 5; 8,000 -> 1
    assert got.values == ["3", "2", "5", "5", "1"]
    assert (got.failed, got.refused, got.opportunities) == ({}, "", {1})
    assert got.style.startswith("amounts of money through the impact thresholds (levels up to CHF 10,000")
    assert "a negative amount is a gain: an opportunity" in got.style


def test_thresholds_in_another_currency_are_a_problem_naming_both():
    got = read(column("money_currency_codes.csv", "Financial impact"),
               money=ImpactMoney(currency="EUR", upper_bounds=BOUNDS))
    assert "amounts of money in CHF, but the organisation's impact thresholds are in EUR" in got.refused
    mixed = read(["CHF 300,000", "EUR 20,000", "CHF 5,000"], money=ImpactMoney(currency="CHF", upper_bounds=BOUNDS))
    assert mixed.values == ["3", "EUR 20,000", "1"]
    assert mixed.failed == {1: "an amount in CHF, the currency of the impact thresholds, not EUR"}
    # a $ may be any dollar: no problem under thresholds in CAD
    assert read(["$ 40,000"], money=ImpactMoney(currency="CAD", upper_bounds=BOUNDS)).values == ["2"]


def test_money_usd_with_and_without_thresholds():
    values = column("money_usd.csv", "Impact (USD)")
    refused = read(values)
    assert "amounts of money in USD" in refused.refused
    assert refused.fix.startswith("impact_money: {currency: USD, upper_bounds: [")
    got = read(values, money=ImpactMoney(currency="USD", upper_bounds=BOUNDS))
    assert (got.values, got.opportunities) == (["5", "3", "2"], {2})  # USD 1.2m, 250,000, -40,000 (a gain)


def test_pounds_keep_the_template_and_propose_gbp():
    got = read(column("money_impact.csv", "Financial impact"))
    assert "impact_money: {upper_bounds: [...]}" in got.refused and "in £" in got.refused
    assert got.fix.startswith("impact_money: {currency: GBP, upper_bounds: [")


def test_money_is_not_read_as_likelihood():
    assert "read only as impact" in read(["CHF 300,000"], "likelihood").refused


def test_proposed_bounds_ascend_even_when_amounts_repeat():
    assert proposed_bounds([50_000] * 4, 5) == [100_000, 200_000, 400_000, 800_000]
    assert proposed_bounds([1_000, 2_000], 3) == [1_300, 1_700]


def test_money_end_to_end_with_thresholds():
    reg = load_register(CORPUS / "money_currency_codes.csv", WCAPE,
                        options=ReadOptions(impact_money=ImpactMoney(currency="CHF", upper_bounds=BOUNDS)))
    assert reg.frame["inherent_impact"].tolist() == [3, 2, 5, 5, 1]


# ---- 2. a level number with its label ------------------------------------------------------------------------


def test_number_and_label_are_read_and_checked_against_each_other():
    likelihood = read(column("number_and_label.csv", "Likelihood"), "likelihood")
    assert likelihood.style == "level numbers with their labels"
    assert likelihood.values == ["3", "4", "2", "2 - Likely"]  # 3 - Moderate, Likely (4), 2 - Unlikely
    assert likelihood.failed == {3: "a number and a label of the same level: the number says 2 (Unlikely) but the "
                                    "label says Likely (4); write one of them"}
    impact = read(column("number_and_label.csv", "Impact"))
    assert (impact.values, impact.failed) == (["4", "3", "2", "5"], {})


def test_every_way_of_writing_a_number_with_its_label():
    got = read(["3 - Possible", "3 – Possible", "3. Possible", "Possible (3)", "(3) Possible", "3: Possible",
                "Possible - 3", "4", "Rare"], "likelihood")
    assert got.values == ["3"] * 7 + ["4", "1"] and not got.failed
    unknown = read(["3 - Possible", "3 - Sometimes", "9 - Likely"], "likelihood")
    assert unknown.values == ["3", "3 - Sometimes", "9 - Likely"]
    assert set(unknown.failed) == {1, 2}
    assert "or a level number with its label such as '3 - Moderate'" in unknown.failed[1]


def test_number_and_label_end_to_end_names_the_row():
    with pytest.raises(InputError) as err:
        load_register(CORPUS / "number_and_label.csv", WCAPE)
    [problem] = err.value.problems
    assert (problem.row, problem.value) == (5, "2 - Likely")
    assert "the number says 2 (Unlikely) but the label says Likely (4)" in problem.expected


# ---- 3. averaged or fractional ratings -----------------------------------------------------------------------


def test_averaged_ratings_are_refused_without_rounding():
    got = read(column("averaged_impacts.csv", "Impact (average of cost, service, reputation)"))
    assert got.refused == ("whole impact levels 1-5; values such as '3.33', '4.67' look like averages or fractions "
                           "of levels: say how to round them in the parameters, rounding: up (3.33 becomes 4) or "
                           "rounding: nearest (3.33 becomes 3)")
    assert got.fix == "rounding: nearest"


@pytest.mark.parametrize(("rounding", "levels", "style"), [
    ("up", ["4", "4", "5", "2"], "fractions rounded up to a level"),
    ("nearest", ["3", "4", "5", "2"], "fractions rounded to the nearest level"),  # 1.5: a half goes up
])
def test_averaged_ratings_are_rounded_as_the_parameters_say(rounding, levels, style):
    got = read(column("averaged_impacts.csv", "Impact (average of cost, service, reputation)"), rounding=rounding)
    assert (got.values, got.style, got.failed, got.refused) == (levels, style, {}, "")


def test_whole_numbers_and_a_single_slip_stay_as_today():
    whole = read(["3.0", "4", "2.00"])
    assert (whole.values, whole.style) == (["3", "4", "2"], "level numbers 1-5")
    slip = read(["3", "2.5"])  # one fraction is a slip, not a column of averages: that value is refused
    assert (slip.refused, list(slip.failed)) == ("", [1])
    beyond = read(["3.5", "7.5"], rounding="up")
    assert beyond.values == ["4", "7.5"] and list(beyond.failed) == [1]


# ---- 4. probabilities written as fractions -------------------------------------------------------------------


def test_probabilities_as_fractions_go_through_the_probability_ranges():
    got = read(column("label_and_probability.csv", "Probability"), "likelihood")
    assert got.values == ["4", "2", "3", "4"]  # 85% Likely, 5% Unlikely, 40% Moderate, 60% Likely
    assert got.style.startswith("probabilities (0.4 = 40%) through the probability ranges (0-1% = 1;")
    edges = read(["0.1", "0.005", "0", "1", "0.5"], "likelihood", percent_heading=True)
    assert edges.values == ["2", "1", "1", "5", "3"]  # 0.1 is 10%: Unlikely, not past its top; 1 is 100%; 0 Rare
    assert "eliminated" not in edges.style


def test_zero_percent_is_the_lowest_level_whose_range_starts_at_zero():
    got = read(["0%", "0.5%", "1%", "1.5%"], "likelihood")  # Rare is 0-1% (the guide's Table 17: "0 - 1%")
    assert got.values == ["1", "1", "1", "2"] and not got.failed
    assert "eliminated" not in got.style


def test_level_numbers_are_not_probabilities():
    assert read(["1", "2", "3"], "likelihood").style == "level numbers 1-5"
    assert read(["1", "1"], "likelihood").values == ["1", "1"]  # 1 is a level, not 100%
    assert read(["0.5", "0.25"]).style != "probabilities (0.4 = 40%)"  # impact: never a probability


# ---- 5. level words in other languages -----------------------------------------------------------------------


def test_spanish_words_are_refused_once_with_a_proposed_ratings_entry():
    got = read(column("spanish_words.csv", "Probabilidad"), "likelihood")
    assert got.style == "level words"
    assert "level words (Alta, Baja, Media) do not name this methodology's 5 likelihood levels" in got.refused
    assert got.fix == "ratings: {Alta: 4, Media: 3, Baja: 2}" and got.refused.endswith(got.fix)
    own = yaml.safe_load(got.fix)["ratings"]
    assert read(column("spanish_words.csv", "Probabilidad"), "likelihood", own=own).values == ["4", "2", "3"]


@pytest.mark.parametrize("words", [
    ["Alto", "Medio", "Bajo"], ["Hoch", "Mittel", "Niedrig"], ["Élevé", "Moyen", "Faible"],
    ["Alto", "Medio", "Basso"], ["Wysokie", "Średnie", "Niskie"], ["Высокий", "Средний", "Низкий"],
])
def test_level_words_of_other_languages(words):
    got = read([*words, words[0]])
    high, medium, low = words
    assert got.fix == f"ratings: {{{high}: 4, {medium}: 3, {low}: 2}}"
    assert yaml.safe_load(got.fix)["ratings"] == {high: 4, medium: 3, low: 2}
    assert read(words, own={high: 4, medium: 3, low: 2}).values == ["4", "3", "2"]


def test_words_are_compared_without_accents_and_cyrillic_is_kept():
    assert rating_word(" ÉLEVÉ ") == "eleve" and rating_word("Низкий") == rating_word("низкий") != ""
    assert GENERIC[rating_word("Eleve")] == "high" and GENERIC[rating_word("Высокий")] == "high"
    assert read(["Eleve", "Faible"]).fix == "ratings: {Eleve: 4, Faible: 2}"


def test_hml_refusal_is_unchanged():
    got = read(["H", "M", "L"], "likelihood")
    assert got.refused.startswith("short level words (H, L, M)") and got.fix == "ratings: {H: 4, M: 3, L: 2}"


def test_flow_text_quotes_what_yaml_would_misread():
    assert [flow_text(w) for w in ("Crítico", "No", "a: b", "3", "Very high")] == [
        "Crítico", '"No"', '"a: b"', '"3"', "Very high"]


def test_spanish_words_end_to_end_are_refused_then_read_with_the_proposal():
    with pytest.raises(InputError) as err:
        load_register(CORPUS / "spanish_words.csv", WCAPE)
    # one entry for both columns: every word found, so that taking the first proposal reads both
    assert [p.expected.rsplit("e.g. ", 1)[1] for p in err.value.problems] == [
        "ratings: {Alta: 4, Media: 3, Baja: 2}"] * 2
    assert {p.fix for p in err.value.problems} == {"ratings: {Alta: 4, Media: 3, Baja: 2}"}
    reg = load_register(CORPUS / "spanish_words.csv", WCAPE,
                        options=ReadOptions(ratings={"Alta": 4, "Media": 3, "Baja": 2}))
    assert reg.frame["inherent_likelihood"].tolist() == [4, 2, 3]


# ---- 6. the register's own level words -----------------------------------------------------------------------


def differences(name: str, level_words: dict[str, str] | None = None):
    reg = load_register(CORPUS / name, WCAPE)
    ev = evaluate(reg, LOADED, dt.date(2025, 6, 30))
    return own_figures(ev.risks, WCAPE, None, reg.headings, level_words)


def test_own_level_words_propose_level_words_on_the_first_difference():
    got = differences("own_level_words.csv")
    assert got["Risk"].tolist() == ["OL-01", "OL-02", "OL-03", "OL-04"]
    first, *rest = got["Computed"].tolist()
    # computed: OL-01 5x4 High, OL-02 4x5 High, OL-03 2x2 Low, OL-04 3x3 Medium
    assert first == ("High ('Alto' is not a band of western-cape-5x5: Low, Medium, High); say what your level words "
                     "mean in the parameters, e.g. level_words: {Alto: High, Crítico: High, Medio: Medium, Bajo: Low}")
    assert rest[0] == "High ('Crítico' is not a band of western-cape-5x5: Low, Medium, High)"
    assert not any("level_words" in c for c in rest)
    mapped = differences("own_level_words.csv", {"Alto": "High", "Critico": "high", "Medio": "Medium", "Bajo": "Low"})
    assert mapped.empty  # accents and case aside


def test_own_level_words_mapped_wrongly_still_differ():
    got = differences("own_level_words.csv", {"Alto": "Medium", "Crítico": "High", "Medio": "Medium",
                                              "Bajo": "Lowest"})
    assert got[["Risk", "The file says"]].values.tolist() == [["OL-01", "Alto"], ["OL-03", "Bajo"]]
    assert got["Computed"].iloc[0] == "High"  # Alto given as Medium: a plain difference
    assert "your level words in the parameters give it as 'Lowest'" in got["Computed"].iloc[1]
    assert got["Computed"].iloc[1].endswith("e.g. level_words: {Bajo: Low}")


def test_french_own_levels():
    got = differences("french.csv")  # FR-3 is closed: not compared
    assert got["Risk"].tolist() == ["FR-1", "FR-2"]
    assert got["Computed"].iloc[0].endswith("e.g. level_words: {Moyen: Medium, Faible: Low}")
    assert differences("french.csv", {"Moyen": "Medium", "Faible": "Low"}).empty


def test_band_words():
    words = band_words(WCAPE, None, {"Crítico": "High", "Nope": "Nowhere"})
    assert (words["red"], words["critico"], words["low"]) == ("High", "High", "Low") and "nope" not in words
