"""How the state database and the analyst warehouse are stored: row groups, write-ahead log, settings."""

from __future__ import annotations

from pathlib import Path

from flows import load, publish
from flows.settings import state_path_for
from tests.helpers import ANI, build_warehouse, query, write_roster


def test_the_state_database_keeps_small_row_groups_across_opens(tmp_path: Path) -> None:
    """DuckDB scans a row group per thread: a regency month must be several row groups, not one."""
    state = tmp_path / "state.duckdb"
    rows = 3 * load.STATE_ROW_GROUP_SIZE
    for _ in range(2):  # the option lasts while the file is attached, so each open must give it
        with load.connect_state(state) as con:
            con.execute(f"create or replace table numbers as select range as n from range({rows})")
            con.execute("checkpoint")
            groups = con.sql("select count(distinct row_group_id) from pragma_storage_info('numbers')").fetchall()
        assert groups == [(3,)]


def test_publish_leaves_no_write_ahead_log_and_restores_the_checkpoint_threshold(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "1"]]})
    build_warehouse(raw, warehouse)
    assert sorted(path.name for path in warehouse.parent.iterdir() if path.is_file()) == ["cakupan.duckdb"]
    assert query(warehouse, "select count(*) from roster") == [(1,)]
    with load.connect_state(state_path_for(warehouse)) as con:
        publish.publish(con, warehouse, b"key", "again", 80.0)
        threshold = con.sql("select current_setting('checkpoint_threshold')").fetchall()
    assert threshold == [("16.0 MiB",)]  # DuckDB's default again: the state database's commits use its WAL
