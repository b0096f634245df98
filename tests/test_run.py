"""The one run sequence (flows/regency_run.py): failures recorded and told in one line, problem runs not green."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import uuid
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows import regency_run
from flows.ingest.outcomes import BatchOutcome, DiscoveredFile
from flows.ingest.workers import BatchProcessor
from flows.privacy import mask_text
from flows.regency_run import PlainSteps, run_pipeline
from flows.run_options import RunFailedError, RunOptions
from flows.runtime.pool import HasResult
from flows.settings import REFERENCE_DIR, Settings, state_path_for
from flows.store import publish, state_db
from flows.store.catalog import ViewDoc
from flows.store.sql import query_frame
from tests.helpers import ANI, BUDI, CITRA, build_warehouse, kept_template, view, write_roster


def roster(raw: Path, period: str, village: str = "Batuanten", nik: str = ANI) -> Path:
    path = raw / period / "Cilongok" / f"{village}.xlsx"
    write_roster(path, {"BPD": [[nik, "Ani", "P", "Anggota BPD", "Sudah", "1"]]}, village=village.upper())
    return path


def state_runs(warehouse: Path) -> pl.DataFrame:
    """Every run the state database recorded, failed ones included (the analyst file has published ones)."""
    with duckdb.connect(str(state_path_for(warehouse)), read_only=True) as con:
        return query_frame(con, "select * from runs order by started_at")


def run(raw: Path, warehouse: Path, **options: object) -> None:
    settings = Settings(raw, warehouse, workers=1, quiet_seconds=0)
    with kept_template(settings):  # a new warehouse's first publish from the session's template, as build_warehouse
        run_pipeline(settings, str(uuid.uuid4()), RunOptions(**options))  # type: ignore[arg-type]


def failure(raw: Path, warehouse: Path, **options: object) -> str:
    with pytest.raises(RunFailedError) as raised:
        run(raw, warehouse, **options)
    message = str(raised.value)
    assert "\n" not in message
    assert state_runs(warehouse)["status"].to_list()[-1] == "failed"
    # as `runs` keeps it, NIK-like digits masked: a random key's check (hex) can hold 12 digits in a row
    assert state_runs(warehouse)["message"].to_list()[-1] == mask_text(message)
    return message


def test_a_missing_landing_zone_or_unwritable_warehouse_fails_at_once_naming_the_path(tmp_path: Path) -> None:
    warehouse = tmp_path / "wh" / "c.duckdb"
    with pytest.raises(RunFailedError, match=r"landing zone .*nope does not exist"):
        run(tmp_path / "nope", warehouse)
    raw = tmp_path / "raw"
    roster(raw, "2024-04")
    (tmp_path / "a-folder.duckdb").mkdir()
    with pytest.raises(RunFailedError, match=r"a-folder.duckdb is a folder"):
        run(raw, tmp_path / "a-folder.duckdb")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(RunFailedError, match=r"a-file is not a folder"):
        run(raw, tmp_path / "a-file" / "c.duckdb")
    with pytest.raises(RunFailedError, match=r"landing zone .*Batuanten.xlsx is not a folder"):
        run(raw / "2024-04" / "Cilongok" / "Batuanten.xlsx", warehouse)


def test_an_empty_zone_or_newest_period_fails_unless_expected(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    raw.mkdir()
    assert "has no files" in failure(raw, warehouse)
    roster(raw, "2024-04")
    (raw / "2024-05").mkdir()
    assert "newest period folder" in failure(raw, warehouse) and "2024-05" in failure(raw, warehouse)
    run(raw, warehouse, allow_empty=True)
    assert state_runs(warehouse)["status"].to_list()[-1] == "completed"


@pytest.mark.parametrize("given", ["a kecamatan folder", "a month folder", "the reference folder", "far months"])
def test_a_zone_without_month_folders_fails_unless_expected(tmp_path: Path, given: str) -> None:
    """--raw at a kecamatan's or a month's folder (or at raw/reference) read every file as 'not under a period
    folder' and published an empty warehouse in a green run."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    roster(raw, "2024-04")
    roster(tmp_path / "far", "2999-01")  # no month that can be yet
    zone = {
        "a kecamatan folder": raw / "2024-04" / "Cilongok",
        "a month folder": raw / "2024-04",
        "the reference folder": REFERENCE_DIR,
        "far months": tmp_path / "far",
    }[given]
    message = failure(zone, warehouse)
    assert f"landing zone {zone} has no files under a month folder that can be read now" in message
    assert "--allow-empty" in message
    run(zone, warehouse, allow_empty=True)
    assert state_runs(warehouse)["status"].to_list()[-1] == "completed"


