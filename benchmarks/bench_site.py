"""`make bench` (last): how long `cakupan report --site` takes for a regency over a year and for a province month.

Corpora (written once, cached in .cache/bench/): the demo regency (every Banyumas village) over
the twelve months of 2024, and the province month of benchmarks/bench.py (every village of Jawa
Tengah, April 2024). Each warehouse is published once and cached beside its zone; the site is then
written REPEATS times from it. Prints seconds, pages and milliseconds per page; writes
bench-results/bench_site.json. A page costs about the same in both: the site grows with places
times months, not with the number of regencies.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.outputs.site import write_site  # noqa: E402
from flows.settings import BANYUMAS_REGENCY_CODE, JAWA_TENGAH_PROVINCE_CODE  # noqa: E402

CACHE = ROOT / ".cache" / "bench"
RESULTS = ROOT / "bench-results"
REPEATS = 3
YEAR = tuple(f"2024-{month:02d}" for month in range(1, 13))


PUBLISH = """
import sys, uuid
from pathlib import Path
from flows.regency_run import run_pipeline
from flows.run_options import RunOptions
from flows.settings import Settings
raw, warehouse, region = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
settings = Settings(raw, warehouse, region=region, quiet_seconds=0.0)
run_pipeline(settings, f"bench-site-{uuid.uuid4()}", RunOptions(allow_empty=True))
"""


def publish(raw: Path, warehouse: Path, region: str) -> None:
    """Run the pipeline over `raw` once, in a child whose main module is no file (its workers fork from it)."""
    subprocess.run([sys.executable, "-c", PUBLISH, str(raw), str(warehouse), region], check=True, cwd=ROOT)
    (warehouse.parent / "published").touch()


def warehouse_of(name: str, region: str, write_zone: Callable[[Path], None]) -> Path:
    """The published warehouse of a cached zone, each built once."""
    folder = CACHE / name
    if not (folder / "zone-complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        write_zone(folder / "raw")
        (folder / "zone-complete").touch()
    if not (folder / "published").exists():
        publish(folder / "raw", folder / "cakupan.duckdb", region)
    return folder / "cakupan.duckdb"


def regency_year(raw: Path) -> None:
    from tools.generate import write_landing_zone

    write_landing_zone(raw, seed=42, periods=YEAR, bpjs_exports=True)


def province_month() -> Path:
    """bench.py's province month, published (its zone is shared with bench.py's cache)."""
    from benchmarks.bench import province_corpus

    folder = CACHE / "site-province"
    if not (folder / "published").exists():
        folder.mkdir(parents=True, exist_ok=True)
        publish(province_corpus(), folder / "cakupan.duckdb", JAWA_TENGAH_PROVINCE_CODE)
    return folder / "cakupan.duckdb"


def measure(warehouse: Path) -> dict[str, float]:
    """Write the site REPEATS times into a fresh folder; the median, spread and milliseconds per page."""
    seconds, cpu, pages = [], [], 0
    for _ in range(REPEATS):
        out = warehouse.parent / "situs"
        shutil.rmtree(out, ignore_errors=True)
        start, start_cpu = time.perf_counter(), time.process_time()
        pages = len(write_site(warehouse, out))
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    median = statistics.median(seconds)
    megabytes = sum(path.stat().st_size for path in out.rglob("*.html")) / 1e6
    return {
        "median_s": median,
        "min_s": min(seconds),
        "max_s": max(seconds),
        "cpu_s": statistics.median(cpu),  # every thread of this process: less at the mercy of a loaded machine
        "load_average": os.getloadavg()[0],
        "pages": pages,
        "ms_per_page": 1000 * median / pages,
        "megabytes": megabytes,
    }


def main() -> None:
    only = sys.argv[1:]
    scenarios = {
        "regency, 12 months": lambda: warehouse_of("site-regency-year", BANYUMAS_REGENCY_CODE, regency_year),
        "province, 1 month": province_month,
    }
    results = {}
    for name, warehouse in scenarios.items():
        if only and not any(word in name for word in only):
            continue
        results[name] = measure(warehouse())
        r = results[name]
        print(
            f"site {name:<20} {r['median_s']:6.2f} s ({r['min_s']:.2f}-{r['max_s']:.2f}; {r['cpu_s']:.2f} s CPU), "
            f"{r['pages']:,.0f} pages, {r['ms_per_page']:.1f} ms a page, {r['megabytes']:.0f} MB, "
            f"load average {r['load_average']:.1f}"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_site.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
