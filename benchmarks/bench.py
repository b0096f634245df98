"""`make bench`: the pipeline's own work against the raw-read floor and the pandas baseline, same machine, same run.

Corpora (written once, cached in .cache/bench/): a messy regency month (331 Banyumas
village files plus special files, in xlsx, xls, ods, csv and html-as-xls) and a province
month (Jawa Tengah, every village of the official list, one xlsx each).

Each scenario runs in a fresh process (so its memory is its own): the regency scenarios
REPEATS times, the province pipeline REPEATS times at each size. Prints the median and spread, the stages,
rows per second, the peak memory of the process tree and the ratios; writes JSON. Then the province
through its engine (warm Dask workers) against the same regencies in one process (benchmarks/bench_pool.py).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.ingest import discover  # noqa: E402
from flows.ingest.batch import extract_file, validate_batch  # noqa: E402
from flows.ingest.limits import UnreadableFileError  # noqa: E402
from flows.ingest.normalize import normalize  # noqa: E402
from flows.ingest.place import build_gazetteer  # noqa: E402
from flows.ingest.read import ROSTER_SUFFIXES, read_workbook  # noqa: E402
from flows.ingest.validate import validate  # noqa: E402
from flows.ingest.village_files import roster_frame  # noqa: E402
from flows.ingest.workers import batches  # noqa: E402
from flows.regency_run import PlainSteps, run_pipeline  # noqa: E402
from flows.run_options import RunOptions  # noqa: E402
from flows.runtime.pool import worker_count  # noqa: E402
from flows.runtime.warm import OnDask, local_cluster  # noqa: E402
from flows.settings import BANYUMAS_REGENCY_CODE, JAWA_TENGAH_PROVINCE_CODE, Settings, state_path_for  # noqa: E402
from flows.store import publish, reference, state_batches, state_current, state_db, state_runs  # noqa: E402
from flows.store.pii import PiiKey  # noqa: E402

CACHE = ROOT / ".cache" / "bench"
RESULTS = ROOT / "bench-results"
REPEATS = 3
SEED = 42
PROVINCE_SHARES = (0.25, 0.5, 1.0)  # of the province's files, to see how time grows
RUN = "bench"
KEY = PiiKey(b"bench", "bench")  # the person_id key of the `stages` scenario, which publishes by itself
OPTIONS = RunOptions(allow_empty=True)  # a share of the province may leave its newest period out
BASELINE: dict[str, float] = {}  # the raw-read floor, timed in the same process as a scenario, for its ratio
T = TypeVar("T")
SCHEDULER_ENV = "CAKUPAN_DASK_SCHEDULER"  # the `warm` scenarios' cluster, started by `main`


def regency_corpus() -> Path:
    """The messy regency month, written once and cached."""
    from tools.messy import write_messy_zone

    raw = CACHE / f"regency-{SEED}" / "raw"
    if not (raw.parent / "complete").exists():
        write_messy_zone(raw, seed=SEED)
        (raw.parent / "complete").touch()
    return raw


def province_corpus() -> Path:
    """April 2024 for every village of Jawa Tengah, written once and cached (about 2 minutes)."""
    from tools.generate import write_landing_zone

    raw = CACHE / f"province-{SEED}" / "raw"
    if not (raw.parent / "complete").exists():
        write_landing_zone(raw, seed=SEED, periods=("2024-04",), region=JAWA_TENGAH_PROVINCE_CODE)
        (raw.parent / "complete").touch()
    return raw


def timed(stages: dict[str, float], name: str, work: Callable[[], T]) -> T:
    """Run `work`, adding its wall time to `stages[name]`."""
    start = time.perf_counter()
    result = work()
    stages[name] = stages.get(name, 0.0) + time.perf_counter() - start
    return result


def floor(raw: Path, _work: Path, _region: str, _share: float) -> tuple[dict[str, float], int]:
    """Reading every sheet of every file, nothing else (calamine for workbooks, csv and html readers for text)."""
    stages: dict[str, float] = {}
    files = [p for p in raw.rglob("*") if p.is_file() and p.suffix.lower() in ROSTER_SUFFIXES]

    def read_all() -> int:
        cells = 0
        for path in files:
            try:
                cells += sum(sheet.grid.height for sheet in read_workbook(path))
            except UnreadableFileError:
                continue
        return cells

    return stages, timed(stages, "read", read_all)


class BenchSteps(PlainSteps):
    """The run's plain steps (what `run_pipeline` does without Prefect), timed, over a share of the zone."""

    def __init__(self, share: float = 1.0) -> None:
        self.share, self.stages = share, dict[str, float]()

    def discover(self, raw_dir: Path) -> pl.DataFrame:
        found = timed(self.stages, "discover", lambda: super(BenchSteps, self).discover(raw_dir))
        return found.head(round(found.height * self.share))

    def publish(self, con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str, key: PiiKey) -> pl.DataFrame:
        return timed(self.stages, "publish", lambda: super(BenchSteps, self).publish(con, settings, run_id, key))


