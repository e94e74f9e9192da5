"""The settings combined assurance declares (the organisation's own assurance providers, and who owns, approves
and oversees the assurance plan) and what makes one unusable. Labels and help: ``data/settings.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbook_lib.assessments.assurance.model import ProviderSpec
from workbook_lib.core.settings import declared_in

SETTINGS = declared_in(Path(__file__).parent / "data" / "settings.yaml", {
    "providers": list[dict[str, Any]], "plan_owner": str, "accounting_officer": str, "oversight_committee": str})


def problems(values: Any) -> list[tuple[str, str]]:
    """(setting, what is wrong) for each of these settings combined assurance could not use."""
    try:
        for provider in values.providers or []:
            ProviderSpec.model_validate(provider)
    except ValueError as exc:
        return [("providers", str(exc).splitlines()[0])]
    return []
