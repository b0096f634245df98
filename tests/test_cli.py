"""The `cakupan` command: exit codes, one-line failures, the printed coverage table."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import traceback
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.ingest.discover import discover
from flows.settings import state_path_for
from flows.store.state_db import run_lock
from tests.helpers import ANI, build_warehouse, write_roster

runner = CliRunner()
CAKUPAN = [sys.executable, "-c", "from flows.cli import app; app()"]


def cakupan(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, as a user starts it: what it prints up to its very exit. Only where the
    process itself is under test (what it prints at exit, a lock another process holds): each start spends 2-5 s of
    CPU importing (docs/performance.md "The test suite"); `cakupan_here` runs the same command in this process."""
    return subprocess.run([*CAKUPAN, *args], capture_output=True, text=True, env=env, timeout=300)


def cakupan_here(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command run in this process (typer's CliRunner) with exactly `env` as its environment (when given): its
    exit code, stdout and stderr as `cakupan` returns them. An exception the command lets escape is printed on
    stderr as Python prints it, so a test that wants one line sees the traceback a process would print."""
    changes: dict[str, str | None] | None = None
    if env is not None:  # what the child's environment would lack is unset too
        changes = {key: None for key in os.environ if key not in env} | dict(env)
    result = runner.invoke(app, list(args), env=changes)
    stderr = result.stderr_bytes.decode()  # not .stderr/.stdout: click turns their \r\n into \n
    if result.exc_info is not None and not isinstance(result.exc_info[1], SystemExit):
        stderr += "".join(traceback.format_exception(*result.exc_info))
    return subprocess.CompletedProcess([*CAKUPAN, *args], result.exit_code, result.stdout_bytes.decode(), stderr)


@pytest.fixture(scope="module")
def one_person(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of a warehouse (c.duckdb and its state in .cakupan/) of one roster: Ani, enrolled, Batuanten's
    BPD in 2024-04. Built once for the module: a test takes a copy (`warehouse`)."""
    root = tmp_path_factory.mktemp("one_person")
    write_roster(root / "raw" / "2024-04" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Anggota BPD", "Ya", "1"]]})
    build_warehouse(root / "raw", root / "warehouse" / "c.duckdb")
    return root / "warehouse"


@pytest.fixture
def warehouse(one_person: Path, tmp_path: Path) -> Path:
    """A copy of `one_person` in the test's own folder: tmp_path / "c.duckdb", its state in tmp_path / ".cakupan"."""
    shutil.copytree(one_person, tmp_path, dirs_exist_ok=True)
    return tmp_path / "c.duckdb"


def harness_env() -> dict[str, str]:
    """The test harness's Prefect API for a child process, so it starts no server of its own."""
    from prefect.settings import PREFECT_API_URL

    return {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "demo"):
        assert command in result.output


@pytest.mark.usefixtures("prefect_harness")
def test_run_in_a_process_prints_one_coverage_table_and_exits_cleanly(
    demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    raw, _ = demo_zone
    done = cakupan("run", "--raw", str(raw), "--warehouse", str(tmp_path / "c.duckdb"), env=harness_env())
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("Coverage by group") == 1 and "| period |" not in done.stdout + done.stderr
    assert "RT_RW" in done.stdout and "0 rejected" in done.stdout
    assert all(f" {header} " in done.stdout for header in ("group_code", "coverage_pct", "verified_pct"))  # not cut
    assert "verified" in done.stdout  # the demo zone has the BPJS branch's exports
    assert "nanobind" not in done.stderr and "leaked" not in done.stderr  # DuckDB's class held by polars' cache
    assert done.stdout.endswith("\n") and done.stderr in ("", *[done.stderr] * done.stderr.endswith("\n"))


@pytest.mark.usefixtures("prefect_harness")
def test_an_io_failure_inside_the_flow_is_one_line_without_traceback_or_leak_report(
    demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    raw, _ = demo_zone
    warehouse = tmp_path / "wh" / "c.duckdb"
    state = warehouse.parent / ".cakupan" / "c.state.duckdb"
    state.parent.mkdir(parents=True)
    state.write_text("not a database")  # a restore gone wrong: found inside the flow, not by the preflight
    done = cakupan("run", "--raw", str(raw), "--warehouse", str(warehouse), env=harness_env())
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith(f'cakupan run failed: IO Error: The file "{state}" exists')
    assert "Traceback" not in done.stderr + done.stdout and "nanobind" not in done.stderr


@pytest.mark.parametrize(
    ("raw", "warehouse", "reason"),
    [
        ("nope", "wh/c.duckdb", "landing zone {tmp}/nope does not exist"),
        ("raw", "a-folder.duckdb", "warehouse {tmp}/a-folder.duckdb is a folder"),
        ("raw", "a-file/c.duckdb", "warehouse {tmp}/a-file/c.duckdb cannot be written: {tmp}/a-file is not a folder"),
        ("raw", "/proc/nope/c.duckdb", "warehouse /proc/nope/c.duckdb cannot be written (/proc/nope: No such file"),
    ],
)
def test_a_wrong_path_fails_before_prefect_starts_in_one_line(
    tmp_path: Path, raw: str, warehouse: str, reason: str
) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "a-folder.duckdb").mkdir()
    (tmp_path / "a-file").write_text("")
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}  # nothing there: Prefect must not be needed
    command = cakupan if raw == "nope" else cakupan_here  # one in a process: nothing more printed up to its exit
    done = command("run", "--raw", str(tmp_path / raw), "--warehouse", str(tmp_path / warehouse), env=env)
    assert done.returncode == 1
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()  # one line, no traceback, no exit noise
    assert line.startswith("cakupan run failed: " + reason.format(tmp=tmp_path)), line
    if raw == "nope":  # the state database could be written: the failure is on record
        state = state_path_for(tmp_path / warehouse)
        with duckdb.connect(str(state), read_only=True) as con:
            assert con.sql("select status, message from runs").fetchall() == [("failed", line.split(": ", 1)[1])]


WITHOUT_ROOTS_READ = [
    "--bounding-set",
    "-dac_override,-dac_read_search",
    "--inh-caps",
    "-dac_override,-dac_read_search",
]


def as_a_user() -> list[str]:
    """The prefix that runs a command as an ordinary user may: as root, without the capabilities that read any file."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is missing: root reads a folder whatever its mode")
    return [setpriv, *WITHOUT_ROOTS_READ]


def test_an_unreadable_landing_zone_fails_in_one_line_recorded_not_in_clicks_box(tmp_path: Path) -> None:
    """The project's preflight speaks (one line, exit 1, the run recorded), not the CLI's check of the option."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "c.duckdb"
    raw.mkdir()
    raw.chmod(0)
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    try:
        command = [*as_a_user(), *CAKUPAN, "run", "--raw", str(raw), "--warehouse", str(warehouse)]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    finally:
        raw.chmod(0o700)
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    (line,) = done.stderr.splitlines()
    assert line == f"cakupan run failed: landing zone {raw} cannot be read by this user"
    with duckdb.connect(str(state_path_for(warehouse)), read_only=True) as con:
        assert con.sql("select status, message from runs").fetchall() == [("failed", line.split(": ", 1)[1])]


def test_no_path_option_is_checked_by_the_cli_before_the_command() -> None:
    """Every path option of every command leaves existence and access to the command, which names the path in one
    line and records a run (typer's `readable` check, on by default, and `exists`, `writable` print a box, exit 2)."""
    import typing

    from typer.models import OptionInfo

    options = [
        (command.callback.__name__, name, info)
        for command in app.registered_commands
        if command.callback is not None
        for name, hint in typing.get_type_hints(command.callback, include_extras=True).items()
        if typing.get_origin(hint) is typing.Annotated and "Path" in str(typing.get_args(hint)[0])
        for info in typing.get_args(hint)[1:]
        if isinstance(info, OptionInfo)
    ]
    assert len(options) > 20 and {name for _, name, _ in options} >= {"raw", "warehouse", "config", "out", "site"}
    assert [(c, n) for c, n, info in options if info.readable or info.exists or info.writable] == []


def test_verbose_adds_the_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    done = cakupan_here("run", "--raw", str(tmp_path / "nope"), "--verbose", env=env)
    assert done.returncode == 1 and done.stderr.splitlines()[-1].startswith("cakupan run failed: landing zone")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('schedule = "61 * * * *"\n', 'schedule = "61 * * * *": not a cron expression'),
        ('timezone = "Asia/Jakartaa"\n', 'timezone = "Asia/Jakartaa": not an IANA time zone'),
        ("workers = 1.7\n", "workers = 1.7: must be a whole number"),
        ("batch_size = true\n", "batch_size = true: must be a whole number"),
        ("workers = 64\n", "workers = 64: must be at most"),
        ('dask_scheduler = "localhost"\n', 'dask_scheduler = "localhost": must be a Dask scheduler'),
        ('dask_scheduler = "http://127.0.0.1:4200"\n', 'dask_scheduler = "http://127.0.0.1:4200": must be a Dask'),
        ('dask_scheduler = "tcp://127.0.0.1:87860"\n', 'dask_scheduler = "tcp://127.0.0.1:87860": must be a Dask'),
        ('dask_scheduler = " tcp://127.0.0.1:8786"\n', 'dask_scheduler = " tcp://127.0.0.1:8786": must be a Dask'),
    ],
)
def test_bad_settings_exit_2_with_one_line(tmp_path: Path, toml: str, message: str) -> None:
    config = tmp_path / "cakupan.toml"
    config.write_text(toml)
    done = cakupan_here("serve", "--config", str(config))
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"cakupan: configuration error: {config}: ") and message in line, line


