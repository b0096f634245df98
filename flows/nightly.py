"""The nightly Prefect flow: discover -> read -> validate and normalise -> load -> publish."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import cast

import polars as pl
from prefect import Task, flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from prefect.deployments.runner import RunnerDeployment
from prefect.runtime import flow_run
from prefect.schedules import Cron

from flows import discover, load, publish, reference
from flows.batches import BatchProcessor, batches, windowed, worker_count
from flows.pipeline import BatchOutcome, DiscoveredFile
from flows.place import Gazetteer, keyed
from flows.settings import DEFAULT_RAW_DIR, DEFAULT_WAREHOUSE, Settings, state_path_for
from flows.summary import RunSummary, coverage_markdown, summarize


@task(retries=3, retry_delay_seconds=[2, 5, 15], cache_policy=NO_CACHE)
def discover_files(raw_dir: Path) -> pl.DataFrame:
    """Every file in the landing zone with its period and sha256."""
    return discover.discover(raw_dir)


def is_io_error(task: Task[..., object], task_run: TaskRun, state: State[object]) -> bool:
    """Retry a batch only for I/O errors (a file share that hiccups); validation is deterministic."""
    return isinstance(state.result(raise_on_failure=False), OSError)


@task(retries=3, retry_delay_seconds=[2, 5, 15], retry_condition_fn=is_io_error, cache_policy=NO_CACHE)
def process_village_files(processor: BatchProcessor, files: list[DiscoveredFile]) -> BatchOutcome:
    """Read, structure, place, normalise and validate a batch of files."""
    return processor.run(files)


@task(retries=3, retry_delay_seconds=[2, 5, 15], cache_policy=NO_CACHE)
def publish_warehouse(state_path: Path, warehouse: Path, run_id: str, settings: Settings) -> None:
    """Publish the analyst warehouse atomically, then record the run as completed."""
    with load.connect_state(state_path) as con:
        key = pii_key(state_path)
        publish.publish(con, warehouse, key, run_id, settings.provisional_below_pct, settings.region)
        load.mark_run(con, run_id, "completed", fingerprint(key, settings))


def pii_key(state_path: Path) -> bytes:
    """The person_id key: $CAKUPAN_PII_KEY, else the key file beside the state database."""
    return publish.pii_key(state_path.parent / "pii.key")


def fingerprint(key: bytes, settings: Settings) -> str:
    """What the published warehouse is built from besides the data."""
    return publish.fingerprint(key, settings.provisional_below_pct, settings.region)


def log_rejections(outcome: BatchOutcome) -> None:
    """One log line per rejected file, naming it and the reason."""
    logger = get_run_logger()
    for row in outcome.files.filter(pl.col("status") == "rejected").iter_rows(named=True):
        logger.warning("rejected %s: %s", row["source_file"], row["reason"])


def ingest(
    raw_dir: Path,
    state_path: Path,
    warehouse: Path,
    new: pl.DataFrame,
    copies: pl.DataFrame,
    gazetteer: Gazetteer,
    run_id: str,
    settings: Settings,
) -> tuple[dict[str, int], list[dict[str, str]]]:
    """Process the new files in batches across cores, load each as it comes, publish; return the run's counts."""
    logger = get_run_logger()
    workers = worker_count(new.height, settings.workers)
    work = batches(new, settings.batch_size, workers)
    logger.info("%d batches of up to %d files, %d worker process(es)", len(work), settings.batch_size, workers)
    with BatchProcessor(raw_dir, gazetteer, workers) as processor, load.connect_state(state_path) as con:
        load.record_copies(con, copies, run_id)
        submitted = windowed(lambda files: process_village_files.submit(processor, files), work, processor.window)
        for number, outcome in enumerate(submitted, start=1):
            log_rejections(outcome)
            load.load_batch(con, outcome, run_id)
            logger.info("loaded batch %d of %d (%d files)", number, len(work), outcome.files.height)
        load.refresh_current(con, run_id)
        counts = load.finish_run(con, run_id, "publishing")
        rejections = load.rejected_files(con)
        if warehouse.exists() and load.published_is_current(con, fingerprint(pii_key(state_path), settings)):
            load.mark_run(con, run_id, "completed")
            logger.info("nothing new and nothing changed: %s is current, not republished", warehouse)
            return counts, rejections
    logger.info("publishing %s", warehouse)
    publish_warehouse(state_path, warehouse, run_id, settings)
    return counts, rejections


@flow(name="nightly")
def nightly(
    raw_dir: Path = DEFAULT_RAW_DIR,
    warehouse: Path = DEFAULT_WAREHOUSE,
    full_refresh: bool = False,
    period: str | None = None,
    batch_size: int = Settings.batch_size,
    provisional_below_pct: float = Settings.provisional_below_pct,
    region: str = Settings.region,
    workers: int = Settings.workers,
) -> RunSummary:
    """Ingest new and changed village files from `raw_dir` and publish the warehouse at `warehouse`."""
    started = time.perf_counter()
    logger = get_run_logger()
    state_path = state_path_for(warehouse)
    run_id = str(flow_run.get_id() or uuid.uuid4())
    gazetteer = keyed(reference.load_villages(region=region))
    with load.run_lock(state_path):
        with load.connect_state(state_path) as con:
            if full_refresh:
                load.forget(con, period)
            load.start_run(con, run_id)
            discovered = discover_files(raw_dir)
            known = load.known_versions(con)
        new, copies = discover.new_versions(discovered, known)
        for missing in discover.missing_files(discovered, known):
            logger.warning("%s is no longer in the landing zone; its data is kept", missing)
        logger.info("%d files in %s, %d new or changed", discovered.height, raw_dir, new.height)
        try:
            settings = Settings(
                raw_dir,
                warehouse,
                batch_size=batch_size,
                provisional_below_pct=provisional_below_pct,
                region=region,
                workers=workers,
            )
            counts, rejections = ingest(raw_dir, state_path, warehouse, new, copies, gazetteer, run_id, settings)
        except Exception as error:
            with load.connect_state(state_path) as con:
                load.finish_run(con, run_id, "failed", f"{type(error).__name__}: {error}")
            raise
        summary = summarize(run_id, counts, rejections, warehouse, time.perf_counter() - started)
    create_markdown_artifact(summary.markdown(), key="nightly-summary", description="cakupan run summary")
    if summary.rejections:
        create_table_artifact(summary.rejections, key="nightly-file-rejections", description="files rejected")
    logger.info("run %s completed in %.1f s\n%s", run_id, summary.seconds, coverage_markdown(summary.coverage))
    return summary


def deployment(settings: Settings) -> RunnerDeployment:
    """The `nightly` deployment: the flow on a cron schedule with the configured paths."""
    made = nightly.to_deployment(
        name="nightly",
        schedules=[Cron(settings.schedule, timezone=settings.timezone)],
        parameters={
            "raw_dir": str(settings.raw_dir.resolve()),
            "warehouse": str(settings.warehouse.resolve()),
            "batch_size": settings.batch_size,
            "provisional_below_pct": settings.provisional_below_pct,
            "region": settings.region,
            "workers": settings.workers,
        },
        description="Ingest new and corrected village files and publish the coverage warehouse.",
        tags=["cakupan"],
    )
    return cast(RunnerDeployment, made)  # sync call: Prefect's sync_compatible types it as maybe-awaitable
