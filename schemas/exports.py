"""Checks on the BPJS Ketenagakerjaan branch's exports: participants, contributions paid, claims.

One `RowCheck` per line, as for rosters (schemas/roster.py): its name, the column it is
about, its severity, the rule a good row satisfies and what the regency official reads, in
Indonesian (what is wrong, then what to do). `export_schema(kind, severity)` turns them into
a pandera schema over the normalised export rows.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

import pandera.polars as pa
import polars as pl

from schemas.roster import RowCheck, Severity, applies_to, catalog_of, schema_of

ExportKind = Literal["bpjs_peserta", "bpjs_iuran", "bpjs_klaim"]
EXPORT_KINDS: tuple[ExportKind, ...] = ("bpjs_peserta", "bpjs_iuran", "bpjs_klaim")
STATUSES = ("AKTIF", "NON AKTIF", "MENUNGGAK", "BERAKHIR", "MENINGGAL")
PROGRAMS = ("JKK", "JKM", "JHT", "JP", "JKP")
SEGMENTS = ("PU", "BPU")
ASK_BRANCH = "Minta ekspor yang benar ke kantor cabang BPJS Ketenagakerjaan."

KPJ_VALID = pl.col("kpj").str.contains(r"^\d{11}$").fill_null(False)
NIK_VALID = pl.col("nik").str.contains(r"^\d{16}$").fill_null(False)
ONE_ID = KPJ_VALID | NIK_VALID


def amount_check(name: str) -> RowCheck:
    return RowCheck(
        name,
        "amount",
        "error",
        (pl.col("amount_idr") > 0).fill_null(False),
        "NOMINAL kosong, bukan angka rupiah, atau tidak lebih dari nol.",
        ASK_BRANCH,
    )


def paid_date_check(name: str) -> RowCheck:
    return RowCheck(
        name,
        "paid_date",
        "error",
        pl.col("paid_date").is_not_null(),
        "TGL_BAYAR kosong atau bukan tanggal.",
        ASK_BRANCH,
    )


def id_checks(prefix: str) -> tuple[RowCheck, ...]:
    """At least one identifier; a NIK that is there must be one."""
    return (
        RowCheck(
            f"{prefix}_no_identifier",
            "kpj",
            "error",
            ONE_ID,
            "Baris tidak memiliki KPJ 11 digit maupun NIK 16 digit, sehingga tidak dapat dicocokkan dengan siapa pun.",
            ASK_BRANCH,
        ),
        RowCheck(
            f"{prefix}_nik_invalid",
            "nik",
            "warning",
            applies_to(pl.col("nik").is_not_null(), NIK_VALID),
            "NIK tidak 16 digit angka; baris hanya dicocokkan lewat KPJ.",
            "Periksa NIK peserta ini di data kepesertaan BPJS.",
        ),
    )


EXPORT_CHECKS: dict[ExportKind, tuple[RowCheck, ...]] = {
    "bpjs_peserta": (
        RowCheck(
            "peserta_kpj_invalid",
            "kpj",
            "error",
            KPJ_VALID,
            "KPJ kosong atau tidak 11 digit angka.",
            ASK_BRANCH,
        ),
        id_checks("peserta")[1],
        RowCheck(
            "peserta_status_unknown",
            "status",
            "error",
            pl.col("status").is_not_null(),
            "STATUS tidak dikenal (yang dikenal: AKTIF, NON AKTIF, MENUNGGAK, BERAKHIR, MENINGGAL).",
            ASK_BRANCH,
        ),
        RowCheck(
            "peserta_last_paid_month_invalid",
            "last_paid_month",
            "error",
            applies_to(pl.col("last_paid_month_raw").is_not_null(), pl.col("last_paid_month").is_not_null()),
            "BULAN_IURAN_TERAKHIR bukan bulan (contoh yang dikenal: 2024-04, Apr-24, 04/2024).",
            ASK_BRANCH,
        ),
        RowCheck(
            "peserta_program_unknown",
            "program",
            "warning",
            applies_to(pl.col("program_raw").is_not_null(), pl.col("program").is_not_null()),
            "PROGRAM tidak dikenal (yang dikenal: JKK, JKM, JHT, JP, JKP).",
            "Periksa programnya; baris tetap dihitung untuk status kepesertaan.",
        ),
        RowCheck(
            "peserta_segment_unknown",
            "segment",
            "warning",
            applies_to(pl.col("segment_raw").is_not_null(), pl.col("segment").is_not_null()),
            "SEGMEN tidak dikenal (yang dikenal: PU, BPU).",
            "Periksa segmennya; tanpa segmen, masa tenggang iuran dihitung seperti BPU.",
        ),
    ),
    "bpjs_iuran": (
        *id_checks("iuran"),
        RowCheck(
            "iuran_month_invalid",
            "month_covered",
            "error",
            pl.col("month_covered").is_not_null(),
            "BULAN_IURAN kosong atau bukan bulan (contoh yang dikenal: 2024-04, Apr-24, 04/2024).",
            ASK_BRANCH,
        ),
        paid_date_check("iuran_paid_date_invalid"),
        amount_check("iuran_amount_invalid"),
    ),
    "bpjs_klaim": (
        *id_checks("klaim"),
        RowCheck(
            "klaim_number_missing",
            "claim_no",
            "error",
            pl.col("claim_no").is_not_null(),
            "NO_KLAIM kosong, sehingga klaim tidak dapat dibedakan dari klaim lain.",
            ASK_BRANCH,
        ),
        RowCheck(
            "klaim_program_unknown",
            "program",
            "error",
            pl.col("program").is_not_null(),
            "PROGRAM klaim tidak dikenal (yang dikenal: JKK, JKM, JHT, JP, JKP).",
            ASK_BRANCH,
        ),
        paid_date_check("klaim_paid_date_invalid"),
        amount_check("klaim_amount_invalid"),
        RowCheck(
            "klaim_event_date_invalid",
            "event_date",
            "warning",
            applies_to(pl.col("event_date_raw").is_not_null(), pl.col("event_date").is_not_null()),
            "TGL_KEJADIAN bukan tanggal.",
            "Periksa tanggal kejadiannya; klaim tetap dihitung menurut TGL_BAYAR.",
        ),
    ),
}


@cache
def export_schema(kind: ExportKind, severity: Severity) -> pa.DataFrameSchema:
    """The pandera schema of one export kind's checks of one severity, built once."""
    return schema_of(EXPORT_CHECKS[kind], severity, kind)


def export_catalog() -> pl.DataFrame:
    """Every export check with its column, severity and message, like `schemas.roster.check_catalog`."""
    return catalog_of([check for checks in EXPORT_CHECKS.values() for check in checks])