def test_a_vanished_zone_fails_and_vanished_files_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    roster(raw, "2024-03")
    roster(raw, "2024-04")
    roster(raw, "2024-04", "Pejogol", CITRA)
    run(raw, warehouse)
    roster(raw, "2024-04", "Pejogol", BUDI)  # a second version of the same file: still 3 files
    run(raw, warehouse)

    shutil.move(raw, tmp_path / "unmounted")
    raw.mkdir()
    message = failure(raw, warehouse)
    assert "all 3 file(s) of 2024-03, 2024-04 are gone" in message
    monkeypatch.setattr("flows.regency_run.VANISHED_LOGGED", 2)
    with caplog.at_level("WARNING", logger="cakupan"):
        run(raw, warehouse, allow_empty=True)  # expected: completes, naming a sample of the vanished files
    named = [r.message for r in caplog.records if "no longer in the landing zone" in r.message]
    assert len(named) == 3 and named[-1] == "... and 1 more files no longer in the landing zone"
    shutil.rmtree(raw)
    shutil.move(tmp_path / "unmounted", raw)

    (raw / "2024-04" / "Cilongok" / "Pejogol.xlsx").unlink()
    summary = build_warehouse(raw, warehouse)
    assert summary.counts["files_vanished"] == 1
    assert any("1 file(s) ingested earlier are no longer" in w for w in summary.warnings)
    assert "1 file(s) ingested earlier" in summary.markdown()
    assert state_runs(warehouse)["files_vanished"].to_list()[-1] == 1


