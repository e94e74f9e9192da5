"""Shared by the combined-assurance tests: the example files and helpers building risks, maps and analyses."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from tests.conftest import PARAMETERS, ROOT
from workbook_lib.assessments.assurance.inputs import AssuranceMap, empty_map, validate_assurance_map
from workbook_lib.assessments.assurance.model import LoadedFramework
from workbook_lib.assessments.assurance.scoring import CombinedAssurance, analyse
from workbook_lib.core.tables import ROW, Table

DRAFT = PARAMETERS / "karoo-vale-2025-26.yaml"
MAP_CSV = PARAMETERS / "assurance" / "karoo_vale_assurance_map_2025.csv"
EXPECTED = ROOT / "tests" / "expected" / "combined-assurance--karoo-vale-2025-26.txt"


def _bands(western_cape):
    return list(western_cape.methodology.banding().bands)


def _risks(*rows: tuple) -> pd.DataFrame:
    """(risk_id, residual_score, residual_level, above_appetite) rows."""
    return pd.DataFrame(rows, columns=["risk_id", "residual_score", "residual_level", "above_appetite"])


def _map(rows: list[tuple], providers, fw, file: str = "map.csv") -> AssuranceMap:
    """(risk_id, control, provider, frequency) rows, numbered from 2 as in a file with a header."""
    frame = pd.DataFrame(rows, columns=["risk_id", "control", "provider", "frequency"], dtype=object)
    frame.insert(0, ROW, range(2, len(rows) + 2))
    return validate_assurance_map(Table(file, frame, 1), providers, fw.framework.frequencies)


def _analyse(risks, rows, fw, providers, western_cape, **kw) -> CombinedAssurance:
    amap = _map(rows, providers, fw) if rows else empty_map()
    return analyse(risks, amap, fw, providers, bands=_bands(western_cape), **kw)


def _with(fw: LoadedFramework, tmp_path: Path, change) -> Path:
    data = yaml.safe_load(fw.path.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
