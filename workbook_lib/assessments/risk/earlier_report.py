"""Reading an earlier period's risk evaluation from the JSON summary its run wrote (``earlier: [{period, report}]``):
its risks' IDs, residual scores and levels and statuses, checked as a hostile file (a link, a file over
WORKBOOK_MAX_REPORT_MB, more risks than WORKBOOK_MAX_ROWS, a summary of another assessment or period, a number that
is not finite (NaN, Infinity, 1e400) and malformed entries are refused, naming the file; core/limits.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from workbook_lib.assessments.risk.methodology import LoadedMethodology
from workbook_lib.assessments.risk.scoring import CLOSED
from workbook_lib.core.errors import InputError, Problem, cut
from workbook_lib.core.limits import MAX_REPORT_MB, MAX_ROWS
from workbook_lib.core.report_set import being_replaced
from workbook_lib.core.tables import limit_value

REPORT = "the risk-evaluation.json an earlier risk evaluation wrote"
LARGEST = 1e15  # a residual score beyond this is not a methodology's (and no longer an exact float)


class NonFinite(str):
    """A number in the JSON that is not finite (NaN, Infinity, -Infinity, or too large to hold: 1e400), kept as
    written so that the entry holding it is refused by name."""


def _non_finite(text: str) -> NonFinite:
    return NonFinite(text)


def _number(text: str) -> float | NonFinite:
    value = float(text)
    return value if math.isfinite(value) else NonFinite(text)


def read_report(path: Path, period: str, organisation: str, loaded: LoadedMethodology,
                banding: str | None) -> tuple[pd.DataFrame, list[str]]:
    """The risks of an earlier risk evaluation's JSON summary (risk ID, residual score and level, status), and
    notes where it was scored another way; raises InputError naming the file for anything else."""
    name = str(path)
    data = _report_data(path, name)
    if str(data.get("period", "")).strip().casefold() != period.strip().casefold():
        raise InputError([Problem(name, None, "period", str(data.get("period", "")),
                                  f"the report of {period}; give each earlier report under its own period")])
    risks, problems = _report_risks(data.get("risks"), name)
    if problems:
        raise InputError(problems)
    return risks, _report_notes(data, period, organisation, loaded, banding)


def _refused(name: str, why: str) -> InputError:
    return InputError([Problem(name, None, None, "", f"{REPORT}; {why}")])


def _report_data(path: Path, name: str) -> dict[str, Any]:
    """The file's JSON mapping, refusing a link, a missing or oversized file, and anything but a risk evaluation's
    summary (nothing of a refused file is shown)."""
    if path.is_symlink():  # checked first: nothing of the file it points to is read
        raise _refused(name, "this is a link to another file; give the file itself")
    if not path.is_file():
        raise InputError([Problem(name, None, None, "", f"an existing file: {REPORT}")])
    if any(part.startswith(".staging-") for part in path.parent.parts) or being_replaced(path.parent, path.stem):
        raise _refused(name, "its report set is being replaced, or a run was stopped while replacing it (its files "
                             "may come from two runs); run that period again, then give its report")
    max_mb = limit_value(name, MAX_REPORT_MB)
    size = path.stat().st_size
    if size > max_mb * 1_000_000:
        raise _refused(name, MAX_REPORT_MB.over(f"this file is {size / 1e6:,.0f} MB", max_mb))
    try:
        data = json.loads(path.read_bytes().decode("utf-8"), parse_constant=_non_finite, parse_float=_number)
    except UnicodeDecodeError:
        raise _refused(name, "this file is not text (UTF-8)") from None
    except json.JSONDecodeError as exc:
        raise InputError([Problem(name, exc.lineno, None, "", f"{REPORT}; this is not valid JSON ({exc.msg})")]) \
            from None
    except (RecursionError, OSError, ValueError) as exc:  # ValueError: an integer of more than 4,300 digits
        raise _refused(name, f"it cannot be read ({type(exc).__name__})") from None
    kind = data.get("assessment") if isinstance(data, dict) else None
    if kind != "risk-evaluation":
        raise _refused(name, f"this is the summary of {kind!r}" if isinstance(kind, str) and kind
                       else "this is not the summary of a risk evaluation")
    return data


def _report_risks(risks: Any, name: str) -> tuple[pd.DataFrame, list[Problem]]:
    """The report's risks as a frame changes can compare; a problem for every entry that is not as a run writes it."""
    if not isinstance(risks, list):
        return pd.DataFrame(), [Problem(name, None, "risks", "", "a list of the period's risks")]
    most = limit_value(name, MAX_ROWS)
    if len(risks) > most:
        return pd.DataFrame(), [Problem(name, None, "risks", "", MAX_ROWS.over(
            f"at most {most:,} risks, as many as a register may hold; this report has {len(risks):,}", most))]
    rows, problems, seen = [], [], set()
    for n, risk in enumerate(risks, 1):
        rid = risk.get("risk_id") if isinstance(risk, dict) else None
        where = f"risk {n}" + (f" ({cut(rid, 60)})" if isinstance(rid, str) and rid else "")
        if not isinstance(rid, str) or not rid.strip():
            problems.append(Problem(name, None, f"risk_id of {where}", "", "a risk ID"))
            continue
        if rid in seen:
            problems.append(Problem(name, None, f"risk_id of {where}", rid, "each risk once"))
        seen.add(rid)
        score, level, status = (risk.get(k) for k in ("residual_score", "residual_level", "status"))
        if isinstance(score, NonFinite):
            problems.append(Problem(name, None, f"residual_score of {where}", str(score),
                                    "a finite number, or null (NaN and Infinity are not scores)"))
        elif score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
            problems.append(Problem(name, None, f"residual_score of {where}", cut(str(score)), "a number, or null"))
        elif score is not None and abs(score) > LARGEST:
            problems.append(Problem(name, None, f"residual_score of {where}", cut(str(score)),
                                    f"a score of the methodology (at most {LARGEST:,.0f}), or null"))
        if level is not None and not isinstance(level, str):
            problems.append(Problem(name, None, f"residual_level of {where}", cut(str(level)), "a level, or null"))
        status = status if isinstance(status, str) and status else "open"
        rows.append({"risk_id": rid, "residual_score": score, "residual_level": level, "status": status,
                     "closed": status in CLOSED, "description": ""})
    columns = ["risk_id", "residual_score", "residual_level", "status", "closed", "description"]
    return pd.DataFrame(rows, columns=columns), problems


def _report_notes(data: dict[str, Any], period: str, organisation: str, loaded: LoadedMethodology,
                  banding: str | None) -> list[str]:
    """Where the earlier report was scored another way (or is another organisation's), in words."""
    m = loaded.methodology
    method = data.get("methodology") if isinstance(data.get("methodology"), dict) else {}
    notes = []
    if (method.get("name"), method.get("version")) != (m.name, m.version) or \
            data.get("banding") != (banding or m.default_banding):
        used = " ".join(str(x) for x in (method.get("name"), method.get("version")) if x) or "an unnamed methodology"
        notes.append(f"The {period} report was scored under {used} (banding {data.get('banding') or 'not given'}); "
                     f"its levels are compared by band name with those of {m.name} {m.version}.")
    if str(data.get("organisation", "")) != organisation:
        notes.append(f"The {period} report is of {data.get('organisation') or 'an unnamed organisation'}.")
    return notes
