"""Only final judgements are remembered (issue 26): a failure of the moment is read again, a file still being
written waits, and only periods that can exist count.

Each test runs the real sequence (flows/regency_run.py) in worker processes. A failure of the moment is made by a
stand-in reader (as tests/test_batches.py does): the file vanishes while it is read and is put back, the worker
is killed, or the reader stalls past the time limit. Clocks are fixed (RunOptions.started_at), never today's.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from flows.ingest.batch import extract_file
from flows.ingest.outcomes import DiscoveredFile, ExtractedFile
from flows.ingest.place import Gazetteer
from flows.ingest.workers import BatchProcessor, Extract
from flows.outputs.summary import RunSummary
from flows.regency_run import PlainSteps, run_pipeline
from flows.run_options import RunOptions
from flows.runtime.pool import HasResult
from flows.settings import ConfigError, Settings, load_settings, state_path_for
from flows.store import periods
from flows.store.sql import query_frame
from flows.store.state_db import connect_state
from tests.helpers import (
    ANI,
    BUDI,
    CITRA,
    assert_reasons_catalogued,
    close_regency,
    frame,
    state_of,
    view,
    write_roster,
)
from tests.test_batches import killed_on_karangtengah, stuck_on_karangtengah

CLOCK = dt.datetime(2024, 5, 10, 2, 0, tzinfo=dt.UTC)
VILLAGES = {"Batuanten": ANI, "Karangtengah": BUDI}  # two villages of Cilongok (test_batches: stand-ins)


def zone(raw: Path, period: str = "2024-04") -> None:
    for village, nik in VILLAGES.items():
        write_roster(
            raw / period / "Cilongok" / f"{village}.xlsx",
            {"BPD": [[nik, f"{village} {period}", "L", "Anggota BPD", "Sudah", ""]]},  # not a copy of another month
            village=village.upper(),
        )


def vanishes_on_karangtengah(raw_dir: Path, file: DiscoveredFile, gazetteer: Gazetteer) -> ExtractedFile:
    """`extract_file`, except that Karangtengah's file is gone while it is read, and then put back."""
    return vanishes_on("Karangtengah", raw_dir, file, gazetteer)


def vanishes_on_a_second_part(raw_dir: Path, file: DiscoveredFile, gazetteer: Gazetteer) -> ExtractedFile:
    """`extract_file`, except that the second part of the branch's participants export is gone while it is read."""
    return vanishes_on("bagian 2", raw_dir, file, gazetteer)


def vanishes_on(name: str, raw_dir: Path, file: DiscoveredFile, gazetteer: Gazetteer) -> ExtractedFile:
    """`extract_file`, except that a file whose path holds `name` is gone while it is read, and then put back."""
    if name not in file.source_file:
        return extract_file(raw_dir, file, gazetteer)
    path = raw_dir / file.source_file
    away = path.with_name("moved-away")
    path.rename(away)
    try:
        return extract_file(raw_dir, file, gazetteer)
    finally:
        away.rename(path)


def hungry_on_karangtengah(raw_dir: Path, file: DiscoveredFile, gazetteer: Gazetteer) -> ExtractedFile:
    """`extract_file`, except that Karangtengah's file wants 8 GiB (as calamine on a hostile file): past the ceiling."""
    if "Karangtengah" in file.source_file:
        held = bytearray(8 * 2**30)
        return ExtractedFile(file, "rejected", f"held {len(held)} bytes")  # not reached under the ceiling
    return extract_file(raw_dir, file, gazetteer)


class StandInSteps(PlainSteps):
    """The plain steps, with the workers reading through a stand-in for `extract_file`."""

    def __init__(self, extract: Extract) -> None:
        self.extract = extract

    def submit(self, processor: BatchProcessor, files: list[DiscoveredFile]) -> HasResult:  # type: ignore[type-arg]
        processor.worker = replace(processor.worker, extract=self.extract)  # before its pool starts
        return processor.submit(files)


def run(
    raw: Path, warehouse: Path, steps: PlainSteps | None = None, day: int = 0, refresh: bool = False, **settings: object
) -> RunSummary:
    """A run at CLOCK, `day` days later (each run of a test is later than the one before, as nights are);
    a full refresh when `refresh`."""
    clock = CLOCK + dt.timedelta(days=day)
    given: dict[str, object] = {"workers": 1, "quiet_seconds": 0, "file_timeout_seconds": 1.0, **settings}
    configured = Settings(raw, warehouse, **given)  # type: ignore[arg-type]
    options = RunOptions(started_at=clock, full_refresh=refresh)
    return run_pipeline(configured, f"test-{uuid.uuid4()}", options, steps)


