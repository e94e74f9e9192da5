"""User text is visible text in every report and form, never markup (issue: stored script in the risk monitoring
report). Every text field of every assessment's inputs gets a hostile value (an <img onerror>, a <script>, Markdown
emphasis and a javascript: link, bare URLs, an e-mail address, $math$ and a '|'); each assessment's notebook runs on
them in-process, its sections are rendered as the HTML report renders them, and no element, attribute or link comes
from the text, while every value stays readable. The risk monitoring form is checked the same way after a save.

Markdown is escaped in one place (core/outputs.py: ``md`` builds it from a trusted template and escaped values;
``markdown`` shows it, any plain text escaped whole); these tests walk the whole path, not one call site.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import ipywidgets as w
import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup
from IPython.display import HTML, Markdown
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from tests.conftest import PARAMETERS
from workbook_lib.app import notebook as app_notebook
from workbook_lib.assessments import get, shared_fields
from workbook_lib.core import forms, outputs
from workbook_lib.core import params as wb_params
from workbook_lib.core.charts import Drawn
from workbook_lib.core.outputs import Md, markdown, md, md_list

HOSTILE = ("<img src=x onerror=alert(1)> <script>alert(1)</script> **hostile-bold** _hostile-em_ ~~gone~~ "
           "[link](javascript:alert(1)) http://evil.example www.evil.example a@b.example $x$ a|b")
# what Markdown, HTML and nbconvert may make of text; anything else in a rendered section comes from user text
ALLOWED = {"p", "strong", "em", "b", "i", "small", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table",
           "thead", "tbody", "tr", "th", "td", "div", "span", "br", "code", "blockquote", "hr"}
# the only style element a section may hold: a table's alignment and unbroken cells, by its generated id
SUITE_STYLE = re.compile(r"(?:#wb-t[0-9a-f]+ t[hd]:nth-child\(\d+\)(?:, #wb-t[0-9a-f]+ td:nth-child\(\d+\))? "
                         r"\{(?:text-align: (?:left|right)|white-space: nowrap)\}\s*)+")
ASSESSMENTS = ["risk-evaluation", "coso-assessment", "maturity-scoring", "combined-assurance", "risk-monitoring"]
REQUEST_VARIABLES = ("SERVER_SOFTWARE", "QUERY_STRING", "VOILA_PREHEAT", "WORKBOOK_APP")


def hostile(tag: str) -> str:
    """The hostile text, named: ``tag`` says which field it was put in."""
    return f"{tag} {HOSTILE}"


def _h(value: Any, tag: str) -> str:
    """A field's value with the hostile text after it (the same value always maps to the same text, so IDs, periods
    and categories still match across files)."""
    return f"{value} {hostile(tag)}".strip() if str(value).strip() else hostile(tag)


# ---- hostile inputs: the shipped Karoo Vale example with every text field hostile -----------------------------------
PERIODS = {"2025-26": _h("2025-26", "Period"), "2024-25": _h("2024-25", "Earlier"),
           "2023-24": _h("2023-24", "Earliest")}
AUTHORITY = "Municipal Manager"
# a hostile period short enough for the store (at most 100 characters), for the pages that save
STORED_PERIOD = "2025-26 <img src=x onerror=alert(1)> **hostile-bold** [link](javascript:alert(1))"


def _rewrite_csv(source: Path, target: Path, change: dict[str, Callable[[str], str]]) -> None:
    text = source.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    with target.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: change[k](v) if k in change and v is not None else v for k, v in row.items()})


def _rid(value: str) -> str:
    return _h(value, "Rid") if value.strip() else value


def _category(value: str) -> str:
    return _h(value, "Cat") if value.strip() else value


def _text(tag: str) -> Callable[[str], str]:
    return lambda value: _h(value, tag)


def _walk(data: Any, change: Callable[[str], str]) -> Any:
    """Every string of a YAML tree through ``change``."""
    if isinstance(data, dict):
        return {k: _walk(v, change) for k, v in data.items()}
    if isinstance(data, list):
        return [_walk(v, change) for v in data]
    return change(data) if isinstance(data, str) else data


def _data_file(source: Path, target: Path, tag: str, **more: Callable[[Any], Any]) -> str:
    """A copy of a shipped data file with hostile text in its title, source and recorded decisions."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["title"] = _h(data["title"], f"{tag}Title")
    if data.get("source"):
        data["source"] = _h(data["source"], f"{tag}Source")
    for note in data.get("notes", []):
        note["topic"], note["decision"] = _h(note["topic"], f"{tag}Topic"), _h(note["decision"], f"{tag}Decision")
    for key, change in more.items():
        data[key] = change(data[key])
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(target)


