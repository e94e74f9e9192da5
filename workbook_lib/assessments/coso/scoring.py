"""Scoring the COSO responses: each item's combined score is the sum of the lines' ratings (an item a line
has not rated is incomplete: listed, never summed); divergence between the lines; roll-ups to principles and
components; each principle judged by the questionnaire's rule (named in its words); who rated for each line."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from workbook_lib.assessments.coso.inputs import Responses
from workbook_lib.assessments.coso.model import (
    INCOMPLETE,
    MATURITY_STATUSES,
    MET,
    NO_SINGLE_LINE,
    NOT_ASSESSED,
    NOT_MET,
    STATUSES,
    LoadedQuestionnaire,
    PresentRule,
    Questionnaire,
    normalise_maturity,
)


@dataclass
class CosoResult:
    """An assessed questionnaire: items, principles, components, who rated, the overall picture, warnings."""

    questionnaire: LoadedQuestionnaire
    items: pd.DataFrame
    principles: pd.DataFrame
    components: pd.DataFrame
    respondents: pd.DataFrame
    overall: dict[str, int]
    divergence_threshold: int
    maturity_status: str | None
    responses_file: str | None
    warnings: list[str] = field(default_factory=list)
    organisation: str = ""  # whose assessment: set by run_coso_assessment from the parameters (the form's choice)
    period: str = ""

    @property
    def q(self) -> Questionnaire:
        return self.questionnaire.questionnaire

    @cached_property
    def complete(self) -> pd.DataFrame:
        return self.items[self.items["complete"]]

    @cached_property
    def incomplete(self) -> pd.DataFrame:
        return self.items[~self.items["complete"]]

    @cached_property
    def divergent(self) -> pd.DataFrame:
        return self.items[self.items["divergent"]]

    @property
    def red(self) -> pd.DataFrame:
        return self.items[self.items["band"] == self.q.combined.red_band]


def rating_column(line: int) -> str:
    """The items column holding one line's ratings."""
    return f"rating_{line}"


def score_items(q: Questionnaire, responses: Responses, threshold: int) -> pd.DataFrame:
    """One row per questionnaire item: the lines' ratings, combined score, band, completeness, divergence."""
    lines = q.line_numbers
    principles = {p.number: p for p in q.principles}
    items = pd.DataFrame({
        "item_id": [i.id for i in q.items],
        "principle": [i.principle for i in q.items],
        "principle_name": [principles[i.principle].name for i in q.items],
        "component_id": [principles[i.principle].component for i in q.items],
        "component": [q.component(principles[i.principle].component).name for i in q.items],
        "text": [i.text for i in q.items],
        "seed_ref": [i.seed_ref for i in q.items],
    })
    rated = responses.frame.dropna(subset=["rating"])
    grid = (rated.pivot(index="item_id", columns="line", values="rating") if len(rated)
            else pd.DataFrame(index=pd.Index([], name="item_id"), columns=lines))
    grid = grid.reindex(index=items["item_id"], columns=lines).astype("Float64")
    values = grid.to_numpy(dtype=float, na_value=np.nan)
    for k, line in enumerate(lines):
        items[rating_column(line)] = pd.array(values[:, k], dtype="Float64").astype("Int64")

    complete = ~np.isnan(values).any(axis=1)
    combined = np.where(complete, np.nansum(values, axis=1), np.nan)
    items["combined_score"] = pd.array(combined, dtype="Float64").astype("Int64")
    score_band = {s: q.band_for(s) for s in q.reachable_scores}
    items["band"] = pd.Series([score_band[int(s)].name if c else None for s, c in zip(combined, complete,
                                                                                         strict=True)], dtype=object)
    items["band_colour"] = pd.Series([score_band[int(s)].colour if c else None
                                      for s, c in zip(combined, complete, strict=True)], dtype=object)
    items["complete"] = complete
    items["missing_lines"] = [", ".join(str(ln) for ln, v in zip(lines, row, strict=True) if np.isnan(v))
                              for row in values]
    _add_divergence(items, q, values, complete, threshold)
    items["comments"] = _comments(q, responses, items["item_id"])
    return items


def _add_divergence(items: pd.DataFrame, q: Questionnaire, values: np.ndarray, complete: np.ndarray,
                    threshold: int) -> None:
    """Divergence, judged on complete items: spread of the lines' ratings, and the line that stands apart."""
    lines = q.line_numbers
    safe = np.where(complete[:, None], values, 0.0)
    spread = np.where(complete, safe.max(axis=1) - safe.min(axis=1), np.nan)
    items["spread"] = pd.array(spread, dtype="Float64").astype("Int64")
    divergent = complete & (np.nan_to_num(spread, nan=-1) >= threshold)
    items["divergent"] = divergent
    median = np.median(safe, axis=1)
    distance = np.abs(safe - median[:, None])
    furthest = distance.max(axis=1)
    n_furthest = (distance == furthest[:, None]).sum(axis=1)
    apart = distance.argmax(axis=1)
    items["stands_apart"] = pd.Series(
        [(q.line(lines[a]).label + f" (line {lines[a]})" if n == 1 else NO_SINGLE_LINE) if d else None
         for a, n, d in zip(apart, n_furthest, divergent, strict=True)], dtype=object)
    items["stands_apart_line"] = pd.array([lines[a] if d and n == 1 else None
                                           for a, n, d in zip(apart, n_furthest, divergent, strict=True)],
                                          dtype="Int64")


