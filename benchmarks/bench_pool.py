"""The province through a Prefect process work pool (part of `make bench`; `python benchmarks/bench_pool.py [N]`).

The province corpus of bench.py (April 2024, every village of Jawa Tengah, cached), split into one
landing zone per regency, run by `cakupan province` against a real Prefect server with one and
with two process workers (each one flow run at a time), staging in a local folder. N limits the
run to the first N regencies (default: all 35). Reports end-to-end time, per child run the
orchestration overhead (its flow run's wall time less its regency run's own time, recorded in
the regency's state database, and the wait before a worker started it), the publisher's time,
and the peak memory (proportional set size) of each worker's process tree and of the parent's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import duckdb
import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench import CACHE, RESULTS, province_corpus, tree_pss_mb  # noqa: E402
from flows.settings import state_path_for  # noqa: E402

BIN = Path(sys.executable).parent
POOL = "cakupan-bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def zones(regencies: int) -> tuple[Path, str]:
    """The province corpus as one landing zone per regency (hard links), and the region of the first N."""
    from tools.generate import split_by_regency

    split = CACHE / "province-42-zones"
    if not (split / "complete").exists():
        shutil.rmtree(split, ignore_errors=True)
        split_by_regency(province_corpus(), split)
        (split / "complete").touch()
    codes = sorted(p.name for p in split.iterdir() if p.is_dir())[:regencies]
    return split, ",".join(codes)


def seconds(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def measure(workers: int, raw: Path, region: str, home: Path) -> dict[str, object]:
    """One province run through a fresh server and pool with `workers` process workers."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")},
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "CAKUPAN_PII_KEY": "bench",
    }
    server = start(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)], env, home / "server.log"
    )
    pool: list[subprocess.Popen[bytes]] = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        prefect = str(BIN / "prefect")
        subprocess.run(
            [prefect, "work-pool", "create", POOL, "--type", "process"], env=env, check=True, capture_output=True
        )
        config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
        config["deployments"] = [d for d in config["deployments"] if d["name"] == "regency-chunk"]
        config["deployments"][0]["work_pool"]["name"] = POOL
        (home / "prefect.yaml").write_text(yaml.safe_dump(config))
        subprocess.run(
            [prefect, "--no-prompt", "deploy", "--all", "--prefect-file", str(home / "prefect.yaml")],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        pool = [
            start([prefect, "worker", "start", "--pool", POOL, "--limit", "1"], env, home / f"worker-{n}.log")
            for n in range(workers)
        ]
        warehouse, work = home / "province" / "jateng.duckdb", home / "work"
        command = [
            sys.executable,
            "-c",
            "from flows.cli import app; app()",
            "province",
            "--raw",
            str(raw),
            "--warehouse",
            str(warehouse),
            "--region",
            region,
            "--staging",
            str(home / "staging"),
            "--work-dir",
            str(work),
            "--child-concurrency",
            str(workers),
            "--allow-empty",
        ]
        peaks = {"parent": 0.0, **{f"worker {n + 1}": 0.0 for n in range(workers)}}
        started = time.perf_counter()
        parent = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.25):
                peaks["parent"] = max(peaks["parent"], tree_pss_mb(parent.pid))
                for n, worker in enumerate(pool):
                    peaks[f"worker {n + 1}"] = max(peaks[f"worker {n + 1}"], tree_pss_mb(worker.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out = parent.communicate()[0].decode()
        total = time.perf_counter() - started
        done.set()
        sampler.join()
        if parent.returncode != 0:
            raise RuntimeError(out[-3000:])
        stages = dict(re.findall(r"(children|publish)\s+([\d.]+)\s+s", out))  # rich may wrap the line
        found = httpx.post(f"{api}/flow_runs/filter", json={}, timeout=30).json()
        children = [r for r in found if r["parameters"].get("regencies")]
        overheads, waits = [], []
        for child in children:
            code = child["parameters"]["regencies"][0]
            with duckdb.connect(str(state_path_for(work / code / "cakupan.duckdb")), read_only=True) as con:
                own = con.sql("select epoch(max(finished_at) - min(started_at)) from runs").fetchall()[0][0]
            wall = seconds(child["end_time"]) - seconds(child["start_time"])
            overheads.append(wall - float(own))
            waits.append(seconds(child["start_time"]) - seconds(child["created"]))
        return {
            "workers": workers,
            "children": len(children),
            "end_to_end_s": total,
            "children_s": float(stages.get("children", "nan")),
            "publish_s": float(stages.get("publish", "nan")),
            "overhead_per_child_median_s": statistics.median(overheads),
            "overhead_per_child_min_max_s": [min(overheads), max(overheads)],
            "wait_before_start_median_s": statistics.median(waits),
            "peak_pss_mb": peaks,
        }
    finally:
        for worker in pool:
            stop(worker)
        stop(server)


def main(regencies: int = 35) -> dict[str, object]:
    raw, region = zones(regencies)
    results = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as home:
            results[f"{workers} worker(s)"] = measure(workers, raw, region, Path(home))
    files = sum(1 for code in region.split(",") for _ in (raw / code).rglob("*.xlsx"))
    print(f"province via a work pool: {len(region.split(','))} regencies, {files} files")
    for name, result in results.items():
        print(f"{name}: {json.dumps(result)}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_pool.json").write_text(json.dumps({"files": files, "results": results}, indent=2))
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 35)
