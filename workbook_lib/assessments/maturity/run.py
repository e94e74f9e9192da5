"""Running the maturity scoring from parameters: load and check the inputs (files or the store), score them,
and the maturity status other assessments (COSO, combined assurance) take from their own parameters."""

from __future__ import annotations

from typing import Any

from workbook_lib.assessments.maturity.inputs import (
    CapacityAnswers,
    Marks,
    MaturityParams,
    load_capacity,
    load_marks,
    validate_capacity,
    validate_marks,
)
from workbook_lib.assessments.maturity.model import LoadedMatrix, load_matrix
from workbook_lib.assessments.maturity.records import CAPACITY, MARK
from workbook_lib.assessments.maturity.scoring import MaturityResult, assess, maturity_status, resolve_status
from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.records import earlier_periods, table_for
from workbook_lib.core.source import source_of
from workbook_lib.core.tables import Table


def load_maturity_inputs(params: MaturityParams, marks_table: Table | None = None,
                         capacity_table: Table | None = None
                         ) -> tuple[LoadedMatrix, Marks | None, CapacityAnswers | None, list[tuple[str, Marks | None]]]:
    """Load and check everything the parameters name; every input problem is raised as one InputError.

    Returns (loaded matrix, marks or None, capacity answers or None, [(period, marks), ...]) and scores
    nothing, so ``workbook run`` can fail fast. Raises MatrixError, ParameterError or InputError.
    """
    loaded = load_matrix(params.matrix_ref())
    resolve_status(params.target_status, loaded.matrix)
    stored_history: list[tuple[str, Table]] = []
    if source_of(params).from_store:  # what the form saved; earlier periods in the store give the trend
        marks_table = marks_table if marks_table is not None else table_for(params, MARK.kind)
        capacity_table = capacity_table if capacity_table is not None else table_for(params, CAPACITY.kind)
        listed = {e.period.strip().casefold() for e in params.history}
        stored_history = [(p, t) for p, t in earlier_periods(params, MARK.kind)
                          if p.strip().casefold() not in listed]
    problems: list[Problem] = []

    def attempt(fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except InputError as exc:
            problems.extend(exc.problems)
            return None

    marks = None
    if marks_table is not None:
        marks = attempt(validate_marks, marks_table, loaded)
    elif params.marks is not None:
        marks = attempt(load_marks, params.resolve(params.marks), loaded, sheet=params.sheet)
    capacity = None
    if capacity_table is not None:
        capacity = attempt(validate_capacity, capacity_table, loaded)
    elif params.capacity is not None:
        capacity = attempt(load_capacity, params.resolve(params.capacity), loaded, sheet=params.sheet)
    history: list[tuple[str, Marks | None]] = []
    for entry in params.history:
        hist = attempt(load_marks, params.resolve(entry.marks), loaded, sheet=entry.sheet)
        history.append((entry.period, hist))
    for period, table in stored_history:
        history.append((period, attempt(validate_marks, table, loaded)))
    history.sort(key=lambda pair: pair[0])
    if problems:
        raise InputError(problems)
    return loaded, marks, capacity, history


def run_maturity_scoring(params: MaturityParams, marks_table: Table | None = None,
                         capacity_table: Table | None = None) -> MaturityResult:
    """Load the matrix and the files named by the parameters (or the tables given) and score them."""
    loaded, marks, capacity, history = load_maturity_inputs(params, marks_table, capacity_table)
    result = assess(loaded, params.as_of, params.period, marks=marks, capacity=capacity, history=history,
                    target_status=params.target_status, horizon_years=params.horizon_years)
    result.organisation = params.organisation
    return result


def maturity_of(params: Any) -> str | None:
    """The maturity status for the applicability note: stated in the parameters, else scored from the marks
    (the file named by ``marks``, or with ``source: store`` the marks saved for the organisation and period)."""
    if params.maturity_status:
        return params.maturity_status
    if source_of(params).from_store:
        table = table_for(params, MARK.kind)
        return maturity_status(table) if len(table.frame) else None
    if not getattr(params, "marks", None):
        return None
    return maturity_status(params.resolve(params.marks))
