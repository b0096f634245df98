"""Corrections workbooks: what each village must fix, in its own words, to send back.

One workbook per village with current failures: its rejected files (why, and what to do),
its rows rejected or warned (the column as the village wrote it, with its letter, and the
cells as written), and its files that conflict with another. Files that could not be
placed on any village go to one list per kecamatan (the folder they were sent in), or to
one list for the regency when no folder names a kecamatan. Each workbook has a second
sheet, `Keterangan`, explaining its columns and every check.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import polars as pl
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from flows.ingest.dates import month_name
from flows.ingest.place import place_key
from flows.privacy import mask_nik, mask_text
from flows.settings import STATEMENTS_DIR
from flows.store.sql import query_frame
from flows.store.state_db import read_state
from schemas.roster import check_catalog

# column -> header in the workbook, in Indonesian for the village secretary
HEADERS = {
    "period": "BULAN",
    "source_file": "BERKAS",
    "sheet": "LEMBAR",
    "source_row": "BARIS",
    "column": "KOLOM",
    "severity": "TINGKAT",
    "failure_value": "NILAI TERTULIS",
    "message": "YANG PERLU DIPERBAIKI",
    "nik": "NIK (disamarkan)",
    "name": "NAMA",
    "sex": "JENIS KELAMIN",
    "birth_date": "TANGGAL LAHIR",
    "role": "JABATAN / PEKERJAAN",
    "rt_rw": "RT/RW",
    "status": "STATUS",
    "kpj": "NO KPJ",
    "contribution": "IURAN",
    "notes": "KETERANGAN",
    "check_name": "KODE PEMERIKSAAN",
}
# what each workbook column means, for the legend
HEADER_MEANINGS = {
    "BULAN": "Bulan laporan (TTTT-BB).",
    "BERKAS": "Berkas yang dikirim desa, dengan foldernya.",
    "LEMBAR": "Nama lembar kerja (sheet) di dalam berkas; kosong jika masalahnya seluruh berkas.",
    "BARIS": "Nomor baris di lembar kerja, seperti terlihat di Excel atau LibreOffice.",
    "KOLOM": "Judul kolom seperti ditulis desa, dan hurufnya (misalnya NIK (kolom B)).",
    "TINGKAT": "DITOLAK: baris atau berkas tidak dihitung sampai diperbaiki. "
    "PERINGATAN: sudah dihitung, tetapi perlu diperiksa.",
    "NILAI TERTULIS": "Isi sel seperti ditulis desa (NIK disamarkan), atau nama berkas lain yang bertabrakan.",
    "YANG PERLU DIPERBAIKI": "Apa yang salah dan cara memperbaikinya.",
    "NIK (disamarkan)": "NIK di baris itu, hanya 6 digit awal dan 4 digit akhir, untuk menemukan orangnya.",
    "KODE PEMERIKSAAN": "Kode pemeriksaan, untuk ditanyakan ke petugas kabupaten (lihat tabel di bawah).",
}
COLUMN_LABELS = {  # a checked column the sheet does not have, by what it should be
    "nik": "NIK",
    "name": "NAMA",
    "sex": "JENIS KELAMIN",
    "birth_date": "TANGGAL LAHIR",
    "role": "JABATAN",
    "status": "STATUS",
    "kpj": "NO KPJ",
    "contribution": "IURAN",
}
WHOLE_FILE = "berkas"
INSTRUCTION = (
    "Perbaiki setiap baris di berkas desa sesuai kolom YANG PERLU DIPERBAIKI, lalu kirim kembali berkas yang "
    "sudah diperbaiki dengan nama yang sama. Baris DITOLAK belum dihitung; baris PERINGATAN sudah dihitung "
    "tetapi perlu diperiksa. Penjelasan setiap kolom dan kode ada di lembar Keterangan."
)
UNPLACED_INSTRUCTION = (
    "Berkas-berkas ini tidak dapat ditempatkan pada desa mana pun atau ditolak seluruhnya. Hubungi desa "
    "pengirimnya, sampaikan alasan di kolom YANG PERLU DIPERBAIKI, dan minta berkas dikirim kembali."
)

EXPORT_INSTRUCTION = (
    "Baris-baris ekspor kantor cabang BPJS Ketenagakerjaan ini tidak dapat dipakai untuk verifikasi. "
    "Sampaikan ke kantor cabang dan minta ekspor yang sudah diperbaiki."
)


def select_rejects(state: Path, period: str | None, village_code: str | None) -> pl.DataFrame:
    """Current failures with the cells of their rows and the checked column as written (state read-only).

    Cells come masked from the state database; file and sheet names, kept there as written
    (the file is read by them), and the file named by a conflict are masked here: a file may
    be named after a person's NIK.
    """
    with read_state(state) as con:
        query = (STATEMENTS_DIR / "select_rejects.sql").read_text()
        rows = query_frame(con, query, {"period": period, "village_code": village_code})
    return rows.with_columns(
        *(mask_nik(pl.col(c)) for c in ("source_file", "sheet", "failure_value")),
        column=column_as_written(),
    )


def column_as_written() -> pl.Expr:
    """`STATUS BPJS (kolom F)`; a column the sheet lacks by its usual name; the whole file as such."""
    usual = pl.col("column_name").replace_strict(COLUMN_LABELS, default=pl.col("column_name").str.to_uppercase())
    return (
        pl.when(pl.col("column_name") == WHOLE_FILE)
        .then(pl.lit("Seluruh berkas"))
        .when(pl.col("letter").is_not_null())
        .then(pl.format("{} (kolom {})", pl.coalesce(pl.col("header"), usual), pl.col("letter")))
        .otherwise(pl.format("{} (kolom tidak ada)", usual))
    )


CORRECTIONS_MODE = 0o600  # masked, but still about named people: their reader forwards them by hand


@dataclass(frozen=True)
class Layout:
    """A workbook sent back to villages: its columns, what they mean, and a table of codes for the legend."""

    sheet: str
    headers: dict[str, str]  # frame column -> header
    meanings: dict[str, str]  # header -> what it means
    codes_header: tuple[str, ...]
    codes: Callable[[], list[tuple[str, ...]]]
    wide: tuple[str, ...]  # frame columns of long text


def check_codes() -> list[tuple[str, ...]]:
    """Every check: code, level, what it finds, how to fix it."""
    return [
        (c["check_name"], "DITOLAK" if c["severity"] == "error" else "PERINGATAN", c["problem"], c["fix"])
        for c in check_catalog().iter_rows(named=True)
    ]


CORRECTIONS = Layout(
    "Perbaikan",
    HEADERS,
    HEADER_MEANINGS,
    ("KODE PEMERIKSAAN", "TINGKAT", "MASALAH", "CARA MEMPERBAIKI"),
    check_codes,
    ("source_file", "message"),
)


def write_workbook(
    path: Path, rows: pl.DataFrame, title: str, instruction: str = INSTRUCTION, layout: Layout = CORRECTIONS
) -> None:
    """One workbook for a village; every cell is written as text (NIKs masked) or a number, never as a formula.

    It is written to a new private file beside `path`, then renamed over it: whatever `path` was
    (a link planted there, an older workbook) is replaced, never written through.
    """
    descriptor, written = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".xlsx")
    os.close(descriptor)
    try:
        write_book(Path(written), rows, title, instruction, layout)
        Path(written).replace(path)
    except BaseException:
        Path(written).unlink(missing_ok=True)
        raise


def write_book(path: Path, rows: pl.DataFrame, title: str, instruction: str, layout: Layout) -> None:
    book = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    wrapped = book.add_format({"text_wrap": True, "valign": "top"})
    sheet = book.add_worksheet(layout.sheet)
    sheet.write_string(0, 0, mask_text(title), book.add_format({"bold": True, "font_size": 13}))
    sheet.write_string(1, 0, instruction)
    sheet.write_row(3, 0, list(layout.headers.values()), bold)
    for index, row in enumerate(rows.select(list(layout.headers)).iter_rows(), start=4):
        for column, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(index, column, value)
            elif value is not None:  # a header, a sheet or a file may be named after a person: NIKs masked
                sheet.write_string(index, column, mask_text(str(value)), wrapped)
    sheet.freeze_panes(4, 0)
    sheet.autofilter(3, 0, 3 + rows.height, len(layout.headers) - 1)
    sheet.set_column(0, len(layout.headers) - 1, 16)
    for wide in layout.wide:
        position = list(layout.headers).index(wide)
        sheet.set_column(position, position, 45)
    write_legend(book.add_worksheet("Keterangan"), layout, bold, wrapped)
    book.close()
    path.chmod(CORRECTIONS_MODE)  # mkstemp made it 0600 already; said here as the rule


def write_legend(sheet: Worksheet, layout: Layout, bold: object, wrapped: object) -> None:
    """What the columns mean, and every code: what it means and what to do."""
    sheet.write_string(0, 0, "Arti kolom", bold)
    for index, (header, meaning) in enumerate(layout.meanings.items(), start=1):
        sheet.write_string(index, 0, header, bold)
        sheet.write_string(index, 1, meaning, wrapped)
    start = len(layout.meanings) + 2
    sheet.write_row(start, 0, list(layout.codes_header), bold)
    for index, code in enumerate(layout.codes(), start=start + 1):
        for column, value in enumerate(code):
            sheet.write_string(index, column, value, wrapped)
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, len(layout.codes_header) - 1, 50)


def title_for(kind: str, name: str, district: str, periods: list[str]) -> str:
    months = ", ".join(month_name(p) for p in periods if p) or "semua bulan"
    return f"Perbaikan data BPJS Ketenagakerjaan: {kind} {name}, Kecamatan {district}, bulan {months}"


def district_of(source_file: str, districts: dict[str, str]) -> str | None:
    """The kecamatan whose name a folder of the path is (`2024-04/Cilongok/x.xlsx` -> `Cilongok`)."""
    for folder in PurePosixPath(source_file).parts[:-1]:
        if place_key(folder) in districts:
            return districts[place_key(folder)]
    return None


def write_unplaced(rows: pl.DataFrame, villages: pl.DataFrame, out_dir: Path) -> list[Path]:
    """One list per kecamatan of the files that could not be placed on a village."""
    districts = {place_key(name): name for name in villages["district_name"].unique()}
    named = rows.with_columns(
        district=pl.col("source_file").map_elements(lambda f: district_of(f, districts), return_dtype=pl.String)
    )
    written = []
    for (district,), part in named.group_by("district", maintain_order=True):
        where = f"Kecamatan {district}" if district else "tanpa kecamatan"
        path = out_dir / (
            f"Kecamatan {district} - berkas tidak dikenali.xlsx" if district else "Berkas tidak dikenali.xlsx"
        )
        months = ", ".join(month_name(p) for p in sorted(set(part["period"].drop_nulls())))
        title = f"Berkas yang tidak dapat ditempatkan pada desa: {where}" + (f", bulan {months}" if months else "")
        write_workbook(path, part, title, UNPLACED_INSTRUCTION)
        written.append(path)
    return written


def write_export_list(rows: pl.DataFrame, out_dir: Path) -> list[Path]:
    """The BPJS exports' rejected rows and files, in one list for the regency office to take up with the branch."""
    if rows.is_empty():
        return []
    path = out_dir / "Ekspor BPJS - perlu diperbaiki.xlsx"
    months = ", ".join(month_name(p) for p in sorted(set(rows["period"].drop_nulls())))
    write_workbook(path, rows, f"Ekspor BPJS Ketenagakerjaan yang perlu diperbaiki, bulan {months}", EXPORT_INSTRUCTION)
    return [path]


