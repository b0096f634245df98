"""Village files through the steps: read -> structure -> place (per file), then normalise -> validate (per batch)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from flows.ingest.discover import LOCK_FILE
from flows.ingest.exports import (
    EXPORT_ALIASES,
    ExportSheet,
    export_only_columns,
    find_export,
    validate_export,
    with_export_row_kinds,
)
from flows.ingest.formats import CELL_PREFIX, RawSheet
from flows.ingest.headers import CANONICAL_COLUMNS, file_group
from flows.ingest.limits import EXPORT_LIMITS, ROSTER_LIMITS, PassingReadError, UnreadableFileError
from flows.ingest.normalize import normalize
from flows.ingest.place import Gazetteer, place
from flows.ingest.read import ROSTER_SUFFIXES, read_workbook
from flows.ingest.reasons import (
    EXPORT_IN_VILLAGE_FILE,
    EXPORT_OUTSIDE_BRANCH,
    LEFT_LOCK_FILE,
    NO_ROSTER_SHEET,
    NOT_A_SPREADSHEET,
    NOT_AN_EXPORT,
    NOT_PART_OF_EXPORT,
    OUTSIDE_PERIOD,
    READ_FAILED,
    REASON_COLUMNS,
    SEVERAL_EXPORT_KINDS,
    SYMBOLIC_LINK,
    WORKER_MEMORY,
    Said,
)
from flows.ingest.structure import (
    IgnoredSheet,
    Roster,
    column_letter,
    stack_rosters,
    structure_sheet,
    with_row_kinds,
)
from flows.ingest.validate import validate
from flows.privacy import mask_nik
from schemas.exports import EXPORT_KINDS, EXPORTS

FileStatus = Literal["placed", "rejected", "ignored"]  # a placed file becomes `loaded` when its batch is

FILE_COLUMNS = {
    "source_file": pl.String,
    "sha256": pl.String,
    "period": pl.String,
    "village_code": pl.String,
    "status": pl.String,
    **dict.fromkeys(REASON_COLUMNS, pl.String),  # a reason of the catalogue (flows/ingest/reasons.py), or ''
    "modified_at": pl.Float64,
    "kind": pl.String,  # 'roster', the BPJS export it is (schemas/exports.py EXPORTS), or 'bpjs' (not one)
    "transient": pl.Boolean,  # rejected for a reason of the moment: a later run reads it again (state.py)
}
SHEET_COLUMNS = {
    "sheet_index": pl.Int32,
    "source_file": pl.String,
    "sha256": pl.String,
    "period": pl.String,
    "village_code": pl.String,
    "sheet": pl.String,
    "group_hint": pl.String,
    "is_vulnerable_workers": pl.Boolean,
}
COUNT_COLUMNS = ("rows_read", "rows_loaded", "rows_rejected", "rows_skipped", "rows_duplicate")
ROW_KEY = ("sha256", "sheet", "source_row")
SKIPPED_COLUMNS = ("sha256", "source_file", "sheet", "source_row", "row_kind")  # what skipped_rows keeps
LOADED_COLUMNS = (  # of an accepted row: what roster_rows keeps, nothing more crosses between processes
    *ROW_KEY,
    "source_file",
    "period",
    "village_code",
    "group_code",
    "nik",
    "name",
    "sex",
    "birth_date",
    "role",
    "rt",
    "rw",
    "enrolled",
    "kpj",
    "start_date",
    "contribution_source",
    "contribution_idr",
    "occupation",
    "has_warning",
)
FLAGGED_COLUMNS = (
    "source_file",
    "period",
    "village_code",
    *ROW_KEY,
    *(f"{c}_raw" for c in CANONICAL_COLUMNS if c != "row_no"),
)


@dataclass(frozen=True)
class DiscoveredFile:
    """A landing-zone file as discovery saw it."""

    source_file: str
    period: str | None
    sha256: str
    modified_at: float
    problem: str | None = None  # why it is not read: a catalogue reason, packed (see discover.not_read)
    from_branch: bool = False  # in the period's BPJS folder: read only as the branch's export (discover.from_branch)


@dataclass(frozen=True)
class ExtractedFile:
    """A file read and placed: its roster sheets, or why it was rejected or ignored."""

    file: DiscoveredFile
    status: FileStatus
    reason: Said | None = None
    village_code: str | None = None
    rosters: tuple[Roster, ...] = ()
    exports: tuple[ExportSheet, ...] = ()  # of a file in the branch's folder
    kind: str = "roster"
    ignored_sheets: tuple[IgnoredSheet, ...] = ()
    transient: bool = False  # rejected for a reason of the moment (gone, changed, time limit, worker ended)

    @property
    def sheets(self) -> tuple[Roster | ExportSheet, ...]:
        """Its roster or export sheets."""
        return (*self.rosters, *self.exports)


@dataclass(frozen=True)
class BatchOutcome:
    """What became of a batch of files.

    `files`: one row per file (FILE_COLUMNS plus the row counts; `rows_loaded` counts an
    exact duplicate row as loaded, once, with its first copy); `rows`: the accepted,
    normalised roster rows; `failures`: one row per failed check; `flagged`: the original
    cells of every row with a failure; `sheets`: one row per sheet read; `columns`: each
    roster sheet's columns as written (header and letter); `exports`: the accepted rows of
    BPJS exports, by kind (their failures are in `failures`); `skipped`: every row read that is
    not data (SKIPPED_COLUMNS: its file, sheet, row and `row_kind`, why it was skipped).
    """

    files: pl.DataFrame
    rows: pl.DataFrame
    failures: pl.DataFrame
    flagged: pl.DataFrame = field(default_factory=pl.DataFrame)
    sheets: pl.DataFrame = field(default_factory=pl.DataFrame)
    columns: pl.DataFrame = field(default_factory=pl.DataFrame)
    exports: dict[str, pl.DataFrame] = field(default_factory=dict)  # accepted export rows by kind
    skipped: pl.DataFrame = field(default_factory=pl.DataFrame)


def placed_by_path(file: DiscoveredFile, gazetteer: Gazetteer) -> str | None:
    """The village a file that could not be read names in its path: who to ask for a readable one."""
    return place({}, file.source_file, gazetteer).village_code


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
    sheets = [village_sheet(sheet) for sheet in raw_sheets]
    rosters = tuple(s for s in sheets if isinstance(s, Roster))
    ignored = tuple(s for s in sheets if isinstance(s, IgnoredSheet))
    if not rosters:
        listed = any(sheet.reason.reason == EXPORT_IN_VILLAGE_FILE for sheet in ignored)
        reason = EXPORT_OUTSIDE_BRANCH() if listed else NO_ROSTER_SHEET()
        village = placed_by_path(file, gazetteer)
        return ExtractedFile(file, "rejected", reason, village_code=village, ignored_sheets=ignored)
    title = next((r.title for r in rosters if "village" in r.title), rosters[0].title)
    placement = place(title, file.source_file, gazetteer)
    if placement.village_code is None:
        return ExtractedFile(file, "rejected", placement.reason, rosters=rosters, ignored_sheets=ignored)
    return ExtractedFile(file, "placed", village_code=placement.village_code, rosters=rosters, ignored_sheets=ignored)


def village_sheet(sheet: RawSheet) -> Roster | IgnoredSheet:
    """A sheet of a village's file: a roster, or ignored (a BPJS list in it is never the branch's export).

    A sheet with the header of an export and of a roster is a roster unless the header has a
    column only an export has (SEGMEN, BULAN IURAN TERAKHIR, TGL BAYAR, NO KLAIM, ...): a LINMAS
    roster with a PROGRAM column is a roster.
    """
    structured = structure_sheet(sheet)
    export = find_export(sheet)
    if export is None or (isinstance(structured, Roster) and not export_only_columns(export)):
        return structured
    return IgnoredSheet(sheet.name, EXPORT_IN_VILLAGE_FILE())


def extracted_export(file: DiscoveredFile, exports: dict[str, ExportSheet | None]) -> ExtractedFile:
    """A file in the branch's folder: its export sheets (one kind per file); its other sheets ignored.

    A file there without an export sheet is rejected, never read as a roster.
    """
    found = tuple(sheet for sheet in exports.values() if sheet is not None)
    ignored = tuple(IgnoredSheet(name, NOT_PART_OF_EXPORT()) for name, sheet in exports.items() if sheet is None)
    if not found:
        return ExtractedFile(file, "rejected", NOT_AN_EXPORT(), ignored_sheets=ignored, kind="bpjs")
    kinds = sorted({sheet.kind.name for sheet in found})
    if len(kinds) > 1:
        reason = SEVERAL_EXPORT_KINDS(kinds=", ".join(kinds))
        return ExtractedFile(file, "rejected", reason, ignored_sheets=ignored, kind=kinds[0])
    return ExtractedFile(file, "placed", kind=kinds[0], exports=found, ignored_sheets=ignored)


def stacked_sheets(
    placed: Sequence[tuple[ExtractedFile, Roster | ExportSheet]], columns: Sequence[str]
) -> pl.LazyFrame:
    """The rows of placed files' sheets stacked, with their file, sheet and the given columns."""
    sheets = pl.DataFrame(
        [
            (
                index,
                e.file.source_file,
                e.file.sha256,
                e.file.period,
                e.village_code,
                sheet.sheet,
                (sheet.group_hint or file_group(e.file.source_file)) if isinstance(sheet, Roster) else None,
                isinstance(sheet, Roster) and sheet.is_vulnerable_workers,
            )
            for index, (e, sheet) in enumerate(placed)
        ],
        schema=SHEET_COLUMNS,
        orient="row",
    )
    return (
        stack_rosters([sheet for _, sheet in placed], columns)
        .lazy()
        .join(sheets.lazy(), on="sheet_index", how="left", maintain_order="left")
        .drop("sheet_index")
    )


