"""Record in the state database what a run read: batches of files, their rows and failures, copies, skipped files."""

from __future__ import annotations

import duckdb
import polars as pl

from flows.ingest.outcomes import COUNT_COLUMNS, BatchOutcome
from flows.ingest.reasons import REASON_COLUMNS, SAME_CONTENT, passing_note
from flows.store.sql import query_frame, registered, run_script, transaction
from flows.store.state_exports import for_each_export
from schemas.exports import EXPORTS

KNOWN_VERSIONS = """
select f.source_file, f.sha256, f.period,
       coalesce(f.transient, false) and f.status = 'rejected' and coalesce(a.attempts, 0) <= $retries as retry,
       f.sha256 in (select sha256 from file_groups) as grouped,
       f.status = 'ignored' and f.reason_code is not distinct from $copy_code as copy
from ingested_files as f
left join (
    select source_file, sha256, count(*) as attempts from file_attempts group by source_file, sha256
) as a using (source_file, sha256)
"""


def known_versions(con: duckdb.DuckDBPyConnection, retries: int) -> pl.DataFrame:
    """(source_file, sha256, period, retry, grouped, copy) of every file version already ingested.

    `retry`: rejected for a passing reason at most `retries` + 1 times so far: read again. `grouped`: its content
    holds slots in file_groups (it was placed and read): the same bytes under another path are a copy of it.
    `copy`: recorded as a copy of content under another path (record_copies), not read.
    """
    return query_frame(con, KNOWN_VERSIONS, {"retries": retries, "copy_code": SAME_CONTENT.code})


def with_attempts(con: duckdb.DuckDBPyConnection, files: pl.DataFrame, retries: int) -> pl.DataFrame:
    """`files` with each passing failure's reason saying, in both languages, whether a later run reads it again."""
    if "transient" not in files.columns or not files["transient"].any():
        return files
    earlier = query_frame(
        con, "select source_file, sha256, count(*)::integer as earlier from file_attempts group by all"
    )
    counted = files.join(earlier, on=["source_file", "sha256"], how="left", maintain_order="left")
    notes = [
        passing_note(earlier + 1, retries) if transient else None
        for transient, earlier in zip(counted["transient"], counted["earlier"].fill_null(0), strict=True)
    ]
    return files.with_columns(
        reason=pl.Series(
            [r + n.english if n else r for r, n in zip(files["reason"], notes, strict=True)], dtype=pl.String
        ),
        alasan=pl.Series(
            [a + n.alasan if n else a for a, n in zip(files["alasan"], notes, strict=True)], dtype=pl.String
        ),
    )