@pytest.mark.parametrize("address", ["localhost", "tcp://127.0.0.1", "127.0.0.1:port"])
def test_a_scheduler_address_without_its_port_is_refused_before_anything_runs(tmp_path: Path, address: str) -> None:
    done = cakupan_here("province", "--raw", str(tmp_path), "--dask-scheduler", address)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()  # one line, before Prefect or Dask is asked anything: no traceback
    assert line.startswith(f'cakupan: configuration error: command line: dask_scheduler = "{address}": must be'), line


def test_read_commands_say_they_read_the_warehouse() -> None:
    for command in ("sql", "rejects", "report"):
        help_text = " ".join(runner.invoke(app, [command, "--help"], terminal_width=200).output.split())
        assert "Analyst warehouse (DuckDB file) to read." in help_text, command
        assert "to publish" not in help_text, command


@pytest.mark.usefixtures("prefect_harness")
def test_second_concurrent_run_exits_with_a_clear_message(demo_zone: tuple[Path, pl.DataFrame], tmp_path: Path) -> None:
    raw, _ = demo_zone
    warehouse = tmp_path / "c.duckdb"
    with run_lock(state_path_for(warehouse)):
        result = runner.invoke(app, ["run", "--raw", str(raw), "--warehouse", str(warehouse)])
    assert result.exit_code == 1
    assert "another cakupan run" in result.output
    assert not warehouse.exists()


