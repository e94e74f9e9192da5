"""Check a methodology file and describe it, or list every problem in it in plain words.

``workbook methodology check FILE`` prints what :func:`check_methodology` returns. A valid file is shown as
its matrix, bands, residual rule, probability ranges and money bounds; a refused one as one line per problem,
each naming the field as a path (``bandings > corporate > bands > 2 > max``, list items counted from 1) with
a hint for the commonest slips. See docs/methodologies.md.

"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from workbook_lib.assessments.risk.methodology import (
    LoadedMethodology,
    Methodology,
    MethodologyError,
    load_methodology,
    shipped,
)
from workbook_lib.core.datafiles import YamlRefused, band_problems, check_size, load_yaml, number_ranges
from workbook_lib.core.errors import cut, listed, quote
from workbook_lib.core.limits import MAX_METHODOLOGY_KB

if TYPE_CHECKING:
    pass

_CELL = 40  # characters of a label or band name in the matrix


class _FieldsOnly(Methodology):
    """The methodology with its per-field checks only, so that every banding's gaps can be listed at once."""

    def _consistent(self) -> _FieldsOnly:  # replaces Methodology's cross-field validator of the same name
        return self


# the start of each cross-field message of Methodology -> the field it is about
_CROSS_FIELD: dict[str, tuple[str, ...]] = {
    "scoring": ("scoring", "grid"), "default_banding": ("default_banding",), "residual": ("residual", "rule"),
    "impact category": ("impact_categories",), "impact_money": ("impact_money", "upper_bounds"),
    "banding": ("bandings",),
}


def field_names(model: type[BaseModel] = Methodology) -> set[str]:
    """Every field name of a model and of the models inside it."""
    names: set[str] = set()
    todo: list[Any] = [model]
    while todo:
        tp = todo.pop()
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            names.update(tp.model_fields)
            todo += [f.annotation for f in tp.model_fields.values()]
        else:
            todo += list(get_args(tp))
    return names


def _where(loc: tuple[int | str, ...]) -> str:
    parts = [str(p + 1) if isinstance(p, int) else "(name)" if p == "[key]" else p for p in loc]
    return " > ".join(parts) or "(whole file)"


def _shown(value: Any) -> str:
    """A refused value, quoted (a long text cut, its length said); a list or group by its kind."""
    if isinstance(value, str):
        return quote(value)
    return cut(repr(value)) if isinstance(value, int | float | bool) or value is None else "a list or group"


def _problem(err: Any) -> str:
    """One pydantic error as a line in a risk officer's words."""
    loc, kind, value = tuple(err["loc"]), err["type"], err.get("input")
    key = str(loc[-1]) if loc else ""
    msg = err["msg"].removeprefix("Value error, ").replace(" after validation", "")
    for prefix in ("Input should", "String should", "List should", "Dictionary should"):
        if msg.startswith(prefix):
            msg = "should" + msg[len(prefix):] + (f" (got {_shown(value)})" if kind != "too_short" else "")
    if kind == "missing":
        msg = "missing; this field is required"
        if loc == ("residual",):
            msg += (" - add `residual: {rule: rerated}` (likelihood and impact re-rated after controls) or "
                    "`residual: {rule: control_factor}` with a control_effectiveness scale")
    elif kind == "extra_forbidden":
        close = difflib.get_close_matches(key, sorted(field_names()), n=1)
        msg = "is not a known field here" + (f" - did you mean {close[0]!r}?" if close else "")
    elif kind in ("model_type", "dict_type"):
        msg = f"should be a group of fields (key: value lines), not {_shown(value)}"
        if key in ("scoring", "residual") and isinstance(value, str):
            msg += f" - write `{key}: {{rule: {value}}}`"
    elif key == "colour" and value is None:
        msg = 'is empty - put the colour in quotes, e.g. colour: "#d7191c" (an unquoted # starts a comment)'
    elif kind == "string_pattern_mismatch" and key == "colour":
        msg = f'should be a colour written "#rrggbb" in quotes, e.g. "#d7191c" (got {_shown(value)})'
    elif kind == "string_pattern_mismatch" and loc == ("name",):
        msg = (f"should be lower-case letters, digits, '.', '_' or '-', starting with a letter or digit, "
               f"e.g. my-charity-3x3 (got {_shown(value)})")
    elif kind == "string_type" and isinstance(value, int | float):
        msg = f'should be text - put it in quotes, e.g. {key}: "{value}"'
    elif "level values must be" in msg:
        msg += " - number the levels 1, 2, 3 ... from the lowest up, in that order"
    elif "is used twice" in msg:
        msg += " - labels and aliases must be unique within a scale"
    elif not loc:  # a cross-field problem: name the field it is about
        loc = next((field for start, field in _CROSS_FIELD.items() if msg.startswith(start)), ())
    return f"{cut(_where(loc))}: {cut(msg, 1000)}"


