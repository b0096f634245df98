"""Test helpers: tiny hand-written rosters and a warehouse built by the flow's steps without Prefect."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import http.server
import json
import os
import queue
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import polars as pl
import xlsxwriter

from flows.ingest.reasons import CATALOGUE
from flows.outputs.summary import RunSummary
from flows.regency_run import run_pipeline
from flows.run_options import RunOptions
from flows.settings import BANYUMAS_REGENCY_CODE, PROJECT_ROOT, Settings, state_path_for
from flows.store.sql import query_frame

HEADER = ["NO", "NIK", "NAMA", "JK", "JABATAN", "STATUS", "NO KPJ"]
ANI, BUDI, CITRA = "3302175205800001", "3302171205750002", "3302171001700003"


def write_roster(
    path: Path, sheets: dict[str, list[list[str]]], village: str = "BATUANTEN", district: str = "CILONGOK"
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(path)
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, [f"DESA : {village}"])
        sheet.write_row(1, 0, [f"KECAMATAN : {district}"])
        sheet.write_row(3, 0, HEADER)
        for index, row in enumerate(rows, start=1):
            for column, value in enumerate([str(index), *row]):
                sheet.write_string(3 + index, column, value)
    book.close()


def build_warehouse(
    raw: Path,
    warehouse: Path,
    started_at: dt.datetime | None = None,
    *,
    first_template: bool = False,
    **settings: Any,
) -> RunSummary:
    """The run's one sequence without the orchestrator (flows/regency_run.py), in this process, at `started_at` (now).

    Files written just before are read (no quiet period) unless `quiet_seconds` is given. A new warehouse's first
    publish starts from the session's template (`kept_template`) unless `first_template`: it makes its own.
    """
    options = RunOptions(allow_empty=True, started_at=started_at)  # hand-made zones are a village or two
    config = Settings(raw, warehouse, **{"workers": 1, "quiet_seconds": 0.0, **settings})
    with contextlib.nullcontext() if first_template else kept_template(config):
        summary = run_pipeline(config, f"test-{uuid.uuid4()}", options)
    assert_reasons_catalogued(state_path_for(warehouse))
    return summary


TEMPLATES: list[Path] = []  # the session's folder of publish templates, once tests/conftest.py has made it


@contextlib.contextmanager
def kept_template(config: Settings) -> Iterator[None]:
    """A new warehouse's first publish made its views and kept them as its template (`publish.template_for`), which
    every later publish starts from: 0.45 s of CPU more than those. The first build of the session that makes one
    leaves a copy in TEMPLATES, and a later build of a new warehouse with the same name and catalogue starts from that
    copy, put beside its state, as its next night would. tests/test_publish_template.py checks the first publish.
    Only into a folder that exists: a test of a warehouse path that is wrong (under a file) gets the run's own error."""
    if not TEMPLATES or config.state.parent.exists() or not config.warehouse.parent.is_dir():
        yield
        return
    from flows.store.publish import template_for

    template = template_for(config)
    kept = TEMPLATES[0] / template.name
    if kept.exists():
        template.parent.mkdir(parents=True)
        shutil.copyfile(kept, template)
    yield
    if not kept.exists() and template.exists():
        shutil.copyfile(template, kept.with_name(f".{kept.name}"))
        kept.with_name(f".{kept.name}").replace(kept)


def assert_reasons_catalogued(state: Path) -> None:
    """Every reason the state database records (files, sheets, files left for later) is an entry of the catalogue
    (flows/ingest/reasons.py), said in English and Indonesian: no path that rejects, ignores, skips, supersedes
    or holds a file records a bare text. Checked after every run a test builds.
    """
    codes = ", ".join(f"'{code}'" for code in CATALOGUE)
    uncatalogued = " or ".join(
        [
            "reason_code is null",
            f"reason_code not in ({codes})",
            "coalesce(reason, '') = ''",
            "coalesce(alasan, '') = ''",
            "reason_params is null",
        ]
    )
    with duckdb.connect(str(state), read_only=True) as con:
        found = con.sql(
            f"""
            select 'ingested_files', source_file, reason_code, reason from ingested_files
            where (coalesce(reason, '') <> '' or reason_code is not null) and ({uncatalogued})
            union all
            select 'ingested_sheets', source_file, reason_code, reason from ingested_sheets
            where status <> 'roster' and ({uncatalogued})
            union all
            select 'skipped_files', source_file, reason_code, reason from skipped_files where {uncatalogued}
            """
        ).fetchall()
    assert found == [], found


def query(warehouse: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).fetchall()


