"""The province publisher with a year (and two) of history: one changed regency republished against a full rebuild.

Part of `make bench` (`python benchmarks/bench_publish.py [ROUNDS] [three] [province]`). Three regencies of Jawa
Tengah, unequal on purpose (33.01 with 5 villages, 33.02 and 33.03 with 60 each), run once through
the province's plain sequence for April 2024; each regency's staged output is then relabelled to
12 months (May 2023 to April 2024: the same rows under each month, paths and periods renamed) and
committed as one generation, and the province warehouse is published whole from it. Each round
then changes one regency (a new generation with some enrolment flipped in its latest month) and
times, in the same go, the publisher (`publish_province`: it republishes that regency's rows in a
copy of the warehouse, each statement timed) and a full rebuild of the same manifests
(`publish.publish_staged`), and checks both hold the same rows, table by table. The small and a
large regency take turns. Then the other two regencies get 24 months and the small one is changed
again: its republish should cost what it did, the full rebuild grows with the province. Then the
province (PROVINCE_ONE_IN): all 35 regencies of Jawa Tengah, a year each, the regency nearest 3% of
the roster changed. The machine is shared: compare the ratios, not the seconds (the load average is
printed), and the statements' CPU seconds.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from obstore.store import ObjectStore

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CAKUPAN_PII_KEY", "the publisher benchmark's key")

from benchmarks.bench import CACHE  # noqa: E402
from benchmarks.bench_pool import zones  # noqa: E402
from benchmarks.profile import TimedConnection  # noqa: E402
from flows.province_run import InProcessSteps, publish_province, run_province, staged_cache  # noqa: E402
from flows.run_options import RunOptions  # noqa: E402
from flows.settings import Settings  # noqa: E402
from flows.store import publish, reference, staging  # noqa: E402
from tools.generate import split_by_regency, write_landing_zone  # noqa: E402

RESULTS = ROOT / "bench-results"
VILLAGES = {"33.01": 5, "33.02": 60, "33.03": 60}
REGION = ",".join(VILLAGES)
MONTH = "2024-04"
# Months of history up to MONTH, by regency, and the regencies changed in turn. A year for each, the
# small and a large one changed; then the other regencies' history doubled, the small one's kept:
# its republish should cost the same, the full rebuild grows with the province.
HISTORIES = {
    "a year": ({"33.01": 12, "33.02": 12, "33.03": 12}, ("33.01", "33.02")),
    "others two years": ({"33.01": 12, "33.02": 24, "33.03": 24}, ("33.01",)),
}
# The province: every regency of Jawa Tengah with one village file in PROVINCE_ONE_IN of each (a quarter of the
# province's villages, about 250,000 roster rows a month: 3 million a year), PROVINCE_MONTHS months each, and the
# regency nearest 3% of the roster changed. The whole province (1 million rows a month) would take a full rebuild of
# several minutes a round on this 2-core machine; the ratio is what this configuration is for.
PROVINCE_ONE_IN = 4
PROVINCE_MONTHS = 12
PROVINCE_ROUNDS = 2  # at most: each round also rebuilds the 3 million rows whole (about a minute here)
LOG = logging.getLogger("bench_publish")


def relabelled(frame: pl.DataFrame, code: str, period: str) -> pl.DataFrame:
    """The frame's rows as if staged for `period`: the period column and the month folder in paths renamed."""
    texts = [name for name, dtype in frame.schema.items() if dtype == pl.String and name != "period"]
    folder = pl.lit(f"{code}/{period}/")
    return frame.with_columns(
        pl.lit(period).alias("period"),
        *(pl.col(name).str.replace(f"{code}/{MONTH}/", folder, literal=True) for name in texts),
    )


def frames_of(cache: Path, manifest: staging.Manifest) -> dict[str, pl.DataFrame]:
    return {
        table: pl.concat([pl.read_parquet(cache / name) for name in names], how="diagonal_relaxed")
        for table, names in manifest.objects.items()
    }


def commit(store: ObjectStore, manifest: staging.Manifest, frames: dict[str, pl.DataFrame]) -> staging.Manifest:
    generation = staging.new_generation()
    objects = staging.write_generation(store, manifest.regency_code, generation, frames)
    counts = {table: frame.height for table, frame in frames.items()}
    committed = replace(manifest, generation=generation, objects=objects, counts=counts, replaced="")
    staging.commit(store, committed)
    return committed


