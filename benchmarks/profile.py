"""`make profile`: where the pipeline's time goes, as a pyinstrument call tree.

Runs the nightly sequence (`flows/run.py`) in this one process (no worker processes, so every call is
sampled) over the cached regency corpus of `make bench`, and prints the tree of the calls
that took at least 2% of the time.
"""

from __future__ import annotations

import sys
import tempfile
from concurrent.futures import Future
from pathlib import Path

from pyinstrument import Profiler
from pyinstrument.renderers import ConsoleRenderer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench import OPTIONS, regency_corpus  # noqa: E402
from flows.ingest.batch import process_batch  # noqa: E402
from flows.ingest.outcomes import BatchOutcome, DiscoveredFile  # noqa: E402
from flows.ingest.workers import BatchProcessor  # noqa: E402
from flows.run import PlainSteps, run_pipeline  # noqa: E402
from flows.settings import Settings  # noqa: E402


class InProcessSteps(PlainSteps):
    """Batches processed in this process, where the profiler samples them (the nightly run uses workers)."""

    def submit(self, processor: BatchProcessor, files: list[DiscoveredFile]) -> Future[BatchOutcome]:
        done: Future[BatchOutcome] = Future()
        done.set_result(process_batch(processor.raw_dir, files, processor.gazetteer))
        return done


def main() -> None:
    """Profile `run_pipeline`, the nightly sequence, once, in process."""
    raw = regency_corpus()
    profiler = Profiler(interval=0.0005)
    with tempfile.TemporaryDirectory() as work:
        profiler.start()
        settings = Settings(raw, Path(work) / "cakupan.duckdb", workers=1, quiet_seconds=0)
        run_pipeline(settings, "profile", OPTIONS, InProcessSteps())
        profiler.stop()
    print(
        profiler.output(ConsoleRenderer(time="seconds", show_all=False, processor_options={"filter_threshold": 0.02}))
    )


if __name__ == "__main__":
    main()
