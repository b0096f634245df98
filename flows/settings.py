"""Where things live: the one place that knows the project's paths."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = PROJECT_ROOT / "raw" / "reference"
VIEWS_DIR = PROJECT_ROOT / "warehouse" / "views"
STATEMENTS_DIR = PROJECT_ROOT / "warehouse" / "statements"

DEFAULT_RAW_DIR = Path("raw")
DEFAULT_WAREHOUSE = Path("warehouse") / "cakupan.duckdb"

BANYUMAS_REGENCY_CODE = "33.02"


def state_path_for(warehouse: Path) -> Path:
    """The internal database that holds raw NIKs and run state, beside the analyst warehouse."""
    return warehouse.parent / ".cakupan" / f"{warehouse.stem}.state.duckdb"
