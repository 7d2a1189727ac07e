"""The local demo federation behind ``singlewindow up``: hub and nodes as processes, one certificate sent."""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from singlewindow.cod import sample_certificate
from singlewindow.harness.ports import bindable, free_ports
from singlewindow.harness.services import ProcessService, ServiceKind
from singlewindow.node.changes import MAX_WAIT_S
from singlewindow.pki import Trustlist, init_federation
from singlewindow.pki.issue import DEFAULT_HUB_URL

#: what ``up`` starts by default: the MERCOSUR trio of the walkthrough
DEMO_COUNTRIES = ("AR", "BR", "UY")
#: the hub listens here and the nodes on the next ports, in the order of the countries: fixed, so that
#: the links and QR codes ``up`` prints survive a restart (0 picks free ports instead)
DEFAULT_BASE_PORT = 8700
_DELIVERED = frozenset({"delivered"})
_FINAL = frozenset({"delivered", "rejected", "failed"})


@dataclass
class LocalFederation:
    """A hub and one node per country as child processes on loopback, with SQLite files in ``directory``."""

    directory: Path
    countries: tuple[str, ...] = DEMO_COUNTRIES
    schema_dirs: str = field(default_factory=lambda: os.environ.get("SINGLEWINDOW_SCHEMA_DIRS", ""))
    services: dict[str, ProcessService] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def pki(self) -> Path:
        """The federation PKI (generated on first start, kept afterwards)."""
        return self.directory / "pki"

    def home(self, name: str) -> Path:
        """The home a service is started with: ``pki/hub`` or ``pki/CC/node`` (its own material only)."""
        return self.pki / "hub" if name == "hub" else self.pki / name / "node"

    @property
    def federation_file(self) -> Path:
        """``federation.json``: hub URL, node URLs and their tokens (mode 600: it holds secrets)."""
        return self.directory / "federation.json"

    def prepare(self, *, hub_url: str | None = None) -> bool:
        """Create the directory and the PKI if missing; reuse earlier tokens. True when the PKI is new.

        ``hub_url`` is where the hub will listen: the CRL distribution points of a new PKI name it.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        created = not (self.pki / "trustlist.json").is_file()
        if created:
            init_federation(self.pki, countries=list(self.countries), hub_url=hub_url or DEFAULT_HUB_URL)
        else:
            # members added since (``singlewindow federation country add``) start with the others
            members = Trustlist.load(self.pki / "trustlist.json").countries
            self.countries = tuple(dict.fromkeys([*self.countries, *members]))
        earlier: dict[str, Any] = {}
        if self.federation_file.is_file():
            earlier = json.loads(self.federation_file.read_text()).get("nodes", {})
        for code in self.countries:
            known = earlier.get(code, {})
            self.tokens[code] = {
                "customs": known.get("customs_token") or secrets.token_urlsafe(24),
                "official": known.get("official_token") or secrets.token_urlsafe(24),
            }
        return created

    def ports(self, *, base_port: int = DEFAULT_BASE_PORT) -> dict[str, int]:
        """The hub on ``base_port``, node i on ``base_port + 1 + i``; free ports when ``base_port`` is 0."""
        names = ("hub", *self.countries)
        if base_port == 0:
            return free_ports(names)
        return {name: base_port + offset for offset, name in enumerate(names)}

    def busy_ports(self, *, base_port: int = DEFAULT_BASE_PORT) -> list[int]:
        """The ports of :meth:`ports` another program already listens on.

        Probed as the services bind (``SO_REUSEADDR``, as uvicorn does): connections a stopped
        federation left in TIME_WAIT do not make its ports busy for a minute after Ctrl-C.
        """
        ports = self.ports(base_port=base_port).values()
        return [port for port in ports if not bindable(port, reuse_address=True)]

    def start(
        self,
        *,
        base_port: int = DEFAULT_BASE_PORT,
        on_started: Callable[[str, str], None] | None = None,
    ) -> None:
        """Start the hub, then each node, on the ports of :meth:`ports`; wait until each is healthy."""
        ports = self.ports(base_port=base_port)
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        common = {"SCHEMA_DIRS": self.schema_dirs, "LOG_LEVEL": "INFO", "LOG_JSON": "true"}
        hub_env = {
            "HOME": str(self.home("hub")),
            "TRUSTLIST_REFRESH": "5",
            "PORT": str(ports["hub"]),
            "DATABASE_URL": f"sqlite:///{self.directory / 'hub.db'}",
            "NODE_URLS": json.dumps({code: self.urls[code] for code in self.countries}),
            **common,
        }
        self._start("hub", ports["hub"], {f"SINGLEWINDOW_HUB_{k}": v for k, v in hub_env.items()})
        if on_started:
            on_started("hub", self.urls["hub"])
        for code in self.countries:
            tokens = [
                {"name": f"{code.lower()}-{role}", "role": role, "token": token}
                for role, token in self.tokens[code].items()
            ]
            node_env = {
                "COUNTRY": code,
                "HOME": str(self.home(code)),
                "TRUSTLIST_REFRESH": "5",
                "PORT": str(ports[code]),
                "DATABASE_URL": f"sqlite:///{self.directory / f'node-{code}.db'}",
                "HUB_URL": self.urls["hub"],
                "PUBLIC_URL": self.urls[code],
                "TOKENS": json.dumps(tokens),
                **common,
            }
            self._start(code, ports[code], {f"SINGLEWINDOW_NODE_{k}": v for k, v in node_env.items()})
            if on_started:
                on_started(code, self.urls[code])
        self._write_federation_file()

    def _start(self, name: str, port: int, env: dict[str, str]) -> None:
        kind: ServiceKind = "hub" if name == "hub" else "node"
        service = ProcessService(
            name=name,
            kind=kind,
            port=port,
            env=env,
            log=self.directory / f"{name.lower()}.log",
        )
        self.services[name] = service
        service.start()

    def _write_federation_file(self) -> None:
        document = {
            "hub_url": self.urls["hub"],
            "hub_home": str(self.home("hub")),
            "nodes": {
                code: {
                    "url": self.urls[code],
                    "home": str(self.home(code)),
                    "customs_token": self.tokens[code]["customs"],
                    "official_token": self.tokens[code]["official"],
                }
                for code in self.countries
            },
        }
        self.federation_file.write_text(json.dumps(document, indent=2) + "\n")
        self.federation_file.chmod(0o600)

    def stop(self) -> None:
        """Stop every child (SIGTERM, then SIGKILL after a grace period), nodes first."""
        for service in reversed(list(self.services.values())):
            service.stop()
        self.services.clear()

    def send_demo_certificate(
        self, *, exporter: str = "AR", importer: str = "BR", timeout: float = 60.0
    ) -> dict[str, Any]:
        """Post one generated certificate to the exporter's node and wait until it is final; its status."""
        number = int(time.time()) % 100_000_000
        certificate = sample_certificate(
            exporter_country=exporter,
            importer_country=importer,
            number=number,
            goods=3,
            seed=number,
            when=datetime.now(UTC),
        )
        body = certificate.model_dump(mode="json", exclude={"eh", "certification"})
        headers = {"authorization": f"Bearer {self.tokens[exporter]['customs']}"}
        answer = httpx.post(
            f"{self.urls[exporter]}/api/v1/certificates", json=body, headers=headers, timeout=30.0
        )
        if answer.status_code >= 300:
            return {"status": "rejected", "http_status": answer.status_code, "answer": answer.json()}
        status_url = answer.json()["status_url"]
        deadline = time.monotonic() + timeout
        status: dict[str, Any] = answer.json()
        while status.get("status") not in _FINAL and (left := deadline - time.monotonic()) > 0:
            # held by the node until the status changes (``?wait=``), not a poll every so often
            wait = round(min(left, MAX_WAIT_S), 1)
            status = httpx.get(
                status_url, params={"wait": str(wait)}, headers=headers, timeout=wait + 10.0
            ).json()
        return status
