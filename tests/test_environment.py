"""environment.yml and pyproject.toml list the same runtime dependencies; notebooks are stored clean."""

from __future__ import annotations

import json
import re
import tomllib

import yaml

from .conftest import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # conda-forge has no pip extras: "psycopg[binary]>=3.1" is "psycopg>=3.1" there
    runtime = {_name(r): re.sub(r"\[.*?\]", "", r.replace(" ", "")) for r in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d): d.replace(" ", "") for d in env["dependencies"] if isinstance(d, str)}
    conda.pop("python"), conda.pop("pip")
    assert conda == runtime, "environment.yml and pyproject.toml runtime dependencies drifted"


def test_security_lower_bounds():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "nbconvert>=7.17.1" in deps and "voila>=0.5.6" in deps


def test_notebooks_are_stored_clean_and_parameterised():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = json.loads(path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert not any(c.get("outputs") for c in code), f"{path.name} stored with outputs"
        tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: one cell tagged parameters"
        paired = path.with_suffix(".py")
        assert paired.is_file(), f"{path.name}: jupytext pair missing"
        first_code = "".join(tagged[0]["source"]).strip()
        assert first_code in paired.read_text(), f"{path.name}: .py pair out of sync"


def test_code_is_ruff_clean():
    import subprocess
    import sys
    from pathlib import Path

    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run([str(ruff), "check", "workbook_lib", "tests"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
