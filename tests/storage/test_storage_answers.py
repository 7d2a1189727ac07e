"""A certificate as one answer shows it, read in one snapshot: sent (submission, trail, lifecycle,
cancellation) or received (latest delivery, trail, lifecycle)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, event

from singlewindow.protocol import CertificateStatus
from singlewindow.storage import CANCELLATION, Inbound, NodeStore, utcnow

CID = "AR001A18260000000100"


def _submitted(store: NodeStore, certificate_id: str = CID, *, kind: str = "COD") -> None:
    store.create_outbound(
        certificate_id=certificate_id,
        input_sha256=f"{kind}-input".ljust(64, "0"),
        sha256=f"{kind}-bytes".ljust(64, "0"),
        document=b"<doc/>",
        now=utcnow(),
        kind=kind,
        # as the cancel endpoint writes it: the certificate's trail shows the cancellation
        event=("cancelled", "withdrawn") if kind == CANCELLATION else None,
    )


def _move(store: NodeStore, status: CertificateStatus, **extra: Any) -> None:
    store.settle_outbound([{"certificate_id": CID, "status": status, "now": utcnow(), **extra}])


@contextlib.contextmanager
def _after_first_read_of(engine: Engine, table: str, *, write: Callable[[], object]) -> Iterator[list[bool]]:
    """Inside the block, ``write`` runs once, right after the first SELECT from ``table``: between the
    reads of one answer. The list yielded holds True once it ran."""
    done: list[bool] = []

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if done or table not in statement or not statement.lstrip().upper().startswith("SELECT"):
            return
        done.append(True)
        write()

    event.listen(engine, "after_cursor_execute", after)
    try:
        yield done
    finally:
        event.remove(engine, "after_cursor_execute", after)


def test_a_sent_certificate_comes_with_its_trail_and_cancellation(engine: Engine) -> None:
    store = NodeStore(engine=engine)
    assert store.sent(CID) is None
    _submitted(store, "AR001A18260000000200", kind=CANCELLATION)
    assert store.sent("AR001A18260000000200") is None, "a cancellation alone is not a sent certificate"
    _submitted(store)
    _move(store, CertificateStatus.ACCEPTED, delivery="d-1")
    _submitted(store, kind=CANCELLATION)

    sent = store.sent(CID)

    assert sent is not None
    assert (sent.outbound.certificate_id, sent.outbound.kind) == (CID, "COD")
    assert sent.outbound.status is CertificateStatus.ACCEPTED and sent.outbound.delivery == "d-1"
    assert [(e.status, e.detail) for e in sent.trail] == [
        ("submitted", ""),
        ("accepted", ""),
        ("cancelled", "withdrawn"),
    ]
    assert sent.lifecycle is None
    assert sent.cancellation is not None and sent.cancellation.kind == CANCELLATION
    assert store.sent("AR001A18260000000300") is None


def test_status_and_trail_agree_while_a_push_settles_the_certificate(engine: Engine) -> None:
    """A delivery settled between the reads of one answer shows in neither its status nor its trail."""
    store = NodeStore(engine=engine)
    _submitted(store)
    _move(store, CertificateStatus.ACCEPTED, delivery="d-1")

    def push_lands() -> None:
        _move(store, CertificateStatus.DELIVERED, receipt=b'{"r": 1}')

    with _after_first_read_of(engine, "node_outbound", write=push_lands) as settled:
        sent = store.sent(CID)

    assert settled, "the push was not made during the read"
    assert sent is not None
    assert sent.outbound.status is CertificateStatus.ACCEPTED
    assert [e.status for e in sent.trail] == ["submitted", "accepted"]
    after = store.sent(CID)
    assert after is not None and after.outbound.status is CertificateStatus.DELIVERED
    assert [e.status for e in after.trail] == ["submitted", "accepted", "delivered"]


def _delivered(
    store: NodeStore, certificate_id: str, *, receipt: bytes = b"{}", hub_accepted_at: datetime | None = None
) -> tuple[Inbound, bool]:
    return store.store_inbound(
        delivery=f"d-{certificate_id}",
        certificate_id=certificate_id,
        sha256="c" * 64,
        document=b"<doc/>",
        report="{}",
        receipt=receipt,
        now=utcnow(),
        hub_accepted_at=hub_accepted_at,
    )


NEWER = CID[:18] + "01"  # the same certificate, rectified


def test_a_received_certificate_comes_with_its_trail_and_lifecycle(engine: Engine) -> None:
    store = NodeStore(engine=engine)
    assert store.received(CID) is None
    _delivered(store, CID)
    _delivered(store, NEWER)

    received = store.received(CID)

    assert received is not None
    assert (received.inbound.certificate_id, received.inbound.delivery) == (CID, f"d-{CID}")
    assert [(e.status, e.detail) for e in received.trail] == [("received", f"d-{CID}"), ("rectified", NEWER)]
    assert received.lifecycle is not None
    assert (received.lifecycle.lifecycle, received.lifecycle.replaced_by) == ("rectified", NEWER)
    assert store.sent(CID) is None, "received, not sent"


def test_a_received_certificate_is_one_snapshot_while_its_rectification_arrives(engine: Engine) -> None:
    store = NodeStore(engine=engine)
    _delivered(store, CID)
    with _after_first_read_of(engine, "node_inbound", write=lambda: _delivered(store, NEWER)) as arrived:
        received = store.received(CID)

    assert arrived, "the rectification was not stored during the read"
    assert received is not None
    assert [e.status for e in received.trail] == ["received"] and received.lifecycle is None
    after = store.received(CID)
    assert after is not None and after.lifecycle is not None and after.lifecycle.lifecycle == "rectified"
    assert [e.status for e in after.trail] == ["received", "rectified"]


def test_a_stored_delivery_is_returned_as_a_read_gives_it_and_a_repeat_keeps_the_first(
    engine: Engine,
) -> None:
    store = NodeStore(engine=engine)
    accepted_at = datetime(2026, 12, 6, 1, 2, 3, 456789, tzinfo=timezone(timedelta(hours=-3)))
    first, created = _delivered(store, CID, receipt=b'{"receipt": 1}', hub_accepted_at=accepted_at)
    assert created and first == store.inbound(delivery=f"d-{CID}")
    assert first.hub_accepted_at == accepted_at and first.receipt == b'{"receipt": 1}'

    again, created = _delivered(store, CID, receipt=b'{"receipt": 2}')
    assert not created and again == first, "the first delivery's receipt stands"
