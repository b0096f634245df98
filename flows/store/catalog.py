"""The warehouse's views as a catalogue: each `warehouse/views/<name>.sql` with the documentation in its header.

Views analysts query live in the default schema (`main`); the internal base views that count a
figure once for several views (`warehouse/views/internal/<name>.sql`) live in the schema
`internal` (`internal.coverage_base`), apart from them. An internal view names what it reads with
its schema (`main.roster_people`, `internal.coverage_base`): DuckDB binds an unqualified name in a
view of another schema against the connection's default database, not the view's.

`python -m flows.store.catalog > docs/views.md` writes the views' documentation page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from flows.settings import STATEMENTS_DIR, VIEWS_DIR


@dataclass(frozen=True)
class ViewDoc:
    """A view's SQL and the documentation in its header comment."""

    name: str
    sql: str
    description: str
    columns: dict[str, str]
    example: str = ""
    grain: tuple[str, ...] = ()  # the columns one row is unique on
    schema: str = "main"  # 'internal' for the base views under warehouse/views/internal/

    @property
    def qualified(self) -> str:
        """How a query names it: `coverage_by_group`, or `internal.coverage_base` for an internal view."""
        return self.name if self.schema == "main" else f"{self.schema}.{self.name}"


INTERNAL_SCHEMA = "internal"
# Counted once when the warehouse is published, as a table under the view's name: every coverage and
# verified view reads it, and as a view each of them counted every cut again (1-3 s each over a year).
MATERIALIZED = frozenset({"internal.people_counts"})


def read_view(path: Path, schema: str = "main") -> ViewDoc:
    """Parse `warehouse/views/<name>.sql` (or `internal/<name>.sql`), whose header comment documents the view."""
    text = path.read_text()
    header = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header.append(line)
    return replace(documented(path.stem, header, text), schema=schema)


def documented(name: str, header: list[str], sql: str) -> ViewDoc:
    """A view's or table's documentation from its header comment lines.

    Lines before `-- Columns:` describe it (an `-- Example:` line gives a query, a `-- Grain:`
    line the columns one row is unique on); `-- column: text` lines after it describe its columns.
    """
    lines = [line.removeprefix("--").strip() for line in header]
    split = lines.index("Columns:") if "Columns:" in lines else len(lines)
    labelled = {"Example:": "", "Grain:": ""}
    for line in lines[:split]:
        for label in labelled:
            if line.startswith(label):
                labelled[label] = line.removeprefix(label).strip()
    about = [line for line in lines[:split] if not line.startswith(tuple(labelled))]
    description = " ".join(about).removeprefix(f"{name}:").strip()
    matches = (re.match(r"^(\w+): (.+)$", line) for line in lines[split + 1 :])
    columns = {match.group(1): match.group(2) for match in matches if match}
    grain = tuple(column.strip() for column in labelled["Grain:"].split(",") if column.strip())
    return ViewDoc(name, sql, description, columns, labelled["Example:"], grain)


TABLE = re.compile(r"(?m)^((?:--[^\n]*\n)+)create table analyst\.(\w+) as")
# the statements that create the analyst tables, in the order publish runs them: the reference,
# then what the state database holds, the verification against BPJS, the periods
TABLE_STATEMENTS = ("publish_reference", "publish_tables", "publish_verification", "publish_period_tables")


def table_statements(directory: Path = STATEMENTS_DIR) -> list[Path]:
    """The files of TABLE_STATEMENTS."""
    return [directory / f"{name}.sql" for name in TABLE_STATEMENTS]


def table_docs(statements: list[Path] | None = None) -> list[ViewDoc]:
    """The analyst warehouse's tables, documented by the comment block above each `create table analyst.<name>`."""
    texts = [path.read_text() for path in statements or table_statements()]
    matches = (match for text in texts for match in TABLE.finditer(text))
    return [documented(match.group(2), match.group(1).splitlines(), "") for match in matches]


def view_docs(views_dir: Path = VIEWS_DIR) -> list[ViewDoc]:
    """Every view of the warehouse, by name: the analysts' views, then the internal base views."""
    internal = sorted((views_dir / INTERNAL_SCHEMA).glob("*.sql"))
    return [read_view(path) for path in sorted(views_dir.glob("*.sql"))] + [
        read_view(path, INTERNAL_SCHEMA) for path in internal
    ]


