"""The right action for each person, from BPJS's status as well as the match, in the villages' workbooks.

One village's roster with a person for every BPJS status (AKTIF paid up, AKTIF beyond the
grace, MENUNGGAK, NON AKTIF, BERAKHIR, MENINGGAL, unknown) under each reported status (Sudah,
Belum), and the warnings, over two months; the workbooks are written by the command and read
back with openpyxl, person by person.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.helpers import build_warehouse, query, write_roster
from tests.test_verification import PESERTA_HEADER, write_xlsx

MONTH_RATE = 16_800  # raw/reference/contribution_rates.csv: JKK 1% of Rp 1,000,000 + JKM Rp 6,800
# BPJS's side of each kind of person: status, last month paid
BPJS_SIDE = {
    "aktif": ("AKTIF", "2024-04"),
    "lewat": ("AKTIF", "2023-12"),  # 4 months unpaid in April, beyond the grace of 3
    "nunggak": ("MENUNGGAK", "2024-02"),  # 2 months unpaid, flagged by BPJS
    "nonaktif": ("NON AKTIF", "2023-06"),
    "berakhir": ("BERAKHIR", "2022-12"),
    "meninggal": ("MENINGGAL", "2024-01"),
}
KINDS = [*BPJS_SIDE, "asing"]  # asing: unknown to BPJS
PEOPLE = [(kind, reported) for kind in KINDS for reported in ("Sudah", "Belum")]
NIK = {person: f"330217{10 + i:02d}0680{i + 1:04d}" for i, person in enumerate(PEOPLE)}
KPJ = {person: f"88{i:09d}" for i, person in enumerate(PEOPLE)}
NAME = {(kind, reported): f"{kind.title()} {reported}" for kind, reported in PEOPLE}
# with warnings: matched on KPJ, BPJS has another NIK; reported Belum, the roster's KPJ mistyped; a name differs
BEDA_NIK, BEDA_KPJ = ("beda_nik", "Sudah"), ("beda_kpj", "Belum")
NIK[BEDA_NIK], KPJ[BEDA_NIK], NAME[BEDA_NIK] = "3302173112700901", "77000000001", "Beda Nik"
NIK[BEDA_KPJ], KPJ[BEDA_KPJ], NAME[BEDA_KPJ] = "3302173112700902", "77000000002", "Beda Kpj"
BPJS_NIK_OF_BEDA_NIK = "3302173112700999"


def roster_row(person: tuple[str, str], kpj: str | None = None) -> list[str]:
    _, reported = person
    return [NIK[person], NAME[person], "L", "Ketua RT", reported, KPJ[person] if kpj is None else kpj]


def peserta_row(
    person: tuple[str, str], status: str, last_paid: str, nik: str | None = None, name: str = ""
) -> list[str]:
    return [KPJ[person], nik or NIK[person], name or NAME[person], "", "BPU", "JKK", "01/01/2020", status, last_paid]


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("actions") / "raw"
    roster = [roster_row(p) for p in PEOPLE] + [roster_row(BEDA_NIK), roster_row(BEDA_KPJ, kpj="77000000999")]
    peserta = [peserta_row(p, *BPJS_SIDE[p[0]]) for p in PEOPLE if p[0] in BPJS_SIDE]
    peserta += [
        peserta_row(BEDA_NIK, "AKTIF", "2024-04", nik=BPJS_NIK_OF_BEDA_NIK),
        peserta_row(BEDA_KPJ, "AKTIF", "2024-04", name="Bedha Kapeje"),
    ]
    for period, people in (("2024-03", roster[:-2]), ("2024-04", roster)):  # two files: identical ones are one
        write_roster(raw / period / "Cilongok" / "Batuanten.xlsx", {"RT RW": people})
        write_xlsx(raw / period / "BPJS" / "peserta.xlsx", PESERTA_HEADER, peserta)
    warehouse = raw.parent / "cakupan.duckdb"
    build_warehouse(raw, warehouse, started_at=dt.datetime(2024, 5, 6, 9, tzinfo=dt.UTC))
    return warehouse


def workbook(warehouse: Path, out: Path, *period: str) -> tuple[str, dict[str, dict[str, object]], list[list[str]]]:
    """The title, the rows by name and the legend's code table of Batuanten's workbook, written by the command."""
    command = ["discrepancies", "--warehouse", str(warehouse), "--out", str(out), *period]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out / "33.02.17.2008 Batuanten - selisih BPJS.xlsx")
    sheet = book["Selisih BPJS"]
    header = [c.value for c in sheet[4]]
    rows = [dict(zip(header, [c.value for c in row], strict=True)) for row in sheet.iter_rows(min_row=5)]
    by_name = {str(row["NAMA"]): row for row in rows}
    assert len(by_name) == len(rows)  # one month: each person once
    legend = [[str(c.value) for c in row if c.value is not None] for row in book["Keterangan"].iter_rows()]
    return str(sheet["A1"].value), by_name, legend


def test_each_person_is_told_what_bpjs_status_and_the_report_call_for(zone: Path, tmp_path: Path) -> None:
    title, rows, _ = workbook(zone, tmp_path / "selisih")
    assert title.endswith("bulan April 2024")  # the latest month by default
    action = {name: str(row["YANG PERLU DILAKUKAN"]) for name, row in rows.items()}
    # agreeing with BPJS: nothing to follow up
    assert NAME["aktif", "Sudah"] not in rows and NAME["asing", "Belum"] not in rows
    for reported in ("Sudah", "Belum"):
        dead = action[NAME["meninggal", reported]]
        assert "laporkan kematiannya" in dead and "klaim JKM" in dead and "hapus dari daftar desa" in dead
        assert "aktifkan" not in dead
        for kind in ("nonaktif", "berakhir"):
            lapsed = action[NAME[kind, reported]]
            assert "aktifkan kembali" in lapsed and "daftarkan" not in lapsed, lapsed
            assert lapsed.endswith(f"Nomor KPJ di BPJS: {KPJ[kind, reported]}.")
        assert f"bayar tunggakan sebesar Rp {4 * MONTH_RATE:,}".replace(",", ".") in action[NAME["lewat", reported]]
        assert f"bayar tunggakan sebesar Rp {2 * MONTH_RATE:,}".replace(",", ".") in action[NAME["nunggak", reported]]
        assert rows[NAME["lewat", reported]]["TUNGGAKAN (Rp)"] == 4 * MONTH_RATE
    assert "tulis statusnya Sudah" in action[NAME["lewat", "Belum"]]
    assert "tulis statusnya Belum" in action[NAME["nonaktif", "Sudah"]]
    assert "tulis statusnya" not in action[NAME["nonaktif", "Belum"]]
    assert (
        "daftarkan ke BPJS" in action[NAME["asing", "Sudah"]] and "KPJ di BPJS:" not in action[NAME["asing", "Sudah"]]
    )
    reported_late = action[NAME["aktif", "Belum"]]
    assert "tulis statusnya Sudah" in reported_late and reported_late.endswith(f"{KPJ['aktif', 'Belum']}.")
    # warnings add their own action to the status's, never "nothing to do"
    other_nik = action[NAME[BEDA_NIK]]
    assert "NIK di BPJS (330217******0999)" in other_nik and other_nik.endswith(f"{KPJ[BEDA_NIK]}.")
    assert rows[NAME[BEDA_NIK]]["NIK DI BPJS (disamarkan)"] == "330217******0999"
    assert rows[NAME[BEDA_NIK]]["NOMOR KPJ DI BPJS"] == KPJ[BEDA_NIK]
    other_kpj = action[NAME[BEDA_KPJ]]
    assert "tulis statusnya Sudah" in other_kpj and "perbaiki nomor KPJ" in other_kpj and "Nama di BPJS" in other_kpj
    assert not any("Tidak ada" in text for text in action.values())
    assert BPJS_NIK_OF_BEDA_NIK not in str(rows) and NIK[BEDA_NIK] not in str(rows)


def test_every_code_in_the_workbook_is_indonesian_and_in_the_legend(zone: Path, tmp_path: Path) -> None:
    _, rows, legend = workbook(zone, tmp_path / "selisih")
    explained = {row[1] for row in legend if len(row) == 3}
    shown = {str(row["HASIL"]) for row in rows.values()} | {str(row["DATA BPJS"]) for row in rows.values()}
    shown |= {note for row in rows.values() if row["CATATAN"] for note in str(row["CATATAN"]).split(", ")}
    assert "Dilaporkan Belum, tidak terlindungi di BPJS" in shown  # tidak_terdaftar, known to BPJS
    assert shown <= explained, shown - explained
    assert not any("_" in code for code in shown)
    # the legend says whose arrears are costed: it said "only MENUNGGAK" beside an AKTIF row costed in its grace
    meaning = next(row[1] for row in legend if row and row[0] == "TUNGGAKAN (Rp)")
    owing = {str(row["DATA BPJS"]) for row in rows.values() if row["TUNGGAKAN (Rp)"]}
    assert "AKTIF" in owing and all(re.search(rf"(?<!NON )\b{status}\b", meaning) for status in owing), meaning


def test_one_month_per_workbook_chosen_by_period(zone: Path, tmp_path: Path) -> None:
    title, rows, _ = workbook(zone, tmp_path / "maret", "--period", "2024-03")
    assert title.endswith("bulan Maret 2024") and {row["BULAN"] for row in rows.values()} == {"2024-03"}


def test_the_analyst_warehouse_has_no_kpj_and_arrears_are_costed_once(zone: Path) -> None:
    assert query(zone, "select count(*) from validation_failures") == [(0,)]  # every person is on the roster
    kpjs = list(KPJ.values())
    for schema, table, column in query(
        zone,
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where data_type = 'VARCHAR' and not internal",
    ):
        values = {str(v) for (v,) in query(zone, f'select distinct "{column}" from "{schema}"."{table}"')}
        assert not any(kpj in value for kpj in kpjs for value in values), (table, column)
    people = query(zone, "select sum(arrears_idr) from arrears_people where period = '2024-04'")
    villages = query(
        zone, "select sum(cost_to_bring_current_idr) from arrears_by_village_group where period = '2024-04'"
    )
    assert people == villages == [((4 + 4 + 2 + 2) * MONTH_RATE,)]


def test_coverage_as_bpjs_sees_it_beside_the_reported_and_the_gap_costed_on_it(zone: Path) -> None:
    # April: 16 people, 8 reported Sudah; BPJS has 4 active and paid up: 2 reported Sudah
    # (terverifikasi), 2 reported Belum (belum_dilaporkan)
    columns = "members, enrolled, verified, protected, protected_pct"
    expected = [(16, 8, 2, 4, 25.0)]
    for view in ("verified_coverage_regency", "verified_coverage_by_group", "verified_coverage_by_district"):
        assert query(zone, f"select {columns} from {view} where period = '2024-04'") == expected, view
    for view in ("verified_coverage_by_district_group", "verified_coverage_by_village"):
        assert query(zone, f"select {columns} from {view} where period = '2024-04'") == expected, view
    cuts = query(
        zone, "select distinct cut, protected from internal.verification_base where period = '2024-04' order by 1"
    )
    # like the reported views: provisional while the kecamatan has not reported enough, ranked in its group
    flags = "select rank_in_group, is_provisional from verified_coverage_by_district_group where period = '2024-04'"
    reported = "select rank_in_group, is_provisional from coverage_by_district_group where period = '2024-04'"
    assert query(zone, flags) == query(zone, reported) == [(1, True)]
    provisional = "select is_provisional from {} where period = '2024-04'"
    assert query(zone, provisional.format("verified_coverage_by_district")) == query(
        zone, provisional.format("coverage_by_district")
    )
    assert cuts == [(cut, 4) for cut in ("district", "district_group", "group", "regency", "village_group")]
    gap = "uncovered, annual_cost_idr, unprotected, unprotected_annual_cost_idr"
    costed = (8, 12 * 8 * MONTH_RATE, 12, 12 * 12 * MONTH_RATE)
    assert query(zone, f"select {gap} from budget_gap where period = '2024-04'") == [costed]
    assert query(zone, f"select {gap} from budget_gap_total where period = '2024-04' order by area_level") == [
        costed,
        costed,
    ]
