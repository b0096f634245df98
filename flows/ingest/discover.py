"""Find the files in a landing zone `raw/<YYYY-MM>/...` and fingerprint them.

Discovery never stops on one entry: a symbolic link (never followed: it could lead out of
the landing zone), a file or folder that cannot be read, or a name that is not UTF-8 is
listed with a `problem` saying why it is not read, and recorded like any other file.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from datetime import datetime
from pathlib import Path

import polars as pl

from flows.ingest.reasons import (
    FILE_UNREADABLE,
    FOLDER_UNREADABLE,
    IMPOSSIBLE_PERIOD,
    NAME_NOT_UTF8,
    NOT_REGULAR_FILE,
    REASON_COLUMNS,
    STILL_COPYING,
    SYMBOLIC_LINK,
    Said,
)

PERIOD_FOLDER = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
DATED_FOLDER = re.compile(r"^\d{4}-\d{2}$")  # looks like a period: 2024-13 and 9999-12 too
FIRST_PERIOD = "2014-01"  # BPJS Ketenagakerjaan began on 1 January 2014: no roster is older
LOCK_FILE = re.compile(r"^(~\$|\.~lock\.)")
NOT_LANDING = frozenset({"reference"})
DEMO_MARK = ".cakupan-demo"  # `cakupan demo`'s mark at the top of a zone it wrote: no village's file
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

DISCOVERED_SCHEMA = {
    "source_file": pl.String,
    "period": pl.String,
    "sha256": pl.String,
    "size_bytes": pl.Int64,
    "modified_at": pl.Float64,
    # why the file is not read (a link, unreadable, not UTF-8): a reason of the catalogue (Said.packed), or null
    "problem": pl.String,
}


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def period_of(relative: Path) -> str | None:
    """The `YYYY-MM` of the landing-zone folder a file sits under, at any depth."""
    top = relative.parts[0] if len(relative.parts) > 1 else ""
    return top if PERIOD_FOLDER.match(top) else None


def not_read(relative: str, problem: Said, modified_at: float = 0.0) -> tuple[object, ...]:
    """A row for an entry that is not read: its digest stands for its path and problem, so it is recorded once."""
    digest = hashlib.sha256(f"not read: {relative}: {problem.english}".encode()).hexdigest()
    return (relative, period_of(Path(relative)), digest, 0, modified_at, problem.packed())


def entry(raw_dir: Path, path: Path) -> tuple[object, ...]:
    """One discovered row for a file (or a link, which is not followed)."""
    relative = path.relative_to(raw_dir).as_posix()
    try:
        relative.encode()
    except UnicodeEncodeError:
        shown = os.fsencode(relative).decode("utf-8", "backslashreplace")
        return not_read(shown, NAME_NOT_UTF8())
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            target = os.fsencode(path.readlink()).decode("utf-8", "backslashreplace")
            return not_read(relative, SYMBOLIC_LINK(target=target), info.st_mtime)
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block the read forever; a device never ends
            return not_read(relative, NOT_REGULAR_FILE(), info.st_mtime)
        digest = sha256_of(path)
        after = path.lstat()  # a file written while it was hashed is as new as its last write (see `skipped`)
        return (relative, period_of(Path(relative)), digest, after.st_size, max(info.st_mtime, after.st_mtime), None)
    except OSError as error:
        return not_read(relative, FILE_UNREADABLE(error=str(error.strerror or error)))


def is_link(path: Path) -> bool:
    """Whether `path` is a symbolic link; a path the system cannot even look at (too long) is listed by os.walk."""
    try:
        return path.is_symlink()
    except OSError:
        return False


def discover(raw_dir: Path) -> pl.DataFrame:
    """Every file under the landing zone (reference data excluded), oldest modification first.

    Links are listed, never followed; a folder that cannot be listed is listed as a problem.
    """
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"landing zone {raw_dir} does not exist or is not a folder")
    rows = []
    unlisted: list[OSError] = []
    for folder, folders, files in os.walk(raw_dir, onerror=unlisted.append):
        here = Path(folder)
        if here == raw_dir:
            folders[:] = [name for name in folders if name not in NOT_LANDING]
            files = [name for name in files if name != DEMO_MARK]
        links = [name for name in folders if is_link(here / name)]
        rows += [entry(raw_dir, here / name) for name in sorted([*files, *links])]
    for error in unlisted:
        relative = Path(error.filename).relative_to(raw_dir).as_posix()
        rows.append(not_read(f"{relative}/", FOLDER_UNREADABLE(error=str(error.strerror or error))))
    return pl.DataFrame(rows, schema=DISCOVERED_SCHEMA, orient="row").sort("modified_at", "source_file")


def last_possible_period(clock: datetime) -> str:
    """The month after the run's clock: a village may send next month's roster early, not later ones."""
    year, month = divmod(clock.year * 12 + clock.month, 12)  # clock.month is 1-12: this is the next month
    return f"{year:04d}-{month + 1:02d}"


def is_possible(folder: str, clock: datetime) -> bool:
    """Whether a folder name is a period that can exist: FIRST_PERIOD to the month after the clock."""
    return bool(PERIOD_FOLDER.match(folder)) and FIRST_PERIOD <= folder <= last_possible_period(clock)


def skipped(discovered: pl.DataFrame, clock: datetime, quiet_seconds: float) -> pl.DataFrame:
    """The files this run leaves unread for now, and records as such: source_file, sha256 and the reason
    (SKIPPED_COLUMNS: in English, its code and parameters, in Indonesian).

    A file under a dated folder that is no possible period (`9999-12/`, `2024-13/`, `0000-01/`:
    a folder of next year's month becomes possible in time), and a file modified within
    `quiet_seconds` of the run's clock, either side (it may still be being copied or synced, and
    a share's clock may run ahead): neither is remembered as read, so a later run reads it.
    """
    top = pl.col("source_file").str.extract(r"^([^/]+)/")
    last = last_possible_period(clock)
    possible = top.str.contains(PERIOD_FOLDER.pattern) & top.is_between(pl.lit(FIRST_PERIOD), pl.lit(last))
    impossible = top.str.contains(DATED_FOLDER.pattern) & ~possible
    copying = pl.col("problem").is_null() & ((pl.col("modified_at") - clock.timestamp()).abs() < quiet_seconds)
    left = discovered.filter(impossible | copying).select(
        "source_file", "sha256", top.alias("top"), impossible.alias("impossible")
    )
    rows = [
        (
            source_file,
            sha256,
            *(
                IMPOSSIBLE_PERIOD(folder=folder, first=FIRST_PERIOD, last=last)
                if is_impossible
                else STILL_COPYING(seconds=quiet_seconds)
            ).recorded(),
        )
        for source_file, sha256, folder, is_impossible in left.iter_rows()
    ]
    return pl.DataFrame(rows, schema=SKIPPED_COLUMNS, orient="row")


SKIPPED_COLUMNS = {"source_file": pl.String, "sha256": pl.String, **dict.fromkeys(REASON_COLUMNS, pl.String)}


def in_possible_periods(discovered: pl.DataFrame, clock: datetime) -> pl.DataFrame:
    """`discovered` with the period of a file under a folder that is no possible period made null."""
    possible = pl.col("period").is_between(pl.lit(FIRST_PERIOD), pl.lit(last_possible_period(clock)))
    return discovered.with_columns(period=pl.when(possible).then(pl.col("period")))


def latest_period(raw_dir: Path, discovered: pl.DataFrame, clock: datetime) -> str | None:
    """The newest period of the landing zone: its newest possible `YYYY-MM` folder, even an empty one."""
    folders = {path.name for path in raw_dir.iterdir() if path.is_dir() and not is_link(path)}
    periods = folders | set(discovered["period"].drop_nulls())
    return max((period for period in periods if is_possible(period, clock)), default=None)


def from_branch(bpjs_folder: str) -> pl.Expr:
    """Whether a discovered file lies in its period's BPJS branch folder (`<YYYY-MM>/<bpjs_folder>/...`)."""
    second = pl.col("source_file").str.split("/").list.get(1, null_on_oob=True)
    inside = pl.col("source_file").str.count_matches("/") >= 2  # a file named like the folder is not in it
    return (pl.col("period").is_not_null() & inside & (second.str.to_lowercase() == bpjs_folder.lower())).fill_null(
        False
    )


def readable() -> pl.Expr:
    """A discovered file that can be read: under a period folder, with no problem found before opening it."""
    return pl.col("period").is_not_null() & pl.col("problem").is_null()


def new_versions(
    discovered: pl.DataFrame, known: pl.DataFrame, bpjs_folder: str = "BPJS"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split the landing zone into (file versions to ingest, copies of content already seen elsewhere).

    Both come with `from_branch` (in the period's BPJS folder). A copy is judged within its own
    source: a village's copy of the branch's export never stands for the branch's file, nor the other way.

    A version already ingested (same path, same sha256) is neither: it is not read again, unless
    it was rejected for a passing reason (`retry`: state_batches.known_versions).
    A copy is content whose first path is still in the zone, under a period folder, or content
    already read into the state under another path (`grouped`): a file renamed, or a good
    version sent again under another name, is a copy of what was read, whose data still counts
    (read again, the same content's slots collided in file_groups and failed every run). Content
    never read (a file moved out of a misnamed folder, `2024-5/` to `2024-05/`) is judged by its
    new path. Empty files all share one digest; each is read (and rejected) on its own. A version recorded as a
    copy is never the first path of its content: when the run that recorded it ended before the content's first
    path was read (killed, failed), that path is read at the next run, not taken for a copy of its own copy.
    """
    key = ["source_file", "sha256"]
    discovered = discovered.with_columns(from_branch=from_branch(bpjs_folder))
    settled = known.filter(~pl.col("retry"))  # a retry is read again
    unseen = discovered.join(settled, on=key, how="anti")
    copied = known.filter(pl.col("copy")).select(key)
    present = discovered.filter(readable()).select(*key, "from_branch").join(copied, on=key, how="anti")
    still_there = known.select(key).join(present, on=key, how="inner", maintain_order="left")
    read = known.filter(pl.col("grouped")).select(*key, from_branch=from_branch(bpjs_folder))
    first_path = pl.concat([still_there, read, present]).unique(
        ["sha256", "from_branch"], keep="first", maintain_order=True
    )
    copies = unseen.join(first_path, on=["sha256", "from_branch"], suffix="_first").filter(
        (pl.col("source_file") != pl.col("source_file_first")) & (pl.col("sha256") != EMPTY_SHA256)
    )
    return unseen.join(copies, on="source_file", how="anti"), copies


def missing_files(discovered: pl.DataFrame, known: pl.DataFrame) -> list[str]:
    """Files ingested earlier under a period folder that are no longer in the landing zone (their data is kept).

    A file that was outside any period folder held no data: moving it into one is not a vanishing.
    """
    had_data = known.filter(pl.col("period").is_not_null()) if "period" in known.columns else known
    return sorted(set(had_data["source_file"]) - set(discovered["source_file"]))
