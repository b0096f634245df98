"""A batch of landing-zone files through the steps: read (per file), then the village path (structure, place;
normalise, validate: flows/ingest/village_files.py) or the branch path (BPJS exports: flows/ingest/branch_files.py),
and every file's and row's account (per batch)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from flows.ingest.branch_files import export_frames, extracted_export, validate_exports
from flows.ingest.discover import LOCK_FILE
from flows.ingest.exports import find_export
from flows.ingest.formats import CELL_PREFIX
from flows.ingest.limits import EXPORT_LIMITS, ROSTER_LIMITS, PassingReadError, UnreadableFileError
from flows.ingest.outcomes import (
    COUNT_COLUMNS,
    FILE_COLUMNS,
    LOADED_COLUMNS,
    ROW_KEY,
    SKIPPED_COLUMNS,
    BatchOutcome,
    DiscoveredFile,
    ExtractedFile,
    stacked,
)
from flows.ingest.place import Gazetteer
from flows.ingest.read import ROSTER_SUFFIXES, read_workbook
from flows.ingest.reasons import (
    LEFT_LOCK_FILE,
    NOT_A_SPREADSHEET,
    OUTSIDE_PERIOD,
    READ_FAILED,
    REASON_COLUMNS,
    SYMBOLIC_LINK,
    WORKER_MEMORY,
    Said,
)
from flows.ingest.structure import column_letter
from flows.ingest.village_files import extracted_village, placed_by_path, roster_frame, validate_rosters


def extract_file(raw_dir: Path, file: DiscoveredFile, gazetteer: Gazetteer) -> ExtractedFile:
    """Read a file's sheets, find its rosters and the village it reports."""
    path = raw_dir / file.source_file
    if file.problem:
        problem = Said.unpacked(file.problem)
        if problem.reason == SYMBOLIC_LINK:  # a link is ignored; other problems reject the file
            return ExtractedFile(file, "ignored", problem)
        return ExtractedFile(file, "rejected", problem, village_code=placed_by_path(file, gazetteer))
    if file.period is None:
        return ExtractedFile(file, "ignored", OUTSIDE_PERIOD())
    if LOCK_FILE.match(path.name):
        return ExtractedFile(file, "ignored", LEFT_LOCK_FILE())
    if path.suffix.lower() not in ROSTER_SUFFIXES:
        return ExtractedFile(file, "ignored", NOT_A_SPREADSHEET(suffix=path.suffix or "no extension"))
    try:
        raw_sheets = read_workbook(path, file.sha256, EXPORT_LIMITS if file.from_branch else ROSTER_LIMITS)
    except UnreadableFileError as error:
        transient = isinstance(error, PassingReadError)
        return ExtractedFile(file, "rejected", error.said, placed_by_path(file, gazetteer), transient=transient)
    except (KeyboardInterrupt, SystemExit):
        raise
    except MemoryError:  # the worker's ceiling (flows/ingest/workers.py); another moment may hold less
        reason = WORKER_MEMORY(file=path.name)
        return ExtractedFile(file, "rejected", reason, placed_by_path(file, gazetteer), transient=True)
    except BaseException as error:  # gone or replaced since discovery; a reader's panic (pyo3: a BaseException)
        reason = READ_FAILED(file=path.name, error=f"{type(error).__name__}: {' '.join(str(error).split())[:200]}")
        transient = isinstance(error, OSError)  # gone, or unreadable for a moment: not the file's content
        return ExtractedFile(file, "rejected", reason, placed_by_path(file, gazetteer), transient=transient)
    if file.from_branch:
        return extracted_export(file, {sheet.name: find_export(sheet) for sheet in raw_sheets})
    return extracted_village(file, raw_sheets, gazetteer)


def file_table(extracted: Sequence[ExtractedFile]) -> pl.DataFrame:
    """One row per file with its status and reason."""
    return pl.DataFrame(
        [
            (
                e.file.source_file,
                e.file.sha256,
                e.file.period,
                e.village_code,
                e.status,
                *recorded(e.reason),
                e.file.modified_at,
                e.kind,
                e.transient,
            )
            for e in extracted
        ],
        schema=FILE_COLUMNS,
        orient="row",
    )


def sheet_table(extracted: Sequence[ExtractedFile]) -> pl.DataFrame:
    """One row per sheet read: a roster with its row count, or ignored with the reason."""
    rows = [
        (e.file.sha256, e.file.source_file, r.sheet, "roster", *recorded(None), r.body.height)
        for e in extracted
        for r in e.sheets
    ] + [
        (e.file.sha256, e.file.source_file, i.sheet, "ignored", *recorded(i.reason), 0)
        for e in extracted
        for i in e.ignored_sheets
    ]
    return pl.DataFrame(
        rows,
        schema={
            **dict.fromkeys(["sha256", "source_file", "sheet", "status", *REASON_COLUMNS], pl.String),
            "rows_read": pl.Int32,
        },
        orient="row",
    )


