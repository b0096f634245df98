"""The `cakupan` command line."""

from __future__ import annotations

import contextlib
import logging
import os
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from flows.ingest.discover import DEMO_MARK, PERIOD_FOLDER
from flows.privacy import mask_text
from flows.run_options import RunFailedError, RunOptions, one_line
from flows.settings import (
    DEFAULT_CONFIG_FILE,
    DEFAULT_WAREHOUSE,
    PROJECT_ROOT,
    REFERENCE_DIR,
    ConfigError,
    Settings,
    load_settings,
    use_prefect_defaults,
)
from flows.store.paths import check_outside

if TYPE_CHECKING:
    from flows.outputs.workbook import Layout
    from flows.store.periods import Actor, Scope

app = typer.Typer(
    help="cakupan: BPJS Ketenagakerjaan (Jamsostek) coverage of village government in Kabupaten Banyumas.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
TABLE_WIDTH = 160  # a log or pipe, not a terminal: rich's 80 columns there cut the coverage table's headers


@app.callback()
def main() -> None:
    """Before any command: Prefect's settings that cakupan changes (Prefect reads them when imported)."""
    use_prefect_defaults()


RawOption = Annotated[
    Path | None,
    typer.Option(
        "--raw", help=f"Landing zone: raw/<YYYY-MM>/... village files. [default: {Settings.raw_dir}]", readable=False
    ),
]
WarehouseOption = Annotated[
    Path | None,
    typer.Option(
        "--warehouse",
        help=f"Analyst warehouse (DuckDB file) to publish. [default: {Settings.warehouse}]",
        readable=False,
    ),
]
ReadWarehouseOption = Annotated[
    Path | None,
    typer.Option(
        "--warehouse", help=f"Analyst warehouse (DuckDB file) to read. [default: {Settings.warehouse}]", readable=False
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help=f"Settings file. [default: ./{DEFAULT_CONFIG_FILE} if present]", readable=False),
]
BatchOption = Annotated[
    int | None,
    typer.Option(
        "--batch-size", help=f"Most files per batch (they are split evenly). [default: {Settings.batch_size}]"
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        help="Worker processes that read the files (at least one); 0 = one per core when there is enough work.",
    ),
]


VerboseOption = Annotated[bool, typer.Option("--verbose", help="Print the traceback of a failure.")]


def valid_period(value: str | None) -> str | None:
    """A period option: a month written YYYY-MM, as the landing zone's folders are."""
    if value is not None and not PERIOD_FOLDER.fullmatch(value):
        raise typer.BadParameter(f"{value!r} is not a month written YYYY-MM, such as 2024-04")
    return value


def valid_status(value: str) -> str:
    """A follow-up status: a word the view outliers shows (dijelaskan) or its English code (explained)."""
    from flows.store.periods import FOLLOW_UP_STATUSES, PeriodActionError, stored_status

    try:
        stored_status(value)
    except PeriodActionError as error:
        raise typer.BadParameter(f"{value!r}: write {', '.join(FOLLOW_UP_STATUSES)} (or its English code)") from error
    return value


def valid_lang(value: str) -> str:
    """The report's language: id (Bahasa Indonesia, the default) or en."""
    if value not in ("id", "en"):
        raise typer.BadParameter(f"{value!r}: write id (Bahasa Indonesia) or en (English)")
    return value


def given(**flags: Any) -> dict[str, Any]:
    """The flags the user gave (not None)."""
    return {key: value for key, value in flags.items() if value is not None}


def settings_or_exit(config: Path | None, **flags: Any) -> Settings:
    """Settings from flags, CAKUPAN_* variables and cakupan.toml; a bad value ends the command with its reason."""
    try:
        return load_settings(config, **flags)
    except ConfigError as error:
        typer.echo(f"cakupan: configuration error: {error}", err=True)
        raise typer.Exit(2) from error


def print_coverage(coverage: pl.DataFrame) -> None:
    """Coverage by group as a table on the terminal, reported beside verified (a dash: no BPJS export)."""
    from flows.outputs.summary import shown

    table = Table(title="Coverage by group: reported by villages (coverage_by_group) and verified by BPJS")
    for column in ("period", "group_code", "members", "enrolled", "coverage_pct", "verified", "verified_pct"):
        table.add_column(column, justify="left" if column in {"period", "group_code"} else "right")
    for row in coverage.iter_rows(named=True):
        table.add_row(
            row["period"],
            row["group_code"],
            f"{row['members']:,}",
            f"{row['enrolled']:,}",
            f"{row['coverage_pct']:.1f}",
            shown(row["verified"]),
            shown(row["verified_pct"]),
        )
    (console if console.is_terminal else Console(width=TABLE_WIDTH, file=console.file)).print(table)


def fail(reason: object, error: BaseException | None = None, verbose: bool = False, command: str = "run") -> NoReturn:
    """End a failed command with one line on stderr (and the traceback only when asked for)."""
    if verbose and error is not None:
        traceback.print_exception(error)
    typer.echo(
        f"cakupan {command} failed: {one_line(reason) if isinstance(reason, BaseException) else reason}", err=True
    )
    raise typer.Exit(1)


@contextmanager
def one_line_failures(command: str) -> Iterator[None]:
    """Expected failures of a reading or writing command (a path, a query, a busy state) end it in one line."""
    import duckdb

    from flows.store.state_db import RunInProgressError

    try:
        yield
    except (OSError, ValueError, duckdb.Error, pl.exceptions.PolarsError, RunInProgressError) as error:
        fail(error, command=command)


def run_flow(
    settings: Settings,
    options: RunOptions,
    flags: dict[str, Any],
    config: Path | None,
    verbose: bool = False,
    before_run: float = 0.0,
) -> None:
    """Run the nightly flow once (flows/launch.py) and print coverage; exit 1 with one line when the run fails.

    `before_run`: seconds the command spent on its own work first (the demo's landing zone, timed on its own line),
    left out of the start-up the time line shows."""
    from flows.launch import launch

    started = max(started_seconds_ago() - before_run, 0.0)  # the interpreter and the imports, before the run
    try:
        launched = launch(settings, options, flags, config, console.print)
    except RunFailedError as error:
        fail(error)
    except Exception as error:
        fail(error, error, verbose)
    if launched.summary is None:
        console.print(
            f"[bold yellow]warning:[/] run {launched.completed_run} completed and published {settings.warehouse}, but "
            f"Prefect could not record it ({launched.prefect_error}): its state in the Prefect UI may be wrong",
            soft_wrap=True,  # one line in a log
        )
        return
    summary = launched.summary
    print_coverage(summary.coverage)
    for warning in summary.warnings:
        console.print(f"[bold yellow]warning:[/] {escape(warning)}")  # a folder name is no markup
    counts = summary.counts
    console.print(
        f"files: {counts['files_loaded']} loaded, {counts['files_rejected']} rejected, "
        f"{counts['files_superseded']} superseded, {counts['files_ignored']} ignored"
        f"{f', {held} held for a closed period' if (held := counts.get('files_pending')) else ''}; "
        f"this run: {counts['rows_loaded']:,} rows loaded, {counts['rows_rejected']:,} rejected, "
        f"{counts['rows_skipped']:,} skipped; {counts['files_vanished']} vanished; "
        f"{counts['villages_missing']} villages sent nothing for the newest period. Warehouse: {settings.warehouse}"
    )
    overhead, server = launched.seconds - summary.seconds, launched.server
    console.print(
        f"time: start-up {started:.1f} s, pipeline {summary.seconds:.1f} s, Prefect {overhead:.1f} s "
        f"({f'server at {server}' if server else 'a temporary server was started; set PREFECT_API_URL to reuse one'})",
        soft_wrap=True,  # one line in a log
    )


def started_seconds_ago() -> float:
    """Seconds since this process started (Python's start and the imports, on a busy machine most of a run's wall
    time): the line's parts then add up to what a clock measured."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        since_boot = float(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(uptime - since_boot, 0.0)
    return 0.0


@app.command()
def run(
    raw: RawOption = None,
    warehouse: WarehouseOption = None,
    config: ConfigOption = None,
    batch_size: BatchOption = None,
    workers: WorkersOption = None,
    full_refresh: Annotated[bool, typer.Option(help="Forget what was ingested and read every file again.")] = False,
    period: Annotated[
        str | None, typer.Option(help="With --full-refresh: only this period (YYYY-MM).", callback=valid_period)
    ] = None,
    allow_empty: Annotated[
        bool, typer.Option(help="An empty landing zone or newest period, or vanished files, are expected.")
    ] = False,
    rekey: Annotated[
        bool, typer.Option(help="The person_id key changed on purpose: republish every person_id with the new one.")
    ] = False,
    verbose: VerboseOption = False,
) -> None:
    """Run the nightly flow once over a landing zone and publish the warehouse.

    Example: cakupan run --raw /srv/cakupan/raw --warehouse /srv/cakupan/warehouse/cakupan.duckdb
    """
    if period is not None and not full_refresh:
        typer.echo("cakupan: --period only applies with --full-refresh", err=True)
        raise typer.Exit(2)
    flags = given(raw_dir=raw, warehouse=warehouse, batch_size=batch_size, workers=workers)
    settings = settings_or_exit(config, **flags)
    run_flow(settings, RunOptions(full_refresh, period, allow_empty, rekey), flags, config, verbose)


DEMO_RAW = PROJECT_ROOT / "raw"  # the clone's landing zone, around its raw/reference/ (REFERENCE_DIR)
DEMO_WAREHOUSE = PROJECT_ROOT / DEFAULT_WAREHOUSE


def refuse_foreign_zone(raw: Path) -> None:
    """End the command when `raw`, given by --raw, holds files the demo did not write (a real landing zone): it
    would mix its invented villages into them and overwrite a real file of the same name. The clone's own raw/
    is the demo's (an earlier demo may have filled it without a mark); a zone the demo wrote holds its mark."""
    if raw.resolve() == DEMO_RAW.resolve() or not raw.is_dir() or (raw / DEMO_MARK).exists():
        return
    foreign = sorted(entry.name for entry in raw.iterdir() if entry.resolve() != REFERENCE_DIR.resolve())
    if foreign:
        typer.echo(
            f"cakupan demo: {mask_text(str(raw))} holds files the demo did not write ({mask_text(foreign[0])}, ...); "
            "it writes its invented villages only into an empty folder or one it wrote before: give --raw a new "
            "folder (and --warehouse), or move those files",
            err=True,
        )
        raise typer.Exit(2)


@app.command()
def demo(
    raw: RawOption = None,
    warehouse: WarehouseOption = None,
    config: ConfigOption = None,
    seed: Annotated[int, typer.Option(help="Seed of the demo generator.")] = 42,
) -> None:
    """Write the Banyumas demo landing zone (2024-01 to 2024-04, 331 villages, with the BPJS branch's exports) and run
    the flow on it."""
    try:  # tools/ is not product: it is in a clone of the repository, not in the wheel
        from tools.generate import write_landing_zone
    except ModuleNotFoundError as error:
        typer.echo("cakupan demo runs from a clone of the repository: its tools/ folder writes the demo data", err=True)
        raise typer.Exit(1) from error

    # the clone's own folders unless given here: never the raw_dir or warehouse of cakupan.toml or CAKUPAN_*,
    # which may be a real landing zone and warehouse
    flags = {"raw_dir": raw or DEMO_RAW, "warehouse": warehouse or DEMO_WAREHOUSE}
    settings = settings_or_exit(config, **flags)
    refuse_foreign_zone(settings.raw_dir)
    started = time.perf_counter()
    with console.status("writing the demo landing zone"):
        settings.raw_dir.mkdir(parents=True, exist_ok=True)
        (settings.raw_dir / DEMO_MARK).write_text("written by cakupan demo\n")  # first: a demo cut short may go on
        write_landing_zone(settings.raw_dir, seed=seed, bpjs_exports=True)
    writing = time.perf_counter() - started
    console.print(f"demo landing zone written to {settings.raw_dir} in {writing:.1f} s")
    os.environ.setdefault("CAKUPAN_QUIET_SECONDS", "0")  # the files were just written, whole, by this command
    run_flow(settings, RunOptions(), flags, config, before_run=writing)


def prefect_server_or_exit(command: str) -> None:
    """End a command that needs a running Prefect server in one line when none is set (Prefect would start a
    temporary one of its own, in ~/.prefect, gone when the command ends) or the one set does not answer."""
    from prefect.client.orchestration import get_client
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        typer.echo(
            f"cakupan {command} needs a Prefect server: set PREFECT_API_URL (as http://127.0.0.1:4200/api; "
            "docs/operations.md starts one)",
            err=True,
        )
        raise typer.Exit(2)
    with get_client(sync_client=True) as client:  # Prefect's own settings: certificates, TLS, an API key
        error = client.api_healthcheck()
    if error is not None:
        fail(f"no Prefect server answers at {url} ({one_line(error)}): is it running?", command=command)


@app.command()
def serve(
    raw: RawOption = None,
    warehouse: WarehouseOption = None,
    config: ConfigOption = None,
    schedule: Annotated[str | None, typer.Option(help=f"Cron schedule. [default: {Settings.schedule}]")] = None,
    timezone: Annotated[
        str | None, typer.Option(help=f"Time zone of the schedule. [default: {Settings.timezone}]")
    ] = None,
) -> None:
    """Serve the `nightly` deployment on its cron schedule until stopped (needs a Prefect server).

    Each run reads its files on a Dask worker that stays warm between runs: the `dask_scheduler`'s, else one this
    command starts on this machine for as long as it serves.

    Example: PREFECT_API_URL=http://127.0.0.1:4200/api cakupan serve --raw /srv/cakupan/raw
    """
    settings = settings_or_exit(config, raw_dir=raw, warehouse=warehouse, schedule=schedule, timezone=timezone)
    prefect_server_or_exit("serve")  # before a Dask cluster is started for it
    from prefect import serve as prefect_serve

    from flows.regency_flow import deployment
    from flows.runtime.warm import local_cluster

    # Prefect 3.8's SIGTERM handler calls an async stop without awaiting it: its warning is noise in the service log
    warnings.filterwarnings("ignore", message="coroutine 'Runner.astop' was never awaited")
    with contextlib.ExitStack() as serving:
        if not settings.dask_scheduler:  # the flow runs Prefect spawns find the cluster in their environment
            os.environ["CAKUPAN_DASK_SCHEDULER"] = serving.enter_context(local_cluster())
            console.print(f"files are read on a local Dask worker, scheduler {os.environ['CAKUPAN_DASK_SCHEDULER']}")
        prefect_serve(deployment(settings, config), pause_on_shutdown=False)  # a restart keeps the schedule going


@app.command()
def province(
    raw: Annotated[
        Path | None,
        typer.Option(
            "--raw", help="Folder of landing zones, one per regency code: <raw>/33.02/<YYYY-MM>/...", readable=False
        ),
    ] = None,
    warehouse: WarehouseOption = None,
    config: ConfigOption = None,
    region: Annotated[str | None, typer.Option(help="Province or regencies: 33, or 33.01,33.02.")] = None,
    staging: Annotated[
        str | None, typer.Option(help="Where each regency's run stages Parquet: a folder or s3://bucket/prefix.")
    ] = None,
    work_dir: Annotated[
        str | None,
        typer.Option(help="Where each regency keeps its state database (default: regencies/ beside the warehouse)."),
    ] = None,
    regencies_per_child: Annotated[
        int | None, typer.Option(help="Regencies a unit (0: about six units for each worker thread).")
    ] = None,
    child_concurrency: Annotated[
        int | None, typer.Option(help="Units at once on a local cluster (no --dask-scheduler).")
    ] = None,
    dask_scheduler: Annotated[
        str | None,
        typer.Option(help="The Dask scheduler whose workers run the units (tcp://host:8786); else a local cluster."),
    ] = None,
    in_process: Annotated[
        bool, typer.Option(help="Run every regency in this process, without Prefect or Dask.")
    ] = False,
    allow_empty: Annotated[bool, typer.Option(help="An empty landing zone or newest period is expected.")] = False,
    rekey: Annotated[
        bool,
        typer.Option(help="The person_id key changed on purpose: run every regency and republish with the new key."),
    ] = False,
    verbose: VerboseOption = False,
) -> None:
    """Run each changed regency, in units on a Dask cluster's long-lived workers, and publish the province warehouse.

    Example: cakupan province --raw /srv/zones --region 33 --staging s3://cakupan/staging --warehouse jateng.duckdb
    """
    flags = given(
        raw_dir=raw,
        warehouse=warehouse,
        region=region,
        staging_url=staging,
        work_dir=work_dir,
        regencies_per_child=regencies_per_child,
        child_concurrency=child_concurrency,
        dask_scheduler=dask_scheduler,
    )
    settings = settings_or_exit(config, **flags)
    from flows.province_run import run_province, summary_line

    started = time.perf_counter()
    try:
        if in_process:
            options = RunOptions(allow_empty=allow_empty, rekey=rekey)
            summary = run_province(settings, f"province-{uuid.uuid4()}", options)
        else:
            from flows.province_flow import province as province_flow

            outcome = province_flow(config=config, allow_empty=allow_empty, rekey=rekey, **flags)
            if not hasattr(outcome, "chunks"):
                fail(getattr(outcome, "message", outcome), command="province")
            summary = outcome
    except RunFailedError as error:
        fail(error, command="province")
    except Exception as error:
        fail(error, error, verbose, command="province")
    took = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in summary.seconds.items())
    console.print(
        f"{summary_line(summary)}; {time.perf_counter() - started:.1f} s ({took}). Warehouse: {settings.warehouse}"
    )


