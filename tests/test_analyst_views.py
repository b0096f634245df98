"""Expected rows for the analysts' and auditors' views: trend, reporting, targets, budget, changes, quality."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ANI, BUDI, CITRA, build_warehouse, query, write_roster

DEWI = "3302175507900004"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("analyst")
    raw = root / "raw"
    write_roster(
        raw / "2024-03" / "Batuanten.xlsx",
        {
            "RT RW": [
                [ANI, "Ani", "P", "Ketua RT 001", "Belum", ""],
                [BUDI, "Budi", "L", "Ketua RT 002", "Sudah", "12345678902"],
                [CITRA, "Citra", "L", "Ketua RW 01", "Belum", ""],
            ]
        },
    )
    write_roster(
        raw / "2024-04" / "Batuanten.xlsx",
        {
            "RT RW": [
                [ANI, "Ani", "P", "Ketua RT 001", "Sudah", "12345678901"],
                [BUDI, "Budi", "L", "Ketua RT 002", "Belum", ""],
                [DEWI, "Dewi", "P", "Ketua RW 01", "Belum", ""],
                ["123", "Rusak", "L", "Ketua RT 003", "Belum", ""],
            ]
        },
    )
    write_roster(
        raw / "2024-04" / "Karanglo.xlsx",
        {"BPD": [[CITRA, "Citra", "L", "Ketua BPD", "Sudah", "12345678903"]]},
        village="KARANGLO",
    )
    (raw / "2024-04" / "Cilongok").mkdir(parents=True)
    (raw / "2024-04" / "Cilongok" / "Pejogol.xlsx").write_bytes(b"")  # placed by its name, then rejected
    build_warehouse(raw, root / "cakupan.duckdb")
    return root / "cakupan.duckdb"


def test_coverage_trend_shows_the_change_since_the_previous_period(warehouse: Path) -> None:
    trend = "select period, group_code, coverage_pct, change_pct_points from coverage_trend order by all"
    assert query(warehouse, trend) == [
        ("2024-03", "RT_RW", 33.3, None),
        ("2024-04", "BPD", 100.0, None),
        ("2024-04", "RT_RW", 33.3, 0.0),
    ]


def test_submission_status_per_village_and_district(warehouse: Path) -> None:
    statuses = dict(
        query(
            warehouse,
            "select village_name, status from submission_status_by_village "
            "where period = '2024-04' and district_code = '33.02.17'",
        )
    )
    assert (statuses["Batuanten"], statuses["Karanglo"], statuses["Pejogol"], statuses["Cilongok"]) == (
        "submitted",
        "submitted",
        "rejected",
        "missing",
    )
    (cilongok,) = query(
        warehouse,
        "select villages_expected, villages_submitted, villages_rejected, completeness_pct,"
        " is_provisional from submission_status where period = '2024-04' "
        "and district_code = '33.02.17'",
    )
    assert cilongok == (len(statuses), 2, 1, round(200 / len(statuses), 1), True)
    assert query(warehouse, "select distinct is_provisional from coverage_by_district order by all") == [(True,)]


def test_target_progress_counts_the_latest_period_of_the_year(warehouse: Path) -> None:
    assert query(warehouse, "select * from target_progress order by all") == [
        (2024, "Kabupaten Banyumas", 40.0, 700_000, 2, 0.0, 279_998),
    ]


def test_budget_gap_costs_the_uncovered_at_the_rate_of_the_month(warehouse: Path) -> None:
    assert query(warehouse, "select * from budget_gap where period = '2024-04' order by all") == [
        ("2024-04", "33.02.17", "BPD", 0, 0, 0),
        ("2024-04", "33.02.17", "RT_RW", 2, 2 * 16_800, 12 * 2 * 16_800),
    ]


def test_village_changes_against_the_previous_submission(warehouse: Path) -> None:
    assert query(warehouse, "select * from village_changes order by all") == [
        ("2024-04", "33.02.17.2008", 1, 1, 1, 1, "2024-03"),
    ]


def test_data_quality_by_village(warehouse: Path) -> None:
    columns = "village_name, files_loaded, files_rejected, rows_loaded, rows_rejected, error_rate, top_check"
    rows = f"select {columns} from data_quality_by_village where period = '2024-04' order by all"
    assert query(warehouse, rows) == [
        ("Batuanten", 1, 0, 3, 1, 25.0, "nik_length"),
        ("Karanglo", 1, 0, 1, 0, 0.0, None),
        ("Pejogol", 0, 1, 0, 0, None, "file_rejected"),  # its only file was rejected: still a quality problem
    ]


def test_every_file_and_village_reconciles_from_rows_read_to_rows_counted(warehouse: Path) -> None:
    files = query(
        warehouse,
        "select village_name, status, rows_read, rows_loaded, rows_rejected, rows_skipped, rows_counted, "
        "rows_duplicate, rows_superseded, closes, alasan is not null from file_reconciliation "
        "where period = '2024-04' order by all",
    )
    assert files == [
        ("Batuanten", "loaded", 4, 3, 1, 0, 3, 0, 0, True, False),
        ("Karanglo", "loaded", 1, 1, 0, 0, 1, 0, 0, True, False),
        ("Pejogol", "rejected", 0, 0, 0, 0, 0, 0, 0, True, True),
    ]
    counted = query(warehouse, "select village_code, count(*) from roster where period = '2024-04' group by all")
    villages = query(
        warehouse,
        "select village_code, rows_counted from village_reconciliation where period = '2024-04' and rows_counted > 0",
    )
    assert sorted(villages) == sorted(counted)
