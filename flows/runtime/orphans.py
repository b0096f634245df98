"""Processes a killed run left behind, found and ended by the next run.

A run started from the command line marks every process it starts (the forkserver, the
workers, Prefect's temporary API server) with its own process id in the environment. A
SIGKILLed run can end none of them, and Prefect's temporary server (uvicorn) has no reason
to stop: it kept a port and 250 MB. The next run ends every marked process whose run is
gone. Processes of other users, or not marked, are never touched.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

OWNER = "_CAKUPAN_RUN_OWNER"  # not CAKUPAN_*: those are settings, and unknown ones are refused
PROC = Path("/proc")


def mark_children() -> None:
    """Mark the processes this run will start (they inherit the environment)."""
    os.environ[OWNER] = str(os.getpid())


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_of(pid_dir: Path) -> int | None:
    """The run that started a process, from its environment, if it is ours and readable."""
    try:
        environment = (pid_dir / "environ").read_bytes().split(b"\0")
    except OSError:  # gone, or another user's
        return None
    prefix = f"{OWNER}=".encode()
    marked = next((entry[len(prefix) :] for entry in environment if entry.startswith(prefix)), None)
    return int(marked) if marked and marked.isdigit() else None


def reap_orphans() -> list[int]:
    """SIGKILL every process marked by a run that is no longer alive; return their ids."""
    if not PROC.is_dir():
        return []
    reaped = []
    for pid_dir in PROC.iterdir():
        if not pid_dir.name.isdigit() or int(pid_dir.name) == os.getpid():
            continue
        owner = owner_of(pid_dir)
        if owner is not None and owner != os.getpid() and not is_alive(owner):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(pid_dir.name), signal.SIGKILL)
                reaped.append(int(pid_dir.name))
    return reaped
