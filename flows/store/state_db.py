"""The internal state database: its connection (created, private, migrated), its locks, its deferred failures."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb

from flows.privacy import mask_variables
from flows.settings import STATEMENTS_DIR
from flows.store.sql import run_script, session, transaction
from flows.store.state_current import fill_reasons
from flows.store.state_exports import for_each_export
from schemas.exports import EXPORTS

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600  # the state database, its WAL, the lock, the person_id key
# DuckDB scans a table in parallel by row group. With its default of 122,880 rows, a
# regency month (about 47k rows) is one row group, so every statement after the workers
# (load, refresh, publish) ran on one core of two. 8,192 rows: 0.53 s -> 0.37 s for them.
STATE_ROW_GROUP_SIZE = 8192
_one_thread: ContextVar[bool] = ContextVar("one_thread", default=False)  # `one_thread_each`


@contextmanager
def one_thread_each() -> Iterator[None]:
    """State databases opened inside it run their statements on one DuckDB thread.

    For a province child (flows/province_run.py `run_chunk`): a regency's statements are small, and
    their second thread cost more CPU than it saved (the 35 regencies: 0.27 CPU-s a regency,
    docs/performance.md), while the machine is kept busy by the reading processes and other units.
    """
    token = _one_thread.set(True)
    try:
        yield
    finally:
        _one_thread.reset(token)


@contextmanager
def connect_state(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The state database, created if needed, private to its owner: it holds raw NIKs.

    While it is open the process umask is 077, so the database and its write-ahead log are
    created 0600 (the publisher sets the analyst warehouse's own mode); files that were made
    with another mode (an older version, a copy, a restore) are set back to 0600 each time.

    Reasons recorded as a code and parameters only get their texts (fill_reasons).
    The database is attached with row groups of
    STATE_ROW_GROUP_SIZE rows (the option lasts while it is attached, so it is given each time),
    on one DuckDB thread inside `one_thread_each`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(PRIVATE_DIR_MODE)
    for private in path.parent.iterdir():
        if private.is_file() and not private.is_symlink():
            private.chmod(PRIVATE_FILE_MODE)
    old_umask = os.umask(0o077)
    try:
        with session({"threads": 1} if _one_thread.get() else None) as con:
            try:
                con.execute(f"attach $path as state (row_group_size {STATE_ROW_GROUP_SIZE})", {"path": str(path)})
            except duckdb.IOException as error:
                raise locked_error(path, error) from None
            con.execute("use state")
            made_schema(con)
            record_deferred_failures(con, path)
            run_script(con, "create_macros", mask_variables())
            fill_reasons(con)
            yield con
    finally:
        os.umask(old_umask)


SCHEMA_SCRIPTS = ("create_state_tables", "create_export_table", "create_period_tables")


@cache
def schema_digest() -> str:
    """What the state database's tables and views are made by: their scripts and the export registry."""
    texts = [(STATEMENTS_DIR / f"{name}.sql").read_text() for name in SCHEMA_SCRIPTS]
    kinds = [f"{kind.name}|{kind.column_ddl}|{kind.subject}" for kind in EXPORTS]
    return hashlib.sha256("\0".join([*texts, *kinds]).encode()).hexdigest()


# what the state's tables and views are now, as DuckDB prints them (state_schema itself aside): 1.6 ms
CATALOG = (
    "select coalesce(string_agg(name || ':' || sql, ';' order by name), '') from ("
    "select view_name as name, sql from duckdb_views() where database_name = current_database() and not internal "
    "union all select table_name, sql from duckdb_tables() "
    "where database_name = current_database() and table_name <> 'state_schema')"
)


def made_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create and migrate the state's tables and views, unless this version already did and nothing changed them since.

    `state_schema` holds a digest of the scripts that made them (and the export registry) and of the tables and
    views they left: the statements run again when either changed, so a version that knows no marker (an older
    one run in between, which makes its own views again) is undone here. Every run and command opens the state,
    and the statements were a third of an open's CPU (15 of 48 ms).
    """
    made = made_digest(con)
    with contextlib.suppress(duckdb.CatalogException):  # a new database, or one of a version before the marker
        if con.execute("select digest from state_schema").fetchall() == [(made,)]:
            return
    run_script(con, "create_state_tables")
    for_each_export(con, "create_export_table")
    run_script(con, "create_period_tables")
    con.execute("create or replace table state_schema as select $digest as digest", {"digest": made_digest(con)})


def made_digest(con: duckdb.DuckDBPyConnection) -> str:
    """The digest `state_schema` keeps: of what makes the state's tables and views, and of them as they are."""
    (catalog,) = con.execute(CATALOG).fetchall()[0]
    return hashlib.sha256(f"{schema_digest()}\0{catalog}".encode()).hexdigest()


class StateLockedError(OSError):
    """Another process (a reader: the DuckDB CLI, a notebook) holds the state database open (an OSError: busy)."""


def locked_error(path: Path, error: duckdb.IOException) -> duckdb.IOException | StateLockedError:
    """DuckDB's lock error as one line naming the database and the process that holds it; other errors as they are."""
    if "lock" not in str(error).lower():
        return error
    holder = re.search(r"\(PID (\d+)\)", str(error))
    by = f" by process {holder.group(1)}" if holder else ""
    return StateLockedError(
        f"the state database {path} is held open{by}; only the flow opens it: close that session and run again"
    )


def deferred_failures_path(state: Path) -> Path:
    """Where a run that could not open the state database leaves its failure, for the next connection to record."""
    return state.parent / f"{state.name}.failed-runs.jsonl"


def defer_failure(state: Path, run_id: str, started_at: datetime | None, message: str) -> None:
    """Keep a failed run's record until the state database can be written (it is locked by a reader now)."""
    now = datetime.now(UTC)
    line = {"run_id": run_id, "started_at": (started_at or now).isoformat(), "finished_at": now.isoformat()}
    descriptor = os.open(deferred_failures_path(state), os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "a") as handle:
        handle.write(json.dumps({**line, "message": message}) + "\n")


def record_deferred_failures(con: duckdb.DuckDBPyConnection, state: Path) -> None:
    """Record in `runs` the failures runs left while the state database was locked (defer_failure)."""
    deferred = deferred_failures_path(state)
    if not deferred.exists():
        return
    with transaction(con):
        for line in deferred.read_text().splitlines():
            if line.strip():
                run_script(con, "record_deferred_failure", json.loads(line))
    deferred.unlink()


class RunInProgressError(RuntimeError):
    """Another run holds the state database."""


@contextmanager
def read_state(state: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The state database opened read-only, for a command beside the flow; RunInProgressError while a run writes it."""
    try:
        con = duckdb.connect(str(state), read_only=True)
    except duckdb.IOException as error:
        raise RunInProgressError(f"cannot open {state} now (is a run in progress?): {error}") from error
    with con:
        yield con


@contextmanager
def run_lock(state: Path) -> Iterator[None]:
    """Hold the one-run-at-a-time lock beside the state database, or fail at once."""
    state.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(state.parent / f"{state.name}.lock", os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunInProgressError(f"another cakupan run is using {state}; try again when it has finished") from None
        yield
