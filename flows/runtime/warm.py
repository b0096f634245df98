"""A run's batches read on the long-lived workers of a Dask cluster, whose forkserver stays warm from run to run.

A deployment's flow run is a new process each night (`cakupan serve` spawns one per run), so a
forkserver started inside it imports polars and pandera again every night: about 2 s of a core,
more than the whole read of a regency month. With a Dask scheduler configured (`dask_scheduler`;
`cakupan serve` starts a local cluster for its lifetime when none is), a run sends each batch to a
Dask worker instead (`DaskProcessor`): a long-lived process whose forkserver started with it
(`dask_setup`, Dask's preload hook) and stays. There a batch is read as on the run's own machine
(`read_batch`): in a process forked from that forkserver, under the same memory ceiling and time
limit, a file that kills its process costing that file (flows/ingest/workers.py). The run's own
process keeps discovery, loading the outcomes and the publish; only batches and outcomes travel.

`distributed` is imported with this module, and so with the flow's, as polars and Prefect are: imported in a
thread during the run's checks, it took their Python time (docs/performance.md, third round).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

import dask
import distributed

from flows.ingest.batch import extract_file
from flows.ingest.outcomes import BatchOutcome, DiscoveredFile
from flows.ingest.place import Gazetteer
from flows.ingest.workers import BatchProcessor, Processor, Worker, keep_for_process, local_processor
from flows.runtime import forkserver
from flows.runtime.pool import HasResult, worker_count
from flows.settings import Settings

# a Dask worker runs its tasks in a daemonic process by default, which may not start children (a batch's reading
# process, a province unit's forkserver); a task goes to a worker only when the worker has a free thread
# not daemonic: a unit starts its own reading processes; no statistical profiler: it sampled every thread every
# 10 ms for a dashboard nobody opens (about 3 CPU-s of a 35-regency province, py-spy on its workers)
CLUSTER_CONFIG = {
    "distributed.worker.daemon": False,
    "distributed.worker.profile.enabled": False,
    "distributed.scheduler.worker-saturation": 1.0,
}
# the workers of `local_cluster` start their forkserver as they start (`dask_setup`)
PRELOAD = {"distributed.worker.preload": [__name__]}
CONNECT_SECONDS = 30  # to reach the scheduler before the run fails


# lines Dask and prefect-dask log that a cakupan log should not carry: a dashboard's address where the clusters run
# with none (`dashboard_address=None` here, `--no-dashboard` in docs/operations.md), and advice to install a package
DASK_ADVICE = ("The Dask dashboard is available at ", "dashboard at:", "To route to workers diagnostics web server")
ADVISING_LOGGERS = ("prefect.task_runner.dask", "distributed.http.proxy", "distributed.scheduler", "distributed.worker")


class DropDaskAdvice(logging.Filter):
    """Drops DASK_ADVICE's lines, passes every other."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().lstrip().startswith(DASK_ADVICE)


for _name in ADVISING_LOGGERS:  # before a cluster or client is made: the proxy's line is logged as it is imported
    logging.getLogger(_name).addFilter(DropDaskAdvice())


# the worker's own periodic checks, slowed: its system monitor (psutil's CPU, memory, network and disk counters,
# for a dashboard and memory limits this cluster does not use) and its event loop's health check; with both every
# 0.5 s and 20 ms they took about 2% of a core a worker (py-spy, a 17-regency province)
QUIET_CALLBACKS_MS = {"monitor": 5000, "tick": 1000}


def dask_setup(worker: distributed.Worker) -> None:
    """Dask's preload hook (`dask worker --preload flows.runtime.warm`): the forkserver started with the worker, the
    reading pool of a province unit kept for the next unit (flows/ingest/workers.py `keep_for_process`), and the
    worker's own periodic checks slowed (QUIET_CALLBACKS_MS)."""
    forkserver.start_forkserver()
    keep_for_process()
    for name, milliseconds in QUIET_CALLBACKS_MS.items():
        if name in worker.periodic_callbacks:
            worker.periodic_callbacks[name].callback_time = milliseconds


def read_batch(worker: Worker, files: list[DiscoveredFile]) -> BatchOutcome:
    """On a Dask worker: one batch, read in a process forked from this worker's forkserver (started once, kept)."""
    with BatchProcessor(worker.raw_dir, worker.gazetteer, 1, worker.timeout, worker.extract, worker.memory_mb) as one:
        return one.process(files)


def processes() -> dict[str, int | None]:
    """On a Dask worker: its process id and its forkserver's (what stays the same from run to run)."""
    return {"process": os.getpid(), "forkserver": forkserver.forkserver_pid()}


