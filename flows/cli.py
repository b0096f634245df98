"""The `cakupan` command line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from flows.settings import DEFAULT_RAW_DIR, DEFAULT_WAREHOUSE

# Prefect's temporary server needs longer than its 20 s default on a cold machine (prefect#16397).
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

app = typer.Typer(
    help="cakupan: BPJS Ketenagakerjaan (Jamsostek) coverage of village government in Kabupaten Banyumas.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()

RawOption = Annotated[Path, typer.Option("--raw", help="Landing zone: raw/<YYYY-MM>/... village files.")]
WarehouseOption = Annotated[Path, typer.Option("--warehouse", help="Analyst warehouse (DuckDB file) to publish.")]


def print_coverage(coverage: pl.DataFrame) -> None:
    """Coverage by group as a table on the terminal."""
    table = Table(title="Coverage by group (coverage_by_group)")
    for column in ("period", "group_code", "members", "enrolled", "coverage_pct"):
        table.add_column(column, justify="right" if column in {"members", "enrolled", "coverage_pct"} else "left")
    for row in coverage.iter_rows(named=True):
        table.add_row(
            row["period"],
            row["group_code"],
            f"{row['members']:,}",
            f"{row['enrolled']:,}",
            f"{row['coverage_pct']:.1f}",
        )
    console.print(table)


def run_flow(raw: Path, warehouse: Path, full_refresh: bool = False, period: str | None = None) -> None:
    """Run the nightly flow once and print coverage; exit non-zero with one line when the run fails."""
    from flows.nightly import nightly

    try:
        summary = nightly(raw_dir=raw, warehouse=warehouse, full_refresh=full_refresh, period=period)
    except Exception as error:
        reason = " ".join(str(error).split())
        typer.echo(f"cakupan run failed: {type(error).__name__}: {reason}", err=True)
        raise typer.Exit(1) from error
    print_coverage(summary.coverage)
    counts = summary.counts
    console.print(
        f"files: {counts['files_loaded']} loaded, {counts['files_rejected']} rejected, "
        f"{counts['files_superseded']} superseded, {counts['files_ignored']} ignored; "
        f"this run: {counts['rows_loaded']:,} rows loaded, {counts['rows_rejected']:,} rejected, "
        f"{counts['rows_skipped']:,} skipped. Warehouse: {warehouse}"
    )


@app.command()
def run(
    raw: RawOption = DEFAULT_RAW_DIR,
    warehouse: WarehouseOption = DEFAULT_WAREHOUSE,
    full_refresh: Annotated[bool, typer.Option(help="Forget what was ingested and read every file again.")] = False,
    period: Annotated[str | None, typer.Option(help="With --full-refresh: only this period (YYYY-MM).")] = None,
) -> None:
    """Run the nightly flow once over a landing zone and publish the warehouse."""
    run_flow(raw, warehouse, full_refresh, period)


@app.command()
def demo(
    raw: RawOption = DEFAULT_RAW_DIR,
    warehouse: WarehouseOption = DEFAULT_WAREHOUSE,
    seed: Annotated[int, typer.Option(help="Seed of the demo generator.")] = 42,
) -> None:
    """Write the Banyumas demo landing zone (2024-01 to 2024-04, 331 villages) and run the flow on it."""
    from flows.generate import write_landing_zone

    with console.status("writing the demo landing zone"):
        write_landing_zone(raw, seed=seed)
    run_flow(raw, warehouse)
