"""Nightly operations: killed runs, open readers, superseded history, vanished files, artifacts."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import polars as pl
import pytest
from prefect.artifacts import Artifact

from flows.outputs.summary import COUNT_TABLES
from flows.regency_flow import nightly
from tests.helpers import ANI, BUDI, CITRA, view, write_roster, zone_files

pytestmark = pytest.mark.usefixtures("prefect_harness")

RUN = [sys.executable, "-c", "from flows.cli import app; app()", "run"]


def child_env() -> dict[str, str]:
    """The test harness's Prefect API for child processes, so they start no server of their own."""
    from prefect.settings import PREFECT_API_URL

    return {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "CAKUPAN_BATCH_SIZE": "4"}


def run_and_kill_at(raw: Path, warehouse: Path, pattern: str) -> bool:
    """Start `cakupan run`, SIGKILL it when a log line matches; True if it was killed before finishing."""
    process = subprocess.Popen(
        [*RUN, "--raw", str(raw), "--warehouse", str(warehouse)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=child_env(),
    )
    assert process.stdout is not None
    for line in process.stdout:
        if re.search(pattern, line):
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=120)
    return process.returncode == -signal.SIGKILL


def copy_periods(source: Path, target: Path, periods: list[str]) -> None:
    for period in periods:
        shutil.copytree(source / period, target / period, dirs_exist_ok=True)


