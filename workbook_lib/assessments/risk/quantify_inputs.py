"""What the quantification needs of each risk: an annual probability and an impact as a money interval.

Per risk and stage (inherent or residual), from the register's own numbers where it gives them, else from the
methodology's ranges for the risk's likelihood and impact levels, and always with where each came from
(``probability_source``, ``impact_source``). A risk that lacks what it needs is listed with the reason
(``not_quantified``), never dropped without a word. docs/quantification.md states the method and its assumptions.

Register columns read (every one optional but ``risk_id``): ``category``, ``objective``, ``status``,
``opportunity``; the levels ``inherent_likelihood``, ``inherent_impact``, ``residual_likelihood``,
``residual_impact``; ``control_factor`` (0-1) and ``control_effectiveness``; the numbers ``probability``,
``probability_low``, ``probability_high`` (chances 0-1 a year) and ``impact_low``, ``impact_high`` (money, the two
ends of a 90 % interval), and the same numbers after controls prefixed ``residual_``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from workbook_lib.assessments.risk.methodology import Methodology
from workbook_lib.core.datafiles import Strict, load_data_file
from workbook_lib.core.params import ParameterError

SETTINGS_FILE = Path(__file__).parent / "data" / "quantification.yaml"
STAGES = ("inherent", "residual")
INPUT_COLUMNS = ["risk_id", "category", "objective", "side", "probability", "probability_low", "probability_high",
                 "probability_source", "impact_low", "impact_high", "impact_source", "mu", "sigma", "volatility"]
MAX_TRIALS = 10_000_000  # simulated years a run may ask for
LARGEST_NORMAL = 6.8  # the largest normal draw of the simulation (risk/quantify.py: Box-Muller from 32-bit numbers)
FLOAT32_LOG_MAX = 88.7  # exp() of more overflows a 32-bit number (each size is drawn as one)
NO_CATEGORY, NO_OBJECTIVE = "(no category)", "(no objective)"
YES, NO = ("yes", "y", "true", "1", "x"), ("no", "n", "false", "0", "")


class QuantificationSettings(Strict):
    """data/quantification.yaml: the defaults of a quantification (each is explained in that file)."""

    trials: int = Field(ge=1, le=MAX_TRIALS)
    seed: int = Field(ge=0)
    confidence: list[float] = Field(min_length=1, max_length=20)
    tail: float
    tail_contribution_cells: int = Field(ge=0)
    interval: float = Field(gt=0, lt=1)
    open_end_multiple: float = Field(gt=1)
    max_range_ratio: float = Field(gt=1)
    value_map: list[float] = Field(min_length=3, max_length=3)
    exceedance_points: int = Field(ge=2, le=1000)
    max_groups: int = Field(ge=1)
    chunk_cells: int = Field(ge=1000)
    threads: int = Field(ge=0)

    @model_validator(mode="after")
    def _levels(self) -> QuantificationSettings:
        for key in ("confidence", "value_map"):
            values = getattr(self, key)
            if any(not 0 < q < 1 for q in values) or values != sorted(set(values)):
                raise ValueError(f"{key} must be ascending chances between 0 and 1, got {values}")
        if self.tail not in self.confidence:
            raise ValueError(f"tail {self.tail} must be one of the confidence levels {self.confidence}")
        if math.log(self.max_range_ratio) / (2 * self.z) * LARGEST_NORMAL >= FLOAT32_LOG_MAX:
            raise ValueError(f"max_range_ratio {self.max_range_ratio:g} is too wide: the simulation draws a size as "
                             "a 32-bit number, which such a range would overflow")
        return self

    @property
    def z(self) -> float:
        """The standard normal quantile at the interval's upper end (1.6449 for a 90 % interval)."""
        return NormalDist().inv_cdf(0.5 + self.interval / 2)


@cache
def load_settings(path: str | Path = SETTINGS_FILE) -> QuantificationSettings:
    """The shipped defaults, or an organisation's own file of the same fields."""
    return load_data_file(path, {}, QuantificationSettings, ParameterError, "quantification settings")[0]


@dataclass(frozen=True)
class RiskInputs:
    """One stage's inputs: ``risks`` (INPUT_COLUMNS, one row per quantified risk; sizes are positive, ``side`` says
    whether a risk is a threat or an opportunity), ``not_quantified`` (risk_id, reason) and the assumptions made."""

    stage: str
    risks: pd.DataFrame
    not_quantified: pd.DataFrame
    assumptions: list[str]
    settings: QuantificationSettings
    currency: str = ""  # the methodology's impact_money currency, when it gives one