def hostile_parameters(folder: Path) -> Path:
    """The Karoo Vale parameters and every input file they name, each text field hostile; returns the file."""
    params = yaml.safe_load((PARAMETERS / "karoo-vale-2025-26.yaml").read_text(encoding="utf-8"))
    package = Path(outputs.__file__).parents[1] / "assessments"
    register = {"risk_id": _rid, "description": _text("Desc"), "category": _category, "owner": _text("Owner"),
                "group": _text("Group"), "controls": _text("Controls"), "treatment_owner": _text("TOwner"),
                "actions": _text("Actions")}
    for name in ("karoo_vale_municipality_2025.csv", "karoo_vale_municipality_2024.csv"):
        _rewrite_csv(PARAMETERS / "registers" / name, folder / name, register)
    _rewrite_csv(PARAMETERS / "responses" / "karoo_vale_coso_2025.csv", folder / "coso.csv",
                 {"Respondent": _text("Resp"), "Comment": _text("Comment")})
    people = {"respondent": _text("Marker"), "comment": _text("MarkNote")}
    for name in ("karoo_vale_marks_2025.csv", "karoo_vale_marks_2024.csv", "karoo_vale_capacity_2025.csv"):
        _rewrite_csv(PARAMETERS / "maturity" / name, folder / name, people)
    _rewrite_csv(PARAMETERS / "assurance" / "karoo_vale_assurance_map_2025.csv", folder / "map.csv",
                 {"risk_id": _rid, "control": _text("Ctl"), "notes": _text("MapNote")})
    # the metrics catalogue: its title, source, decisions, risk types and metric names; readings by metric id
    catalogue = yaml.safe_load((package / "monitoring" / "data" / "table-25-metrics.yaml").read_text("utf-8"))
    ids = {m["name"]: m["id"] for m in catalogue["metrics"]}
    catalogue["title"], catalogue["source"] = _h(catalogue["title"], "CatTitle"), _h(catalogue["source"], "CatSrc")
    catalogue["decisions"] = [_h(d, "Decision") for d in catalogue["decisions"]]
    for m in catalogue["metrics"]:
        m["name"], m["risk_type"] = _h(m["name"], "Metric"), _h(m["risk_type"], "RiskType")
    (folder / "metrics.yaml").write_text(yaml.safe_dump(catalogue, allow_unicode=True, sort_keys=False), "utf-8")
    _rewrite_csv(PARAMETERS / "monitoring" / "karoo_vale_readings.csv", folder / "readings.csv",
                 {"Metric": lambda v: ids.get(v, v), "Period": lambda v: PERIODS[v], "Source": _text("Src"),
                  "Note": _text("RNote"), "Recorded by": _text("RecBy")})
    # the methodology: whoever accepts a risk above tolerance (the monitoring's authority), its title and notes
    methodology = _data_file(package / "risk" / "methodologies" / "western-cape-5x5.yaml", folder / "method.yaml",
                             "Method")
    data = yaml.safe_load(Path(methodology).read_text(encoding="utf-8"))
    data = _walk(data, lambda s: s.replace(AUTHORITY, _h(AUTHORITY, "Auth")))
    Path(methodology).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    params.update(
        organisation=hostile("Org"), period=PERIODS["2025-26"], methodology=methodology,
        register="karoo_vale_municipality_2025.csv",
        appetite={"default": "Low", "categories": {_category(k): v for k, v in
                                                   params["appetite"]["categories"].items()}},
        earlier=[{"period": PERIODS["2024-25"], "register": "karoo_vale_municipality_2024.csv"}],
        renamed_ids={_rid(k): _rid(v) for k, v in params["renamed_ids"].items()},
        questionnaire=_data_file(package / "coso" / "data" / "coso-17-western-cape.yaml", folder / "q.yaml", "Q"),
        responses="coso.csv",
        matrix=_data_file(package / "maturity" / "data" / "maturity-matrix.yaml", folder / "matrix.yaml", "Matrix"),
        marks="karoo_vale_marks_2025.csv", capacity="karoo_vale_capacity_2025.csv",
        history=[{"period": PERIODS["2024-25"], "marks": "karoo_vale_marks_2024.csv"}],
        assurance_map="map.csv",
        framework=_data_file(package / "assurance" / "data" / "combined-assurance.yaml", folder / "fw.yaml", "Fw"),
        providers=[{**p, "name": _h(p["name"], "Prov")} for p in params["providers"]],
        plan_owner=_h(params["plan_owner"], "PlanOwner"), accounting_officer=_h(params["accounting_officer"], "AO"),
        oversight_committee=_h(params["oversight_committee"], "Committee"),
        metrics="metrics.yaml", readings="readings.csv",
        kris=[{**k, "metric": ids.get(k["metric"], k["metric"]),
               **({"risks": [_rid(r) for r in ([k["risks"]] if isinstance(k["risks"], str) else k["risks"])]}
                  if "risks" in k else {}),
               **({"categories": _category(k["categories"])} if "categories" in k else {})} for k in params["kris"]]
        + [{"metric": "vacancy_rate", "risks": [hostile("NoSuchRisk")]}],
    )
    path = folder / "hostile.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# ---- the notebook, in-process: what its sections display ----------------------------------------------------------
