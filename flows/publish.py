"""Publish the analyst warehouse: a complete, checkpointed DuckDB file swapped in atomically."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from flows import reference
from flows.pii import hmac_pads
from flows.settings import BANYUMAS_REGENCY_CODE, REFERENCE_DIR, STATEMENTS_DIR, VIEWS_DIR
from flows.sql import registered, run_script, transaction

WAREHOUSE_MODE = 0o644  # analysts read it; it holds no raw NIK
# Row groups small enough that the analyst file is written on both cores (see `written_once`);
# with FSST off as well, publish went from 0.21-0.29 s to 0.15-0.21 s for the regency month.
WAREHOUSE_ROW_GROUP_SIZE = 16384
WRITE_ONCE_SETTINGS = {"checkpoint_threshold": "0b", "disabled_compression_methods": "fsst"}


@dataclass(frozen=True)
class ViewDoc:
    """A view's SQL and the documentation in its header comment."""

    name: str
    sql: str
    description: str
    columns: dict[str, str]
    example: str = ""
    grain: tuple[str, ...] = ()  # the columns one row is unique on


def read_view(path: Path) -> ViewDoc:
    """Parse `warehouse/views/<name>.sql`, whose header comment documents the view.

    Header lines before `-- Columns:` describe the view (an `-- Example:` line gives a query,
    a `-- Grain:` line the columns one row is unique on); `-- column: text` lines after it
    describe its columns.
    """
    text = path.read_text()
    header = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header.append(line.removeprefix("--").strip())
    split = header.index("Columns:") if "Columns:" in header else len(header)
    labelled = {"Example:": "", "Grain:": ""}
    for line in header[:split]:
        for label in labelled:
            if line.startswith(label):
                labelled[label] = line.removeprefix(label).strip()
    about = [line for line in header[:split] if not line.startswith(tuple(labelled))]
    description = " ".join(about).removeprefix(f"{path.stem}:").strip()
    matches = (re.match(r"^(\w+): (.+)$", line) for line in header[split + 1 :])
    columns = {match.group(1): match.group(2) for match in matches if match}
    grain = tuple(column.strip() for column in labelled["Grain:"].split(",") if column.strip())
    return ViewDoc(path.stem, text, description, columns, labelled["Example:"], grain)


def view_docs(views_dir: Path = VIEWS_DIR) -> list[ViewDoc]:
    """Every view of the warehouse, by name."""
    return [read_view(path) for path in sorted(views_dir.glob("*.sql"))]


def in_dependency_order(views: list[ViewDoc]) -> list[ViewDoc]:
    """Views ordered so each comes after the views its SQL names."""
    names = {view.name for view in views}
    code = {v.name: re.sub(r"--[^\n]*", "", v.sql) for v in views}  # headers may name the views that use them
    uses = {v.name: {n for n in names - {v.name} if re.search(rf"\b{n}\b", code[v.name])} for v in views}
    ordered: list[ViewDoc] = []
    while len(ordered) < len(views):
        done = {view.name for view in ordered}
        ready = [view for view in views if view.name not in done and uses[view.name] <= done]
        if not ready:
            cycle = ", ".join(sorted(names - done))
            raise RuntimeError(f"views that refer to each other in a cycle: {cycle}")
        ordered += ready
    return ordered


def create_views(con: duckdb.DuckDBPyConnection, views: list[ViewDoc], catalog: str) -> None:
    """Create the views in `catalog`, with COMMENT ON VIEW / COLUMN from their headers.

    A view in an attached database reads that database's tables, there and once opened on its own.
    """
    for view in in_dependency_order(views):
        name = f"{catalog}.{view.name}"
        con.execute(f"create view {name} as {view.sql}")
        con.execute(f"comment on view {name} is {sql_literal(view.description)}")
        for column, text in view.columns.items():
            con.execute(f"comment on column {name}.{column} is {sql_literal(text)}")


def sql_literal(text: str) -> str:
    """A SQL string literal (COMMENT ON takes no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def fingerprint(key: bytes, provisional_below_pct: float, region: str = BANYUMAS_REGENCY_CODE) -> str:
    """What the published warehouse is built from besides the data: views, statements, reference files, settings.

    The person_id key counts too, as a keyed digest of a fixed text: a new key must republish, and
    the fingerprint (kept in the state's `runs`) must not let anyone test guesses of the key.
    """
    digest = hashlib.sha256(f"{provisional_below_pct} {region}".encode())
    digest.update(hmac.new(key, b"cakupan publish fingerprint", hashlib.sha256).digest())
    sources = [
        *sorted(VIEWS_DIR.glob("*.sql")),
        STATEMENTS_DIR / "publish_tables.sql",
        *sorted(REFERENCE_DIR.glob("*.csv")),
    ]
    for path in sources:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def reference_frames(region: str) -> dict[str, pl.DataFrame]:
    """The reference tables the warehouse is built with, by the name publish_tables.sql reads them."""
    return {
        "ref_villages": reference.load_villages(region=region).drop("regency_code", "district_name"),
        "ref_districts": reference.load_districts(region=region),
        "ref_targets": reference.load_targets(),
        "ref_rates": reference.load_contribution_rates(),
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


def publish(
    state: duckdb.DuckDBPyConnection,
    warehouse: Path,
    key: bytes,
    run_id: str,
    provisional_below_pct: float,
    region: str = BANYUMAS_REGENCY_CODE,
) -> None:
    """Write the analyst warehouse beside `warehouse` in one transaction, checkpoint it, then swap it in by a rename."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    staging = warehouse.with_name(f".{warehouse.name}.publishing")
    staging.unlink(missing_ok=True)
    # the oldest storage format that holds it, so analysts' older DuckDB (1.x CLI, DBeaver) can open it
    state.execute(
        f"attach $path as analyst (storage_version 'v1.0.0', row_group_size {WAREHOUSE_ROW_GROUP_SIZE})",
        {"path": str(staging)},
    )
    try:
        try:
            params = {**hmac_pads(key), "run_id": run_id, "provisional_below_pct": provisional_below_pct}
            with registered(state, reference_frames(region)), written_once(state), transaction(state):
                run_script(state, "publish_tables", params)
                create_views(state, view_docs(), "analyst")
            state.execute("checkpoint analyst")  # a no-op after the commit's own checkpoint; kept as the guarantee
        finally:
            state.execute("detach analyst")
        staging.chmod(WAREHOUSE_MODE)
        staging.replace(warehouse)
    except BaseException:
        staging.unlink(missing_ok=True)  # a failed publish leaves the previous warehouse and nothing else
        raise