@app.command()
def alerts(
    webhook_url: Annotated[str, typer.Option("--webhook-url", help='Where to POST {"text": ...} (Slack, Teams...).')],
    silent_after: Annotated[
        int, typer.Option(help="Seconds without a heartbeat after which a running run is marked Crashed.", min=90)
    ] = 600,
    allow_private_url: Annotated[
        bool, typer.Option(help="The webhook is on a private or loopback address (an intranet service).")
    ] = False,
) -> None:
    """Save the alerts webhook and the heartbeat automation on the Prefect server (then run `cakupan watch`).

    Example: PREFECT_API_URL=http://127.0.0.1:4200/api cakupan alerts --webhook-url https://hooks.slack.com/...
    """
    from datetime import timedelta
    from urllib.parse import urlsplit

    from flows.alerts import install_alerts, private_address

    try:
        parts = urlsplit(webhook_url)
        scheme, hostname = parts.scheme, parts.hostname
    except ValueError:  # `http://[::1`
        scheme, hostname = "", None
    if hostname is None or scheme not in {"https", "http"}:
        typer.echo(f"cakupan: {webhook_url!r} is no http(s) address a webhook could be posted to", err=True)
        raise typer.Exit(2)
    if not allow_private_url and (address := private_address(webhook_url)):
        typer.echo(
            f"cakupan: {webhook_url} resolves to the private address {address}: Prefect's server would drop "
            "every alert; pass --allow-private-url if it is an intranet or loopback service",
            err=True,
        )
        raise typer.Exit(2)
    prefect_server_or_exit("alerts")
    names = install_alerts(webhook_url, timedelta(seconds=silent_after), allow_private_url)
    console.print(f"webhook block and automation on the Prefect server: {', '.join(names)}")
    console.print("keep `cakupan watch` running beside the server: it posts the alerts")


