"""Read a village file into raw sheets: every cell as text, rows numbered as in the file.

The one sequence of reading: the file opened once (guards.read_once), what it is (sniff.py), the guards
its kind needs (guards.py), then its reader (formats.py), all under the limits of what the file is meant to
be (limits.py). A file that cannot be read raises `limits.UnreadableFileError` with a reason of the
catalogue (reasons.py).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from flows.ingest.formats import RawSheet, decode, excel_sheets, grid_of, html_rows, text_rows
from flows.ingest.guards import check_archive, check_xls, read_once
from flows.ingest.limits import ACTIVE_LIMITS, ROSTER_LIMITS, ReadLimits, UnreadableFileError, limits
from flows.ingest.reasons import EMPTY_FILE, PASSWORD, TEXT_TOO_LARGE, TOO_MANY_LINES
from flows.ingest.sniff import sniff

ROSTER_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".csv"})


def read_workbook(path: Path, sha256: str | None = None, within: ReadLimits = ROSTER_LIMITS) -> list[RawSheet]:
    """Every sheet of a spreadsheet, all cells as text, no rows skipped, whatever its extension says.

    Given `sha256` (discovery's), the file is read only if it is still what discovery found. It is
    refused past the limits `within` (a roster's, unless the file is the branch's export).
    """
    token = ACTIVE_LIMITS.set(within)
    try:
        return read_within_limits(path, sha256)
    finally:
        ACTIVE_LIMITS.reset(token)


def read_within_limits(path: Path, sha256: str | None) -> list[RawSheet]:
    """`read_workbook`'s reading, under the limits it set."""
    data = read_once(path, sha256)
    if not data:
        raise UnreadableFileError(EMPTY_FILE(file=path.name))
    kind = sniff(path.name, data)
    if kind == "encrypted":
        raise UnreadableFileError(PASSWORD(file=path.name, detail="send it without a password"))
    if kind in {"html", "text"}:
        size = len(data)
        if size > limits().text_bytes:  # a 300 MB CSV inside every other limit took 4.4 GB to read
            limit = limits().text_bytes // 2**20
            raise UnreadableFileError(
                TEXT_TOO_LARGE(file=path.name, mib=size // 2**20, what=limits().what, limit_mib=limit)
            )
        if kind == "text" and (lines := data.count(b"\n")) > limits().rows:  # before parsing: 1,000,000 rows took 1.5 s
            raise UnreadableFileError(
                TOO_MANY_LINES(file=path.name, lines=lines, what=limits().what, rows=limits().rows)
            )
        text = decode(data)
        return [
            RawSheet(path.stem, grid_of(path.name, text_rows(path.name, text) if kind == "text" else html_rows(text)))
        ]
    if kind in {"xlsx", "ods"} or zipfile.is_zipfile(io.BytesIO(data)):  # a zip behind OLE2 magic is checked too
        check_archive(path.name, data)
    if kind == "xls":
        check_xls(path.name, data)
    return excel_sheets(path, data)
