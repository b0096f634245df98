"""`cakupan rejects`: corrections workbooks per village, with reasons, original cells, and no formulas."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import openpyxl
import polars as pl
import xlsxwriter
from openpyxl.worksheet.worksheet import Worksheet
from typer.testing import CliRunner

from flows.cli import app
from flows.outputs.rejects import EARLIER_COUNTS
from schemas.roster import check_catalog
from tests.helpers import ANI, BUDI, build_warehouse, write_roster
from tests.test_read import SOFFICE, needs_libreoffice

runner = CliRunner()


def test_one_workbook_per_village_with_rows_to_fix_and_no_formula(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(
        raw / "2024-04" / "Batuanten.xlsx",
        {
            "RT RW": [
                [ANI, "Ani", "P", "Ketua RT 001", "Sudah", "12345678901"],
                ["3302171205", '=HYPERLINK("http://x")', "L", "Ketua RT 002", "=1+1", ""],
                [BUDI, "@Budi", "L", "Takmir", "Belum", ""],
            ]
        },
    )
    write_roster(
        raw / "2024-04" / "Karanglo.xlsx",
        {"BPD": [[BUDI, "Budi", "L", "Ketua BPD", "Sudah", "123"]]},
        village="KARANGLO",
    )
    build_warehouse(raw, warehouse)

    out = tmp_path / "out"
    result = runner.invoke(app, ["rejects", "--warehouse", str(warehouse), "--out", str(out), "--period", "2024-04"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["33.02.17.2008 Batuanten.xlsx", "33.02.17.2013 Karanglo.xlsx"]

    book = openpyxl.load_workbook(out / "33.02.17.2008 Batuanten.xlsx")
    sheet = book["Perbaikan"]
    title = sheet["A1"].value
    assert title == "Perbaikan data BPJS Ketenagakerjaan: Desa Batuanten, Kecamatan Cilongok, bulan April 2024"
    rows = table(sheet)
    by_check = {(r["BARIS"], r["KODE PEMERIKSAAN"]): r for r in rows}
    # the all-zero-like short NIK row is rejected: its errors only, no warning on top
    assert set(by_check) == {(6, "nik_length"), (6, "status_vocabulary"), (7, "role_unknown")}
    bad = by_check[(6, "status_vocabulary")]
    assert (bad["LEMBAR"], bad["TINGKAT"], bad["NILAI TERTULIS"]) == ("RT RW", "DITOLAK", "=1+1")
    assert bad["KOLOM"] == "STATUS (kolom F)"  # the header as the village wrote it, and its letter
    assert by_check[(7, "role_unknown")]["KOLOM"] == "JABATAN (kolom E)"
    assert bad["YANG PERLU DIPERBAIKI"].startswith("Status kepesertaan BPJS Ketenagakerjaan tidak dikenal. Tulis")
    assert bad["NAMA"] == '=HYPERLINK("http://x")'
    assert by_check[(7, "role_unknown")]["NIK (disamarkan)"] == "330217******0002"
    for row in sheet.iter_rows(min_row=5):
        assert all(cell.data_type in {"s", "n"} for cell in row if cell.value is not None)
    legend = [[c.value for c in row] for row in book["Keterangan"].iter_rows()]
    codes = {row[0] for row in legend}
    assert set(check_catalog()["check_name"]) <= codes
    assert all(row[3] for row in legend if row[0] in set(check_catalog()["check_name"]))  # how to fix each

    karanglo = table(openpyxl.load_workbook(out / "33.02.17.2013 Karanglo.xlsx")["Perbaikan"])
    assert [(r["TINGKAT"], r["KOLOM"]) for r in karanglo] == [("PERINGATAN", "NO KPJ (kolom G)")]


def table(sheet: Worksheet) -> list[dict[str, object]]:
    """The rows under the header row (row 4) as dicts by header."""
    header = [c.value for c in sheet[4]]
    return [dict(zip(header, [c.value for c in row], strict=True)) for row in sheet.iter_rows(min_row=5)]


def test_columns_are_named_as_written_wherever_the_table_starts_and_duplicates_say_which_row(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    path = raw / "2024-04" / "Cilongok" / "Batuanten.xlsx"
    path.parent.mkdir(parents=True)
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("RT RW")
    sheet.write_row(0, 2, ["DESA : BATUANTEN"])
    sheet.write_row(2, 2, ["No.", "NIK KTP", "Nama Lengkap", "Jabatan", "Status BPJS TK", "Nomor KPJ"])
    rows = [
        ["1", ANI, "Ani", "Ketua RT 001", "Sudah", "123"],
        ["2", BUDI, "Budi", "Ketua RT 002", "Belum", ""],
        ["2", BUDI, "Budi", "Ketua RT 002", "Belum", ""],
        ["3", "0000000000000000", "Nol", "Ketua RT 003", "Belum", ""],
    ]
    for index, row in enumerate(rows, start=3):
        sheet.write_row(index, 2, row)
    book.close()
    build_warehouse(raw, warehouse)
    out = tmp_path / "out"
    assert runner.invoke(app, ["rejects", "--warehouse", str(warehouse), "--out", str(out)]).exit_code == 0
    got = {
        (r["BARIS"], r["KODE PEMERIKSAAN"]): r
        for r in table(openpyxl.load_workbook(out / "33.02.17.2008 Batuanten.xlsx")["Perbaikan"])
    }
    assert set(got) == {(4, "kpj_length"), (6, "duplicate_row"), (7, "nik_all_zeros")}  # no warning on row 7
    assert got[(4, "kpj_length")]["KOLOM"] == "Nomor KPJ (kolom H)"  # the table starts in column C
    assert got[(7, "nik_all_zeros")]["KOLOM"] == "NIK KTP (kolom D)"
    assert got[(6, "duplicate_row")]["YANG PERLU DIPERBAIKI"].startswith("Sama dengan baris 5.")


def test_rejected_files_are_told_to_their_village_or_listed_per_kecamatan(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(
        raw / "2024-04" / "Cilongok" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", ""]]}
    )
    (raw / "2024-04" / "Cilongok" / "Pejogol.xlsx").write_bytes(b"")  # placed by name, rejected: empty
    write_roster(
        raw / "2024-04" / "Cilongok" / "laporan.xlsx",
        {"BPD": [[BUDI, "B", "L", "Ketua BPD", "Sudah", ""]]},
        village="ANTAH",
    )
    write_roster(
        raw / "2024-04" / "kiriman.xlsx", {"BPD": [[ANI, "A", "P", "Ketua BPD", "Sudah", ""]]}, village="ANTAH"
    )
    build_warehouse(raw, warehouse)
    out = tmp_path / "out"
    result = runner.invoke(app, ["rejects", "--warehouse", str(warehouse), "--out", str(out), "--period", "2024-04"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "33.02.17.2004 Pejogol.xlsx",
        "33.02.17.2008 Batuanten.xlsx",
        "Berkas tidak dikenali.xlsx",
        "Kecamatan Cilongok - berkas tidak dikenali.xlsx",
    ]
    pejogol = table(openpyxl.load_workbook(out / "33.02.17.2004 Pejogol.xlsx")["Perbaikan"])
    assert [(r["KOLOM"], r["TINGKAT"], r["KODE PEMERIKSAAN"]) for r in pejogol] == [
        ("Seluruh berkas", "DITOLAK", "file_rejected")
    ]
    assert pejogol[0]["YANG PERLU DIPERBAIKI"].startswith("Berkas kosong (0 byte).")
    assert "versi sebelumnya" not in pejogol[0]["YANG PERLU DIPERBAIKI"]  # no version of it was ever counted
    unplaced = table(openpyxl.load_workbook(out / "Kecamatan Cilongok - berkas tidak dikenali.xlsx")["Perbaikan"])
    assert [r["BERKAS"] for r in unplaced] == ["2024-04/Cilongok/laporan.xlsx"]
    assert str(unplaced[0]["YANG PERLU DIPERBAIKI"]).startswith("Desa tidak ditemukan dalam daftar resmi")
    regency = table(openpyxl.load_workbook(out / "Berkas tidak dikenali.xlsx")["Perbaikan"])
    assert [r["BERKAS"] for r in regency] == ["2024-04/kiriman.xlsx"]

    # a new version of the empty file closes its rejection: the next workbook no longer lists it
    write_roster(
        raw / "2024-04" / "Cilongok" / "Pejogol.xlsx",
        {"BPD": [[BUDI, "Budi", "L", "Ketua BPD", "Sudah", ""]]},
        village="PEJOGOL",
    )
    build_warehouse(raw, warehouse)
    again = tmp_path / "again"
    assert runner.invoke(app, ["rejects", "--warehouse", str(warehouse), "--out", str(again)]).exit_code == 0
    pejogol = table(openpyxl.load_workbook(again / "33.02.17.2004 Pejogol.xlsx")["Perbaikan"])
    assert [r["KODE PEMERIKSAAN"] for r in pejogol] == ["enrolled_without_kpj"]  # the new version's own warning

    # then a broken version of it: rejected, and the village told that the good one still counts meanwhile
    (raw / "2024-04" / "Cilongok" / "Pejogol.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    build_warehouse(raw, warehouse)
    third = tmp_path / "third"
    assert runner.invoke(app, ["rejects", "--warehouse", str(warehouse), "--out", str(third)]).exit_code == 0
    pejogol = table(openpyxl.load_workbook(third / "33.02.17.2004 Pejogol.xlsx")["Perbaikan"])
    (rejected,) = [r for r in pejogol if r["KODE PEMERIKSAAN"] == "file_rejected"]
    assert str(rejected["YANG PERLU DIPERBAIKI"]).endswith(EARLIER_COUNTS)


@needs_libreoffice
def test_libreoffice_opens_the_workbook_with_its_legend(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": [["1", "Ani", "P", "Anggota BPD", "Sudah", ""]]})
    build_warehouse(raw, warehouse)
    out = tmp_path / "out"
    assert runner.invoke(app, ["rejects", "--warehouse", str(warehouse), "--out", str(out)]).exit_code == 0
    workbook = out / "33.02.17.2008 Batuanten.xlsx"
    converted = subprocess.run(
        [
            str(SOFFICE),
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            str(tmp_path / "csv"),
            str(workbook),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert converted.returncode == 0, converted.stderr
    sheets = sorted((tmp_path / "csv").glob("*.csv"))
    assert [p.name for p in sheets] == [
        "33.02.17.2008 Batuanten-Keterangan.csv",
        "33.02.17.2008 Batuanten-Perbaikan.csv",
    ]
    perbaikan = sheets[1].read_text()
    assert "Kecamatan Cilongok, bulan April 2024" in perbaikan and "NIK (kolom B)" in perbaikan
    assert "CARA MEMPERBAIKI" in sheets[0].read_text()


def test_rejects_for_one_village_only(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": [["1", "Ani", "P", "Anggota BPD", "Sudah", ""]]})
    write_roster(
        raw / "2024-04" / "Karanglo.xlsx", {"BPD": [["2", "Budi", "L", "Ketua BPD", "Sudah", ""]]}, village="KARANGLO"
    )
    build_warehouse(raw, warehouse)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["rejects", "--warehouse", str(warehouse), "--out", str(out), "--village", "33.02.17.2013"]
    )
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["33.02.17.2013 Karanglo.xlsx"]


def test_a_folder_of_workbooks_is_written_again_without_the_stale_ones_and_no_other_is_written_into(
    tmp_path: Path,
) -> None:
    """An official sends the folder on: a workbook left from the last run (a village since corrected) was sent as if
    current, and a folder holding other files was written into."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    karanglo = raw / "2024-04" / "Karanglo.xlsx"
    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Ketua BPD", "Sudah", "123"]]})
    write_roster(karanglo, {"BPD": [[BUDI, "Budi", "L", "Ketua BPD", "Sudah", "123"]]}, village="KARANGLO")
    build_warehouse(raw, warehouse)
    out = tmp_path / "out"
    command = ["rejects", "--warehouse", str(warehouse), "--out", str(out)]
    assert runner.invoke(app, command).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["33.02.17.2008 Batuanten.xlsx", "33.02.17.2013 Karanglo.xlsx"]
    write_roster(karanglo, {"BPD": [[BUDI, "Budi", "L", "Ketua BPD", "Belum", ""]]}, village="KARANGLO")  # corrected
    build_warehouse(raw, warehouse)
    again = runner.invoke(app, command)
    assert again.exit_code == 0 and "(the 2 it held from the last run removed)" in " ".join(again.output.split())
    assert sorted(p.name for p in out.iterdir()) == ["33.02.17.2008 Batuanten.xlsx"]  # Karanglo's is gone

    (out / "surat pengantar.docx").write_bytes(b"a cover letter")  # the official's own file
    refused = runner.invoke(app, command)
    said = " ".join(refused.output.split())
    assert refused.exit_code == 1 and "holds other files (surat pengantar.docx); give a new or empty" in said, said
    assert sorted(p.name for p in out.iterdir()) == ["33.02.17.2008 Batuanten.xlsx", "surat pengantar.docx"]
    (out / "surat pengantar.docx").unlink()
    annotated = openpyxl.load_workbook(out / "33.02.17.2008 Batuanten.xlsx")  # an official's notes, saved as a copy
    annotated.properties.created -= dt.timedelta(minutes=5)  # made earlier, saved now (openpyxl stamps the save)
    annotated.save(out / "Batuanten - catatan.xlsx")
    kept = runner.invoke(app, command)
    said = " ".join(kept.output.split())
    assert kept.exit_code == 1 and "holds other files (Batuanten - catatan.xlsx)" in said, said  # never deleted
    (out / "Batuanten - catatan.xlsx").unlink()
    other = runner.invoke(app, ["discrepancies", "--warehouse", str(warehouse), "--out", str(out)])
    said = " ".join(other.output.split())
    assert other.exit_code == 1 and "holds other files (33.02.17.2008 Batuanten.xlsx)" in said, said  # not its own


def test_the_instructions_never_say_a_warned_row_counts_where_a_warning_says_its_row_does_not() -> None:
    """`row_below_total` is a warning whose row is not counted: the instruction said every PERINGATAN row was."""
    from flows.outputs.rejects import HEADER_MEANINGS, INSTRUCTION

    not_counted = check_catalog().filter(
        (pl.col("severity") == "warning") & pl.col("message").str.contains("tidak dihitung")
    )
    assert not_counted.height >= 1  # the case exists
    for text in (INSTRUCTION, HEADER_MEANINGS["TINGKAT"]):
        said = " ".join(text.split())
        assert "PERINGATAN sudah dihitung" not in said and "PERINGATAN: sudah dihitung" not in said, said
        assert "berkasnya dihitung" in said, said
