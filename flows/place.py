"""Place a file: which village (desa/kelurahan) it reports, from its title block or its path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import polars as pl

PREFIXES = r"^(DESA\s*/\s*KELURAHAN|DESA|KELURAHAN|KEL|KECAMATAN|KEC|DS)\b\.?\s*"
DISTRICT_MARK = re.compile(r"\bKEC(?:AMATAN)?\b\.?\s*[:\-_]?\s*(.+)$", re.IGNORECASE)
VILLAGE_CODE = re.compile(r"(?<!\d)33[.]?02[.]?(\d{2})[.]?([12]\d{3})(?!\d)")


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


def split_district(text: str) -> tuple[str, str | None]:
    """`Batuanten Kec. Cilongok` -> (`Batuanten`, `Cilongok`)."""
    match = DISTRICT_MARK.search(text)
    return (text[: match.start()], match.group(1)) if match else (text, None)


def match_village(text: str, districts: list[str], villages: pl.DataFrame) -> pl.DataFrame:
    """Villages named by `text`: the exact name, else the longest names it contains.

    Narrowed to the given districts when any candidate lies in one of them.
    """
    key = place_key(text)
    if not key:
        return villages.clear()
    named = villages.filter(pl.col("village_key") == key)
    if named.is_empty():
        contained = villages.filter(pl.lit(key).str.contains(pl.col("village_key"), literal=True))
        longest = contained["village_key"].str.len_chars().max()
        named = contained.filter(pl.col("village_key").str.len_chars() == longest) if longest else contained
    district_keys = [place_key(d) for d in districts]
    in_district = named.filter(pl.col("district_key").is_in(district_keys))
    return in_district if in_district.height else named


def from_code(source_file: str, villages: pl.DataFrame) -> pl.DataFrame:
    """The village whose Kemendagri code (`33.02.17.2008` or `3302172008`) appears in the path."""
    match = VILLAGE_CODE.search(source_file)
    if not match:
        return villages.clear()
    return villages.filter(pl.col("village_code") == f"33.02.{match.group(1)}.{match.group(2)}")


def place(title: dict[str, str], source_file: str, villages: pl.DataFrame) -> Placement:
    """Match (district, village) against the official list: title block, then a code in the path, then names."""
    path = PurePosixPath(source_file)
    stem_village, stem_district = split_district(path.stem)
    folders = list(path.parts[1:-1])
    attempts: list[tuple[str, list[str]]] = []
    if "village" in title:
        title_village, title_district = split_district(title["village"])
        districts = [d for d in (title.get("district"), title_district) if d]
        attempts.append((title_village, districts or folders + ([stem_district] if stem_district else [])))
    attempts.append((stem_village, ([stem_district] if stem_district else []) + [title.get("district", "")] + folders))
    coded = from_code(source_file, villages)
    if coded.height == 1:
        return Placement(coded["village_code"][0])
    for text, districts in attempts:
        candidates = match_village(text, [d for d in districts if d], villages)
        if candidates.height == 1:
            return Placement(candidates["village_code"][0])
        if candidates.height > 1:
            names = ", ".join(sorted(set(candidates["district_name"])))
            return Placement(
                None,
                f"village {text.strip()!r} exists in several districts ({names}) and the file names none of them; "
                "write KECAMATAN in the title block",
            )
    found = ", ".join(f"{k}={v!r}" for k, v in title.items() if k != "month") or "no DESA/KECAMATAN in the title block"
    return Placement(None, f"village not found in the official list ({found}; file {source_file!r})")
