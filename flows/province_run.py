"""A province run: one child run per chunk of regencies, each staging Parquet, then one publisher.

`run_province`, the parent's one sequence: lock -> list the regencies of the region whose
landing zone (`<raw_dir>/<regency code>/<YYYY-MM>/...`) changed since their committed manifest
-> one child run per chunk of them (`ProvinceSteps`: in this process, or units on the long-lived
workers of a Dask cluster, flows/province_flow.py) -> read the committed manifests -> publish the
province warehouse from the staged Parquet, unless nothing changed -> fail, naming them, when a
child did not complete (what it had committed before stays published).

`run_chunk`, a child's one sequence: for each regency of its chunk, today's `run_pipeline` over
the regency's landing zone into its own state database (`<work_dir>/<regency code>/`), whose
publish (`StagingSteps`) stages the regency's analyst tables as Parquet (flows/store/staging.py)
instead of writing a regency analyst file. It hands back counts and paths, never frames.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import duckdb
import polars as pl
from obstore.store import ObjectStore

from flows.ingest.outcomes import BatchOutcome, DiscoveredFile
from flows.ingest.place import Gazetteer
from flows.ingest.workers import Processor, kept_pool
from flows.privacy import mask_logs, mask_text
from flows.regency_run import Logger, PlainSteps, Steps, preflight, run_pipeline
from flows.run_options import RunFailedError, RunOptions, one_line
from flows.runtime.pool import HasResult
from flows.settings import Settings, state_path_for
from flows.store import publish, reference, staging, state_db, state_runs
from flows.store.pii import PiiKey


@dataclass(frozen=True)
class RegencyOutcome:
    """What a child hands back for one regency: counts and paths."""

    regency_code: str
    run_id: str
    files_new: int
    rows_loaded: int
    staged: bool  # a new generation was staged (else the committed one was still current)
    manifest: str  # the manifest's path under the staging URL
    generation: str


@dataclass(frozen=True)
class ChildOutcome:
    """How one child run ended, for its chunk of regencies."""

    regencies: tuple[str, ...]
    completed: bool
    message: str = ""  # why not, in one line
    outcomes: tuple[RegencyOutcome, ...] = ()


@dataclass(frozen=True)
class ProvinceSummary:
    """What a province run did."""

    run_id: str
    regencies: tuple[str, ...]  # the regencies of the region with a landing zone
    chunks: tuple[tuple[str, ...], ...]  # the ones that had changed, one child run each
    children: tuple[ChildOutcome, ...]
    published: bool
    seconds: dict[str, float] = field(default_factory=dict)  # children, publish
    staged: tuple[str, ...] = ()  # regencies whose committed manifest the children replaced (a new generation)
    unread: tuple[str, ...] = ()  # regencies whose last run left files for a later run (still being copied, early)


class ProvinceSteps(Protocol):
    """How the child runs are executed."""

    def unit_size(self, settings: Settings, changed: int) -> int:
        """Regencies a unit when `regencies_per_child` is 0 (automatic), for `changed` regencies to run."""
        ...

    def run_children(
        self, settings: Settings, chunks: list[list[str]], run_id: str, options: RunOptions, log: Logger
    ) -> list[ChildOutcome]: ...


class InProcessSteps:
    """Every child run in this process, one after the other (the plain sequence, without an orchestrator)."""

    def __init__(self, steps: Steps | None = None) -> None:
        self.steps = steps or PlainSteps()

    def unit_size(self, settings: Settings, changed: int) -> int:
        return 1  # a unit costs nothing here: one regency each, so a failure stops no other

    def run_children(
        self, settings: Settings, chunks: list[list[str]], run_id: str, options: RunOptions, log: Logger
    ) -> list[ChildOutcome]:
        done = []
        with kept_pool(settings):  # every chunk's files read by the same worker processes
            for chunk in chunks:
                try:
                    outcomes = run_chunk(settings, chunk, run_id, options, self.steps, log)
                    done.append(ChildOutcome(tuple(chunk), True, outcomes=tuple(outcomes)))
                except Exception as error:  # one regency's failure is reported; the others still publish
                    log.error("child run for %s failed: %s", ",".join(chunk), mask_text(str(error)))
                    done.append(ChildOutcome(tuple(chunk), False, f"{type(error).__name__}: {error}"))
        return done


def zone_signature(zone: Path) -> str:
    """A digest of a landing zone's listing (path, size, modification time of every file), without reading any.

    Cheap enough for the parent to tell which regencies changed (a regency month of 331 files lists in
    milliseconds); links are not followed. A file touched without a change starts the child, which finds
    nothing new by content (SHA-256) and stages nothing.
    """
    digest = hashlib.sha256()
    for root, folders, files in os.walk(zone):
        folders.sort()
        for name in sorted(files):
            path = Path(root, name)
            try:
                status = path.lstat()
            except OSError:
                continue
            line = f"{path.relative_to(zone)}\0{status.st_size}\0{status.st_mtime_ns}\n"
            digest.update(line.encode(errors="surrogateescape"))
    return digest.hexdigest()


def files_in(zone: Path) -> int:
    """How many files a landing zone holds (links not followed): a regency's work, to start the largest first.

    Units run as workers free, in the order given: with the largest regencies first and the smallest last, the
    workers finish together, where a large regency drawn last kept one worker busy while the others idled.
    """
    return sum(len(files) for _, _, files in os.walk(zone))


def regency_settings(settings: Settings, regency_code: str) -> Settings:
    """A regency's own run: its landing zone, its state under work_dir (it writes no analyst file), its villages."""
    return replace(
        settings,
        raw_dir=settings.raw_dir / regency_code,
        warehouse=settings.regencies_dir / regency_code / "cakupan.duckdb",
        region=regency_code,
    )


