"""Selisih workbooks: per village, the people whose reported status disagrees with BPJS, and what to do.

The verification (warehouse/statements/publish_verification.sql) is read from the analyst
warehouse, where each person carries a masked NIK; the village secretary finds them by the
name, post and roster row kept in the state database, joined here on the masked NIK. The
NIK stays masked in the workbook.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from flows.ingest.dates import month_name
from flows.outputs.rejects import Layout, write_workbook
from flows.privacy import mask_nik
from flows.store.sql import query_frame
from flows.store.state import read_state

HEADERS = {
    "period": "BULAN",
    "group_label": "KELOMPOK",
    "name": "NAMA",
    "role": "JABATAN",
    "nik_masked": "NIK (disamarkan)",
    "reported": "DILAPORKAN DESA",
    "bpjs": "DATA BPJS",
    "hasil": "HASIL",
    "paid_through": "IURAN TERAKHIR",
    "months_unpaid": "BULAN BELUM DIBAYAR",
    "catatan": "CATATAN",
    "tindakan": "YANG PERLU DILAKUKAN",
    "source_file": "BERKAS",
    "sheet": "LEMBAR",
    "source_row": "BARIS",
}
STATUS_LABELS = {
    "tidak_ditemukan": "Tidak ditemukan di BPJS",
    "non_aktif": "Tidak aktif lagi di BPJS",
    "menunggak": "Iuran menunggak",
    "belum_dilaporkan": "Sudah aktif di BPJS, dilaporkan Belum",
    "terverifikasi": "Sesuai, ada data yang berbeda",
}
WARNING_LABELS = {
    "nik_berbeda": "NIK di BPJS berbeda",
    "nik_kosong_di_bpjs": "NIK kosong di data BPJS",
    "kpj_berbeda": "nomor KPJ di BPJS berbeda",
    "nama_berbeda": "nama di BPJS berbeda",
    "tanggal_lahir_berbeda": "tanggal lahir di BPJS berbeda",
}
MEANINGS = {
    "DILAPORKAN DESA": "Status yang ditulis desa di daftar: Sudah atau Belum terdaftar.",
    "DATA BPJS": "Status orang ini di data kepesertaan kantor cabang BPJS Ketenagakerjaan.",
    "HASIL": "Hasil pencocokan daftar desa dengan data BPJS (lihat tabel di bawah).",
    "IURAN TERAKHIR": "Bulan terakhir yang sudah dibayar iurannya, menurut BPJS.",
    "CATATAN": "Data yang berbeda antara daftar desa dan data BPJS.",
    "BERKAS": "Berkas, lembar dan baris daftar desa tempat orang ini tercatat.",
}
INSTRUCTION = (
    "Daftar ini memuat orang-orang yang status kepesertaannya menurut desa berbeda dengan data BPJS "
    "Ketenagakerjaan. Lakukan yang tertulis di kolom YANG PERLU DILAKUKAN: perbaiki daftar desa, atau "
    "uruskan pendaftaran dan pembayaran iurannya, lalu kirim daftar yang sudah diperbaiki bulan berikutnya."
)


def status_codes() -> list[tuple[str, ...]]:
    return [
        ("Tidak ditemukan di BPJS", "Desa melaporkan sudah terdaftar, tetapi BPJS tidak mengenal NIK maupun KPJ-nya."),
        ("Tidak aktif lagi di BPJS", "Dikenal BPJS tetapi berstatus NON AKTIF, BERAKHIR atau MENINGGAL."),
        ("Iuran menunggak", "Masih peserta, tetapi iurannya tertunggak lebih lama dari masa tenggang."),
        ("Sudah aktif di BPJS, dilaporkan Belum", "BPJS mencatatnya aktif, tetapi desa menulis Belum."),
        ("Sesuai, ada data yang berbeda", "Status sesuai, tetapi nama, tanggal lahir, NIK atau KPJ berbeda."),
    ]


LAYOUT = Layout(
    "Selisih BPJS", HEADERS, MEANINGS, ("HASIL", "ARTINYA"), status_codes, ("name", "tindakan", "source_file")
)


LISTED = """
select * from verification_discrepancies
where ($period is null or period = $period) and ($village_code is null or village_code = $village_code)
"""
ROSTER_PEOPLE = """
select r.period, r.village_code, r.group_code, r.nik, r.name, r.role, r.source_file, r.sheet, r.source_row
from current_roster_rows as r
where ($period is null or r.period = $period) and ($village_code is null or r.village_code = $village_code)
order by r.source_file, r.sheet, r.source_row
"""


def select_discrepancies(warehouse: Path, state: Path, period: str | None, village_code: str | None) -> pl.DataFrame:
    """The discrepancy list from the warehouse, with each person's name, post and roster row from the state."""
    filters = {"period": period, "village_code": village_code}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        listed = query_frame(con, LISTED, filters)
    with read_state(state) as con:
        rows = query_frame(con, ROSTER_PEOPLE, filters)
    people = (
        rows.with_columns(nik_masked=mask_nik(pl.col("nik")), source_file=mask_nik(pl.col("source_file")))
        .drop("nik")
        .unique(["period", "village_code", "group_code", "nik_masked"], keep="first", maintain_order=True)
    )
    return listed.join(people, on=["period", "village_code", "group_code", "nik_masked"], how="left").with_columns(
        reported=pl.when(pl.col("reported_enrolled")).then(pl.lit("Sudah")).otherwise(pl.lit("Belum")),
        bpjs=pl.col("bpjs_status").fill_null("tidak ada"),
        hasil=pl.col("status").replace_strict(STATUS_LABELS, default=pl.col("status")),
        catatan=pl.col("warnings").str.split(", ").list.eval(pl.element().replace(WARNING_LABELS)).list.join(", "),
    )


def write_discrepancies(
    warehouse: Path, state: Path, out_dir: Path, period: str | None = None, village_code: str | None = None
) -> list[Path]:
    """Write `<out>/<village code> <village name> - selisih BPJS.xlsx` for every village with people to follow up."""
    rows = select_discrepancies(warehouse, state, period, village_code)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for (code,), part in rows.group_by("village_code", maintain_order=True):
        first = part.row(0, named=True)
        months = ", ".join(month_name(p) for p in sorted(set(part["period"])))
        title = (
            f"Selisih data kepesertaan BPJS Ketenagakerjaan: {first['village_name']}, "
            f"Kecamatan {first['district_name']}, bulan {months}"
        )
        path = out_dir / f"{code} {first['village_name']} - selisih BPJS.xlsx"
        write_workbook(path, part.sort("period", "group_label", "name"), title, INSTRUCTION, LAYOUT)
        written.append(path)
    return written


def verified_people(warehouse: Path, period: str | None) -> int:
    """How many roster people of `period` (any, when None) a BPJS participants export covers."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        query = "select count(*) from verification where $period is null or period = $period"
        (count,) = con.execute(query, {"period": period}).fetchall()[0]
    return int(count)
