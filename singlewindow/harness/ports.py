"""Free loopback ports for services the harness starts, chosen where outgoing connections never land.

A port the kernel hands out for ``bind(("127.0.0.1", 0))`` comes from the same ephemeral range as the
source ports of outgoing connections; between choosing it and a service binding it, any client
connection on the machine may take it ("address already in use"; seen in CI when a killed service
was started again on its port). These ports are drawn below that range instead, so only another
listener could take one, and :func:`free_port` checks that none holds it now.

Several harnesses on one machine (parallel test workers, two runs side by side) can still draw the
same port at the same moment: give each its own slice with ``SINGLEWINDOW_HARNESS_PORTS=LOW-HIGH``.
"""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Sequence
from pathlib import Path

_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
#: ``LOW-HIGH``: the ports ``free_port`` draws from (LOW included, HIGH not), instead of the default
RANGE_ENV = "SINGLEWINDOW_HARNESS_PORTS"
_LOWEST = 20000  # above the registered services most machines run
_TRIES = 200
_random = random.SystemRandom()


def _ephemeral_start() -> int:
    """The first port of the kernel's ephemeral range (Linux's default where it cannot be read)."""
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def bindable(port: int, *, reuse_address: bool = False) -> bool:
    """Whether a socket can bind ``port`` on 127.0.0.1 now.

    ``reuse_address``: probe as a server binds (``SO_REUSEADDR``, as uvicorn does), so that only a
    listener counts, not connections a stopped server left in TIME_WAIT.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if reuse_address:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def draw_range() -> tuple[int, int]:
    """Where ``free_port`` draws: ``SINGLEWINDOW_HARNESS_PORTS``, else 20000 up to the ephemeral range.

    Raises ValueError naming the variable when its value is not ``LOW-HIGH`` with
    1024 ≤ LOW < HIGH ≤ 65536 and at least 100 ports.
    """
    text = os.environ.get(RANGE_ENV, "").strip()
    if not text:
        return _LOWEST, _ephemeral_start()
    low_text, _, high_text = text.partition("-")
    try:
        low, high = int(low_text), int(high_text)
    except ValueError:
        low, high = 0, 0
    if not (low >= 1024 and high <= 65536 and high - low >= 100):
        message = "expected LOW-HIGH with 1024 <= LOW, HIGH <= 65536 and 100 ports at least"
        raise ValueError(f"{RANGE_ENV}={text!r}: {message}")
    return low, high


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on now, outside the ephemeral range where one is left."""
    low, high = draw_range()
    if high - low >= 100:
        for _ in range(_TRIES):
            port = _random.randrange(low, high)
            if bindable(port):
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # a machine with no room below it
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(names: Sequence[str]) -> dict[str, int]:
    """A ``free_port`` for each name, no two alike (two draws may land on one port before it is bound)."""
    chosen: dict[str, int] = {}
    for name in names:
        port = free_port()
        while port in chosen.values():
            port = free_port()
        chosen[name] = port
    return chosen