@pytest.mark.parametrize("command", ["rejects", "discrepancies"])
def test_a_workbook_command_while_a_run_writes_the_state_exits_with_one_line(
    warehouse: Path, tmp_path: Path, command: str
) -> None:
    """The state database held by a writer (a run, here this test): the command says so and exits 1."""
    with duckdb.connect(str(state_path_for(warehouse))):
        done = cakupan(command, "--out", str(tmp_path / "out"), "--warehouse", str(warehouse))
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"cakupan {command} failed: cannot open {state_path_for(warehouse)} now (is a run in "), line


@pytest.mark.parametrize(
    "command",
    [["sql", "select 1"], ["report", "--out", "r.html"], ["report", "--site", "situs"], ["rejects", "--out", "o"]],
)
def test_a_reading_command_without_a_warehouse_says_so_in_one_line(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "nowhere" / "cakupan.duckdb"
    where = [str(tmp_path / part) if part in {"r.html", "situs", "o"} else part for part in command]
    done = cakupan_here(*where, "--warehouse", str(missing))
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()  # not DuckDB's "IO Error: Cannot open database ... in read-only mode"
    assert line.startswith("cakupan: no ") and "; run `cakupan run` first, or give --warehouse" in line, line


def test_sql_prints_a_table_or_csv_and_refuses_to_write(warehouse: Path) -> None:
    query = "select group_code, members, enrolled from coverage_by_group"
    table = runner.invoke(app, ["sql", query, "--warehouse", str(warehouse)])
    assert table.exit_code == 0 and "BPD" in table.output
    as_csv = runner.invoke(app, ["sql", query, "--warehouse", str(warehouse), "--csv"])
    assert as_csv.output.splitlines() == ["group_code,members,enrolled", "BPD,1,1"]
    write = runner.invoke(app, ["sql", "drop view coverage_by_group", "--warehouse", str(warehouse)])
    assert write.exit_code == 1 and "read-only" in write.output
    printed = cakupan("sql", query, "--warehouse", str(warehouse))
    assert printed.returncode == 0 and "BPD" in printed.stdout
    assert printed.stderr == ""  # no nanobind "leaked instances" at exit


def test_sql_shows_a_result_too_wide_for_the_terminal_a_line_per_column(warehouse: Path) -> None:
    """A table wider than the terminal cut every header and value to `…`: it is shown row by row instead."""
    wide = runner.invoke(app, ["sql", "select * from runs", "--warehouse", str(warehouse)], env={"COLUMNS": "80"})
    assert wide.exit_code == 0 and "…" not in wide.output
    assert wide.output.startswith("-[ row 1 ]") and re.search(r"^files_rejected +\| 0$", wide.output, re.M)
    narrow = "select group_code, members from coverage_by_group"
    table = runner.invoke(app, ["sql", narrow, "--warehouse", str(warehouse)], env={"COLUMNS": "80"})
    assert "┃ group_code ┃" in table.output
    assert re.search(r"│ BPD +│ +1 │", table.output)  # numbers right-aligned, as in the analysts' views
    empty = runner.invoke(
        app, ["sql", "select * from runs where false", "--warehouse", str(warehouse)], env={"COLUMNS": "80"}
    )
    assert empty.output.startswith("(no rows) columns: run_id, started_at, ")
    forced = runner.invoke(app, ["sql", narrow, "-x", "--warehouse", str(warehouse)])
    assert forced.output.splitlines()[1:3] == ["group_code | BPD", "members    | 1"]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["report", "--period", "2024-04", "--out", "{tmp}/a-folder"], "cakupan report failed: {tmp}/a-folder: Is a"),
        (["rejects", "--out", "{tmp}/a-file"], "cakupan rejects failed: {tmp}/a-file is not a folder"),
        (["sql", "select 1", "--warehouse", "{tmp}/a-folder"], "cakupan sql failed: IO Error: Could not read"),
    ],
)
def test_reading_commands_name_a_wrong_path_in_one_line(
    warehouse: Path, tmp_path: Path, args: list[str], line: str
) -> None:
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-file").write_text("")
    given = [arg.format(tmp=tmp_path) for arg in args]
    done = cakupan_here(*given, *(["--warehouse", str(warehouse)] if "--warehouse" not in given else []))
    assert done.returncode == 1
    (printed,) = done.stderr.splitlines()
    assert printed.startswith(line.format(tmp=tmp_path)), printed


