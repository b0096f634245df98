"""The province on Prefect: a parent flow whose regency chunks run on the long-lived workers of a Dask cluster.

A thin layer over flows/province_run.py. The parent (`province`) runs `run_province` with
`DaskSteps`: each chunk of changed regencies becomes a task run (`regency_unit`) submitted
through prefect-dask's `DaskTaskRunner` to a Dask cluster (`dask_scheduler`, or a local one of
`child_concurrency` worker processes started for the run). A Dask worker is a long-lived
process: it keeps its imports (polars, pandera, Prefect, the pipeline) and its forkserver
between units, and the scheduler pushes each unit to it as it frees, with no polling. A unit
is that one task run: `run_chunk` with the plain steps inside its worker (no child flow run, no
task run per step: orchestration costs a unit one task run's states and its log lines), and it
returns counts and paths only; what it produced travels as staged Parquet and its manifest, never through Dask or
Prefect. A worker that dies (SIGKILL, a machine lost) is seen by the scheduler at once: its
unit runs again on another worker (up to Dask's `allowed-failures`, then the chunk is reported
failed); the regency resumes from its state database like any killed run. The `regency-chunk`
flow runs one chunk by hand (its deployment), each step a task run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dask
import distributed
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import State
from prefect.exceptions import PrefectHTTPStatusError
from prefect.runtime import task_run
from prefect.states import Crashed
from prefect_dask.task_runners import DaskTaskRunner, PrefectDaskFuture

from flows.province_run import (
    ChildOutcome,
    ProvinceSummary,
    outcome_dicts,
    run_chunk,
    run_province,
    summary_line,
    units_of,
)
from flows.regency_flow import RETRY_DELAYS, PrefectSteps, is_transient_io_error, run_or_failed, transient
from flows.regency_run import Logger, PlainSteps, Steps
from flows.run_options import RunOptions, one_line
from flows.runtime.warm import CLUSTER_CONFIG, connect  # one worker thread per unit: a long unit holds no other back
from flows.settings import Settings


def unit_name() -> str:
    """A unit's task run is named by its regencies, as the operator looks for it on the server."""
    return "regency-unit " + ",".join(task_run.parameters["regencies"])


@task(
    name="regency-unit",
    task_run_name=unit_name,
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=is_transient_io_error,
)
def regency_unit(regencies: list[str], unit: dict[str, Any]) -> list[dict[str, object]] | State[None]:
    """One chunk of regencies on a Dask worker, in the worker's own process: `run_chunk` with the plain steps.

    One task run a unit, carrying its log lines and its end (Completed; Failed with the one-line reason);
    the batches are read on the worker's forkserver, kept from unit to unit. `unit`: the chunk's settings.
    An I/O error a second try can mend (a share or object store that hiccups) runs the unit again, as the
    nightly run's steps are retried: its regencies resume from their state databases.
    """
    return stage_chunk(regencies, PlainSteps(), get_run_logger(), retried=transient, **unit)


def task_runner(settings: Settings) -> DaskTaskRunner:
    """The Dask cluster units run on: `settings.dask_scheduler`, else a local one of `child_concurrency` workers."""
    if settings.dask_scheduler:
        connect(settings.dask_scheduler).close()  # type: ignore[no-untyped-call]  # one line if no scheduler answers
        return DaskTaskRunner(address=settings.dask_scheduler)
    # one thread a worker: a unit already uses every core for its files (its reading workers)
    cluster = {"n_workers": settings.child_concurrency, "threads_per_worker": 1, "processes": True}
    return DaskTaskRunner(cluster_kwargs={**cluster, "dashboard_address": None})


def unit_parameters(settings: Settings, options: RunOptions) -> dict[str, Any]:
    """What every unit of a province run is given besides its regencies (`stage_chunk`'s keyword arguments)."""
    return {
        "raw_dir": str(settings.raw_dir.resolve()),
        "staging_url": settings.staging if "://" in settings.staging else str(Path(settings.staging).resolve()),
        "work_dir": str(settings.regencies_dir.resolve()),
        "allow_empty": options.allow_empty,
        "rekey": options.rekey,  # a new person_id key on purpose: each regency's run republishes with it
        "figures": settings.figures,  # every regency is published as the province is (region aside)
    }


class DaskSteps:
    """Each chunk a task run on the Dask cluster's workers, as many at once as the cluster has worker threads."""

    def unit_size(self, settings: Settings, changed: int) -> int:
        """Automatic units: sized by the worker threads of `dask_scheduler`'s cluster, or of the local one."""
        if not settings.dask_scheduler:
            return units_of(changed, settings.child_concurrency)
        client = connect(settings.dask_scheduler)
        try:
            slots = sum(client.nthreads().values())  # type: ignore[no-untyped-call]
        finally:
            client.close()  # type: ignore[no-untyped-call]
        return units_of(changed, slots)

    def run_children(
        self, settings: Settings, chunks: list[list[str]], run_id: str, options: RunOptions, log: Logger
    ) -> list[ChildOutcome]:
        unit = unit_parameters(settings, options)
        with dask.config.set(CLUSTER_CONFIG), task_runner(settings) as runner:
            futures = {}
            for chunk in chunks:
                future = runner.submit(regency_unit, {"regencies": chunk, "unit": unit})
                futures[future.wrapped_future] = (tuple(chunk), future)
            outcomes = {}
            # each outcome taken as its unit ends, and released: a result left on a worker that later dies would
            # be computed again (Dask recomputes lost results a client still holds)
            with distributed.Client.as_current(runner.client):  # the client as_completed finds
                for done in distributed.as_completed(futures):  # type: ignore[no-untyped-call]
                    regencies, future = futures.pop(done)
                    outcomes[regencies] = child_outcome(regencies, future)
                    done.release()
            return [outcomes[tuple(chunk)] for chunk in chunks]


