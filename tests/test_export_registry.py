"""The registry of BPJS export kinds (schemas/exports.py EXPORTS) is the one place a kind is defined.

Each kind must have, from its entry alone: header aliases for the columns that recognise it, a
normaliser for every column it keeps, checks on its own columns, a state table named as the
kind, and (where published) the warehouse table of the same name. No SQL names a kind but the
registry's, so a new entry that some place lacks fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows.ingest.exports import EXPORT_ALIASES, normalised
from flows.settings import STATEMENTS_DIR, VIEWS_DIR
from flows.store import state_db
from schemas.exports import EXPORT_KINDS, EXPORTS, LOCATION_COLUMNS, ExportKind

OLD_NAMES = ("bpjs_peserta", "bpjs_iuran", "bpjs_klaim")


@pytest.mark.parametrize("kind", EXPORTS, ids=lambda kind: kind.name)
def test_each_kind_is_recognised_normalised_and_checked_from_its_entry(kind: ExportKind) -> None:
    assert kind.required | kind.any_of <= set(EXPORT_ALIASES)
    assert kind.recognises(set(kind.required | kind.any_of))
    raw = pl.DataFrame({f"{column}_raw": ["x"] for column in EXPORT_ALIASES})
    assert raw.select(normalised(kind)).columns == list(kind.columns)
    assert kind.checks and {check.column for check in kind.checks} <= set(kind.columns) | {"amount"}
    assert kind.name == kind.name.lower() and re.fullmatch(r"bpjs_[a-z_]+", kind.name)


def test_a_header_is_one_kind_at_most() -> None:
    for kind in EXPORTS:
        header = set(kind.required | kind.any_of)
        assert next(k.name for k in EXPORTS if k.recognises(header)) == kind.name


def test_each_kind_has_its_state_table_with_its_columns(tmp_path: Path) -> None:
    with state_db.connect_state(tmp_path / "state.duckdb") as con:
        for kind in EXPORTS:
            columns = con.execute(
                "select column_name from information_schema.columns where table_name = $t order by ordinal_position",
                {"t": kind.name},
            ).fetchall()
            assert [c for (c,) in columns] == [*LOCATION_COLUMNS, *kind.columns, "run_id"]


def test_no_sql_names_a_kind_outside_the_registry() -> None:
    quoted = re.compile(r"'(bpjs_[a-z_]+)'")
    for path in [*STATEMENTS_DIR.glob("*.sql"), *VIEWS_DIR.glob("*.sql")]:
        code = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))
        named = set(quoted.findall(code))
        if path.name != "create_state_tables.sql":  # which migrates the old names
            assert not named - set(EXPORT_KINDS), path.name
            assert not any(re.search(rf"\b{old}\b", code) for old in OLD_NAMES), path.name


def test_an_older_state_database_takes_the_registry_names(tmp_path: Path) -> None:
    path = tmp_path / "state.duckdb"
    with state_db.connect_state(path) as con:
        con.execute("drop table state_schema")  # made before the marker of what made its tables
        for old, kind in zip(OLD_NAMES, ("bpjs_participants", "bpjs_contributions", "bpjs_claims"), strict=True):
            con.execute(f"alter table {kind} rename to {old}")
            con.execute(
                "insert into ingested_files (source_file, sha256, period, status, kind, run_id, rows_read, "
                "rows_loaded, rows_rejected, rows_skipped, modified_at) values ($f, $f, '2024-04', 'loaded', $k, 'r', "
                "0, 0, 0, 0, 0)",
                {"f": f"2024-04/BPJS/{old}.xlsx", "k": old},
            )
    with state_db.connect_state(path) as con:
        tables = {name for (name,) in con.execute("select table_name from information_schema.tables").fetchall()}
        assert set(EXPORT_KINDS) <= tables and not tables & set(OLD_NAMES)
        kinds = con.execute("select kind from ingested_files order by kind").fetchall()
        assert kinds == [("bpjs_claims",), ("bpjs_contributions",), ("bpjs_participants",)]


def test_published_kinds_have_the_same_name_in_the_warehouse() -> None:
    golden = (Path(__file__).parent / "golden" / "catalog.txt").read_text()
    published = {name for name in EXPORT_KINDS if re.search(rf"^base table {name}\.", golden, re.MULTILINE)}
    assert published == {"bpjs_contributions", "bpjs_claims"}
    with duckdb.connect() as con:  # the names are identifiers DuckDB takes as they are
        for name in EXPORT_KINDS:
            con.execute(f"create table {name} (x integer)")


def test_the_state_is_made_again_only_when_what_makes_it_or_what_it_holds_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An open of a state this version made runs none of its schema statements; a changed script runs them all, and
    so does a view or table an older version (which knows no marker) made again in between."""
    ran: list[str] = []
    run_script = state_db.run_script
    monkeypatch.setattr(
        state_db, "run_script", lambda con, name, *a, **k: ran.append(name) or run_script(con, name, *a, **k)
    )
    path = tmp_path / "state.duckdb"
    with state_db.connect_state(path):
        pass
    assert {"create_state_tables", "create_period_tables", "create_macros"} <= set(ran)
    ran.clear()
    with state_db.connect_state(path) as con:
        current_rows = con.sql("select sql from duckdb_views() where view_name = 'current_roster_rows'").fetchall()
    assert "create_state_tables" not in ran and "create_macros" in ran
    with state_db.connect_state(path) as con:  # an older version's view, made as it opens the state
        con.execute("create or replace view current_roster_rows as select * from roster_rows")
    ran.clear()
    with state_db.connect_state(path) as con:
        assert "create_state_tables" in ran
        assert (
            con.sql("select sql from duckdb_views() where view_name = 'current_roster_rows'").fetchall() == current_rows
        )
        con.execute("alter table bpjs_claims rename to bpjs_klaim")  # as an older version named it
    monkeypatch.setattr(state_db, "schema_digest", lambda: "the scripts of a later version")
    with state_db.connect_state(path) as con:
        tables = {name for (name,) in con.execute("select table_name from information_schema.tables").fetchall()}
        assert "bpjs_claims" in tables and "bpjs_klaim" not in tables
        assert con.execute("select digest from state_schema").fetchall() == [(state_db.made_digest(con),)]
