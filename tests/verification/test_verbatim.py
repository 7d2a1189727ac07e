"""Signed elements digested as received: what is issued is canonical, and bytes that only look so are not.

A COD issued here is written in canonical form, so the verifier digests its CODEH as it stands in
the received bytes instead of canonicalising it again (``DocumentScan.verbatim``). Each trick below
puts a pristine copy of the signed CODEH where a byte search would find it first, and changes the
real one: the verdict must stay the one lxml's C14N gives (digest mismatch), as signxml's does.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
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
OFFICIAL_PATH = "/Envelope/CertOrigin/ds:Signature"


@pytest.fixture(scope="module")
def issued(issue: Issue) -> bytes:
    """A complete COD issued (both signatures made) here."""
    return issue()


def _codeh(data: bytes) -> bytes:
    start, end = data.index(b"<CODEH "), data.rindex(b"</CODEH>") + len(b"</CODEH>")
    return data[start:end]


def _tampered(data: bytes) -> bytes:
    """The real CODEH changed after signing (its EH country) and its end tag written ``</CODEH >``.

    The end tag is legal XML that a search for ``</CODEH>`` passes over: the search then ends at
    the pristine copy each test puts before it.
    """
    codeh = _codeh(data)
    assert codeh.count(b"<EHCountry>AR</EHCountry>") == 1
    changed = codeh.replace(b"<EHCountry>AR</EHCountry>", b"<EHCountry>UY</EHCountry>")
    return data.replace(codeh, changed[: -len(b"</CODEH>")] + b"</CODEH >")


def _problems(data: bytes, context: VerificationContext, *, path: str | None = OFFICIAL_PATH) -> set[str]:
    """The codes of the problems found (at ``path``; None: anywhere); the document must be refused."""
    report = verify_document(data, context=context)
    assert not report.valid
    return {p.code for p in report.problems if path is None or p.path == path}


def test_an_issued_cod_carries_its_codeh_in_canonical_form(
    issued: bytes, context: VerificationContext
) -> None:
    """The CODEH's bytes are its exclusive C14N (what the official signed), and the COD verifies."""
    root = parse_xml(issued)
    codeh = root.find(f"{{{ENVELOPE_NS}}}CertOrigin/CODEH")
    assert codeh is not None
    assert _codeh(issued) == c14n(codeh, algorithm=EXC_C14N)
    assert issued.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    assert verify_document(issued, context=context).valid


def test_the_same_document_not_canonical_verifies_the_same(
    issued: bytes, context: VerificationContext
) -> None:
    """Written by lxml's serialiser (empty elements as ``<a/>``) it is canonicalised instead: same verdict."""
    rewritten = serialize(parse_xml(issued))
    assert b"/>" in _codeh(rewritten)
    canonical, plain = verify_document(issued, context=context), verify_document(rewritten, context=context)
    assert plain.valid and canonical.valid
    assert [c for c in plain.checks if c.name != "parse"] == [
        c for c in canonical.checks if c.name != "parse"
    ]
    assert plain.signers == canonical.signers


def test_a_changed_canonical_cod_is_refused(issued: bytes, context: VerificationContext) -> None:
    """The baseline of the tricks below: the change alone breaks the official's digest."""
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
def test_a_pristine_copy_before_the_changed_codeh_is_not_taken_for_it(
    issued: bytes,
    context: VerificationContext,
    hiding: Callable[[bytes], bytes],
    path: str | None,
    code: str,
) -> None:
    """The first ``<CODEH`` in the bytes is the copy's: the verifier must not digest it as the CODEH's."""
    tampered = _tampered(issued)
    at = tampered.index(b"<CODEH ")
    attacked = tampered[:at] + hiding(_codeh(issued)) + tampered[at:]
    etree.fromstring(attacked)  # well-formed: the parser takes it
    assert code in _problems(attacked, context, path=path)
    assert not oracle_verify(attacked, profile=OFFICIAL).ok


