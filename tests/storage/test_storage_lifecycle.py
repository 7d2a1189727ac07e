"""Migration 0002 and the lifecycle parts of the stores: kinds, rectification lineage, lifecycle states."""

from __future__ import annotations

import pytest
from alembic import command
from network.kit import Database
from sqlalchemy import Engine, insert

from singlewindow.errors import Conflict
from singlewindow.storage import CANCELLATION, HubStore, Lifecycle, NodeStore, make_engine, migrate, utcnow
from singlewindow.storage.engine import alembic_config
from singlewindow.storage.tables import hub_messages

CID = "AR001A18260000000100"


def _accept(store: HubStore, certificate_id: str, *, kind: str = "COD", sha256: str = "a" * 64) -> str:
    accepted = store.accept(
        certificate_id=certificate_id,
        sha256=sha256,
        document=b"<doc/>",
        sender="AR",
        destination="BR",
        now=utcnow(),
        kind=kind,
    )
    return accepted.message.delivery


def test_upgrade_from_0001_keeps_rows_as_cods(database: Database) -> None:
    """A row written before migration 0002 becomes kind COD, and a cancellation may then share its id."""
    url, schema = database.service("upgrade")
    engine = make_engine(url=url, schema=schema)
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        now = utcnow()
        connection.execute(
            insert(hub_messages).values(
                delivery="d-1",
                certificate_id=CID,
                sha256="a" * 64,
                size=6,
                document=b"<doc/>",
                sender="AR",
                destination="BR",
                state="Delivered",
                attempts=1,
                next_attempt_at=now,
                version=1,
                accepted_at=now,
            )
        )
        connection.commit()
    migrate(engine=engine)
    store = HubStore(engine=engine)
    old = store.by_certificate(CID)
    assert old is not None and old.kind == "COD" and old.delivery == "d-1"
    assert _accept(store, CID, kind=CANCELLATION, sha256="b" * 64) != "d-1"
    engine.dispose()


def test_hub_admits_higher_rectifications_and_refuses_stale_ones(engine: Engine) -> None:
    """…01 after …00 is a new message; …00 again is the same one; …01 after …02 is a 409 naming …02."""
    store = HubStore(engine=engine)
    first = _accept(store, CID)
    assert _accept(store, CID[:18] + "01", sha256="b" * 64) != first
    assert _accept(store, CID) == first
    _accept(store, CID[:18] + "03", sha256="c" * 64)
    with pytest.raises(Conflict) as refused:
        _accept(store, CID[:18] + "02", sha256="d" * 64)
    assert CID[:18] + "03" in refused.value.problems[0].message


def test_node_marks_older_received_ids_rectified_unless_cancelled(engine: Engine) -> None:
    """Receiving …01 marks …00 rectified (replaced_by …01); a cancelled id stays cancelled."""
    store = NodeStore(engine=engine)
    now = utcnow()

    def receive(certificate_id: str, delivery: str, lifecycle: Lifecycle | None = None) -> None:
        store.store_inbound(
            delivery=delivery,
            certificate_id=certificate_id,
            sha256="a" * 64,
            document=b"<doc/>",
            report="{}",
            receipt=b"{}",
            now=now,
            kind=CANCELLATION if lifecycle else "COD",
            lifecycle=lifecycle,
        )

    receive(CID, "d-0")
    assert store.lifecycle(CID) is None
    receive(CID[:18] + "01", "d-1")
    state = store.lifecycle(CID)
    assert state is not None and state.lifecycle == "rectified" and state.replaced_by == CID[:18] + "01"
    newer = CID[:18] + "01"
    cancel = Lifecycle(
        certificate_id=newer, lifecycle="cancelled", changed_at=now, replaced_by=None, reason="x"
    )
    receive(newer, "d-2", cancel)
    receive(CID[:18] + "02", "d-3")
    assert store.lifecycle(newer) == cancel
    assert store.inbound_for(newer) is not None and store.inbound_for(newer, kind=CANCELLATION) is not None
