"""COSO, maturity and combined assurance read from the store (``source: store``) exactly as from files."""

from __future__ import annotations

import pytest

from workbook_lib.assessments import shared_fields
from workbook_lib.assessments.assurance.inputs import CombinedAssuranceParams
from workbook_lib.assessments.assurance.run import run_combined_assurance
from workbook_lib.assessments.coso.inputs import CosoParams
from workbook_lib.assessments.coso.model import load_questionnaire
from workbook_lib.assessments.coso.run import run_coso_assessment
from workbook_lib.assessments.maturity.inputs import MaturityParams
from workbook_lib.assessments.maturity.model import load_matrix
from workbook_lib.assessments.maturity.run import run_maturity_scoring
from workbook_lib.core import records
from workbook_lib.core.errors import InputError
from workbook_lib.core.params import load_file
from workbook_lib.core.store import Author, Store, StoreError

from .conftest import PARAMETERS

EXAMPLE = PARAMETERS / "karoo-vale-2025-26.yaml"
ORG, PERIOD = "Karoo Vale Local Municipality", "2025-26"
WHO = Author("Sipho Ndlovu", "2nd line", identity="test")


def _import(store: Store, kind: str, path, context, period: str = PERIOD) -> None:
    rows = records.canonical_rows(kind, records.read_for_kind(path, kind), context)
    store.save(ORG, period, kind, rows, WHO, source="import")


def _store_params(model, db, **extra):
    params = load_file(EXAMPLE, model, shared_fields())
    return params.model_copy(update={"source": "store", "store_url": str(db), **extra})


@pytest.fixture
def db(tmp_path):
    return tmp_path / "store.db"


def test_coso_from_the_store_equals_the_file(db):
    file_params = load_file(EXAMPLE, CosoParams, shared_fields())
    with Store(str(db)) as store:
        _import(store, "coso_response", file_params.resolve(file_params.responses),
                load_questionnaire().questionnaire)
    from_file = run_coso_assessment(file_params)
    from_store = run_coso_assessment(_store_params(CosoParams, db))
    cols = ["item_id", "combined_score", "band", "complete", "divergent"]
    assert from_store.items[cols].equals(from_file.items[cols])
    assert from_store.principles["present_and_functioning"].tolist() == \
        from_file.principles["present_and_functioning"].tolist()


def test_coso_with_an_empty_store_is_valid_and_everything_is_incomplete(db):
    with pytest.raises(StoreError, match="there is no store at"):  # a run never creates a store
        run_coso_assessment(_store_params(CosoParams, db))
    assert not db.exists()
    Store(str(db)).close()  # an existing store with nothing saved yet for this organisation and period
    result = run_coso_assessment(_store_params(CosoParams, db))
    assert len(result.items) > 0 and not result.items["complete"].any()


def test_canonical_rows_agree_on_keys_whatever_the_spelling(tmp_path):
    q = load_questionnaire().questionnaire
    first = q.items[0].id
    messy = tmp_path / "messy.csv"
    messy.write_text(f"Item,Line of assurance,Score\n{first.lower()},2nd line,4\n{first},Third,\n")
    rows = records.canonical_rows("coso_response", records.read_for_kind(messy, "coso_response"), q)
    assert set(rows) == {f"{first}|2", f"{first}|3"}
    assert rows[f"{first}|2"]["rating"] == "4" and rows[f"{first}|3"]["rating"] == ""


