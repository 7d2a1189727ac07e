"""Real ``singlewindow hub serve`` / ``node serve`` processes on loopback ports, for the slow tests.

Each is the harness's own ``ProcessService`` (restartable, tied to the test worker, its log kept),
configured by command-line options and environment variables as an operator would.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from singlewindow.harness.ports import free_port
from singlewindow.harness.services import ProcessService

SCRIPT = Path(sys.executable).with_name("singlewindow")


def hub_proc(
    *, pki: Path, database: tuple[str, str | None], schema_dirs: str, nodes: dict[str, int], log: Path
) -> ProcessService:
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
    return ProcessService(name="hub", kind="hub", port=port, env=env, log=log, argv=[str(SCRIPT), *argv])


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
) -> ProcessService:
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
    return ProcessService(
        name=f"node-{country}", kind="node", port=port, env=env, log=log, argv=[str(SCRIPT), *argv]
    )


@contextlib.contextmanager
def running_hub_and_nodes(
    *,
    pki: Path | Mapping[str, Path],
    service_database: Callable[[str], tuple[str, str | None]],
    schema_dirs: str,
    root: Path,
    countries: tuple[str, ...] = ("AR", "BR"),
    hub_env: dict[str, str] | None = None,
) -> Iterator[tuple[dict[str, ProcessService], dict[str, str]]]:
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
            proc.kill()
