"""Risk evaluation: inherent and residual scores, levels, appetite, groups, treatments, partner roles.

The scoring engine (``score_frame``) is vectorised over numeric arrays so that a register of a million
risks scores in well under a second; ``evaluate`` adds what a report needs (labels, arithmetic,
treatment status, partner roles) on top of it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbook_lib.assessments.risk.acceptance import decision_makers
from workbook_lib.assessments.risk.methodology import LoadedMethodology, Methodology, MethodologyError
from workbook_lib.assessments.risk.own_figures import own_figures
from workbook_lib.assessments.risk.register import Register

CLOSED = ("closed", "eliminated")
AppetiteValue = int | str
# an appetite of 0: no rated exposure is accepted, so any residual score is above it (the guide's "zero tolerance")
ZERO_TOLERANCE = ("zero tolerance", "no tolerance", "nil tolerance")
REGISTER, CATEGORY, DEFAULT = "register", "category", "default"  # where a risk's appetite comes from


@dataclass(frozen=True)
class Appetite:
    """Largest acceptable residual score (0: zero tolerance): a default and per-category overrides."""

    default: int | None = None
    categories: dict[str, int] = field(default_factory=dict)

    @classmethod
    def resolve(cls, spec: AppetiteValue | dict | None, m: Methodology, banding: str | None = None) -> Appetite:
        """Accept a score, a band name (its top score), 0 or "zero tolerance", or {default: ..., categories: {...}}."""
        if spec is None:
            return cls()
        if not isinstance(spec, dict):
            spec = {"default": spec}
        unknown = set(spec) - {"default", "categories"}
        if unknown:
            raise MethodologyError(f"appetite: unknown key(s) {sorted(unknown)}; use default and categories")
        default = spec.get("default")
        return cls(
            default=None if default is None else _appetite_score(default, m, banding),
            categories={str(k): _appetite_score(v, m, banding) for k, v in (spec.get("categories") or {}).items()},
        )

    @property
    def given(self) -> bool:
        return self.default is not None or bool(self.categories)

    def thresholds(self, categories: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Per risk: the appetite its category (else the default) sets, and which of the two it is (None: none)."""
        default = np.nan if self.default is None else float(self.default)
        whence = np.full(len(categories), None if self.default is None else DEFAULT, dtype=object)
        if not self.categories:
            return np.full(len(categories), default), whence
        mapped = categories.map(self.categories).astype(float)
        whence[mapped.notna().to_numpy()] = CATEGORY
        return mapped.fillna(default).to_numpy(), whence


def _appetite_score(value: AppetiteValue, m: Methodology, banding: str | None) -> int:
    if isinstance(value, bool):
        raise MethodologyError(f"appetite {value!r}: expected a score or a band name")
    found = appetite_in_words(str(value), m, banding)
    if found is None:
        raise MethodologyError(f"appetite {value!r}: expected a score 0-{m.max_score} (0: zero tolerance), "
                               "zero tolerance, or one of the band names "
                               f"{', '.join(b.name for b in m.banding(banding).bands)}")
    return found


def appetite_in_words(text: str, m: Methodology, banding: str | None = None) -> int | None:
    """An appetite as written: a score 0 to the highest (0 and any statement starting "zero tolerance" accept no
    rated exposure), or a band's name or alias (its top score); None when it is none of these (a statement in
    words such as "No supply interruption longer than 48 hours")."""
    said = " ".join(str(text).split()).casefold().removesuffix(".0")
    if said.isdigit():
        return int(said) if int(said) <= m.max_score else None
    if said.startswith(ZERO_TOLERANCE):
        return 0
    names = {w.casefold(): b for b in m.banding(banding).bands for w in (b.name, *b.aliases)}
    band = names.get(said)
    return None if band is None else band.max


