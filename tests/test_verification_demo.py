"""Verified coverage on the demo's BPJS exports for the whole regency, against the generator's truth.

The generator (tools/bpjs_exports.py) plants every kind of disagreement and knows each
person's status; the pipeline must find exactly that, and reproduce the seed's money:
vulnerable workers' contributions of Rp 500 million in 2022 and in 2023, and claims of
Rp 1.5 billion (2022) and Rp 2.5 billion (2023). Two months: a vulnerable worker who paid
in 2022 and left before April is on the earlier month's roster only, and is counted in the
group from there. (No NIK in the analyst file is checked on the smaller zones of
tests/test_verification.py and tests/test_flow.py: scanning every column here costs 40 s.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import polars as pl
import pytest

from flows.store.pii import PII_KEY_ENV
from tests.helpers import build_warehouse, frame
from tools.bpjs_exports import BpjsTruth, write_bpjs_exports
from tools.generate import build_people, write_landing_zone

KEY = "a test key for person_id"
PERIODS = ("2024-03", "2024-04")  # two months: a worker who left before April is on March's roster
WARNINGS = {
    "nik_missing": "nik_kosong_di_bpjs",
    "nik_differs": "nik_berbeda",
    "name_differs": "nama_berbeda",
    "birth_date_differs": "tanggal_lahir_berbeda",
}


def person_id(nik: str) -> str:
    digest = hmac.new(KEY.encode(), nik.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:43]


@pytest.fixture(scope="module")
def regency(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BpjsTruth]:
    raw = tmp_path_factory.mktemp("bpjs") / "raw"
    write_landing_zone(raw, seed=42, periods=PERIODS, workers=2)
    truth = write_bpjs_exports(raw, build_people(42, len(PERIODS)), PERIODS, seed=42)
    warehouse = raw.parent / "cakupan.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PII_KEY_ENV, KEY)
        build_warehouse(raw, warehouse, workers=2)
    return warehouse, truth


def test_every_persons_status_match_and_warnings_are_the_truth(regency: tuple[Path, BpjsTruth]) -> None:
    warehouse, truth = regency
    expected = truth.statuses.select(
        "period",
        "village_code",
        "group_code",
        pl.col("nik").map_elements(person_id, return_dtype=pl.String).alias("person_id"),
        "status",
        "matched_on",
        pl.col("warnings").list.eval(pl.element().replace_strict(WARNINGS)).list.sort().alias("warnings"),
    )
    got = frame(
        warehouse, "select period, village_code, group_code, person_id, status, matched_on, warnings from verification"
    )
    got = got.with_columns(pl.col("warnings").str.split(", ").list.sort().fill_null([]))
    assert got.height == expected.height > 75_000
    joined = expected.join(got, on=["period", "village_code", "group_code", "person_id"], how="full", suffix="_got")
    wrong = joined.filter(
        (pl.col("status") != pl.col("status_got")).fill_null(True)
        | (pl.col("matched_on").eq_missing(pl.col("matched_on_got")).not_())
        | (pl.col("warnings") != pl.col("warnings_got")).fill_null(True)
    )
    assert wrong.is_empty(), wrong.head(10)
    kinds = set(got["status"])
    assert kinds == {
        "terverifikasi",
        "tidak_ditemukan",
        "non_aktif",
        "menunggak",
        "belum_dilaporkan",
        "tidak_terdaftar",
    }


def test_the_seeds_contributions_and_claims_for_vulnerable_workers(regency: tuple[Path, BpjsTruth]) -> None:
    warehouse, _ = regency
    money = frame(
        warehouse,
        "select year, contributions_idr, claims_idr from claims_vs_contributions "
        "where group_code = 'RENTAN' and year in (2022, 2023) order by year",
    )
    assert money.rows() == [(2022, 500_000_000, 1_500_000_000), (2023, 500_000_000, 2_500_000_000)]


def test_verified_coverage_by_group_is_the_truth_counted(regency: tuple[Path, BpjsTruth]) -> None:
    warehouse, truth = regency
    expected = (
        truth.statuses.filter(pl.col("period") == "2024-04")
        .group_by("group_code")
        .agg(
            members=pl.col("nik").n_unique(),
            verified=pl.col("nik").filter(pl.col("status") == "terverifikasi").n_unique(),
            protected=pl.col("nik").filter(pl.col("status").is_in(["terverifikasi", "belum_dilaporkan"])).n_unique(),
        )
        .sort("group_code")
    )
    got = frame(
        warehouse,
        "select group_code, members, verified, protected from verified_coverage_by_group "
        "where period = '2024-04' order by 1",
    )
    assert got.rows() == expected.rows()
    assert got["protected"].sum() > got["verified"].sum()  # BPJS protects some people reported Belum


def expected_action(status: str, bpjs_status: str | None) -> str | None:
    """What the person's tindakan must say first (None: not to follow up), from BPJS's status and the match."""
    if bpjs_status == "MENINGGAL":
        return "Meninggal dunia menurut BPJS: laporkan kematiannya"
    if bpjs_status in ("NON AKTIF", "BERAKHIR"):
        return f"Kepesertaan di BPJS berstatus {bpjs_status}: aktifkan kembali"
    if status == "menunggak" or (status == "tidak_terdaftar" and bpjs_status is not None):
        return "Iuran menunggak"
    return {"tidak_ditemukan": "Dilaporkan sudah terdaftar tetapi", "belum_dilaporkan": "Sudah aktif di BPJS"}.get(
        status
    )


def test_every_persons_action_follows_bpjs_status_and_the_report(
    regency: tuple[Path, BpjsTruth], tmp_path: Path
) -> None:
    warehouse, truth = regency
    expected = truth.statuses.filter(pl.col("period") == "2024-04").select(
        "village_code",
        "group_code",
        pl.col("nik").map_elements(person_id, return_dtype=pl.String).alias("person_id"),
        pl.struct("status", "bpjs_status")
        .map_elements(lambda r: expected_action(r["status"], r["bpjs_status"]), return_dtype=pl.String)
        .alias("starts"),
        pl.col("warnings").list.len().alias("warned"),
        pl.col("warnings").list.contains("nik_differs").alias("nik_differs"),
    )
    listed = frame(
        warehouse,
        "select village_code, group_code, person_id, tindakan, arrears_idr, months_unpaid from "
        "verification_discrepancies where period = '2024-04'",
    )
    joined = expected.join(listed, on=["village_code", "group_code", "person_id"], how="left")
    should_list = pl.col("starts").is_not_null() | (pl.col("warned") > 0)
    assert joined.filter(should_list != pl.col("tindakan").is_not_null()).is_empty()
    with_status = joined.filter(pl.col("starts").is_not_null())
    assert with_status.filter(~pl.col("tindakan").str.starts_with(pl.col("starts"))).is_empty()
    assert joined.filter(pl.col("tindakan").str.contains("Tidak ada")).is_empty()
    other_nik = joined.filter(pl.col("nik_differs"))
    assert other_nik.height > 0 and other_nik["tindakan"].str.contains(r"NIK di BPJS \(\d{6}\*{6}\d{4}\)").all()
    owing = joined.filter(pl.col("starts") == "Iuran menunggak", pl.col("months_unpaid") > 0)
    amounts = owing["arrears_idr"] == owing["months_unpaid"] * 16_800
    assert owing.height > 0 and amounts.all()
    assert owing["tindakan"].str.contains("bayar tunggakan sebesar Rp ").all()
    # the workbooks hold April alone by default: each person once
    from typer.testing import CliRunner

    from flows.cli import app

    out = tmp_path / "selisih"
    result = CliRunner().invoke(app, ["discrepancies", "--warehouse", str(warehouse), "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = sorted(out.iterdir())
    assert len(written) == listed["village_code"].n_unique()
    import openpyxl

    rows = 0
    for path in written[:20]:
        sheet = openpyxl.load_workbook(path, read_only=True)["Selisih BPJS"]
        months = {row[0] for row in sheet.iter_rows(min_row=5, values_only=True)}
        assert months == {"2024-04"}, path
        rows += sum(1 for _ in sheet.iter_rows(min_row=5))
    first_villages = {path.name.split(" ")[0] for path in written[:20]}
    assert rows == listed.filter(pl.col("village_code").is_in(first_villages)).height
