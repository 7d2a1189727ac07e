"""Interoperability of the cancellation signature with xmlsec1 (libxmlsec), both ways."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from singlewindow.lifecycle import NS, build_cancellation, verify_cancellation
from singlewindow.pki import Federation
from singlewindow.verification import VerificationContext
from singlewindow.xmlsec import parse_xml, serialize

Cancel = Callable[..., bytes]
DS = "http://www.w3.org/2000/09/xmldsig#"
C14N_COMMENTS = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"

pytestmark = pytest.mark.skipif(shutil.which("xmlsec1") is None, reason="xmlsec1 is not installed")


def xmlsec1(command: str, document: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run xmlsec1 with the Cancellation's id attribute declared."""
    argv = ["xmlsec1", command, "--id-attr:id", f"{NS}:Cancellation", *args, str(document)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("tampered", [False, True])
def test_xmlsec1_verifies_our_cancellation(
    cancel: Cancel, federation: Federation, tmp_path: Path, tampered: bool
) -> None:
    """xmlsec1 accepts a cancellation we sign, and refuses it once its reason is edited."""
    data = cancel()
    document = tmp_path / "cancellation.xml"
    document.write_bytes(data.replace(b"issued in error", b"issued in errxr") if tampered else data)
    done = xmlsec1("--verify", document, "--trusted-pem", str(federation.country("AR").ca.cert_path))
    assert (done.returncode == 0) is not tampered, done.stderr


def _template() -> etree._Element:
    signature = etree.Element(f"{{{DS}}}Signature", nsmap={"ds": DS})
    info = etree.SubElement(signature, f"{{{DS}}}SignedInfo")
    etree.SubElement(info, f"{{{DS}}}CanonicalizationMethod", Algorithm=C14N_COMMENTS)
    etree.SubElement(info, f"{{{DS}}}SignatureMethod", Algorithm=RSA_SHA256)
    reference = etree.SubElement(info, f"{{{DS}}}Reference", URI="#CANCEL")
    transforms = etree.SubElement(reference, f"{{{DS}}}Transforms")
    etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm=ENVELOPED)
    etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm=EXC_C14N)
    etree.SubElement(reference, f"{{{DS}}}DigestMethod", Algorithm=SHA256)
    etree.SubElement(reference, f"{{{DS}}}DigestValue")
    etree.SubElement(signature, f"{{{DS}}}SignatureValue")
    etree.SubElement(etree.SubElement(signature, f"{{{DS}}}KeyInfo"), f"{{{DS}}}X509Data")
    return signature


def test_cancellation_signed_by_xmlsec1_verifies_here(
    federation: Federation, context: VerificationContext, tmp_path: Path
) -> None:
    """A cancellation signed by xmlsec1 (inclusive C14N WithComments on SignedInfo) verifies valid here."""
    unsigned = build_cancellation(
        certificate_id="AR001A18260000043000", importer_country="BR", reason="x", when=datetime.now(UTC)
    )
    root = parse_xml(unsigned)
    root.append(_template())
    source, target = tmp_path / "template.xml", tmp_path / "signed.xml"
    source.write_bytes(serialize(root))
    official = federation.country("AR").official
    keys = f"{official.key_path},{official.cert_path}"
    done = xmlsec1("--sign", source, "--privkey-pem", keys, "--output", str(target))
    assert done.returncode == 0, done.stderr
    report = verify_cancellation(target.read_bytes(), context=context)
    assert report.valid, report.problems
    assert report.registry_code == "00"
