"""An organisation's settings, kept in the store: methodology and banding, appetite and tolerance, its own
assurance providers, where its maturity status comes from, and its reporting period's dates.

One record per setting (record kind ``setting``: ``{"setting": name, "value": YAML text}``), versioned and audited
like every record. Forms and ``source: store`` runs read them through :func:`effective`, so a form and a batch run
of the same organisation and period use the same settings. What each setting is called and does is data
(``core/data/settings.yaml``).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workbook_lib.core.datafiles import YamlRefused, load_yaml
from workbook_lib.core.errors import StoreError
from workbook_lib.core.params import ParameterError, validate
from workbook_lib.core.records import RecordKind, register_kind

if TYPE_CHECKING:
    from workbook_lib.core.store import Author, SaveResult, Store

SETTINGS_FILE = Path(__file__).parent / "data" / "settings.yaml"
FROM_MARKS = "marks"  # maturity_status: scored from the maturity marks saved for the period
REPORTED = ("period_start", "period_end")  # settings no assessment takes as a parameter, stated in reports

SETTING = register_kind(RecordKind("setting", ("setting",),
                                   lambda: {"setting": ["setting", "name"], "value": ["value"]}))


class OrgSettings(BaseModel):
    """The settings an organisation may keep; None: not set. Values are checked further by each assessment's
    parameters when applied (an appetite band the methodology does not have is refused there)."""

    model_config = ConfigDict(extra="forbid")
    methodology: str | None = None
    banding: str | None = None
    appetite: int | str | dict[str, Any] | None = None
    tolerance: int | str | None = None
    providers: list[dict[str, Any]] | None = None
    maturity_status: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    plan_owner: str | None = None
    accounting_officer: str | None = None
    oversight_committee: str | None = None
    warning: float | None = Field(None, ge=0, le=1)  # risk monitoring's warning zone, a fraction of a limit

    def given(self) -> dict[str, Any]:
        """The settings that are set, in the order of the model."""
        return {k: v for k, v in self.model_dump().items() if v not in (None, "", [], {})}


@functools.cache
def descriptions() -> dict[str, dict[str, str]]:
    """Setting name -> its label and help, as the Settings page and reports show them."""
    return load_yaml(SETTINGS_FILE.read_text(encoding="utf-8"))["settings"]


def sentence(text: str) -> str:
    """``text`` with a capital first letter, the rest as written (an organisation's name keeps its capitals)."""
    return text[:1].upper() + text[1:]


def label(name: str) -> str:
    return descriptions().get(name, {}).get("label", name.replace("_", " ").capitalize())


@dataclass
class Settings:
    """An organisation's settings for a period, and where they came from."""

    organisation: str
    period: str
    values: OrgSettings = field(default_factory=OrgSettings)
    from_period: str | None = None  # the period they were saved for: this one, an earlier one, or None (none saved)
    saved: dict[str, tuple[str, dt.datetime]] = field(default_factory=dict)  # setting -> (who, when), latest

    @property
    def carried_over(self) -> bool:
        return self.from_period not in (None, self.period)

    def origin(self) -> str:
        """Where the settings came from, in words."""
        if self.from_period is None:
            return f"no settings saved for {self.organisation}"
        where = f"{self.organisation}'s settings for {self.from_period}"
        return where + (f" (carried over to {self.period}: none saved for it)" if self.carried_over else "")


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


def parse_value(name: str, text: str) -> Any:
    """A stored or typed setting's text back to its value (raises ParameterError naming the setting)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = load_yaml(text)
    except (YamlRefused, yaml.YAMLError, ValueError) as exc:
        raise ParameterError(f"{label(name)}: not readable ({exc}); expected {descriptions()[name]['help']}") from None
    return text if isinstance(value, bool) else value  # a bare yes/no stays the words typed


def from_rows(rows: dict[str, str]) -> OrgSettings:
    """Validated settings from setting -> text (every problem listed, each by the setting's label)."""
    unknown = [k for k in rows if k not in OrgSettings.model_fields]
    problems = [f"{k}: not a setting; known: {', '.join(OrgSettings.model_fields)}" for k in unknown]
    values: dict[str, Any] = {}
    for name, text in rows.items():
        if name in unknown:
            continue
        try:
            values[name] = parse_value(name, text)
        except ParameterError as exc:
            problems.append(str(exc))
    try:
        settings = OrgSettings.model_validate(values)
    except ValidationError as exc:
        problems += [f"{label(str(e['loc'][0]))}: {e['msg']} (got {e.get('input')!r})" for e in exc.errors()]
        settings = None
    if problems:
        raise ParameterError("settings that cannot be used:\n" + "\n".join(f"  - {p}" for p in problems))
    return settings


# ---- the store ------------------------------------------------------------------------------------------------
def read_settings(store: Store, organisation: str, period: str) -> Settings:
    """The organisation's settings for the period: saved for it, else for its latest earlier period."""
    candidates = [period] + sorted((p for p in store.periods(organisation) if p < period), reverse=True)
    for candidate in candidates:
        records = store.current(organisation, candidate, SETTING.kind)
        if records:
            rows = {r.key: str(r.data.get("value", "")) for r in records}
            saved = {h["key"]: (h["who"], h["at"]) for h in store.history(organisation, candidate, SETTING.kind)}
            return Settings(organisation, period, from_rows(rows), candidate, saved)
    return Settings(organisation, period)


def save_settings(store: Store, organisation: str, period: str, values: OrgSettings, author: Author,
                  source: str = "form") -> SaveResult:
    """Save every setting that changed as the next version of its record; a setting cleared is saved as blank
    (not set), one never set is not recorded."""
    known = {r.key for r in store.current(organisation, period, SETTING.kind)}
    rows = {name: {"setting": name, "value": dump_value(getattr(values, name))} for name in OrgSettings.model_fields}
    rows = {name: row for name, row in rows.items() if row["value"] or name in known}
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


def _parameter_value(name: str, value: Any) -> Any:
    return None if name == "maturity_status" and str(value).strip().lower() == FROM_MARKS else value


def apply(params: Any, settings: Settings, neutral: bool) -> tuple[Any, Applied]:
    """``params`` with the organisation's settings. ``neutral`` (a form): a setting that is not set takes the
    parameter's own default, never the notebook's example value, and "as of" is today."""
    model = type(params)
    fields = model.model_fields
    given = settings.values.given()
    current = params.model_dump(by_alias=True)
    applied = Applied(settings)
    updates: dict[str, Any] = {}
    for name in OrgSettings.model_fields:
        if name not in fields:
            if name in REPORTED and name in given:  # not a parameter, but the report states it
                applied.used[name] = in_words(given[name], name)
            continue
        alias = fields[name].alias or name
        if name in given:
            value = _parameter_value(name, given[name])
            updates[alias] = value
            applied.used[name] = in_words(given[name], name)
            mine = current.get(alias)
            if not neutral and mine not in (None, "", [], {}) and mine != value and params.source == "store" \
                    and name in params.model_fields_set:
                applied.replaced[name] = in_words(mine, name)
        else:
            applied.missing.append(name)
            if neutral and descriptions().get(name, {}).get("when_not_set") == "suite default" \
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
    if not neutral and getattr(params, "source", "file") != "store":
        return params, Applied()
    if store is not None:
        settings = read_settings(store, params.organisation, params.period)
    else:
        from workbook_lib.core.store import Store  # lazy: SQLAlchemy, only for a run that reads the store

        try:
            with Store(params.store_url, create=False) as opened:
                settings = read_settings(opened, params.organisation, params.period)
        except StoreError:  # no store yet: no settings; the run's own read names the problem
            settings = Settings(params.organisation, params.period)
    return apply(params, settings, neutral)
