"""Expected rows at the regency level: a run over several regencies, and the regency views."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.settings import ConfigError, load_settings
from flows.store import reference
from tests.helpers import ANI, BUDI, CITRA, build_warehouse, query, write_roster

TWO_REGENCIES = "33.01,33.02"


def test_a_run_covers_a_set_of_regencies_with_regency_figures(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(  # Kabupaten Banyumas
        raw / "2024-04" / "Batuanten.xlsx",
        {
            "RT RW": [
                [ANI, "Ani", "P", "Ketua RT 001", "Sudah", "12345678901"],
                [BUDI, "Budi", "L", "Ketua RW 01", "Belum", ""],
            ]
        },
    )
    write_roster(  # Kabupaten Cilacap: Ani holds a post there too, not enrolled on that roster
        raw / "2024-04" / "Tambakreja.xlsx",
        {
            "LINMAS": [
                [ANI, "Ani", "P", "Linmas", "Belum", ""],
                [CITRA, "Citra", "L", "Linmas", "Sudah", "12345678903"],
            ],
        },
        village="TAMBAKREJA",
        district="KEDUNGREJA",
    )
    summary = build_warehouse(raw, warehouse, region=TWO_REGENCIES)
    assert summary.counts["files_loaded"] == 2

    assert query(warehouse, "select * from regencies order by all") == [
        ("33.01", "Kabupaten Cilacap"),
        ("33.02", "Kabupaten Banyumas"),
    ]
    # one village of hundreds reported in each: the regency figures are provisional
    assert query(warehouse, "select * from coverage_by_regency order by all") == [
        ("2024-04", "33.01", "Kabupaten Cilacap", 2, 1, 50.0, True),
        ("2024-04", "33.02", "Kabupaten Banyumas", 2, 1, 50.0, True),
    ]
    assert query(
        warehouse, "select regency_code, group_code, members, enrolled from coverage_by_regency_group order by all"
    ) == [
        ("33.01", "LINMAS", 2, 1),
        ("33.02", "RT_RW", 2, 1),
    ]
    # across the province a person counts once per group, as before
    assert query(warehouse, "select group_code, members, enrolled from coverage_by_group order by all") == [
        ("LINMAS", 2, 1),
        ("RT_RW", 2, 1),
    ]
    expected = {code: reference.load_villages(region=code).height for code in ("33.01", "33.02")}
    districts = {code: reference.load_districts(region=code).height for code in ("33.01", "33.02")}
    assert query(
        warehouse,
        "select regency_code, districts, villages_expected, villages_submitted, villages_rejected, completeness_pct "
        "from submission_status_by_regency order by all",
    ) == [(code, districts[code], expected[code], 1, 0, round(100 / expected[code], 1)) for code in ("33.01", "33.02")]
    assert query(warehouse, "select count(*) from villages") == [(sum(expected.values()),)]


def test_a_regency_figure_is_not_provisional_once_enough_villages_reported(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "1"]]})
    build_warehouse(raw, warehouse, provisional_below_pct=0.0)
    assert query(warehouse, "select regency_code, is_provisional from coverage_by_regency") == [("33.02", False)]
    assert query(warehouse, "select regency_code, is_provisional from submission_status_by_regency") == [
        ("33.02", False)
    ]


@pytest.mark.parametrize("region", ["33", "33.02", "33.01,33.02,33.03", "33.01, 33.02"])
def test_a_region_is_a_province_a_regency_or_a_list_of_them(region: str) -> None:
    assert load_settings(environ={"CAKUPAN_REGION": region}).region == region


def test_a_region_list_with_a_name_is_refused() -> None:
    with pytest.raises(ConfigError, match="or a list"):
        load_settings(environ={"CAKUPAN_REGION": "33.01,Banyumas"})
