"""The hub API: node authentication, verification and routing refusals, idempotency, trail visibility."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from network.kit import WHEN, LocalFederation, signed_cod

from singlewindow.protocol import XML, SignatureAuth
from singlewindow.protocol.states import DeliveryState

pytestmark = pytest.mark.anyio


def _as(local: LocalFederation, country: str) -> SignatureAuth:
    return SignatureAuth(key=local.pki.country(country).node.private_key, keyid=country)


async def _post(local: LocalFederation, body: bytes, *, auth: httpx.Auth | None) -> httpx.Response:
    async with local.client("hub", role=None) as hub:
        return await hub.post("/api/v1/messages", content=body, headers={"content-type": XML}, auth=auth)


def _codes(answer: httpx.Response) -> list[str]:
    return [p["code"] for p in answer.json()["problems"]]


async def _stored(local: LocalFederation) -> int:
    return sum(local.hub.store.counts().values())


async def test_accepts_then_answers_a_repeat_with_the_same_delivery_number(local: LocalFederation) -> None:
    """202 with a delivery number; the same bytes again give the same number; the trail shows it pending."""
    document = signed_cod(local.pki)
    first = await _post(local, document, auth=_as(local, "AR"))
    again = await _post(local, document, auth=_as(local, "AR"))
    assert first.status_code == again.status_code == 202, first.text
    assert first.json()["delivery"] == again.json()["delivery"] and again.json()["duplicate"] is True
    async with local.client("hub", role=None) as hub:
        trail = await hub.get(first.json()["status_url"], auth=_as(local, "BR"))  # the answer's own link
    assert trail.status_code == 200 and trail.json()["state"] == DeliveryState.PENDING.value
    message = local.hub.store.by_delivery(first.json()["delivery"])
    assert message.document == document  # the exact bytes received


async def test_other_bytes_under_the_same_certificate_id_are_a_conflict(local: LocalFederation) -> None:
    """Re-signing the same certificate makes other bytes: 409 duplicate.conflict, nothing replaced."""
    await _post(local, signed_cod(local.pki), auth=_as(local, "AR"))
    later = signed_cod(local.pki, certified=WHEN + timedelta(minutes=5))
    answer = await _post(local, later, auth=_as(local, "AR"))
    assert answer.status_code == 409 and _codes(answer) == ["duplicate.conflict"]


@pytest.mark.parametrize(
    ("auth", "code"),
    [(None, "auth.missing"), ("wrong-key", "auth.invalid"), ("unknown", "auth.invalid")],
)
async def test_unauthenticated_calls_are_refused_and_nothing_is_stored(
    local: LocalFederation, auth: str | None, code: str
) -> None:
    """No signature, a signature by another key, an unknown keyid: 401 and nothing stored."""
    signer = {
        None: None,
        "wrong-key": SignatureAuth(key=local.pki.country("BR").node.private_key, keyid="AR"),
        "unknown": SignatureAuth(key=local.pki.country("AR").node.private_key, keyid="ZZ"),
    }[auth]
    answer = await _post(local, signed_cod(local.pki), auth=signer)
    assert answer.status_code == 401 and _codes(answer) == [code]
    assert await _stored(local) == 0


async def test_a_node_cannot_send_for_another_country(local: LocalFederation) -> None:
    """UY sending AR's certificate: 403 routing.sender_mismatch."""
    answer = await _post(local, signed_cod(local.pki), auth=_as(local, "UY"))
    assert answer.status_code == 403 and "routing.sender_mismatch" in _codes(answer)
    assert await _stored(local) == 0


async def test_a_certificate_for_the_exporting_country_itself_is_refused(local: LocalFederation) -> None:
    """AR exporter, AR importer: 422 routing.same_country, nothing stored."""
    answer = await _post(local, signed_cod(local.pki, importer="AR"), auth=_as(local, "AR"))
    assert answer.status_code == 422 and "routing.same_country" in _codes(answer)
    assert await _stored(local) == 0


async def test_a_tampered_document_is_refused_with_its_problems(local: LocalFederation) -> None:
    """Changed goods after signing: 422 with signature problems, nothing stored or forwarded."""
    document = signed_cod(local.pki).replace(b"<GoodsItemName>", b"<GoodsItemName>X", 1)
    answer = await _post(local, document, auth=_as(local, "AR"))
    assert answer.status_code == 422, answer.text
    assert "signature.digest_mismatch" in _codes(answer)
    assert await _stored(local) == 0


async def test_unusable_input_is_400(local: LocalFederation) -> None:
    """Not XML at all: 400 input.not_xml."""
    answer = await _post(local, b"hello", auth=_as(local, "AR"))
    assert answer.status_code == 400 and _codes(answer) == ["input.not_xml"]


async def test_only_sender_and_receiver_see_the_trail(local: LocalFederation) -> None:
    """UY asking for AR→BR's trail gets 404 delivery.not_found, as for a number that does not exist."""
    delivery = (await _post(local, signed_cod(local.pki), auth=_as(local, "AR"))).json()["delivery"]
    async with local.client("hub", role=None) as hub:
        for country, status in (("AR", 200), ("BR", 200), ("UY", 404)):
            answer = await hub.get(f"/api/v1/messages/{delivery}", auth=_as(local, country))
            assert answer.status_code == status
        assert (await hub.get(f"/api/v1/messages/{delivery}")).status_code == 401
        assert (await hub.get("/api/v1/messages/nope", auth=_as(local, "AR"))).json()["problems"][0][
            "code"
        ] == "delivery.not_found"


async def test_federation_health_and_metrics(local: LocalFederation) -> None:
    """The trust list is served as stored; /healthz checks the database; /metrics counts by code."""
    await _post(local, b"hello", auth=_as(local, "AR"))
    async with local.client("hub", role=None) as hub:
        federation = await hub.get("/api/v1/federation")
        health = await hub.get("/healthz")
        metrics = (await hub.get("/metrics")).text
    assert federation.content == local.pki.trustlist_path.read_bytes()
    assert health.json() == {"status": "ok", "database": "ok"}
    assert 'singlewindow_hub_rejected_total{code="input.not_xml"} 1.0' in metrics
    assert "singlewindow_hub_queue_depth 0.0" in metrics
