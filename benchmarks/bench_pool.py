"""The province through its engine against the same work in one process (part of `make bench`).

`python benchmarks/bench_pool.py [N]`: the province corpus of bench.py (April 2024, every village of
Jawa Tengah, cached), split into one landing zone per regency, its first N regencies (default: all
35). A Prefect server on PostgreSQL (Debian's package, as docs/operations.md runs it; SQLite when it
is not installed) and a Dask scheduler with one long-lived worker process per core (one unit
each, `--nthreads 1`: units then overlap their serial parts, as docs/operations.md starts them),
warmed with one unit each first, as a province office keeps them.
Then, in one go and alternating, for the first half of the regencies and for all of them: the same
files as ONE landing zone read by one `run_pipeline` in one process (the nightly run's plain steps,
no Prefect), `cakupan province --in-process` (every regency one after the other in one process, no
Prefect, no Dask) and `cakupan province --dask-scheduler` (each regency a unit on the worker), each
into fresh folders. Reports end to end and the children's phase of each, engine / one zone, engine /
in process, the overhead per unit: (engine children - in-process children) / regencies, the fixed
part a regency costs: (in-process children - the one-zone run's own seconds) / regencies, and the
per-regency cost of each. Beside each route's seconds, the CPU-seconds the whole machine spent while
it ran (`machine_cpu_s`, from /proc/stat: every process, the readers, server and workers included):
on a machine whose speed drifts from one go to the next (this one's: by a fifth), the CPU ratio says
what a route costs where the seconds say how long it took.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench import CACHE, RESULTS, province_corpus  # noqa: E402
from tests.helpers import free_port, start, start_server, stop  # noqa: E402
from tests.province_helpers import postgresql, postgresql_bin  # noqa: E402

BIN = Path(sys.executable).parent
CAKUPAN = [sys.executable, "-c", "from flows.cli import app; app()"]
WORKERS = os.cpu_count() or 1  # Dask worker processes, one unit each


def zones(regencies: int) -> tuple[Path, list[str]]:
    """The province corpus as one landing zone per regency (hard links), and the codes of the first N."""
    from tools.generate import split_by_regency

    split = CACHE / "province-42-zones"
    if not (split / "complete").exists():
        shutil.rmtree(split, ignore_errors=True)
        split_by_regency(province_corpus(), split)
        (split / "complete").touch()
    return split, sorted(p.name for p in split.iterdir() if p.is_dir())[:regencies]


@contextlib.contextmanager
def engine(home: Path) -> Iterator[tuple[dict[str, str], str]]:
    """A Prefect server (on PostgreSQL when installed) and a Dask scheduler with a worker process per core (WORKERS);
    their environment."""
    database = postgresql() if postgresql_bin() is not None else contextlib.nullcontext("")
    with database as url:
        server, env = start_server(home, url)
        env = {**env, "CAKUPAN_PII_KEY": "bench"}
        port = free_port()
        address = f"tcp://127.0.0.1:{port}"
        dask = str(BIN / "dask")
        processes = [server]
        try:
            scheduler = [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]
            scheduler_env = {**env, "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"}
            processes.append(start(scheduler, scheduler_env, home / "scheduler.log"))
            worker = [dask, "worker", address, "--nworkers", str(WORKERS), "--nthreads", "1", "--no-dashboard"]
            worker += ["--memory-limit", "0", "--preload", "flows.runtime.warm"]  # as docs/operations.md starts it
            worker_env = {**env, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
            worker_env["DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED"] = "False"  # as docs/operations.md
            processes.append(start(worker, worker_env, home / "worker.log"))
            yield env, address
        finally:
            for process in reversed(processes):
                stop(process)


def machine_cpu() -> float:
    """CPU-seconds every core of the machine has spent so far (user, nice, system, interrupts; not idle or iowait)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def province(raw: Path, codes: list[str], out: Path, env: dict[str, str], *flags: str) -> dict[str, float]:
    """One `cakupan province` run into fresh folders under `out`: end to end, children and publish seconds."""
    command = [
        *CAKUPAN,
        "province",
        "--raw",
        str(raw),
        "--region",
        ",".join(codes),
        "--warehouse",
        str(out / "province.duckdb"),
        "--staging",
        str(out / "staging"),
        "--work-dir",
        str(out / "work"),
        "--allow-empty",
        *flags,
    ]
    started, cpu = time.perf_counter(), machine_cpu()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    total, cpu = time.perf_counter() - started, machine_cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-3000:] + done.stderr[-3000:])
    stages = dict(re.findall(r"(children|publish)\s+([\d.]+)\s+s", done.stdout))  # rich may wrap the line
    seconds = {f"{name}_s": float(value) for name, value in stages.items()}
    return {"end_to_end_s": total, "machine_cpu_s": cpu, **seconds}


