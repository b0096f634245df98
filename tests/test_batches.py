"""Batches across worker processes: bounded in flight, in order, the same outcome as in process."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import Future
from pathlib import Path
from unittest.mock import patch

import polars as pl
import pytest

from flows.ingest.batch import extract_file, process_batch
from flows.ingest.discover import discover
from flows.ingest.outcomes import DiscoveredFile, ExtractedFile
from flows.ingest.place import Gazetteer, build_gazetteer, place
from flows.ingest.workers import BatchProcessor, batches
from flows.regency_run import PlainSteps
from flows.runtime.pool import windowed, worker_count
from flows.settings import BANYUMAS_REGENCY_CODE, JAWA_TENGAH_PROVINCE_CODE
from flows.store import reference
from tools.generate import write_landing_zone


def test_windowed_keeps_order_and_never_holds_more_than_the_window() -> None:
    in_flight: list[int] = []
    most = 0

    def submit(item: int) -> Future[int]:
        nonlocal most
        in_flight.append(item)
        most = max(most, len(in_flight))
        future: Future[int] = Future()
        future.set_result(item * 10)
        return future

    taken = []
    for result in windowed(submit, range(10), window=3):
        in_flight.pop(0)
        taken.append(result)
    assert taken == [i * 10 for i in range(10)]
    assert most == 3


@pytest.mark.parametrize(
    ("n_files", "configured", "cores", "expected"),
    [(10, 0, 2, 1), (64, 0, 2, 2), (415, 0, 2, 2), (9000, 0, 8, 8), (100, 0, 8, 3), (9000, 0, 1, 1), (1, 3, 2, 3)],
)
def test_one_worker_per_core_while_each_gets_enough_files(
    n_files: int, configured: int, cores: int, expected: int
) -> None:
    assert worker_count(n_files, configured, cores) == expected


@pytest.mark.parametrize(
    ("n_files", "size", "workers", "count"),
    [(415, 256, 2, 2), (415, 256, 1, 2), (300, 256, 4, 4), (8563, 256, 2, 34), (3, 256, 4, 3), (40, 256, 1, 1)],
)
def test_batches_are_even_at_most_size_and_one_per_worker(n_files: int, size: int, workers: int, count: int) -> None:
    files = pl.DataFrame(
        {"source_file": [f"{i:05}.xlsx" for i in range(n_files)], "period": "2024-04", "sha256": "", "modified_at": 0.0}
    )
    work = batches(files, size, workers)
    sizes = [len(batch) for batch in work]
    assert len(work) == count and max(sizes) <= size and max(sizes) - min(sizes) <= 1
    assert [file.source_file for batch in work for file in batch] == files["source_file"].to_list()
    assert batches(files.head(0), size, workers) == []


def frames_of(raw: Path, workers: int) -> dict[str, pl.DataFrame]:
    """Every batch outcome (batches of 3 files) concatenated, sorted to compare; 0 workers: in this process."""
    gazetteer = build_gazetteer(reference.load_villages(region=BANYUMAS_REGENCY_CODE))
    if workers:
        with BatchProcessor(raw, gazetteer, workers) as processor:
            outcomes = list(processor.outcomes(discover(raw), batch_size=3))
    else:
        outcomes = [process_batch(raw, batch, gazetteer) for batch in batches(discover(raw), 3)]
    assert len(outcomes) > 2
    rows = pl.concat([o.rows for o in outcomes], how="diagonal").sort("sha256", "sheet", "source_row")
    files = pl.concat([o.files for o in outcomes]).drop("modified_at").sort("source_file")
    return {"rows": rows, "files": files}


def test_worker_processes_give_what_one_process_gives(demo_zone: tuple[Path, pl.DataFrame]) -> None:
    raw, _ = demo_zone
    alone, spread = frames_of(raw, workers=0), frames_of(raw, workers=2)
    assert spread["rows"].height > 100
    assert spread["rows"].equals(alone["rows"]) and spread["files"].equals(alone["files"])


def test_a_file_gone_since_discovery_is_rejected_by_its_worker_and_the_batch_goes_on(tmp_path: Path) -> None:
    """A file deleted or replaced between discovery and its read stopped the run (FileNotFoundError)."""
    raw = tmp_path / "raw"
    (raw / "2024-04").mkdir(parents=True)
    for village in ("Batuanten", "Pejogol"):
        (raw / "2024-04" / f"{village}.csv").write_text(
            "NO;NIK;NAMA;JABATAN;STATUS\n1;3302171205750001;Ani;Anggota BPD;Sudah\n"
        )
    found = discover(raw)
    (raw / "2024-04" / "Batuanten.csv").unlink()
    with BatchProcessor(
        raw, build_gazetteer(reference.load_villages(region=BANYUMAS_REGENCY_CODE)), workers=2
    ) as processor:
        outcomes = list(processor.outcomes(found, batch_size=2))
    files = pl.concat([o.files for o in outcomes], how="diagonal").sort("source_file")
    assert files["status"].to_list() == ["rejected", "placed"]
    assert "Batuanten.csv: cannot be read (FileNotFoundError" in files["reason"][0]


ROSTER_CSV = "NO;NIK;NAMA;JABATAN;STATUS\n1;3302171205750001;Ani;Anggota BPD;Sudah\n"


def cilongok_zone(tmp_path: Path, villages: tuple[str, ...]) -> Path:
    """A landing zone of one-row rosters of Cilongok villages, as CSV (each member named for the village)."""
    raw = tmp_path / "raw"
    (raw / "2024-04" / "Cilongok").mkdir(parents=True)
    for village in villages:
        (raw / "2024-04" / "Cilongok" / f"{village}.csv").write_text(ROSTER_CSV.replace("Ani", village))
    return raw


def outcome_files(raw: Path, found: pl.DataFrame, workers: int, batch_size: int, **options: object) -> pl.DataFrame:
    """Every file's record after processing `found` in worker processes, by path."""
    with BatchProcessor(
        raw, build_gazetteer(reference.load_villages(region=BANYUMAS_REGENCY_CODE)), workers, **options
    ) as processor:  # type: ignore[arg-type]
        outcomes = list(processor.outcomes(found, batch_size=batch_size))
    return pl.concat([o.files for o in outcomes], how="diagonal").sort("source_file")


