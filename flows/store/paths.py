"""Keep the state database, a warehouse and a report apart: a path given for one is never written as another.

A path is judged by its name (`*.state.duckdb`, anything under a `.cakupan` folder, a `.duckdb` file)
and by its content (DuckDB's magic bytes, then the state's `roster_rows` table), so a copy renamed
or a link followed is recognised as what it holds.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file
DATABASE_SUFFIXES = (".duckdb", ".db", ".wal")
PRIVATE_FOLDER = ".cakupan"  # the state database, its lock and the person_id key
HTML_START = b"<!doctype html"


class WrongPathError(ValueError):
    """A path given for one kind of file names another kind: an operator's one-line mistake."""


def is_duckdb(path: Path) -> bool:
    """Whether `path` is a DuckDB database file, by its header."""
    try:
        with path.open("rb") as handle:
            return handle.read(12)[8:12] == DUCKDB_MAGIC
    except OSError:
        return False


def holds_state(path: Path) -> bool:
    """Whether a DuckDB file is (or looks like) a state database: named so, or holding raw roster rows."""
    if path.name.endswith(".state.duckdb") or PRIVATE_FOLDER in path.resolve().parts:
        return True
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            tables = con.execute("select table_name from information_schema.tables").fetchall()
    except duckdb.Error:
        return True  # held open for writing: only a run holds a database so (a warehouse is renamed in)
    return ("roster_rows",) in tables


def check_warehouse(warehouse: Path, landing_zone: Path) -> None:
    """Refuse a warehouse path in the landing zone, or that is the state database or a file not a DuckDB database."""
    check_outside(warehouse, landing_zone, "warehouse")
    if warehouse.name.endswith(".state.duckdb") or PRIVATE_FOLDER in warehouse.resolve().parts:
        raise WrongPathError(f"warehouse {warehouse} is the place of a state database; give the analyst .duckdb file")
    if not warehouse.is_file() or warehouse.stat().st_size == 0:
        return
    if not is_duckdb(warehouse):
        raise WrongPathError(f"warehouse {warehouse} exists and is not a DuckDB database; a run would replace it")
    if holds_state(warehouse):
        raise WrongPathError(f"warehouse {warehouse} is a state database (it holds raw rows); a run would replace it")


def check_output(out: Path, protected: list[Path]) -> None:
    """Refuse an output path that is a database (`protected`, or any by name or content) or another kind of file."""
    if out.suffix.lower() in DATABASE_SUFFIXES or PRIVATE_FOLDER in out.resolve().parts:
        raise WrongPathError(f"{out} is named like a database; give the path of an .html file")
    if any(out.resolve() == path.resolve() for path in protected):
        raise WrongPathError(f"{out} is the warehouse or its state database; give the path of an .html file")
    if not out.is_file() or out.stat().st_size == 0:
        return
    if is_duckdb(out):
        raise WrongPathError(f"{out} is a DuckDB database; give the path of an .html file")
    with out.open("rb") as handle:
        if not handle.read(len(HTML_START)).lower().startswith(HTML_START):
            raise WrongPathError(f"{out} exists and is not a report page; give a new path or an older report")


def check_outside(path: Path, landing_zone: Path, what: str) -> None:
    """Refuse to write `what` at `path` inside the landing zone: the next run would read it as a submission.

    The warehouse's state folder (raw NIKs, the person_id key) would also sit in the villages' share.
    """
    zone = landing_zone.resolve()
    if path.resolve() == zone or zone in path.resolve().parents:
        raise WrongPathError(
            f"{what} {path} is inside the landing zone {landing_zone}: the next run would read it as a submission; "
            "write it outside"
        )
