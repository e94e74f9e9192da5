"""Every form page shows saved text as text (issue 31, item 1: "in form pages", every assessment). The hostile
Karoo Vale inputs of test_escaping_everywhere are imported into a store as the forms' users would have saved them;
each assessment's notebook then runs as the app runs it (a form, its report sections below it), and every HTML the
page shows (the form's widgets and the sections) is rendered: no element, attribute or link comes from the text,
and the text stays readable. The risk monitoring form, with a save, is checked in test_escaping_everywhere."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import ipywidgets as w
import nbformat
import pytest
import yaml

from tests.core.test_escaping_everywhere import (
    ALLOWED,
    REQUEST_VARIABLES,
    STORED_PERIOD,
    SUITE_STYLE,
    _rendered,
    _widget_html,
    hostile,
    hostile_parameters,
)
from workbook_lib.app import notebook as app_notebook
from workbook_lib.assessments import get, shared_fields
from workbook_lib.core import forms, records
from workbook_lib.core import params as wb_params
from workbook_lib.core.settings import from_values, save_settings, settings_model
from workbook_lib.core.store import Author, Method, Store

# what a form's own HTML uses besides a report's (its style sheet, a scale folded away, a download link)
FORM_ELEMENTS = {"a", "style", "details", "summary", "label", "small", "sup", "sub"}
# the links a form page itself makes: to the Settings page, to another form, a download of its own workbook
OWN_LINKS = ("#", "settings.ipynb", "data:", "risk_evaluation.ipynb", "combined_assurance.ipynb")

# what each form keeps in the store, and the parameter naming the file its rows come from
SAVED = {
    "risk-evaluation": [("risk", "register")],
    "coso-assessment": [("coso_response", "responses")],
    "maturity-scoring": [("maturity_mark", "marks"), ("capacity_answer", "capacity")],
    # its entries' keys (risk ID, control and provider) would pass the store's 200 characters with these hostile
    # values (refused in one line, nothing saved: tests/core/test_store.py): the page shows the saved register
    "combined-assurance": [("risk", "register")],
}
# what each page must show whole (the tag of the field the hostile text was put in)
SHOWN = {
    "risk-evaluation": ["Rid", "Desc", "Owner"],
    "coso-assessment": ["QTitle"],  # comments are in text fields (their value, never HTML)
    "maturity-scoring": ["MarkNote"],
    "combined-assurance": ["Rid"],
}


def _assert_no_markup_from_text(page: list[tuple[str, str]]) -> None:
    """As test_escaping_everywhere's check, with the page's own links allowed (never one made of user text)."""
    for mime, text in page:
        soup = _rendered(mime, text)
        where = f"{mime}: {text[:300]}"
        for style in soup.find_all("style"):  # the form's own style sheet and tables' alignment: no user text in it
            css = style.get_text()
            assert SUITE_STYLE.fullmatch(css.strip()) or not any(x in css for x in ("hostile", "alert(", "evil")), where
            style.decompose()
        for image in soup.find_all("img"):  # a chart the suite drew: its own SVG inline, never a link out
            assert "wb-chart" in image.get("class", []) and image["src"].startswith("data:image/svg+xml;base64,"), where
            image.decompose()
        assert {t.name for t in soup.find_all(True)} <= ALLOWED | FORM_ELEMENTS, where
        assert all(a.get("href", "").startswith(OWN_LINKS) for a in soup.find_all("a")), where
        assert not [a for t in soup.find_all(True) for a in t.attrs if a.lower().startswith("on")], where
        assert not soup.find_all(["img", "script", "iframe", "object"]), where
        for tag in soup.find_all(["strong", "em", "b", "i", "code", "del"]):
            assert tag.get_text() not in {"hostile-bold", "hostile-em", "gone"}, where


def _save(db: str, assessment: str, params: Any, data: dict[str, Any]) -> None:
    """The hostile files saved as the assessment's records, as its form or `workbook store import` saves them, and
    the organisation's settings the parameters give (its own providers among them), as `settings import`."""
    with Store(db) as store:
        given = {k: data[k] for k in settings_model().model_fields if data.get(k) not in (None, "", [], {})}
        save_settings(store, params.organisation, params.period, from_values(given), Author(hostile("Saver")))
        for kind_name, key in SAVED[assessment]:
            kind = records.spec_for(kind_name)
            loaded, context = kind.context(None, params)
            table = records.read_for_kind(params.resolve(getattr(params, key) if key != "register"
                                                         else params.register_file), kind, None, context)
            prov = loaded.provenance()
            store.save(params.organisation, params.period, kind.kind, records.canonical_rows(kind, table, context),
                       Author(hostile("Saver")), Method(prov["name"], prov["version"], prov["sha256"]),
                       source="import")


@pytest.mark.parametrize("assessment", sorted(SAVED))
def test_every_form_page_shows_saved_text_as_text(assessment, tmp_path, monkeypatch):
    for name in REQUEST_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "in"
    folder.mkdir()
    params_file = hostile_parameters(folder)
    data = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    data["period"] = STORED_PERIOD  # the store keeps at most 100 characters of a period
    params_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    spec = get(assessment)
    params = wb_params.load_file(params_file, spec.params, shared_fields())
    db = f"sqlite:///{tmp_path / 'store.db'}"
    _save(db, assessment, params, data)
    data.update(source="store")
    params_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    injected = wb_params.load_file(params_file, spec.params, shared_fields()).model_dump(mode="json", by_alias=True)
    monkeypatch.setenv("WORKBOOK_APP", "1")  # the app runs the notebook: start() builds the form
    monkeypatch.setenv("WORKBOOK_DB", db)
    # the page's address names the organisation and period (the app never opens on the notebook's example)
    monkeypatch.setenv("QUERY_STRING", urlencode({"organisation": data["organisation"], "period": data["period"]}))
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
    assert form is not None
    page = [b for x in [form.widget, *shown] if isinstance(x, w.Widget) for b in _widget_html(x)]
    assert page, "the page shows nothing"
    _assert_no_markup_from_text(page)
    text = " ".join(_rendered(m, t).get_text(" ") for m, t in page)
    missing = [tag for tag in SHOWN[assessment] if hostile(tag) not in text]
    assert not missing, f"not shown as text on the {assessment} page: {missing}"
