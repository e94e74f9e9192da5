"""Combined-assurance gap analysis: who assures which key control of which risk, how well, where the gaps and
overlaps are, and (given delivery records) what was delivered against the plan each quarter.

The analysis takes a risk evaluation (or a frame with its columns) and a validated assurance map, and never
scores risks itself. Coverage is judged per key control; a risk takes its weakest key control's. Nothing is
dropped silently: map rows the register does not hold, risks in scope the map does not mention, rows without a
frequency or provider, and the register's controls the map does not name (and the reverse) are kept and named
in the warnings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbook_lib.assessments.assurance.inputs import AssuranceMap, Delivery, PlanSettings, empty_map
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

# ---- assurance delivered per quarter against the plan ----------------------------------------------
# An activity of the map at least as frequent as the framework's delivery.every_quarter is expected in every
# quarter reported; a less frequent one only in the quarters its delivery records name (the map does not say
# which quarter an annual review falls in). An expected activity without a record is "no report".
NO_REPORT = "no report"
MISSED = ("not delivered", NO_REPORT)
ACTIVITY_COLUMNS = ["quarter", "risk_id", "control", "provider", "frequency", "in_plan", "expected", "status",
                    "finding", "date"]
LEFT_COLUMNS = ["quarter", "risk_id", "residual_level", "in_scope", "coverage", "not_delivered", "not_reported",
                "missed"]
ACTION_COLUMNS = ["quarter", "risk_id", "control", "provider", "status", "finding", "corrective_action", "action_due",
                  "overdue"]
NO_ACTION = "(no corrective action recorded)"


@dataclass
class DeliveryReview:
    """The quarters reported, each planned (or reported) activity's status, the risks left short and the actions."""

    file: str
    quarters: list[str]
    activities: pd.DataFrame  # one row per quarter and activity expected or reported
    left_without: pd.DataFrame  # one row per quarter and risk with expected assurance not delivered or not reported
    actions: pd.DataFrame  # corrective actions recorded, and assurance not delivered that has none
    as_of: dt.date | None = None
    warnings: list[str] = field(default_factory=list)

    def counts(self, quarter: str) -> dict[str, int]:
        """Expected activities of a quarter by status (planned, delivered, not delivered, no report)."""
        a = self.activities
        found = a[(a["quarter"] == quarter) & a["expected"]]["status"].value_counts()
        return {s: int(found.get(s, 0)) for s in ("planned", "delivered", "not delivered", NO_REPORT)}


def review_delivery(delivery: Delivery, mframe: pd.DataFrame, base: pd.DataFrame, fw: AssuranceFramework,
                    providers: list[Provider], as_of: dt.date | None) -> DeliveryReview:
    """Each reported quarter's expected activities with their status, the risks left short and the actions due."""
    spec = fw.delivery
    d = delivery.frame
    quarters = [q for q in spec.quarters if q in set(d["quarter"])]
    names = {p.id: p.name for p in providers}
    floor = fw.frequency(spec.every_quarter).per_year
    plan = mframe[(mframe["provider"] != "") & (mframe["per_year"] > 0)]
    plan = plan.assign(control_key=plan["control"].map(normalise_label))[
        ["risk_id", "control_key", "control", "provider", "frequency", "per_year"]]
    recs = d.rename(columns={"control": "control_given"})
    keys = ["risk_id", "control_key", "provider"]
    parts = []
    for q in quarters:
        m = plan.merge(recs[recs["quarter"] == q].drop(columns="quarter"), on=keys, how="outer", indicator=True)
        m["quarter"] = q
        m["in_plan"] = m["_merge"] != "right_only"
        m["expected"] = m["in_plan"] & ((m["per_year"].fillna(0) >= floor) | (m["_merge"] == "both"))
        parts.append(m[m["expected"] | ~m["in_plan"]])
    cols = [*ACTIVITY_COLUMNS, "action", "action_due", "action_due_value"]
    act = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*cols, "control_given"])
    act["control"] = act["control"].fillna(act["control_given"]).map(lambda v: v if isinstance(v, str) and v else
                                                                     WHOLE_RISK)
    act["status"] = act["status"].fillna(NO_REPORT)
    act["provider"] = act["provider"].map(lambda p: names.get(p, p))
    for col in ("frequency", "finding", "date", "action", "action_due"):
        act[col] = act[col].fillna("")
    act["in_plan"] = act["in_plan"].astype(bool)
    act["expected"] = act["expected"].astype(bool)
    order = {rid: i for i, rid in enumerate(base["risk_id"])}
    act = act.assign(_q=act["quarter"].map(spec.quarters.index), _o=act["risk_id"].map(order).fillna(len(order)))
    act = act.sort_values(["_q", "_o"], kind="stable").reset_index(drop=True)
    review = DeliveryReview(delivery.file, quarters, act[ACTIVITY_COLUMNS], _left_without(act, base),
                            _actions(act, as_of), as_of)
    review.warnings = _warnings(review, act)
    return review


