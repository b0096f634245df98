"""Batches of files through read -> structure -> place -> normalise -> validate, across cores, a few at a time.

fastexcel holds the GIL while calamine parses, and most of the rest is Python, so threads
do not add a core; worker processes do, forked from the forkserver (flows/runtime/forkserver.py).
At most `window` batch outcomes are held at once (flows/runtime/pool.py `windowed`), so memory
does not grow with the number of files.

Each file's reading has a time limit (`file_timeout_seconds`): the kernel ends a worker
still on one file past it (SIGALRM, which no Rust or Python code in the worker can hold
off), the file is rejected naming the limit and its batch goes on without it. Each worker's
address space is capped by the kernel (RLIMIT_AS, `worker_memory_mb`): a file that still gets
past the checks of flows/ingest/read.py costs that file (its worker dies or raises MemoryError),
and the run's memory stays bounded (docs/performance.md).
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

import polars as pl

from flows.ingest.batch import crashed, extract_file, merge_outcomes, validate_batch
from flows.ingest.outcomes import BatchOutcome, DiscoveredFile, ExtractedFile
from flows.ingest.place import Gazetteer
from flows.ingest.reasons import READER_CRASHED, TIMED_OUT
from flows.runtime import forkserver
from flows.runtime.pool import HasResult, windowed, worker_count
from flows.runtime.preload import die_with_parent
from flows.settings import Settings

Extract = Callable[[Path, DiscoveredFile, Gazetteer], ExtractedFile]  # `extract_file`, or a test's stand-in


@dataclass(frozen=True)
class Worker:
    """What a worker process reads a batch's files with: sent with each batch (a regency's gazetteer is about 85 kB)."""

    raw_dir: Path
    gazetteer: Gazetteer
    timeout: float
    extract: Extract
    memory_mb: int = Settings.worker_memory_mb

    def read(self, file: DiscoveredFile) -> ExtractedFile:
        """One file extracted, the process ended by the kernel if it takes longer than `timeout` seconds."""
        signal.setitimer(signal.ITIMER_REAL, self.timeout)
        try:
            return self.extract(self.raw_dir, file, self.gazetteer)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)


class Processor(Protocol):
    """Where a run's batches are read: this machine's worker processes (`BatchProcessor`), or a Dask cluster's
    long-lived workers (flows/runtime/warm.py `DaskProcessor`)."""

    raw_dir: Path
    workers: int  # batches read at once

    @property
    def window(self) -> int: ...

    @property
    def where(self) -> str: ...  # for the run's log

    def submit(self, files: list[DiscoveredFile]) -> HasResult[BatchOutcome]: ...

    def process(self, files: list[DiscoveredFile]) -> BatchOutcome: ...

    def __enter__(self) -> Processor: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None: ...


def batches(files: pl.DataFrame, size: int, workers: int = 1) -> list[list[DiscoveredFile]]:
    """Files in discovery order as DiscoveredFile records, in batches of at most `size` files.

    The batches are as even as they can be, and at least one per worker: a batch of 256
    files and one of 159 would keep one worker busy while the other waits.
    """
    records = [
        DiscoveredFile(
            r["source_file"], r["period"], r["sha256"], r["modified_at"], r.get("problem"), r.get("from_branch", False)
        )
        for r in files.iter_rows(named=True)
    ]
    count = min(len(records), max(-(-len(records) // size), workers))
    return [records[i * len(records) // count : (i + 1) * len(records) // count] for i in range(count)]


def _start_worker(memory_mb: int) -> None:
    die_with_parent()  # the forkserver, which dies with the run
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the time limit ends the process, whatever it is running
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    ceiling = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (ceiling if hard == resource.RLIM_INFINITY else min(ceiling, hard), hard))


def _read_in_worker(worker: Worker, file: DiscoveredFile) -> None:
    with contextlib.suppress(Exception):  # only the death of the process matters here
        worker.read(file)


def _process_in_worker(worker: Worker, files: list[DiscoveredFile]) -> BatchOutcome:
    """`process_batch` with each file's reading under the time limit."""
    return validate_batch([worker.read(file) for file in files], worker.gazetteer)


