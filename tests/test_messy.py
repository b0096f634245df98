"""The messy corpus: every quirk of the contract, with known truth, through the pipeline's steps."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from flows.settings import BANYUMAS_REGENCY_CODE, state_path_for
from flows.store.catalog import table_docs
from flows.store.reference import load_villages
from tests.conftest import SMALL_VILLAGES
from tests.helpers import assert_reasons_catalogued, build_warehouse, frame
from tools.messy import Expected, write_messy_zone

MESSY_VILLAGES = tuple(sorted({*load_villages(region=BANYUMAS_REGENCY_CODE)["village_code"].head(36), *SMALL_VILLAGES}))


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Expected]:
    root = tmp_path_factory.mktemp("messy")
    expected = write_messy_zone(root / "raw", seed=7, village_codes=MESSY_VILLAGES)
    build_warehouse(root / "raw", root / "cakupan.duckdb")
    return root / "cakupan.duckdb", expected


def coverage_truth(people: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    districts = load_villages(region=BANYUMAS_REGENCY_CODE).select("village_code", "district_code")
    return (
        people.join(districts, on="village_code")
        .group_by(*keys, "nik")
        .agg(pl.col("enrolled").any())
        .group_by(keys)
        .agg(members=pl.len().cast(pl.Int64), enrolled=pl.col("enrolled").sum().cast(pl.Int64))
        .sort(keys)
    )


def test_the_corpus_has_every_format_and_special_file(messy: tuple[Path, Expected]) -> None:
    _, expected = messy
    suffixes = set(expected.files["source_file"].str.extract(r"(\.[a-z]+#?)$"))
    assert {".xlsx", ".csv", ".xls"} <= suffixes
    assert set(expected.files["status"]) == {"loaded", "rejected", "ignored"}
    assert expected.rejected_rows.height > 20


@pytest.mark.parametrize(
    ("view", "keys"),
    [
        ("coverage_by_group", ["period", "group_code"]),
        ("coverage_by_district", ["period", "district_code"]),
        ("coverage_by_district_group", ["period", "district_code", "group_code"]),
        ("coverage_by_village", ["period", "village_code", "group_code"]),
    ],
)
def test_coverage_is_exact(messy: tuple[Path, Expected], view: str, keys: list[str]) -> None:
    warehouse, expected = messy
    got = frame(warehouse, f"select {', '.join(keys)}, members, enrolled from {view} order by all")
    assert got.equals(coverage_truth(expected.people, keys))


def test_exactly_the_bad_rows_are_rejected_for_the_right_reason(messy: tuple[Path, Expected]) -> None:
    warehouse, expected = messy
    got = frame(
        warehouse,
        "select source_file, sheet, source_row, list(check_name order by check_name) as checks "
        "from validation_failures where severity = 'error' and source_row is not null group by all",
    )
    want = expected.rejected_rows.with_columns(pl.col("source_row").cast(pl.Int32))
    joined = want.join(got, on=["source_file", "sheet", "source_row"], how="full", coalesce=True)
    assert joined.filter(pl.col("checks").is_null() | pl.col("check_name").is_null()).is_empty()
    assert joined.filter(~pl.col("checks").list.contains(pl.col("check_name"))).is_empty()


def test_every_file_gets_its_status_and_every_row_is_accounted_for(messy: tuple[Path, Expected]) -> None:
    warehouse, expected = messy
    files = frame(warehouse, "select * from ingested_files")
    statuses = expected.files.join(
        files.select("source_file", "status"), on="source_file", how="full", suffix="_got", coalesce=True
    )
    assert statuses.filter(pl.col("status") != pl.col("status_got")).is_empty()
    assert statuses.filter(pl.col("status").is_null() | pl.col("status_got").is_null()).is_empty()
    loaded = files.filter(pl.col("status") == "loaded")
    assert loaded.filter(
        pl.col("rows_read") != pl.col("rows_loaded") + pl.col("rows_rejected") + pl.col("rows_skipped")
    ).is_empty()
    rejected_per_file = expected.rejected_rows.group_by("source_file").len()
    counts = loaded.join(rejected_per_file, on="source_file", how="left").with_columns(pl.col("len").fill_null(0))
    assert counts.filter(pl.col("rows_rejected") != pl.col("len")).is_empty()
    reasons = dict(files.filter(pl.col("status") != "loaded").select("source_file", "reason").iter_rows())
    assert "empty" in reasons["2024-04/Desa Kosong.xlsx"]
    assert "password-protected" in reasons["2024-04/Dikunci.xlsx"]
    assert "lock file" in reasons["2024-04/~$Batuanten.xlsx"]
    assert "ANTAH BERANTAH" in reasons["2024-04/Antah Berantah.xlsx"]
    assert_reasons_catalogued(state_path_for(warehouse))
    # validation_failures is empty on the clean demo zone: its grain is checked here
    grain = next(doc for doc in table_docs() if doc.name == "validation_failures").grain
    failures = frame(warehouse, "select * from validation_failures")
    assert failures.height > 100 and not failures.select(grain).is_duplicated().any()
    reconciled = frame(warehouse, "select * from file_reconciliation")
    assert reconciled.height == files.height and reconciled["closes"].all()


def test_non_roster_sheets_are_recorded_as_ignored(messy: tuple[Path, Expected]) -> None:
    warehouse, _ = messy
    sheets = frame(warehouse, "select sheet, status, reason from ingested_sheets where status = 'ignored'")
    assert set(sheets["sheet"]) & {"Rekap", "Sheet2", "Sheet3"}
    assert sheets["reason"].is_not_null().all()
