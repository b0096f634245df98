"""The reference tables cakupan keeps itself: groups and per-group targets, refused when they do not make sense."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.settings import REFERENCE_DIR
from flows.store.reference import load_group_targets, load_groups

HEADER = "group_code,target_pct,due_period,valid_from,valid_to,source,set_by\n"


def reference_with(tmp_path: Path, targets: str) -> Path:
    """A reference folder with these target rows (set by the regency unless a row names who set it)."""
    shutil.copy(REFERENCE_DIR / "groups.csv", tmp_path / "groups.csv")
    rows = "".join((row if row.count(",") == 6 else f"{row},regency") + "\n" for row in targets.splitlines())
    (tmp_path / "group_targets.csv").write_text(HEADER + rows)
    return tmp_path


def test_every_group_has_an_indonesian_label_and_the_shipped_targets_load() -> None:
    groups = load_groups()
    assert groups["group_code"].to_list() == ["BPD", "RT_RW", "LKD", "LINMAS", "RENTAN"]
    assert groups.filter(groups["desa_only"])["group_code"].to_list() == ["BPD"]
    targets = load_group_targets()
    assert set(targets["group_code"]) == {"BPD", "RT_RW", "LINMAS"}
    assert targets["set_by"].to_list() == ["example"] * 3  # the regency replaces them with its own


def test_a_target_changed_by_closing_its_row_loads(tmp_path: Path) -> None:
    rows = "BPD,80,2024-12,2024-01-01,2024-06-30,first\nBPD,100,2025-12,2024-07-01,,second\n"
    assert load_group_targets(reference_with(tmp_path, rows))["target_pct"].to_list() == [80.0, 100.0]


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ("BPD,80,2024-12,2024-01-01,,a\nBPD,100,2025-12,2024-07-01,,b\n", "overlapping validity for ['BPD']"),
        ("BPD,80,2024-12,2024-01-01,2024-07-01,a\nBPD,100,2025-12,2024-07-01,,b\n", "overlapping validity"),
        ("RT,100,2025-12,2024-01-01,,a\n", "unknown group_code ['RT']"),
        ("LINMAS,140,2025-12,2024-01-01,,a\n", "target_pct outside 0-100"),
        ("LINMAS,100,12/2025,2024-01-01,,a\n", "due_period not written YYYY-MM"),
        ("LINMAS,100,2025-12,2024-01-01,,a,kabupaten\n", "set_by not 'regency' or 'example'"),
    ],
)
def test_targets_that_make_no_sense_are_refused(tmp_path: Path, rows: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        load_group_targets(reference_with(tmp_path, rows))
