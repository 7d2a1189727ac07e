"""Differential tests: the single-pass core against signxml on the attack corpus and on mutations.

For every document and every pinned signature the two verdicts agree, or the core refuses with a named
code where signxml accepts; the core never accepts what signxml refuses.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from attack_corpus import ATTACKS, Attack
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from singlewindow.errors import CODES, UnusableInput
from singlewindow.pki import Federation, generate_key
from singlewindow.xmlsec import EXPORTER, OFFICIAL, SignatureProfile, parse_xml, verify_signature
from singlewindow.xmlsec.canonical import c14n, c14n_text
from singlewindow.xmlsec.core import cut_c14n
from singlewindow.xmlsec.names import EXC_C14N
from singlewindow.xmlsec.oracle import oracle_verify
from singlewindow.xmlsec.shape import clear_shapes, judge, signature_shape
from singlewindow.xmlsec.structure import scan_document

Issue = Callable[..., bytes]
XmlsecSign = Callable[..., bytes]
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
DS = f"{{{DS_NS}}}"
ENV = "{http://www.w3.org/2001/12/soap-envelope}"
PROFILES = (EXPORTER, OFFICIAL)
EXAMPLES = settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
URIS = [
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2006/12/xml-c14n11",
    "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
    "http://www.w3.org/2000/09/xmldsig#base64",
    "http://www.w3.org/TR/1999/REC-xpath-19991116",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2000/09/xmldsig#sha1",
    "http://www.w3.org/2001/04/xmlenc#sha512",
    "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
    "",
]


def _assert_kept_verdicts_fresh(root: etree._Element) -> None:
    """Every signature's verdict kept per shape (the genuine documents' too) is the one judged afresh."""
    for signature in root.iter(f"{DS}Signature"):
        for profile in PROFILES:
            kept = signature_shape(signature, profile=profile, allow_sha1=False, schema_checked=True)
            assert kept.verdict == judge(signature, profile=profile, allow_sha1=False, schema_checked=True)
            frame, plan = kept.verdict.signed_info_frame, kept.verdict.plan
            if frame is not None and plan is not None and kept.signed_info is not None:
                alone = c14n(kept.signed_info, algorithm=plan.canonicalization, prefixes=plan.prefixes)
                assert frame[0] + c14n_text(kept.digest_value) + frame[1] == alone


def _core(data: bytes, profile: SignatureProfile) -> tuple[bool, set[str]]:
    try:
        root = parse_xml(data)
    except UnusableInput as exc:
        return False, {p.code for p in exc.problems}
    _assert_kept_verdicts_fresh(root)
    result = verify_signature(
        root, role=profile, allow_sha1=False, at=datetime.now(UTC), certificate_check=lambda c: ()
    )
    # The pipeline checks both signatures on one shared scan of the document, the official's first (the
    # COD's C14N is then cut out of the CODEH's): it must find the same.
    scan = scan_document(root, EXPORTER, OFFICIAL)
    for other in (OFFICIAL, EXPORTER):
        shared = verify_signature(
            root,
            role=other,
            allow_sha1=False,
            at=datetime.now(UTC),
            certificate_check=lambda c: (),
            scan=scan,
        )
        if other is profile:
            assert (shared.ok, shared.problems, shared.signed) == (result.ok, result.problems, result.signed)
    _assert_cut_exact(root)
    return result.ok, {p.code for p in result.problems}


def _assert_cut_exact(root: etree._Element) -> None:
    """Wherever the COD's C14N is cut out of the CODEH's, it is the COD's own exclusive C14N."""
    scan = scan_document(root, EXPORTER, OFFICIAL)
    codeh, _ = scan.pinned(OFFICIAL)
    if codeh is None:
        return
    try:
        whole = c14n(codeh, algorithm=EXC_C14N)
    except etree.C14NError:
        return  # C14N refuses it (a relative namespace URI): the core answers signature.malformed
    for cod in codeh.iter("{*}COD"):
        cut = cut_c14n(whole, codeh, cod)
        assert cut is None or cut == c14n(cod, algorithm=EXC_C14N)


def assert_never_laxer(data: bytes) -> None:
    """Both signatures of ``data``: same verdict as signxml, or refused by the core with named codes."""
    for profile in PROFILES:
        ok, codes = _core(data, profile)
        oracle = oracle_verify(data, profile=profile)
        if ok:
            assert oracle.ok, (
                f"the core accepted the {profile.name} signature signxml refuses: {oracle.error}"
            )
        else:
            assert codes and codes <= set(CODES), codes


