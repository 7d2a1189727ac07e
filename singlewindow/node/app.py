"""The node application factory: lifespan-owned engine, keys, verifier, hub client and outbox."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime

import httpx
from cryptography import x509
from fastapi import FastAPI

from singlewindow.config import NodeSettings
from singlewindow.errors import ConfigurationError
from singlewindow.logging import get_logger
from singlewindow.metrics import NodeMetrics
from singlewindow.node.auth import configured
from singlewindow.node.outbound import Outbox
from singlewindow.operator_endpoints import secure_operator_endpoints
from singlewindow.pki import Federation
from singlewindow.pki.trustlist import Trustlist
from singlewindow.protocol.edge import (
    Verify,
    VerifyLifecycle,
    install_error_handlers,
    load_verifiers,
)
from singlewindow.storage import NodeStore, make_engine, migrate, utcnow

_log = get_logger("singlewindow.node")


@dataclass
class NodeState:
    """What the routes use; built in the lifespan, reachable as ``app.state.node``."""

    settings: NodeSettings
    store: NodeStore
    federation: Federation
    trustlist: Trustlist
    hub_certificate: x509.Certificate
    verify: Verify
    verify_lifecycle: VerifyLifecycle
    outbox: Outbox
    metrics: NodeMetrics
    clock: Callable[[], datetime]


def create_app(
    settings: NodeSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    verify: Verify | None = None,
    clock: Callable[[], datetime] = utcnow,
    background: bool = True,
    verify_lifecycle: VerifyLifecycle | None = None,
) -> FastAPI:
    """Build a country node; ``transport`` carries calls to the hub (tests use ASGITransport)."""
    from singlewindow.node.page import page_router
    from singlewindow.node.routes import router

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        federation = Federation.load(settings.pki)
        trustlist = federation.trustlist
        hub_url = settings.hub_url or trustlist.hub.url
        if not hub_url:
            raise ConfigurationError("no hub URL: set SINGLEWINDOW_NODE_HUB_URL or the trust list's hub.url")
        engine = make_engine(url=settings.url, schema=settings.database_schema)
        migrate(engine=engine)
        store = NodeStore(engine=engine)
        loaded = (
            (verify, verify_lifecycle)
            if verify is not None and verify_lifecycle is not None
            else load_verifiers(
                trust_dir=settings.trust_dir,
                trustlist=settings.trustlist_path,
                schema_dirs=settings.schema_paths,
                allow_sha1=settings.allow_sha1,
                max_bytes=settings.max_body_bytes,
                clock=clock,
            )
        )
        store.replace_tokens(tokens=configured(settings.tokens), now=clock())
        metrics = NodeMetrics()
        client = httpx.AsyncClient(transport=transport, timeout=settings.submit_timeout)
        outbox = Outbox(
            store=store,
            client=client,
            hub_url=hub_url,
            key=federation.country(settings.country).node.private_key,
            country=settings.country,
            trustlist=trustlist,
            metrics=metrics,
            clock=clock,
            interval=settings.sync_interval,
        )
        app.state.node = NodeState(
            settings=settings,
            store=store,
            federation=federation,
            trustlist=trustlist,
            hub_certificate=x509.load_pem_x509_certificate(trustlist.hub.certificate.encode("ascii")),
            verify=verify or loaded[0],
            verify_lifecycle=verify_lifecycle or loaded[1],
            outbox=outbox,
            metrics=metrics,
            clock=clock,
        )
        task = asyncio.create_task(outbox.run(), name="outbox") if background else None
        _log.info("node_started", country=settings.country, database=engine.dialect.name)
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await client.aclose()
            engine.dispose()

    app = FastAPI(
        title=f"singlewindow node {settings.country}",
        summary="A country node: customs submissions, deliveries from the hub, officials' verification.",
        lifespan=lifespan,
        docs_url=None,  # /docs is served from a packaged Swagger UI, never a CDN
        redoc_url=None,
    )
    install_error_handlers(app)
    secure_operator_endpoints(
        app,
        docs_enabled=settings.docs_enabled,
        metrics_token=settings.metrics_token.get_secret_value() if settings.metrics_token else None,
    )
    app.include_router(router)
    app.include_router(page_router(app, settings))
    return app
