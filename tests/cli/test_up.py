"""``singlewindow up``: the demo federation as real processes, end to end, and a clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def _wait_for(path: Path, text: str, *, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = path.read_text(errors="replace") if path.exists() else ""
        if text in content:
            return content
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not seen in {timeout}s:\n{path.read_text(errors='replace')[-3000:]}")


def test_up_delivers_the_demo_certificate_and_stops_every_child(tmp_path: Path, aladi_dir: Path) -> None:
    """`up` starts hub + AR/BR/UY, shows the demo delivered, writes federation.json, stops on SIGINT."""
    out = tmp_path / "up.out"
    env = {**os.environ, "SINGLEWINDOW_SCHEMA_DIRS": str(aladi_dir), "COLUMNS": "200"}
    with out.open("wb") as sink:
        process = subprocess.Popen(
            # free ports: the fixed defaults may be taken by a `make run` on the same machine
            [sys.executable, "-m", "singlewindow", "up", "--dir", str(tmp_path / "fed"), "--base-port", "0"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        content = _wait_for(out, "press Ctrl-C", timeout=120)
        assert ": delivered" in content
        assert "signed receipt" in content
        receipt = content.split("signed receipt: ", 1)[1].splitlines()[0]
        assert isinstance(json.loads(receipt), dict)  # JSON, not a Python dict
        federation = json.loads((tmp_path / "fed" / "federation.json").read_text())
        assert set(federation["nodes"]) == {"AR", "BR", "UY"}
        assert {"url", "customs_token", "official_token"} <= set(federation["nodes"]["BR"])
        assert oct((tmp_path / "fed" / "federation.json").stat().st_mode & 0o777) == "0o600"
        hub = httpx.get(f"{federation['hub_url']}/healthz", timeout=5)
        assert hub.status_code == 200
        br = federation["nodes"]["BR"]
        certificate_id = content.split("certificate_id=")[1].split()[0]
        seen = httpx.get(
            f"{br['url']}/api/v1/certificates/{certificate_id}",
            headers={"authorization": f"Bearer {br['official_token']}"},
            timeout=5,
        )
        assert seen.status_code == 200 and seen.json()["report"]["valid"] is True
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    assert "stopped." in out.read_text()
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{federation['hub_url']}/healthz", timeout=2)


def test_up_ports_are_fixed_so_links_survive_a_restart(tmp_path: Path) -> None:
    """The hub takes the base port and the nodes the next ones in order, the same at every start."""
    from singlewindow.demo import DEFAULT_BASE_PORT, LocalFederation

    federation = LocalFederation(directory=tmp_path, countries=("AR", "BR", "UY"))
    assert DEFAULT_BASE_PORT == 8700
    assert federation.ports() == {"hub": 8700, "AR": 8701, "BR": 8702, "UY": 8703}
    assert federation.ports(base_port=9100) == federation.ports(base_port=9100)
    assert federation.ports(base_port=9100)["UY"] == 9103


def test_ports_a_stopped_federation_left_in_time_wait_are_not_busy(tmp_path: Path) -> None:
    """Right after Ctrl-C the hub's port still has connections in TIME_WAIT: `up` may start again;
    a port something listens on is busy."""
    import socket

    from singlewindow.demo import LocalFederation
    from singlewindow.harness.ports import free_port

    base = free_port()
    federation = LocalFederation(directory=tmp_path, countries=("AR", "BR"))
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", base))
        server.listen()
        with socket.create_connection(("127.0.0.1", base)) as client:
            accepted, _ = server.accept()
            accepted.close()  # the server side closes first: its end waits in TIME_WAIT
            client.recv(1)
        assert federation.busy_ports(base_port=base) == [base]  # listening: busy
    assert base not in federation.busy_ports(base_port=base)  # only TIME_WAIT left: free again


def test_a_refused_demo_certificate_shows_why_not_an_empty_trail() -> None:
    """A demo certificate refused by the node prints the refusal and its problems, not "Certificate ?"."""
    from rich.console import Console

    from singlewindow.cli.up import _show_status

    out = Console(record=True, width=200)
    answer = {"problems": [{"code": "schema.invalid", "message": "line 3: bad", "path": "/Envelope"}]}
    _show_status({"status": "rejected", "http_status": 422, "answer": answer}, out=out)
    text = out.export_text()
    assert "Certificate ?" not in text
    assert "refused (HTTP 422)" in text and "error schema.invalid line 3: bad (/Envelope)" in text
