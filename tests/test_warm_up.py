"""The workers' forkserver starts before discovery when the zone holds new files, and not at all when nothing is new."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import polars as pl
import pytest

from flows.regency_run import PlainSteps, run_pipeline
from flows.run_options import RunOptions
from flows.runtime import forkserver
from flows.settings import Settings
from flows.store.paths import PRIVATE_FOLDER
from tests.helpers import ANI, BUDI, write_roster


class RecordingSteps(PlainSteps):
    """Plain steps that note when discovery runs, beside the forkserver's starts."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    def discover(self, raw_dir: Path) -> pl.DataFrame:
        self.events.append("discover")
        return super().discover(raw_dir)


def run(raw: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One run in this process; the order of the forkserver's starts (asked for) and of discovery."""
    events: list[str] = []
    start = forkserver.start_forkserver

    def recorded() -> object:
        events.append("forkserver")
        return start()

    with monkeypatch.context() as patched:
        patched.setattr(forkserver, "start_forkserver", recorded)
        settings = Settings(raw, warehouse, workers=1, quiet_seconds=0.0)
        run_pipeline(settings, f"test-{uuid.uuid4()}", RunOptions(allow_empty=True), RecordingSteps(events))
    return events


def test_the_forkserver_starts_before_discovery_for_new_files_and_not_for_nothing_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "1"]]})
    first = run(raw, warehouse, monkeypatch)
    assert first[:2] == ["forkserver", "discover"], first  # its imports overlap discovery

    assert run(raw, warehouse, monkeypatch) == ["discover"]  # nothing new: no core spent on the workers' imports

    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": [[BUDI, "Budi", "L", "Ketua BPD", "Belum", ""]]})
    assert run(raw, warehouse, monkeypatch)[:2] == ["forkserver", "discover"]


def test_changed_since_last_run_compares_the_zone_with_the_state_database(tmp_path: Path) -> None:
    raw, state = tmp_path / "raw", tmp_path / PRIVATE_FOLDER / "cakupan.state.duckdb"
    village = raw / "2024-04" / "Batuanten.xlsx"
    write_roster(village, {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "1"]]})
    assert forkserver.changed_since_last_run(raw, state)  # no state yet: everything is new

    state.parent.mkdir()
    state.write_bytes(b"")
    os.utime(village, (1_000_000, 1_000_000))
    assert not forkserver.changed_since_last_run(raw, state)

    reference = raw / "reference" / "villages.csv"  # not the landing zone (discovery leaves it out)
    reference.parent.mkdir()
    reference.write_text("code\n")
    assert not forkserver.changed_since_last_run(raw, state)

    wal = state.with_name(f"{state.name}.wal")  # the state's last write may be its write-ahead log
    os.utime(state, (500_000, 500_000))
    wal.write_bytes(b"")
    assert not forkserver.changed_since_last_run(raw, state)

    os.utime(village)  # modified now: after the state's last write
    assert forkserver.changed_since_last_run(raw, state)


def test_validation_is_imported_by_the_readers_forkserver_not_by_the_runs_that_start_them() -> None:
    """pandera (about 2 s with what it imports) is for the processes that read and check files: the forkserver
    preloads it for them, while the province's parent and a regency run's own process (the units on Dask) start
    without it, or pandas."""
    heavy = "sorted({'pandera', 'pandera.polars', 'pandas'} & set(__import__('sys').modules))"
    probe = f"import flows.province_flow, flows.regency_flow, flows.runtime.warm; print({heavy})"
    parent = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert parent.strip() == "[]"
    with ProcessPoolExecutor(1, mp_context=forkserver.start_forkserver()) as pool:
        assert {"pandera", "pandera.polars"} <= set(pool.submit(eval, heavy).result())
