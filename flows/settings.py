"""Where things live and how a run is configured: the one place that knows paths and settings.

Precedence, highest first: command-line flags, `CAKUPAN_*` environment variables,
`cakupan.toml` (in the working directory, or `--config PATH`), built-in defaults.
Unknown keys are rejected, never silently ignored.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import os
import re
import tomllib
import zoneinfo
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from cronsim import CronSim, CronSimError

# The repository's root when cakupan runs from a clone (when installed, the folder that holds the package).
PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The files the code reads at run time: the folder of the installed package that holds each kind
# (flows/resources/<name>, mapped there by pyproject.toml's force-include), and its folder in the repository.
PACKAGE_RESOURCES = "resources"
RESOURCES = {"views": "warehouse/views", "statements": "warehouse/statements", "reference": "raw/reference"}


def resource_dir(name: str) -> Path:
    """The folder of one kind of resource (RESOURCES): inside the installed package, else in a clone's source tree.

    Never the landing zone: a clone's `raw/reference/` is the source of the package's copy, read in
    place so a change to it counts at the next run; an installed cakupan reads its own copy.
    """
    packaged = importlib.resources.files("flows") / PACKAGE_RESOURCES / name
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    in_clone = PROJECT_ROOT / RESOURCES[name]
    if not in_clone.is_dir():
        raise FileNotFoundError(f"cakupan is installed without its {name} ({packaged}): install the wheel again")
    return in_clone


VIEWS_DIR = resource_dir("views")
STATEMENTS_DIR = resource_dir("statements")
REFERENCE_DIR = resource_dir("reference")

DEFAULT_RAW_DIR = Path("raw")
DEFAULT_WAREHOUSE = Path("warehouse") / "cakupan.duckdb"
DEFAULT_CONFIG_FILE = Path("cakupan.toml")
BANYUMAS_REGENCY_CODE = "33.02"
JAWA_TENGAH_PROVINCE_CODE = "33"

BPJS_FOLDER = re.compile(r"[\w\- ]{1,64}")
REGION_CODE = re.compile(r"\d{2}(\.\d{2})?")
REGION = re.compile(rf"{REGION_CODE.pattern}(,{REGION_CODE.pattern})*")  # '33', '33.02' or '33.01,33.02,33.03'

ENV_PREFIX = "CAKUPAN_"
SECRET_ENV = frozenset({"CAKUPAN_PII_KEY"})  # read where it is used, never stored in Settings
MAX_WORKERS = os.cpu_count() or 1  # more only contend for the cores and multiply memory (0.5 GB each)
MAX_FILE_TIMEOUT = 3600.0  # an hour for one file would already hold a night
MIN_FILE_TIMEOUT = 1.0  # below a second, every file would be rejected: the limit is refused
MAX_FILE_RETRIES = 100
MIN_WORKER_MEMORY_MB = 1024  # a worker's imports alone reserve about 700 MiB of address space
MAX_QUIET_SECONDS = 86_400.0  # a day: longer would leave a nightly run reading nothing new
# a Dask scheduler's address as `dask scheduler` prints it: a protocol (tcp:// if none), a host, and always its port
DASK_ADDRESS = re.compile(r"((tcp|tls|ws|wss)://)?(\[[0-9A-Fa-f:.]+\]|[\w.-]+):\d{1,5}")
MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)  # DuckDB's memory_limit


# Prefect settings cakupan changes unless they are set (read by Prefect at its import)
PREFECT_DEFAULTS = {
    # Prefect's temporary server needs longer than its 20 s default on a cold machine (prefect#16397)
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # no telemetry: an office may be offline
    # a run's process tells the server it is alive every minute, so a killed run is marked Crashed (flows/alerts.py)
    "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "60",
    # a lost server costs a run seconds, not minutes: 2 retries (2 + 4 s) per request instead of 5 (62 s)
    "PREFECT_CLIENT_MAX_RETRIES": "2",
}


def use_prefect_defaults() -> None:
    """Set PREFECT_DEFAULTS where not set already; call before Prefect is imported."""
    for name, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)


def use_own_prefect_home(home: Path) -> None:
    """Give the temporary Prefect server of a run (no PREFECT_API_URL) its own home; call before Prefect is imported.

    Its database then lives in `home`, not in ~/.prefect: a real server on the machine, or
    another Prefect version that migrated ~/.prefect/prefect.db, cannot break it, and a killed
    run never shows as Running in the real server's UI. The user's profiles are still read
    from the home they were in, so a profile naming a server keeps working.
    """
    if "PREFECT_API_URL" in os.environ or "PREFECT_HOME" in os.environ:
        return  # a server is named, or the home is chosen: not cakupan's to change
    os.environ.setdefault("PREFECT_PROFILES_PATH", str(Path.home() / ".prefect" / "profiles.toml"))
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ["PREFECT_HOME"] = str(home.resolve())


class ConfigError(ValueError):
    """A configuration value or key that cannot be used; the message names where it came from."""


# What each setting is for (the `role` in its field's metadata; tests/test_settings.py fails on a field without one):
# FIGURES: a published figure depends on it, so it is in both publishers' fingerprints (a change republishes
# the regency and province warehouses, and re-runs every regency of a province); OPERATION: where files are
# and how a run works, never a figure (the data a run reads or holds is tracked by the state, not here).
FIGURES, OPERATION = "figures", "operation"
ROLES = (FIGURES, OPERATION)


@dataclass(frozen=True)
class Settings:
    """Everything a run can be configured with; each default written here only."""

    raw_dir: Path = field(default=DEFAULT_RAW_DIR, metadata={"role": OPERATION})
    warehouse: Path = field(default=DEFAULT_WAREHOUSE, metadata={"role": OPERATION})
    schedule: str = field(default="0 2 * * *", metadata={"role": OPERATION})
    # the regency's time zone: the schedule's, and the one due dates end in (submission_timeliness)
    timezone: str = field(default="Asia/Jakarta", metadata={"role": FIGURES})
    batch_size: int = field(default=256, metadata={"role": OPERATION})
    provisional_below_pct: float = field(default=80.0, metadata={"role": FIGURES})
    # a province, a regency, or regencies separated by commas
    region: str = field(default=BANYUMAS_REGENCY_CODE, metadata={"role": FIGURES})
    workers: int = field(default=0, metadata={"role": OPERATION})
    # seconds one file may take to read in a worker before the worker is ended and the file rejected: a
    # guard for the machine, applied to files as they are read (a full refresh reads every file again)
    file_timeout_seconds: float = field(default=120.0, metadata={"role": OPERATION})
    # later runs that read again a file whose reading failed for a passing reason (it vanished or changed
    # while read, the time limit, a worker ended); after them its rejection stays (docs/operations.md)
    file_retries: int = field(default=3, metadata={"role": OPERATION})
    # the address space (MiB) the kernel allows each reading worker (RLIMIT_AS): a file that needs more is
    # rejected, not the run (docs/performance.md: a run's peak memory)
    worker_memory_mb: int = field(default=4096, metadata={"role": OPERATION})
    # a file modified this many seconds or less from the run's clock (either side) waits for a later run:
    # it may still be being copied or synced (0: read every file at once)
    quiet_seconds: float = field(default=60.0, metadata={"role": OPERATION})
    # the folder, directly inside each period folder, where the BPJS branch's exports land
    # (raw/<YYYY-MM>/BPJS/, matched without regard to case): only files there are read as exports,
    # and every file there must be one; a file anywhere else is a village's (docs/verification.md)
    bpjs_folder: str = field(default="BPJS", metadata={"role": OPERATION})
    # name of a Prefect Secret block holding the person_id key; empty: $CAKUPAN_PII_KEY, else the key file
    # (the key itself, not where it is kept, is in the fingerprints: flows/store/publish.py)
    pii_key_block: str = field(default="", metadata={"role": OPERATION})
    # a province run (flows/province_run.py): where children stage Parquet (a folder, or s3://bucket/prefix;
    # empty: the folder `staging` beside the warehouse), where each regency keeps its state database
    # (<work_dir>/<regency code>/; empty: the folder `regencies` beside the warehouse; a child writes no
    # regency analyst file), regencies per child run,
    # child runs at once (the workers of the local Dask cluster a run starts when no scheduler is given), and the Dask
    # scheduler whose long-lived workers run the children (tcp://host:8786; empty: a local cluster).
    # A regency run reads its batches on that scheduler's workers too (flows/runtime/warm.py; empty:
    # in its own worker processes, except under `cakupan serve`, which starts a local cluster for them)
    staging_url: str = field(default="", metadata={"role": OPERATION})
    work_dir: str = field(default="", metadata={"role": OPERATION})
    regencies_per_child: int = field(default=0, metadata={"role": OPERATION})  # 0: sized by the cluster (units_of)
    child_concurrency: int = field(default=2, metadata={"role": OPERATION})
    dask_scheduler: str = field(default="", metadata={"role": OPERATION})
    # month-to-month outlier flags (the view `outliers`, docs/operations.md): members or enrolled
    # change by at least this share of the earlier figure and at least this many people (0 turns
    # either condition off; the demo generator's largest natural change is 7 enrolled in a month)
    outlier_min_share: float = field(default=0.3, metadata={"role": FIGURES})
    outlier_min_change: int = field(default=8, metadata={"role": FIGURES})
    # a roster is replaced when at least this share of the earlier roster's people left and as many came
    outlier_replaced_share: float = field(default=0.5, metadata={"role": FIGURES})
    # enrolment drops when at least this many people enrolled before, still on the roster, are not now
    outlier_min_drop: int = field(default=2, metadata={"role": FIGURES})
    # `cakupan sql`: DuckDB's memory limit for the session, the longest a query may run before it is
    # interrupted, and the most rows and bytes of text fetched into Python (docs/analysts.md)
    sql_memory_limit: str = field(default="1GB", metadata={"role": OPERATION})
    sql_timeout_seconds: float = field(default=60.0, metadata={"role": OPERATION})
    sql_max_rows: int = field(default=100_000, metadata={"role": OPERATION})
    sql_max_bytes: int = field(default=64 * 2**20, metadata={"role": OPERATION})

    @property
    def figures(self) -> dict[str, Any]:
        """The settings published figures depend on, by name: what both publishers' fingerprints hold."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.metadata["role"] == FIGURES}

    @property
    def figures_digest(self) -> str:
        """A digest of `figures`: what a regency's staged output records it was published with."""
        return hashlib.sha256(json.dumps(self.figures, sort_keys=True).encode()).hexdigest()

    @property
    def state(self) -> Path:
        """The internal database that holds raw NIKs and run state, beside the analyst warehouse."""
        return state_path_for(self.warehouse)

    @property
    def staging(self) -> str:
        """Where a province's children stage their Parquet: `staging_url`, else a folder beside the warehouse."""
        return self.staging_url or str(self.warehouse.parent / "staging")

    @property
    def regencies_dir(self) -> Path:
        """Where a province's regencies keep their state databases: `work_dir`, else a folder beside the warehouse."""
        return Path(self.work_dir) if self.work_dir else self.warehouse.parent / "regencies"