def _bundle(shown: Any) -> tuple[str, str] | None:
    """What a displayed object puts in the report: Markdown or HTML; charts (SVG images, their text escaped by the
    renderer) are left out."""
    if isinstance(shown, Markdown):
        return "text/markdown", shown.data
    if isinstance(shown, HTML):
        return "text/html", shown.data
    chart = shown.chart if isinstance(shown, Drawn) else shown  # a chart as a section draws it
    assert type(chart).__module__.startswith("altair"), f"a section displays {type(shown)}: check its text too"
    return None


def run_notebook(assessment: str, params_file: Path, monkeypatch) -> list[tuple[str, str]]:
    """Run an assessment's notebook as papermill would (the parameters file injected after the parameters cell),
    in this process, and return what its cells display."""
    for name in REQUEST_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    spec = get(assessment)
    injected = wb_params.load_file(params_file, spec.params, shared_fields()).model_dump(mode="json", by_alias=True)
    shown: list[Any] = []
    monkeypatch.setattr(forms, "display", shown.append)
    monkeypatch.setattr(app_notebook, "display", shown.append)
    namespace: dict[str, Any] = {}
    for cell in nbformat.read(spec.path, as_version=4).cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, f"{spec.path.name}", "exec"), namespace)  # noqa: S102 - the suite's notebook
            if "parameters" in cell.metadata.get("tags", []):
                namespace.update(injected)
    return [b for b in map(_bundle, shown) if b is not None]


def _rendered(mime: str, text: str) -> BeautifulSoup:
    return BeautifulSoup(markdown2html_mistune(text) if mime == "text/markdown" else text, "html.parser")


