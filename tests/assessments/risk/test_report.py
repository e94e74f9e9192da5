"""The risk evaluation's report tables stay readable at any register size: at most ``report_rows`` rows, the
worst first; the full lists still go to the .xlsx."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from tests.assessments.risk.test_charts import _big_register
from tests.core.test_outputs import _rows
from workbook_lib.assessments.risk import report
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.assessments.risk.scoring import evaluate
from workbook_lib.core import outputs


def test_report_rows_is_a_validated_parameter():
    base = {"organisation": "O", "period": "P", "as_of": "2025-11-30", "methodology": "western-cape-5x5",
            "register": "r.csv"}
    assert RiskEvaluationParams.model_validate(base).report_rows == 500
    assert RiskEvaluationParams.model_validate({**base, "report_rows": 20}).report_rows == 20
    with pytest.raises(ValueError, match="report_rows"):
        RiskEvaluationParams.model_validate({**base, "report_rows": 0})


def test_large_register_report_table_is_capped_but_excel_keeps_every_risk(western_cape, tmp_path):
    ev = evaluate(_big_register(western_cape, 3000), western_cape, dt.date(2025, 11, 30), appetite="Low")
    html = outputs.html_table(report.register_view(ev), limit=200, worst_first=("residual_score", False),
                               sheet="Risks").data
    assert _rows(html) == 200 and "Showing 200 of 3,000 rows" in html
    columns = list(report.register_view(ev).columns)
    body = html.split("<tbody>", 1)[1]
    cells = [re.findall(r"<td>(.*?)</td>", row, re.S) for row in body.split("</tr>")[:-1]]
    shown = sorted((int(c[columns.index("residual_score")]) for c in cells), reverse=True)
    expected = ev.risks["residual_score"].sort_values(ascending=False).head(200).tolist()
    assert shown == expected and shown[0] > shown[-1]  # the 200 worst, not the first 200 in the register
    xlsx = outputs.write_excel(report.result_tables(ev), tmp_path / "r.xlsx")
    assert len(pd.read_excel(xlsx, sheet_name="Risks", engine="calamine")) == 3000