def _comments(q: Questionnaire, responses: Responses, item_ids: pd.Series) -> pd.Series:
    """Each item's comments, labelled by line ("Management: ...; Internal audit: ...")."""
    noted = responses.frame[responses.frame["comment"].astype(str).str.strip() != ""]
    if len(noted):
        labelled = noted.sort_values("line").assign(
            text=lambda f: f["line"].map(lambda n: q.line(int(n)).label) + ": " + f["comment"].astype(str))
        comments = labelled.groupby("item_id")["text"].agg("; ".join)
    else:
        comments = pd.Series(dtype=object)
    return pd.Series([comments.get(i, "") for i in item_ids], dtype=object)


def _rollup(items: pd.DataFrame, key: str, red_band: str) -> pd.DataFrame:
    """Counts, completeness, mean and minimum combined score (complete items only), red and divergent items."""
    g = items.assign(_red=items["band"] == red_band, _score=items["combined_score"].astype("Float64"))
    grouped = g.groupby(key, sort=False)
    out = pd.DataFrame({
        "items": grouped.size(),
        "complete_items": grouped["complete"].sum(),
        "mean_combined": grouped["_score"].mean(),
        "min_combined": grouped["_score"].min(),
        "red_items": grouped["_red"].sum(),
        "divergent_items": grouped["divergent"].sum(),
    })
    return out


def _present(row: pd.Series, rule: PresentRule) -> tuple[bool | None, str, str]:
    """(judgement, status key, reason) for one principle under the questionnaire's rule."""
    if row["items"] == 0:
        return None, NOT_ASSESSED, "no items in the questionnaire"
    missing = int(row["items"] - row["complete_items"])
    if row["complete_items"] == 0 or (rule.require_all_complete and missing):
        return None, INCOMPLETE, f"{missing} of {int(row['items'])} item(s) not rated by every line"
    reasons = []
    if row["red_items"] > rule.max_red_items:
        reasons.append(f"{int(row['red_items'])} red item(s)")
    if row["mean_combined"] < rule.min_mean_combined:
        reasons.append(f"mean {row['mean_combined']:.2f} below {rule.min_mean_combined:g}")
    if reasons:
        return False, NOT_MET, "; ".join(reasons)
    return True, MET, (f"mean {row['mean_combined']:.2f}, at least {rule.min_mean_combined:g}; "
                           f"{int(row['red_items'])} red item(s)")


def _principles(q: Questionnaire, items: pd.DataFrame) -> pd.DataFrame:
    """One row per principle: the roll-up of its items and its judgement under the questionnaire's rule."""
    red = q.combined.red_band
    rolled = _rollup(items, "principle", red)
    frame = pd.DataFrame({
        "principle": [p.number for p in q.principles],
        "name": [p.name for p in q.principles],
        "component_id": [p.component for p in q.principles],
        "component": [q.component(p.component).name for p in q.principles],
    })
    frame = frame.join(rolled, on="principle")
    for col in ("items", "complete_items", "red_items", "divergent_items"):
        frame[col] = frame[col].fillna(0).astype(int)
    frame["completeness"] = (frame["complete_items"] / frame["items"].where(frame["items"] > 0)).round(4)
    frame["mean_combined"] = frame["mean_combined"].astype(float).round(2)
    frame["min_combined"] = frame["min_combined"].astype("Float64").astype("Int64")
    frame["assessed"] = frame["items"] > 0
    judged = [_present(row, q.present_and_functioning) for _, row in frame.iterrows()]
    frame["present_and_functioning"] = pd.Series([j[0] for j in judged], dtype=object)
    frame["status"] = [q.status_names[j[1]] for j in judged]
    frame["reason"] = [j[2] for j in judged]
    frame["band_of_mean"] = [q.band_for(m).name if pd.notna(m) else None for m in frame["mean_combined"]]
    frame["band_colour"] = [q.band_for(m).colour if pd.notna(m) else None for m in frame["mean_combined"]]
    return frame


