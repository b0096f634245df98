"""Verified coverage: rosters reconciled person by person with the BPJS branch's exports.

One village's roster with a person for each status, and the branch's participants,
contributions and claims exports written as the branch might (aliases, messy values, a
CSV), then a second run with a newer export.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import xlsxwriter

from tests.helpers import ANI, BUDI, CITRA, build_warehouse, nik_like_values, query, write_roster

DEWI, EKO, FAJAR, GITA, HADI = (
    "3302175507900004",
    "3302171306800005",
    "3302171407810006",
    "3302175508850007",
    "3302171609760008",
)
KPJ = {nik: f"1234567890{i}" for i, nik in enumerate((ANI, BUDI, CITRA, DEWI, EKO, FAJAR, GITA, HADI), start=1)}
ROSTER = [
    [ANI, "Ani", "P", "Ketua RT 001", "Sudah", KPJ[ANI]],  # terverifikasi, name differs at BPJS
    [BUDI, "Budi", "L", "Ketua RT 002", "Belum", ""],  # belum_dilaporkan
    [CITRA, "Citra", "L", "Ketua RW 01", "Sudah", KPJ[CITRA]],  # tidak_ditemukan
    [DEWI, "Dewi", "P", "Ketua RT 003", "Sudah", KPJ[DEWI]],  # non_aktif
    [EKO, "Eko", "L", "Ketua RT 004", "Sudah", KPJ[EKO]],  # menunggak: paid through 2023-12
    [FAJAR, "Fajar", "L", "Ketua RT 005", "Sudah", KPJ[FAJAR]],  # by KPJ, no NIK at BPJS, paid by the contributions
    [GITA, "Gita", "P", "Ketua RT 006", "Belum", ""],  # tidak_terdaftar
    [HADI, "Hadi", "L", "Ketua RT 007", "Sudah", KPJ[HADI]],  # by KPJ, a mistyped NIK at BPJS
]
PESERTA_HEADER = ["NO KPJ", "NIK", "NAMA LENGKAP", "TGL LAHIR", "SEGMEN", "PROGRAM", "TGL_KEPESERTAAN"]
PESERTA_HEADER += ["STATUS KEPESERTAAN", "BLTH IURAN TERAKHIR"]


def peserta_row(nik: str, name: str, status: str, last_paid: str, *, nik_written: str | None = None) -> list[str]:
    return [
        KPJ[nik],
        nik if nik_written is None else nik_written,
        name,
        "",
        "BPU",
        "JKK",
        "01/01/2024",
        status,
        last_paid,
    ]


PESERTA = [
    peserta_row(ANI, "Ani Lestari", "Aktif", "Apr-24"),
    peserta_row(BUDI, "Budi", "A", "04/2024"),
    peserta_row(DEWI, "Dewi", "NA", "2024-02"),
    peserta_row(EKO, "Eko", "AKTIF", "2023-12"),
    peserta_row(FAJAR, "Fajar", "AKTIF", "2023-11", nik_written=""),
    peserta_row(HADI, "Hadi", "AKTIF", "2024-04", nik_written="3302171609760009"),
]


def write_xlsx(path: Path, header: list[str], rows: list[list[str]], title: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Data")
    if title:
        sheet.write_string(0, 0, title)
    sheet.write_row(2, 0, header)
    for index, row in enumerate(rows, start=3):
        for column, value in enumerate(row):
            sheet.write_string(index, column, value)
    sheet.write_row(3 + len(rows), 0, ["JUMLAH", str(len(rows))])
    book.close()


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows([header, *rows])


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("verify")
    raw = root / "raw"
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten.xlsx", {"RT RW": ROSTER})
    bpjs = raw / "2024-04" / "bpjs"
    write_xlsx(
        bpjs / "data peserta.xlsx", PESERTA_HEADER, [*PESERTA, ["123", "", "X", "", "", "", "", "??", ""]], "DAFTAR"
    )
    payments = [
        [KPJ[FAJAR], "", "2024-03", "14/03/2024", "16.800", "APBDes"],
        [KPJ[ANI], ANI, "Apr-24", "10/04/2024", "Rp 16.800", "APBDes"],
        [KPJ[ANI], ANI, "Apr-24", "10/04/2024", "Rp 16.800", "APBDes"],  # the same payment twice: one fact
        ["", "", "2024-04", "10/04/2024", "16800", "x"],  # no identifier: rejected
    ]
    write_csv(bpjs / "iuran april.csv", ["KPJ", "NIK", "BULAN_IURAN", "TGL_BAYAR", "NOMINAL", "SUMBER_IURAN"], payments)
    claims = [["K-001", KPJ[DEWI], DEWI, "JKM", "02/03/2024", "20/03/2024", "42.000.000"]]
    write_xlsx(
        bpjs / "klaim.xlsx", ["NO_KLAIM", "KPJ", "NIK", "PROGRAM", "TGL_KEJADIAN", "TGL_BAYAR", "NOMINAL"], claims
    )
    warehouse = root / "cakupan.duckdb"
    build_warehouse(raw, warehouse)
    return raw, warehouse


def statuses(warehouse: Path, period: str = "2024-04") -> dict[str, tuple[object, ...]]:
    rows = query(
        warehouse,
        f"select nik_masked, status, matched_on, warnings from verification where period = '{period}'",
    )
    return {str(nik): tuple(rest) for nik, *rest in rows}


def masked(nik: str) -> str:
    return f"{nik[:6]}******{nik[-4:]}"


def test_every_status_and_warning_person_by_person(zone: tuple[Path, Path]) -> None:
    _, warehouse = zone
    assert statuses(warehouse) == {
        masked(ANI): ("terverifikasi", "nik", "nama_berbeda"),
        masked(BUDI): ("belum_dilaporkan", "nik", None),
        masked(CITRA): ("tidak_ditemukan", None, None),
        masked(DEWI): ("non_aktif", "nik", None),
        masked(EKO): ("menunggak", "nik", None),
        masked(FAJAR): ("terverifikasi", "kpj", "nik_kosong_di_bpjs"),
        masked(GITA): ("tidak_terdaftar", None, None),
        masked(HADI): ("terverifikasi", "kpj", "nik_berbeda"),
    }
    months = query(
        warehouse, f"select paid_through, months_unpaid from verification where nik_masked = '{masked(EKO)}'"
    )
    assert months == [("2023-12", 4)]
    fajar = query(warehouse, f"select paid_through from verification where nik_masked = '{masked(FAJAR)}'")
    assert fajar == [("2024-03",)]  # the contributions export is newer than the participants export says


def test_verified_beside_reported_and_the_discrepancy_list(zone: tuple[Path, Path]) -> None:
    _, warehouse = zone
    group = query(
        warehouse,
        "select members, enrolled, verified, not_found, inactive, in_arrears, not_reported "
        "from verified_coverage_by_group where period = '2024-04'",
    )
    assert group == [(8, 6, 3, 1, 1, 1, 1)]
    village = query(warehouse, "select village_name, verified_pct from verified_coverage_by_village")
    assert village == [("Batuanten", 37.5)]
    listed = query(warehouse, "select nik_masked, tindakan from verification_discrepancies order by nik_masked")
    assert {nik for nik, _ in listed} == {masked(n) for n in (ANI, BUDI, CITRA, DEWI, EKO, FAJAR, HADI)}
    assert all(str(action).endswith(".") for _, action in listed)
    arrears = query(
        warehouse, "select people_in_arrears, months_unpaid, cost_to_bring_current_idr from arrears_by_village_group"
    )
    assert arrears == [(2, 5, 5 * 16_800)]  # Eko 4 months (beyond the grace), Fajar 1 month (within it)


def test_exports_are_recognised_checked_and_every_row_accounted_for(zone: tuple[Path, Path]) -> None:
    _, warehouse = zone
    files = query(
        warehouse,
        "select source_file, kind, status, rows_read, rows_loaded, rows_rejected, rows_skipped, closes "
        "from file_reconciliation order by source_file",
    )
    assert files == [
        ("2024-04/Cilongok/Batuanten.xlsx", "roster", "dimuat", 8, 8, 0, 0, True),
        ("2024-04/bpjs/data peserta.xlsx", "bpjs_participants", "dimuat", 8, 6, 1, 1, True),
        ("2024-04/bpjs/iuran april.csv", "bpjs_contributions", "dimuat", 4, 3, 1, 0, True),
        ("2024-04/bpjs/klaim.xlsx", "bpjs_claims", "dimuat", 2, 1, 0, 1, True),
    ]
    failures = query(warehouse, "select check_name, message from validation_failures where source_file like '%/bpjs/%'")
    assert {name for name, _ in failures} == {"peserta_kpj_invalid", "peserta_status_unknown", "iuran_no_identifier"}
    paid = query(warehouse, "select count(*), sum(amount_idr) from bpjs_contributions")
    assert paid == [(2, 33_600)]  # the payment written twice is one payment
    claims = query(
        warehouse, "select year, group_code, claims_idr, claims_jkm_idr, contributions_idr from claims_vs_contributions"
    )
    assert claims == [(2024, "RT_RW", 42_000_000, 42_000_000, 33_600)]


def test_no_nik_reaches_the_analyst_file(zone: tuple[Path, Path]) -> None:
    _, warehouse = zone
    assert nik_like_values(warehouse) == []


def test_a_newer_export_of_the_same_kind_and_month_replaces_the_older(zone: tuple[Path, Path], tmp_path: Path) -> None:
    raw, _ = zone
    import shutil

    copy = tmp_path / "raw"
    shutil.copytree(raw, copy)
    warehouse = tmp_path / "cakupan.duckdb"
    build_warehouse(copy, warehouse)
    corrected = [*PESERTA, peserta_row(CITRA, "Citra", "AKTIF", "2024-04")]
    write_xlsx(copy / "2024-04" / "bpjs" / "data peserta revisi.xlsx", PESERTA_HEADER, corrected)
    build_warehouse(copy, warehouse)
    assert statuses(warehouse)[masked(CITRA)] == ("terverifikasi", "nik", None)
    old = query(warehouse, "select status, reason from ingested_files where source_file like '%data peserta.xlsx'")
    assert old == [("superseded", "superseded by 2024-04/bpjs/data peserta revisi.xlsx")]
    # a later month's rosters are verified against the newest export before them
    write_roster(copy / "2024-05" / "Cilongok" / "Batuanten.xlsx", {"RT RW": ROSTER})
    build_warehouse(copy, warehouse)
    assert query(warehouse, "select distinct export_period from verification where period = '2024-05'") == [
        ("2024-04",)
    ]
    assert statuses(warehouse, "2024-05")[masked(EKO)] == ("menunggak", "nik", None)


def test_a_roster_with_kpj_status_and_start_date_stays_a_roster(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    path = raw / "2024-04" / "Cilongok" / "Batuanten.xlsx"
    write_xlsx(
        path,
        ["NO", "NIK", "NAMA", "JABATAN", "STATUS", "NO KPJ", "TGL KEPESERTAAN"],
        [["1", ANI, "Ani", "Ketua RT 001", "Sudah", KPJ[ANI], "01/01/2024"]],
        "DESA : BATUANTEN",
    )
    warehouse = tmp_path / "cakupan.duckdb"
    build_warehouse(raw, warehouse)
    assert query(warehouse, "select kind, status from ingested_files") == [("roster", "loaded")]


def test_each_village_is_told_whom_to_follow_up_and_the_branch_what_to_fix(
    zone: tuple[Path, Path], tmp_path: Path
) -> None:
    import openpyxl
    from typer.testing import CliRunner

    from flows.cli import app

    _, warehouse = zone
    out = tmp_path / "selisih"
    result = CliRunner().invoke(app, ["discrepancies", "--warehouse", str(warehouse), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["33.02.17.2008 Batuanten - selisih BPJS.xlsx"]
    book = openpyxl.load_workbook(out / "33.02.17.2008 Batuanten - selisih BPJS.xlsx")
    sheet = book["Selisih BPJS"]
    assert sheet["A1"].value.endswith("Batuanten, Kecamatan Cilongok, bulan April 2024")
    header = [c.value for c in sheet[4]]
    rows = {
        r["NAMA"]: r
        for r in (dict(zip(header, [c.value for c in row], strict=True)) for row in sheet.iter_rows(min_row=5))
    }
    assert set(rows) == {"Ani", "Budi", "Citra", "Dewi", "Eko", "Fajar", "Hadi"}
    assert (rows["Citra"]["DILAPORKAN DESA"], rows["Citra"]["HASIL"]) == ("Sudah", "Tidak ditemukan di BPJS")
    assert rows["Eko"]["BULAN BELUM DIBAYAR"] == 4 and rows["Eko"]["YANG PERLU DILAKUKAN"].startswith("Iuran menunggak")
    assert rows["Ani"]["CATATAN"] == "nama di BPJS berbeda"
    assert rows["Budi"]["NIK (disamarkan)"] == masked(BUDI) and rows["Budi"]["BARIS"] == 6
    assert "Keterangan" in book.sheetnames

    rejects = tmp_path / "perbaikan"
    assert CliRunner().invoke(app, ["rejects", "--warehouse", str(warehouse), "--out", str(rejects)]).exit_code == 0
    listed = openpyxl.load_workbook(rejects / "Ekspor BPJS - perlu diperbaiki.xlsx")["Perbaikan"]
    codes = sorted(row[-1].value for row in listed.iter_rows(min_row=5))
    assert codes == ["iuran_no_identifier", "peserta_kpj_invalid", "peserta_status_unknown"]


def test_workbook_commands_refuse_an_unknown_village_and_never_write_through_a_link(
    zone: tuple[Path, Path], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    _, warehouse = zone
    runner = CliRunner()
    for command in ("discrepancies", "rejects"):
        result = runner.invoke(
            app, [command, "--warehouse", str(warehouse), "--out", str(tmp_path / command), "--village", "../../etc"]
        )
        assert result.exit_code == 2 and "is not a village code" in result.output
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    (out / "33.02.17.2008 Batuanten - selisih BPJS.xlsx").symlink_to(victim)
    result = runner.invoke(app, ["discrepancies", "--warehouse", str(warehouse), "--out", str(out)])
    assert result.exit_code == 1 and "holds other files" in result.output  # a planted link is not its workbook
    assert victim.read_text() == "keep me" and (out / "33.02.17.2008 Batuanten - selisih BPJS.xlsx").is_symlink()
    # a link planted after that check (between the folder's look and the write) is replaced, not written through
    from flows.outputs.discrepancies import write_discrepancies
    from flows.settings import Settings

    write_discrepancies(warehouse, Settings(warehouse=warehouse).state, out, None, None)
    assert victim.read_text() == "keep me"
    written = out / "33.02.17.2008 Batuanten - selisih BPJS.xlsx"
    assert not written.is_symlink() and written.stat().st_mode & 0o777 == 0o600
    written.unlink()
    empty = runner.invoke(
        app, ["discrepancies", "--warehouse", str(warehouse), "--out", str(out), "--period", "2030-01"]
    )
    assert empty.exit_code == 0 and "no BPJS participants export covers the rosters for 2030-01" in empty.output


def test_one_person_under_two_kpjs_a_kpj_typed_twice_and_payments_split_by_programme(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shared = KPJ[EKO]  # typed for Eko and for Fajar on the roster: it names neither
    roster = [
        [ANI, "Ani", "P", "Ketua RT 001", "Sudah", KPJ[ANI]],
        [EKO, "Eko", "L", "Ketua RT 004", "Sudah", shared],
        [FAJAR, "Fajar", "L", "Ketua RT 005", "Sudah", shared],
    ]
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten.xlsx", {"RT RW": roster})
    peserta = [
        ["99999999901", ANI, "Ani", "", "BPU", "JKK", "01/01/2020", "BERAKHIR", "2021-12"],  # an ended membership
        peserta_row(ANI, "Ani", "AKTIF", "2024-04"),  # and the one in force
    ]
    write_xlsx(raw / "2024-04" / "BPJS" / "peserta.xlsx", PESERTA_HEADER, peserta)
    payments = [
        [shared, "", "2024-04", "10/04/2024", "10000", "APBDes"],  # JKK and JKM paid apart, the same day
        [shared, "", "2024-04", "10/04/2024", "6800", "APBDes"],
        [KPJ[ANI], "", "2024-04", "12/04/2024", "16800", "APBDes"],  # by her KPJ alone: her roster group
    ]
    write_csv(
        raw / "2024-04" / "BPJS" / "iuran.csv",
        ["KPJ", "NIK", "BULAN_IURAN", "TGL_BAYAR", "NOMINAL", "SUMBER_IURAN"],
        payments,
    )
    warehouse = tmp_path / "cakupan.duckdb"
    build_warehouse(raw, warehouse)
    assert statuses(warehouse)[masked(ANI)] == ("terverifikasi", "nik", None)  # one row: the KPJ in force
    assert query(
        warehouse, "select group_code, count(*), sum(amount_idr) from bpjs_contributions group by all order by all"
    ) == [
        ("RT_RW", 1, 16_800),
        (None, 2, 16_800),  # two payments, each once, on no group: the KPJ names two roster people
    ]


def test_a_village_file_with_a_bpjs_list_pasted_in_stays_the_villages(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    path = raw / "2024-04" / "Cilongok" / "Batuanten.xlsx"
    write_roster(path, {"RT RW": ROSTER[:2]})
    import openpyxl

    book = openpyxl.load_workbook(path)
    pasted = book.create_sheet("dari BPJS")
    for row in [PESERTA_HEADER, *PESERTA]:
        pasted.append(row)
    book.save(path)
    warehouse = tmp_path / "cakupan.duckdb"
    build_warehouse(raw, warehouse)
    assert query(warehouse, "select kind, status from ingested_files") == [("roster", "loaded")]
    assert query(
        warehouse, "select status, alasan like 'Daftar dari BPJS%' from ingested_sheets where sheet = 'dari BPJS'"
    ) == [("ignored", True)]
    assert query(warehouse, "select count(*) from verification") == [(0,)]  # no export: nothing verified
