"""/docs served from the packaged Swagger UI (no CDN, works offline) and who may read /metrics."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from singlewindow.config import HubSettings, NodeSettings, TokenConfig
from singlewindow.operator_endpoints import secure_operator_endpoints

CHROMIUM = Path("/usr/bin/chromium")
METRICS_TOKEN = "metrics-token-0123456789abcdef"


def _app(*, docs_enabled: bool = True, metrics_token: str | None = None) -> FastAPI:
    app = FastAPI(title="demo", docs_url=None, redoc_url=None)
    secure_operator_endpoints(app, docs_enabled=docs_enabled, metrics_token=metrics_token)

    @app.get("/metrics")
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse("demo_total 1.0\n")

    return app


def _get(app: FastAPI, path: str, *, client: str = "127.0.0.1", **kwargs: Any) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(client, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as http:
            return await http.get(path, **kwargs)

    return asyncio.run(run())


def test_docs_page_loads_swagger_ui_only_from_the_service() -> None:
    """/docs names only this service's own script and styles, which are served from the package."""
    app = _app()
    page = _get(app, "/docs")
    assert page.status_code == 200 and "http://" not in page.text and "https://" not in page.text
    assert 'src="/docs/assets/swagger-ui-bundle.js"' in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    script = _get(app, "/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.text
    assert _get(app, "/docs/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
    assert _get(app, "/docs/assets/..%2Fpyproject.toml").status_code == 404


def test_docs_can_be_switched_off() -> None:
    """With docs_enabled false there is no /docs page and no assets."""
    app = _app(docs_enabled=False)
    assert _get(app, "/docs").status_code == 404
    assert _get(app, "/docs/assets/swagger-ui.css").status_code == 404


def test_metrics_default_to_loopback_clients_only() -> None:
    """Without a token, /metrics answers loopback clients but refuses remote and proxied ones (403)."""
    app = _app()
    assert _get(app, "/metrics").status_code == 200
    remote = _get(app, "/metrics", client="203.0.113.5")
    assert remote.status_code == 403 and remote.json()["problems"][0]["code"] == "auth.forbidden"
    proxied = _get(app, "/metrics", headers={"x-forwarded-for": "203.0.113.5"})
    assert proxied.status_code == 403


def test_metrics_token_is_required_from_everyone_when_set() -> None:
    """With a metrics token, /metrics needs it as a Bearer token, from loopback and remote clients alike."""
    app = _app(metrics_token=METRICS_TOKEN)
    assert _get(app, "/metrics").status_code == 401
    assert _get(app, "/metrics", headers={"authorization": "Bearer wrong"}).status_code == 401
    good = {"authorization": f"Bearer {METRICS_TOKEN}"}
    answer = _get(app, "/metrics", client="203.0.113.5", headers=good)
    assert answer.status_code == 200 and "demo_total" in answer.text


def test_hub_and_node_serve_docs_without_a_cdn(federation: Any, tmp_path: Path) -> None:
    """The real hub and node apps serve the local Swagger UI and have no /redoc (which needs a CDN)."""
    from singlewindow.hub import create_app as create_hub
    from singlewindow.node import create_app as create_node

    hub = create_hub(HubSettings(pki=federation.directory, database_url=f"sqlite:///{tmp_path / 'hub.db'}"))
    node = create_node(
        NodeSettings(
            pki=federation.directory,
            country="BR",
            database_url=f"sqlite:///{tmp_path / 'br.db'}",
            tokens=[TokenConfig(name="Ana Souza", role="official", token="br-official-token-0123456789")],
        )
    )
    for app in (hub, node):
        page = _get(app, "/docs")
        assert page.status_code == 200 and "cdn." not in page.text and "/docs/assets/" in page.text
        assert _get(app, "/redoc").status_code == 404


@pytest.fixture(scope="module")
def docs_url() -> Iterator[str]:
    """A service with the docs page under uvicorn on a free loopback port."""
    server = uvicorn.Server(uvicorn.Config(_app(), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, name="docs", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the docs server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_docs_render_offline_in_a_browser(docs_url: str) -> None:
    """With every request off the loopback blocked, Chromium still renders the Swagger UI at /docs."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    outside: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        page = browser.new_page()

        def block(route: Any) -> None:
            if route.request.url.startswith(docs_url):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", block)
        page.goto(f"{docs_url}/docs")
        sync_api.expect(page.locator(".swagger-ui .info .title")).to_contain_text("demo")
        browser.close()
    assert outside == []
