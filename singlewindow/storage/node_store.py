"""A node's repository: outbound submissions, inbound deliveries with receipts, the trail, API tokens."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, bindparam, delete, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from singlewindow.errors import Conflict, problem
from singlewindow.lifecycle.rectification import Lineage, lineage_ids
from singlewindow.protocol.states import CertificateStatus
from singlewindow.storage.engine import write_transaction
from singlewindow.storage.tables import (
    CANCELLATION,
    COD,
    KINDS,
    api_tokens,
    node_events,
    node_inbound,
    node_lifecycle,
    node_outbound,
)

Direction = Literal["outbound", "inbound"]

# The statements of the hot path are built once, with bound parameters: building a SQLAlchemy
# statement and its cache key costs about three times as much CPU as running it on SQLite.
_INSERT_OUTBOUND = insert(node_outbound)
_INSERT_INBOUND = insert(node_inbound)
_INSERT_EVENT = insert(node_events)
_MINE = (node_outbound.c.kind == bindparam("b_kind")) & (
    node_outbound.c.certificate_id == bindparam("b_certificate_id")
)
_OUTBOUND = select(node_outbound).where(_MINE)
# every kind named, so that the lookup goes by the primary key (kind, certificate_id), not a scan
_SUBMISSIONS = select(node_outbound).where(
    node_outbound.c.kind.in_(KINDS),
    node_outbound.c.certificate_id.in_(bindparam("b_certificate_ids", expanding=True)),
)
# FOR UPDATE (PostgreSQL): a push and a poll settling at once write one trail line
_OUTBOUND_STATUS = select(node_outbound.c.status).where(_MINE).with_for_update()
#: moves a submission; the columns to set come with the parameters
_UPDATE_OUTBOUND = update(node_outbound).where(_MINE).returning(*node_outbound.c)
_COUNT_ATTEMPT = _UPDATE_OUTBOUND.values(attempts=node_outbound.c.attempts + 1)
_DEFER = (
    update(node_outbound)
    .where(_MINE, node_outbound.c.status == CertificateStatus.ACCEPTED.value)
    .values(next_attempt_at=bindparam("b_until"))
)
_INBOUND = select(node_inbound).where(node_inbound.c.delivery == bindparam("b_delivery"))
_INBOUND_FOR = (
    select(node_inbound)
    .where(
        node_inbound.c.kind == bindparam("b_kind"),
        node_inbound.c.certificate_id == bindparam("b_certificate_id"),
    )
    .order_by(node_inbound.c.id.desc())
)
# by the certificate_id index: a predicate on substr() scanned the whole table at every document
_RECEIVED_SIBLINGS = select(node_inbound.c.certificate_id).where(
    node_inbound.c.kind == COD, node_inbound.c.certificate_id.in_(bindparam("b_ids", expanding=True))
)
_LIFECYCLE = select(node_lifecycle).where(node_lifecycle.c.certificate_id == bindparam("b_certificate_id"))
_TRAIL = (
    select(node_events)
    .where(
        node_events.c.certificate_id == bindparam("b_certificate_id"),
        node_events.c.direction == bindparam("b_direction"),
    )
    .order_by(node_events.c.id)
)


@dataclass(frozen=True)
class Lifecycle:
    """A certificate's lifecycle on this node: ``cancelled`` (with reason) or ``rectified`` (replaced_by)."""

    certificate_id: str
    lifecycle: str
    changed_at: datetime
    replaced_by: str | None
    reason: str


@dataclass(frozen=True)
class Outbound:
    """A certificate this node submitted to the hub."""

    certificate_id: str
    input_sha256: str
    sha256: str
    document: bytes
    status: CertificateStatus
    delivery: str | None
    problems: str | None
    receipt: bytes | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    kind: str = COD
    #: when the outbox may next send it (submitted) or ask the hub about it (accepted; None: any time)
    next_attempt_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> Outbound:
        """Build from a ``node_outbound`` row."""
        return cls(
            kind=row.kind,
            certificate_id=row.certificate_id,
            input_sha256=row.input_sha256,
            sha256=row.sha256,
            document=bytes(row.document),
            status=CertificateStatus(row.status),
            delivery=row.delivery,
            problems=row.problems,
            receipt=bytes(row.receipt) if row.receipt is not None else None,
            attempts=row.attempts,
            created_at=row.created_at,
            updated_at=row.updated_at,
            next_attempt_at=row.next_attempt_at,
        )


