"""`make profile`: where the pipeline's time goes, as a pyinstrument call tree.

Runs the nightly sequence (`flows/regency_run.py`) in this one process (no worker processes, so every call is
sampled) over the cached regency corpus of `make bench`, and prints the tree of the calls
that took at least 2% of the time. Then the publish again, PUBLISH_REPEATS times, with the wall and
CPU time (DuckDB's threads summed) of each kind of statement it executes: each table, the views,
their comments, the commit.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import duckdb
from pyinstrument import Profiler
from pyinstrument.renderers import ConsoleRenderer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench import OPTIONS, regency_corpus  # noqa: E402
from flows.ingest.batch import process_batch  # noqa: E402
from flows.ingest.outcomes import BatchOutcome, DiscoveredFile  # noqa: E402
from flows.ingest.workers import BatchProcessor  # noqa: E402
from flows.regency_run import PlainSteps, run_pipeline  # noqa: E402
from flows.settings import Settings  # noqa: E402
from flows.store import publish, state_db  # noqa: E402
from flows.store.pii import resolve_key  # noqa: E402

PUBLISH_REPEATS = 3
TABLE = re.compile(r"create (?:or replace )?(?:temporary )?table (\S+)")


class InProcessSteps(PlainSteps):
    """Batches processed in this process, where the profiler samples them (the nightly run uses workers)."""

    def submit(self, processor: BatchProcessor, files: list[DiscoveredFile]) -> Future[BatchOutcome]:
        done: Future[BatchOutcome] = Future()
        done.set_result(process_batch(processor.raw_dir, files, processor.gazetteer))
        return done


class TimedConnection:
    """A connection that times each `execute` (wall and this process's CPU), by the kind of statement."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.parts: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])  # wall s, CPU s, statements

    def execute(self, sql: str, params: object = None) -> duckdb.DuckDBPyConnection:
        wall, cpu = time.perf_counter(), time.process_time()
        result = self.con.execute(sql, params)
        part = self.parts[kind(sql)]
        part[0] += time.perf_counter() - wall
        part[1] += time.process_time() - cpu
        part[2] += 1
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


def kind(sql: str) -> str:
    """What a statement of the publish makes: its table, `insert into <table>`, `comment on column`, `commit`..."""
    code = " ".join(line for line in sql.lower().splitlines() if not line.lstrip().startswith("--"))
    made = TABLE.search(code)
    if made:
        return f"table {made.group(1)}"
    words = code.replace("or replace ", "").split()
    named = words[0] in ("comment", "insert", "delete") or words[1:2] == ["temporary"]  # and what it writes
    return " ".join(words[:3]) if named else " ".join(words[:2])


def publish_parts(settings: Settings) -> None:
    """Publish the warehouse of `settings` again PUBLISH_REPEATS times; print each kind of statement's median cost."""
    with state_db.connect_state(settings.state) as con:
        key = resolve_key(settings, create=False)
        assert key is not None, "the profiled run made a key"
        runs, whole = [], []
        for _ in range(PUBLISH_REPEATS):
            timed = TimedConnection(con)
            wall, cpu = time.perf_counter(), time.process_time()
            publish.publish(timed, settings, key, "profile")  # type: ignore[arg-type]
            whole.append(f"{time.perf_counter() - wall:.3f} / {time.process_time() - cpu:.3f}")
            runs.append(timed.parts)
    total = [round(sum(part[0] for part in run.values()), 3) for run in runs]
    print(f"publish, by statement ({PUBLISH_REPEATS} runs; median wall s / CPU s, statements; total wall {total})")
    print(f"each publish whole, the template's copy and Python included (wall s / CPU s): {', '.join(whole)}")
    median = {name: sorted(run[name] for run in runs)[len(runs) // 2] for name in runs[0]}
    for name, (wall, cpu, count) in sorted(median.items(), key=lambda item: -item[1][0]):
        if wall >= 0.002:
            print(f"{wall:8.3f} {cpu:8.3f} {count:5.0f}  {name}")


def main() -> None:
    """Profile `run_pipeline`, the nightly sequence, once, in process; then the publish statement by statement."""
    raw = regency_corpus()
    profiler = Profiler(interval=0.0005)
    with tempfile.TemporaryDirectory() as work:
        profiler.start()
        settings = Settings(raw, Path(work) / "cakupan.duckdb", workers=1, quiet_seconds=0)
        run_pipeline(settings, "profile", OPTIONS, InProcessSteps())
        profiler.stop()
        print(
            profiler.output(
                ConsoleRenderer(time="seconds", show_all=False, processor_options={"filter_threshold": 0.02})
            )
        )
        publish_parts(settings)


if __name__ == "__main__":
    main()
