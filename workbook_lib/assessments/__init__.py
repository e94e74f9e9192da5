"""The registry of assessments. Each one lives in its own package here and declares itself in its ``spec``
module; this is the only list of them. The CLI, the batch and the app find assessments through it.

Assessments are imported on first use of the registry, not when the package is imported: a notebook kernel
that runs one assessment then pays only for that one (bench/startup.py measures start-up).
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from workbook_lib.core.assessment import AssessmentSpec
from workbook_lib.core.params import ParameterError

# one line per assessment: the package under workbook_lib.assessments whose ``spec`` module declares SPEC
PACKAGES = ("risk", "coso", "maturity", "assurance")


@functools.cache
def registry() -> dict[str, AssessmentSpec]:
    """Every assessment by name, in the order of PACKAGES."""
    specs = [importlib.import_module(f"{__name__}.{package}.spec").SPEC for package in PACKAGES]
    return {s.name: s for s in specs}


@functools.cache
def shared_fields() -> frozenset[str]:
    """Every parameter any assessment knows (one parameters file can serve several)."""
    return frozenset(f.alias or n for a in registry().values() for n, f in a.params.model_fields.items())


def get(name: str) -> AssessmentSpec:
    try:
        return registry()[name]
    except KeyError:
        raise ParameterError(f"unknown assessment {name!r}; choose from {', '.join(registry())}") from None


def assessments_for(data: dict[str, Any]) -> list[str]:
    """The assessments a parameters file runs: those it lists under ``assessments:``, else every one
    whose inputs it provides."""
    listed = data.get("assessments")
    if listed:
        unknown = [a for a in listed if a not in registry()]
        if unknown:
            raise ParameterError(f"assessments: unknown {', '.join(map(str, unknown))}; "
                                 f"choose from {', '.join(registry())}")
        return list(listed)
    return [name for name, a in registry().items() if a.provided_by(data)]
