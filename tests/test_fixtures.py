"""The hand-made worst cases in tests/fixtures/, each through the pipeline's steps."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from tests.helpers import build_warehouse
from tests.helpers import query as rows

FIXTURES = Path(__file__).parent / "fixtures"
PLACES = {
    "2024-04/two_row_header_title_in_next_cell.xlsx": "two_row_header_title_in_next_cell.xlsx",
    "2024-04/semicolon_windows1252_ttl.csv": "semicolon_windows1252_ttl.csv",
    "2024-04/html_posing_as.xls": "html_posing_as.xls",
    "2024-04/Desa Kosong/empty.xlsx": "empty.xlsx",
    "2024-04/corrupt_zip.xlsx": "corrupt_zip.xlsx",
    "2024-04/password_protected.xlsx": "password_protected.xlsx",
    "2024-04/far_cell_xfd1048576.xlsx": "far_cell_xfd1048576.xlsx",
    "2024-03/libreoffice_per_group.xls": "libreoffice_per_group.xls",
    "2024-02/libreoffice_per_group.ods": "libreoffice_per_group.ods",
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fixtures")
    for target, name in PLACES.items():
        (root / "raw" / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / name, root / "raw" / target)
    build_warehouse(root / "raw", root / "cakupan.duckdb")
    return root / "cakupan.duckdb"


def test_file_statuses_and_reasons(warehouse: Path) -> None:
    got = {f: (s, r) for f, s, r in rows(warehouse, "select source_file, status, reason from ingested_files")}
    assert {f: s for f, (s, _) in got.items()} == {
        "2024-04/two_row_header_title_in_next_cell.xlsx": "loaded",
        "2024-04/semicolon_windows1252_ttl.csv": "loaded",
        "2024-04/html_posing_as.xls": "loaded",
        "2024-04/Desa Kosong/empty.xlsx": "rejected",
        "2024-04/corrupt_zip.xlsx": "rejected",
        "2024-04/password_protected.xlsx": "rejected",
        "2024-04/far_cell_xfd1048576.xlsx": "rejected",
        "2024-03/libreoffice_per_group.xls": "loaded",
        "2024-02/libreoffice_per_group.ods": "loaded",
    }
    assert "empty" in got["2024-04/Desa Kosong/empty.xlsx"][1]
    assert "damaged" in got["2024-04/corrupt_zip.xlsx"][1]
    assert "password-protected" in got["2024-04/password_protected.xlsx"][1]
    assert "row 1048576" in got["2024-04/far_cell_xfd1048576.xlsx"][1]


def test_two_row_header_file_rows_are_each_accounted_for(warehouse: Path) -> None:
    (counts,) = rows(
        warehouse,
        "select rows_read, rows_loaded, rows_rejected, rows_skipped from ingested_files "
        "where source_file like '%two_row_header%'",
    )
    assert counts == (8, 2, 1, 5)
    assert rows(
        warehouse, "select sheet, status from ingested_sheets where source_file like '%two_row_header%' order by sheet"
    ) == [("RT-RW", "roster"), ("Rekap", "ignored"), ("Sheet1", "ignored")]
    assert rows(
        warehouse,
        "select source_row, check_name from validation_failures where severity = 'error' "
        "and source_file like '%two_row_header%'",
    ) == [(10, "nik_scientific_notation")]


def test_coverage_from_the_worst_cases(warehouse: Path) -> None:
    got = pl.DataFrame(
        rows(
            warehouse,
            "select period, village_name, group_code, members, enrolled from coverage_by_village order by all",
        ),
        schema=["period", "village", "group", "members", "enrolled"],
        orient="row",
    )
    assert got.rows() == [
        ("2024-02", "Batuanten", "BPD", 1, 1),
        ("2024-02", "Batuanten", "LINMAS", 1, 1),
        ("2024-03", "Batuanten", "BPD", 1, 1),
        ("2024-03", "Batuanten", "LINMAS", 1, 1),
        ("2024-04", "Batuanten", "RENTAN", 1, 1),
        ("2024-04", "Batuanten", "RT_RW", 2, 1),
        ("2024-04", "Karangklesem", "LINMAS", 1, 1),
    ]
    assert rows(
        warehouse, "select check_name from validation_failures where source_file like '%.csv' and severity = 'error'"
    ) == [("bpd_in_kelurahan",)]


def test_a_per_group_file_with_generic_posts_takes_its_group_from_the_file_name(tmp_path: Path) -> None:
    from tests.helpers import ANI, BUDI, write_roster

    raw = tmp_path / "raw"
    write_roster(
        raw / "2024-04" / "Batuanten - LINMAS.xlsx",
        {"Sheet1": [[ANI, "Ani", "P", "Anggota", "Sudah", "1"], [BUDI, "Budi", "L", "", "Belum", ""]]},
    )
    build_warehouse(raw, tmp_path / "c.duckdb")
    assert rows(tmp_path / "c.duckdb", "select group_code, members, enrolled from coverage_by_group") == [
        ("LINMAS", 2, 1)
    ]
