"""The hub's repository: durable acceptance, idempotency, delivery claims with leases, the trail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from singlewindow.errors import Conflict, problem
from singlewindow.lifecycle.rectification import admission, current_certificate_id, lineage_ids
from singlewindow.protocol.states import DeliveryState
from singlewindow.storage.engine import write_transaction
from singlewindow.storage.tables import COD, hub_events, hub_messages

_P = DeliveryState.PENDING
#: first key of the hub's per-certificate advisory locks (PostgreSQL), apart from other advisory locks
_ACCEPT_LOCK_SPACE = 0x5357_4143  # "SWAC"

# The statements of the hot path are built once, with bound parameters: building a SQLAlchemy
# statement and its cache key costs about three times as much CPU as running it on SQLite.
_INSERT_MESSAGE = insert(hub_messages)
_INSERT_EVENT = insert(hub_events)
_BY_CERTIFICATE = select(hub_messages).where(
    hub_messages.c.kind == bindparam("b_kind"), hub_messages.c.certificate_id == bindparam("b_certificate_id")
)
_BY_DELIVERY = select(hub_messages).where(hub_messages.c.delivery == bindparam("b_delivery"))
# by the certificate_id index: a predicate on substr() scanned the whole table at every document
_SIBLINGS = select(hub_messages.c.certificate_id).where(
    hub_messages.c.kind == COD, hub_messages.c.certificate_id.in_(bindparam("b_ids", expanding=True))
)
_TRAIL = (
    select(hub_events).where(hub_events.c.message_id == bindparam("b_message_id")).order_by(hub_events.c.id)
)
_LEASE_FREE = or_(hub_messages.c.lease_until.is_(None), hub_messages.c.lease_until < bindparam("b_now"))
_DUE = (
    select(hub_messages.c.id)
    .where(
        hub_messages.c.state == _P.value, hub_messages.c.next_attempt_at <= bindparam("b_now"), _LEASE_FREE
    )
    .order_by(hub_messages.c.next_attempt_at, hub_messages.c.id)
    .limit(bindparam("b_limit"))
    # PostgreSQL: concurrent claimers pass over each other's rows instead of waiting;
    # SQLite ignores this and serialises writers with BEGIN IMMEDIATE instead
    .with_for_update(skip_locked=True)
)
# the WHERE repeats the due condition so a stale read can never steal a live lease
_CLAIM = (
    update(hub_messages)
    .where(
        hub_messages.c.id.in_(bindparam("b_ids", expanding=True)),
        hub_messages.c.state == _P.value,
        _LEASE_FREE,
    )
    .values(attempts=hub_messages.c.attempts + 1, version=hub_messages.c.version + 1)
    .returning(*hub_messages.c)
)
#: ends a lease; the columns to set come with the parameters
_FINISH = (
    update(hub_messages)
    .where(
        hub_messages.c.id == bindparam("b_id"),
        hub_messages.c.lease_owner == bindparam("b_worker"),
        hub_messages.c.state == _P.value,
    )
    .values(version=hub_messages.c.version + 1)
)


@dataclass(frozen=True)
class Message:
    """One accepted document and where it stands."""

    id: int
    delivery: str
    certificate_id: str
    sha256: str
    document: bytes
    sender: str
    destination: str
    state: DeliveryState
    attempts: int
    accepted_at: datetime
    delivered_at: datetime | None
    receipt: bytes | None
    last_error: str | None
    kind: str = COD

    @classmethod
    def from_row(cls, row: Any) -> Message:
        """Build from a ``hub_messages`` row."""
        return cls(
            id=row.id,
            kind=row.kind,
            delivery=row.delivery,
            certificate_id=row.certificate_id,
            sha256=row.sha256,
            document=bytes(row.document),
            sender=row.sender,
            destination=row.destination,
            state=DeliveryState(row.state),
            attempts=row.attempts,
            accepted_at=row.accepted_at,
            delivered_at=row.delivered_at,
            receipt=bytes(row.receipt) if row.receipt is not None else None,
            last_error=row.last_error,
        )


@dataclass(frozen=True)
class Event:
    """One line of a message's trail."""

    at: datetime
    state: DeliveryState
    event: str
    detail: str


@dataclass(frozen=True)
class Accepted:
    """The outcome of ``accept``: the stored message and whether this call created it."""

    message: Message
    created: bool


