"""One run, from the landing zone to the published warehouse: the only place the steps are put in order.

preflight -> lock -> start the run -> discover -> check the zone and the key -> process
batches -> load each -> refresh current versions -> publish (unless nothing changed) ->
record. The Prefect flow (flows/regency_flow.py), the tests, the benchmark and the profile all
call `run_pipeline`; they differ only in the `Steps` given: how discovery, a batch and the
publish are executed (Prefect tasks with retries, or plain calls). Whatever step fails, the
run is recorded as `failed` with its reason.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import duckdb
import polars as pl

from flows.ingest import discover
from flows.ingest.outcomes import BatchOutcome, DiscoveredFile
from flows.ingest.place import Gazetteer, build_gazetteer
from flows.ingest.workers import Processor, batches, local_processor
from flows.outputs.summary import RunSummary, summarize
from flows.privacy import mask_logs, mask_text
from flows.run_options import RunFailedError, RunOptions
from flows.runtime.forkserver import warm_up
from flows.runtime.pool import HasResult, windowed
from flows.settings import ConfigError, Settings
from flows.store import paths, publish, reference, state_batches, state_current, state_db, state_runs
from flows.store.pii import PII_KEY_ENV, PiiKey, key_file, resolve_key

Logger = logging.Logger | logging.LoggerAdapter[logging.Logger]
VANISHED_LOGGED = 20  # files named in the log; the count is in the summary and `runs`
SKIPPED_SHOWN = 5  # files left unread for now named in the summary; all of them are in skipped_files
ALLOW_EMPTY_HINT = "pass --allow-empty (flow parameter allow_empty) if that is expected"
LOST_SHARE = 0.25  # of a period's files to read, gone during the run: a lost share, not a file or two moved
LOST_AT_LEAST = 3  # files, at least
# why a run republishes when no file changed
REBUILT = (
    ": what it is built from changed since its last publish (views, statements, reference files or settings, "
    "flows/store/publish.py `fingerprint`)"
)


# what a flow ends Failed with in one line, no traceback: an operator's reason, a path, a database
EXPECTED_FAILURES = (RunFailedError, ConfigError, state_db.RunInProgressError, OSError, duckdb.Error)


class Steps(Protocol):
    """How the steps that an orchestrator may retry or track are executed, and where batches are read."""

    def warm_up(self, settings: Settings) -> None: ...  # at the run's start: get the readers of its files going

    def discover(self, raw_dir: Path) -> pl.DataFrame: ...

    def processor(self, settings: Settings, gazetteer: Gazetteer, n_files: int) -> Processor: ...

    def submit(self, processor: Processor, files: list[DiscoveredFile]) -> HasResult[BatchOutcome]: ...

    # the run's own connection to the state database: what is published is what it has recorded
    def publish(self, con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str, key: PiiKey) -> pl.DataFrame: ...

    def published(self, settings: Settings, run_id: str) -> bool: ...  # what run `run_id` published is still there

    def destination(self, settings: Settings) -> str: ...  # what the publish step writes, for the run's log


class PlainSteps:
    """Every step called directly, in this process; batches in worker processes of this run (flows/runtime/warm.py
    `OnDask` reads them on a Dask cluster's instead)."""

    def warm_up(self, settings: Settings) -> None:
        warm_up(settings.raw_dir, settings.state)  # the workers' imports overlap the state's checks and discovery

    def discover(self, raw_dir: Path) -> pl.DataFrame:
        return discover.discover(raw_dir)

    def processor(self, settings: Settings, gazetteer: Gazetteer, n_files: int) -> Processor:
        return local_processor(settings, gazetteer, n_files)

    def submit(self, processor: Processor, files: list[DiscoveredFile]) -> HasResult[BatchOutcome]:
        return processor.submit(files)

    def publish(self, con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str, key: PiiKey) -> pl.DataFrame:
        return publish_warehouse(con, settings, run_id, key)

    def published(self, settings: Settings, run_id: str) -> bool:
        return settings.warehouse.exists()

    def destination(self, settings: Settings) -> str:
        return str(settings.warehouse)


def publish_warehouse(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str, key: PiiKey) -> pl.DataFrame:
    """Publish the analyst warehouse atomically, record the run as completed with what it published; its coverage.

    The coverage (the run summary's, `state_runs.published_coverage`) is read in the same connection to the state.
    """
    publish.publish(con, settings, key, run_id)
    state_runs.mark_run(con, run_id, "completed", publish.fingerprint(key.value, settings), key)
    return state_runs.published_coverage(con)


def check_room(state_path: Path, warehouse: Path) -> None:
    """Fail before publishing, in one line, when the warehouse's disk cannot hold the publish.

    Publishing needs about the state database's size again (DuckDB's checkpoint of it) and
    two copies of the warehouse (the new one written beside the old until the rename); a
    first publish counts the state database's size for the warehouse.
    """
    state_size = state_path.stat().st_size if state_path.exists() else 0
    copy = warehouse.stat().st_size if warehouse.exists() else state_size
    needed, free = state_size + 2 * copy, shutil.disk_usage(warehouse.parent).free
    if free < needed:
        raise RunFailedError(
            f"not enough disk space to publish {warehouse}: {free / 2**20:,.0f} MB free on its disk, about "
            f"{needed / 2**20:,.0f} MB needed (the state database and two warehouse copies); nothing published, "
            "the data read is kept: free some space and run again"
        )


def preflight(settings: Settings) -> None:
    """Fail at once, naming the path, when the landing zone cannot be read or the warehouse cannot be written."""
    raw, warehouse = settings.raw_dir, settings.warehouse
    if not raw.exists():
        raise RunFailedError(f"landing zone {raw} does not exist")
    if not raw.is_dir():
        raise RunFailedError(f"landing zone {raw} is not a folder")
    if not os.access(raw, os.R_OK | os.X_OK):
        raise RunFailedError(f"landing zone {raw} cannot be read by this user")
    if warehouse.is_dir():
        raise RunFailedError(f"warehouse {warehouse} is a folder; give the path of a .duckdb file")
    try:
        paths.check_warehouse(warehouse, raw)
    except paths.WrongPathError as error:
        raise RunFailedError(str(error)) from None
    existing = next(p for p in [warehouse.parent, *warehouse.parent.parents] if p.exists() or p == Path(p.anchor))
    if not existing.is_dir():
        raise RunFailedError(f"warehouse {warehouse} cannot be written: {existing} is not a folder")
    try:  # by trying: permissions say nothing for root, a read-only mount or /proc
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=warehouse.parent).close()
    except OSError as error:
        reason = f"{error.filename}: {error.strerror}" if error.filename else str(error)
        raise RunFailedError(f"warehouse {warehouse} cannot be written ({reason})") from None