def run_once(raw: Path, work: Path, region: str, steps: BenchSteps) -> tuple[dict[str, float], int]:
    """`run_pipeline`, the sequence the nightly flow runs, with the time between discovery and publish as one stage.

    The publish's template (publish.template_for) is there, as an earlier night left it: kept in the cache.
    """
    settings = Settings(raw, work / "cakupan.duckdb", region=region, quiet_seconds=0)
    templates = CACHE / "templates"
    for template in templates.glob("*.duckdb"):
        settings.state.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, settings.state.parent / template.name)
    started = time.perf_counter()
    summary = run_pipeline(settings, f"bench-{uuid.uuid4()}", OPTIONS, steps)
    rest = time.perf_counter() - started - sum(steps.stages.values())
    kept = publish.template_for(settings)
    if kept.exists() and not (templates / kept.name).exists():  # the first publish made it: for the next runs
        templates.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(kept, templates / kept.name)
    workers = worker_count(summary.counts["files_new"])
    steps.stages[f"process_load_refresh ({workers} worker{'s' if workers > 1 else ''})"] = rest
    return steps.stages, summary.counts["rows_loaded"]


def pipeline(raw: Path, work: Path, region: str, share: float) -> tuple[dict[str, float], int]:
    """What the flow runs, without the orchestrator: `run_pipeline` with plain steps.

    Its worker processes start inside it, as in a deployment's flow run (a new process each night): the run
    starts their forkserver before discovery (flows/runtime/forkserver.py `warm_up`), and their imports count.
    """
    return run_once(raw, work, region, BenchSteps(share))


def pipeline_then_floor(raw: Path, work: Path, region: str, share: float) -> tuple[dict[str, float], int]:
    """`pipeline`, then the raw-read floor in the same process: a ratio that drift between processes does not skew.

    On this shared machine the floor alone took a median 0.47 s in one bench and 0.70 s in another. The floor
    runs after the pipeline, whose workers are gone by then, so it does not raise the peak memory.
    """
    result = pipeline(raw, work, region, share)
    BASELINE["floor"] = sum(floor(raw, work, region, share)[0].values())
    return result


class WarmBenchSteps(OnDask, BenchSteps):
    """The bench's steps with the batches read on a warm Dask worker (flows/runtime/warm.py), as under `cakupan
    serve`."""


def warm(raw: Path, work: Path, region: str, share: float) -> tuple[dict[str, float], int]:
    """`pipeline` with its batches read on the warm worker of the Dask cluster at $CAKUPAN_DASK_SCHEDULER, then the
    raw-read floor in the same process.

    This process is new, as a served flow run is each night: it imported distributed with the flow's modules,
    before the run (flows/runtime/warm.py), and connects inside it. The cluster is `main`'s, up before the first
    run (as `cakupan serve`'s is before the night) and warmed by an uncounted run: its worker has its forkserver
    from start-up.
    """
    steps = WarmBenchSteps(os.environ[SCHEDULER_ENV], share)
    result = run_once(raw, work, region, steps)
    BASELINE["floor"] = sum(floor(raw, work, region, share)[0].values())
    return result


def stages(raw: Path, work: Path, region: str, _share: float) -> tuple[dict[str, float], int]:
    """The same work in this process, one stage at a time, to see where the time goes.

    A subtraction would be noise for the accounting part of `validate_batch`, so it is left out.
    """
    times: dict[str, float] = {}
    warehouse = work / "cakupan.duckdb"
    gazetteer = build_gazetteer(reference.load_villages(region=region))
    found = discover.discover(raw)
    work_batches = batches(found, Settings.batch_size)
    for batch in work_batches:
        for file in batch:
            timed(times, "read", lambda f=file: _read_quietly(raw / f.source_file))
    extracted = [
        timed(times, "structure_place", lambda b=b: [extract_file(raw, f, gazetteer) for f in b]) for b in work_batches
    ]
    times["structure_place"] -= times["read"]  # extract_file reads too
    rows = 0
    with state_db.connect_state(state_path_for(warehouse)) as con:
        for batch in extracted:
            stacked = timed(times, "normalise", lambda b=batch: roster_frame(b, gazetteer))
            normalised = timed(times, "normalise", lambda s=stacked: normalize(s.filter(pl.col("row_kind") == "data")))
            timed(times, "validate", lambda n=normalised: validate(n))
            outcome = validate_batch(
                batch, gazetteer
            )  # for load; its own accounting (counts, flagged rows) is not timed
            timed(times, "load", lambda o=outcome: state_batches.load_batch(con, o, RUN, Settings.file_retries))
            rows += outcome.rows.height
        state_runs.start_run(con, RUN)
        timed(times, "refresh", lambda: state_current.refresh_current(con, RUN))
        published = Settings(raw, warehouse, region=region)
        timed(times, "publish", lambda: publish.publish(con, published, KEY, RUN))
    return times, rows


