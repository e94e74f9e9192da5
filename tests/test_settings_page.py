"""The Settings page as its user meets it (in-process; tests/test_settings_browser.py drives it in Chromium), and
the promise it exists for: a form and a ``source: store`` run of the same organisation and period agree."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import PARAMETERS, ROOT
from tests.form_kit import Recorder, no_request  # noqa: F401 - a fixture
from workbook_lib.app.settings_page import SettingsForm, SettingsParams
from workbook_lib.assessments import settings_problems, shared_fields
from workbook_lib.assessments.assurance.form import AssuranceForm
from workbook_lib.assessments.assurance.inputs import CombinedAssuranceParams
from workbook_lib.assessments.risk.form import RiskRegisterForm
from workbook_lib.core import records
from workbook_lib.core.params import load_file
from workbook_lib.core.settings import read_settings, settings_model
from workbook_lib.core.store import Author, Store

pytestmark = pytest.mark.usefixtures("no_request")
ORG, PERIOD = "Blue Crane Local Municipality", "2025-26"
WORKBOOK = str(Path(sys.executable).parent / "workbook")


@pytest.fixture
def store(tmp_path):
    with Store(str(tmp_path / "store.db")) as s:
        yield s


def _page(store: Store) -> SettingsForm:
    page = SettingsForm(SettingsParams(organisation=ORG, period=PERIOD, store_url=store.url), Recorder(), store=store)
    page.respondent.name.value = "Sipho Ndlovu"
    return page


def test_a_new_organisation_starts_with_nothing_set_and_says_so(store):
    page = _page(store)
    assert "No settings saved for Blue Crane" in page.origin.value
    assert page.appetite.value == "" and page.providers.value == "" and page.maturity.value == ""
    assert page.methodology.value == ""  # "(not chosen: the suite's default)"


def test_every_problem_is_named_by_its_field_and_nothing_is_saved(store):
    page = _page(store)
    page.appetite.value = "Enormous"
    page.categories.value = "Financial 4"
    page.tolerance.value = "Huge"
    page.providers.value = "Fire services"
    page.start.value, page.end.value = dt.date(2026, 6, 30), dt.date(2025, 7, 1)
    page.save.click()
    shown = page.save_feedback.value
    for field in ("Risk appetite", "Appetite per category", "Risk tolerance", "Assurance providers of your own",
                  "Period ends"):
        assert field in shown
    assert "nothing was saved" in shown and store.current(ORG, PERIOD, "setting") == []
    # and each problem under the field it concerns (issue 30), found by the field's label or its setting's
    notes = {n.value for n in page.field_notes._shown}
    for words in ("Enormous", "Financial 4", "Huge", "Fire services", "2025-07-01"):
        assert any(words in n for n in notes), (words, notes)
    assert len(page.field_notes._shown) == 5
    page.appetite.value, page.categories.value, page.tolerance.value, page.providers.value = "", "", "", ""
    page.start.value, page.end.value = dt.date(2025, 7, 1), dt.date(2026, 6, 30)
    page.save.click()
    assert page.field_notes._shown == [] and "Saved the settings" in page.save_feedback.value


def test_saved_settings_are_read_back_with_their_trail_and_carried_to_the_next_period(store):
    page = _page(store)
    page.methodology.value = "western-cape-5x5"
    page.appetite.value = "Low"
    page.categories.value = "Financial: 4\nCompliance: Medium"
    page.tolerance.value = "Medium"
    page.providers.value = "Fire services; 2\nProvincial treasury; 4; independent"
    page.maturity.value = "marks"
    page.start.value, page.end.value = dt.date(2025, 7, 1), dt.date(2026, 6, 30)
    page.save.click()
    assert "Saved the settings of Blue Crane" in page.save_feedback.value
    saved = read_settings(store, ORG, PERIOD).values
    assert saved.appetite == {"default": "Low", "categories": {"Financial": 4, "Compliance": "Medium"}}
    assert saved.providers == [{"id": "fire_services", "name": "Fire services", "line": 2},
                               {"id": "provincial_treasury", "name": "Provincial treasury", "line": 4,
                                "independent": True}]
    assert saved.maturity_status == "marks" and saved.period_end == dt.date(2026, 6, 30)
    assert "Sipho Ndlovu" in page.trail.value and "Risk appetite" in page.trail.value
    # the next period opens on these, and says where they come from
    page.picker.period.value = "2026-27"
    page.picker.open_button.click()
    assert "settings for <b>2025-26</b>" in page.origin.value and page.appetite.value == "Low"
    assert "Fire services; 2" in page.providers.value


def test_a_settings_file_is_checked_like_the_page():
    assert settings_problems(settings_model()(methodology="western-cape-5x5", appetite="Low", tolerance="Medium")) == []
    problems = settings_problems(settings_model()(appetite="Huge", maturity_status="great", banding="other"))
    assert [p.split(":")[0] for p in problems] == ["Banding", "Risk appetite", "Maturity status"]
    assert settings_problems(settings_model()(methodology="no-such"))[0].startswith("Risk methodology: 'no-such'")


# ---- a form and a batch run of the same organisation agree --------------------------------------------------
def _workbook(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([WORKBOOK, *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "WORKBOOK_DB": str(db)})


def test_the_forms_and_a_store_run_show_the_same_figures(tmp_path):
    db = tmp_path / "store.db"
    karoo = load_file(PARAMETERS / "karoo-vale-2025-26.yaml", CombinedAssuranceParams, shared_fields())
    with Store(str(db)) as store:
        register = records.read_for_kind(karoo.resolve(karoo.register_file), "risk")
        store.save(ORG, PERIOD, "risk", records.rows_from_table(register, "risk"), Author("Seeder"), source="import")
    settings = tmp_path / "blue-crane-settings.yaml"
    settings.write_text("methodology: western-cape-5x5\nappetite: {default: 4, categories: {Financial: 9}}\n"
                        "tolerance: 6\nproviders: [{id: fire_services, name: Fire services, line: 2}]\n"
                        "maturity_status: fragmented\n", encoding="utf-8")
    imported = _workbook("settings", "import", str(settings), "--organisation", ORG, "--period", PERIOD,
                         "--who", "Sipho Ndlovu", db=db)
    assert imported.returncode == 0, imported.stderr

    # the forms, for the organisation opened there
    with Store(str(db)) as store:
        risk_form = RiskRegisterForm(karoo.model_copy(update={"organisation": ORG, "period": PERIOD}), Recorder(),
                                     store=store)
        ev = risk_form.evaluation()
        assurance_form = AssuranceForm(karoo.model_copy(update={"organisation": ORG, "period": PERIOD}), Recorder(),
                                       store=store)
        result = assurance_form.result
    assert any("Fire services" in label for label, _v in assurance_form.provider.options)
    assert not any("Occupational health" in label for label, _v in assurance_form.provider.options)

    # a batch run from the store: a parameters file with no appetite, provider or maturity status of its own
    params = tmp_path / "blue-crane.yaml"
    params.write_text(f"organisation: {ORG}\nperiod: '{PERIOD}'\nas_of: {dt.date.today().isoformat()}\n"
                      "source: store\n", encoding="utf-8")
    out = tmp_path / "out"
    for assessment in ("risk-evaluation", "combined-assurance"):
        ran = _workbook("run", assessment, "--params", str(params), "--out", str(out), db=db)
        assert ran.returncode == 0, ran.stdout + ran.stderr
    folder = next(out.rglob("risk-evaluation.json")).parent
    risk_json = json.loads((folder / "risk-evaluation.json").read_text())
    assurance_json = json.loads((folder / "combined-assurance.json").read_text())

    # the same risks above appetite, with the same decision makers (tolerance 6: the Municipal Manager above it)
    form_risks = ev.risks.set_index("risk_id")
    run_risks = {r["risk_id"]: r for r in risk_json["risks"]}
    assert set(run_risks) == set(form_risks.index)
    for risk_id, row in form_risks.iterrows():
        shown = None if pd.isna(row["above_appetite"]) else bool(row["above_appetite"])  # None: an opportunity
        assert run_risks[risk_id]["above_appetite"] == shown, risk_id
        assert run_risks[risk_id]["decision_maker"] == row["decision_maker"], risk_id
    assert sum(bool(r["above_appetite"]) for r in run_risks.values()) > 0
    assert risk_json["settings"]["used"]["appetite"] == "4; per category Financial: 9"
    assert risk_json["as_of"] == dt.date.today().isoformat() == ev.as_of.isoformat()
    # the same risks in scope and the same gaps
    form_scope = result.risks.set_index("risk_id")
    for r in assurance_json["risks"]:
        assert r["in_scope"] == bool(form_scope.loc[r["risk_id"], "in_scope"]), r["risk_id"]
        assert r["gap"] == bool(form_scope.loc[r["risk_id"], "gap"]), r["risk_id"]
    assert sum(r["gap"] for r in assurance_json["risks"]) == len(result.gaps) > 0
    assert assurance_json["settings"]["used"]["providers"] == "Fire services"


def test_workbook_settings_import_show_export_round_trip(tmp_path):
    db = tmp_path / "store.db"
    params = PARAMETERS / "karoo-vale-2025-26.yaml"
    taken = _workbook("settings", "import", str(params), "--from-params", "--organisation", ORG, "--period", PERIOD,
                      "--who", "Sipho Ndlovu", db=db)
    assert taken.returncode == 0, taken.stderr
    assert "taking risk methodology, risk appetite" in taken.stdout and "7 added" in taken.stdout
    assert "tolerance warning zone" in taken.stdout  # risk monitoring's, from the file
    shown = _workbook("settings", "show", "--organisation", ORG, "--period", "2026-27", db=db)
    assert "carried over to 2026-27" in shown.stdout and "Risk appetite (appetite): {default: Low" in shown.stdout
    exported = tmp_path / "settings.yaml"
    assert _workbook("settings", "export", "--organisation", ORG, "--period", PERIOD, "--out", str(exported),
                     db=db).returncode == 0
    again = _workbook("settings", "import", str(exported), "--organisation", ORG, "--period", PERIOD, "--who", "Sipho",
                      db=db)
    assert again.returncode == 0 and "0 added, 0 changed, 7 unchanged" in again.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("appetite: Enormous\napetite: 4\n", encoding="utf-8")
    refused = _workbook("settings", "import", str(bad), "--organisation", ORG, "--period", PERIOD, "--who", "Sipho",
                        db=db)
    assert refused.returncode == 2 and "apetite: not a setting" in refused.stderr
    with Store(str(db)) as store:
        assert len(store.history(ORG, PERIOD, "setting")) == 7  # nothing saved by the refused file


def test_a_settings_file_keeps_text_as_written_and_changes_only_what_it_names(tmp_path):
    """Issue 31 (9): text settings are never read again as YAML (a '#', a '~' or a colon is text), and a file naming
    one setting leaves the others as they were, unless --replace says to clear them."""
    db = tmp_path / "store.db"
    full = tmp_path / "full.yaml"
    full.write_text('methodology: western-cape-5x5\nappetite: Low\nplan_owner: "Head of Risk #2 (acting)"\n'
                    'accounting_officer: "~"\noversight_committee: "Chief Risk Officer: J. Smith"\n', encoding="utf-8")
    first = _workbook("settings", "import", str(full), "--organisation", ORG, "--period", PERIOD, "--who", "Sipho",
                      db=db)
    assert first.returncode == 0, first.stderr
    with Store(str(db)) as store:
        values = read_settings(store, ORG, PERIOD).values
    assert values.plan_owner == "Head of Risk #2 (acting)"
    assert values.accounting_officer == "~" and values.oversight_committee == "Chief Risk Officer: J. Smith"

    one = tmp_path / "one.yaml"
    one.write_text("appetite: 8\n", encoding="utf-8")
    changed = _workbook("settings", "import", str(one), "--organisation", ORG, "--period", PERIOD, "--who", "Sipho",
                        db=db)
    assert changed.returncode == 0 and "0 added, 1 changed" in changed.stdout and "(Risk appetite)" in changed.stdout
    with Store(str(db)) as store:
        values = read_settings(store, ORG, PERIOD).values
    assert values.appetite == 8 and values.methodology == "western-cape-5x5"
    assert values.plan_owner == "Head of Risk #2 (acting)"  # untouched

    replaced = _workbook("settings", "import", str(one), "--replace", "--organisation", ORG, "--period", PERIOD,
                         "--who", "Sipho", db=db)
    assert replaced.returncode == 0 and "4 changed" in replaced.stdout
    with Store(str(db)) as store:
        values = read_settings(store, ORG, PERIOD).values
    assert values.appetite == 8 and values.methodology is None and values.plan_owner is None


def test_a_setting_a_period_lacks_comes_from_the_latest_earlier_period_that_has_it(store):
    author = Author("Sipho Ndlovu")
    model = settings_model()
    from workbook_lib.core.settings import save_settings

    save_settings(store, ORG, "2024-25", model(methodology="western-cape-5x5", appetite="Low", plan_owner="CRO"),
                  author)
    save_settings(store, ORG, PERIOD, model(appetite=8), author, only=["appetite"])
    settings = read_settings(store, ORG, PERIOD)
    assert settings.values.appetite == 8 and settings.values.plan_owner == "CRO"
    assert settings.values.methodology == "western-cape-5x5" and settings.from_period == PERIOD
    assert "(and, for those not saved for it, 2024-25)" in settings.origin()