def assert_no_markup_from_text(bundles: list[tuple[str, str]]) -> None:
    """Each section rendered as nbconvert renders it: only elements the suite writes, no event handler, no link,
    no image, and no emphasis, link or math made of the hostile text."""
    for mime, text in bundles:
        soup = _rendered(mime, text)
        where = f"{mime}: {text[:300]}"
        for style in soup.find_all("style"):  # a table's own alignment (core.outputs.frame_table), nothing else
            assert SUITE_STYLE.fullmatch(style.get_text().strip()), where
            style.decompose()
        for image in soup.find_all("img"):  # a chart the suite drew: its own SVG inline, never a link out
            assert "wb-chart" in image.get("class", []) and image["src"].startswith("data:image/svg+xml;base64,"), where
            image.decompose()
        assert {t.name for t in soup.find_all(True)} <= ALLOWED | {"a"}, where
        # the only links are the headings' own anchors
        assert all(a["href"].startswith("#") and "anchor-link" in a.get("class", []) for a in soup.find_all("a")), where
        assert not [a for t in soup.find_all(True) for a in t.attrs if a.lower().startswith("on")], where
        for tag in soup.find_all(["strong", "em", "b", "i", "code", "del"]):
            assert tag.get_text() not in {"hostile-bold", "hostile-em", "gone"}, where


def assert_visible(text: str, tags: list[str]) -> None:
    """Each tagged value is readable whole: every character of the hostile text shown as itself; and the suite's
    own Markdown is markup (a section built without ``md`` would show its asterisks)."""
    missing = [t for t in tags if hostile(t) not in text]
    assert not missing, f"not shown as text: {missing}"
    rest = text.replace(HOSTILE, "")
    assert "**" not in rest and "## " not in rest and "&#" not in rest and "&lt;" not in rest, rest[:2000]


