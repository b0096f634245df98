"""The state's tables of BPJS exports: one statement template run for each kind in the registry."""

from __future__ import annotations

import duckdb

from flows.store.sql import run_script
from schemas.exports import EXPORTS


def for_each_export(con: duckdb.DuckDBPyConnection, script: str, params: dict[str, object] | None = None) -> None:
    """Run `script` once for each kind of BPJS export, its `{table}`, `{columns}` and `{subject}` from the registry."""
    for kind in EXPORTS:
        run_script(con, script, params, fill={"table": kind.name, "columns": kind.column_ddl, "subject": kind.subject})
