"""What a file and a batch of files become: the records and frames both the village and the branch paths fill."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from flows.ingest.exports import ExportSheet
from flows.ingest.headers import file_group
from flows.ingest.reasons import REASON_COLUMNS, Said
from flows.ingest.structure import IgnoredSheet, Roster, stack_rosters

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


def stacked(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Frames one under another by column name; frames without columns (nothing of that kind) left out."""
    filled = [frame for frame in frames if frame.width]
    return pl.concat(filled, how="diagonal_relaxed") if filled else pl.DataFrame()