def villages_counted(warehouse: Path) -> list[str]:
    return sorted(view(warehouse, "coverage_by_village")["village_name"].to_list())


def attempts(warehouse: Path) -> pl.DataFrame:
    with connect_state(state_of(warehouse)) as con:
        return query_frame(con, "select source_file, reason from file_attempts order by all")


@pytest.mark.parametrize(
    ("extract", "reason"),
    [
        (vanishes_on_karangtengah, "cannot be read (FileNotFoundError"),
        (killed_on_karangtengah, "the spreadsheet reader crashed"),
        (stuck_on_karangtengah, "took longer than the limit of 1 seconds"),
        (hungry_on_karangtengah, "past the memory ceiling of a reading worker, worker_memory_mb"),
    ],
)
def test_a_failure_of_the_moment_is_read_again_by_the_next_run(tmp_path: Path, extract: Extract, reason: str) -> None:
    """A roster rejected because it vanished, its worker died or it passed the time limit was remembered as
    rejected for good: the next run said "0 new or changed" and only --full-refresh read it again.
    """
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    zone(raw)
    run(raw, warehouse, StandInSteps(extract))
    assert villages_counted(warehouse) == ["Batuanten"]
    rejected = frame(warehouse, "select reason, alasan from ingested_files where status = 'rejected'").row(0)
    assert reason in rejected[0] and "read again at the next run (attempt 1 of 4)" in rejected[0]
    assert "akan dibaca lagi pada proses berikutnya (percobaan ke-1 dari 4)" in rejected[1]
    assert_reasons_catalogued(state_path_for(warehouse))

    summary = run(raw, warehouse, day=1)  # the same bytes at the same path: no --full-refresh, nothing resent
    assert villages_counted(warehouse) == ["Batuanten", "Karangtengah"]
    assert summary.counts["files_rejected"] == 0
    assert frame(warehouse, "select status from ingested_files order by source_file")["status"].to_list() == [
        "loaded",
        "loaded",
    ]
    assert (
        frame(
            warehouse, "select count(*) from validation_failures where is_current and check_name = 'file_rejected'"
        ).item()
        == 0
    )
    history = attempts(warehouse)  # the passing failure is kept
    assert history["source_file"].to_list() == ["2024-04/Cilongok/Karangtengah.xlsx"]


@pytest.mark.parametrize("extract", [vanishes_on_karangtengah, killed_on_karangtengah])
def test_a_file_the_closed_figures_lack_is_held_for_acceptance_when_read_after_the_close(
    tmp_path: Path, extract: Extract
) -> None:
    """A village's file missing from the figures when its month was closed (its reading failed for a reason of the
    moment), read after the close: it was kept out of the figures as 'superseded for BPD by None' ("Kelompok lain
    dari berkas ini tetap dihitung"), with nothing pending to accept, since it had first arrived before the close.
    Now it is held like any correction: pending, with its effect, and counted once accepted."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    zone(raw)
    run(raw, warehouse, StandInSteps(extract))
    assert villages_counted(warehouse) == ["Batuanten"]
    close_regency(warehouse, "2024-04")
    run(raw, warehouse, day=1)
    assert villages_counted(warehouse) == ["Batuanten"]  # the closed figures stand
    status, reason, alasan = frame(
        warehouse, "select status, reason, alasan from ingested_files where source_file like '%Karangtengah%'"
    ).row(0)
    assert status == "pending" and reason.startswith("held: 2024-04 is closed for the regency"), reason
    assert alasan.startswith("ditahan: periode 2024-04 sudah ditutup") and "None" not in reason + alasan
    effect = view(warehouse, "pending_corrections").select("village_name", "members_before", "members_after")
    assert effect.rows() == [("Karangtengah", 0, 1)]
    periods.accept_pending(state_of(warehouse), "2024-04", periods.Scope(), [], periods.Actor("terlambat", "operator"))
    run(raw, warehouse, day=2)
    assert villages_counted(warehouse) == ["Batuanten", "Karangtengah"]


@pytest.mark.parametrize("written", ["the same bytes", "other bytes"])
def test_a_full_refresh_reads_a_file_touched_just_before_or_keeps_what_it_had(tmp_path: Path, written: str) -> None:
    """A full refresh forgot every version before it read the zone again; Karangtengah's file, written a few seconds
    before it (synced again, or being replaced), was left unread for now, so Karangtengah vanished from the published
    figures until a later run, and a close in between locked the month without it. Now the same bytes are whole and
    read again with the rest; other bytes may still be being copied: what the path held is kept until a later run
    reads them."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    zone(raw)
    for path in raw.rglob("*.xlsx"):
        os.utime(path, (CLOCK.timestamp() - 3600,) * 2)
    run(raw, warehouse)
    copying = raw / "2024-04" / "Cilongok" / "Karangtengah.xlsx"
    if written == "other bytes":
        write_roster(
            copying, {"BPD": [[BUDI, "Karangtengah baru", "L", "Ketua BPD", "Sudah", ""]]}, village="KARANGTENGAH"
        )
    os.utime(copying, (CLOCK.timestamp() + 86_400 - 5,) * 2)  # written 5 s before the refresh
    summary = run(raw, warehouse, day=1, refresh=True, quiet_seconds=60)
    assert villages_counted(warehouse) == ["Batuanten", "Karangtengah"]
    read_by = (
        "select r.started_at from ingested_files f join runs r using (run_id) where f.source_file like '%Karangtengah%'"
    )
    if written == "the same bytes":  # read again by the refresh, as every other file
        assert frame(warehouse, read_by).item() == CLOCK + dt.timedelta(days=1)
        assert not any("modified less than" in warning for warning in summary.warnings)
    else:  # left for a later run, said so, and its old version counts meanwhile
        assert frame(warehouse, read_by).item() == CLOCK
        assert any("Karangtengah.xlsx: modified less than 60 seconds" in warning for warning in summary.warnings)
    close_regency(warehouse, "2024-04")
    run(raw, warehouse, day=2, quiet_seconds=60)
    assert villages_counted(warehouse) == ["Batuanten", "Karangtengah"]