def empty_like(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """`frame`, or when it has no columns, an empty frame shaped like `table`."""
    return frame if frame.width else query_frame(con, f"select * from {table} limit 0")


def load_batch(con: duckdb.DuckDBPyConnection, outcome: BatchOutcome, run_id: str, retries: int) -> None:
    """Record a batch of files, their rows and failures in one transaction (`retries`: the setting file_retries)."""
    frames = {
        "batch_files": with_attempts(con, outcome.files, retries),
        "batch_rows": empty_like(con, outcome.rows, "roster_rows"),
        "batch_failures": empty_like(con, outcome.failures, "validation_failures"),
        "batch_flagged": empty_like(con, outcome.flagged, "flagged_rows"),
        "batch_sheets": empty_like(con, outcome.sheets, "ingested_sheets"),
        "batch_columns": empty_like(con, outcome.columns, "sheet_columns"),
        "batch_skipped": empty_like(con, outcome.skipped, "skipped_rows"),
        **{f"batch_{k.name}": empty_like(con, outcome.exports.get(k.name, pl.DataFrame()), k.name) for k in EXPORTS},
    }
    with registered(con, frames), transaction(con):
        run_script(con, "insert_batch", {"run_id": run_id})
        for_each_export(con, "insert_export_rows", {"run_id": run_id})


def forget(con: duckdb.DuckDBPyConnection, period: str | None, unread: pl.DataFrame) -> None:
    """Drop what was ingested (for one period, or all) so a full refresh re-reads it, but for the versions at the
    paths it leaves `unread` (source_file: still being copied): a file the run cannot read keeps what it had."""
    with registered(con, {"unread_now": unread.select("source_file")}), transaction(con):
        run_script(con, "forget_ingested", {"period": period})
        for_each_export(con, "forget_export_rows", {"period": period})


def record_copies(con: duckdb.DuckDBPyConnection, copies: pl.DataFrame, run_id: str) -> None:
    """Record files whose content was already ingested under another path as ignored."""
    said = [SAME_CONTENT(first=first).recorded() for first in copies["source_file_first"]]
    reasons = pl.DataFrame(said, schema=dict.fromkeys(REASON_COLUMNS, pl.String), orient="row")
    files = pl.concat([copies, reasons], how="horizontal").select(
        "source_file",
        "sha256",
        "period",
        "modified_at",
        pl.lit(None, dtype=pl.String).alias("village_code"),
        pl.lit("ignored").alias("status"),
        pl.lit(None, dtype=pl.String).alias("kind"),  # not read again
        *REASON_COLUMNS,
        *(pl.lit(0).alias(c) for c in COUNT_COLUMNS),
        pl.lit(False).alias("transient"),
    )
    load_batch(con, BatchOutcome(files, pl.DataFrame(), pl.DataFrame()), run_id, retries=0)


# the versions (a village's roster, a branch's export) with a group that no longer counts, of the content a run
# found sent (the frame `sent`)
SUPERSEDED_SENT = """
select distinct source_file, sha256
from file_groups
where not is_current and sha256 in (select sha256 from sent)
"""


def record_arrivals(
    con: duckdb.DuckDBPyConnection, present: pl.DataFrame, found: pl.DataFrame, run_id: str
) -> pl.DataFrame:
    """Record the paths of the zone that changed since a run last looked (path_contents): content sent (new, or
    other than the path last held: the arrivals by which the newest sent counts), a rename (content that left its
    path in this run, found at a path new to the state), a file back unchanged, a path gone. `present`: the zone's
    readable files this run reads now or knows (source_file, sha256); `found`: every file in the zone. Returns the
    versions that no longer counted whose content was sent (source_file, sha256), for `counting_again`. A run with
    nothing new writes nothing here."""
    files = present.select("source_file", "sha256")
    now = query_frame(con, "select source_file, sha256, present from path_now")  # kept through a full refresh
    there = now.filter(pl.col("present")).select("source_file", "sha256")
    changed = files.join(there, on=["source_file", "sha256"], how="anti")
    left = there.join(files, on=["source_file", "sha256"], how="anti")  # content no longer where it was
    gone = left.join(found, on="source_file", how="anti").select("source_file", sha256=pl.lit(""), sent=pl.lit(False))
    renamed = pl.col("sha256").is_in(left["sha256"].implode()) & ~pl.col("source_file").is_in(
        now["source_file"].implode()
    )
    back = changed.join(now, on=["source_file", "sha256"], how="semi")["source_file"].implode()
    rows = pl.concat([changed.with_columns(sent=~(renamed | pl.col("source_file").is_in(back))), gone])
    if rows.is_empty():
        return pl.DataFrame(schema={"source_file": pl.String, "sha256": pl.String})
    sent = rows.filter(pl.col("sent")).select("sha256")
    with registered(con, {"arrived": rows.with_columns(run_id=pl.lit(run_id)), "sent": sent}), transaction(con):
        superseded = query_frame(con, SUPERSEDED_SENT)  # before this run decides again what counts
        con.execute("insert into path_contents by name select * from arrived")
    return superseded


def counting_again(con: duckdb.DuckDBPyConnection, sent_again: pl.DataFrame, run_id: str) -> list[tuple[str, str]]:
    """(path, came as) of the versions `record_arrivals` found sent again that count now, by an arrival of this run
    (a closed period holds them until it is reopened, a newer file of the same run outranks them, and a copy in
    another month is none)."""
    if sent_again.is_empty():
        return []
    with registered(con, {"sent_again": sent_again}):
        counting = con.execute(
            "select distinct s.source_file, a.came_as from sent_again as s "
            "join file_groups as g using (sha256, source_file) join version_arrivals as a using (sha256, source_file) "
            "where g.is_current and a.run_id = $run_id order by all",
            {"run_id": run_id},
        ).fetchall()
    return [(str(path), str(came_as)) for path, came_as in counting]


def record_skipped(con: duckdb.DuckDBPyConnection, skipped: pl.DataFrame, run_id: str) -> None:
    """Record the files this run leaves unread for now (discover.skipped), with why."""
    frame = skipped.select("source_file", "sha256", *REASON_COLUMNS, pl.lit(run_id).alias("run_id"))
    with registered(con, {"skipped": frame}), transaction(con):
        con.execute("insert into skipped_files by name select * from skipped")
