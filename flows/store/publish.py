"""Publish the analyst warehouse: a complete, checkpointed DuckDB file swapped in atomically."""

from __future__ import annotations

import hashlib
import hmac
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from flows.privacy import mask_variables
from flows.settings import REFERENCE_DIR, STATEMENTS_DIR, VIEWS_DIR, Settings
from flows.store import reference
from flows.store.catalog import (
    MATERIALIZED,
    TABLE_STATEMENTS,
    comment_tables,
    counting_over,
    create_view,
    create_views,
    table_docs,
    view_docs,
)
from flows.store.pii import PiiKey, hmac_pads
from flows.store.sql import registered, run_script, session, transaction
from flows.store.staging import ONE_PER_KEY, ROWS, STAGED_TABLES, partition_of
from schemas.roster import check_catalog

WAREHOUSE_MODE = 0o644  # analysts read it; it holds no raw NIK
# Row groups small enough that the analyst file is written on both cores (see `written_once`);
# with FSST off as well, publish went from 0.21-0.29 s to 0.15-0.21 s for the regency month.
WAREHOUSE_ROW_GROUP_SIZE = 16384
WRITE_ONCE_SETTINGS = {"checkpoint_threshold": "0b", "disabled_compression_methods": "fsst"}


STATEMENTS = (
    "create_macros",
    *TABLE_STATEMENTS,
    "summarize_coverage",
    "keep_verified_kpj",
    "province_macros",
    "publish_staged_tables",
    "republish_regencies",
    "republish_rows",
    "republish_keyed",
    "republish_touched",
    "republish_people_counts",
)


def fingerprint(key: bytes, settings: Settings) -> str:
    """What the published warehouse is built from besides the data: views, statements, reference files, settings.

    The settings are those published figures depend on (`Settings.figures`), all of them. The
    person_id key counts too, as a keyed digest of a fixed text: a new key must republish, and
    the fingerprint (kept in the state's `runs`) must not let anyone test guesses of the key.
    So does the check catalogue (schemas/roster.py: each check's severity and message, which
    validation_failures rows carry): a new one must not be mixed with the old in one republished file.
    """
    digest = hashlib.sha256(settings.figures_digest.encode())
    digest.update(hmac.new(key, b"cakupan publish fingerprint", hashlib.sha256).digest())
    digest.update(check_catalog().write_csv().encode())
    sources = [
        *sorted(VIEWS_DIR.glob("*.sql")),
        *(STATEMENTS_DIR / f"{name}.sql" for name in STATEMENTS),
        *sorted(REFERENCE_DIR.glob("*.csv")),
    ]
    for path in sources:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def reference_frames(region: str) -> dict[str, pl.DataFrame]:
    """The reference tables the warehouse is built with, by the name publish_tables.sql reads them."""
    return {
        "ref_regencies": reference.load_regencies(region=region),
        "ref_villages": reference.load_villages(region=region).drop("regency_code", "district_name"),
        "ref_districts": reference.load_districts(region=region),
        "ref_targets": reference.load_targets(),
        "ref_rates": reference.load_contribution_rates(),
        "ref_groups": reference.load_groups(),
        "ref_group_targets": reference.load_group_targets(),
        "ref_grace": reference.load_grace_periods(),
        "ref_due_dates": reference.load_due_dates(),
    }


