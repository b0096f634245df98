"""Shared fixtures: a seeded demo landing zone in tmp dirs and one real Prefect server per session (per xdist worker),
the API of the flows the tests run in-process too."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest

from flows.settings import use_prefect_defaults
from tests.helpers import (
    TEMPLATES,
    build_warehouse,
    clear_server,
    prefect_api,
    send_what_is_left,
    start_server,
    stop,
)
from tests.province_helpers import write_province
from tools.generate import write_landing_zone

use_prefect_defaults()  # as the CLI does, before any test module imports Prefect
os.environ.setdefault("CAKUPAN_PII_KEY", "test-key-not-secret")
# a test writes its files and runs at once: no quiet period (test_retries.py sets one where it is the subject)
os.environ.setdefault("CAKUPAN_QUIET_SECONDS", "0")

# A desa in Cilongok, a kelurahan (no BPD), and the two Karangsari (a name found in two districts).
SMALL_VILLAGES = ("33.02.17.2008", "33.02.24.1001", "33.02.20.2015", "33.02.05.2003", "33.02.01.2001")


# The files that take longest (a minute or more on 2 cores), slowest first by the whole suite's --durations=0:
# `make test` hands whole files to the xdist workers in collection order (`--dist loadfile --no-loadscope-reorder`),
# so these start first and the short files fill in around them, instead of one long file starting last and running
# alone (docs/performance.md).
SLOWEST_FIRST = (
    "test_operations.py",
    "test_hostile.py",
    "test_cli.py",
    "test_province_pool.py",
    "test_schedule.py",
    "test_province.py",
    "test_republish.py",
    "test_run.py",
    "test_export_sources.py",
    "test_verification_demo.py",
    "test_periods.py",
    "test_retries.py",
    "test_watch.py",
    "test_warm_workers.py",
    "test_flow.py",
    "test_heartbeat.py",
    "test_batches.py",
    "test_fingerprints.py",
    "test_site.py",
    "test_lost_server.py",
    "test_wheel.py",
)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (`make test`): one worker more than the cores this process may use. The server tests mostly wait
    for Prefect (test_heartbeat.py: 35 s of CPU in 100 s): the extra worker runs other files meanwhile."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files of SLOWEST_FIRST first, in its order; the others after, in their order."""
    rank = {name: index for index, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(scope="session", autouse=True)
def publish_templates(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The worker's folder of publish templates that `build_warehouse` copies into a new warehouse (`kept_template`)."""
    TEMPLATES[:] = [tmp_path_factory.mktemp("publish-templates")]


@pytest.fixture(scope="session")
def server_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the run's first SQLite Prefect server leaves its migrated database for the others (`start_server`)."""
    return run_folder(tmp_path_factory) / "prefect-template.db"


@pytest.fixture(scope="session")
def prefect_server_process(tmp_path_factory: pytest.TempPathFactory, server_template: Path) -> Iterator[dict[str, str]]:
    """One real `prefect server start` on 127.0.0.1 for the session (`start_server`); yields the environment that
    points clients at it. Tests take it through `prefect_server` (cleared first) or `prefect_harness`."""
    process, env = start_server(tmp_path_factory.mktemp("prefect-home"), template=server_template)
    try:
        yield env
    finally:
        send_what_is_left()
        stop(process)


@pytest.fixture(scope="session")
def prefect_harness(prefect_server_process: dict[str, str]) -> Iterator[None]:
    """The Prefect API of every test that runs a flow in this process (and of the children it names it to): the
    session's one real server, not a second server of Prefect's test harness (each start costs 10-15 s of CPU)."""
    with prefect_api(prefect_server_process["PREFECT_API_URL"]):
        yield


@pytest.fixture
def prefect_server(prefect_server_process: dict[str, str]) -> Iterator[dict[str, str]]:
    """The session's real Prefect server with no automation, deployment, flow run or work pool left by another test;
    the environment that points clients (serve, workers, runs, the prefect CLI) at it. Cleared again afterwards, so
    that no schedule or automation of the test acts on the runs of a `prefect_harness` test after it."""
    clear_server(prefect_server_process["PREFECT_API_URL"])
    yield prefect_server_process
    clear_server(prefect_server_process["PREFECT_API_URL"])


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of the whole run, shared by its xdist workers."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if "PYTEST_XDIST_WORKER" in os.environ else root  # above each worker's popen-gw<n>


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]) -> Path:
    """The folder `name` that `build` fills, built once for the whole run: the xdist workers of one run share it (the
    first that needs it builds it, under a lock; the others wait and read it). Never change it: copy it."""
    root = run_folder(tmp_path_factory)
    folder, done = root / f"built-once-{name}", root / f"built-once-{name}.done"
    with (root / f"built-once-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a worker that died half-way
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def demo_zone(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    """A generated landing zone for a handful of villages, 2024-01 to 2024-04, with the BPJS branch's exports, and
    the rosters' truth (built once for the run, `built_once`)."""

    def build(folder: Path) -> None:
        truth = write_landing_zone(folder / "raw", seed=42, village_codes=SMALL_VILLAGES, workers=1, bpjs_exports=True)
        truth.write_parquet(folder / "truth.parquet")

    folder = built_once(tmp_path_factory, "demo_zone", build)
    return folder / "raw", pl.read_parquet(folder / "truth.parquet")


@pytest.fixture(scope="session")
def demo_warehouse(demo_zone: tuple[Path, pl.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo zone's warehouse folder (cakupan.duckdb and its state in .cakupan/), built once for the run by
    `build_warehouse`: never open it for writing, copy it (`copy_demo_warehouse`)."""

    def build(folder: Path) -> None:
        build_warehouse(demo_zone[0], folder / "warehouse" / "cakupan.duckdb")

    return built_once(tmp_path_factory, "demo_warehouse", build) / "warehouse"


@pytest.fixture(scope="session")
def copy_demo_warehouse(demo_warehouse: Path) -> Callable[[Path], Path]:
    """A function that copies the session's demo warehouse folder to a new folder and returns its cakupan.duckdb:
    each module reads (or changes) its own copy."""

    def copy(folder: Path) -> Path:
        shutil.copytree(demo_warehouse, folder)
        return folder / "cakupan.duckdb"

    return copy


@pytest.fixture(scope="session")
def written_province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder `write_province` wrote once for the run (province/ and zones/, `built_once`): never change it, copy
    it (`province_zones`)."""
    return built_once(tmp_path_factory, "province", write_province)


@pytest.fixture
def province_zones(written_province: Path, tmp_path: Path) -> tuple[Path, Path]:
    """What `write_province(tmp_path)` writes, copied from the session's: the province zone and one zone per
    regency (tmp_path / "province", tmp_path / "zones")."""
    return write_province(tmp_path, written_province)
