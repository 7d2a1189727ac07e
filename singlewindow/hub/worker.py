"""The delivery worker: claims due messages, pushes them to the destination node, checks the receipt."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import httpx
import structlog
from cryptography import x509
from pydantic import ValidationError

from singlewindow.config import HubSettings
from singlewindow.errors import SinglewindowError
from singlewindow.hub.directory import Directory
from singlewindow.hub.pushes import OutcomePushes
from singlewindow.logging import get_logger
from singlewindow.metrics import HubMetrics
from singlewindow.offload import in_thread
from singlewindow.protocol import (
    ACCEPTED_AT_HEADER,
    CERTIFICATE_HEADER,
    DELIVERY_COVERS,
    DELIVERY_HEADER,
    HUB_KEYID,
    JSON_BODY_COVERS,
    MAX_DOCUMENTS_TOGETHER,
    MAX_DOCUMENTS_TOGETHER_BYTES,
    XML,
    DeliveredBody,
    DeliveriesBody,
    DeliveryItem,
    DeliveryState,
    PrivateKey,
    SignatureAuth,
    TrailBody,
    TrailEvent,
    verify_receipt,
)
from singlewindow.protocol.receipt import canonical
from singlewindow.storage import HubStore, Message, utcnow

INBOUND_PATH = "/api/v1/inbound"
INBOUND_BATCH_PATH = "/api/v1/inbound/batch"
#: ``(kind, event, detail, receipt)`` of one attempt, kind delivered, refused or retry
Attempt = tuple[str, str, str, bytes | None]
_log = get_logger("singlewindow.hub.worker")


def accepted_at_value(moment: datetime) -> str:
    """The acceptance-time header value: RFC 3339 in UTC, to the microsecond."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def delivery_requests(
    messages: Iterable[Message], *, per_request: int = MAX_DOCUMENTS_TOGETHER
) -> list[list[Message]]:
    """Claimed messages as delivery requests: by destination in claim order, each request at most
    ``per_request`` documents of ``MAX_DOCUMENTS_TOGETHER_BYTES`` in all (a larger document goes
    alone)."""
    requests: dict[str, list[list[Message]]] = {}
    sizes: dict[str, int] = {}
    for message in messages:
        chunks = requests.setdefault(message.destination, [])
        size = len(message.document)
        if (
            chunks
            and len(chunks[-1]) < per_request
            and sizes[message.destination] + size <= MAX_DOCUMENTS_TOGETHER_BYTES
        ):
            chunks[-1].append(message)
            sizes[message.destination] += size
        else:
            chunks.append([message])
            sizes[message.destination] = size
    return [chunk for chunks in requests.values() for chunk in chunks]


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
        #: deliveries of several documents and outcome pushes (JSON bodies)
        self.json_auth = SignatureAuth(key=key, keyid=HUB_KEYID, cover=JSON_BODY_COVERS, clock=clock)
        self._wake = asyncio.Event()
        #: settled deliveries told to their exporting nodes
        self.pushes = OutcomePushes(
            client=client,
            auth=self.json_auth,
            # the directory of the trust list in force (``directory`` is replaced when a new one comes)
            node_url=lambda country: self.directory.node_url(country),
            timeout=settings.delivery_timeout,
        )

    def wake(self) -> None:
        """Look at the queue now (a new message was accepted)."""
        self._wake.set()

    async def _claim(self, *, limit: int) -> list[Message]:
        now = self.clock()
        return await in_thread(
            lambda: self.store.claim(
                worker=self.settings.worker_id,
                now=now,
                lease=timedelta(seconds=self.settings.lease_seconds),
                limit=limit,
            )
        )

    async def run_once(self) -> int:
        """Claim what ``batch_size`` requests carry and deliver it concurrently; the number claimed."""
        claimed = await self._claim(limit=self.settings.batch_size * self.settings.documents_per_request)
        await asyncio.gather(*(self._deliver(request) for request in self._requests(claimed)))
        return len(claimed)

    async def run(self) -> None:
        """Deliver until cancelled, ``batch_size`` requests at once; a database hiccup is logged, never fatal.

        Messages are claimed as soon as a request slot is free, not when a whole round has
        finished: one slow destination does not hold back the messages behind it. Each slot claims
        what one request can carry; messages due together for the same node go in one request
        (``delivery_requests``), so a claim can fill a few requests more than it has slots for,
        at most one per destination.
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
                limit = (self.settings.batch_size - len(in_flight)) * self.settings.documents_per_request
                claimed: list[Message] = []
                if limit > 0:
                    try:
                        claimed = await self._claim(limit=limit)
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        _log.exception("delivery_loop_error")
                for request in self._requests(claimed):
                    task = asyncio.create_task(self._deliver(request))
                    in_flight.add(task)
                    task.add_done_callback(finished)
                # every slot filled: look again as soon as a delivery finishes
                saturated = len(in_flight) >= self.settings.batch_size
                if claimed and len(claimed) == limit and not saturated:
                    continue  # more may be due and slots are free
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.settings.poll_interval)
        finally:
            # leases of deliveries cut short expire and are claimed again
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)

    def _requests(self, claimed: list[Message]) -> list[list[Message]]:
        return delivery_requests(claimed, per_request=self.settings.documents_per_request)

    async def _deliver(self, messages: list[Message]) -> None:
        """One delivery request (one message alone, or several for one node) and its recorded outcomes."""
        with structlog.contextvars.bound_contextvars(destination=messages[0].destination):
            try:
                if len(messages) == 1:
                    outcomes = [await self._attempt(messages[0])]
                else:
                    outcomes = await self._attempt_together(messages)
            except Exception as exc:  # whatever breaks, the lease must end in a recorded outcome
                _log.exception("delivery_attempt_crashed", deliveries=[m.delivery for m in messages])
                outcomes = [("retry", "error", f"{type(exc).__name__}: {exc}", None)] * len(messages)
            await asyncio.gather(
                *(
                    self._record(message, *outcome)
                    for message, outcome in zip(messages, outcomes, strict=True)
                )
            )

    async def _attempt(self, message: Message) -> Attempt:
        """One document alone: its exact bytes as the body, its delivery values in signed headers."""
        base = self.directory.node_url(message.destination)
        certificate = self.directory.node_certificate(message.destination)
        if base is None or certificate is None:
            return "retry", "no_endpoint", f"no endpoint known for {message.destination}", None
        self.metrics.request_documents.observe(1)
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
        return _checked(message, answer.content, certificate=certificate)

    async def _attempt_together(self, messages: list[Message]) -> list[Attempt]:
        """Several documents for one node in one request; each answered as the single form answers it.

        A node that does not know the batch form (404, 405: an older version) gets them one by one.
        """
        destination = messages[0].destination
        base = self.directory.node_url(destination)
        certificate = self.directory.node_certificate(destination)
        if base is None or certificate is None:
            return [("retry", "no_endpoint", f"no endpoint known for {destination}", None)] * len(messages)
        body = DeliveriesBody(
            deliveries=[
                DeliveryItem(
                    delivery=message.delivery,
                    certificate_id=message.certificate_id,
                    accepted_at=accepted_at_value(message.accepted_at),
                    document=message.document,
                )
                for message in messages
            ]
        )
        self.metrics.request_documents.observe(len(messages))
        try:
            answer = await self.client.post(
                base + INBOUND_BATCH_PATH,
                content=body.model_dump_json().encode(),
                headers={"content-type": "application/json"},
                auth=self.json_auth,
                timeout=self.settings.delivery_timeout,
            )
        except httpx.HTTPError as exc:
            return [("retry", "unreachable", f"{type(exc).__name__}: {exc}", None)] * len(messages)
        if answer.status_code in (404, 405):
            return list(await asyncio.gather(*(self._attempt(message) for message in messages)))
        if answer.status_code != 200:
            return [("retry", f"http_{answer.status_code}", answer.text[:500], None)] * len(messages)
        try:
            items = DeliveredBody.model_validate_json(answer.content).deliveries
        except ValidationError as exc:
            items = []
            detail = f"the answer is not a list of deliveries: {str(exc)[:300]}"
        else:
            detail = f"the answer names {len(items)} deliveries for {len(messages)} sent"
        if len(items) != len(messages):
            return [("retry", "receipt_invalid", detail, None)] * len(messages)
        attempts: list[Attempt] = []
        for message, item in zip(messages, items, strict=True):
            if item.delivery != message.delivery:
                attempts.append(("retry", "receipt_invalid", "the answers are not in the order sent", None))
            elif item.status == 200:
                receipt = canonical(item.receipt) if item.receipt is not None else b""
                attempts.append(_checked(message, receipt, certificate=certificate))
            else:
                # the same detail and outcome as the single form's answer with this status
                problems = json.dumps(
                    {"problems": [p.model_dump() for p in item.problems]},
                    ensure_ascii=False,
                    separators=(",", ":"),
                )
                if item.status == 422:
                    attempts.append(("refused", "refused_by_destination", problems[:2000], None))
                else:
                    attempts.append(("retry", f"http_{item.status}", problems[:500], None))
        return attempts

    async def _record(
        self, message: Message, kind: str, event: str, detail: str, receipt: bytes | None
    ) -> None:
        structlog.contextvars.bind_contextvars(
            delivery=message.delivery, certificate_id=message.certificate_id
        )
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
        kept = await in_thread(
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


def _checked(message: Message, receipt: bytes, *, certificate: x509.Certificate) -> Attempt:
    """Delivered when ``receipt`` is the destination's signed receipt for exactly these bytes."""
    try:
        verify_receipt(
            receipt,
            certificate=certificate,
            delivery=message.delivery,
            sha256=hashlib.sha256(message.document).hexdigest(),
            node=message.destination,
        )
    except SinglewindowError as exc:
        return "retry", "receipt_invalid", str(exc), None
    return "delivered", "delivered", "", receipt