def killed_on_karangtengah(raw_dir: Path, file: DiscoveredFile, gazetteer: Gazetteer) -> ExtractedFile:
    """`extract_file`, except that the worker is killed (SIGKILL) while it reads Karangtengah's file."""
    if "Karangtengah" in file.source_file:
        os.kill(os.getpid(), signal.SIGKILL)
    return extract_file(raw_dir, file, gazetteer)


def stuck_on_karangtengah(raw_dir: Path, file: DiscoveredFile, gazetteer: Gazetteer) -> ExtractedFile:
    """`extract_file`, except that Karangtengah's file never finishes (as a reader stuck on a pathological input)."""
    if "Karangtengah" in file.source_file:
        time.sleep(3600)
    return extract_file(raw_dir, file, gazetteer)


VILLAGES = ("Batuanten", "Karanglo", "Karangtengah", "Panembangan", "Pejogol")


@pytest.mark.parametrize(("workers", "batch_size"), [(1, 5), (2, 2)])
def test_a_file_that_kills_its_worker_is_rejected_and_its_batch_goes_on(
    tmp_path: Path, workers: int, batch_size: int
) -> None:
    """Whatever ends a worker process while it reads one file (calamine aborts on a failed allocation; the
    kernel's OOM killer; a signal): the batch is read again file by file in a private pool, the file that
    kills it is rejected and the batch's other files are processed. Files are never read in the run's own
    process, so one worker too.
    """
    raw = cilongok_zone(tmp_path, VILLAGES)
    files = outcome_files(raw, discover(raw), workers, batch_size, extract=killed_on_karangtengah)
    assert files["source_file"].to_list() == [f"2024-04/Cilongok/{v}.csv" for v in VILLAGES]
    found = files.row(2, named=True)
    assert (found["status"], found["village_code"]) == ("rejected", "33.02.17.2015")  # who to ask for it again
    assert found["reason"].startswith("the spreadsheet reader crashed on this file")
    assert files.filter(pl.col("status") == "placed")["rows_loaded"].to_list() == [1, 1, 1, 1]


