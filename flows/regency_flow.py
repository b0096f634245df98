"""The nightly Prefect flow: `flows/regency_run.py`'s sequence, with its steps as Prefect tasks.

Parameters left unset come from the settings (cakupan.toml, CAKUPAN_* variables,
defaults: flows/settings.py), read where the flow runs, so a deployment picks up its
worker's configuration and every default is written once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import duckdb
import polars as pl
from prefect import Task, flow, get_run_logger, task
from prefect.artifacts import Artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from prefect.deployments.runner import RunnerDeployment
from prefect.exceptions import FailedRun
from prefect.runtime import flow_run
from prefect.schedules import Cron
from prefect.states import Failed

from flows.ingest import discover
from flows.ingest.outcomes import BatchOutcome, DiscoveredFile
from flows.ingest.workers import Processor
from flows.outputs.summary import RunSummary
from flows.regency_run import EXPECTED_FAILURES, PlainSteps, publish_warehouse, run_pipeline
from flows.run_options import RunOptions, one_line
from flows.runtime.pool import HasResult
from flows.runtime.warm import OnDask
from flows.settings import Settings, load_settings
from flows.store.pii import PiiKey

# An error that a second try cannot mend: the path is wrong, not the share's connection.
LASTING_OS_ERRORS = (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError)
RETRY_DELAYS: list[float] = [2, 5, 15]
REJECTIONS_KEY = "nightly-file-rejections"
Done = TypeVar("Done")
REJECTIONS_SHOWN = 500  # rows of the rejections artifact; every rejected file is in ingested_files


def is_transient_io_error(task: Task[..., object], task_run: TaskRun, state: State[object]) -> bool:
    """Retry only for I/O errors a second try can mend (a file share that hiccups); the rest is deterministic."""
    return transient(state.result(raise_on_failure=False))


def transient(error: object) -> bool:
    """An I/O error a second try can mend: not a missing, unreadable or wrong kind of path."""
    return isinstance(error, OSError) and not isinstance(error, LASTING_OS_ERRORS)


@task(retries=3, retry_delay_seconds=RETRY_DELAYS, retry_condition_fn=is_transient_io_error, cache_policy=NO_CACHE)
def discover_files(raw_dir: Path) -> pl.DataFrame:
    """Every file in the landing zone with its period and sha256."""
    return discover.discover(raw_dir)


@task(retries=3, retry_delay_seconds=RETRY_DELAYS, retry_condition_fn=is_transient_io_error, cache_policy=NO_CACHE)
def process_batch(processor: Processor, files: list[DiscoveredFile]) -> BatchOutcome:
    """Read, structure, place, normalise and validate a batch of files."""
    return processor.process(files)


@task(retries=3, retry_delay_seconds=RETRY_DELAYS, retry_condition_fn=is_transient_io_error, cache_policy=NO_CACHE)
def publish_analyst_warehouse(
    con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str, key: PiiKey
) -> pl.DataFrame:
    """Publish the analyst warehouse atomically, then record the run as completed; the coverage it published."""
    return publish_warehouse(con, settings, run_id, key)


class PrefectSteps(PlainSteps):
    """The run's steps as Prefect tasks: tracked in the UI, I/O retried."""

    def discover(self, raw_dir: Path) -> pl.DataFrame:
        return discover_files(raw_dir)

    def submit(self, processor: Processor, files: list[DiscoveredFile]) -> HasResult[BatchOutcome]:
        return process_batch.submit(processor, files)

    def publish(self, con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str, key: PiiKey) -> pl.DataFrame:
        return publish_analyst_warehouse(con, settings, run_id, key)


class WarmSteps(OnDask, PrefectSteps):
    """The Prefect steps, with each batch's task waiting for its batch read on a Dask cluster's long-lived worker."""


