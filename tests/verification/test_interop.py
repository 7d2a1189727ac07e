"""Interoperability with xmlsec1: it verifies both our signatures; we verify its production-profile output."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from singlewindow.pki import Federation
from singlewindow.verification import VerificationContext, verify_document
from singlewindow.xmlsec import parse_xml

Issue = Callable[..., bytes]
XmlsecSign = Callable[..., bytes]
C14N_COMMENTS = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
XPATH = {
    "exporter": "/*[local-name()='Envelope']/*[local-name()='CertOrigin']/CODEH/CODExporter"
    "/*[local-name()='Signature']",
    "official": "/*[local-name()='Envelope']/*[local-name()='CertOrigin']/*[local-name()='Signature']",
}


def xmlsec1(*args: str) -> subprocess.CompletedProcess[str]:
    """Run xmlsec1 with fixed arguments (the ids COD and CODEH declared)."""
    argv = ["xmlsec1", *args[:1], "--id-attr:id", "COD", "--id-attr:id", "CODEH", *args[1:]]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


pytestmark = pytest.mark.skipif(shutil.which("xmlsec1") is None, reason="xmlsec1 is not installed")


def _xmlsec1_verify(data: bytes, *, role: str, root_ca: Path, tmp_path: Path) -> bool:
    document = tmp_path / f"{role}.xml"
    document.write_bytes(data)
    done = xmlsec1("--verify", "--trusted-pem", str(root_ca), "--node-xpath", XPATH[role], str(document))
    return done.returncode == 0


@pytest.mark.parametrize("algorithm", ["rsa-sha256", "ecdsa-sha256"])
@pytest.mark.parametrize("role", ["exporter", "official"])
def test_xmlsec1_verifies_each_of_our_signatures(
    algorithm: str, role: str, issue: Issue, federation: Federation, ec_federation: Federation, tmp_path: Path
) -> None:
    """xmlsec1 verifies the exporter's and the official's signature of a COD we sign (RSA and ECDSA)."""
    fed = ec_federation if algorithm == "ecdsa-sha256" else federation
    data = issue(fed=ec_federation) if fed is ec_federation else issue()
    assert _xmlsec1_verify(data, role=role, root_ca=fed.country("AR").ca.cert_path, tmp_path=tmp_path)


def test_xmlsec1_really_checks_the_selected_signature(
    issue: Issue, federation: Federation, tmp_path: Path
) -> None:
    """After editing EH data xmlsec1 still accepts the exporter's signature but refuses the official's."""
    data = issue().replace(b"<EHName>", b"<EHName>Falsa ", 1)
    root_ca = federation.country("AR").ca.cert_path
    assert _xmlsec1_verify(data, role="exporter", root_ca=root_ca, tmp_path=tmp_path)
    assert not _xmlsec1_verify(data, role="official", root_ca=root_ca, tmp_path=tmp_path)


def test_production_profile_signed_by_xmlsec1_verifies(
    xmlsec1_sign: XmlsecSign, context: VerificationContext
) -> None:
    """A COD signed by xmlsec1 with inclusive C14N WithComments on SignedInfo verifies valid here."""
    data = xmlsec1_sign()
    methods = parse_xml(data).iter("{http://www.w3.org/2000/09/xmldsig#}CanonicalizationMethod")
    assert {method.get("Algorithm") for method in methods} == {C14N_COMMENTS}
    report = verify_document(data, context=context)
    assert report.valid, report.problems
    assert [signer.algorithm for signer in report.signers] == ["rsa-sha256", "rsa-sha256"]


def test_production_profile_tampering_is_still_detected(
    xmlsec1_sign: XmlsecSign, context: VerificationContext
) -> None:
    """Editing goods in an xmlsec1-signed COD breaks both digests."""
    data = xmlsec1_sign().replace(b"<GoodsItemName>", b"<GoodsItemName>Otro ", 1)
    report = verify_document(data, context=context)
    assert {p.code for p in report.problems} == {"signature.digest_mismatch"}


@pytest.mark.parametrize("allow_sha1", [False, True])
def test_sha1_needs_the_explicit_policy(
    allow_sha1: bool, xmlsec1_sign: XmlsecSign, context: VerificationContext
) -> None:
    """A legacy RSA-SHA1/SHA1 COD is refused as a forbidden algorithm unless allow_sha1 is set."""
    data = xmlsec1_sign(method=RSA_SHA1, digest=SHA1)
    report = verify_document(data, context=replace(context, allow_sha1=allow_sha1))
    if allow_sha1:
        assert report.valid, report.problems
        assert report.signers[0].algorithm == "rsa-sha1"
    else:
        assert {p.code for p in report.problems} == {"signature.algorithm_forbidden"}