def test_a_file_past_the_time_limit_ends_its_worker_and_is_rejected_naming_the_limit(tmp_path: Path) -> None:
    """A reader that never finishes one file held the night; the limit ends its worker, the run goes on."""
    raw = cilongok_zone(tmp_path, VILLAGES)
    started = time.monotonic()
    files = outcome_files(raw, discover(raw), 2, 2, file_timeout=1.0, extract=stuck_on_karangtengah)
    assert time.monotonic() - started < 600  # not the hour the stand-in sleeps: the worker was ended
    found = files.row(2, named=True)
    assert (found["status"], found["village_code"]) == ("rejected", "33.02.17.2015")
    assert "took longer than the limit of 1 seconds (file_timeout_seconds)" in found["reason"]
    assert files.filter(pl.col("status") == "placed").height == 4


@pytest.mark.parametrize(
    ("environ", "accepted"),
    [
        ("0", False),
        ("-5", False),
        ("3601", False),
        ("soon", False),
        ("nan", False),
        ("1e-9", False),  # every file would be rejected (issue 26)
        ("0.5", False),
        ("1", True),
        ("3600", True),
    ],
)
def test_the_time_limit_is_a_number_of_seconds_from_one_to_an_hour(environ: str, accepted: bool) -> None:
    from flows.settings import ConfigError, load_settings

    if accepted:
        assert load_settings(environ={"CAKUPAN_FILE_TIMEOUT_SECONDS": environ}).file_timeout_seconds == float(environ)
        return
    with pytest.raises(ConfigError, match=f'file_timeout_seconds = "{environ}": must be'):
        load_settings(environ={"CAKUPAN_FILE_TIMEOUT_SECONDS": environ})


def test_a_file_swapped_after_discovery_is_refused_not_followed(tmp_path: Path) -> None:
    """Between discovery and its read: a file replaced by a link out of the zone, a pipe, or other content."""
    raw = cilongok_zone(tmp_path, ("Batuanten", "Karanglo", "Karangtengah", "Pejogol"))
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_bytes((raw / "2024-04" / "Cilongok" / "Batuanten.csv").read_bytes())  # only the link betrays it
    found = discover(raw)
    folder = raw / "2024-04" / "Cilongok"
    (folder / "Batuanten.csv").unlink()
    (folder / "Batuanten.csv").symlink_to(elsewhere)
    (folder / "Karanglo.csv").unlink()
    os.mkfifo(folder / "Karanglo.csv")  # opening it to read would wait for a writer forever
    (folder / "Karangtengah.csv").write_text(ROSTER_CSV.replace("Ani", "Budi"))
    files = outcome_files(raw, found, 2, 2)
    assert files["status"].to_list() == ["rejected", "rejected", "rejected", "placed"]
    reasons = files["reason"].to_list()
    assert reasons[0] == "Batuanten.csv: became a symbolic link after it was found; not followed"
    assert reasons[1].startswith("Karanglo.csv: is no longer a regular file")
    assert reasons[2].startswith("Karangtengah.csv: changed or replaced after it was found")


