"""An organisation's settings, kept in the store: methodology and banding, appetite and tolerance, its own
assurance providers, where its maturity status comes from, and its reporting period's dates. Each assessment
declares the settings it uses (its spec's ``settings``); the core declares only the reporting period's dates.

One record per setting (record kind ``setting``: ``{"setting": name, "value": YAML text}``), versioned and audited
like every record. Forms and ``source: store`` runs read them through :func:`effective`, so a form and a batch run
of the same organisation and period use the same settings. What each setting is called and does is data
(``data/settings.yaml`` of the package that declares it).
"""

from __future__ import annotations

import datetime as dt
import functools
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from workbook_lib.core import datafiles
from workbook_lib.core.datafiles import YamlRefused, load_yaml
from workbook_lib.core.errors import StoreError
from workbook_lib.core.params import ParameterError, validate
from workbook_lib.core.records import RecordKind, register_kind
from workbook_lib.core.source import RunSource, source_of, with_source

if TYPE_CHECKING:
    from workbook_lib.core.store import Author, SaveResult, Store

SETTINGS_FILE = Path(__file__).parent / "data" / "settings.yaml"  # the settings every organisation has (its period)

SETTING = register_kind(RecordKind("setting", ("setting",),
                                   lambda: {"setting": ["setting", "name"], "value": ["value"]}))


@dataclass(frozen=True)
class Setting:
    """One setting an organisation may keep, declared by the assessment that uses it (its spec's ``settings``) or
    by the core (the reporting period). What it is called and does comes from the declaring package's data file
    (:func:`declared_in`); ``type`` is what its value must be (None: not set)."""

    name: str
    type: Any
    label: str
    help: str
    shown_as: str | None = None  # "percent": kept as a fraction (0.1), read and shown as a share (10%)
    when_not_set: str | None = None  # "suite default": a form uses ``suite_default`` until one is chosen, and says so
    suite_default: str | None = None
    reported: bool = False  # no assessment takes it as a parameter; reports state it
    rank: int = 1000  # its place in lists (the declaring assessment's step)
    as_parameter: Callable[[Any], Any] | None = None  # the value its parameter takes, where it differs
    words: tuple[tuple[str, str], ...] = ()  # a value -> how a person reads it ("marks": "scored from the marks")


def declared_in(path: Path, types: dict[str, Any], rank: int = 1000,
                as_parameter: dict[str, Callable[[Any], Any]] | None = None) -> tuple[Setting, ...]:
    """The settings a data file describes (``settings: {name: {label, help, ...}}``), each with its value type;
    a description without a type, or a type without a description, is refused."""
    described = load_yaml(path.read_text(encoding="utf-8"))["settings"]
    if set(described) != set(types):
        raise RuntimeError(f"{path}: settings described {sorted(described)} but typed {sorted(types)}")
    return tuple(Setting(name, types[name], d["label"], d["help"], d.get("shown_as"), d.get("when_not_set"),
                         d.get("suite_default"), bool(d.get("reported")), rank, (as_parameter or {}).get(name),
                         tuple((str(k), str(v)) for k, v in (d.get("values") or {}).items()))
                 for name, d in described.items())


class _Values(BaseModel):
    """An organisation's settings; None: not set. The fields are those declared (:func:`settings_model`)."""

    model_config = ConfigDict(extra="forbid")

    def given(self) -> dict[str, Any]:
        """The settings that are set, in the order of the model."""
        return {k: v for k, v in self.model_dump().items() if v not in (None, "", [], {})}


_DECLARED: dict[str, Setting] = {}


def declare(settings: tuple[Setting, ...]) -> None:
    """Make settings known (the registry declares an assessment's when it loads it); the same name declared twice
    must be the same setting."""
    for s in settings:
        known = _DECLARED.get(s.name)
        if known is not None and known != s:
            raise RuntimeError(f"setting {s.name!r} is declared twice, differently")
        _DECLARED[s.name] = s


def declared() -> dict[str, Setting]:
    """Every setting known in this process, in the order lists show them."""
    if not any(s.reported for s in _DECLARED.values()):
        declare(declared_in(SETTINGS_FILE, {"period_start": dt.date, "period_end": dt.date}))
    return dict(sorted(_DECLARED.items(), key=lambda item: item[1].rank))


