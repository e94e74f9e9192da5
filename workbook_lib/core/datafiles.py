"""Loading the suite's data files (methodologies, questionnaires, matrices, frameworks) the same way.

A file is named by a shipped stem or a path; it is read once, parsed with ``yaml.safe_load`` only,
validated by its pydantic model, and hashed (SHA-256 of the bytes) for the report's provenance. Every
problem raises the caller's error class with a message naming the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Self, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

M = TypeVar("M", bound=BaseModel)
# a user's YAML may not expand (anchors and aliases counted as often as they are used) past this many values:
# a few lines of nested aliases ("billion laughs") otherwise become billions of values for pydantic to walk
MAX_YAML_VALUES = 100_000


class YamlRefused(ValueError):
    """A YAML document refused before it is built (it would expand past MAX_YAML_VALUES)."""


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """How many values a node stands for once every alias is expanded (each node counted once, memoised)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    if isinstance(node, yaml.MappingNode):
        total = 1 + sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        total = 1 + sum(_expanded_size(item, sizes) for item in node.value)
    else:
        total = 1
    sizes[id(node)] = total
    return total


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` that refuses a document expanding past MAX_YAML_VALUES values (never builds it)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            size = _expanded_size(node, {})
        except RecursionError:
            raise YamlRefused("the YAML is nested too deeply to be a data file") from None
        if size > MAX_YAML_VALUES:
            raise YamlRefused(f"the YAML expands to more than {MAX_YAML_VALUES:,} values (anchors and aliases "
                              f"repeated inside each other); write the values out, or use fewer aliases")
        return loader.construct_document(node)
    finally:
        loader.dispose()


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
        data = load_yaml(raw.decode("utf-8"))
    except YamlRefused as exc:
        raise error(f"{path}: refused: {exc}") from None
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


class Strict(BaseModel):
    """Base of every data-file model: unknown keys are errors, loaded values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


COLOUR = r"^#[0-9a-fA-F]{6}$"  # a colour as data files give it


class ScoreRange(Strict):
    """A band of scores from ``min`` to ``max`` inclusive; a subclass names it (``label``)."""

    min: int
    max: int

    @property
    def label(self) -> str:
        return getattr(self, "name", "")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min > self.max:
            raise ValueError(f"band {self.label!r}: min {self.min} is above max {self.max}")
        return self


class ColouredBand(ScoreRange):
    """A named band of scores drawn in its colour."""

    name: str = Field(min_length=1)
    colour: str = Field(pattern=COLOUR)


class Note(Strict):
    """A decision recorded in a data file where its source document is silent or inconsistent."""

    topic: str
    decision: str


class Loaded(BaseModel):
    """A validated data file with the provenance every output records. A subclass declares one more field, the
    file's content (e.g. ``methodology: Methodology``); its type is the model the file is validated with."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    path: Path
    sha256: str

    @classmethod
    def _content_field(cls) -> str:
        return next(name for name in cls.model_fields if name not in ("path", "sha256"))

    @classmethod
    def load(cls, name_or_path: str | Path, shipped: dict[str, Path], error: type[Exception], what: str,
             base_dir: Path | None = None, fields: str | None = None) -> Self:
        """Load a shipped file by name or a file by path (see :func:`load_data_file`)."""
        field = cls._content_field()
        value, path, sha256 = load_data_file(name_or_path, shipped, cls.model_fields[field].annotation, error, what,
                                             base_dir, fields)
        return cls(**{field: value, "path": path, "sha256": sha256})

    @property
    def content(self) -> Any:
        return getattr(self, self._content_field())

    def provenance(self) -> dict[str, str]:
        return {"name": self.content.name, "version": self.content.version, "sha256": self.sha256}


def shipped_files(folder: Path, pattern: str = "*.yaml") -> dict[str, Path]:
    """Shipped data file names (stems) -> files."""
    return {p.stem: p for p in sorted(folder.glob(pattern))}


def normalise_label(text: str) -> str:
    """A label as compared: spaces collapsed, case folded."""
    return " ".join(str(text).split()).casefold()


def unique_names(names: Iterable[str], what: str) -> None:
    """Raise ValueError naming the first name (compared as labels) that is used twice."""
    seen: set[str] = set()
    for name in names:
        key = normalise_label(name)
        if key in seen:
            raise ValueError(f"{what} {name!r} is used twice")
        seen.add(key)


def band_problems(bands: list[ColouredBand], reachable: list[int]) -> list[str]:
    """Gaps and overlaps of bands over the reachable scores, as readable sentences."""
    problems: list[str] = []
    ordered = sorted(bands, key=lambda b: b.min)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.min <= a.max:
            problems.append(f"bands {a.name!r} ({a.min}-{a.max}) and {b.name!r} ({b.min}-{b.max}) overlap "
                            f"on {b.min}-{min(a.max, b.max)}")
    uncovered = [s for s in reachable if not any(b.min <= s <= b.max for b in bands)]
    if uncovered:
        problems.append(f"reachable scores {number_ranges(uncovered)} fall in no band (gap)")
    return problems


def number_ranges(values: list[int]) -> str:
    """Sorted integers as readable ranges: [1, 2, 3, 7] -> "1-3, 7"."""
    out: list[str] = []
    start = prev = values[0]
    for v in values[1:] + [None]:  # type: ignore[list-item]
        if v is not None and v == prev + 1:
            prev = v
            continue
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
        if v is not None:
            start = prev = v
    return ", ".join(out)
