"""The official regencies, districts (kecamatan) and villages (desa/kelurahan) of Jawa Tengah, and the run's region.

The lists cover the province; a run places files against its region only (Settings.region:
`33.02`, Kabupaten Banyumas, unless configured; or several regencies, `33.01,33.02`), so a
village name is ambiguous only within the region.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from flows.settings import BANYUMAS_REGENCY_CODE, REFERENCE_DIR, region_codes


def village_type(code: pl.Expr) -> pl.Expr:
    """`kelurahan` when the 4-digit village part starts with 1, else `desa`."""
    return pl.when(code.str.slice(9, 1) == "1").then(pl.lit("kelurahan")).otherwise(pl.lit("desa"))


def in_region(code: pl.Expr, region: str) -> pl.Expr:
    """Codes within `region`: a province (`33`), regency (`33.02`) or district (`33.02.17`) code, or a list of them."""
    return pl.any_horizontal(
        [(code == part) | code.str.starts_with(f"{part}.") for part in region_codes(region)] or [pl.lit(False)]
    )


def load_regencies(reference_dir: Path = REFERENCE_DIR, region: str = BANYUMAS_REGENCY_CODE) -> pl.DataFrame:
    """One row per regency (kabupaten) or city (kota) of the region: regency_code, regency_name."""
    regencies = pl.read_csv(reference_dir / "regencies.csv", infer_schema=False)
    return regencies.filter(in_region(pl.col("regency_code"), region) | in_within(pl.col("regency_code"), region))


def in_within(code: pl.Expr, region: str) -> pl.Expr:
    """Codes that contain a part of `region`: the regency of a district-level region (`33.02.17` is in `33.02`)."""
    return pl.any_horizontal([pl.lit(part).str.starts_with(code + ".") for part in region_codes(region)])


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


def load_groups(reference_dir: Path = REFERENCE_DIR) -> pl.DataFrame:
    """Roster groups: group_code, group_label (Indonesian), group_label_en, sort_order, desa_only (BPD: desa only)."""
    return pl.read_csv(
        reference_dir / "groups.csv",
        schema={
            "group_code": pl.String,
            "group_label": pl.String,
            "group_label_en": pl.String,
            "sort_order": pl.Int32,
            "desa_only": pl.Boolean,
        },
    )


def load_group_targets(reference_dir: Path = REFERENCE_DIR) -> pl.DataFrame:
    """Per-group coverage targets, dated: group_code, target_pct, due_period, valid_from, valid_to, source.

    A target applies to the periods whose first day lies in [valid_from, valid_to]; the regency
    changes a target by closing its row (valid_to) and adding one. Rows that overlap for a group,
    name an unknown group or hold a percentage outside 0-100 are refused here, before publishing.
    """
    targets = pl.read_csv(
        reference_dir / "group_targets.csv",
        schema={
            "group_code": pl.String,
            "target_pct": pl.Float64,
            "due_period": pl.String,
            "valid_from": pl.Date,
            "valid_to": pl.Date,
            "source": pl.String,
        },
    )
    problems = []
    unknown = set(targets["group_code"]) - set(load_groups(reference_dir)["group_code"])
    if unknown:
        problems.append(f"unknown group_code {sorted(unknown)}")
    if not targets["target_pct"].is_between(0, 100).all():
        problems.append("target_pct outside 0-100")
    if not targets["due_period"].str.contains(r"^\d{4}-(0[1-9]|1[0-2])$").all():
        problems.append("due_period not written YYYY-MM")
    numbered = targets.with_row_index("row")
    open_end = pl.date(9999, 12, 31)
    overlapping = numbered.join(numbered, on="group_code", suffix="_other").filter(
        (pl.col("row") < pl.col("row_other"))
        & (pl.col("valid_from") <= pl.col("valid_to_other").fill_null(open_end))
        & (pl.col("valid_from_other") <= pl.col("valid_to").fill_null(open_end))
    )
    if not overlapping.is_empty():
        problems.append(f"overlapping validity for {sorted(set(overlapping['group_code']))}")
    if problems:
        raise ValueError(f"{reference_dir / 'group_targets.csv'}: {'; '.join(problems)}")
    return targets


def load_grace_periods(reference_dir: Path = REFERENCE_DIR) -> pl.DataFrame:
    """Months of contributions a member may owe and still count as protected, by segment, with validity dates."""
    return pl.read_csv(reference_dir / "grace_periods.csv", try_parse_dates=True).with_columns(
        pl.col("valid_to").cast(pl.Date)
    )


def load_name_titles(reference_dir: Path = REFERENCE_DIR) -> pl.DataFrame:
    """Titles and degrees written before or after a name (raw/reference/name_titles.csv): title, position, meaning."""
    return pl.read_csv(reference_dir / "name_titles.csv", schema_overrides={"title": pl.String})


def title_pattern(titles: Sequence[str]) -> str:
    """One regular expression for any of `titles`, each dot optional and followed by optional spaces."""
    spelled = [
        r"\.?\s*".join(re.escape(part) for part in title.upper().rstrip(".").split("."))
        for title in sorted(titles, key=len, reverse=True)  # the longest first: S.Pd.I. before S.Pd.
    ]
    return "(?:" + "|".join(spelled) + ")"


def name_title_patterns(reference_dir: Path = REFERENCE_DIR) -> dict[str, str]:
    """The patterns the SQL macro `name_key` (create_macros.sql) takes titles and degrees off a name with.

    `name_titles_before`: any run of titles at the start, each ended by a dot or a space
    (`HJ.`, `DRS. H.`); `name_titles_after`: any run of degrees at the end, each after a space or
    a comma (`, S.PD., M.PD.`).
    """
    titles = load_name_titles(reference_dir)
    by_position = {
        position: titles.filter(pl.col("position") == position)["title"].to_list() for position in ("before", "after")
    }
    return {
        "name_titles_before": rf"^\s*(?:{title_pattern(by_position['before'])}(?:\.\s*|\s+))+",
        "name_titles_after": rf"(?:[\s,]+{title_pattern(by_position['after'])}\.?)+[\s,.]*$",
    }


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
