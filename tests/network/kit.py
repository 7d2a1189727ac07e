"""Test kit: throwaway databases (SQLite file or PostgreSQL schema) and an in-process federation."""

from __future__ import annotations

import contextlib
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, text

from singlewindow.cod import sample_certificate, to_bytes
from singlewindow.config import HubSettings, NodeSettings, TokenConfig
from singlewindow.hub import create_app as create_hub
from singlewindow.node import create_app as create_node
from singlewindow.pki import Federation
from singlewindow.protocol.edge import Verify
from singlewindow.protocol.trustsync import verifiers_for
from singlewindow.verification import VerificationContext, complete_and_sign

PG_ENV = "SINGLEWINDOW_TEST_DATABASE_URL"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@dataclass(frozen=True)
class Database:
    """Where one test keeps its data: a directory of SQLite files, or a PostgreSQL schema prefix."""

    backend: str
    root: Path
    url: str | None = None
    prefix: str = ""

    def service(self, name: str) -> tuple[str, str | None]:
        """``(url, schema)`` of one service's own store."""
        if self.backend == "sqlite":
            return f"sqlite:///{self.root / f'{name.lower()}.db'}", None
        assert self.url is not None
        return self.url, f"{self.prefix}_{name.lower()}"


@contextlib.contextmanager
def throwaway_database(backend: str, root: Path) -> Iterator[Database]:
    """A database no other test sees; PostgreSQL schemas are dropped afterwards."""
    if backend == "sqlite":
        yield Database(backend="sqlite", root=root)
        return
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set")
    prefix = f"t{uuid.uuid4().hex[:12]}"
    try:
        yield Database(backend="postgresql", root=root, url=url, prefix=prefix)
    finally:
        engine = create_engine(url)
        with engine.begin() as conn:
            names = conn.execute(
                text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"), {"p": f"{prefix}%"}
            ).scalars()
            for name in list(names):
                conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """Each test's own database, on SQLite and (when configured) on PostgreSQL."""
    with throwaway_database(request.param, tmp_path) as db:
        yield db


# fixed for the session (same CertificateID on every call), inside the demo certificates' validity
WHEN = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)


def signed_cod(
    federation: Federation,
    *,
    exporter: str = "AR",
    importer: str = "BR",
    number: int = 1,
    certified: datetime | None = None,
) -> bytes:
    """A complete COD signed by ``exporter``'s exporter and official; ``certified`` changes only the bytes."""
    cert = sample_certificate(exporter_country=exporter, importer_country=importer, number=number, when=WHEN)
    return complete_and_sign(
        to_bytes(cert, stage="request"), federation=federation, country=exporter, now=certified or WHEN
    )


def fields_json(*, exporter: str = "AR", importer: str = "BR", number: int = 1) -> bytes:
    """Customs JSON fields of a sample certificate."""
    cert = sample_certificate(exporter_country=exporter, importer_country=importer, number=number, when=WHEN)
    return cert.model_dump_json().encode()


class Switch(httpx.AsyncBaseTransport):
    """Routes requests to in-process apps by host; a host marked down refuses connections."""

    def __init__(self) -> None:
        self.apps: dict[str, httpx.ASGITransport] = {}
        self.down: set[str] = set()

    def add(self, host: str, app: FastAPI) -> None:
        """Serve ``host`` with ``app``."""
        self.apps[host] = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Dispatch to the app of the request's host."""
        host = request.url.host
        if host in self.down or host not in self.apps:
            raise httpx.ConnectError(f"{host} is down", request=request)
        return await self.apps[host].handle_async_request(request)


