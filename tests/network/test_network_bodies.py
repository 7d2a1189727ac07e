"""Bodies at the edge of hub and node: a deadline for slow bodies, a streaming size cap, quiet disconnects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from network.kit import LocalFederation, fields_json, signed_cod
from sqlalchemy import func, select
from structlog.testing import capture_logs

from singlewindow.protocol import XML, SignatureAuth
from singlewindow.storage.tables import node_outbound

pytestmark = pytest.mark.anyio


async def _drip(data: bytes, *, pieces: int, pause: float) -> AsyncIterator[bytes]:
    """``data`` in ``pieces`` parts with ``pause`` seconds before each."""
    step = max(1, -(-len(data) // pieces))
    for start in range(0, len(data), step):
        await asyncio.sleep(pause)
        yield data[start : start + step]


def _codes(answer: httpx.Response) -> list[str]:
    return [p["code"] for p in answer.json()["problems"]]


def _outbound_rows(local: LocalFederation, country: str) -> int:
    with local.node(country).store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(node_outbound)).scalar_one())


async def test_hub_refuses_a_body_that_trickles_in_past_the_deadline(local: LocalFederation) -> None:
    """A signed COD dripped past body_timeout: 408 input.too_slow, the connection closed, nothing stored."""
    local.hub.settings.body_timeout = 0.3
    document = signed_cod(local.pki)
    auth = SignatureAuth(key=local.pki.country("AR").node.private_key, keyid="AR")
    request = httpx.Request(
        "POST",
        "http://hub/api/v1/messages",
        content=_drip(document, pieces=20, pause=0.05),
        headers={"content-type": XML},
    )
    # sign over the real bytes, then send them slowly
    request.headers.update(
        {k: v for k, v in _signed_headers(auth, document).items() if k.lower() != "content-length"}
    )
    async with local.client("hub", role=None) as hub:
        answer = await hub.send(request)
    assert answer.status_code == 408, answer.text
    assert _codes(answer) == ["input.too_slow"]
    assert answer.headers["connection"] == "close"
    assert sum(local.hub.store.counts().values()) == 0


def _signed_headers(auth: SignatureAuth, body: bytes) -> dict[str, str]:
    signed = next(auth.auth_flow(httpx.Request("POST", "http://hub/api/v1/messages", content=body)))
    return {k: signed.headers[k] for k in ("content-digest", "signature-input", "signature")}


async def test_hub_accepts_a_slow_body_that_finishes_in_time(local: LocalFederation) -> None:
    """The deadline bounds the whole body, not each chunk: a body streamed in pieces within it is accepted."""
    local.hub.settings.body_timeout = 5.0
    document = signed_cod(local.pki)
    auth = SignatureAuth(key=local.pki.country("AR").node.private_key, keyid="AR")
    request = httpx.Request(
        "POST", "http://hub/api/v1/messages", content=_drip(document, pieces=5, pause=0.02)
    )
    request.headers.update({"content-type": XML, **_signed_headers(auth, document)})
    async with local.client("hub", role=None) as hub:
        answer = await hub.send(request)
    assert answer.status_code == 202, answer.text


async def test_node_refuses_a_slow_customs_body_and_stores_nothing(local: LocalFederation) -> None:
    """Customs JSON dripped past body_timeout: 408 input.too_slow and no certificate is created."""
    local.node("AR").settings.body_timeout = 0.3
    async with local.client("AR") as node:
        answer = await node.post(
            "/api/v1/certificates",
            content=_drip(fields_json(), pieces=20, pause=0.05),
            headers={"content-type": "application/json"},
        )
    assert answer.status_code == 408, answer.text
    assert _codes(answer) == ["input.too_slow"]
    assert _outbound_rows(local, "AR") == 0


async def test_size_cap_holds_while_streaming_without_content_length(local: LocalFederation) -> None:
    """A chunked body with no Content-Length is cut at max_body_bytes: 413, and the rest is never read."""
    local.hub.settings.max_body_bytes = 4096
    pulled: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        for _ in range(10_000):
            pulled.append(1024)
            yield b"<" * 1024

    async with local.client("hub", role=None) as hub:
        answer = await hub.post("/api/v1/messages", content=endless(), headers={"content-type": XML})
    assert answer.status_code == 413 and _codes(answer) == ["input.too_large"]
    assert sum(pulled) <= 4096 + 1024


async def test_client_leaving_mid_body_ends_quietly(local: LocalFederation) -> None:
    """A disconnect mid-body raises nothing out of the app, logs one warning line and stores nothing."""
    app = local.apps["AR"]
    token = local.tokens["customs"].encode()
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": b'{"exporter', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/certificates",
        "raw_path": b"/api/v1/certificates",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"ar.node"), (b"authorization", b"Bearer " + token)],
        "server": ("ar.node", 80),
        "client": ("127.0.0.1", 5000),
        "app": app,
    }
    with capture_logs() as logs:
        await app(scope, receive, send)  # must not raise ClientDisconnect
    warnings = [entry for entry in logs if entry["log_level"] in ("warning", "error", "critical")]
    assert [entry["event"] for entry in warnings] == ["client_disconnected"]
    assert not any("exc_info" in entry for entry in logs)
    assert _outbound_rows(local, "AR") == 0
