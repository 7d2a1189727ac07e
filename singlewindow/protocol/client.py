"""The outgoing HTTP client of hub, node and harness driver: httpx's API over aiohttp's connections.

Requests, their RFC 9421 signing (``httpx.Auth``), timeouts and errors stay httpx's; the bytes go
through ``httpx-aiohttp``'s transport, whose aiohttp connector keeps a pool per host. httpcore
(1.0), httpx's own transport, asks every pooled connection whether it has expired (a system call
through anyio each) on every request, closes an idle connection whenever the pool holds more than
``max_keepalive_connections`` connections in all, busy ones included, and closes one to open
another for a second host when the pool is full. A hub delivering and pushing to three nodes
opened a new TCP connection for about a third of its exchanges, and a client request cost
1.2–3.3 ms of CPU against 0.4–0.5 ms through aiohttp (docs/PERFORMANCE.md, "The HTTP client").

Every aiohttp failure reaches the caller as an ``httpx.TransportError`` (``httpx.TimeoutException``
for timeouts): hub and node retry on ``httpx.HTTPError`` and must never meet another exception.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

#: connections in use at once per client (aiohttp keeps idle ones per host besides); a hub's
#: exchanges in flight (delivery slots and pushes) stay below it, more wait for a free one
CONNECTIONS = 100
#: seconds an idle connection is kept: under uvicorn's 5 s, so that the client lets a connection go
#: before the server closes it, rather than send a request on it as the server does (a POST is not
#: sent again by aiohttp, and would fail)
KEEP_ALIVE_S = 2.0


#: aiohttp's failures as httpx's, most specific first (httpx-aiohttp 0.2 maps a refused connection
#: to ConnectTimeout and leaves a malformed answer as aiohttp's own ClientResponseError)
_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (TimeoutError, httpx.TimeoutException),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.ReadError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (aiohttp.ClientConnectionError, httpx.NetworkError),
    (aiohttp.ClientError, httpx.TransportError),
)


def _mapped(exc: BaseException) -> httpx.TransportError | None:
    for source, target in _ERRORS:
        if isinstance(exc, source):
            return target(str(exc) or type(exc).__name__)
    return None


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    """Every aiohttp or timeout failure as the httpx error of its kind (``_ERRORS``)."""
    try:
        yield
    except httpx.HTTPError as exc:
        cause = exc.__cause__
        better = _mapped(cause) if cause is not None else None
        if better is None:
            raise
        raise better from cause
    except (TimeoutError, aiohttp.ClientError) as exc:
        mapped = _mapped(exc)
        assert mapped is not None
        raise mapped from exc


class _Body(httpx.AsyncByteStream):
    """The response body, with the same error mapping while it is read."""

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors():
            async for chunk in self._inner:
                yield chunk

    async def aclose(self) -> None:
        with _as_httpx_errors():
            await self._inner.aclose()


class FederationTransport(AiohttpTransport):
    """``httpx-aiohttp``'s transport with every failure an httpx error; its session opens on first use."""

    def __init__(self, connections: int = CONNECTIONS) -> None:
        super().__init__(limits=httpx.Limits(max_connections=connections, keepalive_expiry=KEEP_ALIVE_S))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on a pooled connection."""
        with _as_httpx_errors():
            response = await super().handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_Body(response.stream),
            request=request,
            extensions=response.extensions,
        )


def federation_client(
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float | httpx.Timeout,
    connections: int = CONNECTIONS,
) -> httpx.AsyncClient:
    """The client to send requests with: over ``transport`` if given (in-process tests), else aiohttp's."""
    return httpx.AsyncClient(transport=transport or FederationTransport(connections), timeout=timeout)
