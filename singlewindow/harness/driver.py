"""The customs side of a run: submit every shipment concurrently, resubmit some, follow each status."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from singlewindow.harness.traffic import Shipment
from singlewindow.protocol import UNDER_WAY
from singlewindow.protocol.client import federation_client

SETTLED = frozenset({"delivered", "rejected"})
#: the hub took it (whatever became of its delivery): a rectification of it may follow
TAKEN = frozenset({"accepted", "delivered", "failed"})
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
#: status reads held at the nodes at once (``?wait=``): a held read costs no CPU while it waits, one
#: connection each; the certificates beyond these wait for a slot (their read then answers at once)
HELD_READS = 256
#: how long each held read may wait at the node for a status change, seconds
HOLD_S = 10.0
#: the time a node has to answer, beyond the hold (a paused node must not keep slots for long)
READ_TIMEOUT_S = 5.0


@dataclass
class Outcome:
    """What customs learnt about one shipment."""

    shipment: Shipment
    certificate_id: str | None = None
    status: str = "unsent"
    codes: list[str] = field(default_factory=list)
    sent_at: float = 0.0  # time.time() of the first POST, or of its scheduled send (--rate)
    answered_at: float | None = None  # time.time() the exporting node answered the POST
    settled_at: float | None = None
    latency_ms: float | None = None
    attempts: int = 0
    duplicates_sent: int = 0
    accepted_event: asyncio.Event = field(default_factory=asyncio.Event)


def problem_codes(*, body: Any) -> list[str]:
    """Every ``code`` found in a problems answer, however the list is nested."""
    codes: list[str] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "code" and isinstance(value, str):
                codes.append(value)
            else:
                codes.extend(problem_codes(body=value))
    elif isinstance(body, list):
        for item in body:
            codes.extend(problem_codes(body=item))
    return codes


def _json(answer: httpx.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        return {}


def _delivered_at(body: Any) -> float | None:
    """The time of the ``delivered`` entry of a status trail, when the trail carries one."""
    for entry in body.get("trail", []) if isinstance(body, dict) else []:
        if isinstance(entry, dict) and entry.get("status") == "delivered":
            stamp = entry.get("at") or entry.get("time") or entry.get("timestamp")
            try:
                return datetime.fromisoformat(str(stamp)).timestamp()
            except ValueError:
                return None
    return None


class Driver:
    """Drive shipments into the exporting nodes like a customs system that retries until answered."""

    def __init__(
        self,
        *,
        node_urls: dict[str, str],
        token: str,
        concurrency: int,
        duplicate_share: float = 0.0,
        seed: int = 0,
        patience_s: float = 120.0,
        on_progress: Callable[[], None] | None = None,
        rate: float | None = None,
    ) -> None:
        self.node_urls = node_urls
        self.headers = {"authorization": f"Bearer {token}"}
        self.concurrency = concurrency
        self.duplicate_share = duplicate_share
        self.patience_s = patience_s
        #: open-loop arrivals per second (None: closed loop, ``concurrency`` in flight)
        self.rate = rate
        #: sends that started later than scheduled (a full gate or a busy event loop)
        self.late_sends = 0
        self.on_progress = on_progress or (lambda: None)
        self._rng = random.Random(f"driver/{seed}")  # noqa: S311  # traffic dice
        self.outcomes: dict[int, Outcome] = {}
        self.submitted = 0
        self.settled = 0

    async def _post(self, client: httpx.AsyncClient, outcome: Outcome) -> httpx.Response | None:
        shipment = outcome.shipment
        url = f"{self.node_urls[shipment.exporter]}/api/v1/certificates"
        deadline = time.monotonic() + self.patience_s
        delay = 0.1
        while time.monotonic() < deadline:
            outcome.attempts += 1
            try:
                answer = await client.post(
                    url,
                    content=shipment.body,
                    headers={**self.headers, "content-type": shipment.content_type},
                )
                if answer.status_code not in _RETRY_STATUS:
                    return answer
            except httpx.HTTPError:
                pass  # killed, paused, dropped: a real customs system tries again with the same body
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
        return None

    async def submit(
        self, client: httpx.AsyncClient, outcome: Outcome, *, scheduled: float | None = None
    ) -> None:
        """POST one shipment (after its original, for a rectification) and maybe a duplicate.

        ``scheduled`` (a ``time.time()``) is when an open-loop run meant to send it: latencies are
        counted from then, so time spent waiting for a free slot is not hidden.
        """
        shipment = outcome.shipment
        outcome.sent_at = time.time() if scheduled is None else scheduled
        answer = await self._post(client, outcome)
        outcome.answered_at = time.time()
        if answer is None:
            outcome.status = "unanswered"
        elif answer.is_success:
            body = _json(answer)
            outcome.certificate_id = str(body.get("certificate_id") or shipment.certificate_id)
            outcome.status = str(body.get("status") or "submitted")
            self.submitted += 1
            if self._rng.random() < self.duplicate_share:
                outcome.duplicates_sent += 1
                await self._post(client, outcome)
        else:
            outcome.status = "rejected"
            outcome.codes = problem_codes(body=_json(answer)) or [f"http.{answer.status_code}"]
            self.submitted += 1
            self._settle(outcome)
        if outcome.status == "unanswered":
            outcome.accepted_event.set()
        self.on_progress()

    def _settle(self, outcome: Outcome) -> None:
        outcome.settled_at = time.time()
        outcome.accepted_event.set()
        self.settled += 1
        self.on_progress()

    async def follow(
        self,
        client: httpx.AsyncClient,
        outcome: Outcome,
        *,
        deadline: float,
        reads: asyncio.Semaphore,
    ) -> None:
        """Follow the certificate at the exporting node until delivered or rejected, or ``deadline``.

        The first read comes after 0.2 s (0.5 s under ``rate``); each is held at the node until the
        status changes (``?wait=``), so a certificate takes one or two reads, not a poll every so
        often. ``reads``: the run's gate for held reads (``HELD_READS`` at most).
        """
        if outcome.certificate_id is None or outcome.status in SETTLED:
            return
        if outcome.status in TAKEN:
            outcome.accepted_event.set()  # the submission's answer says so
        url = f"{self.node_urls[outcome.shipment.exporter]}/api/v1/certificates/{outcome.certificate_id}"
        # most certificates are delivered within this: their first read answers at once, and no
        # read lands on the node while it is settling the certificate
        await asyncio.sleep(0.5 if self.rate is not None else 0.2)
        pause = 0.5
        while (left := deadline - time.monotonic()) > 0:
            hold = round(min(HOLD_S, left), 1)
            try:
                async with reads:
                    answer = await client.get(
                        url,
                        params={"wait": str(hold)},
                        headers=self.headers,
                        timeout=hold + READ_TIMEOUT_S,
                    )
                body = _json(answer)
                if answer.status_code == 200 and isinstance(body, dict):
                    pause = 0.5
                    outcome.status = str(body.get("status", outcome.status))
                    if outcome.status in TAKEN:
                        outcome.accepted_event.set()
                    if outcome.status == "rejected":
                        outcome.codes = problem_codes(body=body.get("problems", body)) or ["rejected"]
                    if outcome.status in SETTLED:
                        self._settle(outcome)
                        if outcome.status == "delivered":
                            done = _delivered_at(body) or outcome.settled_at or time.time()
                            outcome.latency_ms = max(0.0, (done - outcome.sent_at) * 1000)
                        return
                    if outcome.status in UNDER_WAY:
                        continue  # hold the next read at once
                    # failed or cancelled: not settled for the run, and a held read would not be held
                    await asyncio.sleep(3.0)
                    continue
            except httpx.HTTPError:
                pass  # killed, paused, dropped: ask again after a pause
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, 3.0)
        outcome.accepted_event.set()

    async def run(self, *, shipments: list[Shipment], drain_s: float) -> list[Outcome]:
        """Submit everything with at most ``concurrency`` in flight, then follow until settled.

        With ``rate`` the shipments are sent open-loop: shipment i is due ``i / rate`` seconds after
        the start whatever happened to the others (still at most ``concurrency`` in flight; a send
        that has to wait for a slot counts that wait in its latency).
        """
        self.outcomes = {s.index: Outcome(shipment=s) for s in shipments}
        order = {s.index: position for position, s in enumerate(shipments)}
        start_wall, start = time.time(), time.monotonic()
        # Held status reads pass their own gate: each holds a connection while it waits at the node.
        # The pool allows every request the two gates let through (aiohttp counts connections in
        # use; idle ones are kept per node).
        gate, reads = asyncio.Semaphore(self.concurrency), asyncio.Semaphore(HELD_READS)
        connections = self.concurrency + HELD_READS
        async with federation_client(timeout=20.0, connections=connections) as client:

            async def one(outcome: Outcome) -> None:
                scheduled: float | None = None
                if self.rate is not None:
                    offset = order[outcome.shipment.index] / self.rate
                    await asyncio.sleep(max(0.0, start + offset - time.monotonic()))
                    scheduled = start_wall + offset
                if outcome.shipment.rectifies is not None:
                    # a rectification follows its original once the hub accepted that one
                    await self.outcomes[outcome.shipment.rectifies].accepted_event.wait()
                async with gate:
                    if scheduled is not None and time.time() - scheduled > 0.01:
                        self.late_sends += 1
                    await self.submit(client, outcome, scheduled=scheduled)
                await self.follow(
                    client, outcome, deadline=time.monotonic() + drain_s + self.patience_s, reads=reads
                )

            await asyncio.gather(*(one(outcome) for outcome in self.outcomes.values()))
        return list(self.outcomes.values())
