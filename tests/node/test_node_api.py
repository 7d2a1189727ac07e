"""The node: roles, inbound deliveries only from the hub, receipts, outages, failure and replay."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import httpx
import pytest
from network.kit import WHEN, LocalFederation, fields_json, signed_cod

from singlewindow.cod import CertificateID, from_element, sample_certificate, to_bytes
from singlewindow.protocol import (
    ACCEPTED_AT_HEADER,
    CERTIFICATE_HEADER,
    DELIVERY_COVERS,
    DELIVERY_HEADER,
    XML,
    SignatureAuth,
    verify_receipt,
)
from singlewindow.protocol.states import DeliveryState
from singlewindow.verification import complete_and_sign
from singlewindow.xmlsec import parse_xml

pytestmark = pytest.mark.anyio
JSON = {"content-type": "application/json"}
XML_HEADERS = {"content-type": "application/xml"}


async def test_roles(local: LocalFederation) -> None:
    """No token 401, unknown token 401, official submitting 403, customs verifying 403."""
    body = fields_json()
    async with local.client("AR", role=None) as anonymous:
        answer = await anonymous.post("/api/v1/certificates", content=body, headers=JSON)
        assert answer.status_code == 401 and answer.json()["problems"][0]["code"] == "auth.missing"
        bad = {**JSON, "authorization": "Bearer not-a-known-token-at-all"}
        answer = await anonymous.post("/api/v1/certificates", content=body, headers=bad)
        assert answer.status_code == 401 and answer.json()["problems"][0]["code"] == "auth.invalid"
    async with local.client("AR", role="official") as official:
        answer = await official.post("/api/v1/certificates", content=body, headers=JSON)
        assert answer.status_code == 403 and answer.json()["problems"][0]["code"] == "auth.forbidden"
    async with local.client("AR", role="customs") as customs:
        assert (await customs.post("/api/v1/verify", content=signed_cod(local.pki))).status_code == 403
    assert local.node("AR").store.outbound_due(now=local.node("AR").clock()) == []


async def test_officials_verify_a_file(local: LocalFederation) -> None:
    """POST /api/v1/verify: a report for good and tampered files; unreadable input is 400."""
    async with local.client("BR", role="official") as official:
        good = (await official.post("/api/v1/verify", content=signed_cod(local.pki))).json()
        bad = (
            await official.post(
                "/api/v1/verify",
                content=signed_cod(local.pki).replace(b"<GoodsItemName>", b"<GoodsItemName>X", 1),
            )
        ).json()
        junk = await official.post("/api/v1/verify", content=b"nope")
    assert good["valid"] is True and bad["valid"] is False and junk.status_code == 400


async def test_customs_submission_is_idempotent(local: LocalFederation) -> None:
    """The same JSON twice gives the same CertificateID and one hub message."""
    async with local.client("AR") as customs:
        first = await customs.post("/api/v1/certificates", content=fields_json(), headers=JSON)
        again = await customs.post("/api/v1/certificates", content=fields_json(), headers=JSON)
        status = await customs.get(first.json()["status_url"])  # the answer's own link
    assert first.status_code == 202 and again.status_code == 200
    assert first.json()["certificate_id"] == again.json()["certificate_id"]
    assert status.status_code == 200 and status.json()["certificate_id"] == first.json()["certificate_id"]
    assert sum(local.hub.store.counts().values()) == 1


async def test_a_delivery_not_from_the_hub_is_refused(local: LocalFederation) -> None:
    """AR's node key posting straight to BR's inbound: 401 delivery.not_from_hub, nothing stored."""
    document = signed_cod(local.pki)
    headers = {
        "content-type": XML,
        DELIVERY_HEADER: "forged",
        CERTIFICATE_HEADER: "AR001A18260000000100",
        ACCEPTED_AT_HEADER: datetime.now(UTC).isoformat(),
    }
    forger = SignatureAuth(key=local.pki.country("AR").node.private_key, keyid="hub", cover=DELIVERY_COVERS)
    async with local.client("BR", role=None) as client:
        for auth in (None, forger):
            answer = await client.post("/api/v1/inbound", content=document, headers=headers, auth=auth)
            assert answer.status_code == 401
            assert answer.json()["problems"][0]["code"] == "delivery.not_from_hub"
    assert local.node("BR").store.count_inbound() == 0


async def test_a_repeated_delivery_gets_the_same_receipt(local: LocalFederation) -> None:
    """The hub pushing the same delivery twice: one stored copy, byte-identical receipts, valid signature."""
    document = signed_cod(local.pki)
    certificate_id = document.split(b"<CertificateID>")[1].split(b"<")[0].decode()
    headers = {
        "content-type": XML,
        DELIVERY_HEADER: "d-1",
        CERTIFICATE_HEADER: certificate_id,
        ACCEPTED_AT_HEADER: datetime.now(UTC).isoformat(),
    }
    hub = SignatureAuth(key=local.pki.hub.private_key, keyid="hub", cover=DELIVERY_COVERS)
    async with local.client("BR", role=None) as client:
        first = await client.post("/api/v1/inbound", content=document, headers=headers, auth=hub)
        again = await client.post("/api/v1/inbound", content=document, headers=headers, auth=hub)
        elsewhere = await local.client("UY", role=None).post(
            "/api/v1/inbound", content=document, headers=headers, auth=hub
        )
    assert first.status_code == 200 and first.content == again.content
    receipt = verify_receipt(
        first.content,
        certificate=local.pki.country("BR").node.certificate,
        delivery="d-1",
        sha256=hashlib.sha256(document).hexdigest(),
        node="BR",
    )
    assert receipt.certificate_id == certificate_id
    assert local.node("BR").store.count_inbound() == 1
    assert elsewhere.status_code == 422 and local.node("UY").store.count_inbound() == 0


async def test_destination_down_then_back_delivers_each_exactly_once(local: LocalFederation) -> None:
    """Three certificates while BR is down fail their first attempts, then arrive once each."""
    local.switch.down.add("br.node")
    async with local.client("AR") as customs:
        ids = [
            (await customs.post("/api/v1/certificates", content=fields_json(number=n), headers=JSON)).json()[
                "certificate_id"
            ]
            for n in range(1, 4)
        ]
    await local.hub.worker.run_once()
    assert local.hub.store.counts()[DeliveryState.PENDING] == 3
    local.switch.down.discard("br.node")
    await local.settle(rounds=6)
    assert local.hub.store.counts()[DeliveryState.DELIVERED] == 3
    assert local.node("BR").store.count_inbound() == 3
    for certificate_id in ids:
        assert local.node("AR").store.outbound(certificate_id).status.value == "delivered"


async def test_failed_after_the_retry_budget_then_replayed(local: LocalFederation) -> None:
    """After max_attempts the delivery is FailedDelivery (status failed); replay delivers it."""
    local.switch.down.add("br.node")
    async with local.client("AR") as customs:
        certificate_id = (
            await customs.post("/api/v1/certificates", content=fields_json(), headers=JSON)
        ).json()["certificate_id"]
    await local.settle(rounds=5)
    message = local.hub.store.by_certificate(certificate_id)
    assert message.state is DeliveryState.FAILED and message.attempts == 3
    async with local.client("AR") as customs:
        status = (await customs.get(f"/api/v1/certificates/{certificate_id}")).json()
    assert status["status"] == "failed"
    local.switch.down.discard("br.node")
    local.hub.store.replay(delivery=message.delivery, now=local.hub.clock())
    await local.settle(rounds=2)
    assert local.hub.store.by_certificate(certificate_id).state is DeliveryState.DELIVERED
    assert local.node("BR").store.count_inbound() == 1


async def test_wrong_receipt_is_not_accepted(local: LocalFederation) -> None:
    """A delivery answered by the wrong node is never marked delivered."""
    async with local.client("AR") as customs:
        await customs.post("/api/v1/certificates", content=fields_json(), headers=JSON)
    # BR's traffic is answered by UY's app: a valid-looking receipt signed by the wrong node
    local.switch.apps["br.node"] = httpx.ASGITransport(app=local.apps["UY"])
    await local.hub.worker.run_once()
    events = [e.event for e in local.hub.store.trail(message_id=1)]
    assert local.hub.store.counts()[DeliveryState.DELIVERED] == 0
    assert events[-1] in {"refused_by_destination", "receipt_invalid"}


async def test_a_request_is_never_numbered_with_a_certificate_id_another_document_holds(
    local: LocalFederation,
) -> None:
    """JSON named the CertificateID a stage-1 request would be numbered with: the request gets the next."""
    request = to_bytes(sample_certificate(number=7, when=WHEN), stage="request")
    # the number the node derives from this request, learnt by numbering it the same way offline
    offline = complete_and_sign(request, federation=local.pki, country="AR", now=WHEN)
    certification = from_element(parse_xml(offline)).certification
    assert certification is not None
    wanted = certification.certificate_id
    other = sample_certificate(number=8, when=WHEN)
    assert other.certification is not None
    other = other.model_copy(
        update={"certification": other.certification.model_copy(update={"certificate_id": wanted})}
    )
    async with local.client("AR") as customs:
        named = await customs.post("/api/v1/certificates", content=other.model_dump_json(), headers=JSON)
        numbered = await customs.post("/api/v1/certificates", content=request, headers=XML_HEADERS)
        again = await customs.post("/api/v1/certificates", content=request, headers=XML_HEADERS)
    assert named.status_code == 202 and named.json()["certificate_id"] == str(wanted), named.text
    assert numbered.status_code == 202, numbered.text
    given = CertificateID.parse(numbered.json()["certificate_id"])
    assert given.number == f"{(int(wanted.number) + 1) % 100_000_000:08d}"
    assert again.status_code == 200 and again.json()["certificate_id"] == str(given)  # still idempotent
    assert sum(local.hub.store.counts().values()) == 2