class ReadingPool:
    """Worker processes forked from the forkserver, started with the first batch, replaced when one dies.

    A run's own (`BatchProcessor`), or one kept for every run of a province child's chunk (`kept_pool`):
    a worker is given the regency's `Worker` (its landing zone, gazetteer, time limit) with each batch,
    and keeps only its memory ceiling, so successive regencies' batches go to the same processes.
    """

    def __init__(self, workers: int, memory_mb: int) -> None:
        self.workers, self.memory_mb = workers, memory_mb
        self.pool: ProcessPoolExecutor | None = None
        self.lock = threading.RLock()  # Prefect's task threads may submit and recover batches at once

    def current(self) -> ProcessPoolExecutor:
        """The pool batches go to, started with the first batch: a run with nothing new starts no forkserver."""
        with self.lock:
            if self.pool is None:
                self.pool = self.start()
            return self.pool

    def start(self, workers: int | None = None) -> ProcessPoolExecutor:
        """Worker processes forked from the forkserver: never from one whose polars threads are running."""
        return ProcessPoolExecutor(
            workers or self.workers,
            mp_context=forkserver.start_forkserver(),
            initializer=_start_worker,
            initargs=(self.memory_mb,),
        )

    def replace(self, broken: ProcessPoolExecutor) -> None:
        """A new pool for one that broke, unless another batch's recovery replaced it already."""
        with self.lock:
            if self.pool is broken:
                broken.shutdown(wait=False, cancel_futures=True)
                self.pool = self.start()

    def shutdown(self) -> None:
        """End the worker processes, dropping batches not started (those being read are finished)."""
        with self.lock:
            if self.pool:
                self.pool.shutdown(cancel_futures=True)
            self.pool = None


_kept: ContextVar[ReadingPool | None] = ContextVar("kept_pool", default=None)
_for_process: dict[tuple[int, int], ReadingPool] | None = None  # `keep_for_process`: by processes and ceiling
_FOR_PROCESS = threading.Lock()


def keep_for_process() -> None:
    """Keep `kept_pool`'s pools for this process's life: a long-lived worker's successive units then share them.

    For a Dask worker (flows/runtime/warm.py `dask_setup`), whose units are each a `run_chunk`; the pool's
    processes end with the worker (they die with its forkserver).
    """
    global _for_process
    with _FOR_PROCESS:
        if _for_process is None:
            _for_process = {}


@contextmanager
def kept_pool(settings: Settings) -> Iterator[ReadingPool]:
    """One pool of worker processes for every run inside it that reads in this machine's workers (`local_processor`).

    A province child's regencies are run one after the other: with it they share one pool, one process per
    core (or `settings.workers`), instead of forking and warming new processes for each regency. A worker's
    death still costs only the file that killed it (`BatchProcessor.recover` replaces the pool), and a run that
    fails leaves a new pool to the next (`BatchProcessor.__exit__`). Inside another, the outer one is kept; in a
    process that keeps them (`keep_for_process`), the process's.
    """
    size = (settings.workers or os.cpu_count() or 1, settings.worker_memory_mb)
    with _FOR_PROCESS:
        kept = _kept.get() or (None if _for_process is None else _for_process.setdefault(size, ReadingPool(*size)))
    pool = kept or ReadingPool(*size)
    token = _kept.set(pool)
    try:
        yield pool
    finally:
        _kept.reset(token)
        if kept is None:
            pool.shutdown()


@dataclass(frozen=True)
class InFlight:
    """A batch submitted to the worker processes; its result survives a worker that dies."""

    processor: BatchProcessor
    files: list[DiscoveredFile]
    pool: ProcessPoolExecutor
    future: Future[BatchOutcome]

    def result(self) -> BatchOutcome:
        try:
            return self.future.result()
        except (BrokenProcessPool, MemoryError):  # a worker died, or hit its memory ceiling past the reading
            return self.processor.recover(self.files, self.pool)


def local_processor(settings: Settings, gazetteer: Gazetteer, n_files: int) -> BatchProcessor:
    """`n_files` to read in worker processes of this run, one per core (`worker_count`), or of the kept pool."""
    workers = worker_count(n_files, settings.workers)
    return BatchProcessor(
        settings.raw_dir,
        gazetteer,
        workers,
        settings.file_timeout_seconds,
        memory_mb=settings.worker_memory_mb,
        pool=_kept.get(),
    )


