"""Periods that close: a close keeps the figures, late corrections wait for acceptance, the trail says who
did what, timeliness against the due date, and month-to-month outlier flags with a follow-up status."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.regency_run import run_pipeline
from flows.run_options import RunOptions
from flows.settings import BANYUMAS_REGENCY_CODE, Settings
from flows.store import periods
from flows.store.reference import load_districts, load_villages
from tests.conftest import SMALL_VILLAGES
from tests.helpers import (
    BATUANTEN,
    LATE_BPD,
    build_warehouse,
    close_regency,
    frame,
    nik_like_values,
    send_late_bpd,
    state_of,
    view,
    write_roster,
    zone_files,
)
from tools.generate import Jump, write_landing_zone

DISTRICTS = list(load_districts(region=BANYUMAS_REGENCY_CODE)["district_code"])
KEYS = ["cut", "district_code", "village_code", "group_code"]


def figures(warehouse: Path, period: str) -> pl.DataFrame:
    """coverage_base of a period, every cut, as published."""
    return frame(
        warehouse,
        f"select {', '.join(KEYS)}, members, enrolled from internal.coverage_base "
        f"where period = '{period}' order by all",
    )


def batuanten_bpd(warehouse: Path, period: str, village: str = BATUANTEN) -> tuple[int, int]:
    """(members, enrolled) of a village's BPD in a period, as published."""
    row = frame(
        warehouse,
        f"select members, enrolled from coverage_by_village where period = '{period}' "
        f"and village_code = '{village}' and group_code = 'BPD'",
    )
    return row["members"][0], row["enrolled"][0]


@pytest.fixture
def zone(
    demo_zone: tuple[Path, pl.DataFrame], copy_demo_warehouse: Callable[[Path], Path], tmp_path: Path
) -> tuple[Path, Path]:
    """A copy of the generated zone (five villages, four months) and of its published warehouse (`demo_warehouse`:
    the same files, so the same warehouse as a run over the copy, without running it again)."""
    raw = tmp_path / "raw"
    shutil.copytree(demo_zone[0], raw)
    return raw, copy_demo_warehouse(tmp_path / "warehouse")


