"""The verification pipeline on documents we issue: valid round trips, report contents, official XSDs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree

from singlewindow.cod import SchemaRegistry
from singlewindow.cod.samples import demo_official, sample_certificate
from singlewindow.pki import Federation
from singlewindow.verification import VerificationContext, admit, complete_and_sign, verify_document
from singlewindow.xmlsec import parse_xml

Issue = Callable[..., bytes]


@pytest.mark.parametrize("algorithm", ["rsa-sha256", "ecdsa-sha256"])
def test_round_trip_is_valid_and_names_both_signers(
    algorithm: str,
    issue: Issue,
    ec_federation: Federation,
    context: VerificationContext,
    ec_context: VerificationContext,
) -> None:
    """A COD we sign (RSA or ECDSA) verifies valid and the report names exporter and official."""
    ec = algorithm == "ecdsa-sha256"
    data = issue(fed=ec_federation) if ec else issue()
    report = verify_document(data, context=ec_context if ec else context)
    assert report.valid, report.problems
    assert [(s.role, s.algorithm, s.signature_valid, s.valid_at_signing_time) for s in report.signers] == [
        ("exporter", algorithm, True, True),
        ("official", algorithm, True, True),
    ]
    assert report.signers[0].name == "Metalúrgica Río Cuarto S.A."
    assert report.signers[1].name == demo_official("AR")
    assert report.signers[1].registry_code == "00"
    assert report.signers[1].anchor is not None and "C=AR" in report.signers[1].anchor
    assert all(check.ok for check in report.checks)


def test_report_fields_come_from_the_signed_codeh(issue: Issue, context: VerificationContext) -> None:
    """The report's certificate id, countries and entity equal the values inside the signed CODEH."""
    data = issue()
    report = verify_document(data, context=context)
    codeh = parse_xml(data).find(".//CODEH")
    assert codeh is not None
    assert report.certificate_id == codeh.findtext("CertificationEH/CertificateID")
    assert (report.exporter_country, report.importer_country, report.eh_country, report.eh_id) == (
        "AR",
        "BR",
        "AR",
        "001",
    )
    assert report.stage == "complete" and report.cod_ver == "2.0.0" and report.form == "FormA18"
    assert {check.name for check in report.checks} >= {
        "parse",
        "schema",
        "signature.exporter",
        "signature.official",
        "chain.exporter",
        "chain.official",
        "registry.official",
    }


@pytest.mark.parametrize("cod_ver", ["2.0.0", "4.1.0"])
def test_signed_documents_validate_against_the_official_xsd(
    cod_ver: str, issue: Issue, aladi_dir: object, context: VerificationContext
) -> None:
    """Documents we sign validate against the official ALADI XSD of their CODVer (complete stage)."""
    root = parse_xml(issue(cod_ver=cod_ver))
    schemas: SchemaRegistry = context.schemas
    assert schemas.origin(cod_ver, "complete") == f"cod_ver_{cod_ver}.xsd"
    assert schemas.validate(root, stage="complete") == []
    assert verify_document(etree.tostring(root), context=context).valid


def test_without_registry_the_official_has_no_registry_code(
    issue: Issue, context: VerificationContext
) -> None:
    """Without a registry, no registry check runs and the official's registry code stays empty."""
    bare = VerificationContext(trust=context.trust, schemas=context.schemas)
    report = verify_document(issue(), context=bare)
    assert report.valid
    assert report.signers[1].registry_code is None
    assert "registry.official" not in {check.name for check in report.checks}


def test_every_problem_is_collected(issue: Issue, context: VerificationContext) -> None:
    """A document broken in several ways reports each problem, not only the first."""
    data = issue(when=datetime.now(UTC) - timedelta(days=3))
    data = data.replace(b"<ImporterCountry>BR", b"<ImporterCountry>UY", 1)
    data = data.replace(b"<EHCountry>AR", b"<EHCountry>BR", 1)
    codes = {p.code for p in verify_document(data, context=context).problems}
    assert {"signature.digest_mismatch", "cod.country_mismatch", "chain.wrong_country"} <= codes


def test_repeated_verification_gives_the_same_report(issue: Issue, context: VerificationContext) -> None:
    """Cached chains and registry answers do not change the verdict: the second report equals the first."""
    data = issue()
    first = verify_document(data, context=context)
    assert first.valid, first.problems
    assert verify_document(data, context=context) == first


def test_one_admission_path_dispatches_a_cod(issue: Issue, context: VerificationContext) -> None:
    """`admit` answers a COD with the same report `verify_document` gives."""
    data = issue()
    assert admit(data, context=context) == verify_document(data, context=context)


def test_each_signer_signs_with_its_own_keys_method_unless_one_is_asked_for(
    federation: Federation, context: VerificationContext
) -> None:
    """An RSA exporter and a P-256 key as the official: RSA-SHA256 and ECDSA-SHA256 in one document.

    The node key stands in for an official with an EC key (it is refused for its role, not for its
    signature); asking for one method that does not fit a key still fails before signing.
    """
    fields = sample_certificate(when=datetime.now(UTC)).model_dump_json().encode()
    node = federation.country("AR").node
    assert isinstance(node.private_key, ec.EllipticCurvePrivateKey)
    data = complete_and_sign(fields, federation=federation, country="AR", official=node)
    report = verify_document(data, context=context)
    assert [(s.role, s.algorithm, s.signature_valid) for s in report.signers] == [
        ("exporter", "rsa-sha256", True),
        ("official", "ecdsa-sha256", True),
    ]
    assert "role.transport_key_in_document" in {p.code for p in report.problems}
    with pytest.raises(ValueError, match="rsa-sha256 needs an RSA private key"):
        complete_and_sign(fields, federation=federation, country="AR", official=node, algorithm="rsa-sha256")