@pytest.fixture(scope="module")
def genuine(issue: Issue) -> bytes:
    """One genuine RSA-signed COD, issued once for the module."""
    return issue()


@pytest.fixture(scope="module")
def genuine_ec(issue: Issue, ec_federation: Federation) -> bytes:
    """One genuine ECDSA-signed COD."""
    return issue(fed=ec_federation)


@pytest.fixture(autouse=True)
def kept_genuine_shapes(genuine: bytes, genuine_ec: bytes) -> None:
    """Each test starts with the genuine signatures' verdicts kept: a mutation of their shape meets them."""
    clear_shapes()
    for data in (genuine, genuine_ec):
        _assert_kept_verdicts_fresh(parse_xml(data))


@pytest.mark.parametrize("attack", ATTACKS, ids=[attack.name for attack in ATTACKS])
def test_every_attack_corpus_document_is_judged_like_signxml_or_stricter(
    attack: Attack, federation: Federation
) -> None:
    """Each attack-corpus document: the core never accepts a signature signxml refuses."""
    try:
        data = attack.build(federation, datetime.now(UTC) - timedelta(minutes=5))
    except RuntimeError as exc:  # e.g. the SHA-1 builder without xmlsec1
        pytest.skip(str(exc))
    if len(data) > 5 * 1024 * 1024:
        assert _core(data, OFFICIAL) == (False, {"input.too_large"})
        return
    assert_never_laxer(data)


@pytest.mark.parametrize("which", ["rsa", "ecdsa", "xmlsec1"])
def test_genuine_documents_verify_in_both(
    which: str, genuine: bytes, genuine_ec: bytes, xmlsec1_sign: XmlsecSign
) -> None:
    """Genuine documents (our RSA and ECDSA signatures, xmlsec1's inclusive C14N) pass core and signxml."""
    data = {"rsa": lambda: genuine, "ecdsa": lambda: genuine_ec, "xmlsec1": xmlsec1_sign}[which]()
    for profile in PROFILES:
        assert _core(data, profile) == (True, set())
        assert oracle_verify(data, profile=profile).ok


@EXAMPLES
@given(data=st.data())
def test_byte_flips(genuine: bytes, data: st.DataObject) -> None:
    """A changed byte anywhere in the document: never accepted by the core unless signxml accepts it."""
    index = data.draw(st.integers(min_value=0, max_value=len(genuine) - 1))
    byte = data.draw(st.integers(min_value=0x20, max_value=0x7E))
    mutated = genuine[:index] + bytes([byte]) + genuine[index + 1 :]
    assert_never_laxer(mutated)


def _elements(root: etree._Element) -> list[etree._Element]:
    return [element for element in root.iter(etree.Element) if element is not root]


