"""Risk-management maturity scoring: marks placed on the matrix (totals, status, partial assessments), the
capacity, skills and budget results, the gaps to a target status, the roadmap and the trend over periods.

Other assessments read the maturity status through :func:`maturity_status` (or ``run.maturity_of`` from
their parameters), never from a report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from workbook_lib.assessments.maturity.inputs import (
    CapacityAnswers,
    Marks,
    load_marks,
    validate_marks,
)
from workbook_lib.assessments.maturity.model import (
    DEFAULT_MATRIX,
    IndexLevel,
    LoadedMatrix,
    Matrix,
    as_matrix,
    load_matrix,
    status_key,
)
from workbook_lib.core.datafiles import normalise_label
from workbook_lib.core.params import ParameterError
from workbook_lib.core.tables import Table


@dataclass
class Score:
    """Marks placed on the matrix: per element, per assessment, total, status."""

    elements: pd.DataFrame
    by_assessment: pd.DataFrame
    total_score: int
    elements_rated: int
    elements_total: int
    status: str | None
    possible_statuses: list[str]

    @property
    def complete(self) -> bool:
        return self.elements_rated == self.elements_total


def score_marks(marks: Marks | dict[str, int] | None, matrix: Matrix | LoadedMatrix) -> Score:
    """Place marks on the matrix. The status is given only when every element is rated."""
    m = as_matrix(matrix)
    if isinstance(marks, Marks):
        mark_of, info = marks.mark_of(), marks.frame.set_index("element_id")
    else:
        mark_of, info = dict(marks or {}), pd.DataFrame()
    names = m.status_names
    rows = []
    for a, g, e in m.elements:
        mark = mark_of.get(e.id)
        extra = info.loc[e.id] if e.id in info.index else None
        rows.append({
            "element_id": e.id, "assessment": a.id, "assessment_name": a.name, "group": g.name, "name": e.name,
            "mark": mark, "level": names[mark - 1] if mark else None,
            "description": e.descriptions[mark - 1] if mark else "",
            "respondent": "" if extra is None else extra["respondent"],
            "comment": "" if extra is None else extra["comment"],
            "row": None if extra is None else int(extra["row"]),
        })
    elements = pd.DataFrame(rows)
    elements["mark"] = pd.array(elements["mark"].tolist(), dtype="Int64")
    elements["row"] = pd.array(elements["row"].tolist(), dtype="Int64")
    per = []
    for a in m.assessments:
        part = elements[elements["assessment"] == a.id]
        rated = int(part["mark"].notna().sum())
        score = int(part["mark"].sum())
        per.append({"assessment": a.id, "name": a.name, "score": score, "rated": rated, "total": len(part),
                    "max_score": len(part) * m.max_mark,
                    "mean_mark": round(score / rated, 2) if rated else None})
    by_assessment = pd.DataFrame(per)
    total = int(elements["mark"].sum())
    rated = int(elements["mark"].notna().sum())
    n = len(elements)
    missing = n - rated
    low, high = total + missing * m.statuses[0].mark, total + missing * m.max_mark
    possible = [b.status for b in m.bands if b.min <= high and b.max >= low]
    status = m.band_for_total(total).status if missing == 0 else None
    return Score(elements=elements, by_assessment=by_assessment, total_score=total, elements_rated=rated,
                 elements_total=n, status=status, possible_statuses=possible)


def maturity_status(marks: str | Path | Table | Marks | MaturityResult | None,
                    matrix: str | Path | Matrix | LoadedMatrix = DEFAULT_MATRIX,
                    sheet: str | None = None) -> str | None:
    """The maturity status of a marks file or table: one of the matrix's status names (for the shipped
    matrix exactly "fragmented", "integrated" or "risk intelligent"), or None when it cannot be
    classified (no marks, or not every element rated). Invalid marks raise InputError.
    """
    if isinstance(marks, MaturityResult):
        return marks.status
    if marks is None:
        return None
    m = matrix if isinstance(matrix, (Matrix, LoadedMatrix)) else load_matrix(matrix)
    if isinstance(marks, Table):
        validated = validate_marks(marks, m)
    elif isinstance(marks, Marks):
        validated = marks
    else:
        validated = load_marks(marks, m, sheet=sheet)
    return score_marks(validated, m).status


# ---- capacity ---------------------------------------------------------------------------------------
@dataclass
class CapacityResult:
    provided: bool
    answers: pd.DataFrame  # item x line: item_id, seed_ref, section, text, line, line_name, answer
    by_line: pd.DataFrame
    by_section: pd.DataFrame  # section x line (line 0 = all lines)
    disagreements: pd.DataFrame
    not_answered: pd.DataFrame

    @property
    def answers_given(self) -> int:
        return int(self.answers["answer"].notna().sum())


def percent(yes: int, answered: int) -> float | None:
    return round(100 * yes / answered, 1) if answered else None


def assess_capacity(answers: CapacityAnswers | None, matrix: Matrix | LoadedMatrix) -> CapacityResult:
    m = as_matrix(matrix)
    cap = m.capacity
    given = {} if answers is None else {(r.item_id, r.line): r for r in answers.frame.itertuples(index=False)}
    rows = []
    for item in cap.items:
        for ln in cap.lines:
            rec = given.get((item.id, ln.line))
            rows.append({"item_id": item.id, "seed_ref": item.seed_ref, "section": item.section, "text": item.text,
                         "line": ln.line, "line_name": ln.name, "answer": None if rec is None else rec.answer,
                         "respondent": "" if rec is None else rec.respondent,
                         "comment": "" if rec is None else rec.comment})
    table = pd.DataFrame(rows)
    answered = table["answer"].notna()
    yes = table["answer"] == "yes"

    def counts(mask: pd.Series) -> dict[str, Any]:
        a, y = int((answered & mask).sum()), int((yes & mask).sum())
        return {"answered": a, "yes": y, "no": a - y, "percent_yes": percent(y, a)}

    by_line = pd.DataFrame([{"line": ln.line, "name": ln.name, "items": len(cap.items),
                             **counts(table["line"] == ln.line)} for ln in cap.lines])
    sec_rows = []
    for section in cap.sections:
        in_section = table["section"] == section
        for ln in cap.lines:
            sec_rows.append({"section": section, "line": ln.line, "line_name": ln.name,
                             **counts(in_section & (table["line"] == ln.line))})
        sec_rows.append({"section": section, "line": 0, "line_name": "All lines", **counts(in_section)})
    by_section = pd.DataFrame(sec_rows)
    dis = []
    for item in cap.items:
        part = table[(table["item_id"] == item.id) & answered]
        if part["answer"].nunique() > 1:
            dis.append({"item_id": item.id, "seed_ref": item.seed_ref, "section": item.section, "text": item.text,
                        **{f"line {ln.line}": (part.loc[part["line"] == ln.line, "answer"].tolist() or [None])[0]
                           for ln in cap.lines}})
    disagreements = pd.DataFrame(dis, columns=["item_id", "seed_ref", "section", "text",
                                               *(f"line {ln.line}" for ln in cap.lines)])
    not_answered = table.loc[~answered, ["item_id", "seed_ref", "section", "line", "line_name"]].reset_index(drop=True)
    return CapacityResult(provided=answers is not None, answers=table, by_line=by_line, by_section=by_section,
                          disagreements=disagreements, not_answered=not_answered)


# ---- the result a report needs ------------------------------------------------------------------------
@dataclass
class MaturityResult:
    matrix: LoadedMatrix
    as_of: dt.date
    period: str
    score: Score
    target_status: str
    horizon_years: int
    gaps: pd.DataFrame
    roadmap: pd.DataFrame
    capacity: CapacityResult
    trend: pd.DataFrame
    history_periods: list[str]
    marks_file: str | None
    capacity_file: str | None
    warnings: list[str] = field(default_factory=list)
    organisation: str = ""  # set by run_maturity_scoring; a report heading names it

    # conveniences used by reports, notebooks and other assessments
    @property
    def status(self) -> str | None:
        return self.score.status

    @property
    def elements(self) -> pd.DataFrame:
        return self.score.elements

    @property
    def by_assessment(self) -> pd.DataFrame:
        return self.score.by_assessment

    @property
    def total_score(self) -> int:
        return self.score.total_score

    @property
    def toolkit(self) -> str | None:
        return self.matrix.matrix.status(self.status).toolkit if self.status else None

    @property
    def index_levels(self) -> list[IndexLevel]:
        """The five-level index levels the status stands for (empty while not classified)."""
        if not self.status:
            return []
        return [lv for lv in self.matrix.matrix.index if lv.status == self.status]


def resolve_status(value: str, matrix: Matrix | LoadedMatrix) -> str:
    """A status name from a status, alias, mark or five-level index level name; ParameterError otherwise."""
    m = as_matrix(matrix)
    try:
        return m.status(value).name
    except KeyError:
        pass
    key = status_key(value)
    for lv in m.index:
        if key in {normalise_label(lv.name), normalise_label(lv.label)}:
            return lv.status
    choices = ", ".join(m.status_names)
    raise ParameterError(f"target_status {value!r}: expected one of {choices} (or a maturity index level "
                         f"such as {', '.join(lv.name for lv in m.index)})")


def gaps_below(score: Score, matrix: Matrix | LoadedMatrix, target_status: str) -> pd.DataFrame:
    """Rated elements whose mark is below the target status, with the next level's description as the action."""
    m = as_matrix(matrix)
    target = m.status(target_status)
    names = m.status_names
    el = score.elements
    below = el[el["mark"].notna() & (el["mark"] < target.mark)]
    rows = []
    for r in below.itertuples(index=False):
        _, _, e = m.element(r.element_id)
        mark = int(r.mark)
        rows.append({"element_id": r.element_id, "assessment": r.assessment, "group": r.group, "name": r.name,
                     "mark": mark, "level": names[mark - 1], "target": target.name,
                     "steps_to_target": target.mark - mark, "next_level": names[mark],
                     "action": e.descriptions[mark]})
    return pd.DataFrame(rows, columns=["element_id", "assessment", "group", "name", "mark", "level", "target",
                                       "steps_to_target", "next_level", "action"])


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def roadmap(status: str | None, matrix: Matrix | LoadedMatrix, as_of: dt.date, horizon_years: int,
            target_status: str) -> pd.DataFrame:
    """The guide's steps from the current status to the highest, with cumulative years from the as-of date.

    within_horizon: "yes" when even the slowest pace finishes the step within the horizon, "possibly" when
    only a faster pace does, "no" when even the fastest pace does not.
    """
    m = as_matrix(matrix)
    cols = ["step", "from_status", "to_status", "years", "earliest_year", "latest_year", "earliest_by",
            "latest_by", "within_horizon", "reaches_target", "condition"]
    if status is None:
        return pd.DataFrame(columns=cols)
    names = m.status_names
    target_mark = m.status(target_status).mark
    steps = {s.from_status: s for s in m.roadmap.steps}
    rows, current, low, high = [], status, 0, 0
    while current in steps:
        s = steps[current]
        low, high = low + s.years_min, high + s.years_max
        within = "yes" if high <= horizon_years else "possibly" if low <= horizon_years else "no"
        years = f"{s.years_min}" if s.years_min == s.years_max else f"{s.years_min}-{s.years_max}"
        rows.append({"step": len(rows) + 1, "from_status": s.from_status, "to_status": s.to_status, "years": years,
                     "earliest_year": low, "latest_year": high, "earliest_by": _add_years(as_of, low),
                     "latest_by": _add_years(as_of, high), "within_horizon": within,
                     "reaches_target": names.index(s.to_status) + 1 == target_mark, "condition": s.condition})
        current = s.to_status
    return pd.DataFrame(rows, columns=cols)


