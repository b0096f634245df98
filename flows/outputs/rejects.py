"""Corrections workbooks: one .xlsx per village listing its rejected and warned rows, to send back."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import xlsxwriter

from flows.ingest.validate import mask_nik
from flows.settings import STATEMENTS_DIR
from flows.store.sql import query_frame

# column -> header in the workbook, in Indonesian for the village secretary
HEADERS = {
    "period": "BULAN",
    "source_file": "BERKAS",
    "sheet": "LEMBAR",
    "source_row": "BARIS",
    "severity": "TINGKAT",
    "column_name": "KOLOM",
    "message": "YANG PERLU DIPERBAIKI",
    "failure_value": "NILAI TERTULIS",
    "check_name": "KODE PEMERIKSAAN",
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
}


class StateBusyError(RuntimeError):
    """The state database is held by a running flow."""


def select_rejects(state: Path, period: str | None, village_code: str | None) -> pl.DataFrame:
    """Current failures joined to the original cells of their rows (state database opened read-only).

    Cells come masked from the state database; file and sheet names, kept there as written
    (the file is read by them), are masked here: a file may be named after a person's NIK.
    """
    try:
        with duckdb.connect(str(state), read_only=True) as con:
            query = (STATEMENTS_DIR / "select_rejects.sql").read_text()
            rows = query_frame(con, query, {"period": period, "village_code": village_code})
    except duckdb.IOException as error:
        raise StateBusyError(f"cannot open {state} now (is a run in progress?): {error}") from error
    return rows.with_columns(mask_nik(pl.col(c)) for c in ("source_file", "sheet") if c in rows.columns)


CORRECTIONS_MODE = 0o600  # masked, but still about named people: their reader forwards them by hand


def write_workbook(path: Path, rows: pl.DataFrame, title: str) -> None:
    """One corrections workbook; every cell is written as text or a number, never as a formula."""
    book = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    sheet = book.add_worksheet("Perbaikan")
    sheet.write_string(0, 0, title, bold)
    sheet.write_row(2, 0, list(HEADERS.values()), bold)
    for index, row in enumerate(rows.select(list(HEADERS)).iter_rows(), start=3):
        for column, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(index, column, value)
            elif value is not None:
                sheet.write_string(index, column, str(value))
    sheet.freeze_panes(3, 0)
    sheet.autofilter(2, 0, 2 + rows.height, len(HEADERS) - 1)
    sheet.set_column(0, len(HEADERS) - 1, 18)
    sheet.set_column(6, 6, 60)
    book.close()
    path.chmod(CORRECTIONS_MODE)


def write_rejects(
    state: Path, villages: pl.DataFrame, out_dir: Path, period: str | None = None, village_code: str | None = None
) -> list[Path]:
    """Write `<out>/<village code> <village name>.xlsx` for every village with current failures."""
    rows = select_rejects(state, period, village_code)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = dict(villages.select("village_code", "village_name").iter_rows())
    written = []
    for (code,), part in rows.group_by("village_code", maintain_order=True):
        name = names.get(str(code), "")
        path = out_dir / f"{code} {name}.xlsx"
        title = f"Perbaikan data BPJS Ketenagakerjaan: {name} ({code})" + (f", bulan {period}" if period else "")
        write_workbook(path, part, title)
        written.append(path)
    return written