def test_killed_runs_leave_the_last_complete_warehouse_and_the_next_run_finishes(
    demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    source, truth = demo_zone
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "cakupan.duckdb"
    copy_periods(source, raw, ["2024-01"])
    nightly(raw_dir=raw, warehouse=warehouse, batch_size=4)
    complete = view(warehouse, "coverage_by_village")

    copy_periods(source, raw, ["2024-02", "2024-03", "2024-04"])
    for point in (r"new or changed", r"loaded batch 2 of", r"publishing"):
        killed = run_and_kill_at(raw, warehouse, point)
        assert killed, point
        assert view(warehouse, "coverage_by_village").equals(complete), point

    summary = nightly(raw_dir=raw, warehouse=warehouse, batch_size=4)
    got = view(warehouse, "coverage_by_village").select("period", "village_code", "group_code", "members", "enrolled")
    expected = truth.sort("period", "village_code", "group_code")
    assert got.with_columns(pl.col("members", "enrolled").cast(pl.UInt32)).equals(expected)
    files = view(warehouse, "ingested_files")
    assert files.height == len(zone_files(raw)) and files["source_file"].n_unique() == files.height
    assert set(files["status"]) <= {"loaded", "ignored"}  # an empty claims export is the same bytes each month
    runs = view(warehouse, "runs")
    assert sorted(runs["status"].to_list()) == ["abandoned"] * 3 + ["completed"] * 2
    assert summary.counts["files_loaded"] + summary.counts["files_ignored"] == len(zone_files(raw))
    # the run that found the last killed one says so: an operator learns a process died, though this run completed
    (last_killed,) = runs.filter(pl.col("status") == "abandoned").sort("started_at")["run_id"][-1:]
    said = [warning for warning in summary.warnings if "ended before it finished" in warning]
    assert len(said) == 1 and said[0].startswith(f"run {last_killed} (started "), summary.warnings


def test_a_reader_holding_the_warehouse_open_does_not_block_the_run(
    demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    source, _ = demo_zone
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    copy_periods(source, raw, ["2024-01"])
    nightly(raw_dir=raw, warehouse=warehouse)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys\n"
            f"con = duckdb.connect({str(warehouse)!r}, read_only=True)\n"
            "print(con.sql('select count(distinct period) from roster').fetchall()[0][0], flush=True)\n"
            "sys.stdin.readline()\n"
            "print(con.sql('select count(distinct period) from roster').fetchall()[0][0], flush=True)\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdin is not None and reader.stdout is not None
    assert reader.stdout.readline().strip() == "1"

    copy_periods(source, raw, ["2024-02"])
    nightly(raw_dir=raw, warehouse=warehouse)  # would fail with "Could not set lock on file" if it wrote in place

    reader.stdin.write("\n")
    reader.stdin.flush()
    assert reader.stdout.readline().strip() == "1"  # the open session keeps the snapshot it opened
    assert reader.wait(timeout=30) == 0
    assert view(warehouse, "roster")["period"].n_unique() == 2


def test_superseded_failures_stay_as_history(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    write_roster(
        raw / "2024-04" / "Batuanten.xlsx",
        {
            "BPD": [
                [ANI, "Ani", "P", "Anggota BPD", "Sudah", "123"],
                ["33021712", "Budi", "L", "Ketua BPD", "Sudah", ""],
            ]
        },
    )
    nightly(raw_dir=raw, warehouse=warehouse)
    time.sleep(0.05)
    write_roster(
        raw / "2024-04" / "Batuanten revisi.xlsx",
        {
            "BPD": [
                [ANI, "Ani", "P", "Anggota BPD", "Sudah", "12345678901"],
                [BUDI, "Budi", "L", "Ketua BPD", "Sudah", "12345678902"],
            ]
        },
    )
    nightly(raw_dir=raw, warehouse=warehouse)

    failures = view(warehouse, "validation_failures")
    assert set(failures["source_file"]) == {"2024-04/Batuanten.xlsx"}
    assert set(failures["check_name"]) >= {"nik_length", "kpj_length"}
    assert not failures["is_current"].any()
    statuses = dict(view(warehouse, "ingested_files").select("source_file", "status").iter_rows())
    assert statuses == {"2024-04/Batuanten.xlsx": "superseded", "2024-04/Batuanten revisi.xlsx": "loaded"}
    assert view(warehouse, "coverage_by_group").select("members", "enrolled").row(0) == (2, 2)


def test_a_vanished_file_keeps_its_data_and_is_logged(
    demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source, _ = demo_zone
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    copy_periods(source, raw, ["2024-04"])
    nightly(raw_dir=raw, warehouse=warehouse)
    before = view(warehouse, "coverage_by_village")
    (raw / "2024-04" / "Cilongok" / "Batuanten.xlsx").unlink()
    nightly(raw_dir=raw, warehouse=warehouse)
    assert view(warehouse, "coverage_by_village").equals(before)
    assert "2024-04/Cilongok/Batuanten.xlsx is no longer in the landing zone" in caplog.text


def test_each_run_publishes_a_summary_artifact_and_a_runs_row(
    demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    source, _ = demo_zone
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    copy_periods(source, raw, ["2024-04"])
    (raw / "2024-04" / "Rusak.xlsx").write_bytes(b"not a workbook")
    summary = nightly(raw_dir=raw, warehouse=warehouse)

    artifact = Artifact.get("nightly-summary")
    assert artifact is not None and summary.run_id in str(artifact.data)
    loaded = len([f for f in zone_files(raw) if f.name != "Rusak.xlsx"])  # 5 rosters and the month's BPJS exports
    this_run, every_run = str(artifact.data).split("## Every run so far: file versions recorded")
    assert f"| file versions new this run (read, or recorded as a copy) | {loaded + 1} |" in this_run  # Rusak.xlsx too
    assert f"| loaded | {loaded} |" in every_run and "| rejected | 1 |" in every_run
    assert "Coverage by group" in every_run
    assert set(summary.counts) == {name for _, labels in COUNT_TABLES for name in labels}  # every count shown
    rejections = Artifact.get("nightly-file-rejections")
    assert rejections is not None and "Rusak.xlsx" in str(rejections.data)
    (run,) = view(warehouse, "runs").iter_rows(named=True)
    assert (run["status"], run["files_loaded"], run["files_rejected"]) == ("completed", loaded, 1)
    assert run["rows_loaded"] > 0 and run["finished_at"] >= run["started_at"]


def test_a_file_arriving_in_a_later_run_supersedes_even_with_an_older_timestamp(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Belum", ""]]})
    nightly(raw_dir=raw, warehouse=warehouse)
    corrected = raw / "2024-04" / "Batuanten perbaikan.xlsx"
    write_roster(corrected, {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "12345678901"]]})
    os.utime(corrected, (1_577_836_800, 1_577_836_800))  # copied with its 2020 timestamp kept
    nightly(raw_dir=raw, warehouse=warehouse)
    statuses = dict(view(warehouse, "ingested_files").select("source_file", "status").iter_rows())
    assert statuses == {"2024-04/Batuanten.xlsx": "superseded", "2024-04/Batuanten perbaikan.xlsx": "loaded"}
    assert view(warehouse, "coverage_by_group").select("members", "enrolled").row(0) == (1, 1)


SENT_ROSTERS = {  # (members, enrolled) of BPD: A (2, 1), B broken (1, 1: a NIK cut short), C (3, 1)
    "A": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "12345678901"], [BUDI, "Budi", "L", "Ketua BPD", "Belum", ""]],
    "B": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "12345678901"], ["12345", "Budi", "L", "Ketua BPD", "Belum", ""]],
    "C": [
        [ANI, "Ani", "P", "Anggota BPD", "Sudah", "12345678901"],
        [BUDI, "Budi", "L", "Ketua BPD", "Belum", ""],
        [CITRA, "Citra", "P", "Anggota BPD", "Belum", ""],
    ],
}
COUNTS = {"A": (2, 1), "B": (1, 1), "C": (3, 1)}


