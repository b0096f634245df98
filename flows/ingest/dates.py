"""The calendar: month names, and dates from whole-number year, month and day as polars expressions.

Month names are written once, here: the villages' dates are read with them (normalize.py), the
corrections workbooks and the report say them.
"""

from __future__ import annotations

import polars as pl

MONTH_NAMES = {  # January first
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}  # fmt: skip
UNIX_EPOCH_FROM_YEAR_0 = 719_468  # days from 0000-03-01 to 1970-01-01
DAYS_PER_400_YEARS = 146_097


def full_year(year: pl.Expr) -> pl.Expr:
    """Two-digit years: 00-29 are 20xx, the rest 19xx."""
    return pl.when(year < 100).then(pl.when(year < 30).then(year + 2000).otherwise(year + 1900)).otherwise(year)


def days_in_month(year: pl.Expr, month: pl.Expr) -> pl.Expr:
    """28 to 31, by the Gregorian calendar."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    return pl.when(month == 2).then(28 + leap.cast(pl.Int32)).when(month.is_in([4, 6, 9, 11])).then(30).otherwise(31)


def civil_date(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    """The date of integer parts, null when there is no such day (31 April, 29 February 2023, month 13).

    Integer arithmetic (H. Hinnant's days_from_civil, a year counted from March) in place of
    formatting `YYYY-MM-DD` and parsing it. It names each part several times, and polars
    evaluates a repeated sub-expression again inside `when/then`: give it columns.
    """
    march_year = year - (month <= 2).cast(pl.Int32)
    era = march_year // 400
    year_of_era = march_year - era * 400
    day_of_year = (153 * (month + pl.when(month > 2).then(-3).otherwise(9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * DAYS_PER_400_YEARS + day_of_era - UNIX_EPOCH_FROM_YEAR_0
    exists = month.is_between(1, 12) & day.is_between(1, days_in_month(year, month))
    return pl.when(exists).then(days).cast(pl.Date)


def month_name(period: str, lang: str = "id") -> str:
    """`2024-04` -> `April 2024` (in Bahasa Indonesia unless `lang` is `en`)."""
    year, month = period.split("-")
    return f"{MONTH_NAMES[lang][int(month) - 1]} {year}"
