"""Structural checks shared by every pinned signature: ids, comments, the shape of ds:Signature, KeyInfo."""

from __future__ import annotations

import binascii
import functools
import importlib.resources
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.utils import CryptographyDeprecationWarning
from lxml import etree

from singlewindow.errors import Problem, problem
from singlewindow.xmlsec.names import (
    DS_NS,
    ENVELOPED,
    EXC_C14N,
    EXC_C14N_COMMENTS,
    LEGACY_DIGEST_METHODS,
    LEGACY_SIGNATURE_METHODS,
)
from singlewindow.xmlsec.parser import hardened_parser
from singlewindow.xmlsec.profile import SignatureProfile
from singlewindow.xmlsec.scan import find_id_carriers

_DS = f"{{{DS_NS}}}"
EC_NS = EXC_C14N  # the InclusiveNamespaces element lives in the exclusive C14N namespace
DSIG11_NS = "http://www.w3.org/2009/xmldsig11#"
_INCLUSIVE = f"{{{EC_NS}}}InclusiveNamespaces"
#: The named curves an ECKeyValue may name (only P-256/384/521 are used by X.509 signers here).
_CURVES = {
    "urn:oid:1.2.840.10045.3.1.7": "secp256r1",
    "urn:oid:1.3.132.0.34": "secp384r1",
    "urn:oid:1.3.132.0.35": "secp521r1",
}


def id_values(element: etree._Element) -> list[str]:
    """The values of every ``id``-like attribute of ``element`` (any case, any namespace)."""
    return [
        str(value) for name, value in element.attrib.items() if etree.QName(name).localname.lower() == "id"
    ]


def id_carriers(root: etree._Element, wanted: str) -> list[etree._Element]:
    """Every element of ``root``'s tree that carries ``wanted`` in an id-like attribute."""
    return find_id_carriers(root, (wanted,))[wanted]


def first_child(element: etree._Element, tag: str) -> etree._Element | None:
    """The first child element named ``tag`` (what ``element.find(tag)`` gives, without a path lookup)."""
    if len(element) and element[0].tag == tag:  # most often the very first child
        return element[0]
    for child in element.iterchildren(tag):
        return child
    return None


def comment_problems(
    signed: etree._Element, comments: Iterable[etree._Element] | None = None
) -> list[Problem]:
    """A comment or PI inside a signed text value: harmless to the digest, misleading to naive readers.

    ``comments``: every comment and PI of the document (``DocumentScan.comments``), when already found.
    """
    if comments is None:
        comments = signed.iter(etree.Comment, etree.ProcessingInstruction)
    else:
        comments = [node for node in comments if any(up is signed for up in node.iterancestors())]
    problems = []
    for node in comments:
        parent = node.getparent()
        if parent is not None and not any(True for _ in parent.iterchildren(tag=etree.Element)):
            where = signed.getroottree().getpath(parent)
            problems.append(problem("signature.wrapping", "comment inside signed value", where))
    return problems


_OBJECT = f"{_DS}Object"


def object_problems(signature: etree._Element, *, path: str) -> list[Problem]:
    """A ds:Object with content: the classic place to hide moved, 'signed' content."""
    return [
        problem("signature.wrapping", "ds:Object carries content", path)
        for obj in signature.iter(_OBJECT)
        if len(obj) or (obj.text or "").strip()
    ]


def _shape(element: etree._Element, expected: list[tuple[str, str]]) -> str | None:
    """None when the element children follow ``expected`` [(localname, '1'|'?'|'+'|'*')], else why not."""
    children = list(element)
    if any(not isinstance(child.tag, str) for child in children):
        return f"ds:{etree.QName(element).localname} contains a comment or processing instruction"
    index = 0
    for name, occurs in expected:
        count = 0
        while index < len(children) and children[index].tag == f"{_DS}{name}":
            index, count = index + 1, count + 1
        if (occurs == "1" and count != 1) or (occurs == "?" and count > 1) or (occurs == "+" and not count):
            return f"ds:{etree.QName(element).localname} must hold {occurs} ds:{name}, found {count}"
    if index < len(children):
        return f"unexpected {children[index].tag} in ds:{etree.QName(element).localname}"
    return None