def karanglo_good_then_broken(warehouse: Path, at: Path, run: Callable[[], object]) -> bytes:
    """Roster A (good) at `at`, `run`; then B (broken: a NIK cut short) in its place, `run`: the bytes of A."""
    write_roster(at, {"BPD": SENT_ROSTERS["A"]})
    good_bytes = at.read_bytes()
    run()
    write_roster(at, {"BPD": SENT_ROSTERS["B"]})
    run()
    assert view(warehouse, "coverage_by_group").select("members", "enrolled").row(0) == COUNTS["B"]
    return good_bytes


@pytest.mark.parametrize("sent_again_as", ["Karanglo.xlsx", "Karanglo perbaikan.xlsx"])
def test_a_version_sent_again_after_a_broken_one_replaced_it_counts_again(tmp_path: Path, sent_again_as: str) -> None:
    """A village's good file, then a broken one in its place, then the good one again, put back at its path or sent
    under a new name: the good one counts, the broken one's failures are history. Before, the good content was a
    known version (or a copy of it) and was never looked at again: the broken file kept counting, its secretary
    kept being told to fix a row no longer in the file."""
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    path = raw / "2024-04" / "Karanglo.xlsx"
    good_bytes = karanglo_good_then_broken(warehouse, path, partial(nightly, raw_dir=raw, warehouse=warehouse))
    broken_bytes = path.read_bytes()
    (raw / "2024-04" / sent_again_as).write_bytes(good_bytes)
    summary = nightly(raw_dir=raw, warehouse=warehouse)
    assert view(warehouse, "coverage_by_group").select("members", "enrolled").row(0) == (2, 1)
    files = view(warehouse, "ingested_files").filter(pl.col("source_file") == "2024-04/Karanglo.xlsx")
    counted = files.filter(pl.col("status") == "loaded")["rows_loaded"].to_list()
    assert counted == [2] and files.filter(pl.col("status") == "superseded")["rows_rejected"].to_list() == [1]
    failures = view(warehouse, "validation_failures").filter(pl.col("check_name").str.starts_with("nik"))
    assert failures.height >= 1 and not failures["is_current"].any()  # no longer a correction to ask for
    again = nightly(raw_dir=raw, warehouse=warehouse)  # nothing new: it stays counted, not republished
    assert view(warehouse, "coverage_by_group").select("members", "enrolled").row(0) == (2, 1)
    assert again.counts["files_new"] == 0 and summary.counts["files_new"] == (sent_again_as != "Karanglo.xlsx")
    if sent_again_as == path.name:  # the broken one put back in its turn: the newest sent counts, whichever it is
        path.write_bytes(broken_bytes)
        nightly(raw_dir=raw, warehouse=warehouse)
        assert view(warehouse, "coverage_by_group").select("members", "enrolled").row(0) == (1, 1)


def test_a_version_counted_for_one_sheet_and_replaced_for_another_counts_whole_when_put_back(tmp_path: Path) -> None:
    """The good file has two groups; the broken one in its place only one, so the good version still counted for the
    other and was never 'superseded': put back, it was not looked at (a review's case)."""
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    path = raw / "2024-04" / "Karanglo.xlsx"
    bpd = [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "12345678901"]]
    write_roster(path, {"BPD": bpd, "RT RW": [[BUDI, "Budi", "L", "Ketua RT 001", "Belum", ""]]})
    good_bytes = path.read_bytes()
    nightly(raw_dir=raw, warehouse=warehouse)
    write_roster(path, {"BPD": [["12345", "Ani", "P", "Anggota BPD", "Sudah", "12345678901"]]})  # its NIK cut short
    nightly(raw_dir=raw, warehouse=warehouse)

    def members() -> dict[str, int]:
        return dict(view(warehouse, "coverage_by_group").select("group_code", "members").iter_rows())

    assert members() == {"BPD": 0, "RT_RW": 1} or members() == {"RT_RW": 1}  # the broken BPD counts: no one
    path.write_bytes(good_bytes)
    nightly(raw_dir=raw, warehouse=warehouse)
    assert members() == {"BPD": 1, "RT_RW": 1}


