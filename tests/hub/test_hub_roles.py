"""Signer roles: each key signs only what its role allows, even when it chains to the right CA."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from network.kit import WHEN, LocalFederation, signed_cod

from singlewindow.cod import sample_certificate, to_element
from singlewindow.errors import AuthenticationFailed
from singlewindow.lifecycle import issue_cancellation
from singlewindow.pki import Federation, Identity
from singlewindow.protocol import XML, Receipt, SignatureAuth, sign_receipt, sign_request, verify_request
from singlewindow.protocol.receipt import ReceiptInvalid, verify_receipt
from singlewindow.storage import CANCELLATION
from singlewindow.xmlsec import serialize, sign_exporter, sign_official

pytestmark = pytest.mark.anyio
Pick = Callable[[Federation], Identity]


def cod_signed_by(
    federation: Federation,
    *,
    exporter: Pick = lambda f: f.country("AR").exporter,
    official: Pick = lambda f: f.country("AR").official,
    business_name: str | None = None,
    number: int = 21,
) -> bytes:
    """A complete AR→BR COD whose #COD and #CODEH are signed by the chosen AR identities."""
    root = to_element(sample_certificate(number=number, when=WHEN), stage="complete")
    if business_name is not None:
        for element in root.iter("ExporterBusinessName"):
            element.text = business_name
    first, last = exporter(federation), official(federation)
    sign_exporter(root, key=first.private_key, certificate=first.certificate)
    sign_official(root, key=last.private_key, certificate=last.certificate)
    return bytes(serialize(root))


async def _post(local: LocalFederation, body: bytes) -> httpx.Response:
    auth = SignatureAuth(key=local.pki.country("AR").node.private_key, keyid="AR")
    async with local.client("hub", role=None) as hub:
        return await hub.post("/api/v1/messages", content=body, headers={"content-type": XML}, auth=auth)


def _codes(answer: httpx.Response) -> set[str]:
    return {p["code"] for p in answer.json()["problems"]}


@pytest.mark.parametrize(
    ("signers", "code"),
    [
        ({"exporter": lambda f: f.country("AR").official}, "role.exporter_required"),
        ({"exporter": lambda f: f.country("AR").node}, "role.transport_key_in_document"),
        ({"official": lambda f: f.country("AR").node}, "role.transport_key_in_document"),
        ({"official": lambda f: f.country("AR").exporter}, "role.official_required"),
        ({"business_name": "Otra Empresa S.R.L."}, "role.exporter_mismatch"),
    ],
    ids=[
        "official-as-exporter",
        "node-as-exporter",
        "node-as-official",
        "exporter-as-official",
        "other-exporter",
    ],
)
async def test_a_key_signing_outside_its_role_is_refused(
    local: LocalFederation, signers: dict[str, object], code: str
) -> None:
    """Each role confusion is refused by the hub with its own code; nothing is stored."""
    document = cod_signed_by(local.pki, **signers)  # type: ignore[arg-type]
    answer = await _post(local, document)
    assert answer.status_code == 422, answer.text
    assert code in _codes(answer)
    assert sum(local.hub.store.counts().values()) == 0


async def test_the_declared_exporter_with_its_own_certificate_is_accepted(local: LocalFederation) -> None:
    """The exporter named in the document, with its exporter-role certificate: 202."""
    answer = await _post(local, cod_signed_by(local.pki))
    assert answer.status_code == 202, answer.text


async def test_a_cancellation_signed_by_a_node_key_is_refused(local: LocalFederation) -> None:
    """A Cancellation signed with AR's node key: refused with role.transport_key_in_document."""
    accepted = await _post(local, signed_cod(local.pki, number=22))
    assert accepted.status_code == 202, accepted.text
    certificate_id = accepted.json()["certificate_id"]
    forged = issue_cancellation(
        certificate_id=certificate_id,
        importer_country="BR",
        reason="forged",
        when=datetime.now(UTC),
        official=local.pki.country("AR").node,
    )
    answer = await _post(local, forged)
    assert answer.status_code in (403, 422) and "role.transport_key_in_document" in _codes(answer)
    assert local.hub.store.by_certificate(certificate_id, kind=CANCELLATION) is None


def test_an_http_signature_with_a_document_key_is_refused(federation: Federation) -> None:
    """A request signed with the exporter's key, even if pinned for the keyid: 401 role.transport_required."""
    exporter = federation.country("AR").exporter
    url, body = "http://hub/api/v1/messages", b"<x/>"
    headers = sign_request(
        method="POST", url=url, body=body, headers={}, key=exporter.private_key, keyid="AR"
    )
    with pytest.raises(AuthenticationFailed) as refused:
        verify_request(
            method="POST", url=url, body=body, headers=headers, resolve=lambda _keyid: exporter.certificate
        )
    assert [p.code for p in refused.value.problems] == ["role.transport_required"]


def test_a_receipt_signed_with_an_official_key_is_refused(federation: Federation) -> None:
    """A receipt signed with an official's key, checked against that certificate: role.transport_required."""
    official = federation.country("BR").official
    receipt = Receipt(
        delivery="d-1", certificate_id="AR001A18260000002100", sha256="0" * 64, received_at=WHEN, node="BR"
    )
    data = sign_receipt(receipt=receipt, key=official.private_key)
    with pytest.raises(ReceiptInvalid) as refused:
        verify_receipt(data, certificate=official.certificate, delivery="d-1", sha256="0" * 64, node="BR")
    assert [p.code for p in refused.value.problems] == ["role.transport_required"]