@dataclass(frozen=True)
class Inbound:
    """A certificate the hub delivered to this node."""

    delivery: str
    certificate_id: str
    sha256: str
    document: bytes
    report: str
    receipt: bytes
    received_at: datetime
    kind: str = COD
    #: the hub's acceptance time the delivery carried (None for deliveries stored before it existed)
    hub_accepted_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> Inbound:
        """Build from a ``node_inbound`` row."""
        return cls(
            kind=row.kind,
            delivery=row.delivery,
            certificate_id=row.certificate_id,
            sha256=row.sha256,
            document=bytes(row.document),
            report=row.report,
            receipt=bytes(row.receipt),
            received_at=row.received_at,
            hub_accepted_at=row.hub_accepted_at,
        )


@dataclass(frozen=True)
class NodeEvent:
    """One line of a certificate's trail on this node."""

    at: datetime
    direction: Direction
    status: str
    detail: str


@dataclass(frozen=True)
class SentCertificate:
    """A certificate this node sent, as one read saw it: the submission, its trail, its lifecycle and
    this node's cancellation of it (``NodeStore.sent``)."""

    outbound: Outbound
    trail: list[NodeEvent]
    lifecycle: Lifecycle | None
    cancellation: Outbound | None


@dataclass(frozen=True)
class ReceivedCertificate:
    """A certificate delivered to this node, as one read saw it: the latest delivery of it, its trail
    and its lifecycle (``NodeStore.received``)."""

    inbound: Inbound
    trail: list[NodeEvent]
    lifecycle: Lifecycle | None