def _read_quietly(path: Path) -> None:
    try:
        read_workbook(path)
    except UnreadableFileError:
        return


def nothing_new(raw: Path, work: Path, region: str, share: float) -> tuple[dict[str, float], int]:
    """A re-run over the unchanged landing zone: the whole sequence, which finds nothing new and does not republish."""
    pipeline(raw, work, region, share)
    published = (work / "cakupan.duckdb").stat().st_ino
    steps = BenchSteps(share)
    times, rows = run_once(raw, work, region, steps)
    assert rows == 0 and "publish" not in times, "the re-run found something new"
    assert (work / "cakupan.duckdb").stat().st_ino == published, "the re-run republished"
    return times, 0


def warm_nothing_new(raw: Path, work: Path, region: str, share: float) -> tuple[dict[str, float], int]:
    """`nothing_new` with the warm route's steps: the re-run connects to no cluster."""
    warm(raw, work, region, share)
    published = (work / "cakupan.duckdb").stat().st_ino
    times, rows = run_once(raw, work, region, WarmBenchSteps(os.environ[SCHEDULER_ENV], share))
    assert rows == 0 and "publish" not in times, "the re-run found something new"
    assert (work / "cakupan.duckdb").stat().st_ino == published, "the re-run republished"
    return times, 0


def pandas_baseline(raw: Path, work: Path, _region: str, _share: float) -> tuple[dict[str, float], int]:
    """The straightforward pandas + openpyxl implementation."""
    from benchmarks.baseline_pandas import run_baseline  # here: worker processes re-import this module

    times: dict[str, float] = {}
    return times, timed(times, "all", lambda: run_baseline(raw, work / "baseline.duckdb"))


SCENARIOS = {
    "floor": floor,
    "pipeline": pipeline_then_floor,
    "stages": stages,
    "nothing_new": nothing_new,
    "warm": warm,
    "warm_nothing_new": warm_nothing_new,
    "pandas": pandas_baseline,
    "province": pipeline,
}
REGENCY_SCENARIOS = ("floor", "pipeline", "stages", "nothing_new", "pandas")
WARM_SCENARIOS = ("warm", "warm_nothing_new")  # on a cluster `main` keeps up meanwhile


def tree_pss_mb(root: int | None = None) -> float:
    """Memory of a process (this one unless `root` is given) and its descendants: the sum of their PSS.

    PSS splits a page shared by n processes (the forked workers share the forkserver's
    imported modules) n ways, so the sum is what the tree really holds.
    """
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    root = os.getpid() if root is None else root
    tree, frontier = {root}, [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier and pid not in tree]
        tree.update(children)
        frontier = children
    kilobytes = 0
    for pid in tree:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        kilobytes += next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
    return kilobytes / 1024


