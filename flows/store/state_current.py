"""Decide the current file versions in the state database and say their reasons in both languages."""

from __future__ import annotations

import duckdb
import polars as pl

from flows.ingest.reasons import Said
from flows.privacy import mask_text
from flows.store.sql import query_frame, registered, run_script, transaction
from flows.store.state_exports import for_each_export
from schemas.roster import check_catalog


def fill_reasons(con: duckdb.DuckDBPyConnection) -> None:
    """Say in both languages every reason a statement recorded as its catalogue code and parameters only
    (refresh_current.sql, hold_pending.sql: a statement that changes a reason clears its texts).
    """
    for table, key in (
        ("ingested_files", ("source_file", "sha256")),
        ("ingested_sheets", ("source_file", "sha256", "sheet")),
    ):
        pending = query_frame(
            con,
            f"select {', '.join(key)}, reason_code, reason_params from {table} "
            "where reason_code is not null and (reason is null or alasan is null)",
        )
        if pending.height:
            said = [
                Said.from_json(code, params)
                for code, params in pending.select("reason_code", "reason_params").iter_rows()
            ]
            texts = pending.select(*key).with_columns(
                reason=pl.Series([s.english for s in said], dtype=pl.String),
                alasan=pl.Series([s.alasan for s in said], dtype=pl.String),
            )
            matched = " and ".join(f"t.{column} = s.{column}" for column in key)
            with registered(con, {"said": texts}):
                con.execute(
                    f"update {table} as t set reason = s.reason, alasan = s.alasan from said as s where {matched}"
                )


def refresh_current(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Decide the current file version per (period, village, group), mark superseded ones, run cross-row checks.

    Versions that arrived for a closed period are held as pending (hold_pending.sql) in the same transaction.
    """
    with registered(con, {"ref_checks": check_catalog()}), transaction(con):
        for_each_export(con, "export_subjects")
        run_script(con, "refresh_exports")
        run_script(con, "refresh_current", {"run_id": run_id})
        run_script(con, "hold_pending")
        fill_reasons(con)


def held_files(con: duckdb.DuckDBPyConnection) -> int:
    """File versions held as pending for a closed period (hold_pending.sql)."""
    (count,) = con.execute("select count(*) from ingested_files where status = 'pending'").fetchall()[0]
    return int(count)


def rejected_files(con: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    """Files currently rejected, with the reason, for the run summary (Prefect stores it: NIKs masked)."""
    query = "select source_file, period, reason from ingested_files where status = 'rejected' order by source_file"
    rows = query_frame(con, query).to_dicts()
    return [{k: mask_text("" if v is None else str(v)) for k, v in row.items()} for row in rows]
