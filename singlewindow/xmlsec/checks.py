"""Structural checks and signxml settings shared by every pinned signature (COD and lifecycle messages)."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from cryptography import x509
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration

from singlewindow.errors import Problem, problem
from singlewindow.xmlsec.names import (
    CANONICALIZATIONS,
    DS_NS,
    ENVELOPED,
    LEGACY_DIGEST_METHODS,
    LEGACY_SIGNATURE_METHODS,
    TRANSFORMS,
    allowed_digest_methods,
    allowed_signature_methods,
)

_DS = f"{{{DS_NS}}}"


def id_values(element: etree._Element) -> list[str]:
    """The values of every ``id``-like attribute of ``element`` (any case, any namespace)."""
    return [
        str(value) for name, value in element.attrib.items() if etree.QName(name).localname.lower() == "id"
    ]


def comment_problems(signed: etree._Element) -> list[Problem]:
    """A comment or PI inside a signed text value: harmless to the digest, misleading to naive readers."""
    problems = []
    for node in signed.iter(etree.Comment, etree.ProcessingInstruction):
        parent = node.getparent()
        if parent is not None and not any(True for _ in parent.iterchildren(tag=etree.Element)):
            where = signed.getroottree().getpath(parent)
            problems.append(problem("signature.wrapping", "comment inside signed value", where))
    return problems


def object_problems(signature: etree._Element, *, path: str) -> list[Problem]:
    """A ds:Object with content: the classic place to hide moved, 'signed' content."""
    return [
        problem("signature.wrapping", "ds:Object carries content", path)
        for obj in signature.iter(f"{_DS}Object")
        if len(obj) or (obj.text or "").strip()
    ]


def signed_info_problems(
    signed_info: etree._Element, *, want: str, allow_sha1: bool, path: str, require_enveloped: bool = False
) -> list[Problem]:
    """Exactly one Reference to ``want``; only allowed canonicalizations, methods, digests, transforms."""
    problems: list[Problem] = []
    references = signed_info.findall(f"{_DS}Reference")
    if len(references) != 1 or references[0].get("URI") != want:
        uris = ", ".join(repr(ref.get("URI")) for ref in references) or "none"
        message = f"the signature must hold exactly one Reference with URI {want!r}; found {uris}"
        problems.append(problem("signature.reference_invalid", message, path))
    c14n = signed_info.find(f"{_DS}CanonicalizationMethod")
    if c14n is None or c14n.get("Algorithm") not in CANONICALIZATIONS:
        uri = None if c14n is None else c14n.get("Algorithm")
        problems.append(
            problem("signature.algorithm_forbidden", f"canonicalization {uri!r} is not allowed", path)
        )
    method = signed_info.find(f"{_DS}SignatureMethod")
    methods = [("signature method", None if method is None else method.get("Algorithm"))]
    methods += [("digest", d.get("Algorithm")) for d in signed_info.iter(f"{_DS}DigestMethod")]
    for kind, uri in methods:
        allowed = allowed_signature_methods if kind == "signature method" else allowed_digest_methods
        if uri in allowed(allow_sha1=allow_sha1):
            continue
        legacy = uri in LEGACY_SIGNATURE_METHODS | LEGACY_DIGEST_METHODS
        hint = " (SHA-1 is accepted only under the explicit allow-sha1 policy)" if legacy else ""
        problems.append(
            problem("signature.algorithm_forbidden", f"{kind} {uri!r} is not allowed{hint}", path)
        )
    transforms = [transform.get("Algorithm") for transform in signed_info.iter(f"{_DS}Transform")]
    for uri in transforms:
        if uri not in TRANSFORMS:
            problems.append(
                problem("signature.algorithm_forbidden", f"transform {uri!r} is not allowed", path)
            )
    if require_enveloped and ENVELOPED not in transforms:
        problems.append(
            problem("signature.malformed", "the reference lacks the enveloped-signature transform", path)
        )
    return problems


def signature_method(signed_info: etree._Element) -> str:
    """The SignatureMethod URI ('' when absent)."""
    method = signed_info.find(f"{_DS}SignatureMethod")
    return (method.get("Algorithm") or "") if method is not None else ""


def key_info(signature: etree._Element, *, path: str) -> tuple[x509.Certificate | None, list[Problem]]:
    """The one X.509 certificate of KeyInfo; a bare KeyValue, several certificates or a pointer: refused."""
    where = f"{path}/ds:KeyInfo"
    key_infos = signature.findall(f"{_DS}KeyInfo")
    certificates = [] if len(key_infos) != 1 else list(key_infos[0].iter(f"{_DS}X509Certificate"))
    if len(certificates) != 1:
        has_key_value = any(True for info in key_infos for _ in info.iter(f"{_DS}KeyValue"))
        detail = "only a bare KeyValue" if has_key_value else f"{len(certificates)} X509Certificate elements"
        message = f"KeyInfo must carry exactly one X509Certificate; found {detail}"
        return None, [problem("signature.key_info_invalid", message, where)]
    if any(True for _ in key_infos[0].iter(f"{_DS}RetrievalMethod")):
        return None, [problem("signature.key_info_invalid", "KeyInfo must not point elsewhere", where)]
    try:
        der = base64.b64decode("".join((certificates[0].text or "").split()), validate=True)
        return x509.load_der_x509_certificate(der), []
    except (binascii.Error, ValueError) as exc:
        return None, [
            problem("signature.key_info_invalid", f"the X509Certificate cannot be read: {exc}", where)
        ]


def map_exception(exc: Exception, *, path: str, whose: str = "the") -> Problem:
    """A signxml/lxml failure as the precise problem it stands for (``whose``: "the exporter's", …)."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, InvalidDigest):
        return problem("signature.digest_mismatch", f"{whose} signed content was changed: {text}", path)
    if isinstance(exc, InvalidCertificate):
        return problem("chain.not_valid_at_signing_time", text, path)
    if isinstance(exc, InvalidSignature):
        return problem("signature.value_invalid", f"{whose} signature value does not verify: {text}", path)
    if isinstance(exc, InvalidInput):
        lowered = text.lower()
        if "forbidden by configuration" in lowered:
            return problem("signature.algorithm_forbidden", text, path)
        if "ambiguous reference" in lowered:
            return problem("signature.duplicate_id", text, path)
        if "reference" in lowered:
            return problem("signature.reference_invalid", text, path)
        if "keyvalue" in lowered or "key value" in lowered:
            return problem("signature.key_info_invalid", text, path)
    return problem("signature.malformed", f"{type(exc).__name__}: {text}", path)


def verifier_config(*, location: str, allow_sha1: bool, at: datetime) -> SignatureConfiguration:
    """signxml's configuration: one reference, the policy's algorithms, certificate validity at ``at``."""
    return SignatureConfiguration(
        location=location,
        expect_references=1,
        signature_methods=frozenset(
            SignatureMethod(uri) for uri in allowed_signature_methods(allow_sha1=allow_sha1)
        ),
        digest_algorithms=frozenset(
            DigestAlgorithm(uri) for uri in allowed_digest_methods(allow_sha1=allow_sha1)
        ),
        verification_time=at,
    )


def within_validity(certificate: x509.Certificate, at: datetime) -> datetime:
    """``at`` clamped into the certificate's validity.

    The chain check has already judged validity at ``at``; signxml only needs a moment at which it can
    check the cryptography, so an out-of-validity signing time must not hide a tampered document.
    """
    moment = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return min(max(moment, certificate.not_valid_before_utc), certificate.not_valid_after_utc)


def safe_parser() -> etree.XMLParser:
    """The parser signxml re-parses with: no entities, no network, no DTD, no huge trees."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