def connect(address: str) -> distributed.Client:
    """A client of the scheduler at `address`; a run that cannot reach it, or finds something else there, fails
    naming it within about CONNECT_SECONDS.

    Dask's own timeout covers a closed port, not an open one whose server never answers Dask's handshake (a
    Prefect server's port given by mistake: the client waits for ever), so the attempt runs in a daemon thread
    the run stops waiting for.
    """
    made: list[distributed.Client | BaseException] = []

    def attempt() -> None:
        try:
            made.append(distributed.Client(address, set_as_default=False, timeout=CONNECT_SECONDS))  # type: ignore[no-untyped-call]
        except BaseException as error:  # handed to the run's thread
            made.append(error)

    thread = threading.Thread(target=attempt, name="dask-connect", daemon=True)
    thread.start()
    thread.join(CONNECT_SECONDS + 5)
    if not made:
        raise OSError(
            f"the Dask scheduler {address} (dask_scheduler) does not answer as a Dask scheduler "
            f"after {CONNECT_SECONDS} s: is it the scheduler's address and port?"
        )
    if isinstance(made[0], OSError):
        raise OSError(
            f"the Dask scheduler {address} (dask_scheduler) cannot be reached: {made[0]}; is it running there "
            '(`dask scheduler`, docs/operations.md "A province"), or is the address another\'s?'
        ) from None
    if isinstance(made[0], BaseException):
        raise made[0]
    return made[0]


class DaskProcessor:
    """A run's batches sent to the Dask cluster of `client` (`read_batch`), `workers` at once; the client closed at
    the end."""

    def __init__(self, client: distributed.Client, worker: Worker, workers: int) -> None:
        self.client, self.worker, self.workers, self.raw_dir = client, worker, workers, worker.raw_dir

    def __enter__(self) -> DaskProcessor:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.client.close()  # type: ignore[no-untyped-call]

    @property
    def window(self) -> int:
        """How many batches may be in flight: one queued beyond each being read."""
        return 2 * self.workers

    @property
    def where(self) -> str:
        """The Dask workers batches go to, with their process and forkserver ids: the same from run to run."""
        found = self.client.run(processes)
        return "on Dask " + "; ".join(
            f"worker {address} (process {ids['process']}, forkserver {ids['forkserver']})"
            for address, ids in sorted(found.items())
        )

    def submit(self, files: list[DiscoveredFile]) -> HasResult[BatchOutcome]:
        """Send a batch to a free Dask worker; its outcome comes back when read."""
        future: HasResult[BatchOutcome] = self.client.submit(read_batch, self.worker, files, pure=False)
        return future

    def process(self, files: list[DiscoveredFile]) -> BatchOutcome:
        """Read a batch on a Dask worker and wait for it."""
        return self.submit(files).result()


class OnDask:
    """Steps whose batches are read on the long-lived workers of the Dask cluster at `self.scheduler`.

    Mixed into a run's steps (flows/regency_run.py `Steps`) before them. Nothing to warm up in the run: a run with
    files to read connects when it has them (a few milliseconds), a run with nothing new never does.
    """

    scheduler: str

    def __init__(self, scheduler: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scheduler = scheduler

    def warm_up(self, settings: Settings) -> None:
        return None

    def processor(self, settings: Settings, gazetteer: Gazetteer, n_files: int) -> Processor:
        if not n_files:  # nothing to read, here or there
            return local_processor(settings, gazetteer, n_files)
        client = connect(self.scheduler)
        worker = Worker(
            settings.raw_dir, gazetteer, settings.file_timeout_seconds, extract_file, settings.worker_memory_mb
        )
        threads = sum(client.nthreads().values())  # type: ignore[no-untyped-call]
        return DaskProcessor(client, worker, worker_count(n_files, settings.workers, cores=threads))


@contextmanager
def local_cluster(threads: int | None = None) -> Iterator[str]:
    """A Dask cluster of one worker process on this machine while inside (`threads` batches at once, one per core
    by default), its forkserver started with it; the scheduler's address."""
    # memory_limit 0: the reading processes have their own ceiling (worker_memory_mb); no restart by the nanny
    cluster = {"n_workers": 1, "threads_per_worker": threads or os.cpu_count() or 1, "memory_limit": 0}
    with (
        dask.config.set({**CLUSTER_CONFIG, **PRELOAD}),
        distributed.LocalCluster(  # type: ignore[no-untyped-call]
            **cluster, processes=True, host="127.0.0.1", dashboard_address=None
        ) as running,
    ):
        yield running.scheduler_address
