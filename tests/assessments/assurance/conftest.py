"""The shipped framework and providers, and the Karoo Vale example run once per test module."""

from __future__ import annotations

import pytest

from tests.assessments.assurance.kit import DRAFT
from workbook_lib.assessments import shared_fields
from workbook_lib.assessments.assurance.inputs import CombinedAssuranceParams
from workbook_lib.assessments.assurance.model import LoadedFramework, load_assurance_framework
from workbook_lib.assessments.assurance.providers import Provider, merge_providers
from workbook_lib.assessments.assurance.run import run_combined_assurance
from workbook_lib.assessments.assurance.scoring import CombinedAssurance
from workbook_lib.core.params import load_file


@pytest.fixture(scope="module")
def fw() -> LoadedFramework:
    return load_assurance_framework()


@pytest.fixture(scope="module")
def providers(fw) -> list[Provider]:
    return merge_providers(fw.framework, None)


@pytest.fixture(scope="module")
def karoo() -> CombinedAssurance:
    return run_combined_assurance(load_file(DRAFT, CombinedAssuranceParams, shared_fields()))