def uses(views: list[ViewDoc]) -> dict[str, set[str]]:
    """The names of the other views each view's SQL names, by view name (one pattern of every name: a search per
    pair of views took 33 ms, twice a publish)."""
    named = re.compile(rf"\b({'|'.join(sorted(re.escape(view.name) for view in views))})\b")
    code = {v.name: re.sub(r"--[^\n]*", "", v.sql) for v in views}  # headers may name the views that use them
    return {v.name: set(named.findall(code[v.name])) - {v.name} for v in views}


def in_dependency_order(views: list[ViewDoc]) -> list[ViewDoc]:
    """Views ordered so each comes after the views its SQL names."""
    names = {view.name for view in views}
    uses_ = uses(views)
    ordered: list[ViewDoc] = []
    while len(ordered) < len(views):
        done = {view.name for view in ordered}
        ready = [view for view in views if view.name not in done and uses_[view.name] <= done]
        if not ready:
            cycle = ", ".join(sorted(names - done))
            raise RuntimeError(f"views that refer to each other in a cycle: {cycle}")
        ordered += ready
    return ordered


def read_by(views: list[ViewDoc], names: set[str]) -> list[ViewDoc]:
    """The views named and every view they read, directly or through others."""
    read = uses(views)
    needed, more = set(), names
    while more:
        needed |= more
        more = {used for view in more for used in read[view]} - needed
    return [view for view in views if view.name in needed]


def create_views(con: duckdb.DuckDBPyConnection, views: list[ViewDoc], catalog: str) -> None:
    """Create the views in `catalog`, with COMMENT ON VIEW / COLUMN from their headers.

    A view in an attached database reads that database's tables, there and once opened on its own.
    The views, then their comments, go to DuckDB as scripts of many statements: one `execute` per
    statement cost more than the statements (docs/performance.md, issue 29's fourth round).
    """
    for schema in sorted({view.schema for view in views} - {"main"}):
        con.execute(f"create schema if not exists {catalog}.{schema}")
    made: list[str] = []
    for view in in_dependency_order(views):
        if view.qualified in MATERIALIZED:
            execute_all(con, made)  # the views it reads
            made = []
            create_view(con, view, catalog)
        else:
            made.append(f"create view {catalog}.{view.qualified} as {view.sql}")
    execute_all(con, made)
    execute_all(con, [line for view in views if view.qualified not in MATERIALIZED for line in comments(view, catalog)])


def create_view(con: duckdb.DuckDBPyConnection, view: ViewDoc, catalog: str) -> None:
    """Create one view in `catalog` (a table of its rows when MATERIALIZED, replacing one), and its comments."""
    if view.qualified in MATERIALIZED:
        with using(con, catalog):  # `main.roster_people` in its SQL is the warehouse's, as in a view
            con.execute(f"create or replace table {view.qualified} as {view.sql}")
    else:
        con.execute(f"create view {catalog}.{view.qualified} as {view.sql}")
    execute_all(con, comments(view, catalog))


def comments(doc: ViewDoc, catalog: str, kind: str = "") -> list[str]:
    """COMMENT ON statements for a view, a MATERIALIZED view's table or (`kind` 'table') a table of `catalog`."""
    kind = kind or ("table" if doc.qualified in MATERIALIZED else "view")
    name = f"{catalog}.{doc.qualified}"
    lines = [f"comment on {kind} {name} is {sql_literal(doc.description)}"]
    return lines + [f"comment on column {name}.{column} is {sql_literal(text)}" for column, text in doc.columns.items()]


def execute_all(con: duckdb.DuckDBPyConnection, statements: list[str]) -> None:
    """Execute `statements` as one script (each ends at its own line: a view's SQL may end in a comment)."""
    if statements:
        con.execute("\n;\n".join(statements))


@contextmanager
def using(con: duckdb.DuckDBPyConnection, database: str) -> Iterator[None]:
    """`database` as the connection's default while inside (unqualified names resolve in it), then the one before."""
    default = con.execute("select current_database()").fetchall()[0][0]
    con.execute(f"use {database}")
    try:
        yield
    finally:
        con.execute(f'use "{default}"')