def frame(warehouse: Path, sql: str) -> pl.DataFrame:
    """A query on the published warehouse (opened read-only) as a polars frame."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return query_frame(con, sql)


def view(warehouse: Path, name: str) -> pl.DataFrame:
    """Every row of a table or view of the published warehouse, ordered by all its columns (views do not order)."""
    return frame(warehouse, f"select * from {name} order by all")


# What a reader could join into one number: NFKC folds fullwidth, mathematical and circled digits, decimal
# digits of any script count, and whitespace, dashes, dots, quotes, `_` and invisible characters are
# dropped. Written apart from flows/privacy.py on purpose: the scan must not share the mask's blind spots.
JOINERS = re.compile(r"[\s._'`\u00ad\u2010-\u2015\u2212\u200b-\u200f\u2060\ufeff\-]")


def holds_nik(text: str) -> bool:
    """Whether `text` holds a run of 16 digits in any Unicode form with any separators between them."""
    folded = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in unicodedata.normalize("NFKC", text))
    return re.search(r"[0-9]{16}", JOINERS.sub("", folded)) is not None


HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
# a run id (a Prefect flow run's UUID, or build_warehouse's `test-<uuid4>`): its 32 hex digits joined hold 16
# decimal digits in a row about once in a hundred ids, which made a test that scans a warehouse fail now and then
RUN_ID = re.compile(r"(test-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def nik_like_values(warehouse: Path) -> list[str]:
    """`table.column` of every text column of every table and view that holds a NIK in any form (`holds_nik`)."""
    found = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.sql(
            # a SHA-256 digest in hex holds 16 decimal digits in a row about once in 40 files: not a NIK
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and column_name <> 'sha256'"
        ).fetchall()
        for schema, table, column in columns:
            sql = f"""select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null"""
            values = con.sql(sql).fetchall()
            # a SHA-256 digest in hex (a fingerprint) or a run id holds 16 decimal digits in a row now and then: no NIK
            machine = (HEX_DIGEST, RUN_ID)
            if any(holds_nik(value) and not any(m.fullmatch(str(value)) for m in machine) for (value,) in values):
                found.append(f"{table}.{column}")
    return found


def zone_files(raw: Path) -> list[Path]:
    """Every file of a generated landing zone: the rosters and the BPJS exports."""
    return sorted(path for path in raw.rglob("*") if path.is_file() and "reference" not in path.parts)


BATUANTEN = "33.02.17.2008"  # a desa in Cilongok (tests/conftest.py SMALL_VILLAGES)
LATE_BPD = [  # a late BPD roster for Batuanten: two people, one row with a NIK too short (reported, not counted)
    [ANI, "Ani", "P", "Anggota BPD", "Sudah", "12345678901"],
    [BUDI, "Budi", "L", "Ketua BPD", "Belum", ""],
    ["330217120575", "Cahya", "L", "Anggota BPD", "Sudah", ""],
]


def state_of(warehouse: Path) -> Path:
    """The state database of a warehouse."""
    return Settings(warehouse=warehouse).state


def close_regency(warehouse: Path, period: str, by: str = "auditor", reason: str = "") -> int:
    """Close `period` for the whole regency, as `cakupan close` does (why: `reason`, else in English)."""
    from flows.store import periods
    from flows.store.reference import load_districts

    districts = list(load_districts(region=BANYUMAS_REGENCY_CODE)["district_code"])
    actor = periods.Actor(reason or f"{period} reported to the regent", by)
    return periods.close_period(state_of(warehouse), warehouse, period, periods.Scope(), districts, actor)


def send_late_bpd(raw: Path, period: str, rows: list[list[str]] = LATE_BPD, name: str = "Batuanten.xlsx") -> Path:
    """Batuanten's corrected BPD roster for `period`, by default over the file it sent (a new version of it).

    Two files with the same rows are byte-identical (the second is ignored as a copy): give other rows.
    """
    path = raw / period / "Cilongok" / name
    write_roster(path, {"BPD": rows})
    return path


# A real Prefect server for the tests that need one (tests/conftest.py `prefect_server`)

PREFECT_BIN = Path(sys.executable).parent
CAKUPAN = [sys.executable, "-c", "from flows.cli import app; app()"]
SERVER_START_SECONDS = 180  # 13-17 s here, up to ~75 s on a cold machine while SQLite migrates


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a process started with its own session, and everything it started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def start(command: list[str], env: dict[str, str], log: Path, cwd: Path = PROJECT_ROOT) -> subprocess.Popen[bytes]:
    """`command` in its own session (so `stop` ends all it starts), its output in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def start_server(
    home: Path, database: str = "", template: Path | None = None
) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """`launch_server`; with SQLite (no `database`) and a `template`, the server starts on a copy of the database the
    run's first such server migrated (about 5 of a start's 14 s of CPU are migrating a new SQLite database): the
    first server, under a lock the others wait on, leaves a copy of its database at `template` once it answers."""
    if template is None or database:
        return launch_server(home, database)
    with template.with_name(f"{template.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if template.exists():
            shutil.copy(template, home / "prefect.db")
            return launch_server(home)
        process, env = launch_server(home)
        copying = template.with_name(f"{template.name}.part")
        source, copy = sqlite3.connect(home / "prefect.db"), sqlite3.connect(copying)
        with contextlib.closing(source), contextlib.closing(copy):
            source.backup(copy)  # a consistent copy of a database in use
        copying.rename(template)
        return process, env


def launch_server(home: Path, database: str = "") -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """A real `prefect server start` on a free loopback port with its own database, once it answers; and the
    environment that points clients (serve, workers, runs, the prefect CLI) at it, with `SERVER_LOG` its log.

    Its loops are short so that a test waits seconds, not minutes, for what they do: the scheduler
    (runs of a new deployment) and the proactive automations (a run gone silent, checked every 2 s);
    clients poll for work every 2 s and runs send a heartbeat every 30 s (Prefect's minimum).
    """
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")},
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api,
        "PREFECT_UI_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_CLIENT_MAX_RETRIES": os.environ.get("PREFECT_CLIENT_MAX_RETRIES", "2"),
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
        "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_RUNS": "3",  # not 100 ahead: a test cron fires every few seconds
        "PREFECT_SERVER_EVENTS_PROACTIVE_GRANULARITY": "PT2S",
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_WORKER_PREFETCH_SECONDS": "5",
        **({"PREFECT_API_DATABASE_CONNECTION_URL": database} if database else {}),
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",
    }
    log = home / "server.log"
    command = [str(PREFECT_BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    process = start(command, env, log)
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prefect server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return process, {**env, "SERVER_LOG": str(log)}
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop(process)
    raise RuntimeError(f"prefect server did not answer in {SERVER_START_SECONDS} s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def prefect_api(api: str) -> Iterator[None]:
    """Prefect's API in this process is `api` while inside: its settings, and the process-global ones made from them
    (as Prefect's own test harness enters them)."""
    from prefect.context import _temporary_global_settings_context, get_settings_context
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api}), _temporary_global_settings_context(get_settings_context()):
        yield


def send_what_is_left() -> None:
    """Send the log lines and events this process's flows left in Prefect's queues while their server still answers.
    Left there, they are sent at the interpreter's exit to a server that is gone: each batch retried (seconds each),
    and the xdist worker, with the run, waits for that before it ends."""
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for service in (APILogWorker, EventsWorker):
        service.drain_all(timeout=30, at_exit=False)


def clear_server(api: str) -> None:
    """Delete every automation, deployment, flow run and work pool of a test server: the next test starts afresh
    (no schedule of an earlier test fires, no automation of one marks another's runs)."""
    for kind, key in (("automations", "id"), ("deployments", "id"), ("flow_runs", "id"), ("work_pools", "name")):
        while found := httpx.post(f"{api}/{kind}/filter", json={"limit": 200}, timeout=30).json():
            for item in found:
                httpx.delete(f"{api}/{kind}/{item[key]}", timeout=30)
            if kind == "automations":  # their filter takes no limit: one page is all of them
                break


def flow_runs(api: str, deployment: str) -> list[dict[str, Any]]:
    """The flow runs of the deployments named `deployment`, as the server reports them."""
    found = httpx.post(f"{api}/deployments/filter", json={"deployments": {"name": {"any_": [deployment]}}}, timeout=10)
    ids = [d["id"] for d in found.json()]
    if not ids:
        return []
    runs = httpx.post(f"{api}/flow_runs/filter", json={"flow_runs": {"deployment_id": {"any_": ids}}}, timeout=10)
    return list(runs.json())


def wait_until(condition: Callable[[], bool], seconds: float, every: float = 0.5) -> bool:
    """Poll `condition` until it holds (True) or `seconds` have passed (False)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


class Hook(http.server.BaseHTTPRequestHandler):
    """A webhook receiver: keeps every JSON body POSTed to it (`webhook`)."""

    received: queue.Queue[dict[str, str]] = queue.Queue()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.put(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def webhook() -> Iterator[str]:
    """A webhook receiver on 127.0.0.1 while inside (nothing received yet); yields its URL."""
    while not Hook.received.empty():  # what an earlier test's watcher posted
        Hook.received.get()
    receiver = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    finally:
        receiver.shutdown()
        receiver.server_close()


def posts_within(seconds: float, until: int | None = None) -> list[dict[str, str]]:
    """Every body the webhook receives within `seconds` (or as soon as there are `until` of them)."""
    found, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0 and (until is None or len(found) < until):
        try:
            found.append(Hook.received.get(timeout=left))
        except queue.Empty:
            break
    return found
