"""Signing and verifying a root element with one enveloped signature pinned as its last child (lifecycle)."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, VerifyResult, XMLVerifier

from singlewindow.errors import Problem, problem
from singlewindow.xmlsec.names import (
    CANONICALIZATIONS,
    DS_NS,
    DS_SIGNATURE,
    ENVELOPED,
    EXC_C14N,
    SHORT_NAMES,
    TRANSFORMS,
    allowed_digest_methods,
    allowed_signature_methods,
)
from singlewindow.xmlsec.sign import SigningAlgorithm, SigningKey
from singlewindow.xmlsec.verify import CertificateCheck, SignatureResult

_DS = f"{{{DS_NS}}}"
_PLACEHOLDER = "placeholder"


def _check_key(key: SigningKey, algorithm: SigningAlgorithm) -> None:
    if algorithm == "rsa-sha256" and not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("rsa-sha256 needs an RSA private key")
    if algorithm == "ecdsa-sha256" and not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("ecdsa-sha256 needs an EC private key")


def sign_root(
    root: etree._Element,
    *,
    signed_id: str,
    key: SigningKey,
    certificate: x509.Certificate,
    algorithm: SigningAlgorithm = "rsa-sha256",
) -> etree._Element:
    """Append to ``root`` (which must carry ``id=signed_id``) an enveloped signature over ``#signed_id``.

    Same profile as the COD: RSA-SHA256 or ECDSA-SHA256, SHA-256 digest, exclusive C14N, the signer's
    certificate in KeyInfo. signxml signs a copy; only its ds:Signature is grafted back, so nothing of
    ``root`` changes but the whitespace that lays the signature out like its siblings.
    """
    _check_key(key, algorithm)
    if root.get("id") != signed_id:
        raise ValueError(f'the root element must carry id="{signed_id}"')
    if any(True for _ in root.iter(DS_SIGNATURE)):
        raise ValueError("the element is already signed: refusing to sign twice")
    children = list(root)
    last_tail = children[-1].tail if children else None
    placeholder = etree.SubElement(root, DS_SIGNATURE, nsmap={"ds": DS_NS}, Id=_PLACEHOLDER)
    if children:
        # Lay the signature out like its siblings (before signing: whitespace inside root is signed).
        placeholder.tail = children[-1].tail
        children[-1].tail = children[-2].tail if len(children) > 1 else root.text
    try:
        signer = XMLSigner(
            signature_algorithm=algorithm,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod(EXC_C14N),
        )
        signed_copy = signer.sign(
            root, key=key, cert=[certificate], reference_uri=f"#{signed_id}", id_attribute="id"
        )
        signature = signed_copy[-1]
        if signature.tag != DS_SIGNATURE:
            raise RuntimeError("the signed copy lost the signature placeholder")
        signature.tail = placeholder.tail
        root.replace(placeholder, signature)
    except BaseException:
        if placeholder.getparent() is not None:
            root.remove(placeholder)
        if children:
            children[-1].tail = last_tail
        raise
    return root


def _id_values(element: etree._Element) -> list[str]:
    return [str(v) for k, v in element.attrib.items() if etree.QName(k).localname.lower() == "id"]


def _signed_info_problems(
    signed_info: etree._Element, *, want: str, allow_sha1: bool, path: str
) -> list[Problem]:
    problems: list[Problem] = []
    references = signed_info.findall(f"{_DS}Reference")
    if len(references) != 1 or references[0].get("URI") != want:
        found = ", ".join(repr(ref.get("URI")) for ref in references) or "none"
        message = f"the signature must hold exactly one Reference with URI {want!r}; found {found}"
        problems.append(problem("signature.reference_invalid", message, path))
    c14n = signed_info.find(f"{_DS}CanonicalizationMethod")
    if c14n is None or c14n.get("Algorithm") not in CANONICALIZATIONS:
        uri = None if c14n is None else c14n.get("Algorithm")
        problems.append(
            problem("signature.algorithm_forbidden", f"canonicalization {uri!r} is not allowed", path)
        )
    method = signed_info.find(f"{_DS}SignatureMethod")
    uris = [("signature method", None if method is None else method.get("Algorithm"))]
    uris += [("digest", d.get("Algorithm")) for d in signed_info.iter(f"{_DS}DigestMethod")]
    for kind, uri in uris:
        allowed = allowed_signature_methods if kind == "signature method" else allowed_digest_methods
        if uri not in allowed(allow_sha1=allow_sha1):
            problems.append(problem("signature.algorithm_forbidden", f"{kind} {uri!r} is not allowed", path))
    transforms = [t.get("Algorithm") for t in signed_info.iter(f"{_DS}Transform")]
    for uri in transforms:
        if uri not in TRANSFORMS:
            problems.append(
                problem("signature.algorithm_forbidden", f"transform {uri!r} is not allowed", path)
            )
    if ENVELOPED not in transforms:
        problems.append(
            problem("signature.malformed", "the reference lacks the enveloped-signature transform", path)
        )
    return problems


def _key_info(signature: etree._Element, *, path: str) -> tuple[x509.Certificate | None, list[Problem]]:
    key_infos = signature.findall(f"{_DS}KeyInfo")
    certificates = [] if len(key_infos) != 1 else list(key_infos[0].iter(f"{_DS}X509Certificate"))
    if len(certificates) != 1 or any(True for _ in key_infos[0].iter(f"{_DS}RetrievalMethod")):
        message = "KeyInfo must carry exactly one X509Certificate and nothing pointing elsewhere"
        return None, [problem("signature.key_info_invalid", message, f"{path}/ds:KeyInfo")]
    try:
        der = base64.b64decode("".join((certificates[0].text or "").split()), validate=True)
        return x509.load_der_x509_certificate(der), []
    except (binascii.Error, ValueError) as exc:
        message = f"the X509Certificate cannot be read: {exc}"
        return None, [problem("signature.key_info_invalid", message, f"{path}/ds:KeyInfo")]


def _structure(
    root: etree._Element, *, root_tag: str, signed_id: str, allow_sha1: bool, path: str
) -> tuple[etree._Element | None, x509.Certificate | None, str, list[Problem]]:
    """The pinned signature, its certificate and method, and every structural problem before cryptography."""
    if root.tag != root_tag:
        return None, None, "", [problem("signature.wrapping", f"the root is {root.tag}, not {root_tag}", "/")]
    problems: list[Problem] = []
    carriers = [element for element in root.iter(etree.Element) if signed_id in _id_values(element)]
    if len(carriers) > 1:
        message = f'id="{signed_id}" appears {len(carriers)} times'
        problems.append(problem("signature.duplicate_id", message, "/"))
    if root.get("id") != signed_id:
        problems.append(problem("signature.reference_invalid", f'the root must carry id="{signed_id}"', "/"))
    signatures = list(root.iter(DS_SIGNATURE))
    if not signatures:
        return None, None, "", [*problems, problem("signature.missing", path=path)]
    signature = signatures[-1]
    if len(signatures) > 1:
        message = f"{len(signatures)} signatures where one is expected"
        problems.append(problem("signature.unexpected", message, path))
    if signature.getparent() is not root or signature is not root[-1]:
        where = root.getroottree().getpath(signature)
        problems.append(
            problem("signature.wrapping", f"the signature is at {where}, not last in the root", path)
        )
    for node in root.iter(etree.Comment, etree.ProcessingInstruction):
        parent = node.getparent()
        # A comment between elements is harmless; inside a value it splits what naive readers see.
        if parent is not None and not any(True for _ in parent.iterchildren(tag=etree.Element)):
            where = root.getroottree().getpath(parent)
            problems.append(problem("signature.wrapping", "comment inside a signed value", where))
    for obj in signature.iter(f"{_DS}Object"):
        if len(obj) or (obj.text or "").strip():
            problems.append(problem("signature.wrapping", "ds:Object carries content", path))
    signed_info = signature.find(f"{_DS}SignedInfo")
    if signed_info is None:
        return None, None, "", [*problems, problem("signature.malformed", "no SignedInfo", path)]
    problems += _signed_info_problems(signed_info, want=f"#{signed_id}", allow_sha1=allow_sha1, path=path)
    certificate, key_problems = _key_info(signature, path=path)
    method = signed_info.find(f"{_DS}SignatureMethod")
    uri = (method.get("Algorithm") or "") if method is not None else ""
    return signature, certificate, uri, problems + key_problems


def _map_exception(exc: Exception, *, path: str) -> Problem:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, InvalidDigest):
        return problem("signature.digest_mismatch", f"the signed content was changed: {text}", path)
    if isinstance(exc, InvalidCertificate):
        return problem("chain.not_valid_at_signing_time", text, path)
    if isinstance(exc, InvalidSignature):
        return problem("signature.value_invalid", f"the signature value does not verify: {text}", path)
    if isinstance(exc, InvalidInput):
        lowered = text.lower()
        if "forbidden by configuration" in lowered:
            return problem("signature.algorithm_forbidden", text, path)
        if "ambiguous reference" in lowered:
            return problem("signature.duplicate_id", text, path)
        if "reference" in lowered:
            return problem("signature.reference_invalid", text, path)
    return problem("signature.malformed", f"{type(exc).__name__}: {text}", path)


def _config(*, allow_sha1: bool, at: datetime) -> SignatureConfiguration:
    return SignatureConfiguration(
        location="./",
        expect_references=1,
        signature_methods=frozenset(
            SignatureMethod(u) for u in allowed_signature_methods(allow_sha1=allow_sha1)
        ),
        digest_algorithms=frozenset(
            DigestAlgorithm(u) for u in allowed_digest_methods(allow_sha1=allow_sha1)
        ),
        verification_time=at,
    )


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def verify_root(
    root: etree._Element,
    *,
    root_tag: str,
    signed_id: str,
    allow_sha1: bool,
    at: datetime,
    certificate_check: CertificateCheck,
) -> SignatureResult:
    """Verify the one enveloped signature of ``root`` (last child, over ``#signed_id``) signed at ``at``.

    Structure first; then ``certificate_check`` judges the signer (chain, validity, revocation at ``at``);
    signxml runs only on a structurally sound signature, with that certificate pinned. ``signed`` in the
    result is the element signxml says was signed; callers read values from it, not from ``root``.
    """
    path = f"/{etree.QName(root_tag).localname}/ds:Signature"
    signature, certificate, method, structural = _structure(
        root, root_tag=root_tag, signed_id=signed_id, allow_sha1=allow_sha1, path=path
    )
    algorithm = SHORT_NAMES.get(method, method)
    if signature is None or certificate is None:
        return SignatureResult(role="official", ok=False, problems=tuple(structural), algorithm=algorithm)
    certificate_problems = tuple(certificate_check(certificate))
    problems = [*structural, *certificate_problems]
    signed: etree._Element | None = None
    if not structural:  # wrapped, ambiguous or forbidden signatures never reach the cryptography
        # The chain check judged validity at ``at``; signxml only needs a moment inside the validity.
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        moment = min(max(at, certificate.not_valid_before_utc), certificate.not_valid_after_utc)
        try:
            result = XMLVerifier().verify(
                root,
                x509_cert=certificate,
                id_attribute="id",
                parser=_parser(),
                expect_config=_config(allow_sha1=allow_sha1, at=moment),
            )
            signed = result.signed_xml if isinstance(result, VerifyResult) else None
            if signed is None or signed.tag != root_tag or signed.get("id") != signed_id:
                problems.append(problem("signature.wrapping", "signxml verified another element", path))
                signed = None
        except Exception as exc:  # every signxml/lxml failure becomes a precise problem
            problems.append(_map_exception(exc, path=path))
    return SignatureResult(
        role="official",
        ok=not problems,
        problems=tuple(problems),
        certificate=certificate,
        algorithm=algorithm,
        signed=signed,
        signature_valid=signed is not None,
        certificate_problems=certificate_problems,
    )
