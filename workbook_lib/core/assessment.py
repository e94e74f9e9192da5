"""What an assessment declares about itself, so the registry, the CLI, the batch and the app need no list of
assessments: each assessment package builds one :class:`AssessmentSpec` in its ``spec`` module."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from workbook_lib.core.index_figures import IndexColumn
from workbook_lib.core.outputs import write_outputs
from workbook_lib.core.paths import NOTEBOOKS
from workbook_lib.core.records import RecordKind
from workbook_lib.core.settings import Setting


@dataclass(frozen=True)
class DataFileRole:
    """A data file an assessment's parameters choose (a shipped name or a path), for provenance."""

    role: str  # e.g. "methodology"; also the parameter's name
    ref: str  # the parameters' method returning the shipped name or the resolved path
    shipped: Callable[[], dict[str, Path]]


@dataclass(frozen=True)
class AssessmentSpec:
    name: str
    notebook: str
    params: type[BaseModel]
    purpose: str
    check: Callable[[Any], Any]  # loads and validates every input the parameters name; raises on a problem
    run: Callable[[Any], Any]  # parameters -> result the notebook shows
    summary: Callable[[Any, str, str], dict[str, Any]]  # (result, organisation, period) -> its JSON summary
    tables: Callable[[Any], dict[str, pd.DataFrame]]  # result -> its Excel sheets
    form: str  # "module:Class" of the web form, imported only when a notebook runs as a form
    file_inputs: tuple[str, ...] = ()  # parameters naming input files (made absolute for the kernel)
    resolve_methodology: Callable[[Any, dict], dict] | None = None  # adjusts the injected parameters
    requires: tuple[str, ...] = ()  # a parameters file provides the inputs when it sets all of these
    record_kinds: tuple[RecordKind, ...] = ()  # what its forms and imports keep in the store
    data_files: tuple[DataFileRole, ...] = ()
    key_figures: Callable[[dict[str, Any]], dict[str, Any]] = lambda _summary: {}  # from its JSON summary
    index_columns: tuple[IndexColumn, ...] = ()  # its columns in the batch index's cross-organisation table
    after: str = ""  # what is best done first (the landing page's order of work), e.g. "the risk register"
    step: int = 50  # its place in the order of work on the landing page (lowest first)
    heading: str = ""  # its name as the landing page shows it (default: from its name)
    builds_on: tuple[str, ...] = ()  # the assessments it reads (loaded first: their settings, kinds, labels)
    settings: tuple[Setting, ...] = ()  # the organisation settings it uses and declares (core/settings.py)
    settings_problems: Callable[[Any], list[tuple[str, str]]] | None = None  # what of them it could not use
    settings_section: str = ""  # "module:Class" of its part of the Settings page (a core.forms.SettingsSection)
    labels: Path | None = None  # a YAML file of its column headings in words (``labels: {column: heading}``)
    more_inputs: Callable[[Any], list[tuple[str, str]]] | None = None  # more input files, (role, as given), for
    # provenance: those its parameters name besides ``file_inputs`` (e.g. each earlier period's marks)
    decisions_due: str = ""  # "module:function" reading its JSON summary -> the decisions due (core.due.Due), lazily
    pack: str = ""  # "module:function" of its committee-pack section: (JSON summary, folder) -> core.pack.PackSection

    def provided_by(self, data: dict[str, Any]) -> bool:
        """Whether a parameters file's values give this assessment its inputs (files, or the store)."""
        if data.get("source") == "store":
            return all(k in data for k in self.requires if k not in self.file_inputs)
        return all(data.get(k) not in (None, "") for k in self.requires)

    def write_outputs(self, result: Any, organisation: str, period: str, output_dir: str | Path,
                      extra: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] | None = None
                      ) -> list[Path]:
        """The JSON summary and the Excel workbook in ``output_dir``, named after the assessment. Temporary files
        (the Excel writer's) go in ``output_dir`` too, so a run's staging folder takes them away with it.
        ``extra``: more keys for the JSON summary (e.g. the organisation's settings a store run used), or a function
        giving them from the summary (e.g. the decisions due and taken on what it says)."""
        saved = tempfile.tempdir
        tempfile.tempdir = str(output_dir)
        try:
            summary = self.summary(result, organisation, period)
            summary = {**summary, **((extra(summary) if callable(extra) else extra) or {})}
            return write_outputs(summary, self.tables(result), output_dir, self.name)
        finally:
            tempfile.tempdir = saved

    @property
    def path(self) -> Path:
        """Its notebook: a file in its own package (an absolute path) or in the project's ``notebooks/``."""
        return NOTEBOOKS / self.notebook

    @property
    def page(self) -> str:
        """Its notebook's name as the app serves it (the landing page links to it)."""
        return Path(self.notebook).name

    @property
    def title(self) -> str:
        return self.heading or self.name.replace("-", " ").capitalize()