def write_rejects(
    state: Path, villages: pl.DataFrame, out_dir: Path, period: str | None = None, village_code: str | None = None
) -> list[Path]:
    """Write `<out>/<village code> <village name>.xlsx` for every village with current failures,
    a list per kecamatan of files placed on no village, and one of the BPJS exports' problems.
    """
    rows = select_rejects(state, period, village_code)
    out_dir.mkdir(parents=True, exist_ok=True)
    about = {row["village_code"]: row for row in villages.iter_rows(named=True)}
    written = write_export_list(rows.filter(pl.col("kind") != "roster"), out_dir) if village_code is None else []
    rows = rows.filter(pl.col("kind") == "roster")
    for (code,), part in rows.filter(pl.col("village_code").is_not_null()).group_by(
        "village_code", maintain_order=True
    ):
        village = about.get(str(code), {})
        name, district = village.get("village_name", ""), village.get("district_name", "")
        kind = "Kelurahan" if village.get("village_type") == "kelurahan" else "Desa"
        path = out_dir / f"{code} {name}.xlsx"
        write_workbook(path, part, title_for(kind, name, district, sorted(set(part["period"].drop_nulls()))))
        written.append(path)
    return written + write_unplaced(rows.filter(pl.col("village_code").is_null()), villages, out_dir)
