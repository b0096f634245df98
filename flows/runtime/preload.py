"""Imported by the forkserver only: runs the parent's main module there once, so the workers forked from it do not.

Every worker process otherwise re-runs the parent's main module before its first batch
(and so its imports: duckdb for `make bench`, all of Prefect under a deployment's
`prefect.engine`). Preloading `__main__` should prevent that, but is broken before Python
3.13 (CPython gh-126631, gh-137996): the parent passes its main module in MAIN_MODULE and
this module does what that fix does.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import threading
import time
from multiprocessing import current_process, spawn

MAIN_MODULE = "CAKUPAN_FORKSERVER_MAIN"  # JSON: sys_argv, and init_main_from_path or init_main_from_name
PR_SET_PDEATHSIG = 1  # prctl(2)


def die_with_parent() -> None:
    """Have the kernel SIGKILL this process when its parent dies (Linux; elsewhere nothing happens).

    For the workers, whose parent is the forkserver's one thread. The forkserver and its
    workers outlived a SIGKILLed run, holding its output open and a core busy; an exit
    handler cannot help, since SIGKILL runs none. Not for the forkserver itself: the kernel
    ties the signal to the thread that started a process, and a Prefect task thread that
    starts the forkserver may end before the run does (see `exit_with_parent`).
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def exit_with_parent(interval: float = 0.5) -> None:
    """End this process soon after its parent process ends, whichever of its threads started it."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


if os.environ.get(MAIN_MODULE):  # only in the forkserver: the environment its parent started it with
    exit_with_parent()
    # marked as a child is while it runs main: an unguarded main that starts processes fails instead of recursing
    current_process()._inheriting = True  # type: ignore[attr-defined]
    # if main fails here, each worker runs it again itself and reports the error there
    with contextlib.suppress(Exception):
        spawn.prepare(json.loads(os.environ[MAIN_MODULE]))
    del current_process()._inheriting  # type: ignore[attr-defined]