def register_appetites(statements: pd.Series, m: Methodology, banding: str | None) -> np.ndarray:
    """Per risk, the appetite its register row states (``appetite_in_words``; NaN where none or not readable),
    each distinct statement read once."""
    text = statements.fillna("").astype(str)
    lookup = {s: appetite_in_words(s, m, banding) if s.strip() else None for s in pd.unique(text)}
    return text.map(lambda s: np.nan if lookup[s] is None else float(lookup[s])).to_numpy(dtype=float)


# ---- the engine ------------------------------------------------------------------------------------
def score(likelihood: np.ndarray, impact: np.ndarray, m: Methodology) -> np.ndarray:
    """Score per risk (float, NaN where unrated) from level values (float, NaN where missing)."""
    grid = np.asarray(m.score_grid, dtype=float)
    out = np.full(len(likelihood), np.nan)
    ok = ~(np.isnan(likelihood) | np.isnan(impact))
    out[ok] = grid[likelihood[ok].astype(np.intp) - 1, impact[ok].astype(np.intp) - 1]
    return out


def band_index(scores: np.ndarray, m: Methodology, banding: str | None = None) -> np.ndarray:
    """Index of each score's band in the banding (-1 where the score is NaN)."""
    bands = m.banding(banding).bands
    table = np.full(m.max_score + 2, -1, dtype=np.intp)
    for i, b in enumerate(bands):
        table[max(b.min, 0):min(b.max, m.max_score) + 1] = i
    out = np.full(len(scores), -1, dtype=np.intp)
    ok = ~np.isnan(scores)
    out[ok] = table[scores[ok].astype(np.intp)]
    return out


def stated_scores(values: pd.Series | None, n: int, m: Methodology) -> np.ndarray:
    """Per risk, the residual score the register states (a whole score on the methodology's scale; NaN where none,
    or where the methodology's single rating is a current one: its likelihood x impact is that rating)."""
    if values is None or m.rating_stage == "current":
        return np.full(n, np.nan)
    text = values.fillna("").astype(str).str.strip().str.removesuffix(".0")
    number = pd.to_numeric(text.where(text.str.fullmatch(r"\d+"), ""), errors="coerce").to_numpy(dtype=float)
    return np.where((number >= 1) & (number <= m.max_score), number, np.nan)


def residual_basis(residual_likelihood: np.ndarray, residual_impact: np.ndarray, factor: np.ndarray,
                   m: Methodology, stated: np.ndarray | None = None) -> np.ndarray:
    """Per risk: "rerated" when the file re-rates likelihood and impact after controls (whatever the rule),
    else "stated" when it states a residual score of its own, else "control_factor" when the rule has a factor
    for the risk's control effectiveness, else "none"."""
    rerated = ~(np.isnan(residual_likelihood) | np.isnan(residual_impact))
    own = np.zeros(len(factor), bool) if stated is None else ~np.isnan(stated)
    factored = ~np.isnan(factor) if m.uses_factor else np.zeros(len(factor), bool)
    return np.where(rerated, "rerated", np.where(own, "stated", np.where(factored, "control_factor", "none")))


def factored_score(inherent: np.ndarray, factor: np.ndarray, m: Methodology) -> np.ndarray:
    """The inherent score x the remaining-risk factor, rounded as the methodology says (NaN without a factor)."""
    rounder = {"ceil": np.ceil, "floor": np.floor, "round": np.round}[m.residual.rounding]
    # round away float noise first: 20 x 0.45 must give 9, not 10
    return np.clip(rounder(np.round(inherent * factor, 9)), 1, m.max_score)