def test_a_late_correction_is_held_until_accepted_and_the_trail_records_every_action(
    zone: tuple[Path, Path],
) -> None:
    raw, warehouse = zone
    as_published = figures(warehouse, "2024-03")
    before = batuanten_bpd(warehouse, "2024-03")
    close_id = close_regency(warehouse, "2024-03", by="Sri")
    with pytest.raises(periods.PeriodActionError, match="already closed for the regency"):
        close_regency(warehouse, "2024-03")
    build_warehouse(raw, warehouse)  # nothing new: republished because of the close

    status = view(warehouse, "period_status").filter(pl.col("period") == "2024-03")
    assert set(status["status"]) == {"ditutup"} and set(status["action_id"]) == {close_id}
    closed = frame(warehouse, f"select {', '.join(KEYS)}, members, enrolled from closed_figures order by all")
    assert closed.equals(as_published)  # the snapshot is what was published

    late = send_late_bpd(raw, "2024-03")
    send_late_bpd(raw, "2024-04", LATE_BPD[:2])  # a correction for an open month counts at once
    summary = build_warehouse(raw, warehouse)
    assert "1 file(s) held for closed periods (pending_corrections): cakupan accept or reopen" in summary.warnings
    every_run = summary.markdown().split("## Every run so far: file versions recorded")[1].split("##")[0]
    shown = {
        label: int(value.replace(",", "")) for label, value in re.findall(r"\| ([^|]+?) \| ([\d,]+) \|", every_run)
    }
    assert shown.pop("file versions recorded") == sum(shown.values())  # the statuses add up: pending among them
    assert shown["held for a closed period (counted once reopened or accepted)"] == 1

    assert figures(warehouse, "2024-03").equals(as_published)  # nothing of the closed month moved
    assert batuanten_bpd(warehouse, "2024-04") == (2, 1)
    files = view(warehouse, "ingested_files").filter(pl.col("source_file").str.contains("Batuanten"))
    pending = files.filter(pl.col("status") == "pending")
    assert pending["source_file"].to_list() == ["2024-03/Cilongok/Batuanten.xlsx"]
    assert pending["reason"][0].startswith("held: 2024-03 is closed for the regency")
    assert pending["alasan"][0].startswith("ditahan: periode 2024-03 sudah ditutup")
    # the village is told what is wrong with its held file, as with any file
    failures = frame(
        warehouse,
        f"select check_name from validation_failures where sha256 = '{pending['sha256'][0]}' and is_current",
    )
    assert sorted(failures["check_name"]) == ["enrolled_without_kpj", "nik_length"]
    effect = view(warehouse, "pending_corrections")
    assert effect.select("village_code", "group_code", "members_before", "enrolled_before").rows() == [
        (BATUANTEN, "BPD", *before)
    ]
    assert effect.select("members_after", "enrolled_after", "close_action_id").rows() == [(2, 1, close_id)]
    assert effect["members_change"][0] == 2 - before[0]
    assert view(warehouse, "closed_period_changes").filter(~pl.col("unchanged")).is_empty()

    # a later run, and a full refresh that reads every file again, keep the closed figures
    build_warehouse(raw, warehouse)
    settings = Settings(raw, warehouse, workers=1, quiet_seconds=0)
    run_pipeline(settings, f"test-{uuid.uuid4()}", RunOptions(full_refresh=True, allow_empty=True))
    assert figures(warehouse, "2024-03").equals(as_published)
    assert view(warehouse, "pending_corrections").height == 1

    with pytest.raises(periods.PeriodActionError, match="not pending"):
        periods.accept_pending(state_of(warehouse), "2024-03", periods.Scope(), ["nope.xlsx"], periods.Actor("x"))
    kabid, named = periods.Actor("Surat 12", "Kabid"), [str(late.relative_to(raw))]
    accepted = periods.accept_pending(state_of(warehouse), "2024-03", periods.Scope(), named, kabid)
    assert [file for _, file in accepted] == ["2024-03/Cilongok/Batuanten.xlsx"]
    build_warehouse(raw, warehouse)

    assert batuanten_bpd(warehouse, "2024-03") == (2, 1)  # the accepted effect, exactly
    assert view(warehouse, "pending_corrections").is_empty()
    changed = view(warehouse, "closed_period_changes").filter(~pl.col("unchanged"))
    assert set(changed["cut"]) == {"regency", "group", "district", "district_group", "village_group"}
    assert set(changed["district_code"].drop_nulls()) == {"33.02.17"}
    assert set(changed["group_code"].drop_nulls()) == {"BPD"}
    village = changed.filter(pl.col("cut") == "village_group")
    assert village.select("district_name", "village_name", "group_code").rows() == [("Cilongok", "Batuanten", "BPD")]
    assert changed.filter(pl.col("group_code").is_not_null())["group_label"].is_not_null().all()  # names by codes
    assert village.select("members_closed", "enrolled_closed", "members_now", "enrolled_now").rows() == [
        (*before, 2, 1)
    ]
    others = figures(warehouse, "2024-03").join(changed.select(KEYS), on=KEYS, how="anti", nulls_equal=True)
    assert others.equals(as_published.join(changed.select(KEYS), on=KEYS, how="anti", nulls_equal=True))

    periods.reopen_period(state_of(warehouse), "2024-03", periods.Scope("33.02.17"), DISTRICTS, periods.Actor("x"))
    build_warehouse(raw, warehouse)
    trail = view(warehouse, "period_actions")
    assert trail.select("action", "period", "district_code", "acted_by", "reason").rows() == [
        ("tutup", "2024-03", None, "Sri", "2024-03 reported to the regent"),
        ("terima", "2024-03", "33.02.17", "Kabid", "Surat 12"),
        ("buka_kembali", "2024-03", "33.02.17", trail["acted_by"][2], "x"),
    ]
    assert trail["acted_by"][2]  # the operating system user
    assert trail["source_file"][1] == "2024-03/Cilongok/Batuanten.xlsx" and trail["sha256"][1]
    assert trail["acted_at"].is_sorted()
    status = view(warehouse, "period_status").filter(pl.col("period") == "2024-03")
    assert status.filter(pl.col("status") == "terbuka")["district_code"].to_list() == ["33.02.17"]
    assert nik_like_values(warehouse) == []