def history_of(frames: dict[str, pl.DataFrame], code: str, months: int) -> dict[str, pl.DataFrame]:
    """`months` months up to MONTH from its rows: every table with a period repeated under each month."""
    year, month = map(int, MONTH.split("-"))
    latest = year * 12 + month - 1
    periods = [f"{(latest - back) // 12}-{(latest - back) % 12 + 1:02d}" for back in range(months)]
    return {
        table: pl.concat([relabelled(frame, code, period) for period in periods]) if "period" in frame else frame
        for table, frame in frames.items()
    }


def changed(frames: dict[str, pl.DataFrame], round_number: int) -> dict[str, pl.DataFrame]:
    """The regency's next staged output: in its latest month, every fifth roster row's enrolment flipped."""
    roster = frames["roster"].with_row_index("n")
    flip = (pl.col("period") == MONTH) & ((pl.col("n") + round_number) % 5 == 0)
    roster = roster.with_columns(
        pl.when(flip).then(~pl.col("enrolled")).otherwise(pl.col("enrolled")).alias("enrolled")
    )
    return {**frames, "roster": roster.drop("n")}


@contextmanager
def statements_timed(parts: dict[str, list[float]]) -> Iterator[None]:
    """Time each statement of `publish.republish_staged` by its kind (benchmarks/profile.py), and the whole of it."""
    connect, republish = duckdb.connect, publish.republish_staged

    class Timed(TimedConnection):
        def __enter__(self) -> Timed:
            return self

        def __exit__(self, *exc: object) -> None:
            for name, (wall, cpu, count) in self.parts.items():
                found = parts.setdefault(name, [0.0, 0.0, 0.0])
                found[0], found[1], found[2] = found[0] + wall, found[1] + cpu, found[2] + count
            self.con.close()

    def timed_republish(*args: object) -> None:
        started = time.perf_counter()
        republish(*args)  # type: ignore[arg-type]
        parts.setdefault("republish_staged (all of it)", [0.0, 0.0, 0.0])[0] += time.perf_counter() - started

    duckdb.connect = lambda *args, **kwargs: Timed(connect(*args, **kwargs))  # type: ignore[assignment]
    publish.republish_staged = timed_republish  # type: ignore[assignment]
    try:
        yield
    finally:
        duckdb.connect, publish.republish_staged = connect, republish


def differing(published: Path, whole: Path) -> dict[str, int]:
    """Each table's rows in one file and not the other (as often as they occur), counted in DuckDB: zeros when equal.

    Every base table, internal.people_counts too; a province cross-row warning's run_id is the run that found it.
    """
    with duckdb.connect() as con:
        con.execute("attach $path as published (read_only)", {"path": str(published)})
        con.execute("attach $path as whole (read_only)", {"path": str(whole)})
        listed = "select schema_name || '.' || table_name from duckdb_tables() where database_name = $db order by all"
        names = [row[0] for row in con.execute(listed, {"db": "published"}).fetchall()]
        assert names == [row[0] for row in con.execute(listed, {"db": "whole"}).fetchall()], "not the same tables"
        found = {}
        for name in names:
            rows = "select * exclude (run_id)" if name == "main.validation_failures" else "select *"
            one, other = f"{rows} from published.{name}", f"{rows} from whole.{name}"
            query = f"select count(*) from (({one} except all {other}) union all ({other} except all {one}))"
            found[name] = con.execute(query).fetchall()[0][0]
        return found


def main(rounds: int = 3, configurations: tuple[str, ...] = ("three", "province")) -> None:
    """Measure the publisher in each configuration (HISTORIES on three regencies, then the province); write the json."""
    record: dict[str, Any] = {"load_average_before": os.getloadavg()}
    if "three" in configurations:
        with tempfile.TemporaryDirectory(prefix="bench-publish-") as temp:
            config, april, manifests = three_regencies(Path(temp))
            record["histories"] = {
                name: measure(config, april, manifests, months, changing, rounds)
                for name, (months, changing) in HISTORIES.items()
            }
    if "province" in configurations:
        april, manifests = province_april()
        with tempfile.TemporaryDirectory(prefix="bench-publish-province-") as temp:
            root = Path(temp)
            config = Settings(
                root / "zones", root / "province.duckdb", region=",".join(april), staging_url=str(root / "staging")
            )
            months = dict.fromkeys(april, PROVINCE_MONTHS)
            changing = (about_three_percent(april),)
            record["province"] = measure(config, april, manifests, months, changing, min(rounds, PROVINCE_ROUNDS))
            record["province"]["one_village_in"] = PROVINCE_ONE_IN
    record["load_average_after"] = os.getloadavg()
    print(f"load average (1, 5, 15 min): {record['load_average_before']} before, {os.getloadavg()} after")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_publish.json").write_text(json.dumps(record, indent=2))