#: XMLDSig elements of simple (text-only) content: any child node in them is malformed.
_SIMPLE = tuple(
    f"{_DS}{name}"
    for name in (
        "SignatureValue",
        "DigestValue",
        "X509Certificate",
        "X509SubjectName",
        "X509SKI",
        "X509CRL",
        "KeyName",
        "Modulus",
        "Exponent",
        "X509IssuerName",
        "X509SerialNumber",
    )
)
_SIMPLE_CONTENT = (*_SIMPLE, f"{{{DSIG11_NS}}}PublicKey")
_KEY_INFO_CHILDREN = frozenset(
    f"{_DS}{name}" for name in ("KeyName", "KeyValue", "X509Data", "RetrievalMethod")
)
_KEY_INFO = f"{_DS}KeyInfo"
_X509_CERTIFICATE = f"{_DS}X509Certificate"
_KEY_VALUE = f"{_DS}KeyValue"
_KEY_INFO_PARTS = tuple(f"{_DS}{name}" for name in ("X509Certificate", "RetrievalMethod", "KeyValue"))
_X509_CHILDREN = frozenset(
    f"{_DS}{name}"
    for name in ("X509IssuerSerial", "X509SKI", "X509SubjectName", "X509Certificate", "X509CRL")
)


def _content_reasons(signature: etree._Element) -> list[str]:
    """Child nodes where XMLDSig allows text only, and unknown elements in KeyInfo and X509Data."""
    reasons = [
        f"ds:{etree.QName(element).localname} must hold text only"
        for element in signature.iter(*_SIMPLE_CONTENT)
        if len(element)
    ]
    for key_info in signature.iterfind(f"{_DS}KeyInfo"):
        for child in key_info:
            if child.tag not in _KEY_INFO_CHILDREN:
                reasons.append(f"unexpected {child.tag} in ds:KeyInfo")
        for x509_data in key_info.iterfind(f"{_DS}X509Data"):
            for child in x509_data:
                if child.tag not in _X509_CHILDREN:
                    reasons.append(f"unexpected {child.tag} in ds:X509Data")
    return reasons


@functools.cache
def _dsig_schema() -> etree.XMLSchema:
    """The XMLDSig 1.1 XSD signxml ships (and checks every signature against), loaded once."""
    with importlib.resources.files("signxml.schemas").joinpath("xmldsig1-schema.xsd").open("rb") as source:
        return etree.XMLSchema(etree.parse(source))


def _schema_reason(signature: etree._Element) -> str | None:
    schema = _dsig_schema()
    if schema.validate(signature):
        return None
    error = getattr(schema.error_log, "last_error", None)  # lxml-stubs lack _ErrorLog.last_error
    return f"not a valid XMLDSig signature: {getattr(error, 'message', 'schema error')}"


def _element_reasons(signature: etree._Element, signed_info: etree._Element | None) -> list[str | None]:
    """The XMLDSig element structure, by hand (named reasons), then by signxml's XMLDSig XSD."""
    reasons = [
        _shape(signature, [("SignedInfo", "1"), ("SignatureValue", "1"), ("KeyInfo", "?"), ("Object", "*")])
    ]
    if signed_info is not None:
        expected = [("CanonicalizationMethod", "1"), ("SignatureMethod", "1"), ("Reference", "+")]
        reasons.append(_shape(signed_info, expected))
        for reference in signed_info.iterfind(f"{_DS}Reference"):
            reasons.append(
                _shape(reference, [("Transforms", "?"), ("DigestMethod", "1"), ("DigestValue", "1")])
            )
            for transforms in reference.iterfind(f"{_DS}Transforms"):
                reasons.append(_shape(transforms, [("Transform", "+")]))
    reasons += _content_reasons(signature)
    if not any(reasons):  # the XSD backstop: what the checks above do not name, it still refuses
        reasons.append(_schema_reason(signature))
    return reasons


