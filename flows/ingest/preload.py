"""Imported by the forkserver only: runs the parent's main module there once, so the workers forked from it do not.

Every worker process otherwise re-runs the parent's main module before its first batch
(and so its imports: duckdb for `make bench`, all of Prefect under a deployment's
`prefect.engine`). Preloading `__main__` should prevent that, but is broken before Python
3.13 (CPython gh-126631, gh-137996): the parent passes its main module in MAIN_MODULE and
this module does what that fix does.
"""

from __future__ import annotations

import contextlib
import json
import os
from multiprocessing import current_process, spawn

MAIN_MODULE = "CAKUPAN_FORKSERVER_MAIN"  # JSON: sys_argv, and init_main_from_path or init_main_from_name

if os.environ.get(MAIN_MODULE):
    # marked as a child is while it runs main: an unguarded main that starts processes fails instead of recursing
    current_process()._inheriting = True  # type: ignore[attr-defined]
    # if main fails here, each worker runs it again itself and reports the error there
    with contextlib.suppress(Exception):
        spawn.prepare(json.loads(os.environ[MAIN_MODULE]))
    del current_process()._inheriting  # type: ignore[attr-defined]
