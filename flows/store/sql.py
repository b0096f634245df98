"""Run the SQL files under warehouse/: statements by name, one statement at a time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import duckdb
import polars as pl

from flows.settings import STATEMENTS_DIR

PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")


def session(config: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB session for the pipeline's statements, printing no progress bar.

    DuckDB draws a bar on stdout for any statement past two seconds, log or not: a province's
    publish left 60 lines of it in `cakupan province`'s output and in the nightly log.
    """
    con = duckdb.connect(config=config or {})
    con.execute("set enable_progress_bar = false")
    return con


def split_statements(script: str) -> list[str]:
    """Statements of a script, split at semicolons that end a line; comment-only pieces dropped."""
    pieces = re.split(r";\s*$", script, flags=re.MULTILINE)
    return [p.strip() for p in pieces if re.sub(r"--[^\n]*", "", p).strip()]


def run_script(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: dict[str, Any] | None = None,
    directory: Path = STATEMENTS_DIR,
    fill: dict[str, str] | None = None,
) -> None:
    """Execute `warehouse/statements/<name>.sql`, giving each statement only the parameters it names.

    `fill` puts names the code holds (a table from the export registry, never a value read from
    a file) where the script's statements, not its comments, say `{key}`.
    """
    script = (directory / f"{name}.sql").read_text()
    if fill:
        script = "\n".join(
            line if line.lstrip().startswith("--") else filled(line, fill) for line in script.splitlines()
        )
    for statement in split_statements(script):
        names = PARAMETER.findall(re.sub(r"--[^\n]*", "", statement))
        used = {key: value for key, value in (params or {}).items() if key in names}
        con.execute(statement, used or None)


def filled(line: str, fill: dict[str, str]) -> str:
    """`line` with each `{key}` of `fill` replaced by its text."""
    for key, text in fill.items():
        line = line.replace(f"{{{key}}}", text)
    return line


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """An explicit transaction: DuckDB 2.0 autocommits each statement of a batch otherwise."""
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


class ArrowSource(Protocol):
    """Anything that exports an Arrow C stream: a polars frame, a DuckDB relation."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...


class ArrowStream:
    """A frame or relation seen only as an Arrow C stream (the PyCapsule interface).

    - DuckDB scans a polars frame wrapped in it without pyarrow: a frame registered as it is,
      or a result fetched with `.pl()`, goes through pyarrow, whose import alone took 0.05 s in
      a process that needs it for nothing else. Each scan asks for a new stream, so a
      registered frame can be read more than once.
    - polars reads a DuckDB relation wrapped in it without ever seeing DuckDB's class: polars'
      constructor asks `_might_be(type(data), ...)`, a `functools.cache` keyed by the class, so a
      relation passed as it is keeps DuckDB's nanobind class alive in that cache until exit,
      and nanobind's leak check then printed "leaked 27 instances ... DuckDBPyType" (35 lines)
      at the end of every command.
    """

    def __init__(self, source: ArrowSource) -> None:
        self.source = source

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self.source.__arrow_c_stream__(requested_schema)


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame]) -> Iterator[None]:
    """`frames` readable in SQL by their names while inside."""
    for name, frame in frames.items():
        con.register(name, ArrowStream(frame))
    try:
        yield
    finally:
        for name in frames:
            con.unregister(name)


def query_frame(con: duckdb.DuckDBPyConnection, query: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
    """The result of a query as a polars frame (through the Arrow C stream, as `ArrowStream`)."""
    return pl.DataFrame(ArrowStream(con.sql(query, params=params)))
