"""A run that finds nothing new does the least it can: no refresh, no publish, and the warehouse is not opened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.store import paths, state_current
from tests.helpers import ANI, BUDI, build_warehouse, write_roster


def test_nothing_new_neither_refreshes_nor_opens_the_warehouse_and_shows_the_same_coverage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "1"]]})
    first = build_warehouse(raw, warehouse)
    assert first.coverage.height == 1

    def no_refresh(*_: Any) -> None:
        raise AssertionError("refreshed though nothing was recorded since the last publish")

    connect = duckdb.connect

    def not_the_warehouse(database: Any = ":memory:", *args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        assert Path(str(database)) != warehouse, "opened the warehouse"
        return connect(database, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(state_current, "refresh_current", no_refresh)
        patched.setattr(duckdb, "connect", not_the_warehouse)
        # the path guard's own look at the file's tables (tests/test_paths.py) is not the summary's reading
        patched.setattr(paths, "holds_state", lambda _: False)
        again = build_warehouse(raw, warehouse)
    assert again.coverage.equals(first.coverage)  # kept by the publisher in the state database

    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": [[BUDI, "Budi", "L", "Ketua BPD", "Belum", ""]]})
    changed = build_warehouse(raw, warehouse)  # a new version: refreshed and published, its coverage shown
    assert changed.coverage.select("members", "enrolled").rows() == [(1, 0)]
