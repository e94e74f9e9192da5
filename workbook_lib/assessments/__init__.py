"""The registry of assessments. Each one lives in its own package here and declares itself in its ``spec``
module; this is the only list of them. The CLI, the batch and the app find assessments, and everything an
assessment adds (its settings and their checks, its part of the Settings page, its column headings, its record
kinds, its command-line commands), only through it.

Assessments are imported on first use of the registry, not when the package is imported: a notebook kernel
that runs one assessment then pays only for that one and those it builds on (bench/startup.py measures start-up).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from dataclasses import replace
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbook_lib.core.assessment import AssessmentSpec
    from workbook_lib.core.due import Due
    from workbook_lib.core.forms import SettingsSection

# one line per assessment: its name -> the package under workbook_lib.assessments whose ``spec`` declares SPEC
PACKAGES = {
    "risk-evaluation": "risk",
    "coso-assessment": "coso",
    "maturity-scoring": "maturity",
    "combined-assurance": "assurance",
    "risk-monitoring": "monitoring",
}
# packages that span the assessments (no notebook, parameters or run of their own): the registry loads their
# commands and record kinds; the decisions package records what was decided on what every assessment says is due
SPANNING = {"decisions": "decisions"}
COMMANDS_MODULE = "commands"  # an assessment's command-line commands: ``<package>/commands.py``, ``register(app)``


@functools.cache
def _load(name: str) -> AssessmentSpec:
    """One assessment's spec, after those it builds on; its settings and column headings become known."""
    from workbook_lib.core.outputs import add_labels  # lazy: pandas, with the assessment
    from workbook_lib.core.settings import declare

    spec = importlib.import_module(f"{__name__}.{PACKAGES[name]}.spec").SPEC
    _install_read_only_check()
    if spec.name != name:
        raise RuntimeError(f"PACKAGES names {PACKAGES[name]!r} {name!r}, but its spec says {spec.name!r}")
    for base in spec.builds_on:
        _load(base)
    declare(tuple(replace(s, rank=spec.step) for s in spec.settings))
    if spec.labels is not None:
        add_labels(spec.labels)
    return spec


def registry() -> dict[str, AssessmentSpec]:
    """Every assessment by name, in the order of PACKAGES."""
    return {name: _load(name) for name in PACKAGES}


@functools.cache
def shared_fields() -> frozenset[str]:
    """Every parameter any assessment knows (one parameters file can serve several)."""
    return frozenset(f.alias or n for a in registry().values() for n, f in a.params.model_fields.items())


def _unknown(name: str) -> ValueError:
    from workbook_lib.core.params import ParameterError  # lazy: pydantic

    return ParameterError(f"unknown assessment {name!r}; choose from {', '.join(PACKAGES)}")


def get(name: str) -> AssessmentSpec:
    if name not in PACKAGES:
        raise _unknown(name)
    return _load(name)


def assessments_for(data: dict[str, Any]) -> list[str]:
    """The assessments a parameters file runs: those it lists under ``assessments:``, else every one
    whose inputs it provides."""
    listed = data.get("assessments")
    if listed:
        unknown = [a for a in listed if a not in PACKAGES]
        if unknown:
            from workbook_lib.core.params import ParameterError  # lazy: pydantic

            raise ParameterError(f"assessments: unknown {', '.join(map(str, unknown))}; "
                                 f"choose from {', '.join(PACKAGES)}")
        return list(listed)
    return [name for name, a in registry().items() if a.provided_by(data)]


# ---- what the assessments add to the shell ---------------------------------------------------------------------
def in_order_of_work() -> list[AssessmentSpec]:
    """Every assessment in the order of work (the landing page's, the Settings page's)."""
    return sorted(registry().values(), key=lambda a: a.step)


def settings_problems(values: Any) -> list[str]:
    """What in a set of settings no assessment could use (a settings file, the Settings page), each by its label."""
    from workbook_lib.core.settings import label  # lazy: pydantic

    return [f"{label(name)}: {message}" for name, message in setting_problems(values)]


def setting_problems(values: Any) -> list[tuple[str, str]]:
    """(setting, what is wrong) from every assessment's checks of its own settings."""
    return [p for a in in_order_of_work() if a.settings_problems is not None for p in a.settings_problems(values)]