@contextmanager
def written_once(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commits within it write straight into the database file, each row group compressed as it fills.

    - `checkpoint_threshold` 0: a commit whose WAL would pass the threshold checkpoints instead
      of writing the WAL, so the analyst file's tables are written once, not twice.
    - no FSST: with row groups of WAREHOUSE_ROW_GROUP_SIZE rows, the threads that insert
      compress each full row group at once, and trying FSST on every text column cost more
      than the rest of that work. It won on few columns: without it the regency month's file is
      5.3-5.5 MB, not 5.0-5.3 MB.

    Both are settings of the whole DuckDB instance, so they are reset on the way out.
    """
    for name, value in WRITE_ONCE_SETTINGS.items():
        con.execute(f"set {name} = '{value}'")
    try:
        yield
    finally:
        for name in WRITE_ONCE_SETTINGS:
            con.execute(f"reset {name}")


def publish(state: duckdb.DuckDBPyConnection, settings: Settings, key: PiiKey, run_id: str) -> None:
    """Build the analyst warehouse `settings.warehouse` from the state database and swap it in (`swap_in`).

    Every figure setting is a parameter of the statements (`$provisional_below_pct`, `$timezone`, ...).
    Then, in the state database, keep what the run summary shows (for a run that finds nothing new)
    and the KPJs the verification matched (`keep_in_state`).
    """
    try:
        with registered(state, reference_frames(settings.region)):
            params = publish_params(settings, key, run_id)
            swap_in(
                state,
                settings.warehouse,
                list(TABLE_STATEMENTS),
                params,
                ["summarize_coverage"],
                template_for(settings),
            )
        keep_in_state(state)
    finally:
        drop_session_tables(state)


def publish_params(settings: Settings, key: PiiKey, run_id: str) -> dict[str, object]:
    """The parameters of the statements that build the analyst tables from the state database."""
    return {
        **settings.figures,
        **hmac_pads(key.value),
        "run_id": run_id,
        "pii_key_source": key.source,
        **reference.name_title_patterns(),
    }


def keep_in_state(state: duckdb.DuckDBPyConnection, coverage: bool = True) -> None:
    """After the analyst tables are built: keep the run summary's coverage and the KPJs the verification matched.

    The coverage is what a run that finds nothing new prints; the KPJs (keep_verified_kpj.sql) are for the
    villages' selisih workbooks, the warehouse never holds them. One transaction writes one database: the
    state's, after the warehouse's.
    """
    with transaction(state):
        if coverage:
            state.execute("create or replace table published_coverage as from summary_coverage")
        else:  # a province child's: what it staged is not a warehouse whose coverage a run would print
            state.execute("drop table if exists published_coverage")
        run_script(state, "keep_verified_kpj")


def drop_session_tables(state: duckdb.DuckDBPyConnection) -> None:
    """Forget the key's pads (set by publish_tables.sql) and drop the session's temporary tables (the matching's
    people with their NIKs, the summary's coverage): the run's connection lives on after its publish."""
    state.execute("reset variable pii_inner_pad")
    state.execute("reset variable pii_outer_pad")
    temporary = state.execute("select table_name from duckdb_tables() where temporary").fetchall()
    for (table,) in temporary:
        state.execute(f'drop table temp.main."{table}"')


@contextmanager
def built_in_memory(state: duckdb.DuckDBPyConnection, settings: Settings, key: PiiKey, run_id: str) -> Iterator[None]:
    """The analyst tables `publish` builds, by the same statements, in an in-memory database attached as `analyst`.

    For a province child, which stages them (flows/province_run.py) and writes no analyst file: no views
    and no comments (the province warehouse makes its own), and no run summary's coverage (a child prints
    none: `keep_in_state(coverage=False)`). Call `keep_in_state` within it once what was built is staged.
    """
    try:
        with registered(state, reference_frames(settings.region)):
            state.execute("attach ':memory:' as analyst")
            try:
                params = publish_params(settings, key, run_id)
                for script in TABLE_STATEMENTS:
                    run_script(state, script, params)
                yield
            finally:
                state.execute("detach analyst")
    finally:
        drop_session_tables(state)


def publish_staged(objects: dict[str, list[str]], settings: Settings, run_id: str) -> None:
    """Build the province warehouse `settings.warehouse` from staged Parquet (local paths, by table), swap it in.

    Its own DuckDB session, in memory: the staged tables hold no raw NIK, and no state database is opened.
    """
    params = {**settings.figures, "run_id": run_id}
    params |= {f"{table}_objects": paths for table, paths in objects.items()}
    frames = {**reference_frames(settings.region), "ref_checks": check_catalog()}
    with session() as con, registered(con, frames):
        run_script(con, "create_macros", mask_variables())
        run_script(con, "province_macros")
        swap_in(con, settings.warehouse, ["publish_reference", "publish_staged_tables"], params)


@dataclass(frozen=True)
class ChangedRegencies:
    """What the incremental publisher reads, by table: local paths of staged objects."""

    codes: list[str]  # the regencies staged anew since the warehouse was published
    old: dict[str, list[str]]  # what they had staged when it was published
    new: dict[str, list[str]]  # what they stage now
    others: dict[str, list[str]]  # what every other regency stages (only the touched people's rows are read)


def republish_staged(changed: ChangedRegencies, settings: Settings, run_id: str) -> None:
    """Replace the changed regencies' rows in a copy of the province warehouse, and swap it in.

    The warehouse must have been published with the same fingerprint but for those regencies'
    generations (flows/province_run.py decides): views, reference tables and settings are as they were,
    and the other regencies' rows are kept as written, not read again. internal.people_counts is
    counted for the people the changed regencies touch, before and after, and its rows corrected by the
    difference (republish_people_counts.sql). Figures equal `publish_staged` over every regency
    (tests/test_republish.py).
    """
    # every path of a changed regency starts with its code and a slash: '/' sorts just before '0'
    bounds = {"changed_from": f"{min(changed.codes)}/", "changed_to": f"{max(changed.codes)}0"}
    params: dict[str, object] = {"run_id": run_id, "changed": changed.codes, **bounds}
    for part, objects in (("old", changed.old), ("new", changed.new), ("others", changed.others)):
        params |= {f"{table}_{part}": paths for table, paths in objects.items()}
    (people_counts,) = MATERIALIZED  # counted again for the people the changed regencies touch, not whole
    touched = {  # counted_roster: republish_touched.sql
        "main.roster": "select * exclude (row_id) from counted_roster",
        "main.verification": "from analyst.main.verification semi join counted_people using (period, person_id)",
    }
    with session() as con, registered(con, {"ref_checks": check_catalog()}):
        run_script(con, "create_macros", mask_variables())
        run_script(con, "province_macros")
        with replacing(con, settings.warehouse, from_current=True):
            run_script(con, "republish_touched", params)
            held = set(con.execute("select regency_code, period from counted_partitions").fetchall())
            params["roster_others"] = [path for path in changed.others["roster"] if partition_of(path) in held]
            due = {period for (period,) in con.execute("select period from due_periods").fetchall()}
            params["due_dates_others"] = [path for path in changed.others["due_dates"] if partition_of(path)[1] in due]
            with (
                counting_over(con, people_counts, "analyst", touched) as count_people,
                written_once(con),
                transaction(con),
            ):
                count_people("people_counts_before")
                run_script(con, "republish_regencies", params)
                first = matched_first(con)
                for table, how in STAGED_TABLES.items():
                    if how == ROWS:
                        run_script(con, "republish_rows", params, fill={"table": table, "column": first[table]})
                for table, key in ONE_PER_KEY.items():
                    run_script(con, "republish_keyed", params, fill={"table": table, "key": key})
                count_people("people_counts_after")
                run_script(con, "republish_people_counts")


def matched_first(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """By table of `analyst`, the column republish_rows.sql matches rows on first: a source file's path or a village
    code where it has one (both start with the regency's code), else its first column."""
    listed = con.execute(
        "select table_name, list(column_name order by column_index) from duckdb_columns() "
        "where database_name = 'analyst' and schema_name = 'main' group by table_name"
    ).fetchall()
    return {
        table: next((name for name in ("source_file", "village_code") if name in names), names[0])
        for table, names in listed
    }


def swap_in(
    con: duckdb.DuckDBPyConnection,
    warehouse: Path,
    scripts: list[str],
    params: dict[str, object],
    over_views: Sequence[str] = (),
    template: Path | None = None,
) -> None:
    """Write the analyst warehouse beside `warehouse` in one transaction, checkpoint it, then swap it in by a rename.

    `scripts` (warehouse/statements/) create its tables in the attached database `analyst`; the
    views and the tables' comments follow in the same transaction, then `over_views` (scripts
    that read the views into temporary tables). With a `template` path, the views and their
    comments come from that file (`keep_template`: made after the first publish that has none),
    and the new file starts as a byte copy of it.
    """
    start = template if template is not None and template.exists() else None
    with replacing(con, warehouse, from_current=False, template=start), written_once(con):
        with transaction(con):
            for script in scripts:
                run_script(con, script, params)
            if start is None:
                create_views(con, view_docs(), "analyst")
            else:
                for view in view_docs():
                    if view.qualified in MATERIALIZED:
                        create_view(con, view, "analyst")
            comment_tables(con, table_docs(), "analyst")
            for script in over_views:
                run_script(con, script, params)
        if template is not None and start is None:
            keep_template(con, template)  # before the swap: a publish that fails to make it leaves the warehouse


def template_for(settings: Settings) -> Path:
    """Where the regency publish keeps its template beside the state: named by what its views are bound to.

    That is every view and statement (the state's tables and the analyst tables' types come from
    the statements), the reference files (the reference tables' types), DuckDB's version (its storage) and
    the figure settings: a change to any of them makes another name. Nothing in it depends on the key.
    """
    digest = hashlib.sha256(duckdb.__version__.encode())
    digest.update(settings.figures_digest.encode())
    for view in view_docs():  # what create_views reads: its header (the comments) and its query
        digest.update(view.qualified.encode() + view.sql.encode())
    for path in sorted([*STATEMENTS_DIR.glob("*.sql"), *REFERENCE_DIR.glob("*.csv")]):
        digest.update(path.name.encode() + path.read_bytes())
    return settings.state.parent / f"{settings.warehouse.stem}.template-{digest.hexdigest()[:16]}.duckdb"


def keep_template(con: duckdb.DuckDBPyConnection, template: Path) -> None:
    """Keep the views and their comments of the warehouse just written (`analyst`), without a row, as `template`.

    Its tables are copied empty, the views made over them with their comments, then the tables
    dropped (DuckDB does not tie a view to the tables it reads, and binds it again when queried):
    a publish from the template makes the tables, and its views read them. Other templates of the
    warehouse (another catalogue's) are removed.
    """
    staging = template.with_name(f".{template.name}.making")
    staging.unlink(missing_ok=True)
    options = f"storage_version 'v1.0.0', row_group_size {WAREHOUSE_ROW_GROUP_SIZE}"
    con.execute(f"attach $path as template ({options})", {"path": str(staging)})
    try:
        tables = con.execute("select schema_name, table_name from duckdb_tables() where database_name = 'analyst'")
        names = tables.fetchall()
        with transaction(con):
            for schema in sorted({schema for schema, _ in names} - {"main"}):
                con.execute(f"create schema template.{schema}")
            for schema, table in names:
                con.execute(f"create table template.{schema}.{table} as from analyst.{schema}.{table} limit 0")
            create_views(con, [view for view in view_docs() if view.qualified not in MATERIALIZED], "template")
            for schema, table in names:
                con.execute(f"drop table template.{schema}.{table}")
        con.execute("checkpoint template")
    finally:
        con.execute("detach template")
    stem = template.name.split(".template-")[0]
    for old in template.parent.glob(f"{stem}.template-*.duckdb"):
        old.unlink()
    staging.replace(template)


@contextmanager
def replacing(
    con: duckdb.DuckDBPyConnection, warehouse: Path, from_current: bool, template: Path | None = None
) -> Iterator[None]:
    """Attach a new analyst file beside `warehouse` as `analyst`, and swap it in by a rename when the block ends.

    The file is new and empty, a copy of `template`, or (`from_current`) a copy of `warehouse` as
    published: readers keep the published file, untouched, until the rename. The block writes it in one transaction (its
    caller's, within `written_once`), checkpointed before the rename; on any error the new file is
    removed and `warehouse` stays.
    """
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    staging = warehouse.with_name(f".{warehouse.name}.publishing")
    staging.unlink(missing_ok=True)
    try:
        # The oldest storage format that holds it, so analysts' older DuckDB (1.x CLI, DBeaver) can open it
        # (a copy keeps its own), and always the same row group size: attached with another, a copy's first
        # checkpoint rewrites every table to it (3-4 s for 500,000 rows, and the file doubles).
        options = f"row_group_size {WAREHOUSE_ROW_GROUP_SIZE}"
        if from_current or template is not None:
            shutil.copyfile(template or warehouse, staging)
        else:
            options = f"storage_version 'v1.0.0', {options}"
        con.execute(f"attach $path as analyst ({options})", {"path": str(staging)})
        try:
            yield
            con.execute("checkpoint analyst")  # a no-op after the commit's own checkpoint; kept as the guarantee
        finally:
            con.execute("detach analyst")
        staging.chmod(WAREHOUSE_MODE)
        staging.replace(warehouse)
    except BaseException:
        staging.unlink(missing_ok=True)  # a failed publish leaves the previous warehouse and nothing else
        raise
