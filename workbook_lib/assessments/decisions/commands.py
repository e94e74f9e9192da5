"""The command line of decisions, treatment plans and sign-off:

- ``workbook decisions list|request|decide|export``: what is due (from the assessments' JSON summaries, ``--from``),
  requests, decisions and their history;
- ``workbook treatment list|add|update|import``: treatment actions per risk (Template 3), overdue and unowned ones;
- ``workbook signoff show|submit|approve|reopen``: an assessment signed off for a period.

Each refuses bad input in one line with exit 2. These commands collect what every assessment declares (its
``decisions_due``, its record kinds, its name) from the registry, as the shell's own commands do: the one import of
the registry from inside ``workbook_lib.assessments`` (allowed for this module alone in pyproject.toml). Everything
is imported when a command runs (``# lazy:``), so ``workbook --help`` stays quick."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from workbook_lib.core.commands import fail_input, print_problems
from workbook_lib.core.errors import InputError, StoreError

if TYPE_CHECKING:
    from workbook_lib.core.due import Due
    from workbook_lib.core.store import Author, Store

ORGANISATION = typer.Option(..., "--organisation", help="the organisation, as in the store")
PERIOD = typer.Option(..., "--period", help="the period, e.g. 2025-26")
STORE = typer.Option(None, "--store", help="store URL (default WORKBOOK_DB)")
WHO = typer.Option(..., "--who", help="your name, recorded in the audit trail")
FROM = typer.Option([], "--from", help="an assessment's JSON summary, or a folder of them (a run's output folder "
                                       "for the organisation and period); repeatable")
AS_OF = typer.Option(None, "--as-of", help="judge expiry, review and due dates against this date (default: the "
                                           "summaries' as_of, else today)")
OUTCOMES = {"approve": "approved", "reject": "rejected", "withdraw": "withdrawn", "revoke": "revoked"}


ROLE_HELP = ("your role, e.g. {}; with access records in the store, the position your grant names is recorded "
             "(a role given must be it)")

def register(app: typer.Typer) -> None:
    """Add the decisions, treatment and sign-off commands to the command line."""
    decisions_app = typer.Typer(help="Decisions on what the assessments say is due: list, request, decide, export.",
                                no_args_is_help=True)
    treatment_app = typer.Typer(help="Treatment plans (Template 3): actions per risk, overdue and unowned ones.",
                                no_args_is_help=True)
    signoff_app = typer.Typer(help="Sign-off of an assessment for a period: submit, approve, reopen.",
                              no_args_is_help=True)
    app.add_typer(decisions_app, name="decisions")
    app.add_typer(treatment_app, name="treatment")
    app.add_typer(signoff_app, name="signoff")
    for name, command in (("list", decisions_list), ("request", decisions_request), ("decide", decisions_decide),
                          ("export", decisions_export)):
        decisions_app.command(name)(command)
    for name, command in (("list", treatment_list), ("add", treatment_add), ("update", treatment_update),
                          ("import", treatment_import)):
        treatment_app.command(name)(command)
    for name, command in (("show", signoff_show), ("submit", signoff_submit), ("approve", signoff_approve),
                          ("reopen", signoff_reopen)):
        signoff_app.command(name)(command)


# ---- shared ----------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _refused() -> Iterator[None]:
    """A request the records cannot take (DecisionError), a store problem: one line, exit 2."""
    from workbook_lib.assessments.decisions.model import DecisionError

    try:
        yield
    except (DecisionError, StoreError) as exc:
        fail_input(str(exc))


@contextlib.contextmanager
def _open(url: str | None, create: bool = True, user: str | None = None) -> Iterator[Store]:
    """The store, acting for ``user`` (--who) where access records are kept."""
    from workbook_lib.assessments import registry  # lazy: every assessment declares its record kinds and settings
    from workbook_lib.core.store import Store  # lazy: sqlalchemy

    registry()
    with _refused(), Store(url, create=create, user=user.strip() if user else None) as st:
        yield st


def _author(who: str) -> Author:
    from workbook_lib.core.store import Author  # lazy: sqlalchemy

    with _refused():
        return Author(who, None, identity="cli")


def _date(text: str | None, what: str) -> dt.date | None:
    from workbook_lib.assessments.decisions.model import parse_date

    with _refused():
        return parse_date(text, what)


def _names(organisation: str, period: str) -> None:
    from workbook_lib.core.store import check_names  # lazy: sqlalchemy

    with _refused():
        check_names(organisation, period, ())


def _summaries(paths: list[Path], organisation: str, period: str) -> list[dict[str, Any]]:
    """The JSON summaries ``--from`` names (files, or the ``*.json`` directly in folders) of known assessments;
    one of another organisation or period is refused."""
    from workbook_lib.assessments import PACKAGES  # lazy: the names only

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.json")))
        elif path.is_file():
            files.append(path)
        else:
            fail_input(f"--from {path}: there is no such file or folder")
    found = []
    for file in files:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            fail_input(f"--from {file}: not a JSON summary ({exc})")
        if not isinstance(data, dict) or data.get("assessment") not in PACKAGES:
            if path_named(file, paths):
                fail_input(f"--from {file}: not the JSON summary of an assessment (no known \"assessment\")")
            continue
        if (data.get("organisation"), data.get("period")) != (organisation, period):
            fail_input(f"--from {file}: it is {data.get('organisation')}, {data.get('period')}, not {organisation}, "
                       f"{period}")
        found.append(data)
    if paths and not found:
        fail_input("--from: no assessment's JSON summary found in " + ", ".join(map(str, paths)))
    return found


def path_named(file: Path, paths: list[Path]) -> bool:
    return any(file == p for p in paths)


def _as_of(given: str | None, summaries: list[dict[str, Any]]) -> dt.date:
    if given:
        return _date(given, "--as-of") or dt.date.today()
    dates = [d for s in summaries if (d := _date(s.get("as_of"), "a summary's as_of")) is not None]
    return max(dates) if dates else dt.date.today()


def _due(summaries: list[dict[str, Any]]) -> list[Due]:
    from workbook_lib.assessments import decisions_due  # lazy: the assessments named by the summaries

    return decisions_due(summaries)


def _standing(st: Store, organisation: str, period: str, summaries: list[dict[str, Any]], as_of: dt.date):
    from workbook_lib.assessments.decisions import due, ledger

    found = ledger.on_record(st, organisation, period)
    judged = {s["assessment"] for s in summaries}
    return due.standings(_due(summaries), found, as_of, judged), found


# ---- decisions ---------------------------------------------------------------------------------------------
def decisions_list(organisation: str = ORGANISATION, period: str = PERIOD, sources: list[Path] = FROM,
                   as_of: str | None = AS_OF, as_json: bool = typer.Option(False, "--json", help="print JSON"),
                   store: str | None = STORE) -> None:
    """What is due for a decision (with --from: why, and who may decide), what is requested, decided or expired,
    and the decisions on record (with those of earlier periods that still bear on this one)."""
    from workbook_lib.assessments.decisions import report, signoff, treatment

    summaries = _summaries(sources, organisation, period)
    when = _as_of(as_of, summaries)
    with _open(store, create=False) as st:
        found, decisions = _standing(st, organisation, period, summaries, when)
        actions = treatment.actions(st, organisation, period)
        signoffs = [s for s in (signoff.state(st, organisation, period, a) for a in _assessments()) if s]
    if as_json:
        typer.echo(json.dumps(report.decisions_summary(found, decisions, when, actions, signoffs), indent=1))
        return
    typer.echo(f"{organisation}, {period}, as of {when.isoformat()}"
               + ("" if summaries else " (no --from: only the decisions on record, not what is due)"))
    for line in report.standing_lines(found) or ["Nothing is due and no decision is on record."]:
        typer.echo(f"  {line}")
    if decisions:
        typer.echo("Decisions on record:")
        for line in report.decision_lines(decisions):
            typer.echo(f"  {line}")


def _assessments() -> list[str]:
    from workbook_lib.assessments import PACKAGES  # lazy: the names only

    return list(PACKAGES)


def _subject(subject: str) -> tuple[str, str]:
    from workbook_lib.core.due import SUBJECT_KINDS

    kind, _, ident = subject.partition(":")
    kind = kind.strip()
    if kind == "appetite":
        return kind, ident.strip() or "appetite and tolerance"
    if kind not in SUBJECT_KINDS or not ident.strip():
        fail_input(f"subject {subject!r}: write it as KIND:ID, KIND one of {', '.join(SUBJECT_KINDS)} "
                   "(e.g. risk:KV-002, metric:vacancy_rate, assurance_gap:KV-005, appetite)")
    return kind, ident.strip()


def _due_now(subject: tuple[str, str], summaries: list[dict[str, Any]]) -> Due | None:
    for d in _due(summaries):
        if (d.subject_kind, d.subject_id.casefold()) == (subject[0], subject[1].casefold()):
            return d
    return None


def decisions_request(subject: str = typer.Argument(..., help="what is to be decided: risk:KV-002, "
                                                              "metric:vacancy_rate, assurance_gap:KV-005, appetite"),
                      organisation: str = ORGANISATION, period: str = PERIOD,
                      sources: list[Path] = typer.Option(..., "--from", help="the JSON summary saying it is due, or "
                                                                             "a folder of them; repeatable"),
                      why: str = typer.Option(..., "--why", help="why it should be accepted or approved"),
                      expiry: str = typer.Option(..., "--expiry", help="the approval holds until this date"),
                      review: str | None = typer.Option(None, "--review", help="to be reviewed by this date"),
                      conditions: str = typer.Option("", "--conditions", help="conditions attached"),
                      who: str = WHO, role: str = typer.Option("", "--role", help=ROLE_HELP.format("Risk owner")),
                      on: str | None = typer.Option(None, "--on", help="the request's date (default today)"),
                      store: str | None = STORE) -> None:
    """Request a decision on something an assessment says is due (who may decide comes from its summary)."""
    from workbook_lib.assessments.decisions import ledger

    kind_id = _subject(subject)
    _names(organisation, period)
    summaries = _summaries(sources, organisation, period)
    due = _due_now(kind_id, summaries)
    if due is None:
        fail_input(f"{subject}: the summaries given do not say it is due for a decision "
                   "(`workbook decisions list --from ...` shows what is)")
    author = _author(who)
    when = _date(on, "--on")
    with _open(store, user=who) as st, _refused():
        d = ledger.request(st, due, author, role, why, expiry, review, conditions, when)
    typer.echo(f"{d.decision_id}: decision requested on {subject} for {organisation}, {period}; the "
               f"{d.who_may_decide or 'decision maker (not named by the summary)'} decides.")


def decisions_decide(decision_id: str = typer.Argument(..., help="the decision, e.g. D1"),
                     outcome: str = typer.Argument(..., help="approve, reject, withdraw or revoke"),
                     organisation: str = ORGANISATION, period: str = PERIOD,
                     who: str = WHO, role: str = typer.Option("", "--role", help=ROLE_HELP.format("Municipal Manager")),
                     note: str = typer.Option("", "--note", help="a note (needed to revoke)"),
                     on: str | None = typer.Option(None, "--on", help="the decision's date (default today)"),
                     sources: list[Path] = typer.Option([], "--from", help="the JSON summaries as they stand now: "
                                                                           "the score approved is kept from them"),
                     store: str | None = STORE) -> None:
    """Approve, reject or withdraw a request, or revoke an approval. A decision by another role than the one the
    methodology names is recorded, and flagged."""
    from workbook_lib.assessments.decisions import ledger

    if outcome not in OUTCOMES:
        fail_input(f"outcome {outcome!r}: choose approve, reject, withdraw or revoke")
    summaries = _summaries(sources, organisation, period)
    author = _author(who)
    when = _date(on, "--on")
    with _open(store, user=who, create=False) as st, _refused():
        current = ledger.find(st, organisation, period, decision_id)
        now = _due_now(current.subject, summaries) if summaries else None
        d = ledger.decide(st, organisation, period, decision_id, OUTCOMES[outcome], author, role, note, when, now)
    typer.echo(f"{d.decision_id}: {d.status} by {d.decided_by} ({d.decided_role}) on {d.decided_on}.")
    if d.role_flag:
        typer.echo(f"Flagged: {d.role_flag}.", err=True)


def decisions_export(organisation: str = ORGANISATION, period: str = PERIOD,
                     out: Path = typer.Option(..., "--out", "-o", help=".xlsx, .csv or .json file to write"),
                     sources: list[Path] = FROM, as_of: str | None = AS_OF, store: str | None = STORE) -> None:
    """Write the decisions on record (.xlsx or .csv: one row per decision; .json: due, requested, taken, expired
    and flagged, the treatment actions overdue or unowned and the sign-offs)."""
    from workbook_lib.assessments.decisions import report, signoff, treatment

    suffix = out.suffix.lower()
    if suffix not in {".xlsx", ".csv", ".json"}:
        fail_input(f"{out}: choose a .xlsx, .csv or .json file name")
    summaries = _summaries(sources, organisation, period)
    when = _as_of(as_of, summaries)
    with _open(store, create=False) as st:
        found, decisions = _standing(st, organisation, period, summaries, when)
        actions = treatment.actions(st, organisation, period)
        signoffs = [s for s in (signoff.state(st, organisation, period, a) for a in _assessments()) if s]
    _write(out, lambda: report.decisions_summary(found, decisions, when, actions, signoffs),
           [report.decision_dict(d) for d in decisions], "decisions")
    typer.echo(f"{len(decisions)} decision(s) written to {out}")


def _write(out: Path, summary, rows: list[dict[str, Any]], sheet: str) -> None:
    import pandas as pd  # lazy: for this command only

    from workbook_lib.core.outputs import NotWritten, write_table, write_text  # lazy: pandas, openpyxl

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".json":
            write_text(out, json.dumps(summary(), indent=1, ensure_ascii=False))
        else:
            write_table(pd.DataFrame(rows), out, sheet=sheet)
    except NotWritten as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    except OSError as exc:
        fail_input(f"{out}: cannot be written ({exc.strerror})")


# ---- treatment plans -----------------------------------------------------------------------------------------
def treatment_list(organisation: str = ORGANISATION, period: str = PERIOD, as_of: str | None = AS_OF,
                   only: str = typer.Option("all", "--only", help="all, overdue or unowned"),
                   store: str | None = STORE) -> None:
    """The treatment actions per risk, with the overdue ones (against --as-of) and those without an owner marked."""
    from workbook_lib.assessments.decisions import report, treatment

    if only not in ("all", "overdue", "unowned"):
        fail_input(f"--only {only!r}: choose all, overdue or unowned")
    when = _as_of(as_of, [])
    with _open(store, create=False) as st:
        found = treatment.actions(st, organisation, period)
    late, nobody = treatment.overdue(found, when), treatment.unowned(found)
    shown = {"all": found, "overdue": late, "unowned": nobody}[only]
    typer.echo(f"{organisation}, {period}: {len(found)} action(s), {len(late)} overdue as of {when.isoformat()}, "
               f"{len(nobody)} without an owner")
    for line in report.action_lines(shown, when):
        typer.echo(f"  {line}")


def treatment_add(organisation: str = ORGANISATION, period: str = PERIOD,
                  risk: str = typer.Option(..., "--risk", help="the risk it treats, e.g. KV-002"),
                  action: str = typer.Option(..., "--action", help="what is to be done"),
                  owner: str = typer.Option("", "--owner", help="who does it"),
                  due: str = typer.Option("", "--due", help="due date, YYYY-MM-DD"),
                  resources: str = typer.Option("", "--resources", help="resources needed"),
                  cost: str = typer.Option("", "--cost", help="its cost"),
                  status: str = typer.Option("not started", "--status", help="not started, in progress, done or "
                                                                            "cancelled"),
                  progress: str = typer.Option("", "--progress", help="progress in words or a share"),
                  who: str = WHO, store: str | None = STORE) -> None:
    """Add a treatment action to a risk."""
    from workbook_lib.assessments.decisions import treatment

    _names(organisation, period)
    author = _author(who)
    with _open(store, user=who) as st, _refused():
        a = treatment.add(st, organisation, period, author, risk, action, owner, due, resources, cost, status, progress)
    typer.echo(f"Action {a.key} added.")


def treatment_update(key: str = typer.Argument(..., help="the action, as RISK|N (e.g. \"KV-002|1\")"),
                     organisation: str = ORGANISATION, period: str = PERIOD,
                     owner: str | None = typer.Option(None, "--owner"), due: str | None = typer.Option(None, "--due"),
                     resources: str | None = typer.Option(None, "--resources"),
                     cost: str | None = typer.Option(None, "--cost"),
                     status: str | None = typer.Option(None, "--status"),
                     progress: str | None = typer.Option(None, "--progress"),
                     action: str | None = typer.Option(None, "--action"),
                     who: str = WHO, store: str | None = STORE) -> None:
    """Change an action: only the fields given change."""
    from workbook_lib.assessments.decisions import treatment

    author = _author(who)
    with _open(store, user=who, create=False) as st, _refused():
        a = treatment.update(st, organisation, period, author, key, owner=owner, due_date=due, resources=resources,
                             cost=cost, status=status, progress=progress, action=action)
    typer.echo(f"Action {a.key}: {a.status}" + (f", {a.progress}" if a.progress else "") + ".")


REGISTER_COLUMNS = {"risk_id": ["Risk ID", "Risk No.", "Risk number", "Risk ref"],
                    "actions": ["Actions", "Action", "Treatment actions", "Action plan", "Treatment plan"],
                    "treatment_owner": ["Treatment owner", "Action owner"],
                    "due_date": ["Due date", "Target date", "Action due date"],
                    "progress": ["Progress", "Progress to date"], "response": ["Response", "Risk response"]}


def treatment_import(file: Path | None = typer.Argument(None, help="a register (CSV or .xlsx) with columns Risk ID, "
                                                                   "Actions, Treatment owner, Due date, Progress; "
                                                                   "without it, the register saved in the store"),
                     organisation: str = ORGANISATION, period: str = PERIOD, sheet: str | None = typer.Option(None),
                     who: str = WHO, store: str | None = STORE) -> None:
    """Import a register's action columns (actions, treatment_owner, due_date, progress) as action 1 of each risk."""
    from workbook_lib.assessments.decisions import treatment
    from workbook_lib.core.tables import read_table  # lazy: pandas

    _names(organisation, period)
    author = _author(who)
    rows: list[dict[str, str]] | None = None
    if file is not None:
        try:
            table = read_table(file, REGISTER_COLUMNS, sheet=sheet)
        except InputError as exc:
            print_problems(exc, "nothing was saved")
            raise typer.Exit(2) from None
        rows = table.frame.astype(str).to_dict("records")
    with _open(store, user=who, create=file is not None) as st, _refused():
        if rows is None:
            rows = [r.data for r in st.current(organisation, period, "risk")]
            if not rows:
                fail_input(f"no register saved for {organisation}, {period}: name a register file, or save one first")
        result = treatment.import_register(st, organisation, period, rows, author)
    typer.echo(f"{file or 'the register in the store'}: treatment actions {result.summary()}.")


