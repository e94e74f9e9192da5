"""Notebook parameters: validated with pydantic, unknown or misspelled keys refused.

The same model validates a parameters YAML file (``workbook run``) and the variables a notebook's
``parameters`` cell and papermill's injected cell leave behind (JupyterLab, papermill, nbval).
Relative paths resolve against the parameters file's folder (``parameters_dir``), then the current
folder, then the project's shipped ``parameters/`` folder.
"""

from __future__ import annotations

import datetime as dt
import difflib
import types
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PROJECT_PARAMETERS = PROJECT_ROOT / "parameters"
NOTEBOOKS = PROJECT_ROOT / "notebooks"  # every assessment notebook; kernels run here
# names every IPython namespace holds that are not parameters
_IPYTHON_NAMES = {"In", "Out", "exit", "quit", "get_ipython", "display"}


class ParameterError(ValueError):
    """Parameters that cannot be used; the message lists every problem."""


class AppetiteSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default: int | str | None = None
    categories: dict[str, int | str] = {}


class CommonParams(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)
    organisation: str = Field(min_length=1)
    period: str = Field(min_length=1)
    as_of: dt.date
    output_dir: str | None = None
    parameters_dir: str | None = None
    # where the assessment's records come from: the files the parameters name, or the store
    source: Literal["file", "store"] = "file"
    store_url: str | None = None  # the store to read when source is "store"; default WORKBOOK_DB or workbook.db
    show_form: bool = False  # show the data-entry form outside the app too (JupyterLab); see workbook_lib.forms

    def resolve(self, value: str | None) -> Path | None:
        """Find an input file: parameters folder, then current folder, then shipped parameters."""
        if value is None:
            return None
        path = Path(value).expanduser()
        if path.is_absolute():
            return path
        bases = [Path(self.parameters_dir)] if self.parameters_dir else []
        bases += [Path.cwd(), PROJECT_PARAMETERS]
        for base in bases:
            if (base / path).exists():
                return (base / path).resolve()
        return (bases[0] / path).resolve()  # reported as missing by the reader, with this path


class RiskEvaluationParams(CommonParams):
    methodology: str = Field(min_length=1, description="shipped methodology name or path to a YAML file")
    # "register" is the parameter's name; the attribute avoids shadowing ABCMeta.register
    register_file: str | None = Field(None, min_length=1, alias="register",
                                      description="risk register, CSV or .xlsx (source: file)")
    sheet: str | None = None
    banding: str | None = None
    appetite: int | str | AppetiteSpec | None = None
    partner_roles: list[str] = []
    # the most rows a report table shows (the worst first); every row stays in the Excel workbook
    report_rows: int = Field(500, ge=1, description="rows shown per report table; the rest are in the .xlsx")

    @classmethod
    def cross_field_problems(cls, data: dict[str, Any]) -> list[str]:
        """Problems between fields, reported together with the per-field ones."""
        if data.get("source", "file") == "file" and not data.get("register"):
            return ["register: missing; name the register file, or set source: store"]
        return []

    @field_validator("appetite", mode="before")
    @classmethod
    def _appetite(cls, value: Any) -> Any:
        return AppetiteSpec.model_validate(value) if isinstance(value, dict) else value

    def appetite_spec(self) -> int | str | dict | None:
        return self.appetite.model_dump() if isinstance(self.appetite, AppetiteSpec) else self.appetite

    def methodology_ref(self) -> str | Path:
        from .methodology import shipped

        return self.methodology if self.methodology in shipped() else self.resolve(self.methodology)


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
            lines.append(f"  - {key}: {err['msg']} (got {err.get('input')!r})")
    return "\n".join(lines)


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


def read_file(path: str | Path) -> dict[str, Any]:
    """A parameters file's mapping, unvalidated."""
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"{path}: parameters file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as exc:  # ValueError: e.g. a 13th month
        raise ParameterError(f"{path}: not readable YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ParameterError(f"{path}: expected a mapping of parameter names to values")
    return data


def load_file(path: str | Path, model: type[BaseModel] = RiskEvaluationParams,
              shared_fields: set[str] | frozenset[str] = frozenset(), data: dict[str, Any] | None = None) -> Any:
    """Read a parameters YAML file for one assessment; relative paths in it are relative to the file.

    One file may hold the parameters of several assessments for an organisation and period:
    ``shared_fields`` names every assessment's parameters, and those this model does not use are left
    out before validation. A name no assessment knows is still refused (with a did-you-mean).
    ``data`` is the file's mapping when the caller has already read it (it is not changed).
    """
    path = Path(path)
    data = read_file(path) if data is None else data
    own = {f.alias or name for name, f in model.model_fields.items()}
    data = {k: v for k, v in data.items() if k in own or (k not in shared_fields and k != "assessments")}
    data.setdefault("parameters_dir", str(path.resolve().parent))
    return validate(model, data, str(path))


def from_namespace(namespace: dict[str, Any], model: type[BaseModel] = RiskEvaluationParams,
                   ignore: set[str] | frozenset[str] = frozenset()) -> Any:
    """Validate the variables a notebook's parameters cell (and papermill's injection) defined.

    ``ignore`` names the notebook's own later variables, so re-running a cell in JupyterLab works.
    """
    data = {k: v for k, v in namespace.items()
            if not k.startswith("_") and k not in _IPYTHON_NAMES and k not in ignore
            and not isinstance(v, types.ModuleType) and not callable(v)}
    return validate(model, data, "notebook parameters")