def record_failure(settings: Settings, run_id: str, reason: str) -> None:
    """Record a run that failed before it could start, when the state database can be written at all.

    Not when the warehouse given is no warehouse, or lies in the landing zone: its "state database" would be a new
    file somewhere odd.
    """
    try:
        paths.check_warehouse(settings.warehouse, settings.raw_dir)
    except paths.WrongPathError:
        return
    try:
        with state_db.run_lock(settings.state), state_db.connect_state(settings.state) as con:
            state_runs.start_run(con, run_id)
            state_runs.finish_run(con, run_id, "failed", reason)
    except (OSError, duckdb.Error, state_db.RunInProgressError):
        pass  # nowhere to record it: the one-line error the caller prints is the record


@dataclass
class RunRecord:
    """Whether the run's row is in `runs` yet (`start_run` committed): only then is a failure written on it."""

    started: bool = False


@contextmanager
def recorded(state_path: Path, run_id: str, started_at: datetime | None = None) -> Iterator[RunRecord]:
    """Inside it, any failure of a started run marks it `failed` with a one-line message before it propagates.

    While another process holds the state database open (at the run's start, or when the failure is
    recorded), the failure is kept beside it and recorded by the next connection (state_db.defer_failure),
    and the run fails with that one line. Any other failure before the run started is raised as it is: a
    run id already recorded (a retry with the same one) leaves that run's record as it was.
    """
    record = RunRecord()
    try:
        yield record
    except BaseException as error:
        said = isinstance(error, RunFailedError | state_db.StateLockedError)  # already one line for an operator
        text = str(error) if said else f"{type(error).__name__}: {error}"
        message = mask_text(" ".join(text.split()))  # published in `runs`: a path may name a person
        if record.started:
            try:
                with state_db.connect_state(state_path) as con:
                    state_runs.finish_run(con, run_id, "failed", message)
            except state_db.StateLockedError:
                state_db.defer_failure(state_path, run_id, started_at, message)
        elif isinstance(error, state_db.StateLockedError):
            state_db.defer_failure(state_path, run_id, started_at, message)
        if isinstance(error, state_db.StateLockedError):
            raise RunFailedError(str(error)) from None
        raise