def recorded(reason: Said | None) -> tuple[str | None, ...]:
    """A reason's columns (REASON_COLUMNS); a file or sheet that needs none has '' as its reason."""
    return reason.recorded() if reason else ("", None, None, None)


def column_index(grid_column: str) -> int:
    """`__UNNAMED__3` -> 3."""
    return int(grid_column.removeprefix(CELL_PREFIX))


def column_table(extracted: Sequence[ExtractedFile]) -> pl.DataFrame:
    """One row per mapped column of each roster sheet: its header as the village wrote it and its letter."""
    rows = [
        (e.file.sha256, r.sheet, name, r.headers.get(name), column_letter(r.first_column + column_index(grid_column)))
        for e in extracted
        if e.status == "placed"
        for r in e.sheets
        for name, grid_column in r.columns.items()
    ]
    return pl.DataFrame(rows, schema=["sha256", "sheet", "column_name", "header", "letter"], orient="row")


def validate_batch(extracted: Sequence[ExtractedFile], gazetteer: Gazetteer) -> BatchOutcome:
    """Normalise and validate the placed files' data rows together; account for every row of every file."""
    rows = roster_frame(extracted, gazetteer)
    exports = export_frames(extracted)
    accepted, failures, flagged = validate_rosters(rows) if rows.height else (pl.DataFrame(),) * 3
    checked = validate_exports(exports)
    failures = stacked([failures, *(kind_failures for _, kind_failures in checked.values())])
    read = stacked([frame.select(SKIPPED_COLUMNS) for frame in (rows, *exports.values()) if frame.height])
    return BatchOutcome(
        row_counts(file_table(extracted), read, failures),
        accepted.select(LOADED_COLUMNS) if accepted.height else pl.DataFrame(),
        failures.drop("rejects_row") if failures.width else failures,
        flagged,
        sheet_table(extracted),
        column_table(extracted),
        {kind: kind_accepted for kind, (kind_accepted, _) in checked.items()},
        read.filter(pl.col("row_kind") != "data") if read.height else read,
    )


def row_counts(files: pl.DataFrame, read: pl.DataFrame, failures: pl.DataFrame) -> pl.DataFrame:
    """Each file's rows read, loaded, rejected, skipped and duplicate (later exact copies, loaded once)."""
    if not read.height:
        return files.with_columns(pl.lit(0, dtype=pl.Int64).alias(c) for c in COUNT_COLUMNS)
    counted = read.group_by("sha256").agg(
        rows_read=pl.len(), rows_skipped=(pl.col("row_kind") != "data").sum().cast(pl.UInt32)
    )
    rejected = failures.filter(pl.col("rejects_row")).unique(ROW_KEY).group_by("sha256").len("rows_rejected")
    duplicate = (  # counted in rows_loaded, not in roster_rows
        failures.filter((pl.col("check_name") == "duplicate_row") & ~pl.col("rejects_row"))
        .unique(ROW_KEY)
        .group_by("sha256")
        .len("rows_duplicate")
    )
    return (
        files.join(counted, on="sha256", how="left")
        .join(rejected, on="sha256", how="left")
        .join(duplicate, on="sha256", how="left")
        .with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in COUNT_COLUMNS if c != "rows_loaded")
        .with_columns(rows_loaded=pl.col("rows_read") - pl.col("rows_rejected") - pl.col("rows_skipped"))
        .select(*files.columns, *COUNT_COLUMNS)  # the order of a batch without rows: batches stack by position
    )


def process_batch(raw_dir: Path, files: Sequence[DiscoveredFile], gazetteer: Gazetteer) -> BatchOutcome:
    """Extract, normalise and validate a batch of files."""
    return validate_batch([extract_file(raw_dir, file, gazetteer) for file in files], gazetteer)


def crashed(file: DiscoveredFile, gazetteer: Gazetteer, reason: Said) -> BatchOutcome:
    """The outcome of a file whose reading ended the worker process: rejected, on the village its path names.

    The end may be the moment's (the time limit on a busy machine, the kernel's memory killer, the
    worker's memory ceiling while another file held memory): a later run reads it again (`transient`).
    """
    rejected = ExtractedFile(file, "rejected", reason, placed_by_path(file, gazetteer), transient=True)
    return validate_batch([rejected], gazetteer)


def merge_outcomes(outcomes: Sequence[BatchOutcome]) -> BatchOutcome:
    """One outcome for several parts of a batch (each part's empty frames have no columns)."""
    kinds = sorted({kind for outcome in outcomes for kind in outcome.exports})
    return BatchOutcome(
        stacked([o.files for o in outcomes]),
        stacked([o.rows for o in outcomes]),
        stacked([o.failures for o in outcomes]),
        stacked([o.flagged for o in outcomes]),
        stacked([o.sheets for o in outcomes]),
        stacked([o.columns for o in outcomes]),
        {kind: stacked([o.exports.get(kind, pl.DataFrame()) for o in outcomes]) for kind in kinds},
        stacked([o.skipped for o in outcomes]),
    )
