"""How the Dask route fails when its engine is not what it should be: one line, within a bound, never a hang."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import distributed
import pytest

from flows.province_flow import child_outcome
from flows.runtime import warm
from tests.helpers import free_port


@pytest.fixture
def silent_port() -> Iterator[int]:
    """An open loopback port whose server accepts connections and never says a word (as a port of another service
    that waits for its own protocol's first request)."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_an_open_port_that_is_not_a_dask_scheduler_fails_in_one_line_not_a_hang(
    silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warm, "CONNECT_SECONDS", 1)
    address = f"tcp://127.0.0.1:{silent_port}"
    failed: list[BaseException] = []

    def attempt() -> None:
        try:
            warm.connect(address)
        except BaseException as error:
            failed.append(error)

    thread = threading.Thread(target=attempt, daemon=True)  # so that a hang fails the test instead of hanging it
    thread.start()
    thread.join(60)  # a bound far above the 1 + 5 s waited, far below "for ever"
    assert not thread.is_alive(), "connect() still waiting after 60 s"
    assert isinstance(failed[0], OSError) and "does not answer as a Dask scheduler" in str(failed[0])
    assert address in str(failed[0]) and "dask_scheduler" in str(failed[0])


@pytest.mark.usefixtures("prefect_harness")
def test_a_unit_dask_gave_up_before_it_started_is_reported_not_raised() -> None:
    """With no failures allowed, a worker's death fails the units still queued on it too: they never ran, so the
    server has no task run to mark Crashed. The unit is a child that did not complete, and the run goes on."""

    class GivenUp:
        def result(self) -> None:
            raise RuntimeError("KilledWorker: attempted to run task regency_unit on 1 different worker")

    future = SimpleNamespace(wrapped_future=GivenUp(), task_run_id=uuid.uuid4())
    outcome = child_outcome(("33.02",), future)  # type: ignore[arg-type]
    assert not outcome.completed and outcome.regencies == ("33.02",)
    assert outcome.message.startswith("never started: RuntimeError: KilledWorker"), outcome.message


@pytest.mark.usefixtures("prefect_harness")
def test_a_killed_worker_is_told_in_one_short_line_naming_the_worker() -> None:
    """Dask's own text (its task key, advice and a link: about 600 characters) was the whole of the operator's line."""
    worker = SimpleNamespace(address="tcp://10.0.0.7:40123")

    class Killed:
        def result(self) -> None:
            raise distributed.KilledWorker("regency_unit-0f1e2d3c4b5a69788796a5b4c3d2e1f0", worker, 0)

    future = SimpleNamespace(wrapped_future=Killed(), task_run_id=uuid.uuid4())
    outcome = child_outcome(("33.02",), future)  # type: ignore[arg-type]
    assert outcome.message == (
        "never started: KilledWorker: the Dask worker holding it died (1 try, the last on tcp://10.0.0.7:40123): "
        "out of memory, killed or lost; see that worker's log, then run again"
    )


def test_a_port_where_nothing_listens_fails_in_one_line_saying_what_to_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(warm, "CONNECT_SECONDS", 1)
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(OSError, match="cannot be reached") as failed:
        warm.connect(address)
    assert address in str(failed.value) and "is it running there" in str(failed.value)
    assert "\n" not in str(failed.value)
