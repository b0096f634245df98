"""Test helpers: tiny hand-written rosters and a warehouse built by the flow's steps without Prefect."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import xlsxwriter

from flows import load, publish, reference
from flows.batches import BatchProcessor
from flows.discover import discover
from flows.place import keyed
from flows.settings import state_path_for
from flows.sql import query_frame

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


def build_warehouse(raw: Path, warehouse: Path) -> None:
    """The flow's steps without the orchestrator: process every file, load, publish."""
    processor = BatchProcessor(raw, keyed(reference.load_villages()), workers=1)
    with load.connect_state(state_path_for(warehouse)) as con, processor:
        for outcome in processor.outcomes(discover(raw), batch_size=256):
            load.load_batch(con, outcome, "test-run")
        load.refresh_current(con, "test-run")
        publish.publish(con, warehouse, b"key", "test-run", 80.0)


def query(warehouse: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).fetchall()


def frame(warehouse: Path, sql: str) -> pl.DataFrame:
    """A query on the published warehouse (opened read-only) as a polars frame."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return query_frame(con, sql)


def view(warehouse: Path, name: str) -> pl.DataFrame:
    """Every row of a table or view of the published warehouse."""
    return frame(warehouse, f"select * from {name}")


def nik_like_values(warehouse: Path) -> list[str]:
    """`table.column` of every text column of every table and view that holds a 16-digit run."""
    found = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.sql(
            "select table_name, column_name from information_schema.columns where data_type = 'VARCHAR'"
        ).fetchall()
        for table, column in columns:
            sql = f"""select count(*) from "{table}" where regexp_matches("{column}", '\\d{{16}}')"""
            if con.sql(sql).fetchall() != [(0,)]:
                found.append(f"{table}.{column}")
    return found
