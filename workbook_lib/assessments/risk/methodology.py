"""Risk methodologies as data: YAML files validated with pydantic.

A methodology declares its likelihood and impact scales, how a score is formed (product or grid),
the bands a score falls into, the control-effectiveness scale and the residual rule. A direct methodology
(``scoring.rule: direct``, the guide's fragmented register) has no likelihood or impact: inherent and residual
risk are rated on one scale of ``levels`` (High, Medium, Low), and a level's value is its score. Shipped
methodologies live in ``methodologies/`` next to this module; users may point at their own file.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from workbook_lib.core.datafiles import (
    ColouredBand,
    Loaded,
    Note,
    Strict,
    band_problems,
    normalise_label,
    shipped_files,
    shipped_folder,
    unique_names,
)
from workbook_lib.core.errors import quote
from workbook_lib.core.limits import MAX_LEVELS
from workbook_lib.core.params import ParameterError

SHIPPED_DIR = shipped_folder(Path(__file__).parent / "methodologies")
# Every list of a methodology holds at most MAX_LEVELS (50) items: a real scale has 3-10 levels, a banding 3-6 bands.
# Checked on each field before the cross-field checks build anything quadratic (the score grid is levels x levels).
GridRow = Annotated[list[int], Field(max_length=MAX_LEVELS)]


def _levels() -> Any:
    return Field(min_length=1, max_length=MAX_LEVELS)


class MethodologyError(ValueError):
    """A methodology file is missing, unreadable or inconsistent."""


class Probability(Strict):
    min: float | None = Field(default=None, ge=0, le=100, description="lower bound, % chance within the horizon")
    max: float | None = Field(default=None, ge=0, le=100, description="upper bound, % chance within the horizon")
    horizon: str | None = None


class Level(Strict):
    value: int = Field(ge=1)
    label: str = Field(min_length=1)
    aliases: list[str] = []
    description: str = ""


class LikelihoodLevel(Level):
    probability: Probability | None = None


class ImpactLevel(Level):
    # description per impact category (e.g. Financial -> "loss of 3,000 to 25,000")
    categories: dict[str, str] = {}


class Band(ColouredBand):
    # other words a register may use for this band in its own level column (e.g. a RAG status: Red)
    aliases: list[str] = []
    action: str = ""
    decision_maker: str = ""
    register_destination: str = ""
    acceptability: str = ""


class Banding(Strict):
    title: str
    bands: list[Band] = _levels()
    note: str = ""  # what a report says under this banding's table (e.g. where it disagrees with another)


class ControlLevel(Strict):
    label: str = Field(min_length=1)
    aliases: list[str] = []
    description: str = ""
    # share of the inherent score that remains; None on a scale that only names how effective controls are
    factor: float | None = Field(None, gt=0, le=1, description="share of the inherent score that remains")


class ImpactMoney(Strict):
    """Amounts of money read as impact levels: level k covers amounts up to ``upper_bounds[k-1]``."""

    currency: str = ""
    # one bound per level but the last, ascending: level 1 up to the first, the top level above the last
    upper_bounds: list[float] = _levels()

    @field_validator("upper_bounds")
    @classmethod
    def _ascending(cls, bounds: list[float]) -> list[float]:
        if any(b <= 0 for b in bounds) or any(b >= c for b, c in zip(bounds, bounds[1:], strict=False)):
            raise ValueError(f"upper_bounds must be positive amounts in ascending order, got {bounds}")
        return bounds

    def level_of(self, amount: float) -> int:
        return 1 + sum(amount > b for b in self.upper_bounds)


class Scoring(Strict):
    # direct: no likelihood or impact; inherent and residual are rated on the methodology's ``levels``
    rule: Literal["product", "grid", "direct"] = "product"
    # grid[i][j]: score for likelihood value i+1 and impact value j+1 (only for rule: grid)
    grid: Annotated[list[GridRow], Field(max_length=MAX_LEVELS)] | None = None


class ResidualRule(Strict):
    # stated: the register rates the residual itself on the direct scale (rule direct only)
    rule: Literal["rerated", "control_factor", "stated"]
    # with rule rerated: a risk with a control-effectiveness rating and no re-rating takes the factor
    fallback: Literal["control_factor"] | None = None
    # how a factor-reduced score returns to the integer scale
    rounding: Literal["ceil", "round", "floor"] = "ceil"
    # who set the factors when the source gives none (e.g. "this suite"); an organisation's own factors (the
    # control_factors setting) put its name here. None: the factors are the source's
    factors_set_by: str | None = None
    # with rule stated: a risk without a residual rating takes this table's level for its inherent level and control
    # effectiveness (inherent label -> effectiveness label -> residual label); None: it keeps its inherent level
    derived: dict[str, dict[str, str]] | None = None
    note: str = ""


class Escalation(Strict):
    """Who must accept a residual risk, by its position against the appetite, the tolerance and the acceptance
    level: the highest of its band's decision maker and what its position requires."""

    authorities: list[str] = Field(min_length=1, max_length=MAX_LEVELS,
                                   description="lowest to highest; band decision makers are among them")
    tolerance: int | str | None = Field(None, description="highest score within tolerance, or a band name (its top)")
    acceptance: int | str | None = Field(None, description="highest score within the acceptance level, or a band")
    above_appetite: str | None = None  # the least authority for a residual above the organisation's appetite
    above_tolerance: str | None = None
    above_acceptance: str | None = None
    # who approves the appetite and tolerance (e.g. the council), and who may approve a position above tolerance
    # that cannot be avoided; None: the source does not say
    appetite_approver: str | None = None
    unavoidable_approver: str | None = None
    note: str = ""

    def rank(self, authority: str) -> int:
        return self.authorities.index(authority)


