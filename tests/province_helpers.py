"""A small three-regency province for the consolidation tests: its zones, a correction, comparisons, and the
PostgreSQL a province's Prefect server runs on."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from flows.store import reference
from flows.store.catalog import view_docs
from tests.helpers import ANI, BUDI, write_roster

REGION = "33.01,33.02,33.03"
# villages per regency: the third is larger, so its child runs long enough to be killed mid-way
VILLAGES = {"33.01": 5, "33.02": 5, "33.03": 20}
CORRECTED = "33.02"
# a province prefixes paths with the regency; run ids and the times runs first saw a file differ
PATH_COLUMNS = {"source_file", "sheet", "run_id", "first_received_at", "last_received_at"}


def write_province(root: Path, written: Path | None = None) -> tuple[Path, Path]:
    """April 2024 for a few villages of three regencies: one province zone (for a single run), and one zone each.

    Given the `root` of an earlier call (tests/conftest.py `province_zones`), its province zone is copied (the same
    bytes and modification times) instead of generated again.
    """
    from tools.generate import split_by_regency, write_landing_zone

    province, zones = root / "province", root / "zones"
    if written is None:
        villages = reference.load_villages(region=REGION).sort("village_code")
        codes = pl.concat([villages.filter(pl.col("regency_code") == c).head(n) for c, n in VILLAGES.items()])
        write_landing_zone(
            province, periods=("2024-04",), village_codes=codes["village_code"].to_list(), workers=1, region=REGION
        )
    else:
        shutil.copytree(written / "province", province)
    split_by_regency(province, zones)
    return province, zones


def write_correction(province: Path, zones: Path) -> None:
    """A corrected RT/RW roster for the first village of CORRECTED, in both layouts (the same bytes)."""
    village = reference.load_villages(region=CORRECTED).sort("village_code").row(0, named=True)
    name = f"{village['village_code']} {village['village_name']} revisi.xlsx"
    first = zones / CORRECTED / "2024-04" / village["district_name"] / name
    rows = [[ANI, "Ani", "P", "Ketua RT 001", "Sudah", "12345678901"], [BUDI, "Budi", "L", "Ketua RW 01", "Belum", ""]]
    write_roster(first, {"RT RW": rows}, village["village_name"].upper(), village["district_name"].upper())
    second = province / "2024-04" / CORRECTED / village["district_name"] / name
    second.parent.mkdir(parents=True, exist_ok=True)
    second.hardlink_to(first)


def figure_views() -> list[str]:
    """The views whose rows are figures (no paths or run ids): equal for a province and a single run."""
    return [view.qualified for view in view_docs() if not PATH_COLUMNS & set(view.columns)]


def figures(warehouse: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every figure view's rows, and the tables' row counts by what they say, ordered."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = {name: con.sql(f"select * from {name} order by all").fetchall() for name in figure_views()}
        found["roster"] = con.sql("select * exclude (source_file) from roster order by all").fetchall()
        found["files"] = con.sql(
            "select status, village_code, rows_read, rows_loaded, rows_counted, rows_superseded from ingested_files "
            "order by all"
        ).fetchall()
        found["failures"] = con.sql(
            "select check_name, severity, is_current, count(*) from validation_failures group by all order by all"
        ).fetchall()
    return found


def postgresql_bin() -> Path | None:
    """Where Debian's `postgresql` package put initdb and pg_ctl (the newest version), if it is installed."""
    found = shutil.which("pg_ctl")
    if found and Path(found).resolve().with_name("initdb").exists():
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return versions[-1].parent if versions else None


@contextmanager
def postgresql() -> Iterator[str]:
    """A throw-away PostgreSQL cluster on a free loopback port (trust authentication, loopback only); yields the
    asyncpg URL of its database for PREFECT_API_DATABASE_CONNECTION_URL. PostgreSQL refuses to run as root: as
    root, the cluster runs as the package's `postgres` user."""
    bin_dir = postgresql_bin()
    if bin_dir is None:
        raise FileNotFoundError("initdb and pg_ctl not found: install Debian's postgresql package (.ci/run does)")
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="cakupan-pg-"))  # not under pytest's tmp_path: postgres must reach it
    if as_user:
        shutil.chown(folder, "postgres")
    data, log = folder / "data", folder / "postgres.log"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    pg_ctl = [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data)]
    try:
        subprocess.run(
            [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "prefect", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {folder}"
        subprocess.run([*pg_ctl, "-l", str(log), "-w", "-o", options, "start"], check=True, capture_output=True)
        try:
            yield f"postgresql+asyncpg://prefect@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