# ---- sign-off -----------------------------------------------------------------------------------------------------
def _assessment(name: str) -> str:
    names = _assessments()
    if name not in names:
        fail_input(f"unknown assessment {name!r}; choose one of {', '.join(names)}")
    return name


ASSESSMENT = typer.Argument(..., help="the assessment, e.g. risk-evaluation")


def signoff_show(assessment: str = ASSESSMENT, organisation: str = ORGANISATION, period: str = PERIOD,
                 store: str | None = STORE) -> None:
    """The sign-off state and its history, and any change to the assessment's records since it was signed off."""
    from workbook_lib.assessments import get  # lazy: the assessment's record kinds
    from workbook_lib.assessments.decisions import signoff

    _assessment(assessment)
    with _open(store, create=False) as st:
        current = signoff.state(st, organisation, period, assessment)
        steps = signoff.history(st, organisation, period, assessment)
        later = signoff.changed_after(st, organisation, period, [k.kind for k in get(assessment).record_kinds],
                                      current) if current is not None and current.signed_off else []
    if current is None:
        typer.echo(f"{assessment} for {organisation}, {period} has not been submitted for sign-off.")
        return
    typer.echo(f"{assessment} for {organisation}, {period}: {current.state} (version {current.version})"
               + (f"; flagged: {current.role_flag}" if current.role_flag else ""))
    for h in steps:
        after = h["after"] or {}
        typer.echo(f"  v{h['version']} {h['at']:%Y-%m-%d %H:%M} UTC {after.get('state', '')} by {h['who']}"
                   + (f": {after['reason']}" if after.get("state") == "reopened" and after.get("reason") else ""))
    if later:
        typer.echo(f"{len(later)} change(s) to its records since the sign-off: reopen it with the reason "
                   "(`workbook signoff reopen`).")


