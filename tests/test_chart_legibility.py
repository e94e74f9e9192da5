"""Every chart of the four assessments keeps its text whole and inside the picture.

Each chart is rendered to SVG with vl-convert, as in the reports. A text Vega cut to its label limit ends in
an ellipsis the data never had; a text reaching past the SVG's view box is clipped by the page. Text width is
estimated (0.6 x font size per character), so a chart must leave room for wide glyphs too.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import math
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import vl_convert as vlc

from tests.assessments.assurance.kit import DRAFT as ASSURANCE_DRAFT
from tests.assessments.coso.kit import EXAMPLE_PARAMS as COSO_PARAMS
from tests.assessments.maturity.conftest import DRAFT as MATURITY_DRAFT
from tests.conftest import PARAMETERS, write_csv
from workbook_lib.assessments import shared_fields
from workbook_lib.assessments.assurance import charts as assurance_charts
from workbook_lib.assessments.assurance.inputs import CombinedAssuranceParams
from workbook_lib.assessments.assurance.run import run_combined_assurance
from workbook_lib.assessments.coso import charts as coso_charts
from workbook_lib.assessments.coso import inputs as coso_inputs
from workbook_lib.assessments.coso import run as coso_run
from workbook_lib.assessments.maturity import charts as maturity_charts
from workbook_lib.assessments.maturity.inputs import MaturityParams
from workbook_lib.assessments.maturity.run import run_maturity_scoring
from workbook_lib.assessments.monitoring import charts as monitoring_charts
from workbook_lib.assessments.risk import charts as risk_charts
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.assessments.risk.register import load_register
from workbook_lib.assessments.risk.run import run_risk_evaluation
from workbook_lib.assessments.risk.scoring import evaluate
from workbook_lib.core.charts import altair, label_axis, title
from workbook_lib.core.params import load_file

SVG = "{http://www.w3.org/2000/svg}"
ELLIPSIS = "\u2026"
TOLERANCE = 2.0
CHAR_WIDTH = 0.6  # estimated advance per character, in font sizes
ASCENT, DESCENT = 0.8, 0.25  # estimated extent above and below the baseline, in font sizes
LONG_CATEGORY = "Information and communication technology"  # 40 characters
LONG_OWNER = "Chief Information Officer and ICT Governance Champion"
LONG_PROVIDER = "Occupational health, safety and environmental compliance office"


# ---- what the SVG shows ---------------------------------------------------------------------------------
Matrix = tuple[float, float, float, float, float, float]  # a, b, c, d, e, f as in SVG's matrix()
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _times(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + c * b2, b * a2 + d * b2, a * c2 + c * d2, b * c2 + d * d2, a * e2 + c * f2 + e,
            b * e2 + d * f2 + f)


def _transform(text: str | None) -> Matrix:
    """An SVG transform list (translate, rotate, scale, matrix) as one matrix."""
    out = IDENTITY
    for name, args in re.findall(r"(\w+)\(([^)]*)\)", text or ""):
        v = [float(x) for x in re.split(r"[\s,]+", args.strip()) if x]
        if name == "translate":
            step = (1.0, 0.0, 0.0, 1.0, v[0], v[1] if len(v) > 1 else 0.0)
        elif name == "rotate":
            r = math.radians(v[0])
            step = (math.cos(r), math.sin(r), -math.sin(r), math.cos(r), 0.0, 0.0)
            if len(v) == 3:  # rotate(angle, cx, cy)
                step = _times(_times((1, 0, 0, 1, v[1], v[2]), step), (1, 0, 0, 1, -v[1], -v[2]))
        elif name == "scale":
            step = (v[0], 0.0, 0.0, v[1] if len(v) > 1 else v[0], 0.0, 0.0)
        elif name == "matrix":
            step = tuple(v)  # type: ignore[assignment]
        else:
            raise ValueError(f"unexpected SVG transform {name}")
        out = _times(out, step)
    return out


def _size(value: str | None, default: float) -> float:
    return float(value.removesuffix("px")) if value else default


def _lines(text: ET.Element) -> list[tuple[str, float, float]]:
    """(content, x, y) per line of a <text>: its own text, or one per <tspan> (dy accumulates)."""
    x, y = _size(text.get("x"), 0.0), _size(text.get("y"), 0.0) + _size(text.get("dy"), 0.0)
    spans = text.findall(f"{SVG}tspan")
    if not spans:
        return [(text.text or "", x, y)]
    out = []
    for span in spans:
        x = _size(span.get("x"), x)
        y += _size(span.get("dy"), 0.0)
        out.append((span.text or "", x, y))
    return out


def text_extents(svg: str) -> tuple[tuple[float, float, float, float], list[tuple[str, tuple]]]:
    """The view box and, per visible line of text, its content and estimated box (x0, y0, x1, y1)."""
    root = ET.fromstring(svg)
    box = tuple(float(v) for v in root.get("viewBox", "").split())
    found: list[tuple[str, tuple]] = []

    def walk(node: ET.Element, m: Matrix, size: float, anchor: str) -> None:
        m = _times(m, _transform(node.get("transform")))
        size = _size(node.get("font-size"), size)
        anchor = node.get("text-anchor", anchor)
        if node.get("opacity") == "0" or node.get("display") == "none":
            return
        if node.tag == f"{SVG}text":
            for content, x, y in _lines(node):
                if not content.strip():
                    continue
                width = CHAR_WIDTH * size * len(content)
                left = x - {"start": 0.0, "middle": width / 2, "end": width}[anchor]
                corners = [(px, py) for px in (left, left + width) for py in (y - ASCENT * size, y + DESCENT * size)]
                xs = [m[0] * px + m[2] * py + m[4] for px, py in corners]
                ys = [m[1] * px + m[3] * py + m[5] for px, py in corners]
                found.append((content, (min(xs), min(ys), max(xs), max(ys))))
            return
        for child in node:
            walk(child, m, size, anchor)

    walk(root, IDENTITY, 11.0, "start")
    return box, found  # type: ignore[return-value]


def legibility_problems(chart: Any) -> list[str]:
    """Texts cut by a label limit, and texts reaching outside the view box."""
    spec = chart.to_dict()
    data_text = json.dumps(spec, ensure_ascii=False)
    (bx, by, bw, bh), texts = text_extents(vlc.vegalite_to_svg(spec))
    problems = []
    for content, (x0, y0, x1, y1) in texts:
        if ELLIPSIS in content and content not in data_text:
            problems.append(f"cut by a limit: {content!r}")
        if x0 < bx - TOLERANCE or x1 > bx + bw + TOLERANCE or y0 < by - TOLERANCE or y1 > by + bh + TOLERANCE:
            problems.append(f"outside the view box {bw:.0f}x{bh:.0f}: {content!r} at "
                            f"({x0:.0f}, {y0:.0f})-({x1:.0f}, {y1:.0f})")
    return problems


def test_the_checker_finds_cut_and_clipped_text():
    alt = altair()
    data = pd.DataFrame({"label": ["KV-021-FIN " + LONG_CATEGORY * 3, "KV-022-FIN"], "n": [1, 2]})
    cut = alt.Chart(data).mark_bar().encode(y="label:N", x="n:Q")  # Vega's default limit: 180 px
    assert [p for p in legibility_problems(cut) if "cut by a limit" in p]
    unlimited = alt.Chart(data).mark_bar().encode(y=alt.Y("label:N", axis=alt.Axis(labelLimit=0)), x="n:Q")
    assert [p for p in legibility_problems(unlimited) if "outside the view box" in p]  # room for a narrow font only
    whole = alt.Chart(data).mark_bar().encode(y=alt.Y("label:N", axis=label_axis(data["label"])), x="n:Q")
    assert not legibility_problems(whole)
    assert legibility_problems(whole.properties(title=LONG_CATEGORY * 4, width=200))  # wider than the chart
    assert not legibility_problems(whole.properties(title=title(LONG_CATEGORY * 4, 200), width=200))


# ---- the results the charts are drawn from ------------------------------------------------------------
def _long_parameters(tmp: Path) -> Path:
    """A copy of the shipped parameters whose Karoo Vale risks have long IDs, a long category and owner, and
    whose own assurance provider has a long name."""
    shutil.copytree(PARAMETERS, tmp, dirs_exist_ok=True)
    for name in ("registers/karoo_vale_municipality_2025.csv", "registers/karoo_vale_municipality_2024.csv",
                 "assurance/karoo_vale_assurance_map_2025.csv"):
        path = tmp / name
        text = re.sub(r"\bKV-(\d{3})\b", r"KV-\1-FIN", path.read_text(encoding="utf-8-sig"))
        text = text.replace(";Technology;", f";{LONG_CATEGORY};").replace(";ICT Manager;", f";{LONG_OWNER};")
        path.write_text(text, encoding="utf-8")
    params = tmp / "karoo-vale-2025-26.yaml"  # its renamed IDs and key risk indicators name the long IDs too
    text = re.sub(r"\bKV-(\d{3})\b", r"KV-\1-FIN", params.read_text(encoding="utf-8"))
    params.write_text(text.replace("name: Occupational health and safety", f"name: {LONG_PROVIDER}"),
                      encoding="utf-8")
    return params


@pytest.fixture(scope="module")
def long_params(tmp_path_factory) -> Path:
    return _long_parameters(tmp_path_factory.mktemp("parameters"))


def _risk(path: Path):
    return run_risk_evaluation(load_file(path, RiskEvaluationParams, shared_fields()))


MIXED = """risk_id,description,category,owner,inherent_likelihood,inherent_impact,residual_likelihood,residual_impact,\
control_effectiveness,status
KV-021-FIN,d,{cat},{owner},5,5,2,3,,open
KV-022-FIN,d,{cat},{owner},4,5,4,5,,open
KV-023-OPS,d,Operational,{owner},3,4,,,Partially effective,open
KV-024-OPS,d,Operational,{owner},2,2,,,,open
KV-025-OPP,d,Economic development opportunity register,{owner},4,4,4,3,,opportunity
KV-026-OPP,d,Economic development opportunity register,{owner},2,5,,,Fully effective,opportunity
"""


def _with_earlier(tmp: Path):
    """The Karoo Vale register with a 2024-25 register before it: every rated risk a level of likelihood up or down
    (more moves than the chart draws), and KV-001 under an older, longer ID."""
    register = PARAMETERS / "registers/karoo_vale_municipality_2025.csv"
    lines = register.read_text(encoding="utf-8-sig").splitlines()
    earlier = [lines[0]]
    for n, line in enumerate(lines[1:]):
        cells = line.split(";")
        if cells[5].isdigit():
            cells[5] = str(min(5, max(1, int(cells[5]) + (1 if n % 2 else -1))))
        earlier.append(";".join(cells).replace("KV-001;", "KV-001-WATER-LOSSES;"))
    path = write_csv(tmp / "karoo_2024.csv", "\n".join(earlier) + "\n")
    return run_risk_evaluation(RiskEvaluationParams(
        organisation="Karoo Vale Local Municipality", period="2025-26", as_of="2025-11-30",
        methodology="western-cape-5x5", register=str(register), appetite="Low",
        earlier=[{"period": "2024-25", "register": str(path)}], renamed_ids={"KV-001-WATER-LOSSES": "KV-001"}))


@pytest.fixture(scope="module")
def risk_results(long_params, western_cape, tmp_path_factory) -> dict[str, Any]:
    mixed = write_csv(tmp_path_factory.mktemp("mixed") / "mixed.csv",
                      MIXED.format(cat=LONG_CATEGORY, owner=LONG_OWNER))
    ev = evaluate(load_register(mixed, western_cape.methodology), western_cape, dt.date(2025, 11, 30), appetite=8)
    return {"karoo": _risk(PARAMETERS / "karoo-vale-2025-26.yaml"), "mopac": _risk(PARAMETERS / "mopac-met-2020.yaml"),
            "karoo-long": _risk(long_params), "mixed-long": ev,
            "karoo-earlier": _with_earlier(tmp_path_factory.mktemp("earlier"))}


@pytest.fixture(scope="module")
def coso_result():
    return coso_run.run_coso_assessment(load_file(COSO_PARAMS, coso_inputs.CosoParams, shared_fields()))


@pytest.fixture(scope="module")
def maturity_result():
    return run_maturity_scoring(load_file(MATURITY_DRAFT, MaturityParams, shared_fields()))


@pytest.fixture(scope="module")
def assurance_results(long_params) -> dict[str, Any]:
    def run(path: Path):
        return run_combined_assurance(load_file(path, CombinedAssuranceParams, shared_fields()))

    return {"karoo": run(ASSURANCE_DRAFT), "karoo-long": run(long_params)}


# ---- every chart function -------------------------------------------------------------------------------
RISK_CHARTS: dict[str, Callable[[Any], Any]] = {
    "heatmaps": lambda ev: risk_charts.heatmaps(ev),
    "movement": lambda ev: risk_charts.movement(ev),
    "movement_since": lambda ev: risk_charts.movement_since(ev),
    "residual_by category": lambda ev: risk_charts.residual_by(ev, "category"),
    "residual_by owner": lambda ev: risk_charts.residual_by(ev, "owner"),
    "residual_by category & owner": lambda ev: risk_charts.residual_by(ev, "category") & risk_charts.residual_by(
        ev, "owner"),  # as the notebook shows them
    "value_map": lambda ev: risk_charts.value_map(ev),
}
# a risk-intelligent register's simulated losses (none for the other examples: they are not quantified)
QUANTIFIED_CHARTS: dict[str, Callable[[Any], Any]] = {
    "loss_curve": lambda ev: risk_charts.loss_curve(ev),
    "value_ranges": lambda ev: risk_charts.value_ranges(ev),
}
COSO_CHARTS: dict[str, Callable[[Any], Any]] = {
    "item_grid": coso_charts.item_grid,
    "principle_bars": coso_charts.principle_bars,
    "component_bars": coso_charts.component_bars,
    "principle & component bars": lambda r: coso_charts.principle_bars(r) & coso_charts.component_bars(r),
    "divergence_chart": coso_charts.divergence_chart,
}
MATURITY_CHARTS: dict[str, Callable[[Any], Any]] = {
    "element_marks": maturity_charts.element_marks,
    "assessment_bars": maturity_charts.assessment_bars,
    "trend": maturity_charts.trend,
}
ASSURANCE_CHARTS: dict[str, Callable[[Any], Any]] = {
    "assurance_grid": assurance_charts.assurance_grid,
    "coverage_matrix": assurance_charts.coverage_matrix,
    "coverage_by_risk": assurance_charts.coverage_by_risk,
    "workload": assurance_charts.workload,
}


def test_every_chart_function_is_checked():
    for module, checked in ((risk_charts, RISK_CHARTS | QUANTIFIED_CHARTS), (coso_charts, COSO_CHARTS),
                            (maturity_charts, MATURITY_CHARTS),
                            (assurance_charts, ASSURANCE_CHARTS)):
        drawn = {name for name, f in inspect.getmembers(module, inspect.isfunction)
                 if f.__module__ == module.__name__ and not name.startswith("_")
                 and str(inspect.signature(f).return_annotation).startswith("alt.")}
        assert drawn and drawn <= {name.split(" ")[0] for name in checked}, module.__name__


def _check(chart: Any) -> None:
    assert chart is not None
    problems = legibility_problems(chart)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("example", ["karoo", "mopac", "karoo-long", "mixed-long", "karoo-earlier"])
@pytest.mark.parametrize("name", list(RISK_CHARTS))
def test_risk_charts_are_legible(risk_results, example, name):
    chart = RISK_CHARTS[name](risk_results[example])
    if chart is None:  # no before/after movement for current ratings only; no earlier period to move from
        assert (name, example) == ("movement", "mopac") or (name == "movement_since" and example != "karoo-earlier")
        return
    _check(chart)


@pytest.fixture(scope="module")
def swartberg():
    return _risk(PARAMETERS / "swartberg-district-risk-intelligent.yaml")


@pytest.mark.parametrize("name", list(QUANTIFIED_CHARTS))
def test_the_loss_charts_are_legible(swartberg, risk_results, name):
    _check(QUANTIFIED_CHARTS[name](swartberg))
    assert QUANTIFIED_CHARTS[name](risk_results["karoo"]) is None  # an integrated register draws none


@pytest.mark.parametrize("name", list(RISK_CHARTS) + list(QUANTIFIED_CHARTS))
def test_risk_charts_give_altair_their_channels_as_classes(risk_results, swartberg, monkeypatch, name):
    """A channel given as text ("loss:Q") makes Altair search its whole schema for its class (5-7 ms each time,
    a third of building the risk report's charts): every risk chart gives its channels as classes, so building one
    never calls Altair's from_dict."""
    from altair.utils import schemapi

    searched = []
    original = schemapi.SchemaBase.from_dict.__func__
    monkeypatch.setattr(schemapi.SchemaBase, "from_dict", classmethod(
        lambda cls, dct, validate=True: searched.append(dct) or original(cls, dct, validate)))
    draw = {**RISK_CHARTS, **QUANTIFIED_CHARTS}[name]
    built = [draw(ev) for ev in (swartberg, risk_results["karoo-earlier"], risk_results["mixed-long"])]
    assert any(chart is not None for chart in built)
    assert searched == []


@pytest.mark.parametrize("name", list(COSO_CHARTS))
def test_coso_charts_are_legible(coso_result, name):
    _check(COSO_CHARTS[name](coso_result))


@pytest.mark.parametrize("name", list(MATURITY_CHARTS))
def test_maturity_charts_are_legible(maturity_result, name):
    _check(MATURITY_CHARTS[name](maturity_result))


@pytest.mark.parametrize("example", ["karoo", "karoo-long"])
@pytest.mark.parametrize("name", list(ASSURANCE_CHARTS))
def test_assurance_charts_are_legible(assurance_results, example, name):
    _check(ASSURANCE_CHARTS[name](assurance_results[example]))


@pytest.fixture(scope="module")
def monitoring_result():
    from workbook_lib.assessments.monitoring.inputs import MonitoringParams
    from workbook_lib.assessments.monitoring.run import run_monitoring

    return run_monitoring(load_file(PARAMETERS / "karoo-vale-2025-26.yaml", MonitoringParams, shared_fields()))


# every axis that counts things; the COSO charts count nothing (mean scores, ratings 1-5 on their own scale) and
# maturity's are marks and scores on the matrix's scale
@pytest.mark.parametrize("name, draw, field", [
    ("residual_by category", lambda r: RISK_CHARTS["residual_by category"](r["risk"]), "sum(risks)"),
    ("workload", lambda r: ASSURANCE_CHARTS["workload"](r["assurance"]), "controls_assured"),
    ("state_overview", lambda r: monitoring_charts.state_overview(r["monitoring"]), "metrics"),
])
def test_count_axes_show_whole_numbers(risk_results, assurance_results, monitoring_result, name, draw, field):
    """Issue 30: an axis that counts (risks, controls, metrics) never shows 0.5 of one."""
    spec = draw({"risk": risk_results["karoo"], "assurance": assurance_results["karoo"],
                 "monitoring": monitoring_result}).to_dict()
    found = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            x = node.get("encoding", {}).get("x") if isinstance(node.get("encoding"), dict) else None
            if isinstance(x, dict) and field in (x.get("field"), f"{x.get('aggregate')}({x.get('field')})"):
                found.append(x.get("axis") or {})
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    assert found, f"{name}: no x axis counting {field}"
    assert all(axis.get("tickMinStep") == 1 and axis.get("format") == "d" for axis in found), (name, found)
