"""The delivery worker: claims due messages, pushes them to the destination node, checks the receipt."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import anyio
import httpx
import structlog

from singlewindow.config import HubSettings
from singlewindow.errors import SinglewindowError
from singlewindow.hub.directory import Directory
from singlewindow.hub.pushes import OutcomePushes
from singlewindow.logging import get_logger
from singlewindow.metrics import HubMetrics
from singlewindow.protocol import (
    ACCEPTED_AT_HEADER,
    CERTIFICATE_HEADER,
    DELIVERY_COVERS,
    DELIVERY_HEADER,
    HUB_KEYID,
    PUSH_COVERS,
    XML,
    DeliveryState,
    PrivateKey,
    SignatureAuth,
    TrailBody,
    TrailEvent,
    verify_receipt,
)
from singlewindow.storage import HubStore, Message, utcnow

INBOUND_PATH = "/api/v1/inbound"
_log = get_logger("singlewindow.hub.worker")


def accepted_at_value(moment: datetime) -> str:
    """The acceptance-time header value: RFC 3339 in UTC, to the microsecond."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def backoff(*, attempts: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before the next try: exponential in ``attempts``, capped, with equal jitter."""
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    # half fixed, half random: retries spread out but never come back sooner than delay/2
    return float(delay / 2 + (rng or random).uniform(0, delay / 2))  # jitter, not security