@contextmanager
def counting_over(
    con: duckdb.DuckDBPyConnection, name: str, catalog: str, rows: dict[str, str]
) -> Iterator[Callable[[str], None]]:
    """A function counting the view `name` ('internal.people_counts') over some rows of `catalog`, into a temp table.

    The view's own SQL runs as if the tables of `catalog` that `rows` names ('main.roster') held only the
    rows of the query given for each: in an in-memory database `scope`, every table of `catalog` is a view
    selecting from it (or that query), and the views the counted one reads are made again over them. Enter
    it outside a transaction that writes `catalog` (one transaction writes one database); count within it.
    The incremental publisher counts the people it touches so (publish.republish_staged).
    """
    views = view_docs()
    target = next(view for view in views if view.qualified == name)
    needed = {view.name for view in read_by(views, {target.name})}
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = $catalog", {"catalog": catalog}
    ).fetchall()

    def count(into: str) -> None:
        with using(con, "scope"):
            con.execute(f"create or replace temporary table {into} as {target.sql}")

    con.execute("attach ':memory:' as scope")
    try:
        for schema in sorted({schema for schema, _ in tables} | {view.schema for view in views}):
            con.execute(f"create schema if not exists scope.{schema}")
        for schema, table in tables:
            query = rows.get(f"{schema}.{table}", f"select * from {catalog}.{schema}.{table}")
            con.execute(f"create view scope.{schema}.{table} as {query}")
        for view in in_dependency_order([view for view in views if view.name in needed - {target.name}]):
            con.execute(f"create view scope.{view.qualified} as {view.sql}")
        yield count
    finally:
        con.execute("detach scope")


def comment_tables(con: duckdb.DuckDBPyConnection, tables: list[ViewDoc], catalog: str) -> None:
    """COMMENT ON TABLE / COLUMN for the tables of `catalog` (one script), from the comments above their statements."""
    execute_all(con, [line for table in tables for line in comments(table, catalog, "table")])


def sql_literal(text: str) -> str:
    """A SQL string literal (COMMENT ON takes no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def views_markdown(views: list[ViewDoc], tables: list[ViewDoc]) -> str:
    """Every view, then every table, with its description, grain, columns and an example query, as markdown."""
    lines = [
        "# Warehouse views and tables",
        "",
        "Generated by `python -m flows.store.catalog > docs/views.md` from the header comments of",
        "`warehouse/views/*.sql` and of the tables in `warehouse/statements/publish_reference.sql`,",
        "`publish_tables.sql`, `publish_verification.sql` and `publish_period_tables.sql`, which",
        "are also stored in the warehouse (`COMMENT ON VIEW` / `TABLE` / `COLUMN`: see them with",
        "`select view_name, comment from duckdb_views()` or `duckdb_tables()`).",
        "",
        "# Views",
        "",
    ]
    lines += [line for view in views if view.schema == "main" for line in documentation(view)]
    lines += [
        "# Internal views (schema `internal`)",
        "",
        "Base views that count a figure once for the views above to select from; query the views above",
        "instead. They live in the schema `internal` (`select * from internal.coverage_base`), one file",
        "each in `warehouse/views/internal/`. `internal.people_counts`, which every coverage and verified",
        "view reads, is counted once when the warehouse is published: a table under its name.",
        "",
    ]
    lines += [line for view in views if view.schema != "main" for line in documentation(view)]
    lines += ["# Tables", "", "What the views are built from; `roster` is the row-level trail behind every figure.", ""]
    lines += [line for table in tables for line in documentation(table)]
    return "\n".join(lines)


def documentation(doc: ViewDoc) -> list[str]:
    """One view's or table's section of docs/views.md."""
    lines = [f"## `{doc.qualified}`", "", doc.description, ""]
    if doc.grain:
        lines += [f"One row per {', '.join(f'`{column}`' for column in doc.grain)}.", ""]
    lines += ["| column | meaning |", "|---|---|"]
    lines += [f"| `{column}` | {text} |" for column, text in doc.columns.items()]
    if doc.example:
        lines += ["", "```sql", f"{doc.example};", "```"]
    return [*lines, ""]


if __name__ == "__main__":
    print(views_markdown(view_docs(), table_docs()), end="")
