"""What is signed is the canonical form of the parsed tree, never bytes that merely hash right.

Guards against a byte-level shortcut (digesting a signed element as received instead of
canonicalising it; tried in issue 9 and taken out, see docs/PERFORMANCE.md): each document below
holds, somewhere in its bytes, octets that hash to a signed digest — the signed CODEH's canonical
octets hidden before a changed CODEH, the same octets read in another encoding or with another
namespace, or octets a signer digested as written instead of canonicalising — and must be refused
as signxml refuses it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from singlewindow.cod import sample_certificate, to_element
from singlewindow.pki import Federation
from singlewindow.verification import VerificationContext, complete_and_sign, verify_document
from singlewindow.xmlsec import EXPORTER, OFFICIAL, parse_xml, serialize
from singlewindow.xmlsec.canonical import c14n
from singlewindow.xmlsec.names import EXC_C14N
from singlewindow.xmlsec.oracle import oracle_verify

Issue = Callable[..., bytes]
ENVELOPE_NS = "http://www.w3.org/2001/12/soap-envelope"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
OFFICIAL_PATH = "/Envelope/CertOrigin/ds:Signature"
EXPORTER_PATH = "/Envelope/CertOrigin/CODEH/CODExporter/ds:Signature"


@pytest.fixture(scope="module")
def issued(issue: Issue) -> bytes:
    """A complete COD issued (both signatures made) here."""
    return issue()


def _codeh(data: bytes) -> etree._Element:
    found = parse_xml(data).find(f"{{{ENVELOPE_NS}}}CertOrigin/CODEH")
    assert found is not None
    return found


def _signed_octets(data: bytes) -> bytes:
    """The CODEH's exclusive C14N: the octets whose SHA-256 the official signed."""
    return c14n(_codeh(data), algorithm=EXC_C14N)


def _tampered(data: bytes) -> bytes:
    """The CODEH changed after signing (its EH country), its end tag written ``</CODEH >`` (legal XML
    that a search for ``</CODEH>`` passes over: such a search then ends at a copy put before it)."""
    assert data.count(b"<EHCountry>AR</EHCountry>") == 1 and data.count(b"</CODEH>") == 1
    return data.replace(b"<EHCountry>AR</EHCountry>", b"<EHCountry>UY</EHCountry>").replace(
        b"</CODEH>", b"</CODEH >"
    )


def _problems(data: bytes, context: VerificationContext, *, path: str | None = OFFICIAL_PATH) -> set[str]:
    """The codes of the problems found (at ``path``; None: anywhere); the document must be refused."""
    report = verify_document(data, context=context)
    assert not report.valid
    return {p.code for p in report.problems if path is None or p.path == path}


def test_the_signed_octets_are_the_codehs_canonical_form(issued: bytes) -> None:
    """The premise of every test below: the official's digest is SHA-256 of the CODEH's exclusive C14N."""
    signature = _codeh(issued).getnext()
    assert signature is not None and signature.tag == f"{DS}Signature"
    digest = signature.findtext(f"{DS}SignedInfo/{DS}Reference/{DS}DigestValue")
    assert base64.b64decode(digest or "") == hashlib.sha256(_signed_octets(issued)).digest()


def test_a_changed_codeh_is_refused(issued: bytes, context: VerificationContext) -> None:
    assert "signature.digest_mismatch" in _problems(_tampered(issued), context)


def _in_comment(copy: bytes) -> bytes:
    return b"<!--" + copy + b"-->"


def _in_cdata(copy: bytes) -> bytes:
    return b"<![CDATA[" + copy + b"]]>"


def _in_other_namespace(copy: bytes) -> bytes:
    """An element of the same local name in another namespace, written without a prefix."""
    return b'<Held xmlns="urn:elsewhere">' + copy + b"</Held>"


@pytest.mark.parametrize(
    ("hiding", "path", "code"),
    [
        # only bytes: the structure is sound and the cryptography decides
        pytest.param(_in_comment, OFFICIAL_PATH, "signature.digest_mismatch", id="comment"),
        pytest.param(_in_cdata, OFFICIAL_PATH, "signature.digest_mismatch", id="cdata"),
        # elements: the copy's ids are found twice, and a wrapped signature never reaches the cryptography
        pytest.param(_in_other_namespace, None, "signature.duplicate_id", id="other-namespace"),
    ],
)
def test_the_signed_octets_before_a_changed_codeh_are_not_taken_for_it(
    issued: bytes,
    context: VerificationContext,
    hiding: Callable[[bytes], bytes],
    path: str | None,
    code: str,
) -> None:
    tampered = _tampered(issued)
    at = tampered.index(b"<CODEH ")
    attacked = tampered[:at] + hiding(_signed_octets(issued)) + tampered[at:]
    etree.fromstring(attacked)  # well-formed: the parser takes it
    assert code in _problems(attacked, context, path=path)
    assert not oracle_verify(attacked, profile=OFFICIAL).ok