def settings_model() -> type[_Values]:
    """The model of an organisation's settings: one optional field per declared setting."""
    return _model(tuple((s.name, s.type) for s in declared().values()))


@functools.cache
def _model(fields: tuple[tuple[str, Any], ...]) -> type[_Values]:
    return create_model("OrgSettings", __base__=_Values, **{name: (kind | None, None) for name, kind in fields})


def empty_settings() -> _Values:
    return settings_model()()


def descriptions() -> dict[str, dict[str, Any]]:
    """Setting name -> its label and help (and how it is shown), as the Settings page and reports show them."""
    return {n: {"label": s.label, "help": s.help, "shown_as": s.shown_as, "when_not_set": s.when_not_set,
                "suite_default": s.suite_default, "values": dict(s.words)} for n, s in declared().items()}


def sentence(text: str) -> str:
    """``text`` with a capital first letter, the rest as written (an organisation's name keeps its capitals)."""
    return text[:1].upper() + text[1:]


def label(name: str) -> str:
    setting = declared().get(name)
    return setting.label if setting is not None else name.replace("_", " ").capitalize()


@dataclass
class Settings:
    """An organisation's settings for a period, and where they came from."""

    organisation: str
    period: str
    values: Any = field(default_factory=empty_settings)  # an instance of settings_model()
    from_period: str | None = None  # the latest period they were saved for: this one, an earlier one, or None
    saved: dict[str, tuple[str, dt.datetime]] = field(default_factory=dict)  # setting -> (who, when), latest
    periods: dict[str, str] = field(default_factory=dict)  # setting -> the period it was saved for

    @property
    def carried_over(self) -> bool:
        return self.from_period not in (None, self.period)

    def origin(self) -> str:
        """Where the settings came from, in words."""
        if self.from_period is None:
            return f"no settings saved for {self.organisation}"
        where = f"{self.organisation}'s settings for {self.from_period}"
        if self.carried_over:
            return where + f" (carried over to {self.period}: none saved for it)"
        earlier = sorted({p for p in self.periods.values() if p != self.from_period}, reverse=True)
        if earlier:  # some settings saved for this period, the others carried over
            where += f" (and, for those not saved for it, {', '.join(earlier)})"
        return where


# ---- text in the store <-> values ---------------------------------------------------------------------------
def dump_value(value: Any) -> str:
    """A setting's value as the text a record holds (YAML, one line where it fits; blank: not set)."""
    if value in (None, "", [], {}):
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, allow_unicode=True, width=10_000).strip()


def _is_text(kind: Any) -> bool:
    """Whether a setting's type is text alone (its stored text is the value: never read as YAML)."""
    if typing.get_origin(kind) is typing.Annotated:
        kind = typing.get_args(kind)[0]
    return kind is str


def parse_value(name: str, text: str) -> Any:
    """A stored or typed setting's text back to its value (raises ParameterError naming the setting). A text
    setting keeps its text as written ("Head of Risk #2 (acting)", "~", "Chief Risk Officer: J. Smith")."""
    text = (text or "").strip()
    if not text:
        return None
    setting = declared().get(name)
    if setting is not None and _is_text(setting.type):
        return text
    try:
        value = load_yaml(text)
    except (YamlRefused, yaml.YAMLError, ValueError) as exc:
        raise ParameterError(f"{label(name)}: not readable ({exc}); expected {descriptions()[name]['help']}") from None
    return text if isinstance(value, bool) else value  # a bare yes/no stays the words typed


def from_rows(rows: dict[str, str], known_only: bool = False) -> Any:
    """Validated settings from setting -> text (every problem listed, each by the setting's label).
    ``known_only`` (reading the store): a setting of an assessment this process has not loaded is passed over."""
    model = settings_model()
    unknown = [k for k in rows if k not in model.model_fields]
    problems = [] if known_only else [f"{k}: not a setting; known: {', '.join(model.model_fields)}" for k in unknown]
    values: dict[str, Any] = {}
    for name, text in rows.items():
        if name in unknown:
            continue
        try:
            values[name] = parse_value(name, text)
        except ParameterError as exc:
            problems.append(str(exc))
    return _validated(values, problems)


