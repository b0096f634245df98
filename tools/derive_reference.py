"""Write raw/reference/ (regencies.csv, districts.csv, villages.csv of Jawa Tengah) from the whole-Indonesia lists.

Run from the project root: `python -m tools.derive_reference ../shared/reference raw/reference`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from flows.settings import JAWA_TENGAH_PROVINCE_CODE
from flows.store.reference import village_type


def derive_reference(source_dir: Path, out_dir: Path, province_code: str = JAWA_TENGAH_PROVINCE_CODE) -> None:
    """Write the province's regencies.csv, districts.csv and villages.csv from the whole-Indonesia lists."""
    regencies = pl.read_csv(source_dir / "regencies.csv", infer_schema=False).filter(
        pl.col("province_code") == province_code
    )
    districts = pl.read_csv(source_dir / "districts.csv", infer_schema=False).filter(
        pl.col("regency_code").str.starts_with(f"{province_code}.")
    )
    villages = (
        pl.read_csv(source_dir / "villages.csv", infer_schema=False, quote_char=None)
        .filter(pl.col("district_code").is_in(districts["code"].implode()))
        .with_columns(village_type(pl.col("code")).alias("type"))
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    # the source writes names in capitals ('KABUPATEN BANYUMAS'); analysts read 'Kabupaten Banyumas'
    regencies.select(
        pl.col("code").alias("regency_code"), pl.col("name").str.to_titlecase().alias("regency_name")
    ).write_csv(out_dir / "regencies.csv")
    districts.rename({"code": "district_code", "name": "district_name"}).write_csv(out_dir / "districts.csv")
    villages.rename({"code": "village_code", "name": "village_name", "type": "village_type"}).write_csv(
        out_dir / "villages.csv"
    )


if __name__ == "__main__":
    derive_reference(Path(sys.argv[1]), Path(sys.argv[2]))
