"""Reading real workbooks: title block, header (one or two rows), data rows and skipped rows."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlsxwriter
from typer.testing import CliRunner

from flows.cli import app
from flows.ingest.limits import UnreadableFileError
from flows.ingest.read import read_workbook
from flows.ingest.structure import IgnoredSheet, Roster, stack_rosters, structure_sheet, with_row_kinds
from tests.helpers import ANI, BUDI, build_warehouse, query, view, write_roster


def rows_of(roster: Roster) -> pl.DataFrame:
    stacked = stack_rosters([roster]).with_columns(source_file=pl.lit("f"), sheet=pl.lit(roster.sheet))
    return with_row_kinds(stacked.lazy()).collect()


def test_title_block_header_totals_and_signature(tmp_path: Path) -> None:
    path = tmp_path / "desa.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("RT-RW")
    sheet.merge_range("A1:F1", "DATA KEPESERTAAN BPJS KETENAGAKERJAAN")
    sheet.write_row(1, 0, ["Desa/Kelurahan:", "Batuanten"])
    sheet.write_row(2, 0, ["KECAMATAN : CILONGOK"])
    sheet.write_row(4, 0, ["NO.", "NO. KTP", "Nama\nLengkap", "JABATAN/KEDUDUKAN", "IURAN (Rp)", "KET."])
    sheet.write_row(5, 0, [1, "3302171205750001", "Slamet", "Ketua RT 003", "16.800"])
    sheet.write_row(7, 0, [2, "3302175205800002", "Siti", "Sekretaris RT"])
    sheet.write_row(8, 0, ["JUMLAH", None, 2])
    sheet.write_row(10, 3, ["Kepala Desa"])
    sheet.write_row(12, 3, ["Sugiyono"])
    book.add_worksheet("Sheet1")
    book.close()

    structured = [structure_sheet(s) for s in read_workbook(path)]
    roster, empty = structured
    assert isinstance(roster, Roster) and isinstance(empty, IgnoredSheet)
    assert roster.group_hint == "RT_RW"
    assert roster.title == {"village": "Batuanten", "district": "CILONGOK"}
    rows = rows_of(roster)
    assert rows.select("source_row", "row_kind").rows() == [
        (6, "data"),
        (7, "blank"),
        (8, "data"),
        (9, "total"),
        (10, "blank"),
        (11, "signature"),
        (12, "blank"),
        (13, "signature"),
    ]
    first = rows.row(0, named=True)
    assert (first["nik"], first["name"], first["role"], first["contribution"]) == (
        "3302171205750001",
        "Slamet",
        "Ketua RT 003",
        "16.800",
    )


def test_two_row_header_under_a_merged_group_label(tmp_path: Path) -> None:
    path = tmp_path / "two_rows.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "BPD"
    sheet.append(["NO", "NIK", "NAMA", "JABATAN", "BPJS TK", None])
    sheet.append([None, None, None, None, "STATUS", "NO KPJ"])
    sheet.append([1, "3302171205750001", "Slamet", "Ketua BPD", "Sudah", "12345678901"])
    sheet.merge_cells("E1:F1")
    book.save(path)

    roster = structure_sheet(read_workbook(path)[0])
    assert isinstance(roster, Roster)
    row = rows_of(roster).row(0, named=True)
    assert (row["source_row"], row["status"], row["kpj"], row["row_kind"]) == (3, "Sudah", "12345678901", "data")


def test_sheet_without_roster_header_is_ignored_with_reason(tmp_path: Path) -> None:
    path = tmp_path / "rekap.xlsx"
    book = xlsxwriter.Workbook(path)
    book.add_worksheet("Rekap").write_row(0, 0, ["KELOMPOK", "JUMLAH"])
    book.close()
    (ignored,) = [structure_sheet(s) for s in read_workbook(path)]
    assert isinstance(ignored, IgnoredSheet) and "no roster header" in ignored.reason.english


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "Desa Rusak.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(UnreadableFileError, match=r"Desa Rusak\.xlsx"):
        read_workbook(path)


def test_block_headings_and_a_place_date_line_are_skipped_not_rejected(tmp_path: Path) -> None:
    path = tmp_path / "blocks.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("DATA")
    sheet.write_row(0, 0, ["NO", "NIK", "NAMA", "JABATAN", "STATUS"])
    sheet.write_row(1, 2, ["A. BPD"])
    sheet.write_row(2, 0, ["1", "3302171205750001", "Slamet", "Ketua BPD", "Sudah"])
    sheet.write_row(3, 2, ["B. RT/RW"])
    sheet.write_row(4, 0, ["2", None, "Tanpa NIK", "Ketua RT 001", "Belum"])
    sheet.write_row(6, 2, ["Batuanten, 30 April 2024"])
    sheet.write_row(7, 2, ["SUGIYONO"])
    book.close()
    roster = structure_sheet(read_workbook(path)[0])
    assert isinstance(roster, Roster)
    assert rows_of(roster).select("source_row", "row_kind").rows() == [
        (2, "section"),
        (3, "data"),
        (4, "section"),
        (5, "data"),
        (6, "blank"),
        (7, "signature"),
        (8, "signature"),
    ]


def test_file_names_give_the_group_of_a_per_group_file() -> None:
    from flows.ingest.headers import file_group

    assert file_group("2024-04/Batuanten - LINMAS.xlsx") == "LINMAS"
    assert file_group("2024-04/Cilongok/Pekerja Rentan Batuanten.csv") == "RENTAN"
    assert file_group("2024-04/DATA BPD DESA BATUANTEN.xlsx") == "BPD"
    assert file_group("2024-04/Batuanten RT-RW.xls") == "RT_RW"
    assert file_group("2024-04/Batuanten.xlsx") is None
    assert file_group("2024-04/BPD dan LINMAS Batuanten.xlsx") is None


def test_title_kelurahan_slash_desa(tmp_path: Path) -> None:
    path = tmp_path / "kel.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("LINMAS")
    sheet.write_row(0, 0, ["KELURAHAN/DESA : KARANGKLESEM"])
    sheet.write_row(1, 0, ["NO", "NIK", "NAMA", "STATUS"])
    book.close()
    roster = structure_sheet(read_workbook(path)[0])
    assert isinstance(roster, Roster) and roster.title == {"village": "KARANGKLESEM"}


def test_a_roster_with_only_its_header_loads_as_an_empty_file(tmp_path: Path) -> None:
    write_roster(tmp_path / "raw" / "2024-04" / "Batuanten.xlsx", {"BPD": []})  # the batch's only file
    build_warehouse(tmp_path / "raw", tmp_path / "cakupan.duckdb")
    files = view(tmp_path / "cakupan.duckdb", "ingested_files")
    assert files.select("status", "rows_read", "rows_loaded").rows() == [("loaded", 0, 0)]


def test_a_person_written_below_the_totals_row_is_skipped_and_the_village_told(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    rows = [
        [ANI, "Ani", "P", "Anggota BPD", "Sudah", "1"],
        ["JUMLAH", "", "", "", "", ""],
        [BUDI, "Budi", "L", "Anggota BPD", "Belum", ""],  # row 7: a person below the totals row
        ["", "", "", "Kepala Desa", "", ""],
        ["19650505 199003 1 010", "Sugiyono", "", "", "", ""],  # an official's NIP, not a person of the roster
    ]
    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": rows})
    build_warehouse(raw, warehouse)
    assert query(warehouse, "select rows_read, rows_loaded, rows_rejected, rows_skipped from ingested_files") == [
        (5, 1, 0, 4)
    ]
    assert query(warehouse, "select source_row, row_kind from skipped_rows order by all") == [
        (6, "total"),
        (7, "signature"),
        (8, "signature"),
        (9, "signature"),
    ]
    assert query(
        warehouse,
        "select source_row, check_name, severity, failure_value, message like '%di bawah baris JUMLAH%' "
        "from validation_failures where source_row > 6",
    ) == [(7, "row_below_total", "warning", f"{BUDI[:6]}******{BUDI[-4:]}", True)]
    assert query(warehouse, "select count(*) from roster") == [(1,)]
    out = tmp_path / "perbaikan"
    assert CliRunner().invoke(app, ["rejects", "--warehouse", str(warehouse), "--out", str(out)]).exit_code == 0
    (workbook,) = out.glob("*.xlsx")
    cells = [
        str(cell) for row in openpyxl.load_workbook(workbook).worksheets[0].iter_rows(values_only=True) for cell in row
    ]
    assert any("di bawah baris JUMLAH" in cell for cell in cells) and "Budi" in cells  # the row's own cells beside it
