"""The province on a real Prefect server on PostgreSQL: a Dask cluster with two long-lived workers, S3 staging (moto).

Three regencies; a worker killed mid-way through its unit (SIGKILL, while it loads its batches); a re-run
that runs only that regency; a corrected file that re-runs only its regency; a re-run with nothing new that
does nothing; and figures equal to a single-process run of the same files.
"""

from __future__ import annotations

import faulthandler
import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import PREFECT_BIN as BIN
from tests.helpers import (
    build_warehouse,
    free_port,
    prefect_api,
    send_what_is_left,
    start,
    start_server,
    stop,
    wait_until,
)
from tests.province_helpers import (
    CORRECTED,
    REGION,
    figures,
    postgresql,
    postgresql_bin,
    write_correction,
)
from tests.test_cli import cakupan_here
from tests.test_province import largest_first

KEY = "the province's person_id key"


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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A real Prefect server whose database is a PostgreSQL cluster of its own (Debian's package, a free port)."""
    if postgresql_bin() is None:
        pytest.skip("PostgreSQL is not installed (Debian's postgresql package; .ci/run installs it)")
    with postgresql() as database:
        process, env = start_server(tmp_path_factory.mktemp("prefect-home"), database)
        try:
            yield env
        finally:
            send_what_is_left()  # the province runs' last log lines, sent while the server answers
            stop(process)


def unit_runs(api: str) -> list[dict[str, object]]:
    """Every task run of a regency unit (`regency-unit <its regencies>`), the newest last."""
    runs = httpx.post(f"{api}/task_runs/filter", json={"task_runs": {"name": {"like_": "regency-unit"}}}).json()
    return sorted(runs, key=lambda run: str(run["created"]))


def every_run(api: str) -> tuple[list[str], list[str]]:
    """The names of every flow run and every task run on the server."""
    flows = httpx.post(f"{api}/flow_runs/filter", json={"limit": 200}).json()
    tasks = httpx.post(f"{api}/task_runs/filter", json={"limit": 200}).json()
    return [str(run["name"]) for run in flows], [str(run["name"]) for run in tasks]


def unit_log(api: str, unit: dict[str, object]) -> list[str]:
    """The log lines the server holds for a unit's task run (a worker ships them in batches, after they are
    written: waited for until the unit's last line, naming the generation it staged, is there)."""
    lines: list[str] = []

    def arrived() -> bool:
        query = {"logs": {"task_run_id": {"any_": [unit["id"]]}}, "limit": 200}
        lines[:] = [log["message"] for log in httpx.post(f"{api}/logs/filter", json=query, timeout=30).json()]
        return any(" generation " in line for line in lines)

    wait_until(arrived, 60)
    return lines


def kill_worker_when_loading(logs: list[Path], regency: str, ended: threading.Event, killed: list[int]) -> None:
    """SIGKILL the Dask worker process running `regency` once it has loaded its first batch (its pid in `killed`),
    unless the run has `ended` first."""
    pid, name = None, None
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not ended.is_set():
        text = "".join(log.read_text(errors="replace") for log in logs if log.exists())
        if pid is None and (found := re.search(rf"run '([^']+)' - regencies {regency} in process (\d+)", text)):
            name, pid = found.group(1), int(found.group(2))
        if pid is not None and re.search(rf"run '{re.escape(str(name))}' - loaded batch 1 of", text):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            return
        time.sleep(0.05)


def dask_cluster(env: dict[str, str], folder: Path) -> tuple[str, list[subprocess.Popen[bytes]], list[Path]]:
    """A Dask scheduler and two workers (one process, one thread each), as a province runs them; their logs."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    # a killed worker fails its unit at once (Dask's default re-runs it on another worker up to 3 times);
    # a unit goes to a worker only when it is free (as flows/province_flow.py sets for a local cluster)
    scheduler_env = {
        **env,
        "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",
        "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0",
    }
    dask = str(BIN / "dask")
    scheduler = start(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        scheduler_env,
        folder / "scheduler.log",
    )
    logs = [folder / "worker-1.log", folder / "worker-2.log"]
    worker_env = {**env, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    command = [dask, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"]
    workers = [start([*command, "--name", log.stem], worker_env, log) for log in logs]
    return address, [scheduler, *workers], logs


def test_a_province_on_two_warm_dask_workers_a_postgresql_server_and_s3_staging(
    server: dict[str, str],
    s3: dict[str, str],
    province_zones: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    province_zone, zones = province_zones  # the session's province, copied (tests/conftest.py)
    warehouse, work = tmp_path / "published" / "jateng.duckdb", tmp_path / "work"
    # batches of two files, read in the child's own process: the killed child is killed mid-way
    env = {**server, **s3, "CAKUPAN_PII_KEY": KEY, "CAKUPAN_BATCH_SIZE": "2", "CAKUPAN_WORKERS": "1"}
    api = server["PREFECT_API_URL"]
    address, cluster, logs = dask_cluster(env, tmp_path)
    command = [
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
        "--dask-scheduler",
        address,
        "--allow-empty",
    ]

    def province_run() -> subprocess.CompletedProcess[str]:
        """`cakupan province` in this process (its imports paid once, not four times), on the server's API.

        A run that hangs ends this test process after 400 s with every thread's traceback (as the command's
        process was killed then), instead of holding the suite until CI's own limit."""
        faulthandler.dump_traceback_later(400, exit=True)
        try:
            with prefect_api(api):
                return cakupan_here(*command, env=env)
        finally:
            faulthandler.cancel_dump_traceback_later()

    try:
        # run 1: the last regency's child is killed while it loads its batches (units start with the largest: the
        # smallest runs last, once both workers have had one)
        *others, killed_code = largest_first(zones)
        ended, killed = threading.Event(), list[int]()
        killer = threading.Thread(target=kill_worker_when_loading, args=(logs, killed_code, ended, killed))
        killer.start()
        try:
            first = province_run()
        finally:
            ended.set()
            killer.join()
        out = first.stdout + first.stderr
        assert killed, (out[-3000:], [log.read_text()[-3000:] for log in logs])
        assert first.returncode == 1, out[-3000:]
        assert f"{killed_code}: task run" in out and "Crashed: KilledWorker" in out, out[-3000:]
        monkeypatch.setenv("CAKUPAN_PII_KEY", KEY)
        from tests.helpers import query

        assert query(warehouse, "select distinct regency_code from coverage_by_regency order by all") == [
            (code,) for code in sorted(others)
        ]
        units = unit_runs(api)
        assert sorted(str(r["state_type"]) for r in units) == ["COMPLETED", "COMPLETED", "CRASHED"]

        # run 2: only the killed regency runs again; the province is whole
        second = province_run()
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
        assert f"1 unit(s), 1 staged anew ({killed_code})" in second.stdout  # counted from the manifests
        units = unit_runs(api)
        assert len(units) == 4 and units[-1]["state_type"] == "COMPLETED"
        assert units[-1]["name"] == f"regency-unit {killed_code}"
        # one task run a unit, carrying the unit's own log; no child flow run, no task run per step inside it
        log = unit_log(api, units[-1])
        assert any(line.startswith(f"regencies {killed_code} in process ") for line in log), log
        assert any(line.startswith("loaded batch 1 of ") for line in log), log
        assert any(line.startswith(f"regency {killed_code}: staged generation ") for line in log), log
        flow_names, task_names = every_run(api)
        assert len(flow_names) == 2 and sorted(task_names) == sorted(str(unit["name"]) for unit in units)
        single = tmp_path / "single" / "cakupan.duckdb"
        build_warehouse(province_zone, single, region=REGION)
        assert figures(warehouse) == figures(single)

        # run 3: a corrected file re-runs only its regency
        write_correction(province_zone, zones)
        third = province_run()
        assert third.returncode == 0, third.stdout[-3000:] + third.stderr[-3000:]
        assert f"1 staged anew ({CORRECTED})" in third.stdout
        units = unit_runs(api)
        assert len(units) == 5 and units[-1]["name"] == f"regency-unit {CORRECTED}"
        build_warehouse(province_zone, single, region=REGION)
        assert figures(warehouse) == figures(single)

        # run 4: nothing new anywhere: no unit, no publish
        published = warehouse.stat().st_ino
        fourth = province_run()
        assert fourth.returncode == 0, fourth.stdout[-3000:] + fourth.stderr[-3000:]
        assert "0 unit(s)" in fourth.stdout and "not republished" in fourth.stdout
        assert len(unit_runs(api)) == 5
        assert warehouse.stat().st_ino == published
        # both workers took units, and a worker process ran several (five units, three worker processes in all,
        # the killed one's replacement included): its imports and forkserver were kept between them
        texts = [log.read_text(errors="replace") for log in logs]
        assert all("regencies " in text for text in texts), [text[-2000:] for text in texts]
        processes = Counter(re.findall(r"- regencies [\d.,]+ in process (\d+)", "".join(texts)))
        assert sum(processes.values()) == 5 and max(processes.values()) >= 2, processes
    finally:
        for process in cluster:
            stop(process)
