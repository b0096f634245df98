"""How much a file may hold, by what it is meant to be (a village's roster or the branch's export), and the
errors that refuse a file: past a limit, unreadable, or changed while it was read (a passing failure).

Every check of the reading steps (sniff.py, guards.py, formats.py) reads the limits of the file being read
(`limits()`, set by `read.read_workbook` for its call). A file larger than a roster can be is refused with the
limit it hit; no row or column is ever dropped silently.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from flows.ingest.reasons import Said

MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_FILE_BYTES = MAX_UNPACKED_BYTES  # no roster file is larger than what it may unpack to
MAX_ROWS = 100_000
MAX_COLUMNS = 256
# calamine builds every sheet as a dense grid from its first cell to its farthest (about 80 bytes a
# cell: a .xls with one cell at row 65,536 and column 256 took 1.6 GB, an xlsx at IV100000 1.3 GB,
# both inside the row and column limits); 100,000 rows of 40 columns are 4,000,000
MAX_CELLS = 10_000_000
MAX_TEXT_BYTES = 64 * 1024 * 1024  # a CSV or HTML roster: 100,000 rows of 40 short cells is about 30 MB
# the text a workbook's cells decode to, each shared string once per cell using it and each ODS cell once
# per repeat: 100,000 cells pointing at one 32,000-character shared string (3.2 GB of text, 6.2 GB in
# calamine) are 204 KB of xlsx inside every other limit. 100,000 rows of 40 cells of 30 bytes are 120 MB.
MAX_DECODED_TEXT_BYTES = 128 * 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """How large a file may be, by what it is meant to be: a village's roster, or the branch's export.

    A branch's export is a list of the whole regency (Banyumas: about 38,000 people, 115,000 rows of
    one participant and programme) or of a province (Jawa Tengah: about 1.2 million rows); a larger
    one is sent in parts (docs/verification.md). Memory follows the cells: calamine builds about 80
    bytes a cell, so 25,000,000 cells stay under the reading worker's ceiling (worker_memory_mb).
    """

    what: str
    rows: int
    cells: int
    text_bytes: int
    file_bytes: int
    unpacked_bytes: int
    decoded_text_bytes: int


ROSTER_LIMITS = ReadLimits(
    "a roster", MAX_ROWS, MAX_CELLS, MAX_TEXT_BYTES, MAX_FILE_BYTES, MAX_UNPACKED_BYTES, MAX_DECODED_TEXT_BYTES
)
EXPORT_LIMITS = ReadLimits("a BPJS export", 1_500_000, 25_000_000, 2**29, 2**29, 2**30, 2**30)
# the limits of the file being read (read_workbook sets them for its call; every check reads them)
ACTIVE_LIMITS: ContextVar[ReadLimits] = ContextVar("ACTIVE_LIMITS", default=ROSTER_LIMITS)


def limits() -> ReadLimits:
    """The limits of the file being read."""
    return ACTIVE_LIMITS.get()


class UnreadableFileError(Exception):
    """The file cannot be read as a roster: `said`, a reason of the catalogue (flows/ingest/reasons.py) naming the file.

    Its message is the reason in English.
    """

    def __init__(self, said: Said) -> None:
        super().__init__(said.english)
        self.said = said


class PassingReadError(UnreadableFileError):
    """The file could not be read this time for a reason of the moment (it changed or was swapped while read):
    not a verdict on the file, which a later run reads again.
    """
