"""Harness fixtures: a tiny loopback HTTP service with /healthz, for proxies and process control."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

_ECHO = textwrap.dedent(
    """
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._answer(b"ok")

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            self._answer(self.rfile.read(length))

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
    """
)


@pytest.fixture
def echo_argv(tmp_path: Path) -> list[str]:
    """The argv of a small HTTP echo server (GET → ok, POST → the body) taking its port as argument."""
    script = tmp_path / "echo.py"
    script.write_text(_ECHO)
    return [sys.executable, str(script)]
