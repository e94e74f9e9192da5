"""The command line: the cycle through `workbook decisions`, `treatment` and `signoff`, and every bad input refused
in one line with exit 2 (nothing saved)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.assessments.decisions.conftest import ORG, PERIOD
from workbook_lib.cli import app

RUN = CliRunner()


def wb(*args: str):
    return RUN.invoke(app, [str(a) for a in args])


@pytest.fixture
def where(tmp_path):
    return ["--organisation", ORG, "--period", PERIOD, "--store", str(tmp_path / "cli.db")]


def test_the_cycle_on_the_command_line(where, summaries_dir, tmp_path):
    r = wb("decisions", "request", "risk:KV-002", *where, "--from", summaries_dir, "--why", "no second source",
           "--expiry", "2026-06-30", "--review", "2026-03-31", "--who", "Thandi Dlamini", "--role", "Risk owner",
           "--on", "2025-11-01")
    assert r.exit_code == 0, r.output
    assert "D1: decision requested on risk:KV-002" in r.output and "the Municipal Manager decides" in r.output
    r = wb("decisions", "decide", "D1", "approve", *where, "--who", "Sipho Mokoena", "--role", "Municipal Manager",
           "--on", "2025-11-10", "--from", summaries_dir)
    assert r.exit_code == 0, r.output
    r = wb("decisions", "request", "metric:vacancy_rate", *where, "--from", summaries_dir, "--why", "moratorium",
           "--expiry", "2026-06-30", "--who", "HR", "--role", "Risk owner", "--on", "2025-11-01")
    assert r.exit_code == 0, r.output
    r = wb("decisions", "decide", "D2", "approve", *where, "--who", "P. Naidoo", "--role", "CFO")
    assert r.exit_code == 0 and "Flagged: decided by the CFO; the methodology names the Municipal Manager" in r.output
    r = wb("decisions", "list", *where, "--from", summaries_dir)
    assert r.exit_code == 0, r.output
    assert "as of 2025-11-30" in r.output and "approved       risk KV-002" in r.output
    r = wb("decisions", "list", *where, "--from", summaries_dir, "--as-of", "2026-07-01", "--json")
    data = json.loads(r.output)
    assert {e["subject_id"] for e in data["expired"]} == {"KV-002", "vacancy_rate"}
    assert [f["decision_id"] for f in data["flagged"]] == ["D2"]
    out = tmp_path / "decisions.xlsx"
    r = wb("decisions", "export", *where, "--out", out)
    assert r.exit_code == 0 and out.is_file() and "2 decision(s) written" in r.output
    r = wb("treatment", "add", *where, "--risk", "KV-002", "--action", "Drill boreholes", "--due", "2025-09-30",
           "--who", "Risk Officer")
    assert r.exit_code == 0 and "Action KV-002|2 added" in r.output
    r = wb("treatment", "list", *where, "--as-of", "2025-11-30")
    assert r.exit_code == 0 and "1 overdue" in r.output and "1 without an owner" in r.output
    assert "OVERDUE, NO OWNER" in r.output
    for step in (["submit", "risk-evaluation", "--who", "Lindiwe", "--role", "Risk champion"],
                 ["approve", "risk-evaluation", "--who", "Sipho Mokoena", "--role", "Municipal Manager"],
                 ["reopen", "risk-evaluation", "--who", "Lindiwe", "--reason", "KV-002 re-rated"]):
        r = wb("signoff", *step, *where)
        assert r.exit_code == 0, r.output
    r = wb("signoff", "show", "risk-evaluation", *where)
    assert "reopened (version 3)" in r.output and "reopened by Lindiwe: KV-002 re-rated" in r.output


def test_treatment_import_from_a_register_file(where, tmp_path):
    register = tmp_path / "register.csv"
    register.write_text("Risk ID,Description,Actions,Treatment owner,Due date,Progress\n"
                        "KV-002,Drought,Drill boreholes,Director Water,2025-09-30,40%\n"
                        "KV-005,Debtors,Appoint a collector,,2026-03-31,\n", encoding="utf-8")
    r = wb("treatment", "import", register, *where, "--who", "Risk Officer")
    assert r.exit_code == 0 and "2 added" in r.output, r.output
    r = wb("treatment", "list", *where, "--as-of", "2025-11-30", "--only", "overdue")
    assert "KV-002|1" in r.output and "KV-005|1" not in r.output


BAD = [
    (["decisions", "request", "KV-002"], "write it as KIND:ID"),
    (["decisions", "request", "risk:KV-004"], "do not say it is due"),
    (["decisions", "request", "risk:KV-002", "--expiry", "soon"], "is not a date"),
    (["decisions", "decide", "D7", "approve"], "there is no decision 'D7'"),
    (["decisions", "decide", "D1", "accept"], "choose approve, reject, withdraw or revoke"),
    (["decisions", "export", "--out", "x.pdf"], "choose a .xlsx, .csv or .json"),
    (["decisions", "list", "--from", "/nowhere/at/all"], "no such file or folder"),
    (["decisions", "list", "--as-of", "2025-13-01"], "is not a date"),
    (["treatment", "add", "--risk", "KV-002", "--action", "x", "--due", "tomorrow"], "is not a date"),
    (["treatment", "list", "--only", "late"], "choose all, overdue or unowned"),
    (["signoff", "submit", "risk-evaluations"], "unknown assessment"),
    (["signoff", "approve", "risk-evaluation", "--role", "Municipal Manager"], "never submitted"),
    (["signoff", "reopen", "risk-evaluation", "--reason", "x"], "nothing to reopen"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a[:3]) for a, _ in BAD])
def test_bad_input_is_refused_in_one_line(where, summaries_dir, args, message):
    wb("signoff", "submit", "coso-assessment", *where, "--who", "Lindiwe")  # the store exists
    extra = list(where) + ["--who", "A"]
    if args[:2] == ["decisions", "request"]:
        extra += ["--from", summaries_dir, "--why", "w", "--role", "Risk owner"]
        if "--expiry" not in args:
            extra += ["--expiry", "2026-06-30"]
    if args[:2] == ["decisions", "decide"]:
        extra += ["--role", "Municipal Manager"]
    if args[:2] in (["decisions", "export"], ["decisions", "list"], ["treatment", "list"]):
        extra.remove("--who")
        extra.remove("A")
    r = wb(*args, *extra)
    assert r.exit_code == 2, r.output
    assert message in r.output and len(r.output.strip().splitlines()) == 1, r.output


def test_a_summary_of_another_organisation_is_refused(where, summaries_dir):
    r = wb("decisions", "list", *where[:2], "--period", "2024-25", *where[4:], "--from", summaries_dir)
    assert r.exit_code == 2 and "not Karoo Vale Local Municipality, 2024-25" in r.output


def test_with_access_records_the_grant_says_who_decides_and_as_what(where, summaries_dir, monkeypatch):
    for name in ("WORKBOOK_USER", "WORKBOOK_APP", "SERVER_SOFTWARE"):
        monkeypatch.delenv(name, raising=False)
    store = where[where.index("--store") + 1]
    assert wb("access", "grant", "--user", "Ayanda", "--organisation", ORG, "--role", "admin", "--who", "Ayanda",
              "--first-admin", "--store", store).exit_code == 0
    for user, role, position in (("Thandi", "owner", ""), ("Sipho", "decider", "Municipal Manager")):
        r = wb("access", "grant", "--user", user, "--organisation", ORG, "--role", role, "--as", position,
               "--who", "Ayanda", "--store", store)
        assert r.exit_code == 0, r.output
    assert "decider (as Municipal Manager) of" in r.output
    r = wb("access", "list", "--organisation", ORG, "--who", "Ayanda", "--store", store)
    assert "Sipho" in r.output and "decider as Municipal Manager" in r.output
    r = wb("decisions", "request", "risk:KV-002", *where, "--from", summaries_dir, "--why", "no second source",
           "--expiry", "2030-06-30", "--who", "Thandi")
    assert r.exit_code == 0, r.output
    r = wb("decisions", "decide", "D1", "approve", *where, "--who", "Thandi")  # an owner does not decide
    assert r.exit_code == 2 and "Only a decision maker" in r.output
    r = wb("decisions", "decide", "D1", "approve", *where, "--who", "Sipho")  # no --role: the grant's position
    assert r.exit_code == 0, r.output
    assert "approved by Sipho (Municipal Manager)" in r.output and "Flagged" not in r.output