class NodeStore:
    """All node reads and writes; every method is one short transaction."""

    def __init__(self, *, engine: Engine) -> None:
        self.engine = engine

    # -- credentials -------------------------------------------------------------------------
    def replace_tokens(self, *, tokens: Sequence[tuple[str, str, str]], now: datetime) -> None:
        """Make the stored credentials exactly ``(name, role, sha256)`` of the configuration."""
        with write_transaction(self.engine) as conn:
            conn.execute(delete(api_tokens))
            for name, role, digest in tokens:
                conn.execute(
                    insert(api_tokens).values(name=name, role=role, token_sha256=digest, created_at=now)
                )

    # -- outbound ----------------------------------------------------------------------------
    def create_outbound(
        self,
        *,
        certificate_id: str,
        input_sha256: str,
        sha256: str,
        document: bytes,
        now: datetime,
        kind: str = COD,
        event: tuple[str, str] | None = None,
        retry_at: datetime | None = None,
    ) -> tuple[Outbound, bool]:
        """Store a new submission (status submitted) or return the one made from the same input.

        ``event`` is the ``(status, detail)`` trail line written with it (default: submitted).
        ``retry_at``: when the background outbox may send it (default: at once); a caller that
        sends it itself right away gives a later time, so the two do not send it twice.
        """
        existing = self.outbound(certificate_id, kind=kind)
        if existing is None:
            try:
                with write_transaction(self.engine) as conn:
                    conn.execute(
                        _INSERT_OUTBOUND,
                        {
                            "kind": kind,
                            "certificate_id": certificate_id,
                            "input_sha256": input_sha256,
                            "sha256": sha256,
                            "document": document,
                            "status": CertificateStatus.SUBMITTED.value,
                            "attempts": 0,
                            "next_attempt_at": retry_at or now,
                            "created_at": now,
                            "updated_at": now,
                        },
                    )
                    status, detail = event or (CertificateStatus.SUBMITTED.value, "")
                    self._event(conn, certificate_id, "outbound", now, status, detail)
                # what was just committed, without reading it back
                created = Outbound(
                    kind=kind,
                    certificate_id=certificate_id,
                    input_sha256=input_sha256,
                    sha256=sha256,
                    document=bytes(document),
                    status=CertificateStatus.SUBMITTED,
                    delivery=None,
                    problems=None,
                    receipt=None,
                    attempts=0,
                    created_at=now.astimezone(UTC),
                    updated_at=now.astimezone(UTC),
                    next_attempt_at=(retry_at or now).astimezone(UTC),
                )
                return created, True
            except IntegrityError:
                existing = self.outbound(certificate_id, kind=kind)
                assert existing is not None
        if existing.input_sha256 != input_sha256 and existing.sha256 != sha256:
            raise Conflict(
                problem(
                    "duplicate.conflict", f"CertificateID {certificate_id} was submitted with other content"
                )
            )
        return existing, False

    def outbound(self, certificate_id: str, *, kind: str = COD) -> Outbound | None:
        """The submission of this kind (a COD by default) with this CertificateID."""
        with self.engine.connect() as conn:
            return self._outbound(conn, certificate_id, kind=kind)

    @staticmethod
    def _outbound(conn: Any, certificate_id: str, *, kind: str) -> Outbound | None:
        row = conn.execute(_OUTBOUND, {"b_kind": kind, "b_certificate_id": certificate_id}).first()
        return Outbound.from_row(row) if row else None

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """One connection and one transaction whose reads all see one state of the database.

        SQLite (WAL): a read transaction sees the database as of its first read. PostgreSQL: the
        same at REPEATABLE READ (its default READ COMMITTED lets each statement see later commits).
        """
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            yield conn

    def sent(self, certificate_id: str) -> SentCertificate | None:
        """The sent COD with this CertificateID, its trail, lifecycle and cancellation, in one snapshot.

        What one answer shows comes from one read, so its status and its trail agree even while a
        push settles the certificate. None when this node sent no such COD.
        """
        with self._snapshot() as conn:
            outbound = self._outbound(conn, certificate_id, kind=COD)
            if outbound is None:
                return None
            return SentCertificate(
                outbound=outbound,
                trail=self._trail(conn, certificate_id, direction="outbound"),
                lifecycle=self._lifecycle(conn, certificate_id),
                cancellation=self._outbound(conn, certificate_id, kind=CANCELLATION),
            )

    def submissions(self, certificate_ids: Collection[str]) -> list[Outbound]:
        """Every submission with one of these CertificateIDs: each COD and its cancellation, if any."""
        with self.engine.connect() as conn:
            rows = conn.execute(_SUBMISSIONS, {"b_certificate_ids": list(certificate_ids)}).all()
        return [Outbound.from_row(row) for row in rows]

    def settle_outbound(self, moves: Sequence[Mapping[str, Any]]) -> list[Outbound | None]:
        """Make each move (the arguments of ``_move``) in one transaction; the rows as stored after.

        An outcome push settles several submissions at once: one commit for all of them.
        """
        with write_transaction(self.engine) as conn:
            return [self._move(conn, **move) for move in moves]

    def _move(
        self,
        conn: Any,
        *,
        certificate_id: str,
        status: CertificateStatus,
        now: datetime,
        detail: str = "",
        delivery: str | None = None,
        problems: str | None = None,
        receipt: bytes | None = None,
        retry_at: datetime | None = None,
        at: datetime | None = None,
        kind: str = COD,
    ) -> Outbound | None:
        """Move a submission to ``status``; a trail line is written only when the status changes.
        None when there is no such submission."""
        mine = {"b_kind": kind, "b_certificate_id": certificate_id}
        row = conn.execute(_OUTBOUND_STATUS, mine).first()
        if row is None:
            return None
        values: dict[str, Any] = {"status": status.value, "updated_at": now, "next_attempt_at": retry_at}
        for key, value in (("delivery", delivery), ("problems", problems), ("receipt", receipt)):
            if value is not None:
                values[key] = value
        statement = _COUNT_ATTEMPT if status is CertificateStatus.SUBMITTED else _UPDATE_OUTBOUND
        updated = conn.execute(statement, {**mine, **values}).one()
        if row.status != status.value:
            if kind != COD:
                detail = f"{kind.lower()} {status.value}" + (f": {detail}" if detail else "")
                # the certificate's own trail shows the cancellation's steps by their detail only
                self._event(conn, certificate_id, "outbound", at or now, kind.lower()[:16], detail)
            else:
                self._event(conn, certificate_id, "outbound", at or now, status.value, detail)
        return Outbound.from_row(updated)

    def outbound_due(
        self, *, now: datetime, limit: int = 50, accepted_before: datetime | None = None
    ) -> list[Outbound]:
        """Submissions not yet answered by the hub and due for a retry, and accepted ones to refresh.

        ``accepted_before``: only accepted rows last updated by then (younger ones wait for a push).
        An accepted row whose last refresh left it accepted waits until its ``next_attempt_at``
        (``defer_refresh``).
        """
        accepted = (node_outbound.c.status == CertificateStatus.ACCEPTED.value) & or_(
            node_outbound.c.next_attempt_at.is_(None), node_outbound.c.next_attempt_at <= now
        )
        if accepted_before is not None:
            accepted = accepted & (node_outbound.c.updated_at <= accepted_before)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(node_outbound)
                .where(
                    (
                        (node_outbound.c.status == CertificateStatus.SUBMITTED.value)
                        & (node_outbound.c.next_attempt_at <= now)
                    )
                    | accepted
                )
                .order_by(node_outbound.c.updated_at)
                .limit(limit)
            ).all()
        return [Outbound.from_row(row) for row in rows]

    def defer_refresh(self, until: Mapping[tuple[str, str], datetime]) -> None:
        """Leave each accepted ``(kind, certificate_id)`` submission out of ``outbound_due`` until its time.

        One write for a whole round of refreshes that found the deliveries still under way; a row
        that settled or changed status in the meantime is not touched.
        """
        if not until:
            return
        rows = [
            {"b_kind": kind, "b_certificate_id": certificate_id, "b_until": moment}
            for (kind, certificate_id), moment in until.items()
        ]
        with write_transaction(self.engine) as conn:
            conn.execute(_DEFER, rows)

    # -- inbound -----------------------------------------------------------------------------
    def inbound(self, *, delivery: str) -> Inbound | None:
        """The delivery with this number."""
        with self.engine.connect() as conn:
            row = conn.execute(_INBOUND, {"b_delivery": delivery}).first()
        return Inbound.from_row(row) if row else None

    def inbound_for(self, certificate_id: str, *, kind: str = COD) -> Inbound | None:
        """The latest delivery of this kind (a COD by default) and CertificateID."""
        with self.engine.connect() as conn:
            return self._inbound_for(conn, certificate_id, kind=kind)

    @staticmethod
    def _inbound_for(conn: Any, certificate_id: str, *, kind: str) -> Inbound | None:
        row = conn.execute(_INBOUND_FOR, {"b_kind": kind, "b_certificate_id": certificate_id}).first()
        return Inbound.from_row(row) if row else None

    def received(self, certificate_id: str) -> ReceivedCertificate | None:
        """The latest delivery of the COD with this CertificateID, its trail and lifecycle, in one snapshot.

        None when no such COD was delivered to this node.
        """
        with self._snapshot() as conn:
            inbound = self._inbound_for(conn, certificate_id, kind=COD)
            if inbound is None:
                return None
            return ReceivedCertificate(
                inbound=inbound,
                trail=self._trail(conn, certificate_id, direction="inbound"),
                lifecycle=self._lifecycle(conn, certificate_id),
            )

    def store_inbound(
        self,
        *,
        delivery: str,
        certificate_id: str,
        sha256: str,
        document: bytes,
        report: str,
        receipt: bytes,
        now: datetime,
        kind: str = COD,
        lifecycle: Lifecycle | None = None,
        hub_accepted_at: datetime | None = None,
    ) -> tuple[Inbound, bool]:
        """Keep a delivery and its receipt (committed on return); a repeated delivery returns the first.

        A cancellation carries the ``lifecycle`` it sets; a COD marks the older ids of its certificate
        (same first 18 characters, lower rectification code) ``rectified``, replaced by the newest.
        """
        try:
            with write_transaction(self.engine) as conn:
                if kind == COD and conn.dialect.name == "postgresql":
                    # one certificate's rectifications are stored one at a time, so each sees the others
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(hashtext(:base))"), {"base": certificate_id[:18]}
                    )
                conn.execute(
                    _INSERT_INBOUND,
                    {
                        "delivery": delivery,
                        "kind": kind,
                        "certificate_id": certificate_id,
                        "sha256": sha256,
                        "document": document,
                        "report": report,
                        "receipt": receipt,
                        "received_at": now,
                        "hub_accepted_at": hub_accepted_at,
                    },
                )
                if lifecycle is not None:
                    self._set_lifecycle(conn, lifecycle)
                    self._event(conn, certificate_id, "inbound", now, lifecycle.lifecycle, lifecycle.reason)
                else:
                    self._event(
                        conn, certificate_id, "inbound", now, CertificateStatus.RECEIVED.value, delivery
                    )
                if kind == COD:
                    self._mark_rectified(conn, certificate_id, now)
        except IntegrityError:
            # the same delivery arrived before (or twice at once): the first one's receipt stands
            stored = self.inbound(delivery=delivery)
            assert stored is not None
            return stored, False
        # what was just committed, without reading it back
        created = Inbound(
            kind=kind,
            delivery=delivery,
            certificate_id=certificate_id,
            sha256=sha256,
            document=bytes(document),
            report=report,
            receipt=bytes(receipt),
            received_at=now.astimezone(UTC),
            hub_accepted_at=hub_accepted_at.astimezone(UTC) if hub_accepted_at is not None else None,
        )
        return created, True

    def count_inbound(self) -> int:
        """How many deliveries this node holds."""
        with self.engine.connect() as conn:
            return len(conn.execute(select(node_inbound.c.id)).all())

    # -- lifecycle ---------------------------------------------------------------------------
    def lifecycle(self, certificate_id: str) -> Lifecycle | None:
        """The lifecycle of this CertificateID when it is cancelled or rectified; None while active."""
        with self.engine.connect() as conn:
            return self._lifecycle(conn, certificate_id)

    @staticmethod
    def _lifecycle(conn: Any, certificate_id: str) -> Lifecycle | None:
        row = conn.execute(_LIFECYCLE, {"b_certificate_id": certificate_id}).first()
        if row is None:
            return None
        return Lifecycle(
            certificate_id=row.certificate_id,
            lifecycle=row.lifecycle,
            changed_at=row.changed_at,
            replaced_by=row.replaced_by,
            reason=row.reason,
        )

    @staticmethod
    def _set_lifecycle(conn: Any, state: Lifecycle) -> None:
        values = {
            "lifecycle": state.lifecycle,
            "changed_at": state.changed_at,
            "replaced_by": state.replaced_by,
            "reason": state.reason,
        }
        done = conn.execute(
            update(node_lifecycle)
            .where(node_lifecycle.c.certificate_id == state.certificate_id)
            .values(**values)
        )
        if done.rowcount == 0:
            conn.execute(insert(node_lifecycle).values(certificate_id=state.certificate_id, **values))

    def _mark_rectified(self, conn: Any, certificate_id: str, now: datetime) -> None:
        """Every received COD of this certificate below the newest becomes rectified, replaced by it."""
        ids = conn.execute(_RECEIVED_SIBLINGS, {"b_ids": lineage_ids(certificate_id)}).scalars()
        try:
            lineage = Lineage.of([str(value) for value in ids])
        except ValueError:
            return  # not a well-formed CertificateID: nothing to compare with
        for older, newer in lineage.replacements().items():
            known = conn.execute(
                select(node_lifecycle.c.lifecycle, node_lifecycle.c.replaced_by).where(
                    node_lifecycle.c.certificate_id == older
                )
            ).first()
            if known is not None and (known.lifecycle == "cancelled" or known.replaced_by == newer):
                continue  # a cancellation stands; an unchanged replacement is not written again
            self._set_lifecycle(
                conn,
                Lifecycle(
                    certificate_id=older, lifecycle="rectified", changed_at=now, replaced_by=newer, reason=""
                ),
            )
            self._event(conn, older, "inbound", now, "rectified", newer)

    # -- trail -------------------------------------------------------------------------------
    def trail(self, certificate_id: str, *, direction: Direction) -> list[NodeEvent]:
        """The trail of one certificate in one direction, oldest first."""
        with self.engine.connect() as conn:
            return self._trail(conn, certificate_id, direction=direction)

    @staticmethod
    def _trail(conn: Any, certificate_id: str, *, direction: Direction) -> list[NodeEvent]:
        rows = conn.execute(_TRAIL, {"b_certificate_id": certificate_id, "b_direction": direction}).all()
        return [NodeEvent(at=r.at, direction=r.direction, status=r.status, detail=r.detail) for r in rows]

    @staticmethod
    def _event(
        conn: Any, certificate_id: str, direction: Direction, at: datetime, status: str, detail: str = ""
    ) -> None:
        conn.execute(
            _INSERT_EVENT,
            {
                "certificate_id": certificate_id,
                "direction": direction,
                "at": at,
                "status": status,
                "detail": detail,
            },
        )