def _band_lines(data: dict[str, Any]) -> list[str]:
    """Gaps and overlaps of every banding (the model stops at the first), once the fields themselves are valid."""
    try:
        m = _FieldsOnly.model_validate(data)
    except ValidationError:
        return []
    return [f"bandings > {key} > bands: {problem} - every reachable score ({number_ranges(m.reachable_scores)}) "
            f"must fall in exactly one band" for key, banding in m.bandings.items()
            for problem in band_problems(banding.bands, m.reachable_scores)]


def _failure(ref: str, exc: MethodologyError) -> str:
    first = str(exc).splitlines()[0]
    path = shipped().get(ref) or Path(ref).expanduser()
    if not path.is_file():
        return first
    try:
        check_size(path, MAX_METHODOLOGY_KB)  # an oversized file is refused, not read again
        data = load_yaml(path.read_bytes().decode("utf-8"), MAX_METHODOLOGY_KB)
    except YamlRefused:
        return first
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        hint = (" - indent with spaces, not tabs" if "\\t" in str(err.problem) else
                " - put text that contains ': ' or starts with # in quotes" if "mapping values" in str(err.problem)
                else "")
        return f"{path}: not readable YAML{where}: {err.problem}{hint}"
    except (UnicodeDecodeError, yaml.YAMLError):
        return first
    if data is None:
        return f"{path}: the file is empty"
    if not isinstance(data, dict):
        return first
    try:
        Methodology.model_validate(data)
    except ValidationError as err:
        lines = [_problem(e) for e in err.errors()]
        if any(not e["loc"] for e in err.errors()):  # a cross-field problem: list every banding's gaps too
            bands = _band_lines(data)
            lines = [ln for ln in lines if not ln.startswith("bandings: banding ")] + bands
        lines = list(dict.fromkeys(lines))
        return "\n".join([f"{path}: not a valid methodology, {len(lines):,} problem{'s' * (len(lines) != 1)} "
                          f"(list items are counted from 1):"] + [f"  - {ln}" for ln in listed(lines)])
    return first


def _matrix(m: Methodology) -> list[str]:
    """The likelihood x impact matrix, highest likelihood first, each cell its score and band."""
    heads = [f"{iv.value} {cut(iv.label, _CELL)}" for iv in m.impact]  # a matrix of at most 50 x 50, labels cut
    rows = [(f"{lv.value} {cut(lv.label, _CELL)}", [f"{s} {cut(m.band_for(s).name, _CELL)}"
                                                     for s in m.score_grid[lv.value - 1]])
            for lv in reversed(m.likelihood)]
    width = max(len(t) for t in heads + [c for _, cells in rows for c in cells]) + 2
    l_width = max(len(label) for label, _ in rows) + 2
    return [(label.ljust(l_width) + "".join(c.ljust(width) for c in cells)).rstrip()
            for label, cells in [("", heads), *rows]]