def test_alerts_refuse_a_private_webhook_unless_told(tmp_path: Path) -> None:
    """Prefect's server refuses to post to a private address: without the flag every alert would be lost."""
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}  # refused before Prefect is asked
    done = cakupan_here("alerts", "--webhook-url", "http://127.0.0.1:9/hook", env=env)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "resolves to the private address 127.0.0.1" in line and "--allow-private-url" in line


@pytest.mark.parametrize("command", [["run", "--full-refresh"], ["rejects", "--out", "x"], ["report"]])
def test_a_period_must_be_a_month(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--period", "2024-13"])
    assert result.exit_code == 2 and "not a month written YYYY-MM" in " ".join(result.output.split())


@pytest.mark.parametrize(
    "query",
    [
        "attach '{state}' as st (read_write)",
        "select * from read_csv('/etc/passwd')",
        "select * from read_text('{key}')",
        "copy (select 'x') to '{key}'",
        "export database '{tmp}/out'",
        "install httpfs",
        "load httpfs",
        "set enable_external_access = true",
        "reset lock_configuration",
        "select * from glob('/etc/*')",
    ],
)
def test_sql_reads_the_warehouse_and_nothing_else(warehouse: Path, tmp_path: Path, query: str) -> None:
    key = state_path_for(warehouse).parent / "pii.key"
    key.write_text("the key")
    filled = query.format(state=state_path_for(warehouse), key=key, tmp=tmp_path)
    done = runner.invoke(app, ["sql", filled, "--warehouse", str(warehouse)])
    assert done.exit_code == 1, done.output
    assert "disabled" in done.output or "Cannot change configuration" in done.output, done.output
    assert key.read_text() == "the key" and not (tmp_path / "out").exists()
    with duckdb.connect(str(state_path_for(warehouse)), read_only=True) as con:
        assert con.execute("select count(*) from roster_rows").fetchall() == [(1,)]
    ok = runner.invoke(app, ["sql", "select count(*) from roster", "--warehouse", str(warehouse)])
    assert ok.exit_code == 0, ok.output


def test_sql_refuses_the_state_database_and_nested_csv_in_one_line(warehouse: Path) -> None:
    raw_niks = cakupan_here("sql", "select nik from roster_rows", "--warehouse", str(state_path_for(warehouse)))
    assert raw_niks.returncode == 1 and ANI not in raw_niks.stdout + raw_niks.stderr
    assert "internal state database, not the analyst warehouse" in raw_niks.stderr
    nested = cakupan_here("sql", "select [1, 2] as l, {'a': 1} as s", "--csv", "--warehouse", str(warehouse))
    assert nested.returncode == 1 and len(nested.stderr.splitlines()) == 1, nested.stderr


def test_a_command_imports_neither_the_readers_nor_validation_until_a_run_needs_them() -> None:
    """Every command pays the CLI's imports: the pipeline's (pandera with pandas, fastexcel) only when it runs."""
    heavy = "{'pandera', 'pandas', 'fastexcel', 'prefect', 'flows.regency_run'}"
    probe = f"import sys, flows.cli; print(sorted({heavy} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_the_demo_never_writes_into_a_real_landing_zone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`cakupan demo` took raw_dir and warehouse from cakupan.toml like any command: it wrote its 1,337 invented
    files into the real landing zone (a real Batuanten.xlsx overwritten) and published them into the real warehouse.
    Now it writes into the clone's folders unless told otherwise, and refuses a folder it did not write."""
    real = tmp_path / "real"
    write_roster(
        real / "2024-04" / "Cilongok" / "Batuanten.xlsx", {"BPD": [[ANI, "Ani", "P", "Ketua BPD", "Sudah", ""]]}
    )
    kept = (real / "2024-04" / "Cilongok" / "Batuanten.xlsx").read_bytes()
    (tmp_path / "cakupan.toml").write_text(f'raw_dir = "{real}"\nwarehouse = "{tmp_path / "real.duckdb"}"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CAKUPAN_RAW_DIR", str(real))
    clone = tmp_path / "clone"
    monkeypatch.setattr("flows.cli.DEMO_RAW", clone / "raw")
    monkeypatch.setattr("flows.cli.DEMO_WAREHOUSE", clone / "warehouse" / "cakupan.duckdb")
    written: list[Path] = []
    monkeypatch.setattr(
        "tools.generate.write_landing_zone",
        lambda out, **_: written.append(out) or out.mkdir(parents=True, exist_ok=True),
    )
    monkeypatch.setattr("flows.cli.run_flow", lambda settings, *_, **__: written.append(settings.warehouse))

    write_roster(clone / "raw" / "2024-01" / "Lama.xlsx", {"BPD": [[ANI, "Ani", "P", "Ketua BPD", "Sudah", ""]]})
    assert runner.invoke(app, ["demo"]).exit_code == 0  # the clone's own zone, filled by an earlier demo unmarked
    assert written == [clone / "raw", clone / "warehouse" / "cakupan.duckdb"]
    demo_zone = tmp_path / "demo-zone"
    assert runner.invoke(app, ["demo", "--raw", str(demo_zone)]).exit_code == 0
    assert runner.invoke(app, ["demo", "--raw", str(demo_zone)]).exit_code == 0  # the zone it wrote, written again
    assert (demo_zone / ".cakupan-demo").exists() and ".cakupan-demo" not in discover(demo_zone)["source_file"]
    written[2:] = []
    refused = runner.invoke(app, ["demo", "--raw", str(real), "--warehouse", str(tmp_path / "d.duckdb")])
    assert refused.exit_code == 2 and len(written) == 2
    assert "holds files the demo did not write (2024-04, ...)" in refused.output
    assert len(refused.output.strip().splitlines()) == 1 and "Traceback" not in refused.output
    assert (real / "2024-04" / "Cilongok" / "Batuanten.xlsx").read_bytes() == kept


def test_the_commands_that_need_a_prefect_server_say_so_in_one_line(tmp_path: Path) -> None:
    """`serve` without PREFECT_API_URL started a temporary server of Prefect's own (in ~/.prefect, gone when it
    stops) and served there; against a server that is down, `serve` and `alerts` printed 110-140 lines of traceback;
    `alerts` saved a webhook that was no address at all."""
    home = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "CAKUPAN_PII_KEY": "test"}
    home.pop("PREFECT_API_URL", None)
    zone = ["--raw", str(tmp_path / "raw"), "--warehouse", str(tmp_path / "c.duckdb")]
    unset = cakupan("serve", *zone, env=home)
    assert unset.returncode == 2 and "cakupan serve needs a Prefect server: set PREFECT_API_URL" in unset.stderr
    assert not (tmp_path / "prefect" / "prefect.db").exists()
    down = {**home, "PREFECT_API_URL": "http://127.0.0.1:9/api", "PREFECT_CLIENT_MAX_RETRIES": "0"}  # no waiting
    for command in (["serve", *zone], ["alerts", "--webhook-url", "https://hooks.example.org/x"]):
        done = cakupan(*command, env=down)
        said = done.stdout + done.stderr
        assert done.returncode == 1 and "Traceback" not in said and len(said.strip().splitlines()) == 1, said
        assert f"cakupan {command[0]} failed: no Prefect server answers at http://127.0.0.1:9/api" in said
    for url in ("notaurl", "ftp://hooks.example.org/x", "https://", "http://[::1"):
        refused = cakupan_here("alerts", "--webhook-url", url, env=down)
        assert refused.returncode == 2 and "is no http(s) address a webhook could be posted to" in refused.stderr


def test_a_follow_up_status_that_is_no_status_is_a_usage_error(warehouse: Path) -> None:
    """It failed with exit 1, as a run does, where every other option given a wrong value exits 2."""
    flag = ["--period", "2024-04", "--village", "33.02.17.2008", "--group", "BPD", "--check", "members_change"]
    done = cakupan_here("follow-up", *flag, "--status", "foo", "--reason", "x", "--warehouse", str(warehouse))
    said = " ".join(done.stderr.replace("│", " ").split())  # typer's box folds the line
    assert done.returncode == 2 and "'foo': write terbuka, diperiksa, dijelaskan, dikoreksi" in said, said


def test_corrections_for_a_month_nobody_sent_say_so(warehouse: Path, tmp_path: Path) -> None:
    """`rejects --period 2023-01` printed "0 workbook(s) written" as for a month with nothing to correct, where
    `report --period 2023-01` says there is no data."""
    for period, said in (("2023-01", True), ("2024-04", False)):
        done = cakupan_here(
            "rejects", "--out", str(tmp_path / period), "--period", period, "--warehouse", str(warehouse)
        )
        assert done.returncode == 0 and "workbook(s) written" in done.stdout
        assert ("no file was received for 2023-01: nothing to correct" in done.stdout) == said, done.stdout
