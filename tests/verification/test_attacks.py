"""The attack corpus: every forged, tampered or unsafe document is refused with its own code."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from attack_corpus import (
    cod_wrapped_in_another_element,
    comment_inside_signed_value,
    content_moved_into_object,
    duplicated_cod_id,
    expired,
    forged_cod_beside,
    key_value_only,
    lookalike,
    official_signature_removed,
)
from lxml import etree

from singlewindow.errors import InputTooLarge, UnusableInput
from singlewindow.pki import Federation
from singlewindow.verification import VerificationContext, VerificationReport, verify_document

Issue = Callable[..., bytes]
DS = "{http://www.w3.org/2000/09/xmldsig#}"
ENV = "{http://www.w3.org/2001/12/soap-envelope}"


def _tree(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _verify(data: bytes, context: VerificationContext) -> VerificationReport:
    report = verify_document(data, context=context)
    assert not report.valid
    return report


def _failed(report: VerificationReport) -> set[str]:
    return {check.name for check in report.checks if not check.ok}


def _codes(report: VerificationReport) -> set[str]:
    return {p.code for p in report.problems}


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
        "lookalike": lambda: lookalike(federation),
        "expired": lambda: expired(federation),
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
    """DTDs, external entities, entity bombs, non-XML and empty bodies are unusable input."""
    with pytest.raises(UnusableInput) as raised:
        verify_document(data, context=context)
    assert code in {p.code for p in raised.value.problems}


def test_a_50_mb_body_is_refused_by_size_before_parsing(
    context: VerificationContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 50 MB body is refused as too large without being parsed (not well-formed, yet too_large wins)."""

    def no_parser() -> None:
        raise AssertionError("the parser was built for an oversized body")

    monkeypatch.setattr("singlewindow.xmlsec.parser._parser", no_parser)
    body = b"<" * (50 * 1024 * 1024)
    with pytest.raises(InputTooLarge) as raised:
        verify_document(body, context=context)
    assert [p.code for p in raised.value.problems] == ["input.too_large"]