def test_a_kecamatan_close_holds_only_its_villages_and_reopening_lets_the_newest_count(
    zone: tuple[Path, Path],
) -> None:
    raw, warehouse = zone
    before = batuanten_bpd(warehouse, "2024-02")
    cilongok = periods.find_district(load_districts(region=BANYUMAS_REGENCY_CODE), "cilongok")
    periods.close_period(state_of(warehouse), warehouse, "2024-02", cilongok, DISTRICTS, periods.Actor("BPJS report"))
    send_late_bpd(raw, "2024-02")
    kembaran = raw / "2024-02" / "Kembaran" / "Karangsari.xlsx"  # 33.02.20.2015, another kecamatan: not held
    write_roster(kembaran, {"BPD": LATE_BPD[:2]}, village="KARANGSARI", district="KEMBARAN")
    build_warehouse(raw, warehouse)

    assert batuanten_bpd(warehouse, "2024-02") == before
    assert batuanten_bpd(warehouse, "2024-02", "33.02.20.2015") == (2, 1)
    files = view(warehouse, "ingested_files").filter(pl.col("period") == "2024-02")
    statuses = set(files.select("source_file", "status").iter_rows())  # a path has a row per version
    assert {("2024-02/Cilongok/Batuanten.xlsx", "pending"), ("2024-02/Cilongok/Batuanten.xlsx", "loaded")} <= statuses
    assert ("2024-02/Kembaran/Karangsari.xlsx", "pending") not in statuses
    status = view(warehouse, "period_status").filter(pl.col("period") == "2024-02")
    assert status.filter(pl.col("status") == "ditutup").select("district_code", "scope", "files_pending").rows() == [
        ("33.02.17", "kecamatan", 1)
    ]

    periods.reopen_period(state_of(warehouse), "2024-02", periods.Scope(), DISTRICTS, periods.Actor("koreksi"))
    with pytest.raises(periods.PeriodActionError, match="not closed"):
        periods.reopen_period(state_of(warehouse), "2024-02", cilongok, DISTRICTS, periods.Actor("again"))
    build_warehouse(raw, warehouse)
    assert batuanten_bpd(warehouse, "2024-02") == (2, 1)
    assert view(warehouse, "pending_corrections").is_empty()


def test_a_correction_held_by_a_kecamatan_close_stays_held_when_the_regency_closes(zone: tuple[Path, Path]) -> None:
    """A late correction held while Cilongok was closed, then the regency closed: it was judged against the regency's
    close alone, which it had arrived before, and became "superseded by ... (newer version)", no longer pending
    nor acceptable (a review's case)."""
    raw, warehouse = zone
    cilongok = periods.find_district(load_districts(region=BANYUMAS_REGENCY_CODE), "cilongok")
    periods.close_period(state_of(warehouse), warehouse, "2024-01", cilongok, DISTRICTS, periods.Actor("kecamatan"))
    send_late_bpd(raw, "2024-01")
    build_warehouse(raw, warehouse)
    held = ["2024-01/Cilongok/Batuanten.xlsx"]
    assert view(warehouse, "pending_corrections")["source_file"].to_list() == held
    close_regency(warehouse, "2024-01")
    build_warehouse(raw, warehouse)
    assert view(warehouse, "pending_corrections")["source_file"].to_list() == held
    accepted = periods.accept_pending(state_of(warehouse), "2024-01", periods.Scope(), held, periods.Actor("terima"))
    assert [path for _, path in accepted] == held


def test_a_close_refuses_a_warehouse_that_does_not_show_what_was_received(zone: tuple[Path, Path]) -> None:
    raw, warehouse = zone
    with pytest.raises(periods.PeriodActionError, match="nothing to close"):
        close_regency(warehouse, "2023-12")
    send_late_bpd(raw, "2024-03")
    settings = Settings(raw, warehouse, workers=1, quiet_seconds=0)
    # the files are read into the state, but the publish fails: the figures published are older
    staging_blocker = warehouse.with_name(f".{warehouse.name}.publishing")
    staging_blocker.mkdir()
    with pytest.raises(IsADirectoryError):
        run_pipeline(settings, f"test-{uuid.uuid4()}", RunOptions(allow_empty=True))
    staging_blocker.rmdir()
    with pytest.raises(periods.PeriodActionError, match="for 2024-03 yet: run `cakupan run` first"):
        close_regency(warehouse, "2024-03")
    assert close_regency(warehouse, "2024-02") == 1  # what is not yet published concerns another month


