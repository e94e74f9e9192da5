"""The organisation's own providers: inline and from a file, and every clash reported at once."""

from __future__ import annotations

import pytest
import yaml

from workbook_lib.assessments.assurance.providers import merge_providers
from workbook_lib.core.errors import InputError


# ---- providers -----------------------------------------------------------------------------------------
def test_organisation_providers_inline_and_from_a_file(fw, tmp_path):
    extra = [{"id": "auditor_general", "name": "Auditor-General", "line": 3},
             {"id": "ohs", "name": "Occupational health and safety", "line": 2, "independent": False}]
    merged = {p.id: p for p in merge_providers(fw.framework, extra)}
    assert merged["auditor_general"].independent and not merged["ohs"].independent  # line 3 default: independent
    assert merged["ohs"].source == "parameters: providers"
    file = tmp_path / "providers.yaml"
    file.write_text(yaml.safe_dump({"providers": extra}), encoding="utf-8")
    assert [p.id for p in merge_providers(fw.framework, "providers.yaml", base=tmp_path)][-2:] == [
        "auditor_general", "ohs"]
    file.write_text(yaml.safe_dump(extra), encoding="utf-8")
    assert len(merge_providers(fw.framework, file)) == 10


def test_provider_clashes_and_bad_lines_are_one_error(fw):
    extra = [{"id": "internal_audit", "name": "IA again", "line": 3},
             {"id": "ia_2", "name": "Compliance", "line": 2},
             {"id": "council", "name": "Council", "line": 5},
             {"id": "consultant", "name": "Consultant", "line": 1, "independent": True},
             {"id": "x", "name": "X", "line": 2}, {"id": "x", "name": "Y", "line": 2}]
    with pytest.raises(InputError) as err:
        merge_providers(fw.framework, extra)
    columns = [p.column for p in err.value.problems]
    assert columns == ["providers[0].id", "providers[1].name", "providers[2].line", "providers[3].independent",
                       "providers[5].id"]
    with pytest.raises(InputError, match="lower-case"):
        merge_providers(fw.framework, [{"id": "Auditor General", "name": "AG", "line": 3}])