def test_the_signed_octets_as_bytes_inside_utf16_text_are_not_taken_for_the_codeh(
    issued: bytes, context: VerificationContext
) -> None:
    """UTF-16 without a declaration (lxml's docinfo still says UTF-8): the octets hidden as text."""
    tampered = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", _tampered(issued))  # a byte order mark says UTF-16
    wide = tampered.decode().encode("utf-16-le")
    at = wide.index("<CODEH ".encode("utf-16-le"))
    copy = _signed_octets(issued)
    copy += b" " * (len(copy) % 2)  # whole UTF-16 code units
    attacked = b"\xff\xfe" + wide[:at] + copy + wide[at:]
    assert etree.fromstring(attacked).getroottree().docinfo.encoding == "UTF-8"
    assert "signature.digest_mismatch" in _problems(attacked, context)
    assert not oracle_verify(attacked, profile=OFFICIAL).ok


def test_the_signed_octets_read_in_another_encoding_are_refused(
    issued: bytes, context: VerificationContext
) -> None:
    """Declared ISO-8859-1, the UTF-8 bytes of "N°" and "—" read as other characters."""
    assert "°".encode() in issued
    latin = re.sub(rb"encoding=['\"]UTF-8['\"]", b'encoding="ISO-8859-1"', issued, count=1)
    assert parse_xml(latin).getroottree().docinfo.encoding == "ISO-8859-1"
    assert "signature.digest_mismatch" in _problems(latin, context)
    assert not oracle_verify(latin, profile=OFFICIAL).ok


def test_a_namespace_name_holding_an_ampersand_is_read_as_signed(
    federation: Federation, context: VerificationContext
) -> None:
    """libxml2's C14N writes namespace names unescaped: its octets read back as another namespace."""
    request = serialize(to_element(sample_certificate(), stage="request"))
    declared = b'<CODVer xmlns:p="http://www.w3.org/2001/XMLSchema-instanc&amp;#x65;" p:where="x.xsd">'
    issued = complete_and_sign(
        request.replace(b"<CODVer>", declared, 1), federation=federation, country="AR", algorithm="rsa-sha256"
    )
    assert b"instanc&amp;#x65;" in issued  # written escaped
    report = verify_document(issued, context=context)
    assert [signer.signature_valid for signer in report.signers] == [True, True]
    canonical = b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(
        parse_xml(issued).getroottree(), method="c14n"
    )
    cod_ver = parse_xml(canonical).find(f"{{{ENVELOPE_NS}}}CertOrigin/CODEH/CODExporter/COD/CODVer")
    assert cod_ver is not None
    assert cod_ver.keys() == ["{http://www.w3.org/2001/XMLSchema-instance}where"]  # nobody signed that
    mismatched = _problems(canonical, context, path=None)
    assert "signature.digest_mismatch" in mismatched
    assert not oracle_verify(canonical, profile=OFFICIAL).ok
    assert not oracle_verify(canonical, profile=EXPORTER).ok


def _resign_official(data: bytes, key: rsa.RSAPrivateKey, digest: bytes) -> bytes:
    """The official's DigestValue set to ``digest`` and its SignedInfo signed again, edited in the bytes
    (everything else stays as written)."""
    after = data.index(b"</CODEH>")
    value = re.compile(rb"(<ds:(DigestValue|SignatureValue)>)[^<]*(</ds:\2>)")

    def put(octets: bytes, name: bytes, text: bytes) -> bytes:
        found = next(m for m in value.finditer(octets, after) if m.group(2) == name)
        return octets[: found.end(1)] + text + octets[found.start(3) :]

    data = put(data, b"DigestValue", base64.b64encode(digest))
    signed_info = parse_xml(data).find(f"{{{ENVELOPE_NS}}}CertOrigin/{DS}Signature/{DS}SignedInfo")
    assert signed_info is not None
    octets = c14n(signed_info, algorithm=EXC_C14N)
    return put(
        data, b"SignatureValue", base64.b64encode(key.sign(octets, padding.PKCS1v15(), hashes.SHA256()))
    )


def test_a_digest_of_the_codeh_as_written_not_canonicalised_is_refused(
    issued: bytes, federation: Federation, context: VerificationContext
) -> None:
    """A non-conformant official digests its CODEH as written (``&#65;R`` for ``AR``), with its own key:
    the octets hash to the signed digest, but they are not the canonical form of the tree they give."""
    written = issued.replace(b"<EHCountry>AR</EHCountry>", b"<EHCountry>&#65;R</EHCountry>", 1)
    start, end = written.index(b"<CODEH "), written.rindex(b"</CODEH>") + len(b"</CODEH>")
    key = federation.country("AR").official.private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    data = _resign_official(written, key, hashlib.sha256(written[start:end]).digest())
    assert data[start:end] == written[start:end] and b"&#65;R" in data[start:end]
    assert c14n(_codeh(data), algorithm=EXC_C14N) == _signed_octets(issued)  # the same tree as issued
    assert _problems(data, context) == {"signature.digest_mismatch"}
    assert not oracle_verify(data, profile=OFFICIAL).ok
    assert oracle_verify(data, profile=EXPORTER).ok  # untouched