@app.command()
def watch(
    stale_after: Annotated[
        float, typer.Option(help="Hours without a completed nightly or province run before it is posted.", min=0.01)
    ] = 26.0,
    every: Annotated[float, typer.Option(help="Seconds between two looks at the server.", min=1)] = 20.0,
    warehouse: WarehouseOption = None,
    config: ConfigOption = None,
) -> None:
    """Post every failed or crashed cakupan run once, and a night without a completed run, until stopped.

    Example: PREFECT_API_URL=http://127.0.0.1:4200/api cakupan watch --stale-after 26
    """
    from datetime import timedelta

    from flows.alerts import watch as watch_server

    settings = settings_or_exit(config, warehouse=warehouse)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        watch_server(settings.state.parent / "alerts.json", timedelta(hours=stale_after), every)


OutOption = Annotated[Path, typer.Option("--out", help="Folder for the workbooks (one per village).", readable=False)]
PeriodOption = Annotated[str | None, typer.Option(help="Only this period (YYYY-MM).", callback=valid_period)]
VillageOption = Annotated[str | None, typer.Option(help="Only this village code (33.02.17.2008).")]


def needs_or_exit(needs: dict[str, Path]) -> None:
    """Exit 1 in one line naming the first of `needs` (what a command reads, by what it is) that does not exist."""
    for what, needed in needs.items():
        if not needed.exists():
            typer.echo(f"cakupan: no {what} at {needed}; run `cakupan run` first, or give --warehouse", err=True)
            raise typer.Exit(1)


