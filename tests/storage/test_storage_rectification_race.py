"""Rectification admission is atomic per certificate: concurrent versions never leave a stale one accepted."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, select

from singlewindow.errors import Conflict
from singlewindow.storage import HubStore, utcnow
from singlewindow.storage.tables import hub_messages

LEVELS = ["00", "01", "02", "03"]


def _submit_together(store: HubStore, ids: list[str]) -> dict[str, str]:
    """Submit every id at the same instant (one thread each); the outcome of each."""
    barrier = threading.Barrier(len(ids))

    def submit(certificate_id: str) -> str:
        barrier.wait()
        try:
            store.accept(
                certificate_id=certificate_id,
                sha256=certificate_id[-2:] * 32,
                document=certificate_id.encode(),
                sender="AR",
                destination="BR",
                now=utcnow(),
            )
        except Conflict:
            return "refused"
        return "accepted"

    with ThreadPoolExecutor(max_workers=len(ids)) as pool:
        return dict(zip(ids, pool.map(submit, ids), strict=True))


def test_concurrent_rectification_levels_are_admitted_in_a_consistent_order(engine: Engine) -> None:
    """Versions 00-03 of one certificate sent at once: the highest is accepted, never a lower one after it."""
    store = HubStore(engine=engine)
    for round_ in range(8):
        base = f"AR001A1826{round_:08d}"
        outcome = _submit_together(store, [f"{base}{level}" for level in reversed(LEVELS)])
        with engine.connect() as conn:
            stored = (
                conn.execute(
                    select(hub_messages.c.certificate_id)
                    .where(hub_messages.c.certificate_id.like(f"{base}%"))
                    .order_by(hub_messages.c.id)
                )
                .scalars()
                .all()
            )
        codes = [int(value[-2:]) for value in stored]
        assert outcome[f"{base}03"] == "accepted"
        assert codes == sorted(set(codes)), f"a lower code was accepted after a higher one: {stored}"
        assert sorted(stored) == sorted(k for k, v in outcome.items() if v == "accepted")
