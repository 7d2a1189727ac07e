"""A loopback TCP proxy in front of a service that really delays, fails, drops and holds its traffic."""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from dataclasses import dataclass, field

from singlewindow.harness.ports import free_port

_FAILURE_BODY = b'{"detail":"injected failure"}'
_FAILURE = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
    + f"content-length: {len(_FAILURE_BODY)}\r\nconnection: close\r\n\r\n".encode()
    + _FAILURE_BODY
)
_CHUNK = 65536


@dataclass
class ProxyFaults:
    """The faults a proxy applies now; the harness changes them while traffic flows."""

    delay_s: float = 0.0  # added before forwarding each chunk of a request
    fail_rate: float = 0.0  # share of connections answered with 503 without reaching the service
    drop_rate: float = 0.0  # share of connections whose response is swallowed, then closed
    held: threading.Event = field(default_factory=threading.Event)  # set: traffic waits

    def hold(self) -> None:
        """Stop forwarding anything until ``release``."""
        self.held.set()

    def release(self) -> None:
        """Resume forwarding."""
        self.held.clear()


@dataclass
class ProxyStats:
    """What the proxy did, for the report."""

    connections: int = 0
    failed: int = 0
    dropped: int = 0
    refused: int = 0


class FaultProxy:
    """Forward ``127.0.0.1:port`` to ``127.0.0.1:upstream_port`` in a thread of its own."""

    def __init__(self, *, upstream_port: int, port: int | None = None, seed: int = 0) -> None:
        self.upstream_port = upstream_port
        self.port = port or free_port()
        self.faults = ProxyFaults()
        self.stats = ProxyStats()
        self._rng = random.Random(f"proxy/{seed}/{upstream_port}")  # noqa: S311  # fault dice
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL clients use instead of the service's own."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Bind and start forwarding."""
        loop = self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name=f"proxy-{self.port}", daemon=True)
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._bind(), loop)
        future.result(timeout=10)

    async def _bind(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, backlog=512)

    def stop(self) -> None:
        """Stop listening, close every connection and end the thread."""
        loop = self._loop
        if self._thread is None or loop is None or not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._close(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout=10)
        loop.close()

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for writer in list(self._writers):
            writer.transport.abort()
        await asyncio.sleep(0)

    async def _wait_released(self) -> None:
        while self.faults.held.is_set():
            await asyncio.sleep(0.05)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        self._writers.add(writer)
        try:
            await self._wait_released()
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            except OSError:
                self.stats.refused += 1  # the service is down: the client sees the connection close
                return
            self._writers.add(up_writer)
            doomed = asyncio.Event()  # set: the next answer is swallowed (a dropped connection)
            try:
                await asyncio.gather(
                    self._requests(reader, writer, up_writer, doomed),
                    self._answers(up_reader, writer, doomed),
                )
            finally:
                up_writer.transport.abort()
                self._writers.discard(up_writer)
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)

    async def _requests(
        self,
        client: asyncio.StreamReader,
        client_writer: asyncio.StreamWriter,
        upstream: asyncio.StreamWriter,
        doomed: asyncio.Event,
    ) -> None:
        """Client → service; the dice are rolled per chunk, so kept-alive connections fail too."""
        try:
            while data := await client.read(_CHUNK):
                await self._wait_released()
                if self.faults.delay_s > 0:
                    await asyncio.sleep(self.faults.delay_s)
                roll = self._rng.random()
                if roll < self.faults.fail_rate:
                    # a failing front: 503 without reaching the service, then the connection closes
                    self.stats.failed += 1
                    client_writer.write(_FAILURE)
                    await client_writer.drain()
                    client_writer.transport.close()
                    upstream.transport.abort()
                    return
                if roll < self.faults.fail_rate + self.faults.drop_rate:
                    doomed.set()
                upstream.write(data)
                await upstream.drain()
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError, RuntimeError):
                if upstream.can_write_eof():
                    upstream.write_eof()

    async def _answers(
        self, upstream: asyncio.StreamReader, client_writer: asyncio.StreamWriter, doomed: asyncio.Event
    ) -> None:
        """Service → client; a doomed connection is cut when its answer arrives (the work was done)."""
        try:
            while data := await upstream.read(_CHUNK):
                await self._wait_released()
                if doomed.is_set():
                    self.stats.dropped += 1
                    client_writer.transport.abort()
                    return
                client_writer.write(data)
                await client_writer.drain()
        except OSError:
            pass
        finally:
            # the service closed (or died): the client must not wait for an answer that cannot come
            client_writer.transport.close()
