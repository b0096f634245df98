"""The corrections workbooks as a village secretary opens and prints them (LibreOffice does not grow rows itself).

Every row as tall as its wrapped text, every sheet printable (A4 landscape, one page wide, the
header row on each page), dates and rupiah as date and number cells, names that cannot break the
file name, and a village asked for by name told it has nothing to fix.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlsxwriter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from typer.testing import CliRunner

from flows.cli import app
from flows.outputs.rejects import write_rejects
from flows.outputs.workbook import LEGIBLE_SCALE, PAGE_POINTS, workbook_path
from flows.settings import BANYUMAS_REGENCY_CODE, state_path_for
from flows.store.reference import load_villages
from tests.helpers import ANI, BUDI, CITRA, build_warehouse, write_roster
from tests.test_read import SOFFICE, needs_libreoffice
from tests.test_rejects import table
from tests.test_verification import PESERTA_HEADER, write_xlsx

runner = CliRunner()
LONG_ROLE = "Tukang sapu jalan desa dan penjaga balai desa bagian belakang, juga pengantar surat ke kecamatan"


def assert_printable(book: Workbook) -> None:
    """Every sheet: A4 landscape, modest margins, every row tall enough, and printed no smaller than LEGIBLE_SCALE:
    as few pages across as that allows (the columns naming a row again on each), its header row on every page; the
    legend one page across, no row repeated (it holds two tables, each with its header)."""
    table, legend = book.worksheets
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, str(setup.paperSize)) == ("landscape", "9"), sheet.title
        assert max(sheet.page_margins.left, sheet.page_margins.right) <= 0.75, sheet.title
        widths = {c: d.width for d in sheet.column_dimensions.values() for c in range(d.min or 1, (d.max or 0) + 1)}
        assert_legible(sheet, widths)
        merged = {r.min_row: sum(widths[c] for c in range(r.min_col, r.max_col + 1)) for r in sheet.merged_cells.ranges}
        for row in sheet.iter_rows():
            for cell in row:
                if not isinstance(cell.value, str):
                    continue
                width = merged.get(cell.row) if cell.column == 1 and cell.row in merged else widths[cell.column]
                needed = math.ceil(len(cell.value) / width)  # at most a column's width of characters a line
                height = sheet.row_dimensions[cell.row].height
                assert height is not None and height >= 15 * needed, (sheet.title, cell.coordinate, cell.value)
    assert table.print_title_rows and not legend.print_title_rows


def assert_legible(sheet: Worksheet, widths: dict[int, float]) -> None:
    """Fitted as many pages across as printing at LEGIBLE_SCALE or larger needs, and no more; over several pages
    across, the sheet's row numbers printed on each."""
    setup, points = sheet.page_setup, sum(stored_points(width) for width in widths.values())
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and setup.fitToHeight == 0, sheet.title
    across = int(setup.fitToWidth or 1)  # None: the default, 1
    assert points * LEGIBLE_SCALE <= PAGE_POINTS * across, sheet.title
    assert across == 1 or points * LEGIBLE_SCALE > PAGE_POINTS * (across - 1), sheet.title  # fewest pages
    assert bool(sheet.print_options.headings) == (across > 1), sheet.title
    assert (setup.pageOrder == "overThenDown") == (across > 1), sheet.title  # the halves of a row one after the other


def stored_points(width: float) -> float:
    """A column's printed width at full size, in points, from its width as stored (its padding included)."""
    return round(width * 7) * 0.75