def test_a_version_renamed_overwritten_and_put_back_under_its_new_name_counts_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The good file renamed (its content recorded as a copy under the new name), the new name overwritten with a
    broken version, then the good one put back there: the good one counts. Its content at that path was a known copy,
    so it had never been looked at again; a copy that sits unchanged beside a later version stays a copy."""
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    first = raw / "2024-04" / "Karanglo.xlsx"
    write_roster(first, {"BPD": SENT_ROSTERS["A"]})
    good_bytes = first.read_bytes()
    nightly(raw_dir=raw, warehouse=warehouse)
    renamed = first.rename(first.with_name("Karanglo baru.xlsx"))
    nightly(raw_dir=raw, warehouse=warehouse)  # its content under a new name: a copy
    write_roster(renamed, {"BPD": SENT_ROSTERS["B"]})  # a NIK cut short
    nightly(raw_dir=raw, warehouse=warehouse)
    assert view(warehouse, "coverage_by_group").select("members", "enrolled").row(0) == COUNTS["B"]
    renamed.write_bytes(good_bytes)
    said = "2024-04/Karanglo.xlsx: content sent again after another version replaced it; it counts again"
    with caplog.at_level("INFO"):
        nightly(raw_dir=raw, warehouse=warehouse)
    assert view(warehouse, "coverage_by_group").select("members", "enrolled").row(0) == (2, 1) and said in caplog.text
    caplog.clear()
    with caplog.at_level("INFO"):
        nightly(raw_dir=raw, warehouse=warehouse)  # nothing new: not marked again
    assert view(warehouse, "coverage_by_group").select("members", "enrolled").row(0) == (2, 1)
    assert "content sent again" not in caplog.text


def test_a_copy_left_beside_a_corrected_file_never_counts_again(tmp_path: Path) -> None:
    """A secretary's copy of the first version stays in the folder while the file is corrected twice: the copy is no
    content sent again (its path never held another version), the latest correction counts night after night."""
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    path = raw / "2024-04" / "Karanglo.xlsx"
    good_bytes = karanglo_good_then_broken(warehouse, path, partial(nightly, raw_dir=raw, warehouse=warehouse))
    (raw / "2024-04" / "Karanglo salinan.xlsx").write_bytes(good_bytes)  # a copy of the first, good version
    nightly(raw_dir=raw, warehouse=warehouse)  # the copy is new content sent again: the good one counts
    assert view(warehouse, "coverage_by_group").select("members", "enrolled").row(0) == (2, 1)
    write_roster(path, {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "12345678901"]]})  # corrected again
    for _ in range(2):
        nightly(raw_dir=raw, warehouse=warehouse)
        assert view(warehouse, "coverage_by_group").select("members", "enrolled").row(0) == (1, 1)


def test_a_version_sent_again_beside_another_file_for_its_slot_is_a_conflict(tmp_path: Path) -> None:
    """The good file put back in the same run as another file for the same village and group: two files of one run
    in one slot, reported on both, naming each other, as for two new files."""
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    path = raw / "2024-04" / "Karanglo.xlsx"
    good_bytes = karanglo_good_then_broken(warehouse, path, partial(nightly, raw_dir=raw, warehouse=warehouse))
    path.write_bytes(good_bytes)
    write_roster(path.with_name("Karanglo lain.xlsx"), {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "1"]]})
    nightly(raw_dir=raw, warehouse=warehouse)
    conflicts = view(warehouse, "validation_failures").filter(pl.col("check_name") == "file_conflict")
    named = set(conflicts.filter(pl.col("is_current")).select("source_file", "failure_value").iter_rows())
    assert named == {
        ("2024-04/Karanglo.xlsx", "2024-04/Karanglo lain.xlsx"),
        ("2024-04/Karanglo lain.xlsx", "2024-04/Karanglo.xlsx"),
    }


@pytest.mark.parametrize(
    ("steps", "counted"),
    [
        pytest.param(  # the broken one back where the good one was put back after a rename
            "put K A; run; mv K baru; run; put baru B; run; put baru A; run; put baru B; run", "B", id="back-and-forth"
        ),
        pytest.param(  # the good one at its path again while it counted (sent as a copy first), then the broken
            "put K A; run; put K B; run; put perbaikan A; run; put K A; run; put K B; run",
            "B",
            id="own-path-while-counting",
        ),
        pytest.param(  # a copy renamed is where it is now, not content sent again
            "put K A; put salinan A; run; put K B; run; mv salinan lama; run", "B", id="stale-copy-renamed"
        ),
        pytest.param(  # a copy sent while the month was closed counts once it is reopened
            "put K A; run; put K B; run; close; put perbaikan A; run; reopen; run", "A", id="copy-into-closed-month"
        ),
        pytest.param(  # a full refresh reads every file again in one run: the newest sent still counts
            "put K A; run; put K B; run; put perbaikan A; age perbaikan; run; refresh", "A", id="full-refresh"
        ),
        pytest.param(  # deleted and put back unchanged: nothing was sent
            "put K A; run; put K C; run; rm K; run; put K C; run", "C", id="removed-and-back"
        ),
        pytest.param(  # cleared away, then sent again days later under a new name: sent, not a rename
            "put K A; put K2 B; run; rm K; run; put K3 A; run", "A", id="removed-then-sent-anew"
        ),
        pytest.param(  # the old file kept as a backup and the new one in its place, in one run (an older time too)
            "put K A; run; mv K lama; put K B; age K; run", "B", id="backup-renamed-beside-the-new"
        ),
        pytest.param(  # the old file dropped in the next month's folder is no arrival in this one
            "put K A; run; put K B; run; put 2024-05/Karanglo A; run", "B", id="copy-in-another-month"
        ),
        pytest.param(  # nor in the branch's folder, where it is rejected as no BPJS export
            "put K A; run; put K B; run; put 2024-04/BPJS/Karanglo A; run", "B", id="copy-in-the-bpjs-folder"
        ),
    ],
)
def test_the_newest_sent_counts_whatever_the_files_went_through(tmp_path: Path, steps: str, counted: str) -> None:
    """Sequences a village's folder goes through (a review's cases): each `put` writes roster A, B or C at a name
    in the month's folder, `mv` renames, `rm` removes, `age` sets a file's time an hour back, `close`/`reopen` the
    month, `run` a nightly run, `refresh` a full refresh. The content sent last counts."""
    from flows.regency_run import run_pipeline
    from flows.run_options import RunOptions
    from flows.settings import BANYUMAS_REGENCY_CODE, Settings
    from flows.store import periods
    from flows.store.reference import load_districts
    from tests.helpers import build_warehouse, close_regency, state_of

    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    month = raw / "2024-04"
    for letter, rows in SENT_ROSTERS.items():  # each roster's bytes written once: a `put` sends those bytes again
        write_roster(tmp_path / "sent" / f"{letter}.xlsx", {"BPD": rows})
    for step in steps.split("; "):
        verb, *names = step.split()
        if verb == "put":  # a name with a folder is a path under the landing zone
            target = raw / f"{names[0]}.xlsx" if "/" in names[0] else month / f"Karanglo {names[0]}.xlsx"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(tmp_path / "sent" / f"{names[1]}.xlsx", target)
        elif verb == "mv":
            (month / f"Karanglo {names[0]}.xlsx").rename(month / f"Karanglo {names[1]}.xlsx")
        elif verb == "rm":
            (month / f"Karanglo {names[0]}.xlsx").unlink()
        elif verb == "age":
            os.utime(month / f"Karanglo {names[0]}.xlsx", (time.time() - 3600, time.time() - 3600))
        elif verb == "run":
            build_warehouse(raw, warehouse)
        elif verb == "close":
            close_regency(warehouse, "2024-04")
        elif verb == "reopen":
            districts = list(load_districts(region=BANYUMAS_REGENCY_CODE)["district_code"])
            periods.reopen_period(state_of(warehouse), "2024-04", periods.Scope(), districts, periods.Actor("koreksi"))
        else:
            settings = Settings(raw, warehouse, workers=1, quiet_seconds=0.0)
            run_pipeline(settings, f"refresh-{verb}", RunOptions(allow_empty=True, full_refresh=True))
    april = view(warehouse, "coverage_by_group").filter(pl.col("period") == "2024-04")
    assert april.select("members", "enrolled").row(0) == COUNTS[counted]
    conflicts = view(warehouse, "validation_failures").filter(pl.col("check_name") == "file_conflict")
    assert conflicts.filter(pl.col("is_current")).is_empty()  # none of these sequences sends two files in one run


def test_a_rejected_file_put_back_is_asked_for_again(tmp_path: Path) -> None:
    """An unreadable file replaced by a good one, then put back over it: its rejection is a correction to ask for
    again (it stayed history: the rejection went by the run that read each version, a review found)."""
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    path = raw / "2024-04" / "Karanglo.xlsx"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a workbook")
    nightly(raw_dir=raw, warehouse=warehouse)
    write_roster(path, {"BPD": SENT_ROSTERS["A"]})
    nightly(raw_dir=raw, warehouse=warehouse)

    def rejection_current() -> list[bool]:
        failures = view(warehouse, "validation_failures").filter(pl.col("check_name") == "file_rejected")
        return failures["is_current"].to_list()

    assert rejection_current() == [False]
    path.write_bytes(b"not a workbook")
    nightly(raw_dir=raw, warehouse=warehouse)
    assert rejection_current() == [True]


def test_content_sent_again_into_a_closed_period_waits_for_a_reopen(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A close stands: the good file put back after the close does not change the closed month (it logged 'counts
    again' while the close held it, a review found); once the month is reopened, the next run counts it."""
    from flows.settings import BANYUMAS_REGENCY_CODE
    from flows.store import periods
    from flows.store.reference import load_districts
    from tests.helpers import build_warehouse, close_regency, state_of

    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    path = raw / "2024-04" / "Karanglo.xlsx"
    good_bytes = karanglo_good_then_broken(warehouse, path, partial(build_warehouse, raw, warehouse))
    close_regency(warehouse, "2024-04")
    path.write_bytes(good_bytes)
    said = "content sent again after another version replaced it; it counts again"
    with caplog.at_level("INFO"):
        build_warehouse(raw, warehouse)
    assert view(warehouse, "coverage_by_group").select("members", "enrolled").row(0) == (1, 1)  # as closed
    assert said not in caplog.text  # not told it counts while the close holds it
    districts = list(load_districts(region=BANYUMAS_REGENCY_CODE)["district_code"])
    periods.reopen_period(state_of(warehouse), "2024-04", periods.Scope(), districts, periods.Actor("koreksi"))
    build_warehouse(raw, warehouse)  # the newest sent counts once the close no longer holds it
    assert view(warehouse, "coverage_by_group").select("members", "enrolled").row(0) == (2, 1)


