"""Lifecycle end to end: cancellations and rectifications from customs via the hub to the importer."""

from __future__ import annotations

import dataclasses
import json

import httpx
import pytest
from lxml import etree
from network.kit import WHEN, LocalFederation, fields_json

from singlewindow.cod import CertificateID, sample_certificate, to_element
from singlewindow.lifecycle import issue_cancellation
from singlewindow.pki import Federation
from singlewindow.protocol import XML, SignatureAuth
from singlewindow.protocol.states import DeliveryState
from singlewindow.storage import CANCELLATION
from singlewindow.xmlsec import serialize, sign_exporter, sign_official

pytestmark = pytest.mark.anyio
JSON = {"content-type": "application/json"}


def _codes(answer: httpx.Response) -> list[str]:
    return [p["code"] for p in answer.json()["problems"]]


def rectified_cod(federation: Federation, *, number: int, rectification: int) -> bytes:
    """A complete AR→BR COD signed by AR's exporter and official, with the given rectification code."""
    cert = sample_certificate(number=number, when=WHEN)
    assert cert.certification is not None
    cid = dataclasses.replace(
        CertificateID.parse(str(cert.certification.certificate_id)), rectification=rectification
    )
    cert = cert.model_copy(
        update={"certification": cert.certification.model_copy(update={"certificate_id": cid})}
    )
    pki = federation.country("AR")
    root = to_element(cert, stage="complete")
    etree.indent(root, space="  ")
    sign_exporter(root, key=pki.exporter.private_key, certificate=pki.exporter.certificate)
    sign_official(root, key=pki.official.private_key, certificate=pki.official.certificate)
    return bytes(serialize(root))


async def _submit_and_deliver(local: LocalFederation, number: int = 1) -> str:
    async with local.client("AR") as customs:
        answer = await customs.post("/api/v1/certificates", content=fields_json(number=number), headers=JSON)
    assert answer.status_code == 202, answer.text
    await local.settle(rounds=3)
    certificate_id: str = answer.json()["certificate_id"]
    return certificate_id


async def _hub_post(local: LocalFederation, body: bytes, country: str) -> httpx.Response:
    auth = SignatureAuth(key=local.pki.country(country).node.private_key, keyid=country)
    async with local.client("hub", role=None) as hub:
        return await hub.post("/api/v1/messages", content=body, headers={"content-type": XML}, auth=auth)


async def test_cancellation_reaches_the_importing_node(local: LocalFederation) -> None:
    """Customs cancels a delivered certificate; the hub delivers it with a receipt; BR shows it cancelled."""
    certificate_id = await _submit_and_deliver(local)
    reason = json.dumps({"reason": "issued in error", "code": "ERROR"})
    async with local.client("AR") as customs:
        answer = await customs.post(f"/api/v1/certificates/{certificate_id}/cancel", content=reason)
        again = await customs.post(f"/api/v1/certificates/{certificate_id}/cancel", content=reason)
        other = await customs.post(
            f"/api/v1/certificates/{certificate_id}/cancel", content=json.dumps({"reason": "changed mind"})
        )
    assert answer.status_code == 202, answer.text
    assert answer.json()["cancellation"]["status"] == "accepted"
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert other.status_code == 409 and _codes(other) == ["duplicate.conflict"]
    await local.settle(rounds=3)
    message = local.hub.store.by_certificate(certificate_id, kind=CANCELLATION)
    assert message.state is DeliveryState.DELIVERED and message.receipt is not None
    async with local.client("BR", role="official") as official:
        status = (await official.get(f"/api/v1/certificates/{certificate_id}")).json()
    assert status["status"] == "cancelled"
    assert status["lifecycle"]["reason"] == "issued in error"
    assert status["trail"][-1]["status"] == "cancelled"
    async with local.client("AR") as customs:
        mine = (await customs.get(f"/api/v1/certificates/{certificate_id}")).json()
    assert mine["status"] == "cancelled" and mine["delivery_status"] == "delivered"
    assert mine["cancellation"]["status"] == "delivered"