def residual_score(inherent: np.ndarray, residual_likelihood: np.ndarray, residual_impact: np.ndarray,
                   factor: np.ndarray, m: Methodology, stated: np.ndarray | None = None) -> np.ndarray:
    """Residual per risk: its re-rating when given, else the residual score the register states, else the
    methodology's factor, else the inherent score.

    A value read from the file is never replaced: residual ratings and a stated residual win over the factor."""
    rerated = score(residual_likelihood, residual_impact, m)
    out = np.where(np.isnan(rerated), inherent, rerated)
    if m.uses_factor:
        out = np.where(np.isnan(rerated) & ~np.isnan(factor), factored_score(inherent, factor, m), out)
    if stated is not None:
        out = np.where(np.isnan(rerated) & ~np.isnan(stated) & ~np.isnan(inherent), stated, out)
    return out


def direct_scores(frame: pd.DataFrame, m: Methodology) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A direct methodology (High / Medium / Low, no likelihood or impact): per risk its inherent and residual level
    values and the residual's basis: "stated" by the register, "derived" from the methodology's table for its
    inherent level and control effectiveness, else "none" (the inherent level, the worst case)."""
    n = len(frame)

    def col(name: str) -> np.ndarray:
        values = frame[name] if name in frame else pd.Series(np.nan, index=frame.index)
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    inherent, stated = col("inherent_rating"), col("residual_rating")
    controls = frame["control_effectiveness"].fillna("").astype(str).to_numpy() if "control_effectiveness" in frame \
        else np.full(n, "", dtype=object)
    pairs = {(v, c) for v, c in zip(inherent, controls, strict=True) if not np.isnan(v) and c}
    table = {(v, c): m.derived_residual(int(v), c) for v, c in pairs}
    derived = np.array([np.nan if np.isnan(v) or not c or table[(v, c)] is None else float(table[(v, c)])
                        for v, c in zip(inherent, controls, strict=True)], dtype=float)
    own, made = ~np.isnan(stated), ~np.isnan(derived)
    residual = np.where(own, stated, np.where(made, derived, inherent))
    basis = np.where(own, "stated", np.where(made, "derived", "none"))
    return inherent, residual, basis


def score_frame(frame: pd.DataFrame, m: Methodology, appetite: Appetite | None = None,
                banding: str | None = None) -> pd.DataFrame:
    """Vectorised scores for a frame of numeric ratings.

    Needs columns inherent_likelihood, inherent_impact and, where the rule uses them,
    residual_likelihood, residual_impact, control_factor; category for per-category appetite.
    """
    n = len(frame)

    def col(name: str) -> np.ndarray:
        if name not in frame:
            return np.full(n, np.nan)
        return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    if m.direct:  # rated High / Medium / Low: a level's value is its score
        inherent, residual, basis = direct_scores(frame, m)
    else:
        inherent = score(col("inherent_likelihood"), col("inherent_impact"), m)
        stated = stated_scores(frame.get("stated_residual_score"), n, m)
        # a re-rating, else the register's own residual score, else the factor (rule or fallback)
        residual = residual_score(inherent, col("residual_likelihood"), col("residual_impact"),
                                  col("control_factor"), m, stated)
        basis = residual_basis(col("residual_likelihood"), col("residual_impact"), col("control_factor"), m, stated)
    bands = m.banding(banding).bands
    names = np.array([b.name for b in bands] + [None], dtype=object)
    inh_idx, res_idx = band_index(inherent, m, banding), band_index(residual, m, banding)
    appetite = appetite or Appetite()
    categories = frame["category"] if "category" in frame else pd.Series([""] * n)
    threshold, whence = appetite.thresholds(categories.reset_index(drop=True))
    if "appetite_statement" in frame:  # a statement the register gives for the risk wins where it can be read
        own = register_appetites(frame["appetite_statement"], m, banding)
        threshold = np.where(np.isnan(own), threshold, own)
        whence = np.where(np.isnan(own), whence, REGISTER)
    above = np.where(np.isnan(residual) | np.isnan(threshold), None, residual > threshold)
    return pd.DataFrame({
        "inherent_score": pd.array(inherent, dtype="Int64"),
        "inherent_level": names[inh_idx],
        "residual_score": pd.array(residual, dtype="Int64"),
        "residual_level": names[res_idx],
        "appetite": pd.array(threshold, dtype="Int64"),
        "appetite_from": np.where(np.isnan(threshold), None, whence),
        "above_appetite": above,
        "residual_basis": np.where(np.isnan(inherent), None, basis),
        "_band": res_idx,
    }, index=frame.index)


# ---- the evaluation a report needs ------------------------------------------------------------------
@dataclass
class RiskEvaluation:
    methodology: LoadedMethodology
    banding: str
    as_of: dt.date
    risks: pd.DataFrame
    groups: pd.DataFrame
    treatments: pd.DataFrame
    roles: pd.DataFrame | None
    warnings: list[str]
    organisation: str = ""  # what the register is of, when known
    period: str = ""
    disagreements: pd.DataFrame = field(default_factory=pd.DataFrame)  # the file's own figures vs the computed
    readings: list = field(default_factory=list)  # how each column of the register was read (ColumnReading)
    skipped: list = field(default_factory=list)  # rows under the header that are not risks (SkippedRow)
    reading_notes: list = field(default_factory=list)  # what the reading decided for the whole file (its sheet)
    movement: Any = None  # how the risks moved since earlier periods (risk.changes.Movement; set by risk.run)
    appetite_approved_by: str = ""  # who approved the appetite and tolerance (the organisation's settings)
    appetite_approved_on: dt.date | None = None
    tier: Any = None  # the risk assessment's tier by maturity status (risk.tiers.AppliedTier; set by risk.run)
    quantification: Any = None  # risk intelligent: simulated losses (risk.quantify; set by risk.run)

    @property
    def rated(self) -> pd.DataFrame:
        """Scored risks: rated, and open or an opportunity."""
        return self.risks[self.risks["rated"]]

    @property
    def unrated(self) -> pd.DataFrame:
        """Open risks (or opportunities) without ratings."""
        return self.risks[~self.risks["rated"] & ~self.risks["closed"]]

    @property
    def closed(self) -> pd.DataFrame:
        """Closed and eliminated risks: listed, never scored or escalated."""
        return self.risks[self.risks["closed"]]


def _label(values: pd.Series, levels: list) -> pd.Series:
    labels = {lv.value: f"{lv.value} {lv.label}" for lv in levels}
    text = values.astype(object).map(labels)  # missing, or not a level: no label
    return text.where(text.notna(), "")


def _before(dates: pd.Series, day: dt.date) -> pd.Series:
    """Whether each date (a date, or None) is before ``day``: compared column-wise, not a function call per risk."""
    known = dates.notna().to_numpy()
    out = np.zeros(len(dates), dtype=bool)
    out[known] = (dates[known] < day).to_numpy(dtype=bool)
    return pd.Series(out, index=dates.index)


MAX_IDS = 20  # risk IDs a warning names; the rest are counted (every risk is in the Excel workbook)


def some_ids(ids: pd.Series | list) -> str:
    """The first ``MAX_IDS`` risk IDs, then how many more: "R1, R2, ... and 249,980 more"."""
    ids = pd.Series(ids, dtype=object) if not isinstance(ids, pd.Series) else ids
    more = len(ids) - MAX_IDS
    return ", ".join(ids.head(MAX_IDS).astype(str)) + (f" and {more:,} more" if more > 0 else "")


def _formatted(values: pd.Series, spec: str = "") -> pd.Series:
    """Each value as ``format(value, spec)``, "" where missing; formatted once per distinct value."""
    objects = values.astype(object)
    present = objects[objects.notna()]
    lookup = {v: format(v, spec) for v in pd.unique(present)}
    text = pd.Series("", index=values.index, dtype=object)
    text.loc[present.index] = present.map(lookup)
    return text


ARITHMETIC_COLUMNS = ["inherent_likelihood", "inherent_impact", "inherent_score", "inherent_level", "residual_basis",
                      "residual_likelihood", "residual_impact", "residual_score", "residual_level", "control_factor",
                      "control_effectiveness"]  # what a risk's arithmetic text says


def _arithmetic(risks: pd.DataFrame, m: Methodology) -> pd.Series:
    """Each risk's scoring shown as arithmetic, e.g. "inherent 4 x 3 = 12 (High); residual ... (Medium)".

    Built column-wise (a row-wise apply took 93 % of evaluate at 100k risks), once per distinct set of ratings (a
    register of a million risks has a few hundred): risks rated alike share one text."""
    text = pd.Series("not rated", index=risks.index, dtype=object)
    rated = risks["rated"].astype(bool)
    if not rated.any():
        return text
    r = risks.loc[rated, ARITHMETIC_COLUMNS]
    alike = r.groupby(ARITHMETIC_COLUMNS, dropna=False, sort=False).ngroup().to_numpy()
    distinct = _arithmetic_text(r.loc[~r.duplicated(keep="first")], m).to_numpy()
    text.loc[rated] = distinct[alike]
    return text


def _arithmetic_text(r: pd.DataFrame, m: Methodology) -> pd.Series:
    """The arithmetic text of each row of rated risks (``ARITHMETIC_COLUMNS``), in the methodology's stage words
    ("initial ...; final ...")."""
    f = {c: _formatted(r[c]) for c in ("inherent_likelihood", "inherent_impact", "inherent_score", "inherent_level",
                                       "residual_score", "residual_level")}
    if m.direct:
        return _direct_text(r, f, m)
    if m.rating_stage == "current":  # one current rating per risk: no inherent one, no residual step
        return ("current " + f["inherent_likelihood"] + " x " + f["inherent_impact"] + " = " + f["residual_score"]
                + " (" + f["residual_level"] + ")")
    before, after = m.stage("inherent"), m.stage("residual")
    inherent = (f"{before} " + f["inherent_likelihood"] + " x " + f["inherent_impact"] + " = " + f["inherent_score"]
                + " (" + f["inherent_level"] + ")")
    basis = r["residual_basis"]
    rerated = (f"{after} " + _formatted(r["residual_likelihood"]) + " x " + _formatted(r["residual_impact"])
               + " = " + f["residual_score"])
    with_factor = basis.isin(["control_factor", "stated"]) & r["control_factor"].notna()
    raw = (r["inherent_score"].where(with_factor) * r["control_factor"]).astype(float)
    reduced = pd.Series(factored_score(raw.to_numpy(), np.ones(len(raw)), m), index=r.index)
    factor = (f["inherent_score"] + " x " + _formatted(r["control_factor"], ".0%") + " ("
              + _formatted(r["control_effectiveness"]) + ") = " + _formatted(raw, "g") + " -> ")
    factored = f"{after} " + factor + f["residual_score"]
    # the register's own residual score is the residual; the factor's figure, where there is one, is for information
    stated = (f"{after} {STATED} " + f["residual_score"]).where(~with_factor, (
        f"{after} {STATED} " + f["residual_score"] + " (the control-effectiveness factor gives " + factor
        + _formatted(reduced.where(with_factor).astype("Int64")) + ", for information)"))
    missing = "no re-rating or control-effectiveness rating" if m.uses_factor else "no re-rating given"
    residual = rerated.where(basis == "rerated", stated.where(basis == "stated", factored.where(
        basis == "control_factor", f"{after} = {before} " + f["residual_score"] + f" ({missing})")))
    return inherent + "; " + residual + " (" + f["residual_level"] + ")"


STATED = "as the register states it:"  # a residual score the register gives of its own


def _direct_text(r: pd.DataFrame, f: dict[str, pd.Series], m: Methodology) -> pd.Series:
    """A direct methodology's reasoning, in levels only: "inherent High; residual Medium (as the register states
    it)"; nothing is multiplied."""
    before, after = m.stage("inherent"), m.stage("residual")
    basis = r["residual_basis"]
    why = basis.map({"stated": "as the register states it",
                     "none": f"no {after} or control-effectiveness rating: the {before} level, the worst case"})
    derived = ("from the methodology's table: " + f["inherent_level"] + " with "
               + _formatted(r["control_effectiveness"]) + " controls")
    why = why.where(basis != "derived", derived)
    return f"{before} " + f["inherent_level"] + f"; {after} " + f["residual_level"] + " (" + why.fillna("") + ")"


