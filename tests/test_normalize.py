"""Normalising village text: dates, money, status, roles, sex and NIK."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from flows.ingest.dates import civil_date
from flows.ingest.headers import CANONICAL_COLUMNS
from flows.ingest.normalize import enrolled, group_from_role, normalize, parse_date, rupiah


def one_column(values: list[str | None], expr: pl.Expr) -> list[object]:
    return pl.DataFrame({"v": values}, schema={"v": pl.String}).select(expr)["v"].to_list()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1975-05-12 00:00:00", dt.date(1975, 5, 12)),
        ("27526", dt.date(1975, 5, 12)),
        ("27526.0", dt.date(1975, 5, 12)),
        ("12/05/1975", dt.date(1975, 5, 12)),
        ("12-05-1975", dt.date(1975, 5, 12)),
        ("12-5-75", dt.date(1975, 5, 12)),
        ("1975-05-12", dt.date(1975, 5, 12)),
        ("12 Mei 1975", dt.date(1975, 5, 12)),
        ("12 MEI 1975", dt.date(1975, 5, 12)),
        ("3 Agt 2001", dt.date(2001, 8, 3)),
        ("17 Agustus 1980", dt.date(1980, 8, 17)),
        ("31/02/1990", None),
        ("kemarin", None),
        (None, None),
    ],
)
def test_dates_day_first_in_every_listed_form(text: str | None, expected: dt.date | None) -> None:
    assert one_column([text], parse_date(pl.col("v"))) == [expected]


def test_civil_date_is_the_calendar_for_every_day_and_null_for_impossible_ones() -> None:
    """Every day of 22 years, six of them century years, and impossible parts, against Python's calendar."""
    years = [1800, *range(1896, 1905), *range(1996, 2005), 2100, 2200, 2400]
    parts = pl.DataFrame(
        [(y, m, d) for y in years for m in range(-1, 15) for d in range(-1, 34)],
        schema={"y": pl.Int32, "m": pl.Int32, "d": pl.Int32},
        orient="row",
    )
    got = parts.select(civil_date(pl.col("y"), pl.col("m"), pl.col("d")))["y"].to_list()

    def calendar(y: int, m: int, d: int) -> dt.date | None:
        try:
            return dt.date(y, m, d)
        except ValueError:
            return None

    assert got == [calendar(*row) for row in parts.iter_rows()]


def test_dates_of_one_column_each_parsed_by_the_first_form_that_fits() -> None:
    cells = ["12-5-75", None, "27526", "3 Agt 2001", "kemarin", "1975-05-12", "31/02/1990", "29 Pebruari 2000"]
    assert one_column(cells, parse_date(pl.col("v"))) == [
        dt.date(1975, 5, 12),
        None,
        dt.date(1975, 5, 12),
        dt.date(2001, 8, 3),
        None,
        dt.date(1975, 5, 12),
        None,
        dt.date(2000, 2, 29),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("16800", 16800),
        ("16.800", 16800),
        ("Rp 16.800,00", 16800),
        ("Rp16.800", 16800),
        ("16,800", 16800),
        ("16800.0", 16800),
        ("1.000.000", 1_000_000),
        ("Rp. 6.800", 6800),
        ("gratis", None),
    ],
)
def test_money_to_whole_rupiah(text: str, expected: int | None) -> None:
    assert one_column([text], rupiah("v")) == [expected]


def test_status_vocabulary_and_kpj_with_blank_status() -> None:
    frame = pl.DataFrame(
        {
            "status_raw": ["Sudah", "SUDAH TERDAFTAR", "✓", "1", "Belum", "Non Aktif", "-", None, None, "mungkin"],
            "kpj": [None, None, None, None, None, None, None, "12345678901", None, None],
        }
    )
    assert frame.select(enrolled()).to_series().to_list() == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        True,
        False,
        None,
    ]


def test_roles_name_their_group_and_unknown_posts_name_none() -> None:
    roles = [
        "Ketua RT 003",
        "KETUA RW 05",
        "Sekretaris RT",
        "Wakil Ketua BPD",
        "Kasatlinmas",
        "Anggota Satlinmas",
        "Ketua LPMD",
        "Kader Posyandu",
        "PKK",
        "Karang Taruna",
        "Bendahara Masjid",
        "Takmir",
    ]
    groups = pl.DataFrame({"role_raw": roles}).select(group_from_role()).to_series().to_list()
    assert groups == ["RT_RW", "RT_RW", "RT_RW", "BPD", "LINMAS", "LINMAS", "LKD", "LKD", "LKD", "LKD", None, None]


def roster(**columns: list[str | None]) -> pl.DataFrame:
    height = len(next(iter(columns.values())))
    frame = pl.DataFrame(
        {c: columns.get(c, [None] * height) for c in CANONICAL_COLUMNS},
        schema=dict.fromkeys(CANONICAL_COLUMNS, pl.String),
    )
    return frame.with_columns(group_hint=pl.lit("LINMAS"), is_vulnerable_workers=pl.lit(False))


def test_normalize_keeps_raw_text_and_types_the_rest() -> None:
    out = normalize(
        roster(
            nik=["'3302.1712.0575.0001", "3302 1752 0580 0002"],
            name=["  H.  Slamet  ", "siti"],
            sex=["Laki-laki", "PR"],
            role=[None, "anggota  satlinmas"],
            rt_rw=["003/005", None],
            status=["Sudah", "Belum"],
        )
    )
    assert out["nik"].to_list() == ["3302171205750001", "3302175205800002"]
    assert out["nik_raw"].to_list() == ["'3302.1712.0575.0001", "3302 1752 0580 0002"]
    assert out["name"].to_list() == ["H. Slamet", "siti"]
    assert out["sex"].to_list() == ["L", "P"]
    assert out["group_code"].to_list() == ["LINMAS", "LINMAS"]
    assert out["role"].to_list() == [None, "Anggota Satlinmas"]
    assert (out["rt"][0], out["rw"][0]) == (3, 5)
    assert out["enrolled"].to_list() == [True, False]


def test_vulnerable_workers_sheet_is_rentan_whatever_the_occupation() -> None:
    frame = roster(nik=["3302171205750001"], occupation=["Penderes Kelapa"], status=["Ya"]).with_columns(
        is_vulnerable_workers=pl.lit(True)
    )
    row = normalize(frame).row(0, named=True)
    assert (row["group_code"], row["role"], row["enrolled"]) == ("RENTAN", "Penderes Kelapa", True)


def test_a_generic_post_takes_the_group_of_its_sheet_and_is_unknown_elsewhere() -> None:
    on_sheet = normalize(roster(nik=["1", "2"], role=["Anggota", "Wakil Ketua"]).with_columns(group_hint=pl.lit("BPD")))
    assert on_sheet["group_code"].to_list() == ["BPD", "BPD"]
    nowhere = normalize(roster(nik=["1"], role=["Anggota"]).with_columns(group_hint=pl.lit(None, dtype=pl.String)))
    assert nowhere["group_code"].to_list() == [None]
