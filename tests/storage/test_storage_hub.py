"""The hub repository: durable idempotent acceptance, leased claims, fenced outcomes, replay."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from singlewindow.errors import Conflict
from singlewindow.protocol import DeliveryState
from singlewindow.storage import HubStore, migrate, utcnow

LEASE = timedelta(seconds=30)


def _accept(store: HubStore, number: int = 1, content: bytes = b"<doc/>"):  # type: ignore[no-untyped-def]
    return store.accept(
        certificate_id=f"AR001A182600000{number:03d}00",
        sha256=f"{number:064x}" if content == b"<doc/>" else "f" * 64,
        document=content,
        sender="AR",
        destination="BR",
        now=utcnow(),
    )


def test_same_certificate_same_bytes_gets_the_same_delivery_number(engine: Engine) -> None:
    """A repeated submission is recognised and answered with the first delivery number."""
    store = HubStore(engine=engine)
    first, again = _accept(store), _accept(store)
    assert first.created and not again.created
    assert first.message.delivery == again.message.delivery
    assert store.by_delivery(first.message.delivery) == first.message


def test_same_certificate_other_bytes_is_a_conflict(engine: Engine) -> None:
    """Other bytes under a known CertificateID are refused with duplicate.conflict."""
    store = HubStore(engine=engine)
    _accept(store)
    with pytest.raises(Conflict) as caught:
        _accept(store, content=b"<other/>")
    assert caught.value.problems[0].code == "duplicate.conflict"


def test_a_claim_is_exclusive_until_its_lease_expires(engine: Engine) -> None:
    """A leased message is invisible to other workers; after the lease it can be claimed again."""
    store = HubStore(engine=engine)
    _accept(store)
    now = utcnow()
    assert len(store.claim(worker="a", now=now, lease=LEASE, limit=10)) == 1
    assert store.claim(worker="b", now=now, lease=LEASE, limit=10) == []
    again = store.claim(worker="b", now=now + LEASE + timedelta(seconds=1), lease=LEASE, limit=10)
    assert [m.attempts for m in again] == [2]
    # the first worker lost its lease: its outcome is not written
    assert not store.finish(
        message_id=again[0].id, worker="a", now=now, state=DeliveryState.DELIVERED, event="x"
    )
    assert store.finish(
        message_id=again[0].id, worker="b", now=now, state=DeliveryState.DELIVERED, event="ok"
    )
    assert store.by_certificate(again[0].certificate_id).state is DeliveryState.DELIVERED  # type: ignore[union-attr]


def test_concurrent_claimers_never_share_a_message(engine: Engine) -> None:
    """Eight threads claiming at once take every message exactly once (SKIP LOCKED on PostgreSQL)."""
    store = HubStore(engine=engine)
    for number in range(1, 41):
        _accept(store, number)
    taken: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while batch := store.claim(worker=name, now=utcnow(), lease=LEASE, limit=3):
            with lock:
                taken.extend(m.id for m in batch)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == sorted(set(taken)) and len(taken) == 40


def test_retry_waits_and_replay_restarts_a_failed_delivery(engine: Engine) -> None:
    """A retry is not due before its time; a FailedDelivery is replayed with a fresh budget and trail line."""
    store = HubStore(engine=engine)
    message = _accept(store).message
    now = utcnow()
    store.claim(worker="a", now=now, lease=LEASE, limit=1)
    later = now + timedelta(seconds=60)
    store.finish(
        message_id=message.id, worker="a", now=now, state=DeliveryState.PENDING, event="down", retry_at=later
    )
    assert store.claim(worker="a", now=now + timedelta(seconds=59), lease=LEASE, limit=1) == []
    store.claim(worker="a", now=later, lease=LEASE, limit=1)
    store.finish(message_id=message.id, worker="a", now=later, state=DeliveryState.FAILED, event="gave_up")
    assert store.replay(delivery="nope", now=later) is None
    replayed = store.replay(delivery=message.delivery, now=later)
    assert replayed is not None and replayed.state is DeliveryState.PENDING and replayed.attempts == 0
    events = [e.event for e in store.trail(message_id=message.id)]
    assert events == ["accepted", "down", "gave_up", "replayed"]
    assert store.counts()[DeliveryState.PENDING] == 1


def test_migrations_are_idempotent(engine: Engine) -> None:
    """Migrating an up-to-date database again changes nothing."""
    migrate(engine=engine)
    assert HubStore(engine=engine).counts()[DeliveryState.DELIVERED] == 0