def signoff_submit(assessment: str = ASSESSMENT, organisation: str = ORGANISATION, period: str = PERIOD,
                   who: str = WHO, role: str = typer.Option("Risk champion", "--role", help="your role"),
                   store: str | None = STORE) -> None:
    """Submit an assessment of a period for sign-off (the risk champion)."""
    from workbook_lib.assessments.decisions import signoff

    _assessment(assessment)
    _names(organisation, period)
    author = _author(who)
    with _open(store, user=who) as st, _refused():
        s = signoff.submit(st, organisation, period, assessment, author, role)
    typer.echo(f"{assessment} for {organisation}, {period}: submitted by {s.submitted_by} (version {s.version}).")


def signoff_approve(assessment: str = ASSESSMENT, organisation: str = ORGANISATION, period: str = PERIOD,
                    who: str = WHO, role: str = typer.Option("", "--role",
                                                             help=ROLE_HELP.format("Municipal Manager")),
                    store: str | None = STORE) -> None:
    """Sign a submitted assessment off (the accounting officer the organisation's settings name)."""
    from workbook_lib.assessments.decisions import signoff
    from workbook_lib.core.settings import read_settings  # lazy: pydantic

    _assessment(assessment)
    author = _author(who)
    with _open(store, user=who, create=False) as st, _refused():
        officer = read_settings(st, organisation, period).values.given().get("accounting_officer") or ""
        s = signoff.approve(st, organisation, period, assessment, author, role, officer)
    typer.echo(f"{assessment} for {organisation}, {period}: signed off by {s.approved_by} ({s.approved_role}) "
               f"(version {s.version}).")
    if s.role_flag:
        typer.echo(f"Flagged: {s.role_flag}.", err=True)


def signoff_reopen(assessment: str = ASSESSMENT, organisation: str = ORGANISATION, period: str = PERIOD,
                   reason: str = typer.Option(..., "--reason", help="what changed after the sign-off"),
                   who: str = WHO, store: str | None = STORE) -> None:
    """Reopen a signed-off (or submitted) assessment, with the reason; submit and sign it off again afterwards."""
    from workbook_lib.assessments.decisions import signoff

    _assessment(assessment)
    author = _author(who)
    with _open(store, user=who, create=False) as st, _refused():
        s = signoff.reopen(st, organisation, period, assessment, author, reason)
    typer.echo(f"{assessment} for {organisation}, {period}: reopened (version {s.version}): {s.reason}")