def marked_by(owner: int) -> list[int]:
    """Processes started by the run `owner` (flows/runtime/orphans.py marks them), still alive."""
    from flows.runtime.orphans import PROC, owner_of

    return [int(p.name) for p in PROC.iterdir() if p.name.isdigit() and owner_of(p) == owner]


def test_a_killed_run_leaves_no_process_behind(demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path) -> None:
    """Workers and the forkserver die with the run; its temporary Prefect server is ended by the next run. Both runs
    name no server: each starts a temporary one, whose database is beside the state, never in ~/.prefect."""
    raw, _ = demo_zone
    warehouse, home = tmp_path / "wh" / "c.duckdb", tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in child_env().items() if not k.startswith("PREFECT_")} | {"HOME": str(home)}
    process = subprocess.Popen(
        [*RUN, "--raw", str(raw), "--warehouse", str(warehouse), "--workers", "2", "--batch-size", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "loaded batch 1 of" in line:  # the workers are busy with the next batches
            break
    started = marked_by(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert len(started) >= 3, started  # the forkserver, two workers, Prefect's server (and its tracker)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(marked_by(process.pid)) > 1:
        time.sleep(0.2)
    left = marked_by(process.pid)
    assert len(left) <= 1, left  # the forkserver and workers died with it; at most the temporary server is left

    took = time.monotonic()
    rerun = subprocess.run(
        [*RUN, "--raw", str(raw), "--warehouse", str(warehouse)], capture_output=True, text=True, env=env, timeout=300
    )
    took = time.monotonic() - took
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert marked_by(process.pid) == []
    if left:
        assert f"ended 1 process(es) left behind by a killed run: {left}" in " ".join(rerun.stdout.split())
    assert "a temporary server was started" in rerun.stdout
    # the time line's parts, start-up (Python and the imports) included, within the command's time as a clock saw it
    shown = " ".join(rerun.stdout.split())
    parts = re.search(r"time: start-up ([\d.]+) s, pipeline ([\d.]+) s, Prefect ([\d.]+) s", shown)
    assert parts is not None and float(parts[1]) > 0, shown[-2000:]
    assert sum(float(part) for part in parts.groups()) <= took + 0.2, (parts.groups(), took)
    assert (warehouse.parent / ".cakupan" / "prefect" / "prefect.db").exists()
    assert not (home / ".prefect" / "prefect.db").exists()  # the user's Prefect home untouched
