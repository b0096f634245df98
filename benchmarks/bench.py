"""`make bench`: the pipeline's own work against the raw-read floor and the pandas baseline, same machine, same run.

Each scenario runs several times, each time in a fresh process (so its peak RSS is its own),
on a cached messy regency month (331 village files in xlsx, xls, ods and csv). Prints the
median and spread per stage, rows per second, peak RSS and the ratios; writes JSON.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.baseline_pandas import run_baseline  # noqa: E402
from flows import discover, load, publish, reference  # noqa: E402
from flows.nightly import batches  # noqa: E402
from flows.pipeline import check_files, extract_file  # noqa: E402
from flows.place import keyed  # noqa: E402
from flows.read import UnreadableFileError, read_workbook  # noqa: E402
from flows.settings import state_path_for  # noqa: E402

CACHE = ROOT / ".cache" / "bench"
RESULTS = ROOT / "bench-results"
REPEATS = 3
SEED = 42


def corpus() -> Path:
    """The messy regency month, written once and cached."""
    from flows.messy import write_messy_zone

    raw = CACHE / f"regency-{SEED}" / "raw"
    if not (raw.parent / "complete").exists():
        write_messy_zone(raw, seed=SEED)
        (raw.parent / "complete").touch()
    return raw


def timed(stages: dict[str, float], name: str, work: Callable[[], object]) -> object:
    """Run `work`, adding its wall time to `stages[name]`."""
    start = time.perf_counter()
    result = work()
    stages[name] = stages.get(name, 0.0) + time.perf_counter() - start
    return result


def floor(raw: Path, _work: Path) -> tuple[dict[str, float], int]:
    """Reading every sheet of every file, nothing else (calamine for workbooks, csv for text)."""
    stages: dict[str, float] = {}
    files = [p for p in raw.rglob("*") if p.is_file() and p.suffix.lower() in {".xlsx", ".xls", ".ods", ".csv"}]

    def read_all() -> int:
        cells = 0
        for path in files:
            try:
                cells += sum(sheet.grid.height for sheet in read_workbook(path))
            except UnreadableFileError:
                continue
        return cells

    rows = timed(stages, "read", read_all)
    return stages, int(str(rows))


def pipeline(raw: Path, work: Path) -> tuple[dict[str, float], int]:
    """The pipeline's steps without the orchestrator, as the flow runs them (2 reading threads)."""
    stages: dict[str, float] = {}
    warehouse = work / "cakupan.duckdb"
    villages = keyed(reference.load_villages())
    found = timed(stages, "discover", lambda: discover.discover(raw))
    assert isinstance(found, pl.DataFrame)
    rows = 0
    with load.connect_state(state_path_for(warehouse)) as con, ThreadPoolExecutor(2) as pool:
        for extracted in timed(
            stages,
            "read",
            lambda: list(pool.map(lambda batch: [extract_file(raw, f, villages) for f in batch], batches(found, 64))),
        ):  # type: ignore[attr-defined]
            outcome = timed(stages, "validate_normalise", lambda e=extracted: check_files(e, villages))
            timed(stages, "load", lambda o=outcome: load.load_batch(con, o, "bench"))
            rows += outcome.rows.height  # type: ignore[attr-defined]
        load.start_run(con, "bench")
        timed(
            stages,
            "publish",
            lambda: (load.refresh_current(con, "bench"), publish.publish(con, warehouse, b"bench", "bench", 80.0)),
        )
        load.mark_run(con, "bench", "completed", publish.fingerprint(80.0))
    return stages, rows


def nothing_new(raw: Path, work: Path) -> tuple[dict[str, float], int]:
    """A re-run over the unchanged landing zone: discover, compare, decide not to republish."""
    pipeline(raw, work)
    stages: dict[str, float] = {}
    warehouse = work / "cakupan.duckdb"
    with load.connect_state(state_path_for(warehouse)) as con:
        found = timed(stages, "discover", lambda: discover.discover(raw))
        known = load.known_versions(con)
        new, _ = timed(stages, "compare", lambda: discover.new_versions(found, known))  # type: ignore[arg-type, misc]
        current = timed(stages, "decide", lambda: load.published_is_current(con, publish.fingerprint(80.0)))
    assert new.is_empty() and current, "the re-run found something new"
    return stages, 0


