"""`workbook access grant|revoke|list|import|refusals`, and the CLI's writes checked with --who on a shared store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import PARAMETERS, ROOT
from workbook_lib.core.store import Store

WORKBOOK = [str(Path(sys.executable).parent / "workbook")]
BLUE, KAROO, PERIOD = "Blue Crane Route Municipality", "Karoo Vale Local Municipality", "2025-26"
REGISTER = PARAMETERS / "registers" / "karoo_vale_municipality_2025.csv"


def workbook(db: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"WORKBOOK_USER", "WORKBOOK_REQUIRE_USER", "WORKBOOK_USER_HEADER", "WORKBOOK_APP"}}
    return subprocess.run(WORKBOOK + list(args), cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**clean, "WORKBOOK_DB": str(db), **env})


def one_line_exit_2(result: subprocess.CompletedProcess, starts: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().startswith(starts), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_grant_list_revoke_import_and_a_write_refused_without_access(tmp_path):
    db = tmp_path / "store.db"
    assert "single-user mode" in workbook(db, "access", "list").stdout
    # the first admin, on the command line, only while the organisation has none
    one_line_exit_2(workbook(db, "access", "grant", "--user", "Ayanda", "--organisation", BLUE, "--role", "champion",
                             "--who", "Ayanda", "--first-admin"), "--first-admin grants the role admin")
    first = workbook(db, "access", "grant", "--user", "Ayanda", "--organisation", BLUE, "--role", "admin", "--who",
                     "Ayanda", "--first-admin")
    assert first.returncode == 0 and "admin of Blue Crane Route Municipality granted" in first.stdout, first.stderr
    one_line_exit_2(workbook(db, "access", "grant", "--user", "Eve", "--organisation", BLUE, "--role", "admin",
                             "--who", "Eve", "--first-admin"), f"{BLUE} has an administrator already")
    one_line_exit_2(workbook(db, "access", "grant", "--user", "Eve", "--organisation", BLUE, "--role", "boss",
                             "--who", "Ayanda"), "there is no role 'boss'")
    one_line_exit_2(workbook(db, "access", "grant", "--user", "Eve", "--organisation", BLUE, "--role", "champion",
                             "--who", "Eve"), f"You have no access to {BLUE}")
    grants = tmp_path / "grants.csv"
    grants.write_text(f"User,Organisation,Role,Note\nLindiwe,{BLUE},champion,risk champion\nRea,{BLUE},reader,\n")
    imported = workbook(db, "access", "import", str(grants), "--who", "Ayanda")
    assert imported.returncode == 0 and "2 granted" in imported.stdout, imported.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text(f"User,Organisation,Role\n,{BLUE},reader\nSam,{BLUE},boss\n")
    refused = workbook(db, "access", "import", str(bad), "--who", "Ayanda")
    assert refused.returncode == 2 and "2 problem(s) found; nothing was granted" in refused.stderr, refused.stderr
    listed = workbook(db, "access", "list", "--organisation", BLUE, "--who", "Rea").stdout
    assert "Lindiwe" in listed and "champion" in listed and "risk champion" in listed and "Sam" not in listed
    revoked = workbook(db, "access", "revoke", "--user", "Rea", "--organisation", BLUE, "--role", "reader",
                       "--who", "Ayanda")
    assert revoked.returncode == 0, revoked.stderr
    assert "Rea" not in workbook(db, "access", "list", "--organisation", BLUE, "--who", "Ayanda").stdout

    # a write through the CLI is checked with --who: refused without access, one line, exit 2, nothing saved
    def store_import(who: str) -> subprocess.CompletedProcess:
        return workbook(db, "store", "import", str(REGISTER), "-a", "risk-evaluation", "-m", "western-cape-5x5",
                        "--organisation", BLUE, "--period", PERIOD, "--who", who)

    no_access = store_import("Mallory")
    assert no_access.returncode == 2 and no_access.stderr.strip().endswith(
        f"You have no access to {BLUE}; ask its risk champion"), no_access.stderr
    assert store_import("Lindiwe").returncode == 0
    with Store(str(db), user="Lindiwe") as st:
        assert len(st.current(BLUE, PERIOD, "risk")) == 21
    # a read names its user with WORKBOOK_USER; nobody named: refused
    assert workbook(db, "store", "history", "--organisation", BLUE, WORKBOOK_USER="Lindiwe").returncode == 0
    one_line_exit_2(workbook(db, "store", "history", "--organisation", BLUE), "Nobody is signed in")
    trail = workbook(db, "access", "refusals", "--organisation", BLUE).stdout
    assert "Mallory" in trail and "Eve" in trail and "(nobody signed in)" in trail


def test_the_app_refuses_require_user_without_a_header(tmp_path):
    one_line_exit_2(workbook(tmp_path / "s.db", "app", "--require-user"), "--require-user needs --user-header")
    one_line_exit_2(workbook(tmp_path / "s.db", "app", "--user-header", "X User"), "--user-header 'X User'")