def write_workbooks(
    command: str,
    layout: Layout,
    out: Path,
    needs: dict[str, Path],
    write: Callable[[], list[Path]],
    village: str | None,
    settings: Settings,
) -> list[Path]:
    """Check what a workbook command reads and where it writes, write the workbooks in place of those the same
    command last wrote there (a folder holding other files is refused), say how many."""
    from flows.outputs.workbook import clear_written
    from flows.store.reference import load_villages

    if village is not None and village not in set(load_villages(region=settings.region)["village_code"]):
        typer.echo(
            f"cakupan: {village!r} is not a village code of region {settings.region} (for example 33.02.17.2008)",
            err=True,
        )
        raise typer.Exit(2)
    needs_or_exit(needs)
    if out.exists() and not out.is_dir():
        fail(f"{out} is not a folder", command=command)
    with one_line_failures(command):
        check_outside(out, settings.raw_dir, "the workbooks' folder")
        removed = clear_written(out, layout)
        written = write()
    replaced = f" (the {removed} it held from the last run removed)" if removed else ""
    console.print(f"{len(written)} workbook(s) written to {out}{replaced}")
    return written


@app.command()
def rejects(
    out: OutOption,
    period: PeriodOption = None,
    village: VillageOption = None,
    warehouse: ReadWarehouseOption = None,
    config: ConfigOption = None,
) -> None:
    """Write one corrections workbook per village: its rejected and warned rows, with reasons in Indonesian."""
    from flows.outputs.rejects import CORRECTIONS, write_rejects
    from flows.store.reference import load_villages

    settings = settings_or_exit(config, warehouse=warehouse)
    villages = load_villages(region=settings.region)
    needs = {"state database": settings.state}
    written = write_workbooks(
        "rejects",
        CORRECTIONS,
        out,
        needs,
        lambda: write_rejects(settings.state, villages, out, period, village),
        village,
        settings,
    )
    if not written and period is not None and not received(settings.state, period):
        console.print(f"[bold yellow]warning:[/] no file was received for {period}: nothing to correct")


