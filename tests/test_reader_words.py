"""What a person reads is in words (issue 30): every Excel workbook a run writes for the shipped parameters files
holds no code the suite writes (snake_case, a data file's name, TRUE/FALSE) in the columns it fills; combined
assurance names its providers and says "Closed" for a closed risk; the Settings change log reads in words."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from tests.conftest import PARAMETERS, write_csv
from tests.form_kit import no_request  # noqa: F401 - a fixture
from workbook_lib.assessments import assessments_for, registry, shared_fields
from workbook_lib.core import outputs
from workbook_lib.core.params import load_file

# a code: lower-case words joined by "_" or "-", one at least a letter ("control_factor", "western-cape-5x5");
# periods and ranges ("2025-26", "22-33") are numbers
CODE = re.compile(r"(?=.*[a-z])[a-z0-9]+(?:[_-][a-z0-9]+)+")
# columns holding an ID or the user's own text, as written (a heading the register gave is the user's text)
USERS = {"Your heading", "Risk", "Item", "Element", "Period", "Earlier ID", "Risks setting the level", "Risk ids",
         "Comments", "Comment", "Notes", "Note", "Finding", "Description", "Text", "Source"}
RUNS = [(path, name) for path in sorted(PARAMETERS.glob("*.yaml"))
        for name in assessments_for(yaml.safe_load(path.read_text(encoding="utf-8")))]


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> dict[str, Path]:
    """Each shipped parameters file's assessments run in this process and written as a run writes them."""
    written = {}
    for path, name in RUNS:
        spec = registry()[name]
        params = load_file(path, spec.params, shared_fields())
        folder = tmp_path_factory.mktemp(f"{path.stem}-{name}")
        spec.write_outputs(spec.run(params), params.organisation, params.period, folder)
        written[f"{path.stem}/{name}"] = folder / f"{name}.xlsx"
    return written


def _cells(book: Path):
    """(sheet, heading, value) of every cell below a heading."""
    wb = openpyxl.load_workbook(book, read_only=True)
    for sheet in wb.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        for row in rows[1:]:
            for heading, value in zip(rows[0], row, strict=False):
                yield sheet.title, heading, value


def test_every_shipped_run_writes_a_workbook(workbooks):
    assert {"risk-evaluation", "combined-assurance", "coso-assessment", "maturity-scoring",
            "risk-monitoring"} <= {key.split("/")[1] for key in workbooks}


def test_no_code_or_true_false_in_a_workbook_a_person_reads(workbooks):
    found = set()
    for key, book in workbooks.items():
        for sheet, heading, value in _cells(book):
            if isinstance(value, bool) or (isinstance(value, str) and value.strip().upper() in ("TRUE", "FALSE")):
                found.add((key, sheet, heading, str(value)))
            elif isinstance(value, str) and heading not in USERS and CODE.fullmatch(value.strip()):
                if sheet == "Method" and value.endswith((".yaml", ".csv", ".xlsx")):
                    continue  # a file's name, as the parameters give it
                found.add((key, sheet, heading, value))
    assert not found, sorted(found)


def test_headings_are_words(workbooks):
    for key, book in workbooks.items():
        for sheet in openpyxl.load_workbook(book, read_only=True).worksheets:
            headings = next(sheet.iter_rows(max_row=1, values_only=True), ())
            assert not [h for h in headings if isinstance(h, str) and "_" in h], (key, sheet.title, headings)


def test_methodology_and_codes_in_words(workbooks):
    risk = openpyxl.load_workbook(workbooks["karoo-vale-2025-26/risk-evaluation"], read_only=True)
    method = {r[0]: r[1] for r in risk["Method"].iter_rows(min_row=2, values_only=True)}
    assert method["methodology"] == "Provincial municipal ERM 5 x 5 risk rating"
    assert method["banding"] == "Risk rating parameters (Table 26)"
    rows = list(risk["Risks"].iter_rows(values_only=True))
    basis = rows[0].index("Residual scored from")
    assert {r[basis] for r in rows[1:]} == {"Inherent score x control factor"}
    assert {r[rows[0].index("Status")] for r in rows[1:]} <= {"Open", "Closed", "Eliminated", "Opportunity"}