def test_the_commands_record_who_and_why_and_refuse_in_one_line(zone: tuple[Path, Path]) -> None:
    raw, warehouse = zone
    runner = CliRunner()
    base = ["--warehouse", str(warehouse)]
    result = runner.invoke(app, ["close", "--period", "2024-01", "--reason", "  ", *base])
    assert result.exit_code == 1 and "say why (--reason)" in result.output
    result = runner.invoke(app, ["close", "--period", "2024-01", "--kecamatan", "Atlantis", "--reason", "r", *base])
    assert result.exit_code == 1 and "no kecamatan 'Atlantis'" in result.output
    result = runner.invoke(
        app, ["close", "--period", "2024-01", "--kecamatan", "33.02.17", "--reason", "laporan", "--by", "Sri", *base]
    )
    assert result.exit_code == 0, result.output
    assert "2024-01 closed for kecamatan Cilongok by Sri" in result.output
    result = runner.invoke(app, ["accept", "--period", "2024-01", "--all", "--reason", "r", *base])
    assert result.exit_code == 1 and "no file is pending for 2024-01" in result.output
    result = runner.invoke(app, ["accept", "--period", "2024-01", "--reason", "r", *base])
    assert result.exit_code == 2
    send_late_bpd(raw, "2024-01")
    build_warehouse(raw, warehouse)
    result = runner.invoke(app, ["accept", "--period", "2024-01", "--all", "--reason", "surat", *base])
    assert result.exit_code == 0 and "1 file(s) accepted for 2024-01" in result.output
    result = runner.invoke(app, ["reopen", "--period", "2024-01", "--kecamatan", "Cilongok", "--reason", "r", *base])
    assert result.exit_code == 0, result.output
    build_warehouse(raw, warehouse)
    assert view(warehouse, "period_actions")["action"].to_list() == ["tutup", "terima", "buka_kembali"]


JUMPS = (
    Jump("33.02.17.2008", "RT_RW", "2024-02", "members_up"),  # lasting: flagged in February only
    Jump("33.02.24.1001", "LKD", "2024-03", "members_down", lasting=False),  # a wrong March: not April's return
    Jump("33.02.20.2015", "RENTAN", "2024-03", "enrolment_drop"),
    Jump("33.02.05.2003", "LINMAS", "2024-04", "roster_replaced"),
)
PLANTED = {
    ("2024-02", "33.02.17.2008", "RT_RW", "members_change"),
    ("2024-03", "33.02.24.1001", "LKD", "members_change"),
    ("2024-03", "33.02.20.2015", "RENTAN", "enrolment_drop"),
    ("2024-04", "33.02.05.2003", "LINMAS", "roster_replaced"),
}


@pytest.fixture(scope="module")
def jumped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pl.DataFrame]:
    """The generated five villages with a jump of each kind planted, published."""
    root = tmp_path_factory.mktemp("jumps")
    truth = write_landing_zone(root / "raw", seed=42, village_codes=SMALL_VILLAGES, workers=1, jumps=JUMPS)
    build_warehouse(root / "raw", root / "cakupan.duckdb")
    return root / "raw", root / "cakupan.duckdb", truth


def test_outliers_flag_the_planted_jumps_and_nothing_else(jumped: tuple[Path, Path, pl.DataFrame]) -> None:
    _, warehouse, truth = jumped
    flags = view(warehouse, "outliers")
    assert set(flags.select("period", "village_code", "group_code", "check_name").iter_rows()) == PLANTED
    assert set(flags["follow_up_status"]) == {"terbuka"}
    # the figures behind the flags are the generator's
    by_slot = {(p, v, g): (m, e) for p, v, g, m, e in truth.iter_rows()}
    for row in flags.iter_rows(named=True):
        members, enrolled = by_slot[(row["period"], row["village_code"], row["group_code"])]
        assert row["value_now"] == (enrolled if row["check_name"] == "enrolment_drop" else members)
    replaced = flags.filter(pl.col("check_name") == "roster_replaced")
    assert replaced["people_left"][0] == replaced["people_came"][0] == replaced["value_before"][0]
    drop = flags.filter(pl.col("check_name") == "enrolment_drop")
    assert drop["enrolment_lost"][0] == drop["value_before"][0] > 0 and drop["value_now"][0] == 0


def test_the_same_zone_without_jumps_flags_nothing(demo_warehouse: Path) -> None:
    assert view(demo_warehouse / "cakupan.duckdb", "outliers").is_empty()