def risk_inputs(register: pd.DataFrame, m: Methodology, stage: str = "residual",
                settings: QuantificationSettings | None = None) -> RiskInputs:
    """Each risk's annual probability and money interval for ``stage``; ParameterError when no risk has both."""
    s = settings or load_settings()
    if stage not in STAGES:
        raise ParameterError(f"stage {stage!r}: expected one of {', '.join(STAGES)}")
    f = register.reset_index(drop=True)
    if "risk_id" not in f:
        raise ParameterError("the register has no risk_id column: a quantified risk must be named")
    prob = _probability(f, m, "", "inherent_likelihood")
    impact = _impact(f, m, "", "inherent_impact", s)
    if stage == "residual":
        prob = _after_controls(f, m, _probability(f, m, "residual_", "residual_likelihood"), prob, factor=True)
        impact = _after_controls(f, m, _impact(f, m, "residual_", "residual_impact", s), impact, factor=False)
    side, side_problem = _side(f)
    reason = _reason(prob, "no probability: the register gives neither a probability nor a likelihood level")
    reason = _join(reason, _reason(impact, "no money impact: the register gives neither impact_low and "
                                           "impact_high nor an impact level"))
    reason = _join(reason, side_problem)
    status = np.array([t.casefold() for t in _text(f, "status")], dtype=object)
    reason = np.where(np.isin(status, ["closed", "eliminated"]), "closed: not quantified", reason)
    ok = reason == ""
    lo, hi = impact["lo"], impact["hi"]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_lo, log_hi = np.log(lo), np.log(hi)
    columns = {
        "category": np.where(_text(f, "category") == "", NO_CATEGORY, _text(f, "category")),
        "objective": np.where(_text(f, "objective") == "", NO_OBJECTIVE, _text(f, "objective")), "side": side,
        "probability": prob["p"], "probability_low": prob["lo"], "probability_high": prob["hi"],
        "probability_source": prob["source"], "impact_low": lo, "impact_high": hi, "impact_source": impact["source"],
        "mu": (log_lo + log_hi) / 2, "sigma": (log_hi - log_lo) / (2 * s.z), "volatility": log_hi - log_lo,
    }
    risks = pd.DataFrame({"risk_id": f["risk_id"][ok].reset_index(drop=True),
                          **{name: values[ok] for name, values in columns.items()}})
    missing = pd.DataFrame({"risk_id": f["risk_id"][~ok].reset_index(drop=True),
                            "reason": pd.Series(reason[~ok], dtype=str)})
    if risks.empty:
        shown = "; ".join(f"{r.risk_id}: {r.reason}" for r in missing.head(5).itertuples())
        raise ParameterError(f"no risk of the register can be quantified ({stage}): each needs an annual probability "
                             f"and a money impact. {shown}" + (f" (and {len(missing) - 5:,} more)" if len(missing) > 5
                                                               else ""))
    currency = m.impact_money.currency if m.impact_money else ""
    return RiskInputs(stage, risks, missing, _assumptions(m, s, stage, risks), s, currency)


# Each helper below works on numpy arrays, one value per risk (a register of 100 risks is read three times in a
# run: pandas' own overhead per operation was most of the time); texts are object arrays, "" where there is none.
Found = dict[str, np.ndarray]  # "lo", "hi" (and "p" for a chance), "source" and "problem" per risk


