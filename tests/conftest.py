"""Shared fixtures: a seeded demo landing zone in tmp dirs, one Prefect test harness per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from flows.settings import use_prefect_defaults
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
def demo_zone(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    """A generated landing zone for a handful of villages, 2024-01 to 2024-04, with the BPJS branch's exports, and
    the rosters' truth."""
    raw = tmp_path_factory.mktemp("raw")
    truth = write_landing_zone(raw, seed=42, village_codes=SMALL_VILLAGES, workers=1, bpjs_exports=True)
    return raw, truth