def check_zone(
    raw_dir: Path,
    discovered: pl.DataFrame,
    known: pl.DataFrame,
    vanished: list[str],
    latest: str | None,
    options: RunOptions,
) -> tuple[list[str], list[str]]:
    """Refuse a zone that looks unmounted or unfilled; return the warnings for one that is merely odd, and the
    periods whose every file is gone while other periods remain: they stop counting (`retire`).
    """
    known_periods = set(known["period"].drop_nulls())
    gone_periods = sorted(known_periods - set(discovered["period"].drop_nulls()))
    remaining = known_periods - set(gone_periods)
    gone = known.filter(pl.col("period").is_in(gone_periods))["source_file"].n_unique()  # files, not versions
    problems = []
    if gone_periods and not remaining:
        problems.append(
            f"all {gone} file(s) of {', '.join(gone_periods)} are gone from {raw_dir} (an unmounted share?)"
        )
    elif discovered.is_empty():
        problems.append(f"landing zone {raw_dir} has no files")
    elif discovered["period"].is_null().all():
        problems.append(
            f"landing zone {raw_dir} has no files under a month folder that can be read now (<YYYY-MM>/, as 2024-04/, "
            "up to next month): is it the folder that holds the month folders?"
        )
    elif latest is not None and discovered.filter(pl.col("period") == latest).is_empty():
        problems.append(f"the newest period folder {raw_dir / latest} has no files")
    if problems and not options.allow_empty:
        raise RunFailedError(f"{'; '.join(problems)}; {ALLOW_EMPTY_HINT}")
    retired = gone_periods if remaining else []
    kept = len(set(vanished) - set(known.filter(pl.col("period").is_in(retired))["source_file"]))
    warnings = problems + [f"{kept} file(s) ingested earlier are no longer in {raw_dir}"] * bool(kept)
    if retired:
        warnings.append(
            f"all {gone} file(s) of {', '.join(retired)} are gone from {raw_dir} (or it is no period that can "
            "exist): it no longer counts, except what a close keeps; its files are read again if they come back"
        )
    return warnings, retired


def forget_for_refresh(
    con: duckdb.DuckDBPyConnection, period: str | None, quiet: pl.DataFrame, retries: int
) -> pl.DataFrame:
    """Forget what a full refresh reads again; return the files it leaves unread for now (`quiet`: discover.skipped).

    A file modified within quiet_seconds holding the very content already read at its path is whole: it is read
    again with the rest. One holding other content may still be being copied: it is left unread, and what its path
    held is kept, so its village does not drop out of the figures until a later run reads it.
    """
    read = state_batches.known_versions(con, retries).select("source_file", "sha256")
    left = quiet.join(read, on=["source_file", "sha256"], how="anti")
    state_batches.forget(con, period, left)
    return left


