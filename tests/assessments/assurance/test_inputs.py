"""The assurance map: problems collected with their rows, headings and spellings accepted, an Excel sheet."""

from __future__ import annotations

import openpyxl
import pytest

from tests.conftest import write_csv
from workbook_lib.assessments.assurance.inputs import load_assurance_map
from workbook_lib.core.errors import InputError


# ---- the assurance map -----------------------------------------------------------------------------
def test_map_problems_are_collected_with_their_rows(fw, providers, tmp_path):
    path = write_csv(tmp_path / "map.csv", (
        "Risk ID,Key control,Assurance provider,Freq,Notes\n"
        "KV-1,Reconciliation,internal_audit,M,ok\n"
        ",Reconciliation,internal_audit,M,blank risk\n"
        "KV-1,Reconciliation,,M,blank provider with a frequency\n"
        "KV-1,Reconciliation,auditor_general,M,unknown provider\n"
        "KV-1,Reconciliation,risk_management,Fortnightly,unknown frequency\n"
        "KV-1, reconciliation ,Internal Audit,q,duplicate of row 2 by name and spacing\n"))
    with pytest.raises(InputError) as err:
        load_assurance_map(path, providers, fw.framework.frequencies)
    found = {(p.row, p.column, p.value) for p in err.value.problems}
    assert found == {(3, "risk_id", ""), (4, "frequency", "M"), (5, "provider", "auditor_general"),
                     (6, "frequency", "Fortnightly"), (7, "provider", "Internal Audit")}
    dup = next(p for p in err.value.problems if p.row == 7)
    assert "already on row 2" in dup.expected
    unknown = next(p for p in err.value.problems if p.row == 5)
    assert "internal_audit" in unknown.expected


def test_map_missing_columns_and_empty_map(fw, providers, tmp_path):
    path = write_csv(tmp_path / "m.csv", "risk_id,control,notes\nKV-1,x,y\n")
    with pytest.raises(InputError) as err:
        load_assurance_map(path, providers, fw.framework.frequencies)
    assert {p.column for p in err.value.problems} == {"provider", "frequency"}
    path = write_csv(tmp_path / "e.csv", "risk_id,provider,frequency\n")
    with pytest.raises(InputError, match="at least one row"):
        load_assurance_map(path, providers, fw.framework.frequencies)


def test_map_accepts_names_codes_and_blank_frequency(fw, providers, tmp_path):
    path = write_csv(tmp_path / "m.csv", "risk id;provider;frequency\nKV-1;Internal audit;quarterly\n"
                                         "KV-1;compliance;m\nKV-2;other;\n")
    amap = load_assurance_map(path, providers, fw.framework.frequencies)
    assert amap.frame[["provider", "frequency", "per_year"]].values.tolist() == [
        ["internal_audit", "Q", 4.0], ["compliance", "M", 12.0], ["other", "", 0.0]]
    assert list(amap.frame["row"]) == [2, 3, 4] and len(amap.assuring) == 2


def test_xlsx_map_on_a_named_sheet_below_a_title_row(fw, providers, tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Cover"
    sheet = book.create_sheet("Assurance map")
    sheet.append(["Combined assurance map 2025-26"])
    sheet.append(["Risk ID", "Key control", "Assurance provider", "Frequency"])
    sheet.append(["KV-1", "Reconciliation", "External audit", "A"])
    sheet.append(["KV-1", "Reconciliation", "internal_controls", "D"])
    path = tmp_path / "map.xlsx"
    book.save(path)
    amap = load_assurance_map(path, providers, fw.framework.frequencies, sheet="Assurance map")
    assert amap.frame[["row", "provider", "frequency"]].values.tolist() == [
        [3, "external_audit", "A"], [4, "internal_controls", "D"]]
