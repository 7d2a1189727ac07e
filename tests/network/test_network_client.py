"""The outgoing client of hub, node and driver: connections kept, every failure an httpx error.

Hub and node retry on ``httpx.HTTPError`` only; an aiohttp exception escaping the transport would end
a delivery or an outbox round instead of scheduling a retry. Each test runs a raw asyncio server on
loopback that counts its connections and answers as told.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from singlewindow.protocol.client import federation_client

OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head + await reader.readexactly(length)


async def _serve(answer: Answer, run: Callable[[str], Awaitable[None]]) -> list[int]:
    """Serve ``answer`` on a loopback port while ``run(url)`` runs; the requests seen per connection."""
    per_connection: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        per_connection.append(0)
        index = len(per_connection) - 1
        try:
            while True:
                per_connection[index] += 1
                await answer(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        await run(f"http://127.0.0.1:{port}/api/v1/x")
    finally:
        server.close()
    return per_connection


async def _ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(OK)
    await writer.drain()


def test_requests_in_a_row_share_one_connection_and_bodies_arrive_whole() -> None:
    seen: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await _read_request(reader)
        assert request is not None
        seen.append(request)
        writer.write(OK)
        await writer.drain()

    async def run(url: str) -> None:
        async with federation_client(timeout=5.0) as client:
            for n in range(5):
                response = await client.post(url, content=b"<COD>%d</COD>" % n, headers={"X-N": str(n)})
                assert (response.status_code, response.text) == (200, "ok")

    per_connection = asyncio.run(_serve(record, run))
    # one connection for five requests (httpx's own pool would keep it too, aiohttp's keeps it cheaply)
    assert len(per_connection) == 1
    assert [r.split(b"\r\n\r\n", 1)[1] for r in seen] == [b"<COD>%d</COD>" % n for n in range(5)]
    assert all(b"POST /api/v1/x HTTP/1.1" in r and b"\r\nx-n: " in r.lower() for r in seen)


def test_a_refused_connection_is_an_httpx_connect_error() -> None:
    async def main() -> None:
        server = await asyncio.start_server(_ok, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        async with federation_client(timeout=5.0) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get(f"http://127.0.0.1:{port}/")

    asyncio.run(main())


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        # the connection closed without an answer (a node killed mid-request)
        (b"", httpx.RemoteProtocolError),
        # garbage: aiohttp's own ClientResponseError, which httpx-aiohttp leaves unmapped
        (b"this is not HTTP\r\n\r\n", httpx.RemoteProtocolError),
        # a body cut short
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", httpx.ReadError),
    ],
    ids=["closed", "garbage", "truncated"],
)
def test_a_broken_answer_is_an_httpx_transport_error(reply: bytes, error: type[Exception]) -> None:
    async def broken(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(reply)
        await writer.drain()
        writer.close()
        raise ConnectionError

    async def run(url: str) -> None:
        async with federation_client(timeout=5.0) as client:
            with pytest.raises(error):
                await client.post(url, content=b"x")

    asyncio.run(_serve(broken, run))


def test_a_server_slower_than_the_timeout_is_an_httpx_timeout() -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        await asyncio.sleep(5)

    async def run(url: str) -> None:
        async with federation_client(timeout=0.3) as client:
            with pytest.raises(httpx.TimeoutException):
                await client.post(url, content=b"x")

    asyncio.run(_serve(slow, run))