FIELD_TYPES = {f.name: f.type for f in fields(Settings)}


def region_codes(region: str) -> list[str]:
    """The codes a region names: `33.01,33.02` -> ['33.01', '33.02']."""
    return [code.strip() for code in region.split(",") if code.strip()]


def state_path_for(warehouse: Path) -> Path:
    """The state database that belongs to an analyst warehouse."""
    return warehouse.parent / ".cakupan" / f"{warehouse.stem}.state.duckdb"


def coerce(key: str, value: Any, source: str) -> Any:
    """A raw value as the field's type, or a ConfigError naming the key and its source."""
    kind = FIELD_TYPES[key]
    try:
        typed = as_type(kind, value)
        check_value(key, typed)
        return typed
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{source}: {key} = {written(value)}: {error}") from error


def written(value: Any) -> str:
    """A value as it is written in TOML (true, 1.7, "61 * * * *")."""
    return json.dumps(value) if isinstance(value, bool | int | float | str) else repr(value)


def as_type(kind: object, value: Any) -> Any:
    """`value` as a field of type `kind`; text (from the environment) is parsed, other types must match.

    TOML's `workers = 1.7` or `batch_size = true` are errors, not 1.
    """
    if kind == "Path":
        if not isinstance(value, str | Path) or not str(value):
            raise TypeError("must be a path")
        return Path(value)
    if kind in ("int", "float"):
        number, what = (int, "a whole number") if kind == "int" else (float, "a number")
        if isinstance(value, bool) or not isinstance(value, (int, str) if kind == "int" else (int, float, str)):
            raise TypeError(f"must be {what}")
        try:
            return number(value)
        except ValueError:
            raise ValueError(f"must be {what}") from None
    if not isinstance(value, str):
        raise TypeError("must be text")
    return value


