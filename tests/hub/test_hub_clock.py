"""The hub judges request signatures by its own clock (the ``clock`` given to ``create_app``)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from network.kit import LocalFederation, signed_cod

from singlewindow.hub import create_app
from singlewindow.protocol import XML, SignatureAuth
from singlewindow.storage import utcnow

pytestmark = pytest.mark.anyio


async def _submit_to_skewed_hub(local: LocalFederation, skew: timedelta) -> httpx.Response:
    """POST a COD signed by AR now to a hub whose clock is ``skew`` ahead."""
    app = create_app(local.hub_settings(), verify=local.verify, clock=lambda: utcnow() + skew)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as hub:
            return await hub.post(
                "/api/v1/messages",
                content=signed_cod(local.pki),
                headers={"content-type": XML},
                auth=SignatureAuth(key=local.pki.country("AR").node.private_key, keyid="AR"),
            )


async def test_signature_older_than_max_age_by_the_hub_clock_is_refused(local: LocalFederation) -> None:
    """A hub clock ahead by more than signature_max_age refuses a fresh signature: 401 auth.invalid."""
    skew = timedelta(seconds=local.hub_settings().signature_max_age + 60)
    answer = await _submit_to_skewed_hub(local, skew)
    assert answer.status_code == 401, answer.text
    assert [p["code"] for p in answer.json()["problems"]] == ["auth.invalid"]
    assert sum(local.hub.store.counts().values()) == 0


async def test_skew_within_max_age_is_tolerated(local: LocalFederation) -> None:
    """A hub clock a minute ahead still accepts the same submission (202)."""
    answer = await _submit_to_skewed_hub(local, timedelta(seconds=60))
    assert answer.status_code == 202, answer.text
