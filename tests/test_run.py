"""The one run sequence (flows/run.py): failures recorded and told in one line, problem runs not green."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows.run import RunFailedError, RunOptions, run_pipeline
from flows.settings import Settings, state_path_for
from flows.store import publish
from flows.store.catalog import ViewDoc
from flows.store.sql import query_frame
from tests.helpers import ANI, BUDI, build_warehouse, view, write_roster


def roster(raw: Path, period: str, village: str = "Batuanten", nik: str = ANI) -> Path:
    path = raw / period / "Cilongok" / f"{village}.xlsx"
    write_roster(path, {"BPD": [[nik, "Ani", "P", "Anggota BPD", "Sudah", "1"]]}, village=village.upper())
    return path


def state_runs(warehouse: Path) -> pl.DataFrame:
    """Every run the state database recorded, failed ones included (the analyst file has published ones)."""
    with duckdb.connect(str(state_path_for(warehouse)), read_only=True) as con:
        return query_frame(con, "select * from runs order by started_at")


def run(raw: Path, warehouse: Path, **options: object) -> None:
    run_pipeline(Settings(raw, warehouse, workers=1, quiet_seconds=0), str(uuid.uuid4()), RunOptions(**options))  # type: ignore[arg-type]


def failure(raw: Path, warehouse: Path, **options: object) -> str:
    with pytest.raises(RunFailedError) as raised:
        run(raw, warehouse, **options)
    message = str(raised.value)
    assert "\n" not in message
    assert state_runs(warehouse)["status"].to_list()[-1] == "failed"
    assert state_runs(warehouse)["message"].to_list()[-1] == message
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


def test_a_vanished_zone_fails_and_vanished_files_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    roster(raw, "2024-03")
    roster(raw, "2024-04")
    roster(raw, "2024-04", "Pejogol", BUDI)
    run(raw, warehouse)

    shutil.move(raw, tmp_path / "unmounted")
    raw.mkdir()
    message = failure(raw, warehouse)
    assert "all 3 file(s) of 2024-03, 2024-04 are gone" in message
    monkeypatch.setattr("flows.run.VANISHED_LOGGED", 2)
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
    assert "there is none" in message and "--rekey" in message
    assert not (state_path_for(warehouse).parent / "pii.key").exists()  # no key file made behind the operator's back
    monkeypatch.setenv("CAKUPAN_PII_KEY", "another key")
    assert "holds another key" in failure(raw, warehouse)
    assert view(warehouse, "roster")["person_id"].to_list() == ids  # nothing republished

    run(raw, warehouse, rekey=True)
    assert view(warehouse, "roster")["person_id"].to_list() != ids
    published = view(warehouse, "runs").sort("started_at").row(-1, named=True)  # the analysts' copy says it too
    assert (published["status"], published["pii_key_source"]) == ("completed", "environment variable CAKUPAN_PII_KEY")
    last = state_runs(warehouse).row(-1, named=True)
    assert (last["status"], last["pii_key_source"]) == ("completed", "environment variable CAKUPAN_PII_KEY")
    run(raw, warehouse)  # the new key is now the published one
    assert state_runs(warehouse)["status"].to_list()[-1] == "completed"


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
