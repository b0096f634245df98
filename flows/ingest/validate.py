"""Validate normalised roster rows with pandera (lazily) and report failures per row and cell."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from flows.ingest.headers import CANONICAL_COLUMNS
from flows.privacy import mask_cell, mask_id_cell
from schemas.roster import NIK_DIGITS, SET_CHECKS, Severity, check_catalog, schema_for

if TYPE_CHECKING:  # pandera is imported where rows are validated (the readers, whose forkserver preloads it)
    import pandera.polars as pa

SET_CHECKS_BY_NAME = {check.name: check for check in SET_CHECKS}

FAILURE_COLUMNS = {
    "row_index": pl.Int64,
    "column_name": pl.String,
    "check_name": pl.String,
    "severity": pl.String,
    "failure_value": pl.String,
    "message": pl.String,
}


def failures_of(
    rows: pl.DataFrame,
    severity: Severity,
    schema: pa.DataFrameSchema | None = None,
    catalog: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per failed check of one severity, with `row_index` = position in `rows`.

    The roster checks unless another schema and its catalog (an export's) are given.
    """
    import pandera.errors

    try:
        (schema or schema_for(severity)).validate(rows, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        cases: pl.DataFrame = errors.failure_cases
    else:
        return pl.DataFrame(schema=FAILURE_COLUMNS)
    unexpected = cases.filter(pl.col("index").is_null())
    if unexpected.height:
        raise ValueError(f"frame does not fit the {severity} schema: {unexpected.to_dicts()}")
    checks = (check_catalog() if catalog is None else catalog).select("check_name", "column_name", "message")
    return (
        cases.select(
            pl.col("index").cast(pl.Int64).alias("row_index"),
            pl.col("check").alias("check_name"),
            pl.col("failure_case").cast(pl.String).alias("failure_value"),
        )
        .join(checks, on="check_name", how="left")
        .with_columns(
            severity=pl.lit(severity),
            # a NIK typed in any column, not only NIK, and any 12 digits in the NIK or KPJ column, however split;
            # a birth date is personal data: never shown
            failure_value=pl.when(pl.col("column_name") != "birth_date").then(
                mask_cell(pl.col("column_name"), pl.col("failure_value"))
            ),
        )
        .select(list(FAILURE_COLUMNS))
    )


def duplicate_failures(indexed: pl.DataFrame) -> pl.DataFrame:
    """A `duplicate_row` warning for every later copy of a row repeated exactly within a file's sheet.

    Its message names the row it repeats (`Sama dengan baris 12.`), the first copy, which is loaded.
    """
    copy = pl.struct("sha256", "sheet", *(f"{c}_raw" for c in CANONICAL_COLUMNS if c != "row_no"))
    check = SET_CHECKS_BY_NAME["duplicate_row"]
    return (
        indexed.with_columns(first_row=pl.col("source_row").first().over(copy))
        .filter(~copy.is_first_distinct())
        .select(
            "row_index",
            pl.lit(check.column).alias("column_name"),
            pl.lit(check.name).alias("check_name"),
            pl.lit(check.severity).alias("severity"),
            mask_id_cell(pl.col("nik_raw")).alias("failure_value"),
            pl.format("Sama dengan baris {}. {}", "first_row", pl.lit(check.message)).alias("message"),
        )
    )


def below_total_failures(footer: pl.DataFrame) -> pl.DataFrame:
    """A `row_below_total` warning for each normalised row of a sheet's footer (below its totals row or in its
    signature block) that holds a NIK: a person written there is skipped, and the village is told so."""
    check = SET_CHECKS_BY_NAME["row_below_total"]
    return footer.filter(NIK_DIGITS).select(
        pl.lit(check.column).alias("column_name"),
        pl.lit(check.name).alias("check_name"),
        pl.lit(check.severity).alias("severity"),
        mask_id_cell(pl.col("nik_raw")).alias("failure_value"),
        pl.lit(check.message).alias("message"),
        "source_file",
        "sha256",
        "period",
        "sheet",
        "source_row",
        "group_code",
        pl.lit(False).alias("rejects_row"),  # skipped, not rejected: counted once, in rows_skipped
    )


def validate(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split rows into (accepted rows, failures).

    A row with any error is rejected; warnings only flag it; a later exact copy of a row is
    flagged `duplicate_row` and loaded once (the first copy stands for both).
    """
    indexed = rows.with_row_index("row_index").with_columns(pl.col("row_index").cast(pl.Int64))
    failures = pl.concat([failures_of(rows, "error"), failures_of(rows, "warning"), duplicate_failures(indexed)])
    rejected = failures.filter(pl.col("severity") == "error")["row_index"].unique()
    warned = failures.filter(pl.col("severity") == "warning")["row_index"].unique()
    copies = failures.filter(pl.col("check_name") == "duplicate_row")["row_index"]
    accepted = indexed.filter(
        ~pl.col("row_index").is_in(rejected.implode()) & ~pl.col("row_index").is_in(copies.implode())
    ).with_columns(has_warning=pl.col("row_index").is_in(warned.implode()))
    located = failures.join(
        indexed.select("row_index", "source_file", "sha256", "period", "sheet", "source_row", "group_code"),
        on="row_index",
    ).with_columns(rejects_row=pl.col("row_index").is_in(rejected.implode()))
    return accepted.drop("row_index"), located.drop("row_index").sort(
        "source_file", "sheet", "source_row", "check_name"
    )