def report_html(bundles: list[tuple[str, str]], folder: Path) -> BeautifulSoup:
    """The sections as the HTML report (core/outputs.notebook_to_html, the exporter `workbook run` uses)."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("shown()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={mime: text, "text/plain": ""})
                    for mime, text in bundles]
    nb.cells.append(cell)
    nbformat.write(nb, folder / "r.ipynb")
    html = outputs.notebook_to_html(folder / "r.ipynb", folder / "r.html", "r")
    return BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")


# what must reach each report (whole and readable), by the tag of the field it was put in
SHOWN = {
    "risk-evaluation": ["Org", "Period", "Earlier", "Rid", "Desc", "Cat", "Owner", "Group", "TOwner", "Actions",
                        "MethodTitle", "MethodTopic", "MethodDecision", "Auth"],
    "coso-assessment": ["Org", "Period", "Comment", "Resp", "QTitle", "QSource", "QTopic", "QDecision"],
    "maturity-scoring": ["Org", "Period", "Earlier", "Marker", "MarkNote", "MatrixTopic", "MatrixDecision"],
    "combined-assurance": ["Org", "Period", "Rid", "Desc", "Cat", "Owner", "Ctl", "Prov", "PlanOwner", "AO",
                           "Committee", "FwTopic", "FwDecision"],
    "risk-monitoring": ["Org", "Period", "Earlier", "Earliest", "Rid", "Metric", "RiskType", "CatTitle", "CatSrc",
                        "Decision", "Src", "RNote", "RecBy", "NoSuchRisk", "Auth"],
}


@pytest.fixture(scope="module")
def hostile_file(tmp_path_factory) -> Path:
    return hostile_parameters(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("assessment", ASSESSMENTS)
def test_every_text_field_is_text_in_the_report(assessment, hostile_file, monkeypatch, tmp_path):
    bundles = run_notebook(assessment, hostile_file, monkeypatch)
    assert any(mime == "text/markdown" for mime, _ in bundles)
    assert_no_markup_from_text(bundles)
    soup = report_html(bundles, tmp_path)
    body = soup.body
    assert not body.find_all(["img", "script", "iframe", "object", "embed"])
    assert not [a for t in body.find_all(True) for a in t.attrs if a.lower().startswith("on")]
    assert all(a["href"].startswith("#") and "anchor-link" in a.get("class", []) for a in body.find_all("a"))
    assert_visible(body.get_text(), SHOWN[assessment])  # escaped once, never twice


# ---- the one place: md builds Markdown, markdown shows it -----------------------------------------------------------
def test_md_escapes_every_value_and_keeps_its_own_markup():
    text = md("**{who}**, {when}: {n:.0%}", who=HOSTILE, when=md("*{}*", "2025-26"), n=0.125)
    assert isinstance(text, Md) and text.startswith("**") and "*2025-26*" in text and "12%" in text
    soup = _rendered("text/markdown", text)
    assert [s.get_text() for s in soup.find_all("strong")] == [HOSTILE] and soup.find("em").get_text() == "2025-26"
    assert not soup.find_all(["img", "script", "a"])


def test_md_parts_join_and_lists_escape_what_is_not_md():
    joined = Md("\n\n").join([md("**{}**", "a"), "**b**"]) + "_c_"
    assert joined == "**a**\n\n&#42;&#42;b&#42;&#42;&#95;c&#95;" and isinstance(joined, Md)
    assert isinstance("*x*" + Md("y"), Md) and "*x*" + Md("y") == "&#42;x&#42;y"
    listed = md_list(["- nested", "1. ordered", "= setext", "plain\n\n# heading", md("**kept**")])
    items = [li.get_text() for li in _rendered("text/markdown", listed).find_all("li")]
    assert items == ["- nested", "1. ordered", "= setext", "plain # heading", "kept"]


def test_a_value_cannot_end_a_table_cell_or_break_its_row():
    table = md("| A | B |\n|---|---|\n| {} | {} |", "x|y", "two\nlines\n---")
    cells = [td.get_text() for td in _rendered("text/markdown", table).find_all("td")]
    assert cells == ["x|y", "two lines ---"]


def test_markdown_shows_plain_text_escaped_and_never_fetches_it(tmp_path):
    assert markdown(md("**{}**", "x")).data == "**x**"
    assert markdown("**not built with md**").data == "&#42;&#42;not built with md&#42;&#42;"
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    for text in ("http://evil.example/x", str(secret)):  # IPython's Markdown(text) would fetch or read these
        shown = markdown(text)
        assert shown.url is None and shown.filename is None and "do not read" not in shown.data


def test_sections_show_text_through_the_one_place(monkeypatch):
    shown: list[Any] = []
    monkeypatch.setattr(forms, "display", shown.append)
    sections = forms.Sections(live=False, result="r")
    sections.show(lambda _r: md("**{}**", HOSTILE))
    sections.show(lambda _r: f"**{HOSTILE}**")  # a plain str: not built with md, so escaped whole
    sections.show(lambda _r: Markdown(f"**{HOSTILE}**"))  # and an IPython Markdown of a plain str
    assert all(isinstance(s, Markdown) for s in shown)
    assert_no_markup_from_text([("text/markdown", s.data) for s in shown])
    assert _rendered("text/markdown", shown[0].data).find("strong").get_text() == HOSTILE
    assert all(_rendered("text/markdown", s.data).get_text().strip() == f"**{HOSTILE}**" for s in shown[1:])
    live = forms.Sections(live=True)
    live.show(lambda _r: f"**{HOSTILE}**")
    live.refresh("r")
    data = live._parts[0][0].outputs[0]["data"]["text/markdown"]
    assert _rendered("text/markdown", data).get_text().strip() == f"**{HOSTILE}**"


# ---- the risk monitoring form page ----------------------------------------------------------------------------
def _widget_html(widget: w.Widget) -> list[str]:
    """Every HTML a form page shows: its HTML widgets' values and its sections' outputs, depth first."""
    found = []
    if isinstance(widget, w.HTML):
        found.append(("text/html", widget.value))
    if isinstance(widget, w.Output):
        found += [(m, o["data"][m]) for o in widget.outputs for m in ("text/markdown", "text/html")
                  if m in o.get("data", {})]
    for child in getattr(widget, "children", ()):
        found += _widget_html(child)
    return found


def test_the_monitoring_form_page_shows_saved_text_as_text(tmp_path, monkeypatch):
    from workbook_lib.assessments.monitoring.records import READING
    from workbook_lib.assessments.risk.records import RISK
    from workbook_lib.core import records
    from workbook_lib.core.store import Author, Method, Store
    from workbook_lib.core.tables import read_table

    for name in REQUEST_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "in"
    folder.mkdir()
    params_file = hostile_parameters(folder)
    data = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    data["period"] = STORED_PERIOD  # the store keeps at most 100 characters of a period
    org, period = data["organisation"], data["period"]
    db = f"sqlite:///{tmp_path / 'store.db'}"
    with Store(db) as store:  # the register the risk form would have saved, with hostile IDs, owners, categories
        register = read_table(folder / "karoo_vale_municipality_2025.csv", records.spec_for(RISK).columns())
        loaded, context = RISK.context(data["methodology"], None)
        store.save(org, period, RISK.kind, records.canonical_rows(RISK, register, context), Author("Risk officer"),
                   Method("hostile", "1", loaded.sha256), source="import")
    # the app runs the notebook: start() builds the form, the later cells add the report sections below it
    monkeypatch.setenv("WORKBOOK_APP", "1")
    monkeypatch.setenv("WORKBOOK_DB", db)
    # the page's address names the organisation and period (the app never opens on the notebook's example)
    monkeypatch.setenv("QUERY_STRING", urlencode({"organisation": org, "period": period}))
    data.update(source="store")
    params_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    spec = get("risk-monitoring")
    injected = wb_params.load_file(params_file, spec.params, shared_fields()).model_dump(mode="json", by_alias=True)
    shown: list[Any] = []
    monkeypatch.setattr(app_notebook, "display", shown.append)
    monkeypatch.setattr(forms, "display", shown.append)
    namespace: dict[str, Any] = {}
    for cell in nbformat.read(spec.path, as_version=4).cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, spec.path.name, "exec"), namespace)  # noqa: S102 - the suite's notebook
            if "parameters" in cell.metadata.get("tags", []):
                namespace.update(injected)
    form = namespace["nb"].form
    form.respondent.name.value = hostile("Officer")
    for metric, value in (("vacancy_rate", "14%"), ("debtors_collection_days", "92 days"), ("current_ratio", "1.6")):
        row = form.rows[metric]
        row.value.value, row.source.value, row.note.value = value, hostile("FormSrc"), hostile("FormNote")
    form.date.value = dt.date(2025, 9, 30)
    form.save.click()
    assert "Saved the readings" in form.feedback.value, form.feedback.value
    assert len(Store(db).current(org, period, READING.kind)) == 3
    for metric in ("vacancy_rate", "debtors_collection_days"):
        form.links[metric].risks.value = f"{_rid('KV-020')}, {hostile('FormRisk')}"
    form.save_links.click()
    assert "Saved the key risk indicators" in form.links_feedback.value, form.links_feedback.value
    assert form.result is not None and form.result.count("outside") == 2
    page = [b for x in shown if isinstance(x, w.Widget) for b in _widget_html(x)]
    assert any(m == "text/markdown" for m, _ in page)  # the narrative and method note, re-rendered after the save
    assert_no_markup_from_text([(m, t) for m, t in page if "<style>" not in t])
    for _mime, text in page:  # the form's own style sheet aside, nothing outside what the suite writes
        if "<style>" in text:
            soup = _rendered("text/html", text)
            assert not soup.find_all(["img", "script", "a"]), text[:300]
            # hostile text in a cell is text ("&lt;img ... onerror"), never an element or an attribute
            assert not [a for t in soup.find_all(True) for a in t.attrs if a.lower().startswith("on")], text[:300]
    text = " ".join(_rendered(m, t).get_text(" ") for m, t in page)
    assert STORED_PERIOD in text
    assert_visible(text.replace(STORED_PERIOD, ""), ["Org", "Metric", "Rid", "FormRisk", "FormSrc", "FormNote",
                                                     "Officer", "CatTitle", "Auth"])
