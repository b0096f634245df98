"""Staged regency output: Parquet partitioned by regency and period at a URL, made visible by a manifest.

Layout under the staging URL (a folder, `file://...`, or S3-compatible `s3://bucket/prefix`):

    <table>/regency=<code>/period=<YYYY-MM or none>/<generation>.parquet   written once, never changed
    manifests/regency=<code>.json                                         replaced whole, last

A regency's child run writes every object of a new generation, then replaces its manifest, which
names them. Readers (the province publisher) read manifests and only the objects they name, so a
child killed while writing leaves objects nobody reads, and the previous generation stays whole.
Replacing one object is atomic on S3 and on a local folder (obstore writes a temporary file and
renames it). After a commit, and whenever it finds its manifest current, the child deletes its
regency's objects of generations other than the manifest's and the one it replaced (a publisher
may still be reading that one): a killed child's leftovers go at the regency's next run.

What is staged is what the province warehouse needs and no more: the regency warehouse's tables,
built by the regency publisher's own statements in memory, no regency file written (person_id,
NIK-like digits masked), plus each roster row's masked NIK (`330217******0001`) for the province's
cross-row checks (warehouse/statements/stage_regency.sql). No raw NIK, name or birth date is
staged: the raw rows stay in the regency's state database, where its files are.
Credentials for S3 come from the environment of the process (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL, AWS_ALLOW_HTTP for a plain-HTTP endpoint).
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import obstore
import polars as pl
from obstore.store import LocalStore, ObjectStore, from_url

from flows.store.sql import query_frame, run_script

# The analyst tables a regency stages, the one list: stage_regency.sql makes `staged_<table>` of each,
# publish_staged_tables.sql builds `analyst.<table>` of each from `$<table>_objects`, and the province
# publisher replaces a changed regency's rows of each (tests/test_staged_tables.py checks the three
# scripts against this list, and this list against the regency warehouse's tables). How a table's rows
# are replaced: OWN in republish_regencies.sql (counted across regencies or changed on the way in),
# ROWS by republish_rows.sql (published as staged, each row naming its regency), KEYED by
# republish_keyed.sql (one row per key of ONE_PER_KEY over every regency).
OWN, ROWS, KEYED = "own", "rows", "keyed"
STAGED_TABLES = {
    "roster": OWN,
    "ingested_files": ROWS,
    "ingested_sheets": OWN,
    "skipped_rows": ROWS,
    "validation_failures": OWN,
    "runs": ROWS,
    "verification": ROWS,
    "verification_sources": ROWS,
    "bpjs_contributions": KEYED,
    "bpjs_claims": KEYED,
    "due_dates": OWN,
    "file_arrivals": ROWS,
    "period_actions": ROWS,
    "closed_versions": ROWS,
    "closed_figures": ROWS,
    "pending_corrections": ROWS,
}
# a payment or claim two regencies' exports both hold is published once (publish_staged_tables.sql)
ONE_PER_KEY = {"bpjs_contributions": "payment_id", "bpjs_claims": "claim_id"}
MANIFESTS = "manifests"
NO_PERIOD = "none"  # the partition of rows without a period (a file outside a month folder, the runs)


def open_store(url: str) -> ObjectStore:
    """The object store a staging URL names: a local folder (a path or file://) or S3-compatible storage."""
    if "://" not in url:
        return LocalStore(Path(url).resolve(), mkdir=True)
    if url.startswith("file://"):
        return LocalStore(Path(url.removeprefix("file://")), mkdir=True)
    return from_url(url)


@dataclass(frozen=True)
class Manifest:
    """A regency's committed staged output: which objects, from which run, over which landing zone."""

    regency_code: str
    generation: str  # new for every staged output; in every object's name
    source_run_id: str  # the regency run whose published warehouse was staged
    zone_signature: str  # the regency's landing zone as listed when that run started (flows/province_run.py)
    pii_key_check: str  # the person_id key's check (flows/store/pii.py), never the key
    objects: dict[str, list[str]]  # table -> object paths
    counts: dict[str, int] = field(default_factory=dict)  # rows staged per table
    staged_at: str = ""
    replaced: str = ""  # the generation this one replaced, kept one more round for a publisher still reading it
    figures_digest: str = ""  # the figure settings the regency was published with (Settings.figures_digest)

    @property
    def live(self) -> set[str]:
        """The generations whose objects must stay."""
        return {self.generation, self.replaced} - {""}

    def with_listing(self, zone_signature: str, figures_digest: str) -> Manifest:
        """The same objects, for a landing zone listed anew (touched files, nothing new) or settings recorded anew."""
        return Manifest(**{**asdict(self), "zone_signature": zone_signature, "figures_digest": figures_digest})


def manifest_path(regency_code: str) -> str:
    return f"{MANIFESTS}/regency={regency_code}.json"


def object_path(table: str, regency_code: str, period: str | None, generation: str) -> str:
    return f"{table}/regency={regency_code}/period={period or NO_PERIOD}/{generation}.parquet"


def partition_of(path: str) -> tuple[str, str]:
    """The regency code and period (or NO_PERIOD) of an object's path (object_path's, under any folder)."""
    *_, regency, period, _ = Path(path).parts
    return regency.removeprefix("regency="), period.removeprefix("period=")


LETTERS = str.maketrans("0123456789", "ghijklmnop")  # hex digits as letters: 48 random bits, no run of digits


def new_generation() -> str:
    """When a generation was staged, and 48 random bits as letters: no run of digits the logs' masking of
    identity numbers (flows/privacy.py) would hide, so a log line names the generation its manifest does."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:12].translate(LETTERS)}"


def regency_frames(con: duckdb.DuckDBPyConnection, regency_code: str) -> dict[str, pl.DataFrame]:
    """The staged tables of a regency, from its state database (`con`) and the analyst tables built in it.

    The analyst tables are those `publish.built_in_memory` attaches as `analyst`; the state gives each
    roster row's masked NIK.
    """
    run_script(con, "stage_regency", {"regency_code": regency_code})
    return {table: query_frame(con, f"select * from staged_{table}") for table in STAGED_TABLES}


def write_generation(
    store: ObjectStore, regency_code: str, generation: str, frames: dict[str, pl.DataFrame]
) -> dict[str, list[str]]:
    """Write each table as one Parquet object per period (an empty table as one empty object); return their paths."""
    objects: dict[str, list[str]] = {}
    for table, frame in frames.items():
        by_period = frame.height and "period" in frame.columns  # `runs` has no period: one object
        parts = frame.partition_by("period", as_dict=True, maintain_order=True) if by_period else {}
        if not parts:
            parts = {(None,): frame}  # the schema still travels, so every table has an object to read
        objects[table] = []
        for (period, *_), part in parts.items():
            path = object_path(table, regency_code, str(period) if period is not None else None, generation)
            buffer = io.BytesIO()
            part.write_parquet(buffer)
            obstore.put(store, path, buffer.getvalue())
            objects[table].append(path)
    return objects


def commit(store: ObjectStore, manifest: Manifest) -> None:
    """Make a regency's staged objects visible: replace its manifest whole."""
    obstore.put(store, manifest_path(manifest.regency_code), json.dumps(asdict(manifest), indent=1).encode())


def read_manifest(store: ObjectStore, regency_code: str) -> Manifest | None:
    """The regency's committed manifest, or None when it has staged nothing yet."""
    try:
        data = bytes(obstore.get(store, manifest_path(regency_code)).bytes())
    except FileNotFoundError:
        return None
    return Manifest(**json.loads(data))


def read_manifests(store: ObjectStore, regency_codes: Iterable[str]) -> dict[str, Manifest]:
    """The committed manifests of those regencies that have one."""
    found = {code: read_manifest(store, code) for code in regency_codes}
    return {code: manifest for code, manifest in found.items() if manifest is not None}


def remove_unlisted(store: ObjectStore, regency_code: str, keep: set[str]) -> int:
    """Delete the regency's objects of generations not in `keep` (a killed child's leftovers, old output)."""
    doomed = []
    for table in STAGED_TABLES:
        for batch in obstore.list(store, prefix=f"{table}/regency={regency_code}/"):
            doomed += [meta["path"] for meta in batch if Path(meta["path"]).stem not in keep]
    if doomed:
        obstore.delete(store, doomed)
    return len(doomed)


def stage(
    store: ObjectStore,
    frames: dict[str, pl.DataFrame],
    regency_code: str,
    source_run_id: str,
    zone_signature: str,
    pii_key_check: str,
    figures_digest: str,
) -> Manifest:
    """Write a new generation of the regency's tables, commit its manifest, then drop older leftovers."""
    previous = read_manifest(store, regency_code)
    generation = new_generation()
    objects = write_generation(store, regency_code, generation, frames)
    manifest = Manifest(
        regency_code,
        generation,
        source_run_id,
        zone_signature,
        pii_key_check,
        objects,
        {table: frame.height for table, frame in frames.items()},
        datetime.now(UTC).isoformat(timespec="seconds"),
        previous.generation if previous else "",
        figures_digest,
    )
    commit(store, manifest)
    remove_unlisted(store, regency_code, manifest.live)
    return manifest


def fetch(
    store: ObjectStore, manifests: Iterable[Manifest], cache: Path, keep: Iterable[str] = ()
) -> dict[str, list[str]]:
    """The local paths of every object the manifests name, table by table, downloaded into `cache` once.

    Objects never change once written, so one already in the cache is not fetched again; files
    in the cache that no manifest names any more are deleted, but for those named in `keep` (what
    the warehouse was last published from: the incremental publisher reads a changed regency's
    previous objects).
    """
    cache.mkdir(parents=True, exist_ok=True)
    paths: dict[str, list[str]] = {table: [] for table in STAGED_TABLES}
    wanted = {cache / name for name in keep}
    for manifest in manifests:
        for table, objects in manifest.objects.items():
            for name in objects:
                local = cache / name
                wanted.add(local)
                if not local.exists():
                    local.parent.mkdir(parents=True, exist_ok=True)
                    partial = local.with_name(f".{local.name}.partial")
                    partial.write_bytes(bytes(obstore.get(store, name).bytes()))
                    partial.replace(local)
                paths[table].append(str(local))
    for stale in cache.rglob("*.parquet"):
        if stale not in wanted:
            stale.unlink()
    return paths