_METHOD_ELEMENTS = tuple(f"{_DS}{name}" for name in ("CanonicalizationMethod", "Transform", "DigestMethod"))
_MARKUP = (etree._Comment, etree._ProcessingInstruction)


@dataclass(frozen=True)
class SignedInfoParts:
    """A ds:SignedInfo taken apart in one pass: what the structure checks and the core read from it."""

    element: etree._Element
    #: the first child element of each name (what ``element.find(name)`` gives)
    first: dict[str, etree._Element]
    #: every ds:Reference child, in order
    references: list[etree._Element]
    #: every CanonicalizationMethod, Transform and DigestMethod inside, in document order
    methods: list[etree._Element]
    #: a comment or processing instruction anywhere inside
    has_markup: bool


def signed_info_parts(signed_info: etree._Element) -> SignedInfoParts:
    """Take ``signed_info`` apart: its children by name and every algorithm-bearing element inside."""
    first: dict[str, etree._Element] = {}
    references = []
    for child in signed_info:
        tag = child.tag
        if isinstance(tag, str):
            if tag not in first:
                first[tag] = child
            if tag == _REFERENCE:
                references.append(child)
    methods = []
    has_markup = False
    for node in signed_info.iter(*_METHOD_ELEMENTS, etree.Comment, etree.ProcessingInstruction):  # in C
        if isinstance(node, _MARKUP):
            has_markup = True
        else:
            methods.append(node)
    return SignedInfoParts(signed_info, first, references, methods, has_markup)


def shape_problems(
    signature: etree._Element,
    *,
    path: str,
    schema_checked: bool = False,
    parts: SignedInfoParts | None = None,
) -> list[Problem]:
    """The XMLDSig structure (what signxml checks with its XSD), no comments in SignedInfo, bare methods.

    ``schema_checked``: the whole document already passed an XSD that validates this ds:Signature
    (the official COD XSDs import XMLDSig), so the element structure is not checked twice.
    ``parts``: the signature's first ds:SignedInfo taken apart, when the caller has done it already.
    """
    if parts is None:
        signed_info = first_child(signature, f"{_DS}SignedInfo")
        parts = signed_info_parts(signed_info) if signed_info is not None else None
    reasons = [] if schema_checked else _element_reasons(signature, parts.element if parts else None)
    if parts is not None:
        if parts.has_markup:
            reasons.append("SignedInfo contains a comment or processing instruction")
        for element in parts.methods:
            algorithm = element.get("Algorithm")
            if algorithm is not None and not len(element):
                continue  # nothing inside: nothing unexpected
            inclusive = algorithm in (EXC_C14N, EXC_C14N_COMMENTS)
            extra = [child for child in element if not (inclusive and child.tag == _INCLUSIVE)]
            if algorithm is None or extra or len(element) > 1:
                reasons.append(
                    f"ds:{etree.QName(element).localname} {algorithm!r} carries unexpected content"
                )
    return [problem("signature.malformed", reason, path) for reason in dict.fromkeys(reasons) if reason]


def _forbidden(kind: str, uri: str | None, path: str) -> Problem:
    legacy = uri in _LEGACY
    hint = " (SHA-1 is accepted only under the explicit allow-sha1 policy)" if legacy else ""
    return problem("signature.algorithm_forbidden", f"{kind} {uri!r} is not allowed{hint}", path)


_LEGACY = LEGACY_SIGNATURE_METHODS | LEGACY_DIGEST_METHODS
_REFERENCE = f"{_DS}Reference"
_CANONICALIZATION = f"{_DS}CanonicalizationMethod"
_SIGNATURE_METHOD = f"{_DS}SignatureMethod"
_DIGEST_METHOD = f"{_DS}DigestMethod"
_TRANSFORM = f"{_DS}Transform"


