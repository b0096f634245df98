"""Every setting a published figure depends on is in both publishers' fingerprints, and only those.

Each field of `Settings` declares its role (flows/settings.py): FIGURES or OPERATION. The tests
enumerate the fields, so a new setting without a role, or without a changed value here, fails.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from flows.province_run import (
    InProcessSteps,
    is_current,
    province_fingerprint,
    publish_basis,
    run_province,
    zone_signature,
)
from flows.run_options import RunOptions
from flows.settings import FIGURES, ROLES, Settings
from flows.store import publish, staging
from tests.helpers import ANI, BUDI, CITRA, build_warehouse, query, write_roster

SETTINGS = [f.name for f in fields(Settings)]
FIGURE_SETTINGS = [f.name for f in fields(Settings) if f.metadata.get("role") == FIGURES]
# a valid value other than the default, for every setting
CHANGED: dict[str, Any] = {
    "raw_dir": Path("elsewhere/raw"),
    "warehouse": Path("elsewhere/cakupan.duckdb"),
    "schedule": "30 1 * * *",
    "timezone": "UTC",
    "batch_size": 64,
    "provisional_below_pct": 50.0,
    "region": "33.01,33.02",
    "workers": 1,
    "file_timeout_seconds": 30.0,
    "file_retries": 1,
    "worker_memory_mb": 2048,
    "quiet_seconds": 5.0,
    "bpjs_folder": "EKSPOR",
    "pii_key_block": "cakupan-pii-key",
    "staging_url": "s3://bucket/prefix",
    "work_dir": "elsewhere/regencies",
    "regencies_per_child": 3,
    "child_concurrency": 1,
    "dask_scheduler": "tcp://127.0.0.1:8786",
    "outlier_min_share": 0.5,
    "outlier_min_change": 3,
    "outlier_replaced_share": 0.8,
    "outlier_min_drop": 5,
    "sql_memory_limit": "2GB",
    "sql_timeout_seconds": 10.0,
    "sql_max_rows": 10,
    "sql_max_bytes": 1024,
}
KEY = b"a test key"


def manifest(settings: Settings, code: str) -> staging.Manifest:
    return staging.Manifest(code, "generation", "run", "signature", "check", {}, figures_digest=settings.figures_digest)


@pytest.mark.parametrize("name", SETTINGS)
def test_a_setting_is_in_both_fingerprints_exactly_when_a_figure_depends_on_it(name: str) -> None:
    role = next(f for f in fields(Settings) if f.name == name).metadata.get("role")
    assert role in ROLES, f"Settings.{name} declares no role (metadata={{'role': FIGURES or OPERATION}})"
    assert name in CHANGED, f"give Settings.{name} a changed value in CHANGED"
    before = Settings(region="33.02")
    after = replace(before, **{name: CHANGED[name]})
    assert getattr(after, name) != getattr(before, name)
    manifests = {"33.02": manifest(before, "33.02")}
    figure = role == FIGURES
    assert (publish.fingerprint(KEY, after) != publish.fingerprint(KEY, before)) == figure
    assert (province_fingerprint(after, manifests) != province_fingerprint(before, manifests)) == figure
    # and the province warehouse is built whole, not republished in place over figures of other settings
    assert (publish_basis(after, manifests) != publish_basis(before, manifests)) == figure
    assert (name in after.figures) == figure


def test_the_check_catalogue_is_in_both_fingerprints(monkeypatch: pytest.MonkeyPatch) -> None:
    """A check's severity or message is in published rows: a new catalogue builds the province whole, not mixed."""
    settings = Settings(region="33.02")
    manifests = {"33.02": manifest(settings, "33.02")}

    def prints() -> tuple[str, str, str]:
        return (
            publish.fingerprint(KEY, settings),
            province_fingerprint(settings, manifests),
            publish_basis(settings, manifests),
        )

    before, catalogue = prints(), publish.check_catalog()
    reworded = catalogue.with_columns(pl.lit("Pesan lain.").alias("message"))
    monkeypatch.setattr(publish, "check_catalog", lambda: reworded)
    assert all(old != new for old, new in zip(before, prints(), strict=True))