def evaluate(register: Register, loaded: LoadedMethodology, as_of: dt.date,
             appetite: AppetiteValue | dict | Appetite | None = None, banding: str | None = None,
             partner_roles: list[str] | None = None) -> RiskEvaluation:
    m = loaded.methodology
    banding = banding or m.default_banding
    bands = m.banding(banding).bands
    if not isinstance(appetite, Appetite):
        appetite = Appetite.resolve(appetite, m, banding)
    frame = register.frame.reset_index(drop=True)
    if "status" not in frame:
        frame = frame.assign(status="open")
    scored = score_frame(frame, m, appetite, banding)
    closed = frame["status"].isin(CLOSED).to_numpy()
    if closed.any():  # listed with the file's ratings, never scored or escalated
        for column in ("inherent_score", "residual_score", "appetite"):
            scored.loc[closed, column] = pd.NA
        for column in ("inherent_level", "residual_level", "above_appetite", "residual_basis", "appetite_from"):
            scored.loc[closed, column] = None
        scored.loc[closed, "_band"] = -1
    # an opportunity is scored on its upside but never counted above appetite
    scored.loc[(frame["status"] == "opportunity").to_numpy(), "above_appetite"] = None
    risks = pd.concat([frame, scored], axis=1)
    risks["closed"] = closed
    risks["rated"] = risks["rated"] & ~risks["closed"]
    band_of = {i: b for i, b in enumerate(bands)}
    risks["decision_maker"], risks["decision_basis"] = decision_makers(risks, m, banding)
    risks["register_destination"] = risks["_band"].map(
        lambda i: band_of[i].register_destination if i >= 0 else None)
    risks["required_action"] = risks["_band"].map(lambda i: band_of[i].action if i >= 0 else None)
    risks["appetite_applied"] = _appetite_applied(risks, m)
    risks["arithmetic"] = _arithmetic(risks, m)
    risks.loc[risks["closed"], "arithmetic"] = "closed: " + risks.loc[risks["closed"], "status"] + ", not scored"
    risks["inherent_likelihood_label"] = _label(risks["inherent_likelihood"], m.likelihood)
    risks["inherent_impact_label"] = _label(risks["inherent_impact"], m.impact)
    risks["action_overdue"] = _before(risks["due_date"], as_of) & ~risks["complete"]
    risks["review_overdue"] = _before(risks["review_date"], as_of)

    warnings = list(register.warnings)
    rated = risks["rated"]
    missing = rated & (risks["residual_basis"] == "none")
    if m.rating_stage == "current":
        pass  # one current rating per risk is the methodology's design, said in the method note
    elif m.direct:
        derived = rated & (risks["residual_basis"] == "derived")
        if derived.any():
            warnings.append(f"{int(derived.sum())} rated risk(s) have no {m.stage('residual')} rating: each takes the "
                            "level the methodology's table gives for its inherent rating and control effectiveness "
                            f"(not in {m.source_called}): {some_ids(risks.loc[derived, 'risk_id'])}.")
        if missing.any():
            warnings.append(f"{int(missing.sum())} rated risk(s) have neither a {m.stage('residual')} rating nor a "
                            f"control-effectiveness rating: their {m.stage('residual')} level is taken as their "
                            f"inherent level, the worst case: {some_ids(risks.loc[missing, 'risk_id'])}.")
    elif not m.uses_factor and missing.all() and missing.any():
        warnings.append("The register gives no residual ratings: each risk's current rating is used as "
                        "both inherent and residual.")
    elif missing.any():
        what = "residual re-rating or control-effectiveness rating" if m.uses_factor else "residual re-rating"
        warnings.append(f"{int(missing.sum())} rated risk(s) have no {what}; residual taken as "
                        f"inherent: {some_ids(risks.loc[missing, 'risk_id'])}.")
    stated = risks["appetite_from"] == REGISTER
    if not appetite.given and not stated.any():
        warnings.append("No risk appetite was given: no risk is flagged as above appetite.")
    elif not appetite.given:
        warnings.append(f"No risk appetite was given in the settings: only the {int(stated.sum())} risk(s) whose "
                        "register row states an appetite (a score, a band or zero tolerance) are measured against "
                        f"one: {some_ids(risks.loc[stated, 'risk_id'])}.")
    else:
        unknown = sorted(set(appetite.categories) - set(risks["category"]))
        if unknown:
            warnings.append(f"Appetite is set for categories not in the register: {', '.join(unknown)}.")

    groups = _groups(risks, bands, m)
    treatments = risks.loc[(risks["response"] != "") | (risks["actions"] != "") | risks["due_date"].notna()
                           | risks["review_date"].notna(),
                           ["risk_id", "group", "residual_level", "response", "treatment_owner", "actions",
                            "due_date", "progress", "review_date", "action_overdue", "review_overdue"]]
    roles = _roles(risks, partner_roles) if partner_roles else None
    if roles is not None:
        uncovered = roles.loc[~roles["covered"], "risk_id"].tolist()
        if uncovered:
            warnings.append(f"No partner role covers: {some_ids(uncovered)}.")
    disagreements = own_figures(risks, m, banding, register.headings, register.level_words)
    if len(disagreements):
        warnings.append(f"The register's own score or level differs from the computed one for "
                        f"{disagreements['Risk'].nunique()} risk(s): see the table of differences.")
    return RiskEvaluation(methodology=loaded, banding=banding, as_of=as_of,
                          risks=risks.drop(columns=["_band"]), groups=groups,
                          treatments=treatments.reset_index(drop=True),
                          roles=roles, warnings=warnings, disagreements=disagreements,
                          readings=list(register.readings), skipped=list(register.skipped),
                          reading_notes=list(register.notes))


