"""The rules of combined assurance: which risks are in scope, what coverage each needs, what coverage it has.

Coverage of a risk is the first of the framework's levels (strongest first) with a condition the risk's
assurance meets; the last level has none and catches the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from workbook_lib.assessments.assurance.model import APPETITE_SCOPE, AssuranceFramework, Condition
from workbook_lib.assessments.risk.methodology import Band
from workbook_lib.core.params import ParameterError


# ---- scope -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScopeRule:
    kind: Literal["appetite", "score", "all"]
    min_score: int | None
    label: str


def resolve_scope(value: int | str | None, framework: AssuranceFramework,
                  bands: list[Band] | None = None) -> ScopeRule:
    """'appetite', a band name (that band and above) or a residual score (that score and above)."""
    source = "scope_min_residual"
    if value is None or (isinstance(value, str) and value.strip() == ""):
        value, source = framework.scope.default, "framework scope.default"
    if isinstance(value, bool):
        raise ParameterError(f"{source} {value!r}: expected 'appetite', a level name or a residual score")
    text = str(value).strip()
    if text.casefold() == APPETITE_SCOPE:
        return ScopeRule("appetite", None, "residual risk above appetite")
    if isinstance(value, int) or text.isdigit():
        score = int(text)
        top = max(b.max for b in bands) if bands else None
        if score < 1 or (top is not None and score > top):
            raise ParameterError(f"{source} {value!r}: expected a residual score 1-{top or '...'}, "
                                 f"a level name or 'appetite'")
        return ScopeRule("score", score, f"residual score {score} or above")
    names = {b.name.casefold(): b for b in bands or []}
    band = names.get(text.casefold())
    if band is None:
        options = ", ".join(b.name for b in bands or []) or "(no banding known)"
        raise ParameterError(f"{source} {value!r}: expected 'appetite', a residual score or one of the "
                             f"level names {options}")
    return ScopeRule("score", band.min, f"residual level {band.name} or above (score {band.min}+)")


# ---- required coverage ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RequiredRule:
    by: Literal["residual_level", "appetite"]
    mapping: dict[str, str]  # level name -> coverage, or "above"/"within" -> coverage
    label: str

    @property
    def by_words(self) -> str:
        """What the required coverage follows, in words."""
        return "the residual level" if self.by == "residual_level" else "the position against the appetite"


def resolve_required(framework: AssuranceFramework, required_by: str = "residual_level",
                     level_names: list[str] | None = None,
                     override: dict[str, str] | None = None) -> tuple[RequiredRule, list[str]]:
    """The required coverage mapping, checked; warnings say when a banding was mapped by rank."""
    names = framework.targets()  # inadequate and none are never a target: that cover must be addressed
    warnings: list[str] = []
    if required_by not in ("residual_level", "appetite"):
        raise ParameterError(f"required_by {required_by!r}: expected residual_level or appetite")
    if override:
        bad = {k: v for k, v in override.items() if v not in names}
        if bad:
            never = [lv.name for lv in framework.coverage if not lv.target]
            raise ParameterError(f"required_coverage {bad}: values must be coverage levels a risk may be required "
                                 f"to have ({', '.join(names)}); {', '.join(never)} coverage is never a target")
    if required_by == "appetite":
        mapping = {"above": framework.required.appetite.above, "within": framework.required.appetite.within}
        if override:
            unknown = set(override) - {"above", "within"}
            if unknown:
                raise ParameterError(f"required_coverage keys {sorted(unknown)}: with required_by: appetite "
                                     f"use 'above' and 'within'")
            mapping.update(override)
        return RequiredRule("appetite", mapping, f"above appetite: {mapping['above']}; "
                                                 f"within appetite: {mapping['within']}"), warnings
    levels = list(level_names or [])
    if override:
        folded = {k.casefold(): v for k, v in override.items()}
        unknown = sorted(set(folded) - {n.casefold() for n in levels}) if levels else []
        if unknown:
            raise ParameterError(f"required_coverage names levels {unknown} that the banding does not have "
                                 f"({', '.join(levels)})")
        missing = [n for n in levels if n.casefold() not in folded]
        if missing:
            raise ParameterError(f"required_coverage must map every residual level; missing {', '.join(missing)}")
        mapping = {n: folded[n.casefold()] for n in levels} if levels else dict(override)
    elif not levels or all(n in framework.required.residual_level for n in levels):
        mapping = dict(framework.required.residual_level) if not levels else {
            n: framework.required.residual_level[n] for n in levels}
    else:
        ranked = framework.required.by_rank
        mapping = {n: ranked[min(i, len(ranked) - 1)] for i, n in enumerate(reversed(levels))}
        warnings.append("The framework's required coverage names the levels "
                        f"{', '.join(framework.required.residual_level)}; this banding's levels were mapped by "
                        f"rank instead: " + ", ".join(f"{k} {v}" for k, v in mapping.items()) + ".")
    label = "; ".join(f"{k}: {v}" for k, v in mapping.items())
    return RequiredRule("residual_level", mapping, label), warnings


# ---- coverage ----------------------------------------------------------------------------------------
def coverage_level(assurances: Iterable[tuple[int, bool, float]], framework: AssuranceFramework) -> str:
    """Coverage of one risk from (line, independent, activities a year) of each activity that assures it.

    Every activity counts on its own, so a provider with several controls on the risk counts at its most
    frequent one; activities a year of 0 (blank frequency) count for nothing.
    """
    given = [(int(line), bool(ind), float(per_year)) for line, ind, per_year in assurances]
    for level in framework.coverage:
        if not level.any_of or any(_meets(c, given, framework) for c in level.any_of):
            return level.name
    return framework.coverage[-1].name  # pragma: no cover - the last level has no conditions


def _meets(cond: Condition, given: list[tuple[int, bool, float]], framework: AssuranceFramework) -> bool:
    floor = framework.frequency(cond.min_frequency).per_year if cond.min_frequency else 0.0
    counted = [(line, ind) for line, ind, per_year in given if per_year > 0 and per_year >= floor]
    if cond.independent and not any(ind for _, ind in counted):
        return False
    return len({line for line, _ in counted}) >= cond.min_lines


def coverage_levels(assuring: pd.DataFrame, risk_ids: pd.Index, framework: AssuranceFramework) -> pd.Series:
    """Coverage per risk for many risks at once (the vectorised form of coverage_level)."""
    result = pd.Series(framework.coverage[-1].name, index=risk_ids, dtype=object)
    decided = pd.Series(False, index=risk_ids)
    for level in framework.coverage[:-1]:
        ok = pd.Series(False, index=risk_ids)
        for cond in level.any_of:
            floor = framework.frequency(cond.min_frequency).per_year if cond.min_frequency else 0.0
            rows = assuring[assuring["per_year"] >= floor]
            lines = rows.groupby("risk_id")["line"].nunique().reindex(risk_ids, fill_value=0)
            meets = lines >= cond.min_lines
            if cond.independent:
                ind = rows.groupby("risk_id")["independent"].any().reindex(risk_ids, fill_value=False)
                meets &= ind.astype(bool)
            ok |= meets
        take = ok & ~decided
        result[take] = level.name
        decided |= ok
    return result


def needed_to_close(required: str, lines: list[int], independent: bool, framework: AssuranceFramework) -> str:
    """What is missing for the required coverage, in words (from the level's first condition)."""
    level = framework.level(required)
    if not level.any_of:
        return ""
    cond = level.any_of[0]
    parts = []
    add_line = 0
    if cond.independent and not independent:
        parts.append("an independent third-line provider")
        add_line = 1 if not any(framework.line(n).independence == "full" for n in lines) else 0
    more = cond.min_lines - len(lines) - add_line
    if more > 0:
        parts.append(f"assurance from {more}{' more' if lines else ''} line{'s' if more > 1 else ''}")
    text = " and ".join(parts) or "more frequent assurance"
    if cond.min_frequency:
        text += f", at least {framework.frequency(cond.min_frequency).name}"
    return f"add {text}"