def from_values(data: dict[str, Any]) -> Any:
    """Validated settings from a settings file's mapping, values as the file typed them (text stays text)."""
    model = settings_model()
    problems = [f"{k}: not a setting; known: {', '.join(model.model_fields)}" for k in data
                if k not in model.model_fields]
    values = {k: (None if v in ("", [], {}) else v) for k, v in data.items() if k in model.model_fields}
    for name, value in list(values.items()):
        kind = declared()[name].type
        if isinstance(value, str) and not _is_text(kind):
            try:  # a date or number written as text in the file, read as the setting's value
                values[name] = parse_value(name, value)
            except ParameterError as exc:
                problems.append(str(exc))
        elif _is_text(kind) and isinstance(value, int | float | dt.date) and not isinstance(value, bool):
            values[name] = dump_value(value)  # a number or date in a text setting: the text as written
    return _validated(values, problems)


def _validated(values: dict[str, Any], problems: list[str]) -> Any:
    try:
        settings = settings_model().model_validate(values)
    except ValidationError as exc:
        problems += [f"{label(str(e['loc'][0]))}: {e['msg']} (got {e.get('input')!r})" for e in exc.errors()]
        settings = None
    if problems:
        raise ParameterError("settings that cannot be used:\n" + "\n".join(f"  - {p}" for p in problems))
    return settings


# ---- the store ------------------------------------------------------------------------------------------------
def read_settings(store: Store, organisation: str, period: str) -> Settings:
    """The organisation's settings for the period: each setting as saved for it, else as saved for the latest
    earlier period that has it (a setting cleared in a period is a record too: blank, not set)."""
    candidates = [period] + sorted((p for p in store.periods(organisation) if p < period), reverse=True)
    rows: dict[str, str] = {}
    saved: dict[str, tuple[str, dt.datetime]] = {}
    periods: dict[str, str] = {}
    newest = None
    for candidate in candidates:
        records = [r for r in store.current(organisation, candidate, SETTING.kind) if r.key not in rows]
        if not records:
            continue
        newest = newest or candidate
        keys = {r.key for r in records}
        rows.update({r.key: str(r.data.get("value", "")) for r in records})
        periods.update({r.key: candidate for r in records})
        saved.update({h["key"]: (h["who"], h["at"]) for h in store.history(organisation, candidate, SETTING.kind)
                      if h["key"] in keys})
    if newest is None:
        return Settings(organisation, period)
    return Settings(organisation, period, from_rows(rows, known_only=True), newest, saved, periods)


def save_settings(store: Store, organisation: str, period: str, values: Any, author: Author,
                  source: str = "form", only: list[str] | None = None) -> SaveResult:
    """Save every setting that changed as the next version of its record; a setting cleared is saved as blank
    (not set), one never set is not recorded. ``only``: the settings to save (an import changes only the keys
    its file names); the others are left as they are."""
    known = {r.key for r in store.current(organisation, period, SETTING.kind)}
    fields = type(values).model_fields
    names = list(fields) if only is None else [n for n in fields if n in only]
    rows = {name: {"setting": name, "value": dump_value(getattr(values, name))} for name in names}
    rows = {name: row for name, row in rows.items() if row["value"] or name in known or only is not None}
    return store.save(organisation, period, SETTING.kind, rows, author, None, source)


# ---- settings applied to an assessment's parameters -----------------------------------------------------------
@dataclass
class Applied:
    """What settings a run or form used, for the report: each setting -> its value in words; and the parameters
    file's values that the organisation's settings replaced."""

    settings: Settings | None = None
    used: dict[str, str] = field(default_factory=dict)
    replaced: dict[str, str] = field(default_factory=dict)  # setting -> the parameters' value not used
    missing: list[str] = field(default_factory=list)  # settings this assessment uses that are not set
    defaults: dict[str, str] = field(default_factory=dict)  # not set: the suite's default used (in words)

    def lines(self) -> list[str]:
        if self.settings is None:
            return []
        out = [f"Settings: {self.settings.origin()}."]
        out += [f"{label(k)}: {v}" for k, v in self.used.items()]
        out += [f"{label(k)}: {v} (the suite's default; not set for this organisation)"
                for k, v in self.defaults.items()]
        out += [f"{label(k)}: not set" for k in self.missing if k not in self.defaults]
        out += [f"The parameters file's {label(k).lower()} ({v}) was not used: the organisation's setting applies."
                for k, v in self.replaced.items()]
        return out

    def as_json(self) -> dict[str, Any]:
        if self.settings is None:
            return {}
        return {"from_period": self.settings.from_period, "used": dict(self.used), "defaults": dict(self.defaults),
                "not_set": list(self.missing), "parameters_not_used": dict(self.replaced)}