def skipped_warning(skipped: pl.DataFrame) -> list[str]:
    """The summary's line on the files this run left unread for now, naming the first few."""
    if skipped.is_empty():
        return []
    shown = "; ".join(
        mask_text(f"{row['source_file']}: {row['reason']}") for row in skipped.head(SKIPPED_SHOWN).iter_rows(named=True)
    )
    more = f"; and {skipped.height - SKIPPED_SHOWN} more (skipped_files)" if skipped.height > SKIPPED_SHOWN else ""
    return [f"{skipped.height} file(s) not read in this run: {shown}{more}"]


def checked_key(con: duckdb.DuckDBPyConnection, settings: Settings, options: RunOptions) -> PiiKey:
    """The person_id key; refused when it is not the one the warehouse was published with, unless re-keying.

    A key is what it is (its keyed check), not where it is read from: the same key by another
    path, from another working directory or moved into a Secret block is accepted. The key
    file is made only for a warehouse never published with a recorded key (or when re-keying).
    """
    last = state_runs.published_key(con)
    key = resolve_key(settings, create=last is None or options.rekey)
    if key is not None and (last is None or last[1] == key.check or options.rekey):
        return key
    assert last is not None  # with no recorded key, a key is always found or made
    raise RunFailedError(key_changed(last, key, settings))


def key_changed(last: tuple[str, str], key: PiiKey | None, settings: Settings) -> str:
    """One line naming where each key came from, how to give the run the published one, and what --rekey does."""
    source, check = last
    if key is None:
        now = (
            f"this run has no key (no Secret block named by pii_key_block, {PII_KEY_ENV} not set, "
            f"no key file {key_file(settings).resolve()})"
        )
        rekey = "--rekey would make a new random key file and change every person_id"
    else:
        now = f"this run's key, from the {key.source}, is another key (check {key.check})"
        rekey = (
            f"only if the key from the {key.source} is the one to keep, run with --rekey (flow parameter rekey): "
            "every person_id is recomputed with it and the warehouse republished"
        )
    return (
        f"the person_id key changed: the warehouse was published with the key from the {source} (check {check}), "
        f"but {now}. Nothing was changed. To keep every person_id, give this run that key "
        f"({reach(source)}); {rekey}"
    )


def reach(source: str) -> str:
    """How a run is given the key from `source` (as flows/store/pii.py names sources)."""
    if source.startswith("Prefect Secret block"):
        return f"CAKUPAN_PII_KEY_BLOCK={source.split(maxsplit=3)[-1].strip(chr(39))} in its environment"
    if source.startswith("environment variable"):
        return f"set {PII_KEY_ENV} to the same value"
    return f"put back the key file {source.removeprefix('key file ')}, with no block named and {PII_KEY_ENV} unset"


def process_new(
    con: duckdb.DuckDBPyConnection,
    processor: Processor,
    work: list[list[DiscoveredFile]],
    steps: Steps,
    run_id: str,
    log: Logger,
    retries: int,
) -> None:
    """Process the batches, at most the processor's window in flight, and load each as it comes.

    Each outcome is checked for a lost share before it is recorded (`check_share`).
    """
    to_read: dict[str | None, list[str]] = {}
    for file in (file for files in work for file in files if file.problem is None):  # read at discovery
        to_read.setdefault(file.period, []).append(file.source_file)
    submitted = windowed(lambda files: steps.submit(processor, files), work, processor.window)
    for number, outcome in enumerate(submitted, start=1):
        check_share(processor.raw_dir, outcome, to_read)
        for row in outcome.files.filter(pl.col("status") != "placed").iter_rows(named=True):
            log.warning("%s %s: %s", row["status"], mask_text(row["source_file"]), mask_text(row["reason"]))
        state_batches.load_batch(con, outcome, run_id, retries)
        log.info("loaded batch %d of %d (%d files)", number, len(work), outcome.files.height)