def _describe(lm: LoadedMethodology) -> str:
    m = lm.methodology
    out = [f"{m.title} ({m.name} v{m.version}, sha256 {lm.sha256[:12]}): valid methodology",
           f"File: {lm.path}", ""]
    if m.direct:  # rated directly: its levels, no matrix
        out.append("Rated directly (no likelihood or impact), levels lowest first: " + "; ".join(
            f"{lv.value} {cut(lv.label)}" + (f" (also: {cut(', '.join(lv.aliases))})" if lv.aliases else "")
            for lv in m.levels))
    else:
        out += [f"Matrix (likelihood x impact), scores and bands of the default banding {m.default_banding!r}:",
                *_matrix(m)]
    out += [f"Reachable scores: {number_ranges(m.reachable_scores)}", ""]
    for key, banding in m.bandings.items():
        out.append(f"Banding {key}{' (default)' if key == m.default_banding else ''}: {banding.title}")
        for b in banding.bands:
            also = f" (also: {cut(', '.join(b.aliases))})" if b.aliases else ""
            out.append(f"  {b.min:>3}-{b.max:<3} {cut(b.name)}{also}: {cut(b.decision_maker or '(no decision maker)')}"
                       f" -> {cut(b.register_destination or '(no register named)')}")
    out.append("")
    out.append(f"Residual: {m.residual_in_words()}")
    if m.escalation:
        e = m.escalation
        limits = [f"{k} up to {m.threshold(k)}" for k in ("tolerance", "acceptance") if m.threshold(k) is not None]
        raised = [f"{w}: {a}" for w, a in (("above appetite", e.above_appetite), ("above tolerance",
                  e.above_tolerance), ("above the acceptance level", e.above_acceptance)) if a]
        out.append(f"Who accepts: the highest of the band's decision maker and ({'; '.join(raised)}); "
                   f"{', '.join(limits)}; authorities, lowest first: {', '.join(e.authorities)}")
    if m.residual.note:
        out.append(f"  {m.residual.note}")
    probs = [(lv, lv.probability) for lv in m.likelihood if lv.probability is not None]
    if probs:
        horizons = list(dict.fromkeys(p.horizon or "" for _, p in probs))
        refused = ("not every likelihood level has a probability with a max" if len(probs) < len(m.likelihood)
                   or any(p.max is None for _, p in probs) else
                   f"the horizons differ ({', '.join(h or 'none' for h in horizons)})" if len(horizons) > 1 else "")
        out.append("Likelihood as a percentage" + (
            f"; {refused}, so a register's percentages are refused:" if refused else
            f", {horizons[0] or 'no horizon given'}:"))
        low: float | None = None if refused else 0.0  # a level without a min starts where the one below ends
        for lv, p in probs:
            lo = p.min if p.min is not None else low
            start = [] if lo is None else [f"from {lo:g}%" if lo == 0 else f"above {lo:g}%"]  # 0% is the lowest
            rng = (f"exactly {lo:g}%" if lo is not None and lo == p.max else
                   " ".join(start + ([f"up to {p.max:g}%"] if p.max is not None else [])))
            out.append(f"  {lv.value} {lv.label}: {rng}{f' ({p.horizon})' if len(horizons) > 1 else ''}")
            low = None if refused else p.max
    if m.impact_money:
        money = m.impact_money
        cur = f" {money.currency}" if money.currency else ""
        amounts = [f"{b:,.0f}" if b == int(b) else f"{b:,.2f}" for b in money.upper_bounds]
        parts = [f"{iv.value} {iv.label} up to {a}" for iv, a in zip(m.impact, amounts, strict=False)]
        out.append(f"Impact as money{cur}: " + "; ".join(parts + [f"{m.impact[-1].value} {m.impact[-1].label} "
                                                                  f"above {amounts[-1]}"]))
    return "\n".join(out)


def check_methodology(name_or_path: str) -> tuple[bool, str]:
    """(True, a description) for a valid methodology; (False, every problem, one per line) otherwise."""
    try:
        loaded = load_methodology(name_or_path)
    except MethodologyError as exc:
        return False, _failure(str(name_or_path), exc)
    return True, _describe(loaded)


