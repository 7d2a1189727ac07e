"""The hub application factory: lifespan-owned engine, trust list, verifier, HTTP client and worker."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime

import httpx
from fastapi import FastAPI

from singlewindow.config import HubSettings
from singlewindow.hub.directory import Directory
from singlewindow.hub.worker import DeliveryWorker
from singlewindow.logging import get_logger
from singlewindow.metrics import HubMetrics
from singlewindow.offload import in_thread
from singlewindow.operator_endpoints import secure_operator_endpoints
from singlewindow.pki.federation import ServiceHome
from singlewindow.pki.signed import SignedTrustlist
from singlewindow.protocol.client import federation_client
from singlewindow.protocol.edge import Verify, VerifyLifecycle, install_error_handlers
from singlewindow.protocol.trustsync import TrustlistKeeper, verifier_factory
from singlewindow.storage import HubStore, make_engine, migrate, utcnow

_log = get_logger("singlewindow.hub")


@dataclass
class HubState:
    """What the routes use; built in the lifespan, reachable as ``app.state.hub``."""

    settings: HubSettings
    store: HubStore
    directory: Directory
    trustlist_bytes: bytes
    keeper: TrustlistKeeper
    verify: Verify
    verify_lifecycle: VerifyLifecycle
    metrics: HubMetrics
    worker: DeliveryWorker
    clock: Callable[[], datetime]


def create_app(
    settings: HubSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    verify: Verify | None = None,
    clock: Callable[[], datetime] = utcnow,
    verify_lifecycle: VerifyLifecycle | None = None,
) -> FastAPI:
    """Build the hub; ``transport`` carries deliveries (tests wire nodes in with ASGITransport)."""
    from singlewindow.hub.routes import router

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        home = ServiceHome.load_hub(settings.service_home)
        engine = make_engine(
            url=settings.url, schema=settings.database_schema, pool_size=settings.database_pool_size
        )
        migrate(engine=engine)
        store = HubStore(engine=engine)
        verifiers = verifier_factory(settings, clock=clock, verify=verify, verify_lifecycle=verify_lifecycle)

        directory = Directory(trustlist=home.trustlist, node_urls=settings.node_urls)
        metrics = HubMetrics()
        metrics.watch(states=lambda: {state.value: n for state, n in store.counts().items()})
        client = federation_client(transport=transport, timeout=settings.delivery_timeout)
        worker = DeliveryWorker(
            store=store,
            directory=directory,
            client=client,
            key=home.identity.private_key,
            settings=settings,
            metrics=metrics,
            clock=clock,
        )

        def adopt(signed: SignedTrustlist) -> None:
            state: HubState = app.state.hub
            state.verify, state.verify_lifecycle = verifiers(signed)
            state.directory = worker.directory = Directory(
                trustlist=signed.trustlist, node_urls=settings.node_urls
            )
            state.trustlist_bytes = signed.data

        keeper = TrustlistKeeper(home=home.path, operator=home.operator, current=home.signed, on_change=adopt)
        first = verifiers(home.signed)
        app.state.hub = HubState(
            settings=settings,
            store=store,
            directory=directory,
            trustlist_bytes=home.signed.data,
            keeper=keeper,
            verify=first[0],
            verify_lifecycle=first[1],
            metrics=metrics,
            worker=worker,
            clock=clock,
        )

        async def read_home() -> bytes:
            return await in_thread(settings.trustlist_path.read_bytes)

        refresh = asyncio.create_task(
            keeper.run(fetch=read_home, interval=settings.trustlist_refresh), name="trustlist-refresh"
        )
        task = asyncio.create_task(worker.run(), name="delivery-worker") if settings.worker_enabled else None
        _log.info("hub_started", worker=settings.worker_id, database=engine.dialect.name)
        try:
            yield
        finally:
            for running in (task, refresh):
                if running is not None:
                    running.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await running
            await worker.pushes.finish()
            await client.aclose()
            engine.dispose()

    app = FastAPI(
        title="singlewindow hub",
        summary="Routes signed ALADI certificates of origin between country nodes.",
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
    return app