def new_delivery_number() -> str:
    """A hub delivery number: a random UUID, as the ePhyto hub's hubDeliveryNumber."""
    return str(uuid.uuid4())


class HubStore:
    """All hub reads and writes; every method is one short transaction."""

    def __init__(self, *, engine: Engine) -> None:
        self.engine = engine

    def accept(
        self,
        *,
        certificate_id: str,
        sha256: str,
        document: bytes,
        sender: str,
        destination: str,
        now: datetime,
        kind: str = COD,
    ) -> Accepted:
        """Store a new message (committed before returning) or return the identical one; other bytes: 409.

        A COD whose CertificateID differs from stored ones only in a higher rectification code is a new
        message (a rectification); a lower or equal one that is not stored is stale: 409 naming the current.
        """
        try:
            with write_transaction(self.engine) as conn:
                # one certificate's versions are admitted one at a time: the stale check and the insert
                # see the same siblings (SQLite: BEGIN IMMEDIATE holds the write lock from here on)
                self._lock_certificate(conn, certificate_id)
                existing = self._by_certificate(conn, certificate_id, kind=kind)
                if existing is None:
                    if kind == COD:
                        self._refuse_stale(conn, certificate_id)
                    delivery = new_delivery_number()
                    inserted = conn.execute(
                        _INSERT_MESSAGE,
                        {
                            "delivery": delivery,
                            "kind": kind,
                            "certificate_id": certificate_id,
                            "sha256": sha256,
                            "size": len(document),
                            "document": document,
                            "sender": sender,
                            "destination": destination,
                            "state": _P.value,
                            "attempts": 0,
                            "next_attempt_at": now,
                            "version": 1,
                            "accepted_at": now,
                        },
                    ).inserted_primary_key
                    assert inserted is not None
                    message_id = int(inserted[0])
                    self._event(conn, message_id=message_id, at=now, state=_P, event="accepted")
            if existing is None:
                # what was just committed, without reading it back
                message = Message(
                    id=message_id,
                    kind=kind,
                    delivery=delivery,
                    certificate_id=certificate_id,
                    sha256=sha256,
                    document=bytes(document),
                    sender=sender,
                    destination=destination,
                    state=_P,
                    attempts=0,
                    accepted_at=now.astimezone(UTC),
                    delivered_at=None,
                    receipt=None,
                    last_error=None,
                )
                return Accepted(message=message, created=True)
        except IntegrityError:
            # a concurrent identical submission won the race; compare with it
            existing = self.by_certificate(certificate_id, kind=kind)
            assert existing is not None
        if existing.sha256 != sha256:
            raise Conflict(
                problem(
                    "duplicate.conflict",
                    f"CertificateID {certificate_id} was accepted with other content "
                    f"(delivery {existing.delivery})",
                    "/Envelope/CertOrigin/CODEH/CertificationEH/CertificateID",
                )
            )
        return Accepted(message=existing, created=False)

    @staticmethod
    def _lock_certificate(conn: Any, certificate_id: str) -> None:
        """PostgreSQL: hold a transaction advisory lock on the certificate base (first 18 characters)."""
        if conn.dialect.name == "postgresql":
            conn.execute(
                text("SELECT pg_advisory_xact_lock(:space, hashtext(:base))"),
                {"space": _ACCEPT_LOCK_SPACE, "base": certificate_id[:18]},
            )

    def by_certificate(self, certificate_id: str, *, kind: str = COD) -> Message | None:
        """The message of this kind (a COD by default) with this CertificateID."""
        with self.engine.connect() as conn:
            return self._by_certificate(conn, certificate_id, kind=kind)

    @staticmethod
    def _by_certificate(conn: Any, certificate_id: str, *, kind: str) -> Message | None:
        row = conn.execute(_BY_CERTIFICATE, {"b_kind": kind, "b_certificate_id": certificate_id}).first()
        return Message.from_row(row) if row else None

    def siblings(self, certificate_id: str) -> list[str]:
        """CertificateIDs of stored CODs of the same certificate (the same first 18 characters)."""
        with self.engine.connect() as conn:
            return self._siblings(conn, certificate_id)

    @staticmethod
    def _siblings(conn: Any, certificate_id: str) -> list[str]:
        rows = conn.execute(_SIBLINGS, {"b_ids": lineage_ids(certificate_id)}).scalars()
        return [str(value) for value in rows]

    def _refuse_stale(self, conn: Any, certificate_id: str) -> None:
        """409 when a sibling with a higher or equal rectification code is stored already."""
        siblings = self._siblings(conn, certificate_id)
        try:
            verdict = admission(certificate_id, stored=siblings)
        except ValueError:
            return  # not a well-formed CertificateID: no lineage to compare with
        if verdict == "stale":
            current = current_certificate_id(siblings)
            raise Conflict(
                problem(
                    "duplicate.conflict",
                    f"CertificateID {certificate_id} is superseded: the current certificate is {current}",
                    "/Envelope/CertOrigin/CODEH/CertificationEH/CertificateID",
                )
            )

    def by_delivery(self, delivery: str) -> Message | None:
        """The message with this delivery number."""
        with self.engine.connect() as conn:
            row = conn.execute(_BY_DELIVERY, {"b_delivery": delivery}).first()
        return Message.from_row(row) if row else None

    def trail(self, *, message_id: int) -> list[Event]:
        """Every event of one message, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(_TRAIL, {"b_message_id": message_id}).all()
        return [Event(at=r.at, state=DeliveryState(r.state), event=r.event, detail=r.detail) for r in rows]

    def claim(self, *, worker: str, now: datetime, lease: timedelta, limit: int) -> list[Message]:
        """Lease up to ``limit`` due messages to ``worker``; rows locked by another process are skipped."""
        with write_transaction(self.engine) as conn:
            due_ids = conn.execute(_DUE, {"b_now": now, "b_limit": limit}).scalars().all()
            if not due_ids:
                return []
            rows = conn.execute(
                _CLAIM,
                {"b_ids": list(due_ids), "b_now": now, "lease_owner": worker, "lease_until": now + lease},
            ).all()
        return sorted((Message.from_row(row) for row in rows), key=lambda message: message.id)

    def finish(
        self,
        *,
        message_id: int,
        worker: str,
        now: datetime,
        state: DeliveryState,
        event: str,
        detail: str = "",
        receipt: bytes | None = None,
        retry_at: datetime | None = None,
    ) -> bool:
        """End ``worker``'s lease: Delivered, FailedDelivery, or back to pending at ``retry_at``.

        Returns False when the lease was lost (another worker owns the row now): nothing is written.
        """
        values: dict[str, Any] = {"state": state.value, "lease_owner": None, "lease_until": None}
        if state is DeliveryState.DELIVERED:
            values.update(delivered_at=now, receipt=receipt, last_error=None)
        else:
            values["last_error"] = detail
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        with write_transaction(self.engine) as conn:
            result = conn.execute(_FINISH, {"b_id": message_id, "b_worker": worker, **values})
            if result.rowcount != 1:
                return False
            self._event(conn, message_id=message_id, at=now, state=state, event=event, detail=detail)
        return True

    def replay(self, *, delivery: str, now: datetime) -> Message | None:
        """Re-queue a FailedDelivery with a fresh retry budget; None when it is not failed."""
        with write_transaction(self.engine) as conn:
            row = conn.execute(
                select(hub_messages.c.id).where(
                    hub_messages.c.delivery == delivery, hub_messages.c.state == DeliveryState.FAILED.value
                )
            ).first()
            if row is None:
                return None
            conn.execute(
                update(hub_messages)
                .where(hub_messages.c.id == row.id)
                .values(
                    state=_P.value,
                    attempts=0,
                    next_attempt_at=now,
                    lease_owner=None,
                    lease_until=None,
                    version=hub_messages.c.version + 1,
                )
            )
            self._event(conn, message_id=row.id, at=now, state=_P, event="replayed")
        return self.by_delivery(delivery)

    def counts(self) -> dict[DeliveryState, int]:
        """How many messages are in each state."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(hub_messages.c.state, func.count()).group_by(hub_messages.c.state)
            ).all()
        found = {DeliveryState(state): count for state, count in rows}
        return {state: found.get(state, 0) for state in DeliveryState}

    @staticmethod
    def _event(
        conn: Any, *, message_id: int, at: datetime, state: DeliveryState, event: str, detail: str = ""
    ) -> None:
        conn.execute(
            _INSERT_EVENT,
            {"message_id": message_id, "at": at, "state": state.value, "event": event, "detail": detail},
        )
