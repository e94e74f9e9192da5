"""What the tests built from the provincial guide's own rows share: a register evaluated as of the guide's year end,
and parameters naming one (tests/assessments/risk/test_guide_examples.py, test_appetite_statements.py)."""

from __future__ import annotations

import datetime as dt

from tests.conftest import write_csv
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.assessments.risk.register import load_register
from workbook_lib.assessments.risk.scoring import evaluate

AS_OF = dt.date(2017, 6, 30)


def evaluated(tmp_path, text, loaded, **kw):
    register = load_register(write_csv(tmp_path / "r.csv", text), loaded.methodology)
    return evaluate(register, loaded, AS_OF, **kw)


def guide_params(tmp_path, text, **kw) -> RiskEvaluationParams:
    path = write_csv(tmp_path / "register.csv", text)
    return RiskEvaluationParams(organisation="Guide Municipality", period="2016-17", as_of=AS_OF,
                                register=str(path), **{"methodology": "western-cape-5x5", **kw})
