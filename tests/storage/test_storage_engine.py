"""The engine's transactions: reads beside a running write, writers of one process queued, not refused."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, select

from singlewindow.errors import Conflict
from singlewindow.storage import HubStore, NodeStore, utcnow
from singlewindow.storage.engine import queued_writers, write_transaction
from singlewindow.storage.tables import hub_events, hub_messages


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


def _sqlite_only(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("group commit is SQLite's (PostgreSQL commits each writer's transaction itself)")


def _commits(engine: Engine) -> list[int]:
    """A list that grows by one at every COMMIT the engine sends."""
    seen: list[int] = []
    event.listen(engine, "commit", lambda _conn: seen.append(1))
    return seen


def _queue_behind_an_open_write(engine: Engine, calls: list[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` (each writes) from threads while a write transaction is open, so they queue behind it.

    What each call returned, or the exception it raised.
    """
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            outcomes[index] = calls[index]()
        except Exception as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    with write_transaction(engine) as conn:
        conn.execute(hub_messages.update().values(last_error="first"))
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while queued_writers(engine) < len(calls) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert queued_writers(engine) == len(calls)
    for thread in threads:
        thread.join()
    return outcomes


def test_writers_queued_behind_a_write_share_its_commit(engine: Engine) -> None:
    """Eight acceptances that waited for a running write are committed with it: one fsync, not nine."""
    _sqlite_only(engine)
    store = HubStore(engine=engine)
    _accept(store, 1)
    commits = _commits(engine)
    deliveries = _queue_behind_an_open_write(engine, [lambda n=n: _accept(store, 100 + n) for n in range(8)])
    assert len(set(deliveries)) == 8
    # every acceptance was committed when its call returned: a fresh reader sees it
    assert all(store.by_delivery(delivery) is not None for delivery in deliveries)
    assert len(commits) == 1


def test_a_failing_writer_in_a_shared_commit_undoes_only_its_own_writes(engine: Engine) -> None:
    """A block that raises rolls back its own rows and raises; the writers batched with it keep theirs."""
    _sqlite_only(engine)
    _accept(HubStore(engine=engine), 1)

    def insert_then(name: str, *, fail: bool) -> Callable[[], Any]:
        def call() -> None:
            with write_transaction(engine) as conn:
                conn.execute(
                    insert(hub_events).values(message_id=1, at=utcnow(), state="Pending", event=name)
                )
                if fail:
                    raise ValueError(f"{name} refused")

        return call

    outcomes = _queue_behind_an_open_write(
        engine,
        [
            insert_then("kept-1", fail=False),
            insert_then("undone", fail=True),
            insert_then("kept-2", fail=False),
        ],
    )
    assert [type(outcome) for outcome in outcomes] == [type(None), ValueError, type(None)]
    with engine.connect() as conn:
        events = set(conn.execute(select(hub_events.c.event)).scalars())
    assert {"kept-1", "kept-2"} <= events
    assert "undone" not in events


def test_a_duplicate_in_a_shared_commit_is_refused_alone(engine: Engine) -> None:
    """Two acceptances of one certificate with other bytes in one batch: one stored, the other 409."""
    _sqlite_only(engine)
    store = HubStore(engine=engine)

    def accept(sha: str) -> Callable[[], Any]:
        return lambda: store.accept(
            certificate_id="AR001A18260000777700",
            sha256=sha * 64,
            document=b"<doc/>",
            sender="AR",
            destination="BR",
            now=utcnow(),
        )

    outcomes = _queue_behind_an_open_write(engine, [accept("a"), accept("b"), lambda: _accept(store, 5)])
    refused = [outcome for outcome in outcomes[:2] if isinstance(outcome, Conflict)]
    assert len(refused) == 1
    assert store.by_certificate("AR001A18260000777700") is not None
    assert store.by_delivery(outcomes[2]) is not None
