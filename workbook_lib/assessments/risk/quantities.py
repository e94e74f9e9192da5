"""A risk-intelligent register's ranges read as numbers: chances a year ("30%", "0.3") and amounts of money
("ZAR 800 000", "R1.2m", "2,500,000"), with a problem per value that is neither (docs/quantification.md).

The columns stay empty for a register without them; the quantification (risk.quantify_inputs) takes the numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from workbook_lib.assessments.risk.ratings import parse_amount

CHANCES = ("annual_probability", "annual_probability_low", "annual_probability_high",
           "residual_annual_probability")
AMOUNTS = ("impact_low", "impact_high", "residual_impact_low", "residual_impact_high")


def chance(text: str) -> float | None:
    """"30%" or "30 %" -> 0.3; "0.3" -> 0.3; anything else (a share above 1 included) -> None."""
    value = text.strip()
    percent = value.endswith("%")
    try:
        number = float(value.removesuffix("%").strip().replace(",", "."))
    except ValueError:
        return None
    number = number / 100 if percent else number
    return number if math.isfinite(number) and 0 <= number <= 1 else None


def amount(text: str, currency: str) -> tuple[float | None, str]:
    """An amount of money and, when it cannot be taken, what was expected."""
    read = parse_amount(text)
    if read is None or not math.isfinite(read.value):
        return None, "an amount of money, e.g. 250000, 250 000 or ZAR 250 000"
    if read.negative:
        return None, "a loss (or a gain, for an opportunity) as a positive amount"
    if currency and read.currency and read.currency.upper() != currency.upper():
        return None, f"an amount in {currency}, the currency of impact_money"
    return read.value, ""


def quantity_problems(frame: pd.DataFrame, currency: str) -> list[tuple[int, str, str, str]]:
    """(row index, column, value, what was expected) for each filled value that is not a chance or an amount."""
    found = []
    for name in (c for c in CHANCES + AMOUNTS if c in frame):
        values = frame[name].fillna("").astype(str).str.strip()
        for index, text in values[values != ""].items():
            if name in CHANCES and chance(text) is None:
                found.append((index, name, text, "a chance a year: a percentage (30%) or a share from 0 to 1 (0.3)"))
            elif name in AMOUNTS and (why := amount(text, currency)[1]):
                found.append((index, name, text, why))
    return found


def as_numbers(frame: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The chance and amount columns as numbers (NaN where empty); the rest unchanged."""
    out = frame.copy()
    for name in (c for c in CHANCES + AMOUNTS if c in out):
        text = out[name].fillna("").astype(str).str.strip()
        read = (chance if name in CHANCES else (lambda t: amount(t, currency)[0]))
        distinct = {t: read(t) if t else None for t in text.unique()}
        out[name] = text.map(distinct).astype(float).fillna(np.nan)
    return out
