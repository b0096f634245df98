"""Test helpers: tiny hand-written rosters and a warehouse built by the flow's steps without Prefect."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import xlsxwriter

from flows.outputs.summary import RunSummary
from flows.run import RunOptions, run_pipeline
from flows.settings import BANYUMAS_REGENCY_CODE, Settings
from flows.store.sql import query_frame

HEADER = ["NO", "NIK", "NAMA", "JK", "JABATAN", "STATUS", "NO KPJ"]
ANI, BUDI, CITRA = "3302175205800001", "3302171205750002", "3302171001700003"


def write_roster(
    path: Path, sheets: dict[str, list[list[str]]], village: str = "BATUANTEN", district: str = "CILONGOK"
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(path)
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, [f"DESA : {village}"])
        sheet.write_row(1, 0, [f"KECAMATAN : {district}"])
        sheet.write_row(3, 0, HEADER)
        for index, row in enumerate(rows, start=1):
            for column, value in enumerate([str(index), *row]):
                sheet.write_string(3 + index, column, value)
    book.close()


def build_warehouse(raw: Path, warehouse: Path, started_at: dt.datetime | None = None, **settings: Any) -> RunSummary:
    """The run's one sequence without the orchestrator (flows/run.py), in this process, at `started_at` (now).

    Files written just before are read (no quiet period) unless `quiet_seconds` is given.
    """
    options = RunOptions(allow_empty=True, started_at=started_at)  # hand-made zones are a village or two
    given = {"workers": 1, "quiet_seconds": 0.0, **settings}
    return run_pipeline(Settings(raw, warehouse, **given), f"test-{uuid.uuid4()}", options)


def query(warehouse: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).fetchall()


def frame(warehouse: Path, sql: str) -> pl.DataFrame:
    """A query on the published warehouse (opened read-only) as a polars frame."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return query_frame(con, sql)


def view(warehouse: Path, name: str) -> pl.DataFrame:
    """Every row of a table or view of the published warehouse, ordered by all its columns (views do not order)."""
    return frame(warehouse, f"select * from {name} order by all")


# What a reader could join into one number: NFKC folds fullwidth, mathematical and circled digits, decimal
# digits of any script count, and whitespace, dashes, dots, quotes, `_` and invisible characters are
# dropped. Written apart from flows/privacy.py on purpose: the scan must not share the mask's blind spots.
JOINERS = re.compile(r"[\s._'`\u00ad\u2010-\u2015\u2212\u200b-\u200f\u2060\ufeff\-]")


def holds_nik(text: str) -> bool:
    """Whether `text` holds a run of 16 digits in any Unicode form with any separators between them."""
    folded = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in unicodedata.normalize("NFKC", text))
    return re.search(r"[0-9]{16}", JOINERS.sub("", folded)) is not None


HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def nik_like_values(warehouse: Path) -> list[str]:
    """`table.column` of every text column of every table and view that holds a NIK in any form (`holds_nik`)."""
    found = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.sql(
            # a SHA-256 digest in hex holds 16 decimal digits in a row about once in 40 files: not a NIK
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and column_name <> 'sha256'"
        ).fetchall()
        for schema, table, column in columns:
            sql = f"""select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null"""
            values = con.sql(sql).fetchall()
            # a SHA-256 digest in hex (a fingerprint) holds 16 decimal digits in a row now and then: not a NIK
            if any(holds_nik(value) and not HEX_DIGEST.fullmatch(str(value)) for (value,) in values):
                found.append(f"{table}.{column}")
    return found


def zone_files(raw: Path) -> list[Path]:
    """Every file of a generated landing zone: the rosters and the BPJS exports."""
    return sorted(path for path in raw.rglob("*") if path.is_file() and "reference" not in path.parts)


BATUANTEN = "33.02.17.2008"  # a desa in Cilongok (tests/conftest.py SMALL_VILLAGES)
LATE_BPD = [  # a late BPD roster for Batuanten: two people, one row with a NIK too short (reported, not counted)
    [ANI, "Ani", "P", "Anggota BPD", "Sudah", "12345678901"],
    [BUDI, "Budi", "L", "Ketua BPD", "Belum", ""],
    ["330217120575", "Cahya", "L", "Anggota BPD", "Sudah", ""],
]


def state_of(warehouse: Path) -> Path:
    """The state database of a warehouse."""
    return Settings(warehouse=warehouse).state


def close_regency(warehouse: Path, period: str, by: str = "auditor", reason: str = "") -> int:
    """Close `period` for the whole regency, as `cakupan close` does (why: `reason`, else in English)."""
    from flows.store import periods
    from flows.store.reference import load_districts

    districts = list(load_districts(region=BANYUMAS_REGENCY_CODE)["district_code"])
    actor = periods.Actor(reason or f"{period} reported to the regent", by)
    return periods.close_period(state_of(warehouse), warehouse, period, periods.Scope(), districts, actor)


def send_late_bpd(raw: Path, period: str, rows: list[list[str]] = LATE_BPD, name: str = "Batuanten.xlsx") -> Path:
    """Batuanten's corrected BPD roster for `period`, by default over the file it sent (a new version of it).

    Two files with the same rows are byte-identical (the second is ignored as a copy): give other rows.
    """
    path = raw / period / "Cilongok" / name
    write_roster(path, {"BPD": rows})
    return path
