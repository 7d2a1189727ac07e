"""Live governance against a running federation (`singlewindow up`): each command changes, within
seconds and with the trust-list sequence increasing, what the running hub and nodes accept."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from singlewindow.cli import app
from singlewindow.cod import sample_certificate
from singlewindow.pki import Federation, generate_key, issue_leaf
from singlewindow.pki.federation import Identity
from singlewindow.pki.files import write_certificate, write_private_key
from singlewindow.pki.roles import Role
from singlewindow.protocol import SignatureAuth
from singlewindow.verification.issue import complete_and_sign

pytestmark = pytest.mark.slow
runner = CliRunner()
_number = iter(range(700_000, 800_000))


class Live:
    """The running federation: its directory, federation.json and the operator's view of its PKI."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.info: dict[str, Any] = json.loads((directory / "federation.json").read_text())
        self.hub = str(self.info["hub_url"])

    @property
    def pki(self) -> Federation:
        return Federation.load(self.directory / "pki")

    def sequence(self) -> int:
        return int(httpx.get(f"{self.hub}/api/v1/federation", timeout=10).json()["trustlist"]["sequence"])

    def send(
        self, *, official: Identity | None = None, importer: str = "BR", node_key: Any = None
    ) -> httpx.Response:
        """A COD signed by AR's exporter and ``official``, sent to the hub as AR's node."""
        pki = self.pki
        cert = sample_certificate(exporter_country="AR", importer_country=importer, number=next(_number))
        body = json.dumps(cert.model_dump(mode="json", exclude={"eh", "certification"})).encode()
        document = complete_and_sign(body, federation=pki, country="AR", official=official)
        key = node_key or pki.country("AR").node.private_key
        return httpx.post(
            f"{self.hub}/api/v1/messages",
            content=document,
            headers={"content-type": "application/xml"},
            auth=SignatureAuth(key=key, keyid="AR"),
            timeout=90,
        )

    def governance(self, *args: str) -> str:
        result = runner.invoke(app, ["federation", *args, "--dir", str(self.directory)])
        assert result.exit_code == 0, result.output
        return result.output


def _eventually(check: Callable[[], bool], *, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout}s")


def _codes(answer: httpx.Response) -> set[str]:
    return {p["code"] for p in answer.json().get("problems", [])} if answer.status_code >= 400 else set()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, aladi_dir: Path) -> Iterator[Live]:
    """`singlewindow up` (AR, BR, UY, no demo) as a process; stopped with SIGINT at the end."""
    directory = tmp_path_factory.mktemp("governed")
    out = directory / "up.out"
    env = {**os.environ, "SINGLEWINDOW_SCHEMA_DIRS": str(aladi_dir), "COLUMNS": "200"}
    with out.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "singlewindow",
                "up",
                "--dir",
                str(directory),
                "--no-demo",
                "--base-port",
                "0",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        _eventually(lambda: "press Ctrl-C" in out.read_text(errors="replace"), timeout=180)
        yield Live(directory)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def test_homes_are_named_in_federation_json(live: Live) -> None:
    """federation.json names the home each service was started with; the hub serves a signed list."""
    assert Path(live.info["hub_home"]) == live.directory / "pki" / "hub"
    assert Path(live.info["nodes"]["AR"]["home"]) == live.directory / "pki" / "AR" / "node"
    document = httpx.get(f"{live.hub}/api/v1/federation", timeout=10).json()
    assert sorted(document["signature"]) == ["alg", "keyid", "value"]
    assert live.send().status_code == 202


def test_disable_and_enable_an_official(live: Live) -> None:
    """disable → registry answer 05 at the hub within seconds; enable → accepted again."""
    pem = str(live.directory / "pki" / "AR" / "entities" / "001" / "official-active.pem")
    before = live.sequence()
    live.governance("official", "disable", "--country", "AR", "--certificate", pem)
    assert live.sequence() == before + 1
    _eventually(lambda: "registry.05" in _codes(live.send()))
    live.governance("official", "enable", "--country", "AR", "--certificate", pem)
    assert live.sequence() == before + 2
    _eventually(lambda: live.send().status_code == 202)


