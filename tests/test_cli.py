"""The `cakupan` command: exit codes, one-line failures, the printed coverage table."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.load import run_lock
from flows.settings import state_path_for

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "demo"):
        assert command in result.output


@pytest.mark.usefixtures("prefect_harness")
def test_run_prints_coverage_and_exits_zero(demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path) -> None:
    raw, _ = demo_zone
    result = runner.invoke(app, ["run", "--raw", str(raw), "--warehouse", str(tmp_path / "c.duckdb")])
    assert result.exit_code == 0, result.output
    assert "Coverage by group" in result.output and "RT_RW" in result.output
    assert "20 loaded, 0 rejected" in result.output


@pytest.mark.usefixtures("prefect_harness")
def test_missing_landing_zone_fails_with_one_line_reason(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--raw", str(tmp_path / "nope"), "--warehouse", str(tmp_path / "c.duckdb")])
    assert result.exit_code == 1
    (line,) = [line for line in result.output.splitlines() if "cakupan run failed" in line]
    assert "nope does not exist" in line


@pytest.mark.usefixtures("prefect_harness")
def test_second_concurrent_run_exits_with_a_clear_message(demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path) -> None:
    raw, _ = demo_zone
    warehouse = tmp_path / "c.duckdb"
    with run_lock(state_path_for(warehouse)):
        result = runner.invoke(app, ["run", "--raw", str(raw), "--warehouse", str(warehouse)])
    assert result.exit_code == 1
    assert "another cakupan run" in result.output
    assert not warehouse.exists()


def test_sql_prints_a_table_or_csv_and_refuses_to_write(tmp_path: Path) -> None:
    from tests.helpers import ANI, build_warehouse, write_roster

    write_roster(
        tmp_path / "raw" / "2024-04" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Ya", "1"]]}
    )
    warehouse = tmp_path / "c.duckdb"
    build_warehouse(tmp_path / "raw", warehouse)
    query = "select group_code, members, enrolled from coverage_by_group"
    table = runner.invoke(app, ["sql", query, "--warehouse", str(warehouse)])
    assert table.exit_code == 0 and "BPD" in table.output
    as_csv = runner.invoke(app, ["sql", query, "--warehouse", str(warehouse), "--csv"])
    assert as_csv.output.splitlines() == ["group_code,members,enrolled", "BPD,1,1"]
    write = runner.invoke(app, ["sql", "drop view coverage_by_group", "--warehouse", str(warehouse)])
    assert write.exit_code == 1 and "read-only" in write.output
