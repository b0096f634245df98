"""Periods that close: close and reopen a month for the regency or one kecamatan, accept a held
correction, set an outlier flag's follow-up status. Every action is a row of the audit trail
(`period_actions` in the state database, published to the analyst warehouse) with who, when and why.

A close locks the file versions that count for the period and its scope, and snapshots the
figures the published warehouse shows for them; while it is in force, a file that arrives for
that period is read, validated and reported to its village as usual but held as `pending`
(refresh_current.sql, hold_pending.sql). An action takes effect in the warehouse at the next
run, which republishes because of it. Each action holds the run lock: it never interleaves
with a run.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from flows.store import state_db, state_runs
from flows.store.sql import query_frame, run_script, transaction

# A follow-up status as the views show it (Indonesian) -> as the state database stores it (English, as since
# the first release: an existing state database keeps working). publish_period_tables.sql translates back.
FOLLOW_UP_STATUSES = {
    "terbuka": "open",
    "diperiksa": "investigating",
    "dijelaskan": "explained",
    "dikoreksi": "corrected",
}


class PeriodActionError(ValueError):
    """An action that cannot be taken; the message says why in one line."""


@dataclass(frozen=True)
class Scope:
    """A kecamatan (its code and name), or the whole regency (no code)."""

    district_code: str | None = None
    district_name: str = ""

    def __str__(self) -> str:
        return f"kecamatan {self.district_name or self.district_code}" if self.district_code else "the regency"


@dataclass(frozen=True)
class Actor:
    """Who acts and why: a given name, else the operating system user."""

    reason: str
    by: str | None = None

    @property
    def name(self) -> str:
        if self.by:
            return self.by
        try:
            return getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (a container's numeric user)
            return f"uid {os.getuid()}"


def operator(reason: str, by: str | None) -> Actor:
    """An Actor, refusing an empty reason: the trail says why."""
    if not reason.strip():
        raise PeriodActionError("say why (--reason): the audit trail records it")
    return Actor(reason.strip(), by.strip() if by and by.strip() else None)


def find_district(districts: pl.DataFrame, given: str | None) -> Scope:
    """The kecamatan named by its code ('33.02.17') or name ('Cilongok', any case); None: the regency."""
    if given is None:
        return Scope()
    wanted = given.strip().casefold()
    match = districts.filter(
        (pl.col("district_code") == given.strip()) | (pl.col("district_name").str.to_lowercase() == wanted)
    )
    if match.height != 1:
        raise PeriodActionError(f"no kecamatan {given!r} in the region (give its name or code, such as 33.02.17)")
    return Scope(match["district_code"][0], match["district_name"][0])


def record(con: duckdb.DuckDBPyConnection, action: str, period: str, actor: Actor, **names: str | None) -> int:
    """Add one action to the trail; return its action_id."""
    fields = ("district_code", "village_code", "group_code", "check_name", "follow_up_status", "source_file", "sha256")
    params = {field: names.get(field) for field in fields}
    run_script(
        con,
        "record_period_action",
        {**params, "action": action, "period": period, "acted_by": actor.name, "reason": actor.reason},
    )
    (action_id,) = con.execute("select max(action_id) from period_actions").fetchall()[0]
    return int(action_id)


def closed_districts(con: duckdb.DuckDBPyConnection, period: str, districts: list[str]) -> dict[str, int]:
    """The kecamatan of `districts` closed for `period`, with the close action in force for each."""
    actions = query_frame(
        con,
        "select action_id, action, district_code from period_actions "
        "where period = $period and action in ('close', 'reopen') order by action_id",
        {"period": period},
    )
    governing: dict[str, tuple[int, str]] = {}
    for row in actions.iter_rows(named=True):
        for district in districts if row["district_code"] is None else [row["district_code"]]:
            governing[district] = (row["action_id"], row["action"])
    return {district: action_id for district, (action_id, action) in governing.items() if action == "close"}


def in_scope(scope: Scope, districts: list[str]) -> list[str]:
    return districts if scope.district_code is None else [scope.district_code]


def check_published(con: duckdb.DuckDBPyConnection, warehouse: Path, period: str) -> None:
    """Refuse to snapshot a warehouse that does not show what the state holds for `period`."""
    last = state_runs.last_publish(con)
    if last is None or not warehouse.exists():
        raise PeriodActionError(f"{warehouse} has not been published yet: run `cakupan run` first")
    if state_runs.unpublished_changes(con, last.started_at, period):
        raise PeriodActionError(
            f"{warehouse} does not show everything received and decided for {period} yet: run `cakupan run` first, "
            "so the figures closed are the figures published"
        )


def close_period(
    state_path: Path, warehouse: Path, period: str, scope: Scope, districts: list[str], actor: Actor
) -> int:
    """Close `period` for `scope`: lock the versions that count and snapshot the published figures."""
    with state_db.run_lock(state_path), state_db.connect_state(state_path) as con:
        seen = con.execute("select count(*) from ingested_files where period = $period", {"period": period})
        if seen.fetchall() == [(0,)]:
            raise PeriodActionError(f"no file has arrived for {period}: there is nothing to close")
        if set(in_scope(scope, districts)) <= set(closed_districts(con, period, districts)):
            raise PeriodActionError(f"{period} is already closed for {scope}")
        check_published(con, warehouse, period)
        con.execute("attach $path as published (read_only)", {"path": str(warehouse)})
        try:
            with transaction(con):
                action_id = record(con, "close", period, actor, district_code=scope.district_code)
                params = {"action_id": action_id, "period": period, "district_code": scope.district_code}
                run_script(con, "lock_period", params)
        finally:
            con.execute("detach published")
    return action_id


def reopen_period(state_path: Path, period: str, scope: Scope, districts: list[str], actor: Actor) -> int:
    """Reopen `period` for `scope`: from the next run, the newest version of each file counts again."""
    with state_db.run_lock(state_path), state_db.connect_state(state_path) as con:
        if not set(in_scope(scope, districts)) & set(closed_districts(con, period, districts)):
            raise PeriodActionError(f"{period} is not closed for {scope}")
        with transaction(con):
            return record(con, "reopen", period, actor, district_code=scope.district_code)


def pending_versions(con: duckdb.DuckDBPyConnection, period: str) -> pl.DataFrame:
    """The file versions held for `period` (pending: arrived after its close, or for a village and group it locked
    nothing for; not accepted): source_file, sha256, village."""
    return query_frame(
        con,
        "select distinct source_file, sha256, village_code, left(village_code, 8) as district_code "
        "from held_versions where pending and period = $period order by source_file",
        {"period": period},
    )


def accept_pending(
    state_path: Path, period: str, scope: Scope, files: list[str], actor: Actor
) -> list[tuple[int, str]]:
    """Accept held corrections of `period` in `scope`: the files given (path or sha256), or all when none given.

    Returns (action_id, source_file) per file accepted; each is a row of the trail.
    """
    with state_db.run_lock(state_path), state_db.connect_state(state_path) as con:
        pending = pending_versions(con, period)
        if scope.district_code is not None:
            pending = pending.filter(pl.col("district_code") == scope.district_code)
        if files:
            unknown = [f for f in files if f not in set(pending["source_file"]) | set(pending["sha256"])]
            if unknown:
                listed = ", ".join(pending["source_file"]) or "none"
                raise PeriodActionError(
                    f"not pending for {period} in {scope}: {', '.join(unknown)} (pending: {listed})"
                )
            pending = pending.filter(pl.col("source_file").is_in(files) | pl.col("sha256").is_in(files))
        if pending.is_empty():
            raise PeriodActionError(f"no file is pending for {period} in {scope}")
        accepted = []
        with transaction(con):
            for row in pending.iter_rows(named=True):
                action_id = record(con, "accept", period, actor, **row)
                accepted.append((action_id, str(row["source_file"])))
        return accepted


def stored_status(status: str) -> str:
    """A follow-up status as the state database stores it (FOLLOW_UP_STATUSES): from a word the view outliers shows
    ('dijelaskan') or its English code ('explained'); PeriodActionError for anything else."""
    stored = FOLLOW_UP_STATUSES.get(status, status)
    if stored not in FOLLOW_UP_STATUSES.values():
        raise PeriodActionError(f"status must be one of {', '.join(FOLLOW_UP_STATUSES)}, not {status!r}")
    return stored


def follow_up(state_path: Path, warehouse: Path, flag: dict[str, str], status: str, actor: Actor) -> int:
    """Set the follow-up status of a flag of the published view `outliers` (period, village, group and check).

    `status` is a word the view shows (FOLLOW_UP_STATUSES: 'dijelaskan'), or its English code ('explained').
    """
    stored = stored_status(status)
    with duckdb.connect(str(warehouse), read_only=True) as published:
        found = published.execute(
            "select count(*) from outliers where period = $period and village_code = $village_code "
            "and group_code = $group_code and check_name = $check_name",
            flag,
        ).fetchall()
    if found == [(0,)]:
        described = ", ".join(f"{key} {value}" for key, value in flag.items())
        raise PeriodActionError(f"{warehouse} flags no outlier for {described} (see the view outliers)")
    with state_db.run_lock(state_path), state_db.connect_state(state_path) as con, transaction(con):
        names = {key: value for key, value in flag.items() if key != "period"}
        district = flag["village_code"][:8]
        return record(con, "follow_up", flag["period"], actor, district_code=district, follow_up_status=stored, **names)
