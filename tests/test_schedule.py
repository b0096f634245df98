"""The nightly schedule fires on a real Prefect server, by itself, through both documented routes.

This is the guard against the lock drifting into a pair under which Prefect's scheduler
creates no flow run (SQLAlchemy 2.1 with Prefect 3.8.8: "Can't evaluate bulk DML statement"
every loop, and a cron deployment that never runs) or its server does not start (fastapi).
Nothing is triggered by hand: a one-minute cron must create runs that the `cakupan serve`
process and a process worker (the route of prefect.yaml) pick up and complete.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import polars as pl
import pytest
import yaml

from flows.settings import PROJECT_ROOT
from tests.helpers import view

BIN = Path(sys.executable).parent
CAKUPAN = [sys.executable, "-c", "from flows.cli import app; app()"]
EVERY_MINUTE = "* * * * *"
SERVER_START_SECONDS = 180  # 13-17 s here, up to ~75 s on a cold machine while SQLite migrates


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a process started with its own session, and everything it started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def start(command: list[str], env: dict[str, str], log: Path, cwd: Path = PROJECT_ROOT) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def start_server(home: Path, database: str = "") -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """A real `prefect server start` on a free loopback port, its own database (SQLite in `home`, or the
    `database` URL), a 2 s scheduler loop, once it answers; and the environment that points clients
    (serve, worker, prefect CLI) at it."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")},
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api,
        "PREFECT_UI_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_WORKER_PREFETCH_SECONDS": "5",
        **({"PREFECT_API_DATABASE_CONNECTION_URL": database} if database else {}),
    }
    log = home / "server.log"
    process = start([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)], env, log)
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prefect server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return process, {**env, "SERVER_LOG": str(log)}
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop(process)
    pytest.fail(f"prefect server did not answer in {SERVER_START_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A real server for the module (`start_server`); yields the environment that points clients at it."""
    process, env = start_server(tmp_path_factory.mktemp("prefect-home"))
    try:
        yield env
    finally:
        stop(process)


def flow_runs(api: str, deployment: str) -> list[dict[str, object]]:
    """The flow runs of deployment `nightly/<deployment>`, as the server reports them."""
    found = httpx.post(f"{api}/deployments/filter", json={"deployments": {"name": {"any_": [deployment]}}}, timeout=10)
    ids = [d["id"] for d in found.json()]
    if not ids:
        return []
    runs = httpx.post(f"{api}/flow_runs/filter", json={"flow_runs": {"deployment_id": {"any_": ids}}}, timeout=10)
    return list(runs.json())


def wait_for_completed(api: str, deployments: list[str], seconds: float) -> dict[str, list[dict[str, object]]]:
    """Poll until each deployment has a completed flow run (or one fails, or time runs out)."""
    deadline = time.monotonic() + seconds
    while True:
        runs = {name: flow_runs(api, name) for name in deployments}
        states = {name: [r["state_type"] for r in found] for name, found in runs.items()}
        if all("COMPLETED" in s for s in states.values()) or time.monotonic() > deadline:
            return runs
        assert not any("FAILED" in s or "CRASHED" in s for s in states.values()), states
        time.sleep(2)


def test_a_cron_schedule_fires_by_itself_through_serve_and_a_work_pool(
    server: dict[str, str], demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    raw, truth = demo_zone
    api = server["PREFECT_API_URL"]
    served_warehouse, pooled_warehouse = tmp_path / "served" / "cakupan.duckdb", tmp_path / "pooled" / "cakupan.duckdb"

    # route 1: `cakupan serve` with a one-minute cron
    serve = start(
        [*CAKUPAN, "serve", "--raw", str(raw), "--warehouse", str(served_warehouse), "--schedule", EVERY_MINUTE],
        server,
        tmp_path / "serve.log",
    )
    # route 2: the project's prefect.yaml, as docs/operations.md tells, on a process work pool
    config = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text())
    deployment = config["deployments"][0]
    config["deployments"] = [deployment]  # the nightly one; the province's are tested in test_province_pool.py
    deployment["name"] = "pooled"
    deployment["parameters"] = {"raw_dir": str(raw), "warehouse": str(pooled_warehouse)}
    deployment["schedules"] = [{"cron": EVERY_MINUTE, "timezone": "Asia/Jakarta"}]
    deployment["work_pool"]["name"] = "cakupan-test"
    prefect_file = tmp_path / "prefect.yaml"
    prefect_file.write_text(yaml.safe_dump(config))
    prefect = str(BIN / "prefect")
    subprocess.run([prefect, "work-pool", "create", "cakupan-test", "--type", "process"], env=server, check=True)
    subprocess.run(
        [prefect, "--no-prompt", "deploy", "--all", "--prefect-file", str(prefect_file)],
        env=server,
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    worker = start([prefect, "worker", "start", "--pool", "cakupan-test"], server, tmp_path / "worker.log")
    try:
        runs = wait_for_completed(api, ["nightly", "pooled"], seconds=200)
    finally:
        stop(serve)
        stop(worker)
    logs = {name: (tmp_path / f"{name}.log").read_text()[-3000:] for name in ("serve", "worker")}
    for name, found in runs.items():
        assert any(r["state_type"] == "COMPLETED" for r in found), (name, found, logs)
        assert all(r["auto_scheduled"] for r in found), "every run was created by the scheduler, none by hand"
    assert "bulk DML" not in Path(server["SERVER_LOG"]).read_text()
    expected = truth.filter(pl.col("period") == "2024-04").select("members").sum().item()
    for warehouse in (served_warehouse, pooled_warehouse):
        got = view(warehouse, "coverage_by_village").filter(pl.col("period") == "2024-04")["members"].sum()
        assert got == expected


def test_serve_after_the_demo_runs_every_night_from_another_directory(
    server: dict[str, str], demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    """`make demo`'s route (relative paths from the project folder, a key file made on the first run), then
    `cakupan serve` started elsewhere with absolute paths: the scheduled runs take the same key and complete."""
    raw, truth = demo_zone
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    shutil.copytree(raw, project / "raw")
    elsewhere.mkdir()
    env = {k: v for k, v in server.items() if not k.startswith("CAKUPAN_")}  # the key file, as `make demo` leaves it
    demo = subprocess.run([*CAKUPAN, "run"], env=env, cwd=project, capture_output=True, text=True)
    assert demo.returncode == 0, demo.stderr
    key_file = project / "warehouse" / ".cakupan" / "pii.key"
    assert key_file.exists()
    warehouse = project / "warehouse" / "cakupan.duckdb"
    ids = view(warehouse, "roster")["person_id"]
    (project / "raw" / "2024-04" / "Cilongok" / "Batuanten.xlsx").touch()  # unchanged bytes: nothing new to read

    serve = start(
        [*CAKUPAN, "serve", "--raw", str(project / "raw"), "--warehouse", str(warehouse), "--schedule", EVERY_MINUTE],
        env,
        tmp_path / "serve.log",
        cwd=elsewhere,
    )
    api, deadline, mine = server["PREFECT_API_URL"], time.monotonic() + 200, []
    try:
        while time.monotonic() < deadline:
            found = [r for r in flow_runs(api, "nightly") if r["parameters"].get("warehouse") == str(warehouse)]
            mine = [r["state_type"] for r in found if r["auto_scheduled"]]
            if "COMPLETED" in mine or "FAILED" in mine or "CRASHED" in mine:
                break
            time.sleep(2)
    finally:
        stop(serve)
    assert "COMPLETED" in mine, (mine, (tmp_path / "serve.log").read_text()[-3000:])
    assert "FAILED" not in mine and "key changed" not in (tmp_path / "serve.log").read_text()
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


class Hook(http.server.BaseHTTPRequestHandler):
    """A webhook receiver: keeps every JSON body POSTed to it."""

    received: queue.Queue[dict[str, str]] = queue.Queue()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.put(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def posts_within(seconds: float) -> list[dict[str, str]]:
    """Every body the webhook receives within `seconds`."""
    found, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            found.append(Hook.received.get(timeout=left))
        except queue.Empty:
            break
    return found


def test_every_failed_run_of_every_flow_is_posted_once_never_replayed_and_a_missed_night_too(
    server: dict[str, str], demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    """`cakupan alerts` then `cakupan watch` on a real server, a webhook on 127.0.0.1: a failure of each cakupan flow
    posted once and soon; a completed run and a failure from before the watcher never; nothing again on restart."""
    from datetime import UTC, datetime, timedelta

    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.alerts import Watched, poll

    receiver = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    empty = tmp_path / "empty"
    empty.mkdir()

    def cakupan(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*CAKUPAN, *args], env=server, capture_output=True, text=True, timeout=300)

    watcher_log, watch = tmp_path / "watch.log", [*CAKUPAN, "watch", "--every", "2", "--warehouse", str(tmp_path / "w")]
    try:
        installed = cakupan("alerts", "--webhook-url", url, "--allow-private-url")
        assert installed.returncode == 0, installed.stderr
        before = cakupan("run", "--raw", str(empty), "--warehouse", str(tmp_path / "before.duckdb"))
        assert before.returncode == 1  # failed before the watcher ever started: never posted
        watcher = start(watch, server, watcher_log)
        time.sleep(5)
        failed = cakupan("run", "--raw", str(empty), "--warehouse", str(tmp_path / "c.duckdb"))
        assert failed.returncode == 1 and "has no files" in failed.stderr
        province = cakupan(
            "province", "--raw", str(empty), "--region", "33.02", "--warehouse", str(tmp_path / "p.duckdb")
        )
        assert province.returncode == 1, province.stdout
        chunk = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from flows.consolidate import regency_chunk; "
                "regency_chunk(regencies=['33.02'], raw_dir=sys.argv[1], work_dir=sys.argv[2], "
                "staging_url=sys.argv[2])",
                str(empty),
                str(tmp_path / "work"),
            ],
            env=server,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert chunk.returncode != 0 or "Failed" in chunk.stdout + chunk.stderr
        completed = cakupan("run", "--raw", str(demo_zone[0]), "--warehouse", str(tmp_path / "ok.duckdb"))
        assert completed.returncode == 0, completed.stderr
        posted = posts_within(60)
        while len(posted) < 3 and (more := posts_within(30)):
            posted += more
        posted += posts_within(8)  # four more looks at the server: no duplicate
        stop(watcher)
        watcher = start(watch, server, watcher_log)  # restarted (or reinstalled): nothing replayed
        replayed = posts_within(10)
        stop(watcher)
    finally:
        receiver.shutdown()
    texts = sorted(post["text"] for post in posted)
    assert len(texts) == 3, (texts, watcher_log.read_text()[-3000:])
    assert [text.split()[1] for text in texts] == ["nightly", "province", "regency-chunk"]
    assert all("Failed" in text.splitlines()[0] for text in texts)
    assert f"landing zone {empty} has no files" in texts[0]
    assert replayed == []

    with temporary_settings(updates={PREFECT_API_URL: server["PREFECT_API_URL"]}):
        watched = Watched(since=datetime.now(UTC).isoformat())  # the failures above ended before: not due
        later = datetime.now(UTC) + timedelta(hours=27)  # a night and more without a completed run
        due = poll(watched, timedelta(hours=26), later)
        assert [subject for subject, _ in due] == ["cakupan: no completed run"]
        assert poll(watched, timedelta(hours=26), later) == []  # once per missed stretch
        assert poll(watched, timedelta(hours=26), datetime.now(UTC)) == []  # fresh: nothing


def test_a_run_whose_prefect_server_is_lost_finishes_and_its_published_data_stands(
    demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    """The server killed while the run publishes: the run ends within bounded retries, says the data stands."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    process, env = start_server(home)
    warehouse = tmp_path / "wh" / "cakupan.duckdb"
    log = tmp_path / "run.log"
    try:
        run = start([*CAKUPAN, "run", "--raw", str(demo_zone[0]), "--warehouse", str(warehouse)], env, log)
        deadline = time.monotonic() + 300
        while "publishing" not in log.read_text() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)  # the server is gone from here on
        killed = time.monotonic()
        run.wait(timeout=240)  # bounded retries: a run never hangs on a lost server
        print(f"the run ended {time.monotonic() - killed:.1f} s after its server was killed")
    finally:
        stop(process)
    out = log.read_text()
    assert run.returncode == 0, out[-3000:]
    said = " ".join(out.split())  # the console wraps long lines
    assert f"completed and published {warehouse}, but Prefect could not record it" in said, out[-3000:]
    assert view(warehouse, "coverage_by_village").height > 0


def test_a_killed_run_is_marked_crashed_by_its_heartbeats_and_posted_once(
    server: dict[str, str], demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    """A run SIGKILLed mid-way runs no hook: the heartbeat automation marks it Crashed, the watcher posts it."""
    receiver = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    while not Hook.received.empty():  # what earlier tests' watchers posted
        Hook.received.get()
    try:
        installed = subprocess.run(
            [*CAKUPAN, "alerts", "--webhook-url", url, "--allow-private-url", "--silent-after", "90"],
            env=server,
            capture_output=True,
            text=True,
        )
        assert installed.returncode == 0, installed.stderr
        watcher = start(
            [*CAKUPAN, "watch", "--every", "2", "--warehouse", str(tmp_path / "w")], server, tmp_path / "w.log"
        )
        log = tmp_path / "run.log"
        run = start(
            [*CAKUPAN, "run", "--raw", str(demo_zone[0]), "--warehouse", str(tmp_path / "c.duckdb")], server, log
        )
        deadline = time.monotonic() + 120
        while "batches of up to" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(run.pid, signal.SIGKILL)  # as the out-of-memory killer would: no hook, no final state
        run.wait()
        posted = posts_within(1)
        with contextlib.suppress(queue.Empty):  # 90 s of silence, a proactive evaluation, a look by the watcher
            posted.append(Hook.received.get(timeout=240))
        posted += posts_within(10)  # five more looks: no duplicate
        stop(watcher)
    finally:
        receiver.shutdown()
    assert len(posted) == 1, (posted, (tmp_path / "w.log").read_text()[-2000:])
    first = posted[0]["text"]
    assert first.startswith("cakupan: nightly run") and "Crashed" in first.splitlines()[0]
    assert "no heartbeat for 90 s" in first
