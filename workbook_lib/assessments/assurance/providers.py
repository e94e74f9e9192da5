"""Assurance providers: the framework's own, plus an organisation's (a list in the parameters or a YAML file).

A clash of ids or names, a line that does not assure or an independent flag off a fully independent line is
an InputError listing every problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from workbook_lib.assessments.assurance.model import AssuranceFramework, Line, ProviderSpec, provider_problems
from workbook_lib.core.datafiles import YamlRefused, load_yaml
from workbook_lib.core.errors import InputError, Problem
from workbook_lib.core.tables import header_key


@dataclass(frozen=True)
class Provider:
    """A provider as the analysis uses it: independence decided, where it was defined kept."""

    id: str
    name: str
    line: int
    independent: bool
    description: str = ""
    source: str = "framework"


def _as_provider(spec: ProviderSpec, lines: list[Line], source: str) -> Provider:
    full = {ln.line for ln in lines if ln.independence == "full"}
    independent = spec.independent if spec.independent is not None else spec.line in full
    return Provider(spec.id, spec.name, spec.line, bool(independent), spec.description, source)


def merge_providers(framework: AssuranceFramework, extra: list[ProviderSpec] | list[dict] | str | Path | None,
                    base: Path | None = None) -> list[Provider]:
    """The framework's providers plus an organisation's own (a list, or a YAML file of them).

    A clash of ids (or of names, since the map may name a provider either way), a line that does not
    assure, or an independent flag off the third line is an InputError listing every problem.
    """
    providers = [_as_provider(s, framework.lines, "framework") for s in framework.providers]
    if extra is None or (isinstance(extra, list) and not extra):
        return providers
    if isinstance(extra, (str, Path)):
        path = Path(extra)
        if not path.is_absolute() and base is not None:
            path = base / path
        source = str(path)
        specs = _read_provider_file(path)
    else:
        source = "parameters: providers"
        specs = _validate_specs(list(extra), source)
    taken: dict[str, str] = {}
    for p in providers:
        taken[header_key(p.id)] = p.id
        taken[header_key(p.name)] = p.id
    problems = provider_problems(specs, framework.lines, taken, source)
    if problems:
        raise InputError(problems)
    return providers + [_as_provider(s, framework.lines, source) for s in specs]


def _validate_specs(items: list[Any], source: str) -> list[ProviderSpec]:
    specs, problems = [], []
    for i, item in enumerate(items):
        if isinstance(item, ProviderSpec):
            specs.append(item)
            continue
        try:
            specs.append(ProviderSpec.model_validate(item))
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"])
                value = err.get("input")
                problems.append(Problem(source, None, f"providers[{i}]" + (f".{loc}" if loc else ""),
                                        "" if isinstance(value, dict) or value is None else str(value),
                                        _spec_expected(err)))
    if problems:
        raise InputError(problems)
    return specs


def _spec_expected(err: dict) -> str:
    if err["type"] == "missing":
        return "a value (required: id, name, line)"
    if err["type"] == "extra_forbidden":
        return "no such field (known: id, name, line, independent, description)"
    if err["loc"] and err["loc"][0] == "id":
        return "an id of lower-case letters, digits and underscores, e.g. auditor_general"
    return str(err["msg"])


def _read_provider_file(path: Path) -> list[ProviderSpec]:
    source = str(path)
    if not path.is_file():
        raise InputError([Problem(source, None, None, "", "an existing YAML file of providers")])
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError, YamlRefused) as exc:
        raise InputError([Problem(source, None, None, "", f"readable YAML ({exc})")]) from None
    if isinstance(data, dict) and set(data) == {"providers"}:
        data = data["providers"]
    if not isinstance(data, list):
        raise InputError([Problem(source, None, None, "", "a list of providers (or a mapping 'providers:' "
                                                          "holding one), each with id, name, line")])
    return _validate_specs(data, source)