def test_a_part_of_an_export_the_closed_figures_lack_is_held_for_acceptance(tmp_path: Path) -> None:
    """The same for the branch's export read in parts, all of which count: its second part, its reading failed for
    a reason of the moment before the close, said "superseded: bpjs_participants by None" once read (a review's
    case), since a part of its kind was locked."""
    from tests.test_export_sources import CITRA as CITRA_NIK
    from tests.test_export_sources import PESERTA_HEADER, base_zone, peserta_row, write_xlsx

    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    base_zone(raw)
    part = raw / "2024-04" / "BPJS" / "Peserta April bagian 2.xlsx"
    write_xlsx(part, PESERTA_HEADER, [peserta_row(CITRA_NIK, "Citra", "AKTIF", "2024-04")])
    run(raw, warehouse, StandInSteps(vanishes_on_a_second_part))
    close_regency(warehouse, "2024-04")
    run(raw, warehouse, day=1)
    status, reason = frame(
        warehouse, "select status, reason from ingested_files where source_file like '%bagian 2%'"
    ).row(0)
    assert status == "pending" and reason.startswith("held: 2024-04 is closed for the regency"), reason
    periods.accept_pending(state_of(warehouse), "2024-04", periods.Scope(), [], periods.Actor("terlambat", "operator"))
    run(raw, warehouse, day=2)
    counted = frame(warehouse, "select status from ingested_files where source_file like '%bagian 2%'").item()
    assert counted == "loaded"