def roster_frame(extracted: Sequence[ExtractedFile], gazetteer: Gazetteer) -> pl.DataFrame:
    """Every row under a roster header in the placed roster files, with its file, sheet and `row_kind`.

    The sheets are stacked first and cleaned in one pass.
    """
    placed = [(e, roster) for e in extracted if e.status == "placed" and e.kind == "roster" for roster in e.rosters]
    if not placed:
        return pl.DataFrame()
    stacked = stacked_sheets(placed, CANONICAL_COLUMNS).join(
        gazetteer.villages.lazy().select("village_code", "village_type"),
        on="village_code",
        how="left",
        maintain_order="left",
    )
    return with_row_kinds(stacked).collect()


def export_frames(extracted: Sequence[ExtractedFile]) -> dict[str, pl.DataFrame]:
    """Every row under an export header in the placed exports, by kind, with `row_kind`."""
    frames = {}
    for kind in EXPORTS:
        placed = [(e, sheet) for e in extracted if e.status == "placed" for sheet in e.exports if sheet.kind == kind]
        if placed:
            frames[kind.name] = with_export_row_kinds(stacked_sheets(placed, list(EXPORT_ALIASES))).collect()
    return frames


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
    checked = {
        kind: validate_export(frame.filter(pl.col("row_kind") == "data"), EXPORT_KINDS[kind])
        for kind, frame in exports.items()
    }
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


def validate_rosters(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(accepted rows, failures, flagged rows' original cells) of the roster rows."""
    normalized = normalize(rows.filter(pl.col("row_kind") == "data"))
    accepted, failures = validate(normalized)
    flagged = (
        normalized.join(failures.select(ROW_KEY).unique(), on=ROW_KEY, how="semi")
        .select(FLAGGED_COLUMNS)
        .with_columns(mask_nik(pl.col(c)) for c in FLAGGED_COLUMNS if c.endswith("_raw"))  # only roster_rows keeps NIKs
    )
    return accepted, failures, flagged


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


def stacked(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Frames one under another by column name; frames without columns (nothing of that kind) left out."""
    filled = [frame for frame in frames if frame.width]
    return pl.concat(filled, how="diagonal_relaxed") if filled else pl.DataFrame()


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
