"""A simulated federation on loopback: its PKI, a hub and one node per country, each behind a fault proxy."""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from singlewindow.config import DATABASE_POOL_SIZE, HubSettings, NodeSettings, TokenConfig
from singlewindow.harness.ports import free_ports
from singlewindow.harness.proxy import FaultProxy
from singlewindow.harness.serve import build_app
from singlewindow.harness.services import ProcessService, Service, ServiceKind, ThreadService
from singlewindow.logging import configure_logging
from singlewindow.pki import init_federation
from singlewindow.pki.countries import ALADI_COUNTRIES

#: CertificateID's official pattern admits only these countries: a federation has at most this many
MAX_COUNTRIES = len(ALADI_COUNTRIES)
HUB = "hub"


def harness_schema_dirs() -> str:
    """Official COD XSD dirs: SINGLEWINDOW_SCHEMA_DIRS, else SINGLEWINDOW_STANDARDS_DIR/aladi-cod."""
    configured = os.environ.get("SINGLEWINDOW_SCHEMA_DIRS", "")
    if configured:
        return configured
    standards = os.environ.get("SINGLEWINDOW_STANDARDS_DIR")
    if standards and (Path(standards) / "aladi-cod").is_dir():
        return str(Path(standards) / "aladi-cod")
    return ""


def pick_countries(*, count: int) -> list[str]:
    """The first ``count`` ALADI members in a fixed, familiar order; above 13 is a ValueError."""
    order = ["AR", "BR", "UY", "PY", "CL", "BO", "PE", "CO", "EC", "VE", "MX", "PA", "CU"]
    if not 2 <= count <= MAX_COUNTRIES:
        raise ValueError(
            f"--countries must be between 2 and {MAX_COUNTRIES}: a CertificateID can only name the "
            f"{MAX_COUNTRIES} ALADI members ({' '.join(sorted(ALADI_COUNTRIES))}), got {count}"
        )
    return order[:count]


def _proxy(name: str) -> str:
    """The port name of a service's fault proxy."""
    return f"{name} proxy"