def trend(periods: list[tuple[str, Score]]) -> pd.DataFrame:
    """Per period (in the order given, oldest first) and assessment: score, rated, mean mark; plus totals."""
    rows = []
    for period, sc in periods:
        for r in sc.by_assessment.itertuples(index=False):
            rows.append({"period": period, "assessment": r.assessment, "name": r.name, "score": r.score,
                         "rated": r.rated, "total": r.total, "max_score": r.max_score, "mean_mark": r.mean_mark,
                         "status": None})
        rows.append({"period": period, "assessment": "Total", "name": "All assessments", "score": sc.total_score,
                     "rated": sc.elements_rated, "total": sc.elements_total,
                     "max_score": int(sc.by_assessment["max_score"].sum()),
                     "mean_mark": round(sc.total_score / sc.elements_rated, 2) if sc.elements_rated else None,
                     "status": sc.status})
    return pd.DataFrame(rows, columns=["period", "assessment", "name", "score", "rated", "total", "max_score",
                                       "mean_mark", "status"])


def assess(loaded: LoadedMatrix, as_of: dt.date, period: str, marks: Marks | None = None,
           capacity: CapacityAnswers | None = None, history: list[tuple[str, Marks]] | None = None,
           target_status: str = "integrated", horizon_years: int = 5) -> MaturityResult:
    """Score validated inputs: status, gaps to the target, roadmap, capacity and trend."""
    m = loaded.matrix
    target = resolve_status(target_status, m)
    sc = score_marks(marks, m)
    warnings: list[str] = []
    if marks is None:
        warnings.append("No marks file was given: no element is rated and no maturity status is given.")
    elif not sc.complete:
        unrated = sc.elements.loc[sc.elements["mark"].isna(), "element_id"].tolist()
        possible = sc.possible_statuses
        span = possible[0] if len(possible) == 1 else f"{possible[0]} to {possible[-1]}"
        warnings.append(f"{len(unrated)} of {sc.elements_total} elements are not rated ({', '.join(unrated)}): "
                        f"no maturity status is given until every element is rated. Provisionally, with the "
                        f"marks given so far, the status can still be {span}.")
    if capacity is None:
        warnings.append("No capacity answers were given: the capacity, skills and budget assessment is empty.")
    cap = assess_capacity(capacity, m)
    if capacity is not None and len(cap.not_answered):
        warnings.append(f"{len(cap.not_answered)} of {len(cap.answers)} capacity answers (item x line) are not "
                        f"given; percentages are of the answers given.")
    planning = m.roadmap.planning_years
    if horizon_years > planning.max:
        warnings.append(f"The horizon of {horizon_years} years is beyond the guide's planning period of "
                        f"{planning.min} to {planning.max} years.")
    periods = [(p, score_marks(h, m)) for p, h in (history or [])]
    trend_frame = trend([*periods, (period, sc)]) if periods else trend([])
    partial = [p for p, s in periods if not s.complete]
    if partial:
        warnings.append(f"Earlier period(s) not fully rated: {', '.join(partial)}; compare their mean marks, "
                        f"not their scores.")
    return MaturityResult(
        matrix=loaded, as_of=as_of, period=period, score=sc, target_status=target, horizon_years=horizon_years,
        gaps=gaps_below(sc, m, target), roadmap=roadmap(sc.status, m, as_of, horizon_years, target),
        capacity=cap, trend=trend_frame, history_periods=[p for p, _ in periods],
        marks_file=None if marks is None else marks.file, capacity_file=None if capacity is None else capacity.file,
        warnings=warnings)