def test_bytes_read_in_another_encoding_are_not_the_signed_octets(
    issued: bytes, context: VerificationContext
) -> None:
    """Declared ISO-8859-1, the UTF-8 bytes of "N°" and "—" read as other characters: refused."""
    assert "°".encode() in _codeh(issued)
    latin = issued.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"', 1)
    assert parse_xml(latin).getroottree().docinfo.encoding == "ISO-8859-1"
    problems = _problems(latin, context)
    assert "signature.digest_mismatch" in problems
    assert not oracle_verify(latin, profile=OFFICIAL).ok
    assert not oracle_verify(latin, profile=EXPORTER).ok


def test_a_pristine_copy_as_bytes_inside_utf16_text_is_not_taken_for_the_codeh(
    issued: bytes, context: VerificationContext
) -> None:
    """UTF-16 (lxml's docinfo still says UTF-8): the signed octets hidden as text are not the CODEH's."""
    declaration = b'<?xml version="1.0" encoding="UTF-8"?>\n'
    tampered = _tampered(issued).removeprefix(declaration)  # a byte order mark says UTF-16 instead
    wide = tampered.decode().encode("utf-16-le")
    at = wide.index("<CODEH ".encode("utf-16-le"))
    copy = _codeh(issued)
    copy += b" " * (len(copy) % 2)  # whole UTF-16 code units
    attacked = b"\xff\xfe" + wide[:at] + copy + wide[at:]
    root = etree.fromstring(attacked)  # well-formed: the copy reads as text of CJK and other letters
    assert root.getroottree().docinfo.encoding == "UTF-8"  # what lxml reports; not what was parsed
    assert "signature.digest_mismatch" in _problems(attacked, context)
    assert not oracle_verify(attacked, profile=OFFICIAL).ok


#: An attribute in a namespace whose name holds "&#x65;" as text (written escaped as "&amp;#x65;").
ODD_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instanc&#x65;"


@pytest.fixture(scope="module")
def odd_namespace(federation: Federation) -> bytes:
    """A COD issued here from a request whose CODVer carries an attribute in ``ODD_NAMESPACE``."""
    request = serialize(to_element(sample_certificate(), stage="request"))
    declared = b'<CODVer xmlns:p="http://www.w3.org/2001/XMLSchema-instanc&amp;#x65;" p:where="x.xsd">'
    request = request.replace(b"<CODVer>", declared, 1)
    return complete_and_sign(request, federation=federation, country="AR", algorithm="rsa-sha256")


def _cod_ver(data: bytes) -> etree._Element:
    found = parse_xml(data).find(f"{{{ENVELOPE_NS}}}CertOrigin/CODEH/CODExporter/COD/CODVer")
    assert found is not None
    return found


def test_a_namespace_name_with_an_ampersand_is_issued_escaped(
    odd_namespace: bytes, context: VerificationContext
) -> None:
    """libxml2's C14N writes namespace names unescaped: such a COD is written by the plain serialiser."""
    assert b"instanc&amp;#x65;" in odd_namespace
    assert _cod_ver(odd_namespace).keys() == [f"{{{ODD_NAMESPACE}}}where"]  # read back as signed
    report = verify_document(odd_namespace, context=context)
    assert [signer.signature_valid for signer in report.signers] == [True, True]
    assert not [p for p in report.problems if p.code.startswith("signature.")]  # the XSD refuses p:where


def test_canonical_octets_with_an_unescaped_ampersand_are_not_taken_as_received(
    odd_namespace: bytes, context: VerificationContext
) -> None:
    """Written as C14N renders it, the namespace reads as XMLSchema-instance, which nobody signed."""
    canonical = b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(
        parse_xml(odd_namespace).getroottree(), method="c14n", with_comments=True
    )
    assert _cod_ver(canonical).keys() == ["{http://www.w3.org/2001/XMLSchema-instance}where"]
    report = verify_document(canonical, context=context)
    mismatched = {p.path for p in report.problems if p.code == "signature.digest_mismatch"}
    assert mismatched == {OFFICIAL_PATH, "/Envelope/CertOrigin/CODEH/CODExporter/ds:Signature"}
    assert not oracle_verify(canonical, profile=OFFICIAL).ok
    assert not oracle_verify(canonical, profile=EXPORTER).ok
