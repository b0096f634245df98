"""The registry of the BPJS Ketenagakerjaan branch's exports: participants, contributions paid, claims.

One `ExportKind` entry per kind (EXPORTS) holds all cakupan knows of it: its name (the kind
`ingested_files` records, its state table and, where the warehouse publishes it, its table
there), its label, the header columns that make a sheet this kind, the columns kept with their
types, what one subject of it is (a person, a payment, a claim) and its row checks. Header
aliases and normalisers are per column, shared by the kinds (flows/ingest/exports.py). Adding a
kind is adding an entry here (tests/test_export_registry.py checks every place that needs it).

The checks are one `RowCheck` per line, as for rosters (schemas/roster.py): its name, the column
it is about, its severity, the rule a good row satisfies and what the regency official reads,
in Indonesian (what is wrong, then what to do). `export_schema(kind, severity)` turns them into
a pandera schema over the normalised export rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

import polars as pl

from schemas.roster import RowCheck, Severity, applies_to, catalog_of, schema_of

if TYPE_CHECKING:
    import pandera.polars as pa

PROGRAMS = ("JKK", "JKM", "JHT", "JP", "JKP")
ASK_BRANCH = "Minta ekspor yang benar ke kantor cabang BPJS Ketenagakerjaan."

# Plausible ranges (docs/verification.md). BPJS Ketenagakerjaan began in 2014 (Jamsostek before it,
# from 1977): no contribution was paid, nor claim paid, before PROGRAMME_START. An export of a
# period may hold payments made up to DATE_MARGIN_MONTHS after the period (it is drawn after the
# month ends), and contributions paid up to MONTHS_AHEAD months ahead (a BPU member may prepay a year).
PROGRAMME_START = date(2014, 1, 1)
JAMSOSTEK_START = date(1977, 1, 1)
DATE_MARGIN_MONTHS = 2
MONTHS_AHEAD = 12
# One contribution row is one month of one member: every programme together (JKK at most 1.74%,
# JKM 0.30%, JHT 5.7%, JP 3%) is under 11% of a wage, so Rp 25,000,000 is the month of a Rp 227
# million wage, far beyond any village official. One claim of more than Rp 5,000,000,000 (a JHT
# balance or JKK benefit of that size) is not a village official's: both are refused as typing errors.
MAX_CONTRIBUTION_IDR = 25_000_000
MAX_CLAIM_IDR = 5_000_000_000
PERIOD_START = pl.concat_str(pl.col("period"), pl.lit("-01")).str.to_date("%Y-%m-%d", strict=False)
LATEST_DATE = PERIOD_START.dt.offset_by(f"{DATE_MARGIN_MONTHS + 1}mo")  # exclusive
LATEST_MONTH = PERIOD_START.dt.offset_by(f"{MONTHS_AHEAD}mo").dt.strftime("%Y-%m")
FIRST_MONTH = PROGRAMME_START.strftime("%Y-%m")

KPJ_VALID = pl.col("kpj").str.contains(r"^\d{11}$").fill_null(False)
NIK_VALID = pl.col("nik").str.contains(r"^\d{16}$").fill_null(False)
ONE_ID = KPJ_VALID | NIK_VALID


def amount_checks(prefix: str, most: int) -> tuple[RowCheck, ...]:
    """An amount that is there, and within what one row can plausibly be."""
    return (
        RowCheck(
            f"{prefix}_amount_invalid",
            "amount",
            "error",
            (pl.col("amount_idr") > 0).fill_null(False),
            "NOMINAL kosong, bukan angka rupiah, atau tidak lebih dari nol.",
            ASK_BRANCH,
        ),
        RowCheck(
            f"{prefix}_amount_implausible",
            "amount",
            "error",
            applies_to(pl.col("amount_idr") > 0, pl.col("amount_idr") <= most),
            f"NOMINAL lebih dari Rp {most:,}".replace(",", ".")
            + " untuk satu baris: tidak wajar, kemungkinan salah ketik.",
            ASK_BRANCH,
        ),
    )


def paid_date_checks(prefix: str) -> tuple[RowCheck, ...]:
    """A payment date that is there, from the programme's start to a little after the export's period."""
    return (
        RowCheck(
            f"{prefix}_paid_date_invalid",
            "paid_date",
            "error",
            pl.col("paid_date").is_not_null(),
            "TGL_BAYAR kosong atau bukan tanggal.",
            ASK_BRANCH,
        ),
        RowCheck(
            f"{prefix}_paid_date_out_of_range",
            "paid_date",
            "error",
            applies_to(
                pl.col("paid_date").is_not_null(),
                (pl.col("paid_date") >= PROGRAMME_START) & (pl.col("paid_date") < LATEST_DATE),
            ),
            f"TGL_BAYAR sebelum {PROGRAMME_START:%d-%m-%Y} (awal BPJS Ketenagakerjaan) atau lebih dari "
            f"{DATE_MARGIN_MONTHS} bulan setelah bulan ekspor: tanggal tidak mungkin.",
            ASK_BRANCH,
        ),
    )


def month_range_check(name: str, column: str, label: str, severity: Severity = "error") -> RowCheck:
    """A month from the programme's start to MONTHS_AHEAD months after the export's period."""
    return RowCheck(
        name,
        column,
        severity,
        applies_to(pl.col(column).is_not_null(), (pl.col(column) >= FIRST_MONTH) & (pl.col(column) <= LATEST_MONTH)),
        f"{label} sebelum {FIRST_MONTH} (awal BPJS Ketenagakerjaan) atau lebih dari {MONTHS_AHEAD} bulan setelah "
        "bulan ekspor: bulan tidak mungkin.",
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


PARTICIPANT_CHECKS: tuple[RowCheck, ...] = (
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
    month_range_check("peserta_last_paid_month_out_of_range", "last_paid_month", "BULAN_IURAN_TERAKHIR"),
    RowCheck(
        "peserta_member_since_out_of_range",
        "member_since",
        "warning",
        applies_to(
            pl.col("member_since").is_not_null(),
            (pl.col("member_since") >= JAMSOSTEK_START) & (pl.col("member_since") < LATEST_DATE),
        ),
        f"TGL_KEPESERTAAN sebelum {JAMSOSTEK_START:%Y} (awal Jamsostek) atau setelah bulan ekspor.",
        "Periksa tanggal kepesertaannya; baris tetap dihitung untuk status kepesertaan.",
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
)
CONTRIBUTION_CHECKS: tuple[RowCheck, ...] = (
    *id_checks("iuran"),
    RowCheck(
        "iuran_month_invalid",
        "month_covered",
        "error",
        pl.col("month_covered").is_not_null(),
        "BULAN_IURAN kosong atau bukan bulan (contoh yang dikenal: 2024-04, Apr-24, 04/2024).",
        ASK_BRANCH,
    ),
    month_range_check("iuran_month_out_of_range", "month_covered", "BULAN_IURAN"),
    *paid_date_checks("iuran"),
    *amount_checks("iuran", MAX_CONTRIBUTION_IDR),
)
CLAIM_CHECKS: tuple[RowCheck, ...] = (
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
    *paid_date_checks("klaim"),
    *amount_checks("klaim", MAX_CLAIM_IDR),
    RowCheck(
        "klaim_event_date_invalid",
        "event_date",
        "warning",
        applies_to(pl.col("event_date_raw").is_not_null(), pl.col("event_date").is_not_null()),
        "TGL_KEJADIAN bukan tanggal.",
        "Periksa tanggal kejadiannya; klaim tetap dihitung menurut TGL_BAYAR.",
    ),
    RowCheck(
        "klaim_event_date_out_of_range",
        "event_date",
        "warning",
        applies_to(
            pl.col("event_date").is_not_null(),
            (pl.col("event_date") >= JAMSOSTEK_START)
            & (pl.col("event_date") <= pl.coalesce(pl.col("paid_date"), LATEST_DATE)),
        ),
        f"TGL_KEJADIAN sebelum {JAMSOSTEK_START:%Y} atau setelah TGL_BAYAR: tanggal tidak mungkin.",
        "Periksa tanggal kejadiannya; klaim tetap dihitung menurut TGL_BAYAR.",
    ),
)

LOCATION_COLUMNS = ("sha256", "source_file", "period", "sheet", "source_row")  # of every export row


@dataclass(frozen=True)
class ExportKind:
    """One kind of the branch's export (see the module's docstring).

    `required` and `any_of`: header columns (flows/ingest/exports.py EXPORT_ALIASES) that make a
    sheet this kind: all of `required` and, when `any_of` is given, one of it. `columns`: the
    normalised columns its state table keeps, with their DuckDB types. `subject`: SQL over one
    row of that table: what one person, payment or claim is (a later file that holds 95% of an
    earlier file's subjects replaces it: refresh_exports.sql).
    """

    name: str
    label: str
    required: frozenset[str]
    any_of: frozenset[str]
    columns: dict[str, str]
    subject: str
    checks: tuple[RowCheck, ...]

    def recognises(self, columns: set[str]) -> bool:
        """Whether a header row with these columns is a sheet of this kind."""
        return self.required <= columns and (not self.any_of or bool(columns & self.any_of))

    @property
    def column_ddl(self) -> str:
        """The kept columns as a CREATE TABLE lists them."""
        return ",\n    ".join(f"{column} {kind}" for column, kind in self.columns.items())


# in the order a header row is tried against them: a claims export also has NOMINAL and TGL_BAYAR
EXPORTS: tuple[ExportKind, ...] = (
    ExportKind(
        "bpjs_claims",
        "klaim",
        frozenset({"claim_no"}),
        frozenset({"event_date", "amount"}),
        {
            "claim_no": "varchar not null",
            "kpj": "varchar",
            "nik": "varchar",
            "program": "varchar not null",
            "event_date": "date",
            "paid_date": "date not null",
            "amount_idr": "bigint not null",
        },
        "claim_no",
        CLAIM_CHECKS,
    ),
    ExportKind(
        "bpjs_contributions",
        "iuran",
        frozenset({"month_covered", "paid_date", "amount"}),
        frozenset(),
        {
            "kpj": "varchar",
            "nik": "varchar",
            "month_covered": "varchar not null",
            "paid_date": "date not null",
            "amount_idr": "bigint not null",
            "source": "varchar",
        },
        "concat_ws('|', coalesce(kpj, nik), month_covered, paid_date, amount_idr)",
        CONTRIBUTION_CHECKS,
    ),
    ExportKind(
        "bpjs_participants",
        "kepesertaan",
        frozenset({"kpj", "status"}),
        frozenset({"segment", "program", "last_paid_month"}),
        {
            "kpj": "varchar",
            "nik": "varchar",
            "name": "varchar",
            "birth_date": "date",
            "segment": "varchar",
            "program": "varchar",
            "member_since": "date",
            "status": "varchar not null",
            "last_paid_month": "varchar",
        },
        "kpj",
        PARTICIPANT_CHECKS,
    ),
)
EXPORT_KINDS: dict[str, ExportKind] = {kind.name: kind for kind in EXPORTS}


@cache
def export_schema(kind: str, severity: Severity) -> pa.DataFrameSchema:
    """The pandera schema of one export kind's checks of one severity, built once."""
    return schema_of(EXPORT_KINDS[kind].checks, severity, kind)


def export_catalog() -> pl.DataFrame:
    """Every export check with its column, severity and message, like `schemas.roster.check_catalog`."""
    return catalog_of([check for kind in EXPORTS for check in kind.checks])
