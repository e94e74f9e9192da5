"""Hostile parameters and outputs: an alias bomb, a store a parameters file may not name, long names, debris."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from workbook_lib.assessments.risk.inputs import RiskEvaluationParams
from workbook_lib.batch.errors import RunFailed
from workbook_lib.batch.execute import folder_name, remove_stale_staging, safe_target
from workbook_lib.core.datafiles import MAX_YAML_VALUES, YamlRefused, load_yaml
from workbook_lib.core.errors import StoreError
from workbook_lib.core.params import ParameterError, load_file
from workbook_lib.core.store import Store

WORKBOOK = str(Path(sys.executable).parent / "workbook")
REGISTER = ROOT / "parameters" / "registers" / "karoo_vale_municipality_2025.csv"


def alias_bomb(levels: int = 9) -> str:
    """A 'billion laughs' YAML list: each level repeats the one before nine times (9**levels values)."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines)


def _params(folder: Path, extra: str) -> Path:
    path = folder / "p.yaml"
    path.write_text(f"organisation: Hostile Test\nperiod: 2025-26\nas_of: 2025-11-30\nmethodology: western-cape-5x5\n"
                    f"register: {REGISTER}\n{extra}\n", encoding="utf-8")
    return path


def test_an_alias_bomb_is_refused_before_it_is_built():
    start = time.perf_counter()
    with pytest.raises(YamlRefused, match=f"more than {MAX_YAML_VALUES:,} values"):
        load_yaml(alias_bomb())
    assert time.perf_counter() - start < 2
    assert load_yaml("a: &x [1, 2]\nb: *x\n") == {"a": [1, 2], "b": [1, 2]}  # a few aliases are fine


def test_workbook_run_refuses_a_parameters_alias_bomb_quickly_in_bounded_memory(tmp_path):
    bomb = _params(tmp_path, alias_bomb().replace("a0:", "partner_roles_base:", 1)
                   + f"\npartner_roles: *a{8}")
    out = tmp_path / "out"
    code = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True, "
            "timeout=120); print(r.returncode); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
            "sys.stderr.write(r.stderr)")
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code, WORKBOOK, "run", "risk-evaluation", "--params", str(bomb),
                             "--out", str(out)], capture_output=True, text=True, timeout=180)
    returncode, peak_kb = (int(x) for x in result.stdout.split())
    assert returncode == 2 and time.perf_counter() - start < 60
    assert peak_kb < 600_000, f"peak {peak_kb} kB"  # a guard: the figures are in bench/RESULTS.md
    assert "refused: the YAML expands to more than" in result.stderr
    assert len(result.stderr) < 2_000 and "lol" not in result.stderr  # the input is never echoed
    assert not out.exists() or not any(out.rglob("*"))


def test_a_parameters_file_may_name_only_an_allowed_store(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_DB", str(tmp_path / "configured.db"))
    monkeypatch.delenv("WORKBOOK_ALLOWED_STORES", raising=False)
    elsewhere = tmp_path / "elsewhere" / "planted.db"
    path = _params(tmp_path, f"source: store\nstore_url: {elsewhere}")
    with pytest.raises(ParameterError, match="store_url: not a store this installation allows"):
        load_file(path, RiskEvaluationParams)
    assert not elsewhere.exists() and not elsewhere.parent.exists()  # a refusal creates nothing
    monkeypatch.setenv("WORKBOOK_ALLOWED_STORES", f"sqlite:///{tmp_path / 'other.db'}, {elsewhere}")
    assert load_file(path, RiskEvaluationParams).store_url == str(elsewhere)
    monkeypatch.setenv("WORKBOOK_ALLOWED_STORES", "")
    configured = _params(tmp_path, f"source: store\nstore_url: {tmp_path / 'configured.db'}")
    assert load_file(configured, RiskEvaluationParams).source == "store"


def test_reading_a_store_never_creates_one_and_a_non_database_is_a_clear_error(tmp_path):
    missing = tmp_path / "none.db"
    with pytest.raises(StoreError, match="there is no store at"):
        Store(str(missing), create=False)
    assert not missing.exists()
    text = tmp_path / "notes.db"
    text.write_text("this is a text file, not a database\n" * 50)
    with pytest.raises(StoreError, match="not a usable workbook store"):
        Store(str(text))


def test_long_names_are_cut_with_a_hash_and_never_collide(tmp_path):
    long_a, long_b = "A" * 150 + " municipality", "A" * 150 + " district"
    a, b = folder_name(long_a), folder_name(long_b)
    assert len(a) <= 80 and len(b) <= 80 and a != b
    assert folder_name("Karoo Vale") == "Karoo-Vale" and folder_name("../../x") == "x"
    target = safe_target(tmp_path, "O" * 300, "P" * 300)
    target.mkdir(parents=True)  # ENAMETOOLONG before the change
    assert target.is_relative_to(tmp_path)


def test_out_pointing_at_a_file_is_refused(tmp_path):
    a_file = tmp_path / "report.txt"
    a_file.write_text("not a folder")
    with pytest.raises(RunFailed, match="is a file, not a folder"):
        safe_target(a_file, "O", "P")


def test_stale_staging_of_a_killed_run_is_removed_and_a_live_one_kept(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".staging-risk-evaluation-{dead.pid}-abc"
    live = tmp_path / f".staging-risk-evaluation-{os.getpid()}-def"
    other = tmp_path / f".staging-coso-assessment-{dead.pid}-ghi"
    for folder in (stale, live, other):
        folder.mkdir()
        (folder / "risk-evaluation.json").write_text("{}")
    remove_stale_staging(tmp_path, "risk-evaluation")
    assert not stale.exists() and live.exists() and other.exists()


def test_a_run_leaves_no_staging_and_no_temporary_files(tmp_path):
    out, tmp = tmp_path / "out", tmp_path / "tmp"
    tmp.mkdir()
    params = ROOT / "parameters" / "karoo-vale-2025-26.yaml"
    result = subprocess.run([WORKBOOK, "run", "risk-evaluation", "--params", str(params), "--out", str(out)],
                            capture_output=True, text=True, timeout=600, env={**os.environ, "TMPDIR": str(tmp)})
    assert result.returncode == 0, result.stderr
    left = [p.name for p in out.rglob("*") if p.name.startswith((".staging", "openpyxl", "tmp"))]
    assert left == []
    assert not [p for p in tmp.iterdir() if p.name.startswith("openpyxl")]


def test_batch_with_out_naming_a_file_is_one_clear_line(tmp_path):
    a_file = tmp_path / "report.txt"
    a_file.write_text("not a folder")
    params = ROOT / "parameters" / "mopac-met-2020.yaml"
    result = subprocess.run([WORKBOOK, "batch", str(params), "--out", str(a_file)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"{a_file} is a file, not a folder: choose a folder for the outputs (--out)"
