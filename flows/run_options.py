"""What a run is asked to do, and how a run that cannot go on says why in one line.

Apart from the sequence (flows/regency_run.py) so that a command that only reads (`cakupan sql`,
`report`, `close`...) does not import the pipeline's readers and validation to parse its options.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flows.privacy import mask_text


class RunFailedError(RuntimeError):
    """A run that cannot go on for a reason an operator can fix; the message is one line and names the path."""


def one_line(error: BaseException) -> str:
    """An error as one line, NIKs masked; a file system error names its path (Python's own text may not).

    An object store's error (obstore) is cut before its "Debug source:", a dump of the store's internals.
    """
    if isinstance(error, OSError) and error.filename is not None:
        return mask_text(f"{error.filename}: {error.strerror or error}")
    return mask_text(" ".join(str(error).split("Debug source:")[0].split()))


@dataclass(frozen=True)
class RunOptions:
    """What this run is asked to do beyond the settings."""

    full_refresh: bool = False
    period: str | None = None  # with full_refresh: forget only this period
    allow_empty: bool = False  # an empty landing zone, period or vanished files are expected
    rekey: bool = False  # a new person_id key is expected: always republish every person_id with it
    started_at: datetime | None = None  # the run's clock (arrivals, due dates passed): now unless a test fixes it
