"""An SQLite engine keeps the connections its concurrent users needed (no open/close per burst)."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import event, text

from singlewindow.storage import make_engine
from singlewindow.storage.engine import SQLITE_POOL_SIZE


def test_a_second_burst_of_concurrent_readers_opens_no_new_sqlite_connection(tmp_path: Path) -> None:
    """20 threads read at once, twice: the second burst reuses the 20 connections the first opened."""
    engine = make_engine(url=f"sqlite:///{tmp_path / 'pool.db'}")
    opened: list[object] = []
    event.listen(engine, "connect", lambda connection, _record: opened.append(connection))
    readers = 20
    assert readers <= SQLITE_POOL_SIZE
    inside = threading.Barrier(readers)

    def read() -> None:
        with engine.connect() as connection:
            connection.execute(text("select 1")).scalar_one()
            inside.wait(timeout=30)  # all 20 hold a connection at the same time

    def burst() -> None:
        threads = [threading.Thread(target=read) for _ in range(readers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    burst()
    assert len(opened) == readers
    burst()
    assert len(opened) == readers
    engine.dispose()