def test_villages_that_sent_nothing_for_the_newest_period_are_counted(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    roster(raw, "2024-03", "Pejogol", BUDI)
    roster(raw, "2024-04")
    (raw / "2024-04" / "x").mkdir()
    (raw / "2024-04" / "x" / "Rusak.xlsx").write_bytes(b"not a workbook")  # names no village: placed nowhere
    summary = build_warehouse(raw, warehouse)
    assert summary.counts["villages_missing"] == 330  # of Banyumas's 331, only Batuanten sent 2024-04
    assert "330 of 331 villages sent nothing for 2024-04" in summary.warnings
    last = state_runs(warehouse).row(-1, named=True)
    assert (last["latest_period"], last["villages_missing"]) == ("2024-04", 330)


def test_a_changed_person_id_key_is_refused_unless_rekeying(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    roster(raw, "2024-04")
    monkeypatch.setenv("CAKUPAN_PII_KEY", "first key")
    run(raw, warehouse)
    ids = view(warehouse, "roster")["person_id"].to_list()

    monkeypatch.delenv("CAKUPAN_PII_KEY")  # a serve process started without the variable
    message = failure(raw, warehouse)
    assert "published with the key from the environment variable CAKUPAN_PII_KEY" in message
    assert "this run has no key" in message and "set CAKUPAN_PII_KEY to the same value" in message
    assert "--rekey would make a new random key file" in message  # what --rekey would do, said before it is done
    assert not (state_path_for(warehouse).parent / "pii.key").exists()  # no key file made behind the operator's back
    monkeypatch.setenv("CAKUPAN_PII_KEY", "another key")
    message = failure(raw, warehouse)
    assert "this run's key, from the environment variable CAKUPAN_PII_KEY, is another key" in message
    assert "only if the key from the environment variable CAKUPAN_PII_KEY is the one to keep" in message
    assert view(warehouse, "roster")["person_id"].to_list() == ids  # nothing republished

    run(raw, warehouse, rekey=True)
    assert view(warehouse, "roster")["person_id"].to_list() != ids
    published = view(warehouse, "runs").sort("started_at").row(-1, named=True)  # the analysts' copy says it too
    assert (published["status"], published["pii_key_source"]) == ("completed", "environment variable CAKUPAN_PII_KEY")
    last = state_runs(warehouse).row(-1, named=True)
    assert (last["status"], last["pii_key_source"]) == ("completed", "environment variable CAKUPAN_PII_KEY")
    run(raw, warehouse)  # the new key is now the published one
    assert state_runs(warehouse)["status"].to_list()[-1] == "completed"


def test_the_key_is_what_it_is_not_the_path_it_is_read_by(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A key file reached by a relative path, then an absolute one from elsewhere, then the same value
    from the environment: one key, accepted every time; another key names both sources."""
    monkeypatch.delenv("CAKUPAN_PII_KEY", raising=False)
    monkeypatch.delenv("CAKUPAN_PII_KEY_BLOCK", raising=False)
    project = tmp_path / "project"
    roster(project / "raw", "2024-04")
    monkeypatch.chdir(project)
    run(Path("raw"), Path("warehouse/cakupan.duckdb"))  # as `make demo` runs, from the project root
    ids = view(project / "warehouse" / "cakupan.duckdb", "roster")["person_id"].to_list()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # as `serve`, a worker or a cron run it: absolute paths, another directory
    raw, warehouse = project / "raw", project / "warehouse" / "cakupan.duckdb"
    roster(raw, "2024-04", "Pejogol", BUDI)
    run(raw, warehouse)
    assert state_runs(warehouse)["status"].to_list()[-1] == "completed"
    monkeypatch.setenv("CAKUPAN_PII_KEY", "a stale key")
    message = failure(raw, warehouse)
    assert f"published with the key from the key file {project / 'warehouse' / '.cakupan' / 'pii.key'}" in message
    assert "this run's key, from the environment variable CAKUPAN_PII_KEY, is another key" in message
    assert "with no block named and CAKUPAN_PII_KEY unset" in message

    key = (project / "warehouse" / ".cakupan" / "pii.key").read_text()
    monkeypatch.setenv("CAKUPAN_PII_KEY", key)  # the same key moved into the environment (or a block)
    roster(raw, "2024-04", "Jatisaba", BUDI)
    run(raw, warehouse)
    assert state_runs(warehouse)["status"].to_list()[-1] == "completed"
    roster_ids = view(warehouse, "roster").filter(pl.col("village_code") == "33.02.17.2008")["person_id"].to_list()
    assert roster_ids == ids  # every person_id kept


def test_rekey_republishes_even_when_nothing_else_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    roster(raw, "2024-04")
    monkeypatch.setenv("CAKUPAN_PII_KEY", "the key")
    run(raw, warehouse)
    published = warehouse.stat().st_ino
    run(raw, warehouse)
    assert warehouse.stat().st_ino == published  # nothing new: not republished
    run(raw, warehouse, rekey=True)
    assert warehouse.stat().st_ino != published  # --rekey always republishes
    runs = view(warehouse, "runs").sort("started_at")
    assert runs["status"].to_list()[-1] == "completed" and runs["pii_key_source"].to_list()[-1] is not None


def test_links_are_recorded_never_followed(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    roster(raw, "2024-04")
    outside = roster(tmp_path / "elsewhere", "2024-04", "Pejogol", BUDI)
    (raw / "2024-04" / "Cilongok" / "Pejogol.xlsx").symlink_to(outside)
    (raw / "2024-04" / "Cilongok" / "Dangling.xlsx").symlink_to(tmp_path / "gone.xlsx")
    (raw / "2024-04" / "Kembaran").symlink_to(outside.parent, target_is_directory=True)
    build_warehouse(raw, warehouse)
    files = view(warehouse, "ingested_files").sort("source_file")
    links = files.filter(pl.col("source_file") != "2024-04/Cilongok/Batuanten.xlsx")
    assert links["source_file"].to_list() == [
        "2024-04/Cilongok/Dangling.xlsx",
        "2024-04/Cilongok/Pejogol.xlsx",
        "2024-04/Kembaran",
    ]
    assert set(links["status"]) == {"ignored"} and all("symbolic link to" in r for r in links["reason"])
    assert view(warehouse, "roster").height == 1  # only Batuanten's own file


def test_files_that_cannot_be_read_are_rejected_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pipe (whose read would block forever) and a socket, each named after a village: rejected, on that village."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    roster(raw, "2024-04")
    os.mkfifo(raw / "2024-04" / "Cilongok" / "Pejogol.xlsx")
    with socket.socket(socket.AF_UNIX) as server:
        monkeypatch.chdir(raw / "2024-04" / "Cilongok")  # a socket's path is at most 107 bytes: bind it relative
        server.bind("Panembangan.csv")
        monkeypatch.undo()
        build_warehouse(raw, warehouse)
    files = view(warehouse, "ingested_files").filter(pl.col("status") == "rejected").sort("source_file")
    assert files["reason"].to_list() == ["not a regular file (a pipe, socket or device)"] * 2
    assert files["village_code"].to_list() == ["33.02.17.2016", "33.02.17.2004"]
    assert view(warehouse, "roster").height == 1


def test_a_failed_publish_leaves_the_previous_warehouse_and_no_staging_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    roster(raw, "2024-04")
    build_warehouse(raw, warehouse)
    before = view(warehouse, "coverage_by_village")
    roster(raw, "2024-04", "Pejogol", BUDI)
    monkeypatch.setattr(publish, "view_docs", lambda: [ViewDoc("broken", "select * from nowhere", "", {})])
    with pytest.raises(duckdb.CatalogException):
        build_warehouse(raw, warehouse)
    assert sorted(p.name for p in warehouse.parent.iterdir()) == [".cakupan", "c.duckdb"]
    assert view(warehouse, "coverage_by_village").equals(before)
    last = state_runs(warehouse).row(-1, named=True)
    assert last["status"] == "failed" and last["message"].startswith("CatalogException")


def test_a_run_opens_the_state_database_once_from_its_start_to_its_publish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each open cost a regency's run about 0.1 CPU-s (issue 29): one connection serves the run, its publish too."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    roster(raw, "2024-04")
    opened: list[Path] = []
    connect = state_db.connect_state

    def counted(path: Path) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
        opened.append(path)
        return connect(path)

    monkeypatch.setattr(state_db, "connect_state", counted)
    run(raw, warehouse)  # read and published
    run(raw, warehouse)  # nothing new
    assert opened == [state_path_for(warehouse)] * 2
    assert state_runs(warehouse)["status"].to_list() == ["completed", "completed"]


def test_a_state_database_that_cannot_be_opened_fails_with_its_own_error(tmp_path: Path) -> None:
    """Nowhere to record the failure: the error that says why is raised, not a second one from recording it."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    roster(raw, "2024-04")
    state = state_path_for(warehouse)
    state.parent.mkdir(parents=True)
    state.write_bytes(b"not a database " * 1000)
    with pytest.raises(duckdb.IOException) as raised:
        run(raw, warehouse)
    assert str(state) in str(raised.value) and raised.value.__context__ is None


def test_a_run_refused_the_state_at_its_start_defers_its_failure_even_if_the_next_open_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader closed the state between the run's open and the recording: the run never started, so its failure
    is kept beside the database, as when the state is still held, and the next run records it."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    roster(raw, "2024-04")
    run(raw, warehouse)
    state = state_path_for(warehouse)
    connect, opens = state_db.connect_state, []

    def held_once(path: Path) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
        opens.append(path)
        if len(opens) == 1:
            raise state_db.StateLockedError(f"the state database {path} is held open by process 1")
        return connect(path)

    monkeypatch.setattr(state_db, "connect_state", held_once)
    with pytest.raises(RunFailedError, match="is held open by process 1"):
        run(raw, warehouse)
    assert state_db.deferred_failures_path(state).exists() and len(opens) == 1
    run(raw, warehouse)
    assert state_runs(warehouse)["status"].to_list() == ["completed", "failed", "completed"]


def test_a_run_id_already_recorded_fails_and_leaves_that_runs_record(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    roster(raw, "2024-04")
    settings = Settings(raw, warehouse, workers=1, quiet_seconds=0)
    with kept_template(settings):
        run_pipeline(settings, "the-same-id", RunOptions())
        with pytest.raises(duckdb.ConstraintException):
            run_pipeline(settings, "the-same-id", RunOptions())
    assert state_runs(warehouse).select("run_id", "status", "message").rows() == [("the-same-id", "completed", "")]


def test_the_room_to_publish_is_measured_on_the_state_as_checkpointed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's connection is still open when the room is checked: what it wrote must be in the file, not its WAL."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    roster(raw, "2024-04")
    state = state_path_for(warehouse)
    wal, seen = state.with_name(state.name + ".wal"), []
    check = regency_run.check_room

    def measured(state_path: Path, published: Path) -> None:
        seen.append((state_path.stat().st_size, wal.stat().st_size if wal.exists() else 0))
        check(state_path, published)

    monkeypatch.setattr(regency_run, "check_room", measured)
    run(raw, warehouse)
    ((size, pending),) = seen
    assert pending == 0 and size > 1_000_000  # the state of one roster is about 2.6 MB once checkpointed


def test_private_files_are_set_back_to_0600_on_every_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    roster(raw, "2024-04")
    monkeypatch.delenv("CAKUPAN_PII_KEY")  # the key file, too
    run(raw, warehouse)
    private = state_path_for(warehouse).parent
    for path in [private, *private.iterdir()]:
        path.chmod(0o755 if path.is_dir() else 0o644)  # as a copy or restore may leave them
    run(raw, warehouse)
    modes = {path.name: path.stat().st_mode & 0o777 for path in private.iterdir()}
    assert modes and set(modes.values()) == {0o600}, modes
    assert "pii.key" in modes and private.stat().st_mode & 0o777 == 0o700


def test_publishing_without_the_disk_space_it_needs_fails_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    roster(raw, "2024-04")
    run(raw, warehouse)
    published, size = warehouse.stat().st_ino, warehouse.stat().st_size
    roster(raw, "2024-04", "Pejogol", BUDI)
    real = shutil.disk_usage
    almost_full = 2 * size  # room for the new copy, not for the state's checkpoint as well
    monkeypatch.setattr(shutil, "disk_usage", lambda path: real(path)._replace(free=almost_full))
    message = failure(raw, warehouse)
    assert message.startswith(f"not enough disk space to publish {warehouse}:") and "nothing published" in message
    assert warehouse.stat().st_ino == published and not list(warehouse.parent.glob("*.publishing"))
    monkeypatch.setattr(shutil, "disk_usage", real)
    run(raw, warehouse)  # room again: the file read last time is published without being read again
    assert view(warehouse, "roster").height == 2


class LosingSteps(PlainSteps):
    """Plain steps whose landing zone (or one folder of it) is renamed away before batch `at` is read."""

    def __init__(self, lost: Path, at: int) -> None:
        self.lost, self.at, self.submitted = lost, at, 0

    def submit(self, processor: BatchProcessor, files: list[DiscoveredFile]) -> HasResult[BatchOutcome]:
        self.submitted += 1
        if self.submitted == self.at:
            self.lost.rename(self.lost.with_name(f"{self.lost.name}.away"))
        return super().submit(processor, files)


@pytest.mark.parametrize("lost", ["", "2024-04"], ids=["the zone", "a period folder"])
def test_a_share_lost_mid_run_fails_the_night_and_the_next_run_heals(
    demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path, lost: str
) -> None:
    source, _ = demo_zone
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    for period in ("2024-01", "2024-02", "2024-03"):
        shutil.copytree(source / period, raw / period)
    settings = Settings(raw, warehouse, workers=1, batch_size=2)
    run_pipeline(settings, str(uuid.uuid4()))
    published, before = warehouse.stat().st_ino, rejected_files(warehouse)
    shutil.copytree(source / "2024-04", raw / "2024-04")  # 8 new files: 4 batches of 2

    gone = raw / lost
    with pytest.raises(RunFailedError) as raised:
        run_pipeline(settings, str(uuid.uuid4()), steps=LosingSteps(gone, at=3))
    message = str(raised.value)
    assert "\n" not in message and "during the run" in message and "nothing published" in message
    assert (f"landing zone {raw} became unreadable" if not lost else "vanished from") in message
    assert warehouse.stat().st_ino == published  # the analysts keep last night's figures
    runs = state_runs(warehouse)
    assert (runs["status"].to_list()[-1], runs["message"].to_list()[-1]) == ("failed", message)
    assert rejected_files(warehouse) == before  # no good file told to be re-saved and resent

    gone.with_name(f"{gone.name}.away").rename(gone)  # the share is back
    run_pipeline(settings, str(uuid.uuid4()))  # no --full-refresh
    clean = tmp_path / "clean" / "c.duckdb"
    run_pipeline(Settings(raw, clean, workers=1), str(uuid.uuid4()))
    assert view(warehouse, "coverage_by_village").equals(view(clean, "coverage_by_village"))
    files = "select source_file, status from ingested_files order by all"  # which copy is "the same as" may differ
    assert query_frame_of(warehouse, files).equals(query_frame_of(clean, files))


def rejected_files(warehouse: Path) -> list[str]:
    return query_frame_of(warehouse, "select source_file from ingested_files where status = 'rejected'")[
        "source_file"
    ].to_list()


def query_frame_of(warehouse: Path, sql: str) -> pl.DataFrame:
    """A query on the state database of `warehouse` (every file, ever)."""
    with duckdb.connect(str(state_path_for(warehouse)), read_only=True) as con:
        return query_frame(con, sql)