class BatchProcessor:
    """Processes batches of files in `workers` worker processes (at least one: see `worker_count`).

    `file_timeout` bounds each file's reading, in seconds; `extract` reads one file (tests
    pass a stand-in that kills or stalls its worker on a chosen file). The processes are its
    own, or those of `pool` (a `kept_pool`'s, with the same memory ceiling), which it leaves running.
    """

    def __init__(
        self,
        raw_dir: Path,
        gazetteer: Gazetteer,
        workers: int,
        file_timeout: float = Settings.file_timeout_seconds,
        extract: Extract = extract_file,
        memory_mb: int = Settings.worker_memory_mb,
        pool: ReadingPool | None = None,
    ) -> None:
        self.raw_dir, self.gazetteer, self.workers = raw_dir, gazetteer, workers
        self.worker = Worker(raw_dir, gazetteer, file_timeout, extract, memory_mb)
        kept = pool if pool is not None and pool.memory_mb == memory_mb else None  # not one with another ceiling
        self.pools, self.owned = kept or ReadingPool(workers, memory_mb), kept is None

    def __enter__(self) -> BatchProcessor:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        """Its own processes ended; a kept pool's left running, unless the run failed with batches maybe in flight."""
        if self.owned:
            self.pools.shutdown()
        elif kind is not None and self.pools.pool is not None:
            self.pools.replace(self.pools.pool)  # the next run does not wait behind this one's batches

    @property
    def window(self) -> int:
        """How many batches may be in flight: one queued per worker beyond the one it works on."""
        return 2 * self.workers

    @property
    def where(self) -> str:
        return "in this run's worker processes" if self.owned else "in this process's kept reading processes"

    def submit(self, files: list[DiscoveredFile]) -> HasResult[BatchOutcome]:
        """Start processing a batch in a worker process (in a new pool if a worker died since the last batch)."""
        pool = self.pools.current()
        try:
            future = pool.submit(_process_in_worker, self.worker, files)
        except BrokenProcessPool:  # a worker died while this batch waited: its files were never sent
            self.pools.replace(pool)
            pool = self.pools.current()
            future = pool.submit(_process_in_worker, self.worker, files)
        return InFlight(self, files, pool, future)

    def process(self, files: list[DiscoveredFile]) -> BatchOutcome:
        """Process a batch and wait for it."""
        return self.submit(files).result()

    def recover(self, files: list[DiscoveredFile], broken: ProcessPoolExecutor) -> BatchOutcome:
        """A worker died on this batch: find the file that kills a worker, reject it, process the rest.

        A reader can end the whole process (calamine aborts when an allocation fails), and the
        time limit ends a worker stuck on one file: there is no exception to catch, so each file
        of the batch is read alone in a private one-worker pool (another batch's crash cannot
        blame it), and the one that kills it is rejected; the others are processed again as one
        batch, and if that still breaks, one by one. Halving the batch instead cost a crash and
        a new pool per level (about 10 s on a batch of 166 files). The other batches in flight
        recover the same way, with no file to reject.
        """
        with self.pools.lock:
            self.pools.replace(broken)
            culprits = self.culprits(files)
            outcomes = [self.lost(file, culprits[file.source_file]) for file in files if file.source_file in culprits]
            sound = [file for file in files if file.source_file not in culprits]
            return merge_outcomes([*outcomes, *self.whole_or_one_by_one(sound)])

    def culprits(self, files: list[DiscoveredFile]) -> dict[str, float]:
        """The files whose reading alone kills a worker (each read in a private one-worker pool), and when it died."""
        found: dict[str, float] = {}
        probe = self.pools.start(1)
        try:
            for file in files:
                started = time.monotonic()
                try:
                    probe.submit(_read_in_worker, self.worker, file).result()
                except BrokenProcessPool:
                    found[file.source_file] = time.monotonic() - started
                    probe.shutdown(wait=False, cancel_futures=True)
                    probe = self.pools.start(1)
        finally:
            probe.shutdown(wait=False, cancel_futures=True)
        return found

    def lost(self, file: DiscoveredFile, seconds: float) -> BatchOutcome:
        """The outcome of a file whose worker died `seconds` after it was given the file: past the limit, or a crash."""
        limit = self.worker.timeout
        if seconds >= limit:
            return crashed(file, self.gazetteer, TIMED_OUT(seconds=limit))
        return crashed(file, self.gazetteer, READER_CRASHED())

    def whole_or_one_by_one(self, files: list[DiscoveredFile]) -> list[BatchOutcome]:
        """The files as one batch; if a worker dies again (not while reading), each alone: never a loop."""
        if not files:
            return []
        pool = self.pools.current()
        try:
            return [pool.submit(_process_in_worker, self.worker, files).result()]
        except (BrokenProcessPool, MemoryError):
            self.pools.replace(pool)
        outcomes = []
        for file in files:
            pool = self.pools.current()
            started = time.monotonic()
            try:
                outcomes.append(pool.submit(_process_in_worker, self.worker, [file]).result())
            except (BrokenProcessPool, MemoryError):
                outcomes.append(self.lost(file, time.monotonic() - started))
                self.pools.replace(pool)
        return outcomes

    def outcomes(self, all_files: pl.DataFrame, batch_size: int) -> Iterator[BatchOutcome]:
        """Every batch's outcome, in order, at most `window` in flight."""
        return windowed(self.submit, batches(all_files, batch_size, self.workers), self.window)
