"""Corrections workbooks: what each village must fix, in its own words, to send back.

One workbook per village with current failures: its rejected files (why, and what to do),
its rows rejected or warned (the column as the village wrote it, with its letter, and the
cells as written), and its files that conflict with another. Files that could not be
placed on any village go to one list per kecamatan (the folder they were sent in), or to
one list for the regency when no folder names a kecamatan. Each workbook has a second
sheet, `Keterangan`, explaining its columns and every check.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import polars as pl

from flows.ingest.dates import month_name
from flows.ingest.place import place_key
from flows.outputs.workbook import Layout, workbook_path, write_workbook
from flows.privacy import mask_nik
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
    "PERINGATAN: berkasnya dihitung, tetapi baris ini perlu diperiksa (YANG PERLU DIPERBAIKI menyebut bila baris "
    "itu sendiri tidak dihitung).",
    "NILAI TERTULIS": "Isi sel seperti ditulis desa (NIK disamarkan), atau nama berkas lain yang bertabrakan.",
    "YANG PERLU DIPERBAIKI": "Apa yang salah dan cara memperbaikinya.",
    "NIK (disamarkan)": "NIK di baris itu, hanya 6 digit awal dan 4 digit akhir, untuk menemukan orangnya.",
    "TANGGAL LAHIR": "Tanggal lahir di baris itu (HH-BB-TTTT); seperti ditulis desa bila bukan tanggal.",
    "IURAN": "Iuran sebulan di baris itu, dalam rupiah; seperti ditulis desa bila tidak terbaca sebagai angka.",
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
    "sudah diperbaiki dengan nama yang sama. Baris DITOLAK belum dihitung; pada baris PERINGATAN berkasnya "
    "dihitung, tetapi barisnya perlu diperiksa. Penjelasan setiap kolom dan kode ada di lembar Keterangan."
)
UNPLACED_INSTRUCTION = (
    "Berkas-berkas ini tidak dapat ditempatkan pada desa mana pun atau ditolak seluruhnya. Hubungi desa "
    "pengirimnya, sampaikan alasan di kolom YANG PERLU DIPERBAIKI, dan minta berkas dikirim kembali."
)

EXPORT_INSTRUCTION = (
    "Baris-baris ekspor kantor cabang BPJS Ketenagakerjaan ini tidak dapat dipakai untuk verifikasi. "
    "Sampaikan ke kantor cabang dan minta ekspor yang sudah diperbaiki."
)


EARLIER_COUNTS = (  # after a whole file's reason, when an earlier version of the same file was loaded
    "Sampai berkas yang benar diterima, yang dihitung untuk bulan ini adalah versi sebelumnya dari berkas ini."
)


def select_rejects(state: Path, period: str | None, village_code: str | None) -> pl.DataFrame:
    """Current failures with the cells of their rows and the checked column as written (state read-only).

    Cells come masked from the state database; file and sheet names, kept there as written
    (the file is read by them), and the file named by a conflict are masked here: a file may
    be named after a person's NIK.
    """
    with read_state(state) as con:
        query = (STATEMENTS_DIR / "select_rejects.sql").read_text()
        rows = query_frame(
            con, query, {"period": period, "village_code": village_code, "earlier_counts": EARLIER_COUNTS}
        )
    return rows.with_columns(
        *(mask_nik(pl.col(c)) for c in ("source_file", "sheet")),
        failure_value=mask_nik(value_as_written()),
        column=column_as_written(),
    )


def value_as_written() -> pl.Expr:
    """The checked cell as written: the failure's value, else the row's cell of the checked column.

    A check comparing two cells (a birth date against the NIK's) records no single value.
    """
    cell = pl.coalesce(*(pl.when(pl.col("column_name") == c).then(pl.col(c)) for c in COLUMN_LABELS))
    return pl.coalesce(pl.col("failure_value"), cell)


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
    dates=("birth_date",),
    amounts=("contribution",),
)


def title_for(kind: str, name: str, district: str, periods: list[str]) -> str:
    months = ", ".join(month_name(p) for p in periods if p)
    return f"Perbaikan data BPJS Ketenagakerjaan: {kind} {name}, Kecamatan {district}, " + (
        f"bulan {months}" if months else "semua bulan"
    )


def nothing_to_fix(period: str | None) -> str:
    """What a village asked for by name reads when none of its files has anything to fix."""
    when = f"untuk bulan {month_name(period)}" if period else "saat ini"
    return f"Tidak ada yang perlu diperbaiki {when} pada berkas desa yang sudah diterima."


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
        path = workbook_path(
            out_dir, f"Kecamatan {district} - berkas tidak dikenali" if district else "Berkas tidak dikenali"
        )
        months = ", ".join(month_name(p) for p in sorted(set(part["period"].drop_nulls())))
        title = f"Berkas yang tidak dapat ditempatkan pada desa: {where}" + (f", bulan {months}" if months else "")
        write_workbook(path, part, title, UNPLACED_INSTRUCTION, CORRECTIONS)
        written.append(path)
    return written


def write_export_list(rows: pl.DataFrame, out_dir: Path) -> list[Path]:
    """The BPJS exports' rejected rows and files, in one list for the regency office to take up with the branch."""
    if rows.is_empty():
        return []
    path = workbook_path(out_dir, "Ekspor BPJS - perlu diperbaiki")
    months = ", ".join(month_name(p) for p in sorted(set(rows["period"].drop_nulls())))
    title = f"Ekspor BPJS Ketenagakerjaan yang perlu diperbaiki, bulan {months}"
    write_workbook(path, rows, title, EXPORT_INSTRUCTION, CORRECTIONS)
    return [path]


def write_rejects(
    state: Path, villages: pl.DataFrame, out_dir: Path, period: str | None = None, village_code: str | None = None
) -> list[Path]:
    """Write `<out>/<village code> <village name>.xlsx` for every village with current failures,
    a list per kecamatan of files placed on no village, and one of the BPJS exports' problems.

    A village asked for by its code gets its workbook even with nothing to fix, saying so.
    """
    rows = select_rejects(state, period, village_code)
    out_dir.mkdir(parents=True, exist_ok=True)
    about = {row["village_code"]: row for row in villages.iter_rows(named=True)}
    written = write_export_list(rows.filter(pl.col("kind") != "roster"), out_dir) if village_code is None else []
    rows = rows.filter(pl.col("kind") == "roster")
    parts = rows.filter(pl.col("village_code").is_not_null()).partition_by(
        "village_code", as_dict=True, maintain_order=True
    )
    if village_code is not None and not parts:
        parts = {(village_code,): rows.clear()}
    for (code,), part in parts.items():
        village = about.get(str(code), {})
        name, district = village.get("village_name", ""), village.get("district_name", "")
        kind = "Kelurahan" if village.get("village_type") == "kelurahan" else "Desa"
        periods = sorted(set(part["period"].drop_nulls())) or ([period] if period else [])
        title = title_for(kind, name, district, periods)
        instruction = INSTRUCTION if part.height else nothing_to_fix(period)
        path = workbook_path(out_dir, f"{code} {name}")
        write_workbook(path, part, title, instruction, CORRECTIONS)
        written.append(path)
    return written + write_unplaced(rows.filter(pl.col("village_code").is_null()), villages, out_dir)
