"""The village path of a batch: a village's file as rosters placed on a village, its rows normalised and validated."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from flows.ingest.exports import export_only_columns, find_export
from flows.ingest.formats import RawSheet
from flows.ingest.headers import CANONICAL_COLUMNS
from flows.ingest.normalize import normalize
from flows.ingest.outcomes import ROW_KEY, DiscoveredFile, ExtractedFile, stacked_sheets
from flows.ingest.place import Gazetteer, place
from flows.ingest.reasons import EXPORT_IN_VILLAGE_FILE, EXPORT_OUTSIDE_BRANCH, NO_ROSTER_SHEET
from flows.ingest.structure import IgnoredSheet, Roster, structure_sheet, with_row_kinds
from flows.ingest.validate import below_total_failures, validate
from flows.privacy import mask_cell

FLAGGED_COLUMNS = (
    "source_file",
    "period",
    "village_code",
    *ROW_KEY,
    *(f"{c}_raw" for c in CANONICAL_COLUMNS if c != "row_no"),
)


def placed_by_path(file: DiscoveredFile, gazetteer: Gazetteer) -> str | None:
    """The village a file that could not be read names in its path: who to ask for a readable one."""
    return place({}, file.source_file, gazetteer).village_code


def extracted_village(file: DiscoveredFile, raw_sheets: Sequence[RawSheet], gazetteer: Gazetteer) -> ExtractedFile:
    """A village's file read: its roster sheets and the village it reports, or why it is rejected."""
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


def validate_rosters(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(accepted rows, failures, flagged rows' original cells) of the roster rows.

    The footers' rows are normalised too, for a person written below the totals row (`below_total_failures`).
    """
    normalized = normalize(rows.filter(pl.col("row_kind").is_in(["data", "signature"])))
    accepted, failures = validate(normalized.filter(pl.col("row_kind") == "data"))
    below = below_total_failures(normalized.filter(pl.col("row_kind") == "signature"))
    failures = pl.concat([failures, below.select(failures.columns)]) if below.height else failures
    flagged = (
        normalized.join(failures.select(ROW_KEY).unique(), on=ROW_KEY, how="semi")
        .select(FLAGGED_COLUMNS)
        # only roster_rows keeps NIKs
        .with_columns(mask_cell(c.removesuffix("_raw"), pl.col(c)) for c in FLAGGED_COLUMNS if c.endswith("_raw"))
    )
    return accepted, failures, flagged
