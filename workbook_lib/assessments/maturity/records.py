"""The record kinds maturity scoring keeps in the store: a mark per element, a capacity answer per item and line."""

from __future__ import annotations

from typing import Any

from workbook_lib.assessments.maturity.inputs import CAPACITY_COLUMNS, MARKS_COLUMNS, validate_capacity, validate_marks
from workbook_lib.assessments.maturity.model import DEFAULT_MATRIX, LoadedMatrix, Matrix, load_matrix
from workbook_lib.core.records import RecordKind, blank, line_column, register_kind
from workbook_lib.core.tables import Table


def _marks(table: Table, matrix: Matrix) -> dict[str, dict[str, str]]:
    """Keys are element IDs (``A1``)."""
    return {r["element_id"]: {"element_id": r["element_id"], "mark": blank(r["mark"]),
                              "respondent": blank(r["respondent"]), "comment": blank(r["comment"])}
            for r in validate_marks(table, matrix).frame.to_dict("records")}


def _capacity(table: Table, matrix: Matrix) -> dict[str, dict[str, str]]:
    """Keys ``3|1`` (item and line)."""
    return {f"{int(r['item_id'])}|{int(r['line'])}": {
        "item_id": str(int(r["item_id"])), "line": str(int(r["line"])), "answer": blank(r["answer"]),
        "respondent": blank(r["respondent"]), "comment": blank(r["comment"])}
        for r in validate_capacity(table, matrix).frame.to_dict("records")}


def _context(name: str | None, params: Any, **_options: Any) -> tuple[LoadedMatrix, Matrix]:
    loaded = load_matrix(name or (params.matrix_ref() if params else DEFAULT_MATRIX))
    return loaded, loaded.matrix


MARK = register_kind(RecordKind("maturity_mark", ("element_id",), lambda: MARKS_COLUMNS, _marks, _context))
CAPACITY = register_kind(RecordKind("capacity_answer", ("item_id", "line"), lambda: CAPACITY_COLUMNS, _capacity,
                                    _context, line_of=line_column("line")))
