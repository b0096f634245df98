"""The nightly schedule fires on a real Prefect server, by itself, through both documented routes.

This is the guard against the lock drifting into a pair under which Prefect's scheduler
creates no flow run (SQLAlchemy 2.1 with Prefect 3.8.8: "Can't evaluate bulk DML statement"
every loop, and a cron deployment that never runs) or its server does not start (fastapi).
Nothing is triggered by hand: a cron must create runs that the `cakupan serve` process and a
process worker (the route of prefect.yaml) pick up and complete. The server is the session's
(tests/conftest.py `prefect_server`); the alerts and a lost server are tested in test_watch.py,
test_heartbeat.py and test_lost_server.py, so that xdist spreads them over its workers.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import yaml
from prefect.workers.process import ProcessWorker

from flows.settings import PROJECT_ROOT
from tests.helpers import CAKUPAN, flow_runs, start, stop, view, wait_until
from tests.helpers import PREFECT_BIN as BIN

# Every 20 seconds: Prefect reads a sixth cron field as seconds (croniter), and cakupan's check of the
# schedule (cronsim) only asks that the expression parse. A one-minute cron made each test wait up to a minute.
# A run that starts while the last one still runs (a run can take longer than 20 s on a loaded machine) fails at
# once on the warehouse's one-run lock (`LOCKED`): that is the lock doing its work, not a fault. The worker takes
# one run at a time (`--limit 1`); `cakupan serve` runs what is due.
EVERY_20S = "* * * * * */20"
BAD = ("FAILED", "CRASHED")
LOCKED = "another cakupan run is using"


def run_until_completed(
    api: str, routes: dict[str, subprocess.Popen[bytes]], seconds: float
) -> dict[str, list[dict[str, Any]]]:
    """The runs of each deployment once it has a completed one (or time runs out), its route (a serve process or a
    worker) stopped then; no run may fail or crash meanwhile, but for the one-run lock."""
    runs: dict[str, list[dict[str, Any]]] = {}

    def completed() -> bool:
        for name, route in routes.items():
            if route.poll() is None:
                runs[name] = found = flow_runs(api, name)
                faults = [
                    (r["name"], r["state_type"], message)
                    for r in found
                    if r["state_type"] in BAD and LOCKED not in (message := r["state"]["message"] or "")
                ]
                assert not faults, (name, faults)
                if any(r["state_type"] == "COMPLETED" for r in found):
                    stop(route)  # no more runs of it
        return all(route.poll() is not None for route in routes.values())

    try:
        wait_until(completed, seconds, every=1)
    finally:
        for route in routes.values():
            stop(route)
    return runs


def test_a_cron_schedule_fires_by_itself_through_serve_and_a_work_pool(
    prefect_server: dict[str, str], demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    raw, truth = demo_zone
    api = prefect_server["PREFECT_API_URL"]
    served_warehouse, pooled_warehouse = tmp_path / "served" / "cakupan.duckdb", tmp_path / "pooled" / "cakupan.duckdb"

    # route 1: `cakupan serve` with a cron
    serve = start(
        [*CAKUPAN, "serve", "--raw", str(raw), "--warehouse", str(served_warehouse), "--schedule", EVERY_20S],
        prefect_server,
        tmp_path / "serve.log",
    )
    # route 2: the project's prefect.yaml, as docs/operations.md tells, on a process work pool
    config = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text())
    deployment = config["deployments"][0]
    config["deployments"] = [deployment]  # the nightly one; the province's are tested in test_province_pool.py
    deployment["name"] = "pooled"
    deployment["parameters"] = {"raw_dir": str(raw), "warehouse": str(pooled_warehouse)}
    deployment["schedules"] = [{"cron": EVERY_20S, "timezone": "Asia/Jakarta"}]
    deployment["work_pool"]["name"] = "cakupan-test"
    prefect_file = tmp_path / "prefect.yaml"
    prefect_file.write_text(yaml.safe_dump(config))
    # the pool `prefect work-pool create cakupan-test --type process` makes, without a process to make it
    pool = {
        "name": "cakupan-test",
        "type": "process",
        "base_job_template": ProcessWorker.get_default_base_job_template(),
    }
    httpx.post(f"{api}/work_pools/", json=pool, timeout=30).raise_for_status()
    prefect = str(BIN / "prefect")
    subprocess.run(
        [prefect, "--no-prompt", "deploy", "--all", "--prefect-file", str(prefect_file)],
        env=prefect_server,
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    worker = start(
        [prefect, "worker", "start", "--pool", "cakupan-test", "--limit", "1"], prefect_server, tmp_path / "worker.log"
    )
    runs = run_until_completed(api, {"nightly": serve, "pooled": worker}, seconds=200)
    logs = {name: (tmp_path / f"{name}.log").read_text()[-3000:] for name in ("serve", "worker")}
    for name, found in runs.items():
        assert any(r["state_type"] == "COMPLETED" for r in found), (name, found, logs)
        assert all(r["auto_scheduled"] for r in found), "every run was created by the scheduler, none by hand"
    assert "bulk DML" not in Path(prefect_server["SERVER_LOG"]).read_text()
    expected = truth.filter(pl.col("period") == "2024-04").select("members").sum().item()
    for warehouse in (served_warehouse, pooled_warehouse):
        got = view(warehouse, "coverage_by_village").filter(pl.col("period") == "2024-04")["members"].sum()
        assert got == expected


def test_serve_after_the_demo_runs_every_night_from_another_directory(
    prefect_server: dict[str, str], demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    """`make demo`'s route (relative paths from the project folder, a key file made on the first run), then
    `cakupan serve` started elsewhere with absolute paths: the scheduled runs take the same key and complete."""
    raw, truth = demo_zone
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    shutil.copytree(raw, project / "raw")
    elsewhere.mkdir()
    # the key file, as `make demo` leaves it; no quiet period, as `cakupan demo` runs on the zone it has just written
    # (with one, a file copied less than a minute before was left for serve's run, and the roster grew: test order)
    env = {k: v for k, v in prefect_server.items() if not k.startswith("CAKUPAN_")} | {"CAKUPAN_QUIET_SECONDS": "0"}
    demo = subprocess.run([*CAKUPAN, "run"], env=env, cwd=project, capture_output=True, text=True)
    assert demo.returncode == 0, demo.stderr
    key_file = project / "warehouse" / ".cakupan" / "pii.key"
    assert key_file.exists()
    warehouse = project / "warehouse" / "cakupan.duckdb"
    ids = view(warehouse, "roster")["person_id"]
    (project / "raw" / "2024-04" / "Cilongok" / "Batuanten.xlsx").touch()  # unchanged bytes: nothing new to read

    serve = start(
        [*CAKUPAN, "serve", "--raw", str(project / "raw"), "--warehouse", str(warehouse), "--schedule", EVERY_20S],
        env,
        tmp_path / "serve.log",
        cwd=elsewhere,
    )
    api = prefect_server["PREFECT_API_URL"]
    runs = run_until_completed(api, {"nightly": serve}, seconds=200)["nightly"]
    mine = [r["state_type"] for r in runs if r["parameters"].get("warehouse") == str(warehouse) and r["auto_scheduled"]]
    assert "COMPLETED" in mine, (mine, (tmp_path / "serve.log").read_text()[-3000:])
    assert "key changed" not in (tmp_path / "serve.log").read_text()
    found = httpx.post(f"{api}/deployments/filter", json={"deployments": {"name": {"any_": ["nightly"]}}}, timeout=10)
    assert [d["paused"] for d in found.json()] == [False]  # serve stopped: the schedule goes on, runs wait as Late
    assert view(warehouse, "roster")["person_id"].equals(ids)  # one key: every person_id kept
    expected = truth.filter(pl.col("period") == "2024-04").select("members").sum().item()
    got = view(warehouse, "coverage_by_village").filter(pl.col("period") == "2024-04")["members"].sum()
    assert got == expected


def test_the_server_scheduler_works_with_the_locked_sqlalchemy() -> None:
    """The pin itself: a lock that lets SQLAlchemy 2.1 back in fails here before the slow test says why."""
    import sqlalchemy

    assert sqlalchemy.__version__.startswith("2.0."), sqlalchemy.__version__
    assert shutil.which("prefect", path=str(BIN)), "the prefect CLI is installed beside this Python"