def check_share(raw_dir: Path, outcome: BatchOutcome, to_read: dict[str | None, list[str]]) -> None:
    """Fail the run, before the batch is recorded, when the zone or a large share of a period's files is gone.

    When a file of the batch was rejected and is no longer there, every file of its period
    this run reads is looked for: a share gone (an unmounted or renamed folder) fails the
    run, so no village is told to resend a good file and nothing is recorded for them; a
    file or two moved away is an ordinary rejection.
    """
    after = "nothing published; the files not read are read again at the next run"
    if not zone_readable(raw_dir):
        raise RunFailedError(f"landing zone {raw_dir} became unreadable during the run (an unmounted share?): {after}")
    rejected = outcome.files.filter(pl.col("status") == "rejected")
    periods = {p for s, p in zip(rejected["source_file"], rejected["period"], strict=True) if gone(raw_dir, s)}
    for period in sorted(periods & to_read.keys(), key=str):
        files = to_read[period]
        lost = sum(gone(raw_dir, source) for source in files)
        if lost >= LOST_AT_LEAST and lost >= LOST_SHARE * len(files):
            raise RunFailedError(
                f"{lost} of the {len(files)} file(s) to read for {period or 'no period'} vanished from "
                f"{raw_dir} during the run (an unmounted or moved folder?): {after}"
            )


def gone(raw_dir: Path, source_file: str) -> bool:
    return not os.access(raw_dir / source_file, os.R_OK)


def zone_readable(raw_dir: Path) -> bool:
    try:
        return raw_dir.is_dir() and os.access(raw_dir, os.R_OK | os.X_OK) and any(True for _ in raw_dir.iterdir())
    except OSError:
        return False


def run_pipeline(
    settings: Settings,
    run_id: str,
    options: RunOptions | None = None,
    steps: Steps | None = None,
    log: Logger | None = None,
) -> RunSummary:
    """Run the pipeline once over `settings.raw_dir` and publish `settings.warehouse`."""
    options, steps = options or RunOptions(), steps or PlainSteps()
    log = log or logging.getLogger("cakupan")
    for logger in (log, logging.getLogger("cakupan")):  # the run's (Prefect's) and the modules' own
        mask_logs(logger)
    started = time.perf_counter()
    preflight(settings)
    state_path = settings.state
    steps.warm_up(settings)
    gazetteer = build_gazetteer(reference.load_villages(region=settings.region))
    # a failure is recorded (with the state locked by a reader, when the next connection opens it)
    with state_db.run_lock(state_path), recorded(state_path, run_id, options.started_at) as record:
        summary = ingest_and_publish(settings, run_id, options, steps, log, gazetteer, record)
    return summary.timed(time.perf_counter() - started)


