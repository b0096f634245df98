"""`make profile`: where the pipeline's time goes, as a pyinstrument call tree.

Runs the flow's steps in this one process (no worker processes, so every call is
sampled) over the cached regency corpus of `make bench`, and prints the tree of the calls
that took at least 2% of the time.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from pyinstrument import Profiler
from pyinstrument.renderers import ConsoleRenderer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench import KEY, PROVISIONAL_BELOW_PCT, RUN, regency_corpus  # noqa: E402
from flows import discover, load, publish, reference  # noqa: E402
from flows.batches import BatchProcessor  # noqa: E402
from flows.place import keyed  # noqa: E402
from flows.settings import Settings, state_path_for  # noqa: E402


def main() -> None:
    """Profile discover -> process -> load -> refresh -> publish once, in process."""
    raw = regency_corpus()
    gazetteer = keyed(reference.load_villages())
    profiler = Profiler(interval=0.0005)
    with tempfile.TemporaryDirectory() as work:
        warehouse = Path(work) / "cakupan.duckdb"
        with load.connect_state(state_path_for(warehouse)) as con, BatchProcessor(raw, gazetteer, 1) as processor:
            profiler.start()
            load.start_run(con, RUN)
            for outcome in processor.outcomes(discover.discover(raw), Settings.batch_size):
                load.load_batch(con, outcome, RUN)
            load.refresh_current(con, RUN)
            publish.publish(con, warehouse, KEY, RUN, PROVISIONAL_BELOW_PCT)
            profiler.stop()
    print(
        profiler.output(ConsoleRenderer(time="seconds", show_all=False, processor_options={"filter_threshold": 0.02}))
    )


if __name__ == "__main__":
    main()
