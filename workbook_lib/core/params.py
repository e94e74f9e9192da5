"""Notebook parameters: validated with pydantic, unknown or misspelled keys refused.

The same model validates a parameters YAML file (``workbook run``) and the variables a notebook's
``parameters`` cell and papermill's injected cell leave behind (JupyterLab, papermill, nbval).
Relative paths resolve against the parameters file's folder (``parameters_dir``), then the current
folder, then the project's shipped ``parameters/`` folder.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from workbook_lib.core.datafiles import YamlRefused, check_size, load_yaml
from workbook_lib.core.errors import cut, listed, quote
from workbook_lib.core.limits import MAX_NAME_CHARS, MAX_PARAMETERS_KB, Limit, shown_limit
from workbook_lib.core.paths import NOTEBOOKS, PROJECT_PARAMETERS, PROJECT_ROOT  # noqa: F401 - re-exported
from workbook_lib.core.store_url import database_url

# names every IPython namespace holds that are not parameters
_PARAMETER_TYPES = (str, int, float, bool, type(None), list, dict, tuple, dt.date)
_IPYTHON_NAMES = {"In", "Out", "exit", "quit", "get_ipython", "display"}


class ParameterError(ValueError):
    """Parameters that cannot be used; the message lists every problem."""


class CommonParams(BaseModel):
    # a number is finite: .nan, .inf and 1e400 are refused (they would reach the JSON summary as NaN or Infinity)
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, allow_inf_nan=False)
    organisation: str = Field(min_length=1)
    period: str = Field(min_length=1)
    as_of: dt.date
    output_dir: str | None = None
    parameters_dir: str | None = None
    # where the assessment's records come from: the files the parameters name, or the store
    source: Literal["file", "store"] = "file"
    store_url: str | None = None  # the store to read when source is "store"; default WORKBOOK_DB or workbook.db
    show_form: bool = False  # show the data-entry form outside the app too (JupyterLab); see core/forms.py
    _run_source: Any = PrivateAttr(None)  # where this run's inputs come from, opened once (core/source.py)

    @field_validator("organisation", "period")
    @classmethod
    def _name_length(cls, value: str) -> str:
        """An organisation's name and a period are names (they become folder names): at most WORKBOOK_MAX_NAME_CHARS
        characters."""
        limit = shown_limit(MAX_NAME_CHARS)
        if len(value) > limit:
            raise ValueError(MAX_NAME_CHARS.over(f"at most {limit:,} characters; this is {len(value):,}", limit))
        return value

    def resolve(self, value: str | None) -> Path | None:
        """Find an input file: parameters folder, then current folder, then shipped parameters."""
        if value is None:
            return None
        path = Path(value).expanduser()
        if path.is_absolute():
            return path
        bases = [Path(self.parameters_dir)] if self.parameters_dir else []
        bases += [Path.cwd(), PROJECT_PARAMETERS]
        # absolute, but links are not followed: the reader refuses a link to another file
        for base in bases:
            if (base / path).exists():
                return Path(os.path.abspath(base / path))
        return Path(os.path.abspath(bases[0] / path))  # reported as missing by the reader, with this path


def _format(exc: ValidationError, model: type[BaseModel], source: str) -> str:
    lines = [f"{source}: invalid parameters"]
    fields = [f.alias or name for name, f in model.model_fields.items()]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            close = difflib.get_close_matches(str(err["loc"][0]), fields, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(fields)})"
            lines.append(f"  - {key}: unknown parameter{hint}")
        elif err["type"] == "missing":
            lines.append(f"  - {key}: missing; this parameter is required")
        else:
            lines.append(f"  - {cut(key, 200)}: {cut(err['msg'], 1000)} (got {_shown(err.get('input'))})")
    return "\n".join([lines[0], *listed(lines[1:])])


def _shown(value: Any) -> str:
    """A refused value for a message: quoted and cut when long (a mapping or list by its kind and size)."""
    if isinstance(value, dict | list | tuple) and len(repr(value)) > 200:
        return f"a {type(value).__name__} of {len(value):,} items"
    return quote(value) if isinstance(value, str) else cut(repr(value), 200)


def validate(model: type[BaseModel], data: dict[str, Any], source: str) -> Any:
    cross = getattr(model, "cross_field_problems", lambda _data: [])(data)
    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        message = _format(exc, model, source)
        raise ParameterError("\n".join([message, *(f"  - {c}" for c in cross)])) from None
    if cross:
        raise ParameterError("\n".join([f"{source}: invalid parameters", *(f"  - {c}" for c in cross)]))
    return result


def read_file(path: str | Path, limit: Limit = MAX_PARAMETERS_KB) -> dict[str, Any]:
    """A parameters file's mapping, unvalidated; a file over ``limit`` (KB: WORKBOOK_MAX_PARAMETERS_KB, or
    MAX_SETTINGS_KB for a settings file) is refused before it is read (core/limits.py)."""
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"{path}: parameters file not found")
    try:
        check_size(path, limit)
        data = load_yaml(path.read_text(encoding="utf-8"), limit) or {}
    except YamlRefused as exc:
        raise ParameterError(f"{path}: refused: {exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as exc:  # ValueError: e.g. a 13th month
        raise ParameterError(f"{path}: not readable YAML: {cut(str(exc), 1000)}") from None
    if not isinstance(data, dict):
        raise ParameterError(f"{path}: expected a mapping of parameter names to values")
    return data


def allowed_stores() -> set[str]:
    """The stores a parameters file may name: the configured one (WORKBOOK_DB, else the project's file) and
    those the operator lists in WORKBOOK_ALLOWED_STORES (URLs or paths, separated by spaces or commas)."""
    listed = os.environ.get("WORKBOOK_ALLOWED_STORES", "").replace(",", " ").split()
    return {database_url(None), *(database_url(x) for x in listed)}


def _check_store_url(path: Path, url: Any) -> None:
    """A parameters file is a user's data: it may name only an allowed store, and naming another creates
    nothing (checked before any store is opened)."""
    if url in (None, ""):
        return
    if database_url(str(url)) not in allowed_stores():
        raise ParameterError(f"{path}: invalid parameters\n  - store_url: not a store this installation allows; "
                             "leave it out to use the configured store (WORKBOOK_DB), or ask the operator to "
                             "add it to WORKBOOK_ALLOWED_STORES")


def load_file(path: str | Path, model: type[BaseModel],
              shared_fields: set[str] | frozenset[str] = frozenset(), data: dict[str, Any] | None = None) -> Any:
    """Read a parameters YAML file for one assessment; relative paths in it are relative to the file.

    One file may hold the parameters of several assessments for an organisation and period:
    ``shared_fields`` names every assessment's parameters, and those this model does not use are left
    out before validation. A name no assessment knows is still refused (with a did-you-mean).
    ``data`` is the file's mapping when the caller has already read it (it is not changed).
    """
    path = Path(path)
    data = read_file(path) if data is None else data
    _check_store_url(path, data.get("store_url"))
    own = {f.alias or name for name, f in model.model_fields.items()}
    data = {k: v for k, v in data.items() if k in own or (k not in shared_fields and k != "assessments")}
    data.setdefault("parameters_dir", str(path.resolve().parent))
    return validate(model, data, str(path))


def from_namespace(namespace: dict[str, Any], model: type[BaseModel],
                   ignore: set[str] | frozenset[str] = frozenset()) -> Any:
    """Validate the variables a notebook's parameters cell (and papermill's injection) defined.

    Parameters are plain values (text, numbers, dates, lists, mappings, None); the notebook's own objects (its
    parameters model, results, form, modules, functions) are not, so re-running a cell in JupyterLab works.
    ``ignore`` names any other variables to leave out.
    """
    data = {k: v for k, v in namespace.items()
            if not k.startswith("_") and k not in _IPYTHON_NAMES and k not in ignore
            and isinstance(v, _PARAMETER_TYPES)}
    return validate(model, data, "notebook parameters")