class StagingSteps:
    """A province child's steps for one regency: `steps`, but for the publish, which stages instead.

    No regency analyst file is written: the regency publisher's own statements build its tables in
    memory from the state database (publish.built_in_memory), they are staged, the manifest is
    committed, and then the run is recorded in the state database as having published them. So what
    is staged is decided from the state database: a child killed after committing and before that
    record has recorded file versions since the last published run, and the next run stages anew.
    """

    def __init__(self, steps: Steps, store: ObjectStore, regency_code: str, signature: str) -> None:
        self.steps, self.store, self.regency_code, self.signature = steps, store, regency_code, signature
        self.manifest: staging.Manifest | None = None  # what this run staged, if it did

    def warm_up(self, settings: Settings) -> None:
        self.steps.warm_up(settings)

    def discover(self, raw_dir: Path) -> pl.DataFrame:
        return self.steps.discover(raw_dir)

    def processor(self, settings: Settings, gazetteer: Gazetteer, n_files: int) -> Processor:
        return self.steps.processor(settings, gazetteer, n_files)

    def submit(self, processor: Processor, files: list[DiscoveredFile]) -> HasResult[BatchOutcome]:
        return self.steps.submit(processor, files)

    def publish(self, con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str, key: PiiKey) -> pl.DataFrame:
        """Stage the regency's analyst tables, commit the manifest, then record the run as completed; its coverage."""
        with publish.built_in_memory(con, settings, key, run_id):
            frames = staging.regency_frames(con, self.regency_code)
            self.manifest = staging.stage(
                self.store, frames, self.regency_code, run_id, self.signature, key.check, settings.figures_digest
            )
            publish.keep_in_state(con, coverage=False)
            state_runs.mark_run(con, run_id, "completed", publish.fingerprint(key.value, settings), key)
            return pl.DataFrame()  # no run summary's coverage: a child prints none (keep_in_state(coverage=False))

    def published(self, settings: Settings, run_id: str) -> bool:
        """The regency's committed manifest is what run `run_id` staged."""
        manifest = staging.read_manifest(self.store, self.regency_code)
        return manifest is not None and manifest.source_run_id == run_id

    def destination(self, settings: Settings) -> str:
        return f"regency {self.regency_code} to staging (tables built in memory, no regency analyst file)"


UNITS_PER_SLOT = 6  # automatic unit size: about this many units for each worker thread of the cluster


