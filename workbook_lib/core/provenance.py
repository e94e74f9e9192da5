"""Every report ends with its provenance: parameters as given, input files with SHA-256, the data files
(methodology, questionnaire, matrix, framework) with SHA-256, package version and run time.

The same record goes into the executed notebook (a final Markdown cell, so the HTML and PDF show it)
and into the JSON summary under ``"provenance"``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from workbook_lib.core.assessment import AssessmentSpec
from workbook_lib.core.outputs import esc
from workbook_lib.core.paths import PROJECT_ROOT
from workbook_lib.core.source import source_of

PACKAGE = "workbook-suite"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_version() -> str:
    try:
        return version(PACKAGE)
    except PackageNotFoundError:
        return "unknown"


def _shown(path: Path) -> str:
    """A path as shown in a report: relative to the project when inside it, else absolute."""
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path.resolve())


def _entry(role: str, given: str, path: Path | None) -> dict[str, Any]:
    found = path is not None and path.is_file()
    return {"role": role, "given": given, "path": _shown(path) if path is not None else None,
            "sha256": sha256_file(path) if found else None}


def _data_files(spec: AssessmentSpec, params: Any) -> list[dict[str, Any]]:
    """The assessment's data files (methodology, questionnaire, ...): a shipped name (its YAML in the package) or
    a path; an optional one not set (its ref gives None) is left out."""
    entries = []
    for data_file in spec.data_files:
        ref = getattr(params, data_file.ref)()
        if ref is None:
            continue
        path = data_file.shipped().get(ref) if isinstance(ref, str) else ref
        role = data_file.role + (" (shipped)" if isinstance(ref, str) else "")
        entries.append(_entry(role, str(getattr(params, data_file.role)), path))
    return entries


def input_files(spec: AssessmentSpec, params: Any, params_file: Path) -> list[dict[str, Any]]:
    """The parameters file, every input file the assessment reads (its ``file_inputs``, unless the run reads the
    store, and what its ``more_inputs`` names), and its data files, each with SHA-256."""
    dumped = params.model_dump(mode="json", by_alias=True)
    entries = [_entry("parameters file", str(params_file), Path(params_file))]
    if not source_of(params).from_store:
        entries += [_entry(key, dumped[key], params.resolve(dumped[key])) for key in spec.file_inputs
                    if dumped.get(key)]
    more = spec.more_inputs(params) if spec.more_inputs is not None else []
    entries += [_entry(role, given, params.resolve(given)) for role, given in more]
    return entries + _data_files(spec, params)


def _store_description(url: str | None) -> str:
    """The store read, with any password hidden."""
    import sqlalchemy as sa  # lazy: 0.15 s, only for a run that reads the store

    from workbook_lib.core.store_url import database_url

    return sa.engine.make_url(database_url(url)).render_as_string(hide_password=True)


def _plain(value: Any) -> Any:
    """YAML values (dates included) as JSON values."""
    return json.loads(json.dumps(value, default=str))


def record(assessment: str, spec: AssessmentSpec, params: Any, params_file: Path, given: dict[str, Any],
           started: dt.datetime, seconds: float) -> dict[str, Any]:
    """The provenance of one run. ``given`` is the parameters file's mapping as read (unvalidated)."""
    own = {f.alias or name for name, f in spec.params.model_fields.items()} | {"assessments"}
    prov: dict[str, Any] = {
        "assessment": assessment,
        "parameters_file": str(Path(params_file).resolve()),
        "parameters": {k: _plain(v) for k, v in given.items() if k in own},
        "inputs": input_files(spec, params, Path(params_file)),
        "source": params.source,
        "package": {"name": PACKAGE, "version": package_version()},
        "python": platform.python_version(),
        "started_utc": started.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "run_seconds": round(seconds, 2),
    }
    if source_of(params).from_store:
        prov["store"] = _store_description(params.store_url)
    return prov


def _cell(value: Any) -> str:
    """Text for a Markdown table cell: escaped, one line, no column break."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return esc(" ".join(str(text).split())).replace("|", "&#124;")


def markdown(prov: dict[str, Any]) -> str:
    lines = ["## Provenance",
             f"Assessment **{_cell(prov['assessment'])}**, run {_cell(prov['started_utc'])} (UTC) in "
             f"{prov['run_seconds']:.1f} s with {_cell(prov['package']['name'])} {_cell(prov['package']['version'])}"
             f" on Python {_cell(prov['python'])}."]
    if prov["source"] == "store":
        lines.append(f"The records were read from the store **{_cell(prov['store'])}** (source: store), not from "
                     "input files; the store keeps who changed what and when.")
    given = "\n".join(f"| {_cell(k)} | {_cell(v)} |" for k, v in prov["parameters"].items())
    lines.append(f"**Parameters as given** in {_cell(_shown(Path(prov['parameters_file'])))}\n\n"
                 f"| parameter | value |\n|---|---|\n{given}")
    rows = "\n".join(f"| {_cell(e['role'])} | {_cell(e['path'] or e['given'])} | "
                     f"{'`' + e['sha256'] + '`' if e['sha256'] else 'not found'} |" for e in prov["inputs"])
    lines.append(f"**Input and data files**\n\n| input | file | SHA-256 |\n|---|---|---|\n{rows}")
    return "\n\n".join(lines)


def add_to_notebook(notebook: Path, prov: dict[str, Any]) -> None:
    """Append the provenance as the notebook's last cell (shown by the HTML and PDF reports)."""
    import nbformat  # lazy: only when a notebook is annotated

    nb = nbformat.read(notebook, as_version=4)
    cell = nbformat.v4.new_markdown_cell(markdown(prov))
    cell.metadata["tags"] = ["provenance"]
    nb.cells.append(cell)
    nbformat.write(nb, notebook)


def add_to_json(summary: Path, prov: dict[str, Any]) -> None:
    """Add ``"provenance"`` to the JSON summary; every other key is left as it is."""
    data = json.loads(summary.read_text(encoding="utf-8"))
    data["provenance"] = prov
    summary.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
