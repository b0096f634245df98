"""Where things live and how a run is configured: the one place that knows paths and settings.

Precedence, highest first: command-line flags, `CAKUPAN_*` environment variables,
`cakupan.toml` (in the working directory, or `--config PATH`), built-in defaults.
Unknown keys are rejected, never silently ignored.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
import zoneinfo
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from cronsim import CronSim, CronSimError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = PROJECT_ROOT / "raw" / "reference"
VIEWS_DIR = PROJECT_ROOT / "warehouse" / "views"
STATEMENTS_DIR = PROJECT_ROOT / "warehouse" / "statements"

DEFAULT_RAW_DIR = Path("raw")
DEFAULT_WAREHOUSE = Path("warehouse") / "cakupan.duckdb"
DEFAULT_CONFIG_FILE = Path("cakupan.toml")
DEFAULT_WORK_DIR = Path("warehouse") / "regencies"
BANYUMAS_REGENCY_CODE = "33.02"
JAWA_TENGAH_PROVINCE_CODE = "33"

REGION_CODE = re.compile(r"\d{2}(\.\d{2})?")
REGION = re.compile(rf"{REGION_CODE.pattern}(,{REGION_CODE.pattern})*")  # '33', '33.02' or '33.01,33.02,33.03'

ENV_PREFIX = "CAKUPAN_"
SECRET_ENV = frozenset({"CAKUPAN_PII_KEY"})  # read where it is used, never stored in Settings
MAX_WORKERS = os.cpu_count() or 1  # more only contend for the cores and multiply memory (0.5 GB each)
MAX_FILE_TIMEOUT = 3600.0  # an hour for one file would already hold a night


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


@dataclass(frozen=True)
class Settings:
    """Everything a run can be configured with."""

    raw_dir: Path = DEFAULT_RAW_DIR
    warehouse: Path = DEFAULT_WAREHOUSE
    schedule: str = "0 2 * * *"
    timezone: str = "Asia/Jakarta"
    batch_size: int = 256
    provisional_below_pct: float = 80.0
    region: str = BANYUMAS_REGENCY_CODE  # a province, a regency, or regencies separated by commas
    workers: int = 0
    # seconds one file may take to read in a worker before the worker is ended and the file rejected
    file_timeout_seconds: float = 120.0
    # name of a Prefect Secret block holding the person_id key; empty: $CAKUPAN_PII_KEY, else the key file
    pii_key_block: str = ""
    # a province run (flows/province.py): where children stage Parquet (a folder, or s3://bucket/prefix;
    # empty: the folder `staging` beside the warehouse), where each regency keeps its state and
    # warehouse (<work_dir>/<regency code>/), regencies per child run, child runs at once
    staging_url: str = ""
    work_dir: Path = DEFAULT_WORK_DIR
    regencies_per_child: int = 1
    child_concurrency: int = 2
    # month-to-month outlier flags (the view `outliers`, docs/operations.md): members or enrolled
    # change by at least this share of the earlier figure and at least this many people (0 turns
    # either condition off; the demo generator's largest natural change is 7 enrolled in a month)
    outlier_min_share: float = 0.3
    outlier_min_change: int = 8
    # a roster is replaced when at least this share of the earlier roster's people left and as many came
    outlier_replaced_share: float = 0.5
    # enrolment drops when at least this many people enrolled before, still on the roster, are not now
    outlier_min_drop: int = 2

    @property
    def state(self) -> Path:
        """The internal database that holds raw NIKs and run state, beside the analyst warehouse."""
        return state_path_for(self.warehouse)

    @property
    def staging(self) -> str:
        """Where a province's children stage their Parquet: `staging_url`, else a folder beside the warehouse."""
        return self.staging_url or str(self.warehouse.parent / "staging")


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
    if key in {"regencies_per_child", "child_concurrency"} and value < 1:
        raise ValueError("must be at least 1")
    if key in {"batch_size", "workers"}:
        least = 0 if key == "workers" else 1  # workers = 0: as many as the work and the cores allow
        if value < least:
            raise ValueError(f"must be at least {least}")
    if key == "workers" and value > MAX_WORKERS:
        raise ValueError(f"must be at most {MAX_WORKERS}, the number of cores")
    if key == "file_timeout_seconds" and not 0 < value <= MAX_FILE_TIMEOUT:
        raise ValueError(f"must be more than 0 and at most {MAX_FILE_TIMEOUT:g} seconds")
    if key in {"outlier_min_share", "outlier_replaced_share"} and not 0 <= value <= 1:
        raise ValueError("must be a share from 0 to 1 (0.3 is 30%)")
    if key in {"outlier_min_change", "outlier_min_drop"} and value < 0:
        raise ValueError("must be at least 0")
    if key == "provisional_below_pct" and not 0 <= value <= 100:
        raise ValueError("must be a percentage from 0 to 100")
    if key == "region" and not REGION.fullmatch(value.replace(" ", "")):
        raise ValueError("must be a Kemendagri province or regency code such as 33 or 33.02, or a list: 33.01,33.02")
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
