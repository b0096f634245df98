"""The official list of districts (kecamatan) and villages (desa/kelurahan) of Jawa Tengah, and the run's region.

The lists cover the province; a run places files against its region only (Settings.region:
`33.02`, Kabupaten Banyumas, unless configured), so a village name is ambiguous only
within the region.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from flows.settings import BANYUMAS_REGENCY_CODE, REFERENCE_DIR


def village_type(code: pl.Expr) -> pl.Expr:
    """`kelurahan` when the 4-digit village part starts with 1, else `desa`."""
    return pl.when(code.str.slice(9, 1) == "1").then(pl.lit("kelurahan")).otherwise(pl.lit("desa"))


def in_region(code: pl.Expr, region: str) -> pl.Expr:
    """Codes within `region`: a province (`33`), regency (`33.02`) or district (`33.02.17`) code."""
    return (code == region) | code.str.starts_with(f"{region}.")


def load_districts(reference_dir: Path = REFERENCE_DIR, region: str = BANYUMAS_REGENCY_CODE) -> pl.DataFrame:
    """One row per district of the region: district_code, regency_code, district_name."""
    districts = pl.read_csv(reference_dir / "districts.csv", infer_schema=False)
    return districts.filter(in_region(pl.col("district_code"), region))


def load_villages(reference_dir: Path = REFERENCE_DIR, region: str = BANYUMAS_REGENCY_CODE) -> pl.DataFrame:
    """One row per village of the region with its district.

    Columns: village_code, district_code, village_name, village_type, regency_code, district_name.
    """
    villages = pl.read_csv(reference_dir / "villages.csv", infer_schema=False)
    return villages.filter(in_region(pl.col("village_code"), region)).join(
        load_districts(reference_dir, region), on="district_code", how="inner"
    )


def load_targets(reference_dir: Path = REFERENCE_DIR) -> pl.DataFrame:
    """Coverage targets: year, scope, target_pct, base_population, source."""
    return pl.read_csv(reference_dir / "targets.csv", schema_overrides={"year": pl.Int32, "base_population": pl.Int64})


def load_contribution_rates(reference_dir: Path = REFERENCE_DIR) -> pl.DataFrame:
    """Minimum BPU contribution by programme, with the dates each rate is valid."""
    return pl.read_csv(reference_dir / "contribution_rates.csv", try_parse_dates=True).with_columns(
        pl.col("valid_to").cast(pl.Date)
    )


def load_due_dates(reference_dir: Path = REFERENCE_DIR) -> pl.DataFrame:
    """When a period's rosters are due, by the periods each rule applies to (raw/reference/due_dates.csv).

    Columns: valid_from and valid_to (first and last period, 'YYYY-MM'; valid_to empty while in
    force), months_after (the due month, counted from the period's), due_day (the last day, 1 to
    28), grace_hours (after the end of that day, local time), source.
    """
    rules = pl.read_csv(
        reference_dir / "due_dates.csv",
        schema_overrides={"valid_from": pl.String, "valid_to": pl.String, "months_after": pl.Int32},
    ).with_columns(pl.col("due_day", "grace_hours").cast(pl.Int32))
    bad = rules.filter(
        ~pl.col("due_day").is_between(1, 28) | (pl.col("months_after") < 0) | (pl.col("grace_hours") < 0)
    )
    if bad.height:
        raise ValueError(f"{reference_dir / 'due_dates.csv'}: due_day must be 1-28, months_after and grace_hours >= 0")
    return rules