def ingest_and_publish(
    settings: Settings,
    run_id: str,
    options: RunOptions,
    steps: Steps,
    log: Logger,
    gazetteer: Gazetteer,
    record: RunRecord,
) -> RunSummary:
    """The run's body, inside the lock and the record of failure.

    One connection to the state database from the run's start to its end: a regency's run opened it three
    times, about 0.1 CPU-s each (a DuckDB instance, the catalog read, the macros, the close's checkpoint).
    """
    state_path, raw_dir = settings.state, settings.raw_dir
    clock = options.started_at or datetime.now(UTC)
    with state_db.connect_state(state_path) as con:
        abandoned = state_runs.start_run(con, run_id, options.started_at)
        record.started = True
        found = steps.discover(raw_dir)
        quiet = discover.skipped(found, clock, settings.quiet_seconds)
        if options.full_refresh:
            quiet = forget_for_refresh(con, options.period, quiet, settings.file_retries)
        discovered = discover.in_possible_periods(found, clock)
        known = state_batches.known_versions(con, settings.file_retries)
        key = checked_key(con, settings, options)
        vanished = discover.missing_files(discovered, known)
        latest = discover.latest_period(raw_dir, discovered, clock)
        warnings, retired = check_zone(raw_dir, discovered, known, vanished, latest, options)
        forgotten = set(known.filter(pl.col("period").is_in(retired))["source_file"])
        vanished = [path for path in vanished if path not in forgotten]  # their data is not kept: said once above
        new, copies = discover.new_versions(discovered, known, settings.bpjs_folder)
        unread = quiet.join(
            pl.concat([new, copies], how="diagonal").select("source_file"), on="source_file", how="semi"
        )
        new, copies = (frame.join(unread, on="source_file", how="anti") for frame in (new, copies))
        warnings += skipped_warning(unread) + [
            f"run {run} ended before it finished (its process was killed or lost: out of memory? a worker that died?); "
            "this run goes on from what it recorded"
            for run in abandoned
        ]
        for line in warnings:
            log.warning(line)
        for missing in vanished[:VANISHED_LOGGED]:
            log.warning("%s is no longer in the landing zone; its data is kept", mask_text(missing))
        if len(vanished) > VANISHED_LOGGED:
            log.warning("... and %d more files no longer in the landing zone", len(vanished) - VANISHED_LOGGED)
        copied = f", {copies.height} ignored (the same content as a file already read)" if copies.height else ""
        log.info("%d files in %s, %d new or changed%s", discovered.height, raw_dir, new.height, copied)
        processor = steps.processor(settings, gazetteer, new.height)
        work = batches(new, settings.batch_size, processor.workers)
        if work:  # nothing new has no batch to tell, nor a place it would have been read
            log.info(
                "%d %s of up to %d files, %d at once, read %s",
                *(len(work), "batch" if len(work) == 1 else "batches", settings.batch_size),
                *(processor.workers, processor.where),
            )
        with processor:
            for period in retired:
                state_batches.forget(con, period, unread)
            state_batches.record_skipped(con, unread, run_id)
            if copies.height:
                state_batches.record_copies(con, copies, run_id)
            present = discovered.filter(discover.readable()).join(unread, on="source_file", how="anti")
            sent_again = state_batches.record_arrivals(con, present, found, run_id)
            process_new(con, processor, work, steps, run_id, log, settings.file_retries)
            fingerprint = publish.fingerprint(key.value, settings)
            last = state_runs.last_publish(con)
            current = (
                not options.rekey
                and last is not None
                and steps.published(settings, last.run_id)
                and state_runs.published_is_current(con, last, fingerprint)
            )
            rebuilt = last is not None and last.fingerprint != fingerprint  # views, statements, reference, settings
            if not current:  # else nothing was recorded since the last publish: the current versions stand
                state_current.refresh_current(con, run_id)
            for path, came_as in state_batches.counting_again(con, sent_again, run_id):
                came = "" if came_as == path else f" (sent as {came_as})"
                said = f"{path}: content sent again after another version replaced it; it counts again{came}"
                log.info("%s", mask_text(said))
            checks = state_runs.record_checks(con, run_id, latest, gazetteer.villages.height, len(vanished))
            counts = state_runs.finish_run(con, run_id, "publishing")
            rejections = state_current.rejected_files(con)
            held = state_current.held_files(con)
        if current:
            state_runs.mark_run(con, run_id, "completed")
            coverage = state_runs.published_coverage(con)
            log.info(
                "nothing new and nothing changed since the last publish of %s: not republished",
                steps.destination(settings),
            )
        else:  # the reading processes have ended
            because = REBUILT if rebuilt else ""  # else new or changed files, which the log has just counted
            log.info("publishing %s%s", steps.destination(settings), because)
            con.execute("checkpoint")  # the state file's size as the publish finds it: nothing left in its WAL
            check_room(state_path, settings.warehouse)  # here, not in the step: an expected failure, no task traceback
            coverage = steps.publish(con, settings, run_id, key)
    if held:
        warnings.append(f"{held} file(s) held for closed periods (pending_corrections): cakupan accept or reopen")
    silent = checks["villages_missing"]
    if latest and silent:
        warnings.append(f"{silent:,} of {gazetteer.villages.height:,} villages sent nothing for {latest}")
    counts = {**counts, **checks, "files_unread": unread.height}  # left for a later run (skipped_files)
    return summarize(run_id, counts, coverage, rejections, [mask_text(w) for w in warnings])
