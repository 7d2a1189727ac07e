"""The engine's transactions: reads beside a running write, writers of one process queued, not refused."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import Engine

from singlewindow.storage import HubStore, NodeStore, utcnow
from singlewindow.storage.engine import write_transaction
from singlewindow.storage.tables import hub_messages


def _accept(store: HubStore, number: int) -> str:
    accepted = store.accept(
        certificate_id=f"AR001A18260000{number:04d}00",
        sha256=f"{number:064x}",
        document=b"<doc/>",
        sender="AR",
        destination="BR",
        now=utcnow(),
    )
    return accepted.message.delivery


def test_a_read_is_answered_while_a_write_transaction_is_open(engine: Engine) -> None:
    """A status read does not wait for the writer (SQLite: readers never take the write lock)."""
    store = HubStore(engine=engine)
    delivery = _accept(store, 1)
    read_done = threading.Event()
    found: list[object] = []

    def read() -> None:
        found.append(store.by_delivery(delivery))
        read_done.set()

    with write_transaction(engine) as conn:
        conn.execute(hub_messages.update().values(last_error="writing"))
        reader = threading.Thread(target=read)
        reader.start()
        # the writer keeps its transaction open until the read came back (or gives up after 10 s)
        answered_during_write = read_done.wait(timeout=10)
    reader.join()
    assert answered_during_write
    assert found and found[0] is not None


def test_concurrent_writers_of_one_process_all_commit(engine: Engine) -> None:
    """Forty acceptances from sixteen threads at once are all stored, none refused as busy."""
    store = HubStore(engine=engine)
    with ThreadPoolExecutor(max_workers=16) as pool:
        deliveries = list(pool.map(lambda n: _accept(store, n), range(40)))
    assert len(set(deliveries)) == 40
    assert all(store.by_delivery(delivery) is not None for delivery in deliveries)


def test_a_submission_sent_by_its_request_waits_before_the_outbox_sends_it_again(engine: Engine) -> None:
    """With ``retry_at`` the background outbox leaves a new submission to the request sending it."""
    store = NodeStore(engine=engine)
    now = utcnow()
    store.create_outbound(
        certificate_id="AR001A18260000000100",
        input_sha256="a" * 64,
        sha256="b" * 64,
        document=b"<doc/>",
        now=now,
        retry_at=now + timedelta(seconds=2),
    )
    store.create_outbound(
        certificate_id="AR001A18260000000200",
        input_sha256="c" * 64,
        sha256="d" * 64,
        document=b"<d/>",
        now=now,
    )
    assert [row.certificate_id for row in store.outbound_due(now=now)] == ["AR001A18260000000200"]
    later = now + timedelta(seconds=2)
    assert len(store.outbound_due(now=later)) == 2