class SimulatedFederation:
    """Start, break and stop a hub plus one node per country; every call goes through a FaultProxy."""

    def __init__(
        self,
        *,
        countries: list[str],
        workdir: Path,
        processes: bool = False,
        database_url: str | None = None,
        seed: int = 0,
        schema_dirs: str | None = None,
        body_timeout: float = 5.0,
        proxied: bool = True,
    ) -> None:
        self.countries = list(countries)
        #: False: services, driver and audit talk directly (no fault needs a proxy; measuring runs)
        self.proxied = proxied
        #: every service's body deadline; short, so the attack suite sees slow bodies refused quickly
        self.body_timeout = body_timeout
        self.schema_dirs = harness_schema_dirs() if schema_dirs is None else schema_dirs
        self.workdir = Path(workdir)
        self.processes = processes
        self.database_url = database_url
        self.run_id = f"{int(time.time()) % 1_000_000:06d}{secrets.token_hex(2)}"
        self.tokens = {"customs": secrets.token_urlsafe(24), "official": secrets.token_urlsafe(24)}
        # set, so nodes do not warn that page sessions end at restart (noise in simulate's output)
        self.session_secret = secrets.token_urlsafe(32)
        names = [HUB, *self.countries]
        # one draw for the services and their proxies: separate draws could give a proxy the port of
        # a service or of another proxy (seen once: EADDRINUSE when the second of them bound it)
        drawn = free_ports([*names, *(_proxy(name) for name in names)])
        self.ports = {name: drawn[name] for name in names}
        self.proxies = {
            name: FaultProxy(upstream_port=self.ports[name], port=drawn[_proxy(name)], seed=seed)
            for name in names
        }
        self.services: dict[str, Service] = {}
        self.pki_dir = self.workdir / "pki"

    # -- where things are -------------------------------------------------------------------------
    def url(self, name: str) -> str:
        """The URL through the fault proxy (what clients and the other services use).

        The service's own URL when the federation runs unproxied.
        """
        return self.proxies[name].url if self.proxied else self.direct_url(name)

    def direct_url(self, name: str) -> str:
        """The service's own URL, bypassing faults (for the final audit)."""
        return f"http://127.0.0.1:{self.ports[name]}"

    def home(self, name: str) -> Path:
        """The home directory a service is started with (``hub/`` or ``CC/node/`` of the PKI)."""
        return self.pki_dir / "hub" if name == HUB else self.pki_dir / name / "node"

    def database(self, name: str) -> tuple[str, str | None]:
        """The database URL and PostgreSQL schema of a service (one SQLite file each otherwise)."""
        if self.database_url and make_url(self.database_url).get_backend_name() == "postgresql":
            return self.database_url, f"sw_{self.run_id}_{name.lower()}"
        return f"sqlite:///{self.workdir / f'{name.lower()}.db'}", None

    def _values(self, name: str) -> dict[str, Any]:
        url, schema = self.database(name)
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.ports[name],
            # each service is started with its own home only
            "home": self.home(name),
            "trustlist_refresh": 2.0,
            "database_url": url,
            "database_schema": schema,
            # every service of the run shares one PostgreSQL server: 80 connections in all at most
            # (a PostgreSQL setting only: SQLite services keep their own pool, so it is left out)
            "database_pool_size": (
                max(4, min(DATABASE_POOL_SIZE, 80 // (len(self.countries) + 1))) if schema else None
            ),
            "log_json": True,
            "schema_dirs": self.schema_dirs,
            "log_level": "WARNING",
            "body_timeout": self.body_timeout,
        }
        if name == HUB:
            values |= {
                "node_urls": {code: self.url(code) for code in self.countries},
                "worker_id": f"hub-{self.run_id}",
                "backoff_base": 0.2,
                "backoff_max": 2.0,
                "max_attempts": 1000,
                "delivery_timeout": 10.0,
                "lease_seconds": 30.0,
                "poll_interval": 0.1,
                "batch_size": 20,
            }
        else:
            values |= {
                "country": name,
                "hub_url": self.url(HUB),
                "public_url": self.url(name),
                "sync_interval": 0.3,
                "session_secret": self.session_secret,
                "tokens": [
                    TokenConfig(name=role, role=role, token=token) for role, token in self.tokens.items()
                ],
            }
        return {key: value for key, value in values.items() if value is not None}

    def settings(self, name: str) -> HubSettings | NodeSettings:
        """The settings object of a service."""
        values = self._values(name)
        return HubSettings(**values) if name == HUB else NodeSettings(**values)

    def _env(self, name: str) -> dict[str, str]:
        prefix = "SINGLEWINDOW_HUB_" if name == HUB else "SINGLEWINDOW_NODE_"
        env: dict[str, str] = {}
        for key, value in self._values(name).items():
            if isinstance(value, dict):
                text = json.dumps(value)
            elif isinstance(value, list):
                text = json.dumps([token.model_dump(exclude_none=True) for token in value])
            else:
                text = str(value)
            env[prefix + key.upper()] = text
        return env

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Generate the PKI, start the proxies, the hub and every node; wait until all are healthy."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        init_federation(self.pki_dir, countries=self.countries, overwrite=True)
        if not self.processes:
            # the services share this process: keep their logs to warnings so the report stays readable
            configure_logging(level="WARNING", json=False)
        for proxy in self.proxies.values():
            proxy.start()
        for name in [HUB, *self.countries]:
            self.services[name] = self._service(name)
            self.services[name].start()

    def _service(self, name: str) -> Service:
        kind: ServiceKind = "hub" if name == HUB else "node"
        if self.processes:
            return ProcessService(
                name=name,
                kind=kind,
                port=self.ports[name],
                env=self._env(name),
                log=self.workdir / f"{name.lower()}.log",
            )
        return ThreadService(
            name=name,
            port=self.ports[name],
            factory=lambda: build_app(kind=kind, settings=self.settings(name)),
        )

    def kill(self, name: str) -> None:
        """Kill a service (SIGKILL for processes)."""
        self.services[name].kill()

    def restart(self, name: str) -> None:
        """Start a killed service again on the same port and database."""
        self.services[name].start()

    def pause(self, name: str) -> None:
        """Freeze a service: SIGSTOP for a process, its proxy held for a thread."""
        if self.processes:
            self.services[name].pause()
        else:
            self.proxies[name].faults.hold()

    def resume(self, name: str) -> None:
        """Undo ``pause``."""
        self.services[name].resume()
        self.proxies[name].faults.release()

    def stop(self) -> None:
        """Stop every service and proxy (idempotent)."""
        for service in reversed(list(self.services.values())):
            service.stop()
        for proxy in self.proxies.values():
            proxy.stop()
        self.services.clear()

    def drop_databases(self) -> None:
        """Drop the run's PostgreSQL schemas (SQLite files go with the work directory)."""
        for name in [HUB, *self.countries]:
            url, schema = self.database(name)
            if schema is None:
                continue
            engine = create_engine(url)
            try:
                with engine.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            finally:
                engine.dispose()
