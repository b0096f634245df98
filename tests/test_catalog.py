"""The warehouse catalog is a reviewed contract: names, columns, types and their documentation."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.store.catalog import (
    MATERIALIZED,
    ViewDoc,
    comment_tables,
    create_views,
    in_dependency_order,
    table_docs,
    view_docs,
)
from tests.conftest import SMALL_VILLAGES
from tests.helpers import ANI, BATUANTEN, build_warehouse, close_regency, send_late_bpd, write_roster
from tools.generate import Jump, write_landing_zone

GOLDEN = Path(__file__).parent / "golden" / "catalog.txt"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("catalog")
    write_roster(root / "raw" / "2024-04" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", ""]]})
    build_warehouse(root / "raw", root / "cakupan.duckdb")
    return root / "cakupan.duckdb"


def catalog(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.sql(
            "select t.table_type, replace(c.table_schema || '.' || c.table_name, 'main.', ''), c.column_name, "
            "c.data_type from information_schema.columns c "
            "join information_schema.tables t using (table_schema, table_name) "
            "order by t.table_type, c.table_schema, c.table_name, c.ordinal_position"
        ).fetchall()
    return "".join(f"{kind.lower()} {table}.{column} {dtype}\n" for kind, table, column, dtype in rows)


def test_catalog_matches_the_golden_file(warehouse: Path) -> None:
    current = catalog(warehouse)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(current)
    assert current == GOLDEN.read_text(), "catalog changed: review, then rerun with UPDATE_GOLDEN=1"


def test_every_view_and_view_column_is_documented(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        views = dict(
            con.sql(
                "select replace(schema_name || '.' || view_name, 'main.', ''), comment from duckdb_views() "
                "where not internal"
            ).fetchall()
        )
        columns = con.sql(
            "select c.table_name, c.column_name, c.comment from duckdb_columns() c "
            "join duckdb_views() v on v.view_name = c.table_name and v.schema_name = c.schema_name where not v.internal"
        ).fetchall()
    assert set(views) == {doc.qualified for doc in view_docs()} - MATERIALIZED
    assert {doc.qualified for doc in view_docs() if doc.schema == "internal"} == {
        "internal.coverage_base",
        "internal.budget_base",
        "internal.people_counts",
        "internal.person_turnover",
        "internal.submission_base",
        "internal.verification_base",
    }  # the base views, apart from the views analysts query
    assert len(columns) >= 5 * len(views)
    assert all(views.values()), views
    undocumented = [(table, column) for table, column, comment in columns if not comment]
    assert undocumented == []


def test_every_table_and_table_column_is_documented(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = dict(
            con.sql(
                "select replace(schema_name || '.' || table_name, 'main.', ''), comment from duckdb_tables() "
                "where not internal"
            ).fetchall()
        )
        columns = con.sql(
            "select c.table_name, c.column_name, c.comment from duckdb_columns() c "
            "join duckdb_tables() t on t.table_name = c.table_name where not t.internal"
        ).fetchall()
    assert set(tables) == {doc.name for doc in table_docs()} | MATERIALIZED  # base views counted at publish
    assert all(tables.values()), tables
    assert [(table, column) for table, column, comment in columns if not comment] == []
    documented = {(doc.name, column) for doc in table_docs() for column in doc.columns}
    documented |= {(doc.name, column) for doc in view_docs() if doc.qualified in MATERIALIZED for column in doc.columns}
    assert documented == {(table, column) for table, column, _ in columns}  # none documented that is not there


def test_docs_views_md_is_generated_from_the_view_and_table_headers() -> None:
    from flows.store.catalog import views_markdown

    written = (Path(__file__).parents[1] / "docs" / "views.md").read_text()
    expected = views_markdown(view_docs(), table_docs())
    assert written == expected, "regenerate: python -m flows.store.catalog > docs/views.md"
    assert all(doc.example for doc in [*view_docs(), *table_docs()])


def test_an_older_duckdb_cli_can_open_the_warehouse(warehouse: Path) -> None:
    import shutil
    import subprocess
    import sys

    cli = Path(sys.executable).parent / "duckdb"
    cli_path = str(cli) if cli.exists() else shutil.which("duckdb")
    assert cli_path, "the duckdb CLI (duckdb-cli, a dev dependency) is missing"
    version = subprocess.run([cli_path, "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v1."), version
    result = subprocess.run(
        [cli_path, "-readonly", "-csv", str(warehouse), "select group_code, members from coverage_by_group"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["group_code,members", "BPD,1"]


class CountedConnection:
    """A connection that counts its `execute` calls."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con, self.calls = con, 0

    def execute(self, sql: str, params: object = None) -> duckdb.DuckDBPyConnection:
        self.calls += 1
        return self.con.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