def three_regencies(
    root: Path,
) -> tuple[Settings, dict[str, dict[str, pl.DataFrame]], dict[str, staging.Manifest]]:
    """VILLAGES' landing zones written and run once through the province's plain sequence for MONTH; their output."""
    villages = reference.load_villages(region=REGION).sort("village_code")
    codes = pl.concat([villages.filter(pl.col("regency_code") == c).head(n) for c, n in VILLAGES.items()])
    village_codes = codes["village_code"].to_list()
    write_landing_zone(root / "province", periods=(MONTH,), village_codes=village_codes, region=REGION)
    split_by_regency(root / "province", root / "zones")
    config = Settings(
        root / "zones",
        root / "province.duckdb",
        region=REGION,
        quiet_seconds=0,
        staging_url=str(root / "staging"),
        work_dir=str(root / "work"),
    )
    run_province(config, "april", RunOptions(allow_empty=True), InProcessSteps(), LOG)
    manifests = staging.read_manifests(staging.open_store(config.staging), VILLAGES)
    april = {code: frames_of(staged_cache(config.warehouse), manifest) for code, manifest in manifests.items()}
    return config, april, manifests


def province_april() -> tuple[dict[str, dict[str, pl.DataFrame]], dict[str, staging.Manifest]]:
    """Every regency of Jawa Tengah (bench.py's province corpus, one village file in PROVINCE_ONE_IN of each) run once
    through the province's plain sequence for MONTH; what each staged, cached in .cache/bench (a few minutes, once)."""
    cached = CACHE / f"publish-province-1-in-{PROVINCE_ONE_IN}"
    if not (cached / "complete").exists():
        shutil.rmtree(cached, ignore_errors=True)
        split, codes = zones(35)
        with tempfile.TemporaryDirectory(prefix="bench-publish-staging-") as temp:
            root = Path(temp)
            for code in codes:
                for path in sorted(p for p in (split / code).rglob("*") if p.is_file())[::PROVINCE_ONE_IN]:
                    target = root / "zones" / path.relative_to(split)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.hardlink_to(path)
            config = Settings(
                root / "zones",
                root / "province.duckdb",
                region=",".join(codes),
                quiet_seconds=0,
                staging_url=str(root / "staging"),
                work_dir=str(root / "work"),
            )
            started = time.perf_counter()
            run_province(config, "april", RunOptions(allow_empty=True), InProcessSteps(), LOG)
            print(f"the province's {len(codes)} regencies run and staged in {time.perf_counter() - started:.0f} s")
            for code, manifest in staging.read_manifests(staging.open_store(config.staging), codes).items():
                (cached / code).mkdir(parents=True)
                for table, frame in frames_of(staged_cache(config.warehouse), manifest).items():
                    frame.write_parquet(cached / code / f"{table}.parquet")
                (cached / code / "manifest.json").write_text(json.dumps(asdict(manifest)))
        (cached / "complete").touch()
    folders = sorted(path for path in cached.iterdir() if path.is_dir())
    april = {path.name: {p.stem: pl.read_parquet(p) for p in path.glob("*.parquet")} for path in folders}
    manifests = {p.name: staging.Manifest(**json.loads((p / "manifest.json").read_text())) for p in folders}
    return april, manifests


def about_three_percent(april: dict[str, dict[str, pl.DataFrame]]) -> str:
    """The regency whose roster is nearest 3% of the province's (one of 35 regencies on average)."""
    total = sum(frames["roster"].height for frames in april.values())
    return min(april, key=lambda code: abs(april[code]["roster"].height / total - 0.03))


def shown(months: dict[str, int]) -> str:
    """Months by regency as printed: each regency's, or how many regencies have how many months."""
    if len(months) <= len(VILLAGES):
        return str(months)
    return ", ".join(f"{list(months.values()).count(n)} regencies {n}" for n in sorted(set(months.values())))


