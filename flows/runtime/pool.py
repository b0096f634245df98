"""How many worker processes, and results taken in order with a bounded number in flight (windowing).

At most `window` results are held at once, so memory does not grow with the number of items.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R", covariant=True)
MIN_FILES_PER_WORKER = 32  # fewer files (about 0.1 s of work) are not worth starting a worker for


class HasResult(Protocol[R]):
    """A future of either kind: concurrent.futures or Prefect."""

    def result(self) -> R: ...


def worker_count(n_files: int, configured: int = 0, cores: int | None = None) -> int:
    """`configured` when set; else one per core while each gets MIN_FILES_PER_WORKER files, and at least one.

    Files are always read in worker processes, never in the run's own: calamine aborts the
    process on some files, and a worker's death costs that file, not the run.
    """
    if configured:
        return configured
    return max(1, min(cores or os.cpu_count() or 1, n_files // MIN_FILES_PER_WORKER))


def windowed(submit: Callable[[T], HasResult[R]], items: Iterable[T], window: int) -> Iterator[R]:
    """Results of `submit(item)` in order, with at most `window` submitted and not yet taken."""
    pending: deque[HasResult[R]] = deque()
    for item in items:
        pending.append(submit(item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
