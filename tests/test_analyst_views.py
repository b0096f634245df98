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
        "terkirim",
        "terkirim",
        "ditolak",
        "belum_mengirim",
    )
    (cilongok,) = query(
        warehouse,
        "select villages_expected, villages_submitted, villages_rejected, completeness_pct,"
        " is_provisional from submission_status where period = '2024-04' "
        "and district_code = '33.02.17'",
    )
    assert cilongok == (len(statuses), 2, 1, round(200 / len(statuses), 1), True)
    assert query(warehouse, "select distinct is_provisional from coverage_by_district order by all") == [(True,)]


def test_target_progress_per_group_and_the_regency_target_as_context(warehouse: Path) -> None:
    # group_targets.csv: BPD and RT/RW 100% by 2025-12; RT_RW in April: 3 members, 1 enrolled
    assert query(
        warehouse,
        "select period, group_code, target_pct, due_period, members, enrolled, gap_people, months_left, "
        "people_per_month from target_progress order by all",
    ) == [
        ("2024-03", "RT_RW", 100.0, "2025-12", 3, 1, 2, 21, 1),
        ("2024-04", "BPD", 100.0, "2025-12", 1, 1, 0, 20, 0),
        ("2024-04", "RT_RW", 100.0, "2025-12", 3, 1, 2, 20, 1),
    ]
    ((year, target_people, period, enrolled, share, reading),) = query(
        warehouse,
        "select year, target_people, roster_period, roster_enrolled, roster_contribution_pct, reading "
        "from regency_target_context",
    )
    assert (year, target_people, period, enrolled, share) == (2024, 280_000, "2024-04", 2, 0.0)
    assert reading.startswith("context only")


def test_budget_gap_costs_the_uncovered_at_the_rate_of_the_month(warehouse: Path) -> None:
    assert query(
        warehouse,
        "select period, district_code, district_name, group_code, group_label, uncovered, monthly_cost_idr, "
        "annual_cost_idr from budget_gap where period = '2024-04' order by all",
    ) == [
        ("2024-04", "33.02.17", "Cilongok", "BPD", "Anggota BPD", 0, 0, 0),
        ("2024-04", "33.02.17", "Cilongok", "RT_RW", "Pengurus RT/RW", 2, 2 * 16_800, 12 * 2 * 16_800),
    ]
    assert query(warehouse, "select * from budget_gap_total where period = '2024-04' order by all") == [
        ("2024-04", "kabupaten", None, None, 4, 2, 2 * 16_800, 12 * 2 * 16_800, None, None, None),
        ("2024-04", "kecamatan", "33.02.17", "Cilongok", 4, 2, 2 * 16_800, 12 * 2 * 16_800, None, None, None),
    ]  # no BPJS export verifies the month: no gap as BPJS sees it


def test_village_changes_against_the_previous_submission(warehouse: Path) -> None:
    assert query(warehouse, "select * from village_changes order by all") == [
        ("2024-04", "33.02.17", "Cilongok", "33.02.17.2008", "Batuanten", 1, 1, 1, 1, "2024-03"),
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
        ("Batuanten", "dimuat", 4, 3, 1, 0, 3, 0, 0, True, True),
        ("Karanglo", "dimuat", 1, 1, 0, 0, 1, 0, 0, True, True),
        ("Pejogol", "ditolak", 0, 0, 0, 0, 0, 0, 0, True, True),
    ]
    counted = query(warehouse, "select village_code, count(*) from roster where period = '2024-04' group by all")
    villages = query(
        warehouse,
        "select village_code, rows_counted from village_reconciliation where period = '2024-04' and rows_counted > 0",
    )
    assert sorted(villages) == sorted(counted)


def test_every_file_and_sheet_says_what_became_of_it_in_both_languages(warehouse: Path) -> None:
    """Issue 27: a loaded file had reason '' and alasan null; every status now says why, in English and Indonesian."""
    for table in ("ingested_files", "ingested_sheets", "file_reconciliation"):
        unsaid = query(
            warehouse,
            f"select status, count(*) from {table} where coalesce(reason, '') = '' or coalesce(alasan, '') = '' "
            "group by all",
        )
        assert unsaid == [], (table, unsaid)
    statuses = {status for (status,) in query(warehouse, "select distinct status from ingested_files")}
    assert {"loaded", "rejected"} <= statuses
    (loaded,) = query(
        warehouse, "select distinct alasan from ingested_files where status = 'loaded' and rows_superseded = 0"
    )
    assert loaded == ("dimuat: berkas sudah dibaca, diperiksa dan dihitung",)
