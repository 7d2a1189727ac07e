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
from singlewindow.node.auth import Tokens, configured
from singlewindow.node.outbound import Outbox
from singlewindow.operator_endpoints import secure_operator_endpoints
from singlewindow.pki.federation import NodeHome
from singlewindow.pki.signed import SignedTrustlist
from singlewindow.pki.trustlist import Trustlist
from singlewindow.protocol import SignatureAuth
from singlewindow.protocol.client import federation_client
from singlewindow.protocol.edge import Verify, VerifyLifecycle, install_error_handlers
from singlewindow.protocol.trustsync import TrustlistKeeper, verifier_factory
from singlewindow.storage import NodeStore, make_engine, migrate, utcnow

_log = get_logger("singlewindow.node")


@dataclass
class NodeState:
    """What the routes use; built in the lifespan, reachable as ``app.state.node``."""

    settings: NodeSettings
    store: NodeStore
    #: this node's home: its key, the pinned operator, the trust list, its issuers (integration mode)
    federation: NodeHome
    trustlist: Trustlist
    keeper: TrustlistKeeper
    hub_certificate: x509.Certificate
    verify: Verify
    verify_lifecycle: VerifyLifecycle
    outbox: Outbox
    metrics: NodeMetrics
    clock: Callable[[], datetime]
    #: the configured tokens of customs systems and officials
    tokens: Tokens


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
        home = NodeHome.load_node(settings.service_home, country=settings.country)
        trustlist = home.trustlist
        hub_url = settings.hub_url or trustlist.hub.url
        if not hub_url:
            raise ConfigurationError("no hub URL: set SINGLEWINDOW_NODE_HUB_URL or the trust list's hub.url")
        engine = make_engine(
            url=settings.url, schema=settings.database_schema, pool_size=settings.database_pool_size
        )
        migrate(engine=engine)
        store = NodeStore(engine=engine)
        verifiers = verifier_factory(settings, clock=clock, verify=verify, verify_lifecycle=verify_lifecycle)

        listed = configured(settings.tokens)  # hashed once: stored for the page's sessions, checked in memory
        store.replace_tokens(tokens=listed, now=clock())
        metrics = NodeMetrics()
        client = federation_client(transport=transport, timeout=settings.submit_timeout)
        outbox = Outbox(
            store=store,
            client=client,
            hub_url=hub_url,
            key=home.node.private_key,
            country=settings.country,
            trustlist=trustlist,
            metrics=metrics,
            clock=clock,
            interval=settings.sync_interval,
        )

        def adopt(signed: SignedTrustlist) -> None:
            state: NodeState = app.state.node
            # the home is read again: a rotated node key is picked up with the trust list naming it
            fresh = NodeHome.load_node(settings.service_home, country=settings.country)
            state.federation = fresh
            state.trustlist = outbox.trustlist = signed.trustlist
            state.hub_certificate = x509.load_pem_x509_certificate(
                signed.trustlist.hub.certificate.encode("ascii")
            )
            state.verify, state.verify_lifecycle = verifiers(signed)
            outbox.auth = SignatureAuth(key=fresh.node.private_key, keyid=settings.country, clock=clock)

        keeper = TrustlistKeeper(home=home.path, operator=home.operator, current=home.signed, on_change=adopt)
        first = verifiers(home.signed)
        app.state.node = NodeState(
            settings=settings,
            store=store,
            federation=home,
            trustlist=trustlist,
            keeper=keeper,
            hub_certificate=x509.load_pem_x509_certificate(trustlist.hub.certificate.encode("ascii")),
            verify=first[0],
            verify_lifecycle=first[1],
            outbox=outbox,
            metrics=metrics,
            clock=clock,
            tokens=Tokens.of(listed),
        )

        async def fetch() -> bytes | None:
            answer = await client.get(f"{hub_url.rstrip('/')}/api/v1/federation")
            return answer.content if answer.status_code == 200 else None

        refresh = (
            asyncio.create_task(
                keeper.run(fetch=fetch, interval=settings.trustlist_refresh), name="trustlist-refresh"
            )
            if background
            else None
        )
        task = asyncio.create_task(outbox.run(), name="outbox") if background else None
        _log.info("node_started", country=settings.country, database=engine.dialect.name)
        try:
            yield
        finally:
            for running in (task, refresh):
                if running is not None:
                    running.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await running
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
