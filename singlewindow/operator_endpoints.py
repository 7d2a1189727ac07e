"""The operators' endpoints of hub and node: ``/docs`` served from a packaged Swagger UI (never a CDN),
and who may read ``/metrics`` (a bearer token when configured, else only direct loopback clients)."""

from __future__ import annotations

import hmac
import ipaddress
from functools import cache
from importlib import resources
from typing import Final

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from singlewindow.errors import problem
from singlewindow.protocol.edge import problems_response

DOCS_PATH: Final = "/docs"
METRICS_PATH: Final = "/metrics"
#: the Swagger UI files the page needs, from the swagger-ui-bundle-v2 package (no fetched copy in the repo)
_ASSETS: Final[dict[str, str]] = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
#: the docs page may load only this service's own files
_DOCS_POLICY: Final = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@cache
def _asset(name: str) -> bytes:
    # The packaged Swagger UI dist files (swagger-ui-bundle-v2 ships them as package data).
    folder = resources.files("swagger_ui_bundle")
    (version,) = [p for p in folder.joinpath("vendor").iterdir() if p.name.startswith("swagger-ui-")]
    return version.joinpath(name).read_bytes()


def install_docs(app: FastAPI, *, enabled: bool) -> None:
    """Serve Swagger UI at ``/docs`` with its script and styles from this service (build the app with
    ``docs_url=None, redoc_url=None``); ``enabled=False`` serves no docs page at all."""
    if not enabled:
        return

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs() -> Response:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{DOCS_PATH}/assets/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_PATH}/assets/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_PATH}/assets/favicon-32x32.png",
            # No validator badge: it would send the API description to a public validator.
            swagger_ui_parameters={"validatorUrl": None},
        )
        page.headers["Content-Security-Policy"] = _DOCS_POLICY
        return page

    @app.get(f"{DOCS_PATH}/assets/{{name}}", include_in_schema=False)
    async def docs_asset(name: str) -> Response:
        media_type = _ASSETS.get(name)
        if media_type is None:
            return Response(status_code=404)
        return Response(
            _asset(name), media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
        )


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class MetricsGuard:
    """ASGI middleware admitting ``GET /metrics`` only with ``Authorization: Bearer <token>`` when a token
    is configured, else only from a loopback client that no proxy forwarded (X-Forwarded-For/Forwarded)."""

    def __init__(self, app: ASGIApp, *, token: str | None) -> None:
        self.app = app
        self.token = token

    def _refusal(self, scope: Scope) -> Response | None:
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        if self.token is not None:
            scheme, _, given = headers.get("authorization", "").partition(" ")
            if not given:
                return problems_response(
                    status_code=401,
                    problems=[problem("auth.missing", "send Authorization: Bearer <metrics token>")],
                )
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), self.token):
                return problems_response(
                    status_code=401, problems=[problem("auth.invalid", "not the metrics token")]
                )
            return None
        client = scope.get("client")
        forwarded = "x-forwarded-for" in headers or "forwarded" in headers
        if client is None or forwarded or not _loopback(str(client[0])):
            return problems_response(
                status_code=403,
                problems=[
                    problem(
                        "auth.forbidden",
                        "metrics are served to loopback clients only; "
                        "set a metrics token to read them remotely",
                    )
                ],
            )
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == METRICS_PATH:
            refusal = self._refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def secure_operator_endpoints(app: FastAPI, *, docs_enabled: bool, metrics_token: str | None) -> None:
    """Local Swagger UI at /docs (when enabled) and the /metrics access rule, for hub and node alike."""
    install_docs(app, enabled=docs_enabled)
    app.add_middleware(MetricsGuard, token=metrics_token)