def test_retries_are_bounded_and_the_history_kept(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    zone(raw)
    for day in range(3):
        run(raw, warehouse, StandInSteps(vanishes_on_karangtengah), day, file_retries=1)
    run(raw, warehouse, day=3, file_retries=1)  # it would read now, but it had its retry
    assert villages_counted(warehouse) == ["Batuanten"]
    reason, said = frame(warehouse, "select reason, alasan from ingested_files where status = 'rejected'").row(0)
    assert "a passing failure 2 times: not read again (file_retries = 1)" in reason
    assert "Sudah gagal dibaca 2 kali" in said
    assert attempts(warehouse).height == 2


def test_a_file_still_being_written_waits_for_a_later_run(tmp_path: Path) -> None:
    """The first 45% of a CSV, cut mid-row, loaded as a roster of fewer people, without a warning."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    zone(raw)
    for path in raw.rglob("*.xlsx"):
        os.utime(path, (CLOCK.timestamp() - 3600,) * 2)
    rows = [f"{i};3302174506900{i:03d};Orang {i};Ketua RT;Sudah" for i in range(1, 41)]
    whole = "DESA : KARANGLO\nKECAMATAN : CILONGOK\nNO;NIK;NAMA;JABATAN;STATUS\n" + "\n".join(rows) + "\n"
    half = raw / "2024-04" / "Cilongok" / "Karanglo.csv"
    half.write_text(whole[: len(whole) * 45 // 100])
    os.utime(half, (CLOCK.timestamp() - 5,) * 2)  # written 5 s before the run's clock

    summary = run(raw, warehouse, quiet_seconds=60)
    assert villages_counted(warehouse) == ["Batuanten", "Karangtengah"]
    assert frame(warehouse, "select count(*) from ingested_files where source_file like '%Karanglo%'").item() == 0
    assert any("Karanglo.csv: modified less than 60 seconds (quiet_seconds)" in w for w in summary.warnings)
    with connect_state(state_of(warehouse)) as con:
        noted = query_frame(con, "select source_file from skipped_files")["source_file"].to_list()
    assert noted == ["2024-04/Cilongok/Karanglo.csv"]

    half.write_text(whole)  # the copy finished; the next night runs a day later
    os.utime(half, (CLOCK.timestamp() + 60,) * 2)
    run(raw, warehouse, day=1, quiet_seconds=60)
    members = frame(warehouse, "select members from coverage_by_village where village_name = 'Karanglo'").item()
    assert members == 40


@pytest.mark.parametrize("value", ["1e-9", "0.999"])
def test_a_time_limit_that_would_reject_every_file_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="file_timeout_seconds"):
        load_settings(environ={"CAKUPAN_FILE_TIMEOUT_SECONDS": value})


@pytest.mark.parametrize(
    ("key", "value"),
    [("QUIET_SECONDS", "-1"), ("QUIET_SECONDS", "1e9"), ("FILE_RETRIES", "-1"), ("WORKER_MEMORY_MB", "512")],
)
def test_the_quiet_period_and_the_retries_are_validated(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=key.lower()):
        load_settings(environ={f"CAKUPAN_{key}": value})


def test_folders_that_are_no_possible_period_are_ignored_with_a_reason(tmp_path: Path) -> None:
    """`9999-12/` became the newest period ("330 villages sent nothing for 9999-12") and broke the report."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    zone(raw)
    impossible = ["9999-12", "0000-01", "2024-13", "2013-12", "2024-07"]  # the clock is in May 2024
    for folder in [*impossible, "2024-06"]:
        write_roster(
            raw / folder / "Cilongok" / "Karanglo.xlsx",
            {"BPD": [[CITRA, "C", "P", "Anggota BPD", "Sudah", ""]]},
            village="KARANGLO",
        )
    summary = run(raw, warehouse)
    periods = sorted(set(view(warehouse, "coverage_by_village")["period"]))
    assert periods == ["2024-04", "2024-06"]  # a village may send next month's roster early
    assert frame(warehouse, "select latest_period from runs").item() == "2024-06"
    read = frame(warehouse, "select source_file from ingested_files")["source_file"].to_list()
    assert not any(path.startswith(tuple(impossible)) for path in read)
    warning = next(w for w in summary.warnings if "not read in this run" in w)
    assert warning.startswith("5 file(s) not read in this run")
    for folder in impossible[:4]:
        assert f"folder {folder}/ is not a period that can exist (from 2014-01 to 2024-06)" in warning


def test_a_period_whose_files_were_all_removed_stops_counting_without_a_full_refresh(tmp_path: Path) -> None:
    """Deleting a period's folder made every run fail until --allow-empty, and its figures stayed."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    zone(raw, "2024-03")
    zone(raw, "2024-04")
    run(raw, warehouse)
    assert sorted(set(view(warehouse, "coverage_by_village")["period"])) == ["2024-03", "2024-04"]
    for path in sorted((raw / "2024-03").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    (raw / "2024-03").rmdir()
    summary = run(raw, warehouse, day=1)  # not --allow-empty
    assert sorted(set(view(warehouse, "coverage_by_village")["period"])) == ["2024-04"]
    assert any("2024-03 are gone" in w and "no longer counts" in w for w in summary.warnings)
    zone(raw, "2024-03")  # it comes back: read again
    run(raw, warehouse, day=2)
    assert sorted(set(view(warehouse, "coverage_by_village")["period"])) == ["2024-03", "2024-04"]


def test_an_impossible_period_read_by_an_older_version_stops_counting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A state database whose earlier runs (before periods were checked) read `9999-12/` as the newest period."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    zone(raw)
    zone(raw, "9999-12")
    with monkeypatch.context() as older:
        older.setattr("flows.ingest.discover.last_possible_period", lambda clock: "9999-12")
        run(raw, warehouse)
    assert sorted(set(view(warehouse, "coverage_by_village")["period"])) == ["2024-04", "9999-12"]
    summary = run(raw, warehouse, day=1)  # not --allow-empty, not --full-refresh
    assert sorted(set(view(warehouse, "coverage_by_village")["period"])) == ["2024-04"]
    latest = frame(warehouse, f"select latest_period from runs where run_id = '{summary.run_id}'").item()
    assert latest == "2024-04"
    assert any("of 9999-12 are gone" in w and "no longer counts" in w for w in summary.warnings)
    later = run(raw, warehouse, day=2)  # from now on its files are noted as not read, each run
    assert any("9999-12/ is not a period that can exist" in w for w in later.warnings)