def _appetite_applied(risks: pd.DataFrame, m: Methodology) -> pd.Series:
    """Which appetite each risk is measured against, in words: "zero tolerance (the register's statement)",
    "4 (category Financial)", "8 (the default)"; a statement the register gives that is not a score, a band or zero
    tolerance is kept as written and said to be so."""
    value = risks["appetite"].astype("Int64")
    shown = _formatted(value).where(value != 0, "zero tolerance")
    if m.direct:  # rated directly: the appetite is a level, named as such
        names = {lv.value: lv.label for lv in m.levels}
        shown = shown.where(~value.isin(list(names)), value.map(names))
    whence = risks["appetite_from"].map({REGISTER: " (the register's statement)", DEFAULT: " (the default)"})
    whence = whence.where(risks["appetite_from"] != CATEGORY, " (category " + risks["category"].astype(str) + ")")
    text = (shown + whence.fillna("")).where(value.notna(), "none given")
    said = risks["appetite_statement"].fillna("").astype(str).str.strip() if "appetite_statement" in risks \
        else pd.Series("", index=risks.index)
    unread = (said != "") & (risks["appetite_from"] != REGISTER)
    text[unread] = text[unread] + "; the register's statement is not a score, band or zero tolerance"
    return text.where(~risks["closed"], None)