ONE_ZONE = """
import json, sys, uuid
from pathlib import Path
from flows.regency_run import run_pipeline
from flows.run_options import RunOptions
from flows.settings import Settings
if __name__ == "__main__":  # the forkserver imports this as the main module: it must not run again there
    raw, warehouse, region = sys.argv[1:4]
    settings = Settings(Path(raw), Path(warehouse), region=region, quiet_seconds=0)
    summary = run_pipeline(settings, f"bench-{uuid.uuid4()}", RunOptions(allow_empty=True))
    print(json.dumps({"pipeline_s": summary.seconds, "rows": summary.counts["rows_loaded"]}))
"""


def one_zone(codes: list[str], out: Path, env: dict[str, str]) -> dict[str, float]:
    """The same files as ONE landing zone, read by one `run_pipeline` in one process (plain steps, no Prefect).

    The regencies' folders of the province corpus, linked into one zone; end to end and the run's own seconds.
    """
    zone = out / "zone"
    for period in province_corpus().iterdir():
        for code in codes:
            shutil.copytree(period / code, zone / period.name / code, copy_function=os.link)
    script = out / "one_zone.py"
    script.write_text(ONE_ZONE)
    command = [sys.executable, str(script), str(zone), str(out / "cakupan.duckdb"), ",".join(codes)]
    started, cpu = time.perf_counter(), machine_cpu()
    done = subprocess.run(command, env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT, capture_output=True, text=True)
    total, cpu = time.perf_counter() - started, machine_cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-3000:] + done.stderr[-3000:])
    return {"end_to_end_s": total, "machine_cpu_s": cpu, **json.loads(done.stdout.strip().splitlines()[-1])}


def main(regencies: int = 35) -> dict[str, object]:
    raw, codes = zones(regencies)
    sizes = {"half": codes[: len(codes) // 2], "all": codes}
    files = {name: sum(1 for code in chosen for _ in (raw / code).rglob("*.xlsx")) for name, chosen in sizes.items()}
    results: dict[str, object] = {"files": files, "regencies": {name: len(c) for name, c in sizes.items()}}
    with tempfile.TemporaryDirectory() as folder, engine(Path(folder)) as (env, address):
        home = Path(folder)
        results["database"] = "postgresql" if "DATABASE_CONNECTION_URL" in str(env) else "sqlite"
        results["api"] = env["PREFECT_API_URL"]
        warm = province(raw, codes[:WORKERS], home / "warm", env, "--dask-scheduler", address)  # each's imports
        results["warm_up"] = {"regencies": WORKERS, **warm}
        results["worker_processes"] = WORKERS
        for name, chosen in sizes.items():
            zone = one_zone(chosen, home / f"{name}-one-zone", env)
            single = province(raw, chosen, home / f"{name}-single", env, "--in-process")
            through = province(raw, chosen, home / f"{name}-engine", env, "--dask-scheduler", address)
            count = len(chosen)
            results[name] = {
                "one_zone": zone,
                "in_process": single,
                "engine": through,
                "engine_over_one_zone": through["end_to_end_s"] / zone["end_to_end_s"],
                "engine_over_in_process": through["end_to_end_s"] / single["end_to_end_s"],
                "engine_over_one_zone_cpu": through["machine_cpu_s"] / zone["machine_cpu_s"],
                "in_process_over_one_zone_cpu": single["machine_cpu_s"] / zone["machine_cpu_s"],
                "ratio_children": through["children_s"] / single["children_s"],
                "overhead_per_unit_s": (through["children_s"] - single["children_s"]) / count,
                "fixed_per_regency_s": (single["children_s"] - zone["pipeline_s"]) / count,
                "one_zone_per_regency_s": zone["pipeline_s"] / count,
                "in_process_per_regency_s": single["children_s"] / count,
                "engine_per_regency_s": through["children_s"] / count,
            }
    results["load_average"] = os.getloadavg()
    print(f"province through the engine: {json.dumps(results, indent=1)}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_pool.json").write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    # a stopped bench (kill, Ctrl-C) still stops its server, scheduler, worker and PostgreSQL: the contexts' exits run
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 35)