def received(state: Path, period: str) -> bool:
    """Whether the state database recorded any file of `period`."""
    from flows.store.state_db import read_state

    with read_state(state) as con:
        found = con.execute("select count(*) from ingested_files where period = $period", {"period": period})
        return bool(found.fetchone()[0])  # type: ignore[index]


@app.command()
def discrepancies(
    out: OutOption,
    period: Annotated[
        str | None,
        typer.Option(help="The month (YYYY-MM); the latest verified month by default.", callback=valid_period),
    ] = None,
    village: VillageOption = None,
    warehouse: ReadWarehouseOption = None,
    config: ConfigOption = None,
) -> None:
    """Write one workbook per village of the people whose reported status disagrees with BPJS, in Indonesian.

    One month per workbook: --period, else the latest month a BPJS participants export verifies.
    """
    from flows.outputs.discrepancies import LAYOUT, verified_people, write_discrepancies

    settings = settings_or_exit(config, warehouse=warehouse)
    needs = {"state database": settings.state, "warehouse": settings.warehouse}
    written = write_workbooks(
        "discrepancies",
        LAYOUT,
        out,
        needs,
        lambda: write_discrepancies(settings.warehouse, settings.state, out, period, village),
        village,
        settings,
    )
    if not written and not verified_people(settings.warehouse, period):
        when = f"for {period}" if period else "for any month"
        console.print(
            f"[bold yellow]warning:[/] no BPJS participants export covers the rosters {when}: nothing to compare"
        )


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="A SQL query on the warehouse (read-only).")],
    warehouse: ReadWarehouseOption = None,
    config: ConfigOption = None,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    excel_id: Annotated[
        bool,
        typer.Option("--excel-id", help="CSV for Excel set to Indonesian: `;` between fields, decimal commas."),
    ] = False,
    expanded: Annotated[
        bool,
        typer.Option(
            "--expanded", "-x", help="A line per column of each row; chosen when the table is wider than the terminal."
        ),
    ] = False,
) -> None:
    """Run a read-only query on the warehouse and print the result.

    The session reads the warehouse and nothing else: no other file (no ATTACH, read_csv,
    COPY TO, EXPORT), no extension install or load, and no setting can be changed back. It has
    a memory and a time limit and fetches at most sql_max_rows rows (settings, docs/analysts.md).

    Example: cakupan sql "select * from coverage_by_group where period = '2024-04' order by group_code"
    """
    from flows.outputs.query import as_csv, as_records, as_table, run_query, too_wide

    settings = settings_or_exit(config, warehouse=warehouse)
    needs_or_exit({"warehouse": settings.warehouse})
    with one_line_failures("sql"):
        result = run_query(settings.warehouse, query, settings)
        text = as_csv(result, excel_id) if csv or excel_id else None
    if result.truncated:
        typer.echo(f"cakupan sql: showing {result.truncated}", err=True)
    if text is None:
        console.print(as_records(result) if expanded or too_wide(result, console.width) else as_table(result))
    else:
        typer.echo(text, nl=False)


