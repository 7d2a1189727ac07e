"""Real ``singlewindow hub serve`` / ``node serve`` processes on loopback ports, for the slow tests."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from singlewindow.harness.ports import free_port
from singlewindow.harness.services import die_with_parent

SCRIPT = Path(sys.executable).with_name("singlewindow")


@dataclass
class Proc:
    """One service process: its argv, environment and log file; restartable."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    pids: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 60) -> None:
        """Start and wait for /healthz."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(SCRIPT), *self.argv],
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,  # a test worker that dies (a timeout, a crash) takes it along
            )
        self.pids.append(self.process.pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not healthy:\n{self.log.read_text()[-3000:]}")

    def stop(self, *, sig: int = signal.SIGTERM) -> None:
        """Send ``sig`` and reap the process."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def hub_proc(
    *, pki: Path, database: tuple[str, str | None], schema_dirs: str, nodes: dict[str, int], log: Path
) -> Proc:
    """The hub, with fast retries so a returning node is served quickly."""
    port = free_port()
    url, schema = database
    env = {
        "SINGLEWINDOW_HUB_NODE_URLS": json.dumps(
            {code: f"http://127.0.0.1:{p}" for code, p in nodes.items()}
        ),
        "SINGLEWINDOW_HUB_SCHEMA_DIRS": schema_dirs,
        "SINGLEWINDOW_HUB_BACKOFF_BASE": "0.2",
        "SINGLEWINDOW_HUB_BACKOFF_MAX": "1.0",
        "SINGLEWINDOW_HUB_MAX_ATTEMPTS": "1000",
        "SINGLEWINDOW_HUB_POLL_INTERVAL": "0.1",
        "SINGLEWINDOW_HUB_DELIVERY_TIMEOUT": "5",
        "SINGLEWINDOW_HUB_LEASE_SECONDS": "10",
        "SINGLEWINDOW_HUB_LOG_LEVEL": "INFO",
    }
    if schema:
        env["SINGLEWINDOW_HUB_DATABASE_SCHEMA"] = schema
    argv = ["hub", "serve", "--host", "127.0.0.1", "--port", str(port), "--database", url, "--pki", str(pki)]
    return Proc(name="hub", argv=argv, env=env, port=port, log=log)


def node_proc(
    *,
    country: str,
    port: int,
    pki: Path,
    database: tuple[str, str | None],
    schema_dirs: str,
    hub_port: int,
    tokens: dict[str, str],
    log: Path,
) -> Proc:
    """A country node."""
    url, schema = database
    env = {
        "SINGLEWINDOW_NODE_TOKENS": json.dumps(
            [{"name": r, "role": r, "token": t} for r, t in tokens.items()]
        ),
        "SINGLEWINDOW_NODE_SCHEMA_DIRS": schema_dirs,
        "SINGLEWINDOW_NODE_SYNC_INTERVAL": "0.3",
    }
    if schema:
        env["SINGLEWINDOW_NODE_DATABASE_SCHEMA"] = schema
    argv = ["node", "serve", "--country", country, "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--database", url, "--pki", str(pki), "--hub-url", f"http://127.0.0.1:{hub_port}"]
    return Proc(name=f"node-{country}", argv=argv, env=env, port=port, log=log)


@contextlib.contextmanager
def running_hub_and_nodes(
    *,
    pki: Path | Mapping[str, Path],
    service_database: Callable[[str], tuple[str, str | None]],
    schema_dirs: str,
    root: Path,
    countries: tuple[str, ...] = ("AR", "BR"),
    hub_env: dict[str, str] | None = None,
) -> Iterator[tuple[dict[str, Proc], dict[str, str]]]:
    """The hub and ``countries``' nodes started as processes (customs and official tokens made up);
    ``(processes by name, tokens by role)``; every process is SIGKILLed at the end.

    ``pki``: the federation's directory, or each service's own home by name ("hub", "AR", ...).
    """
    homes = pki if isinstance(pki, Mapping) else dict.fromkeys(("hub", *countries), pki)
    tokens = {"customs": secrets.token_urlsafe(24), "official": secrets.token_urlsafe(24)}
    ports = {code: free_port() for code in countries}
    hub = hub_proc(
        pki=homes["hub"],
        database=service_database("hub"),
        schema_dirs=schema_dirs,
        nodes=ports,
        log=root / "hub.log",
    )
    hub.env.update(hub_env or {})
    procs = {"hub": hub}
    for code, port in ports.items():
        procs[code] = node_proc(
            country=code,
            port=port,
            pki=homes[code],
            database=service_database(code),
            schema_dirs=schema_dirs,
            hub_port=hub.port,
            tokens=tokens,
            log=root / f"{code}.log",
        )
    try:
        for proc in procs.values():
            proc.start()
        yield procs, tokens
    finally:
        for proc in procs.values():
            proc.stop(sig=signal.SIGKILL)
