"""The nightly Prefect flow: discover -> read -> validate and normalise -> load -> publish."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import polars as pl
from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.deployments.runner import RunnerDeployment
from prefect.runtime import flow_run
from prefect.schedules import Cron

from flows import discover, load, publish, reference
from flows.pipeline import BatchOutcome, DiscoveredFile, ExtractedFile, check_files, extract_file
from flows.place import keyed
from flows.settings import DEFAULT_RAW_DIR, DEFAULT_WAREHOUSE, Settings, state_path_for
from flows.summary import RunSummary, coverage_markdown, summarize


def batches(files: pl.DataFrame, size: int) -> list[list[DiscoveredFile]]:
    """Files in batches of `size`, oldest first, as DiscoveredFile records."""
    records = [
        DiscoveredFile(r["source_file"], r["period"], r["sha256"], r["modified_at"])
        for r in files.iter_rows(named=True)
    ]
    return [records[i : i + size] for i in range(0, len(records), size)]


@task(retries=3, retry_delay_seconds=[2, 5, 15], cache_policy=NO_CACHE)
def discover_files(raw_dir: Path) -> pl.DataFrame:
    """Every file in the landing zone with its period and sha256."""
    return discover.discover(raw_dir)


@task(retries=3, retry_delay_seconds=[2, 5, 15], cache_policy=NO_CACHE)
def read_village_files(raw_dir: Path, files: Sequence[DiscoveredFile], villages: pl.DataFrame) -> list[ExtractedFile]:
    """Read, structure and place a batch of files (I/O: retried)."""
    return [extract_file(raw_dir, file, villages) for file in files]


@task(cache_policy=NO_CACHE)
def validate_village_files(extracted: list[ExtractedFile], villages: pl.DataFrame) -> BatchOutcome:
    """Normalise and validate a batch (deterministic: not retried)."""
    return check_files(extracted, villages)


@task(retries=3, retry_delay_seconds=[2, 5, 15], cache_policy=NO_CACHE)
def publish_warehouse(state_path: Path, warehouse: Path, run_id: str, provisional_below_pct: float) -> None:
    """Publish the analyst warehouse atomically, then record the run as completed."""
    with load.connect_state(state_path) as con:
        key = publish.pii_key(state_path.parent / "pii.key")
        publish.publish(con, warehouse, key, run_id, provisional_below_pct)
        load.mark_run(con, run_id, "completed", publish.fingerprint(provisional_below_pct))


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
    villages: pl.DataFrame,
    run_id: str,
    settings: Settings,
) -> tuple[dict[str, int], list[dict[str, str]]]:
    """Read and validate the new files concurrently, load them batch by batch, publish; return the run's counts."""
    logger = get_run_logger()
    extracted = read_village_files.map(unmapped(raw_dir), batches(new, settings.batch_size), unmapped(villages))
    outcomes = validate_village_files.map(extracted, unmapped(villages))
    with load.connect_state(state_path) as con:
        load.record_copies(con, copies, run_id)
        for number, future in enumerate(outcomes, start=1):
            outcome = future.result()
            log_rejections(outcome)
            load.load_batch(con, outcome, run_id)
            logger.info("loaded batch %d of %d (%d files)", number, len(outcomes), outcome.files.height)
        load.refresh_current(con, run_id)
        counts = load.finish_run(con, run_id, "publishing")
        rejections = load.rejected_files(con)
        if warehouse.exists() and load.published_is_current(con, publish.fingerprint(settings.provisional_below_pct)):
            load.mark_run(con, run_id, "completed")
            logger.info("nothing new and nothing changed: %s is current, not republished", warehouse)
            return counts, rejections
    logger.info("publishing %s", warehouse)
    publish_warehouse(state_path, warehouse, run_id, settings.provisional_below_pct)
    return counts, rejections


@flow(name="nightly")
def nightly(
    raw_dir: Path = DEFAULT_RAW_DIR,
    warehouse: Path = DEFAULT_WAREHOUSE,
    full_refresh: bool = False,
    period: str | None = None,
    batch_size: int = Settings.batch_size,
    provisional_below_pct: float = Settings.provisional_below_pct,
) -> RunSummary:
    """Ingest new and changed village files from `raw_dir` and publish the warehouse at `warehouse`."""
    logger = get_run_logger()
    state_path = state_path_for(warehouse)
    run_id = str(flow_run.get_id() or uuid.uuid4())
    villages = keyed(reference.load_villages())
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
            settings = Settings(raw_dir, warehouse, batch_size=batch_size, provisional_below_pct=provisional_below_pct)
            counts, rejections = ingest(raw_dir, state_path, warehouse, new, copies, villages, run_id, settings)
        except Exception as error:
            with load.connect_state(state_path) as con:
                load.finish_run(con, run_id, "failed", f"{type(error).__name__}: {error}")
            raise
        summary = summarize(run_id, counts, rejections, warehouse)
    create_markdown_artifact(summary.markdown(), key="nightly-summary", description="cakupan run summary")
    if summary.rejections:
        create_table_artifact(summary.rejections, key="nightly-file-rejections", description="files rejected")
    logger.info("run %s completed\n%s", run_id, coverage_markdown(summary.coverage))
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
        },
        description="Ingest new and corrected village files and publish the coverage warehouse.",
        tags=["cakupan"],
    )
    return cast(RunnerDeployment, made)  # sync call: Prefect's sync_compatible types it as maybe-awaitable