def test_a_province_run_places_files_by_the_code_in_their_names(tmp_path: Path) -> None:
    villages = reference.load_villages(region=JAWA_TENGAH_PROVINCE_CODE)
    assert villages.height > 8000 and villages["regency_code"].n_unique() == 35
    codes = ("33.02.17.2008", "33.74.01.1001")  # Batuanten (Banyumas) and a kelurahan of Kota Semarang
    write_landing_zone(tmp_path, periods=("2024-04",), village_codes=codes, workers=1, region="33")
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.xlsx"))
    assert [f.split("/")[1] for f in files] == ["33.02", "33.74"]
    gazetteer = build_gazetteer(villages)
    assert [place({}, f, gazetteer).village_code for f in files] == list(codes)
    same_name = villages.group_by("village_name").len().filter(pl.col("len") > 1).height
    assert same_name > 100  # why the province's file names carry the code


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (TimeoutError("the share did not answer"), True),
        (ConnectionResetError("the share went away"), True),
        (OSError(5, "Input/output error"), True),
        (FileNotFoundError("no such landing zone"), False),
        (PermissionError("not readable by this user"), False),
        (IsADirectoryError("a folder, not a file"), False),
        (ValueError("a bug in validation"), False),
    ],
)
def test_steps_are_retried_only_for_io_errors_a_retry_can_mend(error: Exception, retried: bool) -> None:
    from prefect.states import Failed

    from flows.province_flow import regency_unit, stage_chunk
    from flows.regency_flow import (
        discover_files,
        is_transient_io_error,
        process_batch,
        publish_analyst_warehouse,
        transient,
    )

    for step in (discover_files, process_batch, publish_analyst_warehouse, regency_unit):  # a province unit too
        assert step.retries == 3
        assert step.retry_condition_fn is is_transient_io_error
    assert is_transient_io_error(process_batch, None, Failed(data=error)) is retried  # type: ignore[arg-type]

    def failing(*args: object) -> None:
        raise error

    # a province unit raises what its task retries (else ends Failed with one line, as the nightly run does)
    quiet = patch("flows.regency_flow.get_run_logger", lambda: logging.getLogger("test"))
    with patch("flows.province_flow.run_chunk", failing), patch("flows.regency_flow.load_settings"), quiet:
        if retried:
            with pytest.raises(type(error)):
                stage_chunk(["33.01"], PlainSteps(), logging.getLogger("test"), retried=transient)
        elif isinstance(error, OSError):
            assert stage_chunk(["33.01"], PlainSteps(), logging.getLogger("test"), retried=transient).is_failed()


WORKER_PROBE = """
import os, sys, time
with open(sys.argv[1], "a") as ran:
    ran.write(f"{os.getpid()}\\n")


def probe() -> tuple[int, int, str | None]:
    import polars as pl

    time.sleep(0.5)  # all three tasks are in flight at once, so three workers start
    return os.getpid(), pl.thread_pool_size(), os.environ.get("POLARS_MAX_THREADS")


if __name__ == "__main__":
    from concurrent.futures import ProcessPoolExecutor

    from flows.runtime.forkserver import start_forkserver

    with ProcessPoolExecutor(3, mp_context=start_forkserver()) as pool:
        results = [future.result() for future in [pool.submit(probe) for _ in range(3)]]
    pids, threads = {pid for pid, _, _ in results}, {threads for _, threads, _ in results}
    print(len(pids), threads, os.environ.get("POLARS_MAX_THREADS"))
"""


@pytest.mark.parametrize("as_module", [False, True], ids=["script", "python -m (as prefect.engine runs a flow)"])
def test_workers_neither_rerun_the_main_module_nor_start_polars_threads(tmp_path: Path, as_module: bool) -> None:
    script, ran = tmp_path / "probe.py", tmp_path / "ran"
    script.write_text(WORKER_PROBE)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]), str(tmp_path)])}
    environment.pop("POLARS_MAX_THREADS", None)
    main = ["-m", "probe"] if as_module else [str(script)]
    out = subprocess.run([sys.executable, *main, ran], capture_output=True, text=True, env=environment, check=True)
    assert out.stdout.split() == ["3", "{1}", "None"]  # three workers, one polars thread each; the parent untouched
    assert len(ran.read_text().split()) == 2  # the main module ran in the parent and the forkserver, in no worker
