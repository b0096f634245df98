"""Files that compete for one (period, village, group): conflicts within a run, supersession across runs.

The auditor sees both sides of a conflict, each naming the other; the file that does not count
says `superseded` and by which file, for all its groups or for some only.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.helpers import ANI, BUDI, CITRA, build_warehouse, query, write_roster

RT = [[ANI, "Ani", "P", "Ketua RT 001", "Sudah", "12345678901"]]
RT_OTHER = [[BUDI, "Budi", "L", "Ketua RT 002", "Belum", ""]]
BPD = [[CITRA, "Citra", "L", "Ketua BPD", "Sudah", "12345678903"]]


def aged(path: Path, seconds_ago: int) -> None:
    stamp = path.stat().st_mtime - seconds_ago
    os.utime(path, (stamp, stamp))


def files(warehouse: Path) -> dict[str, tuple[object, ...]]:
    rows = query(warehouse, "select source_file, status, reason, alasan from ingested_files")
    return {str(row[0]).rpartition("/")[2]: row[1:] for row in rows}


def conflicts(warehouse: Path) -> set[tuple[object, ...]]:
    sql = (
        "select source_file, failure_value, is_current from validation_failures "
        "where check_name = 'file_conflict' and period = '2024-04'"
    )
    return {(str(a).rpartition("/")[2], str(b).rpartition("/")[2], c) for a, b, c in query(warehouse, sql)}


def test_two_files_of_one_run_for_one_group_are_a_conflict_reported_on_both(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten.xlsx", {"RT RW": RT, "BPD": BPD})
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten RT revisi.xlsx", {"RT RW": RT_OTHER})
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten salinan.xlsx", {"BPD": BPD})
    aged(raw / "2024-04" / "Cilongok" / "Batuanten.xlsx", 600)
    aged(raw / "2024-04" / "Cilongok" / "Batuanten salinan.xlsx", 1200)
    build_warehouse(raw, warehouse)

    seen = files(warehouse)
    # superseded for RT_RW only: its BPD still counts, and it says so
    status, reason, alasan = seen["Batuanten.xlsx"]
    assert status == "loaded"
    assert reason == "superseded for RT_RW by 2024-04/Cilongok/Batuanten RT revisi.xlsx"
    assert alasan.startswith("Sebagian digantikan: kelompok RT/RW oleh berkas 2024-04/Cilongok/Batuanten RT revisi")
    # the copy that only had BPD lost it to the newer file: superseded, and by what
    assert seen["Batuanten salinan.xlsx"][:2] == ("superseded", "superseded by 2024-04/Cilongok/Batuanten.xlsx")
    assert seen["Batuanten salinan.xlsx"][2].startswith("Digantikan oleh berkas 2024-04/Cilongok/Batuanten.xlsx")
    assert seen["Batuanten RT revisi.xlsx"][:2] == ("loaded", "loaded: read, checked and counted")
    # every conflict is reported on both files, each naming the other
    assert conflicts(warehouse) == {
        ("Batuanten.xlsx", "Batuanten RT revisi.xlsx", True),
        ("Batuanten RT revisi.xlsx", "Batuanten.xlsx", True),
        ("Batuanten.xlsx", "Batuanten salinan.xlsx", True),
        ("Batuanten salinan.xlsx", "Batuanten.xlsx", True),
    }
    figures = query(warehouse, "select group_code, members, enrolled from coverage_by_group order by all")
    assert figures == [("BPD", 1, 1), ("RT_RW", 1, 0)]  # the newest file for each group counts


def test_a_correction_in_a_later_run_supersedes_without_a_conflict(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    first = raw / "2024-04" / "Cilongok" / "Batuanten.xlsx"
    write_roster(first, {"RT RW": RT})
    build_warehouse(raw, warehouse)
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten perbaikan.xlsx", {"RT RW": RT_OTHER})
    build_warehouse(raw, warehouse)

    seen = files(warehouse)
    assert seen["Batuanten.xlsx"][:2] == ("superseded", "superseded by 2024-04/Cilongok/Batuanten perbaikan.xlsx")
    assert seen["Batuanten perbaikan.xlsx"][:2] == ("loaded", "loaded: read, checked and counted")
    assert conflicts(warehouse) == set()


def test_a_conflict_resolved_by_a_later_file_is_history(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten.xlsx", {"RT RW": RT})
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten 2.xlsx", {"RT RW": RT_OTHER})
    build_warehouse(raw, warehouse)
    assert {current for _, _, current in conflicts(warehouse)} == {True}
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten final.xlsx", {"RT RW": [*RT, *RT_OTHER]})
    build_warehouse(raw, warehouse)
    assert {current for _, _, current in conflicts(warehouse)} == {False}


def test_a_full_refresh_reads_old_files_again_without_inventing_conflicts(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten.xlsx", {"RT RW": RT})
    build_warehouse(raw, warehouse)
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten revisi.xlsx", {"RT RW": RT_OTHER})
    build_warehouse(raw, warehouse)
    assert conflicts(warehouse) == set()
    from flows.regency_run import run_pipeline
    from flows.run_options import RunOptions
    from flows.settings import Settings

    settings = Settings(raw, warehouse, workers=1, quiet_seconds=0)
    run_pipeline(settings, "refresh", RunOptions(allow_empty=True, full_refresh=True))
    assert conflicts(warehouse) == set()  # one run read both again; they arrived in two
    seen = files(warehouse)
    assert seen["Batuanten.xlsx"][:2] == ("superseded", "superseded by 2024-04/Cilongok/Batuanten revisi.xlsx")


def test_a_file_whose_every_group_another_file_replaced_says_nothing_of_it_counts(tmp_path: Path) -> None:
    """Its BPD replaced by one file and its RT/RW by another: it said "Sebagian digantikan ... Kelompok lain dari
    berkas ini tetap dihitung" (some groups still count), while none did."""
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten.xlsx", {"RT RW": RT, "BPD": BPD})
    build_warehouse(raw, warehouse)
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten RT revisi.xlsx", {"RT RW": RT_OTHER})
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten BPD revisi.xlsx", {"BPD": BPD})
    build_warehouse(raw, warehouse)
    status, reason, alasan = files(warehouse)["Batuanten.xlsx"]
    assert status == "superseded"
    assert reason == (
        "superseded: BPD by 2024-04/Cilongok/Batuanten BPD revisi.xlsx; "
        "RT_RW by 2024-04/Cilongok/Batuanten RT revisi.xlsx"
    )
    assert str(alasan).startswith("Digantikan: kelompok BPD oleh berkas 2024-04/Cilongok/Batuanten BPD revisi.xlsx")
    assert str(alasan).endswith("berkas ini tidak dihitung lagi.") and "tetap dihitung" not in str(alasan)
