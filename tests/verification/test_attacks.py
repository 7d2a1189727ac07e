"""The attack corpus: every forged, tampered or unsafe document is refused with its own code, quickly."""

from __future__ import annotations

import base64
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from singlewindow.errors import InputTooLarge, UnusableInput
from singlewindow.pki import Federation, generate_key, issue_leaf
from singlewindow.verification import VerificationContext, VerificationReport, verify_document

Issue = Callable[..., bytes]
DS = "{http://www.w3.org/2000/09/xmldsig#}"
ENV = "{http://www.w3.org/2001/12/soap-envelope}"


@dataclass(frozen=True)
class Made:
    """A key and certificate made by a test."""

    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate


def _tree(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _verify(data: bytes, context: VerificationContext) -> VerificationReport:
    start = time.perf_counter()
    report = verify_document(data, context=context)
    assert time.perf_counter() - start < 1.0
    assert not report.valid
    return report


def _failed(report: VerificationReport) -> set[str]:
    return {check.name for check in report.checks if not check.ok}


def _codes(report: VerificationReport) -> set[str]:
    return {p.code for p in report.problems}


def forged_cod_beside(root: etree._Element) -> None:
    cod = root.find(f"{ENV}CertOrigin/CODEH/CODExporter/COD")
    assert cod is not None
    forged = copy.deepcopy(cod)
    del forged.attrib["id"]
    forged.find(".//GoodsItemValue").text = "1.00"  # type: ignore[union-attr]
    cod.addprevious(forged)


def cod_wrapped_in_another_element(root: etree._Element) -> None:
    cod = root.find(f"{ENV}CertOrigin/CODEH/CODExporter/COD")
    assert cod is not None
    forged = copy.deepcopy(cod)
    del forged.attrib["id"]
    cod.addprevious(forged)
    wrapper = etree.Element("Extension")
    forged.addprevious(wrapper)
    wrapper.append(cod)


def duplicated_cod_id(root: etree._Element) -> None:
    eh = root.find(f"{ENV}CertOrigin/CODEH/EH")
    assert eh is not None
    etree.SubElement(eh, "COD", id="COD")


def content_moved_into_object(root: etree._Element) -> None:
    cod = root.find(f"{ENV}CertOrigin/CODEH/CODExporter/COD")
    signature = root.find(f"{ENV}CertOrigin/CODEH/CODExporter/{DS}Signature")
    assert cod is not None and signature is not None
    forged = copy.deepcopy(cod)
    del forged.attrib["id"]
    cod.addprevious(forged)
    etree.SubElement(signature, f"{DS}Object").append(cod)


def comment_inside_signed_value(root: etree._Element) -> None:
    cid = root.find(f"{ENV}CertOrigin/CODEH/CertificationEH/CertificateID")
    assert cid is not None and cid.text
    head, tail = cid.text[:5], cid.text[5:]
    cid.text = head
    comment = etree.Comment("")
    comment.tail = tail
    cid.append(comment)


def key_value_only(root: etree._Element) -> None:
    key_info = root.find(f"{ENV}CertOrigin/{DS}Signature/{DS}KeyInfo")
    assert key_info is not None
    x509_data = key_info.find(f"{DS}X509Data")
    assert x509_data is not None
    der = base64.b64decode("".join((x509_data.findtext(f"{DS}X509Certificate") or "").split()))
    numbers = x509.load_der_x509_certificate(der).public_key().public_numbers()  # type: ignore[union-attr]
    key_info.remove(x509_data)
    rsa_value = etree.SubElement(etree.SubElement(key_info, f"{DS}KeyValue"), f"{DS}RSAKeyValue")

    def b64(number: int) -> str:
        return base64.b64encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).decode()

    etree.SubElement(rsa_value, f"{DS}Modulus").text = b64(numbers.n)
    etree.SubElement(rsa_value, f"{DS}Exponent").text = b64(numbers.e)


def official_signature_removed(root: etree._Element) -> None:
    cert_origin = root.find(f"{ENV}CertOrigin")
    signature = root.find(f"{ENV}CertOrigin/{DS}Signature")
    assert cert_origin is not None and signature is not None
    cert_origin.remove(signature)


@pytest.mark.parametrize(
    ("mutate", "code", "failing"),
    [
        (forged_cod_beside, "signature.wrapping", "signature.exporter"),
        (cod_wrapped_in_another_element, "signature.wrapping", "signature.exporter"),
        (duplicated_cod_id, "signature.duplicate_id", "signature.exporter"),
        (content_moved_into_object, "signature.wrapping", "signature.exporter"),
        (comment_inside_signed_value, "signature.wrapping", "signature.official"),
        (key_value_only, "signature.key_info_invalid", "signature.official"),
        (official_signature_removed, "signature.missing", "signature.official"),
    ],
)
def test_structural_attacks_are_refused(
    mutate: Callable[[etree._Element], None],
    code: str,
    failing: str,
    issue: Issue,
    context: VerificationContext,
) -> None:
    """Wrapping, duplicate ids, comment injection, bare KeyValue, a missing signature: each its own code."""
    root = _tree(issue())
    mutate(root)
    report = _verify(_bytes(root), context)
    assert code in _codes(report)
    assert failing in _failed(report)


def test_comment_injection_message_is_specific(issue: Issue, context: VerificationContext) -> None:
    """A comment splitting CertificateID is reported as a comment inside a signed value."""
    root = _tree(issue())
    comment_inside_signed_value(root)
    messages = [p.message for p in _verify(_bytes(root), context).problems if p.code == "signature.wrapping"]
    assert "comment inside signed value" in messages