@flow(name="nightly")
def nightly(
    raw_dir: Path | None = None,
    warehouse: Path | None = None,
    config: Path | None = None,
    batch_size: int | None = None,
    workers: int | None = None,
    region: str | None = None,
    provisional_below_pct: float | None = None,
    full_refresh: bool = False,
    period: str | None = None,
    allow_empty: bool = False,
    rekey: bool = False,
) -> RunSummary | State[None]:
    """Ingest new and changed village files from `raw_dir` and publish the warehouse at `warehouse`.

    A run that cannot go on for a reason an operator can fix (missing landing zone, empty or
    vanished zone, changed person_id key, bad settings, another run in progress) ends Failed
    with that one-line reason and no traceback.
    """
    logger = get_run_logger()
    options = RunOptions(full_refresh, period, allow_empty, rekey)
    overrides: dict[str, Any] = {
        "raw_dir": raw_dir,
        "warehouse": warehouse,
        "batch_size": batch_size,
        "workers": workers,
        "region": region,
        "provisional_below_pct": provisional_below_pct,
    }

    def run(settings: Settings, run_id: str) -> RunSummary:
        steps = WarmSteps(settings.dask_scheduler) if settings.dask_scheduler else PrefectSteps()
        return run_pipeline(settings, run_id, options, steps, logger)

    summary = run_or_failed("run", config, overrides, run)
    if isinstance(summary, State):
        return summary
    create_markdown_artifact(summary.markdown(), key="nightly-summary", description="cakupan run summary")
    post_rejections(summary.rejections)
    logger.info("run %s completed in %.1f s", summary.run_id, summary.seconds)
    return summary


def run_or_failed(
    what: str,
    config: Path | None,
    overrides: dict[str, Any],
    run: Callable[[Settings, str], Done],
    retried: Callable[[BaseException], bool] = lambda error: False,
) -> Done | State[None]:
    """`run(settings, run_id)` with the flow run's settings (`config` and `overrides` over where it runs) and id.

    A failure an operator can fix (EXPECTED_FAILURES) ends it Failed with that one line, logged as
    "<what> failed: ...", and no traceback; but one that `retried` says the caller's task retries is raised.
    """
    try:
        settings = load_settings(config, **overrides)
        return run(settings, str(flow_run.get_id() or uuid.uuid4()))
    except EXPECTED_FAILURES as error:  # one line, no traceback
        if retried(error):
            raise
        get_run_logger().error("%s failed: %s", what, one_line(error))
        return Failed(message=one_line(error))


class BriefFailedRun(logging.Filter):
    """A flow run that ended Failed with its one line (`run_or_failed`) logged as that line, not a traceback.

    A deployment's run (`cakupan serve`, a worker) is started by Prefect's engine, which asks the
    flow for its result: a Failed state raises FailedRun there, and the engine logged it to the flow
    run's log as "Engine execution exited with unexpected exception" with about 40 lines of Prefect's
    traceback, under the operator's one line; it says once, at INFO, that the run ended Failed and why.
    On the engine's loggers of the process that imports the flows.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, FailedRun):  # the flow has logged why at ERROR: this says only how it ended
            record.msg, record.args = "flow run ended Failed: %s", (one_line(error),)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


for engine_logger in ("prefect.flow_runs", "prefect.engine"):  # the run's log; the engine's own, when it has no run
    logging.getLogger(engine_logger).addFilter(BriefFailedRun())


def post_rejections(rejections: list[dict[str, str]]) -> bool:
    """The table artifact of rejected files, only when they changed since the last one, at most REJECTIONS_SHOWN rows.

    Whether they changed is read from the last artifact's description, which carries a digest
    of every rejection (not only those shown). True when an artifact was created.
    """
    digest = hashlib.sha256(json.dumps(rejections, sort_keys=True, default=str).encode()).hexdigest()[:16]
    shown = rejections[:REJECTIONS_SHOWN]
    more = f", the first {len(shown)} shown (all in ingested_files)" if len(rejections) > len(shown) else ""
    description = f"files rejected: {len(rejections)}{more} [{digest}]"
    last = cast(Any, Artifact.get(REJECTIONS_KEY))  # a sync call: Prefect types it as maybe-awaitable
    if (last.description if last else f"files rejected: 0 [{empty_digest()}]") == description:
        return False
    create_table_artifact(shown, key=REJECTIONS_KEY, description=description)
    return True


def empty_digest() -> str:
    return hashlib.sha256(b"[]").hexdigest()[:16]


def deployment(settings: Settings, config: Path | None = None) -> RunnerDeployment:
    """The `nightly` deployment: the flow on a cron schedule, on the landing zone and warehouse configured.

    The other settings are read where each run starts (the serve process's cakupan.toml and
    CAKUPAN_* variables), and from `config` when one was given.
    """
    parameters = {"raw_dir": str(settings.raw_dir.resolve()), "warehouse": str(settings.warehouse.resolve())}
    made = nightly.to_deployment(
        name="nightly",
        schedules=[Cron(settings.schedule, timezone=settings.timezone)],
        parameters={**parameters, **({"config": str(config.resolve())} if config else {})},
        description="Ingest new and corrected village files and publish the coverage warehouse.",
        tags=["cakupan"],
    )
    return cast(RunnerDeployment, made)  # sync call: Prefect's sync_compatible types it as maybe-awaitable