def test_store_exports_keep_the_codes(tmp_path):
    frame = pd.DataFrame({"residual_basis": ["control_factor"], "due": ["2025-09-30"]})
    outputs.write_table(frame, tmp_path / "x.xlsx")
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    assert [c.value for c in book.active[2]] == ["control_factor", "2025-09-30"]
    outputs.write_excel({"t": frame}, tmp_path / "y.xlsx")
    book = openpyxl.load_workbook(tmp_path / "y.xlsx")
    assert book["t"]["A2"].value == "Inherent score x control factor"
    assert book["t"]["B2"].value == dt.datetime(2025, 9, 30)  # a date, not text


def test_html_tables_show_codes_in_words():
    shown = outputs.html_table(pd.DataFrame({"residual_basis": ["rerated"], "status": ["closed"]})).data
    assert "Re-rated after controls" in shown and "Closed" in shown and "rerated" not in shown


# ---- combined assurance ------------------------------------------------------------------------------------------
def test_assurance_names_its_providers(workbooks):
    ids = {"risk_management", "management_controls", "internal_audit", "occupational_health_safety"}
    text = " ".join(str(v) for _s, _h, v in _cells(workbooks["karoo-vale-2025-26/combined-assurance"]))
    assert not [i for i in ids if i in text]
    assert "Risk management" in text and "Occupational health and safety" in text


def test_a_closed_risk_reads_closed_in_combined_assurance(tmp_path):
    from workbook_lib.assessments.assurance import charts, report
    from workbook_lib.assessments.assurance.inputs import CombinedAssuranceParams
    from workbook_lib.assessments.assurance.run import run_combined_assurance

    register = PARAMETERS / "registers/karoo_vale_municipality_2025.csv"
    lines = register.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].endswith(";status")
    lines = [line.rsplit(";", 1)[0] + ";closed" if line.startswith("KV-013;") else line for line in lines]
    path = write_csv(tmp_path / "register.csv", "\n".join(lines) + "\n")
    params = load_file(PARAMETERS / "karoo-vale-2025-26.yaml", CombinedAssuranceParams, shared_fields())
    result = run_combined_assurance(params.model_copy(update={"register_file": str(path)}))
    row = next(r for r in result.risks.itertuples(index=False) if r.risk_id == "KV-013")
    label = charts.risk_label(row)
    assert "Closed" in label and "not rated" not in label and "out of scope" not in label
    assert not [w for w in result.warnings if "not rated" in w and "KV-013" in w]
    view = report.risks_view(result)
    shown = outputs.html_table(view).data
    assert "Closed" in shown


# ---- the Settings page ---------------------------------------------------------------------------------------------
def test_the_settings_change_log_reads_in_words(tmp_path, no_request):  # noqa: F811 - the fixture above
    from tests.form_kit import Recorder
    from workbook_lib.app.settings_page import SettingsForm, SettingsParams
    from workbook_lib.core.store import Store

    with Store(str(tmp_path / "store.db")) as store:
        page = SettingsForm(SettingsParams(organisation="Blue Crane Local Municipality", period="2025-26",
                                           store_url=store.url), Recorder(), store=store)
        page.respondent.name.value = "Sipho Ndlovu"
        page.methodology.value = "western-cape-5x5"
        page.maturity.value = "marks"
        page.save.click()
        trail = page.trail.value
    assert "Risk methodology" in trail and "Provincial municipal ERM 5 x 5 risk rating" in trail
    assert "Maturity status" in trail and "scored from the maturity marks" in trail
    cells = re.findall(r"<td>([^<]*)</td>", trail)
    assert cells and not [c for c in cells if CODE.fullmatch(c)], cells
    assert "western-cape-5x5" not in trail and ">marks<" not in trail
