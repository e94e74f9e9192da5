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

# one line per assessment: its name -> the package under workbook_lib.assessments whose ``spec`` declares SPEC
PACKAGES = {
    "risk-evaluation": "risk",
    "coso-assessment": "coso",
    "maturity-scoring": "maturity",
    "combined-assurance": "assurance",
    "risk-monitoring": "monitoring",
}


@functools.cache
def _load(name: str) -> AssessmentSpec:
    """One assessment's spec; a notebook kernel imports only the assessment it runs (and what it builds on)."""
    spec = importlib.import_module(f"{__name__}.{PACKAGES[name]}.spec").SPEC
    if spec.name != name:
        raise RuntimeError(f"PACKAGES names {PACKAGES[name]!r} {name!r}, but its spec says {spec.name!r}")
    return spec


def registry() -> dict[str, AssessmentSpec]:
    """Every assessment by name, in the order of PACKAGES."""
    return {name: _load(name) for name in PACKAGES}


@functools.cache
def shared_fields() -> frozenset[str]:
    """Every parameter any assessment knows (one parameters file can serve several)."""
    return frozenset(f.alias or n for a in registry().values() for n, f in a.params.model_fields.items())


def get(name: str) -> AssessmentSpec:
    if name not in PACKAGES:
        raise ParameterError(f"unknown assessment {name!r}; choose from {', '.join(PACKAGES)}")
    return _load(name)


def assessments_for(data: dict[str, Any]) -> list[str]:
    """The assessments a parameters file runs: those it lists under ``assessments:``, else every one
    whose inputs it provides."""
    listed = data.get("assessments")
    if listed:
        unknown = [a for a in listed if a not in PACKAGES]
        if unknown:
            raise ParameterError(f"assessments: unknown {', '.join(map(str, unknown))}; "
                                 f"choose from {', '.join(PACKAGES)}")
        return list(listed)
    return [name for name, a in registry().items() if a.provided_by(data)]
