"""Signing and verifying a root element with one enveloped signature pinned as its last child (lifecycle)."""

from __future__ import annotations

from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm
from signxml.signer import XMLSigner
from signxml.verifier import VerifyResult, XMLVerifier

from singlewindow.errors import Problem, problem
from singlewindow.xmlsec.checks import (
    comment_problems,
    id_values,
    key_info,
    map_exception,
    object_problems,
    safe_parser,
    signature_method,
    signed_info_problems,
    verifier_config,
    within_validity,
)
from singlewindow.xmlsec.names import (
    DS_NS,
    DS_SIGNATURE,
    EXC_C14N,
    SHORT_NAMES,
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


def _structure(
    root: etree._Element, *, root_tag: str, signed_id: str, allow_sha1: bool, path: str
) -> tuple[etree._Element | None, x509.Certificate | None, str, list[Problem]]:
    """The pinned signature, its certificate and method, and every structural problem before cryptography."""
    if root.tag != root_tag:
        return None, None, "", [problem("signature.wrapping", f"the root is {root.tag}, not {root_tag}", "/")]
    problems: list[Problem] = []
    carriers = [element for element in root.iter(etree.Element) if signed_id in id_values(element)]
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
    problems += comment_problems(root)
    problems += object_problems(signature, path=path)
    signed_info = signature.find(f"{_DS}SignedInfo")
    if signed_info is None:
        return None, None, "", [*problems, problem("signature.malformed", "no SignedInfo", path)]
    problems += signed_info_problems(
        signed_info, want=f"#{signed_id}", allow_sha1=allow_sha1, path=path, require_enveloped=True
    )
    certificate, key_problems = key_info(signature, path=path)
    return signature, certificate, signature_method(signed_info), problems + key_problems


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
        try:
            result = XMLVerifier().verify(
                root,
                x509_cert=certificate,
                id_attribute="id",
                parser=safe_parser(),
                expect_config=verifier_config(
                    location="./", allow_sha1=allow_sha1, at=within_validity(certificate, at)
                ),
            )
            signed = result.signed_xml if isinstance(result, VerifyResult) else None
            if signed is None or signed.tag != root_tag or signed.get("id") != signed_id:
                problems.append(problem("signature.wrapping", "signxml verified another element", path))
                signed = None
        except Exception as exc:  # every signxml/lxml failure becomes a precise problem
            problems.append(map_exception(exc, path=path))
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