# ---- probability --------------------------------------------------------------------------------------------------
def _probability(f: pd.DataFrame, m: Methodology, prefix: str, level_column: str) -> Found:
    """p, lo, hi, source, problem per risk: the register's numbers (they win), else the likelihood level's range."""
    out = _from_levels(f, level_column, _likelihood_ranges(m), f"a likelihood level of {m.name}")
    out["p"] = (out["lo"] + out["hi"]) / 2
    one, low, high = (_number(f, prefix + c) for c in ("probability", "probability_low", "probability_high"))
    given = ~np.isnan(one[0]) | ~np.isnan(low[0]) | ~np.isnan(high[0])
    problem = _join(_join(one[1], low[1]), high[1])
    for (value, _), name in ((one, "probability"), (low, "probability_low"), (high, "probability_high")):
        bad = ~np.isnan(value) & ~((value >= 0) & (value <= 1))
        problem = _join(problem, _where(bad, lambda v, name=name: f"{prefix}{name} {v} is not a chance from 0 to 1 "
                                                                  "(write 30 % as 0.3)", value))
    with np.errstate(invalid="ignore"):
        problem = _join(problem, np.where(np.isnan(one[0]) & (np.isnan(low[0]) != np.isnan(high[0])),
                                          f"{prefix}probability_low without {prefix}probability_high, or the other "
                                          "way", ""))
        problem = _join(problem, np.where(low[0] > high[0], f"{prefix}probability_low above {prefix}probability_high",
                                          ""))
        lo, hi = np.where(np.isnan(low[0]), one[0], low[0]), np.where(np.isnan(high[0]), one[0], high[0])
        use = given & (problem == "")
        ranged = use & (lo < hi)
    out["p"][use] = np.where(np.isnan(one[0]), (lo + hi) / 2, one[0])[use]
    out["lo"][use], out["hi"][use] = lo[use], hi[use]
    out["source"][use] = "register"
    out["source"][ranged] = [f"register (range {a}-{b} % a year)" for a, b in zip(_pct(lo[ranged]), _pct(hi[ranged]),
                                                                                   strict=True)]
    out["problem"][given] = problem[given]
    out["source"][given & ~use] = ""
    return out
def _likelihood_ranges(m: Methodology) -> dict[int, tuple[float, float, str] | str]:
    """Level -> (low, high annual chance, how it was read), or why the level gives none. A level without a minimum
    starts where the level below ends (as the register reader places a percentage); a chance over N years is
    turned into a yearly one assuming independent years: 1 - (1 - P) ** (1 / N)."""
    out: dict[int, tuple[float, float, str] | str] = {}
    below = 0.0
    for lv in m.likelihood:
        name, pr = f"likelihood level {lv.value} {lv.label}", lv.probability
        years = _years(pr.horizon) if pr else None
        if pr is None or pr.max is None:
            out[lv.value] = f"{name} has no probability range in {m.name}"
            continue
        if years is None:
            out[lv.value] = f"{name}'s probability is over {pr.horizon or 'no stated period'!r}, not years or months"
            continue
        hi = 1 - (1 - pr.max / 100) ** (1 / years)
        lo = min(hi, below if pr.min is None else 1 - (1 - pr.min / 100) ** (1 / years))
        given = (f"up to {pr.max:g}" if pr.min is None else f"{pr.max:g}" if pr.min == pr.max
                 else f"{pr.min:g}-{pr.max:g}") + f" % {pr.horizon}"
        yearly = "" if years == 1 and pr.min is not None else f": {lo * 100:.3g}-{hi * 100:.3g} % a year"
        out[lv.value], below = (lo, hi, f"{name} ({given}{yearly})"), hi
    return out


def _years(horizon: str | None) -> float | None:
    """A probability's period in years: "per year", "12 months", "10 years" -> 1, 1, 10; None when not such."""
    text = " ".join(str(horizon or "").casefold().replace("-", " ").split())
    if re.fullmatch(r"(per |a |an |each |every |one |1 )?(year|annum|yr)|annual(ly)?|yearly|twelve months", text):
        return 1.0
    found = re.fullmatch(r"(?:in |over |within |per |every |each )?(\d+(?:\.\d+)?) ?(years?|yrs?|months?)", text)
    if not found or float(found[1]) <= 0:
        return None
    return float(found[1]) / (12 if found[2].startswith("m") else 1)


# ---- impact -------------------------------------------------------------------------------------------------------
def _impact(f: pd.DataFrame, m: Methodology, prefix: str, level_column: str, s: QuantificationSettings) -> Found:
    """lo, hi, source, problem per risk: the register's impact_low and impact_high (they win), else the money range
    of the impact level."""
    out = _from_levels(f, level_column, _impact_ranges(m, s), f"an impact level of {m.name}")
    (low, low_bad), (high, high_bad) = _number(f, prefix + "impact_low"), _number(f, prefix + "impact_high")
    given = ~np.isnan(low) | ~np.isnan(high)
    problem = _join(low_bad, high_bad)
    problem = _join(problem, np.where(np.isnan(low) != np.isnan(high),
                                      f"{prefix}impact_low without {prefix}impact_high, or the other way (give both "
                                      "ends of the interval; the same amount twice for a fixed impact)", ""))
    with np.errstate(invalid="ignore"):
        problem = _join(problem, np.where((low <= 0) | (high <= 0), "amounts must be above 0 (the size of a loss or "
                                                                    "gain; mark a gain with opportunity)", ""))
        problem = _join(problem, np.where(low > high, f"{prefix}impact_low above {prefix}impact_high", ""))
        problem = _join(problem, np.where(high > low * s.max_range_ratio,
                                          f"{prefix}impact_high is more than {s.max_range_ratio:,.0f} times "
                                          f"{prefix}impact_low: a range that wide cannot be simulated", ""))
    use = given & (problem == "")
    out["lo"][use], out["hi"][use] = low[use], high[use]
    out["source"][use] = "register"
    out["problem"][given] = problem[given]
    out["source"][given & ~use] = ""
    return out


