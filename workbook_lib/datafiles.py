"""Loading the suite's data files (methodologies, questionnaires, matrices, frameworks) the same way.

A file is named by a shipped stem or a path; it is read once, parsed with ``yaml.safe_load`` only,
validated by its pydantic model, and hashed (SHA-256 of the bytes) for the report's provenance. Every
problem raises the caller's error class with a message naming the file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def load_data_file(name_or_path: str | Path, shipped: dict[str, Path], model: type[M], error: type[Exception],
                   what: str, base_dir: Path | None = None, fields: str | None = None) -> tuple[M, Path, str]:
    """Return (validated model, resolved path, sha256); ``what`` names the kind of file in messages."""
    ref = str(name_or_path)
    if ref in shipped:
        path = shipped[ref]
    else:
        path = Path(ref).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.is_file():
            raise error(f"{what} {ref!r} is neither a shipped name ({', '.join(shipped)}) "
                        f"nor an existing file (looked for {path})")
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise error(f"{path}: not readable YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise error(f"{path}: expected a mapping of {fields or what} fields at the top level")
    try:
        value = model.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: invalid {what}"]
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"  - {where}: {err['msg']}")
        raise error("\n".join(lines)) from exc
    return value, path.resolve(), hashlib.sha256(raw).hexdigest()
