"""Verifying a Cancellation: signature, chain and registry at its date; everyone but the issuer refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from singlewindow.cod.samples import demo_official
from singlewindow.errors import InputTooLarge, UnusableInput
from singlewindow.lifecycle import (
    NS,
    LifecycleReport,
    Reason,
    build_cancellation,
    sign_cancellation,
    verify_cancellation,
)
from singlewindow.pki import Federation, init_federation
from singlewindow.verification import VerificationContext, admit
from singlewindow.xmlsec import parse_xml, serialize

Cancel = Callable[..., bytes]
DS = "http://www.w3.org/2000/09/xmldsig#"


def codes(data: bytes, context: VerificationContext) -> set[str]:
    """The problem codes of one verification."""
    return {p.code for p in verify_cancellation(data, context=context).problems}


def test_signed_cancellation_verifies(cancel: Cancel, context: VerificationContext) -> None:
    """A cancellation signed by the issuing entity's active official is valid, read from what was signed."""
    report = verify_cancellation(cancel(reason=Reason(text="issued in error", code="ERROR")), context=context)
    assert report.valid, report.problems
    assert (report.certificate_id, report.issuing_country, report.eh_id) == (
        "AR001A18260000043000",
        "AR",
        "001",
    )
    assert (report.importer_country, report.reason, report.reason_code) == ("BR", "issued in error", "ERROR")
    assert report.registry_code == "00"
    assert report.signer is not None and report.signer.signature_valid and report.signer.valid_at_signing_time
    assert report.signer.name == demo_official("AR")
    assert all(check.ok for check in report.checks)