class StageWords(Strict):
    """What the source calls a risk's rating before and after controls (e.g. "initial" and "final")."""

    inherent: str = Field("inherent", min_length=1)
    residual: str = Field("residual", min_length=1)


class Methodology(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    version: str
    title: str
    source: str = ""
    # how reports name the source document ("the guide"), e.g. "not in the guide"
    source_called: str = "the source"
    impact_categories: list[str] = Field([], max_length=MAX_LEVELS)
    # empty only with scoring rule direct, which rates on ``levels`` instead
    likelihood: list[LikelihoodLevel] = Field([], max_length=MAX_LEVELS)
    impact: list[ImpactLevel] = Field([], max_length=MAX_LEVELS)
    scoring: Scoring = Scoring()
    # the one scale of a direct methodology, lowest first (value 1 ..); a level's value is its score
    levels: list[Level] = Field([], max_length=MAX_LEVELS)
    bandings: dict[str, Banding] = _levels()
    default_banding: str
    control_effectiveness: list[ControlLevel] = Field([], max_length=MAX_LEVELS)
    residual: ResidualRule
    impact_money: ImpactMoney | None = None
    escalation: Escalation | None = None
    # "current": the source gives one current rating per risk (after existing controls) and no inherent one
    rating_stage: Literal["inherent_and_residual", "current"] = "inherent_and_residual"
    # the source's words for the two ratings, used in every report (with rating_stage current: "current")
    stages: StageWords = StageWords()
    # what this file adds that its source does not give, and who set it; every report marks it "not in the source"
    not_in_source: list[str] = []
    added_by: str = "this organisation"
    notes: list[Note] = []

    # ---- validation -------------------------------------------------------------------------
    @field_validator("likelihood", "impact", "levels")
    @classmethod
    def _contiguous(cls, levels: list[Level]) -> list[Level]:
        values = [lv.value for lv in levels]
        if values != list(range(1, len(values) + 1)):
            raise ValueError(f"level values must be 1..{len(values)} in order, got {values}")
        unique_names([lv.label for lv in levels] + [a for lv in levels for a in lv.aliases], "label or alias")
        return levels

    @field_validator("control_effectiveness")
    @classmethod
    def _unique_controls(cls, levels: list[ControlLevel]) -> list[ControlLevel]:
        unique_names([lv.label for lv in levels] + [a for lv in levels for a in lv.aliases], "label or alias")
        if any(a.factor is not None and b.factor is not None and a.factor > b.factor
               for a, b in zip(levels, levels[1:], strict=False)):
            raise ValueError("control_effectiveness is listed from the most to the least effective, so a factor may "
                             "not fall down the list: got " + ", ".join(f"{c.label} {c.factor:g}" for c in levels
                                                                         if c.factor is not None))
        return levels

    @model_validator(mode="after")
    def _consistent(self) -> Methodology:
        n_l, n_i = len(self.likelihood), len(self.impact)
        if self.direct:
            self._check_direct()
        elif not (n_l and n_i) or self.levels:
            raise ValueError("a likelihood x impact methodology needs likelihood and impact levels and no levels: "
                             "list (levels are for scoring rule direct)")
        elif self.residual.rule == "stated" or self.residual.derived is not None:
            raise ValueError("residual rule stated (and its derived table) is only for scoring rule direct")
        if self.scoring.rule == "grid":
            grid = self.scoring.grid
            if grid is None or len(grid) != n_l or any(len(row) != n_i for row in grid):
                raise ValueError(f"scoring grid must have {n_l} rows of {n_i} scores (likelihood x impact)")
        elif self.scoring.grid is not None:
            raise ValueError("scoring.grid is only allowed with rule: grid")
        if self.default_banding not in self.bandings:
            raise ValueError(f"default_banding {quote(self.default_banding)} is not one of {sorted(self.bandings)}")
        if self.residual.fallback and self.residual.rule != "rerated":
            raise ValueError("residual fallback is only for rule: rerated (the factor is the rule already)")
        if self.uses_factor and (not self.control_effectiveness
                                 or any(c.factor is None for c in self.control_effectiveness)):
            raise ValueError("residual rule control_factor (or fallback) needs a control_effectiveness scale with "
                             "factors")
        declared = set(self.impact_categories)
        for cat in (c for lv in self.impact for c in lv.categories):
            if cat not in declared:
                raise ValueError(f"impact category {quote(cat)} is not declared in impact_categories")
        if self.impact_money and len(self.impact_money.upper_bounds) != n_i - 1:
            raise ValueError(f"impact_money needs {n_i - 1} upper_bounds (one per impact level but the last), "
                             f"got {len(self.impact_money.upper_bounds)}")
        if self.escalation:
            self._check_escalation(self.escalation)
        reachable = self.reachable_scores
        for key, banding in self.bandings.items():
            problems = band_problems(banding.bands, reachable)
            if problems:
                raise ValueError(f"banding {quote(key)}: " + "; ".join(problems))
        return self

    def _check_direct(self) -> None:
        """A direct methodology: its levels, no likelihood or impact, a stated residual and a complete table."""
        if not self.levels or self.likelihood or self.impact or self.scoring.grid is not None:
            raise ValueError("scoring rule direct rates risks on levels: list them, with no likelihood, impact or grid")
        if self.residual.rule != "stated" or self.residual.fallback:
            raise ValueError("scoring rule direct needs residual rule stated (the register rates the residual itself)")
        table = self.residual.derived
        if table is None:
            return
        levels = [lv.label for lv in self.levels]
        controls = [c.label for c in self.control_effectiveness]
        rank = {label: i for i, label in enumerate(levels)}
        if sorted(table) != sorted(levels):
            raise ValueError(f"residual derived needs one row per level {levels}, got {list(table)}")
        for inherent, row in table.items():
            if sorted(row) != sorted(controls):
                raise ValueError(f"residual derived {quote(inherent)} needs one entry per control effectiveness "
                                 f"{controls}, got {list(row)}")
            for control, residual in row.items():
                if residual not in rank or rank[residual] > rank[inherent]:
                    raise ValueError(f"residual derived {quote(inherent)} with {quote(control)}: {quote(residual)} "
                                     f"must be one of {levels}, no higher than {quote(inherent)}")

    def _check_escalation(self, e: Escalation) -> None:
        names = [*(b.decision_maker for bd in self.bandings.values() for b in bd.bands),
                 *(a for a in (e.above_appetite, e.above_tolerance, e.above_acceptance, e.unavoidable_approver)
                   if a)]
        known = set(e.authorities)
        unknown = sorted({n for n in names if n not in known})
        if unknown:
            raise ValueError(f"escalation: {', '.join(map(repr, unknown))} not among the authorities "
                             f"{e.authorities} (every band's decision maker must be one of them)")
        for key in ("tolerance", "acceptance"):
            self.threshold(key)

    def threshold(self, key: Literal["tolerance", "acceptance"], banding: str | None = None) -> int | None:
        """The highest score within tolerance (or the acceptance level): a score, or a band's top score. A band
        name is looked up in ``banding``, then in the default banding (the one an escalation names its bands in)."""
        value = getattr(self.escalation, key) if self.escalation else None
        if value is None or isinstance(value, int):
            return value
        keys = dict.fromkeys(k for k in (banding, self.default_banding) if k in self.bandings)
        for band in (b for k in keys for b in self.bandings[k].bands):
            if band.name.casefold() == str(value).casefold():
                return band.max
        raise ValueError(f"escalation {key} {quote(value)} is neither a score nor a band of "
                         f"{' or '.join(keys) or self.default_banding}")

    # ---- derived facts ----------------------------------------------------------------------
    @property
    def direct(self) -> bool:
        """Whether risks are rated directly on ``levels`` (no likelihood or impact)."""
        return self.scoring.rule == "direct"

    @cached_property
    def score_grid(self) -> list[list[int]]:
        """Score for every (likelihood, impact) cell, rows by likelihood value 1..n."""
        if self.scoring.rule == "grid":
            return [list(row) for row in self.scoring.grid or []]
        return [[lv.value * iv.value for iv in self.impact] for lv in self.likelihood]

    @cached_property
    def reachable_scores(self) -> list[int]:
        if self.direct:
            return [lv.value for lv in self.levels]
        return sorted({s for row in self.score_grid for s in row})

    def stage(self, which: Literal["inherent", "residual"]) -> str:
        """The source's word for a rating stage, lower case: "residual", Torbay's "final", MOPAC's "current"."""
        return "current" if self.rating_stage == "current" else getattr(self.stages, which)

    @property
    def uses_factor(self) -> bool:
        """Whether a control-effectiveness factor gives a residual (the rule, or the fallback of a re-rating)."""
        return self.residual.rule == "control_factor" or self.residual.fallback == "control_factor"

    def factors_in_words(self) -> str:
        return ", ".join(f"{c.label} {c.factor:.0%}" for c in self.control_effectiveness)

    def factors_provenance(self) -> str:
        """Where the control-effectiveness factors come from, e.g. "not in the guide; set by this suite"."""
        who = self.residual.factors_set_by
        return f"not in {self.source_called}; set by {who}" if who else f"as {self.source_called} gives them"

    def residual_in_words(self) -> str:
        if self.direct:
            levels = ", ".join(lv.label for lv in reversed(self.levels))
            table = ("; a risk without one takes the level the methodology's table gives for its inherent level and "
                     "control effectiveness (not in " + self.source_called + "), or, without an effectiveness "
                     "rating either, its inherent level") if self.residual.derived else \
                "; a risk without one keeps its inherent level"
            return f"rated directly after controls ({levels}), as the register states it" + table
        factor = ("inherent score x the remaining-risk factor of its control effectiveness ("
                  + self.factors_in_words() + f"), rounded ({self.residual.rounding})") \
            if self.control_effectiveness else ""
        if self.residual.rule == "control_factor":
            return factor + "; a risk the register re-rates after controls keeps its re-rating"
        text = "likelihood x impact re-rated after controls, with the same scales"
        return text + (f"; a risk with only a control-effectiveness rating: {factor}" if self.uses_factor else "")

    @property
    def max_score(self) -> int:
        return max(self.reachable_scores)

    def banding(self, key: str | None = None) -> Banding:
        key = key or self.default_banding
        if key not in self.bandings:
            raise MethodologyError(f"methodology {self.name!r} has no banding {quote(key)}; "
                                   f"choose one of {sorted(self.bandings)}")
        return self.bandings[key]

    def band_for(self, score: int, banding: str | None = None) -> Band:
        for band in self.banding(banding).bands:
            if band.min <= score <= band.max:
                return band
        raise MethodologyError(f"score {score} is outside every band of {self.name!r}")

    def scale_lookup(self, axis: Literal["likelihood", "impact"]) -> dict[str, int]:
        """Accepted spellings (value, label, aliases; case-folded) -> level value."""
        lookup: dict[str, int] = {}
        for lv in getattr(self, axis):
            for key in (str(lv.value), lv.label, *lv.aliases):
                lookup[normalise_label(key)] = lv.value
        return lookup

    def level_lookup(self) -> dict[str, int]:
        """A direct methodology's accepted spellings (value, label, aliases; case-folded) -> level value."""
        lookup: dict[str, int] = {}
        for lv in self.levels:
            for key in (str(lv.value), lv.label, *lv.aliases):
                lookup[normalise_label(key)] = lv.value
        return lookup

    def levels_in_words(self) -> str:
        """The direct scale as a register may write it: "High, Medium or Low, also written H, Red, ... or Green"."""
        names = [lv.label for lv in reversed(self.levels)]
        also = [a for lv in reversed(self.levels) for a in lv.aliases]
        spelled = ", ".join(also[:-1]) + f" or {also[-1]}" if len(also) > 1 else "".join(also)
        return ", ".join(names[:-1]) + f" or {names[-1]}" + (f", also written {spelled}" if also else "")

    def derived_residual(self, inherent: int, control: str) -> int | None:
        """The residual level value the derived table gives, or None (no table, or an effectiveness not in it)."""
        table = self.residual.derived or {}
        label = {lv.value: lv.label for lv in self.levels}.get(inherent)
        word = table.get(label or "", {}).get(control)
        return next((lv.value for lv in self.levels if lv.label == word), None)

    def control_lookup(self) -> dict[str, ControlLevel]:
        lookup: dict[str, ControlLevel] = {}
        for lv in self.control_effectiveness:
            for key in (lv.label, *lv.aliases):
                lookup[normalise_label(key)] = lv
        return lookup


class LoadedMethodology(Loaded):
    """A methodology with the provenance every output records."""

    methodology: Methodology


def shipped() -> dict[str, Path]:
    """Shipped methodology names -> files."""
    return shipped_files(SHIPPED_DIR)


def load_methodology(name_or_path: str | Path, base_dir: Path | None = None) -> LoadedMethodology:
    """Load a shipped methodology by name, or the user's own YAML file by path."""
    return LoadedMethodology.load(name_or_path, shipped(), MethodologyError, "methodology", base_dir)


def with_tolerance(loaded: LoadedMethodology, tolerance: int | str | None) -> LoadedMethodology:
    """The methodology with the organisation's own tolerance (a score or band name) in its escalation rule."""
    if tolerance in (None, ""):
        return loaded
    m = loaded.methodology
    if m.escalation is None:
        raise ParameterError(f"tolerance {quote(tolerance)}: {m.title} has no escalation rule saying who acts above "
                             "tolerance; leave the tolerance blank or choose a methodology with one")
    m = m.model_copy(update={"escalation": m.escalation.model_copy(update={"tolerance": tolerance})})
    try:
        m.threshold("tolerance")
    except ValueError:
        bands = ", ".join(b.name for b in m.bandings[m.default_banding].bands)
        raise ParameterError(f"tolerance {quote(tolerance)}: expected a score or one of the bands {bands}") from None
    return loaded.model_copy(update={"methodology": m})


def with_control_factors(loaded: LoadedMethodology, factors: dict[str, float] | None,
                         organisation: str) -> LoadedMethodology:
    """The methodology with the organisation's own control-effectiveness factors: each rating of its scale (by label
    or alias) -> the share of the inherent score that remains, in percent. Every rating is given once, and a
    less effective rating never leaves less risk than a more effective one."""
    if not factors:
        return loaded
    m = loaded.methodology
    what = "control_factors"
    if not m.control_effectiveness or m.direct:
        raise ParameterError(f"{what}: {m.title} has no control-effectiveness factors (it rates the residual "
                             "directly); leave them blank")
    lookup = m.control_lookup()
    shares: dict[str, float] = {}
    for word, share in factors.items():
        level = lookup.get(normalise_label(str(word)))
        if level is None:
            raise ParameterError(f"{what}: {quote(word)} is not a control-effectiveness rating of {m.name}; expected "
                                 + ", ".join(c.label for c in m.control_effectiveness))
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 100:
            raise ParameterError(f"{what}: {level.label} {quote(share)}: expected a percentage above 0, at most 100")
        if level.label in shares:
            raise ParameterError(f"{what}: {level.label} is given twice")
        shares[level.label] = share / 100
    missing = [c.label for c in m.control_effectiveness if c.label not in shares]
    if missing:
        raise ParameterError(f"{what}: give a percentage for every rating; missing: {', '.join(missing)}")
    levels = [c.model_copy(update={"factor": shares[c.label]}) for c in m.control_effectiveness]
    if any(a.factor > b.factor for a, b in zip(levels, levels[1:], strict=False)):
        raise ParameterError(f"{what}: a less effective rating may not leave less risk than a more effective one; "
                             "got " + ", ".join(f"{c.label} {c.factor:.0%}" for c in levels))
    residual = m.residual.model_copy(update={"factors_set_by": organisation or "this organisation"})
    m = m.model_copy(update={"control_effectiveness": levels, "residual": residual})
    return loaded.model_copy(update={"methodology": m})
