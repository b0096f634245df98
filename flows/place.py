"""Place a file: which village (desa/kelurahan) it reports, from its title block or its path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import polars as pl

PREFIXES = r"^(DESA\s*/\s*KELURAHAN|DESA|KELURAHAN|KEL|KECAMATAN|KEC|DS)\b\.?\s*"


@dataclass(frozen=True)
class Placement:
    """The village a file reports, or why it could not be placed."""

    village_code: str | None
    reason: str = ""


def place_key(name: str) -> str:
    """Name compared without case, spaces, punctuation or a `Desa`/`Kel.` prefix (`Karang Tengah` = `Karangtengah`)."""
    return re.sub(r"[^0-9A-Z]", "", re.sub(PREFIXES, "", name.strip().upper()))


def keyed(villages: pl.DataFrame) -> pl.DataFrame:
    """The reference villages with comparison keys for village and district names."""
    return villages.with_columns(
        village_key=pl.col("village_name").map_elements(place_key, return_dtype=pl.String),
        district_key=pl.col("district_name").map_elements(place_key, return_dtype=pl.String),
    )


def place(title: dict[str, str], source_file: str, villages: pl.DataFrame) -> Placement:
    """Match (district, village) against the official list: title block first, then file and folder names."""
    folders = [place_key(part) for part in PurePosixPath(source_file).parts[1:-1]]
    district_keys = [place_key(title["district"])] if "district" in title else folders
    village_names = [title["village"]] if "village" in title else [PurePosixPath(source_file).stem]
    for name in village_names:
        named = villages.filter(pl.col("village_key") == place_key(name))
        candidates = named.filter(pl.col("district_key").is_in(district_keys)) if named.height > 1 else named
        if candidates.height == 1:
            return Placement(candidates["village_code"][0])
        if named.height > 1:
            districts = ", ".join(named["district_name"].sort())
            return Placement(
                None, f"village {name!r} exists in several districts ({districts}) and the file names none of them"
            )
    found = ", ".join(f"{k}={v!r}" for k, v in title.items() if k != "month") or "no DESA/KECAMATAN in the title block"
    return Placement(None, f"village not found in the official list ({found}; file {source_file!r})")
