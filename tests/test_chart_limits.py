"""Every chart of every assessment draws at the input limits without Altair's row limit (MaxRowsError: 5,000 rows)
and says what it leaves out: risk monitoring with 21 metrics read monthly for 20 years (5,040 readings) and with a
catalogue of 6,000 metrics; the risk evaluation of 250,000 risks with an earlier period; COSO with an organisation's
questionnaire of 3,000 items; maturity with a matrix of 600 elements in 40 assessments and 45 periods of history;
combined assurance with 400 providers of the organisation's own. Each input is built here; each chart is rendered
to SVG as the reports render it. The monitoring notebook runs the 20-year case through the library end to end (its
cells executed in order, every section drawn, the JSON and Excel written)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc
import yaml

from tests.assessments.risk.test_charts import _big_register
from tests.conftest import ROOT, write_csv
from tests.test_chart_legibility import legibility_problems
from workbook_lib.assessments.assurance import charts as assurance_charts
from workbook_lib.assessments.assurance.inputs import validate_assurance_map
from workbook_lib.assessments.assurance.model import load_assurance_framework
from workbook_lib.assessments.assurance.providers import merge_providers
from workbook_lib.assessments.assurance.scoring import analyse
from workbook_lib.assessments.coso import charts as coso_charts
from workbook_lib.assessments.coso import inputs as coso_inputs
from workbook_lib.assessments.coso import model as coso_model
from workbook_lib.assessments.coso import scoring as coso_scoring
from workbook_lib.assessments.maturity import charts as maturity_charts
from workbook_lib.assessments.maturity.inputs import load_marks
from workbook_lib.assessments.maturity.model import load_matrix
from workbook_lib.assessments.maturity.model import shipped as shipped_matrices
from workbook_lib.assessments.maturity.scoring import assess as assess_maturity
from workbook_lib.assessments.monitoring import charts as monitoring_charts
from workbook_lib.assessments.monitoring.catalogue import Catalogue, LoadedCatalogue
from workbook_lib.assessments.monitoring.inputs import MonitoringParams
from workbook_lib.assessments.monitoring.readings import COLUMNS as READING_COLUMNS
from workbook_lib.assessments.monitoring.run import run_monitoring
from workbook_lib.assessments.monitoring.scoring import assess as assess_monitoring
from workbook_lib.assessments.risk import charts as risk_charts
from workbook_lib.assessments.risk.changes import Movement, changes_across
from workbook_lib.assessments.risk.methodology import load_methodology
from workbook_lib.assessments.risk.scoring import evaluate
from workbook_lib.core.charts import MAX_ROWS, ROW_BUDGET, Drawn
from workbook_lib.core.tables import ROW, Table

SHIPPED_METRICS = ROOT / "workbook_lib" / "assessments" / "monitoring" / "data" / "table-25-metrics.yaml"


def rendered(chart: Any, legible: bool = True) -> tuple[dict, str]:
    """The chart's Vega-Lite spec (every dataset within the row budget) and its SVG, as a report draws it; its text
    whole and inside the picture (tests/test_chart_legibility.py's check), notes included."""
    spec = chart.to_dict()  # raises MaxRowsError past 5,000 rows
    for name, values in spec.get("datasets", {}).items():
        assert len(values) <= ROW_BUDGET < MAX_ROWS, f"dataset {name}: {len(values)} rows"
    if legible:
        problems = legibility_problems(chart)
        assert not problems, "\n".join(problems)
    return spec, vlc.vegalite_to_svg(spec)


def caption(spec: dict) -> str:
    """The chart's title and caption as one line of text (wrapped lines joined)."""
    head = spec.get("title") or {}
    parts = [head] if isinstance(head, str) else [*_lines(head.get("text")), *_lines(head.get("subtitle"))]
    return " ".join(parts)


def _lines(value: Any) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


# ---- risk monitoring -----------------------------------------------------------------------------------------
MONTHS = [f"{year}-{month:02d}" for year in range(2006, 2026) for month in range(1, 13)]  # 240 periods


def _twenty_years(folder: Path) -> Path:
    """21 metrics (the shipped catalogue) read every month for 20 years: 5,040 readings."""
    metrics = yaml.safe_load(SHIPPED_METRICS.read_text(encoding="utf-8"))["metrics"]
    rng = np.random.default_rng(7)
    rows = ["Metric,Period,Value"] + [f"{m['id']},{p},{int(rng.integers(0, 100))}" for p in MONTHS for m in metrics]
    return write_csv(folder / "readings.csv", "\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def twenty_years(tmp_path_factory):
    folder = tmp_path_factory.mktemp("monthly")
    _twenty_years(folder)
    return folder, run_monitoring(MonitoringParams(organisation="Twenty Years", period="2025-12", as_of="2025-12-31",
                                                   readings="readings.csv", parameters_dir=str(folder)))


def test_twenty_years_of_monthly_readings_are_drawn_by_span(twenty_years):
    _, result = twenty_years
    assert len(result.readings) == 5040 and len(result.periods) == 240
    spec, svg = rendered(monitoring_charts.trends(result))
    words = caption(spec)
    assert "240 periods: before 2025-12, each dot is the mean of up to 5 periods' readings" in words
    assert "Every reading is in the Excel workbook" in words
    data, headings = monitoring_charts.trend_frame(result)
    readings = data[data["kind"] == "reading"]
    assert len(headings) == 21 and len(readings) <= 21 * monitoring_charts.MAX_POINTS
    last = readings[readings["period"] == "2025-12"]
    assert (last["span"] == "2025-12").all() and len(last) == 21  # the report's period is its own dot
    assert "<svg" in svg
    rendered(monitoring_charts.state_overview(result))


def test_the_monitoring_notebook_runs_twenty_years_end_to_end(twenty_years, tmp_path, monkeypatch):
    """The notebook's cells, in order, through the library (as papermill would run them): every section drawn as
    the report draws it (charts to SVG), the note in the trend's caption, the JSON and Excel written."""
    import workbook_lib.core.forms as forms

    folder, _ = twenty_years
    shown: list[str] = []

    def display(obj: Any, *_, **__) -> None:
        obj = obj.chart if isinstance(obj, Drawn) else obj  # a chart as a section draws it
        if hasattr(obj, "to_dict"):
            spec, _ = rendered(obj, legible=False)
            shown.append(caption(spec))
        else:
            shown.append(str(getattr(obj, "data", obj)))

    monkeypatch.setattr(forms, "display", display)
    source = (ROOT / "notebooks" / "risk_monitoring.py").read_text(encoding="utf-8")
    cells = [c for c in re.split(r"^# %%.*$", source, flags=re.M)[1:] if c.strip()]
    namespace: dict[str, Any] = {}
    parameters, *rest = [c for c in cells if not c.lstrip().startswith("# #")]  # markdown cells are comments
    exec(parameters, namespace)
    namespace.update(organisation="Twenty Years", period="2025-12", as_of="2025-12-31", readings="readings.csv",
                     kris=[], register=None, methodology=None, appetite=None, parameters_dir=str(folder),
                     output_dir=str(tmp_path / "out"))
    for cell in rest:
        exec(cell, namespace)
    text = "\n".join(shown)
    assert "each dot is the mean of up to 5 periods' readings" in text
    summary = json.loads((tmp_path / "out" / "risk-monitoring.json").read_text(encoding="utf-8"))
    assert len(summary["periods"]) == 240 and len(summary["metrics"]) == 21
    readings = pd.read_excel(tmp_path / "out" / "risk-monitoring.xlsx", sheet_name="Readings", engine="calamine")
    assert len(readings) == 5040


@pytest.fixture(scope="module")
def six_thousand_metrics():
    """A catalogue of 6,000 metrics (each its own risk type), read in two periods: built as the run builds it."""
    n = 6000
    catalogue = Catalogue.model_validate({"title": "Every metric we have", "source": "The organisation", "metrics": [
        {"id": f"metric_{i}", "name": f"Metric number {i}", "risk_type": f"Risk type {i}", "tolerance": "<= 50%",
         "unit": "%", "description": "A metric of our own."} for i in range(n)]})
    loaded = LoadedCatalogue(catalogue=catalogue, path=Path("every-metric.yaml"), sha256="0" * 64)
    rng = np.random.default_rng(3)
    frame = pd.DataFrame([{"metric": f"metric_{i}", "metric_name": f"Metric number {i}", "period": period,
                           "value": float(rng.uniform(0, 100)), "date": None, "source": "", "note": "",
                           "recorded_by": "", "row": k + 2}
                          for k, (period, i) in enumerate((p, i) for p in ("2024", "2025") for i in range(n))],
                         columns=READING_COLUMNS)
    return assess_monitoring(loaded, frame, "2025", dt.date(2025, 12, 31), [], None, None)


def test_a_catalogue_of_six_thousand_metrics_draws_forty_panels_outside_tolerance_first(six_thousand_metrics):
    result = six_thousand_metrics
    spec, _ = rendered(monitoring_charts.trends(result))
    assert ("Showing 40 of 6,000 metrics with a reading (outside tolerance first); every metric is in the Excel "
            "workbook, sheet \"Metrics\".") in caption(spec)
    shown, read = monitoring_charts.panel_metrics(result)
    states = result.states.set_index("metric")["state"]
    assert read == 6000 and len(shown) == 40 and {states[m] for m in shown} == {"outside"}
    spec, _ = rendered(monitoring_charts.state_overview(result))
    words = caption(spec)
    assert "Showing 29 of 6,000 risk types" in words and "5,971 other risk types" in words


# ---- risk evaluation -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def quarter_million(western_cape):
    """250,000 risks (the default row limit), each with an owner of its own, 1,000 categories and an earlier period
    in which every score was different."""
    n = 250_000
    register = _big_register(western_cape, n)
    register.frame = register.frame.assign(owner=[f"Owner {i}" for i in range(n)],
                                           category=[f"Category {i % 1000}" for i in range(n)])
    ev = evaluate(register, western_cape, dt.date(2025, 11, 30), appetite="Low")
    earlier = _big_register(western_cape, n)
    earlier.frame = earlier.frame.assign(inherent_likelihood=earlier.frame["inherent_likelihood"][::-1].to_numpy())
    before = evaluate(earlier, western_cape, dt.date(2024, 11, 30), appetite="Low")
    ev.movement = Movement(changes_across([("2024-25", before), ("2025-26", ev)], {}), {"2024-25": "earlier.csv"}, [])
    return ev


@pytest.mark.parametrize("name", ["heatmaps", "movement", "value_map", "residual_by category", "residual_by owner",
                                  "movement_since"])
def test_every_risk_chart_draws_a_quarter_million_risks(quarter_million, name):
    fn, *column = name.split()
    chart = getattr(risk_charts, fn)(quarter_million, *column)
    spec, _ = rendered(chart)
    text = json.dumps(spec)
    assert len(text) < 300_000
    if fn == "movement_since":
        assert (f"The {risk_charts.MAX_MOVES} largest moves are shown; every risk is in the table below."
                in caption(spec))


# ---- COSO ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def big_questionnaire(tmp_path_factory):
    """An organisation's questionnaire of 3,000 items, 400 principles and 40 components, every item rated by the
    three lines (many of them divergent)."""
    folder = tmp_path_factory.mktemp("coso")
    data = yaml.safe_load(coso_model.shipped()[coso_model.DEFAULT_QUESTIONNAIRE].read_text(encoding="utf-8"))
    data["components"] = [{"id": f"C{c}", "name": f"Component {c}"} for c in range(1, 41)]
    data["principles"] = [{"number": p, "component": f"C{(p - 1) // 10 + 1}", "name": f"Principle {p}"}
                          for p in range(1, 401)]
    data["items"] = [{"id": f"I{i}", "principle": i % 400 + 1, "text": f"Item {i}"} for i in range(3000)]
    path = folder / "ours.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    loaded = coso_model.load_questionnaire(path)
    rng = np.random.default_rng(5)
    rows = ["item_id,line,rating,respondent,comment"] + [
        f"I{i},{line},{int(rng.integers(1, 6))},Person {line}," for i in range(3000) for line in (1, 2, 3)]
    responses = coso_inputs.load_responses(write_csv(folder / "responses.csv", "\n".join(rows) + "\n"),
                                           loaded.questionnaire)
    return coso_scoring.assess(loaded, responses)


@pytest.mark.parametrize("name, note", [
    ("item_grid", "Showing 150 of 3,000 items (the lowest combined scores first)"),
    ("principle_bars", "Showing 60 of 400 principles (the lowest means first)"),
    ("component_bars", ""),
    ("divergence_chart", "Showing 40 of "),
])
def test_every_coso_chart_draws_a_questionnaire_of_three_thousand_items(big_questionnaire, name, note):
    spec, _ = rendered(getattr(coso_charts, name)(big_questionnaire))
    assert note in caption(spec)
    assert len(big_questionnaire.divergent) > coso_charts.MAX_DIVERGENT


# ---- maturity ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def big_matrix(tmp_path_factory):
    """A matrix of 600 elements in 40 assessments, marked now and in 45 earlier periods."""
    folder = tmp_path_factory.mktemp("maturity")
    data = yaml.safe_load(shipped_matrices()["maturity-matrix"].read_text(encoding="utf-8"))
    letters = [a + b for a in "AB" for b in "ABCDEFGHIJKLMNOPQRST"]  # 40 assessment ids
    data["assessments"] = [{"id": x, "name": f"Assessment {x}", "source": "ours", "description": "Ours.",
                            "groups": [{"name": "All", "elements": [
                                {"id": f"{x}{k}", "name": f"Element {x}{k}", "descriptions": ["One.", "Two.", "Three."]}
                                for k in range(1, 16)]}]} for x in letters]
    path = folder / "matrix.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    loaded = load_matrix(path)
    ids = loaded.matrix.element_ids
    rng = np.random.default_rng(9)

    def marks(name: str):
        rows = ["element_id,mark"] + [f"{e},{int(rng.integers(1, 4))}" for e in ids]
        return load_marks(write_csv(folder / f"{name}.csv", "\n".join(rows) + "\n"), loaded)

    history = [(f"{1980 + k}", marks(f"p{k}")) for k in range(45)]
    return assess_maturity(loaded, dt.date(2025, 11, 30), "2025", marks=marks("now"), history=history)


@pytest.mark.parametrize("name, note", [
    ("element_marks", "Showing 60 of 600 elements (below the target and not rated first)"),
    ("assessment_bars", "Showing 30 of 40 assessments"),
    ("trend", "The latest 40 of 46 periods are drawn. The total and 12 of 40 assessments are drawn."),
])
def test_every_maturity_chart_draws_six_hundred_elements_and_forty_six_periods(big_matrix, name, note):
    spec, _ = rendered(getattr(maturity_charts, name)(big_matrix))
    assert note in caption(spec)


# ---- combined assurance --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def many_providers():
    """400 providers of the organisation's own besides the framework's, assuring 300 risks."""
    fw = load_assurance_framework()
    own = [{"id": f"own_{k}", "name": f"Our provider {k}", "line": k % 3 + 1} for k in range(400)]
    providers = merge_providers(fw.framework, own)
    rng = np.random.default_rng(11)
    risks = pd.DataFrame([(f"R{i}", int(rng.integers(1, 26)), "High", True) for i in range(300)],
                         columns=["risk_id", "residual_score", "residual_level", "above_appetite"])
    ids = [p.id for p in providers]
    rows = [(f"R{i}", f"control {i}-{k}", ids[int(rng.integers(0, len(ids)))], "Q") for i in range(300)
            for k in range(5)]
    frame = pd.DataFrame(rows, columns=["risk_id", "control", "provider", "frequency"], dtype=object)
    frame.insert(0, ROW, range(2, len(rows) + 2))
    amap = validate_assurance_map(Table("map.csv", frame, 1), providers, fw.framework.frequencies)
    bands = list(load_methodology("western-cape-5x5").methodology.banding().bands)
    return analyse(risks, amap, fw, providers, bands=bands)


@pytest.mark.parametrize("name, note", [
    ("assurance_grid", "Showing 30 of 408 providers"),
    ("coverage_matrix", ""),
    ("coverage_by_risk", ""),
    ("workload", "Showing 30 of 408 providers (the most controls assured first)"),
])
def test_every_assurance_chart_draws_four_hundred_providers(many_providers, name, note):
    spec, _ = rendered(getattr(assurance_charts, name)(many_providers))
    assert note in caption(spec)
