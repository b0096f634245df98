"""The forkserver worker processes fork from: the pipeline imported once, started early when new files are likely.

Worker processes fork from a forkserver that has imported the pipeline once (about 1.5 s:
polars and pandera) and run the parent's main module once (`flows/runtime/preload.py`).
When the zone likely holds new files (`warm_up`), a run starts it before its own checks and
discovery, and `cakupan run` before Prefect starts up, so those imports overlap work that
happens anyway.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import multiprocessing.forkserver
import multiprocessing.spawn
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flows.ingest.discover import NOT_LANDING
from flows.runtime.preload import MAIN_MODULE

# A worker is one of about as many processes as cores: polars threads in it would only contend.
WORKER_ENVIRONMENT = {"POLARS_MAX_THREADS": "1"}
MAIN_MODULE_KEYS = ("sys_argv", "init_main_from_path", "init_main_from_name")  # main may read its arguments
STARTING = threading.Lock()  # a Dask worker's threads start it at once: one sets the environment at a time


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """`values` set in os.environ (and so inherited by processes started) while inside."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def main_module() -> dict[str, str]:
    """How a child process finds this process's main module, as multiprocessing tells it (flows/runtime/preload.py)."""
    prepared = multiprocessing.spawn.get_preparation_data("forkserver")
    return {key: value for key, value in prepared.items() if key in MAIN_MODULE_KEYS}


def start_forkserver() -> multiprocessing.context.ForkServerContext:
    """The forkserver workers fork from, started now (it imports the pipeline in the background)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["flows.runtime.preload", "flows.ingest.batch", "pandera.polars"])
    with STARTING, environment({**WORKER_ENVIRONMENT, MAIN_MODULE: json.dumps(main_module())}):
        multiprocessing.forkserver.ensure_running()
    return context


def forkserver_pid() -> int | None:
    """The process id of this process's forkserver, if it started one."""
    return getattr(multiprocessing.forkserver._forkserver, "_forkserver_pid", None)


def changed_since_last_run(raw_dir: Path, state_path: Path) -> bool:
    """Whether a file of the landing zone was modified since the state database was last written (or there is none).

    A hint, never a decision: what is new is decided by content (discovery's sha256). A copy
    that keeps old times is new but not seen here, and a touched file is seen but not new.
    """
    written = [
        path.stat().st_mtime for path in (state_path, state_path.with_name(f"{state_path.name}.wal")) if path.exists()
    ]
    if not written:
        return True
    since = max(written)
    for folder, folders, files in os.walk(raw_dir):
        if folder == str(raw_dir):
            folders[:] = [name for name in folders if name not in NOT_LANDING]
        for name in files:
            with contextlib.suppress(OSError):  # gone or unreadable: discovery says so
                if (Path(folder) / name).lstat().st_mtime >= since:
                    return True
    return False


def warm_up(raw_dir: Path, state_path: Path) -> bool:
    """Start the forkserver now when the zone likely holds new files (`changed_since_last_run`); True if started.

    Its imports (about 2 s of one core: polars, pandera) then overlap what the run does before
    its first batch anyway: the state's checks, discovery and its hashing. A run that then finds
    nothing new has not spent a core on them; a run whose files were missed by the hint starts
    the forkserver with its first batch, as before.
    """
    if not changed_since_last_run(raw_dir, state_path):
        return False
    start_forkserver()
    return True
