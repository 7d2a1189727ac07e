"""A real federation of processes on loopback: a node down and back, the hub SIGKILLed mid-queue."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from network.kit import Database, fields_json
from network.processes import running_hub_and_nodes
from sqlalchemy import func, select

from singlewindow.harness.services import ProcessService
from singlewindow.pki import Federation
from singlewindow.storage import make_engine
from singlewindow.storage.tables import node_inbound

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster(
    federation: Federation, database: Database, aladi_dir: Path, tmp_path: Path
) -> Iterator[tuple[dict[str, ProcessService], str]]:
    """Hub, AR and BR as processes (and the customs token); every process is killed at the end."""
    with running_hub_and_nodes(
        pki=federation.directory, service_database=database.service, schema_dirs=str(aladi_dir), root=tmp_path
    ) as (procs, tokens):
        yield procs, tokens["customs"]


def _submit(node: ProcessService, token: str, numbers: range) -> list[str]:
    ids = []
    for number in numbers:
        answer = httpx.post(
            f"{node.url}/api/v1/certificates",
            content=fields_json(number=number),
            headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
            timeout=30,
        )
        assert answer.status_code == 202, answer.text
        assert answer.json()["status"] == "accepted"
        ids.append(answer.json()["certificate_id"])
    return ids


def _wait_delivered(node: ProcessService, token: str, ids: list[str], *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    pending = set(ids)
    while pending and time.monotonic() < deadline:
        for certificate_id in sorted(pending):
            answer = httpx.get(
                f"{node.url}/api/v1/certificates/{certificate_id}",
                headers={"authorization": f"Bearer {token}"},
                timeout=10,
            )
            if answer.status_code == 200 and answer.json()["status"] == "delivered":
                pending.discard(certificate_id)
        time.sleep(0.3)
    assert not pending, f"not delivered: {pending}"


def _received(database: Database) -> tuple[int, int]:
    url, schema = database.service("BR")
    engine = make_engine(url=url, schema=schema)
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(node_inbound)).scalar_one()
        distinct = conn.execute(select(func.count(func.distinct(node_inbound.c.certificate_id)))).scalar_one()
    engine.dispose()
    return int(rows), int(distinct)


def test_node_down_then_back_and_hub_killed_mid_queue(
    cluster: tuple[dict[str, ProcessService], str], database: Database
) -> None:
    """Everything accepted is delivered exactly once after BR returns and after the hub is SIGKILLed."""
    procs, token = cluster
    procs["BR"].stop()
    first = _submit(procs["AR"], token, range(1, 5))
    time.sleep(1.0)  # the hub tries and fails a few times while BR is away
    procs["BR"].start()
    _wait_delivered(procs["AR"], token, first)
    assert _received(database) == (4, 4)

    procs["BR"].kill()
    second = _submit(procs["AR"], token, range(5, 9))
    procs["hub"].kill()  # accepted, queued, never delivered yet
    procs["hub"].start()
    procs["BR"].start()
    _wait_delivered(procs["AR"], token, second)
    assert _received(database) == (8, 8)