def pandas_baseline(raw: Path, work: Path) -> tuple[dict[str, float], int]:
    """The straightforward pandas + openpyxl implementation."""
    stages: dict[str, float] = {}
    rows = timed(stages, "all", lambda: run_baseline(raw, work / "baseline.duckdb"))
    return stages, int(str(rows))


SCENARIOS = {"floor": floor, "pipeline": pipeline, "nothing_new": nothing_new, "pandas": pandas_baseline}


def child(name: str, raw: Path) -> None:
    """Run one scenario once in this process and print its measurement as JSON."""
    with tempfile.TemporaryDirectory() as work:
        stages, rows = SCENARIOS[name](raw, Path(work))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"stages": stages, "total": sum(stages.values()), "rows": rows, "peak_rss_mb": peak_mb}))


def measure(name: str, raw: Path) -> list[dict[str, object]]:
    """REPEATS fresh processes of one scenario."""
    runs = []
    for _ in range(REPEATS):
        out = subprocess.run(
            [sys.executable, __file__, "--child", name, str(raw)], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs


def summary(runs: list[dict[str, object]]) -> dict[str, object]:
    """Median and spread of a scenario's runs."""
    totals = [float(str(r["total"])) for r in runs]
    stage_names = list(runs[0]["stages"])  # type: ignore[call-overload]
    return {
        "median_s": statistics.median(totals),
        "min_s": min(totals),
        "max_s": max(totals),
        "stages_median_s": {s: statistics.median(r["stages"][s] for r in runs) for s in stage_names},  # type: ignore[index]
        "rows": runs[0]["rows"],
        "peak_rss_mb": max(float(str(r["peak_rss_mb"])) for r in runs),
    }


def main() -> None:
    """Measure every scenario, print the table and ratios, write bench-results/bench.json."""
    raw = corpus()
    results = {name: summary(measure(name, raw)) for name in SCENARIOS}
    floor_s, pipeline_s = results["floor"]["median_s"], results["pipeline"]["median_s"]
    ratios = {
        "pipeline_over_floor": float(str(pipeline_s)) / float(str(floor_s)),
        "pandas_over_pipeline": float(str(results["pandas"]["median_s"])) / float(str(pipeline_s)),
    }
    print(f"corpus: {raw} ({sum(1 for p in raw.rglob('*') if p.is_file())} files), {REPEATS} runs each\n")
    print(f"{'scenario':<12} {'median s':>9} {'min-max s':>13} {'rows/s':>9} {'peak MB':>8}  stages (median s)")
    for name, r in results.items():
        median = float(str(r["median_s"]))
        rate = f"{int(str(r['rows'])) / median:,.0f}" if int(str(r["rows"])) else "-"
        stages = ", ".join(f"{s} {v:.2f}" for s, v in r["stages_median_s"].items())  # type: ignore[attr-defined]
        print(
            f"{name:<12} {median:>9.2f} {float(str(r['min_s'])):>6.2f}-{float(str(r['max_s'])):<6.2f} {rate:>9} "
            f"{float(str(r['peak_rss_mb'])):>8.0f}  {stages}"
        )
    print(f"\npipeline / raw-read floor: {ratios['pipeline_over_floor']:.2f}x (target at most 2x)")
    print(f"pandas baseline / pipeline: {ratios['pandas_over_pipeline']:.1f}x (target at least 10x)")
    print(f"nothing new: {float(str(results['nothing_new']['median_s'])):.3f} s (target at most 0.5 s)")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench.json").write_text(json.dumps({"results": results, "ratios": ratios}, indent=2))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], Path(sys.argv[3]))
    else:
        main()
