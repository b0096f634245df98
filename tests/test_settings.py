"""Configuration: one precedence (flags > CAKUPAN_* > cakupan.toml > defaults), unknown keys rejected."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flows.regency_flow import deployment
from flows.settings import ConfigError, Settings, load_settings


def test_defaults() -> None:
    settings = load_settings(environ={})
    assert settings == Settings()
    assert (settings.schedule, settings.timezone) == ("0 2 * * *", "Asia/Jakarta")
    assert settings.state == Path("warehouse/.cakupan/cakupan.state.duckdb")


def test_flags_beat_environment_beat_file(tmp_path: Path) -> None:
    config = tmp_path / "cakupan.toml"
    config.write_text('raw_dir = "/data/raw"\nwarehouse = "/data/w.duckdb"\nbatch_size = 8\ntimezone = "UTC"\n')
    environ = {"CAKUPAN_WAREHOUSE": "/env/w.duckdb", "CAKUPAN_BATCH_SIZE": "16", "CAKUPAN_PII_KEY": "secret"}
    settings = load_settings(config, environ=environ, batch_size=32, raw_dir=None)
    assert settings.raw_dir == Path("/data/raw")  # file
    assert settings.warehouse == Path("/env/w.duckdb")  # environment over file
    assert settings.batch_size == 32  # flag over environment
    assert settings.timezone == "UTC"


@pytest.mark.parametrize(
    ("toml", "environ", "message"),
    [
        ("warehose = 'x'\n", {}, "unknown key(s) warehose"),
        ("", {"CAKUPAN_BACTH_SIZE": "3"}, "unknown key(s) bacth_size"),
        ("batch_size = 'many'\n", {}, 'batch_size = "many": must be a whole number'),
        ("batch_size = 0\n", {}, "must be at least 1"),
        ("raw_dir = \n", {}, "cakupan.toml"),
        ("", {"CAKUPAN_WORKERS": "-1"}, 'workers = "-1": must be at least 0'),
        ("region = 'Banyumas'\n", {}, "must be a Kemendagri province or regency code"),
    ],
)
def test_bad_configuration_is_rejected_with_its_source(
    tmp_path: Path, toml: str, environ: dict[str, str], message: str
) -> None:
    config = tmp_path / "cakupan.toml"
    config.write_text(toml)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(config, environ=environ)


def test_deployment_runs_nightly_on_the_configured_cron() -> None:
    made = deployment(Settings(schedule="30 1 * * *", timezone="Asia/Jakarta", batch_size=10))
    assert made.name == "nightly" and made.flow_name == "nightly"
    (schedule,) = made.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("30 1 * * *", "Asia/Jakarta")
    # only the paths: every other setting is read where the run starts, so it is written once
    assert set(made.parameters) == {"raw_dir", "warehouse"}


def test_prefect_yaml_points_at_the_flow_with_the_default_schedule() -> None:
    spec = yaml.safe_load((Path(__file__).parents[1] / "prefect.yaml").read_text())
    entry, *province = spec["deployments"]
    module, function = entry["entrypoint"].split(":")
    assert (Path(__file__).parents[1] / module).exists() and function == "nightly"
    assert entry["schedules"] == [{"cron": "0 2 * * *", "timezone": "Asia/Jakarta"}]
    # the province's parent and child (flows/province_flow.py), unscheduled
    assert {d["name"]: d["entrypoint"] for d in province} == {
        "regency-chunk": "flows/province_flow.py:regency_chunk",
        "province": "flows/province_flow.py:province",
    }
    assert not any(d.get("schedules") for d in province)


def test_a_provinces_regencies_and_staging_are_beside_its_warehouse_unless_given(tmp_path: Path) -> None:
    """Two province warehouses built from one directory never share their regencies' state databases."""
    elsewhere = tmp_path / "jateng" / "province.duckdb"
    default = load_settings(environ={}, warehouse=elsewhere)
    assert default.regencies_dir == tmp_path / "jateng" / "regencies"
    assert default.staging == str(tmp_path / "jateng" / "staging")
    given = load_settings(environ={"CAKUPAN_WORK_DIR": str(tmp_path / "work")}, warehouse=elsewhere)
    assert given.regencies_dir == tmp_path / "work"
    assert load_settings(environ={}).regencies_dir == Path("warehouse") / "regencies"  # beside the default warehouse