def child_outcome(regencies: tuple[str, ...], future: PrefectDaskFuture[Any]) -> ChildOutcome:
    """How a unit ended: its task run's final state, or why Dask gave it up (its workers died: KilledWorker).

    A unit whose worker died leaves its task run Running (nobody is left to end it): it is marked Crashed here.
    A unit Dask gave up before it started (still queued when the worker died, with no failures allowed) has no
    task run on the server: it is reported as never started.
    """
    try:
        # the unit's task run state (prefect-dask submits with return_type="state")
        state = future.wrapped_future.result()
    except Exception as error:
        message = why_given_up(error)
        with get_client(sync_client=True) as client:
            try:
                client.set_task_run_state(future.task_run_id, Crashed(message=message), force=True)
            except PrefectHTTPStatusError as missing:
                if missing.response.status_code != 404:
                    raise
                return ChildOutcome(regencies, False, f"never started: {message}")
        return ChildOutcome(regencies, False, f"task run {future.task_run_id} Crashed: {message}")
    if state.is_completed():
        return ChildOutcome(regencies, True)
    return ChildOutcome(regencies, False, " ".join(f"{state.name}: {state.message}".split()))


def why_given_up(error: Exception) -> str:
    """Why Dask gave a unit up, in one line an operator acts on: Dask's KilledWorker text (about 600 characters of
    its own advice and task key) is told as the worker that died last and where to look."""
    if isinstance(error, distributed.KilledWorker):
        tries = error.allowed_failures + 1
        return (
            f"KilledWorker: the Dask worker holding it died ({tries} {'try' if tries == 1 else 'tries'}, the last on "
            f"{error.last_worker.address}): out of memory, killed or lost; see that worker's log, then run again"
        )
    return f"{type(error).__name__}: {one_line(error)}"


@flow(name="regency-chunk")
def regency_chunk(
    regencies: list[str],
    raw_dir: Path | None = None,
    staging_url: str | None = None,
    work_dir: str | None = None,
    config: Path | None = None,
    allow_empty: bool = False,
    figures: dict[str, Any] | None = None,
    rekey: bool = False,
) -> list[dict[str, object]] | State[None]:
    """Run and stage each regency of the chunk: `raw_dir/<code>/` into `work_dir/<code>/`, staged at `staging_url`.

    One chunk by hand (its deployment), each step a task run; a province's units are `regency_unit` task runs.
    `figures` are the parent's figure settings (Settings.figures), so that every regency is published
    with them. Other settings not given come from where the child runs (its worker's cakupan.toml and
    CAKUPAN_*), the person_id key included: give every worker the same one.
    """
    logger, steps = get_run_logger(), PrefectSteps()
    return stage_chunk(regencies, steps, logger, raw_dir, staging_url, work_dir, config, allow_empty, figures, rekey)


def stage_chunk(
    regencies: list[str],
    steps: Steps,
    logger: Logger,
    raw_dir: Path | str | None = None,
    staging_url: str | None = None,
    work_dir: str | None = None,
    config: Path | None = None,
    allow_empty: bool = False,
    figures: dict[str, Any] | None = None,
    rekey: bool = False,
    retried: Callable[[BaseException], bool] = lambda error: False,
) -> list[dict[str, object]] | State[None]:
    """`run_chunk` with the settings where it runs under the ones given; Failed with one line when an operator can
    fix why it could not go on (raised instead when `retried` says the caller retries it)."""
    logger.info("regencies %s in process %d", ",".join(regencies), os.getpid())
    overrides: dict[str, Any] = {
        **(figures or {}),
        "raw_dir": raw_dir,
        "staging_url": staging_url,
        "work_dir": work_dir,
    }

    def run(settings: Settings, run_id: str) -> list[dict[str, object]]:
        # a run of its own on each attempt: Dask runs a unit again, with the same task run, after its worker died
        chunk_run, options = f"{run_id}-{uuid.uuid4().hex[:8]}", RunOptions(allow_empty=allow_empty, rekey=rekey)
        return outcome_dicts(run_chunk(settings, regencies, chunk_run, options, steps, logger))

    return run_or_failed("child run", config, overrides, run, retried)


@flow(name="province")
def province(
    raw_dir: Path | None = None,
    warehouse: Path | None = None,
    config: Path | None = None,
    region: str | None = None,
    staging_url: str | None = None,
    work_dir: str | None = None,
    regencies_per_child: int | None = None,
    child_concurrency: int | None = None,
    dask_scheduler: str | None = None,
    allow_empty: bool = False,
    rekey: bool = False,
) -> ProvinceSummary | State[None]:
    """Run a child for each changed regency of `region` under `raw_dir`, then publish the province `warehouse`."""
    logger = get_run_logger()
    overrides: dict[str, Any] = {
        "raw_dir": raw_dir,
        "warehouse": warehouse,
        "region": region,
        "staging_url": staging_url,
        "work_dir": work_dir,
        "regencies_per_child": regencies_per_child,
        "child_concurrency": child_concurrency,
        "dask_scheduler": dask_scheduler,
    }

    def run(settings: Settings, run_id: str) -> ProvinceSummary:
        return run_province(settings, run_id, RunOptions(allow_empty=allow_empty, rekey=rekey), DaskSteps(), logger)

    summary = run_or_failed("province run", config, overrides, run)
    if not isinstance(summary, State):
        logger.info("province run %s: %s", summary.run_id, summary_line(summary))
    return summary
