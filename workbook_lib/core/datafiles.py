"""Loading the suite's data files (methodologies, questionnaires, matrices, frameworks) the same way.

A file is named by a shipped stem or a path; it is read once, parsed with ``yaml.safe_load`` only,
validated by its pydantic model, and hashed (SHA-256 of the bytes) for the report's provenance. Every
problem raises the caller's error class with a message naming the file.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Self, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from workbook_lib.core import limits
from workbook_lib.core.errors import cut, listed, quote
from workbook_lib.core.limits import (
    MAX_CATALOGUE_KB,
    MAX_DATA_FILE_KB,
    MAX_METHODOLOGY_KB,
    MAX_TEXT_CHARS,
    MAX_YAML_DEPTH,
    Limit,
    LimitSettingError,
)

M = TypeVar("M", bound=BaseModel)
# a user's YAML may not expand (anchors and aliases counted as often as they are used) past this many values:
# a few lines of nested aliases ("billion laughs") otherwise become billions of values for pydantic to walk
VALUES = limits.MAX_YAML_VALUES
MAX_YAML_VALUES = VALUES.default  # the default; WORKBOOK_MAX_YAML_VALUES sets it (core/limits.py)
# the byte limit of each kind of data file (by the name its loader gives it); any other kind: MAX_DATA_FILE_KB
KIND_LIMITS: dict[str, Limit] = {"methodology": MAX_METHODOLOGY_KB, "metrics catalogue": MAX_CATALOGUE_KB}


class YamlRefused(ValueError):
    """A YAML document refused before it is built: too large a file, nested too deeply, a text value too long, or
    more values than allowed (aliases expanded). The message names the limit and the variable that raises it."""


def _value(limit: Limit) -> int:
    try:
        return limit.value()
    except LimitSettingError as exc:
        raise YamlRefused(f"expected {exc}") from None


def size_refusal(size: int, limit: Limit) -> str | None:
    """Why a file of ``size`` bytes is refused under a limit in KB ("the file is 6,144 KB, over the limit of
    256 KB for a parameters file; set WORKBOOK_MAX_PARAMETERS_KB to raise it"), or None when it is within it."""
    kb = _value(limit)
    if size <= kb * 1024:
        return None
    return limit.over(f"the file is {-(-size // 1024):,} KB", kb).replace(" KB;", f" KB for {limit.what};", 1)


def check_size(path: Path, limit: Limit) -> None:
    """Refuse a YAML file over its kind's byte limit before it is read (YamlRefused)."""
    why = size_refusal(path.stat().st_size, limit)
    if why:
        raise YamlRefused(why)


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


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing as it composes: nesting deeper than WORKBOOK_MAX_YAML_DEPTH, more than
    WORKBOOK_MAX_YAML_VALUES nodes, a text value longer than WORKBOOK_MAX_TEXT_CHARS."""

    def __init__(self, text: str):
        super().__init__(text)
        self.max_depth, self.max_values, self.max_text = (_value(x) for x in (MAX_YAML_DEPTH, VALUES, MAX_TEXT_CHARS))
        self.nodes = 0
        self.path: list[str] = []

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        self.nodes += 1
        if self.nodes > self.max_values:
            raise YamlRefused(VALUES.over(f"the YAML holds more than {self.max_values:,} values"))
        if len(self.path) >= self.max_depth:
            raise YamlRefused(MAX_YAML_DEPTH.over(f"the YAML is nested more than {self.max_depth:,} levels deep (at "
                                                  f"{self._where()})"))
        self.path.append(cut(index.value, 60) if isinstance(index, yaml.ScalarNode) else
                         str(index + 1) if isinstance(index, int) else "(a key)" if parent is not None else "")
        try:
            node = super().compose_node(parent, index)
        finally:
            self.path.pop()
        if isinstance(node, yaml.ScalarNode) and len(node.value) > self.max_text:
            where = self._where(cut(index.value, 60) if isinstance(index, yaml.ScalarNode) else
                                str(index + 1) if isinstance(index, int) else "")
            raise YamlRefused(MAX_TEXT_CHARS.over(f"the text at {where} is {len(node.value):,} characters long"))
        return node

    def _where(self, last: str = "") -> str:
        parts = [p for p in [*self.path, last] if p]
        return " > ".join(parts[:8] + ["\u2026"] * (len(parts) > 8)) or "the top"


def load_yaml(text: str, limit: Limit | None = None) -> Any:
    """``yaml.safe_load`` that refuses (YamlRefused, never building it) a document over ``limit`` (KB; default
    WORKBOOK_MAX_DATA_FILE_KB), nested too deeply, holding a text value too long or expanding past
    WORKBOOK_MAX_YAML_VALUES values (core/limits.py)."""
    why = size_refusal(len(text.encode("utf-8", "surrogatepass")), limit or MAX_DATA_FILE_KB)
    if why:
        raise YamlRefused(why)
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise YamlRefused("the YAML is nested too deeply to be a data file") from None
        if node is None:
            return None
        try:
            size = _expanded_size(node, {})
        except RecursionError:
            raise YamlRefused("the YAML is nested too deeply to be a data file") from None
        if size > loader.max_values:
            raise YamlRefused(f"the YAML expands to more than {loader.max_values:,} values (anchors and aliases "
                              f"repeated inside each other); write the values out, or use fewer aliases (set "
                              f"{VALUES.variable} to raise the limit)")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_data_file(name_or_path: str | Path, shipped: dict[str, Path], model: type[M], error: type[Exception],
                   what: str, base_dir: Path | None = None, fields: str | None = None,
                   limit: Limit | None = None) -> tuple[M, Path, str]:
    """Return (validated model, resolved path, sha256); ``what`` names the kind of file in messages, and its byte
    limit unless ``limit`` is given (KIND_LIMITS, else WORKBOOK_MAX_DATA_FILE_KB)."""
    ref = str(name_or_path)
    if ref in shipped:
        path = shipped[ref]
    else:
        path = Path(ref).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.is_file():
            raise error(f"{what} {quote(ref)} is neither a shipped name ({', '.join(shipped)}) "
                        f"nor an existing file (looked for {path})")
    limit = limit or KIND_LIMITS.get(what, MAX_DATA_FILE_KB)
    try:
        check_size(path, limit)
        raw = path.read_bytes()
        data = load_yaml(raw.decode("utf-8"), limit)
    except YamlRefused as exc:
        raise error(f"{path}: refused: {exc}") from None
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise error(f"{path}: not readable YAML: {cut(str(exc), 1000)}") from None
    except ValueError as exc:  # a value the YAML types refuse: a 13th month, an integer of 5,000 digits
        raise error(f"{path}: not readable YAML: {cut(str(exc), 1000)}") from None
    if not isinstance(data, dict):
        raise error(f"{path}: expected a mapping of {fields or what} fields at the top level")
    try:
        value = model.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: invalid {what}"]
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = "\n".join(cut(line, 1000) for line in str(err["msg"]).splitlines())  # each line cut
            lines.append(f"  - {cut(where, 200)}: {msg}")
        raise error("\n".join([lines[0], *listed(lines[1:])])) from None
    return value, path.resolve(), hashlib.sha256(raw).hexdigest()


class Strict(BaseModel):
    """Base of every data-file model: unknown keys are errors, loaded values never change, and a number is finite
    (.nan, .inf and a float too large to hold are refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


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
            raise ValueError(f"band {quote(self.label)}: min {self.min} is above max {self.max}")
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
        _note_titles(value)
        return cls(**{field: value, "path": path, "sha256": sha256})

    @property
    def content(self) -> Any:
        return getattr(self, self._content_field())

    def provenance(self) -> dict[str, str]:
        return {"name": self.content.name, "version": self.content.version, "sha256": self.sha256}


TITLES: dict[str, str] = {}  # the name of each data file loaded (and of its named parts) -> its title


_CODE_NAME = re.compile(r"[a-z0-9]+(?:[_-][a-z0-9]+)+")  # a name no person would write as a word


def _note_titles(content: Any) -> None:
    """Remember the title of a data file loaded and of its named parts (a methodology's bandings), each named by a
    code ("western-cape-5x5"): a workbook a person reads shows the title where a table holds the name
    (``core.outputs``)."""
    named = [(getattr(content, "name", None), getattr(content, "title", None))]
    for field in type(content).model_fields if isinstance(content, BaseModel) else ():
        parts = getattr(content, field, None)
        if isinstance(parts, dict):
            named += [(key, getattr(part, "title", None)) for key, part in parts.items()]
    TITLES.update({name: title.strip() for name, title in named if isinstance(name, str) and isinstance(title, str)
                   and title.strip() and _CODE_NAME.fullmatch(name)})


_SHIPPED_FOLDERS: list[Path] = []  # where shipped data files are found, for a title asked before the file is loaded


def shipped_folder(folder: Path) -> Path:
    """Make a folder of shipped data files known to :func:`title_of`; returns it."""
    if folder not in _SHIPPED_FOLDERS:
        _SHIPPED_FOLDERS.append(folder)
    return folder


def shipped_files(folder: Path, pattern: str = "*.yaml") -> dict[str, Path]:
    """Shipped data file names (stems) -> files."""
    shipped_folder(folder)
    return {p.stem: p for p in sorted(folder.glob(pattern))}


def title_of(name: str) -> str:
    """A shipped data file's title for its name ("western-cape-5x5" -> its ``title:``), also before it is loaded;
    a name no shipped file has is returned as it is."""
    if name not in TITLES and _CODE_NAME.fullmatch(name):
        for folder in _SHIPPED_FOLDERS:
            path = folder / f"{name}.yaml"
            if path.is_file():
                content = load_yaml(path.read_text(encoding="utf-8"))
                if isinstance(content, dict) and isinstance(content.get("title"), str) and content["title"].strip():
                    TITLES[name] = content["title"].strip()
                break
    return TITLES.get(name, name)


def normalise_label(text: str) -> str:
    """A label as compared: spaces collapsed, case folded."""
    return " ".join(str(text).split()).casefold()


def unique_names(names: Iterable[str], what: str) -> None:
    """Raise ValueError naming the first name (compared as labels) that is used twice."""
    seen: set[str] = set()
    for name in names:
        key = normalise_label(name)
        if key in seen:
            raise ValueError(f"{what} {quote(name)} is used twice")
        seen.add(key)


def band_problems(bands: list[ColouredBand], reachable: list[int]) -> list[str]:
    """Gaps and overlaps of bands over the reachable scores, as readable sentences."""
    problems: list[str] = []
    ordered = sorted(bands, key=lambda b: b.min)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.min <= a.max:
            problems.append(f"bands {quote(a.name)} ({a.min}-{a.max}) and {quote(b.name)} ({b.min}-{b.max}) overlap "
                            f"on {b.min}-{min(a.max, b.max)}")
    scores = sorted(reachable)
    covered = [False] * len(scores)
    for band in bands:  # each band marks the reachable scores it covers (bisect: no score-by-band loop)
        first, last = bisect.bisect_left(scores, band.min), bisect.bisect_right(scores, band.max)
        covered[first:last] = [True] * (last - first)
    uncovered = [s for s, hit in zip(scores, covered, strict=True) if not hit]
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
