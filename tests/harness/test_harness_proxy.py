"""The fault proxy: it really forwards, delays, fails, drops and holds traffic to a live service."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from singlewindow.harness import FaultProxy
from singlewindow.harness.ports import free_port
from singlewindow.harness.services import ProcessService


@pytest.fixture
def proxy(echo_argv: list[str], tmp_path: Path) -> Iterator[FaultProxy]:
    """A FaultProxy in front of a live echo server process."""
    port = free_port()
    service = ProcessService(
        name="echo", kind="node", port=port, env={}, log=tmp_path / "echo.log", argv=[*echo_argv, str(port)]
    )
    service.start()
    proxy = FaultProxy(upstream_port=port, seed=1)
    proxy.start()
    yield proxy
    proxy.stop()
    service.stop()


def _post(proxy: FaultProxy, body: bytes = b"hello") -> httpx.Response:
    return httpx.post(f"{proxy.url}/echo", content=body, timeout=5.0)


def test_forwards_requests_and_answers(proxy: FaultProxy) -> None:
    """Without faults the proxy is transparent, also for a large body."""
    assert _post(proxy).content == b"hello"
    big = b"x" * 300_000
    assert _post(proxy, big).content == big


def test_slow_delays_each_request(proxy: FaultProxy) -> None:
    """A delay fault makes the answer take at least that long."""
    proxy.faults.delay_s = 0.3
    started = time.monotonic()
    assert _post(proxy).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_fail_answers_503_without_reaching_the_service(proxy: FaultProxy) -> None:
    """A fail rate of 1 answers every request with 503 and counts it."""
    proxy.faults.fail_rate = 1.0
    answer = _post(proxy)
    assert answer.status_code == 503
    assert proxy.stats.failed == 1


def test_drop_swallows_the_answer(proxy: FaultProxy) -> None:
    """A drop rate of 1 lets the request through but closes the connection instead of answering."""
    proxy.faults.drop_rate = 1.0
    with pytest.raises(httpx.HTTPError):
        _post(proxy)
    assert proxy.stats.dropped == 1


def test_hold_blocks_until_released(proxy: FaultProxy) -> None:
    """While held nothing is answered; after release the waiting request completes."""
    proxy.faults.hold()
    results: list[int] = []
    worker = threading.Thread(target=lambda: results.append(_post(proxy).status_code))
    worker.start()
    deadline = time.monotonic() + 10
    while proxy.stats.connections < 1 and time.monotonic() < deadline:  # poll for the positive condition
        time.sleep(0.01)
    assert proxy.stats.connections == 1  # the request reached the proxy, which parks it while held
    assert results == [] and worker.is_alive()
    proxy.faults.release()
    worker.join(timeout=5)
    assert results == [200]


def test_dead_service_is_a_refused_connection(proxy: FaultProxy, tmp_path: Path) -> None:
    """When nothing listens upstream the client sees its connection closed, not a hang."""
    proxy.upstream_port = free_port()
    with pytest.raises(httpx.HTTPError):
        _post(proxy)
    assert proxy.stats.refused == 1
