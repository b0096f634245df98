"""A killed run marked Crashed by the heartbeat automation and posted by the watcher, on the session's real Prefect
server (tests/conftest.py `prefect_server`: runs send a heartbeat every 30 s, Prefect's minimum)."""

from __future__ import annotations

import os
import signal
from datetime import timedelta
from pathlib import Path

import polars as pl

from tests.helpers import CAKUPAN, posts_within, start, stop, wait_until, webhook

# `cakupan alerts` refuses less than 90 s (a minute between heartbeats in production); the automation it installs
# is the same whatever the length, so the test installs it with `install_alerts` for a shorter wait.
SILENT_AFTER = timedelta(seconds=40)


def test_a_killed_run_is_marked_crashed_by_its_heartbeats_and_posted_once(
    prefect_server: dict[str, str], demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    """A run SIGKILLed mid-way runs no hook: the heartbeat automation marks it Crashed, the watcher posts it."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.alerts import install_alerts

    with webhook() as url:
        with temporary_settings(updates={PREFECT_API_URL: prefect_server["PREFECT_API_URL"]}):
            install_alerts(url, SILENT_AFTER, allow_private_url=True)
        watcher = start(
            [*CAKUPAN, "watch", "--every", "2", "--warehouse", str(tmp_path / "w")], prefect_server, tmp_path / "w.log"
        )
        log = tmp_path / "run.log"
        run = start(
            [*CAKUPAN, "run", "--raw", str(demo_zone[0]), "--warehouse", str(tmp_path / "c.duckdb")],
            prefect_server,
            log,
        )
        try:
            wait_until(lambda: " at once, read " in log.read_text() or run.poll() is not None, 120, every=0.05)
            os.killpg(run.pid, signal.SIGKILL)  # as the out-of-memory killer would: no hook, no final state
            run.wait()
            # the silence, a proactive evaluation (every 2 s here), a look by the watcher
            posted = posts_within(SILENT_AFTER.total_seconds() + 180, until=1)
            posted += posts_within(10)  # five more looks: no duplicate
        finally:
            stop(run)
            stop(watcher)
    assert len(posted) == 1, (posted, log.read_text()[-2000:], (tmp_path / "w.log").read_text()[-2000:])
    first = posted[0]["text"]
    assert first.startswith("cakupan: nightly run") and "Crashed" in first.splitlines()[0]
    assert f"no heartbeat for {SILENT_AFTER.total_seconds():.0f} s" in first
