"""Shared fixtures: a seeded demo landing zone in tmp dirs, one Prefect test harness and one real Prefect server per
session (per xdist worker)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from flows.settings import use_prefect_defaults
from tests.helpers import clear_server, start_server, stop
from tools.generate import write_landing_zone

use_prefect_defaults()  # as the CLI does, before any test module imports Prefect
os.environ.setdefault("CAKUPAN_PII_KEY", "test-key-not-secret")
# a test writes its files and runs at once: no quiet period (test_retries.py sets one where it is the subject)
os.environ.setdefault("CAKUPAN_QUIET_SECONDS", "0")

# A desa in Cilongok, a kelurahan (no BPD), and the two Karangsari (a name found in two districts).
SMALL_VILLAGES = ("33.02.17.2008", "33.02.24.1001", "33.02.20.2015", "33.02.05.2003", "33.02.01.2001")


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for every test that runs a real flow."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session")
def prefect_server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One real `prefect server start` on 127.0.0.1 for the session (`start_server`); yields the environment that
    points clients at it. Tests take it through `prefect_server`, which clears it first."""
    process, env = start_server(tmp_path_factory.mktemp("prefect-home"))
    try:
        yield env
    finally:
        stop(process)


@pytest.fixture
def prefect_server(prefect_server_process: dict[str, str]) -> dict[str, str]:
    """The session's real Prefect server with no automation, deployment, flow run or work pool left by another test;
    the environment that points clients (serve, workers, runs, the prefect CLI) at it."""
    clear_server(prefect_server_process["PREFECT_API_URL"])
    return prefect_server_process


@pytest.fixture(scope="session")
def demo_zone(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    """A generated landing zone for a handful of villages, 2024-01 to 2024-04, with the BPJS branch's exports, and
    the rosters' truth."""
    raw = tmp_path_factory.mktemp("raw")
    truth = write_landing_zone(raw, seed=42, village_codes=SMALL_VILLAGES, workers=1, bpjs_exports=True)
    return raw, truth
