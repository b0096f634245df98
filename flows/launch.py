"""Starting one run of the nightly flow from a command (`cakupan run`, `cakupan demo`).

The set-up around the flow, apart from the command line that parses and prints: the checks
that need no Prefect first (a wrong path fails in about a second instead of after Prefect's
start-up, and is still recorded as a failed run), the processes a killed run left behind,
Prefect's home and the workers' forkserver, then the flow; and whether a failure is Prefect's
after the run completed and published, or the run's.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.outputs.summary import RunSummary
from flows.regency_run import preflight, record_failure
from flows.run_options import RunFailedError, RunOptions, one_line
from flows.runtime.orphans import mark_children, reap_orphans
from flows.settings import Settings, use_own_prefect_home
from flows.store.state_runs import newest_run


@dataclass(frozen=True)
class Launched:
    """What a run started from a command did: its summary, or the run that completed though Prefect failed."""

    summary: RunSummary | None
    seconds: float  # from the set-up to the flow's end
    server: str | None  # the Prefect API the flow used (None: a temporary server was started)
    prefect_error: str = ""  # the run completed and published, but Prefect could not record it
    completed_run: str = ""


def launch(
    settings: Settings, options: RunOptions, flags: dict[str, Any], config: Path | None, notify: Callable[[str], None]
) -> Launched:
    """Run the nightly flow once now; raise RunFailedError (recorded) or the flow's error when the run fails."""
    try:
        preflight(settings)
    except RunFailedError as error:
        record_failure(settings, f"cli-{uuid.uuid4()}", str(error))
        raise
    if reaped := reap_orphans():
        notify(f"ended {len(reaped)} process(es) left behind by a killed run: {reaped}")
    mark_children()
    use_own_prefect_home(settings.state.parent / "prefect")

    from flows.runtime.forkserver import warm_up

    # the workers' imports overlap Prefect's and the flow's when there is work; with a cluster, its warm workers read
    if not settings.dask_scheduler:
        warm_up(settings.raw_dir, settings.state)

    from prefect.settings import get_current_settings

    from flows.regency_flow import nightly

    started, before = time.perf_counter(), newest_run(settings.state) if settings.state.exists() else None
    try:
        summary = nightly(  # a run from a command runs now: no started_at
            config=config,
            **flags,
            full_refresh=options.full_refresh,
            period=options.period,
            allow_empty=options.allow_empty,
            rekey=options.rekey,
        )
    except Exception as error:
        after = newest_run(settings.state) if settings.state.exists() else None
        if after is None or after == before or after[1] != "completed":
            raise
        prefect_failed = one_line(error)  # Prefect failed, not the data
        return Launched(None, time.perf_counter() - started, None, prefect_failed, after[0])
    return Launched(summary, time.perf_counter() - started, get_current_settings().api.url)