@app.command()
def report(
    period: Annotated[
        str | None,
        typer.Option(
            help="Month to report (YYYY-MM). [default: the latest month in the warehouse]", callback=valid_period
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.", readable=False)] = Path("report.html"),
    site: Annotated[
        Path | None,
        typer.Option(
            "--site",
            help="Write instead the offline site into this folder: a page for the regency, each kecamatan and "
            "each desa, every month on each, in Bahasa Indonesia (docs/site.md).",
            readable=False,
        ),
    ] = None,
    lang: Annotated[
        str,
        typer.Option(
            "--lang", help="Language of the page: id (Bahasa Indonesia) or en (English).", callback=valid_lang
        ),
    ] = "id",
    warehouse: ReadWarehouseOption = None,
    config: ConfigOption = None,
) -> None:
    """Write one self-contained HTML page (works offline), in Bahasa Indonesia unless --lang en: the regency
    summary, coverage and targets by group, districts compared like with like, trend, completeness, the
    villages missing or rejected per kecamatan, the cost of closing the gap and the worst data-quality villages.

    With --site DIR, the offline drill-down site instead (every month; --period and --lang do not apply).

    Example: cakupan report --out laporan.html
    """

    from flows.outputs.report import write_report

    settings = settings_or_exit(config, warehouse=warehouse)
    needs_or_exit({"warehouse": settings.warehouse})
    if site is not None:
        from flows.outputs.site import write_site

        with one_line_failures("report"):
            check_outside(site, settings.raw_dir, "the site")
            pages = write_site(settings.warehouse, site)
        console.print(f"site written to {site}: {len(pages)} pages; open {site / 'index.html'}")
        return
    with one_line_failures("report"):
        check_outside(out, settings.raw_dir, "the report")
        written = write_report(settings.warehouse, period, out, lang)  # type: ignore[arg-type]
    console.print(f"report written to {written}")


ReasonOption = Annotated[str, typer.Option("--reason", help="Why: recorded in the audit trail (period_actions).")]
ByOption = Annotated[
    str | None, typer.Option("--by", help="Who acts, as recorded. [default: the operating system user]")
]
KecamatanOption = Annotated[
    str | None,
    typer.Option(
        "--kecamatan", help="Only this kecamatan, by name or code (Cilongok, 33.02.17). [default: the regency]"
    ),
]
PeriodRequired = Annotated[str, typer.Option(help="The month (YYYY-MM).", callback=valid_period)]


def scoped(settings: Settings, kecamatan: str | None, reason: str, by: str | None) -> tuple[Scope, Actor, list[str]]:
    """The scope named (a kecamatan or the regency), who acts and why, and the region's kecamatan codes."""
    from flows.store import periods
    from flows.store.reference import load_districts

    districts = load_districts(region=settings.region)
    scope = periods.find_district(districts, kecamatan)
    return scope, periods.operator(reason, by), list(districts["district_code"])


@app.command()
def close(
    period: PeriodRequired,
    reason: ReasonOption,
    kecamatan: KecamatanOption = None,
    by: ByOption = None,
    warehouse: ReadWarehouseOption = None,
    config: ConfigOption = None,
) -> None:
    """Close a month for the regency or one kecamatan: its figures stay as published; later files wait for approval.

    The published warehouse must show everything received (run first). Takes effect at the next run.

    Example: cakupan close --period 2024-04 --reason "Angka April dilaporkan ke Bupati" --by "Sri (Dinsospermades)"
    """
    from flows.store import periods

    settings = settings_or_exit(config, warehouse=warehouse)
    with one_line_failures("close"):
        scope, actor, codes = scoped(settings, kecamatan, reason, by)
        action_id = periods.close_period(settings.state, settings.warehouse, period, scope, codes, actor)
    console.print(f"{period} closed for {scope} by {actor.name} (action {action_id}); the next run publishes it")


@app.command()
def reopen(
    period: PeriodRequired,
    reason: ReasonOption,
    kecamatan: KecamatanOption = None,
    by: ByOption = None,
    warehouse: ReadWarehouseOption = None,
    config: ConfigOption = None,
) -> None:
    """Reopen a closed month: from the next run the newest file of each village counts again, held ones included.

    Example: cakupan reopen --period 2024-04 --kecamatan Cilongok --reason "Koreksi data BPD Cilongok"
    """
    from flows.store import periods

    settings = settings_or_exit(config, warehouse=warehouse)
    with one_line_failures("reopen"):
        scope, actor, codes = scoped(settings, kecamatan, reason, by)
        action_id = periods.reopen_period(settings.state, period, scope, codes, actor)
    console.print(f"{period} reopened for {scope} by {actor.name} (action {action_id}); the next run publishes it")


@app.command()
def accept(
    period: PeriodRequired,
    reason: ReasonOption,
    file: Annotated[
        list[str] | None,
        typer.Option("--file", help="A pending file: its path as in pending_corrections, or its sha256. Repeatable."),
    ] = None,
    all_pending: Annotated[
        bool, typer.Option("--all", help="Accept every file pending for the period (and kecamatan).")
    ] = False,
    kecamatan: KecamatanOption = None,
    by: ByOption = None,
    warehouse: ReadWarehouseOption = None,
    config: ConfigOption = None,
) -> None:
    """Accept late corrections held for a closed month: they count from the next run, recorded in the trail.

    Example: cakupan accept --period 2024-04 --file "2024-04/Cilongok/Batuanten.xlsx" --reason "Surat Kades 12/5"
    """
    from flows.store import periods

    if bool(file) == all_pending:
        typer.echo("cakupan: give --file (one or more) or --all", err=True)
        raise typer.Exit(2)
    settings = settings_or_exit(config, warehouse=warehouse)
    with one_line_failures("accept"):
        scope, actor, _ = scoped(settings, kecamatan, reason, by)
        accepted = periods.accept_pending(settings.state, period, scope, file or [], actor)
    for action_id, source_file in accepted:
        console.print(f"accepted {mask_text(source_file)} (action {action_id})")
    console.print(f"{len(accepted)} file(s) accepted for {period} by {actor.name}; the next run publishes them")


@app.command("follow-up")
def follow_up(
    period: PeriodRequired,
    village: Annotated[str, typer.Option(help="The village code (33.02.17.2008).")],
    group: Annotated[str, typer.Option(help="The group: BPD, RT_RW, LKD, LINMAS or RENTAN.")],
    check: Annotated[str, typer.Option(help="The outlier check, as in the view outliers (members_change, ...).")],
    status: Annotated[
        str,
        typer.Option(
            help="diperiksa, dijelaskan, dikoreksi or terbuka (or investigating, ...).", callback=valid_status
        ),
    ],
    reason: ReasonOption,
    by: ByOption = None,
    warehouse: ReadWarehouseOption = None,
    config: ConfigOption = None,
) -> None:
    """Set the follow-up status of an outlier flag (the view outliers), recorded in the audit trail.

    Example: cakupan follow-up --period 2024-03 --village 33.02.17.2008 --group RT_RW --check members_change
    --status dijelaskan --reason "RT baru dibentuk"
    """
    from flows.store import periods

    settings = settings_or_exit(config, warehouse=warehouse)
    flag = {"period": period, "village_code": village, "group_code": group, "check_name": check}
    with one_line_failures("follow-up"):
        actor = periods.operator(reason, by)
        action_id = periods.follow_up(settings.state, settings.warehouse, flag, status, actor)
    console.print(f"{check} of {village} {group} {period} is now {status} (action {action_id})")
