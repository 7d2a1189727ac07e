"""Stage-3 intake: an issuing platform posts a COD already signed by both parties; the node transmits it."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from lxml import etree
from network.kit import LocalFederation, signed_cod

from singlewindow.protocol.states import DeliveryState

pytestmark = pytest.mark.anyio
XML_BODY = {"content-type": "application/xml"}


async def _submit(local: LocalFederation, country: str, body: bytes) -> httpx.Response:
    async with local.client(country) as customs:
        return await customs.post("/api/v1/certificates", content=body, headers=XML_BODY)


def _codes(answer: httpx.Response) -> set[str]:
    return {p["code"] for p in answer.json()["problems"]}


async def test_a_platform_signed_cod_is_transmitted_byte_for_byte(local: LocalFederation) -> None:
    """202; the hub and the importing node hold exactly the bytes the platform signed."""
    document = signed_cod(local.pki, number=31)
    answer = await _submit(local, "AR", document)
    assert answer.status_code == 202, answer.text
    digest = hashlib.sha256(document).hexdigest()
    assert answer.json()["sha256"] == digest
    await local.settle(rounds=3)
    message = local.hub.store.by_certificate(answer.json()["certificate_id"])
    assert message.document == document and message.state is DeliveryState.DELIVERED
    received = local.node("BR").store.inbound_for(answer.json()["certificate_id"])
    assert received is not None and received.document == document


async def test_each_service_parses_the_document_once(
    local: LocalFederation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exporting node, the hub and the importing node each build one tree of the COD's bytes."""
    document = signed_cod(local.pki, number=32)
    parses: list[bytes] = []
    fromstring = etree.fromstring

    def counted(text: object, *args: object, **kwargs: object) -> object:
        if text == document:
            parses.append(text)
        return fromstring(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(etree, "fromstring", counted)
    answer = await _submit(local, "AR", document)
    assert answer.status_code == 202, answer.text
    assert len(parses) == 2  # the exporting node, then the hub (the node submits within the request)
    await local.settle(rounds=3)
    assert len(parses) == 3  # the importing node
    received = local.node("BR").store.inbound_for(answer.json()["certificate_id"])
    assert received is not None and received.document == document


async def test_a_tampered_platform_cod_is_refused_before_the_hub(local: LocalFederation) -> None:
    """Goods changed after signing: 422 signature.digest_mismatch; the hub never sees it."""
    document = signed_cod(local.pki, number=32).replace(b"<GoodsItemName>", b"<GoodsItemName>X", 1)
    answer = await _submit(local, "AR", document)
    assert answer.status_code == 422 and "signature.digest_mismatch" in _codes(answer), answer.text
    assert sum(local.hub.store.counts().values()) == 0


async def test_another_countrys_signed_cod_is_refused(local: LocalFederation) -> None:
    """A COD issued in BR posted to the AR node: 403 routing.sender_mismatch, nothing sent."""
    document = signed_cod(local.pki, exporter="BR", importer="AR", number=33)
    answer = await _submit(local, "AR", document)
    assert answer.status_code == 403 and _codes(answer) == {"routing.sender_mismatch"}, answer.text
    assert sum(local.hub.store.counts().values()) == 0


async def test_a_repeat_of_the_same_platform_cod_is_a_duplicate(local: LocalFederation) -> None:
    """The same signed bytes twice: 202 then 200 duplicate with the same delivery."""
    document = signed_cod(local.pki, number=34)
    first = await _submit(local, "AR", document)
    again = await _submit(local, "AR", document)
    assert first.status_code == 202 and again.status_code == 200, again.text
    assert again.json()["duplicate"] is True and again.json()["delivery"] == first.json()["delivery"]
