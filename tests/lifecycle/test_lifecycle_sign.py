"""Signing a Cancellation: the profile, byte preservation, and refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from singlewindow.errors import UnusableInput
from singlewindow.lifecycle import build_cancellation, sign_cancellation
from singlewindow.pki import Federation
from singlewindow.xmlsec import parse_xml

DS = "{http://www.w3.org/2000/09/xmldsig#}"


@pytest.fixture
def unsigned() -> bytes:
    """An unsigned cancellation of an AR certificate sent to BR."""
    return build_cancellation(
        certificate_id="AR001A18260000043000",
        importer_country="BR",
        reason="issued in error",
        when=datetime.now(UTC),
    )


def test_signature_follows_the_cod_profile(unsigned: bytes, federation: Federation) -> None:
    """One enveloped signature, last child of the root: RSA-SHA256, SHA-256, exclusive C14N, one #CANCEL."""
    official = federation.country("AR").official
    root = parse_xml(sign_cancellation(unsigned, key=official.private_key, certificate=official.certificate))
    signatures = list(root.iter(f"{DS}Signature"))
    assert len(signatures) == 1 and signatures[0] is root[-1]
    algorithms = {element.get("Algorithm") for element in signatures[0].iter() if element.get("Algorithm")}
    assert algorithms == {
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/04/xmlenc#sha256",
    }
    assert [ref.get("URI") for ref in signatures[0].iter(f"{DS}Reference")] == ["#CANCEL"]
    assert len(list(signatures[0].iter(f"{DS}X509Certificate"))) == 1


def test_signing_keeps_every_byte_of_the_message(unsigned: bytes, federation: Federation) -> None:
    """Everything up to the last field is kept byte for byte; only the signature is added after it."""
    official = federation.country("AR").official
    signed = sign_cancellation(unsigned, key=official.private_key, certificate=official.certificate)
    end = unsigned.index(b"</lc:Reason>") + len(b"</lc:Reason>")
    assert signed.startswith(unsigned[:end])
    assert signed.endswith(b"</ds:Signature>\n</lc:Cancellation>")


def test_signing_twice_is_refused(unsigned: bytes, federation: Federation) -> None:
    """A cancellation already signed is not signed again (one signature is pinned)."""
    official = federation.country("AR").official
    signed = sign_cancellation(unsigned, key=official.private_key, certificate=official.certificate)
    with pytest.raises(UnusableInput) as caught:
        sign_cancellation(signed, key=official.private_key, certificate=official.certificate)
    assert [p.code for p in caught.value.problems] == ["lifecycle.invalid"]


def test_only_a_cancellation_is_signed(federation: Federation) -> None:
    """Another document is refused: this signer never signs a COD or anything else."""
    official = federation.country("AR").official
    with pytest.raises(UnusableInput) as caught:
        sign_cancellation(b"<Envelope/>", key=official.private_key, certificate=official.certificate)
    assert [p.code for p in caught.value.problems] == ["lifecycle.invalid"]


def test_key_must_match_the_algorithm(unsigned: bytes, federation: Federation) -> None:
    """An EC key cannot make an RSA-SHA256 signature asked for: refused before signing."""
    official = federation.country("AR").official
    with pytest.raises(UnusableInput, match="RSA"):
        sign_cancellation(
            unsigned,
            key=ec.generate_private_key(ec.SECP256R1()),
            certificate=official.certificate,
            algorithm="rsa-sha256",
        )