@EXAMPLES
@given(data=st.data())
def test_moved_and_duplicated_elements(genuine: bytes, data: st.DataObject) -> None:
    """An element moved or duplicated anywhere (signed content, signatures, KeyInfo): never laxer."""
    root = etree.fromstring(genuine)
    elements = _elements(root)
    node = elements[data.draw(st.integers(min_value=0, max_value=len(elements) - 1))]
    targets = [root] + [e for e in elements if e is not node and node not in e.iterancestors()]
    target = targets[data.draw(st.integers(min_value=0, max_value=len(targets) - 1))]
    how = data.draw(st.sampled_from(["move", "duplicate", "duplicate_beside"]))
    if how == "duplicate_beside":
        node.addnext(copy.deepcopy(node))
    else:
        moving = node if how == "move" else copy.deepcopy(node)
        target.append(moving)
    assert_never_laxer(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@EXAMPLES
@given(data=st.data())
def test_namespace_prefix_tricks(genuine: bytes, xmlsec1_sign: XmlsecSign, data: st.DataObject) -> None:
    """Extra, redefined or renamed namespace declarations: never laxer (inclusive and exclusive C14N)."""
    source = data.draw(st.sampled_from(["ours", "xmlsec1"]))
    text = (genuine if source == "ours" else xmlsec1_sign()).decode()
    trick = data.draw(
        st.sampled_from(
            [
                ("<env:Envelope ", '<env:Envelope xmlns:foo="urn:foo" '),
                ("<CODEH ", '<CODEH xmlns:foo="urn:foo" '),
                ("<CODEH ", '<CODEH xmlns:ds="urn:not-dsig" '),
                ("<CODEH ", f'<CODEH xmlns:ds2="{DS_NS}" '),
                ("<ds:SignedInfo>", '<ds:SignedInfo xmlns:foo="urn:foo">'),
                ("<ds:SignedInfo>", '<ds:SignedInfo xmlns="urn:default">'),
                ("<COD ", '<COD xmlns="urn:default" '),
                ("<COD ", '<COD xmlns="" '),
                ("ds:", "dsx:"),
            ]
        )
    )
    old, new = trick
    if old not in text:
        return
    if old == "ds:":
        text = text.replace('xmlns:ds="', 'xmlns:dsx="').replace("ds:", "dsx:")
    else:
        count = data.draw(st.integers(min_value=1, max_value=text.count(old)))
        text = text.replace(old, new, count)
    assert_never_laxer(text.encode())


@EXAMPLES
@given(data=st.data())
def test_changed_transforms_and_algorithms(genuine: bytes, data: st.DataObject) -> None:
    """Any Algorithm of SignedInfo set to another URI, or a transform added or removed: never laxer."""
    root = etree.fromstring(genuine)
    places = list(
        root.iter(
            f"{DS}CanonicalizationMethod", f"{DS}SignatureMethod", f"{DS}Transform", f"{DS}DigestMethod"
        )
    )
    place = places[data.draw(st.integers(min_value=0, max_value=len(places) - 1))]
    what = data.draw(st.sampled_from(["set", "add", "remove"]))
    uri = data.draw(st.sampled_from(URIS))
    if what == "set" or place.tag != f"{DS}Transform":
        place.set("Algorithm", uri)
    elif what == "add":
        place.addnext(etree.Element(f"{DS}Transform", Algorithm=uri))
    else:
        parent = place.getparent()
        assert parent is not None
        parent.remove(place)
    assert_never_laxer(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@EXAMPLES
@given(data=st.data())
def test_extra_references(genuine: bytes, data: st.DataObject) -> None:
    """A second Reference (to the same, another, or the whole document), or a changed URI: never laxer."""
    root = etree.fromstring(genuine)
    references = list(root.iter(f"{DS}Reference"))
    reference = references[data.draw(st.integers(min_value=0, max_value=len(references) - 1))]
    uri = data.draw(st.sampled_from(["#COD", "#CODEH", "", "#xpointer(/)", "#codeh", "#nothing"]))
    if data.draw(st.booleans()):
        extra = copy.deepcopy(reference)
        extra.set("URI", uri)
        reference.addnext(extra)
    else:
        reference.set("URI", uri)
    assert_never_laxer(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _key_value(key: rsa.RSAPublicKey) -> etree._Element:
    numbers = key.public_numbers()
    value = etree.Element(f"{DS}KeyValue")
    rsa_value = etree.SubElement(value, f"{DS}RSAKeyValue")

    def b64(number: int) -> str:
        return base64.b64encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).decode()

    etree.SubElement(rsa_value, f"{DS}Modulus").text = b64(numbers.n)
    etree.SubElement(rsa_value, f"{DS}Exponent").text = b64(numbers.e)
    return value


@pytest.fixture(scope="module")
def stranger_key() -> rsa.RSAPublicKey:
    """Someone else's RSA public key."""
    key = generate_key(algorithm="rsa")
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.public_key()


@EXAMPLES
@given(data=st.data())
def test_key_info_variants(genuine: bytes, stranger_key: rsa.RSAPublicKey, data: st.DataObject) -> None:
    """KeyInfo without certificate, with two, another KeyValue, a pointer, CR-wrapped base64: never laxer."""
    root = etree.fromstring(genuine)
    key_info = root.find(f"{ENV}CertOrigin/{DS}Signature/{DS}KeyInfo")
    assert key_info is not None
    x509_data = key_info.find(f"{DS}X509Data")
    assert x509_data is not None
    variant = data.draw(
        st.sampled_from(
            [
                "no_x509",
                "two_certificates",
                "stranger_key_value",
                "no_key_value",
                "retrieval",
                "key_name",
                "cr_wrapped",
            ]
        )
    )
    if variant == "no_x509":
        key_info.remove(x509_data)
    elif variant == "two_certificates":
        x509_data.append(copy.deepcopy(x509_data[0]))
    elif variant == "stranger_key_value":
        old = key_info.find(f"{DS}KeyValue")
        if old is not None:
            key_info.remove(old)
        key_info.insert(0, _key_value(stranger_key))
    elif variant == "no_key_value":
        old = key_info.find(f"{DS}KeyValue")
        if old is not None:
            key_info.remove(old)
    elif variant == "retrieval":
        etree.SubElement(key_info, f"{DS}RetrievalMethod", URI="#COD")
    elif variant == "key_name":
        etree.SubElement(key_info, f"{DS}KeyName").text = "official"
    else:
        for element in key_info.iter(f"{DS}X509Certificate", f"{DS}Modulus", f"{DS}Exponent"):
            flat = "".join((element.text or "").split())
            element.text = "\r\n".join(flat[i : i + 64] for i in range(0, len(flat), 64))
    mutated = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    assert_never_laxer(mutated)
    if variant in ("no_key_value", "key_name", "cr_wrapped"):
        assert _core(mutated, OFFICIAL) == (True, set())


def _with_certificate(document: bytes, edit: Callable[[bytes], bytes]) -> bytes:
    """``document`` with the DER of its first X509Certificate changed by ``edit``."""
    start = document.index(b"<ds:X509Certificate>") + len(b"<ds:X509Certificate>")
    end = document.index(b"</ds:X509Certificate>", start)
    der = base64.b64decode(b"".join(document[start:end].split()))
    return document[:start] + base64.b64encode(edit(der)) + document[end:]


RSA_ENCRYPTION = bytes.fromhex("06092a864886f70d010101")  # the OID of an RSA public key, DER
VERSION_3 = bytes.fromhex("a003020102")  # tbsCertificate's [0] version, followed by the serial INTEGER


def _negative_serial(der: bytes) -> bytes:
    """The certificate's serial number with its sign bit set (RFC 5280 wants it positive)."""
    at = der.index(VERSION_3) + len(VERSION_3) + 2  # past the INTEGER's tag and length
    return der[:at] + bytes([der[at] | 0x80]) + der[at + 1 :]


@pytest.mark.parametrize(
    ("name", "mutate"),
    [
        # found by byte flips: each raised out of the core (C14NError, UnsupportedAlgorithm)
        (
            "relative namespace URI",
            lambda d: d.replace(
                b'xmlns:ds="http://www.w3.org/2000/09/xmldsig#"', b'xmlns:ds="/ttp://w3.org/ds#"', 1
            ),
        ),
        (
            "unknown key type",
            lambda d: _with_certificate(
                d, lambda der: der.replace(RSA_ENCRYPTION, RSA_ENCRYPTION[:-1] + b"\x09", 1)
            ),
        ),
        ("serial number not positive", lambda d: _with_certificate(d, _negative_serial)),
    ],
)
def test_unreadable_keys_and_uncanonicalisable_content_are_problems(
    genuine: bytes, name: str, mutate: Callable[[bytes], bytes]
) -> None:
    """A key of an unknown type or content C14N refuses: refused with a problem code, never an exception."""
    mutated = mutate(genuine)
    assert mutated != genuine, name
    for profile in (EXPORTER, OFFICIAL):
        ok, codes = _core(mutated, profile)
        assert not ok and codes, (name, profile.role)


@pytest.mark.parametrize("after", ["signed", "signature"])
@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_text_after_the_signed_element_or_its_signature_is_refused_like_signxml(
    genuine: bytes, profile: SignatureProfile, after: str
) -> None:
    """Outside the signed bytes, yet signxml refuses it (it re-reads both with their tails): so does the core.

    Found by ``test_byte_flips``: a ``!`` in the whitespace between ``</CODEH>`` and the official's
    ds:Signature.
    """
    root = parse_xml(genuine)
    scan = scan_document(root, profile)
    signed, _ = scan.pinned(profile)
    assert signed is not None
    element = (
        signed
        if after == "signed"
        else next(e for e in (signed.getnext(), signed[-1]) if e is not None and e.tag == f"{DS}Signature")
    )
    element.tail = (element.tail or "") + "!"
    data = etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")
    assert not oracle_verify(data, profile=profile).ok
    ok, codes = _core(data, profile)
    assert not ok and "signature.wrapping" in codes
