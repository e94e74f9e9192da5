"""Combined-assurance gap analysis: who assures which risk, how well, where the gaps and overlaps are.

The analysis takes a risk evaluation (or a frame with its columns) and a validated assurance map, and never
scores risks itself. Nothing is dropped silently: map rows the register does not hold, risks in scope the map
does not mention and rows without a frequency are kept and named in the warnings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbook_lib.assessments.assurance.inputs import AssuranceMap, PlanSettings, empty_map
from workbook_lib.assessments.assurance.model import (
    WHOLE_RISK,
    AssuranceFramework,
    LoadedFramework,
    load_assurance_framework,
)
from workbook_lib.assessments.assurance.providers import Provider, merge_providers
from workbook_lib.assessments.assurance.rules import (
    RequiredRule,
    ScopeRule,
    coverage_levels,
    needed_to_close,
    resolve_required,
    resolve_scope,
)
from workbook_lib.assessments.risk.methodology import Band
from workbook_lib.assessments.risk.scoring import RiskEvaluation
from workbook_lib.core.datafiles import normalise_label
from workbook_lib.core.params import ParameterError


@dataclass
class CombinedAssurance:
    """The analysis: one frame per view (risks, controls, duplications, workload) and the rules applied."""

    framework: LoadedFramework
    providers: list[Provider]
    risks: pd.DataFrame  # one row per register risk, highest residual first
    map: AssuranceMap
    controls: pd.DataFrame  # one row per (risk, control) in the map
    duplications: pd.DataFrame
    workload: pd.DataFrame  # one row per provider
    not_in_register: pd.DataFrame  # map rows whose risk the register does not hold
    not_mapped: pd.DataFrame  # risks in scope with no row in the map
    scope: ScopeRule
    required: RequiredRule
    duplication_threshold: int
    duplication_frequency: str
    maturity_status: str | None
    warnings: list[str]
    level_names: list[str] = field(default_factory=list)  # residual levels, lowest first
    evaluation: RiskEvaluation | None = None
    plan: PlanSettings | None = None

    @property
    def in_scope(self) -> pd.DataFrame:
        return self.risks[self.risks["in_scope"]]

    @property
    def gaps(self) -> pd.DataFrame:
        return self.risks[self.risks["gap"]]


RISK_VIEW = ["risk_id", "residual_score", "residual_level", "above_appetite", "in_scope", "lines", "providers",
             "controls", "coverage", "required_coverage", "gap", "needed"]
RISK_EXTRAS = ("description", "category", "owner")
CONTROL_COLUMNS = ["risk_id", "control", "in_register", "in_scope", "providers", "frequencies", "lines",
                   "assured_by", "at_or_above_threshold", "duplicated", "duplicating"]
WORKLOAD_COLUMNS = ["provider", "name", "line", "independent", "source", "controls_assured", "risks_covered",
                    "in_scope_risks_covered", "events_per_year"]


def analyse(risks: RiskEvaluation | pd.DataFrame, assurance_map: AssuranceMap | None,
            framework: LoadedFramework | None = None, providers: list[Provider] | None = None, *,
            scope_min_residual: int | str | None = None, required_by: str = "residual_level",
            required_coverage: dict[str, str] | None = None, duplication_threshold: int | None = None,
            duplication_frequency: str | None = None, maturity_status: str | None = None,
            bands: list[Band] | None = None) -> CombinedAssurance:
    """Coverage, required coverage and gaps per risk, duplication per control, workload per provider.

    ``risks``: a RiskEvaluation, or a frame with risk_id, residual_score, residual_level and
    above_appetite (then ``bands`` gives the banding, needed for level names in scope and mapping).
    """
    loaded = framework or load_assurance_framework()
    fw = loaded.framework
    providers = providers if providers is not None else merge_providers(fw, None)
    frame, evaluation, bands = _risk_frame(risks, bands)
    level_names = [b.name for b in sorted(bands, key=lambda b: b.min)] if bands else sorted(
        {str(v) for v in frame["residual_level"].dropna()})
    warnings: list[str] = list(evaluation.warnings) if evaluation is not None else []

    status = _maturity(fw, maturity_status, warnings)
    scope = resolve_scope(scope_min_residual, fw, bands)
    required, req_warnings = resolve_required(fw, required_by, level_names if bands else None, required_coverage)
    warnings += req_warnings
    dup_n, dup_code = _duplication_rule(fw, duplication_threshold, duplication_frequency)

    amap = assurance_map if assurance_map is not None else empty_map()
    if assurance_map is None:
        warnings.append("No assurance map was given: every risk shows no assurance.")
    mframe = amap.frame
    in_register = mframe["risk_id"].isin(set(frame["risk_id"].astype(str)))

    base, scope = _per_risk(frame, mframe, in_register, providers, fw, scope, required, warnings)
    controls = _per_control(mframe, in_register, base, fw, dup_code, dup_n)
    duplications = controls[controls["duplicated"]].reset_index(drop=True)
    workload = _workload(mframe, base, providers)
    not_in_register, not_mapped = _reconcile(mframe, in_register, base, warnings)

    return CombinedAssurance(
        framework=loaded, providers=providers, risks=base, map=amap, controls=controls,
        duplications=duplications, workload=workload, not_in_register=not_in_register, not_mapped=not_mapped,
        scope=scope, required=required, duplication_threshold=dup_n, duplication_frequency=dup_code,
        maturity_status=status, warnings=warnings, level_names=level_names, evaluation=evaluation)


def _some(values: Iterable[Any], limit: int = 20) -> str:
    """Values for a warning: all of them, or the first ``limit`` and how many more."""
    items = [str(v) for v in values]
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f" and {more} more" if more > 0 else "")


# ---- settings --------------------------------------------------------------------------------------
def _risk_frame(risks: RiskEvaluation | pd.DataFrame,
                bands: list[Band] | None) -> tuple[pd.DataFrame, RiskEvaluation | None, list[Band] | None]:
    """The risks frame, the evaluation it came from (if any) and its banding; ValueError when unusable."""
    evaluation = None
    if isinstance(risks, pd.DataFrame):
        frame = risks
    else:
        evaluation = risks
        frame = risks.risks
        m = risks.methodology.methodology
        bands = list(m.banding(risks.banding).bands)
    missing = [c for c in ("risk_id", "residual_score", "residual_level", "above_appetite") if c not in frame]
    if missing:
        raise ValueError(f"the risks frame lacks {', '.join(missing)}")
    if frame["risk_id"].duplicated().any():
        raise ValueError("the risks frame repeats risk IDs: " + _some(frame.loc[frame["risk_id"].duplicated(),
                                                                                 "risk_id"].unique()))
    return frame, evaluation, bands


def _maturity(fw: AssuranceFramework, maturity_status: str | None, warnings: list[str]) -> str | None:
    """The canonical maturity status; a warning when the guide expects independent assurance only."""
    status = fw.maturity_status(maturity_status)
    if status in fw.maturity.independent_only:
        warnings.append(f"Maturity status {status}: the guide applies combined assurance to integrated and "
                        f"risk-intelligent municipalities; at this status it expects reliance on independent "
                        f"assurance (internal and external audit) only. Read the coverage below with that in mind.")
    return status


def _duplication_rule(fw: AssuranceFramework, threshold: int | None, frequency: str | None) -> tuple[int, str]:
    """(providers allowed, frequency code): a control is duplicated above that many at that frequency or more."""
    dup_n = fw.duplication.max_providers if threshold is None else int(threshold)
    if dup_n < 1:
        raise ParameterError(f"duplication_threshold {threshold!r}: expected a whole number of 1 or more")
    dup_code = fw.duplication.min_frequency
    if frequency is not None:
        found = fw.frequency_lookup().get(normalise_label(str(frequency)))
        if found is None:
            raise ParameterError(f"duplication_frequency {frequency!r}: expected one of "
                                 + ", ".join(f.label for f in fw.frequencies))
        dup_code = found.code
    return dup_n, dup_code


# ---- per risk --------------------------------------------------------------------------------------
def _per_risk(frame: pd.DataFrame, mframe: pd.DataFrame, in_register: pd.Series, providers: list[Provider],
              fw: AssuranceFramework, scope: ScopeRule, required: RequiredRule,
              warnings: list[str]) -> tuple[pd.DataFrame, ScopeRule]:
    """One row per register risk (highest residual first) and the scope rule as applied."""
    base = _risk_base(frame)
    score = base["residual_score"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    rated = ~np.isnan(score)
    above = base["above_appetite"].map(lambda v: v is True or v is np.True_)
    appetite_known = base["above_appetite"].map(lambda v: v is not None and not pd.isna(v))
    scope = _place_in_scope(base, scope, score, rated, above, appetite_known, warnings)
    independent = _add_assurance(base, mframe, in_register, providers, fw)
    _add_required(base, required, above, appetite_known, independent, fw, warnings)
    base["_score"] = np.where(rated, score, -np.inf)
    base = base.sort_values("_score", ascending=False, kind="stable").drop(columns="_score").reset_index(drop=True)
    cols = RISK_VIEW + [c for c in RISK_EXTRAS if c in base]
    return base[[c for c in cols if c in base]], scope


def _risk_base(frame: pd.DataFrame) -> pd.DataFrame:
    """The register's risks with their residual rating, in the register's order."""
    base = pd.DataFrame({
        "risk_id": frame["risk_id"].astype(str).to_numpy(),
        "residual_score": pd.array(pd.to_numeric(frame["residual_score"], errors="coerce"), dtype="Int64"),
        "residual_level": pd.Series(frame["residual_level"].to_numpy(dtype=object), dtype=object),
        "above_appetite": pd.Series(frame["above_appetite"].to_numpy(dtype=object), dtype=object),
    })
    for extra in RISK_EXTRAS:
        if extra in frame:
            base[extra] = frame[extra].to_numpy(dtype=object)
    return base


def _place_in_scope(base: pd.DataFrame, scope: ScopeRule, score: np.ndarray, rated: np.ndarray, above: pd.Series,
                    appetite_known: pd.Series, warnings: list[str]) -> ScopeRule:
    """Set ``in_scope``; without any appetite, 'above appetite' becomes every rated risk (and says so)."""
    if scope.kind == "appetite":
        if rated.any() and not appetite_known[rated].any():
            scope = ScopeRule("all", None, "every rated risk (no risk appetite was given)")
            warnings.append("Scope is 'above appetite' but no risk appetite was given: every rated risk is in "
                            "scope.")
            in_scope = pd.Series(rated, index=base.index)
        else:
            in_scope = above & rated
    else:
        in_scope = pd.Series(rated & (np.nan_to_num(score, nan=-1) >= (scope.min_score or 0)), index=base.index)
    base["in_scope"] = in_scope.astype(bool)
    unrated = base.loc[~rated, "risk_id"].tolist()
    if unrated:
        warnings.append(f"{len(unrated)} risk(s) are not rated and cannot be placed in or out of scope: "
                        f"{_some(unrated)}.")
    return scope


def _add_assurance(base: pd.DataFrame, mframe: pd.DataFrame, in_register: pd.Series, providers: list[Provider],
                   fw: AssuranceFramework) -> pd.Series:
    """Set coverage, lines, providers and controls per risk; return whether an independent provider assures it."""
    assuring = mframe[(mframe["per_year"] > 0) & in_register]
    base["coverage"] = coverage_levels(assuring, pd.Index(base["risk_id"]), fw).to_numpy()
    order = {p.id: i for i, p in enumerate(providers)}
    ordered = assuring.assign(_o=assuring["provider"].map(order)).sort_values(["line", "_o"], kind="stable")
    lines: dict[str, set[int]] = {}
    provs: dict[str, dict[str, None]] = {}
    for rid, line, pid in zip(ordered["risk_id"].tolist(), ordered["line"].tolist(), ordered["provider"].tolist(),
                              strict=True):
        lines.setdefault(rid, set()).add(int(line))
        provs.setdefault(rid, {})[pid] = None
    controls = mframe[in_register].assign(_c=mframe["control"].map(normalise_label)).groupby("risk_id")["_c"]
    base["lines"] = [sorted(lines.get(r, ())) for r in base["risk_id"].tolist()]
    base["providers"] = [list(provs.get(r, {})) for r in base["risk_id"].tolist()]
    base["controls"] = base["risk_id"].map(controls.nunique()).fillna(0).astype(int)
    return ordered.groupby("risk_id")["independent"].any()


def _add_required(base: pd.DataFrame, required: RequiredRule, above: pd.Series, appetite_known: pd.Series,
                  independent: pd.Series, fw: AssuranceFramework, warnings: list[str]) -> None:
    """Set required coverage, gap and what would close it for the risks in scope."""
    if required.by == "appetite":
        unknown = base["in_scope"] & ~appetite_known
        if unknown.any():
            warnings.append("No appetite applies to " + _some(base.loc[unknown, "risk_id"]) +
                            "; their required coverage is taken as within appetite.")
        req = np.where(above, required.mapping["above"], required.mapping["within"])
    else:
        req = base["residual_level"].map(lambda v: required.mapping.get(v) if isinstance(v, str) else None)
        req = req.to_numpy(dtype=object)
    base["required_coverage"] = pd.Series(np.where(base["in_scope"], req, None), index=base.index, dtype=object)
    unmapped_level = base["in_scope"] & base["required_coverage"].isna()
    if unmapped_level.any():
        warnings.append("No required coverage is set for the residual level of "
                        + _some(base.loc[unmapped_level, "risk_id"]) + "; no gap can be judged for them.")
    rank = {lv.name: fw.rank(lv.name) for lv in fw.coverage}
    base["gap"] = [bool(s and r is not None and rank[c] < rank[r]) for s, c, r in
                   zip(base["in_scope"], base["coverage"], base["required_coverage"], strict=True)]
    base["needed"] = [
        needed_to_close(r, ln, bool(independent.get(rid, False)), fw) if g else ""
        for rid, g, r, ln in zip(base["risk_id"], base["gap"], base["required_coverage"], base["lines"], strict=True)]


# ---- per control: duplication ----------------------------------------------------------------------
def _per_control(mframe: pd.DataFrame, in_register: pd.Series, base: pd.DataFrame, fw: AssuranceFramework,
                 dup_code: str, dup_n: int) -> pd.DataFrame:
    """One row per (risk, control) in the map: who assures it, how often, and whether that is duplication."""
    scope_of = dict(zip(base["risk_id"], base["in_scope"], strict=True))
    keys = ["risk_id", "control_key"]
    ctl = mframe.assign(control_key=mframe["control"].map(normalise_label), in_register=in_register.to_numpy())
    controls = ctl.groupby(keys, sort=False).agg(control=("control", "first"),
                                                 in_register=("in_register", "first")).reset_index()
    found = _control_activity(ctl[ctl["per_year"] > 0], fw.frequency(dup_code).per_year)
    blank = {"providers": [], "frequencies": [], "lines": set(), "strong": []}
    entries = [found.get((rid, key), blank) for rid, key in
               zip(controls["risk_id"].tolist(), controls["control_key"].tolist(), strict=True)]
    controls["providers"] = [e["providers"] for e in entries]
    controls["frequencies"] = [e["frequencies"] for e in entries]
    controls["lines"] = [sorted(e["lines"]) for e in entries]
    controls["assured_by"] = [len(e["providers"]) for e in entries]
    controls["at_or_above_threshold"] = [len(e["strong"]) for e in entries]
    controls["strong_providers"] = [e["strong"] for e in entries]
    controls["control"] = controls["control"].map(lambda v: v or WHOLE_RISK)
    controls["in_scope"] = controls["risk_id"].map(scope_of).fillna(False).astype(bool)
    controls["duplicated"] = controls["at_or_above_threshold"] > dup_n
    controls["duplicating"] = [v if d else [] for v, d in
                               zip(controls["strong_providers"], controls["duplicated"], strict=True)]
    return controls[CONTROL_COLUMNS]


def _control_activity(active: pd.DataFrame, floor: float) -> dict[tuple[str, str], dict[str, list]]:
    """(risk, control key) -> providers, frequencies and lines of its activities (most frequent first), and the
    providers at or above ``floor`` activities a year."""
    act = active.sort_values("per_year", ascending=False, kind="stable")
    found: dict[tuple[str, str], dict[str, list]] = {}
    columns = ("risk_id", "control_key", "provider", "frequency", "line", "per_year")
    for rid, key, pid, code, line, per_year in zip(*(act[c].tolist() for c in columns), strict=True):
        entry = found.setdefault((rid, key), {"providers": [], "frequencies": [], "lines": set(), "strong": []})
        entry["providers"].append(pid)
        entry["frequencies"].append(code)
        entry["lines"].add(int(line))
        if per_year >= floor:
            entry["strong"].append(pid)
    return found


# ---- per provider: workload ------------------------------------------------------------------------
def _workload(mframe: pd.DataFrame, base: pd.DataFrame, providers: list[Provider]) -> pd.DataFrame:
    """One row per provider: controls and risks it assures, and its assurance events a year."""
    active = mframe[mframe["per_year"] > 0].assign(control_key=lambda d: d["control"].map(normalise_label))
    in_scope_ids = set(base.loc[base["in_scope"], "risk_id"])
    work = []
    for p in providers:
        rows = active[active["provider"] == p.id]
        work.append({
            "provider": p.id, "name": p.name, "line": p.line, "independent": p.independent, "source": p.source,
            "controls_assured": int(rows[["risk_id", "control_key"]].drop_duplicates().shape[0]),
            "risks_covered": int(rows["risk_id"].nunique()),
            "in_scope_risks_covered": int(rows.loc[rows["risk_id"].isin(in_scope_ids), "risk_id"].nunique()),
            "events_per_year": float(rows["per_year"].sum()),
        })
    return pd.DataFrame(work, columns=WORKLOAD_COLUMNS)


# ---- reconciliation: never drop a row or a risk silently -------------------------------------------
def _reconcile(mframe: pd.DataFrame, in_register: pd.Series, base: pd.DataFrame,
               warnings: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Map rows the register does not hold and risks in scope the map does not mention, each warned about."""
    not_in_register = mframe[~in_register].reset_index(drop=True)
    if len(not_in_register):
        ids_missing = list(dict.fromkeys(not_in_register["risk_id"]))
        warnings.append(f"{len(not_in_register)} map row(s) name risks the register does not hold: "
                        f"{_some(ids_missing)}; they count for workload and duplication, not for coverage.")
    mapped_ids = set(mframe["risk_id"])
    not_mapped = base[base["in_scope"] & ~base["risk_id"].isin(mapped_ids)][
        ["risk_id", "residual_score", "residual_level", "required_coverage"]].reset_index(drop=True)
    if len(not_mapped):
        warnings.append(f"{len(not_mapped)} risk(s) in scope have no row in the assurance map: "
                        f"{_some(not_mapped['risk_id'])}.")
    blank = mframe[mframe["per_year"] == 0]
    if len(blank):
        warnings.append(f"{len(blank)} map row(s) list a provider without a frequency (no activity): row(s) "
                        f"{_some(blank['row'])}.")
    return not_in_register, not_mapped