def _left_without(act: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    """Per quarter and risk, the expected activities not delivered or not reported."""
    short = act[act["expected"] & act["status"].isin(MISSED)]
    by_risk = base.set_index("risk_id")
    rows = []
    for (quarter, rid), part in short.groupby(["quarter", "risk_id"], sort=False):
        known = rid in by_risk.index
        rows.append({
            "quarter": quarter, "risk_id": rid,
            "residual_level": by_risk.at[rid, "residual_level"] if known else None,
            "in_scope": bool(by_risk.at[rid, "in_scope"]) if known else False,
            "coverage": by_risk.at[rid, "coverage"] if known else None,
            "not_delivered": int((part["status"] == "not delivered").sum()),
            "not_reported": int((part["status"] == NO_REPORT).sum()),
            "missed": "; ".join(f"{r.control} / {r.provider} ({r.status})" for r in part.itertuples(index=False))})
    return pd.DataFrame(rows, columns=LEFT_COLUMNS)


def _actions(act: pd.DataFrame, as_of: dt.date | None) -> pd.DataFrame:
    """Corrective actions recorded, and every activity not delivered (without an action it says so), due first."""
    rows = act[(act["action"] != "") | (act["status"] == "not delivered")].copy()
    rows["corrective_action"] = rows["action"].map(lambda v: v or NO_ACTION)
    due = rows["action_due_value"]
    rows["overdue"] = [bool(as_of is not None and isinstance(d, dt.date) and d < as_of) for d in due]
    rows["_d"] = [d if isinstance(d, dt.date) else dt.date.max for d in due]
    rows = rows.sort_values(["_d"], kind="stable")
    return rows[ACTION_COLUMNS].reset_index(drop=True)


def _warnings(review: DeliveryReview, act: pd.DataFrame) -> list[str]:
    found: list[str] = []
    for q in review.quarters:
        n = review.counts(q)
        left = review.left_without[review.left_without["quarter"] == q]
        if n["not delivered"] or n[NO_REPORT]:
            found.append(f"{q}: {n['not delivered']} planned assurance activit"
                         f"{'y' if n['not delivered'] == 1 else 'ies'} not delivered and {n[NO_REPORT]} not "
                         f"reported, leaving {len(left)} risk(s) without the assurance planned: "
                         f"{', '.join(left['risk_id'])}.")
    unplanned = act[~act["in_plan"]]
    if len(unplanned):
        found.append(f"{len(unplanned)} delivery record(s) name assurance the map does not plan: "
                     + ", ".join(f"{r.quarter} {r.risk_id} / {r.control} / {r.provider}"
                                 for r in unplanned.head(20).itertuples(index=False)) + ".")
    a = review.actions
    missing = int(((a["status"] == "not delivered") & (a["corrective_action"] == NO_ACTION)).sum())
    if missing:
        found.append(f"{missing} assurance activit{'y' if missing == 1 else 'ies'} not delivered without a "
                     f"corrective action recorded.")
    overdue = int(a["overdue"].sum())
    if overdue:
        found.append(f"{overdue} corrective action(s) overdue at {review.as_of:%Y-%m-%d}.")
    return found



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
    key_controls: pd.DataFrame  # one row per key control of a register risk, with its coverage
    register_controls: pd.DataFrame  # the register's controls reconciled with the map's key controls
    scope: ScopeRule
    required: RequiredRule
    duplication_threshold: int
    duplication_frequency: str
    maturity_status: str | None
    warnings: list[str]
    level_names: list[str] = field(default_factory=list)  # residual levels, lowest first
    evaluation: RiskEvaluation | None = None
    plan: PlanSettings | None = None
    delivery: DeliveryReview | None = None  # the quarters reported against the plan

    @property
    def in_scope(self) -> pd.DataFrame:
        return self.risks[self.risks["in_scope"]]

    @property
    def gaps(self) -> pd.DataFrame:
        return self.risks[self.risks["gap"]]


RISK_VIEW = ["risk_id", "residual_score", "residual_level", "above_appetite", "in_scope", "lines", "providers",
             "controls", "weakest_control", "coverage", "required_coverage", "gap", "needed"]
KEY_CONTROL_COLUMNS = ["risk_id", "control", "in_scope", "providers", "lines", "coverage", "required_coverage",
                       "below_required"]
REGISTER_CONTROL_COLUMNS = ["risk_id", "control", "in_scope", "in_register", "in_map", "finding"]
RISK_EXTRAS = ("description", "category", "owner", "status")  # status: the evaluated register's (open, closed...)
CLOSED = ("closed", "eliminated")  # a risk of the register listed, never scored: out of scope by its status
CONTROL_COLUMNS = ["risk_id", "control", "in_register", "in_scope", "providers", "frequencies", "lines",
                   "assured_by", "at_or_above_threshold", "duplicated", "duplicating"]
WORKLOAD_COLUMNS = ["provider", "name", "line", "independent", "source", "controls_assured", "risks_covered",
                    "in_scope_risks_covered", "events_per_year"]


def analyse(risks: RiskEvaluation | pd.DataFrame, assurance_map: AssuranceMap | None,
            framework: LoadedFramework | None = None, providers: list[Provider] | None = None, *,
            scope_min_residual: int | str | None = None, required_by: str = "residual_level",
            required_coverage: dict[str, str] | None = None, duplication_threshold: int | None = None,
            duplication_frequency: str | None = None, maturity_status: str | None = None,
            bands: list[Band] | None = None, delivery: Delivery | None = None) -> CombinedAssurance:
    """Coverage per key control, coverage, required coverage and gaps per risk, duplication per control, workload
    per provider, the register's controls against the map and (``delivery``) each quarter against the plan.

    ``risks``: a RiskEvaluation, or a frame with risk_id, residual_score, residual_level and
    above_appetite (then ``bands`` gives the banding, needed for level names in scope and mapping); a
    ``controls`` column (the register's, ";"-separated) is reconciled with the map.
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

    base, scope, keys = _per_risk(frame, mframe, in_register, providers, fw, scope, required, warnings)
    controls = _per_control(mframe, in_register, base, fw, dup_code, dup_n)
    duplications = controls[controls["duplicated"]].reset_index(drop=True)
    workload = _workload(mframe, base, providers)
    not_in_register, not_mapped = _reconcile(mframe, in_register, base, warnings)
    _outside_plan(base, scope, warnings)
    register_controls = _register_controls(frame, keys, base, fw, warnings)

    result = CombinedAssurance(
        framework=loaded, providers=providers, risks=base, map=amap, controls=controls,
        duplications=duplications, workload=workload, not_in_register=not_in_register, not_mapped=not_mapped,
        key_controls=keys, register_controls=register_controls,
        scope=scope, required=required, duplication_threshold=dup_n, duplication_frequency=dup_code,
        maturity_status=status, warnings=warnings, level_names=level_names, evaluation=evaluation)
    if delivery is not None:
        result.delivery = review_delivery(delivery, mframe, base, fw, providers,
                                          evaluation.as_of if evaluation is not None else None)
        warnings += result.delivery.warnings
    return result


def risk_state(r: Any) -> str:
    """A risk's residual as a person reads it: its level, or "Closed" / "Eliminated" (listed, never scored), or
    "not rated"; an opportunity says so. ``r``: a row of ``CombinedAssurance.risks``."""
    status = getattr(r, "status", None)
    if isinstance(status, str) and status in CLOSED:
        return status.capitalize()
    level = r.residual_level if isinstance(r.residual_level, str) else "not rated"
    return f"Opportunity: {level}" if status == "opportunity" else level


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
              warnings: list[str]) -> tuple[pd.DataFrame, ScopeRule, pd.DataFrame]:
    """One row per register risk (highest residual first), the scope rule as applied and the key controls."""
    base = _risk_base(frame)
    score = base["residual_score"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    rated = ~np.isnan(score)
    above = base["above_appetite"].map(lambda v: v is True or v is np.True_)
    appetite_known = base["above_appetite"].map(lambda v: v is not None and not pd.isna(v))
    scope = _place_in_scope(base, scope, score, rated, above, appetite_known, warnings)
    keys = _add_assurance(base, mframe, in_register, providers, fw)
    _add_required(base, required, above, appetite_known, keys, fw, warnings)
    base["_score"] = np.where(rated, score, -np.inf)
    base = base.sort_values("_score", ascending=False, kind="stable").drop(columns="_score").reset_index(drop=True)
    cols = RISK_VIEW + [c for c in RISK_EXTRAS if c in base]
    order = {rid: i for i, rid in enumerate(base["risk_id"])}
    keys = keys.assign(_o=keys["risk_id"].map(order)).sort_values("_o", kind="stable").drop(columns="_o")
    return base[[c for c in cols if c in base]], scope, keys.reset_index(drop=True)


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
    closed = base["status"].isin(CLOSED).to_numpy() if "status" in base else np.zeros(len(base), bool)
    unrated = base.loc[~rated & ~closed, "risk_id"].tolist()
    if unrated:
        warnings.append(f"{len(unrated)} risk(s) are not rated and cannot be placed in or out of scope: "
                        f"{_some(unrated)}.")
    return scope


def _add_assurance(base: pd.DataFrame, mframe: pd.DataFrame, in_register: pd.Series, providers: list[Provider],
                   fw: AssuranceFramework) -> pd.DataFrame:
    """Set coverage (the weakest key control's), lines, providers and key controls per risk; return the key
    controls with their own coverage, lines and independence."""
    assuring = mframe[(mframe["per_year"] > 0) & in_register]
    keys = _key_controls(mframe[in_register], providers, fw)
    rank = {lv.name: fw.rank(lv.name) for lv in fw.coverage}
    weakest = keys.assign(_r=keys["coverage"].map(rank)).sort_values("_r", kind="stable").drop_duplicates("risk_id")
    weakest = weakest.set_index("risk_id")
    ids = base["risk_id"]
    # as objects: with no key control at all the lookups are numbers (all missing), which take no text to fill
    base["coverage"] = ids.map(weakest["coverage"]).astype(object).fillna(fw.coverage[-1].name).to_numpy()
    base["weakest_control"] = ids.map(weakest["control"]).astype(object).fillna("").to_numpy()
    order = {p.id: i for i, p in enumerate(providers)}
    ordered = assuring.assign(_o=assuring["provider"].map(order)).sort_values(["line", "_o"], kind="stable")
    lines: dict[str, set[int]] = {}
    provs: dict[str, dict[str, None]] = {}
    for rid, line, pid in zip(ordered["risk_id"].tolist(), ordered["line"].tolist(), ordered["provider"].tolist(),
                              strict=True):
        lines.setdefault(rid, set()).add(int(line))
        provs.setdefault(rid, {})[pid] = None
    base["lines"] = [sorted(lines.get(r, ())) for r in base["risk_id"].tolist()]
    base["providers"] = [list(provs.get(r, {})) for r in base["risk_id"].tolist()]
    base["controls"] = base["risk_id"].map(keys.groupby("risk_id").size()).fillna(0).astype(int)
    return keys


def _key_controls(m: pd.DataFrame, providers: list[Provider], fw: AssuranceFramework) -> pd.DataFrame:
    """One row per key control of the map's (register) risks: the controls the map names, or the risk as a whole
    where it names none. A row without a control assures the risk as a whole, so it counts for every key control
    of its risk. Each key control's coverage is judged from its own activities."""
    m = m.assign(control_key=m["control"].map(normalise_label))
    named_rows = m[m["control_key"] != ""]
    named = named_rows.drop_duplicates(["risk_id", "control_key"])[["risk_id", "control_key", "control"]]
    whole = m[m["control_key"] == ""]
    has_named = whole["risk_id"].isin(set(named["risk_id"]))
    spread = whole[has_named].drop(columns=["control", "control_key"]).merge(named, on="risk_id")
    rows = pd.concat([named_rows, spread, whole[~has_named]], ignore_index=True)
    rows = rows.assign(_k=rows["risk_id"].astype(str) + "\x1f" + rows["control_key"].astype(str))
    keys = rows.drop_duplicates("_k")[["_k", "risk_id", "control_key", "control"]].reset_index(drop=True)
    keys["control"] = keys["control"].map(lambda v: v or WHOLE_RISK)
    active = rows[rows["per_year"] > 0]
    keys["coverage"] = coverage_levels(active.assign(risk_id=active["_k"]), pd.Index(keys["_k"]), fw).to_numpy()
    order = {p.id: i for i, p in enumerate(providers)}
    active = active.assign(_o=active["provider"].map(order)).sort_values(["line", "_o"], kind="stable")
    provs = active.drop_duplicates(["_k", "provider"]).groupby("_k")["provider"].agg(list)
    lines = active.drop_duplicates(["_k", "line"]).groupby("_k")["line"].agg(list)
    keys["providers"] = [list(provs.get(k, [])) for k in keys["_k"]]
    keys["lines"] = [[int(x) for x in lines.get(k, [])] for k in keys["_k"]]
    keys["independent"] = keys["_k"].map(active.groupby("_k")["independent"].any()).eq(True)  # none: not independent
    return keys.drop(columns="_k")


def _add_required(base: pd.DataFrame, required: RequiredRule, above: pd.Series, appetite_known: pd.Series,
                  keys: pd.DataFrame, fw: AssuranceFramework, warnings: list[str]) -> None:
    """Set required coverage, gap and what would close it for the risks in scope (and, on the key controls,
    the requirement of their risk and whether they fall below it)."""
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
    by_risk = base.set_index("risk_id")
    keys["in_scope"] = keys["risk_id"].map(by_risk["in_scope"]).fillna(False).astype(bool)
    keys["required_coverage"] = keys["risk_id"].map(by_risk["required_coverage"])
    keys["below_required"] = [bool(s and isinstance(r, str) and rank[c] < rank[r]) for s, c, r in
                              zip(keys["in_scope"], keys["coverage"], keys["required_coverage"], strict=True)]
    short: dict[str, list[str]] = {}
    count = keys.groupby("risk_id").size()
    for k in keys[keys["below_required"]].itertuples(index=False):
        text = needed_to_close(k.required_coverage, k.lines, bool(k.independent), fw)
        short.setdefault(k.risk_id, []).append(f"{k.control}: {text}" if count[k.risk_id] > 1 else text)
    base["needed"] = ["; ".join(short[rid]) if g and rid in short else (needed_to_close(r, [], False, fw) if g else "")
                      for rid, g, r in zip(base["risk_id"], base["gap"], base["required_coverage"], strict=True)]


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
    blank = mframe[(mframe["per_year"] == 0) & (mframe["provider"] != "")]
    if len(blank):
        warnings.append(f"{len(blank)} map row(s) list a provider without a frequency (no activity): row(s) "
                        f"{_some(blank['row'])}.")
    return not_in_register, not_mapped


def _outside_plan(base: pd.DataFrame, scope: ScopeRule, warnings: list[str]) -> None:
    """Under a scope other than the appetite, name the risks above the appetite it leaves out of the plan."""
    if scope.kind != "score":
        return
    left = base[~base["in_scope"] & base["above_appetite"].map(lambda v: v is True or v is np.True_)]
    if len(left):
        warnings.append(f"The guide's combined assurance plan holds every residual risk above the risk appetite; "
                        f"the scope chosen ({scope.label}) leaves {len(left)} of them out: {_some(left['risk_id'])}.")


def _register_controls(frame: pd.DataFrame, keys: pd.DataFrame, base: pd.DataFrame, fw: AssuranceFramework,
                       warnings: list[str]) -> pd.DataFrame:
    """The register's controls (its controls cell, split) against the map's named key controls, both ways, each
    marked in scope; the ones of risks in scope that only one side names, and key controls without any
    assurance, are warned about. Without a controls column in the risks, only the key controls are checked."""
    found = []
    if "controls" in frame:
        for rid, cell in zip(frame["risk_id"].astype(str), frame["controls"], strict=True):
            found += [(rid, normalise_label(c), c) for c in fw.register_controls_of(cell)]
    register = pd.DataFrame(found, columns=["risk_id", "control_key", "control"]).drop_duplicates(
        ["risk_id", "control_key"])
    named = keys[keys["control"] != WHOLE_RISK].assign(control_key=lambda d: d["control"].map(normalise_label))
    both = register.merge(named[["risk_id", "control_key", "control"]], on=["risk_id", "control_key"], how="outer",
                          suffixes=("", "_map"), indicator=True)
    both["control"] = both["control"].fillna(both["control_map"])
    both["in_register"] = both["_merge"] != "right_only"
    both["in_map"] = both["_merge"] != "left_only"
    both["finding"] = np.select([both["in_register"] & both["in_map"], both["in_register"]],
                                ["in the register and the map", "in the register, not in the map (no assurance)"],
                                "in the map, not named in the register")
    order = {rid: i for i, rid in enumerate(base["risk_id"])}
    both["in_scope"] = both["risk_id"].map(base.set_index("risk_id")["in_scope"]).fillna(False).astype(bool)
    both = both.assign(_o=both["risk_id"].map(order)).sort_values(["_o", "in_map"], kind="stable")
    both = both[REGISTER_CONTROL_COLUMNS].reset_index(drop=True)
    scoped = both[both["in_scope"]]
    if "controls" in frame and len(named) and register.empty:
        warnings.append("The register names no controls, so the map's key controls could not be checked against it.")
    elif "controls" in frame:
        for flag, what in ((~scoped["in_map"], "control(s) the register lists for risks in scope are not in the "
                                               "assurance map, so no provider is recorded for them"),
                           (~scoped["in_register"], "key control(s) in the map for risks in scope are not named in "
                                                    "the register's controls")):
            rows = scoped[flag]
            if len(rows):
                warnings.append(f"{len(rows)} {what}: " + _some(f"{r.risk_id} / {r.control}"
                                                                  for r in rows.itertuples(index=False)) + ".")
    bare = keys[keys["in_scope"] & (keys["coverage"] == fw.coverage[-1].name)]
    if len(bare):
        warnings.append(f"{len(bare)} key control(s) of risks in scope have no provider assuring them: "
                        + _some(f"{r.risk_id} / {r.control}" for r in bare.itertuples(index=False)) + ".")
    return both