def write_dated_roster(path: Path) -> None:
    """A roster with a birth date and a contribution column: as date and number cells, as text, and unreadable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("BPD")
    sheet.write_row(0, 0, ["DESA : BATUANTEN"])
    sheet.write_row(1, 0, ["KECAMATAN : CILONGOK"])
    sheet.write_row(3, 0, ["NO", "NIK", "NAMA", "JK", "TANGGAL LAHIR", "JABATAN", "STATUS", "NO KPJ", "IURAN"])
    dated = book.add_format({"num_format": "dd/mm/yyyy"})
    rows: list[list[object]] = [
        ["1", ANI, "Ani", "P", dt.datetime(1980, 5, 12), "Ketua BPD", "Mungkin", "", 16800],
        ["2", BUDI, "Budi", "L", "12/05/1975", "Anggota BPD", "Mungkin", "", "Rp 16.800"],
        ["3", CITRA, "Citra", "P", "kemarin sore", LONG_ROLE, "Mungkin", "", "enam belas ribu"],
        ["4", CITRA, "Dewi", "P", "1970", "Anggota BPD", "Mungkin", "", "16800"],
        ["5", "3302175506900005", "Fitri", "P", dt.datetime(1990, 6, 16), "Anggota BPD", "Belum", "", 16800],
        ["6", CITRA, "Gita", "P", "01/01/1899", "Anggota BPD", "Mungkin", "", "16800"],
    ]
    for index, row in enumerate(rows, start=4):
        for column, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(index, column, value, dated)
            elif isinstance(value, int):
                sheet.write_number(index, column, value)
            else:
                sheet.write_string(index, column, value)
    book.close()


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("dated") / "raw"
    write_dated_roster(raw / "2024-04" / "Cilongok" / "Batuanten.xlsx")
    eka = ["3302174508900004", "Eka", "P", "Ketua BPD", "Belum", ""]  # nothing to fix
    write_roster(raw / "2024-04" / "Cilongok" / "Cikidang.xlsx", {"BPD": [eka]}, village="CIKIDANG")
    unknown = raw / "2024-04" / "Cilongok" / "Desa Suka'maju RT 01-02.xlsx"
    write_roster(unknown, {"BPD": [eka]}, village="SUKA'MAJU / KIDUL", district="CILONGOK")
    warehouse = raw.parent / "wh" / "cakupan.duckdb"
    build_warehouse(raw, warehouse, started_at=dt.datetime(2024, 5, 6, 9, tzinfo=dt.UTC))
    return warehouse


def test_dates_and_rupiah_are_date_and_number_cells_and_the_rest_is_as_written(dated: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert runner.invoke(app, ["rejects", "--warehouse", str(dated), "--out", str(out)]).exit_code == 0
    book = openpyxl.load_workbook(out / "33.02.17.2008 Batuanten.xlsx")
    sheet = book["Perbaikan"]
    rows = {row["NAMA"]: row for row in table(sheet) if row["KODE PEMERIKSAAN"] == "status_vocabulary"}
    assert rows["Ani"]["TANGGAL LAHIR"] == dt.datetime(1980, 5, 12)  # a date cell, not `1980-05-12 00:00:00`
    assert rows["Budi"]["TANGGAL LAHIR"] == dt.datetime(1975, 5, 12)
    assert rows["Citra"]["TANGGAL LAHIR"] == "kemarin sore"  # not a date: as written
    assert rows["Dewi"]["TANGGAL LAHIR"] == "1970"  # a year is no date (nor an Excel serial)
    assert rows["Gita"]["TANGGAL LAHIR"] == "01/01/1899"  # before any date a spreadsheet shows: as written
    assert [rows[name]["IURAN"] for name in ("Ani", "Budi", "Citra", "Dewi")] == [
        16800,
        16800,
        "enam belas ribu",
        16800,
    ]
    header = [cell.value for cell in sheet[4]]
    day, iuran = header.index("TANGGAL LAHIR") + 1, header.index("IURAN") + 1
    for row in sheet.iter_rows(min_row=5):
        if isinstance(row[day - 1].value, dt.datetime):
            assert row[day - 1].number_format == "dd-mm-yyyy"
        if isinstance(row[iuran - 1].value, int):
            assert row[iuran - 1].number_format == "#,##0"  # 16.800 under an Indonesian locale
        assert not any(isinstance(cell.value, str) and "00:00:00" in cell.value for cell in row)
    assert any(row["YANG PERLU DIPERBAIKI"] and "Linmas" in str(row["YANG PERLU DIPERBAIKI"]) for row in table(sheet))
    # a birth date unlike the NIK's (15-06-1990): the cell as written, as Indonesians write dates, not 00:00:00
    (fitri,) = [row for row in table(sheet) if row["NAMA"] == "Fitri"]
    assert (fitri["KODE PEMERIKSAAN"], fitri["NILAI TERTULIS"]) == ("nik_birth_date_mismatch", "16-06-1990")
    assert fitri["TANGGAL LAHIR"] == dt.datetime(1990, 6, 16)
    assert_printable(book)
    legend = {row[0].value: row[1].value for row in book["Keterangan"].iter_rows()}
    assert "HH-BB-TTTT" in str(legend["TANGGAL LAHIR"]) and "rupiah" in str(legend["IURAN"])


def test_a_village_asked_for_with_nothing_to_fix_gets_a_workbook_saying_so(dated: Path, tmp_path: Path) -> None:
    for period, month in ((["--period", "2024-04"], "untuk bulan April 2024"), ([], "saat ini")):
        out = tmp_path / f"out{len(period)}"
        command = ["rejects", "--warehouse", str(dated), "--out", str(out), "--village", "33.02.17.2012", *period]
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
        assert "1 workbook(s) written" in result.output
        book = openpyxl.load_workbook(out / "33.02.17.2012 Cikidang.xlsx")
        sheet = book["Perbaikan"]
        assert str(sheet["A1"].value).startswith("Perbaikan data BPJS Ketenagakerjaan: Desa Cikidang, Kecamatan")
        assert str(sheet["A2"].value).startswith(f"Tidak ada yang perlu diperbaiki {month}")
        assert table(sheet) == []
        assert_printable(book)
    # all villages: only those with something to fix
    out = tmp_path / "all"
    assert runner.invoke(app, ["rejects", "--warehouse", str(dated), "--out", str(out)]).exit_code == 0
    assert sorted(path.name for path in out.iterdir()) == [
        "33.02.17.2008 Batuanten.xlsx",
        "Kecamatan Cilongok - berkas tidak dikenali.xlsx",
    ]


def test_a_place_written_with_quotes_is_told_as_written_not_as_python_quotes_it(dated: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert runner.invoke(app, ["rejects", "--warehouse", str(dated), "--out", str(out)]).exit_code == 0
    (row,) = table(openpyxl.load_workbook(out / "Kecamatan Cilongok - berkas tidak dikenali.xlsx")["Perbaikan"])
    said = str(row["YANG PERLU DIPERBAIKI"])
    assert said.startswith(
        "Desa tidak ditemukan dalam daftar resmi (tertulis DESA “SUKA'MAJU / KIDUL”, KECAMATAN “CILONGOK”; "
        "berkas “2024-04/Cilongok/Desa Suka'maju RT 01-02.xlsx”)."
    ), said


def test_a_name_with_separators_stays_one_file_in_the_folder(dated: Path, tmp_path: Path) -> None:
    villages = load_villages(region=BANYUMAS_REGENCY_CODE).with_columns(
        village_name=pl.when(pl.col("village_code") == "33.02.17.2008")
        .then(pl.lit("../Suka/Maju\\Kidul: \x00..."))
        .otherwise(pl.col("village_name"))
    )
    out = tmp_path / "deep" / "out"
    written = write_rejects(state_path_for(dated), villages, out)
    village = out / "33.02.17.2008 ..-Suka-Maju-Kidul- -.xlsx"
    assert sorted(written) == [village, out / "Kecamatan Cilongok - berkas tidak dikenali.xlsx"]
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == sorted(written)  # nothing outside `out`
    title = openpyxl.load_workbook(village)["Perbaikan"]["A1"].value
    assert "Desa ../Suka/Maju\\Kidul:" in str(title)  # the name as the reference writes it, in the text


@pytest.mark.parametrize(
    ("name", "file_name"),
    [
        ("33.02.17.2008 Suka/Maju", "33.02.17.2008 Suka-Maju.xlsx"),
        ("../../etc/passwd", "-..-etc-passwd.xlsx"),
        ("..", "_.xlsx"),
        ("", "_.xlsx"),
        (".tersembunyi ", "tersembunyi.xlsx"),
        ('a\\b:c*d?e"f<g>h|i\x00j\nk', "a-b-c-d-e-f-g-h-i-j-k.xlsx"),
        ("NUL", "_NUL.xlsx"),
        ("con.txt", "_con.txt.xlsx"),
        ("Kecamatan " + "Ā" * 300, "Kecamatan " + "Ā" * 95 + ".xlsx"),
    ],
)
def test_workbook_names_are_plain_file_names_inside_the_folder(tmp_path: Path, name: str, file_name: str) -> None:
    path = workbook_path(tmp_path, name)
    assert path.parent == tmp_path and path.name == file_name
    path.write_bytes(b"")  # the system takes it


@needs_libreoffice
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_libreoffice_prints_every_column_legibly_the_rows_numbers_on_each_page(dated: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert runner.invoke(app, ["rejects", "--warehouse", str(dated), "--out", str(out)]).exit_code == 0
    workbook = out / "33.02.17.2008 Batuanten.xlsx"
    converted = subprocess.run(
        [str(SOFFICE), "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(workbook)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert converted.returncode == 0, converted.stderr
    pdf = tmp_path / "pdf" / "33.02.17.2008 Batuanten.pdf"
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    title = "Perbaikan data BPJS Ketenagakerjaan: Desa Batuanten, Kecamatan Cilongok, bulan April 2024"
    assert title in first  # the title whole, on one page
    second = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for header in ("BULAN", "BERKAS", "YANG PERLU", "TANGGAL LAHIR", "IURAN", "KODE PEMERIKSAAN"):
        assert header in first + second, header  # every column on the table's pages across
    assert re.search(r"^\s*7\b", second, re.M)  # the sheet's row numbers on the second page across too
    assert "00:00:00" not in first + second and "12-05-1980" in first + second
    words = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    heights = [float(b) - float(a) for a, b in re.findall(r'yMin="([\d.]+)".*?yMax="([\d.]+)">BULAN<', words)]
    assert heights and min(heights) >= 7, heights  # printed text a village secretary can read (it was 4.5 points)


def test_the_selisih_workbook_prints_its_arrears_as_rupiah_and_tells_a_village_asked_for_it_has_none(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "raw"
    lapsed, paid = ("3302171205750011", "88000000011"), ("3302175205800012", "88000000012")
    write_roster(
        raw / "2024-04" / "Cilongok" / "Batuanten.xlsx",
        {"BPD": [[lapsed[0], "Lewat", "L", "Ketua BPD", "Sudah", lapsed[1]]]},
    )
    write_roster(
        raw / "2024-04" / "Cilongok" / "Karanglo.xlsx",
        {"BPD": [[paid[0], "Lunas", "P", "Ketua BPD", "Sudah", paid[1]]]},
        village="KARANGLO",
    )
    peserta = [
        [lapsed[1], lapsed[0], "Lewat", "", "BPU", "JKK", "01/01/2020", "AKTIF", "2023-12"],  # 4 months unpaid
        [paid[1], paid[0], "Lunas", "", "BPU", "JKK", "01/01/2020", "AKTIF", "2024-04"],
    ]
    write_xlsx(raw / "2024-04" / "BPJS" / "peserta.xlsx", PESERTA_HEADER, peserta)
    warehouse = tmp_path / "wh" / "cakupan.duckdb"
    build_warehouse(raw, warehouse, started_at=dt.datetime(2024, 5, 6, 9, tzinfo=dt.UTC))

    out = tmp_path / "selisih"
    result = runner.invoke(app, ["discrepancies", "--warehouse", str(warehouse), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [path.name for path in out.iterdir()] == ["33.02.17.2008 Batuanten - selisih BPJS.xlsx"]
    book = openpyxl.load_workbook(out / "33.02.17.2008 Batuanten - selisih BPJS.xlsx")
    (row,) = table(book["Selisih BPJS"])
    assert row["TUNGGAKAN (Rp)"] == 4 * 16_800
    header = [cell.value for cell in book["Selisih BPJS"][4]]
    assert book["Selisih BPJS"].cell(5, header.index("TUNGGAKAN (Rp)") + 1).number_format == "#,##0"
    assert book["Selisih BPJS"].cell(5, header.index("BARIS") + 1).number_format == "General"  # a row, no grouping
    assert_printable(book)

    alone = tmp_path / "karanglo"
    command = ["discrepancies", "--warehouse", str(warehouse), "--out", str(alone), "--village", "33.02.17.2013"]
    assert runner.invoke(app, command).exit_code == 0
    book = openpyxl.load_workbook(alone / "33.02.17.2013 Karanglo - selisih BPJS.xlsx")
    sheet = book["Selisih BPJS"]
    assert str(sheet["A1"].value).endswith("Karanglo, Kecamatan Cilongok, bulan April 2024")
    assert str(sheet["A2"].value).startswith("Tidak ada orang yang perlu ditindaklanjuti untuk bulan April 2024")
    assert table(sheet) == []
    assert_printable(book)
    # a village no export verifies that month: nothing compared, nothing written
    none = tmp_path / "none"
    command = ["discrepancies", "--warehouse", str(warehouse), "--out", str(none), "--village", "33.02.17.2012"]
    assert runner.invoke(app, command).exit_code == 0
    assert list(none.iterdir()) == []
