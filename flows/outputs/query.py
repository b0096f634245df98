"""`cakupan sql`: one read-only query on the warehouse, confined and limited, its result as safe text.

The session reads the warehouse file and nothing else (CONFINED_SESSION), within a memory limit
(`sql_memory_limit`); a query still running after `sql_timeout_seconds` is interrupted; at most
`sql_max_rows` rows and `sql_max_bytes` of text are fetched. Values are printed with control
characters escaped (no ANSI sequence reaches the terminal, no markup is interpreted), and CSV cells
that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, carriage return) start with `'`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
from rich.table import Column, Table
from rich.text import Text

from flows.settings import Settings

# DuckDB settings that confine `cakupan sql` to the warehouse file; locked, so a query cannot undo them
CONFINED_SESSION: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP CSV injection, CWE-1236
FETCH_CHUNK = 1024


class QueryLimitError(ValueError):
    """A query stopped by a limit of `cakupan sql`, named with its setting."""


@dataclass(frozen=True)
class Result:
    """A query's columns and rows; `truncated` when a fetch limit stopped it (the rows are the first ones)."""

    columns: list[str]
    rows: list[tuple[object, ...]]
    truncated: str = ""


def run_query(warehouse: Path, query: str, settings: Settings) -> Result:
    """Run `query` on `warehouse` read-only, confined and within the settings' limits."""
    config = {**CONFINED_SESSION, "memory_limit": settings.sql_memory_limit, "lock_configuration": True}
    with duckdb.connect(str(warehouse), read_only=True, config=config) as con:
        internal = con.execute("select count(*) from duckdb_tables() where table_name = 'roster_rows'").fetchall()
        if internal != [(0,)]:  # the state database holds raw NIKs: only the flow opens it
            raise ValueError(f"{warehouse} is cakupan's internal state database, not the analyst warehouse")
        timer = threading.Timer(settings.sql_timeout_seconds, con.interrupt)
        timer.start()
        try:
            executed = con.execute(query)
            if executed is None or executed.description is None:  # empty, or only comments
                raise ValueError('the query is empty: give one SELECT, e.g. "select * from coverage_by_group"')
            return fetch(executed, settings)
        except duckdb.InterruptException:
            limit = f"{settings.sql_timeout_seconds:g} s (sql_timeout_seconds)"
            raise QueryLimitError(f"the query was stopped after running longer than {limit}") from None
        except duckdb.OutOfMemoryException as error:
            limit = f"{settings.sql_memory_limit} (sql_memory_limit)"
            raise QueryLimitError(f"the query needs more memory than {limit}: {error}") from None
        finally:
            timer.cancel()


def fetch(executed: duckdb.DuckDBPyConnection, settings: Settings) -> Result:
    """The rows of an executed query, a chunk at a time, up to the settings' row and byte limits."""
    columns = [str(described[0]) for described in executed.description or []]
    rows: list[tuple[object, ...]] = []
    size = 0
    while chunk := executed.fetchmany(FETCH_CHUNK):
        for row in chunk:
            size += sum(len(str(value)) for value in row)
            if len(rows) == settings.sql_max_rows:
                return Result(columns, rows, f"the first {len(rows):,} rows (sql_max_rows)")
            if size > settings.sql_max_bytes:
                return Result(columns, rows, f"the first {len(rows):,} rows, before {size:,} bytes (sql_max_bytes)")
            rows.append(row)
    return Result(columns, rows)


def visible(text: str) -> str:
    """`text` with every control, format and other non-printing character written as its escape (`\\x1b`)."""
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in text)


def as_table(result: Result) -> Table:
    """The result as a terminal table: plain text (rich markup such as `[/]` is not interpreted), escaped."""
    table = Table(
        *(
            Column(Text(visible(column)), justify="right" if numeric(result, index) else "left")
            for index, column in enumerate(result.columns)
        )
    )
    for row in result.rows:
        table.add_row(*(Text("" if value is None else visible(str(value))) for value in row))
    return table


def numeric(result: Result, index: int) -> bool:
    """Every value of the column is a number (none is a bool): shown right-aligned, as numbers are."""
    values = [row[index] for row in result.rows if row[index] is not None]
    return bool(values) and all(isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in values)


def as_records(result: Result) -> Text:
    """The result one row after the other, a line per column (`column | value`), as psql's expanded display.

    For a result too wide for the terminal, whose table would cut every value to `…`.
    """
    names = [visible(column) for column in result.columns]
    width = max(map(len, names), default=0)
    lines = [] if result.rows else [f"(no rows) columns: {', '.join(names)}"]
    for number, row in enumerate(result.rows, start=1):
        lines.append(f"-[ row {number} ]" + "-" * max(0, width - 6))
        lines += [
            f"{name:<{width}} | {'' if value is None else visible(str(value))}"
            for name, value in zip(names, row, strict=True)
        ]
    return Text("\n".join(lines))


WIDE_VALUE = 20  # characters of a value a table column must show whole; longer ones may wrap


def too_wide(result: Result, width: int) -> bool:
    """A table of `result` would not fit `width` columns of text: some header, or some value of up to WIDE_VALUE
    characters, would be cut to `…` (each column also takes 3 characters of border and padding)."""
    needed = 1
    for index, name in enumerate(result.columns):
        longest = max((len(str(row[index])) for row in result.rows), default=0)
        needed += max(len(visible(name)), min(longest, WIDE_VALUE)) + 3
    return needed > width


def csv_cell(value: object, excel_id: bool) -> str:
    """One CSV cell: numbers as numbers (a decimal comma for Indonesian Excel), text never a live formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",") if excel_id else str(value)
    if isinstance(value, list | tuple | dict):
        raise ValueError("nested values (lists, structs, maps) have no CSV form; select their fields")
    text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def as_csv(result: Result, excel_id: bool = False) -> str:
    """The result as CSV; for Indonesian Excel (`excel_id`): `;` between fields, decimal commas and a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if excel_id else ",")  # RFC 4180 lines: a lone CR is quoted
    writer.writerow([csv_cell(column, excel_id) for column in result.columns])
    writer.writerows([csv_cell(value, excel_id) for value in row] for row in result.rows)
    return ("\ufeff" if excel_id else "") + buffer.getvalue()