async def test_customs_cancel_refusals(local: LocalFederation) -> None:
    """Unknown certificate 404, another country's certificate 403, an official's token 403, no reason 400."""
    certificate_id = await _submit_and_deliver(local)
    body = json.dumps({"reason": "wrong goods"})
    async with local.client("AR") as customs:
        unknown = await customs.post("/api/v1/certificates/AR001A18990000009900/cancel", content=body)
        foreign = await customs.post("/api/v1/certificates/BR001A18260000000100/cancel", content=body)
        empty = await customs.post(f"/api/v1/certificates/{certificate_id}/cancel", content="{}")
    async with local.client("AR", role="official") as official:
        wrong_role = await official.post(f"/api/v1/certificates/{certificate_id}/cancel", content=body)
    assert unknown.status_code == 404 and _codes(unknown) == ["lifecycle.unknown_certificate"]
    assert foreign.status_code == 403 and _codes(foreign) == ["lifecycle.not_issuer"]
    assert empty.status_code == 400 and _codes(empty) == ["input.invalid_fields"]
    assert wrong_role.status_code == 403 and _codes(wrong_role) == ["auth.forbidden"]
    assert local.hub.store.by_certificate(certificate_id, kind=CANCELLATION) is None


async def test_hub_refuses_a_cancellation_not_signed_by_an_official(local: LocalFederation) -> None:
    """Signed with the exporter's key: 403 lifecycle.not_issuer; nothing is stored or delivered."""
    certificate_id = await _submit_and_deliver(local)
    forged = issue_cancellation(
        certificate_id=certificate_id,
        importer_country="BR",
        reason="forged",
        when=WHEN,
        official=local.pki.country("AR").exporter,
    )
    answer = await _hub_post(local, forged, "AR")
    assert answer.status_code == 403 and "lifecycle.not_issuer" in _codes(answer)
    assert local.hub.store.by_certificate(certificate_id, kind=CANCELLATION) is None


async def test_hub_refuses_cancellations_of_unknown_or_foreign_certificates(local: LocalFederation) -> None:
    """An official's cancellation of a certificate the hub never routed is 422; sent by BR it is 403."""
    certificate_id = await _submit_and_deliver(local)
    official = local.pki.country("AR").official
    unknown = issue_cancellation(
        certificate_id=certificate_id[:10] + "99999999" + "00",
        importer_country="BR",
        reason="x",
        when=WHEN,
        official=official,
    )
    wrong_destination = issue_cancellation(
        certificate_id=certificate_id, importer_country="UY", reason="x", when=WHEN, official=official
    )
    genuine = issue_cancellation(
        certificate_id=certificate_id, importer_country="BR", reason="x", when=WHEN, official=official
    )
    answer = await _hub_post(local, unknown, "AR")
    assert answer.status_code == 422 and _codes(answer) == ["lifecycle.unknown_certificate"]
    answer = await _hub_post(local, wrong_destination, "AR")
    assert answer.status_code == 422 and _codes(answer) == ["lifecycle.unknown_certificate"]
    answer = await _hub_post(local, genuine, "BR")
    assert answer.status_code == 403 and _codes(answer) == ["routing.sender_mismatch"]
    first = await _hub_post(local, genuine, "AR")
    repeat = await _hub_post(local, genuine, "AR")
    assert first.status_code == repeat.status_code == 202 and repeat.json()["duplicate"] is True


async def test_rectification_marks_the_older_certificate_rectified(local: LocalFederation) -> None:
    """A higher rectification code is accepted and BR marks the older id rectified, replaced by the newer."""
    older = rectified_cod(local.pki, number=7, rectification=0)
    newer = rectified_cod(local.pki, number=7, rectification=1)
    first = await _hub_post(local, older, "AR")
    second = await _hub_post(local, newer, "AR")
    assert first.status_code == second.status_code == 202, second.text
    assert second.json()["duplicate"] is False
    await local.settle(rounds=3)
    old_id, new_id = first.json()["certificate_id"], second.json()["certificate_id"]
    assert new_id == old_id[:18] + "01"
    async with local.client("BR", role="official") as official:
        old_status = (await official.get(f"/api/v1/certificates/{old_id}")).json()
        new_status = (await official.get(f"/api/v1/certificates/{new_id}")).json()
    assert old_status["status"] == "rectified" and old_status["replaced_by"] == new_id
    assert new_status["status"] == "received"


async def test_a_stale_rectification_is_a_conflict_naming_the_current_id(local: LocalFederation) -> None:
    """After …02 was accepted, …01 is 409 duplicate.conflict naming …02; …02 again is a duplicate."""
    current = rectified_cod(local.pki, number=8, rectification=2)
    stale = rectified_cod(local.pki, number=8, rectification=1)
    accepted = await _hub_post(local, current, "AR")
    refused = await _hub_post(local, stale, "AR")
    repeat = await _hub_post(local, current, "AR")
    current_id = accepted.json()["certificate_id"]
    assert refused.status_code == 409 and _codes(refused) == ["duplicate.conflict"]
    assert current_id in refused.json()["problems"][0]["message"]
    assert repeat.status_code == 202 and repeat.json()["duplicate"] is True
