"""The province on a real Prefect server: a process work pool with two workers, staging on S3 (moto on loopback).

Three regencies; a child killed mid-way (SIGKILL, while it loads its batches); a re-run that runs only
that regency; a corrected file that re-runs only its regency; a re-run with nothing new that does
nothing; and figures equal to a single-process run of the same files.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from flows.settings import PROJECT_ROOT
from tests.helpers import build_warehouse
from tests.province_helpers import CORRECTED, REGION, figures, write_correction, write_province
from tests.test_schedule import BIN, free_port, server, start, stop  # noqa: F401 (server: the fixture)

KEY = "the province's person_id key"
POOL = "cakupan-province-test"
KILLED = "33.03"
CAKUPAN = [sys.executable, "-c", "from flows.cli import app; app()"]


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """An S3-compatible endpoint (moto's server) on a free loopback port, with a bucket; yields its environment."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    process = start([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], dict(os.environ), log)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.put(f"{endpoint}/cakupan", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail(f"moto did not start:\n{log.read_text()[-2000:]}")
        yield {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ALLOW_HTTP": "true",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "us-east-1",
        }
    finally:
        stop(process)


def child_runs(api: str) -> list[dict[str, object]]:
    """Every flow run of the regency-chunk deployment."""
    found = httpx.post(f"{api}/deployments/filter", json={"deployments": {"name": {"any_": ["regency-chunk"]}}})
    ids = [d["id"] for d in found.json()]
    runs = httpx.post(f"{api}/flow_runs/filter", json={"flow_runs": {"deployment_id": {"any_": ids}}})
    return list(runs.json())


def kill_child_when_loading(logs: list[Path], regency: str, process: subprocess.Popen[bytes]) -> bool:
    """SIGKILL the child flow run of `regency` once it has loaded its first batch; True if it was killed."""
    pid, name = None, None
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        text = "".join(log.read_text(errors="replace") for log in logs if log.exists())
        if pid is None and (found := re.search(rf"Flow run '([^']+)' - regencies {regency} in process (\d+)", text)):
            name, pid = found.group(1), int(found.group(2))
        if pid is not None and re.search(rf"Flow run '{re.escape(str(name))}' - loaded batch 1 of", text):
            os.kill(pid, signal.SIGKILL)
            return True
        time.sleep(0.05)
    return False


def test_a_province_through_a_work_pool_with_two_workers_and_s3_staging(
    server: dict[str, str],  # noqa: F811
    s3: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    province_zone, zones = write_province(tmp_path)
    warehouse, work = tmp_path / "published" / "jateng.duckdb", tmp_path / "work"
    # batches of two files, read in the child's own process: the killed child is killed mid-way
    env = {**server, **s3, "CAKUPAN_PII_KEY": KEY, "CAKUPAN_BATCH_SIZE": "2", "CAKUPAN_WORKERS": "1"}
    api = server["PREFECT_API_URL"]
    prefect = str(BIN / "prefect")
    subprocess.run([prefect, "work-pool", "create", POOL, "--type", "process"], env=env, check=True)
    config = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text())
    config["deployments"] = [d for d in config["deployments"] if d["name"] == "regency-chunk"]
    config["deployments"][0]["work_pool"]["name"] = POOL
    prefect_file = tmp_path / "prefect.yaml"
    prefect_file.write_text(yaml.safe_dump(config))
    subprocess.run(
        [prefect, "--no-prompt", "deploy", "--all", "--prefect-file", str(prefect_file)],
        env=env,
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    workers = [
        start([prefect, "worker", "start", "--pool", POOL, "--name", log.stem, "--limit", "1"], env, log)
        for log in logs
    ]
    command = [
        *CAKUPAN,
        "province",
        "--raw",
        str(zones),
        "--warehouse",
        str(warehouse),
        "--region",
        REGION,
        "--staging",
        "s3://cakupan/staging",
        "--work-dir",
        str(work),
        "--child-concurrency",
        "2",
        "--allow-empty",
    ]

    def province_run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=400)

    try:
        # run 1: the third regency's child is killed while it loads its batches
        first = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        killed = kill_child_when_loading(logs, KILLED, first)
        out = first.communicate(timeout=400)[0].decode()
        assert killed, (out[-3000:], [log.read_text()[-3000:] for log in logs])
        assert first.returncode == 1, out[-3000:]
        assert f"{KILLED}: flow run" in out and "Crashed" in out, out[-3000:]
        monkeypatch.setenv("CAKUPAN_PII_KEY", KEY)
        from tests.helpers import query

        assert query(warehouse, "select distinct regency_code from coverage_by_regency order by all") == [
            ("33.01",),
            ("33.02",),
        ]
        runs = child_runs(api)
        assert len(runs) == 3
        assert sorted(str(r["state_type"]) for r in runs) == ["COMPLETED", "COMPLETED", "CRASHED"]

        # run 2: only the killed regency runs again; the province is whole
        second = province_run()
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
        assert f"1 child run(s), 1 staged anew ({KILLED})" in second.stdout  # counted from the pool's children
        runs = child_runs(api)
        assert len(runs) == 4
        newest = max(runs, key=lambda r: str(r["created"]))
        assert newest["parameters"]["regencies"] == [KILLED] and newest["state_type"] == "COMPLETED"
        single = tmp_path / "single" / "cakupan.duckdb"
        build_warehouse(province_zone, single, region=REGION)
        assert figures(warehouse) == figures(single)

        # run 3: a corrected file re-runs only its regency
        write_correction(province_zone, zones)
        third = province_run()
        assert third.returncode == 0, third.stdout[-3000:] + third.stderr[-3000:]
        assert f"1 staged anew ({CORRECTED})" in third.stdout
        runs = child_runs(api)
        assert len(runs) == 5
        newest = max(runs, key=lambda r: str(r["created"]))
        assert newest["parameters"]["regencies"] == [CORRECTED]
        build_warehouse(province_zone, single, region=REGION)
        assert figures(warehouse) == figures(single)

        # run 4: nothing new anywhere: no child run, no publish
        published = warehouse.stat().st_ino
        fourth = province_run()
        assert fourth.returncode == 0, fourth.stdout[-3000:] + fourth.stderr[-3000:]
        assert "0 child run(s)" in fourth.stdout and "not republished" in fourth.stdout
        assert len(child_runs(api)) == 5
        assert warehouse.stat().st_ino == published
        # both workers took child runs (each runs one at a time: --limit 1)
        assert all("regencies " in log.read_text() for log in logs), [log.read_text()[-2000:] for log in logs]
    finally:
        for worker in workers:
            stop(worker)