def documentation(con: duckdb.DuckDBPyConnection, database: str) -> list[tuple[object, ...]]:
    """Every comment of `database`: its views', tables' and columns'."""
    query = (
        "select 'view', schema_name, view_name, null, comment from duckdb_views() where database_name = $db "
        "union all select 'table', schema_name, table_name, null, comment from duckdb_tables() "
        "where database_name = $db "
        "union all select 'column', schema_name, table_name, column_name, comment from duckdb_columns() "
        "where database_name = $db order by all"
    )
    return con.execute(query, {"db": database}).fetchall()


def test_views_and_comments_are_made_in_a_few_scripts_not_one_call_a_statement(warehouse: Path, tmp_path: Path) -> None:
    """~720 statements (40 views, their comments and the tables'): as calls they cost more than as scripts."""
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(warehouse, copy)
    views = view_docs()
    with duckdb.connect() as con:
        con.execute("attach $path as analyst", {"path": str(copy)})
        published = documentation(con, "analyst")
        for view in reversed(in_dependency_order(views)):
            if view.qualified not in MATERIALIZED:
                con.execute(f"drop view analyst.{view.qualified}")
        con.execute("comment on table analyst.roster is null")
        counted = CountedConnection(con)
        create_views(counted, views, "analyst")  # type: ignore[arg-type]
        comment_tables(counted, table_docs(), "analyst")  # type: ignore[arg-type]
        assert documentation(con, "analyst") == published
    assert len(published) > 600 and counted.calls <= 12, counted.calls


def test_views_are_created_after_the_views_they_use_and_a_cycle_is_named() -> None:
    ordered = [view.name for view in in_dependency_order(view_docs())]
    assert ordered.index("submission_status") < ordered.index("coverage_by_district")  # it reads submission_status
    a, b = ViewDoc("a", "select * from b", "", {}), ViewDoc("b", "select * from a", "", {})
    with pytest.raises(RuntimeError, match="cycle: a, b"):
        in_dependency_order([a, b, ViewDoc("c", "select 1", "", {})])


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated zone (five villages, four months) with a jump planted, 2024-03 closed and a late
    correction held for it, so every view and table has rows to be unique over."""
    root = tmp_path_factory.mktemp("demo")
    raw, warehouse = root / "raw", root / "cakupan.duckdb"
    jump = Jump(BATUANTEN, "RT_RW", "2024-02", "members_up")
    write_landing_zone(raw, seed=42, village_codes=SMALL_VILLAGES, workers=1, jumps=[jump], bpjs_exports=True)
    build_warehouse(raw, warehouse)
    close_regency(warehouse, "2024-03")
    send_late_bpd(raw, "2024-03")  # a new version of Batuanten's own file
    build_warehouse(raw, warehouse)
    return warehouse


def test_every_view_declares_its_grain_among_its_columns_and_ends_unordered() -> None:
    for view in [*view_docs(), *table_docs()]:
        assert view.grain, f"{view.name}: no '-- Grain:' line"
        assert set(view.grain) <= set(view.columns), f"{view.name}: grain {view.grain} names undocumented columns"
    for view in view_docs():
        assert view.sql.rstrip().splitlines()[-1] == "select * from final", f"{view.name}: ends otherwise (order by?)"


@pytest.mark.parametrize("view", [*view_docs(), *table_docs()], ids=lambda view: view.name)
def test_every_view_and_table_is_unique_on_its_grain(demo_warehouse: Path, view: ViewDoc) -> None:
    keys = ", ".join(view.grain)
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        (rows,) = con.execute(f"select count(*) from {view.qualified}").fetchall()[0]
        repeated = con.execute(
            f"select {keys}, count(*) from {view.qualified} group by all having count(*) > 1"
        ).fetchall()
    assert rows > 0 or view.name == "validation_failures", f"{view.name} is empty on the demo zone: nothing tested"
    assert repeated == [], f"{view.name} repeats its grain ({keys})"


@pytest.mark.parametrize("view", [*view_docs(), *table_docs()], ids=lambda view: view.name)
def test_every_documented_example_runs(demo_warehouse: Path, view: ViewDoc) -> None:
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        rows = con.execute(view.example).fetchall()
    assert rows or view.name == "validation_failures", f"{view.name}'s example returns nothing on the demo zone"
