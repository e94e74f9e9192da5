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
    reason = _reason(f, prob, "no probability: the register gives neither a probability nor a likelihood level")
    reason = _join(reason, _reason(f, impact, "no money impact: the register gives neither impact_low and "
                                              "impact_high nor an impact level"))
    reason = _join(reason, side_problem)
    status = _text(f, "status").str.casefold()
    reason = reason.where(~status.isin(["closed", "eliminated"]), "closed: not quantified")
    ok = (reason == "").to_numpy()
    lo, hi = impact["lo"].to_numpy(float), impact["hi"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_lo, log_hi = np.log(lo), np.log(hi)
    risks = pd.DataFrame({
        "risk_id": f["risk_id"], "category": _text(f, "category").replace("", NO_CATEGORY),
        "objective": _text(f, "objective").replace("", NO_OBJECTIVE), "side": side,
        "probability": prob["p"], "probability_low": prob["lo"], "probability_high": prob["hi"],
        "probability_source": prob["source"], "impact_low": lo, "impact_high": hi, "impact_source": impact["source"],
        "mu": (log_lo + log_hi) / 2, "sigma": (log_hi - log_lo) / (2 * s.z), "volatility": log_hi - log_lo,
    })[ok].reset_index(drop=True)
    missing = pd.DataFrame({"risk_id": f["risk_id"][~ok], "reason": reason[~ok]}).reset_index(drop=True)
    if risks.empty:
        shown = "; ".join(f"{r.risk_id}: {r.reason}" for r in missing.head(5).itertuples())
        raise ParameterError(f"no risk of the register can be quantified ({stage}): each needs an annual probability "
                             f"and a money impact. {shown}" + (f" (and {len(missing) - 5:,} more)" if len(missing) > 5
                                                               else ""))
    currency = m.impact_money.currency if m.impact_money else ""
    return RiskInputs(stage, risks, missing, _assumptions(m, s, stage, risks), s, currency)


# ---- probability --------------------------------------------------------------------------------------------------
def _probability(f: pd.DataFrame, m: Methodology, prefix: str, level_column: str) -> pd.DataFrame:
    """p, lo, hi, source, problem per risk: the register's numbers (they win), else the likelihood level's range."""
    out = _from_levels(f, level_column, _likelihood_ranges(m), f"a likelihood level of {m.name}")
    out["p"] = (out["lo"] + out["hi"]) / 2
    one, low, high = (_number(f, prefix + c) for c in ("probability", "probability_low", "probability_high"))
    given = one[0].notna() | low[0].notna() | high[0].notna()
    problem = _join(_join(one[1], low[1]), high[1])
    for (value, _), name in ((one, "probability"), (low, "probability_low"), (high, "probability_high")):
        bad = value.notna() & ~value.between(0, 1)
        problem = _join(problem, (f"{prefix}{name} " + value.astype(str) + " is not a chance from 0 to 1 (write 30 % "
                                  "as 0.3)").where(bad, ""))
    problem = _join(problem, pd.Series(f"{prefix}probability_low without {prefix}probability_high, or the other way",
                                       index=f.index).where(one[0].isna() & (low[0].isna() != high[0].isna()), ""))
    problem = _join(problem, pd.Series(f"{prefix}probability_low above {prefix}probability_high",
                                       index=f.index).where(low[0] > high[0], ""))
    lo, hi = low[0].fillna(one[0]), high[0].fillna(one[0])
    use = given & (problem == "")
    ranged = use & (lo < hi)
    out.loc[use, ["p", "lo", "hi"]] = np.c_[one[0].fillna((lo + hi) / 2)[use], lo[use], hi[use]]
    out.loc[use, "source"] = "register"
    out.loc[ranged, "source"] = "register (range " + _pct(lo[ranged]) + "-" + _pct(hi[ranged]) + " % a year)"
    out.loc[given, "problem"] = problem[given]
    out.loc[given & ~use, "source"] = ""
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
def _impact(f: pd.DataFrame, m: Methodology, prefix: str, level_column: str, s: QuantificationSettings
            ) -> pd.DataFrame:
    """lo, hi, source, problem per risk: the register's impact_low and impact_high (they win), else the money range
    of the impact level."""
    out = _from_levels(f, level_column, _impact_ranges(m, s), f"an impact level of {m.name}")
    (low, low_bad), (high, high_bad) = _number(f, prefix + "impact_low"), _number(f, prefix + "impact_high")
    given = low.notna() | high.notna()
    problem = _join(low_bad, high_bad)
    problem = _join(problem, pd.Series(f"{prefix}impact_low without {prefix}impact_high, or the other way (give both "
                                       "ends of the interval; the same amount twice for a fixed impact)",
                                       index=f.index).where(low.isna() != high.isna(), ""))
    problem = _join(problem, pd.Series("amounts must be above 0 (the size of a loss or gain; mark a gain with "
                                       "opportunity)", index=f.index).where((low <= 0) | (high <= 0), ""))
    problem = _join(problem, pd.Series(f"{prefix}impact_low above {prefix}impact_high",
                                       index=f.index).where(low > high, ""))
    use = given & (problem == "")
    out.loc[use, ["lo", "hi"]] = np.c_[low[use], high[use]]
    out.loc[use, "source"] = "register"
    out.loc[given, "problem"] = problem[given]
    out.loc[given & ~use, "source"] = ""
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
def _from_levels(f: pd.DataFrame, column: str, ranges: dict, what: str) -> pd.DataFrame:
    """lo, hi, source, problem per risk from its level in ``column`` (a level's range, or why there is none)."""
    out = pd.DataFrame({"lo": np.nan, "hi": np.nan, "source": "", "problem": ""}, index=f.index)
    level, bad = _number(f, column)
    out["problem"] = bad
    known = level.isin(list(ranges))
    out.loc[level.notna() & ~known & (bad == ""), "problem"] = (
        f"{column} " + level[level.notna() & ~known].astype(str) + f" is not {what}")
    for value, found in ranges.items():
        at = level == value
        if isinstance(found, str):
            out.loc[at, "problem"] = found
        elif at.any():
            out.loc[at, ["lo", "hi", "source"]] = found
    return out


def _after_controls(f: pd.DataFrame, m: Methodology, residual: pd.DataFrame, inherent: pd.DataFrame, factor: bool
                    ) -> pd.DataFrame:
    """The residual input where the register gives one after controls; else the inherent one, its probability
    times the control factor where the methodology scales by it and the risk has one (marked in the source)."""
    out = residual.copy()
    absent = (residual["source"] == "") & (residual["problem"] == "")
    out.loc[absent] = inherent.loc[absent]
    found = absent & (inherent["source"] != "")
    scaled = found & _number(f, "control_factor")[0].between(0, 1) if factor and m.uses_factor else found & False
    if scaled.any():
        k = _number(f, "control_factor")[0][scaled]
        out.loc[scaled, [c for c in ("p", "lo", "hi") if c in out]] *= k.to_numpy()[:, None]
        out.loc[scaled, "source"] = (out.loc[scaled, "source"] + " x control factor " + _pct(k) + " %"
                                     + (" (" + _text(f, "control_effectiveness")[scaled] + ")").replace(" ()", ""))
    out.loc[found & ~scaled, "source"] = f"as {m.stage('inherent')}: " + out.loc[found & ~scaled, "source"]
    return out


def _side(f: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """"threat" or "opportunity" per risk (the opportunity column, else a status of opportunity), and problems."""
    status = _text(f, "status").str.casefold() == "opportunity"
    raw = f["opportunity"] if "opportunity" in f else pd.Series(np.nan, index=f.index)
    word = raw.map(_word)
    opportunity = word.isin(YES) | ((word == "") & status)
    problem = ("opportunity " + raw.astype(str) + " is not yes or no").where(~word.isin(YES + NO), "")
    return opportunity.map({True: "opportunity", False: "threat"}), problem


def _word(value: object) -> str:
    """A yes-or-no cell as a word: True, 1, 1.0 and "Yes" -> "yes"-like; empty -> ""."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool | int | float | np.bool_ | np.number) and value in (0, 1):
        return "1" if value else "0"
    return str(value).strip().casefold()


def _reason(f: pd.DataFrame, got: pd.DataFrame, absent: str) -> pd.Series:
    return got["problem"].where((got["problem"] != "") | (got["source"] != ""), absent)


def _number(f: pd.DataFrame, column: str) -> tuple[pd.Series, pd.Series]:
    """A column as numbers (NaN where empty or absent), and a problem where a value is not a number."""
    if column not in f:
        return pd.Series(np.nan, index=f.index), pd.Series("", index=f.index)
    raw = f[column].where(f[column].astype(str).str.strip() != "")
    value = pd.to_numeric(raw, errors="coerce").astype(float)
    bad = raw.notna() & value.isna() | np.isinf(value)
    return value.where(~bad), (f"{column} " + raw.astype(str) + " is not a number").where(bad, "")


def _text(f: pd.DataFrame, column: str) -> pd.Series:
    return f[column].fillna("").astype(str).str.strip() if column in f else pd.Series("", index=f.index)


def _join(a: pd.Series, b: pd.Series) -> pd.Series:
    return (a + "; " + b).where((a != "") & (b != ""), a + b)


def _pct(values: pd.Series) -> pd.Series:
    return pd.Series([f"{v * 100:.3g}" for v in values], index=values.index, dtype=object)


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
