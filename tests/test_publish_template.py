"""The regency publish starts from a template of its views and their comments, made once per catalogue."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from flows.settings import Settings, state_path_for
from flows.store import publish, state_db
from flows.store.catalog import ViewDoc, view_docs
from flows.store.pii import resolve_key
from tests.helpers import ANI, BATUANTEN, build_warehouse, write_roster

CONTENTS = (
    "select 'view' as kind, schema_name, view_name as name, null as column_name, null as data_type, comment "
    "from duckdb_views() where database_name = $db and not internal "
    "union all select 'table', schema_name, table_name, null, null, comment from duckdb_tables() "
    "where database_name = $db "
    "union all select 'column', schema_name, table_name, column_name, data_type, comment from duckdb_columns() "
    "where database_name = $db order by all"
)


def contents(warehouse: Path) -> dict[str, object]:
    """The file's catalogue (every view, table and column with its type and comment) and every object's rows."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        database = con.execute("select current_database()").fetchall()[0][0]
        catalogue = con.execute(CONTENTS, {"db": database}).fetchall()
        objects = {(schema, name) for kind, schema, name, *_ in catalogue if kind != "column"}
        rows = {f"{s}.{n}": sorted(map(str, con.execute(f"from {s}.{n}").fetchall())) for s, n in objects}
    return {"catalogue": catalogue, "rows": rows}


def publish_again(settings: Settings) -> None:
    with state_db.connect_state(settings.state) as con:
        key = resolve_key(settings, create=False)
        assert key is not None
        publish.publish(con, settings, key, "again")


def templates(settings: Settings) -> list[Path]:
    return sorted(settings.state.parent.glob(f"{settings.warehouse.stem}.template-*.duckdb"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    rows = [[ANI, "Ani", "P", "Anggota BPD", "Sudah", ""], [BATUANTEN, "Budi", "L", "Ketua BPD", "Belum", ""]]
    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": rows})
    build_warehouse(raw, warehouse, first_template=True)  # its first publish makes the template
    assert state_path_for(warehouse).exists()
    return Settings(raw, warehouse, workers=1, quiet_seconds=0.0)


def test_a_publish_from_the_template_equals_one_that_made_its_views(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first publish makes the template (views and comments, no row, no table); the next starts from it."""
    (template,) = templates(settings)
    with duckdb.connect(str(template), read_only=True) as con:
        assert con.sql("select count(*) from duckdb_tables() where database_name = current_database()").fetchall() == [
            (0,)
        ]
        assert con.sql("select count(*) from duckdb_views() where not internal").fetchall()[0][0] >= 40
    whole = contents(settings.warehouse)

    def made(*args: object) -> None:
        raise AssertionError("the views were made again: the template was not used")

    monkeypatch.setattr(publish, "create_views", made)
    published = settings.warehouse.stat().st_ino
    publish_again(settings)
    assert settings.warehouse.stat().st_ino != published  # swapped in: a new file
    assert contents(settings.warehouse) == whole
    assert templates(settings) == [template]


def test_a_changed_catalogue_makes_a_new_template_and_its_comments_are_published(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A view documented anew (or any view, statement, reference file or figure setting changed) is not published
    from the old template: another is made, the old one removed."""
    (old,) = templates(settings)
    said = "Cakupan per kelompok, dokumentasi baru."

    def documented_anew() -> list[ViewDoc]:
        views = view_docs()
        return [
            replace(view, description=said, sql=f"-- {said}\n{view.sql}") if view.name == "coverage_by_group" else view
            for view in views
        ]

    monkeypatch.setattr(publish, "view_docs", documented_anew)
    publish_again(settings)
    (new,) = templates(settings)
    assert new != old and not old.exists()
    query = "select comment from duckdb_views() where view_name = 'coverage_by_group'"
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.sql(query).fetchall() == [(said,)]
    monkeypatch.undo()
    publish_again(settings)  # back to the catalogue as it is: its own template again
    (again,) = templates(settings)
    assert again != new
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.sql(query).fetchall() != [(said,)]


def test_a_figure_setting_names_another_template(tmp_path: Path) -> None:
    """The template holds nothing of the key (person_id is made at publish): one template whatever the key."""
    settings = Settings(tmp_path / "raw", tmp_path / "cakupan.duckdb")
    assert publish.template_for(settings) != publish.template_for(replace(settings, provisional_below_pct=12.5))
    assert publish.template_for(settings).parent == settings.state.parent
