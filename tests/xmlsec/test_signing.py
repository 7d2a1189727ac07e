"""The signing profile and single-signature verification at pinned places."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from lxml import etree

from singlewindow.cod import add_certification, sample_certificate, to_element
from singlewindow.pki import Federation
from singlewindow.xmlsec import parse_xml, serialize, sign_exporter, sign_official, verify_signature

DS = "{http://www.w3.org/2000/09/xmldsig#}"


def _signed(federation: Federation) -> etree._Element:
    ar = federation.country("AR")
    cert = sample_certificate()
    root = to_element(cert, stage="request")
    etree.indent(root, space="  ")
    sign_exporter(root, key=ar.exporter.private_key, certificate=ar.exporter.certificate)
    add_certification(root, cert)
    return sign_official(root, key=ar.official.private_key, certificate=ar.official.certificate)


@pytest.mark.parametrize(
    ("role", "uri", "after"), [("exporter", "#COD", "COD"), ("official", "#CODEH", "CODEH")]
)
def test_signature_follows_the_production_profile(
    role: str, uri: str, after: str, federation: Federation
) -> None:
    """Each signature follows its target: one Reference, enveloped + exc-C14N, SHA-256, KeyValue + X.509."""
    root = _signed(federation)
    signed = root.find(f".//{after}")
    assert signed is not None
    signature = signed.getnext()
    assert signature is not None and signature.tag == f"{DS}Signature"
    references = signature.findall(f"{DS}SignedInfo/{DS}Reference")
    assert [ref.get("URI") for ref in references] == [uri]
    transforms = [t.get("Algorithm") for t in references[0].iter(f"{DS}Transform")]
    assert transforms == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
    ]
    assert references[0].find(f"{DS}DigestMethod").get("Algorithm").endswith("#sha256")  # type: ignore[union-attr]
    key_info = signature.find(f"{DS}KeyInfo")
    assert key_info is not None
    assert [child.tag for child in key_info] == [f"{DS}KeyValue", f"{DS}X509Data"]
    assert key_info.find(f"{DS}KeyValue/{DS}RSAKeyValue/{DS}Modulus") is not None


def test_signing_alters_nothing_outside_the_signature(federation: Federation) -> None:
    """Removing the inserted signature gives back the exact bytes from before signing."""
    ar = federation.country("AR")
    root = to_element(sample_certificate(), stage="request")
    etree.indent(root, space="  ")
    before = serialize(root)
    sign_exporter(root, key=ar.exporter.private_key, certificate=ar.exporter.certificate)
    signature = root.find(f".//CODExporter/{DS}Signature")
    assert signature is not None
    signature.getparent().remove(signature)  # type: ignore[union-attr]
    assert serialize(root) == before


def test_official_signing_keeps_the_exporter_signature(federation: Federation) -> None:
    """The official's signing leaves the exporter's ds:Signature byte for byte as it was."""
    ar = federation.country("AR")
    cert = sample_certificate()
    root = to_element(cert, stage="request")
    sign_exporter(root, key=ar.exporter.private_key, certificate=ar.exporter.certificate)
    add_certification(root, cert)
    exporter = etree.tostring(root.find(f".//CODExporter/{DS}Signature"))
    sign_official(root, key=ar.official.private_key, certificate=ar.official.certificate)
    assert etree.tostring(root.find(f".//CODExporter/{DS}Signature")) == exporter


def test_signing_twice_is_refused(federation: Federation) -> None:
    """Signing a COD that already carries the exporter's signature raises instead of adding a second one."""
    ar = federation.country("AR")
    root = _signed(federation)
    with pytest.raises(ValueError, match="already holds a signature"):
        sign_exporter(root, key=ar.exporter.private_key, certificate=ar.exporter.certificate)


@pytest.mark.parametrize("role", ["exporter", "official"])
def test_verify_signature_returns_the_signed_element(role: str, federation: Federation) -> None:
    """verify_signature passes for each role and returns what signxml says was signed."""
    root = parse_xml(serialize(_signed(federation)))
    seen = []
    result = verify_signature(
        root,
        role=role,
        allow_sha1=False,
        at=datetime.now(UTC),
        certificate_check=lambda c: seen.append(c) or [],
    )
    assert result.ok, result.problems
    assert result.signed is not None and result.signed.tag == ("COD" if role == "exporter" else "CODEH")
    assert seen == [result.certificate] and result.algorithm == "rsa-sha256"


def test_certificate_check_problems_make_the_signature_fail(federation: Federation) -> None:
    """A problem from the certificate check fails the result even when the cryptography holds."""
    from singlewindow.errors import problem

    root = parse_xml(serialize(_signed(federation)))
    result = verify_signature(
        root,
        role="official",
        allow_sha1=False,
        at=datetime.now(UTC),
        certificate_check=lambda c: [problem("chain.untrusted")],
    )
    assert not result.ok and result.signature_valid
    assert [p.code for p in result.problems] == ["chain.untrusted"]


def _official_key_info(root: etree._Element) -> etree._Element:
    key_info = root.find(f"{{http://www.w3.org/2001/12/soap-envelope}}CertOrigin/{DS}Signature/{DS}KeyInfo")
    assert key_info is not None
    return key_info


def _verify_official(root: etree._Element) -> list[str]:
    result = verify_signature(
        parse_xml(serialize(root)),
        role="official",
        allow_sha1=False,
        at=datetime.now(UTC),
        certificate_check=lambda c: [],
    )
    return [p.code for p in result.problems]


def test_base64_wrapped_with_carriage_returns_verifies(federation: Federation) -> None:
    """Certificate, modulus and signature value wrapped with &#13; line ends (as DS-COD writes) verify."""
    root = _signed(federation)
    signature = _official_key_info(root).getparent()
    assert signature is not None
    for element in signature.iter(f"{DS}X509Certificate", f"{DS}Modulus", f"{DS}SignatureValue"):
        flat = "".join((element.text or "").split())
        element.text = "\r\n".join(flat[i : i + 76] for i in range(0, len(flat), 76))
    assert b"&#13;" in serialize(root)
    assert _verify_official(root) == []


def test_a_key_value_of_another_key_is_refused(federation: Federation) -> None:
    """A KeyValue beside the certificate must be the certificate's own key; another is key_info_invalid."""
    root = _signed(federation)
    modulus = _official_key_info(root).find(f"{DS}KeyValue/{DS}RSAKeyValue/{DS}Modulus")
    assert modulus is not None and modulus.text
    other = federation.country("BR").official.certificate.public_key()
    number = other.public_numbers().n  # type: ignore[union-attr]
    modulus.text = base64.b64encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).decode()
    assert _verify_official(root) == ["signature.key_info_invalid"]
