"""The real nightly flow under a Prefect test harness, on a generated landing zone."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import shutil
from pathlib import Path

import duckdb
import polars as pl
import polars.selectors as cs
import pytest
from prefect.exceptions import FailedRun

from flows.outputs.summary import RunSummary
from flows.regency_flow import REJECTIONS_KEY, REJECTIONS_SHOWN, nightly, post_rejections
from flows.settings import Settings, state_path_for
from tests.helpers import nik_like_values, view, zone_files
from tools.generate import write_landing_zone

pytestmark = pytest.mark.usefixtures("prefect_harness")

# The two ways the tests run the flow over the demo zone: (workers, batch_size). The first is the settings' default.
RUNS = {"in-process": (0, 256), "2-worker-processes": (2, 3)}


@pytest.fixture(scope="module")
def by_flow(
    demo_zone: tuple[Path, pl.DataFrame], tmp_path_factory: pytest.TempPathFactory, prefect_harness: None
) -> dict[str, tuple[Path, RunSummary]]:
    """The nightly flow's warehouse and summary over the demo zone, run once each way of RUNS for the module: read
    them, or copy the warehouse's folder (`copied`) to run again over it."""
    assert (Settings().workers, Settings().batch_size) == RUNS["in-process"]  # a plain `nightly()` runs the first
    found = {}
    for name, (workers, batch_size) in RUNS.items():
        warehouse = tmp_path_factory.mktemp(f"flow-{name}") / "warehouse" / "cakupan.duckdb"
        summary = nightly(raw_dir=demo_zone[0], warehouse=warehouse, workers=workers, batch_size=batch_size)
        assert isinstance(summary, RunSummary)
        found[name] = (warehouse, summary)
    return found


def copied(warehouse: Path, folder: Path) -> Path:
    """A copy of a published warehouse's folder (the warehouse and its state) in `folder`; its cakupan.duckdb."""
    shutil.copytree(warehouse.parent, folder)
    return folder / warehouse.name


@pytest.mark.parametrize("way", RUNS)
def test_flow_publishes_views_that_match_the_generator_truth(
    demo_zone: tuple[Path, pl.DataFrame], by_flow: dict[str, tuple[Path, RunSummary]], way: str
) -> None:
    raw, truth = demo_zone
    warehouse, summary = by_flow[way]

    by_village = view(warehouse, "coverage_by_village").select(
        "period", "village_code", "group_code", "members", "enrolled"
    )
    expected = truth.with_columns(pl.col("members", "enrolled").cast(pl.Int64)).sort(by_village.columns[:3])
    assert by_village.with_columns(pl.col("members", "enrolled").cast(pl.Int64)).equals(expected)

    by_group = view(warehouse, "coverage_by_group")
    expected_groups = truth.group_by("period", "group_code").agg(pl.col("members", "enrolled").sum())
    assert (
        by_group.join(expected_groups, on=["period", "group_code"], suffix="_truth")
        .filter((pl.col("members") != pl.col("members_truth")) | (pl.col("enrolled") != pl.col("enrolled_truth")))
        .is_empty()
    )
    assert by_group.height == expected_groups.height
    # the 20 rosters (5 villages, 4 months) and the BPJS branch's exports of the demo zone
    # an empty claims export is the same bytes every month: its later copies are ignored, not read twice
    counts = summary.counts
    assert counts["files_loaded"] + counts["files_ignored"] == len(zone_files(raw)) and counts["files_rejected"] == 0
    assert nik_like_values(warehouse) == []


def test_every_row_of_every_file_is_accounted_for(
    demo_zone: tuple[Path, pl.DataFrame], by_flow: dict[str, tuple[Path, RunSummary]]
) -> None:
    raw, _ = demo_zone
    warehouse, _ = by_flow["in-process"]
    files = view(warehouse, "ingested_files")
    assert files.height == len(zone_files(raw)) and files.filter(pl.col("kind") == "roster").height == 20
    unbalanced = files.filter(
        pl.col("rows_read") != pl.col("rows_loaded") + pl.col("rows_rejected") + pl.col("rows_skipped")
    )
    assert unbalanced.is_empty()
    assert (files.filter(pl.col("kind") == "roster")["rows_skipped"] > 0).all()  # totals rows and signature blocks