def _components(q: Questionnaire, items: pd.DataFrame, principles: pd.DataFrame) -> pd.DataFrame:
    """One row per component: the roll-up of its items and how many of its principles are in each status."""
    rolled = _rollup(items, "component_id", q.combined.red_band)
    frame = pd.DataFrame({"component_id": [c.id for c in q.components], "component": [c.name for c in q.components]})
    frame = frame.join(rolled, on="component_id")
    for col in ("items", "complete_items", "red_items", "divergent_items"):
        frame[col] = frame[col].fillna(0).astype(int)
    frame["completeness"] = (frame["complete_items"] / frame["items"].where(frame["items"] > 0)).round(4)
    frame["mean_combined"] = frame["mean_combined"].astype(float).round(2)
    frame["min_combined"] = frame["min_combined"].astype("Float64").astype("Int64")
    counts = principles.groupby(["component_id", "status"]).size().unstack(fill_value=0)
    names = q.status_names
    frame["principles"] = frame["component_id"].map(principles.groupby("component_id").size()).fillna(0).astype(int)
    for status in STATUSES:
        col = "principles_" + status.replace(" ", "_")
        shown = names[status]
        frame[col] = (frame["component_id"].map(counts[shown]) if shown in counts else 0)
        frame[col] = frame[col].fillna(0).astype(int)
    frame["band_of_mean"] = [q.band_for(m).name if pd.notna(m) else None for m in frame["mean_combined"]]
    frame["band_colour"] = [q.band_for(m).colour if pd.notna(m) else None for m in frame["mean_combined"]]
    return frame


def _respondents(q: Questionnaire, responses: Responses, items: pd.DataFrame) -> pd.DataFrame:
    """One row per line: its key question, who answered for it and how many items it rated."""
    f = responses.frame
    rows = []
    for ln in q.lines:
        mine = f[f["line"] == ln.line]
        names = sorted({str(n) for n in mine["respondent"] if str(n).strip()})
        rated = int(items[rating_column(ln.line)].notna().sum())
        rows.append({"line": ln.line, "name": ln.name, "key_question": ln.key_question,
                     "respondents": ", ".join(names), "items_rated": rated, "items_not_rated": len(items) - rated})
    return pd.DataFrame(rows)


def _coverage_warnings(q: Questionnaire, responses: Responses, items: pd.DataFrame, principles: pd.DataFrame,
                       respondents: pd.DataFrame) -> list[str]:
    """Principles without items, incomplete items and lines that rated nothing."""
    warnings = []
    for p in principles[~principles["assessed"]].itertuples(index=False):
        warnings.append(f"Principle {p.principle} ({p.name}) has no items in questionnaire {q.name}: "
                        f"not assessed.")
    n_incomplete = int((~items["complete"]).sum())
    if n_incomplete and len(responses.frame):
        missing = ", ".join(f"{q.line(r.line).label} {r.items_not_rated}" for r in respondents.itertuples(index=False)
                            if r.items_not_rated)
        warnings.append(f"{n_incomplete} of {len(items)} items are incomplete (ratings missing: {missing}); "
                        f"they are listed, never scored.")
    for r in respondents.itertuples(index=False):
        if len(responses.frame) and r.items_rated == 0:
            warnings.append(f"{r.name} has rated no item.")
    return warnings


def assess(loaded: LoadedQuestionnaire, responses: Responses | None = None, divergence_threshold: int | None = None,
           maturity_status: str | None = None) -> CosoResult:
    """Score every item, roll up to principles and components, and judge each principle.

    ``responses`` None means no responses file: every item is incomplete. ``maturity_status`` (fragmented,
    integrated, risk intelligent) adds the questionnaire's applicability warning when it is not suitable.
    """
    q = loaded.questionnaire
    threshold = q.divergence.threshold if divergence_threshold is None else int(divergence_threshold)
    if threshold < 1:
        raise ValueError(f"divergence threshold {threshold}: expected 1 or more")
    status = normalise_maturity(maturity_status)
    if maturity_status is not None and status is None:
        raise ValueError(f"maturity status {maturity_status!r}: expected one of {', '.join(MATURITY_STATUSES)}")
    warnings: list[str] = []
    if status is not None and q.applicability is not None and status in q.applicability.not_suitable:
        warnings.append(f"Maturity status {status}: {q.applicability.warning}")
    if responses is None:
        warnings.append("No responses file was given: every item is incomplete and nothing is scored.")
        responses = Responses.empty()

    items = score_items(q, responses, threshold)
    principles = _principles(q, items)
    components = _components(q, items, principles)
    respondents = _respondents(q, responses, items)
    overall = {"principles": len(principles)} | {s: int((principles["status"] == q.status_names[s]).sum())
                                                  for s in STATUSES}

    warnings += _coverage_warnings(q, responses, items, principles, respondents)
    return CosoResult(questionnaire=loaded, items=items, principles=principles, components=components,
                      respondents=respondents, overall=overall, divergence_threshold=threshold,
                      maturity_status=status, responses_file=responses.file if len(responses.frame) else None,
                      warnings=warnings)