def child(name: str, raw: Path, region: str, share: float) -> None:
    """Run one scenario once in this process, sampling the process tree's memory; print the result as JSON."""
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.25):
            peak = max(peak, tree_pss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with tempfile.TemporaryDirectory() as work:
        times, rows = SCENARIOS[name](raw, Path(work), region, share)
    done.set()
    sampler.join()
    total = sum(times.values())
    result = {"stages": times, "total": total, "rows": rows, "peak_rss_mb": peak}
    print(json.dumps({**result, "baseline": BASELINE}))


def measure(
    name: str, raw: Path, repeats: int, region: str = BANYUMAS_REGENCY_CODE, share: float = 1.0
) -> dict[str, object]:
    """`repeats` fresh processes of one scenario, summarised: median and spread, per-stage medians, peak memory."""
    runs = []
    for _ in range(repeats):
        command = [sys.executable, __file__, "--child", name, str(raw), region, str(share)]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    totals = [float(r["total"]) for r in runs]
    over_floor = [float(r["total"]) / float(r["baseline"]["floor"]) for r in runs if r["baseline"]]
    return {
        "over_floor_same_process": sorted(over_floor),
        "median_s": statistics.median(totals),
        "min_s": min(totals),
        "max_s": max(totals),
        "stages_median_s": {s: statistics.median(r["stages"][s] for r in runs) for s in runs[0]["stages"]},
        "rows": runs[0]["rows"],
        "peak_rss_mb": max(float(r["peak_rss_mb"]) for r in runs),
    }


def line(name: str, result: dict[str, object]) -> str:
    """One row of the printed table."""
    median, rows = float(str(result["median_s"])), int(str(result["rows"]))
    rate = f"{rows / median:,.0f}" if rows else "-"
    spread = f"{float(str(result['min_s'])):.2f}-{float(str(result['max_s'])):.2f}"
    parts = ", ".join(f"{s} {v:.2f}" for s, v in result["stages_median_s"].items())  # type: ignore[attr-defined]
    return f"{name:<16} {median:>9.2f} {spread:>13} {rate:>10} {float(str(result['peak_rss_mb'])):>8.0f}  {parts}"


def main() -> None:
    """Measure every scenario, print the table and the ratios, write bench-results/bench.json."""
    regency, province = regency_corpus(), province_corpus()
    results = {name: measure(name, regency, REPEATS) for name in REGENCY_SCENARIOS}
    with local_cluster() as address:  # as `cakupan serve` keeps one
        os.environ[SCHEDULER_ENV] = address
        measure("warm", regency, 1)  # its worker's first night, not counted
        results.update({name: measure(name, regency, REPEATS) for name in WARM_SCENARIOS})
    for share in PROVINCE_SHARES:
        results[f"province {share:.0%}"] = measure("province", province, REPEATS, JAWA_TENGAH_PROVINCE_CODE, share)
    median = {name: float(str(r["median_s"])) for name, r in results.items()}
    province_files = sum(1 for _ in province.rglob("*.xlsx"))
    over_floor: list[float] = results["pipeline"]["over_floor_same_process"]  # type: ignore[assignment]
    per_file = {share: median[f"province {share:.0%}"] / (share * province_files) for share in PROVINCE_SHARES}
    ratios = {
        "pipeline_over_floor": statistics.median(over_floor),
        "pipeline_over_floor_min_max": [over_floor[0], over_floor[-1]],
        "pandas_over_pipeline": median["pandas"] / median["pipeline"],
        "province_ms_per_file": {f"{share:.0%}": 1000 * seconds for share, seconds in per_file.items()},
    }
    print(f"regency corpus: {regency} ({sum(1 for p in regency.rglob('*') if p.is_file())} files), {REPEATS} runs each")
    print(f"province corpus: {province} ({province_files} files), {REPEATS} runs per size\n")
    print(f"{'scenario':<16} {'median s':>9} {'min-max s':>13} {'rows/s':>10} {'peak MB':>8}  stages (median s)")
    for name, result in results.items():
        print(line(name, result))
    print(
        f"\npipeline / raw-read floor: {ratios['pipeline_over_floor']:.2f}x, {over_floor[0]:.2f}-{over_floor[-1]:.2f}x"
        " over the runs, each against the floor timed in its own process (target at most 2.5x)"
    )
    print(f"pandas baseline / pipeline: {ratios['pandas_over_pipeline']:.1f}x (target at least 10x)")
    print(f"nothing new: {median['nothing_new']:.3f} s (target at most 0.5 s)")
    warm_over: list[float] = results["warm"]["over_floor_same_process"]  # type: ignore[assignment]
    ratios["warm_over_floor"] = statistics.median(warm_over)
    ratios["warm_over_floor_min_max"] = [warm_over[0], warm_over[-1]]
    print(
        f"warm route / raw-read floor: {ratios['warm_over_floor']:.2f}x, {warm_over[0]:.2f}-{warm_over[-1]:.2f}x "
        f"(target at most 2.5x); its nothing new: {median['warm_nothing_new']:.3f} s"
    )
    print("province ms per file at " + ", ".join(f"{k}: {v:.2f}" for k, v in ratios["province_ms_per_file"].items()))
    province_peak = float(str(results["province 100%"]["peak_rss_mb"]))
    print(f"province peak memory (process tree): {province_peak:,.0f} MB (target at most 2,048 MB)")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench.json").write_text(json.dumps({"results": results, "ratios": ratios}, indent=2))
    from benchmarks.bench_pool import main as province_pool  # here: bench_pool imports this module

    province_pool()  # the province through warm Dask workers against one process: bench-results/bench_pool.json


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], Path(sys.argv[3]), sys.argv[4], float(sys.argv[5]))
    else:
        main()
