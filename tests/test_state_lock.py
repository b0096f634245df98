"""A reader holding the state database open: the run fails in one line and is recorded when it can be (issue 26)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from flows.run_options import RunFailedError
from tests.helpers import ANI, build_warehouse, query, state_of, write_roster
from tests.test_cli import cakupan, harness_env

HOLDER = (
    "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
    "print('ready', flush=True); time.sleep(300)"
)


@contextmanager
def held_read_only(database: Path) -> Iterator[int]:
    """Another process holds `database` open read-only (as the DuckDB CLI with -readonly would) while inside."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(database)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        yield holder.pid
    finally:
        holder.kill()
        holder.wait()


@pytest.fixture
def zone(tmp_path: Path) -> tuple[Path, Path]:
    write_roster(
        tmp_path / "raw" / "2024-04" / "Cilongok" / "Batuanten.xlsx",
        {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", ""]]},
    )
    warehouse = tmp_path / "wh" / "cakupan.duckdb"
    build_warehouse(tmp_path / "raw", warehouse)
    return tmp_path / "raw", warehouse


def test_a_run_blocked_by_a_reader_fails_in_one_line_and_is_recorded_later(zone: tuple[Path, Path]) -> None:
    raw, warehouse = zone
    with held_read_only(state_of(warehouse)) as pid, pytest.raises(RunFailedError) as failed:
        build_warehouse(raw, warehouse)
    message = str(failed.value)
    assert message == (
        f"the state database {state_of(warehouse)} is held open by process {pid}; "
        "only the flow opens it: close that session and run again"
    )
    build_warehouse(raw, warehouse)  # the reader is gone: this run records the blocked one, then its own
    runs = query(state_of(warehouse), "select status, message from runs order by started_at")
    assert [status for status, _ in runs] == ["completed", "failed", "completed"] and runs[1][1] == message


@pytest.mark.usefixtures("prefect_harness")
def test_the_command_prints_one_line_without_a_traceback(zone: tuple[Path, Path]) -> None:
    raw, warehouse = zone
    with held_read_only(state_of(warehouse)) as pid:
        done = cakupan("run", "--raw", str(raw), "--warehouse", str(warehouse), env=harness_env())
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert done.stderr.splitlines()[-1].startswith(
        f"cakupan run failed: the state database {state_of(warehouse)} is held open by process {pid}"
    )