def test_rerun_over_unchanged_zone_reads_nothing_and_changes_nothing(
    demo_zone: tuple[Path, pl.DataFrame], by_flow: dict[str, tuple[Path, RunSummary]], tmp_path: Path
) -> None:
    raw, _ = demo_zone
    warehouse = copied(by_flow["in-process"][0], tmp_path / "warehouse")  # the first run over the zone
    before = {name: view(warehouse, name) for name in ("coverage_by_village", "ingested_files")}
    published = warehouse.stat().st_ino
    second = nightly(raw_dir=raw, warehouse=warehouse)
    assert second.counts["files_new"] == 0 and second.counts["rows_loaded"] == 0
    for name, frame in before.items():
        assert view(warehouse, name).equals(frame), name
    assert warehouse.stat().st_ino == published  # nothing new, nothing changed: not even republished
    nightly(raw_dir=raw, warehouse=warehouse, provisional_below_pct=95.0)
    assert warehouse.stat().st_ino != published  # a changed setting republishes


def test_a_new_person_id_key_republishes_with_new_ids(
    demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, _ = demo_zone
    warehouse = tmp_path / "cakupan.duckdb"
    monkeypatch.setenv("CAKUPAN_PII_KEY", "first key")
    nightly(raw_dir=raw, warehouse=warehouse)
    before = view(warehouse, "roster")["person_id"]
    published = warehouse.stat().st_ino
    monkeypatch.setenv("CAKUPAN_PII_KEY", "second key")
    with pytest.raises(FailedRun, match="the person_id key changed"):
        nightly(raw_dir=raw, warehouse=warehouse)
    assert warehouse.stat().st_ino == published  # refused: the ids did not change behind the analysts' backs
    nightly(raw_dir=raw, warehouse=warehouse, rekey=True)
    assert warehouse.stat().st_ino != published  # nothing new in the zone, but the ids are keyed anew
    after = view(warehouse, "roster")["person_id"]
    assert after.len() == before.len() and not after.is_in(before.implode()).any()


def test_a_deployment_run_that_fails_logs_its_reason_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """As Prefect's engine runs a deployment's flow run (cakupan serve): it asks for the result, and logs the error."""
    from prefect import get_client
    from prefect.flow_engine import run_flow
    from prefect.logging.loggers import flow_run_logger

    caplog.set_level(logging.INFO)
    parameters = {"raw_dir": tmp_path / "no such zone", "warehouse": tmp_path / "cakupan.duckdb"}
    with get_client(sync_client=True) as client:
        flow_run = client.create_flow_run(nightly, parameters=parameters)
    with pytest.raises(FailedRun, match="does not exist"):
        run_flow(nightly, flow_run=flow_run, parameters=parameters, error_logger=flow_run_logger(flow_run=flow_run))
    errors = [record for record in caplog.records if record.levelname == "ERROR"]
    assert [record.getMessage() for record in errors] == [
        f"run failed: landing zone {tmp_path / 'no such zone'} does not exist"
    ]
    ended = [record for record in caplog.records if record.getMessage().startswith("flow run ended Failed: ")]
    assert [(record.levelname, record.exc_info) for record in ended] == [("INFO", None)]
    assert "Traceback" not in caplog.text and "unexpected exception" not in caplog.text


def test_corrected_file_supersedes_the_earlier_one(
    demo_zone: tuple[Path, pl.DataFrame], by_flow: dict[str, tuple[Path, RunSummary]], tmp_path: Path
) -> None:
    raw_source, _ = demo_zone
    raw = tmp_path / "raw"
    shutil.copytree(raw_source, raw)
    warehouse = copied(by_flow["in-process"][0], tmp_path / "warehouse")  # the first run over the same files

    batuanten = ("33.02.17.2008",)
    corrections = tmp_path / "corrections"
    corrected_truth = write_landing_zone(corrections, seed=99, village_codes=batuanten, workers=1)
    april = "2024-04/Cilongok/Batuanten.xlsx"
    corrected = "2024-04/Cilongok/Batuanten (revisi).xlsx"
    shutil.copyfile(corrections / april, raw / corrected)
    nightly(raw_dir=raw, warehouse=warehouse)

    files = view(warehouse, "ingested_files")
    statuses = dict(zip(files["source_file"], files["status"], strict=True))
    assert (statuses[april], statuses[corrected]) == ("superseded", "loaded")
    got = view(warehouse, "coverage_by_village").filter(
        (pl.col("period") == "2024-04") & (pl.col("village_code") == batuanten[0])
    )
    expected = corrected_truth.filter(pl.col("period") == "2024-04")
    assert got["members"].to_list() == expected["members"].to_list()
    assert got["enrolled"].to_list() == expected["enrolled"].to_list()


def test_the_person_id_key_can_come_from_a_prefect_secret_block(
    demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.blocks.system import Secret

    raw, _ = demo_zone
    Secret(value="key from a block").save("cakupan-test-pii-key", overwrite=True)
    config = tmp_path / "cakupan.toml"
    config.write_text('pii_key_block = "cakupan-test-pii-key"\n')
    monkeypatch.setenv("CAKUPAN_PII_KEY", "ignored while a block is named")
    warehouse = tmp_path / "cakupan.duckdb"
    nightly(raw_dir=raw, warehouse=warehouse, config=config)
    runs = view(warehouse, "runs")
    assert not (warehouse.parent / ".cakupan" / "pii.key").exists()
    with duckdb.connect(str(state_path_for(warehouse)), read_only=True) as con:
        sources = con.execute("select pii_key_source from runs").fetchall()
        (nik,) = con.execute("select nik from roster_rows limit 1").fetchall()[0]
    assert sources == [("Prefect Secret block 'cakupan-test-pii-key'",)] and runs.height == 1
    digest = hmac.new(b"key from a block", nik.encode(), hashlib.sha256).digest()
    person_ids = view(warehouse, "roster")["person_id"]
    assert base64.urlsafe_b64encode(digest).decode().rstrip("=") in person_ids.to_list()


def test_the_flow_and_the_plain_sequence_publish_identical_warehouses(
    by_flow: dict[str, tuple[Path, RunSummary]], demo_warehouse: Path
) -> None:
    """What the tests and the bench run (flows/regency_run.py, plain steps: `demo_warehouse` is `build_warehouse`
    over the demo zone) is what runs at night (the flow, here with two worker processes and batches of 3)."""
    flow, plain = by_flow["2-worker-processes"][0], demo_warehouse / "cakupan.duckdb"

    def contents(warehouse: Path) -> dict[str, pl.DataFrame]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            names = [
                name
                for (name,) in con.execute(
                    "select replace(table_schema || '.' || table_name, 'main.', '') from information_schema.tables"
                ).fetchall()
            ]
        run_bound = {"runs"}  # its ids and times are the runs' own; so are arrival times (when a run first saw a file)
        return {
            name: view(warehouse, name).drop("run_id", strict=False).select(~cs.datetime())
            for name in sorted(set(names) - run_bound)
        }

    flow_tables, plain_tables = contents(flow), contents(plain)
    assert flow_tables.keys() == plain_tables.keys() and len(flow_tables) > 20
    for name, frame in flow_tables.items():
        assert frame.equals(plain_tables[name]), name


def test_the_rejections_artifact_is_posted_only_when_they_change_and_capped() -> None:
    import json

    from prefect import flow
    from prefect.artifacts import Artifact

    @flow
    def posted(rows: list[dict[str, str]]) -> bool:
        return post_rejections(rows)

    def shown() -> int:
        data = getattr(Artifact.get(REJECTIONS_KEY), "data", "[]")
        return len(json.loads(data) if isinstance(data, str) else data)

    rows = [{"source_file": f"2024-04/Cilongok/{i}.xlsx", "period": "2024-04", "reason": "bad"} for i in range(1200)]
    assert posted(rows)
    assert shown() == REJECTIONS_SHOWN  # 20,000 rejected files no longer post a 4 MB table
    assert "files rejected: 1200, the first 500 shown" in str(getattr(Artifact.get(REJECTIONS_KEY), "description", ""))
    assert not posted(rows)  # nothing changed: nothing posted
    changed = [*rows[:-1], {**rows[-1], "reason": "another reason"}]  # beyond the rows shown: still a change
    assert posted(changed)
    assert posted([])  # none left: said once
    assert not posted([])
