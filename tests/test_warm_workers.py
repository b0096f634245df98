"""Warm workers (flows/runtime/warm.py): a served deployment's runs read their files on one long-lived Dask worker.

Real processes throughout: a real Prefect server (tests/conftest.py `prefect_server`), `cakupan serve` with the
local Dask cluster it keeps, and a real Dask cluster in this process for the hostile file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flows.ingest.batch import extract_file
from flows.ingest.outcomes import DiscoveredFile, ExtractedFile
from flows.ingest.place import Gazetteer
from flows.regency_run import PlainSteps, run_pipeline
from flows.run_options import RunOptions
from flows.runtime.warm import OnDask, local_cluster
from flows.settings import Settings
from tests.helpers import CAKUPAN, build_warehouse, flow_runs, send_late_bpd, start, stop, view, wait_until

READ_ON = re.compile(r"read on Dask worker (\S+) \(process (\d+), forkserver (\d+)\)")
FIGURES = ("coverage_by_group", "coverage_by_village", "verified_coverage_by_group", "budget_gap_total")


def run_deployment(api: str, deployment_id: str, done: int) -> None:
    """Start a run of the deployment now and wait until `done` of its runs completed (none failed)."""
    for _ in range(5):  # a loaded server's SQLite answers 503 while locked; Prefect's own client retries it too
        response = httpx.post(f"{api}/deployments/{deployment_id}/create_flow_run", json={}, timeout=30)
        if response.status_code != 503:
            break
        time.sleep(2)
    response.raise_for_status()

    def completed() -> bool:
        states = [run["state_type"] for run in flow_runs(api, "nightly")]
        assert not {"FAILED", "CRASHED"} & set(states), states
        return states.count("COMPLETED") >= done

    assert wait_until(completed, 240, every=1), flow_runs(api, "nightly")


def read_on(api: str) -> list[tuple[str, str, str]]:
    """Per completed run of `nightly`, oldest first, the Dask worker its batches were read on (from its log)."""
    completed = [run for run in flow_runs(api, "nightly") if run["state_type"] == "COMPLETED"]
    runs = sorted(completed, key=lambda run: run["start_time"])
    found = []
    for run in runs:
        logs = httpx.post(
            f"{api}/logs/filter", json={"logs": {"flow_run_id": {"any_": [run["id"]]}}, "limit": 200}, timeout=30
        ).json()
        found += [match.groups() for log in logs if (match := READ_ON.search(log["message"]))]
    return found


def test_two_served_runs_read_on_the_same_warm_worker_and_publish_the_plain_figures(
    prefect_server: dict[str, str], demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    api, raw = prefect_server["PREFECT_API_URL"], tmp_path / "raw"
    shutil.copytree(demo_zone[0], raw)
    served = tmp_path / "served" / "cakupan.duckdb"
    env = {k: v for k, v in prefect_server.items() if k != "CAKUPAN_DASK_SCHEDULER"}  # serve starts its cluster
    serve = start([*CAKUPAN, "serve", "--raw", str(raw), "--warehouse", str(served)], env, tmp_path / "serve.log")
    try:
        deployments: list[dict[str, str]] = []

        def deployed() -> bool:
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            deployments[:] = httpx.post(f"{api}/deployments/filter", json={}, timeout=10).json()
            return bool(deployments)

        assert wait_until(deployed, 120), (tmp_path / "serve.log").read_text()[-3000:]
        run_deployment(api, deployments[0]["id"], done=1)
        send_late_bpd(raw, "2024-04")  # the second night has a file to read
        run_deployment(api, deployments[0]["id"], done=2)
        # each run read its files, on the cluster's worker; a run's logs reach the server in batches after it ends,
        # so they are waited for while serve runs: stopping it could end a flow run's process before they are sent
        found = wait_until(lambda: len(read_on(api)) == 2, 60)
    finally:
        stop(serve)
    log = (tmp_path / "serve.log").read_text()
    assert found, (read_on(api), log[-3000:])
    first, second = read_on(api)
    assert first == second, log[-3000:]  # the same worker process, with the same forkserver: warm
    assert int(first[1]) not in {serve.pid, os.getpid()}

    plain, plain_raw = tmp_path / "plain" / "cakupan.duckdb", tmp_path / "plain_raw"
    shutil.copytree(demo_zone[0], plain_raw)  # the same two nights, in plain runs in this process
    build_warehouse(plain_raw, plain)
    send_late_bpd(plain_raw, "2024-04")
    build_warehouse(plain_raw, plain)
    for name in FIGURES:
        assert_frame_equal(view(served, name), view(plain, name), check_row_order=False)


class DaskSteps(OnDask, PlainSteps):
    """The plain steps with the batches read on a Dask cluster, by a stand-in for `extract_file`."""


def dies_on_karangsari(raw_dir: Path, file: DiscoveredFile, gazetteer: Gazetteer) -> ExtractedFile:
    """`extract_file`, except that Karangsari's file ends its process (as calamine aborting on a hostile file)."""
    if "Karangsari" in file.source_file:
        os._exit(134)
    return extract_file(raw_dir, file, gazetteer)


def test_a_file_that_kills_its_reader_on_the_warm_worker_costs_that_file_only(
    demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(demo_zone[0], raw)
    monkeypatch.setattr("flows.runtime.warm.extract_file", dies_on_karangsari)  # what the workers are sent
    settings = Settings(raw, tmp_path / "wh" / "cakupan.duckdb", workers=1, quiet_seconds=0.0)
    with local_cluster(threads=1) as address:
        summary = run_pipeline(settings, f"test-{uuid.uuid4()}", RunOptions(allow_empty=True), DaskSteps(address))
    rejected = view(settings.warehouse, "file_reconciliation").filter(pl.col("status") == "ditolak")
    assert sorted(rejected["source_file"].str.contains("Karangsari")) == [True] * rejected.height
    assert rejected.height == summary.counts["files_rejected"] > 0
    assert summary.counts["files_loaded"] > 0  # the other files of its batches


ADVICE_SCRIPT = """
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
from flows.runtime.warm import local_cluster
if __name__ == "__main__":  # the forkserver imports this as the main module
    with local_cluster(1):
        pass
"""


def test_a_local_cluster_logs_no_dashboard_address_nor_advice_to_install_a_package(tmp_path: Path) -> None:
    """`serve`'s log carried a dashboard's address where none runs, and advice to install jupyter-server-proxy."""
    script = tmp_path / "advice.py"
    script.write_text(ADVICE_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Scheduler at:" in done.stderr  # Dask's own lines are logged: only the advice is dropped
    assert "dashboard at:" not in done.stderr and "jupyter-server-proxy" not in done.stderr, done.stderr
