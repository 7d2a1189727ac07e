"""Services started from a copy of their own home alone, and the hub's guard over its trust list."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from network.kit import Database, fields_json
from network.processes import running_hub_and_nodes

from singlewindow.harness.services import ProcessService
from singlewindow.pki import Federation
from singlewindow.pki.signed import next_version, sign_trustlist

pytestmark = pytest.mark.slow


@pytest.fixture
def from_homes(
    federation: Federation, database: Database, aladi_dir: Path, tmp_path: Path
) -> Iterator[tuple[dict[str, ProcessService], str]]:
    """Hub, AR and BR as processes, each given only a copy of its own home in an empty directory."""
    homes = {
        "hub": shutil.copytree(federation.hub_home, tmp_path / "hub-home"),
        "AR": shutil.copytree(federation.country("AR").node_home, tmp_path / "ar-home"),
        "BR": shutil.copytree(federation.country("BR").node_home, tmp_path / "br-home"),
    }
    with running_hub_and_nodes(
        pki=homes, service_database=database.service, schema_dirs=str(aladi_dir), root=tmp_path
    ) as (procs, tokens):
        yield procs, tokens["customs"]


def test_services_work_from_their_own_home_only(
    from_homes: tuple[dict[str, ProcessService], str], federation: Federation
) -> None:
    """A certificate goes AR → BR through services that were each given only a copy of their home."""
    procs, token = from_homes
    headers = {"authorization": f"Bearer {token}"}
    answer = httpx.post(
        f"{procs['AR'].url}/api/v1/certificates",
        content=fields_json(number=4242),
        headers={**headers, "content-type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    certificate_id = answer.json()["certificate_id"]
    deadline = time.monotonic() + 60
    status = ""
    while time.monotonic() < deadline and status != "delivered":
        status = httpx.get(
            f"{procs['AR'].url}/api/v1/certificates/{certificate_id}", headers=headers, timeout=10
        ).json()["status"]
        time.sleep(0.3)
    assert status == "delivered"

    # the hub guards its trust list: a forged signature or an older sequence is refused
    hub = procs["hub"].url
    current = httpx.get(f"{hub}/api/v1/federation", timeout=10).content
    forged = sign_trustlist(
        trustlist=next_version(federation.trustlist),
        key=federation.hub.private_key,
        certificate=federation.operator.certificate,
    )
    refused = httpx.put(f"{hub}/api/v1/federation", content=forged, timeout=10)
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["code"] == "trustlist.signature_invalid"
    operator = federation.operator
    newer = sign_trustlist(
        trustlist=next_version(federation.trustlist),
        key=operator.private_key,
        certificate=operator.certificate,
    )
    taken = httpx.put(f"{hub}/api/v1/federation", content=newer, timeout=10)
    assert taken.status_code == 200 and taken.json() == {"sequence": 2, "adopted": True}
    rollback = httpx.put(f"{hub}/api/v1/federation", content=current, timeout=10)
    assert rollback.status_code == 409
    assert rollback.json()["problems"][0]["code"] == "trustlist.rollback"
    assert json.loads(httpx.get(f"{hub}/api/v1/federation", timeout=10).content)["trustlist"]["sequence"] == 2
    # the last good copy is kept in the hub's home
    assert (
        json.loads((Path(procs["hub"].argv[-1]) / "trustlist.json").read_bytes())["trustlist"]["sequence"]
        == 2
    )
