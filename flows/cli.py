"""The `cakupan` command line."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from flows.settings import ConfigError, Settings, load_settings

# Prefect's temporary server needs longer than its 20 s default on a cold machine (prefect#16397).
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

app = typer.Typer(
    help="cakupan: BPJS Ketenagakerjaan (Jamsostek) coverage of village government in Kabupaten Banyumas.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()

RawOption = Annotated[
    Path | None, typer.Option("--raw", help="Landing zone: raw/<YYYY-MM>/... village files. [default: raw]")
]
WarehouseOption = Annotated[
    Path | None,
    typer.Option("--warehouse", help="Analyst warehouse (DuckDB file) to publish. [default: warehouse/cakupan.duckdb]"),
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Settings file. [default: ./cakupan.toml if present]")
]
BatchOption = Annotated[
    int | None, typer.Option("--batch-size", help="Most files per batch (they are split evenly). [default: 256]")
]
WorkersOption = Annotated[
    int | None, typer.Option("--workers", help="Worker processes; 0 = one per core when there is enough work.")
]


def settings_or_exit(config: Path | None, **flags: Any) -> Settings:
    """Settings from flags, CAKUPAN_* variables and cakupan.toml; a bad value ends the command with its reason."""
    try:
        return load_settings(config, **flags)
    except ConfigError as error:
        typer.echo(f"cakupan: configuration error: {error}", err=True)
        raise typer.Exit(2) from error


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


def run_flow(settings: Settings, full_refresh: bool = False, period: str | None = None) -> None:
    """Run the nightly flow once and print coverage; exit non-zero with one line when the run fails."""
    from prefect.settings import get_current_settings

    from flows.batches import start_forkserver
    from flows.nightly import nightly

    if settings.workers != 1 and (os.cpu_count() or 1) > 1:
        start_forkserver()  # workers' imports overlap Prefect's start-up

    started = time.perf_counter()
    try:
        summary = nightly(
            raw_dir=settings.raw_dir,
            warehouse=settings.warehouse,
            full_refresh=full_refresh,
            period=period,
            batch_size=settings.batch_size,
            provisional_below_pct=settings.provisional_below_pct,
            region=settings.region,
            workers=settings.workers,
        )
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
        f"{counts['rows_skipped']:,} skipped. Warehouse: {settings.warehouse}"
    )
    overhead = time.perf_counter() - started - summary.seconds
    server = get_current_settings().api.url
    console.print(
        f"time: pipeline {summary.seconds:.1f} s, Prefect {overhead:.1f} s "
        f"({f'server at {server}' if server else 'a temporary server was started; set PREFECT_API_URL to reuse one'})"
    )


@app.command()
def run(
    raw: RawOption = None,
    warehouse: WarehouseOption = None,
    config: ConfigOption = None,
    batch_size: BatchOption = None,
    workers: WorkersOption = None,
    full_refresh: Annotated[bool, typer.Option(help="Forget what was ingested and read every file again.")] = False,
    period: Annotated[str | None, typer.Option(help="With --full-refresh: only this period (YYYY-MM).")] = None,
) -> None:
    """Run the nightly flow once over a landing zone and publish the warehouse."""
    if period is not None and not full_refresh:
        typer.echo("cakupan: --period only applies with --full-refresh", err=True)
        raise typer.Exit(2)
    settings = settings_or_exit(config, raw_dir=raw, warehouse=warehouse, batch_size=batch_size, workers=workers)
    run_flow(settings, full_refresh, period)


@app.command()
def demo(
    raw: RawOption = None,
    warehouse: WarehouseOption = None,
    config: ConfigOption = None,
    seed: Annotated[int, typer.Option(help="Seed of the demo generator.")] = 42,
) -> None:
    """Write the Banyumas demo landing zone (2024-01 to 2024-04, 331 villages) and run the flow on it."""
    from flows.generate import write_landing_zone

    settings = settings_or_exit(config, raw_dir=raw, warehouse=warehouse)
    started = time.perf_counter()
    with console.status("writing the demo landing zone"):
        write_landing_zone(settings.raw_dir, seed=seed)
    console.print(f"demo landing zone written to {settings.raw_dir} in {time.perf_counter() - started:.1f} s")
    run_flow(settings)


@app.command()
def serve(
    raw: RawOption = None,
    warehouse: WarehouseOption = None,
    config: ConfigOption = None,
    schedule: Annotated[str | None, typer.Option(help="Cron schedule. [default: 0 2 * * *]")] = None,
    timezone: Annotated[str | None, typer.Option(help="Time zone of the schedule. [default: Asia/Jakarta]")] = None,
) -> None:
    """Serve the `nightly` deployment on its cron schedule until stopped (needs a Prefect server)."""
    from prefect import serve as prefect_serve

    from flows.nightly import deployment

    settings = settings_or_exit(config, raw_dir=raw, warehouse=warehouse, schedule=schedule, timezone=timezone)
    prefect_serve(deployment(settings))


@app.command()
def rejects(
    out: Annotated[Path, typer.Option("--out", help="Folder for the workbooks (one per village).")],
    period: Annotated[str | None, typer.Option(help="Only this period (YYYY-MM).")] = None,
    village: Annotated[str | None, typer.Option(help="Only this village code (33.02.17.2008).")] = None,
    warehouse: WarehouseOption = None,
    config: ConfigOption = None,
) -> None:
    """Write one corrections workbook per village: its rejected and warned rows, with reasons in Indonesian."""
    from flows.reference import load_villages
    from flows.rejects import StateBusyError, write_rejects

    settings = settings_or_exit(config, warehouse=warehouse)
    if not settings.state.exists():
        typer.echo(f"cakupan: no state database at {settings.state}; run `cakupan run` first", err=True)
        raise typer.Exit(1)
    try:
        written = write_rejects(settings.state, load_villages(region=settings.region), out, period, village)
    except StateBusyError as error:
        typer.echo(f"cakupan rejects failed: {error}", err=True)
        raise typer.Exit(1) from error
    console.print(f"{len(written)} workbook(s) written to {out}")


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="A SQL query on the warehouse (read-only).")],
    warehouse: WarehouseOption = None,
    config: ConfigOption = None,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
) -> None:
    """Run a read-only query on the warehouse and print the result."""
    import duckdb

    settings = settings_or_exit(config, warehouse=warehouse)
    try:
        with duckdb.connect(str(settings.warehouse), read_only=True) as con:
            result = con.sql(query)
            columns, rows = result.columns, result.fetchall()
    except duckdb.Error as error:
        typer.echo(f"cakupan sql failed: {' '.join(str(error).split())}", err=True)
        raise typer.Exit(1) from error
    if csv:
        typer.echo(pl.DataFrame(rows, schema=columns, orient="row", infer_schema_length=None).write_csv(), nl=False)
        return
    table = Table(*columns)
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    console.print(table)


@app.command()
def report(
    period: Annotated[str, typer.Option(help="Month to report (YYYY-MM).")],
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("report.html"),
    warehouse: WarehouseOption = None,
    config: ConfigOption = None,
) -> None:
    """Write one self-contained HTML page (works offline) with the period's coverage, trend, completeness,
    target, budget gap and worst data-quality villages."""
    import duckdb

    from flows.report import write_report

    settings = settings_or_exit(config, warehouse=warehouse)
    try:
        written = write_report(settings.warehouse, period, out)
    except (ValueError, duckdb.Error) as error:
        typer.echo(f"cakupan report failed: {' '.join(str(error).split())}", err=True)
        raise typer.Exit(1) from error
    console.print(f"report written to {written}")