@pytest.mark.parametrize("name", [name for name in FIGURE_SETTINGS if name != "region"])
def test_a_province_reruns_its_regencies_when_a_figure_setting_changes(name: str, tmp_path: Path) -> None:
    """A regency's staged output records the settings it was published with: the parent re-runs it when they differ.

    (`region` differs between the province and its regencies by design; a regency's own is its code.)
    """
    before = Settings(tmp_path / "zones", region="33.02")
    (tmp_path / "zones" / "33.02").mkdir(parents=True)
    code = "33.02"
    listed = replace(manifest(before, code), zone_signature=zone_signature(before.raw_dir / code))
    assert is_current(before, code, listed)
    assert not is_current(replace(before, **{name: CHANGED[name]}), code, listed)


@pytest.fixture
def same_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CAKUPAN_PII_KEY", "a test key for the fingerprints")
    yield


@pytest.mark.parametrize("name", FIGURE_SETTINGS)
def test_changing_a_figure_setting_republishes_the_regency(
    name: str, tmp_path: Path, same_key: None, caplog: pytest.LogCaptureFixture
) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "cakupan.duckdb"
    write_roster(raw / "2024-04" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "1"]]})
    caplog.set_level(logging.INFO, logger="cakupan")
    build_warehouse(raw, warehouse)
    assert "publishing" in caplog.text and "what it is built from" not in caplog.text  # a first publish: files
    published = warehouse.stat().st_ino
    build_warehouse(raw, warehouse)
    assert warehouse.stat().st_ino == published  # nothing changed: not republished
    caplog.clear()
    build_warehouse(raw, warehouse, **{name: CHANGED[name]})
    assert warehouse.stat().st_ino != published
    assert "0 new or changed" in caplog.text and "what it is built from changed since its last publish" in caplog.text
    if name in {"provisional_below_pct", "outlier_min_share", "outlier_min_change"}:
        assert query(warehouse, f"select value from settings where name = '{name}'") == [(float(CHANGED[name]),)]


def test_a_province_publishes_its_regencies_with_its_own_time_zone(tmp_path: Path, same_key: None) -> None:
    """The time zone reaches the province's figures through its regencies' due dates: they run again with it."""
    zones = tmp_path / "zones"
    write_roster(
        zones / "33.02" / "2024-04" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Sudah", "1"]]}
    )
    write_roster(
        zones / "33.01" / "2024-04" / "Tambakreja.xlsx",
        {"BPD": [[BUDI, "Budi", "L", "Anggota BPD", "Sudah", "2"], [CITRA, "Citra", "P", "Ketua BPD", "Belum", ""]]},
        "TAMBAKREJA",
        "KEDUNGREJA",
    )
    config = Settings(
        zones,
        tmp_path / "province.duckdb",
        region="33.01,33.02",
        workers=1,
        staging_url=str(tmp_path / "staging"),
        work_dir=str(tmp_path / "work"),
        quiet_seconds=0,  # the files were written a moment ago
    )

    def run(settings: Settings) -> tuple[tuple[tuple[str, ...], ...], bool]:
        summary = run_province(settings, f"province-{uuid.uuid4()}", RunOptions(allow_empty=True), InProcessSteps())
        return summary.chunks, summary.published

    due = (
        "select distinct strftime(due_at at time zone 'UTC', '%Y-%m-%d %H:%M') from due_dates where period = '2024-04'"
    )
    assert run(config) == ((("33.01",), ("33.02",)), True)
    jakarta = query(config.warehouse, due)
    assert run(config) == ((), False)
    in_utc = replace(config, timezone="UTC")
    assert run(in_utc) == ((("33.01",), ("33.02",)), True)  # both regencies again, with the new time zone
    utc = query(config.warehouse, due)
    assert len(jakarta) == len(utc) == 1 and jakarta != utc
    assert run(in_utc) == ((), False)