def in_words(value: Any, name: str | None = None) -> str:
    """A setting's value as a reader sees it: providers by name, an appetite as "Low; per category Financial: 4",
    a date as 1 July 2025, a share (a setting ``shown_as: percent`` in settings.yaml) as 10%."""
    if name is not None and descriptions().get(name, {}).get("shown_as") == "percent" and value is not None:
        return f"{float(value) * 100:g}%"
    if isinstance(value, dict) and set(value) <= {"default", "categories"}:
        parts = [] if value.get("default") in (None, "") else [str(value["default"])]
        categories = ", ".join(f"{k}: {v}" for k, v in (value.get("categories") or {}).items())
        return "; ".join(parts + ([f"per category {categories}"] if categories else []))
    if isinstance(value, dict):
        return "; ".join(f"{k}: {in_words(v)}" for k, v in value.items() if v not in (None, {}, []))
    if isinstance(value, list):
        return ", ".join(str(v.get("name", v)) if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, dt.date):
        return f"{value.day} {value:%B %Y}"
    return str(value)


def read_as(value: Any, name: str) -> str:
    """A setting's value as the Settings page shows it: a word the setting declares for it (``values:`` in its
    settings.yaml, e.g. "marks": "scored from the maturity marks"), a data file's title for its name (a
    methodology's), else as :func:`in_words` gives it. Reports and JSON summaries keep ``in_words``."""
    if isinstance(value, str):
        words = descriptions().get(name, {}).get("values") or {}
        return str(words[value]) if value in words else datafiles.title_of(value)
    return in_words(value, name)


def _parameter_value(name: str, value: Any) -> Any:
    """A setting's value as its parameter takes it (a setting may declare how, e.g. "marks": scored, not given)."""
    convert = declared()[name].as_parameter
    return value if convert is None else convert(value)


def apply(params: Any, settings: Settings, neutral: bool) -> tuple[Any, Applied]:
    """``params`` with the organisation's settings. ``neutral`` (a form): a setting that is not set takes the
    parameter's own default, never the notebook's example value, and "as of" is today."""
    model = type(params)
    fields = model.model_fields
    given = settings.values.given()
    current = params.model_dump(by_alias=True)
    applied = Applied(settings)
    updates: dict[str, Any] = {}
    for name, setting in declared().items():
        if name not in fields:
            if setting.reported and name in given:  # not a parameter, but the report states it
                applied.used[name] = in_words(given[name], name)
            continue
        alias = fields[name].alias or name
        if name in given:
            value = _parameter_value(name, given[name])
            updates[alias] = value
            applied.used[name] = in_words(given[name], name)
            mine = current.get(alias)
            if not neutral and mine not in (None, "", [], {}) and mine != value and source_of(params).from_store \
                    and name in params.model_fields_set:
                applied.replaced[name] = in_words(mine, name)
        else:
            applied.missing.append(name)
            if neutral and setting.when_not_set == "suite default" \
                    and current.get(alias) not in (None, ""):
                applied.defaults[name] = in_words(current.get(alias), name)
            elif neutral:
                updates[alias] = None if fields[name].is_required() else fields[name].default
    if neutral:
        updates["as_of"] = dt.date.today()
    where = f"the settings of {settings.organisation}, {settings.period}"
    return validate(model, {**current, **updates}, where), applied


def effective(params: Any, store: Store | None = None, neutral: bool = False) -> tuple[Any, Applied]:
    """The parameters a run or form uses: with ``source: store`` (or ``neutral``, a form), the organisation's
    settings from the store applied; a file run uses its parameters as given."""
    source = RunSource.lent(params, store) if store is not None else source_of(params)
    if not neutral and not source.from_store:
        return params, Applied()
    try:  # the run's store, opened once: the run reads its records from the same connection
        settings = read_settings(source.store(), params.organisation, params.period)
    except StoreError:  # no store yet: no settings; the run's own read names the problem
        settings = Settings(params.organisation, params.period)
    used, applied = apply(params, settings, neutral)
    return with_source(used, source), applied