def _impact_ranges(m: Methodology, s: QuantificationSettings) -> dict[int, tuple[float, float, str] | str]:
    """Level -> (low, high, how it was read): level k covers (upper_bounds[k-2], upper_bounds[k-1]]; the lowest level
    starts at its bound / open_end_multiple and the top level ends at open_end_multiple x the last bound (assumed)."""
    money = m.impact_money
    if money is None:
        return {lv.value: f"{m.name} gives no money range for its impact levels (impact_money)" for lv in m.impact}
    x, bounds, top = s.open_end_multiple, money.upper_bounds, len(m.impact)
    cur = f" {money.currency}" if money.currency else ""
    out: dict[int, tuple[float, float, str] | str] = {}
    for k, lv in enumerate(m.impact, start=1):
        lo = bounds[k - 2] if k > 1 else bounds[0] / x
        hi = bounds[k - 1] if k < top else bounds[-1] * x
        assumed = ("; low end assumed: the first bound / " if k == 1 else "; high end assumed: the last bound x "
                   ) + f"{x:g}" if k in (1, top) else ""
        out[lv.value] = (lo, hi, f"impact level {k} {lv.label} money range ({lo:,.0f}-{hi:,.0f}{cur}{assumed})")
    return out


# ---- helpers ------------------------------------------------------------------------------------------------------
def _from_levels(f: pd.DataFrame, column: str, ranges: dict, what: str) -> Found:
    """lo, hi, source, problem per risk from its level in ``column`` (a level's range, or why there is none)."""
    n = len(f)
    out = {"lo": np.full(n, np.nan), "hi": np.full(n, np.nan), "source": np.full(n, "", dtype=object)}
    level, bad = _number(f, column)
    out["problem"] = bad.copy()
    known = np.isin(level, list(ranges))
    unknown = ~np.isnan(level) & ~known & (bad == "")
    out["problem"][unknown] = [f"{column} {v} is not {what}" for v in level[unknown]]
    for value, found in ranges.items():
        at = level == value
        if isinstance(found, str):
            out["problem"][at] = found
        elif at.any():
            out["lo"][at], out["hi"][at], out["source"][at] = found
    return out


def _after_controls(f: pd.DataFrame, m: Methodology, residual: Found, inherent: Found, factor: bool) -> Found:
    """The residual input where the register gives one after controls; else the inherent one, its probability
    times the control factor where the methodology scales by it and the risk has one (marked in the source)."""
    absent = (residual["source"] == "") & (residual["problem"] == "")
    out = {key: np.where(absent, inherent[key], values) for key, values in residual.items()}
    found = absent & (inherent["source"] != "")
    scaled = found & False
    if factor and m.uses_factor:
        k = _number(f, "control_factor")[0]
        scaled = found & (k >= 0) & (k <= 1)
    if scaled.any():
        k = k[scaled]
        for key in ("p", "lo", "hi"):
            if key in out:
                out[key][scaled] *= k
        effectiveness = _text(f, "control_effectiveness")[scaled]
        out["source"][scaled] = [f"{source} x control factor {pct} %" + (f" ({said})" if said else "")
                                 for source, pct, said in zip(out["source"][scaled], _pct(k), effectiveness,
                                                              strict=True)]
    inherited = found & ~scaled
    out["source"][inherited] = [f"as {m.stage('inherent')}: {source}" for source in out["source"][inherited]]
    return out


