"""Wire formats: RFC 9421 request signatures, signed receipts, settings that refuse placeholder secrets."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from singlewindow.config import TokenConfig
from singlewindow.errors import AuthenticationFailed
from singlewindow.pki import Federation, generate_key
from singlewindow.protocol import (
    Receipt,
    ReceiptInvalid,
    sign_receipt,
    sign_request,
    verify_receipt,
    verify_request,
)

URL = "http://hub/api/v1/messages"


def _signed(federation: Federation, body: bytes = b"<doc/>", **kw: object) -> dict[str, str]:
    headers = sign_request(
        method="POST",
        url=URL,
        body=body,
        headers={},
        key=federation.country("AR").node.private_key,
        keyid="AR",
        **kw,  # type: ignore[arg-type]
    )
    return headers


def _verify(federation: Federation, headers: dict[str, str], body: bytes = b"<doc/>", url: str = URL) -> str:
    return verify_request(
        method="POST",
        url=url,
        body=body,
        headers=headers,
        resolve=lambda keyid: federation.country(keyid).node.certificate if keyid in ("AR", "BR") else None,
    )


def test_a_signed_request_verifies(federation: Federation) -> None:
    """The signer's country comes back as the keyid."""
    assert _verify(federation, _signed(federation)) == "AR"


@pytest.mark.parametrize("change", ["body", "url", "expired", "keyid", "signature"])
def test_any_change_breaks_the_signature(federation: Federation, change: str) -> None:
    """Body, target URI, age, keyid or signature value changed: auth.invalid."""
    headers, body, url = _signed(federation), b"<doc/>", URL
    if change == "body":
        body = b"<other/>"
    elif change == "url":
        url = "http://hub/api/v1/messages/x"
    elif change == "expired":
        headers = _signed(federation, created=int(time.time()) - 3600)
    elif change == "keyid":
        headers["Signature-Input"] = headers["Signature-Input"].replace('keyid="AR"', 'keyid="BR"')
    else:
        headers["Signature"] = (
            headers["Signature"][:10]
            + ("A" if headers["Signature"][10] != "A" else "B")
            + headers["Signature"][11:]
        )
    with pytest.raises(AuthenticationFailed) as caught:
        _verify(federation, headers, body, url)
    assert caught.value.problems[0].code == "auth.invalid"


def test_ec_keys_sign_too(federation: Federation) -> None:
    """ECDSA P-256 keys produce verifiable signatures; they do not verify under an RSA certificate."""
    key = generate_key(algorithm="ec")
    headers = sign_request(method="GET", url=URL, body=b"", headers={}, key=key, keyid="AR")  # type: ignore[arg-type]
    assert 'alg="ecdsa-p256-sha256"' in headers["Signature-Input"]
    with pytest.raises(AuthenticationFailed):
        _verify(federation, headers, b"")


def test_receipt_round_trip_and_refusals(federation: Federation) -> None:
    """A receipt verifies with the node's certificate only, and only for its own delivery and digest."""
    receipt = Receipt(
        delivery="d",
        certificate_id="AR001A18260000000100",
        sha256="a" * 64,
        received_at=datetime.now(UTC),
        node="BR",
    )
    data = sign_receipt(receipt=receipt, key=federation.country("BR").node.private_key)
    br = federation.country("BR").node.certificate
    assert verify_receipt(data, certificate=br, delivery="d", sha256="a" * 64, node="BR") == receipt
    for certificate, delivery, sha in (
        (federation.country("UY").node.certificate, "d", "a" * 64),
        (br, "e", "a" * 64),
        (br, "d", "b" * 64),
    ):
        with pytest.raises(ReceiptInvalid):
            verify_receipt(data, certificate=certificate, delivery=delivery, sha256=sha, node="BR")
    with pytest.raises(ReceiptInvalid):
        verify_receipt(b"{}", certificate=br, delivery="d", sha256="a" * 64, node="BR")


@pytest.mark.parametrize("token", ["changeme", "short"])
def test_placeholder_tokens_are_refused(token: str) -> None:
    """A placeholder or short token fails loudly."""
    with pytest.raises(ValueError, match="placeholder"):
        TokenConfig(name="customs", role="customs", token=token)
