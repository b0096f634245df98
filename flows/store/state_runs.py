"""The state database's record of runs: start, end, checks, status and what each published."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import duckdb
import polars as pl

from flows.store.pii import PiiKey
from flows.store.sql import query_frame, run_script, transaction
from flows.store.state_db import connect_state


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime | None = None) -> list[str]:
    """Record that a run has started (now, unless given); runs left 'running' by a killed process become 'abandoned':
    their ids, with when each started."""
    with transaction(con):
        left = con.execute(
            "select run_id || ' (started ' || strftime(started_at, '%Y-%m-%d %H:%M') || ')' from runs "
            "where status in ('running', 'publishing') order by started_at"
        ).fetchall()
        run_script(con, "start_run", {"run_id": run_id, "started_at": started_at or datetime.now(UTC)})
    return [run for (run,) in left]


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str, message: str = "") -> dict[str, int]:
    """Record a run's end and its counts; return the counts."""
    with transaction(con):
        run_script(con, "finish_run", {"run_id": run_id, "status": status, "message": message})
    row = query_frame(con, "select * from runs where run_id = $run_id", {"run_id": run_id})
    return {k: v for k, v in row.row(0, named=True).items() if k.startswith(("files_", "rows_"))}


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


class LastPublish(NamedTuple):
    """The run that published the current warehouse: its id, what it was built from (`publish.fingerprint`), when."""

    run_id: str
    fingerprint: str
    started_at: datetime


def last_publish(con: duckdb.DuckDBPyConnection) -> LastPublish | None:
    """The run that published the current warehouse, if any."""
    rows = con.execute(
        "select run_id, published, started_at from runs where published is not null order by started_at desc limit 1"
    ).fetchall()  # to the end: an unfinished result would block the connection's next statement
    return LastPublish(str(rows[0][0]), str(rows[0][1]), rows[0][2]) if rows else None


def published_is_current(con: duckdb.DuckDBPyConnection, last: LastPublish | None, fingerprint: str) -> bool:
    """True when the last published warehouse (`last_publish`) was built with `fingerprint` and nothing was
    recorded since.

    Nothing: no file version, and no period action (a close, reopen, accept or follow-up republishes).
    """
    if last is None or last.fingerprint != fingerprint:
        return False
    return unpublished_changes(con, last.started_at) == 0


def unpublished_changes(con: duckdb.DuckDBPyConnection, published_at: object, period: str | None = None) -> int:
    """File versions recorded and content arrived at a path (path_arrivals: sent again too) in runs, and period
    actions taken, after the run that published at `published_at`.

    With `period`, only those of that period, and no follow-up (it changes no figure).
    """
    since = con.execute(
        "select (select count(*) from ingested_files as f join runs as r using (run_id) "
        "        where r.started_at > $published_at and ($period is null or f.period = $period))"
        " + (select count(*) from path_arrivals as a where a.sent and a.arrived_at > $published_at"  # sent again
        "    and ($period is null or exists (select 1 from ingested_files as f"
        "    where f.sha256 = a.sha256 and f.period = $period)))"
        " + (select count(*) from period_actions where acted_at > $published_at "
        "    and ($period is null or (period = $period and action <> 'follow_up')))",
        {"published_at": published_at, "period": period},
    ).fetchall()
    return int(since[0][0])


def published_coverage(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Coverage by group as the last published warehouse shows it, kept by the publisher (summarize_coverage.sql).

    The run summary's figures, without opening the warehouse and computing its views again; none for a province
    child's regency, which publishes no warehouse of its own (publish.built_in_memory).
    """
    kept = con.execute(
        "select count(*) from duckdb_tables() "
        "where table_name = 'published_coverage' and database_name = current_database()"
    ).fetchall()
    if not kept[0][0]:
        return pl.DataFrame()
    return query_frame(con, "select * from published_coverage order by period, group_code")
