"""A province in plain calls (flows/province_run.py): one child per regency, staged Parquet, one publisher."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import uuid
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from flows.ingest.batch import extract_file
from flows.ingest.outcomes import BatchOutcome, DiscoveredFile, ExtractedFile
from flows.ingest.place import Gazetteer
from flows.ingest.workers import BatchProcessor, Processor
from flows.province_run import (
    UNITS_PER_SLOT,
    ChildOutcome,
    InProcessSteps,
    ProvinceSummary,
    province_record,
    regency_settings,
    run_chunk,
    run_province,
    summary_line,
    units_of,
)
from flows.regency_run import PlainSteps
from flows.run_options import RunFailedError, RunOptions
from flows.runtime.pool import HasResult
from flows.settings import Settings
from flows.store import staging, state_db, state_runs
from tests.helpers import build_warehouse, nik_like_values
from tests.province_helpers import CORRECTED, REGION, figures, write_correction
from tests.test_catalog import catalog

KEY = "a test key for the province"
LOG = logging.getLogger("cakupan")


@pytest.fixture(autouse=True)
def same_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CAKUPAN_PII_KEY", KEY)  # every regency and the single run: the same person_id
    yield


def settings(root: Path, zones: Path) -> Settings:
    return Settings(
        zones,
        root / "province.duckdb",
        region=REGION,
        workers=1,
        quiet_seconds=0,
        staging_url=str(root / "staging"),
        work_dir=str(root / "work"),
    )


def province_run(config: Settings, steps: InProcessSteps | None = None, rekey: bool = False) -> ProvinceSummary:
    return run_province(config, f"province-{uuid.uuid4()}", RunOptions(allow_empty=True, rekey=rekey), steps)


def staged_nik_like(url: str) -> list[str]:
    """`object.column` of every staged text column holding a 16-digit run (sha256 aside, as for the warehouse)."""
    found = []
    for path in sorted(Path(url).rglob("*.parquet")):
        frame = pl.read_parquet(path)
        for column, dtype in frame.schema.items():
            if dtype == pl.String and column != "sha256" and frame[column].str.contains(r"\d{16}").any():
                found.append(f"{path.name}.{column}")
    return found


def test_a_province_equals_a_single_run_and_reruns_only_what_changed(
    province_zones: tuple[Path, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    province, zones = province_zones
    config = settings(tmp_path, zones)

    with caplog.at_level(logging.INFO, logger="cakupan"):
        first = province_run(config)
    for code in ("33.01", "33.02", "33.03"):  # the child's log says what its publish step writes
        assert f"publishing regency {code} to staging" in caplog.text
        assert str(regency_settings(config, code).warehouse) not in caplog.text
    assert first.chunks == tuple((code,) for code in largest_first(zones)) and first.published  # the largest first
    single = tmp_path / "single" / "cakupan.duckdb"
    build_warehouse(province, single, region=REGION)
    assert figures(config.warehouse) == figures(single)
    assert figures(config.warehouse)["coverage_by_regency"], "the regency level is there"
    assert catalog(config.warehouse) == catalog(single)  # the same tables, views, columns and types
    assert nik_like_values(config.warehouse) == []
    assert staged_nik_like(config.staging) == []  # only person_id and masked NIKs were staged
    for code in ("33.01", "33.02", "33.03"):  # staged from the state database: no regency analyst file
        regency = regency_settings(config, code)
        assert regency.state.exists() and not regency.warehouse.exists()
        with state_db.connect_state(regency.state) as con:  # nor the coverage of one: a child prints none
            assert state_runs.published_coverage(con).is_empty()

    published = config.warehouse.stat().st_ino
    again = province_run(config)
    assert again.chunks == () and not again.published
    assert config.warehouse.stat().st_ino == published  # nothing new in any regency: nothing done

    write_correction(province, zones)
    corrected = province_run(config)
    assert corrected.chunks == ((CORRECTED,),) and corrected.published  # only the corrected regency's child
    build_warehouse(province, single, region=REGION)
    assert figures(config.warehouse) == figures(single)
    with duckdb.connect(str(config.warehouse), read_only=True) as con:
        corrected_village = con.sql(
            "select members, enrolled from coverage_by_village where group_code = 'RT_RW' and village_code = "
            "(select min(village_code) from villages where village_code like '33.02.%')"
        ).fetchall()
    assert corrected_village == [(2, 1)]  # the corrected roster replaced the village's RT/RW roster


class FailingSteps(PlainSteps):
    """Plain steps whose discovery fails in one regency's landing zone, as a child that dies there."""

    def __init__(self, regency: str) -> None:
        self.regency = regency

    def discover(self, raw_dir: Path) -> pl.DataFrame:
        if raw_dir.name == self.regency:
            raise OSError(f"the share of {self.regency} went away")
        return super().discover(raw_dir)