def test_thresholds_are_settings_and_a_follow_up_status_is_recorded(
    jumped: tuple[Path, Path, pl.DataFrame], tmp_path: Path
) -> None:
    raw, published, _ = jumped
    warehouse = tmp_path / "cakupan.duckdb"
    build_warehouse(raw, warehouse, outlier_min_change=100)  # no change that large: only the other checks
    checks = set(view(warehouse, "outliers")["check_name"])
    assert checks == {"enrolment_drop", "roster_replaced"}

    flag = {"period": "2024-04", "village_code": "33.02.05.2003", "group_code": "LINMAS"}
    flag["check_name"] = "members_change"
    with pytest.raises(periods.PeriodActionError, match="flags no outlier"):
        periods.follow_up(state_of(warehouse), warehouse, flag, "explained", periods.Actor("r"))
    flag["check_name"] = "roster_replaced"
    with pytest.raises(periods.PeriodActionError, match="status must be one of"):
        periods.follow_up(state_of(warehouse), warehouse, flag, "done", periods.Actor("r"))
    periods.follow_up(state_of(warehouse), warehouse, flag, "diperiksa", periods.Actor("asked the desa", "Budi"))
    periods.follow_up(
        state_of(warehouse), warehouse, flag, "corrected", periods.Actor("new file sent", "Budi")
    )  # English too
    build_warehouse(raw, warehouse, outlier_min_change=100)
    row = view(warehouse, "outliers").filter(pl.col("check_name") == "roster_replaced")
    assert row.select("follow_up_status", "followed_up_by", "follow_up_note").rows() == [
        ("dikoreksi", "Budi", "new file sent")
    ]
    trail = view(warehouse, "period_actions")
    assert trail.select("action", "check_name", "follow_up_status").rows() == [
        ("tindak_lanjut", "roster_replaced", "diperiksa"),
        ("tindak_lanjut", "roster_replaced", "dikoreksi"),
    ]
    assert view(published, "period_actions").is_empty()


def month(today: dt.date, back: int) -> str:
    index = today.year * 12 + today.month - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# The run's clock is fixed on days that straddle the due date (the 10th) and month ends: the
# outcome must not depend on the day the suite runs (it failed on days 1-9 while it read the clock).
DAYS = [dt.date(2026, 12, 1), dt.date(2026, 12, 6), dt.date(2026, 12, 9), dt.date(2027, 1, 31)]


def village_paths(raw: Path, period: str) -> dict[str, Path]:
    """The zone's file of each village for `period`, by village code (the generator's names, as place.py reads them)."""
    villages = load_villages(region=BANYUMAS_REGENCY_CODE).filter(pl.col("village_code").is_in(list(SMALL_VILLAGES)))
    return {
        row["village_code"]: raw / period / row["district_name"] / f"{row['village_name']}.xlsx"
        for row in villages.iter_rows(named=True)
    }


def set_mtime(path: Path, moment: dt.datetime) -> None:
    os.utime(path, (moment.timestamp(), moment.timestamp()))


