"""Fixtures for verification tests: contexts over the session federation, issuing, xmlsec1 signing."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree

from singlewindow.cod import add_certification, sample_certificate, to_element
from singlewindow.pki import Federation, init_federation
from singlewindow.verification import VerificationContext, complete_and_sign
from singlewindow.xmlsec import SigningKey, parse_xml, serialize

DS = "http://www.w3.org/2000/09/xmldsig#"
C14N_COMMENTS = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"


@dataclass(frozen=True)
class Signer:
    """A key and certificate made by a test."""

    private_key: SigningKey
    certificate: x509.Certificate


@pytest.fixture(scope="session")
def ec_federation(tmp_path_factory: pytest.TempPathFactory) -> Federation:
    """A federation whose keys are ECDSA P-256."""
    return init_federation(tmp_path_factory.mktemp("pki-ec"), countries=["AR", "BR"], algorithm="ec")


@pytest.fixture(scope="session")
def context(federation: Federation, aladi_dir: Path) -> VerificationContext:
    """Verification against the RSA federation, its registry and the official ALADI XSDs."""
    return VerificationContext.from_paths(
        trust_dir=federation.trust_dir, registry_file=federation.trustlist_path, schema_dirs=[aladi_dir]
    )


@pytest.fixture(scope="session")
def ec_context(ec_federation: Federation, aladi_dir: Path) -> VerificationContext:
    """Verification against the ECDSA federation."""
    return VerificationContext.from_paths(
        trust_dir=ec_federation.trust_dir, registry_file=ec_federation.trustlist_path, schema_dirs=[aladi_dir]
    )


Issue = Callable[..., bytes]


@pytest.fixture(scope="session")
def issue(federation: Federation) -> Issue:
    """Issue a complete signed AR→BR COD (sample fields), optionally at another time or by other signers."""

    def make(
        *, when: datetime | None = None, cod_ver: str = "2.0.0", fed: Federation = federation, **kw: object
    ) -> bytes:
        cert = sample_certificate(cod_ver=cod_ver, when=when or datetime.now(UTC))
        algorithm = "ecdsa-sha256" if fed is not federation else "rsa-sha256"
        return complete_and_sign(
            cert.model_dump_json().encode(),
            federation=fed,
            country="AR",
            algorithm=algorithm,
            **kw,  # type: ignore[arg-type]
        )

    return make


def _template(role: str, *, c14n: str, method: str, digest: str) -> etree._Element:
    sig = etree.Element(f"{{{DS}}}Signature", nsmap={"ds": DS})
    info = etree.SubElement(sig, f"{{{DS}}}SignedInfo")
    etree.SubElement(info, f"{{{DS}}}CanonicalizationMethod", Algorithm=c14n)
    etree.SubElement(info, f"{{{DS}}}SignatureMethod", Algorithm=method)
    ref = etree.SubElement(info, f"{{{DS}}}Reference", URI="#COD" if role == "exporter" else "#CODEH")
    transforms = etree.SubElement(ref, f"{{{DS}}}Transforms")
    etree.SubElement(
        transforms, f"{{{DS}}}Transform", Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"
    )
    etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm=EXC_C14N)
    etree.SubElement(ref, f"{{{DS}}}DigestMethod", Algorithm=digest)
    etree.SubElement(ref, f"{{{DS}}}DigestValue")
    etree.SubElement(sig, f"{{{DS}}}SignatureValue")
    etree.SubElement(etree.SubElement(sig, f"{{{DS}}}KeyInfo"), f"{{{DS}}}X509Data")
    return sig


XPATH = {
    "exporter": "/*[local-name()='Envelope']/*[local-name()='CertOrigin']/CODEH/CODExporter"
    "/*[local-name()='Signature']",
    "official": "/*[local-name()='Envelope']/*[local-name()='CertOrigin']/*[local-name()='Signature']",
}


def xmlsec1(*args: str) -> subprocess.CompletedProcess[str]:
    """Run xmlsec1 with fixed arguments (the ids COD and CODEH declared)."""
    argv = ["xmlsec1", *args[:1], "--id-attr:id", "COD", "--id-attr:id", "CODEH", *args[1:]]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


XmlsecSign = Callable[..., bytes]


@pytest.fixture(scope="session")
def xmlsec1_sign(federation: Federation, tmp_path_factory: pytest.TempPathFactory) -> XmlsecSign:
    """Sign a sample COD with ``xmlsec1 --sign`` from templates (default: the ALADI production profile)."""
    if shutil.which("xmlsec1") is None:
        pytest.skip("xmlsec1 is not installed")
    work = tmp_path_factory.mktemp("xmlsec1")
    ar = federation.country("AR")

    def sign(*, c14n: str = C14N_COMMENTS, method: str = RSA_SHA256, digest: str = SHA256) -> bytes:
        cert = sample_certificate()
        root = to_element(cert, stage="request")
        etree.indent(root, space="  ")
        cod = root.find(".//COD")
        assert cod is not None
        cod.addnext(_template("exporter", c14n=c14n, method=method, digest=digest))
        add_certification(root, cert)
        codeh = root.find(".//CODEH")
        assert codeh is not None
        codeh.addnext(_template("official", c14n=c14n, method=method, digest=digest))
        data = serialize(root)
        for role, who in (("exporter", ar.exporter), ("official", ar.official)):
            source, target = work / "in.xml", work / "out.xml"
            source.write_bytes(data)
            done = xmlsec1(
                "--sign",
                "--privkey-pem",
                f"{who.key_path},{who.cert_path}",
                "--node-xpath",
                XPATH[role],
                "--output",
                str(target),
                str(source),
            )
            assert done.returncode == 0, done.stderr
            data = target.read_bytes()
        parse_xml(data)
        return data

    return sign