@pytest.mark.parametrize("algorithm", ["rsa-sha256", "ecdsa-sha256"])
@pytest.mark.parametrize(
    ("old", "new", "failing"),
    [
        (b"<GoodsItemName>", b"<GoodsItemName>Otro ", {"signature.exporter", "signature.official"}),
        (b"<EHName>", b"<EHName>Falsa ", {"signature.official"}),
    ],
)
def test_tampering_breaks_exactly_the_covering_signatures(
    algorithm: str,
    old: bytes,
    new: bytes,
    failing: set[str],
    issue: Issue,
    ec_federation: Federation,
    context: VerificationContext,
    ec_context: VerificationContext,
) -> None:
    """Editing goods breaks both digests; editing EH data breaks only the official's."""
    ec = algorithm == "ecdsa-sha256"
    data = (issue(fed=ec_federation) if ec else issue()).replace(old, new, 1)
    report = _verify(data, ec_context if ec else context)
    assert {p.code for p in report.problems} == {"signature.digest_mismatch"}
    assert {name for name in _failed(report) if name.startswith("signature.")} == failing


def test_a_forged_signature_value_is_refused(issue: Issue, context: VerificationContext) -> None:
    """A changed SignatureValue is reported as an invalid signature value."""
    root = _tree(issue())
    value = root.find(f"{ENV}CertOrigin/{DS}Signature/{DS}SignatureValue")
    assert value is not None and value.text
    raw = bytearray(base64.b64decode(value.text))
    raw[10] ^= 0xFF
    value.text = base64.b64encode(bytes(raw)).decode()
    assert "signature.value_invalid" in _codes(_verify(_bytes(root), context))


def _lookalike(federation: Federation) -> Made:
    official = federation.country("AR").official.certificate
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(official.subject)
        .issuer_name(official.subject)
        .public_key(key.public_key())
        .serial_number(official.serial_number)
        .not_valid_before(now - timedelta(days=30))
        .not_valid_after(now + timedelta(days=300))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(official.extensions.get_extension_for_class(x509.KeyUsage).value, critical=True)
        .sign(key, hashes.SHA256())
    )
    return Made(private_key=key, certificate=certificate)


def _expired(federation: Federation) -> Made:
    ar = federation.country("AR")
    key = generate_key(algorithm="rsa")
    now = datetime.now(UTC)
    certificate = issue_leaf(
        public_key=key.public_key(),
        issuer_key=ar.ca.private_key,
        issuer_certificate=ar.ca.certificate,
        common_name="Funcionario Vencido AR",
        subject_serial="AR-001-0099",
        country="AR",
        organization="Cámara de Comercio de Argentina",
        not_before=now - timedelta(days=60),
        not_after=now - timedelta(days=2),
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    return Made(private_key=key, certificate=certificate)


@pytest.mark.parametrize(
    ("who", "codes"),
    [
        ("foreign", {"chain.wrong_country", "registry.06"}),
        ("lookalike", {"chain.untrusted", "registry.04"}),
        ("expired", {"chain.not_valid_at_signing_time", "registry.04"}),
        ("revoked", {"chain.revoked", "registry.03"}),
    ],
)
def test_untrusted_officials_are_refused(
    who: str, codes: set[str], issue: Issue, federation: Federation, context: VerificationContext
) -> None:
    """Another country's official, a self-signed look-alike, an expired and a revoked official are refused."""
    official: object = {
        "foreign": lambda: federation.country("BR").official,
        "lookalike": lambda: _lookalike(federation),
        "expired": lambda: _expired(federation),
        "revoked": lambda: federation.country("AR").revoked_official,
    }[who]()  # type: ignore[operator]
    report = _verify(issue(official=official), context)
    assert codes <= _codes(report)
    assert "signature.official" not in _failed(report)  # the cryptography itself is fine
    assert report.signers[1].valid_at_signing_time is False


def test_revoked_official_signing_before_revocation_is_valid(
    issue: Issue, federation: Federation, context: VerificationContext
) -> None:
    """A document the revoked official signed before the revocation date stays valid."""
    data = issue(
        when=datetime.now(UTC) - timedelta(days=10), official=federation.country("AR").revoked_official
    )
    report = verify_document(data, context=context)
    assert report.valid, report.problems
    assert report.signers[1].registry_code == "00"


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]><lolz>&lol9;</lolz>"
)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b'<!DOCTYPE Envelope SYSTEM "http://example.com/cod.dtd"><Envelope/>', "input.dtd_forbidden"),
        (b'<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><e>&x;</e>', "input.entity_forbidden"),
        (BOMB, "input.entity_forbidden"),
        (b"this is not XML at all", "input.not_xml"),
        (b"", "input.empty"),
    ],
)
def test_unusable_input_raises_with_its_code(data: bytes, code: str, context: VerificationContext) -> None:
    """DTDs, external entities, entity bombs, non-XML and empty bodies are unusable input, refused fast."""
    start = time.perf_counter()
    with pytest.raises(UnusableInput) as raised:
        verify_document(data, context=context)
    assert time.perf_counter() - start < 0.5
    assert code in {p.code for p in raised.value.problems}


def test_a_50_mb_body_is_refused_by_size_before_parsing(context: VerificationContext) -> None:
    """A 50 MB body is refused as too large without being parsed (not well-formed, yet too_large wins)."""
    body = b"<" * (50 * 1024 * 1024)
    start = time.perf_counter()
    with pytest.raises(InputTooLarge) as raised:
        verify_document(body, context=context)
    assert time.perf_counter() - start < 0.2
    assert [p.code for p in raised.value.problems] == ["input.too_large"]
