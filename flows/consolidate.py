"""The province on Prefect: a parent flow that starts one child flow run per chunk of regencies.

A thin layer over flows/province.py. The parent (`province`) runs `run_province` with
`DeploymentSteps`: each chunk of changed regencies becomes a flow run of the `regency-chunk`
deployment (`run_deployment`), on a work pool whose workers sit where the landing zones are, at
most `child_concurrency` at once. A child (`regency_chunk`) runs `run_chunk` and returns counts
and paths only; what it produced travels as staged Parquet and its manifest, never through
Prefect. The parent waits for every child's final state (a SIGKILLed child ends Crashed, set by
its worker), then publishes what is committed.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, cast

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import FlowRun, State
from prefect.deployments import run_deployment
from prefect.runtime import flow_run
from prefect.states import Failed

from flows.ingest.workers import windowed
from flows.nightly import PrefectSteps
from flows.province import ChildOutcome, ProvinceSummary, outcome_dicts, run_chunk, run_province, summary_line
from flows.run import EXPECTED_FAILURES, Logger, RunOptions, one_line
from flows.settings import Settings, load_settings

CHILD_DEPLOYMENT = "regency-chunk/regency-chunk"
POLL_SECONDS = 2.0  # how often the parent asks the server whether a child has ended


@task(cache_policy=NO_CACHE)
def run_child(deployment: str, parameters: dict[str, Any]) -> ChildOutcome:
    """Start one child flow run of `deployment` and wait for its final state."""
    started = run_deployment(deployment, parameters=parameters, timeout=None, poll_interval=POLL_SECONDS)
    child = cast(FlowRun, started)  # a sync call: Prefect types it as maybe-awaitable
    state = child.state
    regencies = tuple(parameters["regencies"])
    if state is not None and state.is_completed():
        return ChildOutcome(regencies, True)
    said = f"{state.name}: {state.message}" if state is not None else "no state"
    return ChildOutcome(regencies, False, " ".join(f"flow run {child.name} {said}".split()))


class DeploymentSteps:
    """Each chunk a flow run of the child deployment, at most `settings.child_concurrency` in flight."""

    def __init__(self, deployment: str = CHILD_DEPLOYMENT) -> None:
        self.deployment = deployment

    def run_children(
        self, settings: Settings, chunks: list[list[str]], run_id: str, options: RunOptions, log: Logger
    ) -> list[ChildOutcome]:
        def parameters(chunk: list[str]) -> dict[str, Any]:
            return {
                "regencies": chunk,
                "raw_dir": str(settings.raw_dir.resolve()),
                "staging_url": settings.staging if "://" in settings.staging else str(Path(settings.staging).resolve()),
                "work_dir": str(settings.work_dir.resolve()),
                "parent_run_id": run_id,
                "allow_empty": options.allow_empty,
                "figures": settings.figures,  # every regency is published as the province is (region aside)
            }

        submitted = windowed(
            lambda chunk: run_child.submit(self.deployment, parameters(chunk)), chunks, settings.child_concurrency
        )
        return list(submitted)


@flow(name="regency-chunk")
def regency_chunk(
    regencies: list[str],
    raw_dir: Path | None = None,
    staging_url: str | None = None,
    work_dir: Path | None = None,
    parent_run_id: str | None = None,
    config: Path | None = None,
    allow_empty: bool = False,
    figures: dict[str, Any] | None = None,
) -> list[dict[str, object]] | State[None]:
    """Run and stage each regency of the chunk: `raw_dir/<code>/` into `work_dir/<code>/`, staged at `staging_url`.

    `figures` are the parent's figure settings (Settings.figures), so that every regency is published
    with them. Other settings not given come from where the child runs (its worker's cakupan.toml and
    CAKUPAN_*), the person_id key included: give every worker the same one.
    """
    logger = get_run_logger()
    logger.info("regencies %s in process %d", ",".join(regencies), os.getpid())
    overrides: dict[str, Any] = {
        **(figures or {}),
        "raw_dir": raw_dir,
        "staging_url": staging_url,
        "work_dir": work_dir,
    }
    try:
        settings = load_settings(config, **overrides)
        run_id = str(flow_run.get_id() or uuid.uuid4())
        outcomes = run_chunk(settings, regencies, run_id, RunOptions(allow_empty=allow_empty), PrefectSteps(), logger)
    except EXPECTED_FAILURES as error:  # one line, no traceback
        logger.error("child run failed: %s", one_line(error))
        return Failed(message=one_line(error))
    return outcome_dicts(outcomes)


@flow(name="province")
def province(
    raw_dir: Path | None = None,
    warehouse: Path | None = None,
    config: Path | None = None,
    region: str | None = None,
    staging_url: str | None = None,
    work_dir: Path | None = None,
    regencies_per_child: int | None = None,
    child_concurrency: int | None = None,
    deployment: str = CHILD_DEPLOYMENT,
    allow_empty: bool = False,
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
    }
    try:
        settings = load_settings(config, **overrides)
        run_id = str(flow_run.get_id() or uuid.uuid4())
        summary = run_province(
            settings, run_id, RunOptions(allow_empty=allow_empty), DeploymentSteps(deployment), logger
        )
    except EXPECTED_FAILURES as error:  # one line, no traceback
        logger.error("province run failed: %s", one_line(error))
        return Failed(message=one_line(error))
    logger.info("province run %s: %s", run_id, summary_line(summary))
    return summary
