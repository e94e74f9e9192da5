"""Combined assurance's part of the Settings page: the organisation's own providers, and who owns, approves and
oversees the assurance plan."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from workbook_lib.assessments.assurance.model import ProviderSpec
from workbook_lib.core.forms import SettingsSection, tag
from workbook_lib.core.settings import label

ROLES = ("plan_owner", "accounting_officer", "oversight_committee")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_") or "provider"


class AssuranceSettings(SettingsSection):
    heading = "Combined assurance"

    def __init__(self) -> None:
        self.providers = tag(w.Textarea(description=label("providers"), placeholder="one per line: name; line of "
                                        "assurance; independent (optional)\ne.g. Occupational health and safety; 2",
                                        rows=4, **self.text()), "setting-providers")  # the whole hint shown
        self.roles = {name: tag(w.Text(description=label(name), placeholder="blank: the framework's title",
                                       **self.text()), f"setting-{name.replace('_', '-')}") for name in ROLES}
        self.widgets = [self.providers, *self.roles.values()]

    def fill(self, values: Any) -> None:
        self.providers.value = "\n".join(
            f"{p.get('name', '')}; {p.get('line', '')}" + ("; independent" if p.get("independent") else "")
            for p in values.providers or [])
        for name, widget in self.roles.items():
            widget.value = getattr(values, name) or ""

    def read(self, problem: Callable[[str, str, str], None]) -> dict[str, Any]:
        providers = []
        for line in self.providers.value.splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(";")]
            independent = len(parts) > 2 and parts[2].casefold() in {"independent", "yes", "y"}
            if len(parts) < 2 or not parts[1].isdigit() or (len(parts) > 2 and parts[2] and not independent):
                problem(self.providers.description, line.strip(), "name; line of assurance (a number); optionally "
                        "'independent'")
                continue
            spec = {"id": _slug(parts[0]), "name": parts[0], "line": int(parts[1])}
            if independent:
                spec["independent"] = True
            try:
                ProviderSpec.model_validate(spec)
            except ValueError as exc:
                problem(self.providers.description, line.strip(), str(exc).splitlines()[-1].strip())
                continue
            providers.append(spec)
        return {"providers": providers or None, **{n: wd.value.strip() or None for n, wd in self.roles.items()}}