def signed_info_problems(
    signed_info: etree._Element | SignedInfoParts,
    *,
    profile: SignatureProfile,
    allow_sha1: bool,
    path: str,
) -> list[Problem]:
    """Exactly one Reference to the pinned id; only the profile's canonicalizations, methods, transforms."""
    parts = signed_info if isinstance(signed_info, SignedInfoParts) else signed_info_parts(signed_info)
    problems: list[Problem] = []
    want = profile.reference_uri
    references = parts.references
    if len(references) != 1 or references[0].get("URI") != want:
        uris = ", ".join(repr(ref.get("URI")) for ref in references) or "none"
        message = f"the signature must hold exactly one Reference with URI {want!r}; found {uris}"
        problems.append(problem("signature.reference_invalid", message, path))
    c14n = parts.first.get(_CANONICALIZATION)
    if c14n is None or c14n.get("Algorithm") not in profile.canonicalizations:
        uri = None if c14n is None else c14n.get("Algorithm")
        problems.append(
            problem("signature.algorithm_forbidden", f"canonicalization {uri!r} is not allowed", path)
        )
    method = parts.first.get(_SIGNATURE_METHOD)
    uri = None if method is None else method.get("Algorithm")
    if uri not in profile.allowed_signature_methods(allow_sha1=allow_sha1):
        problems.append(_forbidden("signature method", uri, path))
    digests: list[str | None] = []
    transforms: list[str | None] = []
    for element in parts.methods:  # in document order
        tag = element.tag
        if tag == _DIGEST_METHOD:
            digests.append(element.get("Algorithm"))
        elif tag == _TRANSFORM:
            transforms.append(element.get("Algorithm"))
    allowed = profile.allowed_digest_methods(allow_sha1=allow_sha1)
    problems += [_forbidden("digest", uri, path) for uri in digests if uri not in allowed]
    for uri in transforms:
        if uri not in profile.transforms:
            problems.append(
                problem("signature.algorithm_forbidden", f"transform {uri!r} is not allowed", path)
            )
    order = [uri for uri in transforms if uri in profile.transforms]
    if order not in ([], [ENVELOPED]) and (order[-1] == ENVELOPED or order[:-1] not in ([], [ENVELOPED])):
        message = "the transforms must be the enveloped-signature transform, then at most one C14N"
        problems.append(problem("signature.malformed", message, path))
    if profile.require_enveloped and ENVELOPED not in transforms:
        problems.append(
            problem("signature.malformed", "the reference lacks the enveloped-signature transform", path)
        )
    return problems


def signature_method(signed_info: etree._Element | SignedInfoParts) -> str:
    """The SignatureMethod URI ('' when absent)."""
    if isinstance(signed_info, SignedInfoParts):
        method = signed_info.first.get(f"{_DS}SignatureMethod")
    else:
        method = first_child(signed_info, f"{_DS}SignatureMethod")
    return (method.get("Algorithm") or "") if method is not None else ""


def b64(text: str | None) -> bytes:
    """A base64 value as DER-style bytes; XML whitespace (line ends of any kind, ``&#13;`` too) ignored.

    ``base64.b64decode(..., validate=True)`` without its wrapper: the same strict decoding, the same
    errors (``binascii.Error``; ``ValueError`` for non-ASCII text). Only ASCII text loses its
    whitespace first: ``str.split`` would also drop a no-break space or U+2028, which no base64
    value holds and signxml refuses (an edit that left a signature valid, found by a red-team read).
    """
    value = text or ""
    if value.isascii():  # split() drops space, tab, CR, LF (its other separators are not XML 1.0 text)
        value = "".join(value.split())
    return binascii.a2b_base64(value, strict_mode=True)


def _integer(element: etree._Element | None) -> int | None:
    if element is None:
        return None
    return int.from_bytes(b64(element.text), "big")