def check_value(key: str, value: Any) -> None:
    """Raise ValueError when a typed value is outside what its key allows."""
    if key == "child_concurrency" and value < 1:
        raise ValueError("must be at least 1")
    if key == "regencies_per_child" and value < 0:
        raise ValueError("must be at least 0 (0: sized by the cluster's worker threads)")
    if key in {"batch_size", "workers"}:
        least = 0 if key == "workers" else 1  # workers = 0: as many as the work and the cores allow
        if value < least:
            raise ValueError(f"must be at least {least}")
    if key == "workers" and value > MAX_WORKERS:
        raise ValueError(f"must be at most {MAX_WORKERS}, the number of cores")
    if key == "file_timeout_seconds" and not MIN_FILE_TIMEOUT <= value <= MAX_FILE_TIMEOUT:
        raise ValueError(f"must be from {MIN_FILE_TIMEOUT:g} to {MAX_FILE_TIMEOUT:g} seconds")
    if key == "worker_memory_mb" and value < MIN_WORKER_MEMORY_MB:
        raise ValueError(f"must be at least {MIN_WORKER_MEMORY_MB} (MiB)")
    if key == "file_retries" and not 0 <= value <= MAX_FILE_RETRIES:
        raise ValueError(f"must be from 0 to {MAX_FILE_RETRIES}")
    if key == "quiet_seconds" and not 0 <= value <= MAX_QUIET_SECONDS:
        raise ValueError(f"must be from 0 to {MAX_QUIET_SECONDS:g} seconds (a day)")
    if key == "sql_memory_limit" and not MEMORY_SIZE.fullmatch(value.strip()):
        raise ValueError("must be a size such as 512MB or 2GB")
    if key in {"sql_max_rows", "sql_max_bytes"} and value < 1:
        raise ValueError("must be at least 1")
    if key == "sql_timeout_seconds" and not 0 < value <= MAX_FILE_TIMEOUT:
        raise ValueError(f"must be more than 0 and at most {MAX_FILE_TIMEOUT:g} seconds")
    if key in {"outlier_min_share", "outlier_replaced_share"} and not 0 <= value <= 1:
        raise ValueError("must be a share from 0 to 1 (0.3 is 30%)")
    if key in {"outlier_min_change", "outlier_min_drop"} and value < 0:
        raise ValueError("must be at least 0")
    if key == "provisional_below_pct" and not 0 <= value <= 100:
        raise ValueError("must be a percentage from 0 to 100")
    if key == "bpjs_folder" and not BPJS_FOLDER.fullmatch(value):
        raise ValueError("must be one folder name (letters, digits, spaces, '_' or '-'), such as BPJS")
    if key == "region" and not REGION.fullmatch(value.replace(" ", "")):
        raise ValueError("must be a Kemendagri province or regency code such as 33 or 33.02, or a list: 33.01,33.02")
    if (
        key == "dask_scheduler"
        and value
        and not (DASK_ADDRESS.fullmatch(value) and int(value.rsplit(":", 1)[1]) < 65536)
    ):
        raise ValueError("must be a Dask scheduler's address with its port, such as tcp://10.0.0.5:8786")
    if key == "schedule":
        try:
            CronSim(value, datetime(2024, 1, 1))
        except CronSimError as error:
            raise ValueError(f"not a cron expression: {error}") from None
    if key == "timezone":
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA time zone such as Asia/Jakarta") from None


