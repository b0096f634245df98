"""Selisih workbooks: per village, the people whose reported status disagrees with BPJS, and what to do.

The verification (warehouse/statements/publish_verification.sql) is read from the analyst
warehouse, where each person carries a masked NIK; the village secretary finds them by the
name, post and roster row kept in the state database, joined here on the masked NIK, and is
given the KPJ BPJS holds for them (state table verified_kpj: no KPJ reaches the warehouse).
The NIKs, the roster's and BPJS's, stay masked in the workbook. One month per workbook.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from flows.ingest.dates import month_name
from flows.outputs.workbook import Layout, workbook_path, write_workbook
from flows.privacy import mask_nik
from flows.store.sql import query_frame
from flows.store.state_db import read_state

NOT_AT_BPJS = "tidak ada"

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
    "arrears_idr": "TUNGGAKAN (Rp)",
    "catatan": "CATATAN",
    "bpjs_kpj": "NOMOR KPJ DI BPJS",
    "bpjs_nik_masked": "NIK DI BPJS (disamarkan)",
    "tindakan": "YANG PERLU DILAKUKAN",
    "source_file": "BERKAS",
    "sheet": "LEMBAR",
    "source_row": "BARIS",
}
# every code the workbook shows, in Indonesian, with what it means (the legend sheet lists them all)
STATUS_LABELS = {
    "terverifikasi": (
        "Sesuai, ada data yang berbeda",
        "Status sesuai dengan BPJS, tetapi ada data yang berbeda (lihat CATATAN).",
    ),
    "tidak_ditemukan": (
        "Tidak ditemukan di BPJS",
        "Desa melaporkan sudah terdaftar, tetapi BPJS tidak mengenal NIK maupun KPJ-nya.",
    ),
    "non_aktif": (
        "Tidak aktif lagi di BPJS",
        "Desa melaporkan sudah terdaftar, tetapi di BPJS berstatus NON AKTIF, BERAKHIR atau MENINGGAL.",
    ),
    "menunggak": (
        "Iuran menunggak",
        "Desa melaporkan sudah terdaftar; masih peserta, tetapi iurannya tertunggak lebih lama dari masa tenggang.",
    ),
    "belum_dilaporkan": (
        "Sudah aktif di BPJS, dilaporkan Belum",
        "BPJS mencatatnya aktif dan iurannya lunas, tetapi desa menulis Belum.",
    ),
    "tidak_terdaftar": (
        "Dilaporkan Belum, tidak terlindungi di BPJS",
        "Desa menulis Belum; BPJS mengenalnya, tetapi tidak aktif, sudah meninggal atau iurannya menunggak.",
    ),
}
WARNING_LABELS = {
    "nik_berbeda": ("NIK di BPJS berbeda", "Cocok lewat nomor KPJ, tetapi NIK di BPJS lain (lihat NIK DI BPJS)."),
    "nik_kosong_di_bpjs": ("NIK kosong di data BPJS", "Cocok lewat nomor KPJ, tetapi BPJS tidak mencatat NIK-nya."),
    "kpj_berbeda": ("nomor KPJ di BPJS berbeda", "Nomor KPJ di daftar desa lain dari nomor KPJ di BPJS."),
    "nama_berbeda": ("nama di BPJS berbeda", "Nama di daftar desa berbeda dengan nama di BPJS."),
    "tanggal_lahir_berbeda": ("tanggal lahir di BPJS berbeda", "Tanggal lahir di daftar desa berbeda dengan di BPJS."),
}
BPJS_STATUSES = {
    "AKTIF": "Peserta aktif di BPJS.",
    "MENUNGGAK": "Masih peserta, tetapi iurannya belum dibayar.",
    "NON AKTIF": "Kepesertaan tidak aktif: perlu diaktifkan kembali dengan nomor KPJ yang lama.",
    "BERAKHIR": "Kepesertaan sudah berakhir: perlu diaktifkan kembali dengan nomor KPJ yang lama.",
    "MENINGGAL": "Peserta tercatat meninggal dunia: ahli waris dapat mengajukan klaim JKM.",
    NOT_AT_BPJS: "NIK maupun nomor KPJ-nya tidak ada di data BPJS.",
}
MEANINGS = {
    "DILAPORKAN DESA": "Status yang ditulis desa di daftar: Sudah atau Belum terdaftar.",
    "DATA BPJS": "Status orang ini di data kepesertaan kantor cabang BPJS Ketenagakerjaan (lihat tabel di bawah).",
    "HASIL": "Hasil pencocokan daftar desa dengan data BPJS (lihat tabel di bawah).",
    "BULAN": "Bulan laporan (TTTT-BB, misalnya 2024-04 untuk April 2024).",
    "IURAN TERAKHIR": "Bulan terakhir yang sudah dibayar iurannya, menurut BPJS (TTTT-BB).",
    "TUNGGAKAN (Rp)": "Iuran yang belum dibayar: bulan belum dibayar dikali iuran minimum sebulan. Hanya untuk "
    "peserta yang masih tercatat di BPJS (DATA BPJS AKTIF atau MENUNGGAK) dan iurannya tertinggal, juga bila "
    "masih dalam masa tenggang (HASIL belum Iuran menunggak); NON AKTIF tidak dihitung tunggakannya: "
    "kepesertaannya harus diaktifkan lagi di kantor BPJS.",
    "CATATAN": "Data yang berbeda antara daftar desa dan data BPJS (lihat tabel di bawah).",
    "NOMOR KPJ DI BPJS": "Nomor kepesertaan orang ini di BPJS: tulis di daftar desa dan bawa ke kantor BPJS.",
    "NIK DI BPJS (disamarkan)": "NIK yang dicatat BPJS, bila berbeda dengan NIK di daftar desa.",
    "BERKAS": "Berkas, lembar dan baris daftar desa tempat orang ini tercatat.",
}
INSTRUCTION = (
    "Daftar ini memuat orang-orang yang perlu ditindaklanjuti: status kepesertaannya menurut desa berbeda "
    "dengan data BPJS Ketenagakerjaan, datanya berbeda, atau BPJS mengenalnya tetapi ia tidak terlindungi. "
    "Lakukan yang tertulis di kolom YANG PERLU DILAKUKAN: perbaiki daftar desa, atau uruskan pendaftaran, "
    "pengaktifan kembali, pembayaran iuran atau klaimnya, lalu kirim daftar yang sudah diperbaiki bulan berikutnya."
)

NOTHING_TO_FOLLOW_UP = (
    "Tidak ada orang yang perlu ditindaklanjuti untuk bulan {month}: status dan data setiap orang di daftar desa "
    "sesuai dengan data BPJS Ketenagakerjaan."
)


def codes() -> list[tuple[str, ...]]:
    """Every result, note and BPJS status the workbook shows, and what it means."""
    return [
        *(("HASIL", label, meaning) for label, meaning in STATUS_LABELS.values()),
        *(("CATATAN", label, meaning) for label, meaning in WARNING_LABELS.values()),
        *(("DATA BPJS", status, meaning) for status, meaning in BPJS_STATUSES.items()),
    ]


LAYOUT = Layout(
    "Selisih BPJS",
    HEADERS,
    MEANINGS,
    ("KOLOM", "ISI", "ARTINYA"),
    codes,
    ("name", "tindakan", "source_file"),
    amounts=("arrears_idr",),
)


LATEST = "select coalesce($period, max(period)) from verification"
LISTED = """
select * from verification_discrepancies
where period = $period and ($village_code is null or village_code = $village_code)
"""
VERIFIED_VILLAGE = """
select distinct v.period, v.village_code, p.village_name, p.district_name
from verification as v
join villages as p using (village_code)
where v.period = (select coalesce($period, max(period)) from verification) and v.village_code = $village_code
"""
ROSTER_PEOPLE = """
select r.period, r.village_code, r.group_code, r.nik, r.name, r.role, r.source_file, r.sheet, r.source_row, k.bpjs_kpj
from current_roster_rows as r
left join verified_kpj as k
    on k.period = r.period and k.village_code = r.village_code and k.group_code = r.group_code and k.nik = r.nik