GROUP_COLUMNS = ["group", "risks", "not_rated", "residual_score", "residual_level", "decision_maker",
                 "register_destination", "driving_risks"]


def _groups(risks: pd.DataFrame, bands: list, m: Methodology) -> pd.DataFrame:
    """A group's overall final risk is the highest residual among its rated risks.

    Computed column-wise per group (a register may give every risk a group of its own): groups in the order they
    first appear; the decision maker, with an escalation, the highest authority any of its risks needs (one above
    appetite suffices), else its band's."""
    part = risks.loc[risks["group"] != "", ["group", "rated", "residual_score", "_band", "decision_maker", "risk_id"]]
    if part.empty:  # ungrouped risks: no group
        return pd.DataFrame(columns=GROUP_COLUMNS)
    by = part.groupby("group", sort=False)
    sizes = by.size()
    not_rated = (~part["rated"].astype(bool)).groupby(part["group"], sort=False).sum()
    scored = part[part["rated"].astype(bool)]
    top = scored.groupby("group", sort=False)["residual_score"].max().dropna()
    driving = scored[scored["residual_score"] == scored["group"].map(top)]
    driving_ids = driving.groupby("group", sort=False)["risk_id"].agg(", ".join)
    band_of = driving.groupby("group", sort=False)["_band"].first()
    if m.escalation:
        makers = scored["decision_maker"]
        rank = {x: m.escalation.rank(x) for x in makers.unique() if isinstance(x, str)}
        most = makers.map(rank).fillna(-1).astype(int).groupby(scored["group"], sort=False).max()
        maker = {g: m.escalation.authorities[r] if r >= 0 else None for g, r in most.items()}
    rows = []
    for name, n in sizes.items():
        band = bands[int(band_of[name])] if name in band_of.index else None
        rows.append({
            "group": name, "risks": int(n), "not_rated": int(not_rated[name]),
            "residual_score": int(top[name]) if band else None,
            "residual_level": band.name if band else None,
            "decision_maker": (maker[name] if m.escalation else band.decision_maker) if band else None,
            "register_destination": band.register_destination if band else None,
            "driving_risks": driving_ids[name] if band else "",
        })
    return pd.DataFrame(rows, columns=GROUP_COLUMNS)