def test_canonical_rows_report_every_problem(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("item_id,line,rating\nNOPE,1,3\nP01-01,7,9\n")
    with pytest.raises(InputError) as err:
        records.canonical_rows("coso_response", records.read_for_kind(bad, "coso_response"),
                               load_questionnaire().questionnaire)
    found = {(p.row, p.column) for p in err.value.problems}
    assert {(2, "item_id"), (3, "line"), (3, "rating")} <= found


def test_maturity_from_the_store_with_history_from_earlier_periods(db):
    file_params = load_file(EXAMPLE, MaturityParams, shared_fields())
    matrix = load_matrix().matrix
    with Store(str(db)) as store:
        _import(store, "maturity_mark", file_params.resolve(file_params.marks), matrix)
        _import(store, "maturity_mark", file_params.resolve(file_params.history[0].marks), matrix, "2024-25")
        _import(store, "maturity_mark", file_params.resolve(file_params.history[0].marks), matrix, "2030-31")
        _import(store, "capacity_answer", file_params.resolve(file_params.capacity), matrix)
    from_file = run_maturity_scoring(file_params)
    from_store = run_maturity_scoring(_store_params(MaturityParams, db, history=[]))
    assert (from_store.total_score, from_store.status) == (from_file.total_score, from_file.status)
    assert from_store.history_periods == ["2024-25"]  # later periods are not history
    assert from_store.trend.equals(from_file.trend)
    assert from_store.capacity.by_line.equals(from_file.capacity.by_line)


def test_coso_reads_the_maturity_status_from_the_store(db):
    file_params = load_file(EXAMPLE, MaturityParams, shared_fields())
    with Store(str(db)) as store:
        _import(store, "maturity_mark", file_params.resolve(file_params.marks), load_matrix().matrix)
    expected = run_maturity_scoring(file_params).status
    result = run_coso_assessment(_store_params(CosoParams, db, maturity_status=None))
    assert expected and result.maturity_status == expected


def test_assurance_from_the_store_and_a_withdrawn_entry(db):
    file_params = load_file(EXAMPLE, CombinedAssuranceParams, shared_fields())
    from workbook_lib.assessments.assurance.run import load_assurance_inputs

    inputs = load_assurance_inputs(file_params)
    context = (inputs.providers, inputs.framework.framework.frequencies)
    with Store(str(db)) as store:
        reg = records.read_for_kind(file_params.resolve(file_params.register_file), "risk")
        store.save(ORG, PERIOD, "risk", records.rows_from_table(reg, "risk"), WHO, source="import")
        _import(store, "assurance_entry", file_params.resolve(file_params.assurance_map), context)
    from_file = run_combined_assurance(file_params)
    store_params = _store_params(CombinedAssuranceParams, db)
    from_store = run_combined_assurance(store_params)
    cols = ["risk_id", "coverage", "required_coverage", "gap"]
    assert from_store.risks[cols].reset_index(drop=True).equals(from_file.risks[cols].reset_index(drop=True))

    # withdraw every entry for one covered risk: it becomes a gap with coverage none
    covered = from_store.risks[from_store.risks["coverage"] != "none"].iloc[0]["risk_id"]
    with Store(str(db)) as store:
        keys = [r.key for r in store.current(ORG, PERIOD, "assurance_entry") if r.data["risk_id"] == covered]
        store.save(ORG, PERIOD, "assurance_entry", dict.fromkeys(keys), WHO, source="form")
        assert store.history(ORG, PERIOD, "assurance_entry", keys[0])[-1]["after"] is None
    after = run_combined_assurance(store_params).risks.set_index("risk_id")
    assert after.loc[covered, "coverage"] == "none"


def test_cli_import_checks_against_the_parameters_file(db, tmp_path):
    from .test_cli import workbook

    amap = PARAMETERS / "assurance" / "karoo_vale_assurance_map_2025.csv"
    args = ["store", "import", str(amap), "-a", "combined-assurance", "--organisation", ORG, "--period", PERIOD,
            "--who", "Test", "--store", str(db)]
    refused = workbook(*args)
    assert refused.returncode == 2 and "occupational_health_safety" in refused.stderr + refused.stdout
    assert Store(str(db)).current(ORG, PERIOD, "assurance_entry") == []
    ok = workbook(*args, "--params", str(EXAMPLE))
    assert ok.returncode == 0, ok.stderr
    assert len(Store(str(db)).current(ORG, PERIOD, "assurance_entry")) == 47
    out = tmp_path / "map.csv"
    exported = workbook("store", "export", "-a", "combined-assurance", "--organisation", ORG, "--period", PERIOD,
                        "-o", str(out), "--store", str(db))
    assert exported.returncode == 0, exported.stderr
    assert out.read_text(encoding="utf-8-sig").splitlines()[0].startswith("risk_id,control,provider,frequency")
    # the export re-imports as the same 47 entries
    again = workbook("store", "import", str(out), "-a", "combined-assurance", "--organisation", ORG, "--period",
                     PERIOD, "--who", "Test", "--store", str(db), "--params", str(EXAMPLE))
    assert again.returncode == 0 and "0 added, 0 changed, 47 unchanged" in again.stdout