@dataclass
class LocalFederation:
    """A hub and nodes wired together in one event loop; workers are stepped by the test."""

    pki: Federation
    db: Database
    countries: list[str]
    schema_dirs: str = ""
    verify: Verify | None = None
    hub_options: dict[str, Any] = field(default_factory=dict)
    switch: Switch = field(default_factory=Switch)
    tokens: dict[str, str] = field(
        default_factory=lambda: {"customs": secrets.token_urlsafe(24), "official": secrets.token_urlsafe(24)}
    )
    apps: dict[str, FastAPI] = field(default_factory=dict)

    def hub_settings(self) -> HubSettings:
        url, schema = self.db.service("hub")
        values: dict[str, Any] = {
            "pki": self.pki.directory,
            "schema_dirs": self.schema_dirs,
            "database_url": url,
            "database_schema": schema,
            "node_urls": {code: f"http://{code.lower()}.node" for code in self.countries},
            "worker_enabled": False,
            "worker_id": "hub-test",
            "backoff_base": 0.001,
            "backoff_max": 0.002,
            "max_attempts": 3,
        }
        return HubSettings(**(values | self.hub_options))

    def node_settings(self, country: str) -> NodeSettings:
        url, schema = self.db.service(country)
        return NodeSettings(
            pki=self.pki.directory,
            schema_dirs=self.schema_dirs,
            country=country,
            database_url=url,
            database_schema=schema,
            hub_url="http://hub",
            public_url=f"http://{country.lower()}.node",
            tokens=[
                TokenConfig(name=role, role=role, token=token)  # type: ignore[arg-type]
                for role, token in self.tokens.items()
            ],
        )

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[LocalFederation]:
        """Start every app's lifespan; stop them on exit."""
        self.apps["hub"] = create_hub(self.hub_settings(), transport=self.switch, verify=self.verify)
        self.switch.add("hub", self.apps["hub"])
        for code in self.countries:
            app = create_node(
                self.node_settings(code), transport=self.switch, background=False, verify=self.verify
            )
            self.apps[code] = app
            self.switch.add(f"{code.lower()}.node", app)
        async with contextlib.AsyncExitStack() as stack:
            for app in self.apps.values():
                await stack.enter_async_context(app.router.lifespan_context(app))
            yield self

    def client(self, name: str, *, role: str | None = "customs") -> httpx.AsyncClient:
        """A client of one service, with the role's bearer token."""
        host = "hub" if name == "hub" else f"{name.lower()}.node"
        headers = {"authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.AsyncClient(transport=self.switch, base_url=f"http://{host}", headers=headers)

    @property
    def hub(self) -> Any:
        """The hub's lifespan state."""
        return self.apps["hub"].state.hub

    def node(self, country: str) -> Any:
        """A node's lifespan state."""
        return self.apps[country].state.node

    async def submit_fields(self, number: int, *, exporter: str = "AR") -> str:
        """Customs JSON fields of a sample certificate posted to ``exporter``'s node (202); its ID."""
        async with self.client(exporter) as node:
            answer = await node.post(
                "/api/v1/certificates",
                content=fields_json(exporter=exporter, number=number),
                headers={"content-type": "application/json"},
            )
        assert answer.status_code == 202, answer.text
        return str(answer.json()["certificate_id"])

    async def deliver_and_push(self) -> None:
        """One hub worker round (no node outbox sync at all), then wait for the pushes it started."""
        await self.hub.worker.run_once()
        await self.hub.worker.pushes.settled()

    async def settle(self, rounds: int = 5) -> None:
        """Run the hub worker and every node's outbox a few times."""
        for _ in range(rounds):
            await self.hub.worker.run_once()
            for code in self.countries:
                await self.node(code).outbox.sync_once()


@pytest.fixture(scope="session")
def shared_verify(federation: Federation, aladi_dir: Path) -> Verify:
    """One verifier for every in-process app of the session (loading XSDs is the slow part of a start)."""
    context = VerificationContext.from_paths(
        trust_dir=federation.trust_dir,
        registry_file=federation.trustlist_path,
        schema_dirs=[aladi_dir],
        allow_sha1=False,
        max_bytes=5 * 1024 * 1024,
    )
    verify, _ = verifiers_for(context, clock=None, schema_dirs=[aladi_dir])
    return verify


@pytest.fixture
async def local(
    federation: Federation, database: Database, aladi_dir: Path, shared_verify: Verify
) -> AsyncIterator[LocalFederation]:
    """Hub + AR, BR, UY in-process on the test's database, all verifying with ``shared_verify``."""
    kit = LocalFederation(
        pki=federation,
        db=database,
        countries=["AR", "BR", "UY"],
        schema_dirs=str(aladi_dir),
        verify=shared_verify,
    )
    async with kit.running() as fed:
        yield fed