where r.period = $period and ($village_code is null or r.village_code = $village_code)
order by r.source_file, r.sheet, r.source_row
"""


def select_discrepancies(warehouse: Path, state: Path, period: str | None, village_code: str | None) -> pl.DataFrame:
    """One month's discrepancy list (the latest verified when `period` is None) from the warehouse.

    Each person gets their name, post and roster row, and the KPJ BPJS holds for them, from the state.
    """
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (month,) = con.execute(LATEST, {"period": period}).fetchall()[0]
        filters = {"period": month, "village_code": village_code}
        listed = query_frame(con, LISTED, filters)
    with read_state(state) as con:
        rows = query_frame(con, ROSTER_PEOPLE, filters)
    people = (
        rows.with_columns(nik_masked=mask_nik(pl.col("nik")), source_file=mask_nik(pl.col("source_file")))
        .drop("nik")
        .unique(["period", "village_code", "group_code", "nik_masked"], keep="first", maintain_order=True)
    )
    labels = {code: label for code, (label, _) in WARNING_LABELS.items()}
    return listed.join(people, on=["period", "village_code", "group_code", "nik_masked"], how="left").with_columns(
        reported=pl.when(pl.col("enrolled")).then(pl.lit("Sudah")).otherwise(pl.lit("Belum")),
        bpjs=pl.col("bpjs_status").fill_null(NOT_AT_BPJS),
        hasil=pl.col("status").replace_strict({code: label for code, (label, _) in STATUS_LABELS.items()}),
        catatan=pl.col("warnings").str.split(", ").list.eval(pl.element().replace_strict(labels)).list.join(", "),
        tindakan=pl.when(pl.col("bpjs_kpj").is_not_null())
        .then(pl.concat_str(pl.col("tindakan"), pl.lit(" Nomor KPJ di BPJS: "), pl.col("bpjs_kpj"), pl.lit(".")))
        .otherwise(pl.col("tindakan")),
    )


def write_discrepancies(
    warehouse: Path, state: Path, out_dir: Path, period: str | None = None, village_code: str | None = None
) -> list[Path]:
    """Write `<out>/<village code> <village name> - selisih BPJS.xlsx` for every village with people to follow up.

    One month: `period`, else the latest month a participants export verifies. A village asked for
    by its code whose people were verified that month gets its workbook even with no one to follow
    up, saying so.
    """
    rows = select_discrepancies(warehouse, state, period, village_code)
    out_dir.mkdir(parents=True, exist_ok=True)
    villages = [(part.row(0, named=True), part) for part in rows.partition_by("village_code", maintain_order=True)]
    if village_code is not None and not villages:
        villages = [(about, rows.clear()) for about in verified_village(warehouse, period, village_code)]
    written = []
    for about, part in villages:
        month = month_name(about["period"])
        title = (
            f"Selisih data kepesertaan BPJS Ketenagakerjaan: {about['village_name']}, "
            f"Kecamatan {about['district_name']}, bulan {month}"
        )
        instruction = INSTRUCTION if part.height else NOTHING_TO_FOLLOW_UP.format(month=month)
        path = workbook_path(out_dir, f"{about['village_code']} {about['village_name']} - selisih BPJS")
        write_workbook(path, part.sort("group_label", "name"), title, instruction, LAYOUT)
        written.append(path)
    return written


def verified_village(warehouse: Path, period: str | None, village_code: str) -> list[dict[str, object]]:
    """The month, name and kecamatan of a village whose people a participants export verifies that month, if any."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return query_frame(con, VERIFIED_VILLAGE, {"period": period, "village_code": village_code}).to_dicts()


def verified_people(warehouse: Path, period: str | None) -> int:
    """How many roster people of `period` (any, when None) a BPJS participants export covers."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        query = "select count(*) from verification where $period is null or period = $period"
        (count,) = con.execute(query, {"period": period}).fetchall()[0]
    return int(count)
