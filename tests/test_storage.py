"""How the state database and the analyst warehouse are stored: row groups, write-ahead log, settings, frames."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.settings import Settings, state_path_for
from flows.store import publish, state_db
from flows.store.pii import PiiKey, hmac_pads
from tests.helpers import ANI, build_warehouse, query, write_roster


def test_the_state_database_keeps_small_row_groups_across_opens(tmp_path: Path) -> None:
    """DuckDB scans a row group per thread: a regency month must be several row groups, not one."""
    path = tmp_path / "state.duckdb"
    rows = 3 * state_db.STATE_ROW_GROUP_SIZE
    for _ in range(2):  # the option lasts while the file is attached, so each open must give it
        with state_db.connect_state(path) as con:
            con.execute(f"create or replace table numbers as select range as n from range({rows})")
            con.execute("checkpoint")
            groups = con.sql("select count(distinct row_group_id) from pragma_storage_info('numbers')").fetchall()
        assert groups == [(3,)]


def test_publish_leaves_no_write_ahead_log_and_restores_duckdbs_settings(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "1"]]})
    build_warehouse(raw, warehouse)
    assert sorted(path.name for path in warehouse.parent.iterdir() if path.is_file()) == ["cakupan.duckdb"]
    assert query(warehouse, "select count(*) from roster") == [(1,)]
    with state_db.connect_state(state_path_for(warehouse)) as con:
        publish.publish(con, Settings(warehouse=warehouse), PiiKey(b"key", "test"), "again")
        settings = con.sql(
            "select current_setting('checkpoint_threshold'), current_setting('disabled_compression_methods')"
        ).fetchall()
    assert settings == [("16.0 MiB", "")]  # DuckDB's defaults again: the state database's commits use its WAL


def test_publish_leaves_no_trace_of_the_key_in_the_runs_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run's one connection lives on after its publish: the key's HMAC pads are set for the publish only."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "1"]]})
    build_warehouse(raw, warehouse)
    key = PiiKey(b"key", "test")
    pads = {bytes(pad) for pad in hmac_pads(key.value).values()}
    with state_db.connect_state(state_path_for(warehouse)) as con:
        during: list[object] = []
        real = publish.keep_in_state

        def seen(state: duckdb.DuckDBPyConnection, coverage: bool = True) -> None:  # the tables are built by now
            during.extend(blob_variables(state))
            real(state, coverage)

        monkeypatch.setattr(publish, "keep_in_state", seen)
        publish.publish(con, Settings(warehouse=warehouse), key, "again")
        after = blob_variables(con)
        tables = con.sql("select table_name from duckdb_tables() where temporary").fetchall()
    assert set(during) == pads  # the pads were there: the check below looks where they were
    assert after == [] and tables == []


def blob_variables(con: duckdb.DuckDBPyConnection) -> list[bytes]:
    """The values of the connection's session variables that are bytes (`set variable`)."""
    names = [name for (name,) in con.sql("select name from duckdb_variables() where type = 'BLOB'").fetchall()]
    return [con.execute("select getvariable($name)", {"name": name}).fetchall()[0][0] for name in names]


def test_the_analyst_file_is_written_in_small_row_groups_without_fsst(tmp_path: Path) -> None:
    """Small row groups are compressed on both cores as they fill, and FSST is not tried on them."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "1"]]})
    build_warehouse(raw, warehouse)
    copies = 3 * publish.WAREHOUSE_ROW_GROUP_SIZE
    with state_db.connect_state(state_path_for(warehouse)) as con:
        # copies of the loaded row, each under its own long file name: text that FSST compresses best
        con.execute(
            "insert into roster_rows by name select r.* exclude (source_row, source_file),"
            " r.source_row + i::integer as source_row,"
            " 'Kecamatan Sumbang/Desa Batuanten/laporan bulan April nomor ' || i as source_file"
            f" from roster_rows as r, range(1, {copies}) as copies(i)"
        )
        publish.publish(con, Settings(warehouse=warehouse), PiiKey(b"key", "test"), "again")
    assert query(warehouse, "select count(*) from roster") == [(copies,)]
    groups = query(warehouse, "select count(distinct row_group_id) from pragma_storage_info('roster')")
    assert groups == [(3,)]
    compressions = {c for (c,) in query(warehouse, "select distinct compression from pragma_storage_info('roster')")}
    assert "FSST" not in compressions


BUILD_WITHOUT_PYARROW = """
import sys
sys.modules["pyarrow"] = None  # any import of it fails (pandas, if installed, does without it)
from pathlib import Path
from flows.store import state_batches, state_db
from flows.settings import Settings, state_path_for
from tests.helpers import build_warehouse
build_warehouse(Path(sys.argv[1]), Path(sys.argv[2]))
with state_db.connect_state(state_path_for(Path(sys.argv[2]))) as con:
    print(state_batches.known_versions(con, retries=3).height)
"""


def test_frames_cross_between_polars_and_duckdb_without_pyarrow(tmp_path: Path) -> None:
    """Importing pyarrow alone took 0.05 s of a run: frames go as Arrow C streams (`sql.ArrowStream`) instead."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "1"]]})
    run = [sys.executable, "-c", BUILD_WITHOUT_PYARROW, str(raw), str(warehouse)]
    built = subprocess.run(run, capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    assert built.returncode == 0, built.stderr[-2000:]
    assert built.stdout.split() == ["1"]
    assert query(warehouse, "select count(*) from roster") == [(1,)]
