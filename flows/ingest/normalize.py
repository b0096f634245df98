"""Turn roster text into typed values with polars expressions: NIK, status, group, dates, money, sex."""

from __future__ import annotations

import polars as pl

from flows.ingest.dates import MONTH_NAMES, civil_date, full_year
from flows.ingest.headers import CANONICAL_COLUMNS

ENROLLED_WORDS = ("SUDAH", "SUDAH TERDAFTAR", "TERDAFTAR", "AKTIF", "YA", "Y", "V", "✓", "√", "1")
NOT_ENROLLED_WORDS = ("BELUM", "BELUM TERDAFTAR", "TIDAK", "T", "NON AKTIF", "NONAKTIF", "TIDAK AKTIF", "-", "0")
MALE_WORDS = ("L", "LK", "LAKI LAKI", "LAKI", "PRIA")
FEMALE_WORDS = ("P", "PR", "PEREMPUAN", "WANITA")

# what villages write for a month besides its name and the name's first three letters
MONTH_VARIANTS = {2: ("PEB", "PEBRUARI"), 8: ("AGT", "AGS"), 9: ("SEPT",), 11: ("NOPEMBER",)}
MONTH_NUMBERS = {
    written: number
    for number, name in enumerate(MONTH_NAMES["id"], start=1)
    for written in (name.upper(), name[:3].upper(), *MONTH_VARIANTS.get(number, ()))
}
EXCEL_EPOCH = pl.date(1899, 12, 30)

# role text (upper case) -> group, first match wins
ROLE_GROUPS: tuple[tuple[str, str], ...] = (
    (r"\bBPD\b", "BPD"),
    (r"LINMAS|\bHANSIP\b", "LINMAS"),
    (r"\bLPMD?\b|\bPKK\b|KARANG\s*TARUNA|POSYANDU|\bKADER\b|\bLKD\b|\bBKM\b", "LKD"),
    (r"\bR[TW]\b|\bR[TW]\s*\d", "RT_RW"),
)
# a post with no group in it (`Anggota`, `Wakil Ketua`): its group is the sheet's, if the sheet names one
GENERIC_POST = r"^\s*(WAKIL\s+)?(KETUA|SEKRETARIS|BENDAHARA|ANGGOTA)\s*$"
ACRONYMS = ("BPD", "RT", "RW", "LPMD", "LPM", "PKK", "LKD", "RT/RW")


def words(column: str) -> pl.Expr:
    """Upper-case text with punctuation as single spaces, for vocabulary look-ups."""
    return pl.col(column).str.to_uppercase().str.replace_all(r"[\s_.\-/]+", " ").str.strip_chars()


def clean_nik(column: str = "nik_raw") -> pl.Expr:
    """NIK without spaces, dots, dashes or a leading apostrophe (still text; checked in validation)."""
    return pl.col(column).str.replace_all(r"[\s.\-'`’]", "")


def enrolled(status: str = "status_raw", kpj: str = "kpj") -> pl.Expr:
    """True/False from the status vocabulary; a blank status is enrolled only with a KPJ; null if unknown."""
    key = pl.col(status).str.to_uppercase().str.replace_all(r"\s+", " ").str.strip_chars()
    return (
        pl.when(key.is_null() | (key == ""))
        .then(pl.col(kpj).is_not_null())
        .when(key.is_in(ENROLLED_WORDS))
        .then(pl.lit(True))
        .when(key.is_in(NOT_ENROLLED_WORDS))
        .then(pl.lit(False))
        .otherwise(pl.lit(None, dtype=pl.Boolean))
    )