def measure(
    config: Settings,
    april: dict[str, dict[str, pl.DataFrame]],
    manifests: dict[str, staging.Manifest],
    months: dict[str, int],
    changing: tuple[str, ...],
    rounds: int,
) -> dict[str, Any]:
    """Each regency's `months` committed and published whole, then `rounds` rounds of each of `changing` changed."""
    store = staging.open_store(config.staging)
    history = {code: history_of(frames, code, months[code]) for code, frames in april.items()}
    codes = list(april)
    for code, manifest in manifests.items():
        commit(store, manifest, history[code])
    started = time.perf_counter()
    assert publish_province(config, store, staging.read_manifests(store, codes), f"history-{uuid.uuid4()}", LOG)
    first = time.perf_counter() - started
    with duckdb.connect(str(config.warehouse), read_only=True) as con:
        roster_rows = con.sql("select count(*) from roster").fetchall()[0][0]
    share = {code: frames["roster"].height / roster_rows for code, frames in history.items()}
    print(
        f"province warehouse: {roster_rows:,} roster rows, months by regency {shown(months)}, "
        f"{config.warehouse.stat().st_size / 2**20:.1f} MB; published whole in {first:.2f} s"
    )
    results: dict[str, dict[str, list[float]]] = {}
    statements: dict[str, dict[str, list[float]]] = {}  # regency -> kind of statement -> wall, CPU, count
    root = config.warehouse.parent
    whole = replace(config, warehouse=root / "whole.duckdb")
    for number in range(rounds):
        for code in changing:
            history[code] = changed(history[code], number)
            commit(store, staging.read_manifests(store, codes)[code], history[code])
            committed = staging.read_manifests(store, codes)
            started = time.perf_counter()
            with statements_timed(statements.setdefault(code, {})):
                assert publish_province(config, store, committed, f"round-{number}", LOG)
            incremental = time.perf_counter() - started
            objects = staging.fetch(store, committed.values(), root / "whole-cache")
            started = time.perf_counter()
            publish.publish_staged(objects, whole, f"whole-{uuid.uuid4()}")
            full = time.perf_counter() - started
            started = time.perf_counter()
            shutil.copyfile(config.warehouse, root / "copy.duckdb")
            copy = time.perf_counter() - started
            unequal = {name: count for name, count in differing(config.warehouse, whole.warehouse).items() if count}
            assert not unequal, f"round {number}, {code}: not a full rebuild's rows: {unequal}"
            found = results.setdefault(code, {"incremental": [], "full": [], "copy": [], "ratio": []})
            for name, seconds in (("incremental", incremental), ("full", full), ("copy", copy)):
                found[name].append(seconds)
            found["ratio"].append(incremental / full)
    print(f"{'changed regency':<18} {'share':>6} {'republish s':>12} {'full s':>8} {'file copy s':>12} {'ratio':>7}")
    summary: dict[str, Any] = {}
    for code, found in results.items():
        median = {name: statistics.median(values) for name, values in found.items()}
        summary[code] = {**median, "share_of_roster": share[code], "rounds": found}
        print(
            f"{code:<18} {share[code]:>6.1%} {median['incremental']:>12.3f} {median['full']:>8.3f} "
            f"{median['copy']:>12.3f} {median['ratio']:>7.2f}"
        )
    print("ratio: the median over rounds of republish / full rebuild, each pair timed back to back; rows equal")
    for code, parts in statements.items():
        whole_s = parts.pop("republish_staged (all of it)")[0] / rounds
        timed = sum(wall for wall, _, _ in parts.values()) / rounds
        print(
            f"republishing {code}, by statement (mean wall s / CPU s a round, statements): "
            f"{whole_s:.3f} s in republish_staged, {timed:.3f} s of it in statements"
        )
        for name, (wall, cpu, count) in sorted(parts.items(), key=lambda item: -item[1][0]):
            if wall / rounds >= 0.005:
                print(f"{wall / rounds:8.3f} {cpu / rounds:8.3f} {count / rounds:5.0f}  {name}")
        summary[code]["statements"] = {name: [value / rounds for value in part] for name, part in parts.items()}
        summary[code]["republish_staged_s"] = whole_s
    grown = config.warehouse.stat().st_size / whole.warehouse.stat().st_size
    print(f"republished file after {rounds * len(changing)} republishes: {grown:.2f}x the size of a file built whole")
    return {"roster_rows": roster_rows, "first_publish_s": first, "size_over_whole": grown, "regencies": summary}


if __name__ == "__main__":
    main(int(sys.argv[1]) if sys.argv[1:] else 3, tuple(sys.argv[2:]) or ("three", "province"))
