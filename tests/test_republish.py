"""The incremental province publisher: one changed regency's rows replaced in a copy, equal to a full rebuild."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.province_run import (
    GROWTH_LIMIT,
    InProcessSteps,
    changed_regencies,
    province_record,
    run_province,
    staged_cache,
)
from flows.run_options import RunOptions
from flows.settings import Settings
from flows.store import catalog as catalog_module
from flows.store import publish, reference, staging, state_db
from flows.store.catalog import MATERIALIZED, counting_over, create_view, view_docs
from flows.store.sql import run_script, transaction
from tests.helpers import ANI, BUDI, CITRA, nik_like_values, write_roster
from tests.province_helpers import CORRECTED, REGION, write_correction, write_province
from tests.test_catalog import catalog
from tests.test_province import settings

OTHER = "33.01"  # a regency that does not change: ANI is on one of its rosters too


KEY = "a test key for the republisher"


@pytest.fixture(autouse=True)
def same_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CAKUPAN_PII_KEY", KEY)
    yield


def write_other_roster(zones: Path) -> None:
    """ANI, not enrolled, on a BPD roster of OTHER: the correction of CORRECTED enrols her in another village."""
    village = reference.load_villages(region=OTHER).sort("village_code").row(0, named=True)
    path = zones / OTHER / "2024-04" / village["district_name"] / f"{village['village_code']} revisi.xlsx"
    rows = [[ANI, "Ani", "P", "Anggota BPD", "Belum", ""], [CITRA, "Citra", "P", "Ketua BPD", "Sudah", "1"]]
    write_roster(path, {"BPD": rows}, village["village_name"].upper(), village["district_name"].upper())


def village_names(roster: Path, code: str = CORRECTED) -> tuple[str, str]:
    """The village and district a roster of the regency `code` (write_correction's) names, as its header writes them."""
    village = reference.load_villages(region=code).filter(village_code=roster.name.split()[0]).row(0, named=True)
    return village["village_name"].upper(), village["district_name"].upper()


def new_run_id() -> str:
    """A province run's id, short: a whole UUID now and then holds 16 decimal digits, which nik_like_values flags."""
    return f"province-{uuid.uuid4().hex[:8]}"


def comments(warehouse: Path) -> list[tuple[object, ...]]:
    """Every table's, view's and column's comment: the documentation an analyst reads in the file."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(
            "select schema_name, table_name, null as column_name, comment from duckdb_tables() union all "
            "select schema_name, view_name, null, comment from duckdb_views() where not internal union all "
            "select schema_name, table_name, column_name, comment from duckdb_columns() where not internal "
            "order by all"
        ).fetchall()


def tables(warehouse: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every base table's rows, ordered; a province cross-row warning's run_id is the run that found it."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [
            row[0]
            for row in con.sql("select schema_name || '.' || table_name from duckdb_tables() order by all").fetchall()
        ]  # internal.people_counts too: counted again over every regency (catalog.MATERIALIZED)
        return {
            name: con.sql(
                f"select * {'exclude (run_id)' if name == 'main.validation_failures' else ''} from {name} order by all"
            ).fetchall()
            for name in names
        }


def full_rebuild(config: Settings, root: Path) -> Path:
    """The province warehouse built whole from the manifests committed now, of the regencies with a landing zone."""
    store = staging.open_store(config.staging)
    manifests = staging.read_manifests(store, [code for code in REGION.split(",") if (config.raw_dir / code).is_dir()])
    objects = staging.fetch(store, manifests.values(), root / "cache")
    whole = replace(config, warehouse=root / "full.duckdb")
    publish.publish_staged(objects, whole, new_run_id())
    return whole.warehouse


def assert_as_rebuilt(config: Settings, root: Path) -> None:
    """The published warehouse equals one built whole from the same manifests: views, comments, every table's rows."""
    rebuilt = full_rebuild(config, root)
    assert catalog(config.warehouse) == catalog(rebuilt)
    assert comments(config.warehouse) == comments(rebuilt)  # the documentation analysts read, kept
    assert tables(config.warehouse) == tables(rebuilt), root.name
    assert nik_like_values(config.warehouse) == []


def write_month(zones: Path, code: str, period: str, rows: list[list[str]]) -> None:
    """A BPD roster of `period` for the first village of the regency `code`."""
    village = reference.load_villages(region=code).sort("village_code").row(0, named=True)
    path = zones / code / period / village["district_name"] / f"{village['village_code']} {period}.xlsx"
    write_roster(path, {"BPD": rows}, village["village_name"].upper(), village["district_name"].upper())


def ani_in_other(warehouse: Path) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(
            f"select r.has_warning, list(v.check_name order by v.check_name) from roster as r "
            f"left join validation_failures as v using (sha256, sheet, source_row) "
            f"where r.source_file like '{OTHER}/%revisi%' and not r.enrolled group by all"
        ).fetchall()


@pytest.fixture(scope="module")
def first_published(written_province: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Path]:
    """The province zones with OTHER's rosters of April and May, run and published once for the module; each call
    puts that folder back, as it was after the run, at the same absolute path (the state, the province record and
    the staged cache name their paths) and returns it: root / "zones", root / "province.duckdb" (`settings`)."""
    base = tmp_path_factory.mktemp("first_published")
    root, kept = base / "root", base / "kept"
    _, zones = write_province(root, written_province)
    write_other_roster(zones)
    write_month(zones, OTHER, "2024-05", [ANI_ENROLLED])
    with pytest.MonkeyPatch.context() as patched:
        patched.setenv("CAKUPAN_PII_KEY", KEY)
        first = run_province(settings(root, zones), "first", RunOptions(allow_empty=True), InProcessSteps())
    assert first.published and len(first.chunks) == 3
    shutil.copytree(root, kept, symlinks=True)

    def again() -> Path:
        shutil.rmtree(root)
        shutil.copytree(kept, root, symlinks=True)
        return root

    return again


def test_a_changed_regency_is_republished_in_a_copy_equal_to_a_full_rebuild(
    first_published: Callable[[], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = first_published()  # the three regencies run and published whole
    zones = root / "zones"
    config = settings(root, zones)

    def run() -> tuple[tuple[str, ...], ...]:
        summary = run_province(config, new_run_id(), RunOptions(allow_empty=True), InProcessSteps())
        assert summary.published
        return summary.chunks

    alone = ani_in_other(config.warehouse)
    assert len(alone) == 1 and "nik_in_two_villages" not in alone[0][1]

    def whole(*args: object) -> None:
        raise AssertionError("built whole: one changed regency must be republished in place")

    republish = publish.republish_staged

    def counted_in_part(*args: Any) -> None:
        """The republish, where a view or MATERIALIZED table made whole (internal.people_counts) is an error."""
        with monkeypatch.context() as inner:
            inner.setattr(catalog_module, "create_view", whole)
            republish(*args)

    for step in ("correct", "correct again"):
        if step == "correct":
            write_correction(root / "province", zones)
        else:  # a later roster of the same village and group without ANI
            first = next((zones / CORRECTED).rglob("*revisi.xlsx"))
            rows = [[BUDI, "Budi", "L", "Ketua RW 01", "Belum", ""]]
            write_roster(first.with_name(f"{first.stem} 2.xlsx"), {"RT RW": rows}, *village_names(first))
        published = config.warehouse.stat().st_ino
        reader = duckdb.connect(str(config.warehouse), read_only=True)  # an analyst's session, open throughout
        seen = reader.sql("select count(*), count(*) filter (where enrolled) from roster").fetchall()
        with monkeypatch.context() as patched:
            patched.setattr(publish, "publish_staged", whole)
            patched.setattr(publish, "republish_staged", counted_in_part)
            assert run() == ((CORRECTED,),)
        assert config.warehouse.stat().st_ino != published  # a new file, swapped in whole
        # the open session still reads the file it opened, whole: never a half-republished one
        assert reader.sql("select count(*), count(*) filter (where enrolled) from roster").fetchall() == seen
        reader.close()
        assert_as_rebuilt(config, root / step)
        # ANI's row in the regency that did not change: warned while the correction enrols her elsewhere
        (warned, checks), *_ = ani_in_other(config.warehouse)
        if step == "correct":
            assert warned and {"enrolment_inconsistent", "nik_in_two_villages"} <= set(checks)
        else:
            assert ani_in_other(config.warehouse) == alone
    # the cache holds what the warehouse was published from, and the changed regency's previous objects until
    # the next publish (the next republish reads them)
    record = json.loads(province_record(config.warehouse).read_text())
    named = {name for objects in record["objects"].values() for names in objects.values() for name in names}
    cache = staged_cache(config.warehouse)
    cached = {str(path.relative_to(cache)) for path in cache.rglob("*.parquet")}
    assert named <= cached and all(f"/regency={CORRECTED}/" in f"/{name}" for name in cached - named)


def test_no_session_of_a_run_or_a_publish_draws_a_progress_bar(
    first_published: Callable[[], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB draws a bar on stdout for a statement past two seconds: 60 lines of it in a province's output."""
    root = first_published()
    zones = root / "zones"
    config = settings(root, zones)
    connect = duckdb.connect

    def connect_as_a_command(*args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        """A session as `cakupan` gets it: DuckDB's Python client turns the bar on there (not under pytest)."""
        con = connect(*args, **kwargs)
        con.execute("set enable_progress_bar = true")
        return con

    monkeypatch.setattr(duckdb, "connect", connect_as_a_command)
    bars: dict[str, set[object]] = {}  # by script: whether its session would draw the bar
    for module in (publish, state_db):  # the publishers' sessions, and each regency's state
        original = module.run_script

        def checked(con: duckdb.DuckDBPyConnection, name: str, *args: Any, run: Any = original, **kwargs: Any) -> None:
            (bar,) = con.execute("select current_setting('enable_progress_bar')").fetchone() or (None,)
            bars.setdefault(name, set()).add(bar)
            run(con, name, *args, **kwargs)

        monkeypatch.setattr(module, "run_script", checked)
    write_correction(root / "province", zones)
    run_province(config, new_run_id(), RunOptions(allow_empty=True), InProcessSteps())  # a state, then a republish
    full_rebuild(config, root / "whole")
    assert {"create_macros", "publish_tables", "republish_touched", "publish_staged_tables"} <= set(bars)
    assert all(drawn == {False} for drawn in bars.values()), bars


def test_a_changed_setting_or_a_lost_cache_builds_the_province_whole(
    first_published: Callable[[], Path], tmp_path: Path
) -> None:
    root = first_published()
    config = settings(root, root / "zones")
    write_correction(root / "province", root / "zones")
    for path in staged_cache(config.warehouse).rglob(f"regency={CORRECTED}/*/*.parquet"):
        path.unlink()  # what the warehouse was published from is gone: it cannot be republished in place
    run_province(config, "second", RunOptions(allow_empty=True))
    assert tables(config.warehouse) == tables(full_rebuild(config, tmp_path / "whole"))


def test_republishing_stops_when_the_file_has_grown_or_the_basis_changed(tmp_path: Path) -> None:
    """Deleted rows leave space in the copy: past GROWTH_LIMIT times its size when built whole, it is built whole."""
    objects = {
        code: {"runs": [f"runs/regency={code}/period=none/{generation}.parquet"]}
        for code, generation in [("33.01", "a"), ("33.02", "b")]
    }
    for names in objects.values():
        for name in names["runs"]:
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).touch()
    manifests = {code: staging.Manifest(code, "g", "run", "zone", "key", objects[code]) for code in objects}
    manifests["33.02"] = replace(manifests["33.02"], objects={"runs": ["runs/regency=33.02/period=none/c.parquet"]})
    last = {"basis": "basis", "objects": objects, "whole_bytes": 1000}
    current = {"runs": [str(tmp_path / "runs/regency=33.01/period=none/a.parquet"), "c"]}
    changed = changed_regencies(manifests, last, "basis", current, tmp_path, 1000 * GROWTH_LIMIT)
    assert changed is not None and changed.codes == ["33.02"]
    assert changed.old == {"runs": [str(tmp_path / objects["33.02"]["runs"][0])]}
    assert changed_regencies(manifests, last, "basis", current, tmp_path, 1000 * GROWTH_LIMIT + 1) is None
    assert changed_regencies(manifests, last, "another basis", current, tmp_path, 1000) is None


ANI_ENROLLED = [ANI, "Ani", "P", "Anggota BPD", "Sudah", "1"]


def two_regencies(root: Path, zones: Path) -> list[str]:
    """A correction in CORRECTED, and in OTHER a later roster of the month that drops CITRA."""
    write_correction(root / "province", zones)
    first = next((zones / OTHER).rglob("*revisi.xlsx"))
    write_roster(first.with_name(f"{first.stem} 2.xlsx"), {"BPD": [ANI_ENROLLED]}, *village_names(first, OTHER))
    return ["republished"]


def regencies_apart(root: Path, zones: Path) -> list[str]:
    """OTHER drops CITRA and 33.03 reports May: CORRECTED, whose paths sort between theirs, is kept as published."""
    first = next((zones / OTHER).rglob("*revisi.xlsx"))
    write_roster(first.with_name(f"{first.stem} 2.xlsx"), {"BPD": [ANI_ENROLLED]}, *village_names(first, OTHER))
    write_month(zones, "33.03", "2024-05", [[BUDI, "Budi", "L", "Anggota BPD", "Sudah", "2"]])
    return ["republished"]


def months_of_one_regency(root: Path, zones: Path) -> list[str]:
    """CORRECTED reports May (ANI, on OTHER's May roster too, not enrolled there) and June, which no regency had."""
    write_month(zones, CORRECTED, "2024-05", [[ANI, "Ani", "P", "Ketua BPD", "Belum", ""]])
    write_month(zones, CORRECTED, "2024-06", [[BUDI, "Budi", "L", "Anggota BPD", "Sudah", "2"]])
    return ["republished"]


def a_regency_removed_then_back(root: Path, zones: Path) -> list[str]:
    """The largest regency's zone gone (the province has one regency fewer), then back as it was."""
    (zones / "33.03").rename(root / "33.03 away")
    return ["built whole", "back"]


@pytest.mark.parametrize("change", [two_regencies, regencies_apart, months_of_one_regency, a_regency_removed_then_back])
def test_every_kind_of_change_publishes_what_a_full_rebuild_does(
    change: Callable[[Path, Path], list[str]], first_published: Callable[[], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Republished in place or built whole, the province warehouse is the one built whole from its manifests. The
    first run (the three regencies, published whole) is the module's, copied back for each change."""
    root = first_published()
    zones = root / "zones"
    config = settings(root, zones)
    for step in change(root, zones):
        if step == "back":
            (root / "33.03 away").rename(zones / "33.03")
        with monkeypatch.context() as patched:
            if step == "republished":  # one changed regency of three, or two: never built whole
                patched.setattr(publish, "publish_staged", None)
            summary = run_province(config, new_run_id(), RunOptions(allow_empty=True), InProcessSteps())
        assert summary.published
        assert_as_rebuilt(config, root / step)


def test_people_counts_corrected_for_the_touched_people_equal_a_whole_count(
    copy_demo_warehouse: Callable[[Path], Path], tmp_path: Path
) -> None:
    """republish_people_counts.sql on a warehouse with BPJS exports: some people's rows on the rosters and beside
    BPJS change; their counts before and after correct internal.people_counts to what the view counts whole."""
    warehouse = copy_demo_warehouse(tmp_path / "copy")
    (view,) = [view for view in view_docs() if view.qualified in MATERIALIZED]
    with duckdb.connect() as con:
        con.execute("attach $path as analyst", {"path": str(warehouse)})
        con.execute(
            "create temporary table counted_people as select distinct period, person_id from analyst.verification "
            "where period >= '2024-03' and hash(person_id) % 3 = 0"
        )
        only = "select * from analyst.main.{} semi join counted_people using (period, person_id)"
        touched = {f"main.{table}": only.format(table) for table in ("roster", "verification")}
        with counting_over(con, view.qualified, "analyst", touched) as count, transaction(con):
            count("people_counts_before")
            for table, change in (("roster", "enrolled = not t.enrolled"), ("verification", "status = 'non_aktif'")):
                con.execute(
                    f"update analyst.{table} as t set {change} from counted_people as c "
                    "where t.period = c.period and t.person_id = c.person_id"
                )
            con.execute("delete from analyst.verification where hash(person_id) % 6 = 0 and period = '2024-04'")
            count("people_counts_after")
            run_script(con, "republish_people_counts")
        corrected = con.sql("from analyst.internal.people_counts order by all").fetchall()
        verified = con.sql("from people_counts_before where source = 'verification' and verified > 0").fetchall()
        create_view(con, view, "analyst")  # counted whole
        assert verified and corrected == con.sql("from analyst.internal.people_counts order by all").fetchall()


def test_rows_published_as_staged_are_replaced_whole_rows_nulls_and_duplicates_too(tmp_path: Path) -> None:
    """republish_rows.sql matches on a path (or village code) first, for DuckDB to skip row groups: a row whose path
    is null, or that is there twice, still goes when the regency staged it before, and only then."""
    columns = "source_file varchar, village_code varchar, n integer"
    published = [("33.01/a.xlsx", "33.01.01.2001", 1), (None, "33.01.01.2001", 2), (None, "33.01.01.2001", 2)]
    published += [("33.02/b.xlsx", "33.02.01.2001", 3), (None, "33.02.01.2001", 4), (None, None, 5)]
    staged = {"old": published[:2], "new": [("33.01/a.xlsx", "33.01.01.2001", 6), (None, "33.01.01.2001", 7)]}
    with duckdb.connect() as con:
        con.execute("attach $path as analyst", {"path": str(tmp_path / "copy.duckdb")})
        params: dict[str, object] = {}
        for part, rows in staged.items():
            con.execute(f"create table {part}_rows ({columns})")
            con.executemany(f"insert into {part}_rows values (?, ?, ?)", rows)
            con.execute(f"copy {part}_rows to '{tmp_path / part}.parquet'")
            params[f"things_{part}"] = [str(tmp_path / f"{part}.parquet")]
        con.execute(f"create table analyst.things ({columns})")
        con.executemany("insert into analyst.things values (?, ?, ?)", published)
        con.execute("create table analyst.actions (action_id varchar, village_code varchar)")
        con.execute("create table analyst.closed (close_action_id varchar, period varchar)")
        first = publish.matched_first(con)
        assert first == {"things": "source_file", "actions": "village_code", "closed": "close_action_id"}
        run_script(con, "republish_rows", params, fill={"table": "things", "column": first["things"]})
        kept = con.sql("from analyst.things order by n").fetchall()
    assert kept == [*published[3:], *staged["new"]]
