"""Find the files in a landing zone `raw/<YYYY-MM>/...` and fingerprint them."""

from __future__ import annotations

import hashlib
import re
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


def discover(raw_dir: Path) -> pl.DataFrame:
    """Every file under the landing zone (reference data excluded), oldest modification first."""
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"landing zone {raw_dir} does not exist or is not a folder")
    rows = []
    for path in sorted(p for p in raw_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(raw_dir)
        if relative.parts[0] in NOT_LANDING:
            continue
        stat = path.stat()
        rows.append((relative.as_posix(), period_of(relative), sha256_of(path), stat.st_size, stat.st_mtime))
    return pl.DataFrame(rows, schema=DISCOVERED_SCHEMA, orient="row").sort("modified_at", "source_file")


def new_versions(discovered: pl.DataFrame, known: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split the landing zone into (file versions to ingest, copies of content already seen elsewhere).

    A version already ingested (same path, same sha256) is neither: it is not read again.
    Empty files all share one digest; each is read (and rejected) on its own.
    """
    unseen = discovered.join(known, on=["source_file", "sha256"], how="anti")
    first_path = pl.concat([known, discovered.select(known.columns)]).unique(
        "sha256", keep="first", maintain_order=True
    )
    copies = unseen.join(first_path, on="sha256", suffix="_first").filter(
        (pl.col("source_file") != pl.col("source_file_first")) & (pl.col("sha256") != EMPTY_SHA256)
    )
    return unseen.join(copies, on="source_file", how="anti"), copies


def missing_files(discovered: pl.DataFrame, known: pl.DataFrame) -> list[str]:
    """Files ingested earlier that are no longer in the landing zone (their data is kept)."""
    return sorted(set(known["source_file"]) - set(discovered["source_file"]))