def largest_first(zones: Path) -> list[str]:
    """The test province's regencies in the order a province run takes them: the most files first."""
    return sorted(REGION.split(","), key=lambda code: -sum(1 for p in (zones / code).rglob("*") if p.is_file()))


@pytest.mark.parametrize(
    ("per_child", "failing"), [(1, 2), (3, 1)], ids=["a regency a unit", "the middle regency of a unit of three"]
)
def test_a_failed_regency_leaves_the_others_published_and_only_it_runs_again(
    province_zones: tuple[Path, Path],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    per_child: int,
    failing: int,
) -> None:
    """A regency that fails stops none after it, in its unit or another; its unit fails with the reason, and the next
    run takes only that regency. `failing`: its place in the order the run takes them."""
    province, zones = province_zones
    order = largest_first(zones)
    code, kept = order[failing], sorted(order[:failing] + order[failing + 1 :])
    unit = ",".join(order) if per_child > 1 else code
    config = replace(settings(tmp_path, zones), regencies_per_child=per_child)
    reason = rf"1 unit\(s\) did not complete \({unit}: OSError: the share of {code} went away"
    with pytest.raises(RunFailedError, match=reason):
        province_run(config, InProcessSteps(FailingSteps(code)))
    if per_child > 1:  # the unit's log names the regency
        assert f"regency {code} failed: the share of {code} went away" in caplog.text
    with duckdb.connect(str(config.warehouse), read_only=True) as con:
        published = con.sql("select distinct regency_code from coverage_by_regency order by all").fetchall()
    assert published == [(other,) for other in kept]
    retried = province_run(config)
    assert retried.chunks == ((code,),) and retried.published
    single = tmp_path / "single" / "cakupan.duckdb"
    build_warehouse(province, single, region=REGION)
    assert figures(config.warehouse) == figures(single)


