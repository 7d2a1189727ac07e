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
from singlewindow.operator_endpoints import secure_operator_endpoints
from singlewindow.pki.files import read_private_key
from singlewindow.pki.trustlist import Trustlist
from singlewindow.protocol.edge import (
    Verify,
    VerifyLifecycle,
    install_error_handlers,
    load_verifiers,
)
from singlewindow.storage import HubStore, make_engine, migrate, utcnow

_log = get_logger("singlewindow.hub")


@dataclass
class HubState:
    """What the routes use; built in the lifespan, reachable as ``app.state.hub``."""

    settings: HubSettings
    store: HubStore
    directory: Directory
    trustlist_bytes: bytes
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
        engine = make_engine(url=settings.url, schema=settings.database_schema)
        migrate(engine=engine)
        store = HubStore(engine=engine)
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
        trustlist = Trustlist.load(settings.trustlist_path)
        directory = Directory(trustlist=trustlist, node_urls=settings.node_urls)
        metrics = HubMetrics()
        metrics.watch(states=lambda: {state.value: n for state, n in store.counts().items()})
        client = httpx.AsyncClient(transport=transport, timeout=settings.delivery_timeout)
        worker = DeliveryWorker(
            store=store,
            directory=directory,
            client=client,
            key=read_private_key(settings.pki / "hub" / "hub.key"),
            settings=settings,
            metrics=metrics,
            clock=clock,
        )
        app.state.hub = HubState(
            settings=settings,
            store=store,
            directory=directory,
            trustlist_bytes=settings.trustlist_path.read_bytes(),
            verify=verify or loaded[0],
            verify_lifecycle=verify_lifecycle or loaded[1],
            metrics=metrics,
            worker=worker,
            clock=clock,
        )
        task = asyncio.create_task(worker.run(), name="delivery-worker") if settings.worker_enabled else None
        _log.info("hub_started", worker=settings.worker_id, database=engine.dialect.name)
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
