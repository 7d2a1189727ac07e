"""One hub or node of a simulated federation, run as a real process or as a server thread."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx

ServiceKind = Literal["hub", "node"]


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
#: resolved before any fork: the child then only makes the system call (no loader lock, no import)
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def die_with_parent() -> None:
    """Have the calling (just forked) process receive SIGKILL when the thread that forked it ends.

    A ``preexec_fn`` for services the harness starts: if the harness is killed (SIGKILL, the OOM
    killer, a test runner's timeout), its hub and nodes do not live on holding their ports. Linux
    only (``prctl(PR_SET_PDEATHSIG)``); elsewhere a no-op. The signal follows the *thread* that
    forked: start services from a thread that lives as long as they should (``ProcessService.start``
    asks for it only on the main thread).
    """
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class ServiceFailed(RuntimeError):
    """A service did not come up (its log tail is in the message)."""


def _tail(log: Path | None) -> str:
    return log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""


def wait_healthy(
    *, port: int, timeout: float, log: Path | None = None, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll ``/healthz`` until it answers 200; raise ServiceFailed after ``timeout`` seconds.

    ``process``: the service's process, when it is one: its exit (a bad setting, a port in use) is
    reported at once with its log, not after the timeout.
    """
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            message = f"service on port {port} exited with status {process.returncode} before it was healthy"
            raise ServiceFailed(f"{message}\n{_tail(log)}")
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2.0)
            if answer.status_code == 200:
                return
            last = f"HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.1)
    raise ServiceFailed(f"service on port {port} not healthy after {timeout:.0f}s ({last})\n{_tail(log)}")


class Service(Protocol):
    """What the harness can do to a hub or node, whichever way it runs."""

    name: str
    port: int

    @property
    def pid(self) -> int | None: ...

    def start(self) -> None: ...
    def kill(self) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def stop(self) -> None: ...


class ProcessService:
    """A service as its own OS process: ``kill`` is a real SIGKILL, ``pause`` a real SIGSTOP."""

    def __init__(
        self,
        *,
        name: str,
        kind: ServiceKind,
        port: int,
        env: dict[str, str],
        log: Path,
        argv: list[str] | None = None,
    ) -> None:
        self.name, self.kind, self.port, self.env, self.log = name, kind, port, env, log
        # the product's own command, configured by SINGLEWINDOW_HUB_* / SINGLEWINDOW_NODE_* variables
        self.argv = argv or [sys.executable, "-m", "singlewindow", kind, "serve"]
        self.process: subprocess.Popen[bytes] | None = None
        self.pid_history: list[int] = []

    @property
    def url(self) -> str:
        """Where the service listens (loopback)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The current process id (None before the first start)."""
        return self.process.pid if self.process is not None else None

    def start(self) -> None:
        """Start the process and wait until it is healthy.

        Started from the main thread, the process dies with this one (``die_with_parent``); a restart
        from a worker thread (a fault's) is not tied to that thread, which may end first.
        """
        env = {**os.environ, **self.env}
        tied = threading.current_thread() is threading.main_thread()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent if tied else None,
            )
        self.pid_history.append(self.process.pid)
        wait_healthy(port=self.port, timeout=90, log=self.log, process=self.process)

    def _signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL the process (no shutdown code runs) and reap it."""
        self._signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)

    def pause(self) -> None:
        """SIGSTOP: the process stays, its sockets stay open, nothing answers."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after ``pause``."""
        self._signal(signal.SIGCONT)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 15 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self._signal(signal.SIGCONT)
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


class AppFactory(Protocol):
    """Builds a fresh ASGI app (new engine, new workers) each time the service (re)starts."""

    def __call__(self) -> Any: ...


class ThreadService:
    """A service as a uvicorn server in a thread of this process (fast; kill = abrupt server stop)."""

    def __init__(self, *, name: str, port: int, factory: AppFactory) -> None:
        self.name, self.port, self.factory = name, port, factory
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        """Threads have no process of their own."""
        return None

    def start(self) -> None:
        """Build a new app, serve it on the port and wait until healthy."""
        import uvicorn

        config = uvicorn.Config(
            self.factory(),
            host="127.0.0.1",
            port=self.port,
            # a killed server's lifespan is cancelled mid-flight: that traceback is expected noise
            log_level="critical",
            lifespan="on",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"svc-{self.name}", daemon=True)
        self._thread.start()
        wait_healthy(port=self.port, timeout=60)

    def kill(self) -> None:
        """Stop serving at once: open connections are cut; the lifespan shutdown still runs."""
        if self._server is not None:
            self._server.force_exit = True
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)

    def pause(self) -> None:
        """A thread cannot be frozen: the federation holds this service's proxy instead."""

    def resume(self) -> None:
        """See ``pause``."""

    def stop(self) -> None:
        """Stop the server (same as ``kill`` in a thread)."""
        self.kill()
