"""Ports for the harness's services: below the ephemeral range, and never one somebody listens on."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from singlewindow.harness import ports


def test_a_free_port_lies_below_the_ephemeral_range_and_can_be_bound() -> None:
    start = ports._ephemeral_start()
    for _ in range(20):
        port = ports.free_port()
        assert ports._LOWEST <= port < start  # outgoing connections never take it
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_somebody_listens_on_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as busy, socket.socket() as spare:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        spare.bind(("127.0.0.1", 0))
        taken, free = busy.getsockname()[1], spare.getsockname()[1]
        spare.close()
        draws: Iterator[int] = iter([taken, taken, free])
        monkeypatch.setattr(ports._random, "randrange", lambda _low, _high: next(draws))
        monkeypatch.setattr(ports, "_ephemeral_start", lambda: 60000)
        assert ports.free_port() == free
