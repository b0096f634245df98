"""The BPJS Ketenagakerjaan branch's exports in the landing zone: participants, contributions, claims.

An export is recognised by its header row, whatever the file is called: participants
(`KPJ`, `STATUS` and one of `SEGMEN`, `PROGRAM`, `BULAN_IURAN_TERAKHIR`), contributions
paid (`BULAN_IURAN`, `TGL_BAYAR`, `NOMINAL`) and claims (`NO_KLAIM` with `TGL_KEJADIAN`
or `NOMINAL`). Headers and values are read through aliases, as rosters are (`NO KPJ`,
`STATUS KEPESERTAAN`; `Aktif`/`A`, `NA`; `2024-04`, `Apr-24`, `04/2024`). A sheet with a
`JABATAN` or `PEKERJAAN` column is a roster, never an export. Rows are normalised with
polars and checked with pandera (schemas/exports.py); every row read is loaded, rejected
or skipped (blank, totals).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from flows.ingest.formats import RawSheet
from flows.ingest.headers import header_key
from flows.ingest.normalize import MONTH_NUMBERS, clean_nik, parse_date, rupiah, tidy_text, words
from flows.ingest.structure import MAX_TITLE_ROWS
from flows.ingest.validate import failures_of
from schemas.exports import EXPORTS, LOCATION_COLUMNS, PROGRAMS, ExportKind, export_catalog, export_schema

EXPORT_ALIASES: dict[str, tuple[str, ...]] = {
    "kpj": ("KPJ", "NO KPJ", "NOMOR KPJ", "NO PESERTA", "NOMOR PESERTA", "NO KARTU"),
    "nik": ("NIK", "NO KTP", "NIK KTP", "NOMOR INDUK KEPENDUDUKAN"),
    "name": ("NAMA", "NAMA LENGKAP", "NAMA PESERTA", "NAMA TK", "NAMA TENAGA KERJA"),
    "birth_date": ("TGL LAHIR", "TANGGAL LAHIR"),
    "segment": ("SEGMEN", "SEGMENTASI", "SEGMEN KEPESERTAAN"),
    "program": ("PROGRAM", "PROGRAM PERLINDUNGAN", "JENIS PROGRAM", "PROGRAM KLAIM"),
    "member_since": ("TGL KEPESERTAAN", "TANGGAL KEPESERTAAN", "TMT KEPESERTAAN", "TGL TERDAFTAR"),
    "status": ("STATUS", "STATUS KEPESERTAAN", "STATUS PESERTA"),
    "last_paid_month": ("BULAN IURAN TERAKHIR", "BLTH IURAN TERAKHIR", "IURAN TERAKHIR", "BLN IURAN TERAKHIR"),
    "month_covered": ("BULAN IURAN", "BLTH IURAN", "PERIODE IURAN", "BLN IURAN", "BULAN"),
    "paid_date": ("TGL BAYAR", "TANGGAL BAYAR", "TGL PEMBAYARAN", "TANGGAL PEMBAYARAN"),
    "amount": ("NOMINAL", "JUMLAH", "JUMLAH BAYAR", "NOMINAL BAYAR", "JUMLAH IURAN", "NOMINAL KLAIM"),
    "source": ("SUMBER IURAN", "SUMBER DANA", "SUMBER PEMBAYARAN"),
    "claim_no": ("NO KLAIM", "NOMOR KLAIM", "NO PENGAJUAN KLAIM"),
    "event_date": ("TGL KEJADIAN", "TANGGAL KEJADIAN", "TGL KASUS"),
}
ALIAS_TO_EXPORT_COLUMN = {alias: column for column, aliases in EXPORT_ALIASES.items() for alias in aliases}
ROSTER_ONLY = frozenset({"JABATAN", "KEDUDUKAN", "PEKERJAAN", "JENIS PEKERJAAN"})
STATUS_WORDS = {
    "AKTIF": "AKTIF",
    "A": "AKTIF",
    "AKTIVE": "AKTIF",
    "NON AKTIF": "NON AKTIF",
    "NONAKTIF": "NON AKTIF",
    "NA": "NON AKTIF",
    "N": "NON AKTIF",
    "TIDAK AKTIF": "NON AKTIF",
    "MENUNGGAK": "MENUNGGAK",
    "TUNGGAK": "MENUNGGAK",
    "NUNGGAK": "MENUNGGAK",
    "BERAKHIR": "BERAKHIR",
    "KELUAR": "BERAKHIR",
    "TUTUP": "BERAKHIR",
    "MENINGGAL": "MENINGGAL",
    "MENINGGAL DUNIA": "MENINGGAL",
    "MD": "MENINGGAL",
    "WAFAT": "MENINGGAL",
}
SEGMENT_WORDS = {
    "PU": "PU",
    "PENERIMA UPAH": "PU",
    "BPU": "BPU",
    "BUKAN PENERIMA UPAH": "BPU",
    "PEKERJA BUKAN PENERIMA UPAH": "BPU",
    "PEKERJA PENERIMA UPAH": "PU",
}
MONTH_NAME_PATTERN = r"^(?<m>[A-Z]+)\.?[\s\-/]*(?<y>\d{2}|\d{4})$"


def export_column(label: str | None) -> str | None:
    return ALIAS_TO_EXPORT_COLUMN.get(header_key(label)) if label else None


# columns only an export has: a sheet with them is never a village's roster (flows/ingest/village_files.py)
EXPORT_ONLY = frozenset({"segment", "last_paid_month", "month_covered", "paid_date", "claim_no", "event_date"})


@dataclass(frozen=True)
class ExportSheet:
    """An export sheet: the grid under its header as read, its kind, and which grid column is which export column."""

    sheet: str
    kind: ExportKind
    body: pl.DataFrame
    columns: dict[str, str]
    first_row: int
    headers: dict[str, str] = field(default_factory=dict)  # export column -> its header as written
    first_column: int = 0  # the sheet column (0 = A) of grid column 0


def export_only_columns(export: ExportSheet) -> set[str]:
    """The columns of an export-shaped sheet that no roster carries."""
    return set(export.columns) & EXPORT_ONLY


def kind_of(columns: set[str]) -> ExportKind | None:
    """Which export a header row's columns make, if any (the registry's kinds in order)."""
    return next((kind for kind in EXPORTS if kind.recognises(columns)), None)


def find_export(sheet: RawSheet) -> ExportSheet | None:
    """The sheet as an export, or None when it is not one."""
    top = sheet.grid.head(MAX_TITLE_ROWS + 2).rows()
    for index, cells in enumerate(top):
        if any(cell and header_key(cell) in ROSTER_ONLY for cell in cells):
            return None
        columns: dict[str, str] = {}
        headers: dict[str, str] = {}
        for name, cell in zip(sheet.grid.columns, cells, strict=True):
            column = export_column(cell)
            if column and column not in columns:
                columns[column], headers[column] = name, " ".join((cell or "").split())
        kind = kind_of(set(columns))
        if kind:
            return ExportSheet(
                sheet.name, kind, sheet.grid.slice(index + 1), columns, index + 2, headers, sheet.first_column
            )
    return None


def month(cell: pl.Expr) -> pl.Expr:
    """`YYYY-MM` from `2024-04`, `2024/04`, `04/2024`, `4-2024`, `Apr-24`, `April 2024`, `202404` or a date."""
    text = cell.str.strip_chars().str.to_uppercase()
    year_first = text.str.extract_groups(r"^(?<y>\d{4})[\-/.]?(?<m>\d{1,2})(?:[\-/.]\d{1,2})?(?:[ T].*)?$")
    month_first = text.str.extract_groups(r"^(?<m>\d{1,2})[\-/.](?<y>\d{4})$")
    named = text.str.extract_groups(MONTH_NAME_PATTERN)
    named_year = named.struct.field("y").cast(pl.Int32, strict=False)
    candidates = [
        (
            year_first.struct.field("y").cast(pl.Int32, strict=False),
            year_first.struct.field("m").cast(pl.Int32, strict=False),
        ),
        (
            month_first.struct.field("y").cast(pl.Int32, strict=False),
            month_first.struct.field("m").cast(pl.Int32, strict=False),
        ),
        (
            pl.when(named_year < 100).then(named_year + 2000).otherwise(named_year),
            named.struct.field("m").replace_strict(MONTH_NUMBERS, default=None, return_dtype=pl.Int32),
        ),
    ]
    formatted = [
        pl.when(m.is_between(1, 12) & y.is_between(1990, 2100)).then(
            pl.format("{}-{}", y.cast(pl.String), m.cast(pl.String).str.zfill(2))
        )
        for y, m in candidates
    ]
    from_serial = parse_date(cell).dt.strftime("%Y-%m")  # an Excel date cell or serial: its month
    return pl.coalesce(*formatted, from_serial)


def identifier(column: str) -> pl.Expr:
    """KPJ or NIK as digits (spaces, dots, dashes and a leading apostrophe dropped); null when blank."""
    cleaned = clean_nik(column)
    return pl.when(cleaned != "").then(cleaned)


def vocabulary(column: str, known: dict[str, str] | Sequence[str]) -> pl.Expr:
    mapping = known if isinstance(known, dict) else {word: word for word in known}
    return words(column).replace_strict(mapping, default=None, return_dtype=pl.String)


def normalised(kind: ExportKind) -> list[pl.Expr]:
    """The typed columns of one export kind, from its `<column>_raw` text."""
    common = {"kpj": identifier("kpj_raw"), "nik": identifier("nik_raw")}
    typed = {
        "name": tidy_text("name_raw"),
        "birth_date": parse_date(pl.col("birth_date_raw")),
        "segment": vocabulary("segment_raw", SEGMENT_WORDS),
        "program": vocabulary("program_raw", PROGRAMS),
        "member_since": parse_date(pl.col("member_since_raw")),
        "status": vocabulary("status_raw", STATUS_WORDS),
        "last_paid_month": month(pl.col("last_paid_month_raw")),
        "month_covered": month(pl.col("month_covered_raw")),
        "paid_date": parse_date(pl.col("paid_date_raw")),
        "amount_idr": rupiah("amount_raw"),
        "source": tidy_text("source_raw"),
        "claim_no": tidy_text("claim_no_raw").str.to_uppercase(),
        "event_date": parse_date(pl.col("event_date_raw")),
    }
    return [{**common, **typed}[column].alias(column) for column in kind.columns]


def with_export_row_kinds(rows: pl.LazyFrame) -> pl.LazyFrame:
    """`rows` (stacked export sheets, columns as EXPORT_ALIASES) with `row_kind`: `data`, `blank` or `total`."""
    cells = list(EXPORT_ALIASES)
    blank = ~pl.any_horizontal([pl.col(c).is_not_null() for c in cells])
    total = pl.any_horizontal([pl.col(c).str.contains(r"(?i)^\s*(JUMLAH|TOTAL)\b") for c in cells]).fill_null(False)
    kind = pl.when(blank).then(pl.lit("blank")).when(total).then(pl.lit("total")).otherwise(pl.lit("data"))
    return rows.with_columns(row_kind=kind)


def validate_export(rows: pl.DataFrame, kind: ExportKind) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split one kind's data rows into (accepted, failures); an error rejects the row.

    `rows` has the location columns and the cells under their export names; the failures
    carry `rejects_row` like the roster's (flows/ingest/validate.py).
    """
    raw = rows.rename({c: f"{c}_raw" for c in EXPORT_ALIASES})
    typed = (
        raw.with_columns(normalised(kind)).with_row_index("row_index").with_columns(pl.col("row_index").cast(pl.Int64))
    )
    catalog = export_catalog()
    failures = pl.concat(
        [failures_of(typed, severity, export_schema(kind.name, severity), catalog) for severity in ("error", "warning")]
    )
    rejected = failures.filter(pl.col("severity") == "error")["row_index"].unique().implode()
    accepted = typed.filter(~pl.col("row_index").is_in(rejected)).select(*LOCATION_COLUMNS, *kind.columns)
    located = failures.join(typed.select("row_index", *LOCATION_COLUMNS), on="row_index").with_columns(
        rejects_row=pl.col("row_index").is_in(rejected), group_code=pl.lit(None, pl.String)
    )
    return accepted, located.drop("row_index")