def _side(f: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """"threat" or "opportunity" per risk (the opportunity column, else a status of opportunity), and problems."""
    status = np.array([t.casefold() == "opportunity" for t in _text(f, "status")], dtype=bool)
    raw = f["opportunity"].to_numpy(object) if "opportunity" in f else np.full(len(f), np.nan, dtype=object)
    word = np.array([_word(v) for v in raw], dtype=object)
    opportunity = np.isin(word, YES) | ((word == "") & status)
    problem = _where(~np.isin(word, YES + NO), lambda v: f"opportunity {v} is not yes or no", raw)
    return np.where(opportunity, "opportunity", "threat").astype(object), problem


def _word(value: object) -> str:
    """A yes-or-no cell as a word: True, 1, 1.0 and "Yes" -> "yes"-like; empty -> ""."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool | int | float | np.bool_ | np.number) and value in (0, 1):
        return "1" if value else "0"
    return str(value).strip().casefold()


def _reason(got: Found, absent: str) -> np.ndarray:
    return np.where((got["problem"] != "") | (got["source"] != ""), got["problem"], absent).astype(object)


def _number(f: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A column as numbers (NaN where empty or absent), and a problem where a value is not a number."""
    if column not in f:
        return np.full(len(f), np.nan), np.full(len(f), "", dtype=object)
    col = f[column]
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        raw = value = col.to_numpy(dtype=float, na_value=np.nan)  # as read: numbers already
        bad = np.isinf(value)
    else:
        raw = col.where(col.astype(str).str.strip() != "")
        value = pd.to_numeric(raw, errors="coerce").astype(float).to_numpy()
        bad = raw.notna().to_numpy() & np.isnan(value) | np.isinf(value)
        raw = raw.to_numpy(object)
    return np.where(bad, np.nan, value), _where(bad, lambda v: f"{column} {v} is not a number", raw)


def _where(at: np.ndarray, say, values: np.ndarray) -> np.ndarray:
    """say(value) where ``at``, "" elsewhere (an object array)."""
    out = np.full(len(at), "", dtype=object)
    if at.any():
        out[at] = [say(v) for v in values[at]]
    return out


def _text(f: pd.DataFrame, column: str) -> np.ndarray:
    if column not in f:
        return np.full(len(f), "", dtype=object)
    return f[column].fillna("").astype(str).str.strip().to_numpy(object)


def _join(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two problems per risk as one, "; " between where both say something."""
    has_a, has_b = a != "", b != ""
    if not has_b.any():
        return a
    if not has_a.any():
        return b
    out = np.where(has_a, a, b)
    both = has_a & has_b
    out[both] = [f"{x}; {y}" for x, y in zip(a[both], b[both], strict=True)]
    return out


def _pct(values: np.ndarray) -> list[str]:
    return [f"{v * 100:.3g}" for v in values]


def _assumptions(m: Methodology, s: QuantificationSettings, stage: str, risks: pd.DataFrame) -> list[str]:
    """What this stage's inputs assume, in words a risk officer and an auditor read (docs/quantification.md)."""
    inside, outside = f"{s.interval * 100:g} %", f"{(1 - s.interval) * 50:g} %"
    out = [f"Impacts are lognormal, read so that impact_low and impact_high are the {inside} interval "
           f"({outside} of outcomes below the low end, {outside} above the high end); a fixed amount (low = high) "
           "has no spread."]
    sources = risks["probability_source"] + " " + risks["impact_source"]
    if sources.str.contains("likelihood level").any():
        out.append("A likelihood level gives a range of chances: its mid-point is taken as the chance a year (with "
                   "the chance unknown within the range and years independent, that is the chance of the event in "
                   "a year); the range is shown.")
    if sources.str.contains("impact level").any():
        out.append(f"An impact level's money range is read as the {inside} interval of its impact. The top "
                   f"level is open above: it is assumed to end at {s.open_end_multiple:g} x the last bound; the "
                   f"lowest level is assumed to start at its bound / {s.open_end_multiple:g}.")
    if stage == "residual" and sources.str.contains("control factor").any():
        out.append("Where a risk has no rating after controls but a control-effectiveness rating, its residual "
                   "chance is its inherent chance x the control factor (the share of the risk that remains) and its "
                   "impact is kept: applying the scoring factor to the chance is this suite's assumption.")
    if stage == "residual" and sources.str.contains(f"as {m.stage('inherent')}:").any():
        out.append(f"A risk with nothing after controls keeps its {m.stage('inherent')} inputs (marked).")
    return out
