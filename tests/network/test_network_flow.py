"""End-to-end flows through an in-process federation (hub + three nodes over ASGITransport)."""

from __future__ import annotations

import pytest
from network.kit import LocalFederation, fields_json

pytestmark = pytest.mark.anyio


async def test_json_fields_travel_to_the_importer_and_come_back_with_a_receipt(
    local: LocalFederation,
) -> None:
    """Customs JSON at AR is signed, accepted by the hub, delivered to BR, and AR sees 'delivered'."""
    async with local.client("AR") as ar:
        answer = await ar.post(
            "/api/v1/certificates", content=fields_json(), headers={"content-type": "application/json"}
        )
        assert answer.status_code == 202, answer.text
        body = answer.json()
        assert body["status"] == "accepted"
        certificate_id = body["certificate_id"]
        await local.settle()
        status = (await ar.get(f"/api/v1/certificates/{certificate_id}")).json()
    assert status["status"] == "delivered", status
    assert status["receipt"]["receipt"]["node"] == "BR"
    assert [e["status"] for e in status["trail"]] == ["submitted", "accepted", "delivered"]
    async with local.client("BR", role="official") as br:
        received = (await br.get(f"/api/v1/certificates/{certificate_id}")).json()
    assert received["status"] == "received"
    assert received["report"]["valid"] is True
