"""Checks on a normalised roster row: which reject it (error) and which flag it (warning).

Each check is one line of `ROW_CHECKS`: its name (as auditors see it in
`validation_failures.check_name`), the column it is about, its severity, the rule a good
row satisfies (a polars expression; null counts as failed) and the message a village
secretary reads, in Indonesian. `schema_for(severity)` turns them into a pandera schema whose
checks hang on the original text column (`nik_raw`), so a failure case is the cell as
written. Validation is lazy, so that every failure of every row is reported at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

import polars as pl

if TYPE_CHECKING:  # imported where a schema is built: pandera imports pandas (2 s), which only the readers need
    import pandera.polars as pa

Severity = Literal["error", "warning"]
MINIMUM_CONTRIBUTION_IDR = 16_800  # JKK 1% of Rp 1,000,000 + JKM Rp 6,800 (BPU minimum)

NIK_DIGITS = pl.col("nik").str.contains(r"^\d{16}$").fill_null(False)
NIK_SCIENTIFIC = pl.col("nik_raw").str.contains(r"^\s*\d[.,]\d+[eE][+]?\d+\s*$").fill_null(False)
NIK_DAY = pl.col("nik").str.slice(6, 2).cast(pl.Int32, strict=False)
NIK_IS_FEMALE = NIK_DAY > 40
NIK_BIRTH = pl.format(
    "{}-{}-{}",
    (NIK_DAY - pl.when(NIK_IS_FEMALE).then(40).otherwise(0)).cast(pl.String).str.zfill(2),
    pl.col("nik").str.slice(8, 2),
    pl.col("nik").str.slice(10, 2),
).str.to_date("%d-%m-%y", strict=False)


def applies_to(condition: pl.Expr, rule: pl.Expr) -> pl.Expr:
    """A rule checked only where the condition holds; rows outside it pass."""
    return (~condition.fill_null(False)) | rule.fill_null(False)


@dataclass(frozen=True)
class RowCheck:
    """One check on a roster row."""

    name: str
    column: str
    severity: Severity
    rule: pl.Expr
    problem: str  # what is wrong, as the village secretary reads it
    fix: str  # what to do about it

    @property
    def message(self) -> str:
        return f"{self.problem} {self.fix}"


ROW_CHECKS: tuple[RowCheck, ...] = (
    RowCheck(
        "nik_missing",
        "nik",
        "error",
        pl.col("nik_raw").is_not_null(),
        "NIK kosong.",
        "Isi NIK 16 digit sesuai KTP atau Kartu Keluarga.",
    ),
    RowCheck(
        "nik_scientific_notation",
        "nik",
        "error",
        ~NIK_SCIENTIFIC,
        "NIK tertulis sebagai angka ilmiah (misalnya 3.30217E+15) sehingga digit terakhir hilang.",
        "Ubah format sel NIK menjadi Teks, lalu ketik ulang NIK 16 digit sesuai KTP.",
    ),
    RowCheck(
        "nik_length",
        "nik",
        "error",
        applies_to(pl.col("nik_raw").is_not_null() & ~NIK_SCIENTIFIC, NIK_DIGITS),
        "NIK tidak 16 digit angka.",
        "Periksa KTP dan ketik 16 digit NIK tanpa spasi, titik atau huruf.",
    ),
    RowCheck(
        "nik_all_zeros",
        "nik",
        "error",
        ~pl.col("nik").str.contains(r"^0+$").fill_null(False),
        "NIK berisi angka nol semua.",
        "Isi NIK yang sebenarnya sesuai KTP; jika belum ada, tanyakan ke orang yang bersangkutan.",
    ),
    RowCheck(
        "nik_birth_date",
        "nik",
        "error",
        applies_to(NIK_DIGITS & ~pl.col("nik").str.contains(r"^0+$"), NIK_BIRTH.is_not_null()),
        "Tanggal lahir di dalam NIK (digit ke-7 sampai ke-12) tidak mungkin ada.",
        "Cocokkan NIK dengan KTP digit demi digit, lalu ketik ulang.",
    ),
    RowCheck(
        "nik_serial",
        "nik",
        "error",
        applies_to(NIK_DIGITS & ~pl.col("nik").str.contains(r"^0+$"), pl.col("nik").str.slice(12, 4) != "0000"),
        "Empat digit terakhir NIK tidak mungkin 0000; NIK yang diketik sebagai angka di Excel kehilangan "
        "digit terakhirnya.",
        "Ubah format sel NIK menjadi Teks, lalu ketik ulang NIK 16 digit sesuai KTP.",
    ),
    RowCheck(
        "status_vocabulary",
        "status",
        "error",
        pl.col("enrolled").is_not_null(),
        "Status kepesertaan BPJS Ketenagakerjaan tidak dikenal.",
        "Tulis “Sudah” jika sudah terdaftar, atau “Belum” jika belum.",
    ),
    RowCheck(
        "role_unknown",
        "role",
        "error",
        applies_to(pl.col("role_raw").is_not_null(), pl.col("group_code").is_not_null()),
        "Jabatan tidak dikenal sebagai jabatan BPD, RT/RW, LKD atau Linmas.",
        "Tulis jabatan seperti pada format isian, misalnya Ketua BPD, Anggota BPD, Ketua RT, Ketua RW, "
        "Ketua LPMD, Kader Posyandu atau Anggota Linmas.",
    ),
    RowCheck(
        "group_undetermined",
        "role",
        "error",
        applies_to(pl.col("role_raw").is_null(), pl.col("group_code").is_not_null()),
        "Kelompok tidak dapat ditentukan: jabatan kosong dan nama lembar kerja tidak menyebut kelompok.",
        "Isi kolom jabatan, atau beri nama lembar kerja sesuai kelompoknya (BPD, RT RW, LKD, LINMAS, RENTAN).",
    ),
    RowCheck(
        "bpd_in_kelurahan",
        "role",
        "error",
        ~((pl.col("group_code") == "BPD") & (pl.col("village_type") == "kelurahan")).fill_null(False),
        "Kelurahan tidak memiliki BPD.",
        "Periksa jabatan orang ini, atau apakah berkas ini memang untuk kelurahan ini.",
    ),
    RowCheck(
        "nik_outside_regency",
        "nik",
        "warning",
        applies_to(
            NIK_DIGITS & ~pl.col("nik").str.contains(r"^0+$") & pl.col("village_code").is_not_null(),
            pl.col("nik").str.head(4) == pl.col("village_code").str.replace(".", "", literal=True).str.head(4),
        ),
        "NIK tidak diawali kode kabupaten desa ini (3302 untuk Banyumas).",
        "Cocokkan NIK dengan KTP; jika orangnya memang ber-KTP luar kabupaten, baris ini tidak perlu diubah.",
    ),
    RowCheck(
        "nik_birth_date_mismatch",
        "birth_date",
        "warning",
        applies_to(
            NIK_BIRTH.is_not_null() & pl.col("birth_date").is_not_null(),
            pl.col("birth_date").dt.strftime("%d%m%y") == NIK_BIRTH.dt.strftime("%d%m%y"),
        ),
        "Tanggal lahir tidak sama dengan tanggal lahir di dalam NIK.",
        "Cocokkan tanggal lahir dan NIK dengan KTP, lalu perbaiki yang salah.",
    ),
    RowCheck(
        "nik_sex_mismatch",
        "sex",
        "warning",
        applies_to(NIK_DIGITS & pl.col("sex").is_not_null(), (pl.col("sex") == "P") == NIK_IS_FEMALE),
        "Jenis kelamin tidak sesuai dengan NIK (pada NIK perempuan, tanggal lahir ditambah 40).",
        "Cocokkan jenis kelamin (L/P) dan NIK dengan KTP, lalu perbaiki yang salah.",
    ),
    RowCheck(
        "enrolled_without_kpj",
        "kpj",
        "warning",
        applies_to(pl.col("enrolled"), pl.col("kpj").is_not_null()),
        "Status sudah terdaftar tetapi nomor KPJ kosong.",
        "Isi nomor KPJ 11 digit dari kartu peserta BPJS Ketenagakerjaan.",
    ),
    RowCheck(
        "kpj_length",
        "kpj",
        "warning",
        applies_to(pl.col("kpj").is_not_null(), pl.col("kpj").str.contains(r"^\d{11}$")),
        "Nomor KPJ tidak 11 digit angka.",
        "Salin nomor KPJ dari kartu peserta BPJS Ketenagakerjaan; ubah format sel menjadi Teks.",
    ),
    RowCheck(
        "contribution_below_minimum",
        "contribution",
        "warning",
        applies_to(pl.col("contribution_idr").is_not_null(), pl.col("contribution_idr") >= MINIMUM_CONTRIBUTION_IDR),
        "Iuran di bawah minimum Rp 16.800 per bulan.",
        "Periksa nominal iuran per bulan; tulis dalam rupiah tanpa titik (misalnya 16800).",
    ),
)


@dataclass(frozen=True)
class SetCheck:
    """A check across rows, run in SQL (`warehouse/statements/refresh_current.sql`) or per file."""

    name: str
    column: str
    severity: Severity
    problem: str
    fix: str

    @property
    def message(self) -> str:
        return f"{self.problem} {self.fix}"


SET_CHECKS: tuple[SetCheck, ...] = (
    SetCheck(
        "duplicate_row",
        "nik",
        "warning",
        "Baris ini sama persis dengan baris lain di lembar yang sama; hanya dihitung sekali.",
        "Hapus salah satu baris.",
    ),
    SetCheck(
        "nik_in_two_villages",
        "nik",
        "warning",
        "NIK yang sama tercatat di lebih dari satu desa pada bulan yang sama.",
        "Tanyakan ke orang yang bersangkutan di desa mana ia menjabat, lalu hapus baris di desa yang salah.",
    ),
    SetCheck(
        "enrolment_inconsistent",
        "status",
        "warning",
        "Orang yang sama tercatat sudah terdaftar di satu baris dan belum terdaftar di baris lain.",
        "Samakan status orang ini di semua barisnya sesuai kartu peserta BPJS Ketenagakerjaan.",
    ),
    SetCheck(
        "file_conflict",
        "berkas",
        "warning",
        "Ada berkas lain untuk desa, bulan dan kelompok yang sama yang masuk bersamaan (nama berkas lain di "
        "kolom NILAI TERTULIS); hanya yang terakhir diubah yang dihitung.",
        "Kirim satu berkas per kelompok per bulan: hapus berkas yang salah, atau gabungkan isinya ke satu berkas.",
    ),
    SetCheck(
        "row_below_total",
        "nik",
        "warning",
        "Baris ini berisi NIK tetapi ada di bawah baris JUMLAH/TOTAL atau di bagian tanda tangan, sehingga tidak "
        "dihitung.",
        "Pindahkan baris ini ke atas baris JUMLAH, lalu kirim kembali berkasnya.",
    ),
    SetCheck(
        "file_rejected",
        "berkas",
        "error",
        "Seluruh berkas ditolak; alasannya di kolom YANG PERLU DIPERBAIKI.",
        "Perbaiki berkas sesuai alasan itu, lalu kirim kembali dengan nama yang sama.",
    ),
)


def pandera_check(check: RowCheck) -> pa.Check:
    """A check as pandera runs it: the rule over the whole (lazy) frame."""
    import pandera.polars as pa

    return pa.Check(lambda data: data.lazyframe.select(check.rule), name=check.name, ignore_na=False)


def schema_of(checks: Sequence[RowCheck], severity: Severity, name: str) -> pa.DataFrameSchema:
    """A pandera schema of the checks of one severity, each on its `<column>_raw` column."""
    import pandera.polars as pa

    columns: dict[str, list[pa.Check]] = {}
    for check in checks:
        if check.severity == severity:
            columns.setdefault(check.column, []).append(pandera_check(check))
    return pa.DataFrameSchema(
        {f"{column}_raw": pa.Column(nullable=True, checks=checks) for column, checks in columns.items()},
        name=f"{name}_{severity}s",
    )


@cache
def schema_for(severity: Severity) -> pa.DataFrameSchema:
    """The pandera schema of one severity's roster checks, built once."""
    return schema_of(ROW_CHECKS, severity, "roster_row")


def check_catalog() -> pl.DataFrame:
    """Every roster check with its column, severity and message (what is wrong, then how to fix it): the legend."""
    return catalog_of((*ROW_CHECKS, *SET_CHECKS))


def catalog_of(checks: Sequence[RowCheck | SetCheck]) -> pl.DataFrame:
    """Checks as a frame: name, column, severity, message, problem and fix."""
    return pl.DataFrame(
        [(c.name, c.column, c.severity, c.message, c.problem, c.fix) for c in checks],
        schema=["check_name", "column_name", "severity", "message", "problem", "fix"],
        orient="row",
    )