def checked(values: dict[str, Any], source: str) -> dict[str, Any]:
    """Values with known keys only, coerced to their types."""
    unknown = sorted(set(values) - set(FIELD_TYPES))
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {', '.join(unknown)}; known: {', '.join(FIELD_TYPES)}")
    return {key: coerce(key, value, source) for key, value in values.items()}


def from_file(path: Path | None) -> dict[str, Any]:
    """Settings from a TOML file (the default file only if it exists)."""
    if path is None:
        path = DEFAULT_CONFIG_FILE
        if not path.exists():
            return {}
    try:
        return checked(tomllib.loads(path.read_text()), str(path))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from error


def from_environment(environ: dict[str, str]) -> dict[str, Any]:
    """Settings from CAKUPAN_* environment variables (`CAKUPAN_BATCH_SIZE=32`)."""
    values = {
        name.removeprefix(ENV_PREFIX).lower(): value
        for name, value in environ.items()
        if name.startswith(ENV_PREFIX) and name not in SECRET_ENV
    }
    return checked(values, "environment (CAKUPAN_*)")


def load_settings(config_file: Path | None = None, environ: dict[str, str] | None = None, **flags: Any) -> Settings:
    """Defaults, then the TOML file, then the environment, then flags that were given (not None)."""
    settings = Settings()
    for layer in (
        from_file(config_file),
        from_environment(dict(os.environ) if environ is None else environ),
        checked({key: value for key, value in flags.items() if value is not None}, "command line"),
    ):
        settings = replace(settings, **layer)
    return settings
