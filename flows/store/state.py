"""Keep the internal state database: what each run read, loaded, rejected and superseded."""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from flows.ingest.outcomes import COUNT_COLUMNS, BatchOutcome
from flows.ingest.reasons import REASON_COLUMNS, SAME_CONTENT, Said, passing_note
from flows.privacy import mask_text, mask_variables
from flows.store.pii import PiiKey
from flows.store.sql import query_frame, registered, run_script, transaction
from schemas.exports import EXPORTS
from schemas.roster import check_catalog

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600  # the state database, its WAL, the lock, the person_id key
# DuckDB scans a table in parallel by row group. With its default of 122,880 rows, a
# regency month (about 47k rows) is one row group, so every statement after the workers
# (load, refresh, publish) ran on one core of two. 8,192 rows: 0.53 s -> 0.37 s for them.
STATE_ROW_GROUP_SIZE = 8192


@contextmanager
def connect_state(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The state database, created if needed, private to its owner: it holds raw NIKs.

    While it is open the process umask is 077, so the database and its write-ahead log are
    created 0600 (the publisher sets the analyst warehouse's own mode); files that were made
    with another mode (an older version, a copy, a restore) are set back to 0600 each time.

    Reasons recorded as a code and parameters only get their texts (fill_reasons).
    The database is attached with row groups of
    STATE_ROW_GROUP_SIZE rows (the option lasts while it is attached, so it is given each time).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(PRIVATE_DIR_MODE)
    for private in path.parent.iterdir():
        if private.is_file() and not private.is_symlink():
            private.chmod(PRIVATE_FILE_MODE)
    old_umask = os.umask(0o077)
    try:
        with duckdb.connect() as con:
            try:
                con.execute(f"attach $path as state (row_group_size {STATE_ROW_GROUP_SIZE})", {"path": str(path)})
            except duckdb.IOException as error:
                raise locked_error(path, error) from None
            con.execute("use state")
            run_script(con, "create_state_tables")
            for_each_export(con, "create_export_table")
            record_deferred_failures(con, path)
            run_script(con, "create_macros", mask_variables())
            run_script(con, "create_period_tables")
            fill_reasons(con)
            yield con
    finally:
        os.umask(old_umask)


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


KNOWN_VERSIONS = """
select f.source_file, f.sha256, f.period,
       coalesce(f.transient, false) and f.status = 'rejected' and coalesce(a.attempts, 0) <= $retries as retry
from ingested_files as f
left join (
    select source_file, sha256, count(*) as attempts from file_attempts group by source_file, sha256
) as a using (source_file, sha256)
"""


def known_versions(con: duckdb.DuckDBPyConnection, retries: int) -> pl.DataFrame:
    """(source_file, sha256, period, retry) of every file version already ingested.

    `retry`: rejected for a passing reason at most `retries` + 1 times so far: read again.
    """
    return query_frame(con, KNOWN_VERSIONS, {"retries": retries})


def with_attempts(con: duckdb.DuckDBPyConnection, files: pl.DataFrame, retries: int) -> pl.DataFrame:
    """`files` with each passing failure's reason saying, in both languages, whether a later run reads it again."""
    if "transient" not in files.columns or not files["transient"].any():
        return files
    earlier = query_frame(
        con, "select source_file, sha256, count(*)::integer as earlier from file_attempts group by all"
    )
    counted = files.join(earlier, on=["source_file", "sha256"], how="left", maintain_order="left")
    notes = [
        passing_note(earlier + 1, retries) if transient else None
        for transient, earlier in zip(counted["transient"], counted["earlier"].fill_null(0), strict=True)
    ]
    return files.with_columns(
        reason=pl.Series(
            [r + n.english if n else r for r, n in zip(files["reason"], notes, strict=True)], dtype=pl.String
        ),
        alasan=pl.Series(
            [a + n.alasan if n else a for a, n in zip(files["alasan"], notes, strict=True)], dtype=pl.String
        ),
    )


def empty_like(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """`frame`, or when it has no columns, an empty frame shaped like `table`."""
    return frame if frame.width else query_frame(con, f"select * from {table} limit 0")


def fill_reasons(con: duckdb.DuckDBPyConnection) -> None:
    """Say in both languages every reason a statement recorded as its catalogue code and parameters only
    (refresh_current.sql, hold_pending.sql: a statement that changes a reason clears its texts).
    """
    for table, key in (
        ("ingested_files", ("source_file", "sha256")),
        ("ingested_sheets", ("source_file", "sha256", "sheet")),
    ):
        pending = query_frame(
            con,
            f"select {', '.join(key)}, reason_code, reason_params from {table} "
            "where reason_code is not null and (reason is null or alasan is null)",
        )
        if pending.height:
            said = [
                Said.from_json(code, params)
                for code, params in pending.select("reason_code", "reason_params").iter_rows()
            ]
            texts = pending.select(*key).with_columns(
                reason=pl.Series([s.english for s in said], dtype=pl.String),
                alasan=pl.Series([s.alasan for s in said], dtype=pl.String),
            )
            matched = " and ".join(f"t.{column} = s.{column}" for column in key)
            with registered(con, {"said": texts}):
                con.execute(
                    f"update {table} as t set reason = s.reason, alasan = s.alasan from said as s where {matched}"
                )


def load_batch(con: duckdb.DuckDBPyConnection, outcome: BatchOutcome, run_id: str, retries: int) -> None:
    """Record a batch of files, their rows and failures in one transaction (`retries`: the setting file_retries)."""
    frames = {
        "batch_files": with_attempts(con, outcome.files, retries),
        "batch_rows": empty_like(con, outcome.rows, "roster_rows"),
        "batch_failures": empty_like(con, outcome.failures, "validation_failures"),
        "batch_flagged": empty_like(con, outcome.flagged, "flagged_rows"),
        "batch_sheets": empty_like(con, outcome.sheets, "ingested_sheets"),
        "batch_columns": empty_like(con, outcome.columns, "sheet_columns"),
        "batch_skipped": empty_like(con, outcome.skipped, "skipped_rows"),
        **{f"batch_{k.name}": empty_like(con, outcome.exports.get(k.name, pl.DataFrame()), k.name) for k in EXPORTS},
    }
    with registered(con, frames), transaction(con):
        run_script(con, "insert_batch", {"run_id": run_id})
        for_each_export(con, "insert_export_rows", {"run_id": run_id})


def refresh_current(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Decide the current file version per (period, village, group), mark superseded ones, run cross-row checks.

    Versions that arrived for a closed period are held as pending (hold_pending.sql) in the same transaction.
    """
    with registered(con, {"ref_checks": check_catalog()}), transaction(con):
        for_each_export(con, "export_subjects")
        run_script(con, "refresh_exports")
        run_script(con, "refresh_current", {"run_id": run_id})
        run_script(con, "hold_pending")
        fill_reasons(con)


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


def forget(con: duckdb.DuckDBPyConnection, period: str | None) -> None:
    """Drop what was ingested (for one period, or all) so a full refresh re-reads it."""
    with transaction(con):
        run_script(con, "forget_ingested", {"period": period})
        for_each_export(con, "forget_export_rows", {"period": period})


def for_each_export(con: duckdb.DuckDBPyConnection, script: str, params: dict[str, object] | None = None) -> None:
    """Run `script` once for each kind of BPJS export, its `{table}`, `{columns}` and `{subject}` from the registry."""
    for kind in EXPORTS:
        run_script(con, script, params, fill={"table": kind.name, "columns": kind.column_ddl, "subject": kind.subject})


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime | None = None) -> None:
    """Record that a run has started (now, unless given); runs left 'running' by a killed process become 'abandoned'."""
    with transaction(con):
        run_script(con, "start_run", {"run_id": run_id, "started_at": started_at or datetime.now(UTC)})


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str, message: str = "") -> dict[str, int]:
    """Record a run's end and its counts; return the counts."""
    with transaction(con):
        run_script(con, "finish_run", {"run_id": run_id, "status": status, "message": message})
    row = query_frame(con, "select * from runs where run_id = $run_id", {"run_id": run_id})
    return {k: v for k, v in row.row(0, named=True).items() if k.startswith(("files_", "rows_"))}


def record_copies(con: duckdb.DuckDBPyConnection, copies: pl.DataFrame, run_id: str) -> None:
    """Record files whose content was already ingested under another path as ignored."""
    said = [SAME_CONTENT(first=first).recorded() for first in copies["source_file_first"]]
    reasons = pl.DataFrame(said, schema=dict.fromkeys(REASON_COLUMNS, pl.String), orient="row")
    files = pl.concat([copies, reasons], how="horizontal").select(
        "source_file",
        "sha256",
        "period",
        "modified_at",
        pl.lit(None, dtype=pl.String).alias("village_code"),
        pl.lit("ignored").alias("status"),
        pl.lit(None, dtype=pl.String).alias("kind"),  # not read again
        *REASON_COLUMNS,
        *(pl.lit(0).alias(c) for c in COUNT_COLUMNS),
        pl.lit(False).alias("transient"),
    )
    load_batch(con, BatchOutcome(files, pl.DataFrame(), pl.DataFrame()), run_id, retries=0)


def record_skipped(con: duckdb.DuckDBPyConnection, skipped: pl.DataFrame, run_id: str) -> None:
    """Record the files this run leaves unread for now (discover.skipped), with why."""
    frame = skipped.select("source_file", "sha256", *REASON_COLUMNS, pl.lit(run_id).alias("run_id"))
    with registered(con, {"skipped": frame}), transaction(con):
        con.execute("insert into skipped_files by name select * from skipped")


def mark_run(
    con: duckdb.DuckDBPyConnection, run_id: str, status: str, published: str | None = None, key: PiiKey | None = None
) -> None:
    """Set a run's status; `published` is the fingerprint of the warehouse it published, with the key's source."""
    params = {"status": status, "run_id": run_id, "published": published}
    keyed = {"pii_key_source": key.source if key else None, "pii_key_check": key.check if key else None}
    run_script(con, "mark_run", {**params, **keyed})


def newest_run(state_path: Path) -> tuple[str, str] | None:
    """(run_id, status) of the newest run recorded; None without a readable state database."""
    try:
        with connect_state(state_path) as con:
            row = con.execute("select run_id, status from runs order by started_at desc limit 1").fetchone()
    except (OSError, duckdb.Error):
        return None
    return None if row is None else (str(row[0]), str(row[1]))


def published_key(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """(source, check) of the person_id key the last published warehouse was built with, if recorded."""
    rows = con.execute(  # fetched to the end: a result left open blocks `register` on the connection
        "select pii_key_source, pii_key_check from runs where pii_key_check is not null "
        "order by started_at desc limit 1"
    ).fetchall()
    return None if not rows else (str(rows[0][0]), str(rows[0][1]))


def record_checks(
    con: duckdb.DuckDBPyConnection, run_id: str, latest_period: str | None, villages: int, vanished: int
) -> dict[str, int]:
    """Record what should worry an operator: files vanished, villages that sent nothing for the newest period."""
    params = {
        "run_id": run_id,
        "latest_period": latest_period,
        "villages_expected": villages,
        "files_vanished": vanished,
    }
    run_script(con, "record_run_checks", params)
    row = query_frame(
        con, "select files_vanished, villages_missing from runs where run_id = $run_id", {"run_id": run_id}
    )
    return {k: int(v) for k, v in row.row(0, named=True).items()}


def last_published(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """(run_id, person_id key check) of the run that published the current warehouse, if any."""
    row = con.execute(
        "select run_id, pii_key_check from runs where published is not null order by started_at desc limit 1"
    ).fetchone()
    return None if row is None else (str(row[0]), str(row[1]))


def published_is_current(con: duckdb.DuckDBPyConnection, fingerprint: str) -> bool:
    """True when the last published warehouse was built with `fingerprint` and nothing was recorded since.

    Nothing: no file version, and no period action (a close, reopen, accept or follow-up republishes).
    """
    last = con.execute(
        "select published, started_at from runs where published is not null order by started_at desc limit 1"
    ).fetchall()  # to the end: an unfinished result would block the connection's next statement
    if not last or last[0][0] != fingerprint:
        return False
    return unpublished_changes(con, last[0][1]) == 0


def unpublished_changes(con: duckdb.DuckDBPyConnection, published_at: object, period: str | None = None) -> int:
    """File versions recorded by runs, and period actions taken, after the run that published at `published_at`.

    With `period`, only those of that period, and no follow-up (it changes no figure).
    """
    since = con.execute(
        "select (select count(*) from ingested_files join runs using (run_id) "
        "        where runs.started_at > $published_at and ($period is null or period = $period))"
        " + (select count(*) from period_actions where acted_at > $published_at "
        "    and ($period is null or (period = $period and action <> 'follow_up')))",
        {"published_at": published_at, "period": period},
    ).fetchall()
    return int(since[0][0])


def published_coverage(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Coverage by group as the last published warehouse shows it, kept by the publisher (summarize_coverage.sql).

    The run summary's figures, without opening the warehouse and computing its views again.
    """
    return query_frame(con, "select * from published_coverage order by period, group_code")


def held_files(con: duckdb.DuckDBPyConnection) -> int:
    """File versions held as pending for a closed period (hold_pending.sql)."""
    (count,) = con.execute("select count(*) from ingested_files where status = 'pending'").fetchall()[0]
    return int(count)


def rejected_files(con: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    """Files currently rejected, with the reason, for the run summary (Prefect stores it: NIKs masked)."""
    query = "select source_file, period, reason from ingested_files where status = 'rejected' order by source_file"
    rows = query_frame(con, query).to_dicts()
    return [{k: mask_text("" if v is None else str(v)) for k, v in row.items()} for row in rows]
