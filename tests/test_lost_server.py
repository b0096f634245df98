"""A run whose Prefect server dies under it (a server of its own: this test kills it)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import polars as pl

from tests.helpers import CAKUPAN, start, start_server, stop, view, wait_until


def test_a_run_whose_prefect_server_is_lost_finishes_and_its_published_data_stands(
    demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path, server_template: Path
) -> None:
    """The server killed while the run publishes: the run ends within bounded retries, says the data stands."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    process, env = start_server(home, template=server_template)
    warehouse = tmp_path / "wh" / "cakupan.duckdb"
    log = tmp_path / "run.log"
    try:
        run = start([*CAKUPAN, "run", "--raw", str(demo_zone[0]), "--warehouse", str(warehouse)], env, log)
        wait_until(lambda: "publishing" in log.read_text() or run.poll() is not None, 300, every=0.05)
        os.killpg(process.pid, signal.SIGKILL)  # the server is gone from here on
        run.wait(timeout=240)  # bounded retries: a run never hangs on a lost server
    finally:
        stop(process)
    out = log.read_text()
    assert run.returncode == 0, out[-3000:]
    said = " ".join(out.split())  # the console wraps long lines
    assert f"completed and published {warehouse}, but Prefect could not record it" in said, out[-3000:]
    assert view(warehouse, "coverage_by_village").height > 0
