"""The branch path of a batch: a file in the period's BPJS folder as one kind of BPJS export, its rows checked."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from flows.ingest.exports import EXPORT_ALIASES, ExportSheet, validate_export, with_export_row_kinds
from flows.ingest.outcomes import DiscoveredFile, ExtractedFile, stacked_sheets
from flows.ingest.reasons import NOT_AN_EXPORT, NOT_PART_OF_EXPORT, SEVERAL_EXPORT_KINDS
from flows.ingest.structure import IgnoredSheet
from schemas.exports import EXPORT_KINDS, EXPORTS


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


def export_frames(extracted: Sequence[ExtractedFile]) -> dict[str, pl.DataFrame]:
    """Every row under an export header in the placed exports, by kind, with `row_kind`."""
    frames = {}
    for kind in EXPORTS:
        placed = [(e, sheet) for e in extracted if e.status == "placed" for sheet in e.exports if sheet.kind == kind]
        if placed:
            frames[kind.name] = with_export_row_kinds(stacked_sheets(placed, list(EXPORT_ALIASES))).collect()
    return frames


def validate_exports(exports: dict[str, pl.DataFrame]) -> dict[str, tuple[pl.DataFrame, pl.DataFrame]]:
    """(accepted rows, failures) of each kind's data rows."""
    return {
        kind: validate_export(frame.filter(pl.col("row_kind") == "data"), EXPORT_KINDS[kind])
        for kind, frame in exports.items()
    }
