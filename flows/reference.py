"""The official list of districts (kecamatan) and villages (desa/kelurahan)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from flows.settings import BANYUMAS_REGENCY_CODE, REFERENCE_DIR


def village_type(code: pl.Expr) -> pl.Expr:
    """`kelurahan` when the 4-digit village part starts with 1, else `desa`."""
    return pl.when(code.str.slice(9, 1) == "1").then(pl.lit("kelurahan")).otherwise(pl.lit("desa"))


def derive_reference(source_dir: Path, out_dir: Path, regency_code: str = BANYUMAS_REGENCY_CODE) -> None:
    """Write the regency's districts.csv and villages.csv from the whole-Indonesia lists."""
    districts = pl.read_csv(source_dir / "districts.csv", infer_schema=False).filter(
        pl.col("regency_code") == regency_code
    )
    villages = (
        pl.read_csv(source_dir / "villages.csv", infer_schema=False, quote_char=None)
        .filter(pl.col("district_code").is_in(districts["code"].implode()))
        .with_columns(village_type(pl.col("code")).alias("type"))
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    districts.rename({"code": "district_code", "name": "district_name"}).write_csv(out_dir / "districts.csv")
    villages.rename({"code": "village_code", "name": "village_name", "type": "village_type"}).write_csv(
        out_dir / "villages.csv"
    )


def load_districts(reference_dir: Path = REFERENCE_DIR) -> pl.DataFrame:
    """One row per district: district_code, regency_code, district_name."""
    return pl.read_csv(reference_dir / "districts.csv", infer_schema=False)


def load_villages(reference_dir: Path = REFERENCE_DIR) -> pl.DataFrame:
    """One row per village with its district: village_code, district_code, village_name, village_type, district_name."""
    villages = pl.read_csv(reference_dir / "villages.csv", infer_schema=False)
    return villages.join(load_districts(reference_dir), on="district_code", how="left")


def load_targets(reference_dir: Path = REFERENCE_DIR) -> pl.DataFrame:
    """Coverage targets: year, scope, target_pct, base_population, source."""
    return pl.read_csv(reference_dir / "targets.csv", schema_overrides={"year": pl.Int32, "base_population": pl.Int64})


def load_contribution_rates(reference_dir: Path = REFERENCE_DIR) -> pl.DataFrame:
    """Minimum BPU contribution by programme, with the dates each rate is valid."""
    return pl.read_csv(reference_dir / "contribution_rates.csv", try_parse_dates=True).with_columns(
        pl.col("valid_to").cast(pl.Date)
    )