def _key_value_problem(key_value: etree._Element, certificate: x509.Certificate) -> str | None:
    """None when the KeyValue is the certificate's own public key, else why not."""
    public = certificate.public_key()
    children = [child for child in key_value if isinstance(child.tag, str)]
    if len(children) != 1:
        return f"KeyValue must hold one key, found {len(children)}"
    value = children[0]
    if value.tag == f"{_DS}RSAKeyValue":
        modulus = _integer(value.find(f"{_DS}Modulus"))
        exponent = _integer(value.find(f"{_DS}Exponent"))
        if modulus is None or exponent is None:
            return "RSAKeyValue lacks Modulus or Exponent"
        numbers = public.public_numbers() if isinstance(public, rsa.RSAPublicKey) else None
        if numbers is None or (numbers.n, numbers.e) != (modulus, exponent):
            return "the RSAKeyValue is not the certificate's key"
        return None
    if value.tag == f"{{{DSIG11_NS}}}ECKeyValue":
        curve = value.find(f"{{{DSIG11_NS}}}NamedCurve")
        point = value.find(f"{{{DSIG11_NS}}}PublicKey")
        if curve is None or point is None:
            return "ECKeyValue lacks NamedCurve or PublicKey"
        if (
            not isinstance(public, ec.EllipticCurvePublicKey)
            or _CURVES.get(curve.get("URI") or "") != public.curve.name
        ):
            return "the ECKeyValue is not the certificate's key"
        own = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        if b64(point.text) != own:
            return "the ECKeyValue is not the certificate's key"
        return None
    return f"KeyValue {value.tag} is not supported"


def key_info(signature: etree._Element, *, path: str) -> tuple[x509.Certificate | None, list[Problem]]:
    """The one X.509 certificate of KeyInfo; a KeyValue, when present, must be that certificate's key.

    A bare KeyValue, several certificates, a pointer elsewhere or a KeyValue of another key: refused.
    """
    return _key_info(list(signature.iterchildren(_KEY_INFO)), path=path)


def _key_info(key_infos: list[etree._Element], *, path: str) -> tuple[x509.Certificate | None, list[Problem]]:
    where = f"{path}/ds:KeyInfo"
    # One pass over KeyInfo for the certificates, pointers and KeyValues, each kind in document order.
    found = [] if len(key_infos) != 1 else list(key_infos[0].iter(*_KEY_INFO_PARTS))
    certificates, key_values, pointer = [], [], False
    for node in found:
        tag = node.tag
        if tag == _X509_CERTIFICATE:
            certificates.append(node)
        elif tag == _KEY_VALUE:
            key_values.append(node)
        else:  # ds:RetrievalMethod
            pointer = True
    if len(certificates) != 1:
        has_key_value = any(True for info in key_infos for _ in info.iter(f"{_DS}KeyValue"))
        detail = "only a bare KeyValue" if has_key_value else f"{len(certificates)} X509Certificate elements"
        message = f"KeyInfo must carry exactly one X509Certificate; found {detail}"
        return None, [problem("signature.key_info_invalid", message, where)]
    if pointer:
        return None, [problem("signature.key_info_invalid", "KeyInfo must not point elsewhere", where)]
    if len(key_values) > 1:
        certificate, _ = _read_key(certificates[0].text or "", None)
        return certificate, [problem("signature.key_info_invalid", "KeyInfo holds several KeyValues", where)]
    key_value = etree.tostring(key_values[0]) if key_values else None
    certificate, reason = _read_key(certificates[0].text or "", key_value)
    return certificate, [] if reason is None else [problem("signature.key_info_invalid", reason, where)]


@functools.lru_cache(maxsize=256)
def _read_key(certificate_text: str, key_value: bytes | None) -> tuple[x509.Certificate | None, str | None]:
    """The certificate, and why its KeyInfo is refused (None: usable); cached: signers sign many documents."""
    try:
        certificate = x509.load_der_x509_certificate(b64(certificate_text))
        # read the key now: an unknown key type must refuse the KeyInfo, not fail the verification later
        certificate.public_key()
    except (binascii.Error, ValueError, UnsupportedAlgorithm, CryptographyDeprecationWarning) as exc:
        # (the warning is raised where warnings are errors: a serial number that is not positive)
        return None, f"the X509Certificate cannot be read: {exc}"
    if certificate.serial_number <= 0:
        return None, "the X509Certificate cannot be read: its serial number is not positive (RFC 5280)"
    if key_value is None:
        return certificate, None
    try:
        return certificate, _key_value_problem(etree.fromstring(key_value, hardened_parser()), certificate)
    except (binascii.Error, ValueError) as exc:
        return certificate, f"the KeyValue cannot be read: {exc}"