def _roles(risks: pd.DataFrame, roles: list[str]) -> pd.DataFrame:
    view = pd.DataFrame({"risk_id": risks["risk_id"]})
    for role in roles:
        view[role] = risks[role].fillna("").astype(str).str.strip() != ""
    view["roles"] = view[roles].sum(axis=1)
    view["covered"] = view["roles"] > 0
    return view


def worst_case_by_category(ev: RiskEvaluation) -> pd.DataFrame:
    """Per risk category (the guide's fragmented aggregation, "only measured on the worst case scenario"): its rated
    risks, the worst residual level among them, how many sit at each level (highest first) and the risks at the
    worst level (a list of IDs). Closed and unrated risks are left out; categories with the worst level first."""
    bands = ev.methodology.methodology.banding(ev.banding).bands
    names = [b.name for b in reversed(bands)]  # highest first
    columns = ["category", "risks", "worst_residual_level", *names, "worst_risks"]
    rated = ev.rated.assign(category=ev.rated["category"].replace("", "(none)"))
    if rated.empty:
        return pd.DataFrame(columns=columns)
    counts = pd.crosstab(rated["category"], rated["residual_level"]).reindex(columns=names, fill_value=0)
    counts = counts.rename_axis(index="category", columns=None)
    top = rated.groupby("category", sort=False)["residual_score"].max()
    at_top = rated[rated["residual_score"] == rated["category"].map(top)]
    out = counts.assign(risks=counts.sum(axis=1), worst_residual_level=at_top.groupby("category")["residual_level"]
                        .first(), worst_risks=at_top.groupby("category")["risk_id"].agg(list),
                        _top=top)
    out = out.reset_index()
    out = out.sort_values(["_top", "risks", "category"], ascending=[False, False, True], kind="stable")
    return out[columns].reset_index(drop=True).astype({n: int for n in names})
