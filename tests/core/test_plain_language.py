"""Reports and forms speak plainly: table headings are words, not column names; booleans read Yes/No; and the
notebooks' opening text describes the page, not how a developer runs it."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from tests.conftest import PARAMETERS
from workbook_lib.core import outputs

DEVELOPER_TEXT = ("run all", "parameters below", "report_rows")


def _table(html: str) -> tuple[list[str], list[str]]:
    soup = BeautifulSoup(html, "html.parser")
    return [th.get_text() for th in soup.find_all("th")], [td.get_text() for td in soup.find_all("td")]


# ---- html_table ----------------------------------------------------------------------------------------
def test_html_table_shows_human_headings_and_yes_no():
    frame = pd.DataFrame({
        "risk_id": ["R-1", "R-2", "R-3"],
        "residual_score": [16, 4, 9],
        "above_appetite": pd.Series([True, False, None], dtype=object),  # object column, one missing
        "action_overdue": np.array([False, True, False]),  # numpy bools
        "some_new_column": ["a", "b", "c"],  # no label: words, first letter capitalised
        "Working Lead": ["x", "y", "z"],  # already a heading: kept as it is
        "line 1": ["yes", "no", ""],  # already a heading: kept as it is
    })
    headings, cells = _table(outputs.html_table(frame).data)
    assert headings == ["Risk", "Residual score", "Above appetite", "Action overdue", "Some new column",
                        "Working Lead", "line 1"]
    assert cells[2::7] == ["Yes", "No", ""] and cells[3::7] == ["No", "Yes", "No"]
    assert cells[6::7] == ["yes", "no", ""]  # text that says yes or no is left alone
    assert list(frame.columns)[0] == "risk_id"  # the caller's frame is not renamed


def test_html_table_keeps_its_note_order_and_escaping():
    frame = pd.DataFrame({"risk_id": [f"<b>R{i}</b>" for i in range(5)], "residual_score": range(5)})
    html = outputs.html_table(frame, limit=2, worst_first=("residual_score", False), sheet="Risks").data
    headings, cells = _table(html)
    assert headings == ["Risk", "Residual score"]
    assert cells == ["<b>R4</b>", "4", "<b>R3</b>", "3"] and "&lt;b&gt;R4&lt;/b&gt;" in html
    assert "Showing 2 of 5 rows, ordered by residual score (highest first); every row is in the Excel " \
           "workbook, sheet &quot;Risks&quot;." in html


def test_every_label_is_for_a_column_name_and_reads_as_words():
    labels = outputs.column_labels()
    assert labels["risk_id"] == "Risk" and labels["above_appetite"] == "Above appetite"
    for name, label in labels.items():
        assert isinstance(name, str) and isinstance(label, str), (name, label)  # YAML never read yes as True
        assert re.fullmatch(r"[a-z0-9_]+", name), name  # a human heading needs no label: it is kept
        assert label.strip() and "_" not in label and label[0].isupper(), (name, label)


@pytest.mark.parametrize(("name", "heading"), [
    ("in_scope_risks_covered", "Risks in scope covered"), ("brand_new_field", "Brand new field"),
    ("item", "Item"), ("Oversee", "Oversee"), ("guide's no.", "guide's no."),
    ("applied_totals (x)", "Applied totals (x)"), (3, "3")])
def test_column_heading(name, heading):
    assert outputs.column_heading(name) == heading


# ---- the shipped reports -------------------------------------------------------------------------------
RUNS = [("risk-evaluation", "karoo-vale-2025-26.yaml"), ("coso-assessment", "karoo-vale-2025-26.yaml"),
        ("maturity-scoring", "karoo-vale-2025-26.yaml"), ("combined-assurance", "karoo-vale-2025-26.yaml"),
        ("risk-evaluation", "mopac-met-2020.yaml")]


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, BeautifulSoup]:
    from workbook_lib.cli import run_assessment

    soups = {}
    for assessment, params in RUNS:
        out = tmp_path_factory.mktemp(assessment)
        paths = run_assessment(assessment, PARAMETERS / params, out)
        html = next(p for p in paths if p.suffix == ".html")
        soups[f"{assessment} ({params})"] = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    return soups


@pytest.mark.parametrize("run", [f"{a} ({p})" for a, p in RUNS])
def test_report_tables_have_human_headings_and_yes_no(reports, run):
    soup = reports[run]
    assert soup.find_all("table", class_="workbook-table"), "the report shows its tables"
    headings = [th.get_text().strip() for th in soup.find_all("th")]
    assert [h for h in headings if "_" in h or h in ("True", "False")] == []
    assert [td.get_text().strip() for td in soup.find_all("td") if td.get_text().strip() in ("True", "False")] == []


@pytest.mark.parametrize("run", [f"{a} ({p})" for a, p in RUNS])
def test_report_text_has_no_developer_instructions(reports, run):
    text = reports[run].body.get_text(" ")
    assert [t for t in DEVELOPER_TEXT if t in text] == []


@pytest.mark.parametrize("run", [f"{a} ({p})" for a, p in RUNS])
def test_report_text_names_no_parameter(reports, run):
    assert "report_rows" not in reports[run].body.get_text(" ")