def test_ecdsa_cancellation_verifies(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The ECDSA-SHA256 variant of the profile signs and verifies as well."""
    fed = init_federation(tmp_path_factory.mktemp("pki-ec"), countries=["AR", "BR"], algorithm="ec")
    context = VerificationContext.from_paths(
        trust_dir=fed.trust_dir, registry_file=fed.trustlist_path, schema_dirs=[]
    )
    unsigned = build_cancellation(
        certificate_id="AR001A18260000043000", importer_country="BR", reason="x", when=datetime.now(UTC)
    )
    official = fed.country("AR").official
    data = sign_cancellation(
        unsigned, key=official.private_key, certificate=official.certificate, algorithm="ecdsa-sha256"
    )
    report = verify_cancellation(data, context=context)
    assert report.valid, report.problems
    assert report.signer is not None and report.signer.algorithm == "ecdsa-sha256"


@pytest.mark.parametrize(
    ("signer", "certificate_id", "registry_code", "also"),
    [
        ("AR.exporter", "AR001A18260000043000", "04", {"role.official_required"}),
        ("BR.official", "AR001A18260000043000", "06", {"chain.wrong_country"}),
        ("AR.official", "AR002A18260000043000", "07", set()),
        ("AR.revoked_official", "AR001A18260000043000", "03", {"chain.revoked"}),
        ("AR.node", "AR001A18260000043000", "04", {"role.transport_key_in_document"}),
    ],
    ids=["exporter", "other-country-official", "other-entity", "revoked-official", "node"],
)
def test_anyone_but_the_issuer_is_refused(
    cancel: Cancel,
    context: VerificationContext,
    federation: Federation,
    signer: str,
    certificate_id: str,
    registry_code: str,
    also: set[str],
) -> None:
    """A cancellation not signed by an authorised official of the issuing entity is lifecycle.not_issuer."""
    country, role = signer.split(".")
    identity = getattr(federation.country(country), role)
    report = verify_cancellation(cancel(official=identity, certificate_id=certificate_id), context=context)
    assert not report.valid
    assert report.registry_code == registry_code
    found = {p.code for p in report.problems}
    assert found == {"lifecycle.not_issuer", f"registry.{registry_code}"} | also
    refusal = next(p for p in report.problems if p.code == "lifecycle.not_issuer")
    assert f"registry answer {registry_code}" in refusal.message


def test_revoked_official_is_judged_at_the_cancellation_date(
    cancel: Cancel, context: VerificationContext, federation: Federation
) -> None:
    """An official revoked five days ago could cancel ten days ago: revocation counts from its date on."""
    revoked = federation.country("AR").revoked_official
    before = cancel(official=revoked, when=datetime.now(UTC) - timedelta(days=10))
    assert verify_cancellation(before, context=context).valid
    after = cancel(official=revoked, when=datetime.now(UTC) - timedelta(days=1))
    assert "lifecycle.not_issuer" in codes(after, context)


def test_without_a_registry_the_issuer_cannot_be_confirmed(
    cancel: Cancel, context: VerificationContext
) -> None:
    """With no registry of officials configured, even a genuine cancellation is refused as not_issuer."""
    assert codes(cancel(), replace(context, registry=None)) == {"lifecycle.not_issuer"}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"issued in error", b"issued correctly"),
        (b"<lc:ImporterCountry>BR<", b"<lc:ImporterCountry>UY<"),
        (b"AR001A18260000043000", b"AR001A18260000044000"),
    ],
    ids=["reason", "importer", "certificate-id"],
)
def test_tampering_breaks_the_digest(
    cancel: Cancel, context: VerificationContext, old: bytes, new: bytes
) -> None:
    """Any change of the signed content after signing is signature.digest_mismatch, and nothing is read."""
    data = cancel()
    assert old in data
    report = verify_cancellation(data.replace(old, new), context=context)
    assert {p.code for p in report.problems} == {"signature.digest_mismatch"}
    assert report.certificate_id is None and report.reason is None


def test_inconsistent_fields_are_refused_even_when_signed(
    context: VerificationContext, federation: Federation
) -> None:
    """IssuingCountry and EHId must be the CertificateID's own, even under a valid signature."""
    unsigned = build_cancellation(
        certificate_id="AR001A18260000043000", importer_country="BR", reason="x", when=datetime.now(UTC)
    )
    root = parse_xml(unsigned)
    ehid = root.find(f"{{{NS}}}EHId")
    assert ehid is not None
    ehid.text = "002"
    official = federation.country("AR").official
    data = sign_cancellation(serialize(root), key=official.private_key, certificate=official.certificate)
    report = verify_cancellation(data, context=context)
    assert {p.code for p in report.problems} == {"lifecycle.invalid"}
    assert report.problems[0].path == "/Cancellation/EHId"


def test_future_cancellation_date_is_refused(cancel: Cancel, context: VerificationContext) -> None:
    """A CancellationDate beyond the allowed clock skew is time.future."""
    data = cancel(when=datetime.now(UTC) + timedelta(hours=1))
    assert codes(data, context) == {"time.future"}


@pytest.mark.parametrize(
    "document",
    [
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><lc:Cancellation xmlns:lc="'
        + NS.encode()
        + b'" id="CANCEL"><lc:Reason>&e;</lc:Reason></lc:Cancellation>',
        b'<!DOCTYPE lc:Cancellation SYSTEM "http://example.org/x.dtd"><lc:Cancellation xmlns:lc="'
        + NS.encode()
        + b'" id="CANCEL"/>',
        b"<?xml-stylesheet href='x'?><x/>",
        b"not xml",
    ],
    ids=["xxe", "external-dtd", "processing-instruction", "not-xml"],
)
def test_unsafe_input_is_refused_by_the_hardened_parser(
    document: bytes, context: VerificationContext
) -> None:
    """DTDs, external entities, processing instructions and non-XML are refused before anything else."""
    with pytest.raises(UnusableInput) as caught:
        verify_cancellation(document, context=context)
    assert {p.code for p in caught.value.problems} & {
        "input.dtd_forbidden",
        "input.entity_forbidden",
        "input.processing_instruction",
        "input.not_xml",
    }


def test_oversized_input_is_refused_before_parsing(cancel: Cancel, context: VerificationContext) -> None:
    """A body over the context's size limit is InputTooLarge (HTTP 413)."""
    with pytest.raises(InputTooLarge):
        verify_cancellation(cancel(), context=replace(context, max_bytes=1000))


def _move_signature_into_reason(root: etree._Element) -> None:
    signature = root.find(f"{{{DS}}}Signature")
    reason = root.find(f"{{{NS}}}Reason")
    assert signature is not None and reason is not None
    reason.append(signature)


def _duplicate_id(root: etree._Element) -> None:
    reason = root.find(f"{{{NS}}}Reason")
    assert reason is not None
    reason.set("id", "CANCEL")


def _second_signature(root: etree._Element) -> None:
    signature = root.find(f"{{{DS}}}Signature")
    assert signature is not None
    root.insert(0, etree.fromstring(etree.tostring(signature)))


@pytest.mark.parametrize(
    ("attack", "expected"),
    [
        (_move_signature_into_reason, "signature.wrapping"),
        (_duplicate_id, "signature.duplicate_id"),
        (_second_signature, "signature.unexpected"),
    ],
    ids=["signature-moved", "duplicate-id", "second-signature"],
)
def test_wrapping_is_refused_before_the_cryptography(
    cancel: Cancel, context: VerificationContext, attack: Callable[[etree._Element], None], expected: str
) -> None:
    """Signatures out of their pinned place, duplicated ids or extra signatures are refused by structure."""
    root = parse_xml(cancel())
    attack(root)
    report = verify_cancellation(serialize(root), context=context)
    assert expected in {p.code for p in report.problems}
    assert report.signer is not None and not report.signer.signature_valid
    assert report.certificate_id is None


def test_a_cod_is_not_a_cancellation(context: VerificationContext) -> None:
    """Another XML document is refused as lifecycle.invalid with a schema problem, not verified as a COD."""
    found = codes(b"<Envelope><CertOrigin/></Envelope>", context)
    assert {"lifecycle.invalid", "schema.invalid"} <= found


def test_one_admission_path_dispatches_a_cancellation(cancel: Cancel, context: VerificationContext) -> None:
    """`admit` parses once and answers a Cancellation with its lifecycle report, valid."""
    report = admit(cancel(), context=context)
    assert isinstance(report, LifecycleReport)
    assert report.valid, report.problems
