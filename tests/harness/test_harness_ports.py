"""Ports for the harness's services: below the ephemeral range, and never one somebody listens on."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from singlewindow.harness import ports
from singlewindow.harness.federation import SimulatedFederation


def test_a_free_port_lies_below_the_ephemeral_range_and_can_be_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ports.RANGE_ENV, raising=False)  # the suite gives each worker a slice
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
        monkeypatch.delenv(ports.RANGE_ENV, raising=False)
        monkeypatch.setattr(ports, "_ephemeral_start", lambda: 60000)
        assert ports.free_port() == free


def test_a_configured_slice_is_where_ports_are_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two harnesses on one machine draw from disjoint slices; a malformed slice is refused by name."""
    monkeypatch.setenv(ports.RANGE_ENV, "24000-24200")
    assert all(24000 <= ports.free_port() < 24200 for _ in range(20))
    for bad in ("24000", "24200-24000", "80-1000", "24000-24050", "a-b"):
        monkeypatch.setenv(ports.RANGE_ENV, bad)
        with pytest.raises(ValueError, match=ports.RANGE_ENV):
            ports.free_port()


def test_the_ports_of_one_run_are_distinct(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two services of a run never get the same port, even when the dice repeat."""
    draws: Iterator[int] = iter([24001, 24001, 24001, 24002, 24003])
    monkeypatch.setattr(ports._random, "randrange", lambda _low, _high: next(draws))
    monkeypatch.setattr(ports, "bindable", lambda _port: True)
    assert ports.free_ports(["hub", "AR", "BR"]) == {"hub": 24001, "AR": 24002, "BR": 24003}


def test_a_federation_draws_its_services_and_proxies_ports_at_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A proxy never gets the port of a service or of another proxy, even when the dice repeat one."""
    draws: Iterator[int] = iter([24001, 24002, 24003, 24001, 24004, 24002, 24005, 24006])
    monkeypatch.setattr(ports._random, "randrange", lambda _low, _high: next(draws))
    monkeypatch.setattr(ports, "bindable", lambda _port: True)
    federation = SimulatedFederation(countries=["AR", "BR"], workdir=tmp_path, schema_dirs="")
    proxies = [proxy.port for proxy in federation.proxies.values()]
    assert sorted([*federation.ports.values(), *proxies]) == [24001, 24002, 24003, 24004, 24005, 24006]