@pytest.mark.parametrize("today", DAYS)
def test_timeliness_from_arrival_evidence_and_tidak_diketahui_for_a_backfill(tmp_path: Path, today: dt.date) -> None:
    """A first load of a past month (a backfill): the modification time is the only evidence of when a
    file was sent. Trusted when set, in the month or after it and older than the run by more than a day:
    before the due date on time, after it late. A time the copy could have left (within a day of the run)
    or an impossible one (before the month began, after the run) is no evidence: 'tidak_diketahui',
    never late. The current month's files, first seen before their due date, are on time whatever
    their modification time (here after the run: not trusted)."""
    old, current = month(today, 3), month(today, 0)  # due long ago; due the 10th of next month
    raw = tmp_path / "raw"
    write_landing_zone(raw, seed=42, periods=(old, current), village_codes=SMALL_VILLAGES, workers=1)
    run_at = dt.datetime.combine(today, dt.time(12), dt.UTC)
    due_old = dt.datetime.fromisoformat(f"{month(today, 2)}-10T23:59:00+07:00")
    on_time, late, copied, impossible = (code for code in SMALL_VILLAGES if code != BATUANTEN)
    files = village_paths(raw, old)
    set_mtime(files[on_time], due_old - dt.timedelta(days=2))
    set_mtime(files[late], due_old + dt.timedelta(days=3))
    set_mtime(files[copied], run_at - dt.timedelta(hours=2))
    set_mtime(files[impossible], dt.datetime(2001, 1, 1, tzinfo=dt.UTC))
    files[BATUANTEN].unlink()
    for path in village_paths(raw, current).values():
        set_mtime(path, run_at + dt.timedelta(days=3))
    (raw / current / "Cilongok" / "Batuanten.xlsx").unlink()
    warehouse = tmp_path / "cakupan.duckdb"
    build_warehouse(raw, warehouse, started_at=run_at)

    by_village = view(warehouse, "submission_timeliness_by_village").filter(
        pl.col("village_code").is_in(list(SMALL_VILLAGES))
    )
    row = {(r["period"], r["village_code"]): r for r in by_village.iter_rows(named=True)}
    status = {key: (r["status"], r["arrival_source"]) for key, r in row.items()}
    assert status[(old, on_time)] == ("tepat_waktu", "waktu_berkas")
    assert status[(old, late)] == ("terlambat", "waktu_berkas")
    assert status[(old, copied)] == ("tidak_diketahui", "waktu_berkas")
    assert status[(old, impossible)] == ("tidak_diketahui", "pertama_terlihat")
    assert status[(old, BATUANTEN)] == ("belum_mengirim", None)
    assert {status[(current, code)] for code in SMALL_VILLAGES if code != BATUANTEN} == {
        ("tepat_waktu", "pertama_terlihat")
    }
    assert status[(current, BATUANTEN)] == ("belum_jatuh_tempo", None)
    assert row[(old, late)]["due_date"].isoformat() == f"{month(today, 2)}-10"
    assert row[(old, late)]["first_received_at"] == due_old + dt.timedelta(days=3)
    assert row[(old, late)]["days_late"] == math.ceil(
        (due_old + dt.timedelta(days=3) - row[(old, late)]["due_at"]).total_seconds() / 86400
    )
    assert row[(old, copied)]["days_late"] is None and row[(old, impossible)]["first_received_at"] == run_at
    assert row[(current, on_time)]["due_date"].isoformat() == f"{month(today, -1)}-10"

    cilongok = view(warehouse, "submission_timeliness").filter(pl.col("district_code") == "33.02.17")
    counts = cilongok.select("period", "on_time", "late", "arrival_unknown", "missing", "not_yet_due").sort("period")
    villages = cilongok["villages_expected"][0]
    assert counts.rows() == [(old, 0, 0, 0, villages, 0), (current, 0, 0, 0, 0, villages)]
    status_by_district = view(warehouse, "submission_status").select(
        "period", "district_code", "villages_submitted", "villages_rejected", "villages_missing"
    )
    timeliness = view(warehouse, "submission_timeliness").select(
        "period",
        "district_code",
        "villages_submitted",
        "villages_rejected",
        (pl.col("missing") + pl.col("not_yet_due")).alias("villages_missing"),
    )
    assert timeliness.sort("period", "district_code").equals(status_by_district.sort("period", "district_code"))


def test_a_run_watching_when_the_due_date_passed_makes_a_file_first_seen_after_it_late(tmp_path: Path) -> None:
    """Without a trusted modification time, a file first seen after the due date is late only if cakupan
    was already watching the landing zone then: a run before the due date did not see it."""
    raw = tmp_path / "raw"
    write_landing_zone(raw, seed=42, periods=("2025-03",), village_codes=SMALL_VILLAGES, workers=1)
    batuanten = raw / "2025-03" / "Cilongok" / "Batuanten.xlsx"
    kept = batuanten.read_bytes()
    batuanten.unlink()
    first, second = dt.datetime(2025, 4, 5, 12, tzinfo=dt.UTC), dt.datetime(2025, 4, 20, 12, tzinfo=dt.UTC)
    for path in zone_files(raw):
        set_mtime(path, second + dt.timedelta(days=1))  # after both runs: not evidence
    warehouse = tmp_path / "cakupan.duckdb"
    build_warehouse(raw, warehouse, started_at=first)
    batuanten.write_bytes(kept)
    set_mtime(batuanten, second + dt.timedelta(days=1))
    build_warehouse(raw, warehouse, started_at=second)
    row = (
        view(warehouse, "submission_timeliness_by_village")
        .filter(pl.col("village_code") == BATUANTEN)
        .row(0, named=True)
    )
    assert (row["status"], row["arrival_source"], row["first_received_at"]) == ("terlambat", "pertama_terlihat", second)
    others = view(warehouse, "submission_timeliness_by_village").filter(
        pl.col("village_code").is_in(list(SMALL_VILLAGES)) & (pl.col("village_code") != BATUANTEN)
    )
    assert set(others["status"]) == {"tepat_waktu"}
