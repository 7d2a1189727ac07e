"""The exporting side of a node: submit to the hub, follow the delivery, trust only a signed receipt."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog

from singlewindow.errors import SinglewindowError
from singlewindow.logging import get_logger
from singlewindow.metrics import NodeMetrics
from singlewindow.node.changes import StatusChanges
from singlewindow.node.submissions import HubAnswer, Submissions
from singlewindow.offload import in_thread
from singlewindow.pki.trustlist import Trustlist, pem_certificate
from singlewindow.protocol import (
    STATUS_OF_STATE,
    CertificateStatus,
    DeliveryState,
    PrivateKey,
    SignatureAuth,
    TrailBody,
    verify_receipt,
)
from singlewindow.storage import NodeStore, Outbound

_log = get_logger("singlewindow.node.outbound")
_REFUSED = frozenset({400, 403, 409, 413, 422})
#: when a submission the hub did not answer is sent again (and when the background outbox may send a
#: new one that the request creating it is sending right now)
RETRY_AFTER = timedelta(seconds=2)
#: how long the background poll leaves an accepted certificate to the hub's push, at least
PUSH_GRACE = timedelta(seconds=3)
#: …and at most, however far behind the hub's pushes are (``PushWatch``)
MAX_PUSH_GRACE = timedelta(seconds=60)
#: how much earlier than the newest pushed certificate one must have been accepted to count as overtaken
#: (the hub delivers several at once: pushes do not come in exact acceptance order)
OVERTAKEN_MARGIN = timedelta(seconds=1)
#: with no push heard for this long (the traffic's end, the hub down, pushes not getting through):
#: the plain ``PUSH_GRACE`` again
PUSHES_QUIET = timedelta(seconds=3)
#: the longest an accepted certificate is left unasked after a poll found it still under way
MAX_REFRESH_GAP = timedelta(seconds=60)


def refresh_gap(waited: timedelta, *, grace: timedelta = PUSH_GRACE) -> timedelta:
    """How long a poll that found a delivery still under way leaves it before asking again.

    As long again as the certificate has waited since its acceptance, at least ``grace`` and at
    most ``MAX_REFRESH_GAP``: a hub with a long queue (overloaded, or back from an outage) is asked
    about each certificate at 3, 6, 12, 24 … s, then once a minute, instead of every 3 s. Those
    questions would take the hub's time from the deliveries that answer them.
    """
    return min(MAX_REFRESH_GAP, max(grace, waited))


class PushWatch:
    """Which accepted certificates' pushes are overdue: those the hub's pushes have overtaken.

    The hub delivers in acceptance order, so its pushes come in that order too, give or take the
    deliveries it runs at once. A certificate accepted 3 s ago or more is overdue once the node has
    heard the push of one accepted more than ``OVERTAKEN_MARGIN`` after it — its own push came
    earlier and got lost, or its destination is slow (the hub's trail tells which). While the hub
    works through a backlog in order nothing is overtaken, and the node does not ask about every
    certificate of it at 3, 6, 12 s (each question takes the hub's time from the deliveries that
    would answer it). Bounds: a certificate waits at most ``MAX_PUSH_GRACE``; and with no push heard
    for ``PUSHES_QUIET`` (the traffic's end, where no later push overtakes a lost one; the hub down;
    pushes not getting through) the plain ``PUSH_GRACE`` holds, as before there were pushes.
    """

    def __init__(self) -> None:
        #: the acceptance (as this node recorded it) of the newest certificate whose push came
        self.newest_pushed: datetime | None = None
        #: when the last push came
        self.last_heard: datetime | None = None

    def observe(self, *, accepted_at: datetime, now: datetime) -> None:
        """The push of a certificate whose acceptance the node recorded at ``accepted_at`` came ``now``."""
        if self.newest_pushed is None or accepted_at > self.newest_pushed:
            self.newest_pushed = accepted_at
        self.last_heard = now

    def grace(self, now: datetime) -> timedelta:
        """How long a certificate accepted by ``now`` - grace has been left to its push: overdue after."""
        if self.newest_pushed is None or self.last_heard is None or now - self.last_heard > PUSHES_QUIET:
            return PUSH_GRACE
        behind = now - self.newest_pushed + OVERTAKEN_MARGIN
        return min(MAX_PUSH_GRACE, max(PUSH_GRACE, behind))


class Outbox:
    """Submits stored certificates to the hub and keeps their status in step with the hub's trail."""

    def __init__(
        self,
        *,
        store: NodeStore,
        client: httpx.AsyncClient,
        hub_url: str,
        key: PrivateKey,
        country: str,
        trustlist: Trustlist,
        metrics: NodeMetrics,
        clock: Callable[[], datetime],
        interval: float,
    ) -> None:
        self.store, self.client, self.hub_url = store, client, hub_url.rstrip("/")
        self.auth = SignatureAuth(key=key, keyid=country, clock=clock)
        self.trustlist, self.metrics, self.clock, self.interval = trustlist, metrics, clock, interval
        self.pushes = PushWatch()
        #: status reads held until a certificate's status changes (``?wait=``)
        self.changes = StatusChanges()
        #: documents on their way to the hub, several per request when they wait together
        self.submissions = Submissions(client=client, hub_url=self.hub_url, auth=lambda: self.auth)

    async def submit(self, outbound: Outbound) -> Outbound:
        """Send one certificate to the hub and record the answer; the stored row afterwards."""
        with structlog.contextvars.bound_contextvars(certificate_id=outbound.certificate_id):
            now = self.clock()
            answer: HubAnswer | None
            try:
                answer = await self.submissions.send(outbound.document)
            except httpx.HTTPError as exc:
                _log.warning("hub_unreachable", error=f"{type(exc).__name__}: {exc}")
                answer = None
            if answer is not None and answer.status_code == 202:
                delivery = str(answer.body["delivery"])
                structlog.contextvars.bind_contextvars(delivery=delivery)
                stored = await self._update(
                    outbound, CertificateStatus.ACCEPTED, now=now, delivery=delivery, detail=delivery
                )
                self.metrics.submitted.labels(status="accepted").inc()
                _log.info("accepted_by_hub")
            elif answer is not None and answer.status_code in _REFUSED:
                problems = json.dumps(answer.body.get("problems", []))
                stored = await self._update(outbound, CertificateStatus.REJECTED, now=now, problems=problems)
                self.metrics.submitted.labels(status="rejected").inc()
                _log.info("rejected_by_hub", status=answer.status_code)
            else:
                # 401, 5xx or no answer: keep it submitted and try again later
                detail = f"hub answered {answer.status_code}" if answer is not None else "hub unreachable"
                stored = await self._update(
                    outbound, CertificateStatus.SUBMITTED, now=now, detail=detail, retry_at=now + RETRY_AFTER
                )
            return stored

    async def refresh(self, outbound: Outbound) -> Outbound:
        """Fetch an accepted certificate's trail; believe 'delivered' only with a valid receipt."""
        if outbound.status is not CertificateStatus.ACCEPTED or outbound.delivery is None:
            return outbound
        try:
            answer = await self.client.get(
                f"{self.hub_url}/api/v1/messages/{outbound.delivery}", auth=self.auth, timeout=5.0
            )
            if answer.status_code != 200:
                return outbound
            trail = TrailBody.model_validate_json(answer.content)
        except (httpx.HTTPError, ValueError):
            return outbound
        return await self.apply(outbound, trail)

    async def refresh_overdue(self, outbound: Outbound, *, grace: timedelta | None = None) -> Outbound:
        """Ask the hub about an accepted certificate whose push is overdue, backing off while it is.

        Accepted less than ``grace`` ago (default: ``PushWatch.grace``): the hub's push is awaited,
        nothing is asked. An answer that leaves it under way defers the next question — this read's
        or the background poll's — by ``refresh_gap``, so that a caller reading its status in a loop
        does not poll the hub with it.
        """
        grace = self.pushes.grace(self.clock()) if grace is None else grace
        if not self.overdue(outbound, grace=grace):
            return outbound
        refreshed = await self.refresh(outbound)
        if refreshed.status is CertificateStatus.ACCEPTED:
            until = {(outbound.kind, outbound.certificate_id): self._next_refresh(outbound, grace=grace)}
            await in_thread(lambda: self.store.defer_refresh(until))
        return refreshed

    def overdue(self, outbound: Outbound, *, grace: timedelta) -> bool:
        """Whether ``refresh_overdue`` would ask the hub: accepted ``grace`` ago or more, not deferred.

        Reads only the row and the clock (``grace`` comes from ``pushes.grace``, on the event loop):
        a status read calls it in the worker thread that loaded the row.
        """
        now = self.clock()
        if outbound.status is not CertificateStatus.ACCEPTED or now - outbound.updated_at < grace:
            return False
        return outbound.next_attempt_at is None or outbound.next_attempt_at <= now

    def _next_refresh(self, outbound: Outbound, *, grace: timedelta) -> datetime:
        now = self.clock()
        return now + refresh_gap(now - outbound.updated_at, grace=grace)

    async def apply(self, outbound: Outbound, trail: TrailBody) -> Outbound:
        """Settle an accepted certificate from the hub's trail (fetched by a poll); the row afterwards."""
        move = self._settlement(outbound, trail)
        return outbound if move is None else self._log_settled(await self._settle([move]))[0]

    async def apply_pushed(self, pushed: list[tuple[Outbound, TrailBody]]) -> list[Outbound]:
        """Settle submissions from the hub's outcome push, all in one transaction; each row afterwards.

        ``pushed``: each submission with the outcome the hub pushed for it. Settled rows tell
        ``pushes`` how far the hub's pushes have come.
        """
        moves: dict[tuple[str, str], dict[str, Any]] = {}
        for outbound, trail in pushed:
            move = self._settlement(outbound, trail)
            if move is not None:
                moves.setdefault((outbound.kind, outbound.certificate_id), move)
        rows = self._log_settled(await self._settle(list(moves.values())))
        settled = {(row.kind, row.certificate_id): row for row in rows}
        now = self.clock()
        for outbound, _trail in pushed:
            if (outbound.kind, outbound.certificate_id) in settled:
                self.pushes.observe(accepted_at=outbound.updated_at, now=now)
        return [settled.get((outbound.kind, outbound.certificate_id), outbound) for outbound, _ in pushed]

    def _settlement(self, outbound: Outbound, trail: TrailBody) -> dict[str, Any] | None:
        """The move (``NodeStore.settle_outbound``) that settles ``outbound`` from ``trail``, or None.

        Only the trail of this row's own delivery counts, and ``delivered`` only with the
        destination's valid receipt; anything else leaves the row as it is.
        """
        if (
            outbound.status is not CertificateStatus.ACCEPTED
            or outbound.delivery is None
            or trail.delivery != outbound.delivery
        ):
            return None
        status = STATUS_OF_STATE[trail.state]
        if status is CertificateStatus.ACCEPTED:
            return None
        last = trail.events[-1] if trail.events else None
        receipt: bytes | None = None
        if trail.state is DeliveryState.DELIVERED:
            receipt = self._checked_receipt(outbound, trail)
            if receipt is None:
                return None
        return {
            "certificate_id": outbound.certificate_id,
            "kind": outbound.kind,
            "status": status,
            "now": self.clock(),
            "at": last.at if last else None,
            "receipt": receipt,
            "detail": last.detail[:500] if last else "",
        }

    def _checked_receipt(self, outbound: Outbound, trail: TrailBody) -> bytes | None:
        entry = self.trustlist.countries.get(trail.destination)
        if trail.receipt is None or entry is None:
            return None
        data = json.dumps(trail.receipt).encode("utf-8")
        try:
            verify_receipt(
                data,
                certificate=pem_certificate(entry.node_certificate),
                delivery=trail.delivery,
                sha256=outbound.sha256,
                node=trail.destination,
            )
        except SinglewindowError:
            _log.warning(
                "receipt_invalid_from_hub", certificate_id=outbound.certificate_id, delivery=trail.delivery
            )
            return None
        return data

    async def _update(self, outbound: Outbound, status: CertificateStatus, **values: Any) -> Outbound:
        """Record ``status`` and return the row as stored now."""
        move = {"certificate_id": outbound.certificate_id, "kind": outbound.kind, "status": status, **values}
        return (await self._settle([move]))[0]

    async def _settle(self, moves: list[dict[str, Any]]) -> list[Outbound]:
        """Make the moves in one transaction, wake the status reads held on them; the rows as stored."""
        if not moves:
            return []
        stored = await in_thread(lambda: self.store.settle_outbound(moves))
        rows: list[Outbound] = []
        for row in stored:
            assert row is not None  # submissions are never deleted
            self.changes.notify(row.certificate_id)
            rows.append(row)
        return rows

    @staticmethod
    def _log_settled(rows: list[Outbound]) -> list[Outbound]:
        """One ``delivery_settled`` line per row; the rows."""
        for row in rows:
            _log.info(
                "delivery_settled",
                certificate_id=row.certificate_id,
                delivery=row.delivery,
                status=row.status.value,
            )
        return rows

    async def sync_once(self, *, grace: timedelta | None = None) -> int:
        """Retry due submissions and refresh accepted ones; how many rows were looked at.

        ``grace``: accepted rows are refreshed only once they have waited that long (the hub
        pushes outcomes; the poll is for pushes that were lost).
        """
        now = self.clock()
        due = await in_thread(
            lambda: self.store.outbound_due(now=now, accepted_before=now - grace if grace else None)
        )
        unsettled: dict[tuple[str, str], datetime] = {}
        for outbound in due:
            if outbound.status is CertificateStatus.SUBMITTED:
                await self.submit(outbound)
            elif (await self.refresh(outbound)).status is CertificateStatus.ACCEPTED and grace:
                # still under way at the hub: asked again after a longer wait (``refresh_gap``)
                key = (outbound.kind, outbound.certificate_id)
                unsettled[key] = self._next_refresh(outbound, grace=grace)
        if unsettled:
            await in_thread(lambda: self.store.defer_refresh(unsettled))
        return len(due)

    async def run(self) -> None:
        """Sync until cancelled; errors are logged, never fatal."""
        while True:
            try:
                await self.sync_once(grace=self.pushes.grace(self.clock()))
            except Exception:
                _log.exception("sync_error")
            await asyncio.sleep(self.interval)
