"""Two hub processes on one store: every accepted document is delivered once, by exactly one of them."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import httpx
import pytest
from network.kit import Database, fields_json
from network.processes import free_port, hub_proc, node_proc
from sqlalchemy import func, select

from singlewindow.harness.services import ProcessService
from singlewindow.pki import Federation
from singlewindow.storage import make_engine
from singlewindow.storage.tables import hub_events, hub_messages, node_inbound

pytestmark = pytest.mark.slow

COUNT = 24


def _delivered_by(log: Path) -> list[str]:
    """Delivery numbers this hub process recorded as delivered (its JSON log lines)."""
    numbers = []
    for line in log.read_text(errors="replace").splitlines():
        if '"delivery_attempt"' not in line:
            continue
        entry = json.loads(line)
        if entry.get("outcome") == "delivered":
            numbers.append(entry["delivery"])
    return numbers


def test_two_hubs_sharing_a_store_never_deliver_a_document_twice(
    federation: Federation, database: Database, aladi_dir: Path, tmp_path: Path
) -> None:
    """24 documents queue while BR is away; when it returns both hubs race and each is delivered once."""
    tokens = {"customs": secrets.token_urlsafe(24), "official": secrets.token_urlsafe(24)}
    ports = {"AR": free_port(), "BR": free_port()}
    hubs = [
        hub_proc(
            pki=federation.directory,
            database=database.service("hub"),
            schema_dirs=str(aladi_dir),
            nodes=ports,
            log=tmp_path / f"hub-{index}.log",
        )
        for index in (1, 2)
    ]
    for hub in hubs:
        # small claims (4 documents, each alone), so that both hubs get some: with two documents per
        # request one hub delivered all 24 in one of three PostgreSQL runs
        hub.env["SINGLEWINDOW_HUB_BATCH_SIZE"] = "4"
        hub.env["SINGLEWINDOW_HUB_DOCUMENTS_PER_REQUEST"] = "1"
    nodes = {
        code: node_proc(
            country=code,
            port=port,
            pki=federation.directory,
            database=database.service(code),
            schema_dirs=str(aladi_dir),
            hub_port=hubs[0].port,
            tokens=tokens,
            log=tmp_path / f"{code}.log",
        )
        for code, port in ports.items()
    }
    procs: list[ProcessService] = [*hubs, nodes["AR"]]
    try:
        for proc in procs:
            proc.start()
        ids = []
        for number in range(1, COUNT + 1):
            answer = httpx.post(
                f"{nodes['AR'].url}/api/v1/certificates",
                content=fields_json(number=number),
                headers={"authorization": f"Bearer {tokens['customs']}", "content-type": "application/json"},
                timeout=30,
            )
            assert answer.status_code == 202, answer.text
            ids.append(answer.json()["certificate_id"])
        time.sleep(1.0)  # both hubs claim, fail and back off while BR is away
        procs.append(nodes["BR"])
        nodes["BR"].start()
        url, schema = database.service("hub")
        engine = make_engine(url=url, schema=schema)
        deadline = time.monotonic() + 90
        delivered = 0
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                delivered = conn.execute(
                    select(func.count()).select_from(hub_messages).where(hub_messages.c.state == "Delivered")
                ).scalar_one()
            if delivered == COUNT:
                break
            time.sleep(0.3)
        assert delivered == COUNT
        with engine.connect() as conn:
            per_message = conn.execute(
                select(hub_events.c.message_id, func.count())
                .where(hub_events.c.event == "delivered")
                .group_by(hub_events.c.message_id)
            ).all()
        engine.dispose()
        assert len(per_message) == COUNT and all(count == 1 for _, count in per_message)
        first, second = (_delivered_by(hub.log) for hub in hubs)
        assert len(first) + len(second) == COUNT, (len(first), len(second))
        assert not set(first) & set(second)
        assert first and second, "both hubs should have taken part"
        url, schema = database.service("BR")
        engine = make_engine(url=url, schema=schema)
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(node_inbound)).scalar_one()
        engine.dispose()
        assert stored == COUNT
    finally:
        for proc in procs:
            proc.kill()
