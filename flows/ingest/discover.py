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
from pathlib import Path

import polars as pl

PERIOD_FOLDER = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
LOCK_FILE = re.compile(r"^(~\$|\.~lock\.)")
NOT_LANDING = frozenset({"reference"})
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

DISCOVERED_SCHEMA = {
    "source_file": pl.String,
    "period": pl.String,
    "sha256": pl.String,
    "size_bytes": pl.Int64,
    "modified_at": pl.Float64,
    "problem": pl.String,  # why the file is not read (a link, unreadable, not UTF-8), or null
}
LINK = "symbolic link"  # a link is ignored; other problems reject the file (its village must send it again)


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


def not_read(relative: str, problem: str, modified_at: float = 0.0) -> tuple[object, ...]:
    """A row for an entry that is not read: its digest stands for its path and problem, so it is recorded once."""
    digest = hashlib.sha256(f"not read: {relative}: {problem}".encode()).hexdigest()
    return (relative, period_of(Path(relative)), digest, 0, modified_at, problem)


def entry(raw_dir: Path, path: Path) -> tuple[object, ...]:
    """One discovered row for a file (or a link, which is not followed)."""
    relative = path.relative_to(raw_dir).as_posix()
    try:
        relative.encode()
    except UnicodeEncodeError:
        shown = os.fsencode(relative).decode("utf-8", "backslashreplace")
        return not_read(shown, "file name is not valid UTF-8 (rename the file)")
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            target = os.fsencode(path.readlink()).decode("utf-8", "backslashreplace")
            return not_read(relative, f"{LINK} to {target}, not followed", info.st_mtime)
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block the read forever; a device never ends
            return not_read(relative, "not a regular file (a pipe, socket or device)", info.st_mtime)
        return (relative, period_of(Path(relative)), sha256_of(path), info.st_size, info.st_mtime, None)
    except OSError as error:
        return not_read(relative, f"cannot be read: {error.strerror or error}")


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
        links = [name for name in folders if is_link(here / name)]
        rows += [entry(raw_dir, here / name) for name in sorted([*files, *links])]
    for error in unlisted:
        relative = Path(error.filename).relative_to(raw_dir).as_posix()
        rows.append(not_read(f"{relative}/", f"folder cannot be read: {error.strerror or error}"))
    return pl.DataFrame(rows, schema=DISCOVERED_SCHEMA, orient="row").sort("modified_at", "source_file")


def latest_period(raw_dir: Path, discovered: pl.DataFrame) -> str | None:
    """The newest period of the landing zone: its newest `YYYY-MM` folder, even an empty one."""
    folders = {
        path.name
        for path in raw_dir.iterdir()
        if PERIOD_FOLDER.match(path.name) and path.is_dir() and not is_link(path)
    }
    periods = folders | set(discovered["period"].drop_nulls())
    return max(periods, default=None)


def from_branch(bpjs_folder: str) -> pl.Expr:
    """Whether a discovered file lies in its period's BPJS branch folder (`<YYYY-MM>/<bpjs_folder>/...`)."""
    second = pl.col("source_file").str.split("/").list.get(1, null_on_oob=True)
    inside = pl.col("source_file").str.count_matches("/") >= 2  # a file named like the folder is not in it
    return (pl.col("period").is_not_null() & inside & (second.str.to_lowercase() == bpjs_folder.lower())).fill_null(
        False
    )


def new_versions(
    discovered: pl.DataFrame, known: pl.DataFrame, bpjs_folder: str = "BPJS"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split the landing zone into (file versions to ingest, copies of content already seen elsewhere).

    Both come with `from_branch` (in the period's BPJS folder). A copy is judged within its own
    source: a village's copy of the branch's export never stands for the branch's file, nor the other way.

    A version already ingested (same path, same sha256) is neither: it is not read again.
    A copy is content whose first path is still in the zone, under a period folder: a file
    moved out of a misnamed folder (`2024-5/` to `2024-05/`), or renamed, is judged by its new
    path. Empty files all share one digest; each is read (and rejected) on its own.
    """
    key = ["source_file", "sha256"]
    discovered = discovered.with_columns(from_branch=from_branch(bpjs_folder))
    unseen = discovered.join(known, on=key, how="anti")
    readable = pl.col("period").is_not_null() & pl.col("problem").is_null()
    present = discovered.filter(readable).select(*key, "from_branch")
    still_there = known.select(key).join(present, on=key, how="inner", maintain_order="left")
    first_path = pl.concat([still_there, present]).unique(["sha256", "from_branch"], keep="first", maintain_order=True)
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