def units_of(changed: int, slots: int) -> int:
    """Regencies a unit, so that `changed` regencies make about UNITS_PER_SLOT units for each of `slots` threads.

    A unit costs about half a CPU-second of orchestration (its task run's states, client and log lines, the
    server's writes) and a moment of its worker's idling between units: one regency a unit paid that 35 times
    for Jawa Tengah. Several units a thread still balance the workers' ends, and a night with few regencies
    changed keeps one regency a unit, spread over every worker.
    """
    return max(1, -(-changed // (max(slots, 1) * UNITS_PER_SLOT)))


def run_chunk(
    settings: Settings, regencies: list[str], run_id: str, options: RunOptions, steps: Steps, log: Logger
) -> list[RegencyOutcome]:
    """A child's sequence: each regency's run, which stages what it publishes. `settings.raw_dir`: a zone a regency.

    A regency that fails does not stop the others: each still runs and stages, and then the first failure is
    raised (the unit ends Failed, or is retried whole on a transient error: what staged is current by then).
    """
    store = staging.open_store(settings.staging)
    done, failures = [], []
    with kept_pool(settings), state_db.one_thread_each():  # the same reading processes; DuckDB on one thread
        for code in regencies:
            try:
                done.append(run_regency(settings, code, run_id, options, steps, store, log))
            except Exception as error:
                if len(regencies) == 1:
                    raise
                log.error("regency %s failed: %s", code, mask_text(one_line(error)))
                failures.append(error)
    if failures:
        raise failures[0]
    return done


def run_regency(
    settings: Settings, code: str, run_id: str, options: RunOptions, steps: Steps, store: ObjectStore, log: Logger
) -> RegencyOutcome:
    """One regency's run, staging what it publishes (or finding its committed generation current)."""
    regency = regency_settings(settings, code)
    signature = zone_signature(regency.raw_dir)  # before discovery: a file arriving later is seen next time
    child = StagingSteps(steps, store, code, signature)
    summary = run_pipeline(regency, f"{run_id}-{code}", options, child, log)
    # files left for a later run (still being copied, a period not yet possible): a listing no zone has, so that
    # the next province run starts this child again, which reads them once they can be
    listing = UNREAD + signature if summary.counts["files_unread"] else signature
    manifest = child.manifest or relisted(store, regency, code, listing)
    if manifest.zone_signature != listing:  # staged with the listing found before discovery
        manifest = manifest.with_listing(listing, manifest.figures_digest)
        staging.commit(store, manifest)
    log.info("regency %s: %s generation %s", code, "staged" if child.manifest else "kept", manifest.generation)
    counts = summary.counts
    return RegencyOutcome(
        code,
        summary.run_id,
        counts["files_new"],
        counts["rows_loaded"],
        child.manifest is not None,
        staging.manifest_path(code),
        manifest.generation,
    )


def relisted(store: ObjectStore, regency: Settings, regency_code: str, signature: str) -> staging.Manifest:
    """The committed manifest of a run that found it current, recorded with the zone's listing and settings as now.

    A killed child's leftover objects are removed.
    """
    current = staging.read_manifest(store, regency_code)
    if current is None:  # run_pipeline found it current (StagingSteps.published): only if removed since
        raise RunFailedError(f"the manifest of regency {regency_code} vanished from {regency.staging}; run again")
    if (current.zone_signature, current.figures_digest) != (signature, regency.figures_digest):
        current = current.with_listing(signature, regency.figures_digest)
        staging.commit(store, current)
    staging.remove_unlisted(store, regency_code, current.live)
    return current


UNREAD = "files left unread: "  # before a zone's listing: a regency whose run left files for later is never current


def is_current(settings: Settings, regency_code: str, manifest: staging.Manifest | None) -> bool:
    """True when the regency's committed output was staged from its landing zone as it is, with these settings."""
    return (
        manifest is not None
        and manifest.zone_signature == zone_signature(settings.raw_dir / regency_code)
        and manifest.figures_digest == regency_settings(settings, regency_code).figures_digest
    )


def province_record(warehouse: Path) -> Path:
    """What the province warehouse was last published from (manifests' generations), beside its lock."""
    return state_path_for(warehouse).with_name(f"{warehouse.stem}.province.json")


def staged_cache(warehouse: Path) -> Path:
    """Where the publisher keeps the staged objects it read (only those the manifests name)."""
    return state_path_for(warehouse).with_name(f"{warehouse.stem}.staged")


def province_fingerprint(settings: Settings, manifests: dict[str, staging.Manifest]) -> str:
    """What the province warehouse is built from: the generations staged, the views, statements, reference, settings."""
    digest = hashlib.sha256(publish_basis(settings, manifests).encode())
    for code, manifest in sorted(manifests.items()):
        digest.update(f"{code}={manifest.generation}\n".encode())
    return digest.hexdigest()


def publish_basis(settings: Settings, manifests: dict[str, staging.Manifest]) -> str:
    """The province fingerprint but for the generations: views, statements, reference, settings, person_id key."""
    checks = sorted({manifest.pii_key_check for manifest in manifests.values()})
    return publish.fingerprint(" ".join(checks).encode(), settings)


GROWTH_LIMIT = 2  # republished in place until the file is this many times the size it had when built whole


def changed_regencies(
    manifests: dict[str, staging.Manifest],
    last: dict[str, Any],
    basis: str,
    objects: dict[str, list[str]],
    cache: Path,
    size: int,
) -> publish.ChangedRegencies | None:
    """What the incremental publisher needs, or None when the warehouse (now `size` bytes) must be built whole.

    Whole when it was published with another basis (settings, views, statements, reference, key),
    over another set of regencies, when every regency changed, when a changed regency's previous
    objects are no longer in the cache, or when republishing has grown the file GROWTH_LIMIT times
    (deleted rows leave space in it that a file built whole does not have).
    """
    published: dict[str, dict[str, list[str]]] = last.get("objects", {})
    codes = sorted(code for code, manifest in manifests.items() if manifest.objects != published.get(code))
    if last.get("basis") != basis or set(published) != set(manifests) or len(codes) == len(manifests):
        return None
    if size > GROWTH_LIMIT * last.get("whole_bytes", 0):
        return None
    old = {table: [name for code in codes for name in published[code].get(table, [])] for table in objects}
    if not all(name and (cache / name).exists() for names in old.values() for name in names) or not all(old.values()):
        return None
    mine = {str(cache / name) for code in codes for names in manifests[code].objects.values() for name in names}
    return publish.ChangedRegencies(
        codes,
        {table: [str(cache / name) for name in names] for table, names in old.items()},
        {table: [path for path in paths if path in mine] for table, paths in objects.items()},
        {table: [path for path in paths if path not in mine] for table, paths in objects.items()},
    )


def publish_province(
    settings: Settings, store: ObjectStore, manifests: dict[str, staging.Manifest], run_id: str, log: Logger
) -> bool:
    """Publish the province warehouse from the committed manifests; False when it already is exactly that.

    When only some regencies staged anew since the last publish, with everything else as it was,
    only their rows are replaced (publish.republish_staged); else the warehouse is built whole.
    """
    if not manifests:
        raise RunFailedError(f"no regency has staged output at {settings.staging}: nothing to publish")
    keys = {manifest.pii_key_check for manifest in manifests.values()}
    if len(keys) > 1:
        by_key = {key: sorted(c for c, m in manifests.items() if m.pii_key_check == key) for key in keys}
        groups = "; ".join(", ".join(codes) for codes in sorted(by_key.values()))
        raise RunFailedError(
            f"regencies were published with different person_id keys ({groups}): the same person would have "
            "two ids; give every worker the same key (CAKUPAN_PII_KEY or a Prefect Secret block), then run "
            "`cakupan province --rekey` (the province flow's `rekey` parameter): every regency runs again with it"
        )
    record_path = province_record(settings.warehouse)
    fingerprint = province_fingerprint(settings, manifests)
    pending = record_path.with_name(f".{record_path.name}.writing")
    last = json.loads(record_path.read_text()) if record_path.exists() else {}
    if pending.exists() or not settings.warehouse.exists():
        last = {}  # a publish ended between its swap and its record: which objects are published is unknown
    if last.get("fingerprint") == fingerprint:
        # not "current": a unit that failed staged nothing, and its regencies' new files are not in it
        log.info("nothing newly staged: %s stays as last published", settings.warehouse)
        return False
    cache = staged_cache(settings.warehouse)
    published = [name for objects in last.get("objects", {}).values() for names in objects.values() for name in names]
    objects = staging.fetch(store, manifests.values(), cache, keep=published)
    basis = publish_basis(settings, manifests)
    size = settings.warehouse.stat().st_size if last else 0
    changed = changed_regencies(manifests, last, basis, objects, cache, size)
    record: dict[str, Any] = {
        "run_id": run_id,
        "fingerprint": fingerprint,
        "basis": basis,
        "generations": {code: manifest.generation for code, manifest in sorted(manifests.items())},
        "objects": {code: manifest.objects for code, manifest in sorted(manifests.items())},
    }
    pending.write_text(json.dumps(record, indent=1))
    try:
        if changed is None:
            log.info("publishing %s from %s", settings.warehouse, regencies_counted(len(manifests)))
            publish.publish_staged(objects, settings, run_id)
            record["whole_bytes"] = settings.warehouse.stat().st_size
        else:
            kept = len(manifests) - len(changed.codes)
            others = f"{regencies_counted(kept)} kept"
            log.info("republishing %s: %s anew, %s", settings.warehouse, ", ".join(changed.codes), others)
            publish.republish_staged(changed, settings, run_id)
            record["whole_bytes"] = last["whole_bytes"]
    except BaseException:
        pending.unlink()  # the previous warehouse stays, and its record with it
        raise
    pending.write_text(json.dumps(record, indent=1))
    pending.replace(record_path)
    return True


def run_province(
    settings: Settings,
    run_id: str,
    options: RunOptions | None = None,
    steps: ProvinceSteps | None = None,
    log: Logger | None = None,
) -> ProvinceSummary:
    """Run the changed regencies' children and publish `settings.warehouse` from what they staged."""
    options, steps = options or RunOptions(), steps or InProcessSteps()
    log = log or logging.getLogger("cakupan")
    mask_logs(log)
    preflight(settings)
    zones = settings.raw_dir
    regencies = reference.load_regencies(region=settings.region)["regency_code"].to_list()
    present = [code for code in regencies if (zones / code).is_dir()]
    if not present:
        raise RunFailedError(
            f"{zones} holds no landing zone of a regency of {settings.region} "
            f"(one folder per regency code, such as {zones / regencies[0]})"
        )
    store = staging.open_store(settings.staging)
    seconds = {}
    with state_db.run_lock(province_record(settings.warehouse)):
        committed = staging.read_manifests(store, present)
        # a new person_id key on purpose (--rekey): every regency runs again with it, or the publisher would mix keys
        changed = [c for c in present if options.rekey or not is_current(settings, c, committed.get(c))]
        changed.sort(key=lambda code: files_in(zones / code), reverse=True)  # the largest first: see files_in
        # sized only when some regency runs: a night with nothing new asks no cluster anything
        size = settings.regencies_per_child or (steps.unit_size(settings, len(changed)) if changed else 1)
        chunks = [changed[start : start + size] for start in range(0, len(changed), size)]
        log.info(
            "%s with a landing zone, %d changed: %d unit(s)", regencies_counted(len(present)), len(changed), len(chunks)
        )
        started = time.perf_counter()
        children = steps.run_children(settings, chunks, run_id, options, log) if chunks else []
        seconds["children"] = time.perf_counter() - started
        started = time.perf_counter()
        manifests = staging.read_manifests(store, present)
        failed = [child for child in children if not child.completed]
        try:
            published = publish_province(settings, store, manifests, run_id, log)
        except RunFailedError as error:  # a child's failure first: it may be why (a regency left with its old key)
            if not failed:
                raise
            message = f"{not_completed(failed)}; the province warehouse was not published: {error}"
            raise RunFailedError(message) from None
        seconds["publish"] = time.perf_counter() - started
    staged = tuple(
        code
        for code, manifest in manifests.items()
        if code not in committed or committed[code].generation != manifest.generation
    )  # from the manifests, not the children's return values: a child on a pool returns nothing the parent reads
    unread = tuple(sorted(code for code, manifest in manifests.items() if manifest.zone_signature.startswith(UNREAD)))
    if failed:
        raise RunFailedError(
            f"{not_completed(failed)}; the province warehouse holds what those regencies staged before; run again to "
            "retry them"
        )
    chunked = tuple(tuple(chunk) for chunk in chunks)
    return ProvinceSummary(run_id, tuple(present), chunked, tuple(children), published, seconds, staged, unread)


def not_completed(failed: list[ChildOutcome]) -> str:
    """The children that did not complete, each with its one-line reason."""
    named = "; ".join(f"{','.join(child.regencies)}: {mask_text(child.message)}" for child in failed)
    return f"{len(failed)} unit(s) did not complete ({named})"


def regencies_counted(count: int) -> str:
    """`1 regency`, `3 regencies`."""
    return f"{count} {'regency' if count == 1 else 'regencies'}"


def summary_line(summary: ProvinceSummary) -> str:
    """One line for an operator: children, regencies staged, whether the warehouse was republished, files left."""
    staged = sorted(summary.staged)
    unread = (
        f"; files left for a later run in {', '.join(summary.unread)} (written less than quiet_seconds ago, or of a "
        "period not yet possible: their regency's log names them)"
        if summary.unread
        else ""
    )
    return (
        f"{regencies_counted(len(summary.regencies))}, {len(summary.chunks)} unit(s), {len(staged)} staged anew"
        f"{' (' + ', '.join(staged) + ')' if staged else ''}; "
        f"{'published' if summary.published else 'nothing new: not republished'}{unread}"
    )


def outcome_dicts(outcomes: list[RegencyOutcome]) -> list[dict[str, object]]:
    """Outcomes as plain dicts (what a child flow returns through Prefect)."""
    return [asdict(outcome) for outcome in outcomes]
