"""Sessions of the page in the real node app: withdrawing a token (restart without it) ends its sessions."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from singlewindow.config import NodeSettings, TokenConfig
from singlewindow.node import create_app

OFFICIAL = "br-node-official-token-0123456789"
OTHER = "br-node-other-official-token-0123456789"
SECRET = "node-sessions-test-secret-0123456789"


def _node(
    federation: Any, aladi_dir: Path, database: Path, tokens: list[TokenConfig], **options: Any
) -> FastAPI:
    settings = NodeSettings(
        pki=federation.directory,
        schema_dirs=str(aladi_dir),
        country="BR",
        database_url=f"sqlite:///{database}",
        hub_url="http://127.0.0.1:9",
        session_secret=SECRET,  # type: ignore[arg-type]
        tokens=tokens,
        **options,
    )
    return create_app(settings, background=False)


async def _sign_in(http: httpx.AsyncClient, token: str) -> str:
    form = await http.get("/verify/sign-in")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    answer = await http.post(
        "/verify/sign-in", data={"token": token, "next": "/verify", "csrf_token": csrf.group(1)}
    )
    assert answer.status_code == 303, answer.text
    cookie = http.cookies.get("sw_session")
    assert cookie
    return cookie


async def _opens(app: FastAPI, cookie: str) -> bool:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://node-br.test") as http:
        answer = await http.get("/verify", headers={"cookie": f"sw_session={cookie}"})
    return answer.status_code == 200


@pytest.mark.anyio
async def test_withdrawn_token_ends_sessions_and_sign_out_ends_one(
    federation: Any, aladi_dir: Path, tmp_path: Path
) -> None:
    """A restart without Ana's token refuses her session but keeps Rui's; Rui's sign-out ends his."""
    database = tmp_path / "br.db"
    ana = TokenConfig(name="Ana Souza", role="official", token=OFFICIAL)
    rui = TokenConfig(name="Rui Costa", role="official", token=OTHER)
    first = _node(federation, aladi_dir, database, [ana, rui])
    async with first.router.lifespan_context(first):
        transport = httpx.ASGITransport(app=first)
        async with httpx.AsyncClient(transport=transport, base_url="http://node-br.test") as http:
            ana_cookie = await _sign_in(http, OFFICIAL)
        async with httpx.AsyncClient(transport=transport, base_url="http://node-br.test") as http:
            rui_cookie = await _sign_in(http, OTHER)
            assert await _opens(first, ana_cookie) and await _opens(first, rui_cookie)
    second = _node(federation, aladi_dir, database, [rui])
    async with second.router.lifespan_context(second):
        assert not await _opens(second, ana_cookie)
        assert await _opens(second, rui_cookie)
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(transport=transport, base_url="http://node-br.test") as http:
            http.cookies.set("sw_session", rui_cookie, domain="node-br.test", path="/verify")
            page = await http.get("/verify")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert csrf is not None
            assert (
                await http.post("/verify/sign-out", data={"csrf_token": csrf.group(1)})
            ).status_code == 303
        assert not await _opens(second, rui_cookie)


@pytest.mark.anyio
@pytest.mark.parametrize(("zone", "offset"), [(None, "UTC+00:00"), ("America/Montevideo", "UTC-03:00")])
async def test_the_page_shows_times_in_the_nodes_time_zone(
    federation: Any,
    aladi_dir: Path,
    tmp_path: Path,
    signed_documents: dict[str, bytes],
    zone: str | None,
    offset: str,
) -> None:
    """SINGLEWINDOW_NODE_TIME_ZONE: every time of an upload's result in that zone, with its offset."""
    official = TokenConfig(name="Ana Souza", role="official", token=OFFICIAL)
    options = {"time_zone": zone} if zone else {}
    app = _node(federation, aladi_dir, tmp_path / "br.db", [official], **options)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://node-br.test") as http:
            await _sign_in(http, OFFICIAL)
            page = await http.get("/verify")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert csrf is not None
            files = {"file": ("certificate.xml", signed_documents["genuine"], "application/xml")}
            answer = await http.post("/verify", data={"csrf_token": csrf.group(1)}, files=files)
    assert answer.status_code == 200, answer.text
    shown = set(re.findall(r"UTC[+-]\d\d:\d\d", answer.text))
    assert shown == {offset}, shown


def test_an_unknown_time_zone_stops_the_node_at_start(
    federation: Any, aladi_dir: Path, tmp_path: Path
) -> None:
    """A misspelt zone is a configuration error naming the setting, not a page in UTC."""
    official = TokenConfig(name="Ana Souza", role="official", token=OFFICIAL)
    with pytest.raises(ValueError, match="unknown time zone 'America/Montevidoe'"):
        _node(federation, aladi_dir, tmp_path / "br.db", [official], time_zone="America/Montevidoe")
