"""The Karoo Vale example, assessed once per test module."""

from __future__ import annotations

import pytest

from tests.assessments.coso.kit import EXAMPLE_PARAMS
from workbook_lib.assessments import shared_fields
from workbook_lib.assessments.coso import inputs, run
from workbook_lib.core.params import load_file


@pytest.fixture(scope="module")
def karoo():
    params = load_file(EXAMPLE_PARAMS, inputs.CosoParams, shared_fields())
    return params, run.run_coso_assessment(params)
