"""`cakupan alerts` and `cakupan watch` on the session's real Prefect server (tests/conftest.py `prefect_server`)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from tests.helpers import CAKUPAN, posts_within, start, state_of, stop, wait_until, webhook
from tests.test_cli import cakupan_here

WATCH_EVERY = 2  # seconds between two looks of the watcher at the server


@pytest.mark.usefixtures("prefect_harness")  # the API of the commands run in this process: the same server
def test_every_failed_run_of_every_flow_is_posted_once_never_replayed_and_a_missed_night_too(
    prefect_server: dict[str, str], demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    """`cakupan alerts` then `cakupan watch` on a real server, a webhook on 127.0.0.1: a failure of each cakupan flow
    posted once and soon; a completed run and a failure from before the watcher never; nothing again on restart. The
    watcher and the province (with its children) are processes of their own; the other commands run in this one."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.alerts import Watched, poll

    empty = tmp_path / "empty"
    empty.mkdir()
    remembered = state_of(tmp_path / "w").parent / "alerts.json"  # what the watcher saves when it starts

    started: list[subprocess.Popen[bytes]] = []  # stopped at the end, whatever happens

    def cakupan(log: str, *args: str) -> subprocess.Popen[bytes]:
        """`cakupan args` started, its output in tmp_path/<log>.log."""
        started.append(start([*CAKUPAN, *args], prefect_server, tmp_path / f"{log}.log"))
        return started[-1]

    def here(*args: str) -> subprocess.CompletedProcess[str]:
        return cakupan_here(*args, env={**os.environ, "PREFECT_API_URL": prefect_server["PREFECT_API_URL"]})

    watcher_log = tmp_path / "watch.log"
    watch = ["watch", "--every", str(WATCH_EVERY), "--warehouse", str(tmp_path / "w")]
    with webhook() as url, contextlib.ExitStack() as cleanup:
        cleanup.callback(lambda: [stop(process) for process in started])
        installed = here("alerts", "--webhook-url", url, "--allow-private-url")
        assert installed.returncode == 0, installed.stdout + installed.stderr
        before = here("run", "--raw", str(empty), "--warehouse", str(tmp_path / "before.duckdb"))
        assert before.returncode == 1  # failed before the watcher ever started: never posted
        watcher = cakupan("watch", *watch)
        assert wait_until(remembered.exists, 120), watcher_log.read_text()  # started: it knows since when
        # the three failing flows and a completed run, at once
        province = cakupan(
            "province", "province", "--raw", str(empty), "--region", "33.02", "--warehouse", str(tmp_path / "p.duckdb")
        )
        chunk = start(  # the chunk flow is no command: called as a province's child would be
            [
                sys.executable,
                "-c",
                "import sys; from flows.province_flow import regency_chunk; "
                "regency_chunk(regencies=['33.02'], raw_dir=sys.argv[1], work_dir=sys.argv[2], "
                "staging_url=sys.argv[2])",
                str(empty),
                str(tmp_path / "work"),
            ],
            prefect_server,
            tmp_path / "chunk.log",
        )
        started.append(chunk)
        failed = here("run", "--raw", str(empty), "--warehouse", str(tmp_path / "c.duckdb"))
        completed = here("run", "--raw", str(demo_zone[0]), "--warehouse", str(tmp_path / "ok.duckdb"))
        for process in (province, chunk):
            process.wait(timeout=300)
        logs = {name: (tmp_path / f"{name}.log").read_text() for name in ("province", "chunk")}
        assert failed.returncode == 1 and "has no files" in failed.stdout + failed.stderr, failed.stdout + failed.stderr
        assert province.returncode == 1, logs["province"]
        assert chunk.returncode != 0 or "Failed" in logs["chunk"], logs["chunk"]
        assert completed.returncode == 0, completed.stdout + completed.stderr
        posted = posts_within(180, until=3)
        posted += posts_within(4 * WATCH_EVERY)  # four more looks at the server: no duplicate
        stop(watcher)
        saved = remembered.stat().st_mtime_ns
        watcher = cakupan("watch", *watch)  # restarted (or reinstalled): nothing replayed
        assert wait_until(lambda: remembered.stat().st_mtime_ns != saved, 120), watcher_log.read_text()
        replayed = posts_within(3 * WATCH_EVERY)  # its first look, and two more
        stop(watcher)
    texts = sorted(post["text"] for post in posted)
    assert len(texts) == 3, (texts, watcher_log.read_text()[-3000:])
    assert [text.split()[1] for text in texts] == ["nightly", "province", "regency-chunk"]
    assert all("Failed" in text.splitlines()[0] for text in texts)
    assert f"landing zone {empty} has no files" in texts[0]
    assert replayed == []

    with temporary_settings(updates={PREFECT_API_URL: prefect_server["PREFECT_API_URL"]}):
        watched = Watched(since=datetime.now(UTC).isoformat())  # the failures above ended before: not due
        later = datetime.now(UTC) + timedelta(hours=27)  # a night and more without a completed run
        due = poll(watched, timedelta(hours=26), later)
        assert [subject for subject, _ in due] == ["cakupan: no completed run"]
        assert poll(watched, timedelta(hours=26), later) == []  # once per missed stretch
        assert poll(watched, timedelta(hours=26), datetime.now(UTC)) == []  # fresh: nothing