@pytest.mark.parametrize(
    ("changed", "slots", "size"),
    [(35, 2, 3), (36, 2, 3), (37, 2, 4), (3, 2, 1), (1, 2, 1), (0, 2, 1), (12, 0, 2), (514, 20, 5)],
)
def test_automatic_units_are_about_six_a_worker_thread_and_one_regency_when_few_changed(
    changed: int, slots: int, size: int
) -> None:
    assert units_of(changed, slots) == size
    assert -(-changed // size) <= max(slots, 1) * UNITS_PER_SLOT


def test_a_night_with_nothing_new_asks_no_cluster_how_to_size_its_units(
    province_zones: tuple[Path, Path], tmp_path: Path
) -> None:
    """Automatic units are sized only when some regency runs: with every regency current, a scheduler that does not
    answer costs nothing and the run succeeds (it sized them by asking it, and failed)."""
    from flows.province_flow import DaskSteps
    from tests.helpers import free_port

    _, zones = province_zones
    config = settings(tmp_path, zones)
    assert province_run(config).published
    nowhere = replace(config, dask_scheduler=f"tcp://127.0.0.1:{free_port()}")  # no scheduler listens there
    again = run_province(nowhere, f"province-{uuid.uuid4()}", RunOptions(allow_empty=True), DaskSteps())
    assert again.chunks == () and not again.published


def test_a_child_killed_after_its_manifest_and_before_its_record_stages_again_at_the_next_run(
    province_zones: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    province, zones = province_zones
    config = settings(tmp_path, zones)
    mark_run = state_runs.mark_run

    def killed(con: duckdb.DuckDBPyConnection, run_id: str, status: str, *args: object, **kwargs: object) -> None:
        if run_id.endswith("-33.01") and status == "completed":
            raise KeyboardInterrupt  # dies here: its manifest is committed, its state does not say it published
        mark_run(con, run_id, status, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(state_runs, "mark_run", killed)
    with pytest.raises(KeyboardInterrupt):
        province_run(config)
    monkeypatch.setattr(state_runs, "mark_run", mark_run)
    store = staging.open_store(config.staging)
    regency = regency_settings(config, "33.01")

    def published_run() -> str | None:
        with state_db.connect_state(regency.state) as con:
            last = state_runs.last_publish(con)
        return None if last is None else last.run_id

    committed = staging.read_manifest(store, "33.01")
    assert committed is not None and published_run() is None
    single = tmp_path / "single" / "cakupan.duckdb"
    build_warehouse(province, single, region=REGION)  # before the touch: a file's time is its arrival
    for path in (zones / "33.01").rglob("*.xlsx"):
        path.touch()  # the child runs again and finds nothing new by content
    recovered = province_run(config)
    assert "33.01" in recovered.staged and recovered.published  # decided from the state database: staged again
    manifest = staging.read_manifest(store, "33.01")
    assert manifest is not None and manifest.generation != committed.generation
    assert published_run() == manifest.source_run_id
    assert figures(config.warehouse) == figures(single)
    for path in (zones / "33.01").rglob("*.xlsx"):
        path.touch()
    with caplog.at_level(logging.INFO, logger="cakupan"):
        kept = province_run(config)
    assert kept.chunks == (("33.01",),) and kept.staged == ()  # now current: nothing staged
    assert "nothing new and nothing changed since the last publish of regency 33.01 to staging" in caplog.text
    assert str(regency_settings(config, "33.01").warehouse) not in caplog.text  # a file a child never writes
    (Path(config.staging) / staging.manifest_path("33.01")).unlink()  # the staged output lost: staged again
    assert province_run(config).staged == ("33.01",)


@pytest.mark.parametrize("left", ["still being copied", "under a period not yet possible"])
def test_a_file_a_child_left_for_later_is_read_by_a_later_province_run(
    province_zones: tuple[Path, Path], tmp_path: Path, left: str
) -> None:
    province, zones = province_zones
    config = settings(tmp_path, zones)
    april = dt.datetime(2024, 4, 20, tzinfo=dt.UTC)

    def run(config: Settings, clock: dt.datetime) -> ProvinceSummary:
        return run_province(config, f"province-{uuid.uuid4()}", RunOptions(allow_empty=True, started_at=clock))

    run(config, april)
    write_correction(province, zones)
    (written,) = (zones / CORRECTED).rglob("* revisi.xlsx")
    if left == "still being copied":  # written a moment before the run: left for a run after the quiet period
        arrived = (april + dt.timedelta(days=1)).timestamp() - 5
        os.utime(written, (arrived, arrived))
        waiting, later, clock = replace(config, quiet_seconds=3600), config, april + dt.timedelta(days=2)
    else:  # next year's folder by mistake, or early: read once the clock reaches it
        later_folder = zones / CORRECTED / "2024-06" / written.parent.name
        later_folder.mkdir(parents=True)
        written = written.rename(later_folder / written.name)
        waiting, later, clock = config, config, dt.datetime(2024, 6, 10, tzinfo=dt.UTC)
    first = run(waiting, april + dt.timedelta(days=1))
    assert first.chunks == ((CORRECTED,),) and first.staged == ()  # the child ran and left the file unread
    assert first.unread == (CORRECTED,) and f"files left for a later run in {CORRECTED} (" in summary_line(first)
    second = run(later, clock)
    assert second.chunks == ((CORRECTED,),) and second.staged == (CORRECTED,)  # not taken as current: read now
    assert second.unread == () and "left" not in summary_line(second)
    with duckdb.connect(str(config.warehouse), read_only=True) as con:
        read = con.execute("select count(*) from ingested_files where source_file like ?", [f"%{written.name}"])
        assert read.fetchall() == [(1,)]
    assert run(later, clock).chunks == ()  # and then current


def test_objects_of_an_uncommitted_generation_are_never_read_and_are_removed(
    province_zones: tuple[Path, Path], tmp_path: Path
) -> None:
    _, zones = province_zones
    config = settings(tmp_path, zones)
    province_run(config)
    store = staging.open_store(config.staging)
    committed = staging.read_manifest(store, "33.01")
    assert committed is not None
    # a child killed between its objects and its manifest: objects of a generation no manifest names
    empty = {table: pl.DataFrame({"period": ["2024-04"], "junk": ["half"]}) for table in staging.STAGED_TABLES}
    leftovers = staging.write_generation(store, "33.01", "killed-generation", empty)
    assert staging.read_manifest(store, "33.01") == committed
    fetched = staging.fetch(store, [committed], tmp_path / "cache")
    assert not any("killed-generation" in path for paths in fetched.values() for path in paths)
    assert all((Path(config.staging) / path).exists() for paths in leftovers.values() for path in paths)
    # the next commit for the regency removes them
    (zones / "33.01" / "2024-04").touch()
    for path in (zones / "33.01").rglob("*.xlsx"):
        path.touch()
    province_run(config)
    assert not any((Path(config.staging) / path).exists() for paths in leftovers.values() for path in paths)


def test_manifests_of_different_person_id_keys_are_refused(
    province_zones: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    province, zones = province_zones
    config = settings(tmp_path, zones)
    province_run(config)
    monkeypatch.setenv("CAKUPAN_PII_KEY", "another key")
    single = tmp_path / "single" / "cakupan.duckdb"
    build_warehouse(province, single, region=REGION)  # before the touch: a file's time is its arrival
    for path in (zones / "33.02").rglob("*.xlsx"):
        path.touch()
    with pytest.raises(RunFailedError, match="person_id key changed"):
        province_run(config)  # the regency's own run refuses a changed key
    published = config.warehouse.stat().st_ino
    rekeyed = RunOptions(allow_empty=True, rekey=True)
    run_chunk(config, ["33.02"], "a-worker-given-another-key", rekeyed, PlainSteps(), LOG)
    way_out = r"different person_id keys \(33.01, 33.03; 33.02\).*same key .*then run `cakupan province --rekey`"
    with pytest.raises(RunFailedError, match=way_out):
        province_run(config)  # re-keyed in one regency only: the publisher refuses to mix them, and says the way out
    assert config.warehouse.stat().st_ino == published
    assert province_record(config.warehouse).exists()
    failing = InProcessSteps(FailingSteps("33.03"))  # a regency that fails in a re-key keeps its old key's output
    reason = r"did not complete \(33.03: OSError: the share of 33.03 went away.*not published: regencies were pub"
    with pytest.raises(RunFailedError, match=reason):
        province_run(config, failing, rekey=True)
    again = province_run(config, rekey=True)  # the way out: every regency runs again with the new key
    assert again.published and sorted(again.staged) == ["33.01", "33.02", "33.03"]
    assert figures(config.warehouse) == figures(single)  # the same person_ids as one run with the new key


def test_cakupan_province_in_process_runs_the_plain_sequence(province_zones: tuple[Path, Path], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    _, zones = province_zones
    arguments = ["province", "--raw", str(zones), "--warehouse", str(tmp_path / "jateng.duckdb"), "--region", REGION]
    arguments += ["--staging", str(tmp_path / "staging"), "--work-dir", str(tmp_path / "work"), "--in-process"]
    first = CliRunner().invoke(app, [*arguments, "--allow-empty"], terminal_width=300)
    assert first.exit_code == 0, first.output
    assert "3 regencies, 3 unit(s), 3 staged anew (33.01, 33.02, 33.03); published" in first.output
    again = CliRunner().invoke(app, [*arguments, "--allow-empty"], terminal_width=300)
    assert "0 unit(s), 0 staged anew; nothing new: not republished" in again.output
    missing = CliRunner().invoke(app, [*arguments[:2], str(tmp_path / "nowhere"), *arguments[3:]])
    assert missing.exit_code == 1 and "does not exist" in missing.output
    assert missing.output.startswith("cakupan province failed: ")  # the command that failed, not `cakupan run`


def test_a_unit_on_a_worker_runs_its_regencies_with_the_province_runs_options(
    province_zones: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the parent gives each unit reaches the regencies' runs on the worker: --rekey, --allow-empty."""
    from flows import province_flow

    _, zones = province_zones
    taken: list[RunOptions] = []
    monkeypatch.setattr(province_flow, "run_chunk", lambda *args: taken.append(args[3]) or [])
    for rekey in (True, False):
        unit = province_flow.unit_parameters(settings(tmp_path, zones), RunOptions(allow_empty=True, rekey=rekey))
        assert province_flow.stage_chunk(["33.01"], PlainSteps(), LOG, **unit) == []
    assert [(options.rekey, options.allow_empty) for options in taken] == [(True, True), (False, True)]


def read_recording_pid(
    victim: str, raw_dir: Path, file: DiscoveredFile, gazetteer: Gazetteer
) -> ExtractedFile:  # pragma: no cover - runs in the worker processes
    """`extract_file`, noting which process read which regency's file; the process is killed on `victim`."""
    with (raw_dir.parents[1] / "pids").open("a") as noted:  # beside the zones
        noted.write(f"{raw_dir.name} {os.getpid()} {file.source_file}\n")
    if file.source_file == victim:
        os.kill(os.getpid(), signal.SIGKILL)
    return extract_file(raw_dir, file, gazetteer)


def pids_read(folder: Path) -> dict[str, list[int]]:
    """By regency, the processes that read its files, in order (`read_recording_pid`)."""
    read: dict[str, list[int]] = {}
    for line in (folder / "pids").read_text().splitlines():
        code, pid, _ = line.split(" ", 2)
        read.setdefault(code, []).append(int(pid))
    return read


class RecordingSteps(PlainSteps):
    """The plain steps, with the workers reading through `read_recording_pid`."""

    def __init__(self, victim: str) -> None:
        self.victim = victim

    def submit(self, processor: Processor, files: list[DiscoveredFile]) -> HasResult[BatchOutcome]:
        assert isinstance(processor, BatchProcessor)
        processor.worker = replace(processor.worker, extract=partial(read_recording_pid, self.victim))
        return super().submit(processor, files)


@pytest.mark.parametrize("per_child", [3, 1], ids=["one chunk of three", "three chunks in one process"])
def test_regencies_are_read_with_one_pool_and_a_crash_costs_only_its_file(
    province_zones: tuple[Path, Path], tmp_path: Path, per_child: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child's regencies (and in one process, its chunks) are read by the same worker processes, not new ones
    forked and warmed for each; a file that kills its process in the second regency is rejected, the pool is
    replaced and the third regency reads all its files. The child's state databases run on one DuckDB thread."""
    _, zones = province_zones
    first, second, third = largest_first(zones)  # the order they are read in
    config = replace(settings(tmp_path, zones), regencies_per_child=per_child)
    victim = sorted(str(path.relative_to(zones / second)) for path in (zones / second).rglob("*.xlsx"))[1]
    mark_run, threads = state_runs.mark_run, set()

    def noting_threads(con: duckdb.DuckDBPyConnection, *args: object, **kwargs: object) -> None:
        threads.add(con.sql("select current_setting('threads')").fetchall()[0][0])
        mark_run(con, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(state_runs, "mark_run", noting_threads)
    summary = province_run(config, InProcessSteps(RecordingSteps(victim)))
    assert len(summary.chunks) == 3 // per_child and summary.published
    assert threads == {1}
    read = pids_read(tmp_path)
    assert len(set(read[first])) == 1  # workers=1: one process
    assert read[second][0] == read[first][0]  # the same process goes on with the next regency
    assert len(set(read[third])) == 1 and read[third][0] != read[first][0]  # the pool replaced after the crash
    assert read[third][0] in read[second]  # by the one that read the rest of regency 2
    with duckdb.connect(str(config.warehouse), read_only=True) as con:
        files = con.sql("select source_file, status, reason from ingested_files order by source_file").fetchall()
    rejected = [(source, reason) for source, status, reason in files if status == "rejected"]
    assert [source for source, _ in rejected] == [f"{second}/{victim}"]
    assert rejected[0][1].startswith("the spreadsheet reader crashed on this file")
    assert len(files) == sum(1 for _ in zones.rglob("*.xlsx"))  # every other file of the three read and placed


def test_units_start_with_the_largest_regencies_so_the_workers_finish_together(tmp_path: Path) -> None:
    """Units run as workers free, in the order given: the largest regencies first, the smallest last."""
    zones = tmp_path / "zones"
    sizes = {"33.01": 2, "33.02": 5, "33.03": 1, "33.04": 3}  # files in each regency's landing zone
    for code, count in sizes.items():
        for number in range(count):
            (zones / code / "2024-04" / f"desa {number}").mkdir(parents=True)
            (zones / code / "2024-04" / f"desa {number}" / "roster.xlsx").write_bytes(b"")
    seen: list[list[list[str]]] = []

    class Recording(InProcessSteps):
        def run_children(self, *args: Any, **kwargs: Any) -> list[ChildOutcome]:
            seen.append(args[1])
            raise RunFailedError("stopped after the units were made")

    config = replace(settings(tmp_path, zones), region=",".join(sizes), regencies_per_child=2)
    with pytest.raises(RunFailedError, match="stopped"):
        run_province(config, "run-1", RunOptions(allow_empty=True), Recording(), LOG)
    assert seen == [[["33.02", "33.04"], ["33.01", "33.03"]]]


def test_a_dask_workers_successive_units_read_with_the_same_processes(
    province_zones: tuple[Path, Path], tmp_path: Path
) -> None:
    """Each unit on a long-lived Dask worker is a `run_chunk`: the worker keeps its reading pool for the next one."""
    import distributed

    from flows.runtime.warm import QUIET_CALLBACKS_MS, local_cluster

    _, zones = province_zones
    config = settings(tmp_path, zones)
    unit = partial(run_chunk, options=RunOptions(allow_empty=True), steps=RecordingSteps(""), log=LOG)
    with local_cluster(threads=1) as address, distributed.Client(address) as client:  # type: ignore[no-untyped-call]
        for code in ("33.01", "33.02"):
            assert client.submit(unit, config, [code], f"unit-{code}", pure=False).result()[0].staged
        profiling = client.run(lambda dask_worker: dask_worker.periodic_callbacks.get("profile"))
        assert list(profiling.values()) == [None]  # no statistical profiler sampling the worker's threads
        quiet = client.run(lambda dask_worker: {n: c.callback_time for n, c in dask_worker.periodic_callbacks.items()})
        assert [{n: times[n] for n in ("monitor", "tick")} for times in quiet.values()] == [QUIET_CALLBACKS_MS]
    read = pids_read(tmp_path)
    assert len(set(read["33.01"])) == 1 and set(read["33.02"]) == set(read["33.01"])


def test_a_log_line_names_a_generation_as_its_manifest_does(monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.privacy import mask_text

    digits = uuid.UUID("99365567-6067-4000-8000-000000000000")  # random bits that are all digits, at times
    monkeypatch.setattr(staging.uuid, "uuid4", lambda: digits)
    generation = staging.new_generation()
    assert mask_text(f"regency 33.02: staged generation {generation}").endswith(generation)


def test_an_object_store_error_is_one_line_without_its_debug_dump(tmp_path: Path) -> None:
    import obstore
    from obstore.store import LocalStore

    from flows.run_options import one_line

    (tmp_path / "staging").touch()  # a file where the staging folder should be
    with pytest.raises(Exception) as raised:
        obstore.put(LocalStore(str(tmp_path)), "staging/manifest.json", b"{}")
    line = one_line(raised.value)
    assert line.startswith("Generic LocalFileSystem error: Unable to open file") and "Not a directory" in line
    assert "Debug source" not in line and "\n" not in line and len(line) < 200


@pytest.mark.parametrize(
    ("regencies", "shown"), [(("33.01",), "1 regency, 1 unit(s)"), (("33.01", "33.02"), "2 regencies")]
)
def test_the_summary_line_counts_one_regency_as_one(regencies: tuple[str, ...], shown: str) -> None:
    summary = ProvinceSummary("run", regencies, (regencies,), (), published=True, staged=regencies)
    assert summary_line(summary).startswith(shown)
