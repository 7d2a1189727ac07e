"""The importing node judges a delivery at the hub's acceptance time, which the delivery carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from network.kit import LocalFederation

from singlewindow.cod import sample_certificate, to_bytes
from singlewindow.protocol import (
    ACCEPTED_AT_HEADER,
    CERTIFICATE_HEADER,
    DELIVERY_COVERS,
    DELIVERY_HEADER,
    HUB_KEYID,
    XML,
    SignatureAuth,
)
from singlewindow.verification import VerificationReport, complete_and_sign

pytestmark = pytest.mark.anyio


def _back_dated(local: LocalFederation, number: int) -> tuple[bytes, str]:
    """A COD signed ten days ago by AR's official who was revoked five days ago; and its CertificateID."""
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)
    document = complete_and_sign(
        to_bytes(sample_certificate(number=number, when=when), stage="request"),
        federation=local.pki,
        country="AR",
        now=when,
        official=local.pki.country("AR").revoked_official,
    )
    report: VerificationReport = local.verify(document)
    assert report.certificate_id is not None
    return document, report.certificate_id


async def _deliver(
    local: LocalFederation, document: bytes, certificate_id: str, accepted_at: str
) -> httpx.Response:
    """POST a delivery to BR signed with the hub's key, carrying ``accepted_at``."""
    auth = SignatureAuth(key=local.pki.hub.private_key, keyid=HUB_KEYID, cover=DELIVERY_COVERS)
    async with local.client("BR", role=None) as node:
        return await node.post(
            "/api/v1/inbound",
            content=document,
            headers={
                "content-type": XML,
                DELIVERY_HEADER: f"d-{certificate_id}-{accepted_at[:10]}",
                CERTIFICATE_HEADER: certificate_id,
                ACCEPTED_AT_HEADER: accepted_at,
            },
            auth=auth,
        )


def _codes(answer: httpx.Response) -> set[str]:
    return {p["code"] for p in answer.json()["problems"]}


async def test_accepted_before_the_revocation_is_stored_with_the_hub_time(local: LocalFederation) -> None:
    """Accepted by the hub seven days ago (before the revocation): stored, and the status shows that time."""
    document, certificate_id = _back_dated(local, 11)
    accepted_at = (datetime.now(UTC) - timedelta(days=7)).replace(microsecond=0)
    answer = await _deliver(local, document, certificate_id, accepted_at.isoformat())
    assert answer.status_code == 200, answer.text
    async with local.client("BR", role="official") as official:
        status = (await official.get(f"/api/v1/certificates/{certificate_id}")).json()
    assert datetime.fromisoformat(status["hub_accepted_at"]) == accepted_at


async def test_accepted_after_the_revocation_is_refused(local: LocalFederation) -> None:
    """The same back-dated bytes accepted now: 422 time.signer_invalid_at_acceptance, nothing stored."""
    document, certificate_id = _back_dated(local, 12)
    answer = await _deliver(local, document, certificate_id, datetime.now(UTC).isoformat())
    assert answer.status_code == 422 and _codes(answer) == {"time.signer_invalid_at_acceptance"}, answer.text
    assert local.node("BR").store.count_inbound() == 0


@pytest.mark.parametrize("value", ["yesterday", "2026-01-01T00:00:00", "2999-01-01T00:00:00Z"])
async def test_an_unusable_acceptance_time_is_refused(local: LocalFederation, value: str) -> None:
    """No offset, not a date, or in the future: 422 time.acceptance_invalid, nothing stored."""
    document, certificate_id = _back_dated(local, 13)
    answer = await _deliver(local, document, certificate_id, value)
    assert answer.status_code == 422 and _codes(answer) == {"time.acceptance_invalid"}, answer.text
    assert local.node("BR").store.count_inbound() == 0


async def test_a_hub_delivery_carries_its_acceptance_time(local: LocalFederation) -> None:
    """End to end: the node keeps the hub's accepted_at of the delivery."""
    async with local.client("AR") as customs:
        answer = await customs.post(
            "/api/v1/certificates",
            content=sample_certificate(
                number=14, when=datetime.now(UTC) - timedelta(hours=1)
            ).model_dump_json(),
            headers={"content-type": "application/json"},
        )
    assert answer.status_code == 202, answer.text
    await local.settle(rounds=3)
    certificate_id = answer.json()["certificate_id"]
    message = local.hub.store.by_certificate(certificate_id)
    async with local.client("BR", role="official") as official:
        status = (await official.get(f"/api/v1/certificates/{certificate_id}")).json()
    assert datetime.fromisoformat(status["hub_accepted_at"]) == message.accepted_at