def settings_sections() -> list[SettingsSection]:
    """Each assessment's part of the Settings page, in the order of work (imported only by the page)."""
    sections = []
    for a in in_order_of_work():
        if a.settings_section:
            module, cls = a.settings_section.split(":")
            sections.append(getattr(importlib.import_module(module), cls)())
    return sections


def command_modules() -> list[ModuleType]:
    """The modules adding command-line commands (``<package>/commands.py``). Found by name, without loading the
    assessment: ``workbook --help`` stays quick, and a command imports what it needs when it runs."""
    found = []
    for package in [*PACKAGES.values(), *SPANNING.values()]:
        name = f"{__name__}.{package}.{COMMANDS_MODULE}"
        if importlib.util.find_spec(name) is not None:
            found.append(importlib.import_module(name))
    return found


def decisions_due(summaries: list[dict[str, Any]]) -> list[Due]:
    """What is due for a decision, from the JSON summaries of one organisation and period: each summary read by the
    ``decisions_due`` function its assessment declares (a summary of an assessment declaring none adds nothing)."""
    from workbook_lib.core.due import load_function

    due: list[Due] = []
    for summary in summaries:
        name = summary.get("assessment")
        spec = get(name) if name in PACKAGES else None
        if spec is not None and spec.decisions_due:
            due.extend(load_function(spec.decisions_due)(summary))
    return due


def decisions_in_summary(summary: dict[str, Any], params: Any) -> dict[str, Any]:
    """The ``decisions`` key of an assessment's JSON summary (due, taken, expired, ...), for an assessment declaring
    ``decisions_due``: from the run's store, or for a run from files from the store when it holds decisions for the
    organisation (else nothing: ``{}``). Written by the notebook's ``finish`` beside the summary."""
    name = summary.get("assessment")
    spec = get(name) if name in PACKAGES else None
    if spec is None or not spec.decisions_due:
        return {}
    from workbook_lib.core.due import load_function

    part = importlib.import_module(f"{__name__}.{SPANNING['decisions']}.in_summary")
    return part.decisions_part(summary, load_function(spec.decisions_due)(summary), params)


def assessment_of_form(form: str) -> str | None:
    """The assessment whose spec's form a ``"module:Class"`` reference belongs to (by its package, so no other
    assessment is loaded)."""
    prefix = f"{__name__}."
    package = form.split(":")[0].removeprefix(prefix).split(".")[0] if form.startswith(prefix) else ""
    return next((name for name, p in PACKAGES.items() if p == package), None)


def _signed_off_line(store: Any, organisation: str, period: str, form: str) -> str:
    name = assessment_of_form(form)
    if name is None:
        return ""
    signoff = importlib.import_module(f"{__name__}.{SPANNING['decisions']}.signoff")
    return signoff.read_only_line(store, organisation, period, name)


def _treatment_panel(form: Any) -> Any:
    return importlib.import_module(f"{__name__}.{SPANNING['decisions']}.treatment_form").TreatmentPanel(form)


@functools.cache
def _install_read_only_check() -> None:
    """The forms ask the decisions package whether their period is signed off (core.due, read by core.forms), and
    the risk form shows its treatment actions through the package's panel."""
    from workbook_lib.core.due import install_panel, install_read_only_check

    install_read_only_check(_signed_off_line)
    install_panel("treatment-actions", _treatment_panel)


def decisions_due_count(summaries: list[dict[str, Any]]) -> int | None:
    """How many decisions are due for one organisation and period (the batch index's "Decisions due"): each
    summary's ``decisions.due`` where it carries one (the store's decisions joined), else what the summary itself
    says is due. None: no summary of an assessment declaring ``decisions_due``."""
    counted = None
    for summary in summaries:
        name = summary.get("assessment")
        spec = get(name) if name in PACKAGES else None
        if spec is None or not spec.decisions_due:
            continue
        part = summary.get("decisions")
        due = part.get("due") if isinstance(part, dict) else None
        counted = (counted or 0) + (len(due) if isinstance(due, list) else len(decisions_due([summary])))
    return counted


def pages() -> list[dict[str, Any]]:
    """The pages of the spanning packages (the Decisions page): each package's ``PAGE`` (its notebook, title, purpose
    and when to use it), with ``page``: the notebook's file name, as the app serves it and the landing page links it."""
    found = []
    for package in SPANNING.values():
        page = getattr(importlib.import_module(f"{__name__}.{package}"), "PAGE", None)
        if page:
            found.append({**page, "page": page["notebook"].name})
    return found
