"""The parameters: unknown keys refused, values checked before anything is evaluated."""

from __future__ import annotations

import pytest
import yaml

from tests.assessments.assurance.kit import DRAFT
from workbook_lib.assessments import shared_fields
from workbook_lib.assessments.assurance.inputs import CombinedAssuranceParams
from workbook_lib.assessments.assurance.model import ProviderSpec
from workbook_lib.assessments.assurance.run import load_assurance_inputs
from workbook_lib.core.errors import InputError
from workbook_lib.core.params import ParameterError, load_file


# ---- parameters -------------------------------------------------------------------------------------
def test_parameters_refuse_unknown_keys_and_check_values_before_evaluating(tmp_path):
    data = yaml.safe_load(DRAFT.read_text(encoding="utf-8"))
    data["duplication_treshold"] = 3
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ParameterError, match="did you mean 'duplication_threshold'"):
        load_file(bad, CombinedAssuranceParams)
    params = load_file(DRAFT, CombinedAssuranceParams, shared_fields())
    for change, message in [({"maturity_status": "advanced"}, "maturity_status"),
                            ({"scope_min_residual": "Severe"}, "scope_min_residual"),
                            ({"required_coverage": {"Low": "moderate"}}, "missing Medium"),
                            ({"required_coverage": {"Low": "inadequate", "Medium": "moderate", "High": "extensive"}},
                             "never a target"),
                            ({"duplication_frequency": "hourly"}, "duplication_frequency")]:
        with pytest.raises(ParameterError, match=message):
            load_assurance_inputs(params.model_copy(update=change))
    clash = params.model_copy(update={"providers": [ProviderSpec(id="other", name="Another", line=3)]})
    with pytest.raises(InputError, match="not already used"):
        load_assurance_inputs(clash)
