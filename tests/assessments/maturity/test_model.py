"""The maturity matrix as data: elements, statuses, the index, bands published and applied, notes, the
capacity items, and inconsistent matrix files refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.assessments.maturity.conftest import (
    IDS,
    LOADED,
    M,
)
from workbook_lib.assessments.maturity.model import Banding, MatrixError, applied_bands, load_matrix

# ---- the matrix file ----------------------------------------------------------------------------------------


def test_matrix_elements_counted_from_the_tables():
    assert M.element_count == 23  # the text says 22; Tables 4-6 list 23
    per = {a.id: len(a.elements) for a in M.assessments}
    assert per == {"A": 10, "B": 7, "C": 6}
    assert [a.name for a in M.assessments] == ["Risk governance", "Risk systems", "Risk processes"]
    groups = {a.id: [g.name for g in a.groups] for a in M.assessments}
    assert groups["A"] == ["Risk culture", "Risk strategy and appetite", "Risk governance"]
    assert groups["B"] == ["Resources and infrastructure", "Monitoring and reporting"]
    assert groups["C"] == ["Risk identification", "Risk assessment", "Risk management"]
    assert len(set(IDS)) == len(IDS)
    for a, _, e in M.elements:
        assert a.id in {"A", "B", "C"} and e.id.startswith(a.id)
        assert len(e.descriptions) == 3 and all(len(d.split()) >= 3 for d in e.descriptions)
        assert len(set(e.descriptions)) == 3, f"{e.id}: the three levels must read differently"


def test_matrix_statuses_marks_index_and_toolkit():
    assert [(s.mark, s.name) for s in M.statuses] == [(1, "fragmented"), (2, "integrated"), (3, "risk intelligent")]
    assert [lv.name for lv in M.index] == ["basic", "fragmented", "compliant", "integrated", "risk intelligent"]
    assert [lv.status for lv in M.index] == ["fragmented", "fragmented", "integrated", "integrated",
                                             "risk intelligent"]
    assert [M.status(s).toolkit for s in M.status_names] == ["Basic/Fragmented", "Compliant/Integrated",
                                                             "Compliant/Integrated"]
    steps = [(s.from_status, s.to_status, s.years_min, s.years_max) for s in M.roadmap.steps]
    assert steps == [("fragmented", "integrated", 1, 2), ("integrated", "risk intelligent", 2, 3)]
    assert (M.roadmap.planning_years.min, M.roadmap.planning_years.max) == (1, 5)


def test_matrix_bands_published_and_applied():
    assert M.banding.basis_elements == 22
    assert [(b.status, b.min, b.max) for b in M.banding.bands] == [
        ("fragmented", 22, 33), ("integrated", 34, 48), ("risk intelligent", 49, 66)]
    assert [(b.status, b.min, b.max) for b in M.bands] == [
        ("fragmented", 23, 34), ("integrated", 35, 50), ("risk intelligent", 51, 69)]
    # contiguous and covering every reachable total of the actual element count
    covered = [t for b in M.bands for t in range(b.min, b.max + 1)]
    assert covered == list(range(M.min_total, M.max_total + 1)) == list(range(23, 70))


def test_matrix_notes_record_the_decisions():
    topics = {n.topic for n in M.notes}
    assert {"element count", "status bands", "partial assessment", "capacity numbering"} <= topics
    bands = next(n.decision for n in M.notes if n.topic == "status bands")
    assert "23-34" in bands and "35-50" in bands and "51-69" in bands


def test_capacity_items_numbered_cleanly_with_the_guides_numbers_beside():
    items = M.capacity.items
    assert [i.id for i in items] == list(range(1, 12))
    assert [i.seed_ref.split()[0] for i in items] == ["1", "2", "3", "3", "5", "6", "7", "8", "9", "10", "12"]
    assert [i.section for i in items] == ["capacity"] * 3 + ["skills"] * 7 + ["budget"]
    assert [ln.name for ln in M.capacity.lines] == ["Risk owners", "Risk management", "Internal audit"]


def _broken(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(LOADED.path.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("change, message", [
    (lambda d: d["assessments"][1]["groups"][0]["elements"][0].update(id="A1"), "element id 'A1' is used twice"),
    (lambda d: d["assessments"][0]["groups"][0]["elements"][0]["descriptions"].pop(), "needs 3 non-empty"),
    (lambda d: d["assessments"][0]["groups"][0]["elements"][0].update(id="B99"), "its id must be A<number>"),
    (lambda d: d["banding"]["bands"][1].update(min=35), "leave a gap"),
    (lambda d: d["banding"]["bands"][1].update(min=30), "overlap"),
    (lambda d: d["banding"]["bands"][2].update(max=60), "highest band ends at 60"),
    (lambda d: d["banding"].update(rule="as_published"), "not at the lowest possible total 23"),
    (lambda d: d["capacity"]["items"][3].update(id=3), "numbered 1..11"),
    (lambda d: d.update(colour="red"), "Extra inputs are not permitted"),
])
def test_inconsistent_matrix_files_are_refused_naming_the_file(tmp_path, change, message):
    path = _broken(tmp_path, change)
    with pytest.raises(MatrixError) as info:
        load_matrix(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_unknown_matrix_name_and_unreadable_yaml(tmp_path):
    with pytest.raises(MatrixError, match="neither a shipped name"):
        load_matrix("no-such-matrix")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(MatrixError, match="not readable YAML"):
        load_matrix(bad)


def test_matrix_provenance():
    prov = LOADED.provenance()
    assert prov["name"] == "maturity-matrix" and len(prov["sha256"]) == 64


# ---- bands applied to other element counts ------------------------------------------------------------------


def test_proportional_bands_for_the_published_count_are_the_published_bands():
    assert [(b.min, b.max) for b in applied_bands(M.banding, M.statuses, 22)] == [(22, 33), (34, 48), (49, 66)]


@given(st.integers(min_value=3, max_value=300), st.data())
def test_proportional_bands_equal_the_mean_mark_rule(n, data):
    bands = applied_bands(M.banding, M.statuses, n)
    assert bands[0].min == n and bands[-1].max == 3 * n
    assert all(b.min <= b.max for b in bands)
    assert all(b2.min == b1.max + 1 for b1, b2 in zip(bands, bands[1:], strict=False))
    total = data.draw(st.integers(min_value=n, max_value=3 * n))
    by_band = next(b.status for b in bands if b.min <= total <= b.max)
    # mean mark thresholds equivalent to the published bands: 33/22 = 1.5 and 48/22
    by_mean = ("fragmented" if total * 22 <= 33 * n else "integrated" if total * 22 <= 48 * n
               else "risk intelligent")
    assert by_band == by_mean


def test_as_published_bands_are_kept_when_they_cover_the_count():
    banding = Banding(basis_elements=22, rule="as_published", bands=M.banding.bands)
    assert [(b.min, b.max) for b in applied_bands(banding, M.statuses, 22)] == [(22, 33), (34, 48), (49, 66)]