def test_add_then_revoke_an_official(live: Live) -> None:
    """A new official is refused (04) until added, accepted after; revoked, refused again."""
    pki = live.pki
    ar = pki.country("AR")
    key = generate_key(algorithm="rsa")
    now = datetime.now(UTC)
    certificate = issue_leaf(
        public_key=key.public_key(),
        issuer_key=ar.ca.private_key,
        issuer_certificate=ar.root_ca,
        common_name="Funcionaria Nueva AR",
        country="AR",
        organization=pki.trustlist.countries["AR"].entities["001"].name,
        subject_serial="AR-001-0099",
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=365),
        crl_uri="http://localhost:8000/api/v1/crls/AR",
        roles=(Role.OFFICIAL,),
    )
    pem = live.directory / "new-official.pem"
    write_certificate(pem, certificate)
    write_private_key(pem.with_suffix(".key"), key)
    official = Identity.load(cert_path=pem)
    assert "registry.04" in _codes(live.send(official=official))
    before = live.sequence()
    live.governance("official", "add", "--country", "AR", "--certificate", str(pem), "--entity", "001")
    assert live.sequence() == before + 1
    _eventually(lambda: live.send(official=official).status_code == 202)
    live.governance(
        "official", "revoke", "--country", "AR", "--certificate", str(pem), "--reason", "keyCompromise"
    )
    assert live.sequence() == before + 2
    crl = httpx.get(f"{live.hub}/api/v1/crls/AR", timeout=10)
    assert crl.headers["content-type"] == "application/pkix-crl"
    _eventually(lambda: live.send(official=official).status_code == 422)


def test_rotate_the_node_key(live: Live) -> None:
    """After rotate-key the hub refuses the old node key and takes the new one; the node keeps working."""
    old = live.pki.country("AR").node.private_key
    before = live.sequence()
    live.governance("node", "rotate-key", "--country", "AR")
    assert live.sequence() == before + 1
    assert live.send(node_key=old).status_code == 401
    assert live.send().status_code == 202
    # the running AR node picks its new key up with the trust list and submits through the hub again
    node = live.info["nodes"]["AR"]
    headers = {"authorization": f"Bearer {node['customs_token']}"}
    cert = sample_certificate(exporter_country="AR", importer_country="UY", number=next(_number))

    def delivered() -> bool:
        answer = httpx.post(
            f"{node['url']}/api/v1/certificates",
            json=cert.model_dump(mode="json", exclude={"eh", "certification"}),
            headers=headers,
            timeout=90,
        )
        return answer.status_code in (200, 202) and answer.json().get("status") != "submitted"

    _eventually(delivered)


def test_add_a_country(live: Live) -> None:
    """country add: the running hub routes to the new member at once; its node home is ready for `up`."""
    assert "routing.unknown_destination" in _codes(live.send(importer="PY"))
    before = live.sequence()
    live.governance("country", "add", "--country", "PY")
    assert live.sequence() == before + 1
    _eventually(lambda: live.send(importer="PY").status_code == 202)
    home = live.directory / "pki" / "PY" / "node"
    assert (home / "node.key").is_file() and (home / "trustlist.json").is_file()


def test_country_policy_changes_what_the_running_hub_accepts(live: Live) -> None:
    """country policy: BR taking only 4.1.0 makes the hub refuse a 2.0.0 COD; `--accepts all` lifts it."""
    before = live.sequence()
    live.governance("country", "policy", "--country", "BR", "--accepts", "4.1.0")
    assert live.sequence() == before + 1
    _eventually(lambda: "routing.version_not_accepted" in _codes(live.send()))
    live.governance("country", "policy", "--country", "BR", "--accepts", "all")
    assert live.sequence() == before + 2
    _eventually(lambda: live.send().status_code == 202)