def sex(column: str = "sex_raw") -> pl.Expr:
    """`L` or `P`, null when blank or unrecognised."""
    key = words(column)
    return (
        pl.when(key.is_in(MALE_WORDS))
        .then(pl.lit("L"))
        .when(key.is_in(FEMALE_WORDS))
        .then(pl.lit("P"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def parse_date(cell: pl.Expr) -> pl.Expr:
    """A date from an Excel date cell, an Excel serial, `12/05/1975`, `12-5-75`, `1975-05-12` or `12 Mei 1975`."""
    return cell.map_batches(parse_dates, return_dtype=pl.Date)


def parse_dates(cells: pl.Series) -> pl.Series:
    """`parse_date` over a column: each pattern's captures are computed once, as columns, then combined."""
    text = pl.col("text")
    parts = (
        pl.DataFrame({"text": cells.str.strip_chars()})
        .lazy()
        .with_columns(
            iso=text.str.extract(r"^(\d{4}-\d{2}-\d{2})", 1).str.to_date("%Y-%m-%d", strict=False),
            serial=text.str.extract(r"^(\d{4,5})(?:\.0+)?$", 1).cast(pl.Int64, strict=False),
            numeric=text.str.extract_groups(r"^(?<d>\d{1,2})\s*[/\-.]\s*(?<m>\d{1,2})\s*[/\-.]\s*(?<y>\d{2}|\d{4})$"),
            named=text.str.to_uppercase().str.extract_groups(
                r"^(?<d>\d{1,2})[\s\-]+(?<m>[A-Z]+)\.?[\s\-]+(?<y>\d{2}|\d{4})$"
            ),
        )
        .with_columns(
            pl.col("numeric").struct.field("d", "m", "y").cast(pl.Int32, strict=False).name.prefix("numeric_"),
            pl.col("named").struct.field("d", "y").cast(pl.Int32, strict=False).name.prefix("named_"),
            named_m=pl.col("named")
            .struct.field("m")
            .replace_strict(MONTH_NUMBERS, default=None, return_dtype=pl.Int32),
        )
        .with_columns(full_year(pl.col("numeric_y", "named_y")))
    )
    from_serial = pl.when(pl.col("serial").is_between(1, 80_000)).then(EXCEL_EPOCH + pl.duration(days="serial"))
    return (
        parts.select(
            pl.coalesce(
                "iso",
                from_serial.cast(pl.Date),
                civil_date(pl.col("numeric_y"), pl.col("numeric_m"), pl.col("numeric_d")),
                civil_date(pl.col("named_y"), pl.col("named_m"), pl.col("named_d")),
            )
        )
        .collect()
        .to_series()
    )


def rupiah(column: str) -> pl.Expr:
    """Whole rupiah from `16800`, `16.800`, `Rp 16.800,00`, `Rp16.800`, `16,800` or `16800.0`."""
    text = pl.col(column).str.to_uppercase().str.replace_all(r"RP\.?|\s", "")
    grouped = text.str.extract(r"^(\d{1,3}(?:[.,]\d{3})+)(?:[.,]\d{1,2})?$", 1).str.replace_all(r"[.,]", "")
    plain = text.str.extract(r"^(\d+)(?:[.,]\d+)?$", 1)
    return pl.coalesce(grouped, plain).cast(pl.Int64, strict=False)


def group_from_role(role: str = "role_raw") -> pl.Expr:
    """The group a role names (`Ketua RT 003` -> RT_RW), null when it names none."""
    key = pl.col(role).str.to_uppercase()
    expr = pl.lit(None, dtype=pl.String)
    for pattern, group in reversed(ROLE_GROUPS):
        expr = pl.when(key.str.contains(pattern)).then(pl.lit(group)).otherwise(expr)
    return expr


def tidy_text(column: str) -> pl.Expr:
    """Trimmed text with single spaces."""
    return pl.col(column).str.replace_all(r"\s+", " ").str.strip_chars()


def tidy_role(column: str = "role_raw") -> pl.Expr:
    """Title-cased role with single spaces and the domain's acronyms in capitals (`Ketua RT 003`)."""
    expr = tidy_text(column).str.to_titlecase()
    for acronym in ACRONYMS:
        expr = expr.str.replace_all(rf"\b{acronym.title()}\b", acronym)
    return expr


def split_rt_rw(column: str = "rt_rw_raw") -> tuple[pl.Expr, pl.Expr]:
    """RT and RW numbers from `003/005`."""
    parts = pl.col(column).str.extract_groups(r"^\s*(\d+)\s*[/\-.]\s*(\d+)\s*$")
    return parts.struct[0].cast(pl.Int32, strict=False), parts.struct[1].cast(pl.Int32, strict=False)


def normalize(rows: pl.DataFrame) -> pl.DataFrame:
    """Typed roster columns beside the original text, which stays in `<column>_raw` for the audit trail.

    `rows` carries, per row, its sheet's `group_hint` (the group a per-group sheet's name
    gives) and `is_vulnerable_workers` (an occupation column instead of a role column).
    """
    raw = rows.lazy().rename({column: f"{column}_raw" for column in CANONICAL_COLUMNS})
    rt_from_pair, rw_from_pair = split_rt_rw()
    birth_from_ttl = pl.col("birth_place_date_raw").str.extract(r"[,;]\s*(.+)$", 1)
    vulnerable = pl.col("is_vulnerable_workers")
    return (
        raw.with_columns(
            nik=clean_nik(),
            name=tidy_text("name_raw"),
            sex=sex(),
            birth_date=pl.coalesce(parse_date(pl.col("birth_date_raw")), parse_date(birth_from_ttl)),
            role=pl.when(vulnerable).then(tidy_text("occupation_raw")).otherwise(tidy_role()),
            group_code=pl.when(vulnerable)
            .then(pl.lit("RENTAN"))
            .when(pl.col("role_raw").is_null() | pl.col("role_raw").str.to_uppercase().str.contains(GENERIC_POST))
            .then(pl.col("group_hint"))
            .otherwise(group_from_role()),
            rt=pl.coalesce(number("rt_raw"), rt_from_pair),
            rw=pl.coalesce(number("rw_raw"), rw_from_pair),
            kpj=pl.col("kpj_raw").str.replace_all(r"[\s.\-'`’]", ""),
            start_date=parse_date(pl.col("start_date_raw")),
            contribution_source=tidy_text("contribution_source_raw"),
            contribution_idr=rupiah("contribution_raw"),
            occupation=tidy_text("occupation_raw"),
            notes=tidy_text("notes_raw"),
        )
        .with_columns(enrolled=enrolled())
        .collect()
    )  # lazy: the optimiser shares repeated sub-expressions


def number(column: str) -> pl.Expr:
    """The first whole number in a cell (`RT 003` -> 3)."""
    return pl.col(column).str.extract(r"(\d+)", 1).cast(pl.Int32, strict=False)