class DeliveryWorker:
    """One worker per hub process; several processes share the queue through leases."""

    def __init__(
        self,
        *,
        store: HubStore,
        directory: Directory,
        client: httpx.AsyncClient,
        key: PrivateKey,
        settings: HubSettings,
        metrics: HubMetrics,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store, self.directory, self.client, self.settings = store, directory, client, settings
        self.metrics, self.clock = metrics, clock
        self.auth = SignatureAuth(key=key, keyid=HUB_KEYID, cover=DELIVERY_COVERS, clock=clock)
        self._wake = asyncio.Event()
        #: settled deliveries told to their exporting nodes
        self.pushes = OutcomePushes(
            client=client,
            auth=SignatureAuth(key=key, keyid=HUB_KEYID, cover=PUSH_COVERS, clock=clock),
            # the directory of the trust list in force (``directory`` is replaced when a new one comes)
            node_url=lambda country: self.directory.node_url(country),
            timeout=settings.delivery_timeout,
        )

    def wake(self) -> None:
        """Look at the queue now (a new message was accepted)."""
        self._wake.set()

    async def _claim(self, *, limit: int) -> list[Message]:
        now = self.clock()
        return await anyio.to_thread.run_sync(
            lambda: self.store.claim(
                worker=self.settings.worker_id,
                now=now,
                lease=timedelta(seconds=self.settings.lease_seconds),
                limit=limit,
            )
        )

    async def run_once(self) -> int:
        """Claim one batch of due messages and deliver them concurrently; the number claimed."""
        claimed = await self._claim(limit=self.settings.batch_size)
        await asyncio.gather(*(self._deliver(message) for message in claimed))
        return len(claimed)

    async def run(self) -> None:
        """Deliver until cancelled, at most ``batch_size`` at once; a database hiccup is logged, never fatal.

        A message is claimed as soon as a delivery slot is free, not when a whole batch has
        finished: one slow destination does not hold back the messages behind it.
        """
        in_flight: set[asyncio.Task[None]] = set()
        saturated = False

        def finished(task: asyncio.Task[None]) -> None:
            in_flight.discard(task)
            if saturated:  # a slot is free for a message that is waiting; otherwise a claim would find none
                self._wake.set()

        try:
            while True:
                # cleared before looking, so a wake-up (new message, finished delivery) is not lost
                self._wake.clear()
                free = self.settings.batch_size - len(in_flight)
                claimed: list[Message] = []
                if free > 0:
                    try:
                        claimed = await self._claim(limit=free)
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        _log.exception("delivery_loop_error")
                for message in claimed:
                    task = asyncio.create_task(self._deliver(message))
                    in_flight.add(task)
                    task.add_done_callback(finished)
                # every slot filled: more may be due, look again as soon as a delivery finishes
                saturated = (bool(claimed) and len(claimed) == free) or free <= 0
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.settings.poll_interval)
        finally:
            # leases of deliveries cut short expire and are claimed again
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def _deliver(self, message: Message) -> None:
        with structlog.contextvars.bound_contextvars(
            delivery=message.delivery, certificate_id=message.certificate_id, destination=message.destination
        ):
            try:
                outcome = await self._attempt(message)
            except Exception as exc:  # whatever breaks, the lease must end in a recorded outcome
                _log.exception("delivery_attempt_crashed")
                outcome = ("retry", "error", f"{type(exc).__name__}: {exc}", None)
            await self._record(message, *outcome)

    async def _attempt(self, message: Message) -> tuple[str, str, str, bytes | None]:
        """``(kind, event, detail, receipt)`` with kind delivered, refused or retry."""
        base = self.directory.node_url(message.destination)
        certificate = self.directory.node_certificate(message.destination)
        if base is None or certificate is None:
            return "retry", "no_endpoint", f"no endpoint known for {message.destination}", None
        try:
            answer = await self.client.post(
                base + INBOUND_PATH,
                content=message.document,
                headers={
                    "content-type": XML,
                    DELIVERY_HEADER: message.delivery,
                    CERTIFICATE_HEADER: message.certificate_id,
                    ACCEPTED_AT_HEADER: accepted_at_value(message.accepted_at),
                },
                auth=self.auth,
                timeout=self.settings.delivery_timeout,
            )
        except httpx.HTTPError as exc:
            return "retry", "unreachable", f"{type(exc).__name__}: {exc}", None
        if answer.status_code == 422:
            # the node verified the document itself and refuses it: retrying cannot change that
            return "refused", "refused_by_destination", answer.text[:2000], None
        if answer.status_code != 200:
            return "retry", f"http_{answer.status_code}", answer.text[:500], None
        try:
            verify_receipt(
                answer.content,
                certificate=certificate,
                delivery=message.delivery,
                sha256=hashlib.sha256(message.document).hexdigest(),
                node=message.destination,
            )
        except SinglewindowError as exc:
            return "retry", "receipt_invalid", str(exc), None
        return "delivered", "delivered", "", answer.content

    async def _record(
        self, message: Message, kind: str, event: str, detail: str, receipt: bytes | None
    ) -> None:
        now = self.clock()
        retry_at: datetime | None = None
        if kind == "delivered":
            state = DeliveryState.DELIVERED
        elif kind == "refused" or message.attempts >= self.settings.max_attempts:
            state = DeliveryState.FAILED
        else:
            state = DeliveryState.PENDING
            delay = backoff(
                attempts=message.attempts, base=self.settings.backoff_base, cap=self.settings.backoff_max
            )
            retry_at = now + timedelta(seconds=delay)
        kept = await anyio.to_thread.run_sync(
            lambda: self.store.finish(
                message_id=message.id,
                worker=self.settings.worker_id,
                now=now,
                state=state,
                event=event,
                detail=detail,
                receipt=receipt,
                retry_at=retry_at,
            )
        )
        if not kept:
            _log.warning("lease_lost", attempt=message.attempts)
            return
        self.metrics.deliveries.labels(state=state.value).inc()
        if state is DeliveryState.DELIVERED:
            self.metrics.latency.observe(max(0.0, (now - message.accepted_at).total_seconds()))
        if state is not DeliveryState.PENDING:
            outcome = self._outcome(
                message, state=state, event=event, detail=detail, receipt=receipt, now=now
            )
            self.pushes.add(message.sender, outcome)
        log = _log.warning if state is not DeliveryState.DELIVERED else _log.info
        log(
            "delivery_attempt",
            state=state.value,
            outcome=event,
            attempt=message.attempts,
            detail=detail[:300],
        )

    def _outcome(
        self,
        message: Message,
        *,
        state: DeliveryState,
        event: str,
        detail: str,
        receipt: bytes | None,
        now: datetime,
    ) -> TrailBody:
        """The settled delivery as the sender's trail shows it (with only the settling event)."""
        return TrailBody(
            delivery=message.delivery,
            certificate_id=message.certificate_id,
            sha256=message.sha256,
            sender=message.sender,
            destination=message.destination,
            state=state,
            attempts=message.attempts,
            accepted_at=message.accepted_at,
            delivered_at=now if state is DeliveryState.DELIVERED else None,
            receipt=json.loads(receipt) if receipt else None,
            events=[TrailEvent(at=now, state=state.value, event=event, detail=detail[:2000])],
        )
