"""Free loopback ports for services the harness starts, chosen where outgoing connections never land.

A port the kernel hands out for ``bind(("127.0.0.1", 0))`` comes from the same ephemeral range as the
source ports of outgoing connections; between choosing it and a service binding it, any client
connection on the machine may take it ("address already in use"; seen in CI when a killed service
was started again on its port). These ports are drawn below that range instead, so only another
listener could take one, and :func:`free_port` checks that none holds it now.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
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


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on now, outside the ephemeral range where one is left."""
    start = _ephemeral_start()
    if start - _LOWEST >= 1000:
        for _ in range(_TRIES):
            port = _random.randrange(_LOWEST, start)
            if bindable(port):
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # a machine with no room below it
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
